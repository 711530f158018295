#include <cassert>

#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/simd/f32x4.h"

namespace fu::nn::kernels {

using namespace simd;

// 9 taps only (3x3 windows), with the loops turned around: for each group of 4 channels, its
// bias and 9 weight vectors are loaded once into registers (10 of the 16 on x86-64) and the
// whole output row is swept, so that a pixel costs 9 input loads and 9 multiply-adds instead of
// also reloading 9 weights. Two accumulator chains per pixel (taps 0-4, 5-8) overlap their adds.
void f32_dwconv_minmax_ukernel_9p4c__simd128(size_t channels, size_t output_width, size_t ks,
                                             const float* const* input, const float* w,
                                             float* output, const MinMaxParams& params) {
  assert(channels >= 1);
  assert(ks == 9);
  constexpr size_t kGroupStride = 10 * kF32DwconvChannelGroup;  // bias + 9 taps
  const f32x4 vmin = f32x4_splat(params.min);
  const f32x4 vmax = f32x4_splat(params.max);
  for (size_t c = 0; c < channels; c += 4, w += kGroupStride) {
    const size_t n = channels - c < 4 ? channels - c : 4;
    const f32x4 vb = f32x4_load(w);
    const f32x4 w0 = f32x4_load(w + 4), w1 = f32x4_load(w + 8), w2 = f32x4_load(w + 12);
    const f32x4 w3 = f32x4_load(w + 16), w4 = f32x4_load(w + 20), w5 = f32x4_load(w + 24);
    const f32x4 w6 = f32x4_load(w + 28), w7 = f32x4_load(w + 32), w8 = f32x4_load(w + 36);
    const float* const* taps = input;
    float* out = output + c;
    if (n == 4) {
      for (size_t x = 0; x < output_width; ++x, taps += 9, out += channels) {
        f32x4 acc0 = f32x4_muladd(f32x4_load(taps[0] + c), w0, vb);
        f32x4 acc1 = f32x4_mul(f32x4_load(taps[5] + c), w5);
        acc0 = f32x4_muladd(f32x4_load(taps[1] + c), w1, acc0);
        acc1 = f32x4_muladd(f32x4_load(taps[6] + c), w6, acc1);
        acc0 = f32x4_muladd(f32x4_load(taps[2] + c), w2, acc0);
        acc1 = f32x4_muladd(f32x4_load(taps[7] + c), w7, acc1);
        acc0 = f32x4_muladd(f32x4_load(taps[3] + c), w3, acc0);
        acc1 = f32x4_muladd(f32x4_load(taps[8] + c), w8, acc1);
        acc0 = f32x4_muladd(f32x4_load(taps[4] + c), w4, acc0);
        f32x4_store(out, f32x4_clamp(f32x4_add(acc0, acc1), vmin, vmax));
      }
    } else {
      for (size_t x = 0; x < output_width; ++x, taps += 9, out += channels) {
        f32x4 acc0 = f32x4_muladd(f32x4_load_partial(taps[0] + c, n), w0, vb);
        f32x4 acc1 = f32x4_mul(f32x4_load_partial(taps[5] + c, n), w5);
        acc0 = f32x4_muladd(f32x4_load_partial(taps[1] + c, n), w1, acc0);
        acc1 = f32x4_muladd(f32x4_load_partial(taps[6] + c, n), w6, acc1);
        acc0 = f32x4_muladd(f32x4_load_partial(taps[2] + c, n), w2, acc0);
        acc1 = f32x4_muladd(f32x4_load_partial(taps[7] + c, n), w7, acc1);
        acc0 = f32x4_muladd(f32x4_load_partial(taps[3] + c, n), w3, acc0);
        acc1 = f32x4_muladd(f32x4_load_partial(taps[8] + c, n), w8, acc1);
        acc0 = f32x4_muladd(f32x4_load_partial(taps[4] + c, n), w4, acc0);
        f32x4_store_partial(out, f32x4_clamp(f32x4_add(acc0, acc1), vmin, vmax), n);
      }
    }
  }
}

}  // namespace fu::nn::kernels
