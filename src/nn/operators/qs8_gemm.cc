#include "nn/operators/qs8_gemm.h"

#include "base/thread_pool.h"
#include "nn/kernels/qs8-gemm/qs8-gemm.h"

namespace fu::nn::detail {

void run_qs8_gemm(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                  const int8_t* packed_w, int8_t* c, size_t c_stride,
                  const kernels::Qs8Fp32Params& params, ThreadPool* pool) {
  // Units 0..tiles-1 are full register tiles; the rest are the last rows, one each, on the
  // 1-row kernel, which does no redundant work there and runs batch-1 fully connected layers.
  const size_t tiles = m / kQs8GemmMr;
  const size_t units = tiles + m % kQs8GemmMr;
  auto rows = [&](size_t begin, size_t end, int) {
    for (size_t u = begin; u < end; ++u) {
      if (u < tiles) {
        const size_t row = u * kQs8GemmMr;
        kernels::qs8_gemm_minmax_fp32_ukernel_2x4c8__simd128(kQs8GemmMr, n, k, a + row * a_stride,
                                                             a_stride, packed_w, c + row * c_stride,
                                                             c_stride, params);
      } else {
        const size_t row = tiles * kQs8GemmMr + (u - tiles);
        kernels::qs8_gemm_minmax_fp32_ukernel_1x4c8__simd128(
            1, n, k, a + row * a_stride, a_stride, packed_w, c + row * c_stride, c_stride, params);
      }
    }
  };
  for_parts(pool_worth(pool, m * n * k), units, rows);
}

}  // namespace fu::nn::detail
