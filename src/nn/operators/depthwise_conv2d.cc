#include "nn/operators/depthwise_conv2d.h"

#include "base/thread_pool.h"
#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/kernels/packing.h"
#include "nn/operators/gemm.h"
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
  // Pointers are rebuilt per row: it costs ks pointer writes per pixel against ks x channels
  // multiply-adds, and keeps the operator independent of the input's address.
  const size_t rows = static_cast<size_t>(batch) * out.h;
  const bool split = detail::split_work(pool, rows * out.w * ch * ks);
  const size_t row_size = static_cast<size_t>(out.w) * ks;
  row_taps_.resize(row_size * (split ? pool->threads() : 1));
  auto run_rows = [&](size_t begin, size_t end, int part) {
    const float** part_taps = row_taps_.data() + part * row_size;
    for (size_t row = begin; row < end; ++row) {
      const int n = static_cast<int>(row / out.h);
      const int oy = static_cast<int>(row % out.h);
      const float* image = input + static_cast<size_t>(n) * in_h * in_w * ch;
      const float** taps = part_taps;
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
      float* out_row = output + ((static_cast<size_t>(n) * out.h + oy) * out.w) * ch;
      kernel(ch, out.w, ks, part_taps, packed_weights_.data(), out_row, minmax_);
    }
  };
  if (split) {
    pool->parallel_for(rows, run_rows);
  } else {
    run_rows(0, rows, 0);
  }
}

}  // namespace fu::nn
