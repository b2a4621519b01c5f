/*
 * chan.c: Go-style channels of int64 (model: Go's runtime/chan.go).
 *
 * A channel is a bounded FIFO ring buffer (capacity 0 = unbuffered, a
 * rendezvous) plus two FIFO queues of parked waiters: senders (sendq) and
 * receivers (recvq). A waiter is whatever the caller embeds a
 * tova_chan_waiter in: a parked task, a JS promise.
 *
 * Invariants (hold whenever the channel's lock is free):
 *   I1  At least one of sendq and recvq is empty.
 *   I2  recvq non-empty  =>  buffer empty (len == 0).
 *       (A receiver only parks when there is nothing to take.)
 *   I3  sendq non-empty  =>  buffer full (len == cap); for cap 0 that is
 *       always true, so unbuffered senders always park until a receiver comes.
 *   I4  closed  =>  sendq and recvq empty (close completes every waiter, and
 *       no operation parks on a closed channel).
 *   I5  closed and len == 0  =>  the channel object is freed and its slot is
 *       released for reuse with a new generation: later sends and receives
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

#include "runtime/chan_registry.h"

typedef struct waitq {
  tova_chan_waiter *head, *tail;
} waitq;

typedef int64_t chan_elem;

struct tova_rt_chan {
  uint32_t cap;   /* capacity as created */
  uint32_t alloc; /* allocated ring slots, <= cap */
  uint32_t head;  /* index of the oldest element */
  uint32_t len;   /* buffered elements */
  bool closed;
  waitq sendq, recvq;
  chan_elem *buf;
};

#define RING_INITIAL 16u

/* ---- elements ----------------------------------------------------------- */

/* The one place an element is copied (buffer <-> waiter <-> caller). */
static inline void elem_store(chan_elem *dst, const chan_elem *src) { *dst = *src; }

/* ---- wait queues (caller holds the channel lock) ------------------------ */

static void waitq_push(waitq *q, tova_chan_waiter *w) {
  w->next = NULL;
  w->prev = q->tail;
  if (q->tail) q->tail->next = w;
  else q->head = w;
  q->tail = w;
}

static tova_chan_waiter *waitq_pop(waitq *q) {
  tova_chan_waiter *w = q->head;
  if (!w) return NULL;
  q->head = w->next;
  if (q->head) q->head->prev = NULL;
  else q->tail = NULL;
  w->next = w->prev = NULL;
  return w;
}

/* Is w queued in q (given it is queued in this channel, if anywhere)? A
 * queued waiter is q's head or has a predecessor; an unqueued one has
 * prev == NULL (the *_wait calls and every unlink set it). A middle element
 * (prev and next set) answers yes for either queue, which is harmless:
 * unlinking it touches neither queue's head nor tail. */
static bool waitq_has(const waitq *q, const tova_chan_waiter *w) {
  return q->head == w || (w->prev != NULL && (q->tail == w || w->next != NULL));
}

static void waitq_unlink(waitq *q, tova_chan_waiter *w) {
  if (w->prev) w->prev->next = w->next;
  else q->head = w->next;
  if (w->next) w->next->prev = w->prev;
  else q->tail = w->prev;
  w->next = w->prev = NULL;
}

/* Detach the whole queue as a chain linked by next (prev cleared on each, so
 * cancel_wait sees them as no longer queued). */
static tova_chan_waiter *waitq_detach(waitq *q) {
  tova_chan_waiter *h = q->head;
  for (tova_chan_waiter *w = h; w; w = w->next) w->prev = NULL;
  q->head = q->tail = NULL;
  return h;
}

/* Complete a detached chain (lock NOT held). next is read before the
 * callback because the callback may free or reuse the waiter. */
static void complete_chain(tova_chan_waiter *w, tova_status st) {
  while (w) {
    tova_chan_waiter *next = w->next;
    w->next = NULL;
    w->complete(w, st);
    w = next;
  }
}

/* ---- ring buffer (caller holds the channel lock) ------------------------ */

static bool ring_push(tova_rt_chan *c, const chan_elem *v) {
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
  elem_store(&c->buf[(c->head + c->len) % c->alloc], v);
  c->len++;
  return true;
}

static void ring_pop(tova_rt_chan *c, chan_elem *out) {
  elem_store(out, &c->buf[c->head]);
  c->head = (c->head + 1) % c->alloc;
  c->len--;
}

/* ---- slots -------------------------------------------------------------- */

/* Look id up and lock it. Returns the slot (locked, state LIVE) and sets *st
 * to TOVA_OK; or returns NULL with *st = NOT_FOUND / CLOSED (freed). */
static tova_rt_chan_slot *lock_live(tova_chan_id id, tova_status *st) {
  tova_rt_chan_slot *s = tova_rt_chan_slot_lock(id, st);
  if (!s) return NULL; /* *st: CLOSED (freed) or NOT_FOUND */
  if (s->state == TOVA_RT_SLOT_LIVE) {
    *st = TOVA_OK;
    return s;
  }
  *st = TOVA_ERR_NOT_FOUND; /* UNBORN: handed out, not yet created */
  tova_plat_mutex_unlock(&s->mu);
  return NULL;
}

/* I5: free a closed channel once it is drained (its queues are empty by I4),
 * and release its slot. */
