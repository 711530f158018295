#include <algorithm>

#include "nn/reference/reference.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {
namespace {

float activate(Activation a, double x) {
  return std::min(std::max(static_cast<float>(x), a.min), a.max);
}

}  // namespace

void conv2d(const Conv2dParams& params, const float* filter, const float* bias,
            Activation activation, const float* input, int batch, int in_h, int in_w,
            float* output) {
  const char* what = "run reference conv2d";
  detail::check_window(what, params.window);
  detail::check_positive(what, "input channels", params.in_channels);
  detail::check_positive(what, "output channels", params.out_channels);
  detail::check_activation(what, activation);
  const Window2d& w = params.window;
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  const int ic = params.in_channels;
  const int oc = params.out_channels;
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        for (int o = 0; o < oc; ++o) {
          double sum = bias != nullptr ? bias[o] : 0.0;
          detail::for_each_tap(w, oy, ox, in_h, in_w, [&](int ky, int kx, int iy, int ix) {
            for (int i = 0; i < ic; ++i) {
              const float x = input[((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * ic + i];
              const float f =
                  filter[((static_cast<size_t>(o) * w.kernel_h + ky) * w.kernel_w + kx) * ic + i];
              sum += static_cast<double>(x) * f;
            }
          });
          output[((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * oc + o] =
              activate(activation, sum);
        }
      }
    }
  }
}

void depthwise_conv2d(const DepthwiseConv2dParams& params, const float* filter, const float* bias,
                      Activation activation, const float* input, int batch, int in_h, int in_w,
                      float* output) {
  const char* what = "run reference depthwise_conv2d";
  detail::check_window(what, params.window);
  detail::check_positive(what, "channels", params.channels);
  detail::check_activation(what, activation);
  const Window2d& w = params.window;
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  const int ch = params.channels;
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        for (int c = 0; c < ch; ++c) {
          double sum = bias != nullptr ? bias[c] : 0.0;
          detail::for_each_tap(w, oy, ox, in_h, in_w, [&](int ky, int kx, int iy, int ix) {
            const float x = input[((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * ch + c];
            const float f = filter[(static_cast<size_t>(ky) * w.kernel_w + kx) * ch + c];
            sum += static_cast<double>(x) * f;
          });
          output[((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * ch + c] =
              activate(activation, sum);
        }
      }
    }
  }
}

void fully_connected(const FullyConnectedParams& params, const float* filter, const float* bias,
                     Activation activation, const float* input, int batch, float* output) {
  const char* what = "run reference fully_connected";
  detail::check_positive(what, "input features", params.in_features);
  detail::check_positive(what, "output features", params.out_features);
  detail::check_positive(what, "batch", batch);
  detail::check_activation(what, activation);
  const int in = params.in_features;
  const int out = params.out_features;
  for (int n = 0; n < batch; ++n) {
    for (int o = 0; o < out; ++o) {
      double sum = bias != nullptr ? bias[o] : 0.0;
      for (int i = 0; i < in; ++i) {
        sum += static_cast<double>(input[static_cast<size_t>(n) * in + i]) *
               filter[static_cast<size_t>(o) * in + i];
      }
      output[static_cast<size_t>(n) * out + o] = activate(activation, sum);
    }
  }
}

}  // namespace fu::nn::reference
