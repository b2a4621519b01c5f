/* channel_select.c: channelSelect(cases, options) and the batched channel
 * operations channelSendBatch / channelReceiveBatch.
 *
 * channelSelect is Go's select for JS: cases = [{chan, op: 'recv'|'send',
 * value}], options = {timeout: ms} or {default: true}. The promise resolves
 * with {index, value, closed}: index -1 for the timeout or the default case;
 * value is the received value for a receive case (null when closed). The
 * select itself is the runtime's (tova_select_*): fair among ready cases,
 * fires once, withdraws the other cases.
 *
 * The batched forms move many values per N-API call: JS producers and
 * consumers are then bound by the channel, not by the boundary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

typedef struct select_op {
  tova_napi_op op;
  tova_napi_parked parked;
  tova_napi_cq *cq; /* retained while parked */
  tova_select *sel;
  int index;
  tova_status status;
  size_t n;
  tova_select_case cases[];
} select_op;

static void select_free(select_op *op) {
  tova_napi_cq *cq = op->cq;
  if (cq) tova_napi_cq_unpark(cq, &op->parked);
  if (op->sel) tova_select_release(op->sel);
  free(op);
  if (cq) tova_napi_cq_release(cq);
}

static void select_discard(tova_napi_op *base) { select_free((select_op *)base); }

static void select_resolve(napi_env env, napi_deferred d, select_op *op) {
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_int32(env, op->index, &v);
  napi_set_named_property(env, out, "index", v);
  bool closed = false;
  napi_get_null(env, &v);
  if (op->index >= 0) {
    tova_select_case *c = &op->cases[op->index];
    closed = c->status != TOVA_OK;
    if (!closed && c->op == TOVA_SELECT_RECV) tova_napi_from_i64(env, c->value, &v);
  }
  napi_set_named_property(env, out, "value", v);
  napi_get_boolean(env, closed, &v);
  napi_set_named_property(env, out, "closed", v);
  napi_resolve_deferred(env, d, out);
}

static void select_settle(napi_env env, tova_napi_env *st, tova_napi_op *base) {
  (void)st;
  select_op *op = (select_op *)base;
  if (op->status == TOVA_OK || op->status == TOVA_ERR_CLOSED || op->status == TOVA_ERR_NOT_FOUND ||
      op->status == TOVA_ERR_TIMEOUT) {
    if (op->status == TOVA_ERR_TIMEOUT) op->index = -1;
    select_resolve(env, base->deferred, op);
  } else if (op->status == TOVA_ERR_DEADLOCK) {
    tova_napi_reject(env, base->deferred, op->status,
                     "channelSelect: deadlock: JS is done and no case can become ready any more "
                     "(all tasks are asleep)");
  } else {
    tova_napi_reject(env, base->deferred, op->status, "channelSelect: the select was stopped");
  }
  select_free(op);
}

static bool select_cancel(tova_napi_parked *p) {
  select_op *op = (select_op *)p->op;
  return op->sel && tova_select_cancel(op->sel);
}

static void select_done(tova_select *sel, void *userdata, int index, tova_status status) {
  (void)sel;
  select_op *op = userdata;
  op->index = index;
  op->status = status;
  tova_napi_cq_push(op->cq, &op->op);
}

static tova_status read_case(napi_env env, napi_value c, tova_select_case *out, uint32_t i,
                             tova_error *err) {
  napi_valuetype t = napi_undefined;
  napi_value v;
  char what[64];
  napi_typeof(env, c, &t);
  if (t != napi_object)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "channelSelect: cases[%u] must be an object {chan, op, value}", i);
  snprintf(what, sizeof what, "channelSelect: cases[%u].chan", i);
  uint64_t id;
  if (napi_get_named_property(env, c, "chan", &v) != napi_ok ||
      tova_napi_to_index(env, v, UINT32_MAX, &id, err, what) != TOVA_OK)
    return TOVA_ERR_BAD_ARGUMENT;
  out->chan = (tova_chan_id)id;
  char op[8] = {0};
  size_t len = 0;
  if (napi_get_named_property(env, c, "op", &v) != napi_ok ||
      napi_get_value_string_utf8(env, v, op, sizeof op, &len) != napi_ok ||
      (strcmp(op, "recv") != 0 && strcmp(op, "send") != 0))
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "channelSelect: cases[%u].op must be 'recv' or 'send'", i);
  out->op = op[0] == 's' ? TOVA_SELECT_SEND : TOVA_SELECT_RECV;
  out->value = 0;
  out->status = TOVA_PENDING;
  if (out->op == TOVA_SELECT_SEND) {
    snprintf(what, sizeof what, "channelSelect: cases[%u].value", i);
    if (napi_get_named_property(env, c, "value", &v) != napi_ok ||
        tova_napi_to_i64(env, v, &out->value, err, what) != TOVA_OK)
      return TOVA_ERR_BAD_ARGUMENT;
  }
  return TOVA_OK;
}

