/* tasks.c: spawnTask and concurrentAll.
 *
 * Both run their values as tasks on the environment's pool. concurrentAll is a
 * batch: one promise, one allocation holding every slot, one task per value,
 * an atomic countdown, and a single completion pushed by whichever task
 * finishes last; no promise or async work per value. */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"
#include "js_number.h"

/* ---- spawnTask ----------------------------------------------------------- */

typedef struct single_op {
  tova_napi_op op;
  tova_napi_cq *cq;
  int64_t value;
  tova_status status;
} single_op;

/* The task's work: the plan's spawnTask contract is that a task resolves to its own
 * value, so the step has nothing to compute (WebAssembly tasks live in wasm*.c). */
static tova_status identity_step(tova_task *t, void *userdata) { return TOVA_OK; }

static void single_done(tova_task *t, void *userdata, tova_status status) {
  single_op *op = userdata;
  op->status = status;
  tova_napi_cq_push(op->cq, &op->op);
}

static void single_settle(napi_env env, tova_napi_env *st, tova_napi_op *base) {
  single_op *op = (single_op *)base;
  if (op->status == TOVA_OK) {
    napi_value v;
    if (tova_napi_from_i64(env, op->value, &v) == napi_ok) napi_resolve_deferred(env, base->deferred, v);
  } else {
    char msg[128];
    snprintf(msg, sizeof msg, "spawnTask: the task ended with %s", tova_status_code(op->status));
    tova_napi_reject(env, base->deferred, op->status, msg);
  }
  free(op);
}

static void free_op(tova_napi_op *op) { free(op); }

static napi_value spawn_task(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  tova_error err;
  int64_t value;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "spawnTask");
  if (tova_napi_to_i64(env, argv[0], &value, &err, "spawnTask: value") != TOVA_OK) {
    return tova_napi_rejected(env, &err);
  }
  tova_napi_env *st = tova_napi_state(env);
  tova_runtime *rt = tova_napi_runtime(st, &err);
  if (!rt) return tova_napi_rejected(env, &err);

  single_op *op = calloc(1, sizeof *op);
  if (!op) return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "spawnTask: out of memory");
  napi_value promise;
  if (napi_create_promise(env, &op->op.deferred, &promise) != napi_ok) {
    free(op);
    return tova_napi_fail(env, napi_generic_failure, "spawnTask");
  }
  op->op.settle = single_settle;
  op->op.discard = free_op;
  op->cq = st->cq;
  op->value = value;
  tova_napi_keepalive_begin(st, &op->op);
  tova_task *task;
  tova_status s = tova_task_spawn(rt, identity_step, single_done, op, &task);
  if (s != TOVA_OK) {
    tova_napi_keepalive_end(st, &op->op);
    tova_napi_reject(env, op->op.deferred, s, "spawnTask: cannot spawn the task");
    free(op);
  }
  return promise;
}

/* ---- concurrentAll -------------------------------------------------------- */

typedef struct batch_op batch_op;
typedef struct batch_slot {
  int64_t value; /* input, then result */
  batch_op *batch;
} batch_slot;

struct batch_op {
  tova_napi_req req; /* first: the request base (the first failure is kept) */
  const char *fn;    /* JS function name for messages */
  bool typed;        /* settle with a typed array (concurrentAllTyped) */
  size_t n;
  batch_slot slots[];
};

static void batch_done(tova_task *t, void *userdata, tova_status status) {
  batch_slot *slot = userdata;
  batch_op *b = slot->batch;
  if (status != TOVA_OK) {
    tova_error err;
    tova_error_set(&err, status, "%s: a task ended with %s", b->fn, tova_status_code(status));
    tova_napi_req_fail(&b->req, (size_t)(slot - b->slots), &err, TOVA_NAPI_REQ_FIRST);
  }
  tova_napi_req_done(&b->req, 1);
}

static void batch_free(batch_op *b) {
  tova_napi_req_destroy(&b->req);
  free(b);
}

static void batch_discard(tova_napi_op *op) { batch_free((batch_op *)op); }

/* Handle scopes per block bound the handles a 1M-element conversion creates
 * (one scope for all of them makes V8 slower per element as it grows). */
#define SCOPE_BLOCK 4096
/* From this many values on, convert through the JS helpers (js_helpers.c). */
#define BULK_MIN 64

