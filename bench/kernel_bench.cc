// Google Benchmark rows for every micro-kernel of the f32 and qs8 family lists (native build):
// `build/bench/kernel_bench [--benchmark_filter=REGEX]`. Each row runs its kernel over a whole
// layer-sized problem, tile by tile as the operators do, and reports GOP/s = 2 * multiply-adds
// per second (int8 multiply-adds for qs8). Shapes are dlib-resnet's 3x3 convolutions (M pixels,
// N output channels, K = 9 x input channels), a 3x3 depthwise layer and a PReLU activation.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/kernels/f32-gemm/f32-gemm.h"
#include "nn/kernels/f32-igemm/f32-igemm.h"
#include "nn/kernels/packing.h"
#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"
#include "nn/kernels/qs8-gemm/qs8-gemm.h"
#include "nn/kernels/qs8-igemm/qs8-igemm.h"
#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"
#include "nn/kernels/qs8_packing.h"

namespace fu::nn::kernels {
namespace {

struct GemmShape {
  const char* name;
  size_t m, n, k;
};

// dlib-resnet's 3x3 convolutions as GEMMs (pixels x out channels x 9 * in channels), and the
// 64-channel layer at 38x38 that the int8 issue quotes.
const GemmShape kGemmShapes[] = {
    {"conv3x3_32_35x35", 35 * 35, 32, 9 * 32}, {"conv3x3_64_17x17", 17 * 17, 64, 9 * 64},
    {"conv3x3_64_38x38", 38 * 38, 64, 9 * 64}, {"conv3x3_128_8x8", 8 * 8, 128, 9 * 128},
    {"conv3x3_256_4x4", 4 * 4, 256, 9 * 256},
};

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int8_t> random_int8(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-127, 127);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

void set_gops(benchmark::State& state, double multiply_adds) {
  state.counters["GOP/s"] =
      benchmark::Counter(2.0 * multiply_adds * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void f32_gemm(benchmark::State& state, F32GemmMinMaxUkernel fn, size_t mr, size_t nr, GemmShape s) {
  const auto a = random_floats(s.m * s.k, 1);
  const auto filter = random_floats(s.n * s.k, 2);
  const auto packed = pack_f32_gemm_weights(nr, s.n, 1, s.k, filter.data(), nullptr);
  std::vector<float> c(s.m * s.n);
  const MinMaxParams p{-1e30f, 1e30f};
  for (auto _ : state) {
    for (size_t row = 0; row < s.m; row += mr) {
      const size_t rows = s.m - row < mr ? s.m - row : mr;
      fn(rows, s.n, s.k, a.data() + row * s.k, s.k, packed.data(), c.data() + row * s.n, s.n, p);
    }
    benchmark::DoNotOptimize(c.data());
  }
  set_gops(state, double(s.m) * s.n * s.k);
}

void qs8_gemm(benchmark::State& state, Qs8GemmMinMaxFp32Ukernel fn, size_t mr, size_t nr,
              GemmShape s) {
  const auto a = random_int8(s.m * s.k, 1);
  const auto filter = random_int8(s.n * s.k, 2);
  const std::vector<float> scales(s.n, 1e-4f);
  const auto packed =
      pack_qs8_gemm_weights(nr, s.n, 1, s.k, filter.data(), nullptr, scales.data(), 3);
  std::vector<int8_t> c(s.m * s.n);
  const Qs8Fp32Params p = make_qs8_fp32_params(-5, -128, 127);
  for (auto _ : state) {
    for (size_t row = 0; row < s.m; row += mr) {
      const size_t rows = s.m - row < mr ? s.m - row : mr;
      fn(rows, s.n, s.k, a.data() + row * s.k, s.k, packed.data(), c.data() + row * s.n, s.n, p);
    }
    benchmark::DoNotOptimize(c.data());
  }
  set_gops(state, double(s.m) * s.n * s.k);
}

// The IGEMM rows: a 3x3 SAME convolution over an in_c-channel image of sqrt(m) x sqrt(m)
// pixels, every tap inside (the indirection of an interior region), K split into 9 taps.
std::vector<int32_t> interior_indirection(size_t m, size_t mr, size_t in_c, size_t side) {
  const size_t tiles = (m + mr - 1) / mr;
  std::vector<int32_t> idx(tiles * 9 * mr);
  for (size_t tile = 0; tile < tiles; ++tile)
    for (size_t t = 0; t < 9; ++t)
      for (size_t r = 0; r < mr; ++r) {
        const size_t pixel = tile * mr + r < m ? tile * mr + r : m - 1;
        const size_t y = pixel / side, x = pixel % side;
        const size_t iy = y + t / 3, ix = x + t % 3;
        idx[(tile * 9 + t) * mr + r] = static_cast<int32_t>((iy * (side + 2) + ix) * in_c);
      }
  return idx;
}

void f32_igemm(benchmark::State& state, F32IgemmMinMaxUkernel fn, size_t mr, size_t nr,
               GemmShape s) {
  const size_t in_c = s.k / 9;
  size_t side = 1;
  while ((side + 1) * (side + 1) <= s.m) ++side;
  const size_t m = side * side;
  const auto input = random_floats((side + 2) * (side + 2) * in_c, 1);
  const std::vector<float> zero(in_c, 0.0f);
  const auto idx = interior_indirection(m, mr, in_c, side);
  const auto filter = random_floats(s.n * s.k, 2);
  const auto packed = pack_f32_gemm_weights(nr, s.n, 9, in_c, filter.data(), nullptr);
  std::vector<float> c(m * s.n);
  const MinMaxParams p{-1e30f, 1e30f};
  for (auto _ : state) {
    for (size_t row = 0; row < m; row += mr) {
      const size_t rows = m - row < mr ? m - row : mr;
      fn(rows, s.n, in_c, 9, idx.data() + row * 9, input.data(), zero.data(), packed.data(),
         c.data() + row * s.n, s.n, p);
    }
    benchmark::DoNotOptimize(c.data());
  }
  set_gops(state, double(m) * s.n * s.k);
}

// A: int8_t for the IGEMM list, int16_t for the c2 list (the input already widened); c2: weights
// packed for the c2 tiles.
template <typename A, bool c2 = false>
void qs8_igemm(benchmark::State& state,
               void (*fn)(size_t, size_t, size_t, size_t, const int32_t*, const A*, const A*,
                          const int8_t*, int8_t*, size_t, const Qs8Fp32Params&),
               size_t mr, size_t nr, GemmShape s) {
  const size_t in_c = s.k / 9;
  size_t side = 1;
  while ((side + 1) * (side + 1) <= s.m) ++side;
  const size_t m = side * side;
  const auto narrow = random_int8((side + 2) * (side + 2) * in_c, 1);
  const std::vector<A> input(narrow.begin(), narrow.end());
  const std::vector<A> zero(in_c, 3);
  const auto idx = interior_indirection(m, mr, in_c, side);
  const auto filter = random_int8(s.n * s.k, 2);
  const std::vector<float> scales(s.n, 1e-4f);
  const auto packed =
      c2 ? pack_qs8_gemm_weights_c2(s.n, 9, in_c, filter.data(), nullptr, scales.data(), 3)
         : pack_qs8_gemm_weights(nr, s.n, 9, in_c, filter.data(), nullptr, scales.data(), 3);
  std::vector<int8_t> c(m * s.n);
  const Qs8Fp32Params p = make_qs8_fp32_params(-5, -128, 127);
  for (auto _ : state) {
    for (size_t row = 0; row < m; row += mr) {
      const size_t rows = m - row < mr ? m - row : mr;
      fn(rows, s.n, in_c, 9, idx.data() + row * 9, input.data(), zero.data(), packed.data(),
         c.data() + row * s.n, s.n, p);
    }
    benchmark::DoNotOptimize(c.data());
  }
  set_gops(state, double(m) * s.n * s.k);
}

// A 3x3 depthwise layer: `width` output pixels of a row, `channels` channels, 9 taps each.
constexpr size_t kDwChannels = 128;
constexpr size_t kDwWidth = 56;
constexpr size_t kDwRows = 56;

template <typename T>
std::vector<const T*> dw_taps(const std::vector<T>& input) {
  std::vector<const T*> taps(kDwWidth * 9);
  for (size_t x = 0; x < kDwWidth; ++x)
    for (size_t t = 0; t < 9; ++t)
      taps[x * 9 + t] = input.data() + ((t / 3) * (kDwWidth + 2) + x + t % 3) * kDwChannels;
  return taps;
}

void f32_dwconv(benchmark::State& state, F32DwconvMinMaxUkernel fn) {
  const auto input = random_floats(3 * (kDwWidth + 2) * kDwChannels, 1);
  const auto taps = dw_taps(input);
  const auto filter = random_floats(9 * kDwChannels, 2);
  const auto packed = pack_f32_dwconv_weights(kDwChannels, 9, filter.data(), nullptr);
  std::vector<float> out(kDwWidth * kDwChannels);
  const MinMaxParams p{-1e30f, 1e30f};
  for (auto _ : state) {
    for (size_t row = 0; row < kDwRows; ++row)
      fn(kDwChannels, kDwWidth, 9, taps.data(), packed.data(), out.data(), p);
    benchmark::DoNotOptimize(out.data());
  }
  set_gops(state, double(kDwRows) * kDwWidth * kDwChannels * 9);
}

void qs8_dwconv(benchmark::State& state, Qs8DwconvMinMaxFp32Ukernel fn) {
  const auto input = random_int8(3 * (kDwWidth + 2) * kDwChannels, 1);
  const auto taps = dw_taps(input);
  const auto filter = random_int8(9 * kDwChannels, 2);
  const std::vector<float> scales(kDwChannels, 1e-3f);
  const auto packed =
      pack_qs8_dwconv_weights(kDwChannels, 9, filter.data(), nullptr, scales.data(), 3);
  std::vector<int8_t> out(kDwWidth * kDwChannels);
  const Qs8Fp32Params p = make_qs8_fp32_params(-5, -128, 127);
  for (auto _ : state) {
    for (size_t row = 0; row < kDwRows; ++row)
      fn(kDwChannels, kDwWidth, 9, taps.data(), packed.data(), out.data(), p);
    benchmark::DoNotOptimize(out.data());
  }
  set_gops(state, double(kDwRows) * kDwWidth * kDwChannels * 9);
}

// PReLU over the student embedder's first activation, 56x56x64; GB/s counts input and output.
void qs8_vprelu(benchmark::State& state, Qs8VpreluMinMaxFp32Ukernel fn) {
  constexpr size_t kPixels = 56 * 56, kChannels = 64;
  const auto input = random_int8(kPixels * kChannels, 1);
  const auto slope = random_floats(kChannels, 2);
  const auto scales = pack_qs8_vprelu_scales(kChannels, slope.data(), 0.02f, 0.015f);
  const Qs8VpreluFp32Params p = make_qs8_vprelu_fp32_params(0.02f, -3, 0.015f, -40, -128, 127);
  std::vector<int8_t> out(kPixels * kChannels);
  for (auto _ : state) {
    fn(kPixels, kChannels, input.data(), scales.data(), out.data(), p);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GB/s"] = benchmark::Counter(2.0 * kPixels * kChannels * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// The same for the fixed-point kernels, on the multipliers the packing verified for those scales
// (the row is skipped if it finds none).
void qs8_vprelu_rndnu(benchmark::State& state, Qs8VpreluMinMaxRndnuUkernel fn) {
  constexpr size_t kPixels = 56 * 56, kChannels = 64;
  const auto input = random_int8(kPixels * kChannels, 1);
  const auto slope = random_floats(kChannels, 2);
  const std::optional<Qs8VpreluRndnuPacking> packing =
      pack_qs8_vprelu_rndnu(kChannels, slope.data(), 0.02f, -3, 0.015f, -40, -128, 127);
  if (!packing) {
    state.SkipWithError("no exact fixed-point multipliers for these scales");
    return;
  }
  std::vector<int8_t> out(kPixels * kChannels);
  for (auto _ : state) {
    fn(kPixels, kChannels, input.data(), packing->negative_xor_positive.data(), out.data(),
       packing->params);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GB/s"] = benchmark::Counter(2.0 * kPixels * kChannels * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// Registration expands the family lists, so a kernel added to a list gets its rows here.
int register_all() {
  for (const GemmShape& s : kGemmShapes) {
#define FU_BENCH(fn, mr, nr) \
  benchmark::RegisterBenchmark((std::string(#fn "/") + s.name).c_str(), FAMILY, fn, mr, nr, s);
#define FAMILY f32_gemm
    FU_F32_GEMM_MINMAX_UKERNELS(FU_BENCH)
#undef FAMILY
#define FAMILY qs8_gemm
    FU_QS8_GEMM_MINMAX_FP32_UKERNELS(FU_BENCH)
#undef FAMILY
#define FAMILY f32_igemm
    FU_F32_IGEMM_MINMAX_UKERNELS(FU_BENCH)
#undef FAMILY
#define FAMILY qs8_igemm<int8_t>
    FU_QS8_IGEMM_MINMAX_FP32_UKERNELS(FU_BENCH)
#undef FAMILY
#define FAMILY qs8_igemm<int16_t, true>
    FU_QS8_IGEMM_C2_A16_MINMAX_FP32_UKERNELS(FU_BENCH)
#undef FAMILY
#undef FU_BENCH
  }
  const std::string dw = "/dwconv3x3_128_56x56";
#define FU_BENCH_F32_DW(fn, ct, taps) \
  benchmark::RegisterBenchmark((#fn + dw).c_str(), f32_dwconv, fn);
  FU_F32_DWCONV_MINMAX_UKERNELS(FU_BENCH_F32_DW)
#undef FU_BENCH_F32_DW
#define FU_BENCH_QS8_DW(fn, ct, taps) \
  if (taps == 0 || taps == 9) benchmark::RegisterBenchmark((#fn + dw).c_str(), qs8_dwconv, fn);
  FU_QS8_DWCONV_MINMAX_FP32_UKERNELS(FU_BENCH_QS8_DW)
#undef FU_BENCH_QS8_DW
#define FU_BENCH_QS8_VPRELU(fn, ct) \
  benchmark::RegisterBenchmark(#fn "/prelu_64_56x56", qs8_vprelu, fn);
  FU_QS8_VPRELU_MINMAX_FP32_UKERNELS(FU_BENCH_QS8_VPRELU)
#undef FU_BENCH_QS8_VPRELU
#define FU_BENCH_QS8_VPRELU_RNDNU(fn, ct) \
  benchmark::RegisterBenchmark(#fn "/prelu_64_56x56", qs8_vprelu_rndnu, fn);
  FU_QS8_VPRELU_MINMAX_RNDNU_UKERNELS(FU_BENCH_QS8_VPRELU_RNDNU)
#undef FU_BENCH_QS8_VPRELU_RNDNU
  return 0;
}

const int kRegistered = register_all();

}  // namespace
}  // namespace fu::nn::kernels

BENCHMARK_MAIN();
