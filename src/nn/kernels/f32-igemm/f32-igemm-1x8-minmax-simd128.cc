#include <cassert>

#include "nn/kernels/f32-igemm/f32-igemm.h"
#include "nn/simd/f32x4.h"

namespace fu::nn::kernels {

using namespace simd;

// One output pixel at a time; the indirection buffer holds one offset per tap.
void f32_igemm_minmax_ukernel_1x8__simd128(size_t mr, size_t nc, size_t kc, size_t ks,
                                           const int32_t* indirection, const float* input,
                                           const float* zero, const float* w, float* c,
                                           size_t c_stride, const MinMaxParams& params) {
  assert(mr == 1);
  assert(nc >= 1);
  assert(kc >= 1);
  assert(ks >= 1);
  const f32x4 vmin = f32x4_splat(params.min);
  const f32x4 vmax = f32x4_splat(params.max);
  do {
    f32x4 acc0123 = f32x4_load(w);
    f32x4 acc4567 = f32x4_load(w + 4);
    w += 8;
    for (size_t t = 0; t < ks; ++t) {
      const float* a = indirection[t] == kF32IgemmZeroOffset ? zero : input + indirection[t];
      for (size_t k = 0; k < kc; ++k) {
        const f32x4 va = f32x4_splat(a[k]);
        acc0123 = f32x4_muladd(va, f32x4_load(w), acc0123);
        acc4567 = f32x4_muladd(va, f32x4_load(w + 4), acc4567);
        w += 8;
      }
    }
    acc0123 = f32x4_clamp(acc0123, vmin, vmax);
    acc4567 = f32x4_clamp(acc4567, vmin, vmax);
    if (nc >= 8) {
      f32x4_store(c, acc0123);
      f32x4_store(c + 4, acc4567);
      c += 8;
      nc -= 8;
    } else {
      f32x4x2_store_partial(c, acc0123, acc4567, nc);
      nc = 0;
    }
  } while (nc != 0);
}

}  // namespace fu::nn::kernels
