/* wasm.c: execWasm, concurrentWasm, concurrentWasmShared.
 *
 * On the JS thread: find the module (cache or compile), look up the export's
 * signature and convert the arguments by it, so bad input fails before any
 * work is queued. On workers: each item gets a fresh store + instance, is
 * called, and everything is freed. One promise and one completion per call,
 * however many items.
 *
 * concurrentWasm runs one task per item. concurrentWasmShared runs the items
 * in a few chunks (a handful per worker), each chunk one task reusing its
 * worker's execution context: less scheduling for many small calls. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

/* ---- a batch of calls ---------------------------------------------------- */

typedef struct wasm_batch wasm_batch;

typedef struct wasm_item {
  wasm_batch *batch;
  tova_module *module; /* retained */
  char *func;          /* owned unless shared with the previous item */
  bool owns_func;
  tova_functype ft; /* points into module */
  size_t args_off, results_off; /* into batch->vals */
} wasm_item;

typedef struct wasm_chunk {
  wasm_batch *batch;
  size_t lo, hi;
} wasm_chunk;

struct wasm_batch {
  tova_napi_op op;
  tova_napi_cq *cq;
  tova_napi_env *st;
  const char *fn; /* JS function name for messages */
  bool single;    /* execWasm: resolve with the one result itself */
  size_t n;
  wasm_item *items;
  tova_val *vals;
  size_t nvals, cap_vals;
  wasm_chunk *chunks;
  atomic_size_t remaining; /* tasks to finish + 1 held while spawning */
  pthread_mutex_t err_mu;
  size_t err_index; /* lowest failed item, n when none */
  tova_error err;
};

static void batch_free(wasm_batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    if (b->items[i].module) tova_module_release(b->items[i].module);
    if (b->items[i].owns_func) free(b->items[i].func);
  }
  free(b->items);
  free(b->vals);
  free(b->chunks);
  pthread_mutex_destroy(&b->err_mu);
  free(b);
}

static void batch_discard(tova_napi_op *op) { batch_free((wasm_batch *)op); }

static void record_error(wasm_batch *b, size_t index, const tova_error *err) {
  pthread_mutex_lock(&b->err_mu);
  if (index < b->err_index) {
    b->err_index = index;
    b->err = *err;
  }
  pthread_mutex_unlock(&b->err_mu);
}

static void finish(wasm_batch *b, size_t count) {
  if (atomic_fetch_sub_explicit(&b->remaining, count, memory_order_acq_rel) == count) {
    tova_napi_cq_push(b->cq, &b->op);
  }
}

static void run_item(wasm_batch *b, size_t i, tova_exec *exec) {
  wasm_item *it = &b->items[i];
  tova_error err;
  tova_status s;
  if (!exec) {
    s = tova_error_set(&err, TOVA_ERR_NOMEM, "out of memory for an execution context");
  } else {
    s = tova_napi_wasm_call(exec, it->module, it->func, b->vals + it->args_off,
                            b->vals + it->results_off, &err);
  }
  if (s != TOVA_OK) record_error(b, i, &err);
}

static tova_status item_step(tova_task *t, void *userdata) {
  wasm_item *it = userdata;
  tova_exec *exec = tova_napi_thread_exec();
  tova_napi_running running = {exec, NULL, NULL};
  if (exec) tova_napi_running_add(it->batch->st, &running);
  run_item(it->batch, (size_t)(it - it->batch->items), exec);
  if (exec) tova_napi_running_remove(it->batch->st, &running);
  return TOVA_OK;
}

static void item_done(tova_task *t, void *userdata, tova_status status) {
  wasm_item *it = userdata;
  if (status != TOVA_OK) {
    tova_error err;
    tova_error_set(&err, status, "the task ended with %s", tova_status_code(status));
    record_error(it->batch, (size_t)(it - it->batch->items), &err);
  }
  finish(it->batch, 1);
}

static tova_status chunk_step(tova_task *t, void *userdata) {
  wasm_chunk *c = userdata;
  tova_exec *exec = tova_napi_thread_exec();
  tova_napi_running running = {exec, NULL, NULL};
  if (exec) tova_napi_running_add(c->batch->st, &running);
  for (size_t i = c->lo; i < c->hi; i++) run_item(c->batch, i, exec);
  if (exec) tova_napi_running_remove(c->batch->st, &running);
  return TOVA_OK;
}

static void chunk_done(tova_task *t, void *userdata, tova_status status) {
  wasm_chunk *c = userdata;
  if (status != TOVA_OK) {
    tova_error err;
    tova_error_set(&err, status, "the task ended with %s", tova_status_code(status));
    record_error(c->batch, c->lo, &err);
  }
  finish(c->batch, 1);
}

