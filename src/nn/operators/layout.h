// Own data-movement operators. Semantics and argument order as in nn/reference/reference.h;
// no allocation. Output must not alias any input.
#pragma once

#include "nn/op_params.h"

namespace fu::nn {

void pad(const PadParams& params, const float* input, int batch, int height, int width,
         int channels, float* output);

void concat_channels(int num_inputs, const float* const* inputs, const int* channels, int pixels,
                     float* output);

}  // namespace fu::nn
