#include "nn/operators/layout.h"

#include <algorithm>
#include <cstring>

#include "nn/reference/validate.h"

namespace fu::nn {

// Pure data movement: memcpy and fill already run at memory speed, so no explicit SIMD here.
void pad(const PadParams& params, const float* input, int batch, int height, int width,
         int channels, float* output) {
  const Padding2d& s = params.spatial;
  if (s.top < 0 || s.bottom < 0 || s.left < 0 || s.right < 0 || params.channels_before < 0 ||
      params.channels_after < 0)
    detail::fail("run pad", "padding", "padding must not be negative");
  const size_t out_w = static_cast<size_t>(s.left) + width + s.right;
  const size_t out_c =
      static_cast<size_t>(params.channels_before) + channels + params.channels_after;
  const size_t row = out_w * out_c;
  const float v = params.value;
  for (int n = 0; n < batch; ++n) {
    std::fill(output, output + s.top * row, v);
    output += s.top * row;
    for (int y = 0; y < height; ++y) {
      std::fill(output, output + s.left * out_c, v);
      output += s.left * out_c;
      if (params.channels_before == 0 && params.channels_after == 0) {
        std::memcpy(output, input, sizeof(float) * width * channels);
        output += static_cast<size_t>(width) * channels;
        input += static_cast<size_t>(width) * channels;
      } else {
        for (int x = 0; x < width; ++x) {
          output = std::fill_n(output, params.channels_before, v);
          std::memcpy(output, input, sizeof(float) * channels);
          output += channels;
          input += channels;
          output = std::fill_n(output, params.channels_after, v);
        }
      }
      output = std::fill_n(output, s.right * out_c, v);
    }
    output = std::fill_n(output, s.bottom * row, v);
  }
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
