#include "nn/operators/layout.h"

#include <algorithm>
#include <cstring>

#include "nn/reference/qs8.h"
#include "nn/reference/validate.h"

namespace fu::nn {

// Pure data movement: memcpy and fill already run at memory speed, so no explicit SIMD here.
namespace {

// One body for both element types: the fill value is the only thing that differs.
template <typename T>
void pad_values(const char* what, const PadParams& params, T fill, const T* input, int batch,
                int height, int width, int channels, T* output) {
  const Padding2d& s = params.spatial;
  if (s.top < 0 || s.bottom < 0 || s.left < 0 || s.right < 0 || params.channels_before < 0 ||
      params.channels_after < 0)
    detail::fail(what, "padding", "padding must not be negative");
  const size_t out_w = static_cast<size_t>(s.left) + width + s.right;
  const size_t out_c =
      static_cast<size_t>(params.channels_before) + channels + params.channels_after;
  const size_t row = out_w * out_c;
  for (int n = 0; n < batch; ++n) {
    output = std::fill_n(output, s.top * row, fill);
    for (int y = 0; y < height; ++y) {
      output = std::fill_n(output, s.left * out_c, fill);
      if (params.channels_before == 0 && params.channels_after == 0) {
        std::memcpy(output, input, sizeof(T) * width * channels);
        output += static_cast<size_t>(width) * channels;
        input += static_cast<size_t>(width) * channels;
      } else {
        for (int x = 0; x < width; ++x) {
          output = std::fill_n(output, params.channels_before, fill);
          std::memcpy(output, input, sizeof(T) * channels);
          output += channels;
          input += channels;
          output = std::fill_n(output, params.channels_after, fill);
        }
      }
      output = std::fill_n(output, s.right * out_c, fill);
    }
    output = std::fill_n(output, s.bottom * row, fill);
  }
}

}  // namespace

void pad(const PadParams& params, const float* input, int batch, int height, int width,
         int channels, float* output) {
  pad_values("run pad", params, params.value, input, batch, height, width, channels, output);
}

void qs8_pad(const PadParams& params, QuantParams quant, const int8_t* input, int batch, int height,
             int width, int channels, int8_t* output) {
  const char* what = "run qs8 pad";
  detail::check_quant_params(what, "input", quant);
  // The fill is the reference's: params.value quantised on the tensor's grid.
  int8_t fill;
  reference::quantize(quant, &params.value, 1, &fill);
  pad_values(what, params, fill, input, batch, height, width, channels, output);
}

void concat_channels(int num_inputs, const float* const* inputs, const int* channels, int pixels,
                     float* output) {
  size_t total = 0;
  for (int i = 0; i < num_inputs; ++i) total += channels[i];
  size_t offset = 0;
  // Input by input: each copy loop streams one source, which beats interleaving all of them.
  for (int i = 0; i < num_inputs; ++i) {
    const size_t ch = channels[i];
    for (int p = 0; p < pixels; ++p)
      std::memcpy(output + p * total + offset, inputs[i] + p * ch, sizeof(float) * ch);
    offset += ch;
  }
}

}  // namespace fu::nn
