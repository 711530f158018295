// Float indirect GEMM micro-kernels with a fused output clamp, for convolutions other than 1x1:
// C[mr x nc] = clamp(bias + sum over ks taps of A_tap[mr x kc] * W_tap).
//
// The rows of A_tap come from an indirection buffer of MR x ks int32 element offsets laid out
// [tap][row]: row r of tap t starts at input + indirection[t * MR + r], or at `zero` (kc zeros)
// when the offset is kF32IgemmZeroOffset (a padded tap). Offsets rather than pointers keep the
// buffer valid whatever address the input has, so it is built once per input size. All MR
// entries of every tap must be filled even when mr < MR (the caller repeats the last row).
// Weights are packed by pack_f32_gemm_weights() with ks taps. Reads no byte past any buffer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/params.h"

namespace fu::nn::kernels {

constexpr int32_t kF32IgemmZeroOffset = -1;

using F32IgemmMinMaxUkernel = void (*)(size_t mr, size_t nc, size_t kc, size_t ks,
                                       const int32_t* indirection, const float* input,
                                       const float* zero, const float* w, float* c, size_t c_stride,
                                       const MinMaxParams& params);

// The one list of this family: X(name, MR, NR).
#define FU_F32_IGEMM_MINMAX_UKERNELS(X)          \
  X(f32_igemm_minmax_ukernel_1x8__simd128, 1, 8) \
  X(f32_igemm_minmax_ukernel_4x8__simd128, 4, 8)

#define FU_DECLARE_F32_IGEMM_MINMAX_UKERNEL(name, mr, nr)                                     \
  void name(size_t mr_, size_t nc, size_t kc, size_t ks, const int32_t* indirection,          \
            const float* input, const float* zero, const float* w, float* c, size_t c_stride, \
            const MinMaxParams& params);
FU_F32_IGEMM_MINMAX_UKERNELS(FU_DECLARE_F32_IGEMM_MINMAX_UKERNEL)
#undef FU_DECLARE_F32_IGEMM_MINMAX_UKERNEL

}  // namespace fu::nn::kernels
