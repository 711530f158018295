// Every qs8 PReLU micro-kernel of the family lists (fp32 and rndnu) against the int8 reference
// (reference::qs8_prelu, the one scalar definition), byte for byte: channel counts around the 8-
// and 16-channel tiles, several pixels, zero points and clamps at the ends, slopes of both signs,
// zero and above one, buffers ending at an inaccessible page, and the output aliasing the input.
// The rndnu kernels run wherever pack_qs8_vprelu_rndnu gives multipliers, and the tests check
// that it gives them for calibrated-looking scales and declines where the float contract rounds a
// half to even.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/kernels/qs8_test_util.h"
#include "nn/reference/qs8.h"

namespace fu::nn::kernels {
namespace {

using testing::GuardedBuffer;
using testing::random_int8;

struct VpreluKernel {
  std::string name;
  Qs8VpreluMinMaxFp32Ukernel fn;
  size_t channel_tile;
};

#define FU_VPRELU_ENTRY(name, ct) VpreluKernel{#name, name, ct},
const std::vector<VpreluKernel> kVpreluKernels = {
    FU_QS8_VPRELU_MINMAX_FP32_UKERNELS(FU_VPRELU_ENTRY)};
#undef FU_VPRELU_ENTRY

struct Case {
  QuantParams input, output;
  int8_t qmin, qmax;
};

// Scales chosen so that some products leave the int8 range (both clamps), others land on halves.
const std::vector<Case> kCases = {
    {{0.05f, 0}, {0.05f, 0}, -128, 127},      {{0.1f, -128}, {0.07f, 127}, -128, 127},
    {{0.02f, 127}, {0.03f, -128}, -128, 127}, {{0.5f, -3}, {0.25f, 5}, 5, 127},
    {{0.013f, 17}, {0.011f, -9}, -40, 60},    {{1.0f, 0}, {2.0f, 0}, -128, 127},
};

std::vector<float> random_slopes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.5f, 1.5f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i % 7 == 3 ? 0.0f : i % 11 == 5 ? 2.5f : dist(rng);
  return v;
}

void run_case(const VpreluKernel& k, size_t channels, size_t pixels, const Case& q, bool alias,
              unsigned seed) {
  const std::string what = k.name + " channels=" + std::to_string(channels) +
                           " pixels=" + std::to_string(pixels) + (alias ? " in place" : "");
  const std::vector<int8_t> input = random_int8(pixels * channels, seed);
  const std::vector<float> slope = random_slopes(channels, seed + 1);
  std::vector<int8_t> want(input.size());
  reference::qs8_prelu(slope.data(), q.input, q.output, q.qmin, q.qmax, input.data(),
                       static_cast<int>(pixels), static_cast<int>(channels), want.data());
  const GuardedBuffer<float> scales(
      pack_qs8_vprelu_scales(channels, slope.data(), q.input.scale, q.output.scale));
  const Qs8VpreluFp32Params params = make_qs8_vprelu_fp32_params(
      q.input.scale, q.input.zero_point, q.output.scale, q.output.zero_point, q.qmin, q.qmax);
  GuardedBuffer<int8_t> in(input);
  GuardedBuffer<int8_t> separate(input.size());
  int8_t* out = alias ? in.data() : separate.data();
  k.fn(pixels, channels, in.data(), scales.data(), out, params);
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(int{out[i]}, int{want[i]}) << what << " at pixel " << i / channels << " channel "
                                         << i % channels << " input " << int{input[i]};
}

TEST(Qs8VpreluKernelTest, AllKernelsAllChannelTailsMatchTheReference) {
  unsigned seed = 1;
  for (const VpreluKernel& k : kVpreluKernels) {
    for (size_t channels = 1; channels <= 3 * k.channel_tile + 9; ++channels) {
      for (const Case& q : kCases) {
        run_case(k, channels, 1 + seed % 3, q, false, seed);
        ++seed;
      }
    }
  }
}

TEST(Qs8VpreluKernelTest, EveryInputValueOnEveryChannelOfATile) {
  // All 256 int8 values on each lane position: every rounding and clamp path of the grid.
  for (const VpreluKernel& k : kVpreluKernels) {
    const size_t channels = k.channel_tile;
    for (const Case& q : kCases) {
      const std::vector<float> slope = random_slopes(channels, 5);
      std::vector<int8_t> input(256 * channels);
      for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<int8_t>(i / channels + i);
      std::vector<int8_t> want(input.size());
      reference::qs8_prelu(slope.data(), q.input, q.output, q.qmin, q.qmax, input.data(), 256,
                           static_cast<int>(channels), want.data());
      const std::vector<float> scales =
          pack_qs8_vprelu_scales(channels, slope.data(), q.input.scale, q.output.scale);
      std::vector<int8_t> out(input.size());
      k.fn(256, channels, input.data(), scales.data(), out.data(),
           make_qs8_vprelu_fp32_params(q.input.scale, q.input.zero_point, q.output.scale,
                                       q.output.zero_point, q.qmin, q.qmax));
      ASSERT_EQ(out, want) << k.name;
    }
  }
}

TEST(Qs8VpreluKernelTest, OutputMayAliasTheInput) {
  unsigned seed = 100;
  for (const VpreluKernel& k : kVpreluKernels) {
    for (size_t channels : {size_t{5}, k.channel_tile, 2 * k.channel_tile + 3}) {
      run_case(k, channels, 3, kCases[seed % kCases.size()], true, seed);
      ++seed;
    }
  }
}

struct RndnuKernel {
  std::string name;
  Qs8VpreluMinMaxRndnuUkernel fn;
  size_t channel_tile;
};

#define FU_RNDNU_ENTRY(name, ct) RndnuKernel{#name, name, ct},
const std::vector<RndnuKernel> kRndnuKernels = {
    FU_QS8_VPRELU_MINMAX_RNDNU_UKERNELS(FU_RNDNU_ENTRY)};
#undef FU_RNDNU_ENTRY

// Scales as calibration makes them (no power-of-two ratios), zero points and clamps at the ends.
const std::vector<Case> kCalibratedCases = {
    {{0.0371f, -11}, {0.0213f, -100}, -128, 127}, {{0.1137f, -128}, {0.0719f, 127}, -128, 127},
    {{0.0203f, 127}, {0.0331f, -128}, -128, 127}, {{0.517f, -3}, {0.2531f, 5}, 5, 127},
    {{0.0133f, 17}, {0.0117f, -9}, -40, 60},      {{0.0093f, 0}, {0.1931f, 0}, -128, 127},
};

// Slopes as training leaves them: within [-1.5, 1.5], some zero, some exactly 1. (The fixed-point
// form needs every scale below 4; RndnuPackingDeclinesWhatFixedPointCannotReproduce covers larger
// ones.)
std::vector<float> trained_slopes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.5f, 1.5f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i % 7 == 3 ? 0.0f : i % 11 == 5 ? 1.0f : dist(rng);
  return v;
}

