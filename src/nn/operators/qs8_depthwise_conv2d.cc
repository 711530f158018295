#include "nn/operators/qs8_depthwise_conv2d.h"

#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/operators/depthwise_rows.h"
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
  const std::vector<float> scales = detail::check_weights_and_quantization(
      what, filter, filter_scales, params.channels, input, output, output_min, output_max);
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
  // 3x3 windows on the two-taps-per-dot-product kernel (bench/conv_layer_bench, 3x3 128x56x56 in
  // WebAssembly: 28.0 against 19.5 GOP/s for c16; see docs/kernels.md), any other on c16.
  const kernels::Qs8DwconvMinMaxFp32Ukernel kernel =
      ks == 9 ? kernels::qs8_dwconv_minmax_fp32_ukernel_9p8c__simd128_dot16x2
              : kernels::qs8_dwconv_minmax_fp32_ukernel_c16__simd128;
  const kernels::Qs8Fp32Params rq =
      kernels::make_qs8_fp32_params(output_zero_point_, output_min_, output_max_);
  detail::run_depthwise_rows(w, batch, in_h, in_w, out.h, out.w, ch, input, zero_.data(), output,
                             row_taps_, pool, [&](const int8_t** taps, int8_t* out_row) {
                               kernel(ch, out.w, ks, taps, packed_weights_.data(), out_row, rq);
                             });
}

}  // namespace fu::nn
