// prelu: output[p, c] = input >= 0 ? input : input * slope[c].
#include <algorithm>

#include "nn/ops/op_support.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  require_weight(node, "slope", {ins[0].c});
  *out = ins[0];
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const float* slope = a.node.weight_data("slope");
  const std::size_t ch = static_cast<std::size_t>(is.c);
  for_parts(a.pool, pixels_of(is), [&](std::size_t begin, std::size_t end, int) {
    reference::prelu(slope, a.inputs[0] + begin * ch, static_cast<int>(end - begin), is.c,
                     a.output + begin * ch);
  });
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const PlannedNode& n = a.node;
  reference::qs8_prelu(n.weight_data("slope"), n.input_quant[0], n.output_quant, n.output_qmin,
                       n.output_qmax, static_cast<const int8_t*>(a.inputs[0]),
                       static_cast<int>(pixels_of(is)), is.c, static_cast<int8_t*>(a.output));
}

// One pixel's channels. The arrays are restrict so that the loops vectorise without run-time
// overlap checks.
void accumulate_slope_grad(float* __restrict d_slope, const float* __restrict g,
                           const float* __restrict x, int ch) {
  for (int c = 0; c < ch; ++c) d_slope[c] += g[c] * std::min(x[c], 0.0f);
}
// The factor is its own variable, read from a slope loaded on every channel: written as
// g[c] * (x[c] >= 0 ? 1 : slope[c]), GCC folds the product into both arms, and a multiply under a
// condition (it may trap) keeps the loop scalar, branching on each random sign.
void accumulate_input_grad(float* __restrict dx, const float* __restrict g,
                           const float* __restrict x, const float* __restrict slope, int ch) {
  for (int c = 0; c < ch; ++c) {
    const float s = slope[c];
    const float factor = x[c] >= 0.0f ? 1.0f : s;
    dx[c] += g[c] * factor;
  }
}

void backward(const OpBackwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const int ch = is.c;
  const std::size_t pixels = pixels_of(is);
  const float* x = a.inputs[0];
  const float* slope = a.node.weight_data("slope");
  float* d_slope = weight_grad(a, "slope");
  float* dx = a.input_grads[0];
  // Branch-free: activations have random signs, and a mispredicted branch per element cost more
  // than the arithmetic (measured: PReLU was a third of a training step). Each part of the
  // pixels sums its own slope gradient; the parts are added in order.
  const std::size_t width = static_cast<std::size_t>(ch);
  PartSums<float> part_slope(a.pool, d_slope != nullptr ? width : 0);
  for_parts(a.pool, pixels, [&](std::size_t begin, std::size_t end, int part) {
    float* own = d_slope != nullptr ? part_slope.part(part) : nullptr;
    for (std::size_t p = begin; p < end; ++p) {
      const float* xi = x + p * width;
      const float* g = a.output_grad + p * width;
      if (own != nullptr) accumulate_slope_grad(own, g, xi, ch);
      if (dx != nullptr) accumulate_input_grad(dx + p * width, g, xi, slope, ch);
    }
  });
  if (d_slope != nullptr) part_slope.total(d_slope);
}

}  // namespace

extern const OpDef kPReluOp = {OpType::kPRelu, "prelu",  plan,      forward,
                               nullptr,        backward, {"slope"}, forward_qs8};

}  // namespace fu::nn::ops
