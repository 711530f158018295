// add: output = clamp(a + b) for two inputs of equal shape (residual connections).
#include "nn/ops/op_support.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 2);
  if (ins[0] != ins[1]) {
    fail(node, "adds tensors of different shapes " + ins[0].str() + " and " + ins[1].str());
  }
  p.activation = read_activation(node);
  *out = ins[0];
  return p;
}

void forward(const OpForwardArgs& a) {
  reference::add(a.node.activation, a.inputs[0], a.inputs[1], a.output_shape.size(), a.output);
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const PlannedNode& n = a.node;
  reference::qs8_add(n.input_quant[0], n.input_quant[1], n.output_quant, n.output_qmin,
                     n.output_qmax, static_cast<const int8_t*>(a.inputs[0]),
                     static_cast<const int8_t*>(a.inputs[1]), a.output_shape.size(),
                     static_cast<int8_t*>(a.output));
}

void backward(const OpBackwardArgs& a) {
  std::vector<float> masked;
  const float* dy = unclamped_grad(a, masked);
  const std::size_t count = a.output_shape.size();
  for (float* dx : a.input_grads) {
    if (dx == nullptr) continue;
    for (std::size_t i = 0; i < count; ++i) dx[i] += dy[i];
  }
}

}  // namespace

extern const OpDef kAddOp = {OpType::kAdd, "add",    plan, forward,
                             nullptr,      backward, {},   forward_qs8};

}  // namespace fu::nn::ops
