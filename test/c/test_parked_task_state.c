/* test_parked_task_state.c: what a parked WebAssembly task keeps, kept small
 * (wasm_task.h, exec.h, store.c), still behaves:
 *   - one task waiting in every way in turn (its wait states share a union),
 *   - a task parked deep in a call chain (its stacks moved from inside the
 *     execution to the heap) resumes with every frame intact, with a
 *     deadline stored after odd-length names and values,
 *   - executions reused from task to task (inline, grown, trimmed) and
 *     stores sized from the previous instantiation of the module give the
 *     same results, also when two modules alternate,
 *   - a store created too small, exact or too big holds an instance alike,
 *   - host functions keep their signatures, shared between stores or not. */
#include <time.h>

#include "check.h"
#include "engine/store.h"
#include "rt_test_util.h"
#include "test_interp_builder.h"

static int64_t result_i64(tova_wasm_task *t) {
  tova_error err;
  if (tova_wasm_task_status(t, &err) != TOVA_OK) {
    fprintf(stderr, "task failed: %s\n", err.message);
    return INT64_MIN + 1;
  }
  return tova_wasm_task_results(t, NULL)[0].i64;
}

/* The module:
 *   waits(in i32, out i32) -> i64
 *       a = receive(in); sleep(1); select receiving on in (case at 0) -> its
 *       value b; yield(); send(out, a + b); c = receive(in);
 *       returns a * 10000 + b * 100 + c
 *   deep_recv(n i32, ch i32) -> i64
 *       n == 0 ? receive(ch) : deep_recv(n - 1, ch) + 1 (with a few locals
 *       per frame, so the value stack grows with the frames)
 *   q(n i32, ch i32) -> i64   deep_recv under a one-letter name */
static tova_module *waits_module(void) {
  mod m = {0};
  uint32_t f_send = mod_import_func(&m, "tova", "chan_send", mod_type(&m, "iI", "i"));
  uint32_t f_recv = mod_import_func(&m, "tova", "chan_receive", mod_type(&m, "i", "I"));
  uint32_t f_sleep = mod_import_func(&m, "tova", "sleep", mod_type(&m, "I", ""));
  uint32_t f_yield = mod_import_func(&m, "tova", "yield", mod_type(&m, "", ""));
  uint32_t f_select = mod_import_func(&m, "tova", "select", mod_type(&m, "iiI", "i"));
  mod_memory(&m, 1, 1);
  wb b = {0};

  /* waits: locals 2 = a, 3 = b */
  e_get(&b, 0); e_opu(&b, WASM_OP_CALL, f_recv); e_set(&b, 2);
  e_i64(&b, 1); e_opu(&b, WASM_OP_CALL, f_sleep);
  e_i32(&b, 0); e_get(&b, 0); e_mem(&b, WASM_OP_I32_STORE, 2, 0);
  e_i32(&b, 0); e_i32(&b, 0); e_mem(&b, WASM_OP_I32_STORE, 2, 4);
  e_i32(&b, 0); e_i32(&b, 1); e_i64(&b, -1); e_opu(&b, WASM_OP_CALL, f_select);
  e_op(&b, WASM_OP_DROP); /* one case: index 0 */
  e_i32(&b, 0); e_mem(&b, WASM_OP_I64_LOAD, 3, 8); e_set(&b, 3);
  e_opu(&b, WASM_OP_CALL, f_yield);
  e_get(&b, 1); e_get(&b, 2); e_get(&b, 3); e_op(&b, WASM_OP_I64_ADD);
  e_opu(&b, WASM_OP_CALL, f_send); e_op(&b, WASM_OP_DROP);
  e_get(&b, 2); e_i64(&b, 10000); e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 3); e_i64(&b, 100); e_op(&b, WASM_OP_I64_MUL); e_op(&b, WASM_OP_I64_ADD);
  e_get(&b, 0); e_opu(&b, WASM_OP_CALL, f_recv); e_op(&b, WASM_OP_I64_ADD);
  mod_func(&m, mod_type(&m, "ii", "I"), "II", &b, "waits");
  wb_free(&b);

  /* deep_recv: locals 2, 3, 4 hold n-derived values checked on the way back */
  uint32_t t_deep = mod_type(&m, "ii", "I");
  uint32_t f_deep = m.nimport_funcs + m.nfunc;
  e_get(&b, 0); e_op(&b, WASM_OP_I64_EXTEND_I32_U); e_tee(&b, 2);
  e_i64(&b, 3); e_op(&b, WASM_OP_I64_MUL); e_set(&b, 3);
  e_get(&b, 0); e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 'I');
  e_get(&b, 1); e_opu(&b, WASM_OP_CALL, f_recv);
  e_op(&b, WASM_OP_ELSE);
  e_get(&b, 0); e_i32(&b, 1); e_op(&b, WASM_OP_I32_SUB); e_get(&b, 1);
  e_opu(&b, WASM_OP_CALL, f_deep);
  /* + 1, plus (local3 - 3 * local2), which is 0 unless a frame was damaged */
  e_i64(&b, 1); e_op(&b, WASM_OP_I64_ADD);
  e_get(&b, 3); e_get(&b, 2); e_i64(&b, 3); e_op(&b, WASM_OP_I64_MUL); e_op(&b, WASM_OP_I64_SUB);
  e_op(&b, WASM_OP_I64_ADD);
  e_op(&b, WASM_OP_END);
  mod_func(&m, t_deep, "III", &b, "deep_recv");
  wb_free(&b);
  mod_export(&m, "q", 0, f_deep);
  return compile_mod(&m);
}

