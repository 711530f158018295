#include "nn/operators/elementwise.h"

#include <cmath>

#include "nn/reference/validate.h"
#include "nn/simd/f32x4.h"

namespace fu::nn {

using namespace simd;

void add(Activation activation, const float* a, const float* b, size_t count, float* output) {
  detail::check_activation("run add", activation);
  const f32x4 vmin = f32x4_splat(activation.min);
  const f32x4 vmax = f32x4_splat(activation.max);
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    f32x4_store(output + i,
                f32x4_clamp(f32x4_add(f32x4_load(a + i), f32x4_load(b + i)), vmin, vmax));
  }
  if (i < count) {
    const size_t n = count - i;
    const f32x4 sum = f32x4_add(f32x4_load_partial(a + i, n), f32x4_load_partial(b + i, n));
    f32x4_store_partial(output + i, f32x4_clamp(sum, vmin, vmax), n);
  }
}

void clamp(Activation activation, const float* input, size_t count, float* output) {
  detail::check_activation("run clamp", activation);
  const f32x4 vmin = f32x4_splat(activation.min);
  const f32x4 vmax = f32x4_splat(activation.max);
  size_t i = 0;
  for (; i + 4 <= count; i += 4)
    f32x4_store(output + i, f32x4_clamp(f32x4_load(input + i), vmin, vmax));
  if (i < count) {
    const size_t n = count - i;
    f32x4_store_partial(output + i, f32x4_clamp(f32x4_load_partial(input + i, n), vmin, vmax), n);
  }
}

void scale_bias(Activation activation, const float* scale, const float* bias, const float* input,
                int pixels, int channels, float* output) {
  detail::check_activation("run scale_bias", activation);
  const f32x4 vmin = f32x4_splat(activation.min);
  const f32x4 vmax = f32x4_splat(activation.max);
  const size_t ch = channels;
  for (int p = 0; p < pixels; ++p) {
    const float* x = input + p * ch;
    float* y = output + p * ch;
    size_t c = 0;
    for (; c + 4 <= ch; c += 4) {
      const f32x4 v = f32x4_muladd(f32x4_load(x + c), f32x4_load(scale + c), f32x4_load(bias + c));
      f32x4_store(y + c, f32x4_clamp(v, vmin, vmax));
    }
    if (c < ch) {
      const size_t n = ch - c;
      const f32x4 v = f32x4_muladd(f32x4_load_partial(x + c, n), f32x4_load_partial(scale + c, n),
                                   f32x4_load_partial(bias + c, n));
      f32x4_store_partial(y + c, f32x4_clamp(v, vmin, vmax), n);
    }
  }
}

namespace {

inline f32x4 prelu4(f32x4 x, f32x4 slope) {
  return f32x4_select(f32x4_ge_zero(x), x, f32x4_mul(x, slope));
}

}  // namespace

void prelu(const float* slope, const float* input, int pixels, int channels, float* output) {
  const size_t ch = channels;
  for (int p = 0; p < pixels; ++p) {
    const float* x = input + p * ch;
    float* y = output + p * ch;
    size_t c = 0;
    for (; c + 4 <= ch; c += 4)
      f32x4_store(y + c, prelu4(f32x4_load(x + c), f32x4_load(slope + c)));
    if (c < ch) {
      const size_t n = ch - c;
      f32x4_store_partial(
          y + c, prelu4(f32x4_load_partial(x + c, n), f32x4_load_partial(slope + c, n)), n);
    }
  }
}

void l2_normalize(float eps, const float* input, int pixels, int channels, float* output) {
  if (!(eps > 0.0f))
    detail::fail("run l2_normalize", "eps " + std::to_string(eps), "must be positive");
  const size_t ch = channels;
  for (int p = 0; p < pixels; ++p) {
    const float* x = input + p * ch;
    float* y = output + p * ch;
    // Two partial sums shorten the dependency chain of the squares.
    f32x4 sum0 = f32x4_zero();
    f32x4 sum1 = f32x4_zero();
    size_t c = 0;
    for (; c + 8 <= ch; c += 8) {
      const f32x4 v0 = f32x4_load(x + c);
      const f32x4 v1 = f32x4_load(x + c + 4);
      sum0 = f32x4_muladd(v0, v0, sum0);
      sum1 = f32x4_muladd(v1, v1, sum1);
    }
    for (; c + 4 <= ch; c += 4) {
      const f32x4 v = f32x4_load(x + c);
      sum0 = f32x4_muladd(v, v, sum0);
    }
    if (c < ch) {
      const f32x4 v = f32x4_load_partial(x + c, ch - c);
      sum1 = f32x4_muladd(v, v, sum1);
    }
    const float sum = f32x4_reduce_add(f32x4_add(sum0, sum1));
    const f32x4 inv = f32x4_splat(1.0f / std::sqrt(sum > eps ? sum : eps));
    for (c = 0; c + 4 <= ch; c += 4) f32x4_store(y + c, f32x4_mul(f32x4_load(x + c), inv));
    if (c < ch) {
      const size_t n = ch - c;
      f32x4_store_partial(y + c, f32x4_mul(f32x4_load_partial(x + c, n), inv), n);
    }
  }
}

}  // namespace fu::nn
