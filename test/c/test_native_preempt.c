/*
 * test_native_preempt.c: native code stopped by the preemption signal
 * (src/engine/native/preempt.h) rather than by polls in its loops.
 *
 * Each test hangs (and the ctest timeout fails it) if a stop is lost: a loop
 * with no call, one that calls a helper every iteration (the signal often
 * lands in C, and the helper's stop point must catch it), recursion, an
 * interrupt set before the call, many stops in a row on one thread (a
 * signal left blocked after the first unwind would lose the second), and on
 * threads that come and go (their records are reused), tasks on the
 * runtime's workers (deadlines, cancels, the runtime's end). Also: the handlers
 * that had the signal before us, or took it after us, still get it.
 * Under ThreadSanitizer, or with TOVA_NATIVE_PREEMPT=poll, the same tests
 * run against the polling code.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "test_interp_builder.h"

#ifdef TOVA_HAVE_NATIVE
#include "engine/native/native.h"
#include "engine/native/preempt.h"

static tova_module *module;
static tova_instance *inst;
static tova_store *store;

static void build(mod *m) {
  uint32_t t_v = mod_type(m, "", "");
  uint32_t t_II = mod_type(m, "I", "I");
  mod_memory(m, 1, 1);
  wb b = {0};
  /* 0 spin: loop br 0 */
  e_block(&b, WASM_OP_LOOP, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_v, "", &b, "spin");
  wb_free(&b);
  /* 1 fillspin: loop { memory.fill(0, 1, 65536); br 0 } (a helper call) */
  e_block(&b, WASM_OP_LOOP, 0);
  e_i32(&b, 0);
  e_i32(&b, 1);
  e_i32(&b, 65536);
  e_fc(&b, 11); /* memory.fill */
  wb_byte(&b, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_v, "", &b, "fillspin");
  wb_free(&b);
  /* 2 fib(n) */
  e_fib_i64(&b, 2);
  mod_func(m, t_II, "", &b, "fib");
  wb_free(&b);
  /* 3 countdown(n): while n != 0: n -= 1; then 7 */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I64_EQZ);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 0);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_SUB);
  e_set(&b, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_i64(&b, 7);
  mod_func(m, t_II, "", &b, "countdown");
  wb_free(&b);
}

static tova_func *func(const char *name) {
  tova_extern ext;
  if (tova_instance_export(inst, name, &ext) != TOVA_OK || ext.kind != TOVA_EXTERN_FUNC) return NULL;
  return ext.of.func;
}

typedef struct call {
  tova_exec *ex;
  const char *name;
  int64_t arg;
  tova_status st;
  int64_t result;
  _Atomic int started;
} call;

static void *run_call(void *p) {
  call *c = p;
  tova_val a = {.i64 = c->arg}, r = {0};
  tova_error err = {0};
  atomic_store(&c->started, 1);
  c->st = tova_exec_call(c->ex, func(c->name), &a, &r, &err);
  c->result = r.i64;
  return NULL;
}

static void nap_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

/* Runs name(arg) on a thread of its own and interrupts it after `us`. */
static tova_status stop_after(tova_exec *ex, const char *name, int64_t arg, long us) {
  call c = {.ex = ex, .name = name, .arg = arg};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, run_call, &c) == 0);
  while (!atomic_load(&c.started)) nap_us(50);
  nap_us(us);
  tova_exec_interrupt(ex);
  pthread_join(th, NULL);
  tova_exec_clear_interrupt(ex);
  return c.st;
}

static void test_mode(void) {
  const char *mode = getenv("TOVA_NATIVE_PREEMPT");
  bool want = !(mode && strcmp(mode, "poll") == 0);
#if defined(__SANITIZE_THREAD__)
  want = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  want = false;
#endif
#endif
#if !((defined(__linux__) || defined(__APPLE__)) && (defined(__x86_64__) || defined(__aarch64__)))
  want = false;
#endif
  fprintf(stderr, "  preemption by signal: %s\n", wasm_native_preempt_active() ? "yes" : "no (polls)");
  CHECK_EQ_I64(wasm_native_preempt_active(), want);
  CHECK(wasm_native_func_is_native(module, 0));
  CHECK(wasm_native_func_is_native(module, 1));
}

