#include <limits>

#include "nn/reference/reference.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {
namespace {

enum class PoolKind { kMax, kAverage };

void pool2d(PoolKind kind, const char* what, const Pool2dParams& params, const float* input,
            int batch, int in_h, int in_w, int channels, float* output) {
  const Window2d& w = params.window;
  detail::check_window(what, w);
  detail::check_positive(what, "channels", channels);
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        for (int c = 0; c < channels; ++c) {
          double sum = 0.0;
          float max = -std::numeric_limits<float>::infinity();
          int count = 0;
          for (int ky = 0; ky < w.kernel_h; ++ky) {
            const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
            if (iy < 0 || iy >= in_h) continue;
            for (int kx = 0; kx < w.kernel_w; ++kx) {
              const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
              if (ix < 0 || ix >= in_w) continue;
              const float x =
                  input[((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * channels + c];
              sum += x;
              if (x > max) max = x;
              ++count;
            }
          }
          // A window lying entirely in padding has no input pixel: it yields 0 for both kinds.
          float result = 0.0f;
          if (count > 0) result = kind == PoolKind::kMax ? max : static_cast<float>(sum / count);
          output[((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * channels + c] = result;
        }
      }
    }
  }
}

}  // namespace

void max_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output) {
  pool2d(PoolKind::kMax, "run reference max_pool2d", params, input, batch, in_h, in_w, channels,
         output);
}

void avg_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output) {
  pool2d(PoolKind::kAverage, "run reference avg_pool2d", params, input, batch, in_h, in_w, channels,
         output);
}

void global_avg_pool(const float* input, int batch, int height, int width, int channels,
                     float* output) {
  const char* what = "run reference global_avg_pool";
  detail::check_positive(what, "height", height);
  detail::check_positive(what, "width", width);
  const int pixels = height * width;
  for (int n = 0; n < batch; ++n) {
    for (int c = 0; c < channels; ++c) {
      double sum = 0.0;
      for (int p = 0; p < pixels; ++p)
        sum += input[(static_cast<size_t>(n) * pixels + p) * channels + c];
      output[static_cast<size_t>(n) * channels + c] = static_cast<float>(sum / pixels);
    }
  }
}

}  // namespace fu::nn::reference