static tova_status read_select_opts(napi_env env, napi_value opts, int64_t *timeout_ms,
                                    tova_error *err) {
  napi_valuetype t = napi_undefined;
  *timeout_ms = -1;
  if (!opts || napi_typeof(env, opts, &t) != napi_ok || t == napi_undefined || t == napi_null)
    return TOVA_OK;
  if (t != napi_object)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "channelSelect: options must be an object");
  napi_value v;
  bool has = false, dflt = false;
  if (napi_has_named_property(env, opts, "default", &has) != napi_ok ||
      (has && napi_get_named_property(env, opts, "default", &v) != napi_ok))
    return tova_napi_bad_read(env, err, "channelSelect: options.default", "cannot be read");
  if (has && napi_get_value_bool(env, v, &dflt) == napi_ok && dflt) {
    *timeout_ms = 0;
    return TOVA_OK;
  }
  int64_t ms;
  if (tova_napi_opt_ms(env, opts, "timeout", &ms, err, "channelSelect") != TOVA_OK)
    return TOVA_ERR_BAD_ARGUMENT;
  if (ms >= 0) *timeout_ms = ms;
  return TOVA_OK;
}

static napi_value channel_select(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise;
  tova_error err;
  bool is_array = false;
  uint32_t n = 0;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "channelSelect");
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "channelSelect: cases must be an array, got %s",
                   tova_napi_type_name(env, argv[0]));
    return tova_napi_rejected(env, &err);
  }
  napi_get_array_length(env, argv[0], &n);
  if (n > 4096) {
    tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "channelSelect: at most 4096 cases, got %u", n);
    return tova_napi_rejected(env, &err);
  }
  int64_t timeout_ms;
  if (read_select_opts(env, argc > 1 ? argv[1] : NULL, &timeout_ms, &err) != TOVA_OK)
    return tova_napi_rejected(env, &err);
  /* Go's `select {}` blocks for ever; a promise that can never settle is
   * only a leak here (nothing could ever fire it): refused. */
  if (n == 0 && timeout_ms < 0) {
    tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT,
                   "channelSelect: no cases and no timeout or default: it could never fire");
    return tova_napi_rejected(env, &err);
  }
  tova_napi_env *st = tova_napi_state(env);
  tova_runtime *rt = NULL;
  if (timeout_ms > 0 && !(rt = tova_napi_runtime(st, &err))) return tova_napi_rejected(env, &err);
  select_op *op = calloc(1, sizeof *op + (n ? n : 1) * sizeof(tova_select_case));
  if (!op) return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "channelSelect: out of memory");
  op->n = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value c;
    char what[48];
    snprintf(what, sizeof what, "channelSelect: cases[%u]", i);
    err.status = TOVA_OK;
    if (napi_get_element(env, argv[0], i, &c) != napi_ok ||
        read_case(env, c, &op->cases[i], i, &err) != TOVA_OK) {
      /* read_case says what was wrong, except where reading a property
       * threw (a getter, a Proxy): then err is still OK, and the
       * exception says it. */
      napi_value pending;
      if (err.status == TOVA_OK) tova_napi_bad_read(env, &err, what, "cannot be read");
      tova_napi_take_exception(env, &pending);
      free(op);
      return tova_napi_rejected(env, &err);
    }
  }
  if (napi_create_promise(env, &op->op.deferred, &promise) != napi_ok) {
    free(op);
    return tova_napi_fail(env, napi_generic_failure, "channelSelect");
  }
  op->op.settle = select_settle;
  op->op.discard = select_discard;
  tova_napi_cq_retain(st->cq);
  op->cq = st->cq;
  op->parked.cancel = select_cancel;
  op->parked.op = &op->op;
  op->parked.status = &op->status;
  tova_napi_cq_park(st->cq, &op->parked);
  /* A select with a timeout settles by itself, as a setTimeout does, so it
   * keeps the process alive until it fires (settle_one ends that); one that
   * only channels can fire does not (completion.c). Begun before the start:
   * the select may fire on another thread as soon as it is queued. */
  if (timeout_ms > 0) tova_napi_keepalive_begin(st, &op->op);
  int index = -1;
  tova_status s = tova_select_start(rt, op->cases, n, timeout_ms, select_done, op, &index, &op->sel);
  if (s == TOVA_PENDING) return promise;
  tova_napi_keepalive_end(st, &op->op);
  if (s == TOVA_OK) {
    op->index = index;
    select_resolve(env, op->op.deferred, op);
  } else {
    tova_napi_reject(env, op->op.deferred, s, "channelSelect: cannot start the select");
  }
  select_free(op);
  return promise;
}

