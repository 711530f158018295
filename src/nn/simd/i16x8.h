// The one place that knows which instruction set the 128-bit integer vectors of the int8
// kernels map to, next to nn/simd/f32x4.h for floats. The workhorse is the signed 16-bit dot
// product into 32-bit lanes (i32x4.dot_i16x8_s in WebAssembly, pmaddwd on SSE2): int8 values are
// sign-extended to 16 bits, multiplied in pairs and each pair summed into one int32 lane. The
// other operations use GCC/Clang vector extensions where both compilers lower them well.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nn/simd/f32x4.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

// For the kernels' template helpers: the register tile only stays in registers when every helper
// is inlined into the kernel, which clang does not always choose to do for the larger ones (a
// call would keep the accumulators in memory).
#define FU_SIMD_INLINE inline __attribute__((always_inline))

namespace fu::nn::simd {

typedef int16_t i16x8 __attribute__((vector_size(16)));
typedef int8_t i8x16 __attribute__((vector_size(16)));

inline i32x4 i32x4_zero() { return i32x4{0, 0, 0, 0}; }
inline i32x4 i32x4_splat(int32_t x) { return i32x4{x, x, x, x}; }

inline i32x4 i32x4_load(const void* p) {
  i32x4 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

inline i16x8 i16x8_zero() { return i16x8{0, 0, 0, 0, 0, 0, 0, 0}; }
inline i16x8 i16x8_splat(int16_t x) { return i16x8{x, x, x, x, x, x, x, x}; }

// Eight int16 values from any address.
inline i16x8 i16x8_load(const void* p) {
  i16x8 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

// Eight int8 values sign-extended to 16 bits.
inline i16x8 i16x8_load_i8x8(const int8_t* p) {
#if defined(__wasm_simd128__)
  return (i16x8)wasm_i16x8_load8x8(p);
#elif defined(__SSE2__)
  // SSE2 has no sign-extending load: put each byte in the high half of a 16-bit lane, then shift
  // it down arithmetically.
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return (i16x8)_mm_srai_epi16(_mm_unpacklo_epi8(bytes, bytes), 8);
#else
  i16x8 v;
  for (int i = 0; i < 8; ++i) v[i] = p[i];
  return v;
#endif
}

// The two int16 values at p repeated in all four 32-bit lanes: one pair of depth values for a
// 16-bit dot product against four channels' pairs of weights. One broadcasting load
// (v128.load32_splat), which on x86 needs no shuffle unit.
inline i16x8 i16x8_load_pair_splat(const int16_t* p) {
#if defined(__wasm_simd128__)
  return (i16x8)wasm_v128_load32_splat(p);
#else
  int32_t pair;
  __builtin_memcpy(&pair, p, sizeof(pair));
  return (i16x8)i32x4_splat(pair);
#endif
}

// The first n (0..7) bytes at p in the low bytes of a 64-bit integer (little-endian, as x86 and
// WebAssembly are), the rest 0, using fixed-size loads only: a variable-length memcpy would be a
// call, and bytes stored one by one and reloaded as a whole stall store forwarding.
inline uint64_t u64_load_partial(const int8_t* p, size_t n) {
  uint64_t v = 0;
  size_t offset = 0;
  if (n & 4) {
    uint32_t x;
    __builtin_memcpy(&x, p, 4);
    v = x;
    offset = 4;
  }
  if (n & 2) {
    uint16_t x;
    __builtin_memcpy(&x, p + offset, 2);
    v |= uint64_t{x} << (8 * offset);
    offset += 2;
  }
  if (n & 1) v |= uint64_t{static_cast<uint8_t>(p[offset])} << (8 * offset);
  return v;
}

// Stores the first n (0..8) bytes at src to p, the mirror of u64_load_partial: fixed-size copies
// only, since a variable-length memcpy is a library call per row of a register tile.
inline void store_partial_bytes(int8_t* p, const int8_t* src, size_t n) {
  if (n & 8) {
    __builtin_memcpy(p, src, 8);
    return;
  }
  size_t offset = 0;
  if (n & 4) {
    __builtin_memcpy(p, src, 4);
    offset = 4;
  }
  if (n & 2) {
    __builtin_memcpy(p + offset, src + offset, 2);
    offset += 2;
  }
  if (n & 1) p[offset] = src[offset];
}

// As i16x8_load_i8x8 for the first n (0..7) values; the other lanes are 0. Never reads past n.
inline i16x8 i16x8_load_i8x8_partial(const int8_t* p, size_t n) {
  const uint64_t bytes = u64_load_partial(p, n);
  return i16x8_load_i8x8(reinterpret_cast<const int8_t*>(&bytes));
}

// {a0*b0 + a1*b1, a2*b2 + a3*b3, a4*b4 + a5*b5, a6*b6 + a7*b7} in int32.
inline i32x4 i32x4_dot_i16x8(i16x8 a, i16x8 b) {
#if defined(__wasm_simd128__)
  return (i32x4)wasm_i32x4_dot_i16x8((v128_t)a, (v128_t)b);
#elif defined(__SSE2__)
  return (i32x4)_mm_madd_epi16((__m128i)a, (__m128i)b);
#else
  i32x4 r;
  for (int i = 0; i < 4; ++i)
    r[i] = int32_t{a[2 * i]} * b[2 * i] + int32_t{a[2 * i + 1]} * b[2 * i + 1];
  return r;
#endif
}

// Lane-wise 16-bit product; exact when |a * b| < 2^15, as for int8 x int8 with one side in
// [-127, 127].
inline i16x8 i16x8_mul(i16x8 a, i16x8 b) { return a * b; }

// The low / high four 16-bit lanes sign-extended to 32 bits.
inline i32x4 i32x4_extend_low_i16x8(i16x8 v) {
#if defined(__wasm_simd128__)
  return (i32x4)wasm_i32x4_extend_low_i16x8((v128_t)v);
#elif defined(__SSE2__)
  return (i32x4)_mm_srai_epi32(_mm_unpacklo_epi16((__m128i)v, (__m128i)v), 16);
#else
  return i32x4{v[0], v[1], v[2], v[3]};
#endif
}

inline i32x4 i32x4_extend_high_i16x8(i16x8 v) {
#if defined(__wasm_simd128__)
  return (i32x4)wasm_i32x4_extend_high_i16x8((v128_t)v);
#elif defined(__SSE2__)
  return (i32x4)_mm_srai_epi32(_mm_unpackhi_epi16((__m128i)v, (__m128i)v), 16);
#else
  return i32x4{v[4], v[5], v[6], v[7]};
#endif
}

// {sum(v0), sum(v1), sum(v2), sum(v3)}: folds four per-column partial-sum vectors into one.
inline i32x4 i32x4_reduce_add4(i32x4 v0, i32x4 v1, i32x4 v2, i32x4 v3) {
  const i32x4 v01 =
      __builtin_shufflevector(v0, v1, 0, 4, 1, 5) + __builtin_shufflevector(v0, v1, 2, 6, 3, 7);
  const i32x4 v23 =
      __builtin_shufflevector(v2, v3, 0, 4, 1, 5) + __builtin_shufflevector(v2, v3, 2, 6, 3, 7);
  return __builtin_shufflevector(v01, v23, 0, 1, 4, 5) +
         __builtin_shufflevector(v01, v23, 2, 3, 6, 7);
}

inline f32x4 f32x4_from_i32x4(i32x4 v) { return __builtin_convertvector(v, f32x4); }

// Signed saturating narrowing: {a, b} to 16 bits, then {a, b} to 8 bits.
inline i16x8 i16x8_narrow_i32x4(i32x4 a, i32x4 b) {
#if defined(__wasm_simd128__)
  return (i16x8)wasm_i16x8_narrow_i32x4((v128_t)a, (v128_t)b);
#elif defined(__SSE2__)
  return (i16x8)_mm_packs_epi32((__m128i)a, (__m128i)b);
#else
  i16x8 r;
  for (int i = 0; i < 4; ++i) {
    r[i] = a[i] < -32768 ? -32768 : a[i] > 32767 ? 32767 : a[i];
    r[i + 4] = b[i] < -32768 ? -32768 : b[i] > 32767 ? 32767 : b[i];
  }
  return r;
#endif
}

inline i8x16 i8x16_narrow_i16x8(i16x8 a, i16x8 b) {
#if defined(__wasm_simd128__)
  return (i8x16)wasm_i8x16_narrow_i16x8((v128_t)a, (v128_t)b);
#elif defined(__SSE2__)
  return (i8x16)_mm_packs_epi16((__m128i)a, (__m128i)b);
#else
  i8x16 r;
  for (int i = 0; i < 8; ++i) {
    r[i] = a[i] < -128 ? -128 : a[i] > 127 ? 127 : a[i];
    r[i + 8] = b[i] < -128 ? -128 : b[i] > 127 ? 127 : b[i];
  }
  return r;
#endif
}

// Requantisation of four int32 accumulators, lane for lane what kernels::requantize_fp32 does:
// float product, clamp to [qmin - zp, qmax - zp] (NaN to the lower bound), round half to even
// by the magic-number addition, then back to integers with the zero point added. `magic_less_zp`
// is the magic number's bit pattern minus the output zero point.
inline i32x4 i32x4_requantize_fp32(i32x4 acc, f32x4 scale, f32x4 lo, f32x4 hi, i32x4 magic_less_zp,
                                   f32x4 magic) {
  f32x4 x = f32x4_mul(f32x4_from_i32x4(acc), scale);
  x = f32x4_min(f32x4_max(x, lo), hi);
  return (i32x4)f32x4_add(x, magic) - magic_less_zp;
}

inline i8x16 i8x16_load(const int8_t* p) {
  i8x16 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

inline i8x16 i8x16_splat(int8_t x) { return i8x16{x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

// Lane-wise signed max / min.
inline i8x16 i8x16_max(i8x16 a, i8x16 b) {
#if defined(__wasm_simd128__)
  return (i8x16)wasm_i8x16_max((v128_t)a, (v128_t)b);
#elif defined(__SSE2__)
  // SSE2 has only the unsigned byte max: flipping the sign bit maps signed order onto it.
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
  return (i8x16)_mm_xor_si128(
      _mm_max_epu8(_mm_xor_si128((__m128i)a, flip), _mm_xor_si128((__m128i)b, flip)), flip);
#else
  const i8x16 mask = a > b;
  return (a & mask) | (b & ~mask);
#endif
}

inline i8x16 i8x16_min(i8x16 a, i8x16 b) {
#if defined(__wasm_simd128__)
  return (i8x16)wasm_i8x16_min((v128_t)a, (v128_t)b);
#elif defined(__SSE2__)
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
  return (i8x16)_mm_xor_si128(
      _mm_min_epu8(_mm_xor_si128((__m128i)a, flip), _mm_xor_si128((__m128i)b, flip)), flip);
#else
  const i8x16 mask = a < b;
  return (a & mask) | (b & ~mask);
#endif
}

}  // namespace fu::nn::simd
