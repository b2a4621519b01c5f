/* spawn.c: spawning many short WebAssembly tasks through the C API, the way
 * the addon spawns a concurrentWasm batch (tova_wasm_task_spawn_batch, 256
 * configs per call, each task's arguments and result in caller arrays), with
 * no JS in the way: the runtime's share of bench/parking.js's last row.
 *
 *   build-bench/bench_spawn [N [REPS]]          (default 200000 tasks, 3 reps)
 *
 * Prints one line per rep: "spawn=N ms=T per_s=R check=C" (C = the sum of
 * the results, checked against the expected sum). Deterministic enough for
 * callgrind: `valgrind --tool=callgrind build-bench/bench_spawn 20000 1`.
 * The module has the shape of bench/wasm/parking.wat: three `tova` imports
 * and a one-page memory, and its export add(a, b) = a + b stores nothing. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tova.h"

/* (module
 *   (import "tova" "chan_send" (func (param i32 i64) (result i32)))
 *   (import "tova" "chan_receive" (func (param i32) (result i64)))
 *   (import "tova" "select" (func (param i32 i32 i64) (result i32)))
 *   (memory 1)
 *   (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))) */
static const uint8_t MODULE[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x19, 0x04, 0x60, 0x02, 0x7f, 0x7e, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x60, 0x03, 0x7f, 0x7f, 0x7e, 0x01, 0x7f, 0x60, 0x02, 0x7f,
    0x7f, 0x01, 0x7f, 0x02, 0x34, 0x03, 0x04, 0x74, 0x6f, 0x76, 0x61, 0x09, 0x63, 0x68, 0x61, 0x6e,
    0x5f, 0x73, 0x65, 0x6e, 0x64, 0x00, 0x00, 0x04, 0x74, 0x6f, 0x76, 0x61, 0x0c, 0x63, 0x68, 0x61,
    0x6e, 0x5f, 0x72, 0x65, 0x63, 0x65, 0x69, 0x76, 0x65, 0x00, 0x01, 0x04, 0x74, 0x6f, 0x76, 0x61,
    0x06, 0x73, 0x65, 0x6c, 0x65, 0x63, 0x74, 0x00, 0x02, 0x03, 0x02, 0x01, 0x03, 0x05, 0x03, 0x01,
    0x00, 0x01, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x03, 0x0a, 0x09, 0x01, 0x07, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b};

#define CHUNK 256

static atomic_size_t left;

static void on_done(tova_wasm_task *t, void *ud) {
  (void)t;
  (void)ud;
  atomic_fetch_sub(&left, 1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
  int reps = argc > 2 ? atoi(argv[2]) : 3;
  if (n == 0 || reps <= 0) {
    fprintf(stderr, "usage: bench_spawn [N [REPS]]\n");
    return 2;
  }
  tova_module *m = NULL;
  tova_runtime *rt = NULL;
  tova_error err;
  if (tova_module_compile(MODULE, sizeof MODULE, &m, &err) != TOVA_OK ||
      tova_runtime_new(NULL, &rt) != TOVA_OK) {
    fprintf(stderr, "bench_spawn: %s\n", err.message);
    return 1;
  }
  tova_val *args = calloc(2 * n, sizeof *args), *res = calloc(n, sizeof *res);
  if (!args || !res) return 1;
  for (size_t i = 0; i < n; i++) {
    args[2 * i].i32 = (int32_t)i;
    args[2 * i + 1].i32 = (int32_t)i;
  }
  int failed = 0;
  for (int r = 0; r < reps && !failed; r++) {
    memset(res, 0, n * sizeof *res);
    atomic_store(&left, n);
    double t0 = now_ms();
    tova_wasm_task_config cfgs[CHUNK];
    tova_wasm_task *tasks[CHUNK];
    for (size_t lo = 0; lo < n; lo += CHUNK) {
      size_t k = n - lo < CHUNK ? n - lo : CHUNK;
      for (size_t i = 0; i < k; i++)
        cfgs[i] = (tova_wasm_task_config){.module = m, .func = "add", .func_len = 3, .done = on_done,
                                          .nrows = 1, .rows_args = args + 2 * (lo + i),
                                          .rows_results = res + lo + i};
      if (tova_wasm_task_spawn_batch(rt, k, cfgs, tasks, NULL, &err) != TOVA_OK) {
        fprintf(stderr, "bench_spawn: %s\n", err.message);
        return 1;
      }
      for (size_t i = 0; i < k; i++) tova_wasm_task_release(tasks[i]);
    }
    while (atomic_load(&left)) {
      struct timespec ts = {0, 50000};
      nanosleep(&ts, NULL);
    }
    double ms = now_ms() - t0;
    int64_t check = 0;
    for (size_t i = 0; i < n; i++) check += res[i].i32;
    failed = check != (int64_t)n * ((int64_t)n - 1);
    printf("spawn=%zu ms=%.1f per_s=%.0f check=%lld%s\n", n, ms, (double)n / ms * 1e3,
           (long long)check, failed ? " WRONG" : "");
  }
  free(args);
  free(res);
  tova_runtime_free(rt);
  tova_module_release(m);
  return failed;
}
