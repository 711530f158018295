// global_avg_pool: [N, h, w, c] -> [N, 1, 1, c], the mean over each image's pixels.
#include "nn/ops/op_support.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  *out = Shape{ins[0].n, 1, 1, ins[0].c};
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  reference::global_avg_pool(a.inputs[0], is.n, is.h, is.w, is.c, a.output);
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const PlannedNode& n = a.node;
  reference::qs8_global_avg_pool(n.input_quant[0], n.output_quant, n.output_qmin, n.output_qmax,
                                 static_cast<const int8_t*>(a.inputs[0]), is.n, is.h, is.w, is.c,
                                 static_cast<int8_t*>(a.output));
}

void backward(const OpBackwardArgs& a) {
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  const Shape& is = a.input_shapes[0];
  const std::size_t area = static_cast<std::size_t>(is.h) * is.w;
  const float share = 1.0f / static_cast<float>(area);
  for (int n = 0; n < is.n; ++n) {
    const float* g = a.output_grad + static_cast<std::size_t>(n) * is.c;
    for (std::size_t p = 0; p < area; ++p) {
      float* d = dx + (n * area + p) * is.c;
      for (int c = 0; c < is.c; ++c) d[c] += g[c] * share;
    }
  }
}

}  // namespace

extern const OpDef kGlobalAvgPoolOp = {
    OpType::kGlobalAvgPool, "global_avg_pool", plan, forward, nullptr, backward, {}, forward_qs8};

}  // namespace fu::nn::ops
