// Parameters shared by the float micro-kernels.
#pragma once

namespace fu::nn::kernels {

// Output clamp applied by every minmax micro-kernel after accumulation.
struct MinMaxParams {
  float min;
  float max;
};

}  // namespace fu::nn::kernels
