#include "nn/operators/pooling.h"

#include <limits>

#include "nn/reference/validate.h"
#include "nn/simd/f32x4.h"

namespace fu::nn {

using namespace simd;

namespace {

enum class PoolKind { kMax, kAverage };

template <PoolKind kKind>
inline f32x4 combine(f32x4 acc, f32x4 x) {
  return kKind == PoolKind::kMax ? f32x4_max(acc, x) : f32x4_add(acc, x);
}

template <PoolKind kKind>
void pool2d(const char* what, const Pool2dParams& params, const float* input, int batch, int in_h,
            int in_w, int channels, float* output) {
  const Window2d& w = params.window;
  detail::check_window(what, w);
  detail::check_positive(what, "channels", channels);
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  const size_t ch = channels;
  const f32x4 init =
      kKind == PoolKind::kMax ? f32x4_splat(-std::numeric_limits<float>::infinity()) : f32x4_zero();
  // Max pool outputs whose window lies wholly inside the input take a path without the per-tap
  // bounds checks and tap count, as the int8 max pool does (qs8_pooling.cc): the student's 3x3/2
  // pool went from 0.073 to 0.019 ms in WebAssembly (`model_bench --profile`).
  const size_t row_step = static_cast<size_t>(w.dilation_h) * in_w * ch;
  const size_t tap_step = static_cast<size_t>(w.dilation_w) * ch;
  for (int n = 0; n < batch; ++n) {
    const float* image = input + static_cast<size_t>(n) * in_h * in_w * ch;
    for (int oy = 0; oy < out.h; ++oy) {
      const int iy0 = oy * w.stride_h - w.padding.top;
      const bool rows_inside = detail::window_fits(iy0, w.kernel_h, w.dilation_h, in_h);
      for (int ox = 0; ox < out.w; ++ox) {
        const int ix0 = ox * w.stride_w - w.padding.left;
        if (kKind == PoolKind::kMax && ch % 4 == 0 && rows_inside &&
            detail::window_fits(ix0, w.kernel_w, w.dilation_w, in_w)) {
          const float* window = image + (static_cast<size_t>(iy0) * in_w + ix0) * ch;
          float* y = output + ((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * ch;
          size_t c = 0;
          // 16 channels per walk over the window: four loads per tap for one set of its
          // addresses (the student's pool has 16 channels).
          for (; c + 16 <= ch; c += 16) {
            f32x4 a0 = init, a1 = init, a2 = init, a3 = init;
            const float* row = window + c;
            for (int ky = 0; ky < w.kernel_h; ++ky, row += row_step) {
              for (int kx = 0; kx < w.kernel_w; ++kx) {
                const float* x = row + kx * tap_step;
                a0 = f32x4_max(a0, f32x4_load(x));
                a1 = f32x4_max(a1, f32x4_load(x + 4));
                a2 = f32x4_max(a2, f32x4_load(x + 8));
                a3 = f32x4_max(a3, f32x4_load(x + 12));
              }
            }
            f32x4_store(y + c, a0);
            f32x4_store(y + c + 4, a1);
            f32x4_store(y + c + 8, a2);
            f32x4_store(y + c + 12, a3);
          }
          for (; c < ch; c += 4) {
            f32x4 acc = init;
            const float* row = window + c;
            for (int ky = 0; ky < w.kernel_h; ++ky, row += row_step)
              for (int kx = 0; kx < w.kernel_w; ++kx)
                acc = f32x4_max(acc, f32x4_load(row + kx * tap_step));
            f32x4_store(y + c, acc);
          }
          continue;
        }
        // Only taps inside the input take part: padding is never a maximum and never counted.
        int count = 0;
        for (int ky = 0; ky < w.kernel_h; ++ky) {
          const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int kx = 0; kx < w.kernel_w; ++kx) {
            const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
            if (ix >= 0 && ix < in_w) ++count;
          }
        }
        float* y = output + ((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * ch;
        const f32x4 scale = f32x4_splat(1.0f / (count > 0 ? count : 1));
        for (size_t c = 0; c < ch; c += 4) {
          const size_t lanes = ch - c < 4 ? ch - c : 4;
          f32x4 acc = init;
          for (int ky = 0; ky < w.kernel_h; ++ky) {
            const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
            if (iy < 0 || iy >= in_h) continue;
            for (int kx = 0; kx < w.kernel_w; ++kx) {
              const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
              if (ix < 0 || ix >= in_w) continue;
              const float* x = image + (static_cast<size_t>(iy) * in_w + ix) * ch + c;
              acc = combine<kKind>(acc, lanes == 4 ? f32x4_load(x) : f32x4_load_partial(x, lanes));
            }
          }
          // A window entirely in padding yields 0, as in the reference.
          if (count == 0) {
            acc = f32x4_zero();
          } else if (kKind == PoolKind::kAverage) {
            acc = f32x4_mul(acc, scale);
          }
          if (lanes == 4) {
            f32x4_store(y + c, acc);
          } else {
            f32x4_store_partial(y + c, acc, lanes);
          }
        }
      }
    }
  }
}

}  // namespace

void max_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output) {
  pool2d<PoolKind::kMax>("run max_pool2d", params, input, batch, in_h, in_w, channels, output);
}

void avg_pool2d(const Pool2dParams& params, const float* input, int batch, int in_h, int in_w,
                int channels, float* output) {
  pool2d<PoolKind::kAverage>("run avg_pool2d", params, input, batch, in_h, in_w, channels, output);
}

void global_avg_pool(const float* input, int batch, int height, int width, int channels,
                     float* output) {
  const char* what = "run global_avg_pool";
  detail::check_positive(what, "height", height);
  detail::check_positive(what, "width", width);
  const size_t ch = channels;
  const size_t pixels = static_cast<size_t>(height) * width;
  const f32x4 scale = f32x4_splat(1.0f / pixels);
  for (int n = 0; n < batch; ++n) {
    const float* image = input + n * pixels * ch;
    float* y = output + n * ch;
    // Pixel-major accumulation into the output walks the input once, in order.
    for (size_t c = 0; c < ch; ++c) y[c] = 0.0f;
    for (size_t p = 0; p < pixels; ++p) {
      const float* x = image + p * ch;
      size_t c = 0;
      for (; c + 4 <= ch; c += 4)
        f32x4_store(y + c, f32x4_add(f32x4_load(y + c), f32x4_load(x + c)));
      if (c < ch) {
        const size_t lanes = ch - c;
        f32x4_store_partial(
            y + c, f32x4_add(f32x4_load_partial(y + c, lanes), f32x4_load_partial(x + c, lanes)),
            lanes);
      }
    }
    size_t c = 0;
    for (; c + 4 <= ch; c += 4) f32x4_store(y + c, f32x4_mul(f32x4_load(y + c), scale));
    if (c < ch) {
      const size_t lanes = ch - c;
      f32x4_store_partial(y + c, f32x4_mul(f32x4_load_partial(y + c, lanes), scale), lanes);
    }
  }
}

}  // namespace fu::nn
