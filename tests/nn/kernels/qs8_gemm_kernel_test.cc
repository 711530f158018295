// Every qs8 GEMM and IGEMM micro-kernel of the family lists against a plain scalar loop of the
// int8 contract, bit-exact: all row counts, column tails, depths around the 8-value block,
// extreme values and zero points at the ends, with strided rows whose gaps must stay untouched
// and buffers that end at an inaccessible page.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/qs8-gemm/qs8-gemm.h"
#include "nn/kernels/qs8-igemm/qs8-igemm.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/kernels/qs8_test_util.h"

namespace fu::nn::kernels {
namespace {

using testing::contract_requantize;
using testing::GuardedBuffer;
using testing::random_int32;
using testing::random_int8;
using testing::random_scales;

constexpr int8_t kSentinel = 0x5A;

struct GemmKernel {
  std::string name;
  Qs8GemmMinMaxFp32Ukernel fn;
  size_t mr, nr;
};

struct IgemmKernel {
  std::string name;
  Qs8IgemmMinMaxFp32Ukernel fn;
  size_t mr, nr;
};

#define FU_GEMM_ENTRY(name, mr, nr) GemmKernel{#name, name, mr, nr},
const std::vector<GemmKernel> kGemmKernels = {FU_QS8_GEMM_MINMAX_FP32_UKERNELS(FU_GEMM_ENTRY)};
#undef FU_GEMM_ENTRY
#define FU_IGEMM_ENTRY(name, mr, nr) IgemmKernel{#name, name, mr, nr},
const std::vector<IgemmKernel> kIgemmKernels = {FU_QS8_IGEMM_MINMAX_FP32_UKERNELS(FU_IGEMM_ENTRY)};
#undef FU_IGEMM_ENTRY

struct IgemmC2Kernel {
  std::string name;
  Qs8IgemmA16MinMaxFp32Ukernel fn;
  size_t mr, nr;
};

#define FU_IGEMM_C2_ENTRY(name, mr, nr) IgemmC2Kernel{#name, name, mr, nr},
const std::vector<IgemmC2Kernel> kIgemmC2Kernels = {
    FU_QS8_IGEMM_C2_A16_MINMAX_FP32_UKERNELS(FU_IGEMM_C2_ENTRY)};
#undef FU_IGEMM_C2_ENTRY

// Quantisation of one case: input and output zero points, output clamp.
struct Quant {
  int32_t input_zp;
  int32_t output_zp;
  int8_t qmin, qmax;
};

// Zero points at both ends and inside, a fused ReLU (qmin = output zero point), a narrow clamp.
const std::vector<Quant> kQuants = {
    {0, 0, -128, 127}, {-128, 127, -128, 127}, {127, -128, -128, 127},
    {-3, 5, 5, 127},   {17, -9, -40, 60},
};

// Rows of C are c_stride bytes; checks row i < m, column j < n against `want` and that every
// other byte kept the sentinel.
void check_output(const GuardedBuffer<int8_t>& c, const std::vector<int8_t>& want, size_t m,
                  size_t n, size_t c_stride, const std::string& what) {
  for (size_t i = 0; i < c.size(); ++i) {
    const size_t row = i / c_stride, col = i % c_stride;
    if (row < m && col < n) {
      ASSERT_EQ(int{c[i]}, int{want[row * n + col]}) << what << " at " << row << "," << col;
    } else {
      ASSERT_EQ(c[i], kSentinel) << what << " wrote outside at " << row << "," << col;
    }
  }
}

// The depths: below, at and around the 8-value block, and a few whole blocks.
const std::vector<size_t> kDepths = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 24, 31, 64};

TEST(Qs8GemmKernelTest, AllKernelsAllTailsBitExact) {
  unsigned seed = 1;
  for (const GemmKernel& k : kGemmKernels) {
    for (size_t m = 1; m <= k.mr; ++m) {
      for (size_t n = 1; n <= 3 * k.nr + 3; ++n) {
        for (size_t kc : kDepths) {
          const Quant& q = kQuants[seed % kQuants.size()];
          ++seed;
          const size_t a_stride = kc + 3, c_stride = n + 5;
          // The last row ends exactly at the guard page (no stride gap after it).
          const GuardedBuffer<int8_t> a(random_int8((m - 1) * a_stride + kc, seed));
          const auto filter = random_int8(n * kc, seed + 1, -127, 127);
          const auto bias = random_int32(n, seed + 2, -20000, 20000);
          auto scales = random_scales(n, seed + 3, kc);
          if (seed % 5 == 0) scales.assign(n, 0.5f);  // exact halves: ties to even
          const GuardedBuffer<int8_t> packed(pack_qs8_gemm_weights(
              k.nr, n, 1, kc, filter.data(), bias.data(), scales.data(), q.input_zp));
          std::vector<int8_t> want(m * n);
          for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < n; ++j) {
              int32_t acc = bias[j];
              for (size_t x = 0; x < kc; ++x)
                acc += (int32_t{a[i * a_stride + x]} - q.input_zp) * filter[j * kc + x];
              want[i * n + j] = contract_requantize(acc, scales[j], q.output_zp, q.qmin, q.qmax);
            }
          GuardedBuffer<int8_t> c(std::vector<int8_t>((m - 1) * c_stride + n, kSentinel));
          k.fn(m, n, kc, a.data(), a_stride, packed.data(), c.data(), c_stride,
               make_qs8_fp32_params(q.output_zp, q.qmin, q.qmax));
          check_output(c, want, m, n, c_stride,
                       k.name + " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                           " k=" + std::to_string(kc));
        }
      }
    }
  }
}

// All inputs at -128 or 127 and all weights at -127 or 127: the largest products, with the
// input zero point at the opposite end so that (a - zp) reaches +-255.
TEST(Qs8GemmKernelTest, ExtremeValues) {
  for (const GemmKernel& k : kGemmKernels) {
    for (int32_t zp : {-128, 127}) {
      const size_t m = k.mr, n = 7, kc = 100;
      std::vector<int8_t> a_values(m * kc), filter(n * kc);
      for (size_t i = 0; i < a_values.size(); ++i) a_values[i] = (i * 7) % 3 ? 127 : -128;
      for (size_t i = 0; i < filter.size(); ++i) filter[i] = (i * 5) % 4 ? -127 : 127;
      const std::vector<int32_t> bias(n, 12345);
      const std::vector<float> scales = random_scales(n, 9, kc * 64);
      const GuardedBuffer<int8_t> a(a_values);
      const GuardedBuffer<int8_t> packed(
          pack_qs8_gemm_weights(k.nr, n, 1, kc, filter.data(), bias.data(), scales.data(), zp));
      std::vector<int8_t> want(m * n);
      for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
          int32_t acc = bias[j];
          for (size_t x = 0; x < kc; ++x) acc += (a[i * kc + x] - zp) * filter[j * kc + x];
          want[i * n + j] = contract_requantize(acc, scales[j], -zp / 2, -128, 127);
        }
      GuardedBuffer<int8_t> c(std::vector<int8_t>(m * n, kSentinel));
      k.fn(m, n, kc, a.data(), kc, packed.data(), c.data(), n,
           make_qs8_fp32_params(-zp / 2, -128, 127));
      check_output(c, want, m, n, n, k.name + " extreme zp=" + std::to_string(zp));
    }
  }
}

