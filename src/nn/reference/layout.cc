#include "nn/reference/reference.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {

void pad(const PadParams& params, const float* input, int batch, int height, int width,
         int channels, float* output) {
  detail::pad_into("run reference pad", params, input, batch, height, width, channels, params.value,
                   output);
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
