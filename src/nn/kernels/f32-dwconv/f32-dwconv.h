// Float depthwise convolution micro-kernels with a fused output clamp, vectorised across
// channels (contiguous in NHWC): any number of taps, or exactly 9 (3x3 windows) for the
// kernels whose list entry says so.
//
// For each of `output_width` output pixels, `input` holds ks pointers (pixel-major) to the
// input pixel of each tap, or to a buffer of `channels` zeros for padded taps. Output pixels are
// written contiguously, `channels` floats each. Weights are packed by pack_f32_dwconv_weights()
// in groups of 4 channels: 4 biases then ks x 4 weights, zero padded past `channels`. Channel
// tails use partial loads: no byte past any input or output buffer is read or written.
#pragma once

#include <cstddef>

#include "nn/kernels/params.h"

namespace fu::nn::kernels {

// Channels per packed weight group.
constexpr size_t kF32DwconvChannelGroup = 4;

using F32DwconvMinMaxUkernel = void (*)(size_t channels, size_t output_width, size_t ks,
                                        const float* const* input, const float* w, float* output,
                                        const MinMaxParams& params);

// The one list of this family: X(name, channel tile, taps or 0 for any).
#define FU_F32_DWCONV_MINMAX_UKERNELS(X)         \
  X(f32_dwconv_minmax_ukernel_c8__simd128, 8, 0) \
  X(f32_dwconv_minmax_ukernel_9p4c__simd128, 4, 9)

#define FU_DECLARE_F32_DWCONV_MINMAX_UKERNEL(name, ct, taps)                            \
  void name(size_t channels, size_t output_width, size_t ks, const float* const* input, \
            const float* w, float* output, const MinMaxParams& params);
FU_F32_DWCONV_MINMAX_UKERNELS(FU_DECLARE_F32_DWCONV_MINMAX_UKERNEL)
#undef FU_DECLARE_F32_DWCONV_MINMAX_UKERNEL

// The kernel the depthwise operator runs for 3x3 windows. Measured with bench/conv_layer_bench
// (3x3 128x56x56, fastest runs): keeping the weights in registers (9p4c) wins natively on SSE2,
// 18.6 against 16.8 GFLOP/s, but not in WebAssembly under V8, 17.5 against 19.0 for the
// generic c8, where the 10 weight and bias vectors plus accumulators exceed what it keeps in
// registers.
#if defined(__wasm_simd128__)
constexpr F32DwconvMinMaxUkernel kF32Dwconv3x3Ukernel = f32_dwconv_minmax_ukernel_c8__simd128;
#else
constexpr F32DwconvMinMaxUkernel kF32Dwconv3x3Ukernel = f32_dwconv_minmax_ukernel_9p4c__simd128;
#endif

}  // namespace fu::nn::kernels
