#include "nn/operators/qs8_fully_connected.h"

#include "nn/kernels/qs8_packing.h"
#include "nn/operators/qs8_gemm.h"
#include "nn/operators/qs8_validate.h"

namespace fu::nn {

Qs8FullyConnectedOperator::Qs8FullyConnectedOperator(const FullyConnectedParams& params,
                                                     const int8_t* filter,
                                                     const float* filter_scales,
                                                     const int32_t* bias, QuantParams input,
                                                     QuantParams output, int8_t output_min,
                                                     int8_t output_max)
    : params_(params),
      output_zero_point_(output.zero_point),
      output_min_(output_min),
      output_max_(output_max) {
  const char* what = "create qs8 fully_connected";
  detail::check_positive(what, "input features", params.in_features);
  detail::check_positive(what, "output features", params.out_features);
  const std::vector<float> scales = detail::check_weights_and_quantization(
      what, filter, filter_scales, params.out_features, input, output, output_min, output_max);
  packed_weights_ =
      kernels::pack_qs8_gemm_weights(detail::kQs8GemmNr, params.out_features, 1, params.in_features,
                                     filter, bias, scales.data(), input.zero_point);
}

void Qs8FullyConnectedOperator::run(const int8_t* input, int batch, int8_t* output) const {
  detail::check_positive("run qs8 fully_connected", "batch", batch);
  detail::run_qs8_gemm(batch, params_.out_features, params_.in_features, input, params_.in_features,
                       packed_weights_.data(), output, params_.out_features,
                       kernels::make_qs8_fp32_params(output_zero_point_, output_min_, output_max_));
}

}  // namespace fu::nn
