// Helpers shared by the operator tests: seeded random data and a tolerance check scaled by the
// magnitude of the terms that were summed.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace fu::nn::testing {

// Own results may differ from the double-accumulated reference by at most this fraction of
// sum |term| (e.g. sum |x * w| + |bias| for a convolution output), plus kAbsoluteTolerance.
constexpr double kRelativeTolerance = 1e-5;
constexpr double kAbsoluteTolerance = 1e-6;

inline std::vector<float> random_vector(size_t n, unsigned seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline std::vector<float> abs_vector(const std::vector<float>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = std::fabs(v[i]);
  return out;
}

// Compares element-wise; `magnitude` holds the per-element sum of |terms| (same size), or is
// empty to use |expected|. Reports the first few mismatches and fails on any.
inline void expect_close(const std::vector<float>& actual, const std::vector<float>& expected,
                         const std::vector<float>& magnitude = {}) {
  ASSERT_EQ(actual.size(), expected.size());
  int reported = 0;
  int failures = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double scale = magnitude.empty() ? std::fabs(expected[i]) : magnitude[i];
    const double tolerance = kRelativeTolerance * scale + kAbsoluteTolerance;
    const double error = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    if (!(error <= tolerance)) {  // Also catches NaN.
      ++failures;
      if (reported++ < 5) {
        ADD_FAILURE() << "element " << i << ": got " << actual[i] << ", want " << expected[i]
                      << " (error " << error << " > tolerance " << tolerance << ")";
      }
    }
  }
  EXPECT_EQ(failures, 0) << "of " << actual.size() << " elements";
}

}  // namespace fu::nn::testing
