#include <algorithm>
#include <cmath>

#include "nn/reference/reference.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {
namespace {

float activate(Activation a, float x) { return std::min(std::max(x, a.min), a.max); }

}  // namespace

void add(Activation activation, const float* a, const float* b, size_t count, float* output) {
  detail::check_activation("run reference add", activation);
  for (size_t i = 0; i < count; ++i) output[i] = activate(activation, a[i] + b[i]);
}

void scale_bias(Activation activation, const float* scale, const float* bias, const float* input,
                int pixels, int channels, float* output) {
  detail::check_activation("run reference scale_bias", activation);
  for (int p = 0; p < pixels; ++p) {
    for (int c = 0; c < channels; ++c) {
      const size_t i = static_cast<size_t>(p) * channels + c;
      output[i] = activate(activation, input[i] * scale[c] + bias[c]);
    }
  }
}

void clamp(Activation activation, const float* input, size_t count, float* output) {
  detail::check_activation("run reference clamp", activation);
  for (size_t i = 0; i < count; ++i) output[i] = activate(activation, input[i]);
}

void prelu(const float* slope, const float* input, int pixels, int channels, float* output) {
  for (int p = 0; p < pixels; ++p) {
    for (int c = 0; c < channels; ++c) {
      const size_t i = static_cast<size_t>(p) * channels + c;
      // Branch-free (max + slope * min), so random signs cost no mispredictions; exactly the
      // value of the two-way definition.
      output[i] = std::max(input[i], 0.0f) + slope[c] * std::min(input[i], 0.0f);
    }
  }
}

void l2_normalize(float eps, const float* input, int pixels, int channels, float* output) {
  if (!(eps > 0.0f))
    detail::fail("run reference l2_normalize", "eps " + std::to_string(eps), "must be positive");
  for (int p = 0; p < pixels; ++p) {
    const float* x = input + static_cast<size_t>(p) * channels;
    double sum = 0.0;
    for (int c = 0; c < channels; ++c) sum += static_cast<double>(x[c]) * x[c];
    const double inv = 1.0 / std::sqrt(std::max(sum, static_cast<double>(eps)));
    float* y = output + static_cast<size_t>(p) * channels;
    for (int c = 0; c < channels; ++c) y[c] = static_cast<float>(x[c] * inv);
  }
}

}  // namespace fu::nn::reference
