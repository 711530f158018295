// FullyConnectedOperator (own SIMD) against reference::fully_connected on random data.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "base/error.h"
#include "nn/operators/fully_connected.h"
#include "nn/operators/test_util.h"
#include "nn/reference/reference.h"

namespace fu::nn {
namespace {

using testing::abs_vector;
using testing::expect_close;
using testing::random_vector;

struct FcCase {
  int in, out, batch;
  Activation activation;
  bool with_bias;
};

class FullyConnectedOperatorTest : public ::testing::TestWithParam<FcCase> {};

TEST_P(FullyConnectedOperatorTest, MatchesReference) {
  const FcCase& c = GetParam();
  const FullyConnectedParams p{c.in, c.out};
  const auto filter = random_vector(static_cast<size_t>(c.in) * c.out, 21);
  const auto bias = random_vector(c.out, 22);
  const auto input = random_vector(static_cast<size_t>(c.batch) * c.in, 23);
  const float* b = c.with_bias ? bias.data() : nullptr;
  const size_t out_size = static_cast<size_t>(c.batch) * c.out;
  std::vector<float> actual(out_size, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> expected(out_size), magnitude(out_size);
  FullyConnectedOperator op(p, filter.data(), b, c.activation);
  op.run(input.data(), c.batch, actual.data());
  reference::fully_connected(p, filter.data(), b, c.activation, input.data(), c.batch,
                             expected.data());
  const auto abs_bias = abs_vector(bias);
  reference::fully_connected(p, abs_vector(filter).data(), c.with_bias ? abs_bias.data() : nullptr,
                             Activation{}, abs_vector(input).data(), c.batch, magnitude.data());
  expect_close(actual, expected, magnitude);
}

constexpr Activation kNone{};
constexpr Activation kRelu{0.0f, std::numeric_limits<float>::infinity()};

INSTANTIATE_TEST_SUITE_P(
    Shapes, FullyConnectedOperatorTest,
    ::testing::Values(FcCase{1, 1, 1, kNone, true}, FcCase{3, 5, 1, kNone, true},
                      FcCase{13, 8, 2, kRelu, false}, FcCase{64, 13, 5, kNone, true},
                      FcCase{512, 128, 1, kNone, true}, FcCase{513, 192, 1, kRelu, true},
                      FcCase{8, 64, 7, kNone, true},
                      FcCase{5, 3, 4, Activation{-0.3f, 0.3f}, true}));

TEST(FullyConnectedOperatorErrorTest, RejectsBadParameters) {
  const std::vector<float> filter(4, 1.0f);
  EXPECT_THROW(
      FullyConnectedOperator(FullyConnectedParams{0, 4}, filter.data(), nullptr, Activation{}),
      Error);
  EXPECT_THROW(FullyConnectedOperator(FullyConnectedParams{2, 2}, nullptr, nullptr, Activation{}),
               Error);
  FullyConnectedOperator op(FullyConnectedParams{2, 2}, filter.data(), nullptr, Activation{});
  std::vector<float> x(2), y(2);
  EXPECT_THROW(op.run(x.data(), 0, y.data()), Error);
}

}  // namespace
}  // namespace fu::nn
