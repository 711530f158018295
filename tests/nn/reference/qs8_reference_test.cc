// The int8 reference operators against the float reference operators run on the dequantised
// inputs and weights: every int8 output must lie within one step of the output grid of the exact
// float result (the only differences are the float32 requantisation multiply and its rounding).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "base/error.h"
#include "nn/kernels/requantization.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn {
namespace {

struct Qs8Tensor {
  std::vector<int8_t> q;
  QuantParams quant;

  std::vector<float> real() const {
    std::vector<float> r(q.size());
    reference::dequantize(quant, q.data(), q.size(), r.data());
    return r;
  }
};

Qs8Tensor random_qs8(size_t n, unsigned seed, QuantParams quant) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-128, 127);
  Qs8Tensor t{std::vector<int8_t>(n), quant};
  for (int8_t& v : t.q) v = static_cast<int8_t>(dist(rng));
  return t;
}

struct Qs8Filter {
  std::vector<int8_t> q;
  std::vector<float> scales;
  std::vector<int32_t> bias;
};

// Values in -127..127, one scale and one int32 bias per channel.
Qs8Filter random_filter(size_t n, int channels, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(-127, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.02f);
  std::uniform_int_distribution<int> bias(-5000, 5000);
  Qs8Filter f;
  for (size_t i = 0; i < n; ++i) f.q.push_back(static_cast<int8_t>(level(rng)));
  for (int c = 0; c < channels; ++c) {
    f.scales.push_back(scale(rng));
    f.bias.push_back(bias(rng));
  }
  return f;
}

template <typename ChannelOf>
std::vector<float> real_filter(const Qs8Filter& f, ChannelOf channel_of) {
  std::vector<float> r(f.q.size());
  for (size_t i = 0; i < r.size(); ++i) r[i] = f.scales[channel_of(i)] * f.q[i];
  return r;
}

std::vector<float> real_bias(const Qs8Filter& f, float input_scale) {
  std::vector<float> r(f.bias.size());
  for (size_t c = 0; c < r.size(); ++c) {
    r[c] = static_cast<float>(static_cast<double>(f.bias[c]) * input_scale * f.scales[c]);
  }
  return r;
}

// Every int8 output within one step of the float result on the output grid (after the clamp),
// and at least 95% of them exactly the nearest level.
void expect_within_one_step(const std::vector<int8_t>& actual, const std::vector<float>& real,
                            QuantParams out, int qmin = -128, int qmax = 127) {
  ASSERT_EQ(actual.size(), real.size());
  int far = 0;
  int exact = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double ideal = std::min<double>(
        qmax, std::max<double>(qmin, real[i] / static_cast<double>(out.scale) + out.zero_point));
    const double error = std::fabs(actual[i] - ideal);
    if (error > 1.0 && far++ < 5) {
      ADD_FAILURE() << "element " << i << ": int8 " << int{actual[i]}
                    << ", float result on the grid " << ideal;
    }
    if (std::lround(ideal) == actual[i] || error <= 0.5) ++exact;
  }
  EXPECT_EQ(far, 0);
  EXPECT_GE(exact, static_cast<int>(0.95 * actual.size()));
}

