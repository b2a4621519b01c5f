/*
 * numeric.h: WebAssembly numeric semantics that C does not give for free.
 *
 * Values live in 64-bit slots: i32 and f32 in the low 32 bits, floats by their
 * bits so NaN payloads survive copies. Everything here is exact per the spec:
 * float min/max order -0 below +0 and propagate NaN, nearest rounds half to
 * even, truncations check their range before converting (the C conversion is
 * undefined out of range), and integer division never executes the cases C
 * leaves undefined (x / 0, INT_MIN / -1).
 */
#ifndef TOVA_ENGINE_NUMERIC_H
#define TOVA_ENGINE_NUMERIC_H

#include <stdint.h>
#ifdef TOVA_STENCIL_FREESTANDING
/* The stencil tier's object is compiled without the C library's headers
 * (stencil/layout.h says why): the few functions used here, as the
 * compiler's builtins, which is what the headers give anyway. */
#define memcpy __builtin_memcpy
#define ceil __builtin_ceil
#define ceilf __builtin_ceilf
#define floor __builtin_floor
#define floorf __builtin_floorf
#define trunc __builtin_trunc
#define truncf __builtin_truncf
#define sqrt __builtin_sqrt
#define sqrtf __builtin_sqrtf
#define fabs __builtin_fabs
#define fabsf __builtin_fabsf
#define copysign __builtin_copysign
#define copysignf __builtin_copysignf
#define signbit(x) __builtin_signbit(x)
#else
#include <math.h>
#include <string.h>
#endif

/* Floats must be computed in their own precision, one IEEE operation at a
 * time: a fused multiply-add would round once where WebAssembly rounds twice. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* gcc ignores this pragma: CMake adds -ffp-contract=off */
#endif

static inline float wasm_f32_from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}
static inline uint32_t wasm_f32_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static inline double wasm_f64_from_bits(uint64_t b) {
  double d;
  memcpy(&d, &b, 8);
  return d;
}
static inline uint64_t wasm_f64_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

/* ---- integer bit counting (the builtins are undefined for 0) ---- */
static inline uint32_t wasm_i32_clz(uint32_t x) { return x ? (uint32_t)__builtin_clz(x) : 32; }
static inline uint32_t wasm_i32_ctz(uint32_t x) { return x ? (uint32_t)__builtin_ctz(x) : 32; }
static inline uint32_t wasm_i32_popcnt(uint32_t x) { return (uint32_t)__builtin_popcount(x); }
static inline uint64_t wasm_i64_clz(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64; }
static inline uint64_t wasm_i64_ctz(uint64_t x) { return x ? (uint64_t)__builtin_ctzll(x) : 64; }
static inline uint64_t wasm_i64_popcnt(uint64_t x) { return (uint64_t)__builtin_popcountll(x); }

static inline uint32_t wasm_i32_rotl(uint32_t x, uint32_t n) {
  n &= 31;
  return n ? (x << n) | (x >> (32 - n)) : x;
}
static inline uint32_t wasm_i32_rotr(uint32_t x, uint32_t n) {
  n &= 31;
  return n ? (x >> n) | (x << (32 - n)) : x;
}
static inline uint64_t wasm_i64_rotl(uint64_t x, uint64_t n) {
  n &= 63;
  return n ? (x << n) | (x >> (64 - n)) : x;
}
static inline uint64_t wasm_i64_rotr(uint64_t x, uint64_t n) {
  n &= 63;
  return n ? (x >> n) | (x << (64 - n)) : x;
}
/* Arithmetic right shift without relying on implementation-defined >> of negatives. */
static inline uint32_t wasm_i32_shr_s(uint32_t x, uint32_t n) {
  n &= 31;
  return (x & 0x80000000u) ? ~(~x >> n) : x >> n;
}
static inline uint64_t wasm_i64_shr_s(uint64_t x, uint64_t n) {
  n &= 63;
  return (x >> 63) ? ~(~x >> n) : x >> n;
}

/* ---- float sign operations are pure bit operations (NaN payloads kept) ---- */
#define WASM_F32_SIGN 0x80000000u
#define WASM_F64_SIGN 0x8000000000000000ull

/* ---- min / max: NaN wins, -0 < +0 ---- */
static inline float wasm_f32_min(float a, float b) {
  if (a != a || b != b) return a + b; /* an arithmetic NaN */
  if (a == 0 && b == 0) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline float wasm_f32_max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double wasm_f64_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double wasm_f64_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}

/* ---- rounding: NaN in gives a quiet NaN out (x + x quiets a signalling NaN) ---- */
static inline float wasm_f32_ceil(float x) { return x != x ? x + x : ceilf(x); }
static inline float wasm_f32_floor(float x) { return x != x ? x + x : floorf(x); }
static inline float wasm_f32_trunc(float x) { return x != x ? x + x : truncf(x); }
static inline double wasm_f64_ceil(double x) { return x != x ? x + x : ceil(x); }
static inline double wasm_f64_floor(double x) { return x != x ? x + x : floor(x); }
static inline double wasm_f64_trunc(double x) { return x != x ? x + x : trunc(x); }

/* Round half to even without consulting the FPU rounding mode: adding and
 * subtracting 2^23 (2^52) rounds to an integer in round-to-nearest-even, the
 * IEEE default every thread starts with and this engine never changes; values
 * that large are already integers. The sign is restored so -0.4 gives -0. */
