// Weight packing for the micro-kernels: done once when an operator is created.
#pragma once

#include <cstddef>
#include <vector>

#include "base/aligned_vector.h"

namespace fu::nn::kernels {

// Packs `filter` [nc][ks][kc] (OHWI with ks = kh * kw; [out][in] for fully connected) and `bias`
// [nc] (nullptr = zeros) into panels of nr output channels: nr biases, then for each tap and
// each k, nr weights. Channels past nc are zero.
AlignedVector<float> pack_f32_gemm_weights(size_t nr, size_t nc, size_t ks, size_t kc,
                                           const float* filter, const float* bias);

// Packs a depthwise `filter` [ks][channels] and `bias` [channels] (nullptr = zeros) into groups
// of kF32DwconvChannelGroup channels: the group's biases, then its weights tap by tap.
AlignedVector<float> pack_f32_dwconv_weights(size_t channels, size_t ks, const float* filter,
                                             const float* bias);

}  // namespace fu::nn::kernels
