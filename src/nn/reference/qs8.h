// int8 reference operators: plain loops that define what every quantised operator computes,
// under the project's int8 contract (docs/model-format.md, "int8 arithmetic"). The own SIMD
// operators and XNNPACK are tested against these.
//
// Activations are int8 with per-tensor QuantParams (real = scale * (q - zero_point)); filters are
// int8 per output channel (real = filter_scales[c] * q) in the float layouts of nn/op_params.h;
// biases are int32 in units of input.scale * filter_scales[c] (nullptr for zeros). Accumulation
// is exact in int32 and each output is requantised by kernels::requantize_fp32 with the scale
// (input.scale * filter_scales[c]) / output.scale, then clamped to [qmin, qmax] (the fused
// activation on the int8 grid). Invalid parameters throw fu::Error.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu::nn::reference {

// Padded taps read the input zero point (a real 0), so they add nothing to the sum.
void qs8_conv2d(const Conv2dParams& params, const int8_t* filter, const float* filter_scales,
                const int32_t* bias, QuantParams input_quant, QuantParams output_quant, int8_t qmin,
                int8_t qmax, const int8_t* input, int batch, int in_h, int in_w, int8_t* output);

// filter [1, kh, kw, channels], one scale per channel.
void qs8_depthwise_conv2d(const DepthwiseConv2dParams& params, const int8_t* filter,
                          const float* filter_scales, const int32_t* bias, QuantParams input_quant,
                          QuantParams output_quant, int8_t qmin, int8_t qmax, const int8_t* input,
                          int batch, int in_h, int in_w, int8_t* output);

// filter [out, in]; input [batch, in] -> output [batch, out].
void qs8_fully_connected(const FullyConnectedParams& params, const int8_t* filter,
                         const float* filter_scales, const int32_t* bias, QuantParams input_quant,
                         QuantParams output_quant, int8_t qmin, int8_t qmax, const int8_t* input,
                         int batch, int8_t* output);

// out = clamp(round((a - za) * (sa / so) + (b - zb) * (sb / so)) + zo, qmin, qmax), both ratios
// computed once in float32. Output may alias a or b.
void qs8_add(QuantParams a_quant, QuantParams b_quant, QuantParams output_quant, int8_t qmin,
             int8_t qmax, const int8_t* a, const int8_t* b, size_t count, int8_t* output);

// On the raw int8 values: input and output share `quant`. Padded positions are ignored; a window
// entirely in padding yields a real 0 (the zero point), as the float operator does.
void qs8_max_pool2d(const Pool2dParams& params, QuantParams quant, const int8_t* input, int batch,
                    int in_h, int in_w, int channels, int8_t* output);

// The sum of (q - zi) over the window's non-padded taps, requantised with
// input.scale / (output.scale * count).
void qs8_avg_pool2d(const Pool2dParams& params, QuantParams input_quant, QuantParams output_quant,
                    int8_t qmin, int8_t qmax, const int8_t* input, int batch, int in_h, int in_w,
                    int channels, int8_t* output);

// [batch, h, w, channels] -> [batch, channels], as average pooling over the whole image.
void qs8_global_avg_pool(QuantParams input_quant, QuantParams output_quant, int8_t qmin,
                         int8_t qmax, const int8_t* input, int batch, int height, int width,
                         int channels, int8_t* output);

// PReLU on the int8 grid: out = requantize_fp32(q - zi, ratio, zo, qmin, qmax) with ratio
// si / so where q >= zi and (si * slope[c]) / so elsewhere, each computed once in float32.
// Not part of the shared int8 contract: only this reference computes it (every backend calls it).
void qs8_prelu(const float* slope, QuantParams input_quant, QuantParams output_quant, int8_t qmin,
               int8_t qmax, const int8_t* input, int pixels, int channels, int8_t* output);

// pad on the int8 grid: the output shares the input's `quant`; padded positions hold
// quantize(params.value) on it (see quantize below), which for the usual value 0 is exactly the
// zero point.
void qs8_pad(const PadParams& params, QuantParams quant, const int8_t* input, int batch, int height,
             int width, int channels, int8_t* output);

// q = clamp(round_half_to_even(x * (1 / scale)) + zero_point, -128, 127), the reciprocal taken
// once in float32 (as XNNPACK's float-to-int8 conversion does). NaN becomes the zero point.
void quantize(QuantParams output_quant, const float* input, size_t count, int8_t* output);

// x = scale * (q - zero_point) in float32.
void dequantize(QuantParams input_quant, const int8_t* input, size_t count, float* output);

}  // namespace fu::nn::reference
