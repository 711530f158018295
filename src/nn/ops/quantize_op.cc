// quantize (float32 -> int8) and dequantize (int8 -> float32): the boundaries of the int8 part of
// a graph. The int8 side's scale and zero point come from the graph's value table (the plan
// checks that exactly one side is int8). Inference only: quantised graphs do not train.
#include "nn/ops/op_support.h"
#include "nn/reference/qs8.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  if (!node.weights.empty()) fail(node, "takes no weights");
  *out = ins[0];
  return p;
}

void forward_quantize(const OpQs8ForwardArgs& a) {
  reference::quantize(a.node.output_quant, static_cast<const float*>(a.inputs[0]),
                      a.output_shape.size(), static_cast<int8_t*>(a.output));
}

void forward_dequantize(const OpQs8ForwardArgs& a) {
  reference::dequantize(a.node.input_quant[0], static_cast<const int8_t*>(a.inputs[0]),
                        a.output_shape.size(), static_cast<float*>(a.output));
}

}  // namespace

extern const OpDef kQuantizeOp = {OpType::kQuantize, "quantize", plan, nullptr,
                                  nullptr,           nullptr,    {},   forward_quantize};
extern const OpDef kDequantizeOp = {
    OpType::kDequantize, "dequantize", plan, nullptr, nullptr, nullptr, {}, forward_dequantize};

}  // namespace fu::nn::ops
