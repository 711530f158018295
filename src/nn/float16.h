// IEEE 754 half precision (binary16) as model-file storage for weights that stay float in an
// int8 model. Conversion only: no arithmetic happens in float16.
#pragma once

#include <cstdint>

namespace fu::nn {

// Rounds to the nearest half (ties to even); values beyond the half range become infinity.
std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t bits);

// True when `value` converts to half and back unchanged (so storing it as float16 loses nothing).
inline bool is_exact_half(float value) { return half_to_float(float_to_half(value)) == value; }

}  // namespace fu::nn
