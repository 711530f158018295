// Float GEMM micro-kernels with a fused output clamp: C[mr x nc] = clamp(bias + A[mr x kc] * W).
//
// Weights are packed by pack_f32_gemm_weights() (nn/kernels/packing.h) in panels of NR output
// channels: NR biases, then kc rows of NR weights, zero padded past nc. A rows are a_stride
// floats apart, C rows c_stride floats apart. Rows past mr are never read or written (the kernel
// points them at the last valid row). A and C are read and written exactly within their
// extents: these kernels read no byte past any buffer.
#pragma once

#include <cstddef>

#include "nn/kernels/params.h"

namespace fu::nn::kernels {

using F32GemmMinMaxUkernel = void (*)(size_t mr, size_t nc, size_t kc, const float* a,
                                      size_t a_stride, const float* w, float* c, size_t c_stride,
                                      const MinMaxParams& params);

// The one list of this family: X(name, MR, NR). Declarations, tests and benchmarks expand it.
#define FU_F32_GEMM_MINMAX_UKERNELS(X)          \
  X(f32_gemm_minmax_ukernel_1x8__simd128, 1, 8) \
  X(f32_gemm_minmax_ukernel_4x8__simd128, 4, 8)

#define FU_DECLARE_F32_GEMM_MINMAX_UKERNEL(name, mr, nr)                                       \
  void name(size_t mr_, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, \
            float* c, size_t c_stride, const MinMaxParams& params);
FU_F32_GEMM_MINMAX_UKERNELS(FU_DECLARE_F32_GEMM_MINMAX_UKERNEL)
#undef FU_DECLARE_F32_GEMM_MINMAX_UKERNEL

}  // namespace fu::nn::kernels
