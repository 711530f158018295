// DepthwiseConv2dOperator (own SIMD) against reference::depthwise_conv2d on random data.
#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <vector>

#include "base/error.h"
#include "nn/operators/depthwise_conv2d.h"
#include "nn/operators/test_util.h"
#include "nn/reference/reference.h"

namespace fu::nn {
namespace {

using testing::abs_vector;
using testing::expect_close;
using testing::random_vector;

struct DwCase {
  int channels, kh, kw, stride, dilation, batch, in_h, in_w;
  Padding2d padding;
  Activation activation;
  bool with_bias;
};

std::ostream& operator<<(std::ostream& os, const DwCase& c) {
  return os << c.batch << "x" << c.in_h << "x" << c.in_w << "x" << c.channels << " k" << c.kh << "x"
            << c.kw << " s" << c.stride << " d" << c.dilation << " pad " << c.padding.top << ","
            << c.padding.bottom << "," << c.padding.left << "," << c.padding.right;
}

class DepthwiseConv2dOperatorTest : public ::testing::TestWithParam<DwCase> {};

TEST_P(DepthwiseConv2dOperatorTest, MatchesReference) {
  const DwCase& c = GetParam();
  DepthwiseConv2dParams p;
  p.window.kernel_h = c.kh;
  p.window.kernel_w = c.kw;
  p.window.stride_h = p.window.stride_w = c.stride;
  p.window.dilation_h = p.window.dilation_w = c.dilation;
  p.window.padding = c.padding;
  p.channels = c.channels;
  const auto filter = random_vector(static_cast<size_t>(c.kh) * c.kw * c.channels, 11);
  const auto bias = random_vector(c.channels, 12);
  const auto input = random_vector(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels, 13);
  const float* b = c.with_bias ? bias.data() : nullptr;
  const int out_h =
      window_output_size(c.in_h, c.padding.top, c.padding.bottom, c.kh, c.stride, c.dilation);
  const int out_w =
      window_output_size(c.in_w, c.padding.left, c.padding.right, c.kw, c.stride, c.dilation);
  const size_t out_size = static_cast<size_t>(c.batch) * out_h * out_w * c.channels;
  std::vector<float> actual(out_size, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> expected(out_size), magnitude(out_size);
  DepthwiseConv2dOperator op(p, filter.data(), b, c.activation);
  op.run(input.data(), c.batch, c.in_h, c.in_w, actual.data());
  reference::depthwise_conv2d(p, filter.data(), b, c.activation, input.data(), c.batch, c.in_h,
                              c.in_w, expected.data());
  const auto abs_bias = abs_vector(bias);
  reference::depthwise_conv2d(p, abs_vector(filter).data(), c.with_bias ? abs_bias.data() : nullptr,
                              Activation{}, abs_vector(input).data(), c.batch, c.in_h, c.in_w,
                              magnitude.data());
  expect_close(actual, expected, magnitude);
}

constexpr Activation kNone{};
constexpr Activation kRelu6{0.0f, 6.0f};
constexpr Padding2d kNoPad{};
constexpr Padding2d kPad1{1, 1, 1, 1};
constexpr Padding2d kPad2{2, 2, 2, 2};

INSTANTIATE_TEST_SUITE_P(
    Shapes, DepthwiseConv2dOperatorTest,
    ::testing::Values(DwCase{1, 3, 3, 1, 1, 1, 5, 5, kPad1, kNone, true},
                      DwCase{3, 3, 3, 2, 1, 1, 7, 9, kPad1, kRelu6, true},
                      DwCase{5, 3, 3, 1, 1, 2, 6, 5, Padding2d{0, 1, 0, 1}, kNone, false},
                      DwCase{8, 5, 5, 1, 1, 1, 9, 9, kPad2, kNone, true},
                      DwCase{13, 5, 5, 2, 1, 1, 11, 10, Padding2d{1, 2, 2, 1}, kRelu6, true},
                      DwCase{64, 3, 3, 2, 1, 1, 9, 9, kPad1, kNone, true},
                      DwCase{12, 3, 3, 1, 1, 1, 8, 8, kPad1, kNone, true},
                      DwCase{20, 3, 3, 1, 2, 1, 9, 9, kPad2, kNone, true},
                      DwCase{7, 7, 7, 1, 1, 1, 9, 8, Padding2d{3, 3, 3, 3}, kNone, true},
                      DwCase{9, 1, 1, 1, 1, 2, 3, 3, kNoPad, kRelu6, true},
                      DwCase{6, 3, 1, 1, 1, 1, 4, 5, kNoPad, kNone, true}));

TEST(DepthwiseConv2dOperatorErrorTest, RejectsBadParameters) {
  DepthwiseConv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.channels = 0;
  const std::vector<float> filter(9, 1.0f);
  EXPECT_THROW(DepthwiseConv2dOperator(p, filter.data(), nullptr, Activation{}), Error);
  p.channels = 1;
  p.window.dilation_h = 0;
  EXPECT_THROW(DepthwiseConv2dOperator(p, filter.data(), nullptr, Activation{}), Error);
}

}  // namespace
}  // namespace fu::nn