/* Many stops in a row, each at a different moment, on one execution. */
static void test_loops_stop_every_time(void) {
  tova_exec *ex = tova_exec_new(0);
  for (int i = 0; i < 60; i++) CHECK_EQ_I64(stop_after(ex, "spin", 0, (i % 7) * 300), TOVA_ERR_CANCELLED);
  for (int i = 0; i < 30; i++)
    CHECK_EQ_I64(stop_after(ex, "fillspin", 0, (i % 5) * 400), TOVA_ERR_CANCELLED);
  CHECK_EQ_I64(stop_after(ex, "fib", 60, 2000), TOVA_ERR_CANCELLED);
  /* Still usable, and finite loops finish. */
  tova_val a = {.i64 = 1000000}, r = {0};
  tova_error err = {0};
  CHECK_EQ_I64(tova_exec_call(ex, func("countdown"), &a, &r, &err), TOVA_OK);
  CHECK_EQ_I64(r.i64, 7);
  tova_exec_free(ex);
}

/* The same thread stops many times: run on this thread, interrupted from
 * another (a signal left blocked by the handler's unwind would hang here). */
static void *interrupt_soon(void *p) {
  nap_us(500);
  tova_exec_interrupt(p);
  return NULL;
}

static void test_same_thread_many_times(void) {
  tova_exec *ex = tova_exec_new(0);
  for (int i = 0; i < 40; i++) {
    pthread_t th;
    CHECK(pthread_create(&th, NULL, interrupt_soon, ex) == 0);
    tova_error err = {0};
    CHECK_EQ_I64(tova_exec_call(ex, func("spin"), NULL, NULL, &err), TOVA_ERR_CANCELLED);
    pthread_join(th, NULL);
    tova_exec_clear_interrupt(ex);
  }
  tova_exec_free(ex);
}

static void test_interrupt_before_the_call(void) {
  tova_exec *ex = tova_exec_new(0);
  tova_exec_interrupt(ex);
  tova_error err = {0};
  CHECK_EQ_I64(tova_exec_call(ex, func("spin"), NULL, NULL, &err), TOVA_ERR_CANCELLED);
  tova_exec_clear_interrupt(ex);
  tova_exec_free(ex);
}

/* Threads that ran native code exit; their records are reused by new ones. */
static void *count_once(void *p) {
  tova_exec *ex = tova_exec_new(0);
  tova_val a = {.i64 = 1000}, r = {0};
  tova_error err = {0};
  *(tova_status *)p = tova_exec_call(ex, func("countdown"), &a, &r, &err);
  tova_exec_free(ex);
  return NULL;
}

static void test_threads_come_and_go(void) {
  for (int i = 0; i < 50; i++) {
    tova_status st = TOVA_ERR_TRAP;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, count_once, &st) == 0);
    pthread_join(th, NULL);
    CHECK_EQ_I64(st, TOVA_OK);
  }
  tova_exec *ex = tova_exec_new(0);
  for (int i = 0; i < 10; i++) CHECK_EQ_I64(stop_after(ex, "spin", 0, 200), TOVA_ERR_CANCELLED);
  tova_exec_free(ex);
}

/* Handlers of SIGURG around ours. */
static _Atomic int before_count, after_count;
static void before_handler(int sig) { (void)sig; atomic_fetch_add(&before_count, 1); }
static void after_handler(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)si, (void)uc;
  atomic_fetch_add(&after_count, 1);
}