// One IGEMM call of 3 taps of `depth` input values each, over rows of A (int8_t, or int16_t
// for the c2 tiles, widened from int8 values), against the contract. The kernel reads kc >=
// depth values per tap: past `depth` they meet zero weights (the next tap's values, or past the
// last tap the end of the input, which sits against a guard page). Tap t of row r reads "pixel"
// (r + 2 t) % 7, except that tap 1 of row 0 reads the zero buffer (the input zero point).
// `c2` packs the weights for the c2 tiles instead of the c8 ones.
template <typename A, typename Fn>
void check_igemm(const std::string& name, Fn fn, size_t mr, size_t nr, size_t m, size_t n,
                 size_t depth, size_t kc, unsigned seed, bool c2 = false) {
  const Quant& q = kQuants[seed % kQuants.size()];
  const size_t ks = 3, c_stride = n + 2;
  const auto values = random_int8(6 * depth + kc, seed);
  const GuardedBuffer<A> input(std::vector<A>(values.begin(), values.end()));
  const GuardedBuffer<A> zero(std::vector<A>(kc, static_cast<A>(q.input_zp)));
  std::vector<int32_t> indirection(ks * mr);
  for (size_t t = 0; t < ks; ++t)
    for (size_t r = 0; r < mr; ++r)
      indirection[t * mr + r] = static_cast<int32_t>(((r + 2 * t) % 7) * depth);
  indirection[1 * mr + 0] = kQs8IgemmZeroOffset;
  const auto filter = random_int8(n * ks * depth, seed + 1, -127, 127);
  const auto bias = random_int32(n, seed + 2, -20000, 20000);
  const auto scales = random_scales(n, seed + 3, ks * depth);
  const GuardedBuffer<int8_t> packed(
      c2 ? pack_qs8_gemm_weights_c2(n, ks, depth, filter.data(), bias.data(), scales.data(),
                                    q.input_zp)
         : pack_qs8_gemm_weights(nr, n, ks, depth, filter.data(), bias.data(), scales.data(),
                                 q.input_zp));
  std::vector<int8_t> want(m * n);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      int32_t acc = bias[j];
      for (size_t t = 0; t < ks; ++t) {
        const int32_t off = indirection[t * mr + i];
        if (off == kQs8IgemmZeroOffset) continue;  // real zeros contribute nothing
        for (size_t x = 0; x < depth; ++x)
          acc += (int32_t{input[off + x]} - q.input_zp) * filter[(j * ks + t) * depth + x];
      }
      want[i * n + j] = contract_requantize(acc, scales[j], q.output_zp, q.qmin, q.qmax);
    }
  GuardedBuffer<int8_t> c(std::vector<int8_t>((m - 1) * c_stride + n, kSentinel));
  fn(m, n, kc, ks, indirection.data(), input.data(), zero.data(), packed.data(), c.data(), c_stride,
     make_qs8_fp32_params(q.output_zp, q.qmin, q.qmax));
  check_output(c, want, m, n, c_stride,
               name + " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                   " depth=" + std::to_string(depth) + " kc=" + std::to_string(kc));
}

