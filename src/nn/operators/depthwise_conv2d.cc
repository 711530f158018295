#include "nn/operators/depthwise_conv2d.h"

#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/kernels/packing.h"
#include "nn/operators/depthwise_rows.h"
#include "nn/reference/validate.h"

namespace fu::nn {

DepthwiseConv2dOperator::DepthwiseConv2dOperator(const DepthwiseConv2dParams& params,
                                                 const float* filter, const float* bias,
                                                 Activation activation)
    : params_(params), minmax_{activation.min, activation.max} {
  const char* what = "create depthwise_conv2d";
  detail::check_window(what, params.window);
  detail::check_positive(what, "channels", params.channels);
  detail::check_activation(what, activation);
  detail::check_not_null(what, "filter", filter);
  const size_t ks = static_cast<size_t>(params.window.kernel_h) * params.window.kernel_w;
  packed_weights_ = kernels::pack_f32_dwconv_weights(params.channels, ks, filter, bias);
  zero_.assign(params.channels, 0.0f);
}

void DepthwiseConv2dOperator::run(const float* input, int batch, int in_h, int in_w, float* output,
                                  ThreadPool* pool) {
  const Window2d& w = params_.window;
  const detail::OutputSize out =
      detail::window_output("run depthwise_conv2d", w, batch, in_h, in_w);
  const size_t ch = params_.channels;
  const size_t ks = static_cast<size_t>(w.kernel_h) * w.kernel_w;
  // 9-tap windows (3x3) take the kernel chosen for this instruction set.
  const kernels::F32DwconvMinMaxUkernel kernel =
      ks == 9 ? kernels::kF32Dwconv3x3Ukernel : kernels::f32_dwconv_minmax_ukernel_c8__simd128;
  detail::run_depthwise_rows(w, batch, in_h, in_w, out.h, out.w, ch, input, zero_.data(), output,
                             row_taps_, pool, [&](const float** taps, float* out_row) {
                               kernel(ch, out.w, ks, taps, packed_weights_.data(), out_row,
                                      minmax_);
                             });
}

}  // namespace fu::nn
