#include <cassert>

#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/simd/f32x4.h"

namespace fu::nn::kernels {

using namespace simd;

namespace {

// One group of 4 channels at offset c: the 9 taps unrolled into two independent accumulator
// chains (taps 0-4 on the bias, 5-8 from zero) that meet at the end, so that the adds of one
// chain overlap the other's instead of waiting on nine dependent additions.
inline f32x4 group9(const float* const (&i)[9], size_t c, const float* w) {
  f32x4 acc0 = f32x4_load(w);
  f32x4 acc1 = f32x4_mul(f32x4_load(i[5] + c), f32x4_load(w + 24));
  acc0 = f32x4_muladd(f32x4_load(i[0] + c), f32x4_load(w + 4), acc0);
  acc1 = f32x4_muladd(f32x4_load(i[6] + c), f32x4_load(w + 28), acc1);
  acc0 = f32x4_muladd(f32x4_load(i[1] + c), f32x4_load(w + 8), acc0);
  acc1 = f32x4_muladd(f32x4_load(i[7] + c), f32x4_load(w + 32), acc1);
  acc0 = f32x4_muladd(f32x4_load(i[2] + c), f32x4_load(w + 12), acc0);
  acc1 = f32x4_muladd(f32x4_load(i[8] + c), f32x4_load(w + 36), acc1);
  acc0 = f32x4_muladd(f32x4_load(i[3] + c), f32x4_load(w + 16), acc0);
  acc0 = f32x4_muladd(f32x4_load(i[4] + c), f32x4_load(w + 20), acc0);
  return f32x4_add(acc0, acc1);
}

// As group9 for the last n (1..3) channels, with partial loads.
inline f32x4 group9_partial(const float* const (&i)[9], size_t c, size_t n, const float* w) {
  f32x4 acc0 = f32x4_load(w);
  f32x4 acc1 = f32x4_mul(f32x4_load_partial(i[5] + c, n), f32x4_load(w + 24));
  acc0 = f32x4_muladd(f32x4_load_partial(i[0] + c, n), f32x4_load(w + 4), acc0);
  acc1 = f32x4_muladd(f32x4_load_partial(i[6] + c, n), f32x4_load(w + 28), acc1);
  acc0 = f32x4_muladd(f32x4_load_partial(i[1] + c, n), f32x4_load(w + 8), acc0);
  acc1 = f32x4_muladd(f32x4_load_partial(i[7] + c, n), f32x4_load(w + 32), acc1);
  acc0 = f32x4_muladd(f32x4_load_partial(i[2] + c, n), f32x4_load(w + 12), acc0);
  acc1 = f32x4_muladd(f32x4_load_partial(i[8] + c, n), f32x4_load(w + 36), acc1);
  acc0 = f32x4_muladd(f32x4_load_partial(i[3] + c, n), f32x4_load(w + 16), acc0);
  acc0 = f32x4_muladd(f32x4_load_partial(i[4] + c, n), f32x4_load(w + 20), acc0);
  return f32x4_add(acc0, acc1);
}

}  // namespace

// 9 taps only (3x3 windows): the tap pointers of a pixel are loaded once, and 8 channels (two
// packed groups) per step keep four accumulator chains in flight.
void f32_dwconv_minmax_ukernel_9p8c__simd128(size_t channels, size_t output_width, size_t ks,
                                             const float* const* input, const float* w,
                                             float* output, const MinMaxParams& params) {
  assert(channels >= 1);
  assert(ks == 9);
  constexpr size_t kGroupStride = 10 * kF32DwconvChannelGroup;  // bias + 9 taps
  const f32x4 vmin = f32x4_splat(params.min);
  const f32x4 vmax = f32x4_splat(params.max);
  for (size_t x = 0; x < output_width; ++x) {
    const float* const* taps = input + x * 9;
    const float* const i[9] = {taps[0], taps[1], taps[2], taps[3], taps[4],
                               taps[5], taps[6], taps[7], taps[8]};
    const float* wg = w;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
      const f32x4 acc0 = group9(i, c, wg);
      const f32x4 acc1 = group9(i, c + 4, wg + kGroupStride);
      f32x4_store(output + c, f32x4_clamp(acc0, vmin, vmax));
      f32x4_store(output + c + 4, f32x4_clamp(acc1, vmin, vmax));
      wg += 2 * kGroupStride;
    }
    if (c + 4 <= channels) {
      f32x4_store(output + c, f32x4_clamp(group9(i, c, wg), vmin, vmax));
      wg += kGroupStride;
      c += 4;
    }
    if (c < channels) {
      const size_t n = channels - c;
      f32x4_store_partial(output + c, f32x4_clamp(group9_partial(i, c, n, wg), vmin, vmax), n);
    }
    output += channels;
  }
}

}  // namespace fu::nn::kernels
