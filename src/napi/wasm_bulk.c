/* wasm_bulk.c: callBulk(module, func, args, rowCount?) runs one export over
 * many argument rows and returns a typed array of results.
 *
 * The hot path has no JS objects at all: the arguments come as one typed array
 * (row-major, nparams per row), are converted once on the JS thread into a
 * private buffer (so JS may reuse or detach its array at once), and the rows
 * are split into a few chunks per worker. A chunk is one WebAssembly task of
 * the runtime in bulk mode (tova_wasm_task_config.nrows): it instantiates the
 * module ONCE and calls the export for each of its rows, so rows of one chunk
 * share the instance (globals, memory): callBulk is meant for pure functions.
 * Like every task it can park on the `tova` imports and is stopped at
 * teardown by the runtime.
 *
 * Arguments: Int32Array, Float64Array, Float32Array or BigInt64Array; each
 * element converted to its parameter's type with the usual checks (no silent
 * rounding of integers). Results: Int32Array (all results i32),
 * BigInt64Array (all i64) or Float64Array (all f32/f64), rows * nresults long;
 * undefined when the export returns nothing. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js_number.h"
#include "wasm_internal.h"

/* At most this many rows, and this many argument or result values, per call
 * (each value is a tova_val of 8 bytes here, plus the JS array's copy: 1 GiB
 * each at the limit). A bigger request is a mistake or an attack, refused
 * with TOVA_BAD_ARGUMENT before anything is reserved. */
#define BULK_MAX_VALUES ((size_t)1 << 27)

typedef enum out_kind { OUT_NONE, OUT_I32, OUT_I64, OUT_F64 } out_kind;

typedef struct bulk_op bulk_op;
typedef struct bulk_chunk {
  bulk_op *bulk;
  size_t lo, hi; /* rows */
  tova_wasm_task *task;
} bulk_chunk;

struct bulk_op {
  tova_napi_req req; /* first: the request base (items are rows) */
  tova_module *module; /* retained */
  char *func;
  tova_functype ft;
  out_kind out;
  size_t rows;
  tova_val *args;    /* rows * nparams */
  tova_val *results; /* rows * nresults */
  bulk_chunk *chunks;
  size_t nchunks;
};

static void bulk_free(bulk_op *b) {
  if (b->module) tova_module_release(b->module);
  free(b->func);
  free(b->args);
  free(b->results);
  if (b->chunks)
    for (size_t c = 0; c < b->nchunks; c++)
      if (b->chunks[c].task) tova_wasm_task_release(b->chunks[c].task);
  free(b->chunks);
  tova_napi_req_destroy(&b->req);
  free(b);
}

static void bulk_discard(tova_napi_op *op) { bulk_free((bulk_op *)op); }

static void bulk_error(bulk_op *b, size_t row, const tova_error *err) {
  tova_napi_req_fail(&b->req, row, err, TOVA_NAPI_REQ_LOWEST);
}

static void bulk_finish(bulk_op *b, size_t count) { tova_napi_req_done(&b->req, count); }

/* Runtime, any thread: chunk c's task ended. */
static void chunk_done(tova_wasm_task *t, void *userdata) {
  bulk_chunk *c = userdata;
  tova_error err;
  if (tova_wasm_task_status(t, &err) != TOVA_OK)
    bulk_error(c->bulk, c->lo + tova_wasm_task_rows_done(t), &err);
  bulk_finish(c->bulk, 1);
}

static napi_status make_output(napi_env env, bulk_op *b, napi_value *out) {
  size_t n = b->rows * b->ft.nresults;
  void *data = NULL;
  napi_value ab;
  napi_typedarray_type type = b->out == OUT_I32 ? napi_int32_array
                              : b->out == OUT_I64 ? napi_bigint64_array
                                                  : napi_float64_array;
  size_t elem = b->out == OUT_I32 ? 4 : 8;
  napi_status s = napi_create_arraybuffer(env, n * elem, &data, &ab);
  if (s != napi_ok) return s;
  for (size_t i = 0; i < n; i++) {
    tova_val v = b->results[i];
    uint8_t rt = b->ft.results[i % b->ft.nresults];
    if (b->out == OUT_I32) {
      ((int32_t *)data)[i] = v.i32;
    } else if (b->out == OUT_I64) {
      ((int64_t *)data)[i] = v.i64;
    } else if (rt == TOVA_F32) {
      float f;
      memcpy(&f, &v.f32_bits, sizeof f);
      ((double *)data)[i] = (double)f;
    } else {
      memcpy((double *)data + i, &v.f64_bits, sizeof(double));
    }
  }
  return napi_create_typedarray(env, type, n, ab, 0, out);
}

