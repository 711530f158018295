// Drives the GEMM micro-kernels over a whole matrix; shared by the 1x1 convolution and fully
// connected operators.
#pragma once

#include <cstddef>

#include "nn/kernels/params.h"

namespace fu {
class ThreadPool;
}

namespace fu::nn::detail {

// Output channels per packed weight panel of the GEMM and IGEMM kernels used by the operators.
constexpr size_t kGemmNr = 8;
// Rows per register tile of the main GEMM and IGEMM kernels.
constexpr size_t kGemmMr = 4;

// Fewest multiply-adds a layer needs before a thread pool splits it: below this, waking the
// workers costs more than they save.
constexpr size_t kMinParallelMacs = size_t{1} << 17;

// The pool to split work of `macs` multiply-adds over (for for_parts): `pool` itself, or nullptr
// (run on the calling thread) when the work is too small to be worth waking the workers.
ThreadPool* pool_worth(ThreadPool* pool, size_t macs);

// C[m x n] = clamp(bias + A[m x k] * W) with W packed by pack_f32_gemm_weights(kGemmNr, n, 1, k).
// With a pool, its threads take whole register tiles of rows, so every row runs the kernel it
// runs on one thread and the result is bit-identical.
void run_f32_gemm(size_t m, size_t n, size_t k, const float* a, size_t a_stride,
                  const float* packed_w, float* c, size_t c_stride,
                  const kernels::MinMaxParams& params, ThreadPool* pool = nullptr);

}  // namespace fu::nn::detail
