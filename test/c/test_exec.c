/*
 * test_exec.c: the execution API around the interpreter: host functions
 * (results, traps, many arguments), suspend/resume (also resuming on another
 * thread), interrupts from another thread, stack limits, misuse.
 */
#include <pthread.h>
#include <time.h>

#include "check.h"
#include "test_interp_builder.h"

static const uint8_t I32x2[2] = {TOVA_I32, TOVA_I32};
static const uint8_t I64x20[20] = {
    TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64,
    TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64, TOVA_I64};

typedef struct host_state {
  int calls;
  tova_exec *seen_exec;
  tova_instance *seen_inst;
  int32_t last_arg;
} host_state;

static tova_status host_add(tova_host_call *call, void *ud, const tova_val *args,
                            tova_val *results) {
  host_state *hs = ud;
  hs->calls++;
  hs->seen_exec = tova_host_call_exec(call);
  hs->seen_inst = tova_host_call_instance(call);
  results[0].i32 = args[0].i32 + args[1].i32;
  return TOVA_OK;
}

static tova_status host_trap(tova_host_call *call, void *ud, const tova_val *args,
                             tova_val *results) {
  (void)ud, (void)args, (void)results;
  return tova_host_trap(call, "host says no");
}

/* Parks every time; the value to continue with comes from tova_exec_resume. */
static tova_status host_wait(tova_host_call *call, void *ud, const tova_val *args,
                             tova_val *results) {
  host_state *hs = ud;
  (void)call, (void)results;
  hs->calls++;
  hs->last_arg = args[0].i32;
  return TOVA_SUSPENDED;
}

static tova_status host_sum20(tova_host_call *call, void *ud, const tova_val *args,
                              tova_val *results) {
  (void)call, (void)ud;
  int64_t s = 0;
  for (int i = 0; i < 20; i++) s += args[i].i64 * (i + 1);
  results[0].i64 = s;
  return TOVA_OK;
}

typedef struct fixture {
  inst_t t;
  host_state hs;
  tova_func *fadd, *ftrap, *fwait, *fsum, *freenter;
} fixture;

/* Tries to run another function on the exec that is calling it: refused. */
static tova_status host_reenter(tova_host_call *call, void *ud, const tova_val *args,
                                tova_val *results) {
  fixture *fx = ud;
  (void)args;
  tova_val a[2] = {{.i32 = 1}, {.i32 = 2}}, r;
  tova_error err;
  tova_status st = tova_exec_call(tova_host_call_exec(call), fx->fadd, a, &r, &err);
  results[0].i32 = st == TOVA_ERR_BAD_ARGUMENT ? 1 : 0;
  return TOVA_OK;
}

/* Module importing env.add, env.trap, env.wait, env.sum20 with functions:
 *   add3(a, b) = add(a, b) + 3     trapper() = trap(1, 2)
 *   waiter(x)  = wait(x) + wait(x + 1) * 100
 *   sum20()    = sum20(1, 2, ..., 20)
 *   spin()     = loop forever       depth(n) = n == 0 ? 0 : 1 + depth(n - 1) */
