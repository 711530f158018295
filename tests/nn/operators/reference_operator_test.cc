// The reference operators checked against arithmetic done by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "base/error.h"
#include "nn/reference/reference.h"

namespace fu::nn {
namespace {

// Float equality within 4 ulps, element by element (hand-computed values are exact or nearly).
void expect_floats(const std::vector<float>& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_FLOAT_EQ(actual[i], expected[i]) << "at " << i;
}

constexpr Activation kNone{};

std::vector<float> iota(int n, float start = 1.0f) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = start + i;
  return v;
}

TEST(ReferenceOperatorTest, Conv2d3x3On4x4ValidUsesFilterOrientation) {
  // Input rows 1..4, 5..8, 9..12, 13..16; filter 1 at the top-left tap, 2 at the bottom-right:
  // out(y, x) = in(y, x) + 2 * in(y + 2, x + 2) + bias.
  Conv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.in_channels = p.out_channels = 1;
  const std::vector<float> filter = {1, 0, 0, 0, 0, 0, 0, 0, 2};
  const float bias = 0.5f;
  std::vector<float> out(4);
  reference::conv2d(p, filter.data(), &bias, kNone, iota(16).data(), 1, 4, 4, out.data());
  expect_floats(out, {1 + 22 + 0.5f, 2 + 24 + 0.5f, 5 + 30 + 0.5f, 6 + 32 + 0.5f});
}

TEST(ReferenceOperatorTest, Conv2d3x3PaddedStride2SumsOnlyInsideTaps) {
  Conv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.window.stride_h = p.window.stride_w = 2;
  p.window.padding = {1, 1, 1, 1};
  p.in_channels = p.out_channels = 1;
  const std::vector<float> filter(9, 1.0f);
  std::vector<float> out(4);
  reference::conv2d(p, filter.data(), nullptr, kNone, iota(16).data(), 1, 4, 4, out.data());
  // Windows centred on (0,0), (0,2), (2,0), (2,2).
  expect_floats(out, {1 + 2 + 5 + 6, 2 + 3 + 4 + 6 + 7 + 8, 5 + 6 + 9 + 10 + 13 + 14,
                      6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16});
}

TEST(ReferenceOperatorTest, Conv2dDilation2SkipsPixels) {
  Conv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 2;
  p.window.dilation_h = p.window.dilation_w = 2;
  p.in_channels = p.out_channels = 1;
  const std::vector<float> filter = {1, 10, 100, 1000};
  std::vector<float> out(4);
  reference::conv2d(p, filter.data(), nullptr, kNone, iota(16).data(), 1, 4, 4, out.data());
  // out(0,0) = in(0,0) + 10 in(0,2) + 100 in(2,0) + 1000 in(2,2) = 1 + 30 + 900 + 11000.
  expect_floats(out, {11931, 13042, 16375, 17486});
}

TEST(ReferenceOperatorTest, Conv2d1x1ChannelsAreOhwiAndActivationClamps) {
  Conv2dParams p;
  p.in_channels = 2;
  p.out_channels = 2;
  const std::vector<float> filter = {3, 4, -1, 1};  // out0 = 3 a + 4 b, out1 = -a + b.
  const std::vector<float> input = {1, 2, 5, -3};   // Two pixels.
  std::vector<float> out(4);
  reference::conv2d(p, filter.data(), nullptr, Activation{0.0f, 6.0f}, input.data(), 1, 1, 2,
                    out.data());
  expect_floats(out, {6, 1, 3, 0});  // 11 -> 6; 1; 15 - 12 = 3; -8 -> 0.
}

TEST(ReferenceOperatorTest, Conv2dBatchAndOutputChannels) {
  Conv2dParams p;
  p.window.kernel_h = 1;
  p.window.kernel_w = 2;
  p.in_channels = 1;
  p.out_channels = 2;
  const std::vector<float> filter = {1, 1, 1, -1};  // [out][1][2][1]
  const std::vector<float> bias = {0, 100};
  const std::vector<float> input = {1, 2, 3, 4, 5, 6};  // batch 2, 1x3.
  std::vector<float> out(8);
  reference::conv2d(p, filter.data(), bias.data(), kNone, input.data(), 2, 1, 3, out.data());
  expect_floats(out, {3, 99, 5, 99, 9, 99, 11, 99});
}

TEST(ReferenceOperatorTest, DepthwiseConv2dSamePaddingPerChannel) {
  DepthwiseConv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.window.padding = {1, 1, 1, 1};
  p.channels = 2;
  // Channel 0: all ones (neighbourhood sum). Channel 1: centre tap 2.
  std::vector<float> filter(18, 0.0f);
  for (int t = 0; t < 9; ++t) filter[t * 2] = 1.0f;
  filter[4 * 2 + 1] = 2.0f;
  std::vector<float> input(18);
  for (int i = 0; i < 9; ++i) {
    input[i * 2] = i + 1;
    input[i * 2 + 1] = 10 * (i + 1);
  }
  const std::vector<float> bias = {0, 1};
  std::vector<float> out(18);
  reference::depthwise_conv2d(p, filter.data(), bias.data(), kNone, input.data(), 1, 3, 3,
                              out.data());
  EXPECT_FLOAT_EQ(out[0], 1 + 2 + 4 + 5);              // Corner.
  EXPECT_FLOAT_EQ(out[1 * 2], 1 + 2 + 3 + 4 + 5 + 6);  // Top edge.
  EXPECT_FLOAT_EQ(out[4 * 2], 45);                     // Centre.
  for (int i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(out[i * 2 + 1], 20 * (i + 1) + 1);
}

TEST(ReferenceOperatorTest, FullyConnected) {
  FullyConnectedParams p{3, 2};
  const std::vector<float> filter = {1, 2, 3, 4, 5, 6};
  const std::vector<float> bias = {0.5f, -1};
  const std::vector<float> input = {1, 1, 2, 0, -1, 0};
  std::vector<float> out(4);
  reference::fully_connected(p, filter.data(), bias.data(), kNone, input.data(), 2, out.data());
  expect_floats(out, {9.5f, 20, -1.5f, -6});
}

TEST(ReferenceOperatorTest, MaxAndAvgPool2x2Stride2) {
  Pool2dParams p;
  p.window.kernel_h = p.window.kernel_w = 2;
  p.window.stride_h = p.window.stride_w = 2;
  std::vector<float> out(4);
  reference::max_pool2d(p, iota(16).data(), 1, 4, 4, 1, out.data());
  expect_floats(out, {6, 8, 14, 16});
  reference::avg_pool2d(p, iota(16).data(), 1, 4, 4, 1, out.data());
  expect_floats(out, {3.5f, 5.5f, 11.5f, 13.5f});
}

TEST(ReferenceOperatorTest, PaddedPoolingIgnoresPadding) {
  Pool2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.window.padding = {1, 1, 1, 1};
  const std::vector<float> input = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
  std::vector<float> out(9);
  reference::max_pool2d(p, input.data(), 1, 3, 3, 1, out.data());
  EXPECT_FLOAT_EQ(out[0], -1);  // A zero from padding would win if it counted.
  EXPECT_FLOAT_EQ(out[8], -5);
  reference::avg_pool2d(p, input.data(), 1, 3, 3, 1, out.data());
  EXPECT_FLOAT_EQ(out[0], -(1 + 2 + 4 + 5) / 4.0f);
  EXPECT_FLOAT_EQ(out[1], -(1 + 2 + 3 + 4 + 5 + 6) / 6.0f);
  EXPECT_FLOAT_EQ(out[4], -5);
}

TEST(ReferenceOperatorTest, GlobalAvgPool) {
  std::vector<float> out(4);
  // Batch 2, 2x1 pixels, 2 channels.
  reference::global_avg_pool(iota(8).data(), 2, 2, 1, 2, out.data());
  expect_floats(out, {2, 3, 6, 7});
}

TEST(ReferenceOperatorTest, ElementwiseOps) {
  const std::vector<float> a = {-2, 3, 8};
  const std::vector<float> b = {1, 1, 1};
  std::vector<float> out(3);
  reference::add(Activation{0, 6}, a.data(), b.data(), 3, out.data());
  expect_floats(out, {0, 4, 6});
  reference::clamp(Activation{0, std::numeric_limits<float>::infinity()}, a.data(), 3, out.data());
  expect_floats(out, {0, 3, 8});
  const std::vector<float> slope = {0.5f, 0.25f, 2};
  reference::prelu(slope.data(), a.data(), 1, 3, out.data());
  expect_floats(out, {-1, 3, 8});
  const std::vector<float> scale = {2, 3};
  const std::vector<float> bias = {1, -1};
  const std::vector<float> x = {1, 2, 3, 4};  // Two pixels, two channels.
  std::vector<float> y(4);
  reference::scale_bias(kNone, scale.data(), bias.data(), x.data(), 2, 2, y.data());
  expect_floats(y, {3, 5, 7, 11});
}

TEST(ReferenceOperatorTest, L2Normalize) {
  const std::vector<float> x = {3, 4, 0, 0};
  std::vector<float> y(4);
  reference::l2_normalize(1e-6f, x.data(), 2, 2, y.data());
  expect_floats(y, {0.6f, 0.8f, 0, 0});
  // A tiny vector is divided by sqrt(eps), not blown up.
  const std::vector<float> tiny = {1e-4f, 0};
  reference::l2_normalize(1.0f, tiny.data(), 1, 2, y.data());
  EXPECT_FLOAT_EQ(y[0], 1e-4f);
}

TEST(ReferenceOperatorTest, PadSpatialAndChannels) {
  PadParams p;
  p.spatial = {1, 0, 0, 1};  // top 1, right 1
  p.channels_before = 1;
  p.value = -1;
  const std::vector<float> input = {5};
  std::vector<float> out(8);
  reference::pad(p, input.data(), 1, 1, 1, 1, out.data());
  // [2 rows][2 cols][2 channels]: only row 1, col 0, channel 1 holds the input.
  expect_floats(out, {-1, -1, -1, -1, -1, 5, -1, -1});
}

TEST(ReferenceOperatorTest, ConcatChannels) {
  const std::vector<float> a = {1, 2, 3, 4};  // 2 pixels x 2 channels
  const std::vector<float> b = {5, 6};        // 2 pixels x 1 channel
  const float* inputs[] = {a.data(), b.data()};
  const int channels[] = {2, 1};
  std::vector<float> out(6);
  reference::concat_channels(2, inputs, channels, 2, out.data());
  expect_floats(out, {1, 2, 5, 3, 4, 6});
}

TEST(ReferenceOperatorTest, RejectsWindowThatDoesNotFit) {
  Conv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 5;
  p.in_channels = p.out_channels = 1;
  const std::vector<float> filter(25, 1.0f);
  std::vector<float> out(1);
  EXPECT_THROW(
      reference::conv2d(p, filter.data(), nullptr, kNone, iota(16).data(), 1, 4, 4, out.data()),
      Error);
}

}  // namespace
}  // namespace fu::nn