// Runs `k` wherever the packing succeeds; returns whether it did.
bool run_rndnu_case(const RndnuKernel& k, size_t channels, size_t pixels, const Case& q,
                    const std::vector<float>& slope, const std::vector<int8_t>& input, bool alias,
                    const std::string& what) {
  const std::optional<Qs8VpreluRndnuPacking> packing =
      pack_qs8_vprelu_rndnu(channels, slope.data(), q.input.scale, q.input.zero_point,
                            q.output.scale, q.output.zero_point, q.qmin, q.qmax);
  if (!packing) return false;
  std::vector<int8_t> want(input.size());
  reference::qs8_prelu(slope.data(), q.input, q.output, q.qmin, q.qmax, input.data(),
                       static_cast<int>(pixels), static_cast<int>(channels), want.data());
  const GuardedBuffer<int32_t> multipliers(packing->negative_xor_positive);
  GuardedBuffer<int8_t> in(input);
  GuardedBuffer<int8_t> separate(input.size());
  int8_t* out = alias ? in.data() : separate.data();
  k.fn(pixels, channels, in.data(), multipliers.data(), out, packing->params);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(int{out[i]}, int{want[i]}) << what << " at pixel " << i / channels << " channel "
                                         << i % channels << " input " << int{input[i]};
    if (out[i] != want[i]) break;
  }
  return true;
}

