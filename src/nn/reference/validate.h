// Argument checks shared by the reference and the own SIMD operators, so that both reject the
// same inputs with the same messages ("cannot <verb> <object> (<value>): <reason>").
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "base/error.h"
#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu::nn::detail {

[[noreturn]] inline void fail(const std::string& verb_object, const std::string& value,
                              const std::string& reason) {
  throw Error("cannot " + verb_object + " (" + value + "): " + reason);
}

inline void check_positive(const char* verb_object, const char* name, int value) {
  if (value <= 0)
    fail(verb_object, std::string(name) + " " + std::to_string(value), "must be positive");
}

inline void check_not_null(const char* verb_object, const char* name, const void* p) {
  if (p == nullptr) fail(verb_object, std::string(name) + " null", "must point to data");
}

inline void check_window(const char* verb_object, const Window2d& w) {
  if (w.kernel_h <= 0 || w.kernel_w <= 0)
    fail(verb_object, "kernel " + std::to_string(w.kernel_h) + "x" + std::to_string(w.kernel_w),
         "kernel sizes must be positive");
  if (w.stride_h <= 0 || w.stride_w <= 0)
    fail(verb_object, "stride " + std::to_string(w.stride_h) + "x" + std::to_string(w.stride_w),
         "strides must be positive");
  if (w.dilation_h <= 0 || w.dilation_w <= 0)
    fail(verb_object,
         "dilation " + std::to_string(w.dilation_h) + "x" + std::to_string(w.dilation_w),
         "dilations must be positive");
  const Padding2d& p = w.padding;
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0)
    fail(verb_object,
         "padding " + std::to_string(p.top) + "," + std::to_string(p.bottom) + "," +
             std::to_string(p.left) + "," + std::to_string(p.right),
         "padding must not be negative");
}

inline void check_activation(const char* verb_object, Activation a) {
  if (!(a.min <= a.max))
    fail(verb_object, "activation " + std::to_string(a.min) + ".." + std::to_string(a.max),
         "min must not exceed max");
}

inline void check_quant_params(const char* verb_object, const char* name, QuantParams q) {
  if (!(q.scale > 0.0f) || !std::isfinite(q.scale) || q.zero_point < -128 || q.zero_point > 127)
    fail(verb_object,
         std::string(name) + " scale " + std::to_string(q.scale) + ", zero point " +
             std::to_string(q.zero_point),
         "an int8 tensor needs a finite scale > 0 and a zero point in -128..127");
}

inline void check_qs8_clamp(const char* verb_object, int qmin, int qmax) {
  if (qmin > qmax)
    fail(verb_object, "output range " + std::to_string(qmin) + ".." + std::to_string(qmax),
         "min must not exceed max");
}

struct OutputSize {
  int h;
  int w;
};

// Output size of a window over an input, or an error when the input is empty or the window
// does not fit.
inline OutputSize window_output(const char* verb_object, const Window2d& w, int batch, int in_h,
                                int in_w) {
  check_positive(verb_object, "batch", batch);
  check_positive(verb_object, "input height", in_h);
  check_positive(verb_object, "input width", in_w);
  const OutputSize out{window_output_size(in_h, w.padding.top, w.padding.bottom, w.kernel_h,
                                          w.stride_h, w.dilation_h),
                       window_output_size(in_w, w.padding.left, w.padding.right, w.kernel_w,
                                          w.stride_w, w.dilation_w)};
  if (out.h <= 0 || out.w <= 0)
    fail(verb_object, "input " + std::to_string(in_h) + "x" + std::to_string(in_w),
         "the padded input is smaller than the dilated kernel");
  return out;
}

// Whether a window axis starting at input index `first` lies wholly inside an input of `size`:
// the pooling operators run such windows without per-tap bounds checks.
inline bool window_fits(int first, int kernel, int dilation, int size) {
  return first >= 0 && first + (kernel - 1) * dilation < size;
}

// Calls tap(ky, kx, iy, ix) for every tap of the window at output pixel (oy, ox) that lands
// inside the input; padded taps are skipped (they read zero, or the zero point in int8).
template <typename Tap>
void for_each_tap(const Window2d& w, int oy, int ox, int in_h, int in_w, Tap&& tap) {
  for (int ky = 0; ky < w.kernel_h; ++ky) {
    const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < w.kernel_w; ++kx) {
      const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
      if (ix < 0 || ix >= in_w) continue;
      tap(ky, kx, iy, ix);
    }
  }
}

// Copies an NHWC tensor into its padded place, `fill` everywhere else: the one pad loop of the
// float and the int8 reference (the int8 one fills with the padding value's quantised level).
template <typename T>
void pad_into(const char* what, const PadParams& params, const T* input, int batch, int height,
              int width, int channels, T fill, T* output) {
  const Padding2d& s = params.spatial;
  if (s.top < 0 || s.bottom < 0 || s.left < 0 || s.right < 0 || params.channels_before < 0 ||
      params.channels_after < 0) {
    fail(what, "padding", "padding must not be negative");
  }
  const int out_h = s.top + height + s.bottom;
  const int out_w = s.left + width + s.right;
  const int out_c = params.channels_before + channels + params.channels_after;
  for (int n = 0; n < batch; ++n) {
    for (int y = 0; y < out_h; ++y) {
      for (int x = 0; x < out_w; ++x) {
        for (int c = 0; c < out_c; ++c) {
          const int iy = y - s.top;
          const int ix = x - s.left;
          const int ic = c - params.channels_before;
          const bool inside =
              iy >= 0 && iy < height && ix >= 0 && ix < width && ic >= 0 && ic < channels;
          output[((static_cast<size_t>(n) * out_h + y) * out_w + x) * out_c + c] =
              inside ? input[((static_cast<size_t>(n) * height + iy) * width + ix) * channels + ic]
                     : fill;
        }
      }
    }
  }
}

}  // namespace fu::nn::detail
