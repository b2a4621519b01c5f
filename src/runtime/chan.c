/*
 * chan.c: Go-style channels of int64 (model: Go's runtime/chan.go).
 *
 * A channel is a bounded FIFO ring buffer (capacity 0 = unbuffered, a
 * rendezvous) plus two FIFO queues of parked waiters: senders (sendq) and
 * receivers (recvq). A waiter is whatever the caller embeds a
 * tova_chan_waiter in: a parked task, a JS promise.
 *
 * Invariants (hold whenever the channel's lock is free):
 *   I1  At least one of sendq and recvq is empty, except (as in Go) on an
 *       unbuffered channel named by one select for both a send and a
 *       receive: nothing can pair its two cases with each other, so both
 *       wait, and the heads of both queues are select waiters. (On a
 *       buffered channel one of the two cases is always ready.)
 *   I2  recvq non-empty  =>  buffer empty (len == 0).
 *       (A receiver only parks when there is nothing to take.)
 *   I3  sendq non-empty  =>  buffer full (len == cap); for cap 0 that is
 *       always true, so unbuffered senders always park until a receiver comes.
 *   I4  closed  =>  sendq and recvq empty (close completes every waiter, and
 *       no operation parks on a closed channel).
 *   I5  closed and len == 0  =>  its buffer is freed and its slot (which holds
 *       the channel) is released for reuse with a new generation: later sends and receives
 *       on the old id get TOVA_ERR_CLOSED (JS: null / "closed"), never
 *       TOVA_ERR_NOT_FOUND and never the slot's next channel. So a closed,
 *       drained channel that nothing references costs nothing (see
 *       chan_registry.h for how long an old id stays distinct).
 *
 * Operations (Go's order of checks):
 *   send v:  closed -> CLOSED.  A parked receiver -> hand v to it directly.
 *            Room in the buffer -> append.  Otherwise FULL (try) or park.
 *   recv:    Buffer non-empty -> take the head; if a sender is parked, its
 *            value moves into the freed place at the tail (keeps FIFO: the
 *            parked sender's value is newer than everything buffered).
 *            Else a parked sender (only when cap 0, by I3) -> take its value.
 *            Else closed -> CLOSED.  Otherwise EMPTY (try) or park.
 *   close:   closed -> CLOSED.  Mark closed; every parked receiver gets
 *            CLOSED (the buffer is empty by I2) and every parked sender gets
 *            CLOSED (its value is dropped, as Go panics such senders).
 *
 * Locking: every channel operation holds the channel's mutex (in its
 * registry slot, see chan_registry.h) and nothing else. A waiter's
 * completion callback is ALWAYS called after that mutex is released: the
 * waiters to complete are unlinked under the lock, then called. So callbacks
 * may call any channel function or tova_task_wake. A waiter is unlinked
 * (prev = NULL) before the lock is dropped, so tova_chan_cancel_wait racing
 * with a completion sees it as "no longer queued" and returns false.
 *
 * The element copy lives in elem_store() and nowhere else, so a later
 * byte-message channel changes one place (and the buffer element size).
 *
 * The ring buffer grows on demand (doubling, up to the capacity) so a channel
 * created with a huge capacity costs memory only for what it holds.
 */
#include <stdlib.h>

#include "runtime/chan_internal.h"

/* ---- operations --------------------------------------------------------- */

tova_status tova_chan_create(uint32_t capacity, tova_chan_id *out) {
  if (!out) return TOVA_ERR_BAD_ARGUMENT;
  tova_rt_chan_slot *s;
  tova_status st = tova_rt_chan_slot_new(out, &s);
  if (st != TOVA_OK) return st;
  tova_rt_slot_lock(s);
  tova_rt_chan *c = &s->body;
  *c = (tova_rt_chan){.cap = capacity};
  s->chan = c;
  s->state = TOVA_RT_SLOT_LIVE;
  chan_unlock(s);
  return TOVA_OK;
}

tova_status tova_rt_chan_send(tova_chan_id id, const chan_elem *v, tova_chan_waiter *w) {
  return chan_send_op(id, v, w);
}

tova_status tova_rt_chan_recv(tova_chan_id id, chan_elem *out, tova_chan_waiter *w) {
  return chan_recv_op(id, out, w);
}

tova_status tova_chan_try_send(tova_chan_id id, int64_t value) {
  return tova_rt_chan_send(id, &value, NULL);
}

tova_status tova_chan_try_recv(tova_chan_id id, int64_t *value) {
  chan_elem v = 0;
  tova_status st = tova_rt_chan_recv(id, &v, NULL);
  if (st == TOVA_OK && value) *value = v;
  return st;
}

/* The batched try-operations: each step is exactly a step of chan_send_op /
 * chan_recv_op (chan_internal.h) without a waiter, all under one lock; the
 * waiters a step completes are chained (by next, prev cleared: no longer
 * queued for cancel_wait) and completed after the unlock, in order. */