/* ---- batches ------------------------------------------------------------------ */

/* Values converted and sent per runtime call (on the stack). */
#define BATCH_CHUNK 256

/* values[from..from+m) of a typed array as int64s into out; how many were
 * converted before one that is not an integer an int64 holds exactly (err
 * set then). One loop per element type: the switch is outside. */
#define TYPED_COPY(T)                                                                  \
  do {                                                                                 \
    const T *p = (const T *)data + from;                                               \
    for (size_t i = 0; i < m; i++) out[i] = (int64_t)p[i];                             \
    return m;                                                                          \
  } while (0)
static size_t typed_values(napi_typedarray_type type, const void *data, size_t from, size_t m, int64_t *out,
                           tova_error *err) {
  switch (type) {
    case napi_int8_array: TYPED_COPY(int8_t);
    case napi_uint8_array:
    case napi_uint8_clamped_array: TYPED_COPY(uint8_t);
    case napi_int16_array: TYPED_COPY(int16_t);
    case napi_uint16_array: TYPED_COPY(uint16_t);
    case napi_int32_array: TYPED_COPY(int32_t);
    case napi_uint32_array: TYPED_COPY(uint32_t);
    case napi_bigint64_array: TYPED_COPY(int64_t);
    case napi_biguint64_array: {
      const uint64_t *p = (const uint64_t *)data + from;
      for (size_t i = 0; i < m; i++) {
        if (p[i] > INT64_MAX) {
          tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "channelSendBatch: values[%zu] does not fit an int64", from + i);
          return i;
        }
        out[i] = (int64_t)p[i];
      }
      return m;
    }
    case napi_float64_array: {
      const double *p = (const double *)data + from;
      for (size_t i = 0; i < m; i++) {
        double d = p[i];
        if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != (double)(int64_t)d) {
          tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "channelSendBatch: values[%zu] is not a safe integer", from + i);
          return i;
        }
        out[i] = (int64_t)d;
      }
      return m;
    }
    default:
      tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "channelSendBatch: values must hold integers (not float32)");
      return 0;
  }
}
#undef TYPED_COPY

/* channelSendBatch(id, values): try-sends values in order until the channel
 * is full; returns how many were taken. values: an array, or a typed array
 * (Int32Array, Float64Array of integers, BigInt64Array, ...). Throws
 * TOVA_CLOSED if the channel is closed before the first value. Values go
 * to the runtime BATCH_CHUNK at a time (tova_chan_try_send_many: one lock
 * for all of them); a bad element stops the batch there, after the values
 * before it were sent, and the error says how many were taken. */
static napi_value channel_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  tova_error err;
  uint64_t id;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "channelSendBatch");
  if (tova_napi_to_index(env, argv[0], UINT32_MAX, &id, &err, "channelSendBatch: channel id") != TOVA_OK)
    return tova_napi_throw(env, &err);
  bool typed = false, is_array = false;
  napi_is_typedarray(env, argv[1], &typed);
  napi_is_array(env, argv[1], &is_array);
  if (!typed && !is_array)
    return tova_napi_throwf(env, TOVA_ERR_BAD_ARGUMENT,
                            "channelSendBatch: values must be an array or a typed array, got %s",
                            tova_napi_type_name(env, argv[1]));
  size_t n = 0, sent = 0;
  napi_typedarray_type type = napi_int8_array;
  void *data = NULL;
  if (typed) {
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, argv[1], &type, &n, &data, &ab, &off);
  } else {
    uint32_t len = 0;
    napi_get_array_length(env, argv[1], &len);
    n = len;
  }
  tova_status s = TOVA_OK;
  bool bad = false;
  int64_t chunk[BATCH_CHUNK];
  while (sent < n && !bad) {
    size_t m = 0, want = n - sent < BATCH_CHUNK ? n - sent : BATCH_CHUNK;
    err.status = TOVA_OK;
    if (typed) {
      m = typed_values(type, data, sent, want, chunk, &err);
      bad = m < want;
    }
    for (; !typed && m < want; m++) {
      size_t i = sent + m;
      napi_value e;
      char what[64];
      snprintf(what, sizeof what, "channelSendBatch: values[%zu]", i);
      if (napi_get_element(env, argv[1], (uint32_t)i, &e) != napi_ok)
        tova_napi_bad_read(env, &err, what, "cannot be read");
      else if (tova_napi_to_i64(env, e, &chunk[m], &err, what) == TOVA_OK)
        err.status = TOVA_OK;
      if ((bad = err.status != TOVA_OK)) break;
    }
    size_t took = 0;
    if (m) s = tova_chan_try_send_many((tova_chan_id)id, chunk, m, &took);
    sent += took;
    if (took < m) {
      bad = false; /* the channel filled (or closed) before the bad value: no error */
      break;
    }
  }
  if (bad) {
    if (typed) return tova_napi_throwf(env, err.status, "%s", err.message);
    return tova_napi_throwf(env, err.status, "%s (%zu value%s taken before it)", err.message, sent,
                            sent == 1 ? "" : "s");
  }
  if (sent == 0 && s != TOVA_OK && s != TOVA_ERR_FULL)
    return tova_napi_throwf(env, s, "channelSendBatch: channel %u: %s", (unsigned)id,
                            s == TOVA_ERR_CLOSED ? "closed" : tova_status_code(s));
  TOVA_NAPI_CALL(env, napi_create_double(env, (double)sent, &out), "channelSendBatch");
  return out;
}

