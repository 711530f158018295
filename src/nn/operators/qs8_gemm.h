// Drives the qs8 GEMM micro-kernels over a whole matrix; shared by the qs8 1x1 convolution and
// fully connected operators, with the tile sizes the qs8 convolution uses too.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8_params.h"
#include "nn/operators/gemm.h"

namespace fu::nn::detail {

// Output channels per packed weight panel of the qs8 GEMM and IGEMM kernels.
constexpr size_t kQs8GemmNr = 4;
// Rows per register tile of the main qs8 GEMM and IGEMM kernels.
constexpr size_t kQs8GemmMr = 2;

// C[m x n] = requantize(A[m x k] * W) with W packed by pack_qs8_gemm_weights(kQs8GemmNr, n, 1,
// k, ...). With a pool, its threads take whole register tiles of rows (bit-identical results).
void run_qs8_gemm(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                  const int8_t* packed_w, int8_t* c, size_t c_stride,
                  const kernels::Qs8Fp32Params& params, ThreadPool* pool = nullptr);

}  // namespace fu::nn::detail
