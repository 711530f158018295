// Random int8 data and the plain scalar form of the int8 contract shared by the qs8 kernel and
// operator tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "nn/kernels/requantization.h"

namespace fu::nn::testing {

inline std::vector<int8_t> random_int8(size_t n, unsigned seed, int lo = -128, int hi = 127) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

inline std::vector<int32_t> random_int32(size_t n, unsigned seed, int32_t lo, int32_t hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(lo, hi);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = dist(rng);
  return v;
}

// Requantisation scales that spread a sum of `terms` int8 x int8 products over somewhat more
// than the int8 range, so that both clamps and every rounding path are exercised.
inline std::vector<float> random_scales(size_t n, unsigned seed, size_t terms) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.5f, 2.0f);
  std::vector<float> v(n);
  const float base = 0.02f / std::sqrt(static_cast<float>(terms));
  for (float& x : v) x = dist(rng) * base;
  return v;
}

// The contract's output for one accumulator, written independently of requantize_fp32: the
// float product rounded half to even by std::nearbyint (the default rounding mode), then the
// zero point and the clamp.
inline int8_t contract_requantize(int32_t acc, float scale, int32_t zero_point, int8_t qmin,
                                  int8_t qmax) {
  const float x = static_cast<float>(acc) * scale;
  const double r = std::nearbyint(static_cast<double>(x)) + zero_point;
  return static_cast<int8_t>(std::clamp(r, static_cast<double>(qmin), static_cast<double>(qmax)));
}

}  // namespace fu::nn::testing
