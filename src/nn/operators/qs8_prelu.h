// Own SIMD int8 PReLU, bit-exact with reference::qs8_prelu (nn/reference/qs8.h).
#pragma once

#include <cstdint>
#include <vector>

#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"
#include "nn/quant_params.h"

namespace fu::nn {

// Computes the per-channel requantisation scales of the slopes once at construction and runs
// the channel-vectorised qs8-vprelu micro-kernel. run() is const and reads and writes no byte
// outside its input and output; the output may alias the input.
class Qs8PReluOperator {
 public:
  // slope [channels] float (copied into the packed scales). Throws fu::Error for invalid
  // parameters, with the reference's messages.
  Qs8PReluOperator(const float* slope, int channels, QuantParams input, QuantParams output,
                   int8_t output_min, int8_t output_max);

  // input [pixels, channels] -> output [pixels, channels].
  void run(const int8_t* input, int pixels, int8_t* output) const;

  int channels() const { return channels_; }

 private:
  int channels_;
  std::vector<float> negative_scales_;  // see kernels::pack_qs8_vprelu_scales()
  kernels::Qs8VpreluFp32Params params_;
};

}  // namespace fu::nn
