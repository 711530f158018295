#include "nn/operators/qs8_prelu.h"

#include "nn/operators/qs8_validate.h"

namespace fu::nn {

Qs8PReluOperator::Qs8PReluOperator(const float* slope, int channels, QuantParams input,
                                   QuantParams output, int8_t output_min, int8_t output_max)
    : channels_(channels) {
  const char* what = "create qs8 prelu";
  detail::check_not_null(what, "slope", slope);
  detail::check_positive(what, "channels", channels);
  detail::check_quant(what, "input", input);
  detail::check_quant(what, "output", output);
  detail::check_output_range(what, output_min, output_max);
  rndnu_ = kernels::pack_qs8_vprelu_rndnu(channels, slope, input.scale, input.zero_point,
                                          output.scale, output.zero_point, output_min, output_max);
  if (rndnu_) return;
  negative_scales_ = kernels::pack_qs8_vprelu_scales(channels, slope, input.scale, output.scale);
  params_ = kernels::make_qs8_vprelu_fp32_params(input.scale, input.zero_point, output.scale,
                                                 output.zero_point, output_min, output_max);
}

void Qs8PReluOperator::run(const int8_t* input, int pixels, int8_t* output) const {
  if (pixels < 0) {
    detail::fail("run qs8 prelu", "pixels " + std::to_string(pixels), "must not be negative");
  }
  // c16: two groups of 8 channels per step (bench/kernel_bench, qs8_vprelu rows).
  if (rndnu_) {
    kernels::qs8_vprelu_minmax_rndnu_ukernel_c16__simd128(
        static_cast<size_t>(pixels), channels_, input, rndnu_->negative_xor_positive.data(), output,
        rndnu_->params);
    return;
  }
  kernels::qs8_vprelu_minmax_fp32_ukernel_c16__simd128(
      static_cast<size_t>(pixels), channels_, input, negative_scales_.data(), output, params_);
}

}  // namespace fu::nn
