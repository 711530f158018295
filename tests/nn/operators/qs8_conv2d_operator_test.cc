// Qs8Conv2dOperator (own SIMD, GEMM and indirect GEMM paths) against a plain scalar loop of the
// int8 contract, bit-exact, on random data; and its argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <utility>
#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/operators/qs8_contract.h"
#include "nn/operators/qs8_conv2d.h"

namespace fu::nn {
namespace {

using testing::contract_conv2d;
using testing::GuardedBuffer;
using testing::Qs8Output;
using testing::random_int32;
using testing::random_int8;
using testing::random_scales;

struct ConvCase {
  int in_c, out_c, kh, kw, stride, dilation, batch, in_h, in_w;
  Padding2d padding;
  QuantParams in_q;
  Qs8Output out;
  bool with_bias;
};

std::ostream& operator<<(std::ostream& os, const ConvCase& c) {
  return os << c.batch << "x" << c.in_h << "x" << c.in_w << "x" << c.in_c << " -> " << c.out_c
            << " k" << c.kh << "x" << c.kw << " s" << c.stride << " d" << c.dilation << " pad "
            << c.padding.top << "," << c.padding.bottom << "," << c.padding.left << ","
            << c.padding.right << " zp " << c.in_q.zero_point << "->" << c.out.quant.zero_point
            << " clamp " << int{c.out.min} << ".." << int{c.out.max};
}

class Qs8Conv2dOperatorTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Qs8Conv2dOperatorTest, MatchesContractBitExact) {
  const ConvCase& c = GetParam();
  Conv2dParams p;
  p.window = testing::case_window(c.kh, c.kw, c.stride, c.dilation, c.padding);
  p.in_channels = c.in_c;
  p.out_channels = c.out_c;
  const auto filter =
      random_int8(static_cast<size_t>(c.out_c) * c.kh * c.kw * c.in_c, 21, -127, 127);
  // Filter scales around 1 and an output scale that maps the sums onto a little more than the
  // int8 range.
  const auto filter_scales = random_scales(c.out_c, 22, 1);
  const auto bias = random_int32(c.out_c, 23, -5000, 5000);
  const GuardedBuffer<int8_t> input(
      random_int8(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 24));
  const int32_t* b = c.with_bias ? bias.data() : nullptr;
  // Sums grow with the square root of the number of terms; so does the output scale.
  Qs8Output out = c.out;
  out.quant.scale *= std::sqrt(static_cast<float>(c.kh * c.kw * c.in_c));
  const auto want = contract_conv2d(p.window, c.in_c, c.out_c, false, filter, filter_scales, b,
                                    c.in_q, out, input.values(), c.batch, c.in_h, c.in_w);
  ASSERT_TRUE(testing::mostly_unclamped(want, out.min, out.max));
  Qs8Conv2dOperator op(p, filter.data(), filter_scales.data(), b, c.in_q, out.quant, out.min,
                       out.max);
  GuardedBuffer<int8_t> got(want.size());
  // Twice: the second run reuses the indirection buffer built by the first.
  for (int run = 0; run < 2; ++run) {
    op.run(input.data(), c.batch, c.in_h, c.in_w, got.data());
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(int{got[i]}, int{want[i]}) << "element " << i << " run " << run;
  }
}

constexpr Padding2d kNoPad{};
constexpr Padding2d kPad1{1, 1, 1, 1};
// The requantisation scale is input * filter / output; filter scales from random_scales(.., 1)
// are about 0.02, so an input scale of 1 and output scales of 2..9 (times sqrt(terms)) spread
// the outputs over the int8 range, some clamped.
constexpr QuantParams kIn0{1.0f, 0};
constexpr QuantParams kInLow{1.0f, -128};
constexpr QuantParams kInHigh{1.0f, 127};

INSTANTIATE_TEST_SUITE_P(
    Shapes, Qs8Conv2dOperatorTest,
    ::testing::Values(
        // 1x1 stride 1: the GEMM path, odd pixel counts and channel tails.
        ConvCase{8, 8, 1, 1, 1, 1, 1, 3, 3, kNoPad, kIn0, {{3.0f, 0}}, true},
        ConvCase{13, 7, 1, 1, 1, 1, 2, 3, 5, kNoPad, kInLow, {{4.0f, 127}}, true},
        ConvCase{64, 33, 1, 1, 1, 1, 1, 5, 5, kNoPad, kInHigh, {{8.0f, -128}, -128, 127}, false},
        // Indirect GEMM: padding, strides, dilation, fused ReLU, narrow clamps (whole kernel rows
        // as taps, except for the dilated window and the 1x1 stride-2 one).
        ConvCase{3, 16, 3, 3, 1, 1, 1, 6, 7, kPad1, kIn0, {{5.0f, -128}, -128, 127}, true},
        ConvCase{5, 6, 3, 3, 2, 1, 2, 7, 9, kPad1, kInLow, {{6.0f, -5}, -5, 127}, true},
        ConvCase{
            8, 9, 3, 3, 1, 2, 1, 8, 8, Padding2d{2, 2, 2, 2}, kInHigh, {{7.0f, 3}, -40, 90}, false},
        ConvCase{16, 12, 5, 5, 2, 1, 1, 11, 10, Padding2d{1, 2, 2, 1}, kIn0, {{9.0f, 10}}, true},
        ConvCase{32, 32, 3, 3, 1, 1, 1, 9, 9, kPad1, QuantParams{0.5f, -7}, {{6.0f, -20}}, true},
        ConvCase{7, 5, 1, 1, 2, 1, 1, 7, 7, kNoPad, kIn0, {{2.0f, 1}}, true},
        ConvCase{4, 4, 2, 3, 1, 1, 1, 1, 1, Padding2d{1, 0, 1, 1}, kInLow, {{3.0f, 0}}, true},
        // Channels not a multiple of 8 under a window: row taps (RGB stems, one whose last window
        // ends at the image's last byte, a 12-channel layer of the pruned student with its
        // padding written out, batches, a window that only fits with padding) and a dilated
        // window with rows partly outside (one tap per position, partial depth blocks).
        ConvCase{3, 32, 7, 7, 2, 1, 1, 20, 18, kNoPad, kInLow, {{6.0f, -2}}, true},
        ConvCase{5, 9, 3, 3, 1, 2, 2, 7, 6, Padding2d{2, 1, 2, 2}, kInHigh, {{5.0f, 4}}, true},
        ConvCase{3, 16, 7, 7, 2, 1, 2, 21, 21, kNoPad, kIn0, {{5.0f, 3}}, true},
        ConvCase{12, 16, 3, 3, 1, 1, 3, 9, 7, kPad1, kInHigh, {{6.0f, -1}, -1, 127}, true},
        ConvCase{6, 5, 3, 2, 2, 1, 1, 8, 9, Padding2d{0, 1, 1, 0}, kInLow, {{4.0f, 2}}, false},
        ConvCase{12, 10, 5, 5, 1, 1, 1, 3, 4, Padding2d{2, 2, 2, 2}, kIn0, {{4.0f, 0}}, false}));

// Row taps keep a padded copy of the input between runs: a second input of another shape but the
// same number of bytes must not see the first one's borders.
TEST(Qs8Conv2dOperatorRowTapsTest, ReshapedInputBetweenRuns) {
  Conv2dParams p;
  p.window = testing::case_window(3, 3, 1, 1, kPad1);
  p.in_channels = 12;
  p.out_channels = 8;
  const auto filter = random_int8(8 * 3 * 3 * 12, 31, -127, 127);
  const auto filter_scales = random_scales(8, 32, 1);
  const QuantParams in_q{1.0f, 37};
  const Qs8Output out{{6.0f * std::sqrt(108.0f), -3}};
  Qs8Conv2dOperator op(p, filter.data(), filter_scales.data(), nullptr, in_q, out.quant, out.min,
                       out.max);
  for (const auto& [h, w] : {std::pair{6, 10}, std::pair{10, 6}, std::pair{6, 10}}) {
    const auto input = random_int8(static_cast<size_t>(h) * w * 12, 33 + h);
    const auto want = contract_conv2d(p.window, 12, 8, false, filter, filter_scales, nullptr, in_q,
                                      out, input, 1, h, w);
    std::vector<int8_t> got(want.size());
    op.run(input.data(), 1, h, w, got.data());
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(int{got[i]}, int{want[i]}) << "element " << i << " of " << h << "x" << w;
  }
}

TEST(Qs8Conv2dOperatorErrorTest, RejectsBadQuantisationWithActionableMessages) {
  Conv2dParams p;
  p.in_channels = 2;
  p.out_channels = 2;
  const std::vector<int8_t> filter(4, 1);
  const std::vector<float> scales = {0.1f, 0.2f};
  const std::vector<float> bad_scales = {0.1f, -0.2f};
  const QuantParams q{1.0f, 0};
  EXPECT_THROW(Qs8Conv2dOperator(p, filter.data(), scales.data(), nullptr, QuantParams{0.0f, 0}, q,
                                 -128, 127),
               Error);
  EXPECT_THROW(Qs8Conv2dOperator(p, filter.data(), scales.data(), nullptr, QuantParams{1.0f, 128},
                                 q, -128, 127),
               Error);
  EXPECT_THROW(Qs8Conv2dOperator(p, filter.data(), scales.data(), nullptr, q, q, 10, 9), Error);
  EXPECT_THROW(Qs8Conv2dOperator(p, filter.data(), nullptr, nullptr, q, q, -128, 127), Error);
  try {
    Qs8Conv2dOperator(p, filter.data(), bad_scales.data(), nullptr, q, q, -128, 127);
    FAIL() << "a negative filter scale was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot create qs8 conv2d (filter scale -0.200000 of channel 1): filter scales "
                 "must be positive and finite");
  }
  Qs8Conv2dOperator op(p, filter.data(), scales.data(), nullptr, q, q, -128, 127);
  std::vector<int8_t> in(8), out(8);
  EXPECT_THROW(op.run(in.data(), 0, 2, 2, out.data()), Error);
}

}  // namespace
}  // namespace fu::nn
