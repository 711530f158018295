// The own SIMD operators split over a thread pool compute the same bits as on one thread, for
// every path (GEMM, indirect GEMM, int8 row taps, depthwise) in float and int8, with odd tile tails.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <vector>

#include "base/thread_pool.h"
#include "nn/kernels/packing.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/kernels/qs8_test_util.h"
#include "nn/operators/conv2d.h"
#include "nn/operators/depthwise_conv2d.h"
#include "nn/operators/gemm.h"
#include "nn/operators/qs8_conv2d.h"
#include "nn/operators/qs8_depthwise_conv2d.h"
#include "nn/operators/qs8_gemm.h"
#include "nn/operators/test_util.h"

namespace fu::nn {
namespace {

using testing::random_int32;
using testing::random_int8;
using testing::random_scales;
using testing::random_vector;

struct Case {
  const char* name;
  int in_c, out_c, k, stride, batch, in_h, in_w;
  Padding2d padding;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

Window2d window_of(const Case& c) {
  Window2d w;
  w.kernel_h = w.kernel_w = c.k;
  w.stride_h = w.stride_w = c.stride;
  w.padding = c.padding;
  return w;
}

int out_h(const Case& c) {
  return window_output_size(c.in_h, c.padding.top, c.padding.bottom, c.k, c.stride, 1);
}
int out_w(const Case& c) {
  return window_output_size(c.in_w, c.padding.left, c.padding.right, c.k, c.stride, 1);
}

size_t output_size(const Case& c, int channels) {
  return static_cast<size_t>(c.batch) * out_h(c) * out_w(c) * channels;
}

// Multiply-adds of one image: a case below detail::kMinParallelMacs would not split at all and
// so would test nothing.
size_t image_macs(const Case& c, bool depthwise) {
  return static_cast<size_t>(out_h(c)) * out_w(c) * c.out_c * c.k * c.k * (depthwise ? 1 : c.in_c);
}

// Runs `run(pool)` without a pool and on pools of 2 and 3 threads; every result must equal the
// first byte for byte.
template <typename T, typename Run>
void expect_same_bits_on_every_pool(size_t size, Run run) {
  std::vector<T> one(size);
  run(one.data(), nullptr);
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    // Twice: the second run reuses buffers the first one sized.
    for (int round = 0; round < 2; ++round) {
      std::vector<T> many(size);
      run(many.data(), &pool);
      ASSERT_EQ(std::memcmp(many.data(), one.data(), size * sizeof(T)), 0)
          << threads << " threads, round " << round;
    }
  }
}

constexpr Padding2d kNoPad{};
constexpr Padding2d kPad1{1, 1, 1, 1};

class ThreadedConvTest : public ::testing::TestWithParam<Case> {};

TEST_P(ThreadedConvTest, FloatConvolutionIsBitIdentical) {
  const Case& c = GetParam();
  ASSERT_GE(image_macs(c, false), detail::kMinParallelMacs);
  Conv2dParams p;
  p.window = window_of(c);
  p.in_channels = c.in_c;
  p.out_channels = c.out_c;
  const auto filter = random_vector(static_cast<size_t>(c.out_c) * c.k * c.k * c.in_c, 1);
  const auto bias = random_vector(c.out_c, 2);
  const auto input = random_vector(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 3);
  Conv2dOperator op(p, filter.data(), bias.data(), Activation{-0.5f, 2.0f});
  expect_same_bits_on_every_pool<float>(output_size(c, c.out_c), [&](float* out, ThreadPool* tp) {
    op.run(input.data(), c.batch, c.in_h, c.in_w, out, tp);
  });
}

TEST_P(ThreadedConvTest, Int8ConvolutionIsBitIdentical) {
  const Case& c = GetParam();
  Conv2dParams p;
  p.window = window_of(c);
  p.in_channels = c.in_c;
  p.out_channels = c.out_c;
  const size_t terms = static_cast<size_t>(c.k) * c.k * c.in_c;
  const auto filter = random_int8(c.out_c * terms, 4, -127, 127);
  const auto scales = random_scales(c.out_c, 5, 1);
  const auto bias = random_int32(c.out_c, 6, -3000, 3000);
  const auto input = random_int8(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 7);
  const QuantParams out_q{5.0f * std::sqrt(static_cast<float>(terms)), -3};
  Qs8Conv2dOperator op(p, filter.data(), scales.data(), bias.data(), QuantParams{1.0f, -9}, out_q,
                       -128, 127);
  expect_same_bits_on_every_pool<int8_t>(output_size(c, c.out_c), [&](int8_t* out, ThreadPool* tp) {
    op.run(input.data(), c.batch, c.in_h, c.in_w, out, tp);
  });
}

INSTANTIATE_TEST_SUITE_P(
    Paths, ThreadedConvTest,
    ::testing::Values(
        // 1x1 stride 1: one GEMM over all pixels; 13x11 = 143 rows leave a tail in both tiles.
        Case{"gemm_1x1", 32, 40, 1, 1, 1, 13, 11, kNoPad},
        Case{"gemm_1x1_batch2", 24, 48, 1, 1, 2, 13, 11, kNoPad},
        // Indirect GEMM: padded 3x3, strided, a batch.
        Case{"igemm_3x3", 16, 24, 3, 1, 1, 15, 13, kPad1},
        Case{"igemm_3x3_stride2_batch2", 24, 16, 3, 2, 2, 17, 19, kPad1},
        // RGB stems in int8 (3 channels under a 7x7 window, whole kernel rows as taps; a batch
        // of two, each image widened and padded in turn).
        Case{"stem_7x7_stride2", 3, 32, 7, 2, 1, 41, 37, Padding2d{3, 3, 3, 3}},
        Case{"stem_7x7_stride2_row_taps_batch2", 3, 16, 7, 2, 2, 41, 37, Padding2d{3, 3, 3, 3}}));

class ThreadedDepthwiseTest : public ::testing::TestWithParam<Case> {};

TEST_P(ThreadedDepthwiseTest, FloatDepthwiseIsBitIdentical) {
  const Case& c = GetParam();
  ASSERT_GE(image_macs(c, true), detail::kMinParallelMacs);
  DepthwiseConv2dParams p;
  p.window = window_of(c);
  p.channels = c.in_c;
  const auto filter = random_vector(static_cast<size_t>(c.k) * c.k * c.in_c, 8);
  const auto bias = random_vector(c.in_c, 9);
  const auto input = random_vector(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 10);
  DepthwiseConv2dOperator op(p, filter.data(), bias.data(), Activation{0.0f, 6.0f});
  expect_same_bits_on_every_pool<float>(output_size(c, c.in_c), [&](float* out, ThreadPool* tp) {
    op.run(input.data(), c.batch, c.in_h, c.in_w, out, tp);
  });
}

TEST_P(ThreadedDepthwiseTest, Int8DepthwiseIsBitIdentical) {
  const Case& c = GetParam();
  DepthwiseConv2dParams p;
  p.window = window_of(c);
  p.channels = c.in_c;
  const size_t terms = static_cast<size_t>(c.k) * c.k;
  const auto filter = random_int8(terms * c.in_c, 11, -127, 127);
  const auto scales = random_scales(c.in_c, 12, 1);
  const auto bias = random_int32(c.in_c, 13, -3000, 3000);
  const auto input = random_int8(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 14);
  const QuantParams out_q{4.0f * std::sqrt(static_cast<float>(terms)), 5};
  Qs8DepthwiseConv2dOperator op(p, filter.data(), scales.data(), bias.data(), QuantParams{1.0f, 7},
                                out_q, -128, 127);
  expect_same_bits_on_every_pool<int8_t>(output_size(c, c.in_c), [&](int8_t* out, ThreadPool* tp) {
    op.run(input.data(), c.batch, c.in_h, c.in_w, out, tp);
  });
}

INSTANTIATE_TEST_SUITE_P(
    Windows, ThreadedDepthwiseTest,
    ::testing::Values(
        // out_c mirrors in_c for the size checks (depthwise keeps the channels).
        Case{"dw_3x3", 72, 72, 3, 1, 1, 23, 21, kPad1},
        Case{"dw_3x3_stride2_batch2", 40, 40, 3, 2, 2, 41, 39, kPad1},
        Case{"dw_5x5", 24, 24, 5, 1, 1, 19, 17, Padding2d{2, 2, 2, 2}}));

TEST(ThreadedGemmTest, FullyConnectedSizedGemmsAreBitIdentical) {
  // Batched fully connected layers run the same drivers with rows = batch.
  const size_t n = 128, k = 512;
  const auto filter = random_vector(n * k, 15);
  const auto bias = random_vector(n, 16);
  const auto packed =
      kernels::pack_f32_gemm_weights(detail::kGemmNr, n, 1, k, filter.data(), bias.data());
  const auto qfilter = random_int8(n * k, 17, -127, 127);
  const auto qbias = random_int32(n, 18, -3000, 3000);
  const auto qscales = random_scales(n, 19, k);
  const auto qpacked = kernels::pack_qs8_gemm_weights(detail::kQs8GemmNr, n, 1, k, qfilter.data(),
                                                      qbias.data(), qscales.data(), 0);
  for (size_t m : {1u, 5u, 63u}) {
    const auto a = random_vector(m * k, 20);
    expect_same_bits_on_every_pool<float>(m * n, [&](float* c, ThreadPool* tp) {
      detail::run_f32_gemm(m, n, k, a.data(), k, packed.data(), c, n, {-1.0f, 1.0f}, tp);
    });
    const auto qa = random_int8(m * k, 21);
    expect_same_bits_on_every_pool<int8_t>(m * n, [&](int8_t* c, ThreadPool* tp) {
      detail::run_qs8_gemm(m, n, k, qa.data(), k, qpacked.data(), c, n,
                           kernels::make_qs8_fp32_params(0, -128, 127), tp);
    });
  }
}

}  // namespace
}  // namespace fu::nn
