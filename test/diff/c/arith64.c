/* 64-bit and mixed-width integer arithmetic, divisions by constants and by
 * variables, rotations, and recursion. */
#include <stdint.h>

__attribute__((export_name("mix64"))) int64_t mix64(int64_t a, int64_t b) {
  uint64_t x = (uint64_t)a ^ 0x9e3779b97f4a7c15ull, y = (uint64_t)b;
  for (int i = 0; i < 24; i++) {
    x += y; y = (y << 13) | (y >> 51); y ^= x; x = (x << 32) | (x >> 32);
    x ^= x >> 7; y *= 0xff51afd7ed558ccdull;
  }
  return (int64_t)(x ^ y);
}

__attribute__((export_name("divs"))) int64_t divs(int64_t a, int64_t b) {
  int64_t r = a / 7 + a % 13 - (int64_t)((uint64_t)a / 1000003u);
  if (b != 0 && !(a == INT64_MIN && b == -1)) r += a / b + a % b;
  int32_t a32 = (int32_t)a, b32 = (int32_t)b;
  r += a32 / 3 + (uint32_t)a32 % 10u;
  if (b32 != 0 && !(a32 == INT32_MIN && b32 == -1)) r ^= a32 / b32;
  return r;
}

static uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int32_t ack(int32_t m, int32_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

__attribute__((export_name("recur"))) int64_t recur(int32_t a, int32_t b) {
  uint32_t n = (uint32_t)a % 22;
  return (int64_t)fib(n) * 1000 + ack(2, (b & 7));
}

__attribute__((export_name("bits"))) int32_t bits(int32_t a, int64_t b) {
  return __builtin_popcount((uint32_t)a) + __builtin_clzll((uint64_t)b | 1) * 3 +
         __builtin_ctz((uint32_t)a | 0x80000000u) * 7 + (int32_t)((int8_t)a) + (int16_t)(b >> 3);
}

__attribute__((export_name("collatz"))) int32_t collatz(int32_t a, int32_t lim) {
  uint64_t x = (uint32_t)a | 1;
  int32_t steps = 0;
  int32_t max = (lim & 1023) + 10;
  while (x != 1 && steps < max) { x = (x & 1) ? 3 * x + 1 : x >> 1; steps++; }
  return steps;
}
