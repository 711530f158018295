// Reference operators: plain loops that define what every operator computes. They are the
// ground truth the own SIMD operators (nn/operators/) are tested against, so they favour
// obviousness over speed and accumulate in double.
//
// Tensors are NHWC float32 with shapes passed explicitly; weight layouts are those of
// nn/op_params.h. Argument order: parameters, weights, inputs, shape, output. Invalid parameters
// or shapes throw fu::Error. Output buffers must not overlap inputs unless stated.
#pragma once

#include <cstddef>

#include "nn/op_params.h"

namespace fu::nn::reference {

// filter [out, kh, kw, in], bias [out] or nullptr for zeros; input [batch, in_h, in_w, in];
// output [batch, out_h, out_w, out] with sizes from window_output_size; padding reads zeros.
void conv2d(const Conv2dParams& params, const float* filter, const float* bias,
            Activation activation, const float* input, int batch, int in_h, int in_w,
            float* output);

// filter [1, kh, kw, channels], bias [channels] or nullptr.
void depthwise_conv2d(const DepthwiseConv2dParams& params, const float* filter, const float* bias,
                      Activation activation, const float* input, int batch, int in_h, int in_w,
                      float* output);

// filter [out, in], bias [out] or nullptr; input [batch, in] -> output [batch, out].
void fully_connected(const FullyConnectedParams& params, const float* filter, const float* bias,
                     Activation activation, const float* input, int batch, float* output);

// output = clamp(a + b); `count` elements. Output may alias a or b.
void add(Activation activation, const float* a, const float* b, size_t count, float* output);

// Folded batch norm: output[p, c] = clamp(input[p, c] * scale[c] + bias[c]) over
// `pixels` = batch * height * width. Output may alias input.
void scale_bias(Activation activation, const float* scale, const float* bias, const float* input,
                int pixels, int channels, float* output);

// output = min(max(input, activation.min), activation.max). Output may alias input.
void clamp(Activation activation, const float* input, size_t count, float* output);

// output[p, c] = input >= 0 ? input : input * slope[c]. Output may alias input.
void prelu(const float* slope, const float* input, int pixels, int channels, float* output);

// Padded positions are ignored (never the maximum).
void max_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output);

// Divides by the number of input pixels inside the window, padded positions excluded.
void avg_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output);

// [batch, h, w, channels] -> [batch, channels].
void global_avg_pool(const float* input, int batch, int height, int width, int channels,
                     float* output);

// [batch, h, w, c] -> [batch, top + h + bottom, left + w + right, before + c + after], new
// elements set to params.value.
void pad(const PadParams& params, const float* input, int batch, int height, int width,
         int channels, float* output);

// Concatenates `num_inputs` tensors [pixels, channels[i]] along channels into
// [pixels, sum(channels)].
void concat_channels(int num_inputs, const float* const* inputs, const int* channels, int pixels,
                     float* output);

// Per pixel: output = x / sqrt(max(sum over channels of x^2, eps)). Output may alias input.
void l2_normalize(float eps, const float* input, int pixels, int channels, float* output);

}  // namespace fu::nn::reference
