#include "nn/operators/gemm.h"

#include "nn/kernels/f32-gemm/f32-gemm.h"

namespace fu::nn::detail {

void run_f32_gemm(size_t m, size_t n, size_t k, const float* a, size_t a_stride,
                  const float* packed_w, float* c, size_t c_stride,
                  const kernels::MinMaxParams& params) {
  size_t row = 0;
  for (; row + kGemmMr <= m; row += kGemmMr) {
    kernels::f32_gemm_minmax_ukernel_4x8__simd128(kGemmMr, n, k, a + row * a_stride, a_stride,
                                                  packed_w, c + row * c_stride, c_stride, params);
  }
  // The 1x8 kernel does no redundant work on the last rows (the 4x8 kernel would recompute
  // aliased rows) and is what batch-1 fully connected layers run on.
  for (; row < m; ++row) {
    kernels::f32_gemm_minmax_ukernel_1x8__simd128(1, n, k, a + row * a_stride, a_stride, packed_w,
                                                  c + row * c_stride, c_stride, params);
  }
}

}  // namespace fu::nn::detail
