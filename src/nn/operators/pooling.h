// Own SIMD pooling operators, vectorised across channels. Semantics, argument order and
// messages as in nn/reference/reference.h; no allocation, no byte read past any buffer.
#pragma once

#include "nn/op_params.h"

namespace fu::nn {

void max_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output);

void avg_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output);

// Output must not alias the input: it serves as the accumulator.
void global_avg_pool(const float* input, int batch, int height, int width, int channels,
                     float* output);

}  // namespace fu::nn
