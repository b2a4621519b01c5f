/*
 * test_wasm_task_batch.c: tova_wasm_task_spawn_batch, whose runs of configs
 * with the same module and export are built in shared blocks
 * (runtime/wasm_task.h: wt_block):
 *   - runs longer than a block, runs of different exports side by side and
 *     single configs all spawn, run with their own arguments and give their
 *     own results, with distinct ids; the tasks outlive the caller's module
 *     reference (a block holds one for its tasks);
 *   - the `tova` imports a block resolves once work in each of its tasks;
 *   - a bad config in the middle of a run fails the whole batch, names that
 *     config, and spawns nothing (and leaks nothing: ASan);
 *   - runs with and without deadlines side by side: a task with a timeout
 *     keeps its deadline timer in its block (the stride makes room), the
 *     deadlines fire for the parked ones, are disarmed for the finished
 *     ones, and no task's values are overwritten by a neighbour's timer.
 */
#include <stdatomic.h>

#include "check.h"
#include "rt_test_util.h"
#include "tova.h"

/* batch.wat:
 * (module
 *   (import "tova" "chan_send" (func $send (param i32 i64) (result i32)))
 *   (memory 1)
 *   (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
 *   (func (export "add3") (param i32 i32 i32) (result i32)
 *     (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2)))
 *   (func (export "send") (param i32 i64) (result i32) (call $send (local.get 0) (local.get 1)))) */
static const uint8_t BATCH_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x14, 0x03, 0x60, 0x02, 0x7f, 0x7e, 0x01,
    0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x12,
    0x01, 0x04, 0x74, 0x6f, 0x76, 0x61, 0x09, 0x63, 0x68, 0x61, 0x6e, 0x5f, 0x73, 0x65, 0x6e, 0x64,
    0x00, 0x00, 0x03, 0x04, 0x03, 0x01, 0x02, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x15, 0x03,
    0x03, 0x61, 0x64, 0x64, 0x00, 0x01, 0x04, 0x61, 0x64, 0x64, 0x33, 0x00, 0x02, 0x04, 0x73, 0x65,
    0x6e, 0x64, 0x00, 0x03, 0x0a, 0x1d, 0x03, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x0a,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x20, 0x02, 0x6a, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x10, 0x00, 0x0b};

static tova_module *compile_batch(void) {
  tova_module *m = NULL;
  tova_error err;
  if (tova_module_compile(BATCH_WASM, sizeof BATCH_WASM, &m, &err) != TOVA_OK) {
    fprintf(stderr, "compile: %s\n", err.message);
    abort();
  }
  return m;
}

enum { N = 1000 };

/* Task i of the mixed batch: "add3" for i in [300, 305) and at 999 (a
 * single config after a run), "add" elsewhere. */
static bool is_add3(size_t i) { return (i >= 300 && i < 305) || i == N - 1; }

