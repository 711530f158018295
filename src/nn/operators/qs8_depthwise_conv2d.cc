#include "nn/operators/qs8_depthwise_conv2d.h"

#include "base/thread_pool.h"
#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/operators/gemm.h"
#include "nn/operators/qs8_validate.h"

namespace fu::nn {

Qs8DepthwiseConv2dOperator::Qs8DepthwiseConv2dOperator(const DepthwiseConv2dParams& params,
                                                       const int8_t* filter,
                                                       const float* filter_scales,
                                                       const int32_t* bias, QuantParams input,
                                                       QuantParams output, int8_t output_min,
                                                       int8_t output_max)
    : params_(params),
      output_zero_point_(output.zero_point),
      output_min_(output_min),
      output_max_(output_max) {
  const char* what = "create qs8 depthwise_conv2d";
  detail::check_window(what, params.window);
  detail::check_positive(what, "channels", params.channels);
  detail::check_not_null(what, "filter", filter);
  detail::check_quant(what, "input", input);
  detail::check_quant(what, "output", output);
  detail::check_output_range(what, output_min, output_max);
  const std::vector<float> scales =
      detail::requantization_scales(what, filter_scales, params.channels, input, output);
  const size_t ks = static_cast<size_t>(params.window.kernel_h) * params.window.kernel_w;
  packed_weights_ = kernels::pack_qs8_dwconv_weights(params.channels, ks, filter, bias,
                                                     scales.data(), input.zero_point);
  zero_.assign(params.channels, static_cast<int8_t>(input.zero_point));
}

void Qs8DepthwiseConv2dOperator::run(const int8_t* input, int batch, int in_h, int in_w,
                                     int8_t* output, ThreadPool* pool) {
  const Window2d& w = params_.window;
  const detail::OutputSize out =
      detail::window_output("run qs8 depthwise_conv2d", w, batch, in_h, in_w);
  const size_t ch = params_.channels;
  const size_t ks = static_cast<size_t>(w.kernel_h) * w.kernel_w;
  // c16 for every window: the 9-tap 9p16c kernel measured no faster (bench/conv_layer_bench,
  // 3x3 128x56x56: 20.3 against 20.0-20.7 GOP/s in WebAssembly, 12.7 against 15.6 natively).
  const kernels::Qs8DwconvMinMaxFp32Ukernel kernel =
      kernels::qs8_dwconv_minmax_fp32_ukernel_c16__simd128;
  const kernels::Qs8Fp32Params rq =
      kernels::make_qs8_fp32_params(output_zero_point_, output_min_, output_max_);
  const size_t rows = static_cast<size_t>(batch) * out.h;
  const bool split = detail::split_work(pool, rows * out.w * ch * ks);
  const size_t row_size = static_cast<size_t>(out.w) * ks;
  row_taps_.resize(row_size * (split ? pool->threads() : 1));
  auto run_rows = [&](size_t begin, size_t end, int part) {
    const int8_t** part_taps = row_taps_.data() + part * row_size;
    for (size_t row = begin; row < end; ++row) {
      const int n = static_cast<int>(row / out.h);
      const int oy = static_cast<int>(row % out.h);
      const int8_t* image = input + static_cast<size_t>(n) * in_h * in_w * ch;
      const int8_t** taps = part_taps;
      for (int ox = 0; ox < out.w; ++ox) {
        for (int ky = 0; ky < w.kernel_h; ++ky) {
          const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
          for (int kx = 0; kx < w.kernel_w; ++kx) {
            const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
            const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
            *taps++ = inside ? image + (static_cast<size_t>(iy) * in_w + ix) * ch : zero_.data();
          }
        }
      }
      int8_t* out_row = output + ((static_cast<size_t>(n) * out.h + oy) * out.w) * ch;
      kernel(ch, out.w, ks, part_taps, packed_weights_.data(), out_row, rq);
    }
  };
  if (split) {
    pool->parallel_for(rows, run_rows);
  } else {
    run_rows(0, rows, 0);
  }
}

}  // namespace fu::nn
