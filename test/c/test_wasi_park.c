/* test_wasi_park.c: a WASI program run as a task that sleeps (poll_oneoff on
 * a clock alone) parks on the runtime's timer instead of holding its worker:
 * with one worker, another task runs to completion while it sleeps; the
 * sleep still returns its event; a cancel ends it; a sleep under a
 * millisecond (declined by the sleeper) still works on the thread. */
#include <string.h>
#include <time.h>

#include "check.h"
#include "rt_test_util.h"
#include "tova.h"

/* (module
 *   (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   ;; one subscription at 0: userdata 0x55, tag clock, clock id 1 (monotonic)
 *   (data (i32.const 0) "\55\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\01")
 *   ;; sleeps ns (relative); returns errno + 100 * nevents + 1000 * (event userdata == 0x55)
 *   (func (export "nap") (param $ns i64) (result i32) (local $e i32)
 *     (i64.store (i32.const 24) (local.get $ns))
 *     (local.set $e (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
 *     (i32.add (local.get $e)
 *       (i32.add (i32.mul (i32.load (i32.const 128)) (i32.const 100))
 *                (i32.mul (i64.eq (i64.load (i32.const 64)) (i64.const 0x55)) (i32.const 1000)))))
 *   (func (export "seven") (result i32) (i32.const 7)))   (wat2wasm) */
static const uint8_t NAP_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x03, 0x60,
    0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7e, 0x01, 0x7f,
    0x60, 0x00, 0x01, 0x7f, 0x02, 0x26, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69,
    0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72,
    0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0b, 0x70, 0x6f, 0x6c, 0x6c, 0x5f,
    0x6f, 0x6e, 0x65, 0x6f, 0x66, 0x66, 0x00, 0x00, 0x03, 0x03, 0x02, 0x01,
    0x02, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x18, 0x03, 0x06, 0x6d, 0x65,
    0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x6e, 0x61, 0x70, 0x00, 0x01,
    0x05, 0x73, 0x65, 0x76, 0x65, 0x6e, 0x00, 0x02, 0x0a, 0x3c, 0x02, 0x35,
    0x01, 0x01, 0x7f, 0x41, 0x18, 0x20, 0x00, 0x37, 0x03, 0x00, 0x41, 0x00,
    0x41, 0xc0, 0x00, 0x41, 0x01, 0x41, 0x80, 0x01, 0x10, 0x00, 0x21, 0x01,
    0x20, 0x01, 0x41, 0x80, 0x01, 0x28, 0x02, 0x00, 0x41, 0xe4, 0x00, 0x6c,
    0x41, 0xc0, 0x00, 0x29, 0x03, 0x00, 0x42, 0xd5, 0x00, 0x51, 0x41, 0xe8,
    0x07, 0x6c, 0x6a, 0x6a, 0x0b, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x0b, 0x17,
    0x01, 0x00, 0x41, 0x00, 0x0b, 0x11, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01
};

static tova_module *M;

/* Spawns nap(ns) with a WASI context of its own. */
static tova_wasm_task *spawn_nap(tova_runtime *rt, int64_t ns, latch *done) {
  tova_val arg = {.i64 = ns};
  tova_wasm_task_config cfg = {.module = M, .func = "nap", .func_len = 3, .args = &arg, .nargs = 1,
                               .done = task_done_count, .userdata = done, .wasi = tova_wasi_new()};
  tova_wasm_task *t = NULL;
  tova_error err;
  CHECK(cfg.wasi != NULL);
  CHECK(tova_wasm_task_spawn(rt, &cfg, &t, &err) == TOVA_OK);
  return t;
}

static void test_sleep_frees_the_worker(void) {
  tova_runtime *rt = new_rt(1);
  latch a_done, b_done;
  latch_init(&a_done);
  latch_init(&b_done);
  tova_wasm_task *a = spawn_nap(rt, 1500 * 1000000LL, &a_done);
  nap_ms(100); /* let it reach its sleep (if not, the check below holds anyway) */
  tova_wasm_task_config cfg = {.module = M, .func = "seven", .func_len = 5, .done = task_done_count,
                               .userdata = &b_done, .wasi = tova_wasi_new()};
  tova_wasm_task *b = NULL;
  tova_error err;
  if (tova_wasm_task_spawn(rt, &cfg, &b, &err) != TOVA_OK) {
    CHECK(!"spawn seven");
    return;
  }
  latch_wait(&b_done, 1);
  /* The only worker ran b while a sleeps: a thread-blocking sleep would have
   * finished a first. */
  CHECK_EQ_I64(latch_get(&a_done), 0);
  CHECK(tova_wasm_task_status(b, NULL) == TOVA_OK);
  CHECK_EQ_I64(tova_wasm_task_results(b, NULL)[0].i32, 7);
  latch_wait(&a_done, 1);
  CHECK(tova_wasm_task_status(a, &err) == TOVA_OK);
  CHECK_EQ_I64(tova_wasm_task_results(a, NULL)[0].i32, 1100); /* errno 0, one event, ours */
  tova_wasm_task_release(a);
  tova_wasm_task_release(b);
  tova_runtime_free(rt);
  latch_destroy(&a_done);
  latch_destroy(&b_done);
}

static void test_cancel_ends_the_sleep(void) {
  tova_runtime *rt = new_rt(1);
  latch done;
  latch_init(&done);
  tova_wasm_task *a = spawn_nap(rt, 3600LL * 1000000000LL, &done); /* an hour */
  nap_ms(50);
  tova_wasm_task_cancel(a, TOVA_ERR_CANCELLED);
  latch_wait(&done, 1);
  CHECK(tova_wasm_task_status(a, NULL) == TOVA_ERR_CANCELLED);
  tova_wasm_task_release(a);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

static void test_short_sleep_on_the_thread(void) {
  tova_runtime *rt = new_rt(1);
  latch done;
  latch_init(&done);
  tova_wasm_task *a = spawn_nap(rt, 200 * 1000LL, &done); /* 200 us: under the timer's unit */
  latch_wait(&done, 1);
  CHECK(tova_wasm_task_status(a, NULL) == TOVA_OK);
  CHECK_EQ_I64(tova_wasm_task_results(a, NULL)[0].i32, 1100);
  tova_wasm_task_release(a);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

int main(void) {
  tova_error err;
  CHECK(tova_module_compile(NAP_WASM, sizeof NAP_WASM, &M, &err) == TOVA_OK);
  RUN(test_sleep_frees_the_worker);
  RUN(test_cancel_ends_the_sleep);
  RUN(test_short_sleep_on_the_thread);
  tova_module_release(M);
  return CHECK_DONE();
}