static void batch_settle(napi_env env, tova_napi_env *st, tova_napi_op *op) {
  wasm_batch *b = (wasm_batch *)op;
  napi_value out;
  napi_status s = napi_ok;
  if (b->err_index < b->n) {
    char msg[TOVA_ERROR_MAX + 96];
    if (b->single) {
      snprintf(msg, sizeof msg, "%s: %s", b->fn, b->err.message);
    } else {
      snprintf(msg, sizeof msg, "%s: task %zu (%s): %s", b->fn, b->err_index,
               b->items[b->err_index].func, b->err.message);
    }
    tova_napi_reject(env, op->deferred, b->err.status, msg);
    batch_free(b);
    return;
  }
  if (b->single) {
    s = tova_napi_wasm_results(env, &b->items[0].ft, b->vals + b->items[0].results_off, &out);
  } else {
    s = napi_create_array_with_length(env, b->n, &out);
    for (size_t i = 0; s == napi_ok && i < b->n; i++) {
      napi_value v;
      s = tova_napi_wasm_results(env, &b->items[i].ft, b->vals + b->items[i].results_off, &v);
      if (s == napi_ok) s = napi_set_element(env, out, (uint32_t)i, v);
    }
  }
  if (s == napi_ok) {
    napi_resolve_deferred(env, op->deferred, out);
  } else {
    napi_value e;
    if (!tova_napi_take_exception(env, &e)) {
      e = tova_napi_error_value(env, TOVA_ERR_NOMEM, "cannot build the results");
    }
    napi_reject_deferred(env, op->deferred, e);
  }
  batch_free(b);
}

static wasm_batch *batch_new(tova_napi_env *st, const char *fn, size_t n) {
  wasm_batch *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->items = calloc(n ? n : 1, sizeof *b->items);
  if (!b->items || pthread_mutex_init(&b->err_mu, NULL) != 0) {
    free(b->items);
    free(b);
    return NULL;
  }
  b->op.settle = batch_settle;
  b->op.discard = batch_discard;
  b->cq = st->cq;
  b->st = st;
  b->fn = fn;
  b->n = n;
  b->err_index = n;
  return b;
}

/* Reserve count values in b->vals; false when out of memory. */
static bool batch_vals(wasm_batch *b, size_t count, size_t *off) {
  if (b->nvals + count > b->cap_vals || !b->vals) {
    size_t cap = b->cap_vals ? b->cap_vals * 2 : 64;
    while (cap < b->nvals + count) cap *= 2;
    tova_val *v = realloc(b->vals, cap * sizeof *v);
    if (!v) return false;
    b->vals = v;
    b->cap_vals = cap;
  }
  *off = b->nvals;
  b->nvals += count;
  return true;
}

/* Memo of the previous item, so 1000 tasks of one Buffer and one name hash
 * and copy once. */
typedef struct item_memo {
  napi_value wasm;
  tova_module *module;
  napi_value func_v;
  char *func;
} item_memo;

static tova_status fill_item(napi_env env, wasm_batch *b, size_t i, napi_value wasm, napi_value func,
                             napi_value args, item_memo *memo, tova_error *err) {
  wasm_item *it = &b->items[i];
  bool same = false;
  tova_status s;
  it->batch = b;
  if (memo->module && napi_strict_equals(env, memo->wasm, wasm, &same) == napi_ok && same) {
    it->module = memo->module;
    tova_module_retain(it->module);
  } else {
    s = tova_napi_module_arg(env, wasm, &it->module, err, b->fn);
    if (s != TOVA_OK) return s;
    memo->wasm = wasm;
    memo->module = it->module;
  }
  same = false;
  if (memo->func && napi_strict_equals(env, memo->func_v, func, &same) == napi_ok && same) {
    it->func = memo->func;
  } else {
    char what[64];
    snprintf(what, sizeof what, "%s: func", b->fn);
    s = tova_napi_to_string(env, func, &it->func, err, what);
    if (s != TOVA_OK) return s;
    it->owns_func = true;
    memo->func_v = func;
    memo->func = it->func;
  }
  s = tova_napi_export_type(it->module, it->func, &it->ft, err, b->fn);
  if (s != TOVA_OK) return s;
  /* Offsets, not pointers: vals may move while it grows. */
  size_t args_off, res_off;
  if (!batch_vals(b, it->ft.nparams, &args_off) || !batch_vals(b, it->ft.nresults, &res_off)) {
    return tova_error_set(err, TOVA_ERR_NOMEM, "%s: out of memory", b->fn);
  }
  it->args_off = args_off;
  it->results_off = res_off;
  return tova_napi_wasm_args(env, args, &it->ft, b->vals + args_off, err, b->fn, it->func);
}

