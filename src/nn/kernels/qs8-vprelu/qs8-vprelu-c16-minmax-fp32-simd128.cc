#include "nn/kernels/qs8-vprelu/qs8-vprelu-tile-simd128.h"
#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"

namespace fu::nn::kernels {

void qs8_vprelu_minmax_fp32_ukernel_c16__simd128(size_t pixels, size_t channels,
                                                 const int8_t* input, const float* negative_scales,
                                                 int8_t* output,
                                                 const Qs8VpreluFp32Params& params) {
  qs8_vprelu::prelu<2>(pixels, channels, input, negative_scales, output,
                       qs8_vprelu::Fp32Step(params));
}

}  // namespace fu::nn::kernels
