// int8 add and the float32 <-> int8 conversions at the boundaries of an int8 graph.
#include <algorithm>
#include <cmath>

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

void quantize(QuantParams output_quant, const float* input, size_t count, int8_t* output) {
  detail::check_quant_params("run reference quantize", "output", output_quant);
  const float inverse = 1.0f / output_quant.scale;
  for (size_t i = 0; i < count; ++i) {
    float q = std::nearbyint(input[i] * inverse);
    if (std::isnan(q)) q = 0.0f;
    q = std::min(127.0f, std::max(-128.0f, q + static_cast<float>(output_quant.zero_point)));
    output[i] = static_cast<int8_t>(q);
  }
}

void dequantize(QuantParams input_quant, const int8_t* input, size_t count, float* output) {
  detail::check_quant_params("run reference dequantize", "input", input_quant);
  for (size_t i = 0; i < count; ++i) {
    output[i] = input_quant.scale * static_cast<float>(int32_t{input[i]} - input_quant.zero_point);
  }
}

}  // namespace fu::nn::reference
