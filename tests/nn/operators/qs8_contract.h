// Plain scalar loops of the int8 contract (/work/notes/h-qcontract.md, restated in the qs8
// operator headers) that the qs8 operator tests compare against, bit-exact. Written as directly
// as possible: one output value at a time, padded taps skipped (they are real zeros).
#pragma once

#include <cstdint>
#include <vector>

#include "nn/kernels/qs8_test_util.h"
#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu::nn::testing {

// A test case's window: kh x kw, one stride and one dilation for both axes.
inline Window2d case_window(int kh, int kw, int stride, int dilation, const Padding2d& padding) {
  Window2d w;
  w.kernel_h = kh;
  w.kernel_w = kw;
  w.stride_h = w.stride_w = stride;
  w.dilation_h = w.dilation_w = dilation;
  w.padding = padding;
  return w;
}

struct Qs8Output {
  QuantParams quant;
  int8_t min = -128;
  int8_t max = 127;
};

// Convolution (depthwise when `depthwise`, filter [1, kh, kw, C]; else filter [O, kh, kw, I]).
inline std::vector<int8_t> contract_conv2d(const Window2d& w, int in_c, int out_c, bool depthwise,
                                           const std::vector<int8_t>& filter,
                                           const std::vector<float>& filter_scales,
                                           const int32_t* bias, QuantParams in_q,
                                           const Qs8Output& out, const std::vector<int8_t>& input,
                                           int batch, int in_h, int in_w) {
  const int out_h = window_output_size(in_h, w.padding.top, w.padding.bottom, w.kernel_h,
                                       w.stride_h, w.dilation_h);
  const int out_w = window_output_size(in_w, w.padding.left, w.padding.right, w.kernel_w,
                                       w.stride_w, w.dilation_w);
  std::vector<int8_t> result(static_cast<size_t>(batch) * out_h * out_w * out_c);
  for (int n = 0; n < batch; ++n)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox)
        for (int o = 0; o < out_c; ++o) {
          int32_t acc = bias != nullptr ? bias[o] : 0;
          for (int ky = 0; ky < w.kernel_h; ++ky)
            for (int kx = 0; kx < w.kernel_w; ++kx) {
              const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
              const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
              if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) continue;
              const int8_t* x = &input[((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * in_c];
              if (depthwise) {
                acc += (x[o] - in_q.zero_point) * filter[(ky * w.kernel_w + kx) * out_c + o];
              } else {
                for (int i = 0; i < in_c; ++i)
                  acc +=
                      (x[i] - in_q.zero_point) *
                      filter[((static_cast<size_t>(o) * w.kernel_h + ky) * w.kernel_w + kx) * in_c +
                             i];
              }
            }
          const float scale = (in_q.scale * filter_scales[o]) / out.quant.scale;
          result[((static_cast<size_t>(n) * out_h + oy) * out_w + ox) * out_c + o] =
              contract_requantize(acc, scale, out.quant.zero_point, out.min, out.max);
        }
  return result;
}

// Guards the tests' choice of scales: a case whose outputs were mostly clamped would compare
// little. True when at least a quarter of `values` lie strictly inside (min, max) (zero points
// at the ends of the range clamp about half by design).
inline bool mostly_unclamped(const std::vector<int8_t>& values, int8_t min, int8_t max) {
  size_t inside = 0;
  for (int8_t v : values) inside += v > min && v < max;
  return 4 * inside >= values.size();
}

}  // namespace fu::nn::testing
