// Requantisation of an int32 accumulator to int8, the "fp32" scheme of XNNPACK's qs8 kernels:
// the one definition that the int8 reference operators and the SIMD kernels share, so that they
// agree bit for bit by construction.
#pragma once

#include <cmath>
#include <cstdint>

namespace fu::nn::kernels {

// out = clamp(round_half_to_even(acc * scale) + output_zero_point, qmin, qmax), where scale is
// (input_scale * weight_scale) / output_scale computed once in float32 in that order.
inline int8_t requantize_fp32(int32_t acc, float scale, int32_t output_zero_point, int8_t qmin,
                              int8_t qmax) {
  // std::nearbyint rounds half to even in the default floating-point environment.
  const float scaled = std::nearbyint(static_cast<float>(acc) * scale);
  float shifted = scaled + static_cast<float>(output_zero_point);
  if (shifted < static_cast<float>(qmin)) shifted = static_cast<float>(qmin);
  if (shifted > static_cast<float>(qmax)) shifted = static_cast<float>(qmax);
  return static_cast<int8_t>(shifted);
}

}  // namespace fu::nn::kernels
