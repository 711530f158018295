#include "nn/operators/qs8_gemm.h"

#include "nn/kernels/qs8-gemm/qs8-gemm.h"

namespace fu::nn::detail {

void run_qs8_gemm(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                  const int8_t* packed_w, int8_t* c, size_t c_stride,
                  const kernels::Qs8Fp32Params& params) {
  size_t row = 0;
  for (; row + kQs8GemmMr <= m; row += kQs8GemmMr) {
    kernels::qs8_gemm_minmax_fp32_ukernel_2x4c8__simd128(kQs8GemmMr, n, k, a + row * a_stride,
                                                         a_stride, packed_w, c + row * c_stride,
                                                         c_stride, params);
  }
  // The 1-row kernel does no redundant work on the last rows and runs batch-1 fully connected
  // layers.
  for (; row < m; ++row) {
    kernels::qs8_gemm_minmax_fp32_ukernel_1x4c8__simd128(
        1, n, k, a + row * a_stride, a_stride, packed_w, c + row * c_stride, c_stride, params);
  }
}

}  // namespace fu::nn::detail
