/* wasm.c: compile, execWasm, concurrentWasm, concurrentWasmShared.
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

/* ---- module objects ------------------------------------------------------ */

static const napi_type_tag module_tag = {0x746f76615f6d6f64ULL, 0x756c655f68616e64ULL};

typedef struct module_ref {
  tova_module *m;
} module_ref;

static void module_ref_finalize(napi_env env, void *data, void *hint) {
  module_ref *r = data;
  tova_module_release(r->m);
  free(r);
}

static const char *kind_name(tova_extern_kind k) {
  switch (k) {
    case TOVA_EXTERN_FUNC: return "function";
    case TOVA_EXTERN_TABLE: return "table";
    case TOVA_EXTERN_MEMORY: return "memory";
    case TOVA_EXTERN_GLOBAL: return "global";
  }
  return "unknown";
}

static napi_status type_list(napi_env env, const uint8_t *types, uint32_t n, napi_value *out) {
  napi_status s = napi_create_array_with_length(env, n, out);
  for (uint32_t i = 0; s == napi_ok && i < n; i++) {
    napi_value t;
    s = napi_create_string_utf8(env, tova_napi_valtype_name(types[i]), NAPI_AUTO_LENGTH, &t);
    if (s == napi_ok) s = napi_set_element(env, *out, i, t);
  }
  return s;
}

static napi_status export_entry(napi_env env, tova_module *m, uint32_t i, napi_value *out) {
  tova_export_info info;
  napi_value v;
  tova_module_export_at(m, i, &info);
  napi_status s = napi_create_object(env, out);
  if (s == napi_ok) s = napi_create_string_utf8(env, info.name, info.name_len, &v);
  if (s == napi_ok) s = napi_set_named_property(env, *out, "name", v);
  if (s == napi_ok) s = napi_create_string_utf8(env, kind_name(info.kind), NAPI_AUTO_LENGTH, &v);
  if (s == napi_ok) s = napi_set_named_property(env, *out, "kind", v);
  if (s != napi_ok || info.kind != TOVA_EXTERN_FUNC) return s;
  char *name = malloc((size_t)info.name_len + 1);
  if (!name) return napi_generic_failure;
  memcpy(name, info.name, info.name_len);
  name[info.name_len] = 0;
  tova_functype ft;
  /* Names with an embedded NUL cannot be looked up by C string: no signature. */
  if (strlen(name) == info.name_len && tova_module_export_functype(m, name, &ft) == TOVA_OK) {
    s = type_list(env, ft.params, ft.nparams, &v);
    if (s == napi_ok) s = napi_set_named_property(env, *out, "params", v);
    if (s == napi_ok) s = type_list(env, ft.results, ft.nresults, &v);
    if (s == napi_ok) s = napi_set_named_property(env, *out, "results", v);
  }
  free(name);
  return s;
}

napi_status tova_napi_module_object(napi_env env, tova_module *m, napi_value *out) {
  napi_value exports;
  uint32_t n = tova_module_export_count(m);
  napi_status s = napi_create_object(env, out);
  if (s == napi_ok) s = napi_create_array_with_length(env, n, &exports);
  for (uint32_t i = 0; s == napi_ok && i < n; i++) {
    napi_value e;
    s = export_entry(env, m, i, &e);
    if (s == napi_ok) s = napi_set_element(env, exports, i, e);
  }
  if (s == napi_ok) s = napi_set_named_property(env, *out, "exports", exports);
  if (s != napi_ok) return s;
  module_ref *r = malloc(sizeof *r);
  if (!r) return napi_generic_failure;
  r->m = m;
  tova_module_retain(m);
  s = napi_wrap(env, *out, r, module_ref_finalize, NULL, NULL);
  if (s != napi_ok) {
    tova_module_release(m);
    free(r);
    return s;
  }
  return napi_type_tag_object(env, *out, &module_tag);
}

