// Own SIMD int8 2-D convolution (NHWC, OHWI filter) under the int8 contract: asymmetric
// per-tensor activations, symmetric per-output-channel weights, int32 bias in units of
// input_scale * filter_scales[c], fp32 requantisation (nn/kernels/requantization.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/aligned_vector.h"
#include "nn/op_params.h"
#include "nn/quant_params.h"

namespace fu {
class ThreadPool;
}

namespace fu::nn {

// Packs the weights once at construction (folding the input zero point into the biases). 1x1
// stride-1 unpadded convolutions run as one GEMM over all pixels. Other windows run the indirect
// GEMM over an indirection buffer built on the first run of each input size. Undilated windows
// wider than one column take whole kernel rows as the GEMM's taps ("row taps": 3 taps of 3 pixels
// for a 3x3 window, 7 taps of 21 values for a 7x7 RGB one): one kernel row is one contiguous run
// of an input row once the left and right padding are written out, in a copy of the input that
// the operator keeps, widened to int16. Dilated windows and windows one column wide (a strided
// 1x1) take one tap per window position.
// run() is not thread-safe (it updates those buffers): use one operator per thread; a pool given
// to run() splits the output's register tiles among its threads (bit-identical results).
// Reads and writes no byte outside the input, output and weight buffers.
class Qs8Conv2dOperator {
 public:
  // filter [out, kh, kw, in] int8 in [-127, 127]; filter_scales [out] (positive, finite);
  // bias [out] int32 or nullptr (zeros); all are copied. output_min <= output_max carry a fused
  // ReLU / clamp in the output's quantised units. Throws fu::Error for invalid parameters.
  Qs8Conv2dOperator(const Conv2dParams& params, const int8_t* filter, const float* filter_scales,
                    const int32_t* bias, QuantParams input, QuantParams output, int8_t output_min,
                    int8_t output_max);

  // input [batch, in_h, in_w, in_channels] -> output [batch, out_h, out_w, out_channels].
  // Throws fu::Error when the shape is empty or the window does not fit.
  void run(const int8_t* input, int batch, int in_h, int in_w, int8_t* output,
           ThreadPool* pool = nullptr);

  int output_height(int in_h) const;
  int output_width(int in_w) const;
  const Conv2dParams& params() const { return params_; }

 private:
  void build_indirection(int in_h, int in_w, int out_h, int out_w);
  void widen_rows(const int8_t* image, int in_h, int in_w);

  Conv2dParams params_;
  bool is_gemm_;
  bool is_row_taps_;
  // The indirect GEMM's taps per output pixel and depth per tap.
  size_t igemm_taps() const;
  size_t igemm_depth() const;
  // Output pixels per register tile of the kernel the path runs.
  size_t tile_rows() const;
  // The depth the kernel reads per tap (row taps: igemm_depth() in whole pairs) and the width of
  // the image the indirection points into (row taps: the copy with its padding columns).
  size_t kernel_depth() const;
  int indexed_width(int in_w) const;
  int8_t input_zero_point_;
  // Row taps: the input widened to int16 with its left and right padding written out and one
  // depth pair past its end (the executor keeps one such copy per convolution).
  AlignedVector<int16_t> columns_;
  AlignedVector<int8_t> packed_weights_;  // pack_qs8_gemm_weights(), _c2() for row taps
  std::vector<int8_t> zero_;              // per-tap IGEMM: in_channels input zero points
  std::vector<int16_t> zero_rows_;        // row taps: one tap's whole pairs of input zero points
  std::vector<int32_t> indirection_;
  // Row taps: the last tile's offsets when it holds fewer than tile_rows() pixels, `rows` per tap.
  std::vector<int32_t> tail_indirection_;
  int indirection_h_ = 0;
  int indirection_w_ = 0;
  int32_t output_zero_point_;
  int8_t output_min_;
  int8_t output_max_;
};

}  // namespace fu::nn
