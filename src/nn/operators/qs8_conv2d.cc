#include "nn/operators/qs8_conv2d.h"

#include <algorithm>
#include <limits>

#include "base/thread_pool.h"
#include "nn/kernels/qs8-gemm/qs8-gemm.h"
#include "nn/kernels/qs8-igemm/qs8-igemm.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/operators/indirection.h"
#include "nn/operators/qs8_gemm.h"
#include "nn/operators/qs8_validate.h"

namespace fu::nn {

namespace {

constexpr const char* kCreate = "create qs8 conv2d";
constexpr const char* kRun = "run qs8 conv2d";

// Row taps run the 4x8c2 tile: 4 output pixels x 8 channels per register tile. A tile with fewer
// pixels (the last one, or a whole output of 1 to 3 pixels) runs the tile of its own height: the
// 4-row tile would compute the missing rows anyway, 4x the work for a 1x1 output.
constexpr size_t kRowTapsMr = 4;
constexpr kernels::Qs8IgemmA16MinMaxFp32Ukernel kRowTapsKernels[kRowTapsMr] = {
    kernels::qs8_igemm_minmax_fp32_ukernel_1x8c2__simd128_a16,
    kernels::qs8_igemm_minmax_fp32_ukernel_2x8c2__simd128_a16,
    kernels::qs8_igemm_minmax_fp32_ukernel_3x8c2__simd128_a16,
    kernels::qs8_igemm_minmax_fp32_ukernel_4x8c2__simd128_a16,
};

size_t round_up_to_pair(size_t depth) {
  const size_t kr = kernels::kQs8GemmC2Kr;
  return (depth + kr - 1) / kr * kr;
}

}  // namespace

Qs8Conv2dOperator::Qs8Conv2dOperator(const Conv2dParams& params, const int8_t* filter,
                                     const float* filter_scales, const int32_t* bias,
                                     QuantParams input, QuantParams output, int8_t output_min,
                                     int8_t output_max)
    : params_(params),
      input_zero_point_(static_cast<int8_t>(input.zero_point)),
      output_zero_point_(output.zero_point),
      output_min_(output_min),
      output_max_(output_max) {
  detail::check_window(kCreate, params.window);
  detail::check_positive(kCreate, "input channels", params.in_channels);
  detail::check_positive(kCreate, "output channels", params.out_channels);
  const std::vector<float> scales = detail::check_weights_and_quantization(
      kCreate, filter, filter_scales, params.out_channels, input, output, output_min, output_max);
  const Window2d& w = params.window;
  is_gemm_ = w.kernel_h == 1 && w.kernel_w == 1 && w.stride_h == 1 && w.stride_w == 1 &&
             w.padding.top == 0 && w.padding.bottom == 0 && w.padding.left == 0 &&
             w.padding.right == 0;
  // An undilated kernel row is one contiguous run of an input row (NHWC) once the left and right
  // padding are written out, so the indirect GEMM takes whole kernel rows as its taps ("row
  // taps"), from a copy of the input that also widens it to int16 once: for a 3x3 window a third
  // of the indirection reads, tap loops and row pointers, no depth block mostly empty at each tap
  // when in_channels is not a multiple of 8 (7 taps of 21 values for a 7x7 RGB stem, not 49 of
  // 3), and a plain load per block instead of a sign-extending one for every panel of 4 output
  // channels. In WebAssembly the student's int8 3x3 convolutions went from about 1.9 to 1.7 ms
  // and its stem from 0.69 (an im2col gather then) to 0.51 (docs/kernels.md, "Row taps"). Row
  // taps run the "c2" tiles, whose taps need only an even depth and whose accumulators need no
  // folding (docs/kernels.md, "The c2 tile").
  is_row_taps_ = !is_gemm_ && w.kernel_w > 1 && w.dilation_w == 1;
  // OHWI is [out][kh][kw * in]: a row tap's depth is one kernel row.
  packed_weights_ =
      is_row_taps_
          ? kernels::pack_qs8_gemm_weights_c2(params.out_channels, igemm_taps(), igemm_depth(),
                                              filter, bias, scales.data(), input.zero_point)
          : kernels::pack_qs8_gemm_weights(detail::kQs8GemmNr, params.out_channels, igemm_taps(),
                                           igemm_depth(), filter, bias, scales.data(),
                                           input.zero_point);
  // Padded taps read the input zero point: real zeros, cancelled by the folded bias.
  if (is_row_taps_) {
    zero_rows_.assign(kernel_depth(), static_cast<int16_t>(input.zero_point));
  } else if (!is_gemm_) {
    zero_.assign(igemm_depth(), static_cast<int8_t>(input.zero_point));
  }
}

size_t Qs8Conv2dOperator::igemm_taps() const {
  const Window2d& w = params_.window;
  return is_row_taps_ ? w.kernel_h : static_cast<size_t>(w.kernel_h) * w.kernel_w;
}

size_t Qs8Conv2dOperator::tile_rows() const {
  return is_row_taps_ ? kRowTapsMr : detail::kQs8GemmMr;
}

size_t Qs8Conv2dOperator::igemm_depth() const {
  const Window2d& w = params_.window;
  return is_row_taps_ ? static_cast<size_t>(w.kernel_w) * params_.in_channels : params_.in_channels;
}

size_t Qs8Conv2dOperator::kernel_depth() const {
  return is_row_taps_ ? round_up_to_pair(igemm_depth()) : igemm_depth();
}

int Qs8Conv2dOperator::indexed_width(int in_w) const {
  const Padding2d& pad = params_.window.padding;
  return is_row_taps_ ? in_w + pad.left + pad.right : in_w;
}

int Qs8Conv2dOperator::output_height(int in_h) const {
  const Window2d& w = params_.window;
  return window_output_size(in_h, w.padding.top, w.padding.bottom, w.kernel_h, w.stride_h,
                            w.dilation_h);
}

int Qs8Conv2dOperator::output_width(int in_w) const {
  const Window2d& w = params_.window;
  return window_output_size(in_w, w.padding.left, w.padding.right, w.kernel_w, w.stride_w,
                            w.dilation_w);
}

void Qs8Conv2dOperator::build_indirection(int in_h, int in_w, int out_h, int out_w) {
  // A row tap starts where the window's first column does, in the copy with the left and right
  // padding written out: the indirection of an unpadded window one column wide over that copy.
  Window2d taps = params_.window;
  if (is_row_taps_) {
    taps.kernel_w = 1;
    taps.padding.left = taps.padding.right = 0;
    // The copy's padding columns and the values past its end hold the zero point for every image
    // of this size; run() only rewrites the rows between them. Values past the end: the c2
    // kernels read every row tap as whole pairs (22 values for a 7-wide RGB window, of which 21
    // are the tap's); the values past a tap meet zero weights.
    columns_.assign(static_cast<size_t>(in_h) * indexed_width(in_w) * params_.in_channels +
                        kernels::kQs8GemmC2Kr,
                    input_zero_point_);
  }
  indirection_ =
      detail::igemm_indirection(taps, in_h, indexed_width(in_w), out_h, out_w, tile_rows(),
                                params_.in_channels, kernels::kQs8IgemmZeroOffset);
  // The last tile of row taps, when short, runs the kernel of its own height, which reads its
  // taps' row offsets `rows` apart instead of tile_rows() apart.
  tail_indirection_.clear();
  const size_t pixels = static_cast<size_t>(out_h) * out_w;
  const size_t mr = tile_rows();
  const size_t rows = pixels % mr;
  if (is_row_taps_ && rows != 0) {
    const size_t ks = igemm_taps();
    const int32_t* last = indirection_.data() + pixels / mr * ks * mr;
    for (size_t t = 0; t < ks; ++t)
      for (size_t r = 0; r < rows; ++r) tail_indirection_.push_back(last[t * mr + r]);
  }
  indirection_h_ = in_h;
  indirection_w_ = in_w;
}

void Qs8Conv2dOperator::widen_rows(const int8_t* image, int in_h, int in_w) {
  const size_t ic = params_.in_channels;
  const size_t row = in_w * ic;
  const size_t padded_row = indexed_width(in_w) * ic;
  int16_t* dst = columns_.data() + params_.window.padding.left * ic;
  for (int y = 0; y < in_h; ++y, dst += padded_row) {
    const int8_t* src = image + y * row;
    for (size_t i = 0; i < row; ++i) dst[i] = src[i];
  }
}

void Qs8Conv2dOperator::run(const int8_t* input, int batch, int in_h, int in_w, int8_t* output,
                            ThreadPool* pool) {
  const detail::OutputSize out = detail::window_output(kRun, params_.window, batch, in_h, in_w);
  const size_t ic = params_.in_channels;
  const size_t oc = params_.out_channels;
  const kernels::Qs8Fp32Params rq =
      kernels::make_qs8_fp32_params(output_zero_point_, output_min_, output_max_);
  if (is_gemm_) {
    const size_t m = static_cast<size_t>(batch) * in_h * in_w;
    detail::run_qs8_gemm(m, oc, ic, input, ic, packed_weights_.data(), output, oc, rq, pool);
    return;
  }
  const size_t image_in = static_cast<size_t>(in_h) * in_w * ic;
  // The indirection holds int32 offsets into one image, or into its padded copy for row taps.
  const size_t indexed = static_cast<size_t>(in_h) * indexed_width(in_w) * ic;
  if (indexed > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    detail::fail(kRun, "input " + std::to_string(in_h) + "x" + std::to_string(in_w),
                 "one image must have fewer than 2^31 elements");
  }
  const size_t ks = igemm_taps();
  const size_t pixels = static_cast<size_t>(out.h) * out.w;
  if (in_h != indirection_h_ || in_w != indirection_w_) build_indirection(in_h, in_w, out.h, out.w);
  const size_t kc = kernel_depth();
  const size_t mr = tile_rows();
  const size_t tiles = (pixels + mr - 1) / mr;
  for (int n = 0; n < batch; ++n) {
    const int8_t* image = input + n * image_in;
    if (is_row_taps_) widen_rows(image, in_h, in_w);
    int8_t* out_image = output + n * pixels * oc;
    auto run_tiles = [&](size_t begin, size_t end, int) {
      for (size_t tile = begin; tile < end; ++tile) {
        const size_t p = tile * mr;
        const size_t rows = std::min(mr, pixels - p);
        const int32_t* taps = indirection_.data() + tile * ks * mr;
        if (is_row_taps_) {
          kRowTapsKernels[rows - 1](rows, oc, kc, ks, rows < mr ? tail_indirection_.data() : taps,
                                    columns_.data(), zero_rows_.data(), packed_weights_.data(),
                                    out_image + p * oc, oc, rq);
        } else {
          kernels::qs8_igemm_minmax_fp32_ukernel_2x4c8__simd128(
              rows, oc, kc, ks, taps, image, zero_.data(), packed_weights_.data(),
              out_image + p * oc, oc, rq);
        }
      }
    };
    for_parts(detail::pool_worth(pool, pixels * oc * kc * ks), tiles, run_tiles);
  }
}

}  // namespace fu::nn
