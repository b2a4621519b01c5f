/* wasm.c: the WebAssembly task calls of the JS API.
 *
 *   execWasm(wasm, func, args, opts?)             one task, Promise of its result
 *   execWasmWithChannels(...)                     the same (every task links the
 *                                                 `tova` host imports it imports)
 *                                                 (both: wasm_exec.c)
 *   concurrentWasm(tasks, opts?)                  all results in order; the lowest
 *   concurrentWasmWithChannels(tasks, opts?)      failed index rejects
 *   concurrentWasmShared(tasks, opts?)            the same (the call shape Tova emits)
 *   concurrentWasmFirst(tasks, opts?)             the first success; the rest are
 *                                                 cancelled; all failed: the last error
 *   concurrentWasmCancelOnError(tasks, opts?)     the first error cancels the rest and
 *                                                 rejects with that error
 *   concurrentWasmTimeout(tasks, ms)              all results, or at the deadline every
 *                                                 task is cancelled: TOVA_TIMEOUT
 *   spawnWasm(wasm, func, args, opts?)            {id, result: Promise, cancel(), unref(), ref()}
 *   opts = {timeout: ms}: a deadline per task (TOVA_TIMEOUT).
 *
 * And one for the bridge (index.js), not part of the API:
 *   concurrentWasmPacked(name, wasm, func, args, k, opts)
 *       the call `name` (concurrentWasm, concurrentWasmShared or
 *       concurrentWasmWithChannels) of args.length / k tasks that all call
 *       `func` of `wasm` with k number arguments each, taken from the
 *       Float64Array `args` (task i: args[i*k .. i*k+k)). This is the shape
 *       Tova's compiler emits, and JS packs it far faster than N-API reads
 *       an object per task. Returns undefined, having done nothing, when the
 *       packed form does not fit (unknown export, other argument count or
 *       types, a value that does not convert): the bridge then makes the
 *       ordinary call, which reports whatever is wrong. The promise
 *       resolves with a Float64Array when every result is one number (the
 *       bridge makes the array of numbers from it), else as the call does.
 *
 * Only conversion lives here: the runtime owns each task's instance,
 * execution, parking, cancellation and result (tova_wasm_task_*). On the JS
 * thread, bad input fails before any task is spawned (module, export,
 * arguments); a batch is one promise settled by one completion. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

typedef enum batch_mode { MODE_ALL, MODE_FIRST, MODE_CANCEL_ON_ERROR, MODE_TIMEOUT } batch_mode;

#define BATCH_SMALL_VALS 8

typedef struct wasm_batch wasm_batch;

typedef struct wasm_item {
  wasm_batch *batch;
  tova_module *module; /* retained */
  char *func;          /* owned unless shared with the previous item */
  size_t func_len;
  bool owns_func;
  tova_functype ft;
  size_t args_off; /* into batch->vals */
  size_t res_off;  /* into batch->res: the task writes its results there */
  tova_wasm_task *_Atomic task; /* retained once spawned, when the mode cancels (keeps_tasks) */
} wasm_item;

struct wasm_batch {
  tova_napi_req req; /* first: the request base (countdown, kept failure) */
  const char *fn;    /* JS function name for messages */
  /* Packed (concurrentWasmPacked): every task calls the same export of the
   * same module with k number arguments, so one item, items[0], describes
   * them all; task i's arguments are vals[i*nparams..] and its results
   * res[i*nresults..]. The completion of the runtime task of unit u (below)
   * has &slots[u] for userdata, which holds the batch: 8 bytes per task
   * where an item is 96. Always MODE_ALL, so no task is kept (keeps_tasks). */
  bool shared;
  struct wasm_batch **slots;
  /* Packed, of a stateless export (tova_module_export_is_stateless) and
   * without a deadline: `group` consecutive tasks run as one runtime task
   * in bulk form, one after the other on one instance (batch_start picks
   * the size). Indistinguishable from an instance each, and an
   * instantiation instead of `group`. 1 otherwise. The runtime task of
   * unit u runs tasks [u * group, u * group + unit_rows(b, u)) and its
   * completion's userdata is &slots[u]. */
  bool stateless;
  size_t group;
  batch_mode mode;
  int64_t timeout_ms;
  size_t n;
  /* Items 0..live_items-1 may hold references (batch_free releases those
   * only): a batch is made for the length its caller claims, and one that
   * fails at its first task must not touch the rest (`{length: 1e7}` took
   * seconds and 900 MB to free). calloc'ed items are not touched before. */
  size_t live_items;
  wasm_item *items;
  tova_val *vals;
  size_t nvals, cap_vals;
  tova_val *res; /* every item's results (res_off), written by its task */
  size_t nres;
  bool res_inline; /* res points into small */
  bool name_used;  /* name holds an item's func */
  char name[32];
  /* Small batches (a few tasks) keep their values here, so a batch is one
   * allocation (items follow the struct). */
  tova_val small[BATCH_SMALL_VALS];
  atomic_bool cancelling;    /* FIRST / CANCEL_ON_ERROR decided: cancel the rest */
  atomic_size_t winner;      /* FIRST: index + 1 of the first success */
};

