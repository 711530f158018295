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

// Copies n bytes in fixed-size pieces. The im2col rows are short (21 bytes for a 7-wide RGB
// window): std::copy_n of a run-time length is a library call each, which in WebAssembly cost
// about as much as the stem's GEMM itself. From 8 bytes on, whole 8-byte pieces, the last one
// ending at n and overlapping the one before (the same bytes written twice): 3 pieces for 21.
inline void copy_short(int8_t* dst, const int8_t* src, size_t n) {
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) __builtin_memcpy(dst + i, src + i, 8);
    __builtin_memcpy(dst + n - 8, src + n - 8, 8);
    return;
  }
  if (n & 4) {
    __builtin_memcpy(dst, src, 4);
    src += 4;
    dst += 4;
  }
  if (n & 2) {
    __builtin_memcpy(dst, src, 2);
    src += 2;
    dst += 2;
  }
  if (n & 1) *dst = *src;
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
  const size_t ks = static_cast<size_t>(w.kernel_h) * w.kernel_w;
  is_im2col_ = !is_gemm_ && ks > 1 && params.in_channels % kernels::kQs8GemmKr != 0;
  // OHWI is [out][kh * kw * in]: for im2col the whole window is one depth of ks * in values.
  packed_weights_ =
      kernels::pack_qs8_gemm_weights(detail::kQs8GemmNr, params.out_channels, is_im2col_ ? 1 : ks,
                                     is_im2col_ ? ks * params.in_channels : params.in_channels,
                                     filter, bias, scales.data(), input.zero_point);
  // Padded taps read the input zero point: real zeros, cancelled by the folded bias.
  if (!is_gemm_ && !is_im2col_)
    zero_.assign(params.in_channels, static_cast<int8_t>(input.zero_point));
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
  indirection_ =
      detail::igemm_indirection(params_.window, in_h, in_w, out_h, out_w, detail::kQs8GemmMr,
                                params_.in_channels, kernels::kQs8IgemmZeroOffset);
  indirection_h_ = in_h;
  indirection_w_ = in_w;
}

size_t Qs8Conv2dOperator::im2col_depth() const {
  const size_t kr = kernels::kQs8GemmKr;
  const size_t depth =
      static_cast<size_t>(params_.window.kernel_h) * params_.window.kernel_w * params_.in_channels;
  return (depth + kr - 1) / kr * kr;
}

void Qs8Conv2dOperator::gather_rows(const int8_t* image, int in_h, int in_w, int out_h, int out_w) {
  const Window2d& w = params_.window;
  const size_t ic = params_.in_channels;
  const size_t run = static_cast<size_t>(w.kernel_w) * ic;
  // The bytes past the receptive field meet the packing's zero weights, so any value there adds
  // nothing; they are filled once (with the zero point) so that nothing reads uninitialised memory.
  const size_t row_tail = im2col_depth() - w.kernel_h * run;
  rows_.resize(static_cast<size_t>(out_h) * out_w * im2col_depth(), input_zero_point_);
  int8_t* dst = rows_.data();
  for (int oy = 0; oy < out_h; ++oy) {
    for (int ox = 0; ox < out_w; ++ox) {
      const int ix0 = ox * w.stride_w - w.padding.left;
      const int ix_last = ix0 + (w.kernel_w - 1) * w.dilation_w;
      // A kernel row inside the input and undilated is one contiguous run of the input row.
      const bool row_inside = ix0 >= 0 && ix_last < in_w && w.dilation_w == 1;
      for (int ky = 0; ky < w.kernel_h; ++ky) {
        const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
        if (iy < 0 || iy >= in_h) {
          std::fill(dst, dst + run, input_zero_point_);
        } else if (row_inside) {
          copy_short(dst, image + (static_cast<size_t>(iy) * in_w + ix0) * ic, run);
        } else {
          for (int kx = 0; kx < w.kernel_w; ++kx) {
            const int ix = ix0 + kx * w.dilation_w;
            int8_t* tap = dst + static_cast<size_t>(kx) * ic;
            if (ix < 0 || ix >= in_w) {
              std::fill(tap, tap + ic, input_zero_point_);
            } else {
              copy_short(tap, image + (static_cast<size_t>(iy) * in_w + ix) * ic, ic);
            }
          }
        }
        dst += run;
      }
      dst += row_tail;
    }
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
  if (image_in > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    detail::fail(kRun, "input " + std::to_string(in_h) + "x" + std::to_string(in_w),
                 "one image must have fewer than 2^31 elements");
  }
  const size_t ks = static_cast<size_t>(params_.window.kernel_h) * params_.window.kernel_w;
  const size_t pixels = static_cast<size_t>(out.h) * out.w;
  if (is_im2col_) {
    for (int n = 0; n < batch; ++n) {
      gather_rows(input + n * image_in, in_h, in_w, out.h, out.w);
      detail::run_qs8_gemm(pixels, oc, im2col_depth(), rows_.data(), im2col_depth(),
                           packed_weights_.data(), output + n * pixels * oc, oc, rq, pool);
    }
    return;
  }
  if (in_h != indirection_h_ || in_w != indirection_w_) build_indirection(in_h, in_w, out.h, out.w);
  const size_t mr = detail::kQs8GemmMr;
  const size_t tiles = (pixels + mr - 1) / mr;
  for (int n = 0; n < batch; ++n) {
    const int8_t* image = input + n * image_in;
    int8_t* out_image = output + n * pixels * oc;
    auto run_tiles = [&](size_t begin, size_t end, int) {
      for (size_t tile = begin; tile < end; ++tile) {
        const size_t p = tile * mr;
        kernels::qs8_igemm_minmax_fp32_ukernel_2x4c8__simd128(
            std::min(mr, pixels - p), oc, ic, ks, indirection_.data() + tile * ks * mr, image,
            zero_.data(), packed_weights_.data(), out_image + p * oc, oc, rq);
      }
    };
    if (detail::split_work(pool, pixels * oc * ic * ks)) {
      pool->parallel_for(tiles, run_tiles);
    } else {
      run_tiles(0, tiles, 0);
    }
  }
}

}  // namespace fu::nn
