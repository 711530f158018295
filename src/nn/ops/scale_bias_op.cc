// scale_bias: output[p, c] = clamp(input[p, c] * scale[c] + bias[c]); folded batch norm.
#include <algorithm>

#include "nn/ops/op_support.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  require_weight(node, "scale", {ins[0].c});
  require_weight(node, "bias", {ins[0].c});
  p.activation = read_activation(node);
  *out = ins[0];
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  reference::scale_bias(a.node.activation, a.node.weight_data("scale"), a.node.weight_data("bias"),
                        a.inputs[0], static_cast<int>(pixels_of(is)), is.c, a.output);
}

void backward(const OpBackwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const int ch = is.c;
  const std::size_t pixels = pixels_of(is);
  std::vector<float> masked;
  const float* dy = unclamped_grad(a, masked);
  const float* x = a.inputs[0];
  const float* scale = a.node.weight_data("scale");
  float* d_scale = weight_grad(a, "scale");
  float* d_bias = weight_grad(a, "bias");
  if (d_scale != nullptr) std::fill(d_scale, d_scale + ch, 0.0f);
  if (d_bias != nullptr) std::fill(d_bias, d_bias + ch, 0.0f);
  float* dx = a.input_grads[0];
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* g = dy + p * ch;
    const float* xi = x + p * ch;
    if (d_scale != nullptr) {
      for (int c = 0; c < ch; ++c) d_scale[c] += g[c] * xi[c];
    }
    if (d_bias != nullptr) {
      for (int c = 0; c < ch; ++c) d_bias[c] += g[c];
    }
    if (dx != nullptr) {
      float* d = dx + p * ch;
      for (int c = 0; c < ch; ++c) d[c] += g[c] * scale[c];
    }
  }
}

}  // namespace

extern const OpDef kScaleBiasOp = {OpType::kScaleBias, "scale_bias",     plan, forward, nullptr,
                                   backward,           {"scale", "bias"}};

}  // namespace fu::nn::ops
