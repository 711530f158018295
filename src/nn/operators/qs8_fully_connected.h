// Own SIMD int8 fully connected layer under the int8 contract.
#pragma once

#include <cstdint>
#include <vector>

#include "base/aligned_vector.h"
#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu::nn {

// Packs the weights once at construction and runs the qs8 GEMM micro-kernels.
// run() is const and thread-safe.
class Qs8FullyConnectedOperator {
 public:
  // filter [out, in] int8 in [-127, 127]; filter_scales [out]; bias [out] int32 or nullptr
  // (zeros); all are copied. Throws fu::Error for invalid parameters.
  Qs8FullyConnectedOperator(const FullyConnectedParams& params, const int8_t* filter,
                            const float* filter_scales, const int32_t* bias, QuantParams input,
                            QuantParams output, int8_t output_min, int8_t output_max);

  // input [batch, in_features] -> output [batch, out_features]. Throws fu::Error if batch < 1.
  void run(const int8_t* input, int batch, int8_t* output) const;

  const FullyConnectedParams& params() const { return params_; }

 private:
  FullyConnectedParams params_;
  AlignedVector<int8_t> packed_weights_;  // see pack_qs8_gemm_weights()
  int32_t output_zero_point_;
  int8_t output_min_;
  int8_t output_max_;
};

}  // namespace fu::nn
