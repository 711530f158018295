// int8 PReLU micro-kernels, vectorised across channels (contiguous in NHWC). For each of `pixels`
// pixels of `channels` int8 values, with x = q - input zero point:
//   out = requantize_fp32(x, x >= 0 ? positive_scale : negative_scales[c], zo, qmin, qmax)
// - fp32 kernels compute it lane for lane as kernels::requantize_fp32 does (float product,
//   rounding half to even), so they are bit-exact with a scalar loop over that function.
//   `negative_scales` is packed by pack_qs8_vprelu_scales(): `channels` floats zero padded to a
//   multiple of kQs8VpreluChannelGroup, so whole groups are always loaded.
// - rndnu kernels compute clamp((x * m + rounding) >> kQs8VpreluRndnuShift, qmin, qmax) in
//   int32, m the positive multiplier where x >= 0 and the channel's negative one elsewhere: no
//   float work. pack_qs8_vprelu_rndnu() (qs8_packing.h) gives the multipliers only when this
//   reproduces requantize_fp32 exactly for every input the input zero point allows, so they are
//   bit-exact too. A multiplier m (|m| < 2^22) is stored as the pair of int16 halves of an int32,
//   low half m >> 7, high half m & 127, which one i32x4.dot_i16x8_s with (x * 128, x) turns
//   into x * m; the packed groups hold each channel's negative pair xor the positive one,
//   `channels` int32 zero padded as above.
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

// The fixed-point form's shift: a constant, because WebAssembly's i32x4.shr_s by a run-time count
// held in a loop-invariant register compiles (clang 14) to four scalar shifts. 20 bits leave
// multipliers for scales below 4 within 2^22 (PReLU's are near 1 on the positive side and below
// it on the negative one) and keep |x * m| + |rounding| < 2^31 for every x in [-255, 255].
constexpr int kQs8VpreluRndnuShift = 20;

// rounding = 2^(shift - 1) + output zero point * 2^shift (pack_qs8_vprelu_rndnu).
struct Qs8VpreluRndnuParams {
  int16_t input_zero_point;
  int32_t positive_pair;  // the positive multiplier as a pair (above)
  int32_t rounding;
  int8_t qmin;
  int8_t qmax;
};

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

using Qs8VpreluMinMaxRndnuUkernel = void (*)(size_t pixels, size_t channels, const int8_t* input,
                                             const int32_t* negative_xor_positive, int8_t* output,
                                             const Qs8VpreluRndnuParams& params);

// The fixed-point kernels: X(name, channel tile).
#define FU_QS8_VPRELU_MINMAX_RNDNU_UKERNELS(X)      \
  X(qs8_vprelu_minmax_rndnu_ukernel_c8__simd128, 8) \
  X(qs8_vprelu_minmax_rndnu_ukernel_c16__simd128, 16)

#define FU_DECLARE_QS8_VPRELU_MINMAX_RNDNU_UKERNEL(name, ct)      \
  void name(size_t pixels, size_t channels, const int8_t* input,  \
            const int32_t* negative_xor_positive, int8_t* output, \
            const Qs8VpreluRndnuParams& params);
FU_QS8_VPRELU_MINMAX_RNDNU_UKERNELS(FU_DECLARE_QS8_VPRELU_MINMAX_RNDNU_UKERNEL)
#undef FU_DECLARE_QS8_VPRELU_MINMAX_RNDNU_UKERNEL

}  // namespace fu::nn::kernels
