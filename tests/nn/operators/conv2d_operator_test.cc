// Conv2dOperator (own SIMD) against reference::conv2d on random data.
#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <vector>

#include "base/error.h"
#include "nn/operators/conv2d.h"
#include "nn/operators/test_util.h"
#include "nn/reference/reference.h"

namespace fu::nn {
namespace {

using testing::abs_vector;
using testing::expect_close;
using testing::random_vector;

constexpr float kInf = std::numeric_limits<float>::infinity();

struct ConvCase {
  int in_c, out_c, kh, kw, stride_h, stride_w, dilation, batch, in_h, in_w;
  Padding2d padding;
  Activation activation;
  bool with_bias;
};

std::ostream& operator<<(std::ostream& os, const ConvCase& c) {
  return os << c.batch << "x" << c.in_h << "x" << c.in_w << "x" << c.in_c << " -> " << c.out_c
            << " k" << c.kh << "x" << c.kw << " s" << c.stride_h << "x" << c.stride_w << " d"
            << c.dilation << " pad " << c.padding.top << "," << c.padding.bottom << ","
            << c.padding.left << "," << c.padding.right << " act " << c.activation.min << ".."
            << c.activation.max << (c.with_bias ? " bias" : " no bias");
}

Conv2dParams params_of(const ConvCase& c) {
  Conv2dParams p;
  p.window.kernel_h = c.kh;
  p.window.kernel_w = c.kw;
  p.window.stride_h = c.stride_h;
  p.window.stride_w = c.stride_w;
  p.window.dilation_h = p.window.dilation_w = c.dilation;
  p.window.padding = c.padding;
  p.in_channels = c.in_c;
  p.out_channels = c.out_c;
  return p;
}

class Conv2dOperatorTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dOperatorTest, MatchesReference) {
  const ConvCase& c = GetParam();
  const Conv2dParams p = params_of(c);
  const auto filter = random_vector(static_cast<size_t>(c.out_c) * c.kh * c.kw * c.in_c, 1);
  const auto bias = random_vector(c.out_c, 2);
  const auto input = random_vector(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 3);
  const float* b = c.with_bias ? bias.data() : nullptr;
  Conv2dOperator op(p, filter.data(), b, c.activation);
  const int out_h = op.output_height(c.in_h);
  const int out_w = op.output_width(c.in_w);
  const size_t out_size = static_cast<size_t>(c.batch) * out_h * out_w * c.out_c;
  // Poisoned output so that unwritten elements fail.
  std::vector<float> actual(out_size, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> expected(out_size);
  std::vector<float> magnitude(out_size);
  op.run(input.data(), c.batch, c.in_h, c.in_w, actual.data());
  reference::conv2d(p, filter.data(), b, c.activation, input.data(), c.batch, c.in_h, c.in_w,
                    expected.data());
  const auto abs_bias = abs_vector(bias);
  reference::conv2d(p, abs_vector(filter).data(), c.with_bias ? abs_bias.data() : nullptr,
                    Activation{}, abs_vector(input).data(), c.batch, c.in_h, c.in_w,
                    magnitude.data());
  expect_close(actual, expected, magnitude);
  // A second run reuses the cached indirection buffer and must give the same result.
  std::vector<float> again(out_size, std::numeric_limits<float>::quiet_NaN());
  op.run(input.data(), c.batch, c.in_h, c.in_w, again.data());
  EXPECT_EQ(again, actual);
}

constexpr Activation kNone{};
constexpr Activation kRelu{0.0f, kInf};
constexpr Activation kRelu6{0.0f, 6.0f};
constexpr Padding2d kNoPad{};
constexpr Padding2d kPad1{1, 1, 1, 1};

INSTANTIATE_TEST_SUITE_P(
    Shapes, Conv2dOperatorTest,
    ::testing::Values(
        // 1x1 stride 1: the GEMM path, odd pixel counts (row tails) and channel tails.
        ConvCase{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, kNoPad, kNone, true},
        ConvCase{3, 5, 1, 1, 1, 1, 1, 1, 3, 5, kNoPad, kNone, true},
        ConvCase{8, 13, 1, 1, 1, 1, 1, 2, 5, 3, kNoPad, kRelu, false},
        ConvCase{13, 8, 1, 1, 1, 1, 1, 1, 7, 7, kNoPad, kRelu6, true},
        ConvCase{64, 64, 1, 1, 1, 1, 1, 1, 9, 7, kNoPad, kNone, true},
        ConvCase{5, 17, 1, 1, 1, 1, 1, 1, 2, 2, kNoPad, kNone, true},
        // 1x1 with stride or padding: the indirect path.
        ConvCase{8, 16, 1, 1, 2, 2, 1, 1, 7, 9, kNoPad, kNone, true},
        ConvCase{3, 5, 1, 1, 1, 1, 1, 1, 4, 4, Padding2d{1, 0, 0, 2}, kNone, true},
        // 3x3.
        ConvCase{1, 1, 3, 3, 1, 1, 1, 1, 4, 4, kNoPad, kNone, true},
        ConvCase{3, 8, 3, 3, 2, 2, 1, 1, 9, 11, kPad1, kRelu6, true},
        ConvCase{5, 13, 3, 3, 1, 1, 1, 2, 7, 5, kPad1, kNone, false},
        ConvCase{13, 3, 3, 3, 2, 1, 1, 1, 8, 6, Padding2d{0, 1, 1, 0}, kRelu, true},
        ConvCase{64, 64, 3, 3, 1, 1, 1, 1, 9, 9, kPad1, kRelu, true},
        ConvCase{8, 5, 3, 3, 1, 1, 2, 1, 9, 8, Padding2d{2, 2, 2, 2}, kNone, true},
        ConvCase{5, 8, 3, 3, 2, 2, 2, 2, 11, 10, Padding2d{1, 2, 0, 2}, kNone, true},
        // 5x5 and 7x7, non-square kernels.
        ConvCase{3, 8, 5, 5, 2, 2, 1, 1, 13, 11, Padding2d{2, 2, 2, 2}, kNone, true},
        ConvCase{1, 13, 7, 7, 2, 2, 1, 1, 15, 17, Padding2d{3, 2, 3, 3}, kRelu, true},
        ConvCase{8, 3, 1, 3, 1, 2, 1, 1, 5, 9, Padding2d{0, 0, 1, 1}, kNone, true},
        ConvCase{3, 5, 5, 1, 1, 1, 1, 2, 6, 3, Padding2d{2, 2, 0, 0}, Activation{-0.5f, 0.5f},
                 true},
        // Kernel as large as the padded input; output 1x1.
        ConvCase{3, 9, 5, 5, 1, 1, 1, 1, 3, 3, kPad1, kNone, true}));

TEST(Conv2dOperatorCacheTest, RebuildsIndirectionWhenInputSizeChanges) {
  ConvCase c{3, 8, 3, 3, 1, 1, 1, 1, 0, 0, kPad1, kNone, true};
  const Conv2dParams p = params_of(c);
  const auto filter = random_vector(8 * 9 * 3, 4);
  const auto bias = random_vector(8, 5);
  Conv2dOperator op(p, filter.data(), bias.data(), kNone);
  for (int size : {5, 8, 5}) {
    const auto input = random_vector(static_cast<size_t>(size) * size * 3, 6 + size);
    std::vector<float> actual(size * size * 8), expected(size * size * 8);
    op.run(input.data(), 1, size, size, actual.data());
    reference::conv2d(p, filter.data(), bias.data(), kNone, input.data(), 1, size, size,
                      expected.data());
    expect_close(actual, expected, abs_vector(expected));
  }
}

TEST(Conv2dOperatorErrorTest, RejectsBadParameters) {
  const std::vector<float> filter(9, 1.0f);
  Conv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.in_channels = 1;
  p.out_channels = 0;
  EXPECT_THROW(Conv2dOperator(p, filter.data(), nullptr, kNone), Error);
  p.out_channels = 1;
  p.window.stride_w = 0;
  EXPECT_THROW(Conv2dOperator(p, filter.data(), nullptr, kNone), Error);
  p.window.stride_w = 1;
  EXPECT_THROW(Conv2dOperator(p, nullptr, nullptr, kNone), Error);
  p.window.padding.left = -1;
  EXPECT_THROW(Conv2dOperator(p, filter.data(), nullptr, kNone), Error);
  p.window.padding.left = 0;
  EXPECT_THROW(Conv2dOperator(p, filter.data(), nullptr, Activation{1.0f, 0.0f}), Error);
  Conv2dOperator op(p, filter.data(), nullptr, kNone);
  std::vector<float> in(4), out(4);
  EXPECT_THROW(op.run(in.data(), 1, 2, 2, out.data()), Error);
  try {
    op.run(in.data(), 1, 2, 2, out.data());
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot run conv2d (input 2x2): the padded input is smaller than the dilated kernel");
  }
}

}  // namespace
}  // namespace fu::nn
