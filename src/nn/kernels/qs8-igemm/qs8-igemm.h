// int8 indirect GEMM micro-kernels with fp32 requantisation, for convolutions other than 1x1:
//   C[mr x nc] = requantize_fp32(bias'[n] + sum over ks taps of A_tap[m] . W_tap[n], scale[n]).
//
// The rows of A_tap come from an indirection buffer of MR x ks int32 byte offsets laid out
// [tap][row]: row r of tap t starts at input + indirection[t * MR + r], or at `zero` (kc bytes
// equal to the input zero point, i.e. real zeros) when the offset is kQs8IgemmZeroOffset. All MR
// entries of every tap must be filled even when mr < MR (the caller repeats the last row).
// Weights are packed by pack_qs8_gemm_weights() with ks taps (the "c8" layout of
// nn/kernels/qs8-gemm/qs8-gemm.h, each tap's depth padded to a whole block). No byte past any
// buffer is read.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8_params.h"

namespace fu::nn::kernels {

constexpr int32_t kQs8IgemmZeroOffset = -1;

using Qs8IgemmMinMaxFp32Ukernel = void (*)(size_t mr, size_t nc, size_t kc, size_t ks,
                                           const int32_t* indirection, const int8_t* input,
                                           const int8_t* zero, const int8_t* w, int8_t* c,
                                           size_t c_stride, const Qs8Fp32Params& params);

// The one list of this family: X(name, MR, NR).
#define FU_QS8_IGEMM_MINMAX_FP32_UKERNELS(X)            \
  X(qs8_igemm_minmax_fp32_ukernel_1x4c8__simd128, 1, 4) \
  X(qs8_igemm_minmax_fp32_ukernel_2x4c8__simd128, 2, 4) \
  X(qs8_igemm_minmax_fp32_ukernel_3x4c8__simd128, 3, 4) \
  X(qs8_igemm_minmax_fp32_ukernel_4x4c8__simd128, 4, 4)

#define FU_DECLARE_QS8_IGEMM_MINMAX_FP32_UKERNEL(name, mr, nr)                                    \
  void name(size_t mr_, size_t nc, size_t kc, size_t ks, const int32_t* indirection,              \
            const int8_t* input, const int8_t* zero, const int8_t* w, int8_t* c, size_t c_stride, \
            const Qs8Fp32Params& params);
FU_QS8_IGEMM_MINMAX_FP32_UKERNELS(FU_DECLARE_QS8_IGEMM_MINMAX_FP32_UKERNEL)
#undef FU_DECLARE_QS8_IGEMM_MINMAX_FP32_UKERNEL

// The tiles over A rows the caller has already widened to int16 (input and zero are int16,
// offsets count int16 elements): a plain load per value instead of a sign-extending one, which
// the convolution pays once per input value in its padded copy instead of once per panel of
// output channels.
using Qs8IgemmA16MinMaxFp32Ukernel = void (*)(size_t mr, size_t nc, size_t kc, size_t ks,
                                              const int32_t* indirection, const int16_t* input,
                                              const int16_t* zero, const int8_t* w, int8_t* c,
                                              size_t c_stride, const Qs8Fp32Params& params);

#define FU_DECLARE_QS8_IGEMM_A16_MINMAX_FP32_UKERNEL(name, mr, nr)                   \
  void name(size_t mr_, size_t nc, size_t kc, size_t ks, const int32_t* indirection, \
            const int16_t* input, const int16_t* zero, const int8_t* w, int8_t* c,   \
            size_t c_stride, const Qs8Fp32Params& params);
// The "c2" tiles over int16 rows: MR rows x 8 output channels,
// weights packed by pack_qs8_gemm_weights_c2() in pairs of depth values. Each pair of a row is
// loaded as one broadcast 32-bit value and multiplied against 4 channels' pairs at once, so the
// accumulators already hold one output channel per lane: no lanes to fold at the end (the c8
// tiles spend shuffles per row on that), taps padded to an even depth only (21 -> 22 values for a
// 7-wide RGB row, not 24; 36 for a 3-wide 12-channel row, not 40), and 8 channels per tile with
// 8 accumulators, 2 weight vectors and a broadcast pair in registers for MR = 4. A last panel of
// at most 4 channels runs 4 wide. kc must be even.
constexpr size_t kQs8GemmC2Kr = 2;

#define FU_QS8_IGEMM_C2_A16_MINMAX_FP32_UKERNELS(X)         \
  X(qs8_igemm_minmax_fp32_ukernel_1x8c2__simd128_a16, 1, 8) \
  X(qs8_igemm_minmax_fp32_ukernel_2x8c2__simd128_a16, 2, 8) \
  X(qs8_igemm_minmax_fp32_ukernel_3x8c2__simd128_a16, 3, 8) \
  X(qs8_igemm_minmax_fp32_ukernel_4x8c2__simd128_a16, 4, 8)

FU_QS8_IGEMM_C2_A16_MINMAX_FP32_UKERNELS(FU_DECLARE_QS8_IGEMM_A16_MINMAX_FP32_UKERNEL)

#undef FU_DECLARE_QS8_IGEMM_A16_MINMAX_FP32_UKERNEL

}  // namespace fu::nn::kernels
