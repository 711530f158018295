// requantize_fp32, the contract's one requantisation function, against a plain formulation with
// std::nearbyint: ties, clamps, zero points at the ends and large accumulators.
#include "nn/kernels/requantization.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "nn/kernels/qs8_test_util.h"

namespace fu::nn::kernels {
namespace {

using testing::contract_requantize;

TEST(RequantizeFp32Test, TiesRoundToEven) {
  // 0.5 * odd accumulators are exact halves.
  EXPECT_EQ(requantize_fp32(1, 0.5f, 0, -128, 127), 0);   // 0.5 -> 0
  EXPECT_EQ(requantize_fp32(3, 0.5f, 0, -128, 127), 2);   // 1.5 -> 2
  EXPECT_EQ(requantize_fp32(5, 0.5f, 0, -128, 127), 2);   // 2.5 -> 2
  EXPECT_EQ(requantize_fp32(-1, 0.5f, 0, -128, 127), 0);  // -0.5 -> 0
  EXPECT_EQ(requantize_fp32(-3, 0.5f, 0, -128, 127), -2);
  EXPECT_EQ(requantize_fp32(-5, 0.5f, 10, -128, 127), 8);
}

TEST(RequantizeFp32Test, ClampsAfterTheZeroPoint) {
  EXPECT_EQ(requantize_fp32(1000, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(requantize_fp32(-1000, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(requantize_fp32(100, 1.0f, 100, -128, 127), 127);
  EXPECT_EQ(requantize_fp32(-100, 1.0f, -100, -128, 127), -128);
  EXPECT_EQ(requantize_fp32(-5, 1.0f, -128, -128, 127), -128);  // ReLU at zp = -128
  EXPECT_EQ(requantize_fp32(-5, 1.0f, 3, 3, 127), 3);           // ReLU as qmin = zp
  EXPECT_EQ(requantize_fp32(INT32_MAX, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(requantize_fp32(INT32_MIN, 1.0f, 0, -128, 127), -128);
}

TEST(RequantizeFp32Test, MatchesNearbyintOnRandomValues) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> acc_dist(-300000, 300000);
  std::uniform_real_distribution<float> scale_dist(1e-5f, 2e-3f);
  std::uniform_int_distribution<int> zp_dist(-128, 127);
  for (int i = 0; i < 200000; ++i) {
    const int32_t acc = acc_dist(rng);
    const float scale = i % 4 == 0 ? 0.25f / (1 << (i % 13)) : scale_dist(rng);
    const int32_t zp = zp_dist(rng);
    int lo = zp_dist(rng), hi = zp_dist(rng);
    if (lo > hi) std::swap(lo, hi);
    if (i % 3 == 0) lo = -128, hi = 127;
    ASSERT_EQ(requantize_fp32(acc, scale, zp, lo, hi), contract_requantize(acc, scale, zp, lo, hi))
        << "acc " << acc << " scale " << scale << " zp " << zp << " clamp " << lo << ".." << hi;
  }
}

TEST(RequantizeFp32Test, ScaleIsComputedInContractOrder) {
  const float si = 0.1f, sw = 0.3f, so = 0.7f;
  EXPECT_EQ(requantization_scale(si, sw, so), (si * sw) / so);
}

}  // namespace
}  // namespace fu::nn::kernels
