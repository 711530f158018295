// depthwise_conv2d: filter [1, kh, kw, C] (depth multiplier 1), optional bias [C], fused clamp.
// Backward is direct: with channels innermost (NHWC) each tap is a contiguous vector update.
#include <algorithm>

#include "nn/ops/op_support.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  const Shape& in = ins[0];
  const std::vector<int> f = filter_dims(node);
  if (f[0] != 1 || f[3] != in.c) {
    fail(node, "depthwise filter " + dims_str(f) + " does not match input " + in.str() +
                   " (expected [1,kh,kw," + std::to_string(in.c) + "])");
  }
  p.depthwise.window = read_window(node, in, f[1], f[2]);
  p.depthwise.channels = in.c;
  require_weight(node, "filter", f);
  optional_weight(node, "bias", {in.c});
  p.activation = read_activation(node);
  *out = window_output(node, in, p.depthwise.window, in.c);
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  reference::depthwise_conv2d(a.node.depthwise, a.node.weight_data("filter"),
                              a.node.weight_data("bias"), a.node.activation, a.inputs[0], is.n,
                              is.h, is.w, a.output);
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const PlannedNode& n = a.node;
  reference::qs8_depthwise_conv2d(
      n.depthwise, n.weight_qs8("filter"), n.weight_channel_scales("filter"), n.weight_i32("bias"),
      n.input_quant[0], n.output_quant, n.output_qmin, n.output_qmax,
      static_cast<const int8_t*>(a.inputs[0]), is.n, is.h, is.w, static_cast<int8_t*>(a.output));
}

void backward(const OpBackwardArgs& a) {
  const Window2d& w = a.node.depthwise.window;
  const int ch = a.node.depthwise.channels;
  const Shape& is = a.input_shapes[0];
  const Shape& os = a.output_shape;
  std::vector<float> masked;
  const float* dy = unclamped_grad(a, masked);
  const float* x = a.inputs[0];
  const float* filter = a.node.weight_data("filter");
  float* d_filter = weight_grad(a, "filter");
  float* d_bias = weight_grad(a, "bias");
  float* dx = a.input_grads[0];
  const std::size_t taps = static_cast<std::size_t>(w.kernel_h) * w.kernel_w;
  if (d_filter != nullptr) std::fill(d_filter, d_filter + taps * ch, 0.0f);
  if (d_bias != nullptr) std::fill(d_bias, d_bias + ch, 0.0f);
  for (int n = 0; n < is.n; ++n) {
    for (int oy = 0; oy < os.h; ++oy) {
      for (int ox = 0; ox < os.w; ++ox) {
        const float* g = dy + ((static_cast<std::size_t>(n) * os.h + oy) * os.w + ox) * ch;
        if (d_bias != nullptr) {
          for (int c = 0; c < ch; ++c) d_bias[c] += g[c];
        }
        for (int ky = 0; ky < w.kernel_h; ++ky) {
          const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
          if (iy < 0 || iy >= is.h) continue;
          for (int kx = 0; kx < w.kernel_w; ++kx) {
            const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
            if (ix < 0 || ix >= is.w) continue;
            const std::size_t tap = (static_cast<std::size_t>(ky) * w.kernel_w + kx) * ch;
            const std::size_t at = ((static_cast<std::size_t>(n) * is.h + iy) * is.w + ix) * ch;
            if (d_filter != nullptr) {
              float* df = d_filter + tap;
              const float* xi = x + at;
              for (int c = 0; c < ch; ++c) df[c] += g[c] * xi[c];
            }
            if (dx != nullptr) {
              float* d = dx + at;
              const float* f = filter + tap;
              for (int c = 0; c < ch; ++c) d[c] += g[c] * f[c];
            }
          }
        }
      }
    }
  }
}

}  // namespace

extern const OpDef kDepthwiseConv2dOp = {
    OpType::kDepthwiseConv2d, "depthwise_conv2d", plan, forward, nullptr, backward,
    {"filter", "bias"},       forward_qs8};

}  // namespace fu::nn::ops
