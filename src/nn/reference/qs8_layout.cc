// int8 data movement: pad on the int8 grid.
#include "nn/reference/qs8.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {

void qs8_pad(const PadParams& params, QuantParams quant, const int8_t* input, int batch, int height,
             int width, int channels, int8_t* output) {
  const char* what = "run reference qs8 pad";
  detail::check_quant_params(what, "input", quant);
  const Padding2d& s = params.spatial;
  if (s.top < 0 || s.bottom < 0 || s.left < 0 || s.right < 0 || params.channels_before < 0 ||
      params.channels_after < 0)
    detail::fail(what, "padding", "padding must not be negative");
  int8_t fill;
  quantize(quant, &params.value, 1, &fill);
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

}  // namespace fu::nn::reference
