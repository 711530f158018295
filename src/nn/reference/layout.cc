#include "nn/reference/reference.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {

void pad(const PadParams& params, const float* input, int batch, int height, int width,
         int channels, float* output) {
  const Padding2d& s = params.spatial;
  if (s.top < 0 || s.bottom < 0 || s.left < 0 || s.right < 0 || params.channels_before < 0 ||
      params.channels_after < 0)
    detail::fail("run reference pad", "padding", "padding must not be negative");
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
                     : params.value;
        }
      }
    }
  }
}

void concat_channels(int num_inputs, const float* const* inputs, const int* channels, int pixels,
                     float* output) {
  int total = 0;
  for (int i = 0; i < num_inputs; ++i) total += channels[i];
  for (int p = 0; p < pixels; ++p) {
    int offset = 0;
    for (int i = 0; i < num_inputs; ++i) {
      for (int c = 0; c < channels[i]; ++c) {
        output[static_cast<size_t>(p) * total + offset + c] =
            inputs[i][static_cast<size_t>(p) * channels[i] + c];
      }
      offset += channels[i];
    }
  }
}

}  // namespace fu::nn::reference