/* Spawn the batch: one task per item, or (chunked) a few tasks per worker. */
static napi_value batch_start(napi_env env, wasm_batch *b, bool chunked) {
  tova_error err;
  napi_value promise;
  tova_runtime *rt = tova_napi_runtime(b->st, &err);
  if (!rt) {
    batch_free(b);
    return tova_napi_rejected(env, &err);
  }
  const char *fn = b->fn; /* static string: still valid after batch_free */
  size_t ntasks = b->n;
  if (chunked) {
    size_t want = (size_t)tova_runtime_worker_count(rt) * 4;
    if (want == 0) want = 4;
    ntasks = b->n < want ? b->n : want;
    b->chunks = calloc(ntasks ? ntasks : 1, sizeof *b->chunks);
    if (!b->chunks) {
      batch_free(b);
      return tova_napi_throwf(env, TOVA_ERR_NOMEM, "%s: out of memory", fn);
    }
    for (size_t c = 0; c < ntasks; c++) {
      b->chunks[c].batch = b;
      b->chunks[c].lo = b->n * c / ntasks;
      b->chunks[c].hi = b->n * (c + 1) / ntasks;
    }
  }
  if (napi_create_promise(env, &b->op.deferred, &promise) != napi_ok) {
    batch_free(b);
    return tova_napi_fail(env, napi_generic_failure, fn);
  }
  atomic_init(&b->remaining, ntasks + 1);
  tova_napi_keepalive_begin(b->st, &b->op);
  for (size_t i = 0; i < ntasks; i++) {
    tova_task *task;
    tova_status s = chunked ? tova_task_spawn(rt, chunk_step, chunk_done, &b->chunks[i], &task)
                            : tova_task_spawn(rt, item_step, item_done, &b->items[i], &task);
    if (s != TOVA_OK) {
      tova_error_set(&err, s, "cannot spawn a task (%s)", tova_status_code(s));
      record_error(b, chunked ? b->chunks[i].lo : i, &err);
      finish(b, ntasks - i);
      break;
    }
  }
  finish(b, 1);
  return promise;
}

static napi_value exec_wasm(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  tova_error err;
  item_memo memo = {0};
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "execWasm");
  wasm_batch *b = batch_new(tova_napi_state(env), "execWasm", 1);
  if (!b) return tova_napi_throwf(env, TOVA_ERR_NOMEM, "execWasm: out of memory");
  b->single = true;
  if (fill_item(env, b, 0, argv[0], argv[1], argv[2], &memo, &err) != TOVA_OK) {
    batch_free(b);
    return tova_napi_rejected(env, &err);
  }
  return batch_start(env, b, false);
}

static napi_value concurrent(napi_env env, napi_callback_info info, const char *fn, bool chunked) {
  size_t argc = 1;
  napi_value argv[1];
  tova_error err;
  bool is_array = false;
  uint32_t n = 0;
  item_memo memo = {0};
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), fn);
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "%s: tasks must be an array of {wasm, func, args}, got %s",
                   fn, tova_napi_type_name(env, argv[0]));
    return tova_napi_rejected(env, &err);
  }
  napi_get_array_length(env, argv[0], &n);
  wasm_batch *b = batch_new(tova_napi_state(env), fn, n);
  if (!b) return tova_napi_throwf(env, TOVA_ERR_NOMEM, "%s: out of memory", fn);
  napi_handle_scope scope = NULL;
  for (uint32_t i = 0; i < n; i++) {
    /* A handle scope per block of items bounds the handles a big batch
     * creates; the memo only holds values of the current scope. */
    if (i % 1024 == 0) {
      if (scope) napi_close_handle_scope(env, scope);
      napi_open_handle_scope(env, &scope);
      memset(&memo, 0, sizeof memo);
    }
    napi_value task, wasm, func, args;
    napi_valuetype t = napi_undefined;
    if (napi_get_element(env, argv[0], i, &task) == napi_ok) napi_typeof(env, task, &t);
    tova_status s;
    if (t != napi_object || napi_get_named_property(env, task, "wasm", &wasm) != napi_ok ||
        napi_get_named_property(env, task, "func", &func) != napi_ok ||
        napi_get_named_property(env, task, "args", &args) != napi_ok) {
      s = tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "%s: must be an object {wasm, func, args}", fn);
    } else {
      s = fill_item(env, b, i, wasm, func, args, &memo, &err);
    }
    if (s != TOVA_OK) {
      if (scope) napi_close_handle_scope(env, scope);
      /* Name the failing task: "<fn>: tasks[i]: <what>". */
      char why[TOVA_ERROR_MAX];
      size_t fl = strlen(fn);
      const char *rest = err.message;
      if (strncmp(rest, fn, fl) == 0 && rest[fl] == ':' && rest[fl + 1] == ' ') rest += fl + 2;
      snprintf(why, sizeof why, "%s", rest);
      tova_error_set(&err, s, "%s: tasks[%u]: %s", fn, i, why);
      batch_free(b);
      return tova_napi_rejected(env, &err);
    }
  }
  if (scope) napi_close_handle_scope(env, scope);
  return batch_start(env, b, chunked);
}

static napi_value concurrent_wasm(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasm", false);
}

static napi_value concurrent_wasm_shared(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasmShared", true);
}

napi_status tova_napi_register_wasm(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {
      {"execWasm", exec_wasm},
      {"concurrentWasm", concurrent_wasm},
      {"concurrentWasmShared", concurrent_wasm_shared},
      {NULL, NULL},
  };
  return tova_napi_define(env, exports, list);
}
