/* wasm_exec.c: one WebAssembly task per call (execWasm, execWasmWithChannels,
 * spawnWasm's promise).
 *
 * The request is as small as a request can be, because a parked call holds it
 * for as long as its task waits (a million calls each parked on a channel is
 * the case to build for): the promise, the environment, and the task itself,
 * which keeps everything else (its module, export name, arguments, results,
 * status and message: tova_wasm_task_*). Its life:
 *   JS thread   arguments checked and converted (bad input rejects before any
 *               task exists), the promise made, the task spawned
 *   any thread  the task ends: its done callback queues the request for the
 *               JS thread (counted in flight, so the event loop stays alive)
 *   JS thread   settle: the results or the error as JS, the task released
 * At environment teardown a queued request is discarded (task released, no
 * JS), as every request is (completion.c). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

/* The JS function's name (for messages) is told by op.settle, one settle
 * function per name: 8 bytes fewer put the request in a smaller malloc
 * size class. */
typedef struct exec_req {
  tova_napi_op op; /* first: the queued operation */
  tova_napi_env *st;
  tova_wasm_task *task; /* the spawn's reference, set before JS can settle */
} exec_req;

static void exec_discard(tova_napi_op *op) {
  exec_req *r = (exec_req *)op;
  tova_wasm_task_release(r->task);
  free(r);
}

static void exec_settle(napi_env env, tova_napi_env *st, tova_napi_op *op, const char *fn) {
  exec_req *r = (exec_req *)op;
  tova_error err;
  tova_status s = tova_wasm_task_status(r->task, &err);
  if (s != TOVA_OK) {
    char msg[TOVA_ERROR_MAX + 64];
    snprintf(msg, sizeof msg, "%s: %s", fn, err.message);
    tova_napi_reject(env, op->deferred, s, msg);
  } else {
    tova_functype ft;
    const tova_val *vals = tova_wasm_task_results(r->task, &ft);
    napi_value out = NULL;
    napi_status made = tova_napi_wasm_results(env, &ft, vals, &out);
    tova_napi_settle_built(env, op->deferred, made, out, "cannot build the results");
  }
  exec_discard(op);
  tova_napi_req_settled(st);
}

#define SETTLE_AS(name)                                                            \
  static void settle_##name(napi_env env, tova_napi_env *st, tova_napi_op *op) { \
    exec_settle(env, st, op, #name);                                             \
  }
SETTLE_AS(execWasm)
SETTLE_AS(execWasmWithChannels)
SETTLE_AS(spawnWasm)

static tova_napi_settle_fn settle_for(tova_napi_exec_fn fn) {
  switch (fn) {
    case TOVA_NAPI_EXEC_WASM: return settle_execWasm;
    case TOVA_NAPI_EXEC_WASM_WITH_CHANNELS: return settle_execWasmWithChannels;
    default: return settle_spawnWasm;
  }
}

static const char *name_of(tova_napi_exec_fn fn) {
  switch (fn) {
    case TOVA_NAPI_EXEC_WASM: return "execWasm";
    case TOVA_NAPI_EXEC_WASM_WITH_CHANNELS: return "execWasmWithChannels";
    default: return "spawnWasm";
  }
}

/* Runtime, any thread: the task ended (its outcome stays in the task). */
static void exec_done(tova_wasm_task *t, void *userdata) {
  (void)t;
  exec_req *r = userdata;
  atomic_fetch_add(&r->st->inflight, 1);
  tova_napi_cq_push(r->st->cq, &r->op);
}

/* The export's name as a NUL-terminated string: in buf when it fits, else
 * malloc'd (*heap set). */
static tova_status func_name(napi_env env, napi_value v, char *buf, size_t cap, char **out,
                             size_t *len, bool *heap, tova_error *err, const char *fn) {
  napi_valuetype t;
  *heap = false;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: func must be a string, got %s", fn,
                          tova_napi_type_name(env, v));
  size_t n = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &n);
  char *s = buf;
  if (n >= cap) {
    s = malloc(n + 1);
    if (!s) return tova_error_set(err, TOVA_ERR_NOMEM, "%s: out of memory", fn);
    *heap = true;
  }
  napi_get_value_string_utf8(env, v, s, n + 1, &n);
  *out = s;
  *len = n;
  return TOVA_OK;
}

