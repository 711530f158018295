#include "nn/operators/conv2d.h"

#include <algorithm>
#include <limits>

#include "base/thread_pool.h"
#include "nn/kernels/f32-igemm/f32-igemm.h"
#include "nn/kernels/packing.h"
#include "nn/operators/gemm.h"
#include "nn/operators/indirection.h"
#include "nn/reference/validate.h"

namespace fu::nn {

namespace {

constexpr const char* kCreate = "create conv2d";
constexpr const char* kRun = "run conv2d";

}  // namespace

Conv2dOperator::Conv2dOperator(const Conv2dParams& params, const float* filter, const float* bias,
                               Activation activation)
    : params_(params), minmax_{activation.min, activation.max} {
  detail::check_window(kCreate, params.window);
  detail::check_positive(kCreate, "input channels", params.in_channels);
  detail::check_positive(kCreate, "output channels", params.out_channels);
  detail::check_activation(kCreate, activation);
  detail::check_not_null(kCreate, "filter", filter);
  const Window2d& w = params.window;
  is_gemm_ = w.kernel_h == 1 && w.kernel_w == 1 && w.stride_h == 1 && w.stride_w == 1 &&
             w.padding.top == 0 && w.padding.bottom == 0 && w.padding.left == 0 &&
             w.padding.right == 0;
  set_weights(filter, bias);
  if (!is_gemm_) zero_.assign(params.in_channels, 0.0f);
}

void Conv2dOperator::set_weights(const float* filter, const float* bias) {
  detail::check_not_null("set conv2d weights", "filter", filter);
  const Window2d& w = params_.window;
  const size_t ks = static_cast<size_t>(w.kernel_h) * w.kernel_w;
  packed_weights_ = kernels::pack_f32_gemm_weights(detail::kGemmNr, params_.out_channels, ks,
                                                   params_.in_channels, filter, bias);
}

int Conv2dOperator::output_height(int in_h) const {
  const Window2d& w = params_.window;
  return window_output_size(in_h, w.padding.top, w.padding.bottom, w.kernel_h, w.stride_h,
                            w.dilation_h);
}

int Conv2dOperator::output_width(int in_w) const {
  const Window2d& w = params_.window;
  return window_output_size(in_w, w.padding.left, w.padding.right, w.kernel_w, w.stride_w,
                            w.dilation_w);
}

void Conv2dOperator::build_indirection(int in_h, int in_w, int out_h, int out_w) {
  indirection_ =
      detail::igemm_indirection(params_.window, in_h, in_w, out_h, out_w, detail::kGemmMr,
                                params_.in_channels, kernels::kF32IgemmZeroOffset);
  indirection_h_ = in_h;
  indirection_w_ = in_w;
}

void Conv2dOperator::run(const float* input, int batch, int in_h, int in_w, float* output,
                         ThreadPool* pool) {
  const detail::OutputSize out = detail::window_output(kRun, params_.window, batch, in_h, in_w);
  const size_t ic = params_.in_channels;
  const size_t oc = params_.out_channels;
  if (is_gemm_) {
    const size_t m = static_cast<size_t>(batch) * in_h * in_w;
    detail::run_f32_gemm(m, oc, ic, input, ic, packed_weights_.data(), output, oc, minmax_, pool);
    return;
  }
  const size_t image_in = static_cast<size_t>(in_h) * in_w * ic;
  if (image_in > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    detail::fail(kRun, "input " + std::to_string(in_h) + "x" + std::to_string(in_w),
                 "one image must have fewer than 2^31 elements");
  }
  if (in_h != indirection_h_ || in_w != indirection_w_) build_indirection(in_h, in_w, out.h, out.w);
  const size_t ks = static_cast<size_t>(params_.window.kernel_h) * params_.window.kernel_w;
  const size_t pixels = static_cast<size_t>(out.h) * out.w;
  const size_t tiles = (pixels + detail::kGemmMr - 1) / detail::kGemmMr;
  for (int n = 0; n < batch; ++n) {
    const float* image = input + n * image_in;
    float* out_image = output + n * pixels * oc;
    auto run_tiles = [&](size_t begin, size_t end, int) {
      for (size_t tile = begin; tile < end; ++tile) {
        const size_t p = tile * detail::kGemmMr;
        const size_t mr = std::min(detail::kGemmMr, pixels - p);
        kernels::f32_igemm_minmax_ukernel_4x8__simd128(
            mr, oc, ic, ks, indirection_.data() + tile * ks * detail::kGemmMr, image, zero_.data(),
            packed_weights_.data(), out_image + p * oc, oc, minmax_);
      }
    };
    for_parts(detail::pool_worth(pool, pixels * oc * ic * ks), tiles, run_tiles);
  }
}

}  // namespace fu::nn