/* Several tasks, each waiting in every way in turn on its own channels: each
 * wait reuses the bytes of the previous one (a different kind each time). */
static void test_every_wait_in_turn(void) {
  enum { K = 16 };
  tova_module *m = waits_module();
  tova_runtime *rt = new_rt(2);
  tova_chan_id in[K], out[K];
  tova_wasm_task *t[K];
  latch done;
  latch_init(&done);
  for (int i = 0; i < K; i++) {
    CHECK(tova_chan_create(0, &in[i]) == TOVA_OK);
    CHECK(tova_chan_create(0, &out[i]) == TOVA_OK);
    tova_val args[2] = {{.i32 = (int32_t)in[i]}, {.i32 = (int32_t)out[i]}};
    t[i] = spawn_wasm(rt, m, "waits", args, 2, 0, &done);
  }
  /* Every phase: all tasks parked on a channel, so a try-op succeeds only
   * because its task is the one parked on the other end. */
  wait_all_blocked(rt); /* in receive */
  for (int i = 0; i < K; i++) CHECK(tova_chan_try_send(in[i], 10 + i) == TOVA_OK);
  wait_all_blocked(rt); /* slept, now in the select */
  for (int i = 0; i < K; i++) CHECK(tova_chan_try_send(in[i], 20 + i) == TOVA_OK);
  wait_all_blocked(rt); /* yielded, now in send */
  for (int i = 0; i < K; i++) {
    int64_t v = 0;
    CHECK(tova_chan_try_recv(out[i], &v) == TOVA_OK);
    CHECK_EQ_I64(v, (10 + i) + (20 + i));
  }
  wait_all_blocked(rt); /* in the last receive */
  for (int i = 0; i < K; i++) CHECK(tova_chan_try_send(in[i], 30 + i) == TOVA_OK);
  latch_wait(&done, K);
  for (int i = 0; i < K; i++) {
    CHECK_EQ_I64(result_i64(t[i]), (10 + i) * 10000 + (20 + i) * 100 + (30 + i));
    tova_wasm_task_release(t[i]);
    tova_chan_close(in[i]);
    tova_chan_close(out[i]);
  }
  tova_runtime_free(rt);
  latch_destroy(&done);
  tova_module_release(m);
}

/* Tasks parked hundreds of calls deep resume with every frame as it was;
 * with deadlines (stored after the values and names of odd lengths) that do
 * not fire, and one that does. */
