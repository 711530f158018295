// Own SIMD element-wise and per-pixel operators. Each has the semantics, argument order and
// aliasing rules of its namesake in nn/reference/reference.h; they allocate nothing and read
// no byte past any buffer (channel tails use partial loads).
#pragma once

#include <cstddef>

#include "nn/op_params.h"

namespace fu::nn {

void add(Activation activation, const float* a, const float* b, size_t count, float* output);

void scale_bias(Activation activation, const float* scale, const float* bias, const float* input,
                int pixels, int channels, float* output);

void clamp(Activation activation, const float* input, size_t count, float* output);

void prelu(const float* slope, const float* input, int pixels, int channels, float* output);

void l2_normalize(float eps, const float* input, int pixels, int channels, float* output);

}  // namespace fu::nn
