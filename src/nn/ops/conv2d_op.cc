// conv2d: filter [O, kh, kw, I], optional bias [O], fused clamp. Backward lowers each image to
// columns (im2col) so both gradients are GEMMs: dFilter = dY^T * cols, dCols = dY * filter, and
// dCols is scattered back onto the input (col2im).
#include <algorithm>
#include <cstring>

#include "nn/ops/op_support.h"
#include "nn/ops/sgemm.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  const Shape& in = ins[0];
  const std::vector<int> f = filter_dims(node);
  if (f[3] != in.c) {
    fail(node, "filter expects " + std::to_string(f[3]) + " input channels, input is " + in.str());
  }
  p.conv.window = read_window(node, in, f[1], f[2]);
  p.conv.in_channels = f[3];
  p.conv.out_channels = f[0];
  require_weight(node, "filter", f);
  optional_weight(node, "bias", {f[0]});
  p.activation = read_activation(node);
  *out = window_output(node, in, p.conv.window, f[0]);
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  reference::conv2d(a.node.conv, a.node.weight_data("filter"), a.node.weight_data("bias"),
                    a.node.activation, a.inputs[0], is.n, is.h, is.w, a.output);
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const PlannedNode& n = a.node;
  reference::qs8_conv2d(n.conv, n.weight_qs8("filter"), n.weight_channel_scales("filter"),
                        n.weight_i32("bias"), n.input_quant[0], n.output_quant, n.output_qmin,
                        n.output_qmax, static_cast<const int8_t*>(a.inputs[0]), is.n, is.h, is.w,
                        static_cast<int8_t*>(a.output));
}

bool is_pointwise(const Window2d& w) {
  return w.kernel_h == 1 && w.kernel_w == 1 && w.stride_h == 1 && w.stride_w == 1 &&
         w.padding.top == 0 && w.padding.bottom == 0 && w.padding.left == 0 && w.padding.right == 0;
}

// cols[(oy * out_w + ox), ((ky * kw + kx) * C + c)] = input[iy, ix, c], zero outside.
void im2col(const Window2d& w, const float* image, int in_h, int in_w, int channels, int out_h,
            int out_w, float* cols) {
  const std::size_t row = static_cast<std::size_t>(w.kernel_h) * w.kernel_w * channels;
  for (int oy = 0; oy < out_h; ++oy) {
    for (int ox = 0; ox < out_w; ++ox) {
      float* dst = cols + (static_cast<std::size_t>(oy) * out_w + ox) * row;
      for (int ky = 0; ky < w.kernel_h; ++ky) {
        const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
        for (int kx = 0; kx < w.kernel_w; ++kx) {
          const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
          float* d = dst + (static_cast<std::size_t>(ky) * w.kernel_w + kx) * channels;
          if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
            std::fill(d, d + channels, 0.0f);
          } else {
            std::memcpy(d, image + (static_cast<std::size_t>(iy) * in_w + ix) * channels,
                        sizeof(float) * channels);
          }
        }
      }
    }
  }
}

// The adjoint of im2col: adds every column entry back onto the input pixel it came from.
void col2im_add(const Window2d& w, const float* cols, int in_h, int in_w, int channels, int out_h,
                int out_w, float* image) {
  const std::size_t row = static_cast<std::size_t>(w.kernel_h) * w.kernel_w * channels;
  for (int oy = 0; oy < out_h; ++oy) {
    for (int ox = 0; ox < out_w; ++ox) {
      const float* src = cols + (static_cast<std::size_t>(oy) * out_w + ox) * row;
      for (int ky = 0; ky < w.kernel_h; ++ky) {
        const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
        if (iy < 0 || iy >= in_h) continue;
        for (int kx = 0; kx < w.kernel_w; ++kx) {
          const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
          if (ix < 0 || ix >= in_w) continue;
          const float* s = src + (static_cast<std::size_t>(ky) * w.kernel_w + kx) * channels;
          float* d = image + (static_cast<std::size_t>(iy) * in_w + ix) * channels;
          for (int c = 0; c < channels; ++c) d[c] += s[c];
        }
      }
    }
  }
}

void backward(const OpBackwardArgs& a) {
  const Conv2dParams& p = a.node.conv;
  const Shape& is = a.input_shapes[0];
  const Shape& os = a.output_shape;
  std::vector<float> masked;
  const float* dy = unclamped_grad(a, masked);
  const int oc = p.out_channels;
  const int k = p.window.kernel_h * p.window.kernel_w * p.in_channels;
  const int out_pixels = os.h * os.w;
  const float* filter = a.node.weight_data("filter");
  float* d_filter = weight_grad(a, "filter");
  float* d_bias = weight_grad(a, "bias");
  float* dx = a.input_grads[0];

  if (d_bias != nullptr) {
    std::fill(d_bias, d_bias + oc, 0.0f);
    const std::size_t pixels = pixels_of(os);
    for (std::size_t i = 0; i < pixels; ++i) {
      for (int o = 0; o < oc; ++o) d_bias[o] += dy[i * oc + o];
    }
  }
  if (is_pointwise(p.window)) {
    // The input already is the column matrix: one GEMM per gradient over the whole batch.
    const int rows = static_cast<int>(pixels_of(is));
    if (d_filter != nullptr) {
      sgemm(true, false, oc, k, rows, 1.0f, dy, oc, a.inputs[0], k, 0.0f, d_filter, k);
    }
    if (dx != nullptr) sgemm(false, false, rows, k, oc, 1.0f, dy, oc, filter, k, 1.0f, dx, k);
    return;
  }
  std::vector<float> cols(static_cast<std::size_t>(out_pixels) * k);
  std::vector<float> d_cols(dx != nullptr ? cols.size() : 0);
  const std::size_t in_image = static_cast<std::size_t>(is.h) * is.w * is.c;
  const std::size_t out_image = static_cast<std::size_t>(out_pixels) * oc;
  for (int n = 0; n < is.n; ++n) {
    const float* dy_n = dy + n * out_image;
    if (d_filter != nullptr) {
      im2col(p.window, a.inputs[0] + n * in_image, is.h, is.w, is.c, os.h, os.w, cols.data());
      sgemm(true, false, oc, k, out_pixels, 1.0f, dy_n, oc, cols.data(), k, n == 0 ? 0.0f : 1.0f,
            d_filter, k);
    }
    if (dx != nullptr) {
      sgemm(false, false, out_pixels, k, oc, 1.0f, dy_n, oc, filter, k, 0.0f, d_cols.data(), k);
      col2im_add(p.window, d_cols.data(), is.h, is.w, is.c, os.h, os.w, dx + n * in_image);
    }
  }
}

}  // namespace

extern const OpDef kConv2dOp = {OpType::kConv2d, "conv2d",           plan,       forward, nullptr,
                                backward,        {"filter", "bias"}, forward_qs8};

}  // namespace fu::nn::ops
