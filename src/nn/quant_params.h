// Quantisation of an int8 activation tensor: real = scale * (q - zero_point), per tensor
// (asymmetric). Weights are symmetric per output channel and carry their scales separately.
#pragma once

#include <cstdint>

namespace fu::nn {

struct QuantParams {
  float scale;
  int32_t zero_point;  // in [-128, 127]
};

}  // namespace fu::nn