static void test_parked_deep_with_deadline(void) {
  tova_module *m = waits_module();
  tova_runtime *rt = new_rt(2);
  static const int32_t depth[] = {0, 1, 7, 300, 2000};
  enum { N = sizeof depth / sizeof depth[0] };
  tova_chan_id ch[N], never;
  tova_wasm_task *t[N];
  latch done;
  latch_init(&done);
  CHECK(tova_chan_create(0, &never) == TOVA_OK);
  for (int i = 0; i < N; i++) {
    CHECK(tova_chan_create(0, &ch[i]) == TOVA_OK);
    tova_val args[2] = {{.i32 = depth[i]}, {.i32 = (int32_t)ch[i]}};
    t[i] = spawn_wasm(rt, m, i % 2 ? "q" : "deep_recv", args, 2, 600000, &done);
  }
  tova_val never_args[2] = {{.i32 = 50}, {.i32 = (int32_t)never}};
  tova_wasm_task *timed_out = spawn_wasm(rt, m, "q", never_args, 2, 20, &done);
  latch_wait(&done, 1); /* the deadline: the only task that can end by itself */
  wait_all_blocked(rt);
  for (int i = 0; i < N; i++) CHECK(tova_chan_try_send(ch[i], 1000) == TOVA_OK);
  latch_wait(&done, N + 1);
  tova_error err;
  CHECK(tova_wasm_task_status(timed_out, &err) == TOVA_ERR_TIMEOUT);
  CHECK_STR_CONTAINS(err.message, "q timed out");
  tova_wasm_task_release(timed_out);
  for (int i = 0; i < N; i++) {
    CHECK_EQ_I64(result_i64(t[i]), 1000 + depth[i]);
    tova_wasm_task_release(t[i]);
    tova_chan_close(ch[i]);
  }
  tova_chan_close(never);
  tova_runtime_free(rt);
  latch_destroy(&done);
  tova_module_release(m);
}

/* On one worker, task after task reuses the same execution (cached, grown
 * and trimmed in turn) and a store sized from the module's last instance;
 * then two modules (compiled apart) alternate, so the size hint misses. */
static void test_reused_executions_and_sized_stores(void) {
  tova_module *m[2] = {waits_module(), waits_module()};
  tova_runtime *rt = new_rt(1);
  static const int32_t depth[] = {0, 40, 2, 500, 0, 3, 1000, 1, 60, 0};
  latch done;
  latch_init(&done);
  int64_t ended = 0;
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < (int)(sizeof depth / sizeof depth[0]); i++) {
      tova_chan_id ch;
      CHECK(tova_chan_create(0, &ch) == TOVA_OK);
      tova_val args[2] = {{.i32 = depth[i]}, {.i32 = (int32_t)ch}};
      tova_module *mod = m[round ? i % 2 : 0];
      tova_wasm_task *t = spawn_wasm(rt, mod, "deep_recv", args, 2, 0, &done);
      wait_all_blocked(rt);
      CHECK(tova_chan_try_send(ch, 7) == TOVA_OK);
      latch_wait(&done, ++ended);
      CHECK_EQ_I64(result_i64(t), 7 + depth[i]);
      tova_wasm_task_release(t);
      tova_chan_close(ch);
    }
  }
  tova_runtime_free(rt);
  latch_destroy(&done);
  tova_module_release(m[0]);
  tova_module_release(m[1]);
}

/* A module with a memory, a data segment and a few functions: get(i) reads
 * byte i of the memory the data segment filled, plus 40. */
static tova_module *store_module(void) {
  mod m = {0};
  mod_memory(&m, 1, 2);
  static const uint8_t data[4] = {1, 2, 3, 4};
  mod_data(&m, 0, data, 4);
  wb b = {0};
  for (int k = 0; k < 5; k++) { /* filler functions: more objects in the store */
    e_i32(&b, k);
    mod_func(&m, mod_type(&m, "", "i"), "", &b, NULL);
    wb_free(&b);
  }
  e_get(&b, 0); e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_i32(&b, 40); e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, mod_type(&m, "i", "i"), "", &b, "get");
  wb_free(&b);
  return compile_mod(&m);
}

