// qs8_add against the contract's formula evaluated one element at a time, bit-exact, including
// tails, zero points at the ends, clamps and an output aliasing an input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/qs8_test_util.h"
#include "nn/operators/qs8_elementwise.h"

namespace fu::nn {
namespace {

using testing::GuardedBuffer;
using testing::random_int8;

int8_t contract_add(int8_t a, int8_t b, QuantParams qa, QuantParams qb, QuantParams qo, int8_t qmin,
                    int8_t qmax) {
  const float ra = qa.scale / qo.scale;
  const float rb = qb.scale / qo.scale;
  const float x =
      static_cast<float>(a - qa.zero_point) * ra + static_cast<float>(b - qb.zero_point) * rb;
  const double r = std::nearbyint(static_cast<double>(x)) + qo.zero_point;
  return static_cast<int8_t>(std::clamp<double>(r, qmin, qmax));
}

TEST(Qs8AddOperatorTest, MatchesContractBitExact) {
  struct Case {
    QuantParams a, b, out;
    int8_t qmin, qmax;
  };
  unsigned seed = 10;
  for (const Case& c : {Case{{0.1f, 0}, {0.1f, 0}, {0.2f, 0}, -128, 127},
                        Case{{0.05f, -128}, {0.2f, 127}, {0.25f, 127}, -128, 127},
                        Case{{0.3f, 127}, {0.1f, -128}, {0.4f, -128}, -128, 127},
                        Case{{0.1f, 3}, {0.1f, -3}, {0.2f, 0}, 0, 127},  // ratios 0.5: ties, ReLU
                        Case{{0.02f, 9}, {0.5f, 1}, {0.3f, -7}, -50, 60}}) {
    for (size_t count : {1, 7, 8, 9, 16, 31, 100}) {
      const GuardedBuffer<int8_t> a(random_int8(count, ++seed));
      const GuardedBuffer<int8_t> b(random_int8(count, ++seed));
      std::vector<int8_t> want(count);
      for (size_t i = 0; i < count; ++i)
        want[i] = contract_add(a[i], b[i], c.a, c.b, c.out, c.qmin, c.qmax);
      GuardedBuffer<int8_t> got(count);
      qs8_add(c.a, c.b, c.out, c.qmin, c.qmax, a.data(), b.data(), count, got.data());
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(int{got[i]}, int{want[i]}) << i;
      // In place: the output aliases the first input.
      GuardedBuffer<int8_t> in_place(a.values());
      qs8_add(c.a, c.b, c.out, c.qmin, c.qmax, in_place.data(), b.data(), count, in_place.data());
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(int{in_place[i]}, int{want[i]}) << i;
    }
  }
}

TEST(Qs8AddOperatorTest, RejectsBadQuantisation) {
  const std::vector<int8_t> a(4), b(4);
  std::vector<int8_t> out(4);
  const QuantParams q{0.1f, 0};
  EXPECT_THROW(
      qs8_add(QuantParams{INFINITY, 0}, q, q, -128, 127, a.data(), b.data(), 4, out.data()), Error);
  EXPECT_THROW(qs8_add(q, q, q, 1, 0, a.data(), b.data(), 4, out.data()), Error);
}

}  // namespace
}  // namespace fu::nn
