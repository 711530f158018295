// qs8 max / average / global average pooling against plain scalar loops of the int8 contract,
// bit-exact, with padding (windows partly and entirely outside the input) and channel tails.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "base/error.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/operators/qs8_contract.h"
#include "nn/operators/qs8_pooling.h"

namespace fu::nn {
namespace {

using testing::contract_requantize;
using testing::GuardedBuffer;
using testing::random_int8;

struct PoolCase {
  int channels, kh, kw, stride, batch, in_h, in_w;
  Padding2d padding;
  int dilation = 1;
};

// Covers channel tails around 8 and 16, windows wholly inside the input (max pooling's fast path:
// the unpadded cases, and the interior of the padded ones, dilated once), and (the 2x2 input with
// padding 3) windows entirely in padding.
const std::vector<PoolCase> kCases = {
    {1, 2, 2, 2, 1, 4, 4, {}},
    {7, 3, 3, 1, 2, 5, 6, {1, 1, 1, 1}},
    {16, 3, 3, 2, 1, 7, 7, {1, 1, 1, 1}},
    {21, 2, 3, 1, 1, 4, 5, {0, 1, 2, 0}},
    {9, 3, 3, 1, 1, 2, 2, {3, 3, 3, 3}},
    {32, 3, 3, 2, 2, 9, 8, {}},
    {18, 3, 2, 1, 1, 8, 9, {1, 0, 1, 1}, 2},
};

struct Quant {
  QuantParams in, out;
  int8_t qmin, qmax;
};

const std::vector<Quant> kQuants = {
    {{0.1f, 0}, {0.1f, 0}, -128, 127},
    {{0.1f, -128}, {0.05f, 127}, -128, 127},
    {{0.2f, 127}, {0.3f, -128}, -128, 127},
    {{0.1f, 5}, {0.07f, -3}, -3, 100},
};

template <typename F>
void for_each_output(const PoolCase& c, F f) {
  const int out_h =
      window_output_size(c.in_h, c.padding.top, c.padding.bottom, c.kh, c.stride, c.dilation);
  const int out_w =
      window_output_size(c.in_w, c.padding.left, c.padding.right, c.kw, c.stride, c.dilation);
  for (int n = 0; n < c.batch; ++n)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox) f(n, oy, ox, out_h, out_w);
}

Pool2dParams params_of(const PoolCase& c) {
  Pool2dParams p;
  p.window = testing::case_window(c.kh, c.kw, c.stride, c.dilation, c.padding);
  return p;
}

TEST(Qs8PoolingOperatorTest, MaxPoolMatchesContract) {
  unsigned seed = 50;
  for (const PoolCase& c : kCases) {
    for (const Quant& q : kQuants) {
      const GuardedBuffer<int8_t> input(
          random_int8(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels, ++seed));
      std::vector<int8_t> want;
      for_each_output(c, [&](int n, int oy, int ox, int, int) {
        for (int ch = 0; ch < c.channels; ++ch) {
          int best = -129;
          for (int ky = 0; ky < c.kh; ++ky)
            for (int kx = 0; kx < c.kw; ++kx) {
              const int iy = oy * c.stride - c.padding.top + ky * c.dilation;
              const int ix = ox * c.stride - c.padding.left + kx * c.dilation;
              if (iy < 0 || iy >= c.in_h || ix < 0 || ix >= c.in_w) continue;
              best =
                  std::max<int>(best, input[((n * c.in_h + iy) * c.in_w + ix) * c.channels + ch]);
            }
          if (best == -129) best = q.in.zero_point;  // all padding: a real 0
          want.push_back(static_cast<int8_t>(std::clamp<int>(best, q.qmin, q.qmax)));
        }
      });
      GuardedBuffer<int8_t> got(want.size());
      qs8_max_pool2d(params_of(c), input.data(), c.batch, c.in_h, c.in_w, c.channels, q.in, q.qmin,
                     q.qmax, got.data());
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(int{got[i]}, int{want[i]}) << i;
    }
  }
}

TEST(Qs8PoolingOperatorTest, AvgPoolMatchesContract) {
  unsigned seed = 70;
  for (const PoolCase& c : kCases) {
    for (const Quant& q : kQuants) {
      const GuardedBuffer<int8_t> input(
          random_int8(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels, ++seed));
      std::vector<int8_t> want;
      for_each_output(c, [&](int n, int oy, int ox, int, int) {
        for (int ch = 0; ch < c.channels; ++ch) {
          int32_t acc = 0;
          int count = 0;
          for (int ky = 0; ky < c.kh; ++ky)
            for (int kx = 0; kx < c.kw; ++kx) {
              const int iy = oy * c.stride - c.padding.top + ky * c.dilation;
              const int ix = ox * c.stride - c.padding.left + kx * c.dilation;
              if (iy < 0 || iy >= c.in_h || ix < 0 || ix >= c.in_w) continue;
              acc += input[((n * c.in_h + iy) * c.in_w + ix) * c.channels + ch] - q.in.zero_point;
              ++count;
            }
          const float scale = q.in.scale / (q.out.scale * static_cast<float>(count ? count : 1));
          want.push_back(contract_requantize(acc, scale, q.out.zero_point, q.qmin, q.qmax));
        }
      });
      GuardedBuffer<int8_t> got(want.size());
      qs8_avg_pool2d(params_of(c), input.data(), c.batch, c.in_h, c.in_w, c.channels, q.in, q.out,
                     q.qmin, q.qmax, got.data());
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(int{got[i]}, int{want[i]}) << i;
    }
  }
}

TEST(Qs8PoolingOperatorTest, GlobalAvgPoolMatchesContract) {
  unsigned seed = 90;
  for (const PoolCase& c : kCases) {
    for (const Quant& q : kQuants) {
      const GuardedBuffer<int8_t> input(
          random_int8(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels, ++seed));
      const int pixels = c.in_h * c.in_w;
      std::vector<int8_t> want;
      for (int n = 0; n < c.batch; ++n)
        for (int ch = 0; ch < c.channels; ++ch) {
          int32_t acc = 0;
          for (int p = 0; p < pixels; ++p)
            acc += input[(n * pixels + p) * c.channels + ch] - q.in.zero_point;
          const float scale = q.in.scale / (q.out.scale * static_cast<float>(pixels));
          want.push_back(contract_requantize(acc, scale, q.out.zero_point, q.qmin, q.qmax));
        }
      GuardedBuffer<int8_t> got(want.size());
      qs8_global_avg_pool(input.data(), c.batch, c.in_h, c.in_w, c.channels, q.in, q.out, q.qmin,
                          q.qmax, got.data());
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(int{got[i]}, int{want[i]}) << i;
    }
  }
}

TEST(Qs8PoolingOperatorTest, RejectsBadArguments) {
  const std::vector<int8_t> in(16);
  std::vector<int8_t> out(16);
  Pool2dParams p;
  p.window.kernel_h = p.window.kernel_w = 2;
  const QuantParams q{0.1f, 0};
  EXPECT_THROW(qs8_max_pool2d(p, in.data(), 1, 2, 2, 4, q, 5, 4, out.data()), Error);
  EXPECT_THROW(
      qs8_avg_pool2d(p, in.data(), 1, 2, 2, 4, QuantParams{-1.0f, 0}, q, -128, 127, out.data()),
      Error);
  EXPECT_THROW(qs8_global_avg_pool(in.data(), 1, 0, 2, 4, q, q, -128, 127, out.data()), Error);
}

}  // namespace
}  // namespace fu::nn
