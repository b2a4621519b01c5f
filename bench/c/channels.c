/* channels.c: the programs of bench/parking.js through the C API alone (no
 * JS, no addon), so a channel or scheduler change can be measured, and its
 * instructions counted, without JS in the way.
 *
 *   build-bench/bench_channels WASM [WORKERS] [N] [ONLY]
 *
 * WASM is bench/wasm/out/parking.wasm (bench/lib/wasm.js builds it from
 * parking.wat). Prints one line per scenario: "name ms msgs_per_s check". Each
 * ONLY runs just the scenarios whose name contains it. Each
 * scenario's result is checked against its closed form; a wrong sum exits 1. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tova.h"

static atomic_int pending;

static void on_done(tova_wasm_task *t, void *ud) {
  (void)t;
  (void)ud;
  atomic_fetch_sub(&pending, 1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap(void) {
  struct timespec ts = {0, 200000};
  nanosleep(&ts, NULL);
}

#define MAX_TASKS 16

typedef struct scenario {
  const char *name;
  int ntasks;
  const char *func[MAX_TASKS];
  tova_val args[MAX_TASKS][5];
  size_t nargs[MAX_TASKS];
} scenario;

/* Runs the tasks to completion; returns the elapsed ms, results in res. */
static double run(tova_runtime *rt, tova_module *m, const scenario *s, int64_t *res) {
  tova_wasm_task_config cfg[MAX_TASKS];
  tova_wasm_task *tasks[MAX_TASKS];
  memset(cfg, 0, sizeof cfg);
  for (int i = 0; i < s->ntasks; i++)
    cfg[i] = (tova_wasm_task_config){.module = m,
                                     .func = s->func[i],
                                     .func_len = strlen(s->func[i]),
                                     .args = s->args[i],
                                     .nargs = s->nargs[i],
                                     .done = on_done};
  atomic_store(&pending, s->ntasks);
  tova_error err;
  double t0 = now_ms();
  if (tova_wasm_task_spawn_batch(rt, (size_t)s->ntasks, cfg, tasks, NULL, &err) != TOVA_OK) {
    fprintf(stderr, "%s: spawn: %s\n", s->name, err.message);
    exit(1);
  }
  while (atomic_load(&pending) > 0) nap();
  double ms = now_ms() - t0;
  for (int i = 0; i < s->ntasks; i++) {
    if (tova_wasm_task_status(tasks[i], NULL) != TOVA_OK) {
      fprintf(stderr, "%s: task %d failed\n", s->name, i);
      exit(1);
    }
    res[i] = tova_wasm_task_results(tasks[i], NULL)[0].i64;
    tova_wasm_task_release(tasks[i]);
  }
  return ms;
}

static tova_chan_id chan(uint32_t cap) {
  tova_chan_id id;
  if (tova_chan_create(cap, &id) != TOVA_OK) exit(1);
  return id;
}

/* One task: `types` gives each argument's type ('i' i32, 'I' i64). */
static void task(scenario *s, const char *func, const char *types, ...) {
  int i = s->ntasks++;
  s->func[i] = func;
  s->nargs[i] = strlen(types);
  va_list ap;
  va_start(ap, types);
  for (size_t a = 0; a < s->nargs[i]; a++) {
    int64_t v = va_arg(ap, int64_t);
    if (types[a] == 'i')
      s->args[i][a].i32 = (int32_t)v;
    else
      s->args[i][a].i64 = v;
  }
  va_end(ap);
}

static int64_t tri(int64_t n) { return n * (n - 1) / 2; } /* 0 + 1 + ... + n-1 */

static const char *only;
static bool wanted(const char *name) { return !only || strstr(name, only); }

static int report(const char *name, double ms, int64_t msgs, int64_t got, int64_t want) {
  printf("%-22s %8.1f ms %7.2fM msg/s %s\n", name, ms, msgs / ms / 1e3,
         got == want ? "ok" : "WRONG");
  return got == want ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s parking.wasm [workers] [n]\n", argv[0]);
    return 2;
  }
  uint32_t workers = argc > 2 ? (uint32_t)atoi(argv[2]) : 0;
  int64_t n = argc > 3 ? atoll(argv[3]) : 1000000;
  only = argc > 4 ? argv[4] : NULL;
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  static uint8_t bytes[1 << 16];
  size_t len = fread(bytes, 1, sizeof bytes, f);
  fclose(f);
  tova_module *m = NULL;
  tova_error err;
  if (tova_module_compile(bytes, len, &m, &err) != TOVA_OK) {
    fprintf(stderr, "compile: %s\n", err.message);
    return 1;
  }
  tova_runtime_config rc = {.workers = workers};
  tova_runtime *rt = NULL;
  if (tova_runtime_new(&rc, &rt) != TOVA_OK) return 1;
  int64_t res[MAX_TASKS];
  int bad = 0;
  for (uint32_t cap = 1024;; cap = 0) {
    scenario s = {.name = cap ? "pipe, capacity 1024" : "pipe, capacity 0"};
    if (!wanted(s.name)) {
      if (!cap) break;
      continue;
    }
    tova_chan_id c = chan(cap);
    task(&s, "producer", "iI", (int64_t)c, n);
    task(&s, "consumer", "iI", (int64_t)c, n);
    double ms = run(rt, m, &s, res);
    bad |= report(s.name, ms, n, res[1], tri(n));
    tova_chan_close(c);
    if (!cap) break;
  }
  {
    scenario s = {.name = "ping-pong"};
    if (wanted(s.name)) {
      tova_chan_id a = chan(0), b = chan(0);
      int64_t k = n / 10;
      task(&s, "ping", "iiI", (int64_t)a, (int64_t)b, k);
      task(&s, "pong", "iiI", (int64_t)a, (int64_t)b, k);
      double ms = run(rt, m, &s, res);
      bad |= report(s.name, ms, k, res[0], tri(k + 1));
    }
  }
  {
    scenario s = {.name = "fan-in 8 -> 1"};
    if (wanted(s.name)) {
      tova_chan_id c = chan(1024);
      for (int p = 0; p < 8; p++) task(&s, "producer", "iI", (int64_t)c, n / 8);
      task(&s, "consumer", "iI", (int64_t)c, n / 8 * 8);
      double ms = run(rt, m, &s, res);
      bad |= report(s.name, ms, n, res[8], 8 * tri(n / 8));
    }
  }
  {
    scenario s = {.name = "fan-out 1 -> 4"};
    if (wanted(s.name)) {
      tova_chan_id c = chan(1024);
      task(&s, "producer", "iI", (int64_t)c, n / 4 * 4);
      for (int k = 0; k < 4; k++) task(&s, "consumer", "iI", (int64_t)c, n / 4);
      double ms = run(rt, m, &s, res);
      bad |= report(s.name, ms, n, res[1] + res[2] + res[3] + res[4], tri(n / 4 * 4));
    }
  }
  {
    scenario s = {.name = "select over 4"};
    if (wanted(s.name)) {
      tova_chan_id c[4];
      for (int k = 0; k < 4; k++) {
        c[k] = chan(1024);
        task(&s, "producer", "iI", (int64_t)c[k], n / 4);
      }
      task(&s, "select4", "iiiiI", (int64_t)c[0], (int64_t)c[1], (int64_t)c[2], (int64_t)c[3],
           n / 4 * 4);
      double ms = run(rt, m, &s, res);
      bad |= report(s.name, ms, n, res[4], 4 * tri(n / 4));
    }
  }
  tova_runtime_free(rt);
  tova_module_release(m);
  return bad;
}
