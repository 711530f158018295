// Weight packing for the int8 (qs8) micro-kernels: done once when an operator is created.
// Both fold the input zero point into the biases the way XNNPACK does,
//   bias'[c] = bias[c] - input_zero_point * sum of channel c's weights,
// so that kernels multiply raw int8 inputs and padded taps (which read bytes equal to the zero
// point) contribute nothing. Sums wrap modulo 2^32 like the kernels' accumulators, so the result
// is exact whenever the contract's true accumulator fits in int32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/aligned_vector.h"
#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"

namespace fu::nn::kernels {

// Packs `filter` [nc][ks][kc] (OHWI with ks = kh * kw; [out][in] for fully connected), `bias`
// [nc] (nullptr = zeros) and the requantisation `scales` [nc] into the "c8" panels of nr
// channels described in nn/kernels/qs8-gemm/qs8-gemm.h.
AlignedVector<int8_t> pack_qs8_gemm_weights(size_t nr, size_t nc, size_t ks, size_t kc,
                                            const int8_t* filter, const int32_t* bias,
                                            const float* scales, int32_t input_zero_point);

// Packs the same operands for the "c2" IGEMM tiles (nn/kernels/qs8-igemm/qs8-igemm.h) in panels
// of 8 channels: 8 int32 biases (zero point folded as above), then for each tap and each pair of
// depth values (kc zero padded to even) the pair of every channel, [w(k, c), w(k + 1, c)] for
// c = 0..7, sign-extended to int16, then 8 float scales. A last panel of at most 4 channels is 4
// wide (12 channels: 8 + 4, not 8 + 8). Channels past nc are zero padded.
AlignedVector<int8_t> pack_qs8_gemm_weights_c2(size_t nc, size_t ks, size_t kc,
                                               const int8_t* filter, const int32_t* bias,
                                               const float* scales, int32_t input_zero_point);

// Packs a depthwise `filter` [ks][channels], `bias` [channels] (nullptr = zeros) and `scales`
// [channels] into the groups described in nn/kernels/qs8-dwconv/qs8-dwconv.h.
AlignedVector<int8_t> pack_qs8_dwconv_weights(size_t channels, size_t ks, const int8_t* filter,
                                              const int32_t* bias, const float* scales,
                                              int32_t input_zero_point);

// The negative-side requantisation scales requantization_scale(input_scale, slope[c],
// output_scale) of `channels` PReLU slopes, zero padded as nn/kernels/qs8-vprelu/qs8-vprelu.h
// describes.
std::vector<float> pack_qs8_vprelu_scales(size_t channels, const float* slope, float input_scale,
                                          float output_scale);

// The fixed-point form of a PReLU's requantisation for the rndnu kernels
// (nn/kernels/qs8-vprelu/qs8-vprelu.h): the params and the negative multipliers less the
// positive one, `channels` int32 zero padded to whole groups.
struct Qs8VpreluRndnuPacking {
  Qs8VpreluRndnuParams params;
  std::vector<int32_t> negative_xor_positive;
};

// Per side and channel the multiplier (round(scale * 2^kQs8VpreluRndnuShift), or one within 2 of
// it) whose output equals requantize_fp32's for every
// x the input zero point allows (tried exhaustively: at most 256 values per channel). Nothing
// when some channel has none (a product landing exactly on a half, which the float contract rounds
// to even; a non-finite or huge scale): the caller then runs the fp32 kernels.
std::optional<Qs8VpreluRndnuPacking> pack_qs8_vprelu_rndnu(
    size_t channels, const float* slope, float input_scale, int32_t input_zero_point,
    float output_scale, int32_t output_zero_point, int8_t qmin, int8_t qmax);

}  // namespace fu::nn::kernels
