// int8 convolution, depthwise convolution and fully connected: exact int32 sums, one
// requantisation per output (nn/kernels/requantization.h).
#include <vector>

#include "nn/kernels/requantization.h"
#include "nn/reference/qs8.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {
namespace {

// The per-channel requantisation scales, in the contract's order of float32 operations.
std::vector<float> requantization_scales(const char* what, const float* filter_scales, int channels,
                                         QuantParams input, QuantParams output) {
  detail::check_not_null(what, "filter scales", filter_scales);
  detail::check_quant_params(what, "input", input);
  detail::check_quant_params(what, "output", output);
  std::vector<float> scales(channels);
  for (int c = 0; c < channels; ++c) {
    if (!(filter_scales[c] > 0.0f) || !std::isfinite(filter_scales[c])) {
      detail::fail(what, "filter scale " + std::to_string(filter_scales[c]),
                   "channel scales must be finite and > 0");
    }
    scales[c] = (input.scale * filter_scales[c]) / output.scale;
  }
  return scales;
}

}  // namespace

void qs8_conv2d(const Conv2dParams& params, const int8_t* filter, const float* filter_scales,
                const int32_t* bias, QuantParams input_quant, QuantParams output_quant, int8_t qmin,
                int8_t qmax, const int8_t* input, int batch, int in_h, int in_w, int8_t* output) {
  const char* what = "run reference qs8 conv2d";
  detail::check_window(what, params.window);
  detail::check_positive(what, "input channels", params.in_channels);
  detail::check_positive(what, "output channels", params.out_channels);
  detail::check_qs8_clamp(what, qmin, qmax);
  const std::vector<float> scales =
      requantization_scales(what, filter_scales, params.out_channels, input_quant, output_quant);
  const Window2d& w = params.window;
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  const int ic = params.in_channels;
  const int oc = params.out_channels;
  const int32_t zi = input_quant.zero_point;
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        for (int o = 0; o < oc; ++o) {
          int32_t acc = bias != nullptr ? bias[o] : 0;
          detail::for_each_tap(w, oy, ox, in_h, in_w, [&](int ky, int kx, int iy, int ix) {
            const int8_t* x = input + ((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * ic;
            const int8_t* f =
                filter + ((static_cast<size_t>(o) * w.kernel_h + ky) * w.kernel_w + kx) * ic;
            for (int i = 0; i < ic; ++i) acc += (int32_t{x[i]} - zi) * int32_t{f[i]};
          });
          output[((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * oc + o] =
              kernels::requantize_fp32(acc, scales[o], output_quant.zero_point, qmin, qmax);
        }
      }
    }
  }
}

void qs8_depthwise_conv2d(const DepthwiseConv2dParams& params, const int8_t* filter,
                          const float* filter_scales, const int32_t* bias, QuantParams input_quant,
                          QuantParams output_quant, int8_t qmin, int8_t qmax, const int8_t* input,
                          int batch, int in_h, int in_w, int8_t* output) {
  const char* what = "run reference qs8 depthwise_conv2d";
  detail::check_window(what, params.window);
  detail::check_positive(what, "channels", params.channels);
  detail::check_qs8_clamp(what, qmin, qmax);
  const std::vector<float> scales =
      requantization_scales(what, filter_scales, params.channels, input_quant, output_quant);
  const Window2d& w = params.window;
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  const int ch = params.channels;
  const int32_t zi = input_quant.zero_point;
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        for (int c = 0; c < ch; ++c) {
          int32_t acc = bias != nullptr ? bias[c] : 0;
          detail::for_each_tap(w, oy, ox, in_h, in_w, [&](int ky, int kx, int iy, int ix) {
            const int32_t x = input[((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * ch + c];
            const int32_t f = filter[(static_cast<size_t>(ky) * w.kernel_w + kx) * ch + c];
            acc += (x - zi) * f;
          });
          output[((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * ch + c] =
              kernels::requantize_fp32(acc, scales[c], output_quant.zero_point, qmin, qmax);
        }
      }
    }
  }
}

void qs8_fully_connected(const FullyConnectedParams& params, const int8_t* filter,
                         const float* filter_scales, const int32_t* bias, QuantParams input_quant,
                         QuantParams output_quant, int8_t qmin, int8_t qmax, const int8_t* input,
                         int batch, int8_t* output) {
  const char* what = "run reference qs8 fully_connected";
  detail::check_positive(what, "batch", batch);
  detail::check_positive(what, "input features", params.in_features);
  detail::check_positive(what, "output features", params.out_features);
  detail::check_qs8_clamp(what, qmin, qmax);
  const std::vector<float> scales =
      requantization_scales(what, filter_scales, params.out_features, input_quant, output_quant);
  const int k = params.in_features;
  const int32_t zi = input_quant.zero_point;
  for (int n = 0; n < batch; ++n) {
    const int8_t* x = input + static_cast<size_t>(n) * k;
    for (int o = 0; o < params.out_features; ++o) {
      const int8_t* f = filter + static_cast<size_t>(o) * k;
      int32_t acc = bias != nullptr ? bias[o] : 0;
      for (int i = 0; i < k; ++i) acc += (int32_t{x[i]} - zi) * int32_t{f[i]};
      output[static_cast<size_t>(n) * params.out_features + o] =
          kernels::requantize_fp32(acc, scales[o], output_quant.zero_point, qmin, qmax);
    }
  }
}

}  // namespace fu::nn::reference