TEST(Qs8VpreluKernelTest, RndnuKernelsAllChannelTailsMatchTheReference) {
  unsigned seed = 1;
  for (const RndnuKernel& k : kRndnuKernels) {
    for (size_t channels = 1; channels <= 3 * k.channel_tile + 9; ++channels) {
      for (const Case& q : kCalibratedCases) {
        const size_t pixels = 1 + seed % 3;
        const std::string what = k.name + " channels=" + std::to_string(channels);
        ASSERT_TRUE(run_rndnu_case(k, channels, pixels, q, trained_slopes(channels, seed + 1),
                                   random_int8(pixels * channels, seed), seed % 4 == 0, what))
            << what << ": no exact multipliers for scales " << q.input.scale << " / "
            << q.output.scale;
        ++seed;
      }
    }
  }
}

TEST(Qs8VpreluKernelTest, RndnuKernelsEveryInputValueOnEveryChannelOfATile) {
  for (const RndnuKernel& k : kRndnuKernels) {
    const size_t channels = k.channel_tile;
    for (const Case& q : kCalibratedCases) {
      std::vector<int8_t> input(256 * channels);
      for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<int8_t>(i / channels + i);
      ASSERT_TRUE(
          run_rndnu_case(k, channels, 256, q, trained_slopes(channels, 5), input, false, k.name));
    }
  }
}

TEST(Qs8VpreluKernelTest, RndnuPackingDeclinesWhatFixedPointCannotReproduce) {
  const std::vector<float> slope = {0.25f, -0.5f, 0.0f};
  // 0.5 / 1.0: every odd x lands on a half, which the float contract rounds to even.
  EXPECT_FALSE(pack_qs8_vprelu_rndnu(3, slope.data(), 0.5f, 0, 1.0f, 0, -128, 127));
  const std::vector<float> not_finite = {0.25f, NAN, 0.0f};
  EXPECT_FALSE(pack_qs8_vprelu_rndnu(3, not_finite.data(), 0.037f, 0, 0.021f, 0, -128, 127));
  // A ratio of 1e8 puts 255 x multiplier past int32; one of 4.5 leaves the pair form's 2^22.
  EXPECT_FALSE(pack_qs8_vprelu_rndnu(3, slope.data(), 1e4f, 0, 1e-4f, 0, -128, 127));
  const std::vector<float> steep = {0.25f, 4.5f, 0.0f};
  EXPECT_FALSE(pack_qs8_vprelu_rndnu(3, steep.data(), 0.0371f, -11, 0.0371f, -100, -128, 127));
  // And the same slopes with calibrated-looking scales are taken, padded to whole groups.
  const std::optional<Qs8VpreluRndnuPacking> packing =
      pack_qs8_vprelu_rndnu(3, slope.data(), 0.0371f, -11, 0.0213f, -100, -128, 127);
  ASSERT_TRUE(packing);
  EXPECT_EQ(packing->negative_xor_positive.size(), kQs8VpreluChannelGroup);
  for (size_t c = 3; c < kQs8VpreluChannelGroup; ++c) {
    EXPECT_EQ(packing->negative_xor_positive[c], 0);
  }
}

TEST(Qs8VpreluKernelTest, PackedScalesArePaddedToWholeGroups) {
  const std::vector<float> slope = {0.5f, -1.0f, 2.0f};
  const std::vector<float> packed = pack_qs8_vprelu_scales(3, slope.data(), 0.5f, 0.25f);
  ASSERT_EQ(packed.size(), kQs8VpreluChannelGroup);
  EXPECT_EQ(packed[0], requantization_scale(0.5f, 0.5f, 0.25f));
  EXPECT_EQ(packed[1], requantization_scale(0.5f, -1.0f, 0.25f));
  for (size_t c = 3; c < packed.size(); ++c) EXPECT_EQ(packed[c], 0.0f);
}

}  // namespace
}  // namespace fu::nn::kernels
