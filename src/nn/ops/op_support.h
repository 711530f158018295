// Helpers the op homes share: the checks their shape rules run on attributes and weights, and
// the small pieces their backward passes have in common. Internal to src/nn/ops.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "nn/ops/op.h"

namespace fu::nn::ops {

constexpr int kMaxDim = 1 << 20;
constexpr int kMaxKernel = 1024;

[[noreturn]] void fail(const Node& node, const std::string& reason);
std::string dims_str(const std::vector<int>& dims);

// A plan with the node's identity filled in (op, inputs, output).
PlannedNode planned(const Node& node);

void expect_inputs(const Node& node, const std::vector<Shape>& inputs, std::size_t count);
const Weight& require_weight(const Node& node, const char* role, const std::vector<int>& dims);
void optional_weight(const Node& node, const char* role, const std::vector<int>& dims);
// The filter's dims, checked to be positive (rank 4, or rank 2 for fully connected).
std::vector<int> filter_dims(const Node& node);
// Stride, dilation and padding attributes with SAME/VALID resolved into explicit pads.
Window2d read_window(const Node& node, const Shape& in, int kernel_h, int kernel_w);
Shape window_output(const Node& node, const Shape& in, const Window2d& window, int channels);
// The fused output clamp (attributes output_min / output_max).
Activation read_activation(const Node& node);

inline std::size_t pixels_of(const Shape& s) {
  return static_cast<std::size_t>(s.n) * static_cast<std::size_t>(s.h) *
         static_cast<std::size_t>(s.w);
}

// The gradient with respect to the op's pre-clamp output: output_grad where the fused clamp let
// the value through, 0 where it clamped. Returns output_grad itself when the node has no clamp,
// else `scratch`'s data.
const float* unclamped_grad(const OpBackwardArgs& args, std::vector<float>& scratch);

// The gradient buffer of a weight role, or nullptr when that weight is not being trained.
float* weight_grad(const OpBackwardArgs& args, const char* role);

}  // namespace fu::nn::ops
