/*
 * select.c: Go's select over channel operations (tova_select_*).
 *
 * Starting a select locks every channel it names at once, in ascending id
 * order (the only place more than one channel lock is held, so the order
 * cannot deadlock), exactly as Go's selectgo does:
 *   pass 1  visit the cases in a random order and complete the first ready
 *           one (fair among ready cases, as Go);
 *   pass 2  nothing ready: queue one waiter per case on its channel, still
 *           under all the locks, so no channel can fire the select before
 *           every case is queued.
 * From then on the select fires at most once (select.h): the first case
 * completed by a channel, the timer, or a cancel wins the claim; the winner
 * withdraws the other cases, disarms the timer and calls done.
 *
 * Lifetime (refs): one for the caller (released by tova_select_release),
 * one for the pending completion (dropped by the winner once done has
 * returned), one while the timer is armed (dropped by whoever removes it:
 * a successful disarm, or the timer callback itself). Nothing touches the
 * select after its last reference.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "runtime/chan_internal.h"
#include "runtime/sched.h"
#include "runtime/select.h"

enum { SEL_WAITING = 0, SEL_FIRED = 1 };
/* Up to this many cases, a select's scratch arrays live on the stack. */
#define SMALL_SELECT 16

struct tova_select {
  _Atomic uint32_t state;
  _Atomic uint32_t refs;
  tova_select_case *cases;
  size_t n;
  tova_runtime *rt;
  bool timer_armed;
  tova_rt_timer timer;
  tova_select_done_fn done;
  void *userdata;
  tova_chan_waiter waiters[]; /* one per case */
};

bool tova_rt_select_claim(tova_select *sel) {
  uint32_t expected = SEL_WAITING;
  return atomic_compare_exchange_strong(&sel->state, &expected, SEL_FIRED);
}

static void sel_unref(tova_select *sel) {
  if (atomic_fetch_sub_explicit(&sel->refs, 1, memory_order_acq_rel) == 1) free(sel);
}

void tova_select_release(tova_select *sel) {
  if (sel) sel_unref(sel);
}

/* The claim is ours: withdraw every case but `keep` (-1: all), stop the
 * timer unless it is what fired. */
static void withdraw(tova_select *sel, int keep, bool from_timer) {
  for (size_t j = 0; j < sel->n; j++) {
    if ((int)j == keep) continue;
    tova_chan_cancel_wait(sel->cases[j].chan, &sel->waiters[j]);
  }
  if (sel->timer_armed && !from_timer && tova_rt_timer_disarm(&sel->rt->timers, &sel->timer))
    sel_unref(sel); /* the timer's reference: its callback will never run */
}

static void fire(tova_select *sel, int index, tova_status status, bool from_timer) {
  withdraw(sel, index, from_timer);
  if (sel->done) sel->done(sel, sel->userdata, index, status);
  sel_unref(sel); /* the completion's reference */
}

/* A channel completed case i (the claim was won under its lock). */
static void case_complete(tova_chan_waiter *w, tova_status status) {
  tova_select *sel = w->userdata;
  size_t i = (size_t)(w - sel->waiters);
  tova_select_case *c = &sel->cases[i];
  c->status = status;
  if (c->op == TOVA_SELECT_RECV && status == TOVA_OK) c->value = w->value;
  fire(sel, (int)i, status, false);
}

static void timer_fired(tova_rt_timer *t, void *userdata) {
  tova_select *sel = userdata;
  if (tova_rt_select_claim(sel)) fire(sel, -1, TOVA_ERR_TIMEOUT, true);
  sel_unref(sel); /* the timer's reference */
}

bool tova_select_cancel(tova_select *sel) {
  if (!sel || !tova_rt_select_claim(sel)) return false;
  withdraw(sel, -1, false);
  sel_unref(sel); /* the completion's reference: done will never run */
  return true;
}

/* ---- starting ------------------------------------------------------------ */

static TOVA_TLS uint32_t sel_rng;

static uint32_t rand_below(uint32_t n) {
  uint32_t x = sel_rng;
  if (x == 0) x = (uint32_t)(tova_plat_monotonic_ns() | 1u) ^ (uint32_t)(uintptr_t)&sel_rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  sel_rng = x;
  return (uint32_t)(((uint64_t)x * n) >> 32);
}

/* Per case while locked: its slot (locked, live) or the status it is ready
 * with at once (closed tombstone, unknown id). */
typedef struct locked_case {
  tova_rt_chan_slot *slot;
  tova_status st;
} locked_case;


/* Try case i now (all its channel's lock held). Returns true if it fired:
 * *peer may be set to a parked waiter to complete after unlocking. */
