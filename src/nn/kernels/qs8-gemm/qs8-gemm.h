// int8 GEMM micro-kernels with fp32 requantisation:
//   C[mr x nc] = requantize_fp32(bias'[n] + sum_k A[m][k] * W[n][k], scale[n]).
//
// Weights are packed by pack_qs8_gemm_weights() (nn/kernels/qs8_packing.h) in panels of NR = 4
// output channels, "c8": NR int32 biases (the input zero point already folded in), then per
// block of kQs8GemmKr = 8 depth values the 8 weights of channel 0, of channel 1, ..., each
// already sign-extended to int16, zero padded past kc and nc, then NR float requantisation
// scales. Weights are stored widened because the tile is bound by its vector instructions, not
// by memory: a plain 16-byte load replaces a sign-extending one on every weight block (1.2x the
// tile's speed in WebAssembly, docs/kernels.md), for twice the packed bytes. The kernels
// multiply 8 int16 pairs at a time with the 16-bit dot product into one int32 vector per (row,
// channel) and fold the four lanes at the end. A rows are a_stride bytes apart, C rows c_stride
// bytes apart. Rows past mr are never read or written. No byte past any buffer is read: the last
// partial depth block of A is loaded byte-exactly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8_params.h"

namespace fu::nn::kernels {

// Depth values per packed weight block.
constexpr size_t kQs8GemmKr = 8;

using Qs8GemmMinMaxFp32Ukernel = void (*)(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                          size_t a_stride, const int8_t* w, int8_t* c,
                                          size_t c_stride, const Qs8Fp32Params& params);

// The one list of this family: X(name, MR, NR). Declarations, tests and benchmarks expand it.
#define FU_QS8_GEMM_MINMAX_FP32_UKERNELS(X)            \
  X(qs8_gemm_minmax_fp32_ukernel_1x4c8__simd128, 1, 4) \
  X(qs8_gemm_minmax_fp32_ukernel_2x4c8__simd128, 2, 4) \
  X(qs8_gemm_minmax_fp32_ukernel_3x4c8__simd128, 3, 4) \
  X(qs8_gemm_minmax_fp32_ukernel_4x4c8__simd128, 4, 4)

#define FU_DECLARE_QS8_GEMM_MINMAX_FP32_UKERNEL(name, mr, nr)                                    \
  void name(size_t mr_, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const int8_t* w, \
            int8_t* c, size_t c_stride, const Qs8Fp32Params& params);
FU_QS8_GEMM_MINMAX_FP32_UKERNELS(FU_DECLARE_QS8_GEMM_MINMAX_FP32_UKERNEL)
#undef FU_DECLARE_QS8_GEMM_MINMAX_FP32_UKERNEL

}  // namespace fu::nn::kernels