static void bury_if_drained(tova_rt_chan_slot *s) {
  tova_rt_chan *c = s->chan;
  if (!c->closed || c->len != 0) return;
  free(c->buf);
  free(c);
  tova_rt_chan_slot_release(s);
}

/* ---- operations --------------------------------------------------------- */

tova_status tova_chan_create(uint32_t capacity, tova_chan_id *out) {
  if (!out) return TOVA_ERR_BAD_ARGUMENT;
  tova_rt_chan *c = calloc(1, sizeof *c);
  if (!c) return TOVA_ERR_NOMEM;
  c->cap = capacity;
  tova_rt_chan_slot *s;
  tova_status st = tova_rt_chan_slot_new(out, &s);
  if (st != TOVA_OK) {
    free(c);
    return st;
  }
  tova_plat_mutex_lock(&s->mu);
  s->chan = c;
  s->state = TOVA_RT_SLOT_LIVE;
  tova_plat_mutex_unlock(&s->mu);
  return TOVA_OK;
}

/* Send v; w == NULL for a try-send, else the waiter to park. */
static tova_status chan_send(tova_chan_id id, const chan_elem *v, tova_chan_waiter *w) {
  tova_status st;
  tova_rt_chan_slot *s = lock_live(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  if (c->closed) {
    tova_plat_mutex_unlock(&s->mu);
    return TOVA_ERR_CLOSED;
  }
  tova_chan_waiter *r = waitq_pop(&c->recvq);
  if (r) {
    /* Direct hand-off to the oldest parked receiver (buffer empty by I2). */
    elem_store(&r->value, v);
    tova_plat_mutex_unlock(&s->mu);
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
  tova_plat_mutex_unlock(&s->mu);
  return st;
}

/* Receive into *out; w == NULL for a try-receive, else the waiter to park. */
static tova_status chan_recv(tova_chan_id id, chan_elem *out, tova_chan_waiter *w) {
  tova_status st;
  tova_rt_chan_slot *s = lock_live(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  tova_chan_waiter *snd = NULL;
  if (c->len > 0) {
    ring_pop(c, out);
    snd = waitq_pop(&c->sendq);
    if (snd) {
      /* The buffer was full (I3); its slot just freed takes the parked
       * sender's value. Cannot fail: no growth needed (len < alloc). */
      ring_push(c, &snd->value);
    }
    bury_if_drained(s);
    st = TOVA_OK;
  } else if ((snd = waitq_pop(&c->sendq)) != NULL) {
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
  tova_plat_mutex_unlock(&s->mu);
  if (snd) snd->complete(snd, TOVA_OK);
  return st;
}

tova_status tova_chan_try_send(tova_chan_id id, int64_t value) { return chan_send(id, &value, NULL); }

tova_status tova_chan_try_recv(tova_chan_id id, int64_t *value) {
  chan_elem v = 0;
  tova_status st = chan_recv(id, &v, NULL);
  if (st == TOVA_OK && value) *value = v;
  return st;
}

tova_status tova_chan_send_wait(tova_chan_id id, tova_chan_waiter *w) {
  if (!w || !w->complete) return TOVA_ERR_BAD_ARGUMENT;
  w->next = w->prev = NULL;
  chan_elem v = w->value;
  return chan_send(id, &v, w);
}

tova_status tova_chan_recv_wait(tova_chan_id id, tova_chan_waiter *w) {
  if (!w || !w->complete) return TOVA_ERR_BAD_ARGUMENT;
  w->next = w->prev = NULL;
  /* Received into a local, stored into w only when completing at once: once
   * parked, w belongs to the channel and its completer fills w->value. */
  chan_elem v = 0;
  tova_status st = chan_recv(id, &v, w);
  if (st == TOVA_OK) elem_store(&w->value, &v);
  return st;
}

tova_status tova_chan_close(tova_chan_id id) {
  tova_status st;
  tova_rt_chan_slot *s = lock_live(id, &st);
  if (!s) return st;
  tova_rt_chan *c = s->chan;
  if (c->closed) {
    tova_plat_mutex_unlock(&s->mu);
    return TOVA_ERR_CLOSED;
  }
  c->closed = true;
  tova_chan_waiter *receivers = waitq_detach(&c->recvq);
  tova_chan_waiter *senders = waitq_detach(&c->sendq);
  bury_if_drained(s);
  tova_plat_mutex_unlock(&s->mu);
  complete_chain(receivers, TOVA_ERR_CLOSED);
  complete_chain(senders, TOVA_ERR_CLOSED);
  return TOVA_OK;
}

bool tova_chan_cancel_wait(tova_chan_id id, tova_chan_waiter *w) {
  if (!w) return false;
  tova_status st;
  tova_rt_chan_slot *s = lock_live(id, &st);
  if (!s) return false; /* unknown, or a tombstone: nothing can be queued there */
  tova_rt_chan *c = s->chan;
  bool found = true;
  if (waitq_has(&c->sendq, w)) waitq_unlink(&c->sendq, w);
  else if (waitq_has(&c->recvq, w)) waitq_unlink(&c->recvq, w);
  else found = false;
  tova_plat_mutex_unlock(&s->mu);
  return found;
}