static void batch_free(wasm_batch *b) {
  size_t nitems = b->shared ? 1 : b->live_items;
  for (size_t i = 0; i < nitems; i++) {
    wasm_item *it = &b->items[i];
    if (it->task) tova_wasm_task_release(it->task);
    if (it->module) tova_module_release(it->module);
    if (it->owns_func) free(it->func);
  }
  if (b->vals != b->small) free(b->vals);
  if (!b->res_inline) free(b->res);
  tova_napi_req_destroy(&b->req);
  free(b);
}

static void batch_discard(tova_napi_op *op) { batch_free((wasm_batch *)op); }

/* Cancel every task of the batch but `keep` (spawned so far; the spawner
 * cancels later ones itself once it sees `cancelling`). */
static void cancel_rest(wasm_batch *b, size_t keep) {
  atomic_store(&b->cancelling, true);
  for (size_t j = 0; j < b->n; j++) {
    if (j == keep) continue;
    tova_wasm_task *t = atomic_load(&b->items[j].task);
    if (t) tova_wasm_task_cancel(t, TOVA_ERR_CANCELLED);
  }
}

static void record_error(wasm_batch *b, size_t i, const tova_error *err) {
  tova_napi_req_fail(&b->req, i, err, TOVA_NAPI_REQ_LOWEST);
}

static void finish(wasm_batch *b, size_t count) { tova_napi_req_done(&b->req, count); }

/* Task i's item (a packed batch has one for every task), and where its
 * arguments and results are. */
static wasm_item *item_of(wasm_batch *b, size_t i) { return b->shared ? &b->items[0] : &b->items[i]; }
static size_t args_off_of(const wasm_batch *b, size_t i) {
  return b->shared ? i * b->items[0].ft.nparams : b->items[i].args_off;
}
static size_t res_off_of(const wasm_batch *b, size_t i) {
  return b->shared ? i * b->items[0].ft.nresults : b->items[i].res_off;
}

static void task_done(wasm_batch *b, size_t i, tova_wasm_task *t);

/* Runtime tasks of the batch (units), and the batch's tasks of unit u. */
static size_t unit_count(const wasm_batch *b) { return (b->n + b->group - 1) / b->group; }
static size_t unit_rows(const wasm_batch *b, size_t u) {
  size_t lo = u * b->group;
  return b->n - lo < b->group ? b->n - lo : b->group;
}

/* Runtime, any thread: the task of an item ended. */
static void item_done(tova_wasm_task *t, void *userdata) {
  wasm_item *it = userdata;
  task_done(it->batch, (size_t)(it - it->batch->items), t);
}

/* Runtime, any thread: the runtime task of a packed batch's unit ended
 * (always MODE_ALL). A failing task stops its unit: the tasks after it in
 * the unit do not run, which changes nothing, since the batch rejects with
 * its lowest failing task and those come after this one. */
static void slot_done(tova_wasm_task *t, void *userdata) {
  wasm_batch **slot = userdata;
  wasm_batch *b = *slot;
  size_t u = (size_t)(slot - b->slots);
  tova_error err;
  if (tova_wasm_task_status(t, &err) != TOVA_OK)
    record_error(b, u * b->group + tova_wasm_task_rows_done(t), &err);
  finish(b, unit_rows(b, u));
}

/* Runtime, any thread: task i ended. */
static void task_done(wasm_batch *b, size_t i, tova_wasm_task *t) {
  tova_error err;
  tova_status st = tova_wasm_task_status(t, &err);
  switch (b->mode) {
    case MODE_FIRST:
      if (st == TOVA_OK) {
        size_t none = 0;
        if (atomic_compare_exchange_strong(&b->winner, &none, i + 1)) cancel_rest(b, i);
      } else if (st != TOVA_ERR_CANCELLED || !atomic_load(&b->cancelling)) {
        tova_napi_req_fail(&b->req, i, &err, TOVA_NAPI_REQ_LAST);
      }
      break;
    case MODE_CANCEL_ON_ERROR:
      /* The first error wins; the cancellations it causes are not errors. */
      if (st != TOVA_OK && !atomic_load(&b->cancelling) &&
          tova_napi_req_fail(&b->req, i, &err, TOVA_NAPI_REQ_FIRST))
        cancel_rest(b, i);
      break;
    default:
      if (st != TOVA_OK) record_error(b, i, &err);
      break;
  }
  finish(b, 1);
}

/* ---- settling --------------------------------------------------------------- */

static napi_status item_result(napi_env env, wasm_batch *b, size_t i, napi_value *out) {
  return tova_napi_wasm_results(env, &item_of(b, i)->ft, b->res + res_off_of(b, i), out);
}

/* A packed batch's results as one Float64Array, when each task has one
 * result that JS sees as a number (i32, f32, f64, or an i64 within 2^53):
 * the bridge turns it into the array of numbers (lib/pack-tasks.js) far
 * faster than an N-API call per element builds it here. False (nothing
 * made) otherwise: the ordinary array is built. */