/* channelReceiveBatch(id, max): up to max values that are ready now, as a
 * Float64Array (a BigInt64Array if one is not a safe integer); an empty one
 * when nothing is ready; null once the channel is closed and drained. */
static napi_value channel_receive_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, ab;
  tova_error err;
  uint64_t id, max;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "channelReceiveBatch");
  if (tova_napi_to_index(env, argv[0], UINT32_MAX, &id, &err, "channelReceiveBatch: channel id") != TOVA_OK ||
      tova_napi_to_index(env, argv[1], (uint64_t)1 << 28, &max, &err, "channelReceiveBatch: max") != TOVA_OK)
    return tova_napi_throw(env, &err);
  /* Grown as values come: `max` is a bound, not a size (a receive of up to
   * 2^28 values from a channel holding three must not reserve 2 GiB). */
  size_t cap = max < 1024 ? (size_t)(max ? max : 1) : 1024;
  int64_t *vals = malloc(cap * sizeof *vals);
  if (!vals) return tova_napi_throwf(env, TOVA_ERR_NOMEM, "channelReceiveBatch: out of memory");
  size_t got = 0;
  tova_status s = TOVA_OK;
  bool safe = true;
  while (got < max) {
    if (got == cap) { /* grown before the next value is taken: none is ever lost */
      size_t nc = cap * 2 < max ? cap * 2 : (size_t)max;
      int64_t *grown = realloc(vals, nc * sizeof *vals);
      if (!grown) break; /* out of memory: what was taken so far is returned */
      vals = grown;
      cap = nc;
    }
    /* As many as there is room for, under one lock; fewer: nothing more ready. */
    size_t want = cap - got, k = 0;
    s = tova_chan_try_recv_many((tova_chan_id)id, vals + got, want, &k);
    for (size_t i = got; i < got + k; i++)
      if (vals[i] > TOVA_NAPI_MAX_SAFE_INT || vals[i] < -TOVA_NAPI_MAX_SAFE_INT) safe = false;
    got += k;
    if (k < want) {
      if (k > 0) s = TOVA_OK; /* stopped by an empty (or now closed) channel: what came is the answer */
      break;
    }
  }
  if (got == 0 && s != TOVA_OK && s != TOVA_ERR_EMPTY) {
    free(vals);
    if (s == TOVA_ERR_CLOSED) {
      napi_get_null(env, &out);
      return out;
    }
    return tova_napi_throwf(env, s, "channelReceiveBatch: channel %u: %s", (unsigned)id,
                            tova_status_code(s));
  }
  void *data = NULL;
  napi_status ns = napi_create_arraybuffer(env, got * 8, &data, &ab);
  if (ns == napi_ok) {
    if (safe) {
      for (size_t i = 0; i < got; i++) ((double *)data)[i] = (double)vals[i];
      ns = napi_create_typedarray(env, napi_float64_array, got, ab, 0, &out);
    } else {
      memcpy(data, vals, got * 8);
      ns = napi_create_typedarray(env, napi_bigint64_array, got, ab, 0, &out);
    }
  }
  free(vals);
  if (ns != napi_ok) return tova_napi_fail(env, ns, "channelReceiveBatch");
  return out;
}

napi_status tova_napi_register_channel_select(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {
      {"channelSelect", channel_select, false},
      {"channelSendBatch", channel_send_batch, false},
      {"channelReceiveBatch", channel_receive_batch, false},
      {NULL, NULL, false},
  };
  return tova_napi_define(env, exports, list);
}
