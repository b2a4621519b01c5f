/* parked.c: what a WebAssembly task parked on a channel costs, and how fast
 * tasks are spawned and ended: N tasks each blocked in tova.chan_receive on a
 * channel of its own, RSS per parked task, then all released.
 *
 *   build-bench/bench_parked [N]          (bench/run.sh builds it)
 *   build-bench/bench_parked N module.wasm export
 *
 * Prints "parked=N ms_to_park=... bytes_per_task=... ms_to_release=... check=...".
 * The module is built here in a few bytes: one import, one export, no memory;
 * or it is the given module, whose export takes a channel (i32) and returns
 * an i64 received from it (bench/wasm/parking.wat's recv_one: a module with
 * more imports, functions and a memory). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tova.h"

/* (module (import "tova" "chan_receive" (func (param i32) (result i64)))
 *         (func (export "recv") (param i32) (result i64) local.get 0 call 0)) */
static const uint8_t MODULE[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7e, 0x02, 0x15, 0x01, 0x04, 't',  'o',  'v',  'a',  0x0c, 'c',  'h',  'a',  'n',  '_',
    'r',  'e',  'c',  'e',  'i',  'v',  'e',  0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08,
    0x01, 0x04, 'r',  'e',  'c',  'v',  0x00, 0x01, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00,
    0x10, 0x00, 0x0b};

static atomic_long done_count, sum;

static void on_done(tova_wasm_task *t, void *ud) {
  (void)ud;
  if (tova_wasm_task_status(t, NULL) == TOVA_OK) atomic_fetch_add(&sum, tova_wasm_task_results(t, NULL)[0].i64);
  atomic_fetch_add(&done_count, 1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * 4;
}

static void nap(void) {
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
}

/* The bytes of file `path` (malloc'd), or NULL. */
static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL &&
      fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)size;
  return buf;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  const char *func = argc > 3 ? argv[3] : "recv";
  size_t len = sizeof MODULE;
  uint8_t *bytes = argc > 3 ? read_file(argv[2], &len) : NULL;
  if (argc > 3 && !bytes) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 1;
  }
  tova_module *m = NULL;
  tova_error err;
  if (tova_module_compile(bytes ? bytes : MODULE, len, &m, &err) != TOVA_OK) {
    fprintf(stderr, "compile: %s\n", err.message);
    return 1;
  }
  tova_runtime *rt = NULL;
  if (tova_runtime_new(NULL, &rt) != TOVA_OK) return 1;
  tova_chan_id *ch = malloc((size_t)n * sizeof *ch);
  tova_wasm_task_config *cfg = calloc((size_t)n, sizeof *cfg);
  tova_val *args = calloc((size_t)n, sizeof *args);
  tova_wasm_task **tasks = calloc((size_t)n, sizeof *tasks);
  if (!ch || !cfg || !args || !tasks) return 1;
  for (long i = 0; i < n; i++) {
    if (tova_chan_create(0, &ch[i]) != TOVA_OK) return 1;
    args[i].i32 = (int32_t)ch[i];
    cfg[i] = (tova_wasm_task_config){.module = m, .func = func, .func_len = strlen(func), .args = &args[i],
                                     .nargs = 1, .done = on_done};
  }
  long rss0 = rss_kb();
  double t0 = now_ms();
  if (tova_wasm_task_spawn_batch(rt, (size_t)n, cfg, tasks, NULL, &err) != TOVA_OK) {
    fprintf(stderr, "spawn: %s\n", err.message);
    return 1;
  }
  while (tova_runtime_wasm_active(rt)) nap(); /* every task parked */
  double t1 = now_ms();
  long rss1 = rss_kb();
  for (long i = 0; i < n; i++)
    while (tova_chan_try_send(ch[i], 1) != TOVA_OK) nap(); /* succeeds: its task is parked */
  while (atomic_load(&done_count) < n) nap();
  double t2 = now_ms();
  printf("parked=%ld ms_to_park=%.1f bytes_per_task=%ld ms_to_release=%.1f check=%ld\n", n, t1 - t0,
         rss0 >= 0 && rss1 >= 0 ? (rss1 - rss0) * 1024 / n : -1, t2 - t1, atomic_load(&sum));
  for (long i = 0; i < n; i++) tova_wasm_task_release(tasks[i]);
  tova_runtime_free(rt);
  tova_module_release(m);
  free(bytes);
  return atomic_load(&sum) == n ? 0 : 1;
}
