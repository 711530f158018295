// Argument checks and requantisation set-up shared by the qs8 operators, with the messages of
// nn/reference/validate.h ("cannot <verb> <object> (<value>): <reason>").
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/kernels/qs8_params.h"
#include "nn/kernels/requantization.h"
#include "nn/quant_params.h"
#include "nn/reference/validate.h"

namespace fu::nn::detail {

inline bool positive_finite(float x) { return std::isfinite(x) && x > 0.0f; }

inline void check_quant(const char* verb_object, const char* name, QuantParams q) {
  if (!positive_finite(q.scale))
    fail(verb_object, std::string(name) + " scale " + std::to_string(q.scale),
         "quantisation scales must be positive and finite");
  if (q.zero_point < -128 || q.zero_point > 127)
    fail(verb_object, std::string(name) + " zero point " + std::to_string(q.zero_point),
         "int8 zero points must be in [-128, 127]");
}

inline void check_output_range(const char* verb_object, int8_t output_min, int8_t output_max) {
  if (output_min > output_max)
    fail(verb_object,
         "output range " + std::to_string(output_min) + ".." + std::to_string(output_max),
         "min must not exceed max");
}

// Per-channel requantisation scales (input_scale * filter_scales[c]) / output_scale, in the
// contract's float order, after checking every filter scale.
inline std::vector<float> requantization_scales(const char* verb_object, const float* filter_scales,
                                                int channels, QuantParams input,
                                                QuantParams output) {
  check_not_null(verb_object, "filter scales", filter_scales);
  std::vector<float> scales(channels);
  for (int c = 0; c < channels; ++c) {
    if (!positive_finite(filter_scales[c]))
      fail(verb_object,
           "filter scale " + std::to_string(filter_scales[c]) + " of channel " + std::to_string(c),
           "filter scales must be positive and finite");
    scales[c] = kernels::requantization_scale(input.scale, filter_scales[c], output.scale);
  }
  return scales;
}

// The checks every int8 operator with weights makes at construction after its own shape checks
// (filter, both quantisations, output range, in that order), returning the per-channel
// requantisation scales of requantization_scales.
inline std::vector<float> check_weights_and_quantization(const char* verb_object,
                                                         const int8_t* filter,
                                                         const float* filter_scales, int channels,
                                                         QuantParams input, QuantParams output,
                                                         int8_t output_min, int8_t output_max) {
  check_not_null(verb_object, "filter", filter);
  check_quant(verb_object, "input", input);
  check_quant(verb_object, "output", output);
  check_output_range(verb_object, output_min, output_max);
  return requantization_scales(verb_object, filter_scales, channels, input, output);
}

inline kernels::Qs8Fp32Params qs8_params(QuantParams output, int8_t output_min, int8_t output_max) {
  return kernels::make_qs8_fp32_params(output.zero_point, output_min, output_max);
}

}  // namespace fu::nn::detail
