#include "nn/kernels/qs8-igemm/qs8-igemm-c2x8-tile-simd128.h"
#include "nn/kernels/qs8-igemm/qs8-igemm.h"

namespace fu::nn::kernels {

void qs8_igemm_minmax_fp32_ukernel_2x8c2__simd128_a16(size_t mr, size_t nc, size_t kc, size_t ks,
                                                      const int32_t* indirection,
                                                      const int16_t* input, const int16_t* zero,
                                                      const int8_t* w, int8_t* c, size_t c_stride,
                                                      const Qs8Fp32Params& params) {
  qs8_c2x8::igemm<2>(mr, nc, kc, ks, indirection, input, zero, w, c, c_stride, params);
}

}  // namespace fu::nn::kernels
