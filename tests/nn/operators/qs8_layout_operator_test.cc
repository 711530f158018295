// The own int8 pad against the int8 reference, byte for byte, and the reference against the
// float pad: a zero pad on the int8 grid is exact (padded positions hold the zero point).
#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/qs8_test_util.h"
#include "nn/operators/layout.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn {
namespace {

using testing::GuardedBuffer;
using testing::random_int8;

PadParams pad_params(int top, int bottom, int left, int right, int before, int after, float v) {
  PadParams p;
  p.spatial = {top, bottom, left, right};
  p.channels_before = before;
  p.channels_after = after;
  p.value = v;
  return p;
}

size_t padded_size(const PadParams& p, int n, int h, int w, int c) {
  return static_cast<size_t>(n) * (h + p.spatial.top + p.spatial.bottom) *
         (w + p.spatial.left + p.spatial.right) * (c + p.channels_before + p.channels_after);
}

TEST(Qs8PadTest, OwnOperatorMatchesTheReference) {
  unsigned seed = 1;
  for (const PadParams& p :
       {pad_params(0, 0, 0, 0, 0, 0, 0.0f), pad_params(1, 2, 3, 0, 0, 0, 0.0f),
        pad_params(0, 1, 1, 0, 0, 5, 0.0f), pad_params(2, 0, 0, 1, 3, 1, 0.0f),
        pad_params(1, 1, 1, 1, 0, 0, 0.37f), pad_params(0, 0, 0, 0, 1, 1, -100.0f)}) {
    for (QuantParams q : {QuantParams{0.05f, 0}, QuantParams{0.02f, -128}, QuantParams{0.1f, 77}}) {
      const int n = 2, h = 3, w = 4, c = 5;
      const GuardedBuffer<int8_t> x(random_int8(static_cast<size_t>(n) * h * w * c, ++seed));
      std::vector<int8_t> want(padded_size(p, n, h, w, c));
      reference::qs8_pad(p, q, x.data(), n, h, w, c, want.data());
      GuardedBuffer<int8_t> got(want.size());
      qs8_pad(p, q, x.data(), n, h, w, c, got.data());
      EXPECT_EQ(got.values(), want);
    }
  }
}

TEST(Qs8PadTest, ZeroPadIsExactOnTheInt8Grid) {
  const PadParams p = pad_params(1, 1, 2, 0, 1, 2, 0.0f);
  const QuantParams q{0.031f, -37};
  const int n = 1, h = 3, w = 2, c = 4;
  const std::vector<int8_t> x = random_int8(static_cast<size_t>(h) * w * c, 3);
  std::vector<float> real(x.size());
  reference::dequantize(q, x.data(), x.size(), real.data());
  std::vector<float> padded_real(padded_size(p, n, h, w, c));
  reference::pad(p, real.data(), n, h, w, c, padded_real.data());
  std::vector<int8_t> want(padded_real.size());
  reference::quantize(q, padded_real.data(), padded_real.size(), want.data());
  std::vector<int8_t> got(want.size());
  reference::qs8_pad(p, q, x.data(), n, h, w, c, got.data());
  EXPECT_EQ(got, want);
  EXPECT_EQ(int{got[0]}, q.zero_point);
}

TEST(Qs8PadTest, RejectsNegativePaddingAndBadQuantisation) {
  const std::vector<int8_t> x(8);
  std::vector<int8_t> y(64);
  EXPECT_THROW(qs8_pad(pad_params(-1, 0, 0, 0, 0, 0, 0.0f), QuantParams{0.1f, 0}, x.data(), 1, 2, 2,
                       2, y.data()),
               Error);
  EXPECT_THROW(qs8_pad(pad_params(0, 0, 0, 0, 0, 0, 0.0f), QuantParams{0.0f, 0}, x.data(), 1, 2, 2,
                       2, y.data()),
               Error);
}

}  // namespace
}  // namespace fu::nn