tova_status tova_napi_module_arg(napi_env env, napi_value v, tova_module **out, tova_error *err,
                                 const char *fn) {
  napi_valuetype t;
  bool yes = false;
  void *data = NULL;
  size_t len = 0;
  napi_typeof(env, v, &t);
  if (t == napi_object) {
    if (napi_check_object_type_tag(env, v, &module_tag, &yes) == napi_ok && yes &&
        napi_unwrap(env, v, (void **)&data) == napi_ok && data) {
      *out = ((module_ref *)data)->m;
      tova_module_retain(*out);
      return TOVA_OK;
    }
    if (napi_is_typedarray(env, v, &yes) == napi_ok && yes) {
      napi_typedarray_type type;
      size_t length;
      napi_value ab;
      size_t offset;
      napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset);
      static const size_t elem_size[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
      len = length * ((size_t)type < sizeof elem_size / sizeof *elem_size ? elem_size[type] : 1);
      goto have_bytes;
    }
    if (napi_is_arraybuffer(env, v, &yes) == napi_ok && yes) {
      napi_get_arraybuffer_info(env, v, &data, &len);
      goto have_bytes;
    }
    if (napi_is_dataview(env, v, &yes) == napi_ok && yes) {
      napi_value ab;
      size_t offset;
      napi_get_dataview_info(env, v, &len, &data, &ab, &offset);
      goto have_bytes;
    }
  }
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                        "%s: wasm must be WebAssembly bytes (Uint8Array, Buffer, ArrayBuffer) or a "
                        "module from compile(), got %s",
                        fn, tova_napi_type_name(env, v));
have_bytes:;
  static const uint8_t empty[1] = {0};
  tova_status s = tova_napi_module_get(data ? data : empty, data ? len : 0, out, err);
  if (s != TOVA_OK) {
    char why[TOVA_ERROR_MAX];
    snprintf(why, sizeof why, "%s", err->message);
    tova_error_set(err, s, "%s: invalid module: %s", fn, why);
  }
  return s;
}

tova_status tova_napi_export_type(tova_module *m, const char *func, tova_functype *ft,
                                  tova_error *err, const char *fn) {
  if (tova_module_export_functype(m, func, ft) != TOVA_OK) {
    return tova_error_set(err, TOVA_ERR_NOT_FOUND, "%s: the module has no exported function '%s'", fn,
                          func);
  }
  return TOVA_OK;
}

static napi_value compile(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  tova_error err;
  tova_module *m;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "compile");
  if (tova_napi_module_arg(env, argv[0], &m, &err, "compile") != TOVA_OK) return tova_napi_throw(env, &err);
  napi_status s = tova_napi_module_object(env, m, &out);
  tova_module_release(m);
  TOVA_NAPI_CALL(env, s, "compile");
  return out;
}

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
    s = tova_napi_wasm_call(b->st, exec, it->module, it->func, b->vals + it->args_off,
                            b->vals + it->results_off, &err);
  }
  if (s != TOVA_OK) record_error(b, i, &err);
}

static tova_status item_step(tova_task *t, void *userdata) {
  wasm_item *it = userdata;
  run_item(it->batch, (size_t)(it - it->batch->items), tova_napi_thread_exec());
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
  for (size_t i = c->lo; i < c->hi; i++) run_item(c->batch, i, exec);
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
  size_t ntasks = b->n;
  if (chunked) {
    size_t want = (size_t)tova_runtime_worker_count(rt) * 4;
    if (want == 0) want = 4;
    ntasks = b->n < want ? b->n : want;
    b->chunks = calloc(ntasks ? ntasks : 1, sizeof *b->chunks);
    if (!b->chunks) {
      batch_free(b);
      return tova_napi_throwf(env, TOVA_ERR_NOMEM, "%s: out of memory", b->fn);
    }
    for (size_t c = 0; c < ntasks; c++) {
      b->chunks[c].batch = b;
      b->chunks[c].lo = b->n * c / ntasks;
      b->chunks[c].hi = b->n * (c + 1) / ntasks;
    }
  }
  if (napi_create_promise(env, &b->op.deferred, &promise) != napi_ok) {
    batch_free(b);
    return tova_napi_fail(env, napi_generic_failure, b->fn);
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
      {"compile", compile},
      {"execWasm", exec_wasm},
      {"concurrentWasm", concurrent_wasm},
      {"concurrentWasmShared", concurrent_wasm_shared},
      {NULL, NULL},
  };
  return tova_napi_define(env, exports, list);
}