static inline float wasm_f32_nearest(float x) {
  if (x != x) return x + x;
  float a = fabsf(x);
  if (a >= 8388608.0f) return x;
  volatile float t = a + 8388608.0f; /* volatile: keep the two roundings separate */
  float r = t - 8388608.0f;
  return copysignf(r, x);
}
static inline double wasm_f64_nearest(double x) {
  if (x != x) return x + x;
  double a = fabs(x);
  if (a >= 4503599627370496.0) return x;
  volatile double t = a + 4503599627370496.0;
  double r = t - 4503599627370496.0;
  return copysign(r, x);
}

/* ---- float -> int truncation ----
 * The range tests are written so that each bound is exactly representable in
 * the source type: x must satisfy lo < x < hi (exclusive) to convert. */
typedef enum wasm_trunc_result { WASM_TRUNC_OK, WASM_TRUNC_NAN, WASM_TRUNC_OVERFLOW } wasm_trunc_result;

#define WASM_TRUNC_CHECK(x, lo, hi) ((x) != (x) ? WASM_TRUNC_NAN : ((x) > (lo) && (x) < (hi)) ? WASM_TRUNC_OK : WASM_TRUNC_OVERFLOW)

static inline wasm_trunc_result wasm_i32_trunc_f32_s(float x, uint32_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -2147483904.0f, 2147483648.0f);
  if (r == WASM_TRUNC_OK) *out = (uint32_t)(int32_t)x;
  return r;
}
static inline wasm_trunc_result wasm_i32_trunc_f32_u(float x, uint32_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -1.0f, 4294967296.0f);
  if (r == WASM_TRUNC_OK) *out = (uint32_t)x;
  return r;
}
static inline wasm_trunc_result wasm_i32_trunc_f64_s(double x, uint32_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -2147483649.0, 2147483648.0);
  if (r == WASM_TRUNC_OK) *out = (uint32_t)(int32_t)x;
  return r;
}
static inline wasm_trunc_result wasm_i32_trunc_f64_u(double x, uint32_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -1.0, 4294967296.0);
  if (r == WASM_TRUNC_OK) *out = (uint32_t)x;
  return r;
}
static inline wasm_trunc_result wasm_i64_trunc_f32_s(float x, uint64_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -9223373136366403584.0f, 9223372036854775808.0f);
  if (r == WASM_TRUNC_OK) *out = (uint64_t)(int64_t)x;
  return r;
}
static inline wasm_trunc_result wasm_i64_trunc_f32_u(float x, uint64_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -1.0f, 18446744073709551616.0f);
  if (r == WASM_TRUNC_OK) *out = (uint64_t)x;
  return r;
}
static inline wasm_trunc_result wasm_i64_trunc_f64_s(double x, uint64_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -9223372036854777856.0, 9223372036854775808.0);
  if (r == WASM_TRUNC_OK) *out = (uint64_t)(int64_t)x;
  return r;
}
static inline wasm_trunc_result wasm_i64_trunc_f64_u(double x, uint64_t *out) {
  wasm_trunc_result r = WASM_TRUNC_CHECK(x, -1.0, 18446744073709551616.0);
  if (r == WASM_TRUNC_OK) *out = (uint64_t)x;
  return r;
}

/* Saturating forms: NaN gives 0, out of range clamps. */
#define WASM_SAT(name, ST, UT, fn, minv, maxv)                 \
  static inline UT name(ST x) {                                \
    UT v;                                                      \
    wasm_trunc_result r = fn(x, &v);                           \
    if (r == WASM_TRUNC_OK) return v;                          \
    if (r == WASM_TRUNC_NAN) return 0;                         \
    return x < 0 ? (UT)(minv) : (UT)(maxv);                    \
  }
WASM_SAT(wasm_i32_trunc_sat_f32_s, float, uint32_t, wasm_i32_trunc_f32_s, INT32_MIN, INT32_MAX)
WASM_SAT(wasm_i32_trunc_sat_f32_u, float, uint32_t, wasm_i32_trunc_f32_u, 0, UINT32_MAX)
WASM_SAT(wasm_i32_trunc_sat_f64_s, double, uint32_t, wasm_i32_trunc_f64_s, INT32_MIN, INT32_MAX)
WASM_SAT(wasm_i32_trunc_sat_f64_u, double, uint32_t, wasm_i32_trunc_f64_u, 0, UINT32_MAX)
WASM_SAT(wasm_i64_trunc_sat_f32_s, float, uint64_t, wasm_i64_trunc_f32_s, INT64_MIN, INT64_MAX)
WASM_SAT(wasm_i64_trunc_sat_f32_u, float, uint64_t, wasm_i64_trunc_f32_u, 0, UINT64_MAX)
WASM_SAT(wasm_i64_trunc_sat_f64_s, double, uint64_t, wasm_i64_trunc_f64_s, INT64_MIN, INT64_MAX)
WASM_SAT(wasm_i64_trunc_sat_f64_u, double, uint64_t, wasm_i64_trunc_f64_u, 0, UINT64_MAX)
#undef WASM_SAT

#endif /* TOVA_ENGINE_NUMERIC_H */
