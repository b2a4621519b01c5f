/* completion.c: the completion queue and the one threadsafe function per JS
 * environment.
 *
 * Workers push finished operations; only the push that makes the queue
 * non-empty wakes the JS thread (napi_call_threadsafe_function), and the JS
 * callback takes the whole list at once, so a burst of N completions costs one
 * wake-up, not N.
 *
 * Liveness: the threadsafe function is unref'd whenever no task work is
 * pending, so an idle environment never keeps the process alive. Channel waits
 * (channelRecv/channelSendAsync, a select without timeout) never ref it: a
 * promise nobody can settle must not stop the process from exiting, just
 * like a plain JS promise. A select with a timeout does, until it settles:
 * it fires by itself, as a setTimeout (channel_select.c). */
#include <stdlib.h>

#include "addon.h"

tova_napi_cq *tova_napi_cq_new(void) {
  tova_napi_cq *cq = calloc(1, sizeof *cq);
  if (!cq) return NULL;
  if (pthread_mutex_init(&cq->mu, NULL) != 0) {
    free(cq);
    return NULL;
  }
  cq->refs = 1;
  return cq;
}

void tova_napi_cq_retain(tova_napi_cq *cq) {
  pthread_mutex_lock(&cq->mu);
  cq->refs++;
  pthread_mutex_unlock(&cq->mu);
}

void tova_napi_cq_release(tova_napi_cq *cq) {
  pthread_mutex_lock(&cq->mu);
  uint32_t left = --cq->refs;
  pthread_mutex_unlock(&cq->mu);
  if (left == 0) {
    pthread_mutex_destroy(&cq->mu);
    free(cq);
  }
}

/* JS thread: settle one op in its own handle scope. */
static void settle_one(napi_env env, tova_napi_env *st, tova_napi_op *op) {
  napi_handle_scope scope;
  bool scoped = napi_open_handle_scope(env, &scope) == napi_ok;
  if (op->keeps_alive) tova_napi_keepalive_end(st, op);
  op->settle(env, st, op);
  if (scoped) napi_close_handle_scope(env, scope);
}

void tova_napi_cq_push(tova_napi_cq *cq, tova_napi_op *op) {
  op->next = NULL;
  pthread_mutex_lock(&cq->mu);
  if (cq->dead) {
    pthread_mutex_unlock(&cq->mu);
    op->discard(op);
    return;
  }
  if (pthread_equal(pthread_self(), cq->js_thread)) {
    /* Completed on the JS thread itself (e.g. channelSend handing a value to
     * a pending channelRecv): settle now. Going through the threadsafe
     * function would cost a loop turn, and, with the function unref'd, the
     * loop could even exit with the completion still in flight. The JS
     * thread only runs addon code inside N-API callbacks (the cleanup hook
     * marks the queue dead first), so the env is usable here. */
    tova_napi_env *st = cq->st;
    pthread_mutex_unlock(&cq->mu);
    settle_one(st->env, st, op);
    return;
  }
  bool was_empty = cq->head == NULL;
  if (was_empty) {
    cq->head = op;
  } else {
    cq->tail->next = op;
  }
  cq->tail = op;
  /* Called under mu so teardown (which sets dead under mu) can never race
   * with a call on a finalized threadsafe function. Non-blocking with an
   * unbounded queue: this never waits for the JS thread. */
  if (was_empty) napi_call_threadsafe_function(cq->tsfn, NULL, napi_tsfn_nonblocking);
  pthread_mutex_unlock(&cq->mu);
}

/* JS thread: settle everything queued. */
static void cq_drain(napi_env env, napi_value js_cb, void *context, void *data) {
  tova_napi_cq *cq = context;
  if (!env) return; /* threadsafe function being torn down */
  pthread_mutex_lock(&cq->mu);
  if (cq->dead) {
    pthread_mutex_unlock(&cq->mu);
    return;
  }
  tova_napi_op *op = cq->head;
  cq->head = cq->tail = NULL;
  tova_napi_env *st = cq->st;
  pthread_mutex_unlock(&cq->mu);

  while (op) {
    tova_napi_op *next = op->next;
    settle_one(env, st, op);
    op = next;
  }
}

static void cq_finalize(napi_env env, void *finalize_data, void *finalize_hint) {
  tova_napi_cq *cq = finalize_data;
  pthread_mutex_lock(&cq->mu);
  cq->dead = true;
  cq->tsfn = NULL;
  pthread_mutex_unlock(&cq->mu);
  tova_napi_cq_kill(cq); /* discard anything still queued */
  tova_napi_cq_release(cq);
}