static bool fixture_make(fixture *fx) {
  memset(fx, 0, sizeof *fx);
  fx->t.store = NULL;
  tova_store *s = tova_store_new(NULL);
  tova_functype ft2 = {2, 1, I32x2, I32x2};
  tova_functype ft1 = {1, 1, I32x2, I32x2};
  tova_functype ft20 = {20, 1, I64x20, I64x20};
  fx->fadd = tova_func_new_host(s, &ft2, host_add, &fx->hs);
  fx->ftrap = tova_func_new_host(s, &ft2, host_trap, &fx->hs);
  fx->fwait = tova_func_new_host(s, &ft1, host_wait, &fx->hs);
  fx->fsum = tova_func_new_host(s, &ft20, host_sum20, &fx->hs);
  tova_functype ft0 = {0, 1, NULL, I32x2};
  fx->freenter = tova_func_new_host(s, &ft0, host_reenter, fx);

  mod m = {0};
  uint32_t t_iii = mod_type(&m, "ii", "i");
  uint32_t t_ii = mod_type(&m, "i", "i");
  uint32_t t_sum = mod_type(&m, "IIIIIIIIIIIIIIIIIIII", "I");
  uint32_t t_vI = mod_type(&m, "", "I");
  uint32_t t_vi = mod_type(&m, "", "i");
  uint32_t t_v = mod_type(&m, "", "");
  uint32_t h_add = mod_import_func(&m, "env", "add", t_iii);
  uint32_t h_trap = mod_import_func(&m, "env", "trap", t_iii);
  uint32_t h_wait = mod_import_func(&m, "env", "wait", t_ii);
  uint32_t h_sum = mod_import_func(&m, "env", "sum20", t_sum);
  uint32_t h_reenter = mod_import_func(&m, "env", "reenter", t_vi);
  wb b = {0};
  e_get(&b, 0);
  e_get(&b, 1);
  e_opu(&b, WASM_OP_CALL, h_add);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t_iii, "", &b, "add3");
  wb_free(&b);
  e_i32(&b, 1);
  e_i32(&b, 2);
  e_opu(&b, WASM_OP_CALL, h_trap);
  mod_func(&m, t_vi, "", &b, "trapper");
  wb_free(&b);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, h_wait);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_opu(&b, WASM_OP_CALL, h_wait);
  e_i32(&b, 100);
  e_op(&b, WASM_OP_I32_MUL);
  e_op(&b, WASM_OP_I32_ADD);
  uint32_t f_waiter = mod_func(&m, t_ii, "", &b, "waiter");
  wb_free(&b);
  /* nested(x) = 1000 * (x + 1) + waiter(x): parks two frames deep */
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_i32(&b, 1000);
  e_op(&b, WASM_OP_I32_MUL);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, f_waiter);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t_ii, "", &b, "nested");
  wb_free(&b);
  for (int i = 1; i <= 20; i++) e_i64(&b, i);
  e_opu(&b, WASM_OP_CALL, h_sum);
  mod_func(&m, t_vI, "", &b, "sum20");
  wb_free(&b);
  e_opu(&b, WASM_OP_CALL, h_reenter);
  mod_func(&m, t_vi, "", &b, "reenter");
  wb_free(&b);
  e_block(&b, WASM_OP_LOOP, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  mod_func(&m, t_v, "", &b, "spin");
  wb_free(&b);
  e_rec_i32(&b, m.nimport_funcs + m.nfunc, false);
  mod_func(&m, t_ii, "", &b, "depth");
  wb_free(&b);

  tova_extern imports[5] = {{TOVA_EXTERN_FUNC, {.func = fx->fadd}},
                            {TOVA_EXTERN_FUNC, {.func = fx->ftrap}},
                            {TOVA_EXTERN_FUNC, {.func = fx->fwait}},
                            {TOVA_EXTERN_FUNC, {.func = fx->fsum}},
                            {TOVA_EXTERN_FUNC, {.func = fx->freenter}}};
  size_t len;
  uint8_t *bytes = mod_finish(&m, &len);
  tova_error err = {0};
  fx->t.store = s;
  bool ok = tova_module_compile(bytes, len, &fx->t.module, &err) == TOVA_OK &&
            tova_instance_new(s, fx->t.module, imports, 5, &fx->t.inst, &err) == TOVA_OK;
  free(bytes);
  if (!ok) fprintf(stderr, "fixture: %s\n", err.message);
  return ok;
}

