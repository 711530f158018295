// qs8_add against the contract's formula evaluated one element at a time, bit-exact, including
// tails, zero points at the ends, clamps and an output aliasing an input; qs8_quantize against
// reference::quantize on every tail length, ties, NaN, infinities and values far outside int8.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/qs8_test_util.h"
#include "nn/operators/qs8_elementwise.h"
#include "nn/reference/qs8.h"

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

TEST(Qs8QuantizeOperatorTest, MatchesReferenceBitExact) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const QuantParams q : {QuantParams{0.5f, 0}, QuantParams{0.0078125f, -128},
                              QuantParams{0.02f, 127}, QuantParams{0.1f, -3}}) {
    for (size_t count : {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100}) {
      // Halfway values on the grid (ties round to even), both signs, values far outside the
      // range, NaN and infinities, in an order that puts each kind in every lane position.
      std::vector<float> values(count);
      for (size_t i = 0; i < count; ++i) {
        const float grid = (static_cast<float>(i % 11) - 5.0f + (i % 2 ? 0.5f : 0.25f)) * q.scale;
        switch (i % 7) {
          case 3:
            values[i] = std::numeric_limits<float>::quiet_NaN();
            break;
          case 5:
            values[i] = i % 2 ? inf : -inf;
            break;
          case 6:
            values[i] = (i % 2 ? 1e6f : -1e6f) * q.scale;
            break;
          default:
            values[i] = grid;
        }
      }
      const GuardedBuffer<float> input(values);
      std::vector<int8_t> want(count);
      reference::quantize(q, values.data(), count, want.data());
      GuardedBuffer<int8_t> got(count);
      qs8_quantize(q, input.data(), count, got.data());
      for (size_t i = 0; i < count; ++i)
        ASSERT_EQ(int{got[i]}, int{want[i]}) << "count " << count << " value " << values[i];
    }
  }
}

TEST(Qs8QuantizeOperatorTest, RejectsBadScale) {
  const std::vector<float> x(4, 1.0f);
  std::vector<int8_t> out(4);
  EXPECT_THROW(qs8_quantize({0.0f, 0}, x.data(), x.size(), out.data()), Error);
  EXPECT_THROW(qs8_quantize({0.1f, 200}, x.data(), x.size(), out.data()), Error);
}

}  // namespace
}  // namespace fu::nn