static bool packed_numbers(napi_env env, wasm_batch *b, napi_value *out) {
  if (!b->shared || b->mode != MODE_ALL || b->n == 0 || b->items[0].ft.nresults != 1) return false;
  uint8_t type = b->items[0].ft.results[0];
  if (type != TOVA_I32 && type != TOVA_I64 && type != TOVA_F32 && type != TOVA_F64) return false;
  const tova_val *res = b->res; /* one result per task, in order (batch_results) */
  if (type == TOVA_I64)
    for (size_t i = 0; i < b->n; i++)
      if (res[i].i64 > TOVA_NAPI_MAX_SAFE_INT || res[i].i64 < -TOVA_NAPI_MAX_SAFE_INT) return false;
  void *data = NULL;
  napi_value ab;
  if (b->n > SIZE_MAX / sizeof(double) ||
      napi_create_arraybuffer(env, b->n * sizeof(double), &data, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, b->n, ab, 0, out) != napi_ok)
    return false;
  double *d = data;
  for (size_t i = 0; i < b->n; i++) {
    switch (type) {
      case TOVA_I32: d[i] = res[i].i32; break;
      case TOVA_I64: d[i] = (double)res[i].i64; break;
      case TOVA_F32: {
        float f;
        memcpy(&f, &res[i].f32_bits, sizeof f);
        d[i] = f;
        break;
      }
      default: memcpy(&d[i], &res[i].f64_bits, sizeof d[i]); break;
    }
  }
  return true;
}

static void batch_settle(napi_env env, tova_napi_env *st, tova_napi_op *op) {
  wasm_batch *b = (wasm_batch *)op;
  napi_value out = NULL;
  napi_status s = napi_ok;
  size_t win = atomic_load(&b->winner);
  if (b->mode == MODE_FIRST && win) {
    s = item_result(env, b, win - 1, &out);
  } else if (b->mode == MODE_FIRST && b->n == 0) {
    s = napi_get_null(env, &out);
  } else if (b->req.err_index < b->n) {
    char msg[TOVA_ERROR_MAX + 160];
    const tova_error *e = tova_napi_req_error(&b->req);
    tova_status code = e->status;
    wasm_item *it = item_of(b, b->req.err_index);
    int fl = (int)(it->func_len > 64 ? 64 : it->func_len);
    if (b->mode == MODE_TIMEOUT && code == TOVA_ERR_TIMEOUT) {
      snprintf(msg, sizeof msg, "%s: the deadline of %lld ms passed; every unfinished task was cancelled",
               b->fn, (long long)b->timeout_ms);
    } else {
      snprintf(msg, sizeof msg, "%s: task %zu (%.*s): %s", b->fn, b->req.err_index, fl, it->func,
               e->message);
    }
    tova_napi_reject(env, op->deferred, code, msg);
    batch_free(b);
    tova_napi_req_settled(st);
    return;
  } else if (!packed_numbers(env, b, &out)) {
    s = napi_create_array_with_length(env, b->n, &out);
    for (size_t i = 0; s == napi_ok && i < b->n; i++) {
      napi_value v;
      s = item_result(env, b, i, &v);
      if (s == napi_ok) s = napi_set_element(env, out, (uint32_t)i, v);
    }
  }
  tova_napi_settle_built(env, op->deferred, s, out, "cannot build the results");
  batch_free(b);
  tova_napi_req_settled(st);
}

/* ---- building a batch from JS arguments ------------------------------------ */

/* An ordinary batch of n items, or a packed one (`shared`) of n tasks:
 * one item and n slots. */
static wasm_batch *batch_new(tova_napi_env *st, const char *fn, size_t n, batch_mode mode,
                             bool shared) {
  size_t nitems = shared || n == 0 ? 1 : n, nslots = shared ? n : 0;
  if (n > (SIZE_MAX - sizeof(wasm_batch)) / (sizeof(wasm_item) + sizeof(wasm_batch *))) return NULL;
  wasm_batch *b = calloc(1, sizeof *b + nitems * sizeof(wasm_item) + nslots * sizeof(wasm_batch *));
  if (!b) return NULL;
  b->items = (wasm_item *)(b + 1);
  b->shared = shared;
  b->group = 1;
  if (shared) {
    b->slots = (wasm_batch **)(b->items + 1);
    for (size_t i = 0; i < n; i++) b->slots[i] = b;
  }
  if (!tova_napi_req_init(&b->req, st, n, batch_settle, batch_discard)) {
    free(b);
    return NULL;
  }
  b->fn = fn;
  b->n = n;
  b->live_items = nitems;
  b->mode = mode;
  atomic_init(&b->cancelling, false);
  atomic_init(&b->winner, 0);
  return b;
}

static bool batch_vals(wasm_batch *b, size_t count, size_t *off) {
  if (!b->vals) {
    b->vals = b->small;
    b->cap_vals = BATCH_SMALL_VALS;
  }
  if (b->nvals + count > b->cap_vals) {
    size_t cap = b->cap_vals * 2 > 64 ? b->cap_vals * 2 : 64;
    while (cap < b->nvals + count) cap *= 2;
    tova_val *v = b->vals == b->small ? malloc(cap * sizeof *v) : realloc(b->vals, cap * sizeof *v);
    if (!v) return false;
    if (b->vals == b->small) memcpy(v, b->small, b->nvals * sizeof *v);
    b->vals = v;
    b->cap_vals = cap;
  }
  *off = b->nvals;
  b->nvals += count;
  return true;
}

