// Row-major single-precision GEMM for the backward passes (and the trainer's forward helpers):
//   C = alpha * op(A) * op(B) + beta * C,  op(X) = X or X^T,  op(A) is m x k, op(B) is k x n.
// Natively it calls OpenBLAS (Debian's libopenblas, one thread by default); elsewhere (the
// WebAssembly build, which never trains) a plain loop keeps the code portable.
#pragma once

namespace fu::nn::ops {

void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a,
           int lda, const float* b, int ldb, float beta, float* c, int ldc);

// Threads OpenBLAS may use for one GEMM (natively; a no-op elsewhere). Results do not depend on
// it bit for bit only through OpenBLAS's own partitioning, so repeatable runs keep it fixed.
void set_gemm_threads(int threads);

}  // namespace fu::nn::ops
