// Qs8FullyConnectedOperator against a plain scalar loop of the int8 contract, bit-exact.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/operators/qs8_contract.h"
#include "nn/operators/qs8_fully_connected.h"

namespace fu::nn {
namespace {

using testing::contract_requantize;
using testing::GuardedBuffer;
using testing::random_int32;
using testing::random_int8;
using testing::random_scales;

TEST(Qs8FullyConnectedOperatorTest, MatchesContractBitExact) {
  struct Case {
    int batch, in, out;
    QuantParams in_q, out_q;
    int8_t qmin, qmax;
  };
  for (const Case& c : {Case{1, 128, 128, {1.0f, 0}, {3.0f, 0}, -128, 127},
                        Case{1, 13, 5, {1.0f, -128}, {4.0f, 127}, -128, 127},
                        Case{3, 40, 9, {1.0f, 127}, {4.0f, -128}, -128, 127},
                        Case{4, 8, 8, {0.5f, 7}, {2.0f, -1}, -1, 127},
                        Case{7, 100, 19, {1.0f, -30}, {3.0f, 4}, -100, 100}}) {
    FullyConnectedParams p{c.in, c.out};
    const auto filter = random_int8(static_cast<size_t>(c.out) * c.in, 41 + c.in, -127, 127);
    const auto scales = random_scales(c.out, 42, 1);
    const auto bias = random_int32(c.out, 43, -5000, 5000);
    const GuardedBuffer<int8_t> input(random_int8(static_cast<size_t>(c.batch) * c.in, 44));
    QuantParams out_q = c.out_q;
    out_q.scale *= std::sqrt(static_cast<float>(c.in));
    std::vector<int8_t> want(static_cast<size_t>(c.batch) * c.out);
    for (int n = 0; n < c.batch; ++n)
      for (int o = 0; o < c.out; ++o) {
        int32_t acc = bias[o];
        for (int i = 0; i < c.in; ++i)
          acc += (input[n * c.in + i] - c.in_q.zero_point) * filter[o * c.in + i];
        want[n * c.out + o] = contract_requantize(acc, (c.in_q.scale * scales[o]) / out_q.scale,
                                                  out_q.zero_point, c.qmin, c.qmax);
      }
    ASSERT_TRUE(testing::mostly_unclamped(want, c.qmin, c.qmax));
    const Qs8FullyConnectedOperator op(p, filter.data(), scales.data(), bias.data(), c.in_q, out_q,
                                       c.qmin, c.qmax);
    GuardedBuffer<int8_t> got(want.size());
    op.run(input.data(), c.batch, got.data());
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(int{got[i]}, int{want[i]})
          << "batch " << c.batch << " in " << c.in << " element " << i;
  }
}

TEST(Qs8FullyConnectedOperatorTest, RejectsBadArguments) {
  const std::vector<int8_t> filter(6, 1);
  const std::vector<float> scales = {1.0f, 1.0f};
  const QuantParams q{1.0f, 0};
  EXPECT_THROW(Qs8FullyConnectedOperator(FullyConnectedParams{0, 2}, filter.data(), scales.data(),
                                         nullptr, q, q, -128, 127),
               Error);
  EXPECT_THROW(Qs8FullyConnectedOperator(FullyConnectedParams{3, 2}, filter.data(), scales.data(),
                                         nullptr, q, QuantParams{1.0f, -129}, -128, 127),
               Error);
  const Qs8FullyConnectedOperator op(FullyConnectedParams{3, 2}, filter.data(), scales.data(),
                                     nullptr, q, q, -128, 127);
  std::vector<int8_t> in(3), out(2);
  EXPECT_THROW(op.run(in.data(), 0, out.data()), Error);
}

}  // namespace
}  // namespace fu::nn
