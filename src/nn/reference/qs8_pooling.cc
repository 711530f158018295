// int8 max, average and global average pooling.
#include <algorithm>
#include <vector>

#include "nn/kernels/requantization.h"
#include "nn/reference/qs8.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {
namespace {

// Calls visit(input_offset) for each non-padded tap of output (n, oy, ox)'s window; returns the
// number of taps.
template <typename Visit>
int for_window(const Window2d& w, int n, int in_h, int in_w, int channels, int oy, int ox,
               Visit visit) {
  int count = 0;
  for (int ky = 0; ky < w.kernel_h; ++ky) {
    const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < w.kernel_w; ++kx) {
      const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
      if (ix < 0 || ix >= in_w) continue;
      visit(((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * channels);
      ++count;
    }
  }
  return count;
}

}  // namespace

void qs8_max_pool2d(const Pool2dParams& params, QuantParams quant, const int8_t* input, int batch,
                    int in_h, int in_w, int channels, int8_t* output) {
  const char* what = "run reference qs8 max_pool2d";
  const Window2d& w = params.window;
  detail::check_window(what, w);
  detail::check_quant_params(what, "input", quant);
  detail::check_positive(what, "channels", channels);
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        int8_t* o = output + ((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * channels;
        std::fill(o, o + channels, int8_t{-128});
        const int taps = for_window(w, n, in_h, in_w, channels, oy, ox, [&](size_t at) {
          for (int c = 0; c < channels; ++c) o[c] = std::max(o[c], input[at + c]);
        });
        if (taps == 0) std::fill(o, o + channels, static_cast<int8_t>(quant.zero_point));
      }
    }
  }
}

void qs8_avg_pool2d(const Pool2dParams& params, QuantParams input_quant, QuantParams output_quant,
                    int8_t qmin, int8_t qmax, const int8_t* input, int batch, int in_h, int in_w,
                    int channels, int8_t* output) {
  const char* what = "run reference qs8 avg_pool2d";
  const Window2d& w = params.window;
  detail::check_window(what, w);
  detail::check_positive(what, "channels", channels);
  detail::check_quant_params(what, "input", input_quant);
  detail::check_quant_params(what, "output", output_quant);
  detail::check_qs8_clamp(what, qmin, qmax);
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  std::vector<int32_t> acc(channels);
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        std::fill(acc.begin(), acc.end(), 0);
        const int count = for_window(w, n, in_h, in_w, channels, oy, ox, [&](size_t at) {
          for (int c = 0; c < channels; ++c)
            acc[c] += int32_t{input[at + c]} - input_quant.zero_point;
        });
        int8_t* o = output + ((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * channels;
        // A window entirely in padding has no tap: it yields a real 0, as the float operator.
        const float scale =
            count > 0 ? input_quant.scale / (output_quant.scale * static_cast<float>(count)) : 0.0f;
        for (int c = 0; c < channels; ++c) {
          o[c] = kernels::requantize_fp32(acc[c], scale, output_quant.zero_point, qmin, qmax);
        }
      }
    }
  }
}

void qs8_global_avg_pool(QuantParams input_quant, QuantParams output_quant, int8_t qmin,
                         int8_t qmax, const int8_t* input, int batch, int height, int width,
                         int channels, int8_t* output) {
  Pool2dParams whole;
  whole.window.kernel_h = height;
  whole.window.kernel_w = width;
  qs8_avg_pool2d(whole, input_quant, output_quant, qmin, qmax, input, batch, height, width,
                 channels, output);
}

}  // namespace fu::nn::reference
