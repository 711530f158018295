// Drives the GEMM micro-kernels over a whole matrix; shared by the 1x1 convolution and fully
// connected operators.
#pragma once

#include <cstddef>

#include "nn/kernels/params.h"

namespace fu::nn::detail {

// Output channels per packed weight panel of the GEMM and IGEMM kernels used by the operators.
constexpr size_t kGemmNr = 8;
// Rows per register tile of the main GEMM and IGEMM kernels.
constexpr size_t kGemmMr = 4;

// C[m x n] = clamp(bias + A[m x k] * W) with W packed by pack_f32_gemm_weights(kGemmNr, n, 1, k).
void run_f32_gemm(size_t m, size_t n, size_t k, const float* a, size_t a_stride,
                  const float* packed_w, float* c, size_t c_stride,
                  const kernels::MinMaxParams& params);

}  // namespace fu::nn::detail
