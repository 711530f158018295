// Own SIMD int8 depthwise 2-D convolution (depth multiplier 1) under the int8 contract.
#pragma once

#include <cstdint>
#include <vector>

#include "base/aligned_vector.h"
#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu {
class ThreadPool;
}

namespace fu::nn {

// Packs the weights once at construction; runs the channel-vectorised qs8 depthwise
// micro-kernel one output row at a time with a workspace of tap pointers.
// run() is not thread-safe (it reuses that workspace): use one operator per thread; a pool given
// to run() splits the output rows among its threads, each with its own tap pointers
// (bit-identical results).
// Reads and writes no byte outside the input, output and weight buffers.
class Qs8DepthwiseConv2dOperator {
 public:
  // filter [1, kh, kw, channels] int8 in [-127, 127]; filter_scales [channels]; bias
  // [channels] int32 or nullptr (zeros); all are copied. Throws fu::Error for invalid parameters.
  Qs8DepthwiseConv2dOperator(const DepthwiseConv2dParams& params, const int8_t* filter,
                             const float* filter_scales, const int32_t* bias, QuantParams input,
                             QuantParams output, int8_t output_min, int8_t output_max);

  // input [batch, in_h, in_w, channels] -> output [batch, out_h, out_w, channels].
  // Throws fu::Error when the shape is empty or the window does not fit.
  void run(const int8_t* input, int batch, int in_h, int in_w, int8_t* output,
           ThreadPool* pool = nullptr);

  const DepthwiseConv2dParams& params() const { return params_; }

 private:
  DepthwiseConv2dParams params_;
  AlignedVector<int8_t> packed_weights_;  // see pack_qs8_dwconv_weights()
  std::vector<int8_t> zero_;              // `channels` copies of the input zero point
  std::vector<const int8_t*> row_taps_;
  int32_t output_zero_point_;
  int8_t output_min_;
  int8_t output_max_;
};

}  // namespace fu::nn
