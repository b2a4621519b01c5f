/* tasks.c: spawnTask and concurrentAll.
 *
 * Both run their values as tasks on the environment's pool. concurrentAll is a
 * batch: one promise, one allocation holding every slot, one task per value,
 * an atomic countdown, and a single completion pushed by whichever task
 * finishes last; no promise or async work per value. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

/* ---- spawnTask ----------------------------------------------------------- */

typedef struct single_op {
  tova_napi_op op;
  tova_napi_cq *cq;
  int64_t value;
  tova_status status;
} single_op;

/* The task's work: its result is its value (the seed's placeholder task). */
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
  if (!op) return tova_napi_throwf(env, TOVA_ERR_NOMEM, "spawnTask: out of memory");
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
  tova_napi_op op;
  tova_napi_cq *cq;
  size_t n;
  /* Tasks still to finish, plus one held by the spawning thread so the batch
   * cannot complete while it is still being spawned. */
  atomic_size_t remaining;
  _Atomic int first_error; /* tova_status of the first failed task, or TOVA_OK */
  batch_slot slots[];
};

static void batch_finish_one(batch_op *b, size_t count) {
  if (atomic_fetch_sub_explicit(&b->remaining, count, memory_order_acq_rel) == count) {
    tova_napi_cq_push(b->cq, &b->op);
  }
}

static void batch_done(tova_task *t, void *userdata, tova_status status) {
  batch_slot *slot = userdata;
  batch_op *b = slot->batch;
  if (status != TOVA_OK) {
    int expected = TOVA_OK;
    atomic_compare_exchange_strong(&b->first_error, &expected, (int)status);
  }
  batch_finish_one(b, 1);
}

static void batch_settle(napi_env env, tova_napi_env *st, tova_napi_op *base) {
  batch_op *b = (batch_op *)base;
  int failed = atomic_load(&b->first_error);
  if (failed != TOVA_OK) {
    char msg[128];
    snprintf(msg, sizeof msg, "concurrentAll: a task ended with %s", tova_status_code((tova_status)failed));
    tova_napi_reject(env, base->deferred, (tova_status)failed, msg);
    free(b);
    return;
  }
  napi_value arr, v;
  napi_status s = napi_create_array_with_length(env, b->n, &arr);
  for (size_t i = 0; s == napi_ok && i < b->n; i++) {
    s = tova_napi_from_i64(env, b->slots[i].value, &v);
    if (s == napi_ok) s = napi_set_element(env, arr, (uint32_t)i, v);
  }
  if (s == napi_ok) {
    napi_resolve_deferred(env, base->deferred, arr);
  } else {
    napi_value e;
    if (!tova_napi_take_exception(env, &e)) e = tova_napi_error_value(env, TOVA_ERR_NOMEM, "concurrentAll: cannot build the result array");
    napi_reject_deferred(env, base->deferred, e);
  }
  free(b);
}

static napi_value concurrent_all(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  tova_error err;
  bool is_array = false;
  uint32_t n = 0;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "concurrentAll");
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "concurrentAll: values must be an array, got %s",
                   tova_napi_type_name(env, argv[0]));
    return tova_napi_rejected(env, &err);
  }
  TOVA_NAPI_CALL(env, napi_get_array_length(env, argv[0], &n), "concurrentAll");
  tova_napi_env *st = tova_napi_state(env);
  tova_runtime *rt = tova_napi_runtime(st, &err);
  if (!rt) return tova_napi_rejected(env, &err);

  batch_op *b = malloc(sizeof *b + (size_t)n * sizeof(batch_slot));
  if (!b) return tova_napi_throwf(env, TOVA_ERR_NOMEM, "concurrentAll: out of memory for %u values", n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok) {
      free(b);
      return tova_napi_fail(env, napi_generic_failure, "concurrentAll");
    }
    if (tova_napi_to_i64(env, v, &b->slots[i].value, &err, "concurrentAll: value") != TOVA_OK) {
      char what[64];
      snprintf(what, sizeof what, "concurrentAll: values[%u]", i);
      tova_napi_to_i64(env, v, &b->slots[i].value, &err, what);
      free(b);
      return tova_napi_rejected(env, &err);
    }
    b->slots[i].batch = b;
  }

  napi_value promise;
  memset(&b->op, 0, sizeof b->op);
  if (napi_create_promise(env, &b->op.deferred, &promise) != napi_ok) {
    free(b);
    return tova_napi_fail(env, napi_generic_failure, "concurrentAll");
  }
  b->op.settle = batch_settle;
  b->op.discard = free_op;
  b->cq = st->cq;
  b->n = n;
  atomic_init(&b->remaining, (size_t)n + 1);
  atomic_init(&b->first_error, TOVA_OK);
  tova_napi_keepalive_begin(st, &b->op);
  for (uint32_t i = 0; i < n; i++) {
    tova_task *task;
    tova_status s = tova_task_spawn(rt, identity_step, batch_done, &b->slots[i], &task);
    if (s != TOVA_OK) {
      /* The rest never run: account for them as failed, then let the tasks
       * already spawned finish; the last one settles the batch. */
      int expected = TOVA_OK;
      atomic_compare_exchange_strong(&b->first_error, &expected, (int)s);
      batch_finish_one(b, (size_t)(n - i));
      break;
    }
  }
  batch_finish_one(b, 1); /* drop the spawner's hold */
  return promise;
}

napi_status tova_napi_register_tasks(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {
      {"spawnTask", spawn_task},
      {"concurrentAll", concurrent_all},
      {NULL, NULL},
  };
  return tova_napi_define(env, exports, list);
}
