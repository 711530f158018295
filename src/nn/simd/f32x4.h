// The one place that knows which instruction set the 128-bit float vectors map to. Kernels are
// written once against these helpers with GCC/Clang vector extensions, which g++ lowers to SSE2
// on x86-64 and clang lowers to WebAssembly SIMD under -msimd128. Only min/max need
// per-ISA code: the generic element-wise select compiles to compare+blend sequences.
#pragma once

#include <cstddef>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fu::nn::simd {

typedef float f32x4 __attribute__((vector_size(16)));
typedef int i32x4 __attribute__((vector_size(16)));

// memcpy keeps every load and store unaligned-safe and free of aliasing assumptions; both
// compilers turn it into a single movups / v128.load.
inline f32x4 f32x4_load(const float* p) {
  f32x4 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

inline void f32x4_store(float* p, f32x4 v) { __builtin_memcpy(p, &v, sizeof(v)); }

inline f32x4 f32x4_splat(float x) { return f32x4{x, x, x, x}; }

inline f32x4 f32x4_zero() { return f32x4{0.0f, 0.0f, 0.0f, 0.0f}; }

// Loads the first n (0..3) floats and zeroes the other lanes, so channel tails never read past
// the end of a buffer.
inline f32x4 f32x4_load_partial(const float* p, size_t n) {
  f32x4 v = f32x4_zero();
  __builtin_memcpy(&v, p, n * sizeof(float));
  return v;
}

// Stores the first n (0..3) lanes.
inline void f32x4_store_partial(float* p, f32x4 v, size_t n) {
  __builtin_memcpy(p, &v, n * sizeof(float));
}

inline f32x4 f32x4_add(f32x4 a, f32x4 b) { return a + b; }
inline f32x4 f32x4_sub(f32x4 a, f32x4 b) { return a - b; }
inline f32x4 f32x4_mul(f32x4 a, f32x4 b) { return a * b; }
// Neither SSE2 nor baseline WebAssembly SIMD has a fused multiply-add; this stays mul then add,
// which is also what keeps results identical across the two targets.
inline f32x4 f32x4_muladd(f32x4 a, f32x4 b, f32x4 acc) { return acc + a * b; }

// min/max return `b` when either lane is NaN, like the x86 instructions; the clamp callers pass
// the bound as `b`.
inline f32x4 f32x4_min(f32x4 a, f32x4 b) {
#if defined(__wasm_simd128__)
  // pmin is a single instruction in every engine; min propagates NaN and costs a sequence.
  return (f32x4)wasm_f32x4_pmin((v128_t)b, (v128_t)a);
#elif defined(__SSE2__)
  return (f32x4)_mm_min_ps((__m128)a, (__m128)b);
#else
  f32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = a[i] < b[i] ? a[i] : b[i];
  return r;
#endif
}

inline f32x4 f32x4_max(f32x4 a, f32x4 b) {
#if defined(__wasm_simd128__)
  return (f32x4)wasm_f32x4_pmax((v128_t)b, (v128_t)a);
#elif defined(__SSE2__)
  return (f32x4)_mm_max_ps((__m128)a, (__m128)b);
#else
  f32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = a[i] > b[i] ? a[i] : b[i];
  return r;
#endif
}

// Lane-wise mask ? a : b, where mask lanes are all ones or all zeros (a comparison result).
inline f32x4 f32x4_select(i32x4 mask, f32x4 a, f32x4 b) {
  return (f32x4)((mask & (i32x4)a) | (~mask & (i32x4)b));
}

// All-ones lanes where v >= 0 (false for NaN).
inline i32x4 f32x4_ge_zero(f32x4 v) { return v >= f32x4_zero(); }

inline f32x4 f32x4_clamp(f32x4 v, f32x4 lo, f32x4 hi) { return f32x4_min(f32x4_max(v, lo), hi); }

// {v[2], v[3], v[2], v[3]}: brings the upper half down for 2-lane tail stores.
inline f32x4 f32x4_move_high(f32x4 v) { return __builtin_shufflevector(v, v, 2, 3, 2, 3); }

// Stores the first n (1..7) lanes of the 8-lane pair {lo, hi}: the column tail of an 8-wide tile.
inline void f32x4x2_store_partial(float* p, f32x4 lo, f32x4 hi, size_t n) {
  if (n & 4) {
    f32x4_store(p, lo);
    lo = hi;
    p += 4;
  }
  if (n & 2) {
    __builtin_memcpy(p, &lo, 2 * sizeof(float));
    lo = f32x4_move_high(lo);
    p += 2;
  }
  if (n & 1) *p = lo[0];
}

inline float f32x4_reduce_add(f32x4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

}  // namespace fu::nn::simd