static bool try_case(tova_select_case *c, locked_case *lc, tova_chan_waiter **peer) {
  if (!lc->slot) {
    c->status = lc->st;
    return true;
  }
  tova_rt_chan *ch = lc->slot->chan;
  if (c->op == TOVA_SELECT_SEND) {
    if (ch->closed) {
      c->status = TOVA_ERR_CLOSED;
      return true;
    }
    tova_chan_waiter *r = waitq_pop_claimable(&ch->recvq);
    if (r) {
      elem_store(&r->value, &c->value);
      *peer = r;
      c->status = TOVA_OK;
      return true;
    }
    if (ch->len < ch->cap) {
      c->status = ring_push(ch, &c->value) ? TOVA_OK : TOVA_ERR_NOMEM;
      return true;
    }
    return false;
  }
  if (ch->len > 0) {
    ring_pop(ch, &c->value);
    tova_chan_waiter *snd = waitq_pop_claimable(&ch->sendq);
    if (snd) {
      ring_push(ch, &snd->value);
      *peer = snd;
    }
    c->status = TOVA_OK;
    return true;
  }
  tova_chan_waiter *snd = waitq_pop_claimable(&ch->sendq);
  if (snd) {
    elem_store(&c->value, &snd->value);
    *peer = snd;
    c->status = TOVA_OK;
    return true;
  }
  if (ch->closed) {
    c->status = TOVA_ERR_CLOSED;
    return true;
  }
  return false;
}

/* Most selects find a case ready. Among the cases whose channel's readiness
 * hint says so, pick one at random and try it under its own channel's lock
 * alone; if it was taken meanwhile, pick again among the rest. The first
 * that really completes fires (*index) and the result is true. This is
 * still one atomic choice (made under that lock, among cases ready at that
 * moment), fair among the ready cases as Go's select is (each as likely),
 * and costs one lock and one random number instead of all the locks and a
 * shuffle of every case, so a select does not serialise every channel it
 * names against their other users. scratch: room for n indices. False:
 * nothing fired (nothing was ready by the hints, or what looked ready was
 * taken meanwhile); nothing was changed. */
static bool select_ready(tova_select_case *cases, size_t n, size_t *scratch, int *index) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t want = cases[i].op == TOVA_SELECT_SEND ? TOVA_RT_READY_SEND : TOVA_RT_READY_RECV;
    if (tova_rt_chan_ready_hint(cases[i].chan) & want) scratch[k++] = i;
  }
  while (k > 0) {
    size_t r = k == 1 ? 0 : rand_below((uint32_t)k);
    size_t i = scratch[r];
    scratch[r] = scratch[--k]; /* tried: not picked again */
    locked_case one;
    one.slot = lock_live(cases[i].chan, &one.st);
    tova_chan_waiter *peer = NULL;
    bool fired = try_case(&cases[i], &one, &peer);
    if (one.slot) {
      if (fired && one.slot->state == TOVA_RT_SLOT_LIVE) bury_if_drained(one.slot);
      chan_unlock(one.slot);
    }
    if (fired) {
      if (peer) peer->complete(peer, TOVA_OK);
      *index = (int)i;
      return true;
    }
  }
  return false;
}

/* A random order of 0..n-1 (Fisher-Yates), so that among the cases found
 * ready under the locks each is as likely to fire (Go's fairness). */
