/* rt_test_util.h: small helpers shared by the runtime tests: a latch (wait
 * until a count is reached, without timing), a runtime
 * with n workers, a short nap, and waiting until every task is parked. */
#ifndef TOVA_RT_TEST_UTIL_H
#define TOVA_RT_TEST_UTIL_H

#include <pthread.h>
#include <string.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "tova.h"

/* Every test runs at its full size under ASan and TSan too (the sizes the
 * parking issue lists: a TSan run of the three runtime tests takes ~20 s). */

typedef struct latch {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int64_t count;
} latch;

static inline void latch_init(latch *l) {
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  l->count = 0;
}

static inline void latch_destroy(latch *l) {
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
}

static inline void latch_add(latch *l, int64_t n) {
  pthread_mutex_lock(&l->mu);
  l->count += n;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

/* Block until the count reaches at least target. */
static inline void latch_wait(latch *l, int64_t target) {
  pthread_mutex_lock(&l->mu);
  while (l->count < target) pthread_cond_wait(&l->cv, &l->mu);
  pthread_mutex_unlock(&l->mu);
}

static inline int64_t latch_get(latch *l) {
  pthread_mutex_lock(&l->mu);
  int64_t c = l->count;
  pthread_mutex_unlock(&l->mu);
  return c;
}

/* A WebAssembly task's done callback: counts the latch given as userdata. */
static inline void task_done_count(tova_wasm_task *t, void *latch_ud) {
  (void)t;
  latch_add(latch_ud, 1);
}

static inline void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A runtime with `workers` workers (0: one per core). */
static inline tova_runtime *new_rt(uint32_t workers) {
  tova_runtime *rt = NULL;
  tova_runtime_config cfg = {workers};
  CHECK(tova_runtime_new(&cfg, &rt) == TOVA_OK);
  return rt;
}

/* Until every live WebAssembly task of rt is parked on channels (polls the
 * runtime's own accounting: no timing assumption). A task's done callback
 * runs just before it stops counting as active, so an embedder never stops
 * waiting before it has the result. */
static inline void wait_all_blocked(tova_runtime *rt) {
  while (tova_runtime_wasm_active(rt)) nap_ms(1);
}

/* Spawn func of m with a latch counting its end; CHECKs that it spawned. */
static inline tova_wasm_task *spawn_wasm(tova_runtime *rt, tova_module *m, const char *func, const tova_val *args,
                                        uint32_t nargs, int64_t timeout_ms, latch *done) {
  tova_wasm_task_config cfg = {.module = m, .func = func, .func_len = strlen(func), .args = args,
                              .nargs = nargs, .timeout_ms = timeout_ms, .done = task_done_count,
                              .userdata = done};
  tova_wasm_task *t = NULL;
  tova_error err;
  tova_status st = tova_wasm_task_spawn(rt, &cfg, &t, &err);
  if (st != TOVA_OK) fprintf(stderr, "spawn %s: %s\n", func, err.message);
  CHECK(st == TOVA_OK);
  return t;
}


#endif
