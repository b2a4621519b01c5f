/* channels.c: channelCreate/Send/Receive/Close and the waiting forms
 * channelSendAsync/channelRecv.
 *
 * The JS thread never blocks: channelSend/channelReceive are try-operations
 * (false when full, null when empty); the waiting forms park a waiter in the
 * channel and return a promise settled through the completion queue.
 *
 * A parked waiter may be completed by any thread at any later time, also
 * after its JS environment is gone, so it holds a reference on the
 * environment's completion queue, which then simply discards it. Teardown
 * withdraws the waits still parked (tova_chan_cancel_wait), so a worker_thread
 * that ends with pending channelRecv promises leaks nothing. */
#include <stdio.h>
#include <stdlib.h>

#include "addon.h"

static tova_status read_id(napi_env env, napi_value v, tova_chan_id *id, tova_error *err,
                           const char *fn) {
  uint64_t x;
  tova_status s = tova_napi_to_index(env, v, UINT32_MAX, &x, err, "channel id");
  if (s != TOVA_OK) {
    /* Rare path: prefix the function name only now, not on every call. */
    char why[TOVA_ERROR_MAX];
    snprintf(why, sizeof why, "%s", err->message);
    tova_error_set(err, s, "%s: %s", fn, why);
    return s;
  }
  *id = (tova_chan_id)x;
  return TOVA_OK;
}

/* The error of a failed channel operation, with a message naming fn and id. */
static void chan_error(tova_error *err, tova_status s, const char *fn, tova_chan_id id) {
  switch (s) {
    case TOVA_ERR_NOT_FOUND:
      tova_error_set(err, s, "%s: no channel with id %u", fn, id);
      break;
    case TOVA_ERR_CLOSED:
      tova_error_set(err, s, "%s: channel %u is closed", fn, id);
      break;
    default:
      tova_error_set(err, s, "%s: channel %u: %s", fn, id, tova_status_code(s));
      break;
  }
}

static napi_value channel_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  tova_error err;
  uint64_t cap;
  tova_chan_id id;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "channelCreate");
  if (tova_napi_to_index(env, argv[0], UINT32_MAX, &cap, &err, "channelCreate: capacity") != TOVA_OK) {
    return tova_napi_throw(env, &err);
  }
  tova_status s = tova_chan_create((uint32_t)cap, &id);
  if (s != TOVA_OK) {
    return tova_napi_throwf(env, s, "channelCreate: cannot create a channel of capacity %llu (%s)",
                            (unsigned long long)cap, tova_status_code(s));
  }
  TOVA_NAPI_CALL(env, napi_create_uint32(env, id, &out), "channelCreate");
  return out;
}

static napi_value channel_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  tova_error err;
  tova_chan_id id;
  int64_t value;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "channelSend");
  if (read_id(env, argv[0], &id, &err, "channelSend") != TOVA_OK ||
      tova_napi_to_i64(env, argv[1], &value, &err, "channelSend: value") != TOVA_OK) {
    return tova_napi_throw(env, &err);
  }
  tova_status s = tova_chan_try_send(id, value);
  if (s != TOVA_OK && s != TOVA_ERR_FULL) {
    chan_error(&err, s, "channelSend", id);
    return tova_napi_throw(env, &err);
  }
  TOVA_NAPI_CALL(env, napi_get_boolean(env, s == TOVA_OK, &out), "channelSend");
  return out;
}

static napi_value channel_receive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  tova_error err;
  tova_chan_id id;
  int64_t value;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "channelReceive");
  if (read_id(env, argv[0], &id, &err, "channelReceive") != TOVA_OK) return tova_napi_throw(env, &err);
  tova_status s = tova_chan_try_recv(id, &value);
  if (s == TOVA_OK) {
    TOVA_NAPI_CALL(env, tova_napi_from_i64(env, value, &out), "channelReceive");
    return out;
  }
  if (s == TOVA_ERR_EMPTY || s == TOVA_ERR_CLOSED) {
    TOVA_NAPI_CALL(env, napi_get_null(env, &out), "channelReceive");
    return out;
  }
  chan_error(&err, s, "channelReceive", id);
  return tova_napi_throw(env, &err);
}

static napi_value channel_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  tova_error err;
  tova_chan_id id;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "channelClose");
  if (read_id(env, argv[0], &id, &err, "channelClose") != TOVA_OK) return tova_napi_throw(env, &err);
  tova_status s = tova_chan_close(id);
  if (s == TOVA_ERR_CLOSED) {
    return tova_napi_throwf(env, s, "channelClose: channel %u is already closed", id);
  }
  if (s != TOVA_OK) {
    chan_error(&err, s, "channelClose", id);
    return tova_napi_throw(env, &err);
  }
  TOVA_NAPI_CALL(env, napi_get_undefined(env, &out), "channelClose");
  return out;
}

/* ---- waiting forms ------------------------------------------------------- */

typedef struct wait_op {
  tova_napi_op op;
  tova_napi_parked parked;
  tova_chan_waiter w;
  tova_napi_cq *cq; /* retained while parked */
  tova_chan_id id;
  bool is_send;
  tova_status status;
} wait_op;

static void wait_free(wait_op *op) {
  tova_napi_cq *cq = op->cq;
  if (cq) tova_napi_cq_unpark(cq, &op->parked);
  free(op);
  if (cq) tova_napi_cq_release(cq);
}

