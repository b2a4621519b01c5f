/*
 * chan_internal.h: the channel object and its helpers, shared by the
 * single-channel operations (chan.c) and select (select.c), runtime layer
 * only. The invariants are stated at the top of chan.c; every helper here
 * expects the channel's lock (its registry slot's mutex) to be held.
 */
#ifndef TOVA_RT_CHAN_INTERNAL_H
#define TOVA_RT_CHAN_INTERNAL_H

#include <stdlib.h>

#include "common/assert.h"
#include "runtime/chan_registry.h"
#include "runtime/select.h"

#define RING_INITIAL 16u

/* The two operations behind every send and receive: the public tova_chan_*
 * calls and the host imports (a WebAssembly channel operation is on the hot
 * path of every message). Send v, or receive into *out; w == NULL for a
 * try, else the waiter to park (TOVA_PENDING: parked). Out of line in chan.c;
 * inline below as chan_send_op / chan_recv_op for the imports' fast entries. */
tova_status tova_rt_chan_send(tova_chan_id id, const chan_elem *v, tova_chan_waiter *w);
tova_status tova_rt_chan_recv(tova_chan_id id, chan_elem *out, tova_chan_waiter *w);

/* The invariants stated at the top of chan.c (I1-I4), checked in debug
 * builds whenever an operation is about to release the channel's lock. */
static inline void chan_check(const struct tova_rt_chan *c) {
  TOVA_ASSERT(c->len <= c->alloc && c->alloc <= c->cap);
  TOVA_ASSERT(c->sendq.head == NULL || c->recvq.head == NULL ||   /* I1 */
              (c->cap == 0 && c->sendq.head->select && c->recvq.head->select));
  TOVA_ASSERT(c->recvq.head == NULL || c->len == 0);              /* I2 */
  TOVA_ASSERT(c->sendq.head == NULL || c->len == c->cap);         /* I3 */
  TOVA_ASSERT(!c->closed || (c->sendq.head == NULL && c->recvq.head == NULL)); /* I4 */
  (void)c;
}

/* ---- elements ----------------------------------------------------------- */

/* The one place an element is copied (buffer <-> waiter <-> caller). */
static inline void elem_store(chan_elem *dst, const chan_elem *src) { *dst = *src; }

/* ---- wait queues (caller holds the channel lock) ------------------------ */

static inline void waitq_push(waitq *q, tova_chan_waiter *w) {
  w->next = NULL;
  w->prev = q->tail;
  if (q->tail) q->tail->next = w;
  else q->head = w;
  q->tail = w;
}

static inline tova_chan_waiter *waitq_pop(waitq *q) {
  tova_chan_waiter *w = q->head;
  if (!w) return NULL;
  q->head = w->next;
  if (q->head) q->head->prev = NULL;
  else q->tail = NULL;
  w->next = w->prev = NULL;
  return w;
}

/* Pop the oldest waiter that may still be completed. A waiter that belongs
 * to a select is taken only if this channel wins the select's one-time claim
 * (made under this channel's lock); the case waiters of a select that fired
 * elsewhere are dropped here: the select's winner withdraws them from every
 * other channel, and it cannot free them while we hold this lock. */
static inline tova_chan_waiter *waitq_pop_claimable(waitq *q) {
  tova_chan_waiter *w;
  while ((w = waitq_pop(q)) != NULL) {
    if (!w->select || tova_rt_select_claim(w->select)) return w;
  }
  return NULL;
}

/* Is w queued in q (given it is queued in this channel, if anywhere)? A
 * queued waiter is q's head or has a predecessor; an unqueued one has
 * prev == NULL (the *_wait calls and every unlink set it). A middle element
 * (prev and next set) answers yes for either queue, which is harmless:
 * unlinking it touches neither queue's head nor tail. */
static inline bool waitq_has(const waitq *q, const tova_chan_waiter *w) {
  return q->head == w || (w->prev != NULL && (q->tail == w || w->next != NULL));
}

static inline void waitq_unlink(waitq *q, tova_chan_waiter *w) {
  if (w->prev) w->prev->next = w->next;
  else q->head = w->next;
  if (w->next) w->next->prev = w->prev;
  else q->tail = w->prev;
  w->next = w->prev = NULL;
}

/* Detach the whole queue as a chain linked by next (prev cleared on each, so
 * cancel_wait sees them as no longer queued). */
static inline tova_chan_waiter *waitq_detach(waitq *q) {
  tova_chan_waiter *h = NULL, **link = &h;
  tova_chan_waiter *w = q->head;
  while (w) {
    tova_chan_waiter *next = w->next;
    w->prev = NULL;
    w->next = NULL;
    /* As waitq_pop_claimable: a select's case joins the chain only if this
     * channel wins its claim. */
    if (!w->select || tova_rt_select_claim(w->select)) {
      *link = w;
      link = &w->next;
    }
    w = next;
  }
  q->head = q->tail = NULL;
  return h;
}

/* Complete a detached chain (lock NOT held). next is read before the
 * callback because the callback may free or reuse the waiter. */
static inline void complete_chain(tova_chan_waiter *w, tova_status st) {
  while (w) {
    tova_chan_waiter *next = w->next;
    w->next = NULL;
    w->complete(w, st);
    w = next;
  }
}

/* ---- ring buffer (caller holds the channel lock) ------------------------ */

