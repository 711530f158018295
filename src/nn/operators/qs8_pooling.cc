#include "nn/operators/qs8_pooling.h"

#include <cstddef>

#include "nn/kernels/requantization.h"
#include "nn/operators/qs8_validate.h"
#include "nn/simd/i16x8.h"

namespace fu::nn {

using namespace simd;

namespace {

// Requantises 8 int32 sums with one scale for all lanes (the contract's avg-pool scale) and
// stores the first n (1..8) results.
struct Requantize8 {
  f32x4 lo, hi, magic;
  i32x4 magic_less_zp;

  Requantize8(QuantParams output, int8_t qmin, int8_t qmax) {
    const kernels::Qs8Fp32Params p = detail::qs8_params(output, qmin, qmax);
    lo = f32x4_splat(p.min_less_zero_point);
    hi = f32x4_splat(p.max_less_zero_point);
    magic = f32x4_splat(kernels::kRoundingMagic);
    magic_less_zp = i32x4_splat(p.magic_less_zero_point);
  }

  void store(i32x4 acc_lo, i32x4 acc_hi, float scale, int8_t* out, size_t n) const {
    const f32x4 s = f32x4_splat(scale);
    const i16x8 q =
        i16x8_narrow_i32x4(i32x4_requantize_fp32(acc_lo, s, lo, hi, magic_less_zp, magic),
                           i32x4_requantize_fp32(acc_hi, s, lo, hi, magic_less_zp, magic));
    const i8x16 bytes = i8x16_narrow_i16x8(q, q);
    // Fixed-size when whole: a memcpy of a variable length is a library call.
    if (n == 8) {
      __builtin_memcpy(out, &bytes, 8);
    } else {
      __builtin_memcpy(out, &bytes, n);
    }
  }
};

// 8 values (or the first n, the rest 0) sign-extended and less the zero point, as int32.
inline void load_centered(const int8_t* p, size_t n, i32x4 zp, i32x4& lo, i32x4& hi) {
  const i16x8 v = n == 8 ? i16x8_load_i8x8(p) : i16x8_load_i8x8_partial(p, n);
  lo = i32x4_extend_low_i16x8(v) - zp;
  hi = i32x4_extend_high_i16x8(v) - zp;
}

// Number of window taps of output (oy, ox) that fall inside the input.
int inside_count(const Window2d& w, int oy, int ox, int in_h, int in_w) {
  int count = 0;
  for (int ky = 0; ky < w.kernel_h; ++ky) {
    const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < w.kernel_w; ++kx) {
      const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
      if (ix >= 0 && ix < in_w) ++count;
    }
  }
  return count;
}

// Calls f(x) with a pointer to channel 0 of every tap of output (oy, ox) inside the input.
template <typename F>
inline void for_each_tap(const Window2d& w, const int8_t* image, int oy, int ox, int in_h, int in_w,
                         size_t ch, F f) {
  for (int ky = 0; ky < w.kernel_h; ++ky) {
    const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < w.kernel_w; ++kx) {
      const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
      if (ix < 0 || ix >= in_w) continue;
      f(image + (static_cast<size_t>(iy) * in_w + ix) * ch);
    }
  }
}

}  // namespace

