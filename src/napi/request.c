/* request.c: the request base of the addon (addon.h, tova_napi_req).
 *
 * A request is one promise over some parts of work done elsewhere (tasks on
 * the pool, WebAssembly tasks, bulk chunks). Its life, as libuv's requests:
 *   JS thread   init -> start(parts): remaining = parts + 1 (the +1 is the
 *               starter's, so parts that end while others are still being
 *               started cannot complete the request early) -> done(1)
 *   any thread  each part: fail(...) if it failed, then done(1)
 *   whoever brings remaining to 0 counts the request in flight (the JS event
 *   loop stays alive for it) and queues it for the JS thread
 *   JS thread   the owner's settle function resolves or rejects, then calls
 *               settled(), which ends the in-flight count
 * The failure kept is chosen by the rule given to fail(): the lowest item
 * index (deterministic results for batches), the first or the last in time. */
#include <stdlib.h>

#include "addon.h"

bool tova_napi_req_init(tova_napi_req *r, tova_napi_env *st, size_t n, tova_napi_settle_fn settle,
                        tova_napi_discard_fn discard) {
  if (pthread_mutex_init(&r->err_mu, NULL) != 0) return false;
  r->op.next = NULL;
  r->op.settle = settle;
  r->op.discard = discard;
  r->op.deferred = NULL;
  r->op.keeps_alive = false;
  r->st = st;
  r->n = n;
  r->err_index = n;
  r->err = NULL;
  atomic_init(&r->remaining, 1);
  return true;
}

void tova_napi_req_destroy(tova_napi_req *r) {
  free(r->err);
  pthread_mutex_destroy(&r->err_mu);
}

void tova_napi_req_start(tova_napi_req *r, size_t parts) { atomic_store(&r->remaining, parts + 1); }

bool tova_napi_req_fail(tova_napi_req *r, size_t index, const tova_error *err, tova_napi_req_rule rule) {
  bool kept = false;
  /* Its copy is made before the lock; whichever of it and the one it
   * replaces is left over is freed after. Without memory for it the failure
   * is still kept (its index), and reported as out of memory. */
  tova_error *copy = malloc(sizeof *copy);
  if (copy) *copy = *err;
  pthread_mutex_lock(&r->err_mu);
  switch (rule) {
    case TOVA_NAPI_REQ_LOWEST: kept = r->err_index == r->n || index < r->err_index; break;
    case TOVA_NAPI_REQ_FIRST: kept = r->err_index == r->n; break;
    case TOVA_NAPI_REQ_LAST: kept = true; break;
  }
  if (kept) {
    r->err_index = index;
    tova_error *old = r->err;
    r->err = copy;
    copy = old;
  }
  pthread_mutex_unlock(&r->err_mu);
  free(copy);
  return kept;
}

bool tova_napi_req_failed(tova_napi_req *r) {
  pthread_mutex_lock(&r->err_mu);
  bool failed = r->err_index < r->n;
  pthread_mutex_unlock(&r->err_mu);
  return failed;
}

const tova_error *tova_napi_req_error(const tova_napi_req *r) {
  static const tova_error no_memory = {TOVA_ERR_NOMEM, "out of memory (recording the failure)"};
  return r->err ? r->err : &no_memory;
}

void tova_napi_req_done(tova_napi_req *r, size_t parts) {
  if (atomic_fetch_sub_explicit(&r->remaining, parts, memory_order_acq_rel) != parts) return;
  atomic_fetch_add(&r->st->inflight, 1);
  tova_napi_cq_push(r->st->cq, &r->op);
}

void tova_napi_req_settled(tova_napi_env *st) {
  atomic_fetch_sub(&st->inflight, 1);
  tova_napi_update_ref(st);
}