tova_status tova_chan_try_send_many(tova_chan_id id, const int64_t *values, size_t n, size_t *done) {
  if (!done || (n && !values)) return TOVA_ERR_BAD_ARGUMENT;
  *done = 0;
  if (n == 0) return TOVA_OK;
  tova_status st;
  tova_rt_chan_slot *s = lock_open(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  tova_chan_waiter *woken = NULL, **link = &woken;
  size_t k = 0;
  st = TOVA_OK;
  /* Parked receivers first, one value each (the buffer is empty by I2). */
  tova_chan_waiter *r;
  while (k < n && (r = waitq_pop_claimable(&c->recvq)) != NULL) {
    chan_elem v = values[k++];
    elem_store(&r->value, &v);
    *link = r;
    link = &r->next;
  }
  /* Then the buffer, whole runs at a time: with no receiver left, every
   * step of the one-by-one loop would be an append. */
  if (k < n && c->len >= c->cap) st = TOVA_ERR_FULL;
  while (k < n && c->len < c->cap) {
    if (c->len == c->alloc) { /* grow: one append does it */
      chan_elem v = values[k];
      if (!ring_push(c, &v)) {
        st = TOVA_ERR_NOMEM;
        break;
      }
      k++;
      continue;
    }
    uint32_t at = c->head + c->len;
    if (at >= c->alloc) at -= c->alloc;
    size_t room = c->alloc - c->len, run = c->alloc - at; /* to the end of the ring */
    size_t m = n - k < room ? n - k : room;
    if (m > run) m = run;
    for (size_t i = 0; i < m; i++) elem_store(&c->buf[at + i], &values[k + i]);
    c->len += (uint32_t)m;
    k += m;
    if (k < n && c->len >= c->cap) st = TOVA_ERR_FULL;
  }
  chan_unlock(s);
  complete_chain(woken, TOVA_OK);
  *done = k;
  return k ? TOVA_OK : st;
}

tova_status tova_chan_try_recv_many(tova_chan_id id, int64_t *out, size_t max, size_t *done) {
  if (!done || (max && !out)) return TOVA_ERR_BAD_ARGUMENT;
  *done = 0;
  if (max == 0) return TOVA_OK;
  tova_status st;
  tova_rt_chan_slot *s = lock_live(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  tova_chan_waiter *woken = NULL, **link = &woken;
  size_t k = 0;
  st = TOVA_OK;
  /* Whole runs of the buffer while no sender is parked (then every step of
   * the one-by-one loop would be a plain take). */
  while (k < max && c->len > 0 && !c->sendq.head) {
    size_t run = c->alloc - c->head, m = max - k;
    if (m > c->len) m = c->len;
    if (m > run) m = run;
    for (size_t i = 0; i < m; i++) elem_store(&out[k + i], &c->buf[c->head + i]);
    c->head += (uint32_t)m;
    if (c->head == c->alloc) c->head = 0;
    c->len -= (uint32_t)m;
    k += m;
  }
  for (; k < max; k++) {
    chan_elem v = 0;
    tova_chan_waiter *snd;
    if (c->len > 0) {
      ring_pop(c, &v);
      /* The freed place takes a parked sender's value (the buffer was
       * full, I3): no growth needed. */
      if ((snd = waitq_pop_claimable(&c->sendq)) != NULL) ring_push(c, &snd->value);
    } else if ((snd = waitq_pop_claimable(&c->sendq)) != NULL) {
      elem_store(&v, &snd->value); /* unbuffered: straight from the sender */
    } else {
      st = c->closed ? TOVA_ERR_CLOSED : TOVA_ERR_EMPTY;
      break;
    }
    out[k] = v;
    if (snd) {
      *link = snd;
      link = &snd->next;
    }
  }
  bury_if_drained(s); /* closed and now empty (I5): after the last pop */
  chan_unlock(s);
  complete_chain(woken, TOVA_OK);
  *done = k;
  return k ? TOVA_OK : st;
}

tova_status tova_chan_send_wait(tova_chan_id id, tova_chan_waiter *w) {
  if (!w || !w->complete) return TOVA_ERR_BAD_ARGUMENT;
  w->next = w->prev = NULL;
  w->select = NULL;
  chan_elem v = w->value;
  return tova_rt_chan_send(id, &v, w);
}

tova_status tova_chan_recv_wait(tova_chan_id id, tova_chan_waiter *w) {
  if (!w || !w->complete) return TOVA_ERR_BAD_ARGUMENT;
  w->next = w->prev = NULL;
  w->select = NULL;
  /* Received into a local, stored into w only when completing at once: once
   * parked, w belongs to the channel and its completer fills w->value. */
  chan_elem v = 0;
  tova_status st = tova_rt_chan_recv(id, &v, w);
  if (st == TOVA_OK) elem_store(&w->value, &v);
  return st;
}

tova_status tova_chan_close(tova_chan_id id) {
  tova_status st;
  tova_rt_chan_slot *s = lock_open(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  c->closed = true;
  tova_chan_waiter *receivers = waitq_detach(&c->recvq);
  tova_chan_waiter *senders = waitq_detach(&c->sendq);
  bury_if_drained(s);
  chan_unlock(s);
  complete_chain(receivers, TOVA_ERR_CLOSED);
  complete_chain(senders, TOVA_ERR_CLOSED);
  return TOVA_OK;
}

bool tova_chan_cancel_wait(tova_chan_id id, tova_chan_waiter *w) {
  if (!w) return false;
  tova_status st;
  tova_rt_chan_slot *s = lock_live(id, &st);
  if (!s) return false; /* unknown, or freed: nothing can be queued there */
  tova_rt_chan *c = s->chan;
  bool found = true;
  if (waitq_has(&c->sendq, w)) waitq_unlink(&c->sendq, w);
  else if (waitq_has(&c->recvq, w)) waitq_unlink(&c->recvq, w);
  else found = false;
  chan_unlock(s);
  return found;
}