#define EXEC_ARGS_INLINE 16 /* arguments converted on the stack (more: malloc'd) */

napi_value tova_napi_exec_wasm(napi_env env, napi_callback_info info, tova_napi_exec_fn which,
                               tova_wasm_task **handle_out) {
  const char *fn = name_of(which);
  size_t argc = 4;
  napi_value argv[4];
  tova_error err;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), fn);
  tova_napi_env *st = tova_napi_state(env);
  tova_wasm_task_config cfg = {0};
  char name[64], *func = NULL;
  bool heap_name = false;
  tova_val inline_vals[EXEC_ARGS_INLINE], *vals = inline_vals;
  tova_functype ft;
  tova_runtime *rt;
  exec_req *r = NULL;
  napi_value promise = NULL;
  if (tova_napi_opt_ms(env, argc > 3 ? argv[3] : NULL, "timeout", &cfg.timeout_ms, &err, fn) != TOVA_OK)
    return tova_napi_rejected(env, &err);
  /* 0 ms still gives the task a (past) deadline; negative: none. */
  cfg.timeout_ms = cfg.timeout_ms < 0 ? 0 : cfg.timeout_ms == 0 ? 1 : cfg.timeout_ms;
  if (tova_napi_module_arg(env, argv[0], &cfg.module, &err, fn) != TOVA_OK)
    return tova_napi_rejected(env, &err);
  if (func_name(env, argv[1], name, sizeof name, &func, &cfg.func_len, &heap_name, &err, fn) != TOVA_OK)
    goto fail;
  cfg.func = func;
  if (tova_module_export_functype_n(cfg.module, func, cfg.func_len, &ft) != TOVA_OK) {
    tova_error_set(&err, TOVA_ERR_NOT_FOUND, "%s: the module has no exported function '%.*s'", fn,
                   (int)(cfg.func_len > 64 ? 64 : cfg.func_len), func);
    goto fail;
  }
  if (ft.nparams > EXEC_ARGS_INLINE && !(vals = malloc(ft.nparams * sizeof *vals))) {
    tova_error_set(&err, TOVA_ERR_NOMEM, "%s: out of memory", fn);
    goto fail;
  }
  if (tova_napi_wasm_args(env, argv[2], &ft, vals, &err, fn, func) != TOVA_OK) goto fail;
  cfg.args = vals;
  cfg.nargs = ft.nparams;
  if (!(rt = tova_napi_runtime(st, &err))) goto fail;
  if (!(r = malloc(sizeof *r))) {
    tova_error_set(&err, TOVA_ERR_NOMEM, "%s: out of memory", fn);
    goto fail;
  }
  *r = (exec_req){.op = {.settle = settle_for(which), .discard = exec_discard}, .st = st};
  if (napi_create_promise(env, &r->op.deferred, &promise) != napi_ok) {
    free(r);
    promise = tova_napi_fail(env, napi_generic_failure, fn);
    goto done;
  }
  tova_napi_install_exit_hook(env, st);
  cfg.done = exec_done;
  cfg.userdata = r;
  /* The task copies what it keeps (arguments, name) and retains the module. */
  if (tova_wasm_task_spawn(rt, &cfg, &r->task, &err) != TOVA_OK) {
    char msg[TOVA_ERROR_MAX + 64];
    snprintf(msg, sizeof msg, "%s: %s", fn, err.message);
    tova_napi_reject(env, r->op.deferred, err.status, msg);
    free(r);
  } else if (handle_out) {
    tova_wasm_task_retain(r->task);
    *handle_out = r->task;
  }
done: /* what the task did not take over is ours to release */
  if (vals != inline_vals) free(vals);
  if (heap_name) free(func);
  tova_module_release(cfg.module);
  return promise;

fail:
  promise = tova_napi_rejected(env, &err);
  goto done;
}
