// The quantisation of one int8 activation tensor (asymmetric, per tensor):
// real = scale * (q - zero_point), q in [-128, 127].
#pragma once

#include <cstdint>

namespace fu::nn {

struct QuantParams {
  float scale;
  int32_t zero_point;
};

}  // namespace fu::nn
