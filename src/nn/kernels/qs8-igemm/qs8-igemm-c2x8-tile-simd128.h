// The register tile of the qs8 IGEMM "MRx8c2" kernels over int16 rows (internal to the kernel
// folder): MR rows x 8 output channels, two int32 vectors of 4 channels per row (one for a last
// panel of at most 4 channels), written once as a template so that every MR is the same code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8-igemm/qs8-igemm.h"
#include "nn/kernels/qs8_params.h"
#include "nn/simd/i16x8.h"

namespace fu::nn::kernels::qs8_c2x8 {

using namespace simd;

constexpr size_t kNr = 8;

// One panel of NV * 4 channels (NV = 2, or 1 for a last panel of at most 4) for MR rows: adds the
// taps' products to the panel's biases, requantises and stores the first n channels of each row.
// Returns w past the panel.
template <size_t MR, size_t NV>
FU_SIMD_INLINE const int8_t* panel(size_t n, size_t kc, size_t ks, const int32_t* indirection,
                                   const int16_t* input, const int16_t* zero, const int8_t* w,
                                   int8_t* const (&crow)[MR], const Qs8Fp32Params& params) {
  constexpr size_t kLanes = 4;
  i32x4 acc[MR][NV];
  for (size_t v = 0; v < NV; ++v) {
    const i32x4 bias = i32x4_load(w + v * kLanes * sizeof(int32_t));
    for (size_t r = 0; r < MR; ++r) acc[r][v] = bias;
  }
  w += NV * kLanes * sizeof(int32_t);
  const int32_t* idx = indirection;
  for (size_t t = 0; t < ks; ++t) {
    const int16_t* arow[MR];
    for (size_t r = 0; r < MR; ++r) arow[r] = idx[r] == kQs8IgemmZeroOffset ? zero : input + idx[r];
    idx += MR;
    for (size_t k = 0; k < kc; k += kQs8GemmC2Kr) {
      i16x8 vw[NV];
      for (size_t v = 0; v < NV; ++v) vw[v] = i16x8_load(w + v * sizeof(i16x8));
      w += NV * sizeof(i16x8);
      for (size_t r = 0; r < MR; ++r) {
        const i16x8 va = i16x8_load_pair_splat(arow[r] + k);
        for (size_t v = 0; v < NV; ++v) acc[r][v] += i32x4_dot_i16x8(va, vw[v]);
      }
    }
  }
  f32x4 scale[NV];
  for (size_t v = 0; v < NV; ++v) __builtin_memcpy(&scale[v], w + v * sizeof(f32x4), sizeof(f32x4));
  w += NV * kLanes * sizeof(float);
  const f32x4 vlo = f32x4_splat(params.min_less_zero_point);
  const f32x4 vhi = f32x4_splat(params.max_less_zero_point);
  const f32x4 vmagic = f32x4_splat(kRoundingMagic);
  const i32x4 vmagic_less_zp = i32x4_splat(params.magic_less_zero_point);
  // Last row first: rows past mr alias row mr - 1, whose own values must be the ones that stay.
  for (size_t r = MR; r-- > 0;) {
    i32x4 q[2];
    for (size_t v = 0; v < NV; ++v)
      q[v] = i32x4_requantize_fp32(acc[r][v], scale[v], vlo, vhi, vmagic_less_zp, vmagic);
    if constexpr (NV == 1) q[1] = q[0];
    // Values are already within [qmin, qmax], so the saturating narrowing is exact.
    const i16x8 q16 = i16x8_narrow_i32x4(q[0], q[1]);
    const i8x16 bytes = i8x16_narrow_i16x8(q16, q16);
    store_partial_bytes(crow[r], reinterpret_cast<const int8_t*>(&bytes), n);
  }
  return w;
}

template <size_t MR>
FU_SIMD_INLINE void igemm(size_t mr, size_t nc, size_t kc, size_t ks, const int32_t* indirection,
                          const int16_t* input, const int16_t* zero, const int8_t* w, int8_t* c,
                          size_t c_stride, const Qs8Fp32Params& params) {
  int8_t* crow[MR];
  for (size_t r = 0; r < MR; ++r) crow[r] = c + (r < mr ? r : mr - 1) * c_stride;
  while (nc > kNr / 2) {
    const size_t n = nc < kNr ? nc : kNr;
    w = panel<MR, 2>(n, kc, ks, indirection, input, zero, w, crow, params);
    for (size_t r = 0; r < MR; ++r) crow[r] += n;
    nc -= n;
  }
  if (nc != 0) panel<MR, 1>(nc, kc, ks, indirection, input, zero, w, crow, params);
}

}  // namespace fu::nn::kernels::qs8_c2x8
