// int8 depthwise convolution micro-kernels with fp32 requantisation, vectorised across channels
// (contiguous in NHWC), any number of taps.
//
// For each of `output_width` output pixels, `input` holds ks pointers (pixel-major) to the
// input pixel of each tap, or to a buffer of `channels` bytes equal to the input zero point for
// padded taps. Output pixels are written contiguously, `channels` bytes each. Weights are packed
// by pack_qs8_dwconv_weights() in groups of kQs8DwconvChannelGroup = 8 channels: 8 int32 biases
// (input zero point folded in), ks x 8 int8 weights, 8 float requantisation scales, zero padded
// past `channels`. Products of sign-extended int8 values are exact in 16 bits (weights are in
// [-127, 127]) and are widened into int32 accumulators. Channel tails use partial loads: no byte
// past any input or output buffer is read or written.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8_params.h"

namespace fu::nn::kernels {

// Channels per packed weight group.
constexpr size_t kQs8DwconvChannelGroup = 8;

using Qs8DwconvMinMaxFp32Ukernel = void (*)(size_t channels, size_t output_width, size_t ks,
                                            const int8_t* const* input, const int8_t* w,
                                            int8_t* output, const Qs8Fp32Params& params);

// The one list of this family: X(name, channel tile, taps or 0 for any).
#define FU_QS8_DWCONV_MINMAX_FP32_UKERNELS(X)             \
  X(qs8_dwconv_minmax_fp32_ukernel_c8__simd128, 8, 0)     \
  X(qs8_dwconv_minmax_fp32_ukernel_c16__simd128, 16, 0)   \
  X(qs8_dwconv_minmax_fp32_ukernel_9p16c__simd128, 16, 9) \
  X(qs8_dwconv_minmax_fp32_ukernel_9p8c__simd128_dot16x2, 8, 9)

#define FU_DECLARE_QS8_DWCONV_MINMAX_FP32_UKERNEL(name, ct, taps)                        \
  void name(size_t channels, size_t output_width, size_t ks, const int8_t* const* input, \
            const int8_t* w, int8_t* output, const Qs8Fp32Params& params);
FU_QS8_DWCONV_MINMAX_FP32_UKERNELS(FU_DECLARE_QS8_DWCONV_MINMAX_FP32_UKERNEL)
#undef FU_DECLARE_QS8_DWCONV_MINMAX_FP32_UKERNEL

}  // namespace fu::nn::kernels