static void shuffle(size_t *perm, size_t n) {
  for (size_t i = 0; i < n; i++) perm[i] = i;
  for (size_t i = n; i > 1; i--) {
    size_t j = rand_below((uint32_t)i);
    size_t t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
}

bool tova_rt_select_try(tova_select_case *cases, size_t n, int *index) {
  if (n == 0 || n > SMALL_SELECT) return false;
  size_t scratch[SMALL_SELECT];
  for (size_t i = 0; i < n; i++)
    if (cases[i].op != TOVA_SELECT_RECV && cases[i].op != TOVA_SELECT_SEND) return false;
  return select_ready(cases, n, scratch, index);
}

tova_status tova_select_start(tova_runtime *rt, tova_select_case *cases, size_t n,
                              int64_t timeout_ms, tova_select_done_fn done, void *userdata,
                              int *index, tova_select **out) {
  if (out) *out = NULL;
  if (!index || (n && !cases) || n > 4096) return TOVA_ERR_BAD_ARGUMENT;
  if (timeout_ms > 0 && !rt) return TOVA_ERR_BAD_ARGUMENT;
  if (timeout_ms != 0 && !out) return TOVA_ERR_BAD_ARGUMENT;
  *index = -1;
  for (size_t i = 0; i < n; i++)
    if (cases[i].op != TOVA_SELECT_RECV && cases[i].op != TOVA_SELECT_SEND)
      return TOVA_ERR_BAD_ARGUMENT;

  /* Everything that can fail is allocated before any lock is taken; the
   * scratch arrays of a small select live on the stack. */
  locked_case lc_small[SMALL_SELECT];
  size_t order_small[SMALL_SELECT], perm_small[SMALL_SELECT];
  bool small = n <= SMALL_SELECT;
  locked_case *lc = small ? lc_small : malloc(n * sizeof *lc); /* every entry set below */
  size_t *order = small ? order_small : malloc(n * sizeof *order);
  size_t *perm = small ? perm_small : malloc(n * sizeof *perm);
  tova_select *sel = NULL;
  if (!lc || !order || !perm) {
    if (!small) {
      free(lc);
      free(order);
      free(perm);
    }
    free(sel);
    return TOVA_ERR_NOMEM;
  }
#define FREE_SCRATCH()                                                         \
  do {                                                                         \
    if (!small) {                                                              \
      free(lc);                                                                \
      free(order);                                                             \
      free(perm);                                                              \
    }                                                                          \
  } while (0)

  /* Fast path: most selects find a case ready (select_ready). */
  if (select_ready(cases, n, perm, index)) {
    FREE_SCRATCH();
    return TOVA_OK;
  }
  /* The order cases are tried in under the locks (fair among ready cases). */
  shuffle(perm, n);

  /* Lock each distinct channel once, in ascending id order. */
  for (size_t i = 0; i < n; i++) order[i] = i;
  for (size_t i = 1; i < n; i++) { /* insertion sort: selects are small */
    size_t k = order[i], j = i;
    while (j > 0 && cases[order[j - 1]].chan > cases[k].chan) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = k;
  }
  for (size_t i = 0; i < n; i++) {
    size_t k = order[i];
    if (i > 0 && cases[order[i - 1]].chan == cases[k].chan) {
      lc[k] = lc[order[i - 1]];
      continue;
    }
    lc[k].slot = lock_live(cases[k].chan, &lc[k].st);
  }
#define UNLOCK_ALL()                                                           \
  for (size_t i_ = 0; i_ < n; i_++) {                                          \
    size_t k_ = order[i_];                                                     \
    if (lc[k_].slot && !(i_ > 0 && cases[order[i_ - 1]].chan == cases[k_].chan)) \
      chan_unlock(lc[k_].slot);                                \
  }

  /* Pass 1: every case in the same random order, now under all the locks. */
  for (size_t r = 0; r < n; r++) {
    size_t i = perm[r];
    tova_chan_waiter *peer = NULL;
    if (!try_case(&cases[i], &lc[i], &peer)) continue;
    /* A receive may have drained a closed channel: bury it (I5) while its
     * lock is still held. */
    if (lc[i].slot && lc[i].slot->state == TOVA_RT_SLOT_LIVE) bury_if_drained(lc[i].slot);
    UNLOCK_ALL();
    if (peer) peer->complete(peer, TOVA_OK);
    *index = (int)i;
    FREE_SCRATCH();
    free(sel);
    return TOVA_OK;
  }
  if (timeout_ms == 0) { /* Go's default case */
    UNLOCK_ALL();
    FREE_SCRATCH();
    return TOVA_OK;
  }

  /* Pass 2: queue a waiter on every case's channel. The select object is
   * made only now (most selects find a ready case): a short allocation while
   * the channel locks are held. */
  sel = calloc(1, sizeof *sel + n * sizeof(tova_chan_waiter));
  if (!sel) {
    UNLOCK_ALL();
    FREE_SCRATCH();
    return TOVA_ERR_NOMEM;
  }
  atomic_init(&sel->state, SEL_WAITING);
  atomic_init(&sel->refs, 2); /* the caller + the pending completion */
  sel->cases = cases;
  sel->n = n;
  sel->rt = rt;
  sel->done = done;
  sel->userdata = userdata;
  for (size_t i = 0; i < n; i++) {
    tova_chan_waiter *w = &sel->waiters[i];
    w->complete = case_complete;
    w->userdata = sel;
    w->select = sel;
    w->next = w->prev = NULL;
    tova_rt_chan *ch = lc[i].slot->chan; /* every slot is live: else pass 1 fired */
    if (cases[i].op == TOVA_SELECT_SEND) {
      w->value = cases[i].value;
      waitq_push(&ch->sendq, w);
    } else {
      waitq_push(&ch->recvq, w);
    }
  }
  if (timeout_ms > 0) {
    /* Armed while every channel is still locked, so no case can fire before
     * timer_armed is set. The timer thread takes no channel lock before it
     * claims, and its claim cannot succeed before we unlock... unless the
     * deadline passes first: that is fine, it then fires the select. */
    tova_rt_timer_init(&sel->timer, timer_fired, sel);
    atomic_fetch_add(&sel->refs, 1);
    sel->timer_armed = true;
    if (!tova_rt_timer_arm(&rt->timers, &sel->timer, timeout_ms)) {
      sel->timer_armed = false;
      atomic_fetch_sub(&sel->refs, 1);
      /* No timer (runtime stopping or out of memory): give up now. */
      tova_rt_select_claim(sel);
      for (size_t i = 0; i < n; i++) {
        tova_rt_chan *ch = lc[i].slot->chan;
        waitq *q = cases[i].op == TOVA_SELECT_SEND ? &ch->sendq : &ch->recvq;
        if (waitq_has(q, &sel->waiters[i])) waitq_unlink(q, &sel->waiters[i]);
      }
      UNLOCK_ALL();
      FREE_SCRATCH();
      free(sel);
      return TOVA_ERR_SHUTDOWN;
    }
  }
  UNLOCK_ALL();
#undef UNLOCK_ALL
  FREE_SCRATCH();
#undef FREE_SCRATCH
  *out = sel;
  return TOVA_PENDING;
}

int64_t tova_now_ms(void) { return (int64_t)(tova_plat_monotonic_ns() / 1000000u); }
