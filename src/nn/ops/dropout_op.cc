// dropout (inverted): in training each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate), so inference is the identity. The mask is a pure function of the step's seed
// and the element's index, which keeps a resumed run on the same path as an uninterrupted one.
#include <algorithm>
#include <cstdint>

#include "nn/ops/op_support.h"

namespace fu::nn::ops {
namespace {

float read_rate(const Node& node) {
  const float rate = node.attributes.get_float("rate", 0.0f);
  if (!(rate >= 0.0f && rate < 1.0f)) fail(node, "rate must be in [0, 1)");
  return rate;
}

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  read_rate(node);
  *out = ins[0];
  return p;
}

void forward(const OpForwardArgs& a) {
  std::copy(a.inputs[0], a.inputs[0] + a.output_shape.size(), a.output);
}

// SplitMix64: a well-mixed 64-bit hash, so neighbouring indices get independent bits.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// saved = the mask, 0 or 1 / (1 - rate) per element.
void forward_training(const OpForwardArgs& a, const OpTrainingState& state) {
  const float rate = read_rate(*a.node.node);
  const std::size_t count = a.output_shape.size();
  std::vector<float>& mask = *state.saved;
  mask.resize(count);
  const float keep_scale = 1.0f / (1.0f - rate);
  // Keep when the top 24 bits, as a fraction of 2^24, reach the rate.
  const std::uint64_t threshold = static_cast<std::uint64_t>(static_cast<double>(rate) * (1 << 24));
  for (std::size_t i = 0; i < count; ++i) {
    const bool keep = (mix(state.seed ^ mix(i)) >> 40) >= threshold;
    mask[i] = keep ? keep_scale : 0.0f;
    a.output[i] = a.inputs[0][i] * mask[i];
  }
}

void backward(const OpBackwardArgs& a) {
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  const std::size_t count = a.output_shape.size();
  const bool trained = a.saved.size() == count;
  for (std::size_t i = 0; i < count; ++i) dx[i] += a.output_grad[i] * (trained ? a.saved[i] : 1.0f);
}

}  // namespace

extern const OpDef kDropoutOp = {OpType::kDropout, "dropout", plan, forward,
                                 forward_training, backward,  {}};

}  // namespace fu::nn::ops