napi_status tova_napi_cq_start(napi_env env, tova_napi_env *st) {
  tova_napi_cq *cq = st->cq;
  napi_value name;
  napi_status s = napi_create_string_utf8(env, "tova_runtime completions", NAPI_AUTO_LENGTH, &name);
  if (s != napi_ok) return s;
  cq->st = st;
  cq->js_thread = pthread_self();
  tova_napi_cq_retain(cq); /* owned by the threadsafe function until finalized */
  s = napi_create_threadsafe_function(env, NULL, NULL, name, 0 /* unbounded */, 1, cq, cq_finalize,
                                      cq, cq_drain, &cq->tsfn);
  if (s != napi_ok) {
    tova_napi_cq_release(cq);
    return s;
  }
  return napi_unref_threadsafe_function(env, cq->tsfn);
}

static void unlink_parked(tova_napi_cq *cq, tova_napi_parked *p) {
  if (!p->linked) return;
  if (p->prev) {
    p->prev->next = p->next;
  } else {
    cq->parked = p->next;
  }
  if (p->next) p->next->prev = p->prev;
  p->next = p->prev = NULL;
  p->linked = false;
}

void tova_napi_cq_park(tova_napi_cq *cq, tova_napi_parked *p) {
  pthread_mutex_lock(&cq->mu);
  p->prev = NULL;
  p->next = cq->parked;
  if (cq->parked) cq->parked->prev = p;
  cq->parked = p;
  p->linked = true;
  pthread_mutex_unlock(&cq->mu);
}

void tova_napi_cq_unpark(tova_napi_cq *cq, tova_napi_parked *p) {
  pthread_mutex_lock(&cq->mu);
  unlink_parked(cq, p);
  pthread_mutex_unlock(&cq->mu);
}

size_t tova_napi_cq_abort_parked(tova_napi_cq *cq, tova_status status) {
  tova_napi_op *aborted = NULL;
  size_t n = 0;
  pthread_mutex_lock(&cq->mu);
  tova_napi_parked *p = cq->parked;
  while (p) {
    tova_napi_parked *next = p->next;
    /* A wait whose cancel fails is completing right now: it settles itself. */
    if (p->status && p->cancel(p)) {
      unlink_parked(cq, p);
      *p->status = status;
      p->op->next = aborted;
      aborted = p->op;
      n++;
    }
    p = next;
  }
  tova_napi_env *st = cq->st;
  pthread_mutex_unlock(&cq->mu);
  while (aborted) {
    tova_napi_op *next = aborted->next;
    settle_one(st->env, st, aborted);
    aborted = next;
  }
  return n;
}

void tova_napi_cq_kill(tova_napi_cq *cq) {
  pthread_mutex_lock(&cq->mu);
  cq->dead = true;
  tova_napi_op *op = cq->head;
  cq->head = cq->tail = NULL;
  /* Withdraw parked waits. A wait whose cancel fails is completing on some
   * thread right now; its push will find the queue dead and discard it. Lock
   * order cq->mu -> channel lock is safe: channels call completions with no
   * lock held, and a completion takes only cq->mu. */
  tova_napi_op *cancelled = NULL;
  tova_napi_parked *p = cq->parked;
  while (p) {
    tova_napi_parked *next = p->next;
    if (p->cancel(p)) {
      unlink_parked(cq, p);
      p->op->next = cancelled;
      cancelled = p->op;
    }
    p = next;
  }
  pthread_mutex_unlock(&cq->mu);
  while (op) {
    tova_napi_op *next = op->next;
    op->discard(op);
    op = next;
  }
  while (cancelled) {
    tova_napi_op *next = cancelled->next;
    cancelled->discard(cancelled);
    cancelled = next;
  }
}

void tova_napi_update_ref(tova_napi_env *st) {
  if (st->closing || !st->cq->tsfn) return;
  bool want = st->keepalive > 0 || atomic_load(&st->inflight) > 0 ||
              (st->rt && tova_runtime_wasm_active(st->rt));
  if (want == st->reffed) return;
  st->reffed = want;
  if (want) napi_ref_threadsafe_function(st->env, st->cq->tsfn);
  else napi_unref_threadsafe_function(st->env, st->cq->tsfn);
}

void tova_napi_keepalive_begin(tova_napi_env *st, tova_napi_op *op) {
  op->keeps_alive = true;
  st->keepalive++;
  tova_napi_update_ref(st);
}

void tova_napi_keepalive_end(tova_napi_env *st, tova_napi_op *op) {
  if (!op->keeps_alive) return;
  op->keeps_alive = false;
  st->keepalive--;
  tova_napi_update_ref(st);
}
