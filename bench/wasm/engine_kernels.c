/*
 * engine_kernels.c: bench/engine.js's kernels (fib.wat, loop.wat, sieve.wat,
 * matmul.wat) in C, the same algorithm, types and order of floating-point
 * operations as the WebAssembly, for the native gcc -O2 column. Integer
 * arithmetic is unsigned where the WebAssembly wraps around.
 *
 *   engine_kernels KERNEL N RUNS    prints "BEST_MS RESULT" (best of RUNS)
 *
 * KERNEL: fib, sum_sq_mod, mix, sieve, matmul (the exports' names).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t fib(int64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int64_t sum_sq_mod(int64_t n) {
  uint64_t acc = 0;
  for (int64_t i = 0; i < n; i++) acc += ((uint64_t)i * (uint64_t)i) % 1000003u;
  return (int64_t)acc;
}

static int64_t mix(int64_t n64) {
  int32_t n = (int32_t)n64;
  uint32_t acc = 0;
  for (uint32_t i = 0; (int32_t)i < n; i++) acc = (acc + ((i * i) ^ (i >> 3))) ^ (acc >> 13);
  return (int64_t)acc;
}

/* sieve.wat's memory: 256 pages; n at most 16M as there. */
static uint8_t composite[16777216];

static int64_t sieve(int64_t n64) {
  uint32_t n = (uint32_t)n64;
  if ((int32_t)n < 2 || n > sizeof composite) return 0;
  memset(composite, 0, n);
  for (uint32_t i = 2; i * i <= n; i++)
    if (!composite[i])
      for (uint32_t j = i * i; j < n; j += i) composite[j] = 1;
  uint32_t count = 0;
  for (uint32_t i = 2; i < n; i++) count += !composite[i];
  return count;
}

static int64_t matmul(int64_t n64) {
  int32_t n = (int32_t)n64;
  if (n < 1 || n > 512) return 0;
  size_t nn = (size_t)n * (size_t)n;
  double *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
  if (!a || !b || !c) {
    fprintf(stderr, "engine_kernels: out of memory\n");
    exit(1);
  }
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++) {
      a[i * n + j] = (double)(int32_t)(((uint32_t)(i * 3 + j * 5)) % 17u) * 0.25 - 1.5;
      b[i * n + j] = (double)(int32_t)(((uint32_t)(i * 7 + j * 2)) % 13u) * 0.5 - 2.0;
    }
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++) {
      double sum = 0;
      for (int32_t k = 0; k < n; k++) sum = sum + a[i * n + k] * b[k * n + j];
      c[i * n + j] = sum;
    }
  double total = 0;
  for (size_t i = 0; i < nn; i++) total = total + c[i];
  free(a), free(b), free(c);
  return (int64_t)(total * 16);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int64_t (*fn)(int64_t);
  } kernels[] = {{"fib", fib}, {"sum_sq_mod", sum_sq_mod}, {"mix", mix}, {"sieve", sieve}, {"matmul", matmul}};
  if (argc != 4) {
    fprintf(stderr, "usage: engine_kernels KERNEL N RUNS\n");
    return 2;
  }
  int64_t (*fn)(int64_t) = NULL;
  for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
    if (!strcmp(argv[1], kernels[k].name)) fn = kernels[k].fn;
  if (!fn) {
    fprintf(stderr, "engine_kernels: no kernel %s\n", argv[1]);
    return 2;
  }
  int64_t n = strtoll(argv[2], NULL, 10);
  int runs = atoi(argv[3]);
  double best = 1e300;
  int64_t v = 0;
  for (int r = 0; r < (runs > 0 ? runs : 1); r++) {
    double t0 = now_ms();
    v = fn(n);
    double t = now_ms() - t0;
    if (t < best) best = t;
  }
  printf("%.3f %" PRId64 "\n", best, v);
  return 0;
}
