// The body shared by the qs8 depthwise kernels (internal to the kernel folder): G packed groups
// of 8 channels per step, widened 16-bit products into two int32 vectors per group. KS is the
// tap count when fixed at compile time (so the tap loop unrolls), or 0 for any.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"
#include "nn/kernels/qs8_params.h"
#include "nn/simd/i16x8.h"

namespace fu::nn::kernels::qs8_dwconv {

using namespace simd;

constexpr size_t kGroup = kQs8DwconvChannelGroup;

FU_SIMD_INLINE size_t group_bytes(size_t ks) {
  return kGroup * sizeof(int32_t) + ks * kGroup + kGroup * sizeof(float);
}

struct Requantizer {
  f32x4 lo, hi, magic;
  i32x4 magic_less_zp;
  explicit Requantizer(const Qs8Fp32Params& p)
      : lo(f32x4_splat(p.min_less_zero_point)),
        hi(f32x4_splat(p.max_less_zero_point)),
        magic(f32x4_splat(kRoundingMagic)),
        magic_less_zp(i32x4_splat(p.magic_less_zero_point)) {}

  // 8 channels' accumulators and the group's scales to 8 int8 values (in the low 8 lanes).
  FU_SIMD_INLINE i16x8 operator()(i32x4 acc_lo, i32x4 acc_hi, const int8_t* scales) const {
    f32x4 s_lo, s_hi;
    __builtin_memcpy(&s_lo, scales, sizeof(s_lo));
    __builtin_memcpy(&s_hi, scales + sizeof(s_lo), sizeof(s_hi));
    return i16x8_narrow_i32x4(i32x4_requantize_fp32(acc_lo, s_lo, lo, hi, magic_less_zp, magic),
                              i32x4_requantize_fp32(acc_hi, s_hi, lo, hi, magic_less_zp, magic));
  }
};

// Channels [c, c + 8 * G) of one output pixel from G consecutive full groups at wg.
template <size_t G, size_t KS>
FU_SIMD_INLINE void full_groups(const int8_t* const* taps, size_t ks, size_t c, const int8_t* wg,
                                int8_t* out, const Requantizer& rq) {
  const size_t taps_count = KS != 0 ? KS : ks;
  const size_t stride = group_bytes(taps_count);
  i32x4 lo[G], hi[G];
  for (size_t g = 0; g < G; ++g) {
    lo[g] = i32x4_load(wg + g * stride);
    hi[g] = i32x4_load(wg + g * stride + 16);
  }
  for (size_t t = 0; t < taps_count; ++t) {
    const int8_t* in = taps[t] + c;
    for (size_t g = 0; g < G; ++g) {
      const i16x8 vw = i16x8_load_i8x8(wg + g * stride + 32 + t * kGroup);
      const i16x8 p = i16x8_mul(i16x8_load_i8x8(in + g * kGroup), vw);
      lo[g] += i32x4_extend_low_i16x8(p);
      hi[g] += i32x4_extend_high_i16x8(p);
    }
  }
  for (size_t g = 0; g < G; g += 2) {
    const i16x8 q0 = rq(lo[g], hi[g], wg + g * stride + 32 + taps_count * kGroup);
    if (g + 1 < G) {
      const i16x8 q1 = rq(lo[g + 1], hi[g + 1], wg + (g + 1) * stride + 32 + taps_count * kGroup);
      const i8x16 bytes = i8x16_narrow_i16x8(q0, q1);
      __builtin_memcpy(out + c + g * kGroup, &bytes, 16);
    } else {
      const i8x16 bytes = i8x16_narrow_i16x8(q0, q0);
      __builtin_memcpy(out + c + g * kGroup, &bytes, 8);
    }
  }
}

// The last n (1..7) channels starting at c, from the partial group at wg.
template <size_t KS>
FU_SIMD_INLINE void partial_group(const int8_t* const* taps, size_t ks, size_t c, size_t n,
                                  const int8_t* wg, int8_t* out, const Requantizer& rq) {
  const size_t taps_count = KS != 0 ? KS : ks;
  i32x4 lo = i32x4_load(wg);
  i32x4 hi = i32x4_load(wg + 16);
  for (size_t t = 0; t < taps_count; ++t) {
    const i16x8 vw = i16x8_load_i8x8(wg + 32 + t * kGroup);
    const i16x8 p = i16x8_mul(i16x8_load_i8x8_partial(taps[t] + c, n), vw);
    lo += i32x4_extend_low_i16x8(p);
    hi += i32x4_extend_high_i16x8(p);
  }
  const i16x8 q = rq(lo, hi, wg + 32 + taps_count * kGroup);
  const i8x16 bytes = i8x16_narrow_i16x8(q, q);
  __builtin_memcpy(out + c, &bytes, n);
}

template <size_t G, size_t KS>
FU_SIMD_INLINE void dwconv(size_t channels, size_t output_width, size_t ks,
                           const int8_t* const* input, const int8_t* w, int8_t* output,
                           const Qs8Fp32Params& params) {
  assert(channels >= 1);
  assert(ks >= 1);
  assert(KS == 0 || ks == KS);
  const size_t taps_count = KS != 0 ? KS : ks;
  const size_t stride = group_bytes(taps_count);
  const Requantizer rq(params);
  for (size_t x = 0; x < output_width; ++x) {
    const int8_t* const* taps = input + x * taps_count;
    const int8_t* wg = w;
    size_t c = 0;
    for (; c + G * kGroup <= channels; c += G * kGroup) {
      full_groups<G, KS>(taps, taps_count, c, wg, output, rq);
      wg += G * stride;
    }
    for (; c + kGroup <= channels; c += kGroup) {
      full_groups<1, KS>(taps, taps_count, c, wg, output, rq);
      wg += stride;
    }
    if (c < channels) partial_group<KS>(taps, taps_count, c, channels - c, wg, output, rq);
    output += channels;
  }
}

}  // namespace fu::nn::kernels::qs8_dwconv