static void test_other_handlers_still_called(void) {
  if (!wasm_native_preempt_active()) return;
  /* The one installed before the runtime's (main, before compiling). */
  int b0 = atomic_load(&before_count);
  raise(SIGURG);
  CHECK_EQ_I64(atomic_load(&before_count), b0 + 1);
  /* One installed over ours: the next interrupt puts ours back in front,
   * and a signal not meant for native code reaches it through ours. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = after_handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGURG, &sa, NULL) == 0);
  tova_exec *ex = tova_exec_new(0);
  CHECK_EQ_I64(stop_after(ex, "spin", 0, 1000), TOVA_ERR_CANCELLED);
  tova_exec_free(ex);
  struct sigaction cur;
  CHECK(sigaction(SIGURG, NULL, &cur) == 0);
  CHECK(cur.sa_sigaction != after_handler);
  int a0 = atomic_load(&after_count);
  raise(SIGURG);
  CHECK_EQ_I64(atomic_load(&after_count), a0 + 1);
}

/* Through the runtime: many native tasks on the workers, each stopped by
 * its deadline or by a cancel from this thread at a moment of its own, then
 * spinning tasks at the runtime's end (shutdown). */
static _Atomic int ended;
static void on_end(tova_wasm_task *t, void *ud) {
  (void)t, (void)ud;
  atomic_fetch_add(&ended, 1);
}

static void test_runtime_tasks_stop(void) {
  tova_runtime *rt = NULL;
  CHECK_EQ_I64(tova_runtime_new(NULL, &rt), TOVA_OK);
  if (!rt) return;
  enum { N = 120 };
  tova_wasm_task_config cfg[N];
  tova_wasm_task *tasks[N];
  memset(cfg, 0, sizeof cfg);
  for (int i = 0; i < N; i++) {
    const char *fn = i % 2 ? "fillspin" : "spin";
    cfg[i] = (tova_wasm_task_config){.module = module, .func = fn, .func_len = strlen(fn),
                                     .timeout_ms = i % 3 == 0 ? 0 : 1 + i % 7, .done = on_end};
  }
  atomic_store(&ended, 0);
  tova_error err = {0};
  CHECK_EQ_I64(tova_wasm_task_spawn_batch(rt, N, cfg, tasks, NULL, &err), TOVA_OK);
  /* Every third has no deadline: cancelled from here, one after the other. */
  for (int i = 0; i < N; i += 3) {
    nap_us(200 + (i % 5) * 300);
    tova_wasm_task_cancel(tasks[i], TOVA_ERR_CANCELLED);
  }
  while (atomic_load(&ended) < N) nap_us(500);
  for (int i = 0; i < N; i++) {
    tova_status st = tova_wasm_task_status(tasks[i], NULL);
    CHECK_EQ_I64(st, i % 3 == 0 ? TOVA_ERR_CANCELLED : TOVA_ERR_TIMEOUT);
    tova_wasm_task_release(tasks[i]);
  }
  /* Spinning at the end: the runtime's end stops them (this returns). */
  for (int i = 0; i < 4; i++) {
    tova_wasm_task_config c = {.module = module, .func = "spin", .func_len = 4};
    tova_wasm_task *t = NULL;
    CHECK_EQ_I64(tova_wasm_task_spawn(rt, &c, &t, &err), TOVA_OK);
    if (t) tova_wasm_task_release(t);
  }
  nap_us(5000);
  tova_runtime_free(rt);
}

int main(void) {
  /* A handler that was there first (the embedder's). */
  signal(SIGURG, before_handler);
  mod m = {0};
  build(&m);
  module = compile_mod(&m);
  CHECK(module != NULL);
  if (!module) return CHECK_DONE();
  wasm_native_compile_module(module);
  tova_error err = {0};
  store = tova_store_new(NULL);
  CHECK_EQ_I64(tova_instance_new(store, module, NULL, 0, &inst, &err), TOVA_OK);
  RUN(test_mode);
  RUN(test_interrupt_before_the_call);
  RUN(test_loops_stop_every_time);
  RUN(test_same_thread_many_times);
  RUN(test_threads_come_and_go);
  RUN(test_other_handlers_still_called);
  RUN(test_runtime_tasks_stop);
  tova_store_free(store);
  tova_module_release(module);
  return CHECK_DONE();
}

#else

int main(void) {
  printf("test_native_preempt: no native tier in this build (LLVM not found)\n");
  return CHECK_DONE();
}

#endif
