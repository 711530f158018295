// Weight packing for the int8 (qs8) micro-kernels: done once when an operator is created.
// Both fold the input zero point into the biases the way XNNPACK does,
//   bias'[c] = bias[c] - input_zero_point * sum of channel c's weights,
// so that kernels multiply raw int8 inputs and padded taps (which read bytes equal to the zero
// point) contribute nothing. Sums wrap modulo 2^32 like the kernels' accumulators, so the result
// is exact whenever the contract's true accumulator fits in int32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fu::nn::kernels {

// Packs `filter` [nc][ks][kc] (OHWI with ks = kh * kw; [out][in] for fully connected), `bias`
// [nc] (nullptr = zeros) and the requantisation `scales` [nc] into the "c8" panels of nr
// channels described in nn/kernels/qs8-gemm/qs8-gemm.h.
std::vector<int8_t> pack_qs8_gemm_weights(size_t nr, size_t nc, size_t ks, size_t kc,
                                          const int8_t* filter, const int32_t* bias,
                                          const float* scales, int32_t input_zero_point);

// Packs a depthwise `filter` [ks][channels], `bias` [channels] (nullptr = zeros) and `scales`
// [channels] into the groups described in nn/kernels/qs8-dwconv/qs8-dwconv.h.
std::vector<int8_t> pack_qs8_dwconv_weights(size_t channels, size_t ks, const int8_t* filter,
                                            const int32_t* bias, const float* scales,
                                            int32_t input_zero_point);

// The negative-side requantisation scales requantization_scale(input_scale, slope[c],
// output_scale) of `channels` PReLU slopes, zero padded as nn/kernels/qs8-vprelu/qs8-vprelu.h
// describes.
std::vector<float> pack_qs8_vprelu_scales(size_t channels, const float* slope, float input_scale,
                                          float output_scale);

}  // namespace fu::nn::kernels
