#include <cassert>

#include "nn/kernels/f32-igemm/f32-igemm.h"
#include "nn/simd/f32x4.h"

namespace fu::nn::kernels {

using namespace simd;

namespace {

inline const float* row(const float* input, const float* zero, int32_t offset) {
  return offset == kF32IgemmZeroOffset ? zero : input + offset;
}

}  // namespace

// Same 4x8 register tile as the GEMM kernel; the A rows change at every tap.
void f32_igemm_minmax_ukernel_4x8__simd128(size_t mr, size_t nc, size_t kc, size_t ks,
                                           const int32_t* indirection, const float* input,
                                           const float* zero, const float* w, float* c,
                                           size_t c_stride, const MinMaxParams& params) {
  assert(mr >= 1 && mr <= 4);
  assert(nc >= 1);
  assert(kc >= 1);
  assert(ks >= 1);
  float* c0 = c;
  float* c1 = mr > 1 ? c0 + c_stride : c0;
  float* c2 = mr > 2 ? c1 + c_stride : c1;
  float* c3 = mr > 3 ? c2 + c_stride : c2;

  const f32x4 vmin = f32x4_splat(params.min);
  const f32x4 vmax = f32x4_splat(params.max);
  do {
    f32x4 acc0x0123 = f32x4_load(w);
    f32x4 acc0x4567 = f32x4_load(w + 4);
    f32x4 acc1x0123 = acc0x0123;
    f32x4 acc1x4567 = acc0x4567;
    f32x4 acc2x0123 = acc0x0123;
    f32x4 acc2x4567 = acc0x4567;
    f32x4 acc3x0123 = acc0x0123;
    f32x4 acc3x4567 = acc0x4567;
    w += 8;
    const int32_t* idx = indirection;
    for (size_t t = 0; t < ks; ++t) {
      const float* a0 = row(input, zero, idx[0]);
      const float* a1 = row(input, zero, idx[1]);
      const float* a2 = row(input, zero, idx[2]);
      const float* a3 = row(input, zero, idx[3]);
      idx += 4;
      for (size_t k = 0; k < kc; ++k) {
        const f32x4 vb0123 = f32x4_load(w);
        const f32x4 vb4567 = f32x4_load(w + 4);
        w += 8;
        const f32x4 va0 = f32x4_splat(a0[k]);
        const f32x4 va1 = f32x4_splat(a1[k]);
        const f32x4 va2 = f32x4_splat(a2[k]);
        const f32x4 va3 = f32x4_splat(a3[k]);
        acc0x0123 = f32x4_muladd(va0, vb0123, acc0x0123);
        acc0x4567 = f32x4_muladd(va0, vb4567, acc0x4567);
        acc1x0123 = f32x4_muladd(va1, vb0123, acc1x0123);
        acc1x4567 = f32x4_muladd(va1, vb4567, acc1x4567);
        acc2x0123 = f32x4_muladd(va2, vb0123, acc2x0123);
        acc2x4567 = f32x4_muladd(va2, vb4567, acc2x4567);
        acc3x0123 = f32x4_muladd(va3, vb0123, acc3x0123);
        acc3x4567 = f32x4_muladd(va3, vb4567, acc3x4567);
      }
    }
    acc0x0123 = f32x4_clamp(acc0x0123, vmin, vmax);
    acc0x4567 = f32x4_clamp(acc0x4567, vmin, vmax);
    acc1x0123 = f32x4_clamp(acc1x0123, vmin, vmax);
    acc1x4567 = f32x4_clamp(acc1x4567, vmin, vmax);
    acc2x0123 = f32x4_clamp(acc2x0123, vmin, vmax);
    acc2x4567 = f32x4_clamp(acc2x4567, vmin, vmax);
    acc3x0123 = f32x4_clamp(acc3x0123, vmin, vmax);
    acc3x4567 = f32x4_clamp(acc3x4567, vmin, vmax);
    if (nc >= 8) {
      f32x4_store(c3, acc3x0123);
      f32x4_store(c3 + 4, acc3x4567);
      f32x4_store(c2, acc2x0123);
      f32x4_store(c2 + 4, acc2x4567);
      f32x4_store(c1, acc1x0123);
      f32x4_store(c1 + 4, acc1x4567);
      f32x4_store(c0, acc0x0123);
      f32x4_store(c0 + 4, acc0x4567);
      c0 += 8;
      c1 += 8;
      c2 += 8;
      c3 += 8;
      nc -= 8;
    } else {
      f32x4x2_store_partial(c3, acc3x0123, acc3x4567, nc);
      f32x4x2_store_partial(c2, acc2x0123, acc2x4567, nc);
      f32x4x2_store_partial(c1, acc1x0123, acc1x4567, nc);
      f32x4x2_store_partial(c0, acc0x0123, acc0x4567, nc);
      nc = 0;
    }
  } while (nc != 0);
}

}  // namespace fu::nn::kernels
