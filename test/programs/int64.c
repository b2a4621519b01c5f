/* int64.c: 64-bit integer arithmetic: multiply, divide, remainder (signed
 * and unsigned), shifts and rotations, overflow of unsigned values, mixed
 * widths, and 64-bit printing. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t xorshift(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) {
  uint64_t r = 0;
  a %= m;
  while (b) {
    if (b & 1) r = (r + a) % m;
    a = (a * 2) % m;
    b >>= 1;
  }
  return r;
}
static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1;
  while (e) {
    if (e & 1) r = mulmod(r, b, m);
    b = mulmod(b, b, m);
    e >>= 1;
  }
  return r;
}

int main(void) {
  uint64_t s = 88172645463325252ull;
  uint64_t acc = 0;
  int64_t sacc = 0;
  for (int i = 0; i < 100000; i++) {
    uint64_t a = xorshift(&s), b = xorshift(&s) | 1;
    int64_t sa = (int64_t)a, sb = (int64_t)(b >> (i % 63));
    if (sb == 0) sb = 7;
    acc += a / b + a % b + (a * b) + rotl(a, i % 64) + (a >> (i % 64));
    sacc ^= sa / sb + sa % sb + (sa >> (i % 64)) + (int64_t)(int32_t)a * (int64_t)(int32_t)b;
  }
  printf("acc %" PRIu64 " %" PRIx64 "\n", acc, acc);
  printf("sacc %" PRId64 "\n", sacc);
  printf("min %" PRId64 " max %" PRId64 " umax %" PRIu64 "\n", INT64_MIN, INT64_MAX, UINT64_MAX);
  printf("min/-1 guarded %" PRId64 "\n", INT64_MIN / 2 / -1);
  printf("-7/2 %" PRId64 " -7%%2 %" PRId64 " 7/-2 %" PRId64 " 7%%-2 %" PRId64 "\n", (int64_t)-7 / 2,
         (int64_t)-7 % 2, (int64_t)7 / -2, (int64_t)7 % -2);
  /* Miller-Rabin over 64-bit values. */
  uint64_t primes = 0, last = 0;
  for (uint64_t n = 1000000000000000000ull; n < 1000000000000000000ull + 2000; n++) {
    if (n % 2 == 0) continue;
    uint64_t d = n - 1;
    int r = 0;
    while (d % 2 == 0) { d /= 2; r++; }
    static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    int prime = 1;
    for (int k = 0; k < 12 && prime; k++) {
      uint64_t x = powmod(bases[k], d, n);
      if (x == 1 || x == n - 1) continue;
      int comp = 1;
      for (int j = 1; j < r && comp; j++) {
        x = mulmod(x, x, n);
        if (x == n - 1) comp = 0;
      }
      if (comp) prime = 0;
    }
    if (prime) { primes++; last = n; }
  }
  printf("primes above 1e18: %" PRIu64 ", last %" PRIu64 "\n", primes, last);
  uint32_t lo = (uint32_t)acc, hi = (uint32_t)(acc >> 32);
  printf("halves %u %u clz %d ctz %d pop %d\n", lo, hi, __builtin_clzll(acc | 1),
         __builtin_ctzll(acc | (1ull << 63)), __builtin_popcountll(acc));
  return (int)(acc % 50);
}
