// Own SIMD int8 pooling operators under the int8 contract, vectorised across channels. Same
// argument order as the float ones in nn/operators/pooling.h plus the quantisation; no
// allocation, no byte read past any buffer. As in the float operators, only taps inside the
// input take part, and a window entirely in padding yields a real 0 (the output zero point).
#pragma once

#include <cstdint>

#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu::nn {

// On the raw int8 values (input and output share `quant`), then clamped to
// [output_min, output_max] (pass -128, 127 for none).
void qs8_max_pool2d(const Pool2dParams& params, const int8_t* input, int batch, int in_h, int in_w,
                    int channels, QuantParams quant, int8_t output_min, int8_t output_max,
                    int8_t* output);

// acc = sum over the window's non-padded taps of (q - input_quant.zero_point);
// out = requantize_fp32(acc, input_quant.scale / (output_quant.scale * (float)count), ...).
void qs8_avg_pool2d(const Pool2dParams& params, const int8_t* input, int batch, int in_h, int in_w,
                    int channels, QuantParams input_quant, QuantParams output_quant,
                    int8_t output_min, int8_t output_max, int8_t* output);

// As qs8_avg_pool2d over the whole height x width plane ([batch, h, w, c] -> [batch, c]).
// Throws fu::Error when height * width is so large that the int32 sums could overflow.
void qs8_global_avg_pool(const int8_t* input, int batch, int height, int width, int channels,
                         QuantParams input_quant, QuantParams output_quant, int8_t output_min,
                         int8_t output_max, int8_t* output);

}  // namespace fu::nn
