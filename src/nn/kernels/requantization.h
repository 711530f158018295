// The one definition of int8 requantisation ("fp32" scheme, as XNNPACK's qs8 fp32 kernels):
//   out = clamp(round_half_to_even((float)acc * scale) + output_zero_point, qmin, qmax).
// The int8 reference operators call this function and every SIMD kernel reproduces it lane by
// lane, so kernels and reference are bit-exact by construction.
#pragma once

#include <cstdint>
#include <cstring>

namespace fu::nn::kernels {

// Adding 1.5 * 2^23 to a float of magnitude below 2^22 leaves the integer part, rounded half to
// even by the float adder, in the low mantissa bits. It does not depend on the C rounding-mode
// functions and vectorises to one add and one integer subtract on every target.
constexpr float kRoundingMagic = 12582912.0f;
constexpr int32_t kRoundingMagicBits = 0x4B400000;

// Rounds half to even; |x| must be below 2^22 (callers clamp first).
inline int32_t round_half_to_even_small(float x) {
  const float biased = x + kRoundingMagic;
  int32_t bits;
  std::memcpy(&bits, &biased, sizeof(bits));
  return bits - kRoundingMagicBits;
}

// Per-channel requantisation scale, in this exact float32 order (the contract): kernels and
// reference must compute the same float.
inline float requantization_scale(float input_scale, float weight_scale, float output_scale) {
  return (input_scale * weight_scale) / output_scale;
}

// Clamping the scaled float to [qmin - zp, qmax - zp] before rounding equals clamping after it
// (rounding is monotonic and the bounds are integers), and keeps the magic-number rounding in
// range. A NaN product (a degenerate scale) maps to qmin instead of undefined behaviour.
inline int8_t requantize_fp32(int32_t acc, float scale, int32_t output_zero_point, int8_t qmin,
                              int8_t qmax) {
  const float lo = static_cast<float>(static_cast<int32_t>(qmin) - output_zero_point);
  const float hi = static_cast<float>(static_cast<int32_t>(qmax) - output_zero_point);
  float x = static_cast<float>(acc) * scale;
  x = x > lo ? x : lo;
  x = x < hi ? x : hi;
  return static_cast<int8_t>(round_half_to_even_small(x) + output_zero_point);
}

}  // namespace fu::nn::kernels