/* A JS string as UTF-8 bytes with its exact length (a NUL is part of the
 * name, never its end). */
static tova_status name_arg(napi_env env, wasm_batch *b, napi_value v, wasm_item *it,
                            tova_error *err) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: func must be a string, got %s", b->fn,
                          tova_napi_type_name(env, v));
  size_t n = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &n);
  /* The batch's first short name lives in the batch itself. */
  bool inline_name = !b->name_used && n < sizeof b->name;
  char *s = inline_name ? b->name : malloc(n + 1);
  if (!s) return tova_error_set(err, TOVA_ERR_NOMEM, "%s: out of memory", b->fn);
  napi_get_value_string_utf8(env, v, s, n + 1, &n);
  b->name_used |= inline_name;
  it->func = s;
  it->func_len = n;
  it->owns_func = !inline_name;
  return TOVA_OK;
}

typedef struct item_memo {
  napi_value wasm;
  tova_module *module;
  napi_value func_v;
  char *func;
  size_t func_len;
  bool have_ft; /* ft is the signature of func in module */
  tova_functype ft;
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
  if (!same) memo->have_ft = false;
  same = false;
  if (memo->func && napi_strict_equals(env, memo->func_v, func, &same) == napi_ok && same) {
    it->func = memo->func;
    it->func_len = memo->func_len;
  } else {
    s = name_arg(env, b, func, it, err);
    if (s != TOVA_OK) return s;
    memo->func_v = func;
    memo->func = it->func;
    memo->func_len = it->func_len;
    memo->have_ft = false;
  }
  /* The same module and name as the item before (Tova's usual batch): the
   * same signature, looked up once. */
  if (memo->have_ft) {
    it->ft = memo->ft;
  } else if (tova_module_export_functype_n(it->module, it->func, it->func_len, &it->ft) == TOVA_OK) {
    memo->ft = it->ft;
    memo->have_ft = true;
  } else {
    return tova_error_set(err, TOVA_ERR_NOT_FOUND, "%s: the module has no exported function '%.*s'",
                          b->fn, (int)(it->func_len > 64 ? 64 : it->func_len), it->func);
  }
  size_t off;
  if (!batch_vals(b, it->ft.nparams, &off))
    return tova_error_set(err, TOVA_ERR_NOMEM, "%s: out of memory", b->fn);
  it->args_off = off;
  return tova_napi_wasm_args(env, args, &it->ft, b->vals + off, err, b->fn, it->func);
}

/* opts: undefined, or {timeout: ms}; 0 ms still gives the task a (past)
 * deadline. *timeout_ms = 0: none. */
static tova_status read_opts(napi_env env, napi_value opts, int64_t *timeout_ms, tova_error *err,
                             const char *fn) {
  int64_t ms;
  tova_status s = tova_napi_opt_ms(env, opts, "timeout", &ms, err, fn);
  *timeout_ms = ms < 0 ? 0 : ms == 0 ? 1 : ms;
  return s;
}

/* ---- exit hook: deadlock reports ------------------------------------------- */

/* process.on('beforeExit'): JS has nothing left to do. If every WebAssembly
 * task is asleep on channels, nothing can ever wake one: end them with
 * TOVA_DEADLOCK (their promises reject, which gives the loop work again). */
static napi_value before_exit(napi_env env, napi_callback_info info) {
  (void)info;
  tova_napi_env *st = tova_napi_state(env);
  if (!st || st->closing) return NULL;
  /* Every WebAssembly task asleep on channels and JS done: a deadlock. The
   * channel waits JS left pending can then never complete either: they are
   * part of it, as Go's main goroutine is. (Without such tasks, a pending JS
   * wait stays what it is in JS, a promise nobody settles: no error.) */
  char report[512];
  size_t ended = st->rt ? tova_runtime_deadlock(st->rt, report, sizeof report) : 0;
  if (ended) {
    tova_napi_cq_abort_parked(st->cq, TOVA_ERR_DEADLOCK);
    tova_napi_update_ref(st);
  }
  return NULL;
}

void tova_napi_install_exit_hook(napi_env env, tova_napi_env *st) {
  if (st->exit_hook) return;
  st->exit_hook = true;
  napi_value global, process, on, fn, name, argv[2];
  napi_valuetype t;
  if (napi_get_global(env, &global) != napi_ok ||
      napi_get_named_property(env, global, "process", &process) != napi_ok ||
      napi_typeof(env, process, &t) != napi_ok || t != napi_object ||
      napi_get_named_property(env, process, "on", &on) != napi_ok ||
      napi_typeof(env, on, &t) != napi_ok || t != napi_function)
    return;
  if (napi_create_function(env, "tovaDeadlockCheck", NAPI_AUTO_LENGTH, before_exit, NULL, &fn) != napi_ok ||
      napi_create_string_utf8(env, "beforeExit", NAPI_AUTO_LENGTH, &name) != napi_ok)
    return;
  argv[0] = name;
  argv[1] = fn;
  napi_value ignored;
  if (napi_call_function(env, process, on, 2, argv, &ignored) != napi_ok) {
    napi_value e;
    tova_napi_take_exception(env, &e); /* a host without process.on: no reports */
  }
}

