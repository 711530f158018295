// Parameters of the int8 (qs8) micro-kernels' fp32 requantisation, precomputed once per operator
// so that kernels splat them without arithmetic. Per-channel scales travel in the packed weights.
#pragma once

#include <cstdint>

#include "nn/kernels/requantization.h"

namespace fu::nn::kernels {

struct Qs8Fp32Params {
  float min_less_zero_point;      // qmin - output zero point
  float max_less_zero_point;      // qmax - output zero point
  int32_t magic_less_zero_point;  // kRoundingMagicBits - output zero point
};

// qmin <= qmax is the caller's to check (the operators reject the opposite with an error).
inline Qs8Fp32Params make_qs8_fp32_params(int32_t output_zero_point, int8_t qmin, int8_t qmax) {
  return Qs8Fp32Params{static_cast<float>(int32_t{qmin} - output_zero_point),
                       static_cast<float>(int32_t{qmax} - output_zero_point),
                       kRoundingMagicBits - output_zero_point};
}

}  // namespace fu::nn::kernels