static void bulk_settle(napi_env env, tova_napi_env *st, tova_napi_op *op) {
  bulk_op *b = (bulk_op *)op;
  napi_value out = NULL;
  if (b->req.err_index < b->rows) {
    char msg[TOVA_ERROR_MAX + 64];
    const tova_error *e = tova_napi_req_error(&b->req);
    snprintf(msg, sizeof msg, "callBulk: row %zu: %s", b->req.err_index, e->message);
    tova_napi_reject(env, op->deferred, e->status, msg);
  } else {
    napi_status s = b->out == OUT_NONE ? napi_get_undefined(env, &out) : make_output(env, b, &out);
    tova_napi_settle_built(env, op->deferred, s, out, "callBulk: cannot allocate the result array");
  }
  bulk_free(b);
  tova_napi_req_settled(st);
}

/* Result array kind from the signature: one kind for all results. */
static tova_status output_kind(const tova_functype *ft, out_kind *out, tova_error *err,
                               const char *func) {
  *out = OUT_NONE;
  for (uint32_t i = 0; i < ft->nresults; i++) {
    uint8_t t = ft->results[i];
    out_kind k = t == TOVA_I32 ? OUT_I32 : t == TOVA_I64 ? OUT_I64
               : (t == TOVA_F32 || t == TOVA_F64) ? OUT_F64 : OUT_NONE;
    if (k == OUT_NONE) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "callBulk: %s returns a %s, which has no typed array",
                            func, tova_valtype_name(t));
    }
    if (*out != OUT_NONE && *out != k) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                            "callBulk: %s returns results of mixed types; one typed array cannot hold them",
                            func);
    }
    *out = k;
  }
  return TOVA_OK;
}

/* Why element i cannot be converted (rare path: formats the message). got is
 * the element as JS prints it. */
static tova_status convert_error(tova_error *err, size_t i, uint8_t t, const char *func, uint32_t np,
                                 const char *fmt_what, const char *got) {
  char where[160];
  snprintf(where, sizeof where, "callBulk: args[%zu] (row %zu, argument %zu of %s, %s)", i, i / np,
           i % np, func, tova_valtype_name(t));
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s %s%s", where, fmt_what, got);
}

/* A BigInt64Array element as JS prints it (String(123n) is "123"). */
static const char *int64_text(int64_t x, char text[TOVA_JS_NUMBER_MAX]) {
  snprintf(text, TOVA_JS_NUMBER_MAX, "%lld", (long long)x);
  return text;
}

/* One element of the argument array converted to parameter type `t`. */
static tova_status convert(napi_typedarray_type src, const void *data, size_t i, uint8_t t,
                           tova_val *out, tova_error *err, const char *func, uint32_t np) {
  char text[TOVA_JS_NUMBER_MAX];
  out->raw = 0;
  if (src == napi_bigint64_array) {
    int64_t x = ((const int64_t *)data)[i];
    if (t == TOVA_I64) {
      out->i64 = x;
    } else if (t == TOVA_I32 && x >= -2147483648LL && x <= 4294967295LL) {
      out->i32 = (int32_t)(uint32_t)(uint64_t)x;
    } else if (t == TOVA_I32) {
      return convert_error(err, i, t, func, np, "must be in [-2^31, 2^32-1], got ",
                           int64_text(x, text));
    } else {
      return convert_error(err, i, t, func, np, "cannot come from a BigInt64Array; got ",
                           int64_text(x, text));
    }
    return TOVA_OK;
  }
  if (src == napi_int32_array) {
    int32_t x = ((const int32_t *)data)[i];
    switch (t) {
      case TOVA_I32: out->i32 = x; return TOVA_OK;
      case TOVA_I64: out->i64 = x; return TOVA_OK;
      case TOVA_F32: { float f = (float)x; memcpy(&out->f32_bits, &f, sizeof f); return TOVA_OK; }
      case TOVA_F64: { double d = x; memcpy(&out->f64_bits, &d, sizeof d); return TOVA_OK; }
    }
  } else {
    double d = src == napi_float32_array ? (double)((const float *)data)[i] : ((const double *)data)[i];
    switch (t) {
      case TOVA_F32: { float f = (float)d; memcpy(&out->f32_bits, &f, sizeof f); return TOVA_OK; }
      case TOVA_F64: memcpy(&out->f64_bits, &d, sizeof d); return TOVA_OK;
      case TOVA_I32:
      case TOVA_I64:
        if (!isfinite(d) || d != trunc(d)) {
          return convert_error(err, i, t, func, np, "must be an integer, got ",
                               tova_js_number(d, text));
        }
        if (t == TOVA_I32) {
          if (d < -2147483648.0 || d > 4294967295.0) {
            return convert_error(err, i, t, func, np, "must be in [-2^31, 2^32-1], got ",
                                 tova_js_number(d, text));
          }
          out->i32 = (int32_t)(uint32_t)(int64_t)d;
        } else {
          if (fabs(d) > (double)TOVA_NAPI_MAX_SAFE_INT) {
            return convert_error(err, i, t, func, np,
                                 "is outside the safe integer range (use a BigInt64Array): ",
                                 tova_js_number(d, text));
          }
          out->i64 = (int64_t)d;
        }
        return TOVA_OK;
    }
  }
  return convert_error(err, i, t, func, np, "has a type that cannot be passed from JS", "");
}

