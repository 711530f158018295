// Helpers the op homes share: the checks their shape rules run on attributes and weights, and
// the small pieces their backward passes have in common. Internal to src/nn/ops.
#pragma once

#include <algorithm>
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

// Partial sums of a loop split by for_parts: each part adds into its own `width` values, and
// total() adds the parts in part order, so a run repeats itself exactly on the same pool.
template <typename T>
class PartSums {
 public:
  PartSums(const ThreadPool* pool, std::size_t width)
      : width_(width), values_(static_cast<std::size_t>(parts_of(pool)) * width, T{}) {}
  T* part(int p) { return values_.data() + static_cast<std::size_t>(p) * width_; }
  // Assigns out[i] the sum over parts of their i-th value.
  template <typename Out>
  void total(Out* out) const {
    std::fill(out, out + width_, Out{});
    for (std::size_t at = 0; at < values_.size(); at += width_) {
      for (std::size_t i = 0; i < width_; ++i) out[i] += values_[at + i];
    }
  }

 private:
  std::size_t width_;
  std::vector<T> values_;
};

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
