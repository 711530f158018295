#include "nn/kernels/qs8-vprelu/qs8-vprelu-tile-simd128.h"
#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"

namespace fu::nn::kernels {

void qs8_vprelu_minmax_rndnu_ukernel_c16__simd128(size_t pixels, size_t channels,
                                                  const int8_t* input,
                                                  const int32_t* negative_xor_positive,
                                                  int8_t* output,
                                                  const Qs8VpreluRndnuParams& params) {
  qs8_vprelu::prelu<2>(pixels, channels, input, negative_xor_positive, output,
                       qs8_vprelu::RndnuStep(params));
}

}  // namespace fu::nn::kernels
