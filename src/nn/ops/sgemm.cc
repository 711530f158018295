#include "nn/ops/sgemm.h"

#include <cstddef>

#ifdef FACEUNLOCK_HAVE_OPENBLAS
#include <cblas.h>
// Declared here because Debian's cblas.h alternative may point at another BLAS's header.
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace fu::nn::ops {

void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a,
           int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
#ifdef FACEUNLOCK_HAVE_OPENBLAS
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
#else
  for (int i = 0; i < m; ++i) {
    float* row = c + static_cast<std::size_t>(i) * ldc;
    for (int j = 0; j < n; ++j) row[j] = beta == 0.0f ? 0.0f : row[j] * beta;
    for (int p = 0; p < k; ++p) {
      const float av = transpose_a ? a[static_cast<std::size_t>(p) * lda + i]
                                   : a[static_cast<std::size_t>(i) * lda + p];
      const float s = alpha * av;
      if (s == 0.0f) continue;
      for (int j = 0; j < n; ++j) {
        const float bv = transpose_b ? b[static_cast<std::size_t>(j) * ldb + p]
                                     : b[static_cast<std::size_t>(p) * ldb + j];
        row[j] += s * bv;
      }
    }
  }
#endif
}

void set_gemm_threads(int threads) {
#ifdef FACEUNLOCK_HAVE_OPENBLAS
  openblas_set_num_threads(threads < 1 ? 1 : threads);
#else
  (void)threads;
#endif
}

}  // namespace fu::nn::ops