TEST(Qs8Reference, RequantizeRoundsHalfToEvenAndClamps) {
  EXPECT_EQ(kernels::requantize_fp32(5, 0.5f, 0, -128, 127), 2);    // 2.5 -> 2
  EXPECT_EQ(kernels::requantize_fp32(7, 0.5f, 0, -128, 127), 4);    // 3.5 -> 4
  EXPECT_EQ(kernels::requantize_fp32(-5, 0.5f, 0, -128, 127), -2);  // -2.5 -> -2
  EXPECT_EQ(kernels::requantize_fp32(10, 1.0f, 3, -128, 127), 13);
  EXPECT_EQ(kernels::requantize_fp32(1000000, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(kernels::requantize_fp32(-1000000, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(kernels::requantize_fp32(-50, 1.0f, -10, -10, 100), -10);  // a fused ReLU
}

TEST(Qs8Reference, QuantizeThenDequantizeIsWithinHalfAStep) {
  const QuantParams q{0.05f, -7};
  std::vector<float> x;
  for (int i = -200; i <= 200; ++i) x.push_back(i * 0.0173f);
  std::vector<int8_t> levels(x.size());
  reference::quantize(q, x.data(), x.size(), levels.data());
  std::vector<float> back(x.size());
  reference::dequantize(q, levels.data(), x.size(), back.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const float lo = q.scale * (-128 - q.zero_point);
    const float hi = q.scale * (127 - q.zero_point);
    const float clamped = std::min(hi, std::max(lo, x[i]));
    EXPECT_LE(std::fabs(back[i] - clamped), 0.5f * q.scale + 1e-6f) << x[i];
  }
  const float nan = std::nanf("");
  int8_t level = 0;
  reference::quantize(q, &nan, 1, &level);
  EXPECT_EQ(level, -7);
}

TEST(Qs8Reference, Conv2dMatchesFloatWithinOneStep) {
  Conv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.window.stride_h = p.window.stride_w = 2;
  p.window.padding = {1, 1, 1, 1};
  p.in_channels = 5;
  p.out_channels = 7;
  const int h = 9, w = 8, out_h = 5, out_w = 4;
  const Qs8Tensor in = random_qs8(2 * h * w * 5, 1, {0.03f, 11});
  auto channel_of = [&](size_t i) { return static_cast<int>(i / (9 * 5)); };
  const Qs8Filter f = random_filter(7 * 9 * 5, 7, 2);
  const QuantParams out{0.15f, -20};
  std::vector<int8_t> q(2 * out_h * out_w * 7);
  reference::qs8_conv2d(p, f.q.data(), f.scales.data(), f.bias.data(), in.quant, out, -128, 127,
                        in.q.data(), 2, h, w, q.data());
  std::vector<float> real(q.size());
  reference::conv2d(p, real_filter(f, channel_of).data(), real_bias(f, in.quant.scale).data(), {},
                    in.real().data(), 2, h, w, real.data());
  expect_within_one_step(q, real, out);
}

TEST(Qs8Reference, Conv2dFusedReluClampsOnTheGrid) {
  Conv2dParams p;
  p.in_channels = 4;
  p.out_channels = 3;
  const Qs8Tensor in = random_qs8(6 * 4, 3, {0.05f, 0});
  auto channel_of = [&](size_t i) { return static_cast<int>(i / 4); };
  const Qs8Filter f = random_filter(3 * 4, 3, 4);
  const QuantParams out{0.02f, -100};  // real 0 is level -100
  std::vector<int8_t> q(6 * 3);
  reference::qs8_conv2d(p, f.q.data(), f.scales.data(), f.bias.data(), in.quant, out, -100, 127,
                        in.q.data(), 1, 2, 3, q.data());
  Activation relu;
  relu.min = 0.0f;
  std::vector<float> real(q.size());
  reference::conv2d(p, real_filter(f, channel_of).data(), real_bias(f, in.quant.scale).data(), relu,
                    in.real().data(), 1, 2, 3, real.data());
  expect_within_one_step(q, real, out, -100, 127);
  for (int8_t v : q) EXPECT_GE(v, -100);
}

TEST(Qs8Reference, DepthwiseConv2dMatchesFloatWithinOneStep) {
  DepthwiseConv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.window.padding = {1, 1, 1, 1};
  p.channels = 6;
  const int h = 7, w = 5;
  const Qs8Tensor in = random_qs8(h * w * 6, 5, {0.04f, -3});
  auto channel_of = [&](size_t i) { return static_cast<int>(i % 6); };
  const Qs8Filter f = random_filter(9 * 6, 6, 6);
  const QuantParams out{0.05f, 4};
  std::vector<int8_t> q(h * w * 6);
  reference::qs8_depthwise_conv2d(p, f.q.data(), f.scales.data(), f.bias.data(), in.quant, out,
                                  -128, 127, in.q.data(), 1, h, w, q.data());
  std::vector<float> real(q.size());
  reference::depthwise_conv2d(p, real_filter(f, channel_of).data(),
                              real_bias(f, in.quant.scale).data(), {}, in.real().data(), 1, h, w,
                              real.data());
  expect_within_one_step(q, real, out);
}

TEST(Qs8Reference, FullyConnectedMatchesFloatWithinOneStep) {
  FullyConnectedParams p;
  p.in_features = 40;
  p.out_features = 9;
  const Qs8Tensor in = random_qs8(3 * 40, 7, {0.02f, 30});
  auto channel_of = [&](size_t i) { return static_cast<int>(i / 40); };
  const Qs8Filter f = random_filter(9 * 40, 9, 8);
  const QuantParams out{0.1f, 0};
  std::vector<int8_t> q(3 * 9);
  reference::qs8_fully_connected(p, f.q.data(), f.scales.data(), f.bias.data(), in.quant, out, -128,
                                 127, in.q.data(), 3, q.data());
  std::vector<float> real(q.size());
  reference::fully_connected(p, real_filter(f, channel_of).data(),
                             real_bias(f, in.quant.scale).data(), {}, in.real().data(), 3,
                             real.data());
  expect_within_one_step(q, real, out);
}

TEST(Qs8Reference, AddMatchesFloatWithinOneStep) {
  const Qs8Tensor a = random_qs8(500, 9, {0.03f, 5});
  const Qs8Tensor b = random_qs8(500, 10, {0.07f, -12});
  const QuantParams out{0.09f, 2};
  std::vector<int8_t> q(500);
  reference::qs8_add(a.quant, b.quant, out, -128, 127, a.q.data(), b.q.data(), 500, q.data());
  std::vector<float> real(500);
  reference::add({}, a.real().data(), b.real().data(), 500, real.data());
  expect_within_one_step(q, real, out);
}

TEST(Qs8Reference, PoolingMatchesFloatWithinOneStep) {
  Pool2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.window.stride_h = p.window.stride_w = 2;
  p.window.padding = {1, 1, 1, 1};
  const int h = 7, w = 6, c = 5, out_h = 4, out_w = 3;
  const Qs8Tensor in = random_qs8(h * w * c, 11, {0.05f, -9});
  std::vector<int8_t> q(out_h * out_w * c);
  std::vector<float> real(q.size());

  reference::qs8_max_pool2d(p, in.quant, in.q.data(), 1, h, w, c, q.data());
  reference::max_pool2d(p, in.real().data(), 1, h, w, c, real.data());
  expect_within_one_step(q, real, in.quant);  // the same grid: exact
  for (size_t i = 0; i < q.size(); ++i) {
    EXPECT_FLOAT_EQ(in.quant.scale * (q[i] - in.quant.zero_point), real[i]);
  }

  const QuantParams out{0.03f, 1};
  reference::qs8_avg_pool2d(p, in.quant, out, -128, 127, in.q.data(), 1, h, w, c, q.data());
  reference::avg_pool2d(p, in.real().data(), 1, h, w, c, real.data());
  expect_within_one_step(q, real, out);

  std::vector<int8_t> g(c);
  std::vector<float> greal(c);
  reference::qs8_global_avg_pool(in.quant, out, -128, 127, in.q.data(), 1, h, w, c, g.data());
  reference::global_avg_pool(in.real().data(), 1, h, w, c, greal.data());
  expect_within_one_step(g, greal, out);
}

TEST(Qs8Reference, PReluMatchesFloatWithinOneStep) {
  const int pixels = 30, channels = 5;
  const Qs8Tensor in = random_qs8(pixels * channels, 13, {0.04f, 6});
  const std::vector<float> slope = {0.25f, -0.1f, 0.0f, 1.5f, 0.01f};
  const QuantParams out{0.03f, -40};
  std::vector<int8_t> q(pixels * channels);
  reference::qs8_prelu(slope.data(), in.quant, out, -128, 127, in.q.data(), pixels, channels,
                       q.data());
  std::vector<float> real(q.size());
  reference::prelu(slope.data(), in.real().data(), pixels, channels, real.data());
  expect_within_one_step(q, real, out);
}

TEST(Qs8Reference, BadQuantisationIsAClearError) {
  const std::vector<int8_t> x(4, 0);
  std::vector<int8_t> y(4);
  try {
    reference::qs8_add({0.0f, 0}, {1.0f, 0}, {1.0f, 0}, -128, 127, x.data(), x.data(), 4, y.data());
    FAIL() << "a zero scale was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("scale > 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(reference::quantize({1.0f, 300}, nullptr, 0, y.data()), Error);
}

}  // namespace
}  // namespace fu::nn