static inline bool ring_push(tova_rt_chan *c, const chan_elem *v) {
  if (c->len == c->alloc) {
    /* Grow (len < cap here): double, capped at cap, and unwrap. */
    uint64_t want = c->alloc ? (uint64_t)c->alloc * 2 : RING_INITIAL;
    if (want > c->cap) want = c->cap;
    chan_elem *nb = malloc((size_t)want * sizeof *nb);
    if (!nb) return false;
    for (uint32_t i = 0; i < c->len; i++) elem_store(&nb[i], &c->buf[(c->head + i) % c->alloc]);
    free(c->buf);
    c->buf = nb;
    c->alloc = (uint32_t)want;
    c->head = 0;
  }
  /* head < alloc and len < alloc, so one subtraction wraps the index (a
   * division here would cost more than the rest of a buffered send). */
  uint32_t at = c->head + c->len;
  if (at >= c->alloc) at -= c->alloc;
  elem_store(&c->buf[at], v);
  c->len++;
  return true;
}

static inline void ring_pop(tova_rt_chan *c, chan_elem *out) {
  elem_store(out, &c->buf[c->head]);
  if (++c->head == c->alloc) c->head = 0;
  c->len--;
}

/* ---- slots -------------------------------------------------------------- */

/* Look id up and lock it. Returns the slot (locked, state LIVE) and sets *st
 * to TOVA_OK; or returns NULL with *st = NOT_FOUND / CLOSED (freed). */
static inline tova_rt_chan_slot *lock_live(tova_chan_id id, tova_status *st) {
  tova_rt_chan_slot *s = tova_rt_chan_slot_lock(id, st);
  if (s) *st = TOVA_OK;
  return s;
}

/* I5: free a closed channel once it is drained (its queues are empty by I4)
 * and release its slot (new generation, back on the free list). The slot
 * stays locked: the caller unlocks it as usual. */
static inline void bury_if_drained(tova_rt_chan_slot *s) {
  tova_rt_chan *c = s->chan;
  if (!c->closed || c->len != 0) return;
  free(c->buf);
  c->buf = NULL;
  tova_rt_chan_slot_release(s);
}


/* Release a channel's lock after an operation: the invariants must hold
 * again (a freed channel, a tombstone, has none left to check), and the
 * readiness hint is brought up to date (a tombstone is ready both ways: any
 * operation on it completes at once with CLOSED). */
static inline void chan_unlock(tova_rt_chan_slot *s) {
  uint32_t ready = TOVA_RT_READY_RECV | TOVA_RT_READY_SEND;
  if (s->state == TOVA_RT_SLOT_LIVE && s->chan) {
    const tova_rt_chan *c = s->chan;
    chan_check(c);
    if (!c->closed) {
      ready = (c->len > 0 || c->sendq.head ? TOVA_RT_READY_RECV : 0u) |
              (c->len < c->cap || c->recvq.head ? TOVA_RT_READY_SEND : 0u);
    }
  }
  atomic_store_explicit(&s->ready, ready, memory_order_relaxed);
  tova_rt_slot_unlock(s);
}

/* ---- send and receive --------------------------------------------------- */

/* Look id up and lock it, as lock_live, for an operation that a closed
 * channel refuses (send, close): NULL with *st = TOVA_ERR_CLOSED then. */
static inline tova_rt_chan_slot *lock_open(tova_chan_id id, tova_status *st) {
  tova_rt_chan_slot *s = lock_live(id, st);
  if (s && s->chan->closed) {
    chan_unlock(s);
    *st = TOVA_ERR_CLOSED;
    return NULL;
  }
  return s;
}


/* The two operations (Go's order of checks, see chan.c), inline: the host
 * imports' fast entries (host_tova.c) are these and nothing more, one
 * function per message instead of two. */
static inline tova_status chan_send_op(tova_chan_id id, const chan_elem *v, tova_chan_waiter *w) {
  tova_status st;
  tova_rt_chan_slot *s = lock_open(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  tova_chan_waiter *r = waitq_pop_claimable(&c->recvq);
  if (r) {
    /* Direct hand-off to the oldest parked receiver (buffer empty by I2). */
    elem_store(&r->value, v);
    chan_unlock(s);
    r->complete(r, TOVA_OK);
    return TOVA_OK;
  }
  if (c->len < c->cap) {
    st = ring_push(c, v) ? TOVA_OK : TOVA_ERR_NOMEM;
  } else if (!w) {
    st = TOVA_ERR_FULL;
  } else {
    elem_store(&w->value, v);
    waitq_push(&c->sendq, w);
    st = TOVA_PENDING;
  }
  chan_unlock(s);
  return st;
}

static inline tova_status chan_recv_op(tova_chan_id id, chan_elem *out, tova_chan_waiter *w) {
  tova_status st;
  tova_rt_chan_slot *s = lock_live(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  tova_chan_waiter *snd = NULL;
  if (c->len > 0) {
    ring_pop(c, out);
    snd = waitq_pop_claimable(&c->sendq);
    if (snd) {
      /* The buffer was full (I3); its slot just freed takes the parked
       * sender's value. Cannot fail: no growth needed (len < alloc). */
      ring_push(c, &snd->value);
    }
    bury_if_drained(s);
    st = TOVA_OK;
  } else if ((snd = waitq_pop_claimable(&c->sendq)) != NULL) {
    /* Unbuffered: take the value straight from the parked sender. */
    elem_store(out, &snd->value);
    st = TOVA_OK;
  } else if (c->closed) {
    /* Cannot happen (I5 buries a closed empty channel) but keep it total. */
    bury_if_drained(s);
    st = TOVA_ERR_CLOSED;
  } else if (!w) {
    st = TOVA_ERR_EMPTY;
  } else {
    waitq_push(&c->recvq, w);
    st = TOVA_PENDING;
  }
  chan_unlock(s);
  if (snd) snd->complete(snd, TOVA_OK);
  return st;
}

#endif /* TOVA_RT_CHAN_INTERNAL_H */
