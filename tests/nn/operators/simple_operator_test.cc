// The own SIMD element-wise, pooling and layout operators against their references on random
// data, across channel counts that exercise the 4-lane tails.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "nn/operators/elementwise.h"
#include "nn/operators/layout.h"
#include "nn/operators/pooling.h"
#include "nn/operators/test_util.h"
#include "nn/reference/reference.h"

namespace fu::nn {
namespace {

using testing::abs_vector;
using testing::expect_close;
using testing::random_vector;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr Activation kNone{};
constexpr Activation kRelu6{0.0f, 6.0f};
const int kChannelCounts[] = {1, 3, 5, 8, 13, 64};

TEST(ElementwiseOperatorTest, AddAndClampMatchReference) {
  for (size_t count : {1, 3, 4, 7, 64, 1001}) {
    for (Activation act : {kNone, Activation{-0.5f, 0.25f}}) {
      const auto a = random_vector(count, 31, -2, 2);
      const auto b = random_vector(count, 32, -2, 2);
      std::vector<float> actual(count, kNaN), expected(count);
      add(act, a.data(), b.data(), count, actual.data());
      reference::add(act, a.data(), b.data(), count, expected.data());
      expect_close(actual, expected);
      clamp(act, a.data(), count, actual.data());
      reference::clamp(act, a.data(), count, expected.data());
      expect_close(actual, expected);
    }
  }
}

TEST(ElementwiseOperatorTest, ScaleBiasPreluL2NormalizeMatchReference) {
  for (int channels : kChannelCounts) {
    const int pixels = 7;
    const size_t n = static_cast<size_t>(pixels) * channels;
    const auto x = random_vector(n, 33, -3, 3);
    const auto scale = random_vector(channels, 34);
    const auto bias = random_vector(channels, 35);
    std::vector<float> actual(n, kNaN), expected(n);
    scale_bias(kRelu6, scale.data(), bias.data(), x.data(), pixels, channels, actual.data());
    reference::scale_bias(kRelu6, scale.data(), bias.data(), x.data(), pixels, channels,
                          expected.data());
    expect_close(actual, expected);
    prelu(scale.data(), x.data(), pixels, channels, actual.data());
    reference::prelu(scale.data(), x.data(), pixels, channels, expected.data());
    expect_close(actual, expected);
    l2_normalize(1e-12f, x.data(), pixels, channels, actual.data());
    reference::l2_normalize(1e-12f, x.data(), pixels, channels, expected.data());
    expect_close(actual, expected);
    // In place.
    std::vector<float> inplace = x;
    l2_normalize(1e-12f, inplace.data(), pixels, channels, inplace.data());
    expect_close(inplace, expected);
  }
}

struct PoolCase {
  int kernel, stride, in_h, in_w;
  Padding2d padding;
  int dilation = 1;
};

TEST(PoolingOperatorTest, MaxAndAvgMatchReference) {
  // Windows inside the input and across its borders, dilated ones among them: the max pool takes
  // a path of its own for windows wholly inside (16 channels at a time, then 4).
  const PoolCase cases[] = {{2, 2, 8, 8, {}},
                            {3, 2, 9, 7, {1, 1, 1, 1}},
                            {3, 1, 5, 6, {0, 2, 1, 0}},
                            {5, 2, 11, 9, {2, 1, 2, 2}},
                            {7, 1, 7, 7, {3, 3, 3, 3}},
                            {3, 2, 11, 10, {}, 2},
                            {2, 1, 7, 6, {1, 0, 0, 1}, 3}};
  std::vector<int> channel_counts(std::begin(kChannelCounts), std::end(kChannelCounts));
  channel_counts.push_back(20);  // one walk of 16 channels and one of 4
  for (const PoolCase& pc : cases) {
    for (int channels : channel_counts) {
      Pool2dParams p;
      p.window.kernel_h = p.window.kernel_w = pc.kernel;
      p.window.stride_h = p.window.stride_w = pc.stride;
      p.window.dilation_h = p.window.dilation_w = pc.dilation;
      p.window.padding = pc.padding;
      const int batch = 2;
      const int out_h = window_output_size(pc.in_h, pc.padding.top, pc.padding.bottom, pc.kernel,
                                           pc.stride, pc.dilation);
      const int out_w = window_output_size(pc.in_w, pc.padding.left, pc.padding.right, pc.kernel,
                                           pc.stride, pc.dilation);
      const auto x = random_vector(static_cast<size_t>(batch) * pc.in_h * pc.in_w * channels, 36);
      const size_t n = static_cast<size_t>(batch) * out_h * out_w * channels;
      std::vector<float> actual(n, kNaN), expected(n), magnitude(n);
      max_pool2d(p, x.data(), batch, pc.in_h, pc.in_w, channels, actual.data());
      reference::max_pool2d(p, x.data(), batch, pc.in_h, pc.in_w, channels, expected.data());
      expect_close(actual, expected);
      std::fill(actual.begin(), actual.end(), kNaN);
      avg_pool2d(p, x.data(), batch, pc.in_h, pc.in_w, channels, actual.data());
      reference::avg_pool2d(p, x.data(), batch, pc.in_h, pc.in_w, channels, expected.data());
      reference::avg_pool2d(p, abs_vector(x).data(), batch, pc.in_h, pc.in_w, channels,
                            magnitude.data());
      expect_close(actual, expected, magnitude);
    }
  }
}

TEST(PoolingOperatorTest, WindowEntirelyInPaddingGivesZero) {
  Pool2dParams p;
  p.window.kernel_h = p.window.kernel_w = 1;
  p.window.padding = {1, 0, 0, 0};
  const std::vector<float> x = {-5, 7};
  std::vector<float> actual(4, kNaN), expected(4);
  max_pool2d(p, x.data(), 1, 1, 2, 1, actual.data());
  reference::max_pool2d(p, x.data(), 1, 1, 2, 1, expected.data());
  expect_close(actual, expected);
  EXPECT_EQ(actual[0], 0.0f);
}

TEST(PoolingOperatorTest, GlobalAvgPoolMatchesReference) {
  for (int channels : kChannelCounts) {
    const int batch = 2, h = 7, w = 5;
    const auto x = random_vector(static_cast<size_t>(batch) * h * w * channels, 37);
    std::vector<float> actual(batch * channels, kNaN), expected(batch * channels),
        magnitude(batch * channels);
    global_avg_pool(x.data(), batch, h, w, channels, actual.data());
    reference::global_avg_pool(x.data(), batch, h, w, channels, expected.data());
    reference::global_avg_pool(abs_vector(x).data(), batch, h, w, channels, magnitude.data());
    expect_close(actual, expected, magnitude);
  }
}

TEST(LayoutOperatorTest, PadMatchesReference) {
  PadParams cases[3];
  cases[0].spatial = {1, 2, 0, 3};
  cases[1].spatial = {0, 1, 1, 0};
  cases[1].channels_before = 2;
  cases[1].channels_after = 1;
  cases[1].value = -7.0f;
  cases[2].channels_after = 3;
  for (const PadParams& p : cases) {
    for (int channels : kChannelCounts) {
      const int batch = 2, h = 3, w = 4;
      const int out_h = p.spatial.top + h + p.spatial.bottom;
      const int out_w = p.spatial.left + w + p.spatial.right;
      const int out_c = p.channels_before + channels + p.channels_after;
      const auto x = random_vector(static_cast<size_t>(batch) * h * w * channels, 38);
      const size_t n = static_cast<size_t>(batch) * out_h * out_w * out_c;
      std::vector<float> actual(n, kNaN), expected(n);
      pad(p, x.data(), batch, h, w, channels, actual.data());
      reference::pad(p, x.data(), batch, h, w, channels, expected.data());
      EXPECT_EQ(actual, expected);
    }
  }
}

TEST(LayoutOperatorTest, ConcatChannelsMatchesReference) {
  const int channels[] = {1, 3, 5, 8};
  const int pixels = 6;
  std::vector<std::vector<float>> data;
  std::vector<const float*> inputs;
  int total = 0;
  for (int i = 0; i < 4; ++i) {
    data.push_back(random_vector(static_cast<size_t>(pixels) * channels[i], 40 + i));
    total += channels[i];
  }
  for (const auto& d : data) inputs.push_back(d.data());
  std::vector<float> actual(pixels * total, kNaN), expected(pixels * total);
  concat_channels(4, inputs.data(), channels, pixels, actual.data());
  reference::concat_channels(4, inputs.data(), channels, pixels, expected.data());
  EXPECT_EQ(actual, expected);
}

}  // namespace
}  // namespace fu::nn
