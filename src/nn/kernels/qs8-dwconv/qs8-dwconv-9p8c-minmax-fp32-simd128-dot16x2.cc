// 3x3 (9-tap) int8 depthwise convolution that multiplies two taps per instruction: the inputs
// of taps 2p and 2p+1 are interleaved lane by lane (channel c of one next to channel c of the
// other) and i32x4.dot_i16x8_s multiplies them with the matching interleaved weights and adds
// each pair into one int32 lane, 8 multiply-adds per instruction instead of a 16-bit multiply
// and two widenings per 8. Tap 8 is paired with itself and a zero weight. The weights of a group
// of 8 channels are interleaved once per call and then serve every output pixel, so the loops
// run channel group outside, output pixel inside. Same packing as the other kernels of the
// family (pack_qs8_dwconv_weights); integer sums are exact in any order, so the result is
// bit-exact with them.
#include <cassert>

#include "nn/kernels/qs8-dwconv/qs8-dwconv-tile-simd128.h"
#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"

namespace fu::nn::kernels {

namespace {

using namespace simd;

constexpr size_t kTaps = 9;
constexpr size_t kPairs = (kTaps + 1) / 2;

// Channels 0-3 (low) or 4-7 (high) of a and b, interleaved: a0 b0 a1 b1 a2 b2 a3 b3.
FU_SIMD_INLINE i16x8 interleave_low(i16x8 a, i16x8 b) {
  return __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
}
FU_SIMD_INLINE i16x8 interleave_high(i16x8 a, i16x8 b) {
  return __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
}

// One group of n (1..8) channels starting at channel c, every output pixel.
template <bool kWhole>
FU_SIMD_INLINE void group(size_t channels, size_t output_width, const int8_t* const* input,
                          size_t c, size_t n, const int8_t* wg, int8_t* output,
                          const qs8_dwconv::Requantizer& rq) {
  const i32x4 bias_lo = i32x4_load(wg);
  const i32x4 bias_hi = i32x4_load(wg + 16);
  const int8_t* weights = wg + 32;
  i16x8 w_lo[kPairs], w_hi[kPairs];
  for (size_t p = 0; p < kPairs; ++p) {
    const i16x8 a = i16x8_load_i8x8(weights + 2 * p * kQs8DwconvChannelGroup);
    const i16x8 b = 2 * p + 1 < kTaps
                        ? i16x8_load_i8x8(weights + (2 * p + 1) * kQs8DwconvChannelGroup)
                        : i16x8_zero();
    w_lo[p] = interleave_low(a, b);
    w_hi[p] = interleave_high(a, b);
  }
  const int8_t* scales = weights + kTaps * kQs8DwconvChannelGroup;
  auto load = [&](const int8_t* p) {
    return kWhole ? i16x8_load_i8x8(p + c) : i16x8_load_i8x8_partial(p + c, n);
  };
  for (size_t x = 0; x < output_width; ++x) {
    const int8_t* const* taps = input + x * kTaps;
    i32x4 acc_lo = bias_lo;
    i32x4 acc_hi = bias_hi;
    for (size_t p = 0; p < kPairs; ++p) {
      const i16x8 a = load(taps[2 * p]);
      const i16x8 b = 2 * p + 1 < kTaps ? load(taps[2 * p + 1]) : a;
      acc_lo += i32x4_dot_i16x8(interleave_low(a, b), w_lo[p]);
      acc_hi += i32x4_dot_i16x8(interleave_high(a, b), w_hi[p]);
    }
    const i16x8 q = rq(acc_lo, acc_hi, scales);
    const i8x16 bytes = i8x16_narrow_i16x8(q, q);
    int8_t* out = output + x * channels + c;
    if (kWhole) {
      __builtin_memcpy(out, &bytes, kQs8DwconvChannelGroup);
    } else {
      __builtin_memcpy(out, &bytes, n);
    }
  }
}

}  // namespace

void qs8_dwconv_minmax_fp32_ukernel_9p8c__simd128_dot16x2(size_t channels, size_t output_width,
                                                          size_t ks, const int8_t* const* input,
                                                          const int8_t* w, int8_t* output,
                                                          const Qs8Fp32Params& params) {
  assert(channels >= 1);
  assert(ks == kTaps);
  (void)ks;
  const qs8_dwconv::Requantizer rq(params);
  const size_t stride = qs8_dwconv::group_bytes(kTaps);
  size_t c = 0;
  for (; c + kQs8DwconvChannelGroup <= channels; c += kQs8DwconvChannelGroup) {
    group<true>(channels, output_width, input, c, kQs8DwconvChannelGroup, w, output, rq);
    w += stride;
  }
  if (c < channels) group<false>(channels, output_width, input, c, channels - c, w, output, rq);
}

}  // namespace fu::nn::kernels
