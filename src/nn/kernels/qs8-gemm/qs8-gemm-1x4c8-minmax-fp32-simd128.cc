#include "nn/kernels/qs8-gemm/qs8-gemm-c8x4-tile-simd128.h"
#include "nn/kernels/qs8-gemm/qs8-gemm.h"

namespace fu::nn::kernels {

void qs8_gemm_minmax_fp32_ukernel_1x4c8__simd128(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                                 size_t a_stride, const int8_t* w, int8_t* c,
                                                 size_t c_stride, const Qs8Fp32Params& params) {
  qs8_c8x4::gemm<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace fu::nn::kernels
