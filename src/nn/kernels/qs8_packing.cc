#include "nn/kernels/qs8_packing.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"
#include "nn/kernels/qs8-gemm/qs8-gemm.h"
#include "nn/kernels/qs8-igemm/qs8-igemm.h"
#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"
#include "nn/kernels/requantization.h"

namespace fu::nn::kernels {

namespace {

// bias - zp * weight_sum in wrapping 32-bit arithmetic (unsigned, so that it is defined).
int32_t fold_zero_point(int32_t bias, int32_t zero_point, uint32_t weight_sum) {
  const uint32_t folded =
      static_cast<uint32_t>(bias) - static_cast<uint32_t>(zero_point) * weight_sum;
  int32_t out;
  std::memcpy(&out, &folded, sizeof(out));
  return out;
}

// Writes the n folded biases of channels n0.. of `filter` [nc][ks * kc] to out.
void write_folded_biases(int8_t* out, size_t n0, size_t n, size_t ks, size_t kc,
                         const int8_t* filter, const int32_t* bias, int32_t input_zero_point) {
  for (size_t j = 0; j < n; ++j) {
    const int8_t* f = filter + (n0 + j) * ks * kc;
    uint32_t sum = 0;
    for (size_t i = 0; i < ks * kc; ++i) sum += static_cast<uint32_t>(int32_t{f[i]});
    const int32_t b = fold_zero_point(bias != nullptr ? bias[n0 + j] : 0, input_zero_point, sum);
    std::memcpy(out + j * sizeof(int32_t), &b, sizeof(b));
  }
}

// Both GEMM layouts: panels of nr channels, each tap's depth in groups of kr values, the kr
// weights of channel 0, of channel 1, ... per group. With `narrow_last`, a last panel of at most
// nr / 2 channels is nr / 2 wide.
AlignedVector<int8_t> pack_panels(size_t nr, size_t kr, size_t nc, size_t ks, size_t kc,
                                  const int8_t* filter, const int32_t* bias, const float* scales,
                                  int32_t input_zero_point, bool narrow_last) {
  const size_t blocks = (kc + kr - 1) / kr;
  auto width = [&](size_t n0) { return narrow_last && nc - n0 <= nr / 2 ? nr / 2 : nr; };
  auto panel_bytes = [&](size_t w) {
    return w * sizeof(int32_t) + ks * blocks * kr * w * sizeof(int16_t) + w * sizeof(float);
  };
  size_t total = 0;
  for (size_t n0 = 0; n0 < nc; n0 += nr) total += panel_bytes(width(n0));
  AlignedVector<int8_t> packed(total, 0);
  int8_t* out = packed.data();
  for (size_t n0 = 0; n0 < nc; n0 += nr) {
    const size_t pw = width(n0);
    const size_t n = nc - n0 < pw ? nc - n0 : pw;
    write_folded_biases(out, n0, n, ks, kc, filter, bias, input_zero_point);
    out += pw * sizeof(int32_t);
    for (size_t t = 0; t < ks; ++t) {
      for (size_t block = 0; block < blocks; ++block) {
        for (size_t j = 0; j < n; ++j) {
          for (size_t k = block * kr; k < (block + 1) * kr && k < kc; ++k) {
            const int16_t w = filter[((n0 + j) * ks + t) * kc + k];
            std::memcpy(out + (j * kr + k - block * kr) * sizeof(int16_t), &w, sizeof(w));
          }
        }
        out += pw * kr * sizeof(int16_t);
      }
    }
    for (size_t j = 0; j < n; ++j)
      std::memcpy(out + j * sizeof(float), &scales[n0 + j], sizeof(float));
    out += pw * sizeof(float);
  }
  return packed;
}

}  // namespace

AlignedVector<int8_t> pack_qs8_gemm_weights(size_t nr, size_t nc, size_t ks, size_t kc,
                                            const int8_t* filter, const int32_t* bias,
                                            const float* scales, int32_t input_zero_point) {
  return pack_panels(nr, kQs8GemmKr, nc, ks, kc, filter, bias, scales, input_zero_point, false);
}

AlignedVector<int8_t> pack_qs8_gemm_weights_c2(size_t nc, size_t ks, size_t kc,
                                               const int8_t* filter, const int32_t* bias,
                                               const float* scales, int32_t input_zero_point) {
  return pack_panels(8, kQs8GemmC2Kr, nc, ks, kc, filter, bias, scales, input_zero_point, true);
}

AlignedVector<int8_t> pack_qs8_dwconv_weights(size_t channels, size_t ks, const int8_t* filter,
                                              const int32_t* bias, const float* scales,
                                              int32_t input_zero_point) {
  const size_t g = kQs8DwconvChannelGroup;
  const size_t groups = (channels + g - 1) / g;
  const size_t group_bytes = g * sizeof(int32_t) + ks * g + g * sizeof(float);
  AlignedVector<int8_t> packed(groups * group_bytes, 0);
  int8_t* out = packed.data();
  for (size_t group = 0; group < groups; ++group) {
    const size_t c0 = group * g;
    const size_t n = channels - c0 < g ? channels - c0 : g;
    for (size_t j = 0; j < n; ++j) {
      uint32_t sum = 0;
      for (size_t t = 0; t < ks; ++t)
        sum += static_cast<uint32_t>(int32_t{filter[t * channels + c0 + j]});
      const int32_t b = fold_zero_point(bias != nullptr ? bias[c0 + j] : 0, input_zero_point, sum);
      std::memcpy(out + j * sizeof(int32_t), &b, sizeof(b));
    }
    out += g * sizeof(int32_t);
    for (size_t t = 0; t < ks; ++t) {
      for (size_t j = 0; j < n; ++j) out[j] = filter[t * channels + c0 + j];
      out += g;
    }
    for (size_t j = 0; j < n; ++j)
      std::memcpy(out + j * sizeof(float), &scales[c0 + j], sizeof(float));
    out += g * sizeof(float);
  }
  return packed;
}

std::vector<float> pack_qs8_vprelu_scales(size_t channels, const float* slope, float input_scale,
                                          float output_scale) {
  const size_t group = kQs8VpreluChannelGroup;
  std::vector<float> packed((channels + group - 1) / group * group, 0.0f);
  for (size_t c = 0; c < channels; ++c) {
    packed[c] = requantization_scale(input_scale, slope[c], output_scale);
  }
  return packed;
}

namespace {

// The rndnu kernel's output for x, clamped as the kernel's saturating narrowings and min/max do.
// In 32 bits like the kernel: the packing keeps x * multiplier + rounding within int32.
int32_t rndnu_output(int32_t x, int32_t multiplier, int32_t rounding, int shift, int8_t qmin,
                     int8_t qmax) {
  const int32_t y = (x * multiplier + rounding) >> shift;
  return y < qmin ? qmin : (y > qmax ? qmax : y);
}

// A multiplier near scale * 2^shift with which every x in [first, last] gives what
// requantize_fp32 gives, or nothing. Each candidate is checked over the whole range without
// stopping at the first difference: the loop then vectorises, which matters because it runs at
// engine creation for every PReLU channel, on a first visit in code V8 has not optimised yet.
std::optional<int64_t> exact_multiplier(float scale, int32_t first, int32_t last, int64_t rounding,
                                        int shift, int32_t output_zero_point, int8_t qmin,
                                        int8_t qmax) {
  const int64_t nearest = std::llround(std::ldexp(static_cast<double>(scale), shift));
  for (int64_t step : {0, -1, 1, -2, 2}) {
    const int64_t multiplier = nearest + step;
    // The pair form (nn/kernels/qs8-vprelu/qs8-vprelu.h) holds |m| < 2^22.
    if (multiplier < -(int64_t{1} << 22) || multiplier >= (int64_t{1} << 22)) continue;
    const auto m = static_cast<int32_t>(multiplier);
    const auto r = static_cast<int32_t>(rounding);
    int32_t differences = 0;
    for (int32_t x = first; x <= last; ++x) {
      differences |= rndnu_output(x, m, r, shift, qmin, qmax) ^
                     requantize_fp32(x, scale, output_zero_point, qmin, qmax);
    }
    if (differences == 0) return multiplier;
  }
  return std::nullopt;
}

// m as the int32 whose low int16 is m >> 7 and high int16 m & 127 (|m| < 2^22).
int32_t multiplier_pair(int64_t m) {
  const uint32_t low = static_cast<uint16_t>(static_cast<int16_t>(m >> 7));
  const uint32_t high = static_cast<uint32_t>(m & 127);
  const uint32_t pair = low | (high << 16);
  int32_t out;
  std::memcpy(&out, &pair, sizeof(out));
  return out;
}

}  // namespace

std::optional<Qs8VpreluRndnuPacking> pack_qs8_vprelu_rndnu(
    size_t channels, const float* slope, float input_scale, int32_t input_zero_point,
    float output_scale, int32_t output_zero_point, int8_t qmin, int8_t qmax) {
  const float positive = requantization_scale(input_scale, 1.0f, output_scale);
  std::vector<float> negative(channels);
  double largest = std::fabs(positive);
  for (size_t c = 0; c < channels; ++c) {
    negative[c] = requantization_scale(input_scale, slope[c], output_scale);
    if (!std::isfinite(negative[c])) return std::nullopt;
    largest = std::fmax(largest, std::fabs(negative[c]));
  }
  if (!std::isfinite(largest)) return std::nullopt;
  // x = q - zp_in lies in [-128 - zp_in, 127 - zp_in], within [-255, 255]: the products
  // (multipliers up to 2 past the nearest) and the rounding term must keep to int32.
  const int shift = kQs8VpreluRndnuShift;
  const int64_t rounding =
      (int64_t{1} << (shift - 1)) + int64_t{output_zero_point} * (int64_t{1} << shift);
  if (255.0 * (std::ldexp(largest, shift) + 3.0) + static_cast<double>(std::llabs(rounding)) >=
      static_cast<double>(int64_t{1} << 31)) {
    return std::nullopt;
  }
  const int32_t lowest = -128 - input_zero_point;
  const int32_t highest = 127 - input_zero_point;

  const std::optional<int64_t> positive_m =
      highest >= 0
          ? exact_multiplier(positive, 0, highest, rounding, shift, output_zero_point, qmin, qmax)
          : std::optional<int64_t>(0);
  if (!positive_m) return std::nullopt;
  Qs8VpreluRndnuPacking packing;
  packing.params =
      Qs8VpreluRndnuParams{static_cast<int16_t>(input_zero_point), multiplier_pair(*positive_m),
                           static_cast<int32_t>(rounding), qmin, qmax};
  const size_t group = kQs8VpreluChannelGroup;
  packing.negative_xor_positive.assign((channels + group - 1) / group * group, 0);
  for (size_t c = 0; c < channels; ++c) {
    const std::optional<int64_t> m = lowest <= -1
                                         ? exact_multiplier(negative[c], lowest, -1, rounding,
                                                            shift, output_zero_point, qmin, qmax)
                                         : std::optional<int64_t>(0);
    if (!m) return std::nullopt;
    packing.negative_xor_positive[c] = multiplier_pair(*m) ^ multiplier_pair(*positive_m);
  }
  return packing;
}

}  // namespace fu::nn::kernels