/* ---- spawning --------------------------------------------------------------- */

/* Tasks spawned per runtime call: the first ones run on the workers while
 * the JS thread prepares the next, and the configs need a small buffer only
 * (on the stack: SPAWN_CHUNK configs of about 100 bytes). */
#define SPAWN_CHUNK 256

/* Modes that cancel tasks hold a reference to each (cancel_rest); the others
 * drop theirs at once: a finished task's memory is then reused by the tasks
 * still being spawned instead of piling up until the batch settles. */
static bool keeps_tasks(const wasm_batch *b) {
  return b->mode == MODE_FIRST || b->mode == MODE_CANCEL_ON_ERROR;
}

/* Unit u (an item, or `group` tasks of a packed batch) as rows of the
 * runtime's bulk form: the arguments are read from b->vals and the results
 * written to b->res in place (no copies). */
static tova_wasm_task_config item_config(wasm_batch *b, size_t u) {
  size_t i = u * b->group; /* the unit's first task */
  wasm_item *it = item_of(b, i);
  return (tova_wasm_task_config){.module = it->module, .func = it->func, .func_len = it->func_len,
                                 .timeout_ms = b->timeout_ms,
                                 .done = b->shared ? slot_done : item_done,
                                 .userdata = b->shared ? (void *)&b->slots[u] : (void *)it,
                                 .nrows = unit_rows(b, u), .rows_args = b->vals + args_off_of(b, i),
                                 .rows_results = b->res + res_off_of(b, i)};
}

/* The batch's tasks [lo, lo + k) were spawned as tasks[0..k). */
static void spawned(wasm_batch *b, size_t lo, size_t k, tova_wasm_task **tasks) {
  if (!keeps_tasks(b)) {
    for (size_t i = 0; i < k; i++) tova_wasm_task_release(tasks[i]);
    return;
  }
  for (size_t i = 0; i < k; i++) atomic_store(&b->items[lo + i].task, tasks[i]);
  /* A winner or first error may have come before the task pointers were
   * stored: cancel_rest could not see them. */
  if (atomic_load(&b->cancelling)) {
    size_t win = atomic_load(&b->winner);
    for (size_t i = 0; i < k; i++)
      if (win != lo + i + 1) tova_wasm_task_cancel(tasks[i], TOVA_ERR_CANCELLED);
  }
}

static tova_status spawn_item(tova_runtime *rt, wasm_batch *b, size_t i, tova_error *err) {
  tova_wasm_task_config cfg = item_config(b, i);
  tova_wasm_task *t = NULL;
  tova_status s = tova_wasm_task_spawn(rt, &cfg, &t, err);
  if (s != TOVA_OK) return s;
  spawned(b, i, 1, &t);
  return TOVA_OK;
}

/* Room for every item's results, and each item's place in it. */
static bool batch_results(wasm_batch *b) {
  size_t total = 0;
  if (b->shared) {
    uint32_t per = b->items[0].ft.nresults;
    if (per && b->n > SIZE_MAX / sizeof(tova_val) / per) return false;
    total = b->n * per;
  }
  for (size_t i = 0; !b->shared && i < b->n; i++) {
    b->items[i].res_off = total;
    total += b->items[i].ft.nresults;
  }
  b->nres = total;
  /* What the arguments left of the inline values, when that is enough. */
  if ((!b->vals || b->vals == b->small) && b->nvals + total <= BATCH_SMALL_VALS) {
    b->res = b->small + b->nvals;
    b->res_inline = true;
    return true;
  }
  b->res = calloc(total ? total : 1, sizeof *b->res);
  return b->res != NULL;
}

/* The batch's tasks from unit lo on, before unit lo + k. */
static size_t rows_of_units(const wasm_batch *b, size_t lo, size_t k) {
  size_t from = lo * b->group, to = (lo + k) * b->group;
  return (to < b->n ? to : b->n) - from;
}

/* Spawn the batch's units [lo, lo + k) in one runtime call (cfgs and tasks
 * have room for k). False on failure (out of memory, shutdown: what the JS
 * thread checked already passed): nothing of the range was spawned, and its
 * tasks are finished here as failed. */
static bool spawn_range(tova_runtime *rt, wasm_batch *b, size_t lo, size_t k,
                        tova_wasm_task_config *cfgs, tova_wasm_task **tasks) {
  tova_error err;
  for (size_t i = 0; i < k; i++) cfgs[i] = item_config(b, lo + i);
  size_t failed = 0;
  if (tova_wasm_task_spawn_batch(rt, k, cfgs, tasks, &failed, &err) != TOVA_OK) {
    record_error(b, (lo + failed) * b->group, &err);
    finish(b, rows_of_units(b, lo, k));
    return false;
  }
  spawned(b, lo, k, tasks);
  return true;
}

