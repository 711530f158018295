#include "nn/kernels/qs8-dwconv/qs8-dwconv-tile-simd128.h"
#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"

namespace fu::nn::kernels {

void qs8_dwconv_minmax_fp32_ukernel_9p16c__simd128(size_t channels, size_t output_width, size_t ks,
                                                   const int8_t* const* input, const int8_t* w,
                                                   int8_t* output, const Qs8Fp32Params& params) {
  qs8_dwconv::dwconv<2, 9>(channels, output_width, ks, input, w, output, params);
}

}  // namespace fu::nn::kernels
