// int8 add and the float32 <-> int8 conversions at the boundaries of an int8 graph.
#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/kernels/requantization.h"
#include "nn/reference/qs8.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {

void qs8_add(QuantParams a_quant, QuantParams b_quant, QuantParams output_quant, int8_t qmin,
             int8_t qmax, const int8_t* a, const int8_t* b, size_t count, int8_t* output) {
  const char* what = "run reference qs8 add";
  detail::check_quant_params(what, "first input", a_quant);
  detail::check_quant_params(what, "second input", b_quant);
  detail::check_quant_params(what, "output", output_quant);
  detail::check_qs8_clamp(what, qmin, qmax);
  const float a_ratio = a_quant.scale / output_quant.scale;
  const float b_ratio = b_quant.scale / output_quant.scale;
  for (size_t i = 0; i < count; ++i) {
    const float sum = static_cast<float>(int32_t{a[i]} - a_quant.zero_point) * a_ratio +
                      static_cast<float>(int32_t{b[i]} - b_quant.zero_point) * b_ratio;
    const float q = std::nearbyint(sum) + static_cast<float>(output_quant.zero_point);
    output[i] = static_cast<int8_t>(
        std::min(static_cast<float>(qmax), std::max(static_cast<float>(qmin), q)));
  }
}

void qs8_prelu(const float* slope, QuantParams input_quant, QuantParams output_quant, int8_t qmin,
               int8_t qmax, const int8_t* input, int pixels, int channels, int8_t* output) {
  const char* what = "run reference qs8 prelu";
  detail::check_not_null(what, "slope", slope);
  detail::check_positive(what, "channels", channels);
  detail::check_quant_params(what, "input", input_quant);
  detail::check_quant_params(what, "output", output_quant);
  detail::check_qs8_clamp(what, qmin, qmax);
  // The slope plays the part of a filter scale (1 where x >= 0); requantization_scale is the
  // one place that fixes the float order, and the SIMD kernels' packing calls it too.
  const float positive = kernels::requantization_scale(input_quant.scale, 1.0f, output_quant.scale);
  std::vector<float> negative(channels);
  for (int c = 0; c < channels; ++c)
    negative[c] = kernels::requantization_scale(input_quant.scale, slope[c], output_quant.scale);
  for (size_t p = 0; p < static_cast<size_t>(pixels); ++p) {
    const int8_t* x = input + p * channels;
    int8_t* y = output + p * channels;
    for (int c = 0; c < channels; ++c) {
      const int32_t centred = int32_t{x[c]} - input_quant.zero_point;
      y[c] = kernels::requantize_fp32(centred, centred >= 0 ? positive : negative[c],
                                      output_quant.zero_point, qmin, qmax);
    }
  }
}

void quantize(QuantParams output_quant, const float* input, size_t count, int8_t* output) {
  detail::check_quant_params("run reference quantize", "output", output_quant);
  const float inverse = 1.0f / output_quant.scale;
  // Clamping before rounding equals clamping after (the bounds are whole numbers), and keeps the
  // branch-free rounding of nn/kernels/requantization.h in range, so the loop vectorises.
  const float lo = static_cast<float>(-128 - output_quant.zero_point);
  const float hi = static_cast<float>(127 - output_quant.zero_point);
  for (size_t i = 0; i < count; ++i) {
    float x = input[i] * inverse;
    x = x == x ? x : 0.0f;  // NaN: the zero point
    x = x > lo ? x : lo;
    x = x < hi ? x : hi;
    output[i] = static_cast<int8_t>(kernels::round_half_to_even_small(x) + output_quant.zero_point);
  }
}

void dequantize(QuantParams input_quant, const int8_t* input, size_t count, float* output) {
  detail::check_quant_params("run reference dequantize", "input", input_quant);
  for (size_t i = 0; i < count; ++i) {
    output[i] = input_quant.scale * static_cast<float>(int32_t{input[i]} - input_quant.zero_point);
  }
}

}  // namespace fu::nn::reference
