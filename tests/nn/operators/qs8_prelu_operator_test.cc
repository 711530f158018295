// Qs8PReluOperator against the int8 reference (reference::qs8_prelu), byte for byte, and its
// parameter checks.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/qs8_test_util.h"
#include "nn/operators/qs8_prelu.h"
#include "nn/reference/qs8.h"

namespace fu::nn {
namespace {

using testing::GuardedBuffer;
using testing::random_int8;

TEST(Qs8PReluOperatorTest, MatchesTheReferenceByteForByte) {
  unsigned seed = 3;
  // MobileFaceNet's widths and odd ones, a ReLU-like clamp at the output zero point.
  for (int channels : {1, 3, 16, 64, 67, 128}) {
    for (int pixels : {1, 5, 49}) {
      const QuantParams in{0.037f, -11}, out{0.021f, -100};
      const int8_t qmin = seed % 2 ? int8_t{-128} : int8_t{-100};
      std::vector<float> slope(channels);
      for (int c = 0; c < channels; ++c) slope[c] = 0.25f * static_cast<float>(c % 9) - 1.0f;
      const GuardedBuffer<int8_t> x(random_int8(static_cast<size_t>(pixels) * channels, ++seed));
      std::vector<int8_t> want(x.size());
      reference::qs8_prelu(slope.data(), in, out, qmin, 127, x.data(), pixels, channels,
                           want.data());
      const Qs8PReluOperator op(slope.data(), channels, in, out, qmin, 127);
      GuardedBuffer<int8_t> got(x.size());
      op.run(x.data(), pixels, got.data());
      EXPECT_EQ(got.values(), want) << channels << " channels, " << pixels << " pixels";
    }
  }
}

TEST(Qs8PReluOperatorTest, FixedPointAndFloatKernelsBothMatchTheReference) {
  // Calibrated-looking scales take the fixed-point kernel; a ratio of exactly 1/2 puts products
  // on halves, which only the float kernel rounds as the contract does (to even).
  const int channels = 67;
  const int pixels = 256;
  std::vector<float> slope(channels);
  for (int c = 0; c < channels; ++c) slope[c] = 0.03f * static_cast<float>(c) - 0.9f;
  std::vector<int8_t> values(static_cast<size_t>(pixels) * channels);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int8_t>(i / channels);
  const GuardedBuffer<int8_t> x(values);
  for (const auto& [in, out, fixed_point] :
       {std::tuple{QuantParams{0.0371f, 9}, QuantParams{0.0213f, -70}, true},
        std::tuple{QuantParams{0.5f, 0}, QuantParams{1.0f, 0}, false}}) {
    std::vector<int8_t> want(x.size());
    reference::qs8_prelu(slope.data(), in, out, -128, 127, x.data(), pixels, channels, want.data());
    const Qs8PReluOperator op(slope.data(), channels, in, out, -128, 127);
    EXPECT_EQ(op.fixed_point(), fixed_point) << in.scale << " / " << out.scale;
    GuardedBuffer<int8_t> got(x.size());
    op.run(x.data(), pixels, got.data());
    EXPECT_EQ(got.values(), want) << in.scale << " / " << out.scale;
  }
}

TEST(Qs8PReluOperatorTest, RejectsBadParametersWithClearErrors) {
  const std::vector<float> slope(4, 0.25f);
  const QuantParams q{0.1f, 0};
  auto message = [](auto make) {
    try {
      make();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { Qs8PReluOperator(nullptr, 4, q, q, -128, 127); }),
            "cannot create qs8 prelu (slope null): must point to data");
  EXPECT_EQ(message([&] { Qs8PReluOperator(slope.data(), 0, q, q, -128, 127); }),
            "cannot create qs8 prelu (channels 0): must be positive");
  EXPECT_THROW(Qs8PReluOperator(slope.data(), 4, QuantParams{NAN, 0}, q, -128, 127), Error);
  EXPECT_THROW(Qs8PReluOperator(slope.data(), 4, q, QuantParams{0.1f, 200}, -128, 127), Error);
  EXPECT_THROW(Qs8PReluOperator(slope.data(), 4, q, q, 5, 4), Error);
  const Qs8PReluOperator op(slope.data(), 4, q, q, -128, 127);
  std::vector<int8_t> x(4), y(4);
  EXPECT_THROW(op.run(x.data(), -1, y.data()), Error);
}

}  // namespace
}  // namespace fu::nn
