// The register tile shared by the qs8 GEMM and IGEMM "MRx4c8" kernels (internal to the kernel
// folders): MR rows x 4 output channels, one int32 vector of partial sums per (row, channel),
// written once as templates so that every MR is the same code and the compiler keeps the
// MR x 4 accumulators in registers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8-gemm/qs8-gemm.h"
#include "nn/kernels/qs8-igemm/qs8-igemm.h"
#include "nn/kernels/qs8_params.h"
#include "nn/simd/i16x8.h"

namespace fu::nn::kernels::qs8_c8x4 {

using namespace simd;

constexpr size_t kNr = 4;
// Bytes of one packed depth block: kQs8GemmKr int16 weights for each of the kNr channels.
constexpr size_t kBlockBytes = kQs8GemmKr * kNr * sizeof(int16_t);

template <size_t MR>
struct Accumulators {
  i32x4 v[MR][kNr];
};

template <size_t MR>
FU_SIMD_INLINE void clear(Accumulators<MR>& acc) {
  for (size_t r = 0; r < MR; ++r)
    for (size_t j = 0; j < kNr; ++j) acc.v[r][j] = i32x4_zero();
}

template <size_t MR>
FU_SIMD_INLINE void multiply_block(const i16x8 (&va)[MR], const int8_t* w, Accumulators<MR>& acc) {
  for (size_t j = 0; j < kNr; ++j) {
    const i16x8 vb = i16x8_load(w + j * kQs8GemmKr * sizeof(int16_t));
    for (size_t r = 0; r < MR; ++r) acc.v[r][j] += i32x4_dot_i16x8(va[r], vb);
  }
}

// Adds a[r][0..kc) . W to the accumulators and returns w advanced past the kc depth values'
// blocks. The last partial block loads only the bytes that exist (its weights are zero padded).
template <size_t MR>
FU_SIMD_INLINE const int8_t* accumulate(const int8_t* const (&a)[MR], size_t kc, const int8_t* w,
                                        Accumulators<MR>& acc) {
  size_t k = 0;
  for (; k + kQs8GemmKr <= kc; k += kQs8GemmKr) {
    i16x8 va[MR];
    for (size_t r = 0; r < MR; ++r) va[r] = i16x8_load_i8x8(a[r] + k);
    multiply_block(va, w, acc);
    w += kBlockBytes;
  }
  if (k < kc) {
    i16x8 va[MR];
    for (size_t r = 0; r < MR; ++r) va[r] = i16x8_load_i8x8_partial(a[r] + k, kc - k);
    multiply_block(va, w, acc);
    w += kBlockBytes;
  }
  return w;
}

// Folds the accumulators, adds the panel's biases, requantises with its scales (read from
// `bias` and `scale`, 4 values each) and stores the first min(nc, 4) channels of each row.
template <size_t MR>
FU_SIMD_INLINE void store(const Accumulators<MR>& acc, const int8_t* bias, const int8_t* scale,
                          int8_t* const (&c)[MR], size_t nc, const Qs8Fp32Params& params) {
  const i32x4 vbias = i32x4_load(bias);
  f32x4 vscale;
  __builtin_memcpy(&vscale, scale, sizeof(vscale));
  const f32x4 vlo = f32x4_splat(params.min_less_zero_point);
  const f32x4 vhi = f32x4_splat(params.max_less_zero_point);
  const f32x4 vmagic = f32x4_splat(kRoundingMagic);
  const i32x4 vmagic_less_zp = i32x4_splat(params.magic_less_zero_point);
  i32x4 q[4];
  for (size_t r = 0; r < MR; ++r) {
    const i32x4 sum = vbias + i32x4_reduce_add4(acc.v[r][0], acc.v[r][1], acc.v[r][2], acc.v[r][3]);
    q[r] = i32x4_requantize_fp32(sum, vscale, vlo, vhi, vmagic_less_zp, vmagic);
  }
  for (size_t r = MR; r < 4; ++r) q[r] = q[0];
  // Values are already within [qmin, qmax], so the saturating narrowing is exact.
  const i8x16 bytes =
      i8x16_narrow_i16x8(i16x8_narrow_i32x4(q[0], q[1]), i16x8_narrow_i32x4(q[2], q[3]));
  // Last row first: rows past mr alias row mr - 1, whose own values must be the ones that stay.
  // Fixed-size copies only: a variable-length one is a library call per tile.
  if (nc >= kNr) {
    for (size_t r = MR; r-- > 0;) {
      const int8_t* row = reinterpret_cast<const int8_t*>(&bytes) + r * kNr;
      __builtin_memcpy(c[r], row, kNr);
    }
  } else {
    for (size_t r = MR; r-- > 0;) {
      store_partial_bytes(c[r], reinterpret_cast<const int8_t*>(&bytes) + r * kNr, nc);
    }
  }
}

// C[mr x nc] = requantize(A[mr x kc] * W): the body of every qs8_gemm MRx4c8 kernel.
template <size_t MR>
FU_SIMD_INLINE void gemm(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                         const int8_t* w, int8_t* c, size_t c_stride, const Qs8Fp32Params& params) {
  const int8_t* arow[MR];
  int8_t* crow[MR];
  for (size_t r = 0; r < MR; ++r) {
    // Rows past mr alias the last valid row: computed, never stored twice to a new place.
    const size_t rr = r < mr ? r : mr - 1;
    arow[r] = a + rr * a_stride;
    crow[r] = c + rr * c_stride;
  }
  do {
    const int8_t* bias = w;
    Accumulators<MR> acc;
    clear(acc);
    w = accumulate(arow, kc, w + kNr * sizeof(int32_t), acc);
    store(acc, bias, w, crow, nc, params);
    w += kNr * sizeof(float);
    const size_t n = nc < kNr ? nc : kNr;
    for (size_t r = 0; r < MR; ++r) crow[r] += n;
    nc -= n;
  } while (nc != 0);
}

// The indirect variant: the A rows of each tap come from the indirection buffer.
template <size_t MR>
FU_SIMD_INLINE void igemm(size_t mr, size_t nc, size_t kc, size_t ks, const int32_t* indirection,
                          const int8_t* input, const int8_t* zero, const int8_t* w, int8_t* c,
                          size_t c_stride, const Qs8Fp32Params& params) {
  int8_t* crow[MR];
  for (size_t r = 0; r < MR; ++r) crow[r] = c + (r < mr ? r : mr - 1) * c_stride;
  do {
    const int8_t* bias = w;
    w += kNr * sizeof(int32_t);
    Accumulators<MR> acc;
    clear(acc);
    const int32_t* idx = indirection;
    for (size_t t = 0; t < ks; ++t) {
      const int8_t* arow[MR];
      for (size_t r = 0; r < MR; ++r)
        arow[r] = idx[r] == kQs8IgemmZeroOffset ? zero : input + idx[r];
      idx += MR;
      w = accumulate(arow, kc, w, acc);
    }
    store(acc, bias, w, crow, nc, params);
    w += kNr * sizeof(float);
    const size_t n = nc < kNr ? nc : kNr;
    for (size_t r = 0; r < MR; ++r) crow[r] += n;
    nc -= n;
  } while (nc != 0);
}

}  // namespace fu::nn::kernels::qs8_c8x4
