// Own SIMD int8 element-wise operators under the int8 contract, and the float32 -> int8
// conversion at the boundary.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/quant_params.h"

namespace fu::nn {

// out = clamp(round_half_to_even((float)(a - za) * (sa / so) + (float)(b - zb) * (sb / so)) + zo,
//             output_min, output_max), the two ratios computed once in float32. The output may
// alias either input.
void qs8_add(QuantParams a_quant, QuantParams b_quant, QuantParams output_quant, int8_t output_min,
             int8_t output_max, const int8_t* a, const int8_t* b, size_t count, int8_t* output);

// float32 to int8 at the start of an int8 part of a graph, bit-exact with reference::quantize:
// clamp(round_half_to_even(x * (1 / scale)) + zero_point, -128, 127), NaN to the zero point.
void qs8_quantize(QuantParams output_quant, const float* input, size_t count, int8_t* output);

}  // namespace fu::nn