/* Tasks per unit of a stateless packed batch: enough that instantiation
 * stops counting (one per GROUP_MAX tasks), few enough that every worker
 * gets at least GROUP_SPREAD units, so that long tasks still spread over
 * the workers (a worker's last unit is at most 1/GROUP_SPREAD of its
 * share). A small batch is not grouped at all. */
#define GROUP_MAX 32
#define GROUP_SPREAD 32
static size_t group_size(tova_runtime *rt, size_t n) {
  size_t per = n / ((size_t)tova_runtime_worker_count(rt) * GROUP_SPREAD);
  return per < 1 ? 1 : per > GROUP_MAX ? GROUP_MAX : per;
}

static napi_value batch_start(napi_env env, wasm_batch *b) {
  tova_error err;
  napi_value promise;
  tova_runtime *rt = tova_napi_runtime(b->req.st, &err);
  if (!rt) {
    batch_free(b);
    return tova_napi_rejected(env, &err);
  }
  const char *fn = b->fn;
  if (!batch_results(b)) {
    batch_free(b);
    return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "%s: out of memory", fn);
  }
  if (napi_create_promise(env, &b->req.op.deferred, &promise) != napi_ok) {
    batch_free(b);
    return tova_napi_fail(env, napi_generic_failure, fn);
  }
  tova_napi_install_exit_hook(env, b->req.st);
  tova_napi_req_start(&b->req, b->n);
  if (b->n == 1) {
    tova_status s = spawn_item(rt, b, 0, &err);
    if (s != TOVA_OK) {
      record_error(b, 0, &err);
      finish(b, 1);
    }
  } else {
    /* Chunks of SPAWN_CHUNK: the workers start on the first tasks while
     * this thread prepares the next ones. The spawning stays on this thread:
     * live tasks are what keeps the JS event loop alive (and what deadlock
     * detection counts), so every task is live before we return to JS. */
    if (b->stateless && b->timeout_ms == 0) b->group = group_size(rt, b->n);
    size_t units = unit_count(b);
    tova_wasm_task_config cfgs[SPAWN_CHUNK];
    tova_wasm_task *tasks[SPAWN_CHUNK];
    for (size_t lo = 0; lo < units; lo += SPAWN_CHUNK) {
      size_t k = units - lo < SPAWN_CHUNK ? units - lo : SPAWN_CHUNK;
      if (!spawn_range(rt, b, lo, k, cfgs, tasks)) {
        finish(b, rows_of_units(b, lo + k, units - lo - k)); /* nor any later chunk */
        break;
      }
    }
  }
  finish(b, 1);
  return promise;
}

static napi_value exec_wasm(napi_env env, napi_callback_info info) {
  return tova_napi_exec_wasm(env, info, TOVA_NAPI_EXEC_WASM, NULL);
}
static napi_value exec_wasm_with_channels(napi_env env, napi_callback_info info) {
  return tova_napi_exec_wasm(env, info, TOVA_NAPI_EXEC_WASM_WITH_CHANNELS, NULL);
}

static napi_value concurrent(napi_env env, napi_callback_info info, const char *fn, batch_mode mode) {
  size_t argc = 2;
  napi_value argv[2];
  tova_error err;
  bool is_array = false;
  uint32_t n = 0;
  item_memo memo = {0};
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), fn);
  char what[64];
  snprintf(what, sizeof what, "%s: tasks", fn);
  if (tova_napi_list_length(env, argv[0], &n, &err, what) != TOVA_OK)
    return tova_napi_rejected(env, &err);
  (void)is_array;
  int64_t timeout_ms = 0;
  if (mode == MODE_TIMEOUT) {
    uint64_t ms;
    char what[64];
    snprintf(what, sizeof what, "%s: ms", fn);
    if (tova_napi_to_index(env, argv[1], (uint64_t)1 << 40, &ms, &err, what) != TOVA_OK)
      return tova_napi_rejected(env, &err);
    timeout_ms = ms == 0 ? 1 : (int64_t)ms;
  } else if (read_opts(env, argc > 1 ? argv[1] : NULL, &timeout_ms, &err, fn) != TOVA_OK) {
    return tova_napi_rejected(env, &err);
  }
  wasm_batch *b = batch_new(tova_napi_state(env), fn, n, mode, false);
  if (!b) return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "%s: out of memory", fn);
  b->timeout_ms = timeout_ms;
  /* The three keys as values made once: a lookup by C string interns it
   * again on every call. */
  napi_value k_wasm, k_func, k_args;
  if (napi_create_string_utf8(env, "wasm", 4, &k_wasm) != napi_ok ||
      napi_create_string_utf8(env, "func", 4, &k_func) != napi_ok ||
      napi_create_string_utf8(env, "args", 4, &k_args) != napi_ok) {
    batch_free(b);
    return tova_napi_fail(env, napi_generic_failure, fn);
  }
  napi_handle_scope scope = NULL;
  b->live_items = 0;
  for (uint32_t i = 0; i < n; i++) {
    b->live_items = (size_t)i + 1;
    /* A handle scope per block of items bounds the handles a big batch
     * creates; the memo only holds values of the current scope. */
    if (i % 1024 == 0) {
      if (scope) napi_close_handle_scope(env, scope);
      napi_open_handle_scope(env, &scope);
      memset(&memo, 0, sizeof memo);
    }
    napi_value task, wasm, func, args;
    napi_valuetype t = napi_undefined;
    tova_status s = tova_napi_list_get(env, argv[0], i, &task, &err, what);
    if (s == TOVA_OK) napi_typeof(env, task, &t);
    if (s != TOVA_OK) {
      /* err says what the getter threw */
    } else if (t != napi_object || napi_get_property(env, task, k_wasm, &wasm) != napi_ok ||
        napi_get_property(env, task, k_func, &func) != napi_ok ||
        napi_get_property(env, task, k_args, &args) != napi_ok) {
      napi_value pending;
      tova_napi_take_exception(env, &pending); /* a throwing getter: reported as bad input */
      s = tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "%s: must be an object {wasm, func, args}", fn);
    } else {
      s = fill_item(env, b, i, wasm, func, args, &memo, &err);
    }
    if (s != TOVA_OK) {
      if (scope) napi_close_handle_scope(env, scope);
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
  return batch_start(env, b);
}

