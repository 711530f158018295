// l2_normalize over channels, per pixel: y = x / r with r = sqrt(max(sum x^2, eps)). Where the
// sum exceeds eps, dx = (dy - y * <y, dy>) / r (the part of dy along y vanishes, because scaling
// x does not change y); below eps r is a constant and dx = dy / r.
#include <algorithm>
#include <cmath>

#include "nn/ops/op_support.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  p.epsilon = node.attributes.get_float("epsilon", 1e-12f);
  if (!(p.epsilon >= 0.0f)) fail(node, "epsilon must not be negative");
  *out = ins[0];
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  reference::l2_normalize(a.node.epsilon, a.inputs[0], static_cast<int>(pixels_of(is)), is.c,
                          a.output);
}

void backward(const OpBackwardArgs& a) {
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  const Shape& is = a.input_shapes[0];
  const std::size_t pixels = pixels_of(is);
  const int ch = is.c;
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* x = a.inputs[0] + p * ch;
    const float* y = a.output + p * ch;
    const float* g = a.output_grad + p * ch;
    double sum = 0.0;
    double dot = 0.0;
    for (int c = 0; c < ch; ++c) {
      sum += static_cast<double>(x[c]) * x[c];
      dot += static_cast<double>(y[c]) * g[c];
    }
    const bool above = sum > static_cast<double>(a.node.epsilon);
    const double inv = 1.0 / std::sqrt(std::max(sum, static_cast<double>(a.node.epsilon)));
    float* d = dx + p * ch;
    for (int c = 0; c < ch; ++c) {
      d[c] += static_cast<float>((g[c] - (above ? y[c] * dot : 0.0)) * inv);
    }
  }
}

}  // namespace

extern const OpDef kL2NormalizeOp = {
    OpType::kL2Normalize, "l2_normalize", plan, forward, nullptr, backward, {}};

}  // namespace fu::nn::ops
