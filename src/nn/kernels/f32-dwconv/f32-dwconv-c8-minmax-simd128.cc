#include <cassert>

#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/simd/f32x4.h"

namespace fu::nn::kernels {

using namespace simd;

// 8 channels (two packed groups) per step so that two independent accumulator chains run side
// by side; then one group of 4, then a partial group for the last 1..3 channels.
void f32_dwconv_minmax_ukernel_c8__simd128(size_t channels, size_t output_width, size_t ks,
                                           const float* const* input, const float* w, float* output,
                                           const MinMaxParams& params) {
  assert(channels >= 1);
  assert(ks >= 1);
  const size_t group_stride = (ks + 1) * kF32DwconvChannelGroup;
  const f32x4 vmin = f32x4_splat(params.min);
  const f32x4 vmax = f32x4_splat(params.max);
  for (size_t x = 0; x < output_width; ++x) {
    const float* const* taps = input + x * ks;
    const float* wg = w;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
      const float* w0 = wg;
      const float* w1 = wg + group_stride;
      f32x4 acc0 = f32x4_load(w0);
      f32x4 acc1 = f32x4_load(w1);
      for (size_t t = 0; t < ks; ++t) {
        const float* i = taps[t] + c;
        acc0 = f32x4_muladd(f32x4_load(i), f32x4_load(w0 + 4 * (t + 1)), acc0);
        acc1 = f32x4_muladd(f32x4_load(i + 4), f32x4_load(w1 + 4 * (t + 1)), acc1);
      }
      f32x4_store(output + c, f32x4_clamp(acc0, vmin, vmax));
      f32x4_store(output + c + 4, f32x4_clamp(acc1, vmin, vmax));
      wg += 2 * group_stride;
    }
    if (c + 4 <= channels) {
      f32x4 acc = f32x4_load(wg);
      for (size_t t = 0; t < ks; ++t)
        acc = f32x4_muladd(f32x4_load(taps[t] + c), f32x4_load(wg + 4 * (t + 1)), acc);
      f32x4_store(output + c, f32x4_clamp(acc, vmin, vmax));
      wg += group_stride;
      c += 4;
    }
    if (c < channels) {
      const size_t n = channels - c;
      f32x4 acc = f32x4_load(wg);
      for (size_t t = 0; t < ks; ++t)
        acc = f32x4_muladd(f32x4_load_partial(taps[t] + c, n), f32x4_load(wg + 4 * (t + 1)), acc);
      f32x4_store_partial(output + c, f32x4_clamp(acc, vmin, vmax), n);
    }
    output += channels;
  }
}

}  // namespace fu::nn::kernels
