#include "nn/float16.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace fu::nn {

std::uint16_t float_to_half(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const float magnitude = std::fabs(value);
  if (std::isnan(value)) return static_cast<std::uint16_t>(sign | 0x7e00u);
  if (magnitude >= 65520.0f) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (magnitude < 6.103515625e-05f) {
    // Subnormal halves are multiples of 2^-24: round the magnitude to that grid (nearbyint rounds
    // ties to even, and the product is exact in float).
    const float units = std::nearbyint(magnitude * 16777216.0f);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(units));
  }
  // Normal: keep 10 of the 23 mantissa bits, rounding to nearest even; a carry out of the
  // mantissa correctly bumps the exponent.
  std::uint32_t abs_bits = bits & 0x7fffffffu;
  const std::uint32_t lsb = (abs_bits >> 13) & 1u;
  abs_bits += 0x0fffu + lsb;
  const std::uint32_t exponent = (abs_bits >> 23) - 127 + 15;
  const std::uint32_t mantissa = (abs_bits >> 13) & 0x3ffu;
  return static_cast<std::uint16_t>(sign | (exponent << 10) | mantissa);
}

float half_to_float(std::uint16_t h) {
  const float sign = (h & 0x8000u) ? -1.0f : 1.0f;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  if (exponent == 31) {
    return mantissa == 0 ? sign * INFINITY : std::numeric_limits<float>::quiet_NaN();
  }
  return sign * std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
}

}  // namespace fu::nn
