/*
 * The native build of kernels.c for bench/kernels.js: `kernels-native NAME N
 * RUNS` calls kernel NAME(N) RUNS times and prints "<best ms> <checksum>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double nbody(int), spectral(int);
int fannkuch(int), mandel(int), qsort_k(int), hash_k(int), trees(int), vm(int), strwork(int);
uint32_t sha(int);
long long modpow(int);
float saxpy(int);

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s NAME N RUNS\n", argv[0]);
    return 2;
  }
  const char *k = argv[1];
  int n = atoi(argv[2]), runs = atoi(argv[3]);
  double best = 1e300;
  char out[64] = "";
  for (int r = 0; r < runs; r++) {
    double t0 = now_ms();
    if (!strcmp(k, "nbody")) snprintf(out, sizeof out, "%.17g", nbody(n));
    else if (!strcmp(k, "spectral")) snprintf(out, sizeof out, "%.17g", spectral(n));
    else if (!strcmp(k, "fannkuch")) snprintf(out, sizeof out, "%d", fannkuch(n));
    else if (!strcmp(k, "mandel")) snprintf(out, sizeof out, "%d", mandel(n));
    else if (!strcmp(k, "sha")) snprintf(out, sizeof out, "%d", (int32_t)sha(n));
    else if (!strcmp(k, "qsort")) snprintf(out, sizeof out, "%d", qsort_k(n));
    else if (!strcmp(k, "hash")) snprintf(out, sizeof out, "%d", hash_k(n));
    else if (!strcmp(k, "trees")) snprintf(out, sizeof out, "%d", trees(n));
    else if (!strcmp(k, "vm")) snprintf(out, sizeof out, "%d", vm(n));
    else if (!strcmp(k, "modpow")) snprintf(out, sizeof out, "%lld", modpow(n));
    else if (!strcmp(k, "strwork")) snprintf(out, sizeof out, "%d", strwork(n));
    else if (!strcmp(k, "saxpy")) snprintf(out, sizeof out, "%.17g", (double)saxpy(n));
    else {
      fprintf(stderr, "no kernel %s\n", k);
      return 2;
    }
    double t = now_ms() - t0;
    if (t < best) best = t;
  }
  printf("%.1f %s\n", best, out);
  return 0;
}
