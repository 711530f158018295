// Own SIMD 2-D convolution (NHWC, OHWI filter). Semantics identical to reference::conv2d.
#pragma once

#include <cstdint>
#include <vector>

#include "base/aligned_vector.h"
#include "nn/kernels/params.h"
#include "nn/op_params.h"

namespace fu {
class ThreadPool;
}

namespace fu::nn {

// Packs the weights once at construction. 1x1 stride-1 unpadded convolutions run as one GEMM
// over all pixels; every other convolution runs the indirect GEMM over an indirection buffer
// that is built on the first run of each input size and reused while the size stays the same.
// run() is not thread-safe (it updates that cache): use one operator per thread; a pool given to
// run() splits the output's register tiles among its threads (bit-identical results).
// Reads and writes no byte outside the input, output and weight buffers.
class Conv2dOperator {
 public:
  // filter [out, kh, kw, in], bias [out] or nullptr (zeros); both are copied.
  // Throws fu::Error for invalid parameters or a null filter.
  Conv2dOperator(const Conv2dParams& params, const float* filter, const float* bias,
                 Activation activation);

  // input [batch, in_h, in_w, in_channels] -> output [batch, out_h, out_w, out_channels].
  // Throws fu::Error when the shape is empty or the window does not fit.
  void run(const float* input, int batch, int in_h, int in_w, float* output,
           ThreadPool* pool = nullptr);
  // Packs new weights of the same shape (the trainer changes them every step); the indirection
  // buffer, which depends only on sizes, is kept.
  void set_weights(const float* filter, const float* bias);

  int output_height(int in_h) const;
  int output_width(int in_w) const;
  const Conv2dParams& params() const { return params_; }

 private:
  void build_indirection(int in_h, int in_w, int out_h, int out_w);

  Conv2dParams params_;
  kernels::MinMaxParams minmax_;
  bool is_gemm_;
  AlignedVector<float> packed_weights_;
  std::vector<float> zero_;  // in_channels zeros read by padded taps.
  std::vector<int32_t> indirection_;
  int indirection_h_ = 0;
  int indirection_w_ = 0;
};

}  // namespace fu::nn
