// Qs8DepthwiseConv2dOperator (own SIMD, the 9-tap and any-tap kernels) against a plain scalar
// loop of the int8 contract, bit-exact, on random data; and its argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/operators/qs8_contract.h"
#include "nn/operators/qs8_depthwise_conv2d.h"

namespace fu::nn {
namespace {

using testing::contract_conv2d;
using testing::GuardedBuffer;
using testing::Qs8Output;
using testing::random_int32;
using testing::random_int8;
using testing::random_scales;

struct DwCase {
  int channels, kh, kw, stride, dilation, batch, in_h, in_w;
  Padding2d padding;
  QuantParams in_q;
  Qs8Output out;
  bool with_bias;
};

std::ostream& operator<<(std::ostream& os, const DwCase& c) {
  return os << c.batch << "x" << c.in_h << "x" << c.in_w << "x" << c.channels << " k" << c.kh << "x"
            << c.kw << " s" << c.stride << " d" << c.dilation << " zp " << c.in_q.zero_point << "->"
            << c.out.quant.zero_point;
}

class Qs8DepthwiseConv2dOperatorTest : public ::testing::TestWithParam<DwCase> {};

TEST_P(Qs8DepthwiseConv2dOperatorTest, MatchesContractBitExact) {
  const DwCase& c = GetParam();
  DepthwiseConv2dParams p;
  p.window = testing::case_window(c.kh, c.kw, c.stride, c.dilation, c.padding);
  p.channels = c.channels;
  const auto filter = random_int8(static_cast<size_t>(c.kh) * c.kw * c.channels, 31, -127, 127);
  const auto filter_scales = random_scales(c.channels, 32, 1);
  const auto bias = random_int32(c.channels, 33, -3000, 3000);
  const GuardedBuffer<int8_t> input(
      random_int8(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels, 34));
  const int32_t* b = c.with_bias ? bias.data() : nullptr;
  Qs8Output out = c.out;
  out.quant.scale *= std::sqrt(static_cast<float>(c.kh * c.kw));
  const auto want = contract_conv2d(p.window, c.channels, c.channels, true, filter, filter_scales,
                                    b, c.in_q, out, input.values(), c.batch, c.in_h, c.in_w);
  ASSERT_TRUE(testing::mostly_unclamped(want, out.min, out.max));
  Qs8DepthwiseConv2dOperator op(p, filter.data(), filter_scales.data(), b, c.in_q, out.quant,
                                out.min, out.max);
  GuardedBuffer<int8_t> got(want.size());
  op.run(input.data(), c.batch, c.in_h, c.in_w, got.data());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(int{got[i]}, int{want[i]}) << "element " << i;
}

constexpr Padding2d kNoPad{};
constexpr Padding2d kPad1{1, 1, 1, 1};
constexpr Padding2d kPad2{2, 2, 2, 2};
constexpr QuantParams kIn0{1.0f, 0};
constexpr QuantParams kInLow{1.0f, -128};
constexpr QuantParams kInHigh{1.0f, 127};

INSTANTIATE_TEST_SUITE_P(
    Shapes, Qs8DepthwiseConv2dOperatorTest,
    ::testing::Values(
        DwCase{1, 3, 3, 1, 1, 1, 5, 5, kPad1, kIn0, {{3.0f, 0}}, true},
        DwCase{3, 3, 3, 2, 1, 1, 7, 9, kPad1, kInLow, {{4.0f, -128}}, true},
        DwCase{5, 3, 3, 1, 1, 2, 6, 5, Padding2d{0, 1, 0, 1}, kInHigh, {{4.0f, 127}}, false},
        DwCase{8, 5, 5, 1, 1, 1, 9, 9, kPad2, kIn0, {{3.0f, 5}, 5, 127}, true},
        DwCase{13, 5, 5, 2, 1, 1, 11, 10, Padding2d{1, 2, 2, 1}, kIn0, {{3.0f, -3}, -60, 70}, true},
        DwCase{64, 3, 3, 2, 1, 1, 9, 9, kPad1, kInLow, {{5.0f, 0}}, true},
        DwCase{17, 3, 3, 1, 1, 1, 8, 8, kPad1, kIn0, {{3.0f, 9}}, true},
        DwCase{24, 3, 3, 1, 2, 1, 8, 8, kPad2, QuantParams{0.25f, 40}, {{1.0f, -9}}, true},
        DwCase{40, 1, 1, 1, 1, 1, 4, 3, kNoPad, kIn0, {{2.0f, 0}}, true},
        DwCase{7, 2, 4, 1, 1, 1, 1, 2, Padding2d{1, 0, 2, 1}, kIn0, {{2.0f, 0}}, true}));

TEST(Qs8DepthwiseConv2dOperatorErrorTest, RejectsBadArguments) {
  DepthwiseConv2dParams p;
  p.window.kernel_h = p.window.kernel_w = 3;
  p.channels = 2;
  const std::vector<int8_t> filter(18, 1);
  const std::vector<float> scales = {0.1f, 0.2f};
  const QuantParams q{1.0f, 0};
  EXPECT_THROW(Qs8DepthwiseConv2dOperator(p, nullptr, scales.data(), nullptr, q, q, -128, 127),
               Error);
  EXPECT_THROW(Qs8DepthwiseConv2dOperator(p, filter.data(), scales.data(), nullptr, q,
                                          QuantParams{NAN, 0}, -128, 127),
               Error);
  Qs8DepthwiseConv2dOperator op(p, filter.data(), scales.data(), nullptr, q, q, -128, 127);
  std::vector<int8_t> in(8), out(8);
  // A 2x2 input without padding cannot hold a 3x3 window.
  EXPECT_THROW(op.run(in.data(), 1, 2, 2, out.data()), Error);
}

}  // namespace
}  // namespace fu::nn
