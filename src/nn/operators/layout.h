// Own data-movement operators. Semantics and argument order as in nn/reference/reference.h;
// no allocation. Output must not alias any input.
#pragma once

#include <cstdint>

#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu::nn {

void pad(const PadParams& params, const float* input, int batch, int height, int width,
         int channels, float* output);

// int8 pad as reference::qs8_pad: the output shares `quant`, padded positions hold
// reference::quantize(params.value) on it (the zero point for 0).
void qs8_pad(const PadParams& params, QuantParams quant, const int8_t* input, int batch, int height,
             int width, int channels, int8_t* output);

void concat_channels(int num_inputs, const float* const* inputs, const int* channels, int pixels,
                     float* output);

}  // namespace fu::nn