/* b->rows within BULK_MAX_VALUES for its signature. */
static tova_status check_size(const bulk_op *b, tova_error *err) {
  size_t per_row = b->ft.nparams > b->ft.nresults ? b->ft.nparams : b->ft.nresults;
  if (per_row == 0) per_row = 1;
  if (b->rows <= BULK_MAX_VALUES / per_row) return TOVA_OK;
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                        "callBulk: %zu rows of %s (%u arguments, %u results per row) exceed the limit "
                        "of %zu values per call; split the rows over several calls",
                        b->rows, b->func, b->ft.nparams, b->ft.nresults, BULK_MAX_VALUES);
}

static tova_status read_args(napi_env env, napi_value v, bulk_op *b, bool have_rows, tova_error *err) {
  uint32_t np = b->ft.nparams;
  napi_valuetype vt;
  bool is_ta = false;
  napi_typeof(env, v, &vt);
  if ((vt == napi_undefined || vt == napi_null) && np == 0) {
    if (!have_rows) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "callBulk: %s takes no arguments: pass rowCount",
                            b->func);
    }
    return TOVA_OK;
  }
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "callBulk: args must be an Int32Array, Float64Array, Float32Array or "
                          "BigInt64Array, got %s",
                          tova_napi_type_name(env, v));
  }
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset);
  if (type != napi_int32_array && type != napi_float64_array && type != napi_float32_array &&
      type != napi_bigint64_array) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "callBulk: args must be an Int32Array, Float64Array, Float32Array or "
                          "BigInt64Array");
  }
  if (np == 0) {
    if (length != 0) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "callBulk: %s takes no arguments, got %zu values",
                            b->func, length);
    }
    if (!have_rows) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "callBulk: %s takes no arguments: pass rowCount",
                            b->func);
    }
    return TOVA_OK;
  }
  if (!have_rows) {
    if (length % np != 0) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                            "callBulk: %s takes %u arguments per row, but args has %zu values (not a multiple)",
                            b->func, np, length);
    }
    b->rows = length / np;
  } else if (b->rows > SIZE_MAX / np || length != b->rows * np) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "callBulk: %zu rows of %u arguments need %zu values, args has %zu", b->rows, np,
                          b->rows * np, length);
  }
  tova_status sized = check_size(b, err);
  if (sized != TOVA_OK) return sized;
  b->args = malloc((length ? length : 1) * sizeof *b->args);
  if (!b->args) return tova_error_set(err, TOVA_ERR_NOMEM, "callBulk: out of memory for %zu values", length);
  for (size_t i = 0; i < length; i++) {
    tova_status s = convert(type, data, i, b->ft.params[i % np], &b->args[i], err, b->func, np);
    if (s != TOVA_OK) return s;
  }
  return TOVA_OK;
}

