// The body shared by the qs8 PReLU kernels (internal to the kernel folder): G groups of 8
// channels per step, widened to int32 lanes and requantised by a step functor: in float (fp32)
// or in fixed point (rndnu).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"
#include "nn/simd/i16x8.h"

namespace fu::nn::kernels::qs8_vprelu {

using namespace simd;

constexpr size_t kGroup = kQs8VpreluChannelGroup;

struct Fp32Step {
  i32x4 input_zero_point;
  f32x4 positive, lo, hi, magic;
  i32x4 magic_less_zp;
  explicit Fp32Step(const Qs8VpreluFp32Params& p)
      : input_zero_point(i32x4_splat(p.input_zero_point)),
        positive(f32x4_splat(p.positive_scale)),
        lo(f32x4_splat(p.requantization.min_less_zero_point)),
        hi(f32x4_splat(p.requantization.max_less_zero_point)),
        magic(f32x4_splat(kRoundingMagic)),
        magic_less_zp(i32x4_splat(p.requantization.magic_less_zero_point)) {}

  // Four inputs (sign-extended to int32) with their channels' negative scales. The zero point
  // is subtracted in 32 bits on purpose: clang folds a 16-bit difference, sign-extended and
  // converted to float, into a 16-bit-to-float conversion that WebAssembly lacks, and then
  // converts lane by lane (measured: 2.5x slower than native instead of on par).
  FU_SIMD_INLINE i32x4 requantize(i32x4 q, const float* negative) const {
    const i32x4 x = q - input_zero_point;
    const f32x4 scale = f32x4_select(x >= i32x4_zero(), positive, f32x4_load(negative));
    return i32x4_requantize_fp32(x, scale, lo, hi, magic_less_zp, magic);
  }

  // Eight int8 values (sign-extended to 16 bits) to eight output values in 16-bit lanes, already
  // clamped (in float).
  FU_SIMD_INLINE i16x8 operator()(i16x8 q, const float* negative) const {
    return i16x8_narrow_i32x4(requantize(i32x4_extend_low_i16x8(q), negative),
                              requantize(i32x4_extend_high_i16x8(q), negative + 4));
  }
  FU_SIMD_INLINE i8x16 clamp(i8x16 bytes) const { return bytes; }
};

// Fixed point: out = (x * m + rounding) >> kQs8VpreluRndnuShift, the output zero point inside
// `rounding`, and the clamp after narrowing. The product is one i32x4.dot_i16x8_s (pmaddwd) of
// the lanes (x * 128, x) with the multiplier's pair (m >> 7, m & 127): exact, since |x * 128| and
// both halves fit in 16 bits, and cheaper than an i32x4.mul after widening x. A lane's sign is
// x's (its high half), so the shift by 31 gives the select mask; the negative side's pairs are
// stored xor the positive pair, so that the select is an and plus an xor.
struct RndnuStep {
  i16x8 input_zero_point;
  i32x4 positive, rounding;
  i8x16 qmin, qmax;
  explicit RndnuStep(const Qs8VpreluRndnuParams& p)
      : input_zero_point(i16x8_splat(p.input_zero_point)),
        positive(i32x4_splat(p.positive_pair)),
        rounding(i32x4_splat(p.rounding)),
        qmin(i8x16_splat(p.qmin)),
        qmax(i8x16_splat(p.qmax)) {}

  FU_SIMD_INLINE i32x4 requantize(i16x8 lanes, const int32_t* negative_xor_positive) const {
    const i32x4 pair = positive ^ (((i32x4)lanes >> 31) & i32x4_load(negative_xor_positive));
    return (i32x4_dot_i16x8(lanes, (i16x8)pair) + rounding) >> kQs8VpreluRndnuShift;
  }

  // The zero point is subtracted in 16 bits (exact: within [-255, 255]).
  FU_SIMD_INLINE i16x8 operator()(i16x8 q, const int32_t* negative_xor_positive) const {
    const i16x8 x = q - input_zero_point;
    const i16x8 x128 = x << 7;
    const i16x8 low = __builtin_shufflevector(x128, x, 0, 8, 1, 9, 2, 10, 3, 11);
    const i16x8 high = __builtin_shufflevector(x128, x, 4, 12, 5, 13, 6, 14, 7, 15);
    return i16x8_narrow_i32x4(requantize(low, negative_xor_positive),
                              requantize(high, negative_xor_positive + 4));
  }
  FU_SIMD_INLINE i8x16 clamp(i8x16 bytes) const { return i8x16_min(i8x16_max(bytes, qmin), qmax); }
};

// `Step` is Fp32Step or RndnuStep, `Scale` its per-channel negative-side value.
template <size_t G, typename Step, typename Scale>
FU_SIMD_INLINE void prelu(size_t pixels, size_t channels, const int8_t* input,
                          const Scale* negative_scales, int8_t* output, const Step& k) {
  assert(channels >= 1);
  for (size_t p = 0; p < pixels; ++p) {
    size_t c = 0;
    for (; c + G * kGroup <= channels; c += G * kGroup) {
      i16x8 q[G];
      for (size_t g = 0; g < G; ++g) {
        q[g] = k(i16x8_load_i8x8(input + c + g * kGroup), negative_scales + c + g * kGroup);
      }
      for (size_t g = 0; g < G; g += 2) {
        const i8x16 bytes = k.clamp(i8x16_narrow_i16x8(q[g], g + 1 < G ? q[g + 1] : q[g]));
        __builtin_memcpy(output + c + g * kGroup, &bytes, g + 1 < G ? 16 : 8);
      }
    }
    for (; c + kGroup <= channels; c += kGroup) {
      const i16x8 q = k(i16x8_load_i8x8(input + c), negative_scales + c);
      const i8x16 bytes = k.clamp(i8x16_narrow_i16x8(q, q));
      __builtin_memcpy(output + c, &bytes, 8);
    }
    if (c < channels) {
      const size_t n = channels - c;
      const i16x8 q = k(i16x8_load_i8x8_partial(input + c, n), negative_scales + c);
      const i8x16 bytes = k.clamp(i8x16_narrow_i16x8(q, q));
      __builtin_memcpy(output + c, &bytes, n);
    }
    input += channels;
    output += channels;
  }
}

}  // namespace fu::nn::kernels::qs8_vprelu
