#include "nn/operators/gemm.h"

#include "base/thread_pool.h"
#include "nn/kernels/f32-gemm/f32-gemm.h"

namespace fu::nn::detail {

ThreadPool* pool_worth(ThreadPool* pool, size_t macs) {
  return macs >= kMinParallelMacs ? pool : nullptr;
}

void run_f32_gemm(size_t m, size_t n, size_t k, const float* a, size_t a_stride,
                  const float* packed_w, float* c, size_t c_stride,
                  const kernels::MinMaxParams& params, ThreadPool* pool) {
  // Units 0..tiles-1 are full register tiles; the rest are the last rows, one each. The 1x8
  // kernel does no redundant work on those rows (the 4x8 kernel would recompute aliased rows)
  // and is what batch-1 fully connected layers run on.
  const size_t tiles = m / kGemmMr;
  const size_t units = tiles + m % kGemmMr;
  auto rows = [&](size_t begin, size_t end, int) {
    for (size_t u = begin; u < end; ++u) {
      if (u < tiles) {
        const size_t row = u * kGemmMr;
        kernels::f32_gemm_minmax_ukernel_4x8__simd128(kGemmMr, n, k, a + row * a_stride, a_stride,
                                                      packed_w, c + row * c_stride, c_stride,
                                                      params);
      } else {
        const size_t row = tiles * kGemmMr + (u - tiles);
        kernels::f32_gemm_minmax_ukernel_1x8__simd128(
            1, n, k, a + row * a_stride, a_stride, packed_w, c + row * c_stride, c_stride, params);
      }
    }
  };
  for_parts(pool_worth(pool, m * n * k), units, rows);
}

}  // namespace fu::nn::detail
