// reshape: to [N, height, width, channels] keeping the NHWC element order (flatten is a reshape
// to [N, 1, 1, h * w * c]).
#include <algorithm>

#include "nn/ops/op_support.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  const Attributes& a = node.attributes;
  *out = Shape{ins[0].n, a.get_int("height", 0, 1, kMaxDim), a.get_int("width", 0, 1, kMaxDim),
               a.get_int("channels", 0, 1, kMaxDim)};
  if (out->h == 0 || out->w == 0 || out->c == 0) {
    fail(node, "needs attributes height, width and channels");
  }
  if (out->size() != ins[0].size()) {
    fail(node, "cannot reshape " + ins[0].str() + " to " + out->str() + ": sizes differ");
  }
  return p;
}

void forward(const OpForwardArgs& a) {
  std::copy(a.inputs[0], a.inputs[0] + a.output_shape.size(), a.output);
}

// int8 reshape keeps its input's quantisation (the plan checks): the bytes move unchanged.
void forward_qs8(const OpQs8ForwardArgs& a) {
  const auto* in = static_cast<const int8_t*>(a.inputs[0]);
  std::copy(in, in + a.output_shape.size(), static_cast<int8_t*>(a.output));
}

void backward(const OpBackwardArgs& a) {
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  const std::size_t count = a.output_shape.size();
  for (std::size_t i = 0; i < count; ++i) dx[i] += a.output_grad[i];
}

}  // namespace

extern const OpDef kReshapeOp = {OpType::kReshape, "reshape", plan, forward,
                                 nullptr,          backward,  {},   forward_qs8};

}  // namespace fu::nn::ops