static void test_host_calls(void) {
  fixture fx;
  CHECK(fixture_make(&fx));
  tova_exec *e = tova_exec_new(0);
  tova_error err = {0};
  tova_val args[2] = {{.i32 = 20}, {.i32 = 19}}, res[1] = {{0}};
  CHECK(tova_exec_call(e, inst_func(&fx.t, "add3"), args, res, &err) == TOVA_OK);
  CHECK_EQ_I64(res[0].i32, 42);
  CHECK_EQ_I64(fx.hs.calls, 1);
  CHECK(fx.hs.seen_exec == e);
  CHECK(fx.hs.seen_inst == fx.t.inst);

  CHECK(tova_exec_call(e, inst_func(&fx.t, "trapper"), NULL, res, &err) == TOVA_ERR_TRAP);
  CHECK(strcmp(err.message, "host says no") == 0);

  CHECK(tova_exec_call(e, inst_func(&fx.t, "sum20"), NULL, res, &err) == TOVA_OK);
  CHECK_EQ_I64(res[0].i64, 2870); /* sum of i*i for i = 1..20 */

  CHECK(tova_exec_call(e, inst_func(&fx.t, "reenter"), NULL, res, &err) == TOVA_OK);
  CHECK_EQ_I64(res[0].i32, 1);

  /* A host function called straight from C. */
  fx.hs.seen_inst = fx.t.inst;
  CHECK(tova_exec_call(e, fx.fadd, args, res, &err) == TOVA_OK);
  CHECK_EQ_I64(res[0].i32, 39);
  CHECK(fx.hs.seen_inst == NULL);
  tova_exec_free(e);
  inst_free(&fx.t);
}

static void test_suspend_resume(void) {
  fixture fx;
  CHECK(fixture_make(&fx));
  tova_exec *e = tova_exec_new(0);
  tova_error err = {0};
  tova_val arg = {.i32 = 7}, res = {0};
  tova_func *waiter = inst_func(&fx.t, "waiter");
  CHECK(tova_exec_call(e, waiter, &arg, &res, &err) == TOVA_SUSPENDED);
  CHECK_EQ_I64(fx.hs.last_arg, 7);
  /* While parked the exec refuses a new call. */
  CHECK(tova_exec_call(e, waiter, &arg, &res, &err) == TOVA_ERR_BAD_ARGUMENT);
  tova_val h = {.i32 = 5};
  CHECK(tova_exec_resume(e, &h, &res, &err) == TOVA_SUSPENDED);
  CHECK_EQ_I64(fx.hs.last_arg, 8);
  h.i32 = 3;
  CHECK(tova_exec_resume(e, &h, &res, &err) == TOVA_OK);
  CHECK_EQ_I64(res.i32, 5 + 300);
  CHECK(tova_exec_resume(e, &h, &res, &err) == TOVA_ERR_BAD_ARGUMENT); /* nothing parked */

  /* Parked two frames deep: the caller's pending value survives. */
  arg.i32 = 2;
  CHECK(tova_exec_call(e, inst_func(&fx.t, "nested"), &arg, &res, &err) == TOVA_SUSPENDED);
  h.i32 = 1;
  CHECK(tova_exec_resume(e, &h, &res, &err) == TOVA_SUSPENDED);
  CHECK_EQ_I64(fx.hs.last_arg, 3);
  h.i32 = 2;
  CHECK(tova_exec_resume(e, &h, &res, &err) == TOVA_OK);
  CHECK_EQ_I64(res.i32, 3000 + 1 + 200);
  arg.i32 = 7;

  /* Abandon a parked execution, then reuse the exec. */
  CHECK(tova_exec_call(e, waiter, &arg, &res, &err) == TOVA_SUSPENDED);
  tova_exec_reset(e);
  tova_val args[2] = {{.i32 = 1}, {.i32 = 1}};
  CHECK(tova_exec_call(e, inst_func(&fx.t, "add3"), args, &res, &err) == TOVA_OK);
  CHECK_EQ_I64(res.i32, 5);

  /* A host function called directly from C that parks. */
  CHECK(tova_exec_call(e, fx.fwait, &arg, &res, &err) == TOVA_SUSPENDED);
  h.i32 = 77;
  CHECK(tova_exec_resume(e, &h, &res, &err) == TOVA_OK);
  CHECK_EQ_I64(res.i32, 77);
  tova_exec_free(e);
  inst_free(&fx.t);
}

typedef struct resume_job {
  tova_exec *e;
  int32_t host_result;
  tova_status st;
  tova_val res;
} resume_job;