static void test_runs_and_blocks(void) {
  tova_runtime *rt = new_rt(2);
  tova_module *m = compile_batch();
  static tova_val args[N][3];
  static tova_wasm_task_config cfgs[N];
  static tova_wasm_task *out[N];
  latch done;
  latch_init(&done);
  for (size_t i = 0; i < N; i++) {
    bool three = is_add3(i);
    args[i][0].i32 = (int32_t)i;
    args[i][1].i32 = 7;
    args[i][2].i32 = 1000;
    cfgs[i] = (tova_wasm_task_config){.module = m, .func = three ? "add3" : "add",
                                      .func_len = three ? 4 : 3, .args = args[i],
                                      .nargs = three ? 3 : 2, .done = task_done_count, .userdata = &done};
  }
  size_t failed = 99;
  tova_error err;
  CHECK_EQ_I64(tova_wasm_task_spawn_batch(rt, N, cfgs, out, &failed, &err), TOVA_OK);
  CHECK_EQ_I64(failed, 0);
  tova_module_release(m); /* the tasks keep it alive */
  latch_wait(&done, N);
  int wrong = 0, same_id = 0;
  for (size_t i = 0; i < N; i++) {
    tova_functype ft;
    const tova_val *r = tova_wasm_task_results(out[i], &ft);
    int32_t want = (int32_t)i + 7 + (is_add3(i) ? 1000 : 0);
    if (tova_wasm_task_status(out[i], NULL) != TOVA_OK || ft.nparams != (is_add3(i) ? 3u : 2u) ||
        r[0].i32 != want)
      wrong++;
    if (i && tova_wasm_task_id(out[i]) == tova_wasm_task_id(out[i - 1])) same_id++;
  }
  CHECK_EQ_I64(wrong, 0);
  CHECK_EQ_I64(same_id, 0);
  for (size_t i = 0; i < N; i++) tova_wasm_task_release(out[i]);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

static void test_imports_of_a_block(void) {
  tova_runtime *rt = new_rt(2);
  tova_module *m = compile_batch();
  tova_chan_id ch;
  CHECK(tova_chan_create(N, &ch) == TOVA_OK);
  static tova_val args[N][2];
  static tova_wasm_task_config cfgs[N];
  static tova_wasm_task *out[N];
  latch done;
  latch_init(&done);
  for (size_t i = 0; i < N; i++) {
    args[i][0].i32 = (int32_t)ch;
    args[i][1].i64 = (int64_t)i;
    cfgs[i] = (tova_wasm_task_config){.module = m, .func = "send", .func_len = 4, .args = args[i],
                                      .nargs = 2, .done = task_done_count, .userdata = &done};
  }
  CHECK_EQ_I64(tova_wasm_task_spawn_batch(rt, N, cfgs, out, NULL, NULL), TOVA_OK);
  latch_wait(&done, N);
  int64_t sum = 0, v;
  int got = 0;
  while (tova_chan_try_recv(ch, &v) == TOVA_OK) {
    sum += v;
    got++;
  }
  CHECK_EQ_I64(got, N);
  CHECK_EQ_I64(sum, (int64_t)N * (N - 1) / 2);
  for (size_t i = 0; i < N; i++) {
    CHECK(tova_wasm_task_status(out[i], NULL) == TOVA_OK);
    tova_wasm_task_release(out[i]);
  }
  tova_chan_close(ch);
  tova_module_release(m);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

static void test_bad_config_inside_a_run(void) {
  tova_runtime *rt = new_rt(2);
  tova_module *m = compile_batch();
  static tova_val args[N][2];
  static tova_wasm_task_config cfgs[N];
  static tova_wasm_task *out[N];
  latch done;
  latch_init(&done);
  for (size_t i = 0; i < N; i++)
    cfgs[i] = (tova_wasm_task_config){.module = m, .func = "add", .func_len = 3, .args = args[i],
                                      .nargs = 2, .done = task_done_count, .userdata = &done};
  cfgs[700].nargs = 1; /* deep inside the run, past several blocks */
  size_t failed = 0;
  tova_error err;
  CHECK_EQ_I64(tova_wasm_task_spawn_batch(rt, N, cfgs, out, &failed, &err), TOVA_ERR_BAD_ARGUMENT);
  CHECK_EQ_I64(failed, 700);
  CHECK_STR_CONTAINS(err.message, "takes 2 argument");
  int left = 0;
  for (size_t i = 0; i < N; i++) left += out[i] != NULL;
  CHECK_EQ_I64(left, 0);
  CHECK(!tova_runtime_wasm_active(rt));
  /* The first config of a run can fail too. */
  cfgs[700].nargs = 2;
  cfgs[0].func = "nope";
  cfgs[0].func_len = 4;
  CHECK_EQ_I64(tova_wasm_task_spawn_batch(rt, N, cfgs, out, &failed, &err), TOVA_ERR_NOT_FOUND);
  CHECK_EQ_I64(failed, 0);
  tova_runtime_free(rt);
  CHECK_EQ_I64(latch_get(&done), 0); /* nothing ran */
  tova_module_release(m);
  latch_destroy(&done);
}

static void test_deadlines_in_blocks(void) {
  enum { R = 200 };
  tova_runtime *rt = new_rt(2);
  tova_module *m = compile_batch();
  tova_chan_id ch;
  CHECK_EQ_I64(tova_chan_create(0, &ch), TOVA_OK); /* no receiver: a send parks */
  static tova_val args[3 * R][2];
  static tova_wasm_task_config cfgs[3 * R];
  static tova_wasm_task *out[3 * R];
  latch done;
  latch_init(&done);
  /* [0, R): send with a 30 ms deadline (parks, times out); [R, 2R): add,
   * no deadline; [2R, 3R): add with a one-minute deadline (finishes first). */
  for (size_t i = 0; i < 3 * R; i++) {
    bool send = i < R;
    if (send) {
      args[i][0].i32 = (int32_t)ch;
      args[i][1].i64 = (int64_t)i;
    } else {
      args[i][0].i32 = (int32_t)i;
      args[i][1].i32 = 5;
    }
    cfgs[i] = (tova_wasm_task_config){.module = m, .func = send ? "send" : "add",
                                      .func_len = send ? 4 : 3, .args = args[i], .nargs = 2,
                                      .timeout_ms = i < R ? 30 : i < 2 * R ? 0 : 60000,
                                      .done = task_done_count, .userdata = &done};
  }
  tova_error err;
  CHECK_EQ_I64(tova_wasm_task_spawn_batch(rt, 3 * R, cfgs, out, NULL, &err), TOVA_OK);
  latch_wait(&done, 3 * R);
  int wrong = 0;
  for (size_t i = 0; i < 3 * R; i++) {
    tova_status st = tova_wasm_task_status(out[i], NULL);
    if (i < R) {
      if (st != TOVA_ERR_TIMEOUT) wrong++;
    } else if (st != TOVA_OK || tova_wasm_task_results(out[i], NULL)[0].i32 != (int32_t)i + 5) {
      wrong++;
    }
  }
  CHECK_EQ_I64(wrong, 0);
  for (size_t i = 0; i < 3 * R; i++) tova_wasm_task_release(out[i]);
  tova_chan_close(ch);
  tova_module_release(m);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

int main(void) {
  RUN(test_runs_and_blocks);
  RUN(test_imports_of_a_block);
  RUN(test_bad_config_inside_a_run);
  RUN(test_deadlines_in_blocks);
  return CHECK_DONE();
}