/* ---- the packed form (for the bridge) -------------------------------------- */

/* A JS number as a WebAssembly value of `type` under the rules of
 * wasm_values.c for numbers; false when those rules would refuse it. */
static bool packed_value(double d, uint8_t type, tova_val *out) {
  out->raw = 0;
  switch (type) {
    case TOVA_F32: {
      float f = (float)d;
      memcpy(&out->f32_bits, &f, sizeof f);
      return true;
    }
    case TOVA_F64:
      memcpy(&out->f64_bits, &d, sizeof d);
      return true;
    case TOVA_I32:
    case TOVA_I64:
      if (!isfinite(d) || d != trunc(d) || fabs(d) > (double)TOVA_NAPI_MAX_SAFE_INT) return false;
      if (type == TOVA_I64) {
        out->i64 = (int64_t)d;
        return true;
      }
      if (d < -2147483648.0 || d > 4294967295.0) return false;
      out->i32 = (int32_t)(uint32_t)(int64_t)d;
      return true;
  }
  return false;
}

static napi_value concurrent_wasm_packed(napi_env env, napi_callback_info info) {
  static const char *const names[] = {"concurrentWasm", "concurrentWasmShared",
                                      "concurrentWasmWithChannels"};
  size_t argc = 6;
  napi_value argv[6];
  tova_error err;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return NULL;
  /* Which call: its name for messages (a static string). */
  char name[40];
  size_t name_len = 0;
  const char *fn = NULL;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len) != napi_ok) return NULL;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0) fn = names[i];
  if (!fn) return NULL;
  /* The options first: reading them may run JS (a getter), which may
   * detach or shrink the arguments' buffer; its data pointer is taken
   * after, and nothing below runs JS. */
  int64_t timeout_ms = 0;
  if (read_opts(env, argc > 5 ? argv[5] : NULL, &timeout_ms, &err, fn) != TOVA_OK) {
    napi_value pending;
    tova_napi_take_exception(env, &pending);
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  uint32_t k = 0;
  bool is_ta = false;
  if (napi_is_typedarray(env, argv[3], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[3], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || napi_get_value_uint32(env, argv[4], &k) != napi_ok ||
      (k ? length % k != 0 : length != 0))
    return NULL;
  size_t n = k ? length / k : 0;
  if (n == 0) return NULL; /* the ordinary call knows how many tasks there are */
  wasm_batch *b = batch_new(tova_napi_state(env), fn, n, MODE_ALL, true);
  if (!b) return NULL;
  b->timeout_ms = timeout_ms;
  wasm_item *first = &b->items[0];
  first->batch = b;
  bool fits = tova_napi_module_arg(env, argv[1], &first->module, &err, fn) == TOVA_OK &&
              name_arg(env, b, argv[2], first, &err) == TOVA_OK;
  fits = fits && tova_module_export_functype_n(first->module, first->func, first->func_len,
                                               &first->ft) == TOVA_OK &&
         first->ft.nparams == k;
  b->stateless = fits && tova_module_export_is_stateless(first->module, first->func, first->func_len);
  size_t off = 0;
  fits = fits && batch_vals(b, n * (size_t)k, &off);
  const double *in = data;
  for (size_t v = 0; fits && v < n * (size_t)k; v++)
    fits = packed_value(in[v], first->ft.params[v % k], &b->vals[v]);
  if (!fits) {
    napi_value pending;
    tova_napi_take_exception(env, &pending); /* none expected; never leave one */
    batch_free(b);
    return NULL;
  }
  /* Task i's arguments are vals[i*k..] (args_off_of): the values start
   * the batch's, at 0. */
  return batch_start(env, b);
}

static napi_value concurrent_wasm(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasm", MODE_ALL);
}
static napi_value concurrent_wasm_shared(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasmShared", MODE_ALL);
}
static napi_value concurrent_wasm_with_channels(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasmWithChannels", MODE_ALL);
}
static napi_value concurrent_wasm_first(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasmFirst", MODE_FIRST);
}
static napi_value concurrent_wasm_cancel_on_error(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasmCancelOnError", MODE_CANCEL_ON_ERROR);
}
static napi_value concurrent_wasm_timeout(napi_env env, napi_callback_info info) {
  return concurrent(env, info, "concurrentWasmTimeout", MODE_TIMEOUT);
}

/* ---- one task with a handle ------------------------------------------------- */

/* The handle's three functions share it: each one's finalizer drops one
 * reference (JS thread only), so any of them may outlive the object and
 * the others. */
typedef struct task_handle {
  tova_wasm_task *task; /* retained until the last function is collected */
  int refs;
} task_handle;

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  task_handle *h = data;
  if (--h->refs > 0) return;
  if (h->task) tova_wasm_task_release(h->task);
  free(h);
}