static void wait_discard(tova_napi_op *base) { wait_free((wait_op *)base); }

/* Settle a waiting operation from its final status (JS thread). */
static void wait_resolve(napi_env env, napi_deferred d, bool is_send, tova_chan_id id,
                         tova_status s, int64_t value) {
  napi_value v = NULL;
  if (s == TOVA_OK) {
    if (is_send) {
      napi_get_undefined(env, &v);
    } else {
      tova_napi_from_i64(env, value, &v);
    }
  } else if (s == TOVA_ERR_CLOSED && !is_send) {
    napi_get_null(env, &v); /* closed and drained: the end of the stream */
  }
  if (v) {
    napi_resolve_deferred(env, d, v);
  } else if (s == TOVA_ERR_DEADLOCK) {
    tova_error err;
    tova_error_set(&err, s,
                   "%s: deadlock: JS is done and nothing can %s channel %u any more (all tasks "
                   "are asleep)",
                   is_send ? "channelSendAsync" : "channelRecv", is_send ? "receive from" : "send on",
                   id);
    tova_napi_reject(env, d, err.status, err.message);
  } else {
    tova_error err;
    chan_error(&err, s, is_send ? "channelSendAsync" : "channelRecv", id);
    tova_napi_reject(env, d, err.status, err.message);
  }
}

static void wait_settle(napi_env env, tova_napi_env *st, tova_napi_op *base) {
  wait_op *op = (wait_op *)base;
  wait_resolve(env, base->deferred, op->is_send, op->id, op->status, op->w.value);
  wait_free(op);
}

/* Teardown (under cq->mu): take the waiter out of its channel. */
static bool wait_cancel(tova_napi_parked *p) {
  wait_op *op = (wait_op *)p->op;
  return tova_chan_cancel_wait(op->id, &op->w);
}

/* Any thread: the channel completed a parked waiter. */
static void wait_complete(tova_chan_waiter *w, tova_status status) {
  wait_op *op = w->userdata;
  op->status = status;
  tova_napi_cq_push(op->cq, &op->op);
}

static napi_value channel_wait(napi_env env, napi_callback_info info, bool is_send) {
  const char *fn = is_send ? "channelSendAsync" : "channelRecv";
  size_t argc = 2;
  napi_value argv[2], promise;
  tova_error err;
  tova_chan_id id;
  int64_t value = 0;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), fn);
  if (read_id(env, argv[0], &id, &err, fn) != TOVA_OK) return tova_napi_rejected(env, &err);
  if (is_send && tova_napi_to_i64(env, argv[1], &value, &err, "channelSendAsync: value") != TOVA_OK) {
    return tova_napi_rejected(env, &err);
  }
  /* What completes at once (room, a value, a parked peer, closed) settles
   * here with no waiter: the try-operation takes the steps the wait would
   * take before parking, in the same order (chan.c). Only FULL / EMPTY
   * needs a waiter (which may still complete at once: a race). */
  int64_t got = value;
  tova_status now = is_send ? tova_chan_try_send(id, value) : tova_chan_try_recv(id, &got);
  if (now != TOVA_ERR_FULL && now != TOVA_ERR_EMPTY) {
    napi_deferred d;
    if (napi_create_promise(env, &d, &promise) != napi_ok) return tova_napi_fail(env, napi_generic_failure, fn);
    wait_resolve(env, d, is_send, id, now, got);
    return promise;
  }
  tova_napi_env *st = tova_napi_state(env);
  wait_op *op = calloc(1, sizeof *op);
  if (!op) return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "%s: out of memory", fn);
  if (napi_create_promise(env, &op->op.deferred, &promise) != napi_ok) {
    free(op);
    return tova_napi_fail(env, napi_generic_failure, fn);
  }
  op->op.settle = wait_settle;
  op->op.discard = wait_discard;
  op->id = id;
  op->is_send = is_send;
  op->w.complete = wait_complete;
  op->w.userdata = op;
  op->w.value = value;
  /* Retain before parking: the completion may run on another thread before
   * the wait call even returns. */
  tova_napi_cq_retain(st->cq);
  op->cq = st->cq;
  op->parked.cancel = wait_cancel;
  op->parked.op = &op->op;
  op->parked.status = &op->status;
  tova_napi_cq_park(st->cq, &op->parked);
  tova_status s = is_send ? tova_chan_send_wait(id, &op->w) : tova_chan_recv_wait(id, &op->w);
  if (s != TOVA_PENDING) {
    /* Completed at once: the callback will not run, settle here. */
    wait_resolve(env, op->op.deferred, is_send, id, s, op->w.value);
    wait_free(op);
  }
  return promise;
}

static napi_value channel_send_async(napi_env env, napi_callback_info info) {
  return channel_wait(env, info, true);
}

static napi_value channel_recv(napi_env env, napi_callback_info info) {
  return channel_wait(env, info, false);
}

napi_status tova_napi_register_channels(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {
      {"channelCreate", channel_create, true},
      {"channelSend", channel_send, true},
      {"channelReceive", channel_receive, true},
      {"channelClose", channel_close, true},
      {"channelSendAsync", channel_send_async, true},
      {"channelRecv", channel_recv, true},
      {NULL, NULL, false},
  };
  return tova_napi_define(env, exports, list);
}
