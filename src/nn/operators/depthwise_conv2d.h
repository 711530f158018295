// Own SIMD depthwise 2-D convolution (depth multiplier 1). Semantics identical to
// reference::depthwise_conv2d.
#pragma once

#include <vector>

#include "base/aligned_vector.h"
#include "nn/kernels/params.h"
#include "nn/op_params.h"

namespace fu {
class ThreadPool;
}

namespace fu::nn {

// Packs the weights once at construction; runs the channel-vectorised depthwise micro-kernel
// one output row at a time with a workspace of tap pointers that grows to the widest row seen.
// run() is not thread-safe (it reuses that workspace): use one operator per thread; a pool given
// to run() splits the output rows among its threads, each with its own tap pointers
// (bit-identical results).
// Reads and writes no byte outside the input, output and weight buffers.
class DepthwiseConv2dOperator {
 public:
  // filter [1, kh, kw, channels], bias [channels] or nullptr (zeros); both are copied.
  // Throws fu::Error for invalid parameters or a null filter.
  DepthwiseConv2dOperator(const DepthwiseConv2dParams& params, const float* filter,
                          const float* bias, Activation activation);

  // input [batch, in_h, in_w, channels] -> output [batch, out_h, out_w, channels].
  // Throws fu::Error when the shape is empty or the window does not fit.
  void run(const float* input, int batch, int in_h, int in_w, float* output,
           ThreadPool* pool = nullptr);

  const DepthwiseConv2dParams& params() const { return params_; }

 private:
  DepthwiseConv2dParams params_;
  kernels::MinMaxParams minmax_;
  AlignedVector<float> packed_weights_;
  std::vector<float> zero_;  // `channels` zeros read by padded taps.
  std::vector<const float*> row_taps_;
};

}  // namespace fu::nn
