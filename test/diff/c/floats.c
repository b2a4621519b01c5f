/* Floating point: arithmetic, conversions in both directions, comparisons,
 * and a small numeric kernel (no libm: what the compiler emits inline). */
#include <stdint.h>

__attribute__((export_name("poly"))) double poly(double x, int32_t n) {
  double acc = 0, p = 1;
  int k = (n & 15) + 1;
  for (int i = 0; i < k; i++) { acc += p / (double)(i + 1); p *= x * 0.5; }
  return acc;
}

__attribute__((export_name("conv"))) int64_t conv(float f, double d) {
  int64_t r = 0;
  if (f == f && f > -2e9f && f < 2e9f) r += (int32_t)f;
  if (d == d && d > -9e18 && d < 9e18) r += (int64_t)d;
  r += (int64_t)(float)(r * 3) + (int64_t)(double)(uint32_t)r;
  return r;
}

__attribute__((export_name("newton"))) double newton(double a, float b) {
  double x = a < 0 ? -a : a;
  if (x != x || x > 1e300) return 0;
  double g = x / 2 + 1;
  for (int i = 0; i < 30; i++) g = 0.5 * (g + x / g);
  return g + (double)b * 0.25f;
}

__attribute__((export_name("minmax"))) float minmax(float a, float b) {
  float m = a < b ? a : b, M = a > b ? a : b;
  return m * 2 - M + (a == b) + (float)(int)(a != a);
}

static float buf[32];
__attribute__((export_name("smooth"))) float smooth(float s, int32_t n) {
  for (int i = 0; i < 32; i++) buf[i] = s * (float)(i - 16) + (float)(n & 7);
  for (int r = 0; r < 4; r++)
    for (int i = 1; i < 31; i++) buf[i] = (buf[i - 1] + 2 * buf[i] + buf[i + 1]) * 0.25f;
  float t = 0;
  for (int i = 0; i < 32; i++) t += buf[i];
  return t;
}
