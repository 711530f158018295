// Own SIMD fully connected layer. Semantics identical to reference::fully_connected.
#pragma once

#include <vector>

#include "base/aligned_vector.h"
#include "nn/kernels/params.h"
#include "nn/op_params.h"

namespace fu::nn {

// Packs the weights once at construction and runs the GEMM micro-kernels (4x8 tiles over the
// batch, the 1x8 kernel for batch 1 and the last rows). run() is const and thread-safe.
class FullyConnectedOperator {
 public:
  // filter [out, in], bias [out] or nullptr (zeros); both are copied.
  // Throws fu::Error for invalid parameters or a null filter.
  FullyConnectedOperator(const FullyConnectedParams& params, const float* filter, const float* bias,
                         Activation activation);

  // input [batch, in_features] -> output [batch, out_features]. Throws fu::Error if batch < 1.
  void run(const float* input, int batch, float* output) const;

  const FullyConnectedParams& params() const { return params_; }

 private:
  FullyConnectedParams params_;
  kernels::MinMaxParams minmax_;
  AlignedVector<float> packed_weights_;
};

}  // namespace fu::nn