static task_handle *handle_of(napi_env env, napi_callback_info info, napi_value *self) {
  void *data = NULL;
  size_t argc = 0;
  *self = NULL;
  napi_get_cb_info(env, info, &argc, NULL, self, &data);
  return data;
}

static napi_value handle_cancel(napi_env env, napi_callback_info info) {
  napi_value self;
  task_handle *h = handle_of(env, info, &self);
  if (h && h->task) tova_wasm_task_cancel(h->task, TOVA_ERR_CANCELLED);
  return NULL;
}

/* unref() / ref(): as a Node timer's; they return the handle (`this`), so
 * `spawnWasm(...).unref()` keeps it. */
static napi_value handle_unref(napi_env env, napi_callback_info info) {
  napi_value self;
  task_handle *h = handle_of(env, info, &self);
  if (h && h->task) tova_wasm_task_unref(h->task);
  return self;
}

static napi_value handle_ref(napi_env env, napi_callback_info info) {
  napi_value self;
  task_handle *h = handle_of(env, info, &self);
  if (h && h->task) tova_wasm_task_ref(h->task);
  return self;
}

/* spawnWasm(wasm, func, args, opts?) -> {id, result, cancel, unref, ref}:
 * the task's promise and a way to stop it (cancel() makes `result` reject
 * with TOVA_CANCELLED unless the task has already ended); unref() lets the
 * process exit while the task still runs or waits (it then ends with
 * TOVA_SHUTDOWN at teardown, its promise unsettled), ref() undoes it. */
static napi_value spawn_wasm(napi_env env, napi_callback_info info) {
  tova_wasm_task *t = NULL;
  napi_value promise = tova_napi_exec_wasm(env, info, TOVA_NAPI_SPAWN_WASM, &t);
  if (!promise) return NULL; /* an exception */
  /* Bad input gives a rejected promise and no task: still a handle (the
   * documented shape, so `h.result.catch(...)` sees the error), with id 0
   * (no task has it) and functions that have nothing to act on. */
  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"cancel", handle_cancel}, {"unref", handle_unref}, {"ref", handle_ref}};
  enum { NFNS = sizeof fns / sizeof fns[0] };
  task_handle *h = malloc(sizeof *h);
  napi_value obj, id, fv[NFNS];
  if (!h) {
    if (t) tova_wasm_task_release(t);
    return tova_napi_throwf(env, TOVA_ERR_NOMEM, "spawnWasm: out of memory");
  }
  h->task = t;
  h->refs = 0;
  bool ok = napi_create_object(env, &obj) == napi_ok &&
            napi_create_int64(env, t ? (int64_t)tova_wasm_task_id(t) : 0, &id) == napi_ok;
  for (int i = 0; ok && i < NFNS; i++) {
    ok = napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, h, &fv[i]) == napi_ok &&
         napi_add_finalizer(env, fv[i], h, handle_finalize, NULL, NULL) == napi_ok;
    if (ok) h->refs++;
  }
  if (!ok) {
    /* The functions made so far are garbage now; their finalizers free h. */
    if (h->refs == 0) {
      if (t) tova_wasm_task_release(t);
      free(h);
    }
    return tova_napi_fail(env, napi_generic_failure, "spawnWasm");
  }
  napi_set_named_property(env, obj, "id", id);
  napi_set_named_property(env, obj, "result", promise);
  for (int i = 0; i < NFNS; i++) napi_set_named_property(env, obj, fns[i].name, fv[i]);
  return obj;
}

napi_status tova_napi_register_wasm(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {
      {"execWasm", exec_wasm, false},
      {"execWasmWithChannels", exec_wasm_with_channels, false},
      {"concurrentWasm", concurrent_wasm, false},
      {"concurrentWasmShared", concurrent_wasm_shared, false},
      {"concurrentWasmWithChannels", concurrent_wasm_with_channels, false},
      {"concurrentWasmFirst", concurrent_wasm_first, false},
      {"concurrentWasmCancelOnError", concurrent_wasm_cancel_on_error, false},
      {"concurrentWasmTimeout", concurrent_wasm_timeout, false},
      {"spawnWasm", spawn_wasm, false},
      {"concurrentWasmPacked", concurrent_wasm_packed, false},
      {NULL, NULL, false},
  };
  return tova_napi_define(env, exports, list);
}
