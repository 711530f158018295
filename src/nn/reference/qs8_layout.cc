// int8 data movement: pad on the int8 grid.
#include "nn/reference/qs8.h"
#include "nn/reference/validate.h"

namespace fu::nn::reference {

void qs8_pad(const PadParams& params, QuantParams quant, const int8_t* input, int batch, int height,
             int width, int channels, int8_t* output) {
  const char* what = "run reference qs8 pad";
  detail::check_quant_params(what, "input", quant);
  int8_t fill;
  quantize(quant, &params.value, 1, &fill);
  detail::pad_into(what, params, input, batch, height, width, channels, fill, output);
}

}  // namespace fu::nn::reference