static void *resume_thread(void *p) {
  resume_job *j = p;
  tova_val h = {.i32 = j->host_result};
  tova_error err = {0};
  j->st = tova_exec_resume(j->e, &h, &j->res, &err);
  return NULL;
}

static void test_resume_other_thread(void) {
  fixture fx;
  CHECK(fixture_make(&fx));
  tova_exec *e = tova_exec_new(0);
  tova_error err = {0};
  tova_val arg = {.i32 = 1}, res = {0};
  CHECK(tova_exec_call(e, inst_func(&fx.t, "waiter"), &arg, &res, &err) == TOVA_SUSPENDED);
  resume_job j1 = {e, 9, TOVA_OK, {0}};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, resume_thread, &j1) == 0);
  pthread_join(th, NULL);
  CHECK(j1.st == TOVA_SUSPENDED);
  CHECK_EQ_I64(fx.hs.last_arg, 2);
  resume_job j2 = {e, 4, TOVA_OK, {0}};
  CHECK(pthread_create(&th, NULL, resume_thread, &j2) == 0);
  pthread_join(th, NULL);
  CHECK(j2.st == TOVA_OK);
  CHECK_EQ_I64(j2.res.i32, 409);
  tova_exec_free(e);
  inst_free(&fx.t);
}

static void *interrupt_thread(void *p) {
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  tova_exec_interrupt(p);
  return NULL;
}

static void test_interrupt(void) {
  fixture fx;
  CHECK(fixture_make(&fx));
  tova_exec *e = tova_exec_new(0);
  tova_error err = {0};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, interrupt_thread, e) == 0);
  CHECK(tova_exec_call(e, inst_func(&fx.t, "spin"), NULL, NULL, &err) == TOVA_ERR_CANCELLED);
  CHECK(strcmp(err.message, "cancelled") == 0);
  pthread_join(th, NULL);
  /* The flag is sticky: the next call is cancelled too, until cleared. */
  tova_val args[2] = {{.i32 = 2}, {.i32 = 2}}, res;
  CHECK(tova_exec_interrupted(e));
  CHECK(tova_exec_call(e, inst_func(&fx.t, "spin"), NULL, NULL, &err) == TOVA_ERR_CANCELLED);
  tova_exec_clear_interrupt(e);
  CHECK(!tova_exec_interrupted(e));
  CHECK(tova_exec_call(e, inst_func(&fx.t, "add3"), args, &res, &err) == TOVA_OK);
  CHECK_EQ_I64(res.i32, 7);
  tova_exec_free(e);
  inst_free(&fx.t);
}

static void test_stack_limit(void) {
  fixture fx;
  CHECK(fixture_make(&fx));
  tova_error err = {0};
  tova_exec *small = tova_exec_new(4096);
  tova_val arg = {.i32 = 50}, res;
  CHECK(tova_exec_call(small, inst_func(&fx.t, "depth"), &arg, &res, &err) == TOVA_OK);
  CHECK_EQ_I64(res.i32, 50);
  arg.i32 = 100000;
  CHECK(tova_exec_call(small, inst_func(&fx.t, "depth"), &arg, &res, &err) == TOVA_ERR_TRAP);
  CHECK(strcmp(err.message, "call stack exhausted") == 0);
  tova_exec *big = tova_exec_new(64u << 20);
  CHECK(tova_exec_call(big, inst_func(&fx.t, "depth"), &arg, &res, &err) == TOVA_OK);
  CHECK_EQ_I64(res.i32, 100000);
  tova_exec_free(small);
  tova_exec_free(big);
  CHECK(tova_exec_call(NULL, NULL, NULL, NULL, &err) == TOVA_ERR_BAD_ARGUMENT);
  inst_free(&fx.t);
}

int main(void) {
  RUN(test_host_calls);
  RUN(test_suspend_resume);
  RUN(test_resume_other_thread);
  RUN(test_interrupt);
  RUN(test_stack_limit);
  return CHECK_DONE();
}
