// Own SIMD int8 PReLU, bit-exact with reference::qs8_prelu (nn/reference/qs8.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nn/kernels/qs8-vprelu/qs8-vprelu.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/quant_params.h"

namespace fu::nn {

// Computes the per-channel requantisation of the slopes once at construction and runs a
// channel-vectorised qs8-vprelu micro-kernel: the fixed-point (rndnu) one when
// pack_qs8_vprelu_rndnu finds multipliers that give the reference's bytes for every input, the
// float (fp32) one otherwise; both are bit-exact. run() is const and reads and writes no byte
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
  // true when run() takes the fixed-point kernel.
  bool fixed_point() const { return rndnu_.has_value(); }

 private:
  int channels_;
  std::optional<kernels::Qs8VpreluRndnuPacking> rndnu_;
  std::vector<float> negative_scales_;  // see kernels::pack_qs8_vprelu_scales(); empty with rndnu_
  kernels::Qs8VpreluFp32Params params_{};
};

}  // namespace fu::nn
