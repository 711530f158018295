// Every qs8 PReLU micro-kernel of the family list against the int8 reference
// (reference::qs8_prelu, the one scalar definition), byte for byte: channel counts around the 8-
// and 16-channel tiles, several pixels, zero points and clamps at the ends, slopes of both signs,
// zero and above one, buffers ending at an inaccessible page, and the output aliasing the input.
#include <gtest/gtest.h>

#include <cstdint>
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