static napi_value call_bulk(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], promise;
  tova_error err;
  napi_valuetype t;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "callBulk");
  tova_napi_env *st = tova_napi_state(env);
  bulk_op *b = calloc(1, sizeof *b);
  if (!b || !tova_napi_req_init(&b->req, st, SIZE_MAX, bulk_settle, bulk_discard)) {
    free(b);
    return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "callBulk: out of memory");
  }
  bool have_rows = false;
  uint64_t rows = 0;
  napi_typeof(env, argv[3], &t);
  tova_status s = tova_napi_module_arg(env, argv[0], &b->module, &err, "callBulk");
  if (s == TOVA_OK) s = tova_napi_to_string(env, argv[1], &b->func, &err, "callBulk: func");
  if (s == TOVA_OK) s = tova_napi_export_type(b->module, b->func, &b->ft, &err, "callBulk");
  if (s == TOVA_OK) s = output_kind(&b->ft, &b->out, &err, b->func);
  if (s == TOVA_OK && t != napi_undefined && t != napi_null) {
    s = tova_napi_to_index(env, argv[3], UINT32_MAX, &rows, &err, "callBulk: rowCount");
    have_rows = true;
    b->rows = (size_t)rows;
    if (s == TOVA_OK) s = check_size(b, &err);
  }
  if (s == TOVA_OK) s = read_args(env, argv[2], b, have_rows, &err);
  if (s == TOVA_OK && b->ft.nresults && b->rows > SIZE_MAX / b->ft.nresults / sizeof(tova_val)) {
    s = tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "callBulk: too many rows");
  }
  if (s == TOVA_OK) {
    b->results = calloc(b->rows * b->ft.nresults + 1, sizeof *b->results);
    if (!b->results) s = tova_error_set(&err, TOVA_ERR_NOMEM, "callBulk: out of memory for the results");
  }
  tova_runtime *rt = s == TOVA_OK ? tova_napi_runtime(st, &err) : NULL;
  if (!rt) {
    bulk_free(b);
    return tova_napi_rejected(env, &err);
  }
  /* opts.timeout (ms): every chunk is cancelled with TOVA_TIMEOUT then. */
  int64_t timeout_ms = 0;
  if (tova_napi_opt_ms(env, argc > 4 ? argv[4] : NULL, "timeout", &timeout_ms, &err, "callBulk") !=
      TOVA_OK) {
    bulk_free(b);
    return tova_napi_rejected(env, &err);
  }
  timeout_ms = timeout_ms < 0 ? 0 : timeout_ms == 0 ? 1 : timeout_ms;
  b->req.n = b->rows; /* failures are kept by row */
  b->req.err_index = b->rows;

  size_t want = (size_t)tova_runtime_worker_count(rt) * 4;
  if (want == 0) want = 4;
  size_t nchunks = b->rows < want ? b->rows : want;
  b->chunks = calloc(nchunks ? nchunks : 1, sizeof *b->chunks);
  if (!b->chunks) {
    bulk_free(b);
    return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "callBulk: out of memory");
  }
  for (size_t c = 0; c < nchunks; c++) {
    b->chunks[c].bulk = b;
    b->chunks[c].lo = b->rows * c / nchunks;
    b->chunks[c].hi = b->rows * (c + 1) / nchunks;
  }
  if (napi_create_promise(env, &b->req.op.deferred, &promise) != napi_ok) {
    bulk_free(b);
    return tova_napi_fail(env, napi_generic_failure, "callBulk");
  }
  b->nchunks = nchunks;
  tova_napi_req_start(&b->req, nchunks);
  uint32_t np = b->ft.nparams, nr = b->ft.nresults;
  for (size_t c = 0; c < nchunks; c++) {
    bulk_chunk *ch = &b->chunks[c];
    tova_wasm_task_config cfg = {.module = b->module, .func = b->func, .func_len = strlen(b->func),
                                 .timeout_ms = timeout_ms, .done = chunk_done, .userdata = ch,
                                 .nrows = ch->hi - ch->lo,
                                 .rows_args = b->args + ch->lo * np,
                                 .rows_results = b->results + ch->lo * nr};
    tova_status ss = tova_wasm_task_spawn(rt, &cfg, &ch->task, &err);
    if (ss != TOVA_OK) {
      bulk_error(b, ch->lo, &err);
      bulk_finish(b, nchunks - c);
      break;
    }
  }
  bulk_finish(b, 1);
  return promise;
}

napi_status tova_napi_register_bulk(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {{"callBulk", call_bulk, false}, {NULL, NULL, false}};
  return tova_napi_define(env, exports, list);
}
