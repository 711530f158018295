// max_pool2d and avg_pool2d over a window (no dilation). Max pooling ignores padded positions;
// average pooling divides by the number of input pixels inside the window. Backward sends each
// output's gradient to the first maximum of its window (max) or spreads it evenly (average).
#include <limits>

#include "nn/ops/op_support.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  const Attributes& a = node.attributes;
  const int kh = a.get_int("kernel_h", 0, 1, kMaxKernel);
  const int kw = a.get_int("kernel_w", 0, 1, kMaxKernel);
  if (kh == 0 || kw == 0) fail(node, "needs attributes kernel_h and kernel_w");
  p.pool.window = read_window(node, ins[0], kh, kw);
  if (p.pool.window.dilation_h != 1 || p.pool.window.dilation_w != 1) {
    fail(node, "pooling does not support dilation");
  }
  const Padding2d& pad = p.pool.window.padding;
  if (pad.top >= kh || pad.bottom >= kh || pad.left >= kw || pad.right >= kw) {
    fail(node, "padding must be smaller than the pooling window");
  }
  *out = window_output(node, ins[0], p.pool.window, ins[0].c);
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  if (a.node.op == OpType::kMaxPool2d) {
    reference::max_pool2d(a.node.pool, a.inputs[0], is.n, is.h, is.w, is.c, a.output);
  } else {
    reference::avg_pool2d(a.node.pool, a.inputs[0], is.n, is.h, is.w, is.c, a.output);
  }
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const PlannedNode& n = a.node;
  const auto* in = static_cast<const int8_t*>(a.inputs[0]);
  auto* out = static_cast<int8_t*>(a.output);
  if (n.op == OpType::kMaxPool2d) {
    reference::qs8_max_pool2d(n.pool, n.input_quant[0], in, is.n, is.h, is.w, is.c, out);
  } else {
    reference::qs8_avg_pool2d(n.pool, n.input_quant[0], n.output_quant, n.output_qmin,
                              n.output_qmax, in, is.n, is.h, is.w, is.c, out);
  }
}

// Calls visit(input_offset) for each unpadded input pixel of output (n, oy, ox)'s window.
template <typename Visit>
void for_window(const Window2d& w, const Shape& is, int n, int oy, int ox, Visit visit) {
  for (int ky = 0; ky < w.kernel_h; ++ky) {
    const int iy = oy * w.stride_h - w.padding.top + ky;
    if (iy < 0 || iy >= is.h) continue;
    for (int kx = 0; kx < w.kernel_w; ++kx) {
      const int ix = ox * w.stride_w - w.padding.left + kx;
      if (ix < 0 || ix >= is.w) continue;
      visit(((static_cast<std::size_t>(n) * is.h + iy) * is.w + ix) * is.c);
    }
  }
}

void backward(const OpBackwardArgs& a) {
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  const Window2d& w = a.node.pool.window;
  const Shape& is = a.input_shapes[0];
  const Shape& os = a.output_shape;
  const float* x = a.inputs[0];
  const int ch = is.c;
  for (int n = 0; n < os.n; ++n) {
    for (int oy = 0; oy < os.h; ++oy) {
      for (int ox = 0; ox < os.w; ++ox) {
        const float* g =
            a.output_grad + ((static_cast<std::size_t>(n) * os.h + oy) * os.w + ox) * ch;
        if (a.node.op == OpType::kAvgPool2d) {
          int count = 0;
          for_window(w, is, n, oy, ox, [&](std::size_t) { ++count; });
          const float share = 1.0f / static_cast<float>(count);
          for_window(w, is, n, oy, ox, [&](std::size_t at) {
            for (int c = 0; c < ch; ++c) dx[at + c] += g[c] * share;
          });
          continue;
        }
        for (int c = 0; c < ch; ++c) {
          float best = -std::numeric_limits<float>::infinity();
          std::size_t best_at = 0;
          bool found = false;
          for_window(w, is, n, oy, ox, [&](std::size_t at) {
            if (!found || x[at + c] > best) {
              best = x[at + c];
              best_at = at;
              found = true;
            }
          });
          if (found) dx[best_at + c] += g[c];
        }
      }
    }
  }
}

}  // namespace

extern const OpDef kMaxPool2dOp = {OpType::kMaxPool2d, "max_pool2d", plan,       forward, nullptr,
                                   backward,           {},           forward_qs8};
extern const OpDef kAvgPool2dOp = {OpType::kAvgPool2d, "avg_pool2d", plan,       forward, nullptr,
                                   backward,           {},           forward_qs8};

}  // namespace fu::nn::ops
