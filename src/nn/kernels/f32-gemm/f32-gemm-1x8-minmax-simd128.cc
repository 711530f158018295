#include <cassert>

#include "nn/kernels/f32-gemm/f32-gemm.h"
#include "nn/simd/f32x4.h"

namespace fu::nn::kernels {

using namespace simd;

// One row (batch-1 fully connected, GEMM row tails). With a single row the two accumulators
// would form one long dependency chain, so even and odd k accumulate separately.
void f32_gemm_minmax_ukernel_1x8__simd128(size_t mr, size_t nc, size_t kc, const float* a,
                                          size_t a_stride, const float* w, float* c,
                                          size_t c_stride, const MinMaxParams& params) {
  assert(mr == 1);
  assert(nc >= 1);
  assert(kc >= 1);
  const f32x4 vmin = f32x4_splat(params.min);
  const f32x4 vmax = f32x4_splat(params.max);
  do {
    f32x4 acc0x0123 = f32x4_load(w);
    f32x4 acc0x4567 = f32x4_load(w + 4);
    f32x4 acc1x0123 = f32x4_zero();
    f32x4 acc1x4567 = f32x4_zero();
    w += 8;
    size_t k = 0;
    for (; k + 2 <= kc; k += 2) {
      const f32x4 va0 = f32x4_splat(a[k]);
      const f32x4 va1 = f32x4_splat(a[k + 1]);
      acc0x0123 = f32x4_muladd(va0, f32x4_load(w), acc0x0123);
      acc0x4567 = f32x4_muladd(va0, f32x4_load(w + 4), acc0x4567);
      acc1x0123 = f32x4_muladd(va1, f32x4_load(w + 8), acc1x0123);
      acc1x4567 = f32x4_muladd(va1, f32x4_load(w + 12), acc1x4567);
      w += 16;
    }
    if (k < kc) {
      const f32x4 va0 = f32x4_splat(a[k]);
      acc0x0123 = f32x4_muladd(va0, f32x4_load(w), acc0x0123);
      acc0x4567 = f32x4_muladd(va0, f32x4_load(w + 4), acc0x4567);
      w += 8;
    }
    acc0x0123 = f32x4_clamp(f32x4_add(acc0x0123, acc1x0123), vmin, vmax);
    acc0x4567 = f32x4_clamp(f32x4_add(acc0x4567, acc1x4567), vmin, vmax);
    if (nc >= 8) {
      f32x4_store(c, acc0x0123);
      f32x4_store(c + 4, acc0x4567);
      c += 8;
      nc -= 8;
    } else {
      f32x4x2_store_partial(c, acc0x0123, acc0x4567, nc);
      nc = 0;
    }
  } while (nc != 0);
}

}  // namespace fu::nn::kernels
