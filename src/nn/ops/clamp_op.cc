// relu and relu6: a clamp of the input to [0, inf) or [0, 6]. The planner may fuse either into
// the op before it, which then applies the same clamp (and masks its gradient the same way).
#include "nn/ops/op_support.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  p.activation.min = 0.0f;
  if (node.op == OpType::kRelu6) p.activation.max = 6.0f;
  *out = ins[0];
  return p;
}

void forward(const OpForwardArgs& a) {
  reference::clamp(a.node.activation, a.inputs[0], a.input_shapes[0].size(), a.output);
}

void backward(const OpBackwardArgs& a) {
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  std::vector<float> masked;
  const float* dy = unclamped_grad(a, masked);
  const std::size_t count = a.output_shape.size();
  for (std::size_t i = 0; i < count; ++i) dx[i] += dy[i];
}

}  // namespace

extern const OpDef kReluOp = {OpType::kRelu, "relu", plan, forward, nullptr, backward, {}};
extern const OpDef kRelu6Op = {OpType::kRelu6, "relu6", plan, forward, nullptr, backward, {}};

}  // namespace fu::nn::ops