void qs8_max_pool2d(const Pool2dParams& params, const int8_t* input, int batch, int in_h, int in_w,
                    int channels, QuantParams quant, int8_t output_min, int8_t output_max,
                    int8_t* output) {
  const char* what = "run qs8 max_pool2d";
  const Window2d& w = params.window;
  detail::check_window(what, w);
  detail::check_positive(what, "channels", channels);
  detail::check_quant(what, "input", quant);
  detail::check_output_range(what, output_min, output_max);
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  const size_t ch = channels;
  const i8x16 vmin = i8x16_splat(output_min);
  const i8x16 vmax = i8x16_splat(output_max);
  const i8x16 vzero = i8x16_splat(static_cast<int8_t>(quant.zero_point));
  // Outputs whose window lies wholly inside the input (all but the borders) take a path without
  // the per-tap bounds checks, which cost more than the maxima themselves (the student's 3x3/2
  // pool went from 0.031 to 0.012 ms in WebAssembly, `model_bench --profile`). It lives here, not
  // in for_each_tap: there, behind the callback, the pool took 0.027 ms, and with a helper shared
  // with the average pool 0.021 ms; the average pool gained nothing from either.
  const size_t row_step = static_cast<size_t>(w.dilation_h) * in_w * ch;
  const size_t tap_step = static_cast<size_t>(w.dilation_w) * ch;
  for (int n = 0; n < batch; ++n) {
    const int8_t* image = input + static_cast<size_t>(n) * in_h * in_w * ch;
    for (int oy = 0; oy < out.h; ++oy) {
      const int iy = oy * w.stride_h - w.padding.top;
      const bool rows_inside = detail::window_fits(iy, w.kernel_h, w.dilation_h, in_h);
      for (int ox = 0; ox < out.w; ++ox) {
        int8_t* y = output + ((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * ch;
        const int ix = ox * w.stride_w - w.padding.left;
        size_t c = 0;
        if (rows_inside && detail::window_fits(ix, w.kernel_w, w.dilation_w, in_w)) {
          const int8_t* window = image + (static_cast<size_t>(iy) * in_w + ix) * ch;
          for (; c + 16 <= ch; c += 16) {
            i8x16 acc = i8x16_splat(-128);
            const int8_t* row = window + c;
            for (int ky = 0; ky < w.kernel_h; ++ky, row += row_step)
              for (int kx = 0; kx < w.kernel_w; ++kx)
                acc = i8x16_max(acc, i8x16_load(row + kx * tap_step));
            acc = i8x16_min(i8x16_max(acc, vmin), vmax);
            __builtin_memcpy(y + c, &acc, 16);
          }
          if (c == ch) continue;
        }
        const bool empty = inside_count(w, oy, ox, in_h, in_w) == 0;
        for (; c < ch; c += 16) {
          const size_t lanes = ch - c < 16 ? ch - c : 16;
          i8x16 acc = empty ? vzero : i8x16_splat(-128);
          if (lanes == 16) {
            // A fixed-size load: a memcpy of a variable length is a library call per tap.
            for_each_tap(w, image, oy, ox, in_h, in_w, ch,
                         [&](const int8_t* x) { acc = i8x16_max(acc, i8x16_load(x + c)); });
          } else {
            for_each_tap(w, image, oy, ox, in_h, in_w, ch, [&](const int8_t* x) {
              i8x16 v = i8x16_splat(-128);
              __builtin_memcpy(&v, x + c, lanes);
              acc = i8x16_max(acc, v);
            });
          }
          acc = i8x16_min(i8x16_max(acc, vmin), vmax);
          if (lanes == 16) {
            __builtin_memcpy(y + c, &acc, 16);
          } else {
            __builtin_memcpy(y + c, &acc, lanes);
          }
        }
      }
    }
  }
}

void qs8_avg_pool2d(const Pool2dParams& params, const int8_t* input, int batch, int in_h, int in_w,
                    int channels, QuantParams input_quant, QuantParams output_quant,
                    int8_t output_min, int8_t output_max, int8_t* output) {
  const char* what = "run qs8 avg_pool2d";
  const Window2d& w = params.window;
  detail::check_window(what, w);
  detail::check_positive(what, "channels", channels);
  detail::check_quant(what, "input", input_quant);
  detail::check_quant(what, "output", output_quant);
  detail::check_output_range(what, output_min, output_max);
  const detail::OutputSize out = detail::window_output(what, w, batch, in_h, in_w);
  const size_t ch = channels;
  const Requantize8 rq(output_quant, output_min, output_max);
  const i32x4 vzp = i32x4_splat(input_quant.zero_point);
  for (int n = 0; n < batch; ++n) {
    const int8_t* image = input + static_cast<size_t>(n) * in_h * in_w * ch;
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        const int count = inside_count(w, oy, ox, in_h, in_w);
        // The contract's scale; an empty window sums to 0 and any finite scale gives the zero
        // point.
        const float scale =
            input_quant.scale / (output_quant.scale * static_cast<float>(count > 0 ? count : 1));
        int8_t* y = output + ((static_cast<size_t>(n) * out.h + oy) * out.w + ox) * ch;
        for (size_t c = 0; c < ch; c += 8) {
          const size_t lanes = ch - c < 8 ? ch - c : 8;
          i32x4 acc_lo = i32x4_zero(), acc_hi = i32x4_zero();
          for_each_tap(w, image, oy, ox, in_h, in_w, ch, [&](const int8_t* x) {
            i32x4 lo, hi;
            load_centered(x + c, lanes, vzp, lo, hi);
            acc_lo += lo;
            acc_hi += hi;
          });
          rq.store(acc_lo, acc_hi, scale, y + c, lanes);
        }
      }
    }
  }
}

void qs8_global_avg_pool(const int8_t* input, int batch, int height, int width, int channels,
                         QuantParams input_quant, QuantParams output_quant, int8_t output_min,
                         int8_t output_max, int8_t* output) {
  const char* what = "run qs8 global_avg_pool";
  detail::check_positive(what, "batch", batch);
  detail::check_positive(what, "height", height);
  detail::check_positive(what, "width", width);
  detail::check_positive(what, "channels", channels);
  detail::check_quant(what, "input", input_quant);
  detail::check_quant(what, "output", output_quant);
  detail::check_output_range(what, output_min, output_max);
  const size_t pixels = static_cast<size_t>(height) * width;
  // Each term of the sum is at most 255 in magnitude.
  if (pixels > static_cast<size_t>(INT32_MAX / 255))
    detail::fail(what, "plane " + std::to_string(height) + "x" + std::to_string(width),
                 "more than 2^31 / 255 pixels would overflow the int32 sums");
  const size_t ch = channels;
  const Requantize8 rq(output_quant, output_min, output_max);
  const i32x4 vzp = i32x4_splat(input_quant.zero_point);
  const float scale = input_quant.scale / (output_quant.scale * static_cast<float>(pixels));
  for (int n = 0; n < batch; ++n) {
    const int8_t* image = input + static_cast<size_t>(n) * pixels * ch;
    // Channel block by channel block, so that the sums stay in registers without a workspace.
    for (size_t c = 0; c < ch; c += 8) {
      const size_t lanes = ch - c < 8 ? ch - c : 8;
      i32x4 acc_lo = i32x4_zero(), acc_hi = i32x4_zero();
      for (size_t p = 0; p < pixels; ++p) {
        i32x4 lo, hi;
        load_centered(image + p * ch + c, lanes, vzp, lo, hi);
        acc_lo += lo;
        acc_hi += hi;
      }
      rq.store(acc_lo, acc_hi, scale, output + n * ch + c, lanes);
    }
  }
}

}  // namespace fu::nn