static napi_status batch_array(napi_env env, tova_napi_env *st, batch_op *b, napi_value *arr) {
  if (b->n >= BULK_MIN && tova_napi_js_to_array(env, st, &b->slots[0].value, sizeof(batch_slot), b->n, arr)) {
    return napi_ok;
  }
  napi_status s = napi_create_array_with_length(env, b->n, arr);
  for (size_t lo = 0; s == napi_ok && lo < b->n; lo += SCOPE_BLOCK) {
    napi_handle_scope scope;
    s = napi_open_handle_scope(env, &scope);
    if (s != napi_ok) break;
    size_t hi = lo + SCOPE_BLOCK < b->n ? lo + SCOPE_BLOCK : b->n;
    for (size_t i = lo; s == napi_ok && i < hi; i++) {
      napi_value v;
      s = tova_napi_from_i64(env, b->slots[i].value, &v);
      if (s == napi_ok) s = napi_set_element(env, *arr, (uint32_t)i, v);
    }
    napi_close_handle_scope(env, scope);
  }
  return s;
}

/* Float64Array when every result is an exact number, else BigInt64Array. */
static napi_status batch_typed(napi_env env, batch_op *b, napi_value *out) {
  bool safe = true;
  for (size_t i = 0; safe && i < b->n; i++) {
    int64_t v = b->slots[i].value;
    safe = v >= -TOVA_NAPI_MAX_SAFE_INT && v <= TOVA_NAPI_MAX_SAFE_INT;
  }
  void *data;
  napi_value ab;
  napi_status s = napi_create_arraybuffer(env, b->n * 8, &data, &ab);
  if (s != napi_ok) return s;
  for (size_t i = 0; i < b->n; i++) {
    if (safe) {
      ((double *)data)[i] = (double)b->slots[i].value;
    } else {
      ((int64_t *)data)[i] = b->slots[i].value;
    }
  }
  return napi_create_typedarray(env, safe ? napi_float64_array : napi_bigint64_array, b->n, ab, 0, out);
}

static void batch_settle(napi_env env, tova_napi_env *st, tova_napi_op *base) {
  batch_op *b = (batch_op *)base;
  if (b->req.err_index < b->n) {
    const tova_error *e = tova_napi_req_error(&b->req);
    tova_napi_reject(env, base->deferred, e->status, e->message);
    batch_free(b);
    tova_napi_req_settled(st);
    return;
  }
  napi_value out = NULL;
  napi_status s = b->typed ? batch_typed(env, b, &out) : batch_array(env, st, b, &out);
  tova_napi_settle_built(env, base->deferred, s, out, "concurrentAll: cannot build the results");
  batch_free(b);
  tova_napi_req_settled(st);
}

static batch_op *batch_new(tova_napi_env *st, size_t n, const char *fn, bool typed) {
  if (n > (SIZE_MAX - sizeof(batch_op)) / sizeof(batch_slot)) return NULL;
  batch_op *b = malloc(sizeof *b + n * sizeof(batch_slot));
  if (!b) return NULL;
  if (!tova_napi_req_init(&b->req, st, n, batch_settle, batch_discard)) {
    free(b);
    return NULL;
  }
  b->n = n;
  b->fn = fn;
  b->typed = typed;
  for (size_t i = 0; i < n; i++) b->slots[i].batch = b;
  return b;
}

/* Spawn one task per slot in one batch; the promise settles once, after the
 * last task. Takes ownership of b. */
static napi_value batch_start(napi_env env, batch_op *b) {
  tova_error err;
  napi_value promise;
  tova_napi_env *st = tova_napi_state(env);
  tova_runtime *rt = tova_napi_runtime(st, &err);
  if (!rt) {
    batch_free(b);
    return tova_napi_rejected(env, &err);
  }
  if (napi_create_promise(env, &b->req.op.deferred, &promise) != napi_ok) {
    const char *fn = b->fn;
    batch_free(b);
    return tova_napi_fail(env, napi_generic_failure, fn);
  }
  size_t n = b->n;
  tova_napi_req_start(&b->req, n);
  /* Plain tasks are work in progress from the start: they keep the event
   * loop alive until settled (settle_one ends the keepalive). */
  tova_napi_keepalive_begin(st, &b->req.op);
  /* One allocation and one queue operation for all n tasks. */
  void **userdata = malloc((n ? n : 1) * sizeof *userdata);
  tova_status s = userdata ? TOVA_OK : TOVA_ERR_NOMEM;
  if (userdata) {
    for (size_t i = 0; i < n; i++) userdata[i] = &b->slots[i];
    s = tova_task_spawn_batch(rt, n, identity_step, batch_done, userdata, NULL);
    free(userdata);
  }
  if (s != TOVA_OK) {
    /* None of them runs: fail the batch. */
    tova_error_set(&err, s, "%s: cannot spawn the tasks (%s)", b->fn, tova_status_code(s));
    tova_napi_req_fail(&b->req, 0, &err, TOVA_NAPI_REQ_FIRST);
    tova_napi_req_done(&b->req, n);
  }
  tova_napi_req_done(&b->req, 1); /* drop the spawner's hold */
  return promise;
}