TEST(Qs8IgemmKernelTest, AllKernelsAllTailsWithZeroTapsBitExact) {
  unsigned seed = 100;
  for (const IgemmKernel& k : kIgemmKernels)
    for (size_t m = 1; m <= k.mr; ++m)
      for (size_t n = 1; n <= 2 * k.nr + 3; ++n)
        for (size_t kc : {1, 3, 8, 11, 16})
          check_igemm<int8_t>(k.name, k.fn, k.mr, k.nr, m, n, kc, kc, seed++);
}

// The c2 tiles as the convolution's row taps use them: taps of `depth` values read as whole pairs
// (an odd depth reads one value past the tap, which meets a zero weight), 8 channels per panel.
TEST(Qs8IgemmC2KernelTest, AllKernelsAllTailsWholePairsBitExact) {
  unsigned seed = 500;
  for (const IgemmC2Kernel& k : kIgemmC2Kernels)
    for (size_t m = 1; m <= k.mr; ++m)
      for (size_t n = 1; n <= 2 * k.nr + 3; ++n)
        for (size_t depth : {1, 2, 3, 12, 21, 36}) {
          const size_t kc = (depth + kQs8GemmC2Kr - 1) / kQs8GemmC2Kr * kQs8GemmC2Kr;
          check_igemm<int16_t>(k.name, k.fn, k.mr, k.nr, m, n, depth, kc, seed++, true);
        }
}

}  // namespace
}  // namespace fu::nn::kernels
