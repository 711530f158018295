// f32 against int8 (qs8) convolution layers of dlib-resnet's sizes through the own SIMD
// operators, one thread, in whichever build runs it: natively `build/bench/conv_layer_bench`,
// in WebAssembly `node build-wasm/bench/conv_layer_bench.cjs` (see bench/README.md). Prints the
// fastest milliseconds per layer run, GOP/s = 2 * multiply-adds per second, and the qs8 speed-up.
// The fastest rather than the median: on a shared machine, preemption only ever adds time, and a
// run longer than a scheduler slice is preempted more often than a short one.
// Kept free of Google Benchmark so that the very same program runs under Node.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/kernels/f32-igemm/f32-igemm.h"
#include "nn/kernels/packing.h"
#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"
#include "nn/kernels/qs8-igemm/qs8-igemm.h"
#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/operators/conv2d.h"
#include "nn/operators/depthwise_conv2d.h"
#include "nn/operators/elementwise.h"
#include "nn/operators/qs8_conv2d.h"
#include "nn/operators/qs8_depthwise_conv2d.h"
#include "nn/reference/qs8.h"

namespace {

using fu::nn::Activation;
using fu::nn::Conv2dParams;
using fu::nn::DepthwiseConv2dParams;
using fu::nn::QuantParams;

struct Layer {
  const char* name;
  bool depthwise;
  int kernel, stride, in_c, out_c, in_h, in_w;
  int pad;  // on every side
};

// dlib-resnet (150x150 chip): the stem, one 3x3 SAME convolution of each width, the strided
// first convolution of a down block; the 64-channel layer at 38x38 quoted in the int8 issue;
// a 3x3 depthwise layer like the student embedder's; the fast embedder's (dlib-resnet-pruned)
// narrow stem and first-stage layers, whose depths (3 x 49, 12 x 9) are not multiples of 8.
const Layer kLayers[] = {
    {"stem 7x7/2 3->32 150x150", false, 7, 2, 3, 32, 150, 150, 0},
    {"3x3 32->32 35x35", false, 3, 1, 32, 32, 35, 35, 1},
    {"3x3/2 32->64 35x35", false, 3, 2, 32, 64, 35, 35, 0},
    {"3x3 64->64 17x17", false, 3, 1, 64, 64, 17, 17, 1},
    {"3x3 64->64 38x38", false, 3, 1, 64, 64, 38, 38, 1},
    {"3x3 128->128 8x8", false, 3, 1, 128, 128, 8, 8, 1},
    {"3x3 256->256 4x4", false, 3, 1, 256, 256, 4, 4, 1},
    {"1x1 64->128 28x28", false, 1, 1, 64, 128, 28, 28, 0},
    {"dw 3x3 128 56x56", true, 3, 1, 128, 128, 56, 56, 1},
    {"pruned stem 7x7/2 3->16", false, 7, 2, 3, 16, 150, 150, 0},
    {"pruned 3x3 16->12 35x35", false, 3, 1, 16, 12, 35, 35, 1},
    {"pruned 3x3 12->16 35x35", false, 3, 1, 12, 16, 35, 35, 1},
    {"pruned 3x3 32->24 17x17", false, 3, 1, 32, 24, 17, 17, 1},
    {"pruned 3x3 24->32 17x17", false, 3, 1, 24, 32, 17, 17, 1},
};

int out_size(int in, int kernel, int stride, int pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

template <typename F>
double fastest_ms(F run, double min_seconds) {
  for (int i = 0; i < 3; ++i) run();  // warm-up: caches, indirection buffers
  std::vector<double> times;
  const auto start = std::chrono::steady_clock::now();
  do {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  } while (times.size() < 5 ||
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
               min_seconds);
  return *std::min_element(times.begin(), times.end());
}

template <typename T>
std::vector<T> random_values(size_t n, unsigned seed, double lo, double hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// Each IGEMM kernel of the f32 and qs8 lists on the interior of a 3x3 64->64 convolution over
// 38x38 pixels (every tap inside), tile by tile as the operators run them: the rows that choose
// the operators' tile size for this build's instruction set.
constexpr int kSide = 38, kChannels = 64, kTaps = 9;

std::vector<int32_t> interior_indirection(size_t mr) {
  const size_t pixels = kSide * kSide;
  const size_t tiles = (pixels + mr - 1) / mr;
  std::vector<int32_t> idx(tiles * kTaps * mr);
  for (size_t tile = 0; tile < tiles; ++tile)
    for (size_t t = 0; t < kTaps; ++t)
      for (size_t r = 0; r < mr; ++r) {
        const size_t pixel = std::min(tile * mr + r, pixels - 1);
        const size_t iy = pixel / kSide + t / 3, ix = pixel % kSide + t % 3;
        idx[(tile * kTaps + t) * mr + r] =
            static_cast<int32_t>((iy * (kSide + 2) + ix) * kChannels);
      }
  return idx;
}

void bench_igemm_kernels(double min_seconds) {
  namespace k = fu::nn::kernels;
  const size_t pixels = kSide * kSide;
  const double multiply_adds = double(pixels) * kChannels * kTaps * kChannels;
  const size_t in_size = (kSide + 2) * (kSide + 2) * kChannels;
  const size_t filter_size = kChannels * kTaps * kChannels;
  std::printf("\n%-48s %9s %9s\n", "IGEMM kernel, 3x3 64->64 38x38", "ms", "GOP/s");
  const auto input_f = random_values<float>(in_size, 1, -1, 1);
  const auto filter_f = random_values<float>(filter_size, 2, -0.1, 0.1);
  const std::vector<float> zero_f(kChannels, 0.0f);
  std::vector<float> out_f(pixels * kChannels);
  const k::MinMaxParams minmax{-1e30f, 1e30f};
  const auto input_q = random_values<int8_t>(in_size, 1, -128, 127);
  const auto filter_q = random_values<int8_t>(filter_size, 2, -127, 127);
  const std::vector<int8_t> zero_q(kChannels, 3);
  const std::vector<int16_t> input_q16(input_q.begin(), input_q.end());
  const std::vector<int16_t> zero_q16(kChannels, 3);
  const std::vector<float> scales(kChannels, 1e-4f);
  std::vector<int8_t> out_q(pixels * kChannels);
  const k::Qs8Fp32Params rq = k::make_qs8_fp32_params(-5, -128, 127);
#define FU_F32_ROW(fn, mr, nr)                                                               \
  {                                                                                          \
    const auto idx = interior_indirection(mr);                                               \
    const auto packed =                                                                      \
        k::pack_f32_gemm_weights(nr, kChannels, kTaps, kChannels, filter_f.data(), nullptr); \
    const double ms = fastest_ms(                                                            \
        [&] {                                                                                \
          for (size_t p = 0; p < pixels; p += mr)                                            \
            k::fn(std::min<size_t>(mr, pixels - p), kChannels, kChannels, kTaps,             \
                  idx.data() + p * kTaps, input_f.data(), zero_f.data(), packed.data(),      \
                  out_f.data() + p * kChannels, kChannels, minmax);                          \
        },                                                                                   \
        min_seconds);                                                                        \
    std::printf("%-48s %9.3f %9.1f\n", #fn, ms, 2 * multiply_adds / ms * 1e-6);              \
  }
  FU_F32_IGEMM_MINMAX_UKERNELS(FU_F32_ROW)
#undef FU_F32_ROW
#define FU_QS8_ROW_OF(fn, mr, nr, input, zero, pack)                                \
  {                                                                                 \
    const auto idx = interior_indirection(mr);                                      \
    const auto packed = pack;                                                       \
    const double ms = fastest_ms(                                                   \
        [&] {                                                                       \
          for (size_t p = 0; p < pixels; p += mr)                                   \
            k::fn(std::min<size_t>(mr, pixels - p), kChannels, kChannels, kTaps,    \
                  idx.data() + p * kTaps, input.data(), zero.data(), packed.data(), \
                  out_q.data() + p * kChannels, kChannels, rq);                     \
        },                                                                          \
        min_seconds);                                                               \
    std::printf("%-48s %9.3f %9.1f\n", #fn, ms, 2 * multiply_adds / ms * 1e-6);     \
  }
#define FU_QS8_C8_PACKING(nr)                                                         \
  k::pack_qs8_gemm_weights(nr, kChannels, kTaps, kChannels, filter_q.data(), nullptr, \
                           scales.data(), 3)
#define FU_QS8_ROW(fn, mr, nr) FU_QS8_ROW_OF(fn, mr, nr, input_q, zero_q, FU_QS8_C8_PACKING(nr))
  FU_QS8_IGEMM_MINMAX_FP32_UKERNELS(FU_QS8_ROW)
#undef FU_QS8_ROW
  // The c2 tiles over the widened input (what the row taps run now), one tap per window position.
#define FU_QS8_C2_ROW(fn, mr, nr)                                                                  \
  FU_QS8_ROW_OF(fn, mr, nr, input_q16, zero_q16,                                                   \
                k::pack_qs8_gemm_weights_c2(kChannels, kTaps, kChannels, filter_q.data(), nullptr, \
                                            scales.data(), 3))
  FU_QS8_IGEMM_C2_A16_MINMAX_FP32_UKERNELS(FU_QS8_C2_ROW)
#undef FU_QS8_C2_ROW
#undef FU_QS8_C8_PACKING
#undef FU_QS8_ROW_OF
}

// Each depthwise kernel of the f32 and qs8 lists that takes 9 taps, on the interior of a 3x3
// depthwise layer over 56x56x128 (every tap inside), row by row as the operators run them.
void bench_dwconv_kernels(double min_seconds) {
  namespace k = fu::nn::kernels;
  constexpr size_t kDwSide = 56, kDwChannels = 128;
  const double multiply_adds = double(kDwSide) * kDwSide * kDwChannels * kTaps;
  std::printf("\n%-48s %9s %9s\n", "depthwise kernel, 3x3 128 56x56", "ms", "GOP/s");
  const size_t in_size = (kDwSide + 2) * (kDwSide + 2) * kDwChannels;
  // Row-major tap pointers of one output row (oy), rebuilt per row as the operators do.
  auto taps_of_row = [&](auto* input, size_t oy, auto& taps) {
    for (size_t x = 0; x < kDwSide; ++x)
      for (size_t t = 0; t < kTaps; ++t)
        taps[x * kTaps + t] = input + ((oy + t / 3) * (kDwSide + 2) + x + t % 3) * kDwChannels;
  };
  const auto input_f = random_values<float>(in_size, 1, -1, 1);
  const auto filter_f = random_values<float>(kTaps * kDwChannels, 2, -0.1, 0.1);
  const auto packed_f = k::pack_f32_dwconv_weights(kDwChannels, kTaps, filter_f.data(), nullptr);
  std::vector<const float*> taps_f(kDwSide * kTaps);
  std::vector<float> out_f(kDwSide * kDwSide * kDwChannels);
  const k::MinMaxParams minmax{-1e30f, 1e30f};
  const auto input_q = random_values<int8_t>(in_size, 1, -128, 127);
  const auto filter_q = random_values<int8_t>(kTaps * kDwChannels, 2, -127, 127);
  const std::vector<float> scales(kDwChannels, 1e-3f);
  const auto packed_q =
      k::pack_qs8_dwconv_weights(kDwChannels, kTaps, filter_q.data(), nullptr, scales.data(), 3);
  std::vector<const int8_t*> taps_q(kDwSide * kTaps);
  std::vector<int8_t> out_q(kDwSide * kDwSide * kDwChannels);
  const k::Qs8Fp32Params rq = k::make_qs8_fp32_params(-5, -128, 127);
#define FU_F32_DW_ROW(fn, ct, taps)                                             \
  if (taps == 0 || taps == kTaps) {                                             \
    const double ms = fastest_ms(                                               \
        [&] {                                                                   \
          for (size_t oy = 0; oy < kDwSide; ++oy) {                             \
            taps_of_row(input_f.data(), oy, taps_f);                            \
            k::fn(kDwChannels, kDwSide, kTaps, taps_f.data(), packed_f.data(),  \
                  out_f.data() + oy * kDwSide * kDwChannels, minmax);           \
          }                                                                     \
        },                                                                      \
        min_seconds);                                                           \
    std::printf("%-48s %9.3f %9.1f\n", #fn, ms, 2 * multiply_adds / ms * 1e-6); \
  }
  FU_F32_DWCONV_MINMAX_UKERNELS(FU_F32_DW_ROW)
#undef FU_F32_DW_ROW
#define FU_QS8_DW_ROW(fn, ct, taps)                                             \
  if (taps == 0 || taps == kTaps) {                                             \
    const double ms = fastest_ms(                                               \
        [&] {                                                                   \
          for (size_t oy = 0; oy < kDwSide; ++oy) {                             \
            taps_of_row(input_q.data(), oy, taps_q);                            \
            k::fn(kDwChannels, kDwSide, kTaps, taps_q.data(), packed_q.data(),  \
                  out_q.data() + oy * kDwSide * kDwChannels, rq);               \
          }                                                                     \
        },                                                                      \
        min_seconds);                                                           \
    std::printf("%-48s %9.3f %9.1f\n", #fn, ms, 2 * multiply_adds / ms * 1e-6); \
  }
  FU_QS8_DWCONV_MINMAX_FP32_UKERNELS(FU_QS8_DW_ROW)
#undef FU_QS8_DW_ROW
}

// PReLU over the student embedder's first activation (56x56x64): the float operator, the int8
// reference loop the own backend ran before the qs8-vprelu kernels, and each kernel of that
// list. GB/s counts the bytes read and written (input, output).
void bench_prelu(double min_seconds) {
  namespace k = fu::nn::kernels;
  constexpr int kPixels = 56 * 56, kPreluChannels = 64;
  const size_t count = static_cast<size_t>(kPixels) * kPreluChannels;
  std::printf("\n%-48s %9s %9s\n", "prelu, 56x56x64", "ms", "GB/s");
  auto row = [&](const char* name, double ms, size_t element_bytes) {
    std::printf("%-48s %9.3f %9.2f\n", name, ms, 2.0 * count * element_bytes / ms * 1e-6);
  };
  const auto slope = random_values<float>(kPreluChannels, 4, -0.5, 0.5);
  const auto input_f = random_values<float>(count, 1, -1, 1);
  std::vector<float> out_f(count);
  row("f32 prelu (operators/elementwise.h)",
      fastest_ms(
          [&] {
            fu::nn::prelu(slope.data(), input_f.data(), kPixels, kPreluChannels, out_f.data());
          },
          min_seconds),
      sizeof(float));
  const auto input_q = random_values<int8_t>(count, 1, -128, 127);
  std::vector<int8_t> out_q(count);
  const QuantParams in_q{0.02f, -3}, out_q_params{0.015f, -40};
  row("qs8 reference::qs8_prelu",
      fastest_ms(
          [&] {
            fu::nn::reference::qs8_prelu(slope.data(), in_q, out_q_params, -128, 127,
                                         input_q.data(), kPixels, kPreluChannels, out_q.data());
          },
          min_seconds),
      1);
  const auto scales =
      k::pack_qs8_vprelu_scales(kPreluChannels, slope.data(), in_q.scale, out_q_params.scale);
  const k::Qs8VpreluFp32Params params = k::make_qs8_vprelu_fp32_params(
      in_q.scale, in_q.zero_point, out_q_params.scale, out_q_params.zero_point, -128, 127);
#define FU_VPRELU_ROW(fn, ct)                                                                    \
  row(#fn,                                                                                       \
      fastest_ms(                                                                                \
          [&] {                                                                                  \
            k::fn(kPixels, kPreluChannels, input_q.data(), scales.data(), out_q.data(), params); \
          },                                                                                     \
          min_seconds),                                                                          \
      1);
  FU_QS8_VPRELU_MINMAX_FP32_UKERNELS(FU_VPRELU_ROW)
#undef FU_VPRELU_ROW
  // The fixed-point kernels, on the multipliers the packing verified for the same scales.
  const std::optional<k::Qs8VpreluRndnuPacking> rndnu =
      k::pack_qs8_vprelu_rndnu(kPreluChannels, slope.data(), in_q.scale, in_q.zero_point,
                               out_q_params.scale, out_q_params.zero_point, -128, 127);
  if (!rndnu) {
    std::printf("(no exact fixed-point multipliers for these scales: rndnu rows left out)\n");
    return;
  }
#define FU_VPRELU_RNDNU_ROW(fn, ct)                                                             \
  row(#fn,                                                                                      \
      fastest_ms(                                                                               \
          [&] {                                                                                 \
            k::fn(kPixels, kPreluChannels, input_q.data(), rndnu->negative_xor_positive.data(), \
                  out_q.data(), rndnu->params);                                                 \
          },                                                                                    \
          min_seconds),                                                                         \
      1);
  FU_QS8_VPRELU_MINMAX_RNDNU_UKERNELS(FU_VPRELU_RNDNU_ROW)
#undef FU_VPRELU_RNDNU_ROW
}

}  // namespace

int main(int argc, char** argv) {
  double min_seconds = 0.5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
      min_seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: conv_layer_bench [--min-time SECONDS]\n");
      return 2;
    }
  }
  std::printf("%-26s %9s %9s %9s %9s %8s\n", "layer", "f32 ms", "GFLOP/s", "qs8 ms", "GOP/s",
              "qs8/f32");
  for (const Layer& l : kLayers) {
    fu::nn::Window2d w;
    w.kernel_h = w.kernel_w = l.kernel;
    w.stride_h = w.stride_w = l.stride;
    w.padding = {l.pad, l.pad, l.pad, l.pad};
    const int oh = out_size(l.in_h, l.kernel, l.stride, l.pad);
    const int ow = out_size(l.in_w, l.kernel, l.stride, l.pad);
    const size_t in_size = static_cast<size_t>(l.in_h) * l.in_w * l.in_c;
    const size_t out_size_elems = static_cast<size_t>(oh) * ow * l.out_c;
    const size_t taps = static_cast<size_t>(l.kernel) * l.kernel;
    const size_t filter_size = l.depthwise ? taps * l.in_c : taps * l.in_c * l.out_c;
    const double multiply_adds = double(oh) * ow * l.out_c * taps * (l.depthwise ? 1 : l.in_c);
    const auto input_f = random_values<float>(in_size, 1, -1, 1);
    const auto filter_f = random_values<float>(filter_size, 2, -0.1, 0.1);
    const auto bias_f = random_values<float>(l.out_c, 3, -0.1, 0.1);
    const auto input_q = random_values<int8_t>(in_size, 1, -128, 127);
    const auto filter_q = random_values<int8_t>(filter_size, 2, -127, 127);
    const auto bias_q = random_values<int32_t>(l.out_c, 3, -1000, 1000);
    const std::vector<float> filter_scales(l.out_c, 0.01f);
    const QuantParams in_q{0.02f, -3}, out_q{0.05f, 2};
    std::vector<float> out_f(out_size_elems);
    std::vector<int8_t> out_q_values(out_size_elems);
    double f32_ms, qs8_ms;
    if (l.depthwise) {
      const DepthwiseConv2dParams p{w, l.in_c};
      fu::nn::DepthwiseConv2dOperator f32(p, filter_f.data(), bias_f.data(), Activation{0, 6});
      fu::nn::Qs8DepthwiseConv2dOperator qs8(p, filter_q.data(), filter_scales.data(),
                                             bias_q.data(), in_q, out_q, 2, 127);
      f32_ms = fastest_ms([&] { f32.run(input_f.data(), 1, l.in_h, l.in_w, out_f.data()); },
                          min_seconds);
      qs8_ms = fastest_ms([&] { qs8.run(input_q.data(), 1, l.in_h, l.in_w, out_q_values.data()); },
                          min_seconds);
    } else {
      const Conv2dParams p{w, l.in_c, l.out_c};
      fu::nn::Conv2dOperator f32(p, filter_f.data(), bias_f.data(), Activation{0, 6});
      fu::nn::Qs8Conv2dOperator qs8(p, filter_q.data(), filter_scales.data(), bias_q.data(), in_q,
                                    out_q, 2, 127);
      f32_ms = fastest_ms([&] { f32.run(input_f.data(), 1, l.in_h, l.in_w, out_f.data()); },
                          min_seconds);
      qs8_ms = fastest_ms([&] { qs8.run(input_q.data(), 1, l.in_h, l.in_w, out_q_values.data()); },
                          min_seconds);
    }
    std::printf("%-26s %9.3f %9.1f %9.3f %9.1f %7.2fx\n", l.name, f32_ms,
                2 * multiply_adds / f32_ms * 1e-6, qs8_ms, 2 * multiply_adds / qs8_ms * 1e-6,
                f32_ms / qs8_ms);
  }
  bench_igemm_kernels(min_seconds);
  bench_dwconv_kernels(min_seconds);
  bench_prelu(min_seconds);
  return 0;
}
