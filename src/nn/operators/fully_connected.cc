#include "nn/operators/fully_connected.h"

#include "nn/kernels/packing.h"
#include "nn/operators/gemm.h"
#include "nn/reference/validate.h"

namespace fu::nn {

FullyConnectedOperator::FullyConnectedOperator(const FullyConnectedParams& params,
                                               const float* filter, const float* bias,
                                               Activation activation)
    : params_(params), minmax_{activation.min, activation.max} {
  const char* what = "create fully_connected";
  detail::check_positive(what, "input features", params.in_features);
  detail::check_positive(what, "output features", params.out_features);
  detail::check_activation(what, activation);
  detail::check_not_null(what, "filter", filter);
  packed_weights_ = kernels::pack_f32_gemm_weights(detail::kGemmNr, params.out_features, 1,
                                                   params.in_features, filter, bias);
}

void FullyConnectedOperator::run(const float* input, int batch, float* output) const {
  detail::check_positive("run fully_connected", "batch", batch);
  detail::run_f32_gemm(batch, params_.out_features, params_.in_features, input, params_.in_features,
                       packed_weights_.data(), output, params_.out_features, minmax_);
}

}  // namespace fu::nn
