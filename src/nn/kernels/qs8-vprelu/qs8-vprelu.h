// int8 PReLU micro-kernels with fp32 requantisation, vectorised across channels (contiguous in
// NHWC). For each of `pixels` pixels of `channels` int8 values, with x = q - input zero point:
//   out = requantize_fp32(x, x >= 0 ? positive_scale : negative_scales[c], zo, qmin, qmax)
// lane for lane as kernels::requantize_fp32 computes it, so a kernel is bit-exact with a scalar
// loop over that function. `negative_scales` is packed by pack_qs8_vprelu_scales(): `channels`
// floats zero padded to a multiple of kQs8VpreluChannelGroup, so whole groups are always loaded.
// Input and output tails use partial loads and stores: no byte past either buffer is read or
// written. The output may alias the input (each group is loaded before it is stored).
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/kernels/qs8_params.h"

namespace fu::nn::kernels {

// Channels per group of packed scales.
constexpr size_t kQs8VpreluChannelGroup = 8;

struct Qs8VpreluFp32Params {
  int32_t input_zero_point;
  float positive_scale;  // input scale / output scale, shared by every channel
  Qs8Fp32Params requantization;
};

// qmin <= qmax is the caller's to check. The positive scale is requantization_scale with a
// filter scale of 1, the float order the int8 reference uses.
inline Qs8VpreluFp32Params make_qs8_vprelu_fp32_params(float input_scale, int32_t input_zero_point,
                                                       float output_scale,
                                                       int32_t output_zero_point, int8_t qmin,
                                                       int8_t qmax) {
  return Qs8VpreluFp32Params{input_zero_point,
                             requantization_scale(input_scale, 1.0f, output_scale),
                             make_qs8_fp32_params(output_zero_point, qmin, qmax)};
}

using Qs8VpreluMinMaxFp32Ukernel = void (*)(size_t pixels, size_t channels, const int8_t* input,
                                            const float* negative_scales, int8_t* output,
                                            const Qs8VpreluFp32Params& params);

// The one list of this family: X(name, channel tile).
#define FU_QS8_VPRELU_MINMAX_FP32_UKERNELS(X)      \
  X(qs8_vprelu_minmax_fp32_ukernel_c8__simd128, 8) \
  X(qs8_vprelu_minmax_fp32_ukernel_c16__simd128, 16)

#define FU_DECLARE_QS8_VPRELU_MINMAX_FP32_UKERNEL(name, ct)                                    \
  void name(size_t pixels, size_t channels, const int8_t* input, const float* negative_scales, \
            int8_t* output, const Qs8VpreluFp32Params& params);
FU_QS8_VPRELU_MINMAX_FP32_UKERNELS(FU_DECLARE_QS8_VPRELU_MINMAX_FP32_UKERNEL)
#undef FU_DECLARE_QS8_VPRELU_MINMAX_FP32_UKERNEL

}  // namespace fu::nn::kernels
