#include "nn/operators/qs8_elementwise.h"

#include "nn/kernels/requantization.h"
#include "nn/operators/qs8_validate.h"
#include "nn/simd/i16x8.h"

namespace fu::nn {

using namespace simd;

void qs8_add(QuantParams a_quant, QuantParams b_quant, QuantParams output_quant, int8_t output_min,
             int8_t output_max, const int8_t* a, const int8_t* b, size_t count, int8_t* output) {
  const char* what = "run qs8 add";
  detail::check_quant(what, "first input", a_quant);
  detail::check_quant(what, "second input", b_quant);
  detail::check_quant(what, "output", output_quant);
  detail::check_output_range(what, output_min, output_max);
  const kernels::Qs8Fp32Params p = detail::qs8_params(output_quant, output_min, output_max);
  // The contract's two ratios, each computed once in float32.
  const f32x4 ra = f32x4_splat(a_quant.scale / output_quant.scale);
  const f32x4 rb = f32x4_splat(b_quant.scale / output_quant.scale);
  const i32x4 za = i32x4_splat(a_quant.zero_point);
  const i32x4 zb = i32x4_splat(b_quant.zero_point);
  const f32x4 lo = f32x4_splat(p.min_less_zero_point);
  const f32x4 hi = f32x4_splat(p.max_less_zero_point);
  const f32x4 magic = f32x4_splat(kernels::kRoundingMagic);
  const i32x4 magic_less_zp = i32x4_splat(p.magic_less_zero_point);
  // Four values: (a - za) * ra + (b - zb) * rb, clamped, rounded, zero point added.
  auto requantize = [&](i32x4 va, i32x4 vb) {
    f32x4 x = f32x4_add(f32x4_mul(f32x4_from_i32x4(va - za), ra),
                        f32x4_mul(f32x4_from_i32x4(vb - zb), rb));
    x = f32x4_min(f32x4_max(x, lo), hi);
    return (i32x4)f32x4_add(x, magic) - magic_less_zp;
  };
  auto requantize8 = [&](i16x8 va, i16x8 vb) {
    const i16x8 q =
        i16x8_narrow_i32x4(requantize(i32x4_extend_low_i16x8(va), i32x4_extend_low_i16x8(vb)),
                           requantize(i32x4_extend_high_i16x8(va), i32x4_extend_high_i16x8(vb)));
    return i8x16_narrow_i16x8(q, q);
  };
  // 8 values per step; all loads complete before the store, so the output may alias an input.
  // The full steps store a fixed 8 bytes: a memcpy of a variable length is a library call.
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const i8x16 bytes = requantize8(i16x8_load_i8x8(a + i), i16x8_load_i8x8(b + i));
    __builtin_memcpy(output + i, &bytes, 8);
  }
  if (i < count) {
    const size_t n = count - i;
    const i8x16 bytes =
        requantize8(i16x8_load_i8x8_partial(a + i, n), i16x8_load_i8x8_partial(b + i, n));
    __builtin_memcpy(output + i, &bytes, n);
  }
}

void qs8_quantize(QuantParams output_quant, const float* input, size_t count, int8_t* output) {
  detail::check_quant("run qs8 quantize", "output", output_quant);
  // The reference's order: one float inverse, multiply, NaN to 0, clamp to the int8 range less
  // the zero point, round half to even by the magic number, add the zero point.
  const f32x4 inverse = f32x4_splat(1.0f / output_quant.scale);
  const f32x4 lo = f32x4_splat(static_cast<float>(-128 - output_quant.zero_point));
  const f32x4 hi = f32x4_splat(static_cast<float>(127 - output_quant.zero_point));
  const f32x4 magic = f32x4_splat(kernels::kRoundingMagic);
  const i32x4 magic_less_zp = i32x4_splat(kernels::kRoundingMagicBits - output_quant.zero_point);
  auto quantize4 = [&](f32x4 v) {
    f32x4 x = f32x4_mul(v, inverse);
    x = f32x4_select(x == x, x, f32x4_zero());
    x = f32x4_min(f32x4_max(x, lo), hi);
    return (i32x4)f32x4_add(x, magic) - magic_less_zp;
  };
  // 8 values per step, stored as a fixed 8 bytes (a memcpy of a variable length is a call).
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const i16x8 q =
        i16x8_narrow_i32x4(quantize4(f32x4_load(input + i)), quantize4(f32x4_load(input + i + 4)));
    const i8x16 bytes = i8x16_narrow_i16x8(q, q);
    __builtin_memcpy(output + i, &bytes, 8);
  }
  if (i < count) {
    const size_t n = count - i;
    const f32x4 first = n >= 4 ? f32x4_load(input + i) : f32x4_load_partial(input + i, n);
    const f32x4 second = n > 4 ? f32x4_load_partial(input + i + 4, n - 4) : f32x4_zero();
    const i16x8 q = i16x8_narrow_i32x4(quantize4(first), quantize4(second));
    const i8x16 bytes = i8x16_narrow_i16x8(q, q);
    __builtin_memcpy(output + i, &bytes, n);
  }
}

}  // namespace fu::nn