static int32_t call_get(tova_store *s, tova_module *m, int32_t i) {
  tova_instance *inst = NULL;
  tova_error err;
  CHECK(tova_instance_new(s, m, NULL, 0, &inst, &err) == TOVA_OK);
  tova_extern f;
  CHECK(tova_instance_export(inst, "get", &f) == TOVA_OK);
  tova_exec *e = tova_exec_new(0);
  tova_val arg = {.i32 = i}, res = {0};
  CHECK(tova_exec_call(e, f.of.func, &arg, &res, &err) == TOVA_OK);
  tova_exec_free(e);
  return res.i32;
}

/* Whatever inline room a store is given, an instance in it works the same,
 * and the store counts what it handed out. */
static void test_store_sizes(void) {
  tova_module *m = store_module();
  tova_store *plain = tova_store_new(NULL);
  CHECK_EQ_I64(wasm_store_used(plain), 0);
  CHECK_EQ_I64(call_get(plain, m, 2), 43);
  size_t used = wasm_store_used(plain);
  CHECK(used > 0);
  tova_store_free(plain);
  size_t sizes[] = {0, 16, used / 2, used, used + 1, 4 * used, (size_t)1 << 30};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    tova_store *s = wasm_store_new_sized(NULL, sizes[i]);
    CHECK(s != NULL);
    CHECK_EQ_I64(call_get(s, m, 3), 44);
    CHECK_EQ_I64(wasm_store_used(s), used); /* the same objects, however placed */
    CHECK_EQ_I64(call_get(s, m, 0), 41);   /* a second instance after the first */
    tova_store_free(s);
  }
  tova_module_release(m);
}

static tova_status nop_host(tova_host_call *call, void *ud, const tova_val *args,
                            tova_val *results) {
  (void)call;
  (void)ud;
  (void)args;
  (void)results;
  return TOVA_OK;
}

/* Host functions keep their signature whatever it is, shared between stores
 * or not: 300 distinct ones (more than the shared table holds), each made in
 * two stores, plus one too long to share; the caller's type may be gone. */
static void test_host_function_types(void) {
  tova_store *a = tova_store_new(NULL), *b = tova_store_new(NULL);
  size_t shared = 0;
  for (uint32_t k = 0; k < 301; k++) {
    uint8_t want[20], params[20], results[1];
    uint8_t want_result = k & 1 ? TOVA_I64 : TOVA_F64;
    uint32_t np = k < 300 ? 9 : 20;
    for (uint32_t i = 0; i < np; i++) want[i] = (k >> (i % 9)) & 1 ? TOVA_I64 : TOVA_I32;
    memcpy(params, want, np);
    results[0] = want_result;
    tova_functype ft = {np, 1, params, results};
    tova_func *fa = tova_func_new_host(a, &ft, nop_host, NULL);
    tova_func *fb = tova_func_new_host(b, &ft, nop_host, NULL);
    CHECK(fa && fb);
    memset(params, 0xff, sizeof params); /* the stores keep their own view */
    results[0] = 0xff;
    const tova_functype *ta = tova_func_type(fa), *tb = tova_func_type(fb);
    CHECK(ta->nparams == np && ta->nresults == 1 && tb->nparams == np && tb->nresults == 1);
    CHECK(memcmp(ta->params, want, np) == 0 && memcmp(tb->params, want, np) == 0);
    CHECK(ta->results[0] == want_result && tb->results[0] == want_result);
    if (ta == tb) shared++;
  }
  /* Some are shared (fewer than all: the table is bounded). */
  CHECK(shared > 0 && shared < 301);
  tova_store_free(a);
  tova_store_free(b);
}

int main(void) {
  RUN(test_every_wait_in_turn);
  RUN(test_parked_deep_with_deadline);
  RUN(test_reused_executions_and_sized_stores);
  RUN(test_store_sizes);
  RUN(test_host_function_types);
  return CHECK_DONE();
}
