/*
 * main_loops.c: a C program whose work is its main's own loops (clang
 * inlines the helper): a sieve, then rounds of hashing into a table, then a
 * checksum. Such a main is called once, so the runtime reaches native code
 * for it only through on-stack replacement (docs/native-tier.md, "Quick OSR
 * entries"); bench/long-main.sh times it.
 *   main_loops N   (sieve bound N, N/8 hashes per round, 40 rounds)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t mix(uint32_t h, uint32_t v) {
  h ^= v;
  h *= 0x01000193u;
  return h;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000000;
  char *sieve = calloc((size_t)n + 1, 1);
  uint32_t *tab = calloc(1u << 16, sizeof *tab);
  if (!sieve || !tab) return 1;
  unsigned primes = 0;
  for (int i = 2; i <= n; i++) {
    if (sieve[i]) continue;
    primes++;
    for (long long j = (long long)i * i; j <= n; j += i) sieve[j] = 1;
  }
  uint32_t h = 2166136261u;
  for (int r = 0; r < 40; r++)
    for (int i = 0; i < n / 8; i++) {
      h = mix(h, (uint32_t)i * 2654435761u + (uint32_t)r);
      tab[h & 0xffff] += h >> 16;
    }
  uint64_t acc = 0;
  for (int i = 0; i < (1 << 16); i++) acc = acc * 31 + tab[i];
  printf("%u %08x %016llx\n", primes, h, (unsigned long long)acc);
  free(sieve);
  free(tab);
  return 0;
}