/* concurrentAll(values: Array<number|bigint>) -> Promise<Array<number|bigint>> */
static napi_value concurrent_all(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  tova_error err;
  bool is_array = false;
  uint32_t n = 0;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "concurrentAll");
  if (tova_napi_list_length(env, argv[0], &n, &err, "concurrentAll: values") != TOVA_OK)
    return tova_napi_rejected(env, &err);
  (void)is_array;
  batch_op *b = batch_new(tova_napi_state(env), n, "concurrentAll", false);
  if (!b) return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "concurrentAll: out of memory for %u values", n);
  const double *fast = NULL;
  size_t fast_n = 0;
  if (n >= BULK_MIN && tova_napi_js_to_f64(env, tova_napi_state(env), argv[0], &fast, &fast_n) &&
      fast_n == n) {
    for (uint32_t i = 0; i < n; i++) b->slots[i].value = (int64_t)fast[i];
    return batch_start(env, b);
  }
  tova_status s = TOVA_OK;
  for (uint32_t lo = 0; s == TOVA_OK && lo < n; lo += SCOPE_BLOCK) {
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    uint32_t hi = n - lo > SCOPE_BLOCK ? lo + SCOPE_BLOCK : n;
    for (uint32_t i = lo; s == TOVA_OK && i < hi; i++) {
      napi_value v;
      if ((s = tova_napi_list_get(env, argv[0], i, &v, &err, "concurrentAll: values")) != TOVA_OK) {
        break;
      } else if (tova_napi_to_i64(env, v, &b->slots[i].value, &err, "concurrentAll: value") != TOVA_OK) {
        char what[64];
        snprintf(what, sizeof what, "concurrentAll: values[%u]", i);
        s = tova_napi_to_i64(env, v, &b->slots[i].value, &err, what);
      }
    }
    napi_close_handle_scope(env, scope);
  }
  if (s != TOVA_OK) {
    batch_free(b);
    return tova_napi_rejected(env, &err);
  }
  return batch_start(env, b);
}

/* concurrentAllTyped(values: Float64Array|BigInt64Array|Int32Array)
 *   -> Promise<Float64Array (all results exact numbers) | BigInt64Array>
 * The bulk form: no JS value per element on either side. */
static napi_value concurrent_all_typed(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab;
  tova_error err;
  bool is_ta = false;
  napi_typedarray_type type;
  size_t n = 0, offset;
  void *data = NULL;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "concurrentAllTyped");
  if (napi_is_typedarray(env, argv[0], &is_ta) == napi_ok && is_ta) {
    napi_get_typedarray_info(env, argv[0], &type, &n, &data, &ab, &offset);
  }
  if (!is_ta || (type != napi_float64_array && type != napi_bigint64_array && type != napi_int32_array)) {
    tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT,
                   "concurrentAllTyped: values must be a Float64Array, BigInt64Array or Int32Array, got %s",
                   is_ta ? "another typed array" : tova_napi_type_name(env, argv[0]));
    return tova_napi_rejected(env, &err);
  }
  batch_op *b = batch_new(tova_napi_state(env), n, "concurrentAllTyped", true);
  if (!b) return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "concurrentAllTyped: out of memory for %zu values", n);
  for (size_t i = 0; i < n; i++) {
    if (type == napi_int32_array) {
      b->slots[i].value = ((const int32_t *)data)[i];
    } else if (type == napi_bigint64_array) {
      b->slots[i].value = ((const int64_t *)data)[i];
    } else {
      double d = ((const double *)data)[i];
      if (!isfinite(d) || d != trunc(d) || fabs(d) > (double)TOVA_NAPI_MAX_SAFE_INT) {
        char num[TOVA_JS_NUMBER_MAX];
        tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT,
                       "concurrentAllTyped: values[%zu] must be a safe integer, got %s", i,
                       tova_js_number(d, num));
        batch_free(b);
        return tova_napi_rejected(env, &err);
      }
      b->slots[i].value = (int64_t)d;
    }
  }
  return batch_start(env, b);
}

napi_status tova_napi_register_tasks(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {
      {"spawnTask", spawn_task, false},
      {"concurrentAll", concurrent_all, false},
      {"concurrentAllTyped", concurrent_all_typed, false},
      {NULL, NULL, false},
  };
  return tova_napi_define(env, exports, list);
}
