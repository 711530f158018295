#include "nn/kernels/packing.h"

#include "nn/kernels/f32-dwconv/f32-dwconv.h"

namespace fu::nn::kernels {

AlignedVector<float> pack_f32_gemm_weights(size_t nr, size_t nc, size_t ks, size_t kc,
                                           const float* filter, const float* bias) {
  const size_t panels = (nc + nr - 1) / nr;
  AlignedVector<float> packed(panels * nr * (1 + ks * kc), 0.0f);
  float* out = packed.data();
  for (size_t panel = 0; panel < panels; ++panel) {
    const size_t n0 = panel * nr;
    for (size_t j = 0; j < nr && n0 + j < nc; ++j) out[j] = bias != nullptr ? bias[n0 + j] : 0.0f;
    out += nr;
    for (size_t t = 0; t < ks; ++t) {
      for (size_t k = 0; k < kc; ++k) {
        for (size_t j = 0; j < nr && n0 + j < nc; ++j)
          out[j] = filter[((n0 + j) * ks + t) * kc + k];
        out += nr;
      }
    }
  }
  return packed;
}

AlignedVector<float> pack_f32_dwconv_weights(size_t channels, size_t ks, const float* filter,
                                             const float* bias) {
  const size_t g = kF32DwconvChannelGroup;
  const size_t groups = (channels + g - 1) / g;
  AlignedVector<float> packed(groups * g * (1 + ks), 0.0f);
  float* out = packed.data();
  for (size_t group = 0; group < groups; ++group) {
    const size_t c0 = group * g;
    for (size_t j = 0; j < g && c0 + j < channels; ++j)
      out[j] = bias != nullptr ? bias[c0 + j] : 0.0f;
    out += g;
    for (size_t t = 0; t < ks; ++t) {
      for (size_t j = 0; j < g && c0 + j < channels; ++j) out[j] = filter[t * channels + c0 + j];
      out += g;
    }
  }
  return packed;
}

}  // namespace fu::nn::kernels
