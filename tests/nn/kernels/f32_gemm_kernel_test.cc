// Every GEMM and IGEMM micro-kernel of the family lists, on all row counts, column tails and
// small depths, with strided rows whose gaps must stay untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/kernels/f32-gemm/f32-gemm.h"
#include "nn/kernels/f32-igemm/f32-igemm.h"
#include "nn/kernels/packing.h"
#include "nn/operators/test_util.h"

namespace fu::nn::kernels {
namespace {

constexpr float kSentinel = 12345.0f;

struct GemmKernel {
  std::string name;
  F32GemmMinMaxUkernel fn;
  size_t mr, nr;
};

struct IgemmKernel {
  std::string name;
  F32IgemmMinMaxUkernel fn;
  size_t mr, nr;
};

#define FU_GEMM_ENTRY(name, mr, nr) GemmKernel{#name, name, mr, nr},
const std::vector<GemmKernel> kGemmKernels = {FU_F32_GEMM_MINMAX_UKERNELS(FU_GEMM_ENTRY)};
#undef FU_GEMM_ENTRY
#define FU_IGEMM_ENTRY(name, mr, nr) IgemmKernel{#name, name, mr, nr},
const std::vector<IgemmKernel> kIgemmKernels = {FU_F32_IGEMM_MINMAX_UKERNELS(FU_IGEMM_ENTRY)};
#undef FU_IGEMM_ENTRY

// Checks C against clamp(bias + sum), and that the gap columns of every row and the rows past
// mr keep the sentinel.
void check_output(const std::vector<float>& c, const std::vector<double>& want, size_t m, size_t n,
                  size_t c_stride, MinMaxParams p, const std::string& what) {
  for (size_t i = 0; i < c.size() / c_stride; ++i) {
    for (size_t j = 0; j < c_stride; ++j) {
      const float got = c[i * c_stride + j];
      if (i < m && j < n) {
        const double v = std::fmin(std::fmax(want[i * n + j], p.min), p.max);
        ASSERT_NEAR(got, v, 1e-5 * (1 + std::fabs(v))) << what << " at " << i << "," << j;
      } else {
        ASSERT_EQ(got, kSentinel) << what << " wrote outside at " << i << "," << j;
      }
    }
  }
}

TEST(F32GemmKernelTest, AllKernelsAllTails) {
  for (const GemmKernel& k : kGemmKernels) {
    for (size_t m = 1; m <= k.mr; ++m) {
      for (size_t n = 1; n <= 3 * k.nr + 3; ++n) {
        for (size_t kc = 1; kc <= 11; kc += 2) {
          const size_t a_stride = kc + 3, c_stride = n + 5;
          const auto a = testing::random_vector(m * a_stride, 51 + m);
          const auto filter = testing::random_vector(n * kc, 52 + n);
          const auto bias = testing::random_vector(n, 53);
          const auto packed = pack_f32_gemm_weights(k.nr, n, 1, kc, filter.data(), bias.data());
          std::vector<double> want(m * n);
          for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < n; ++j) {
              double s = bias[j];
              for (size_t q = 0; q < kc; ++q) s += double(a[i * a_stride + q]) * filter[j * kc + q];
              want[i * n + j] = s;
            }
          const MinMaxParams p{-0.7f, 0.9f};
          std::vector<float> c((k.mr + 1) * c_stride, kSentinel);
          k.fn(m, n, kc, a.data(), a_stride, packed.data(), c.data(), c_stride, p);
          check_output(c, want, m, n, c_stride, p,
                       k.name + " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                           " k=" + std::to_string(kc));
        }
      }
    }
  }
}

TEST(F32IgemmKernelTest, AllKernelsAllTailsWithZeroTaps) {
  for (const IgemmKernel& k : kIgemmKernels) {
    for (size_t m = 1; m <= k.mr; ++m) {
      for (size_t n = 1; n <= 2 * k.nr + 3; ++n) {
        for (size_t kc : {1, 3, 8}) {
          const size_t ks = 3, c_stride = n + 2;
          // Input: 7 "pixels" of kc floats; tap t of row r reads pixel (r + 2 t) % 7, except that
          // tap 1 of row 0 reads the zero buffer.
          const auto input = testing::random_vector(7 * kc, 61);
          const std::vector<float> zero(kc, 0.0f);
          std::vector<int32_t> indirection(ks * k.mr);
          for (size_t t = 0; t < ks; ++t)
            for (size_t r = 0; r < k.mr; ++r)
              indirection[t * k.mr + r] = static_cast<int32_t>(((r + 2 * t) % 7) * kc);
          indirection[1 * k.mr + 0] = kF32IgemmZeroOffset;
          const auto filter = testing::random_vector(n * ks * kc, 62 + n);
          const auto bias = testing::random_vector(n, 63);
          const auto packed = pack_f32_gemm_weights(k.nr, n, ks, kc, filter.data(), bias.data());
          std::vector<double> want(m * n);
          for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < n; ++j) {
              double s = bias[j];
              for (size_t t = 0; t < ks; ++t) {
                const int32_t off = indirection[t * k.mr + i];
                for (size_t q = 0; q < kc; ++q) {
                  const double x = off == kF32IgemmZeroOffset ? 0.0 : input[off + q];
                  s += x * filter[(j * ks + t) * kc + q];
                }
              }
              want[i * n + j] = s;
            }
          const MinMaxParams p{-1.5f, 1.0f};
          std::vector<float> c((k.mr + 1) * c_stride, kSentinel);
          k.fn(m, n, kc, ks, indirection.data(), input.data(), zero.data(), packed.data(), c.data(),
               c_stride, p);
          check_output(c, want, m, n, c_stride, p,
                       k.name + " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                           " k=" + std::to_string(kc));
        }
      }
    }
  }
}

}  // namespace
}  // namespace fu::nn::kernels
