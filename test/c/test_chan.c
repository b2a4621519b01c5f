/* test_chan.c: channels. Handles, FIFO order, try-operations on full/empty,
 * unbuffered rendezvous through waiters, close semantics, the tombstone of a
 * drained closed channel, cancelling waits, re-entrant callbacks, and
 * multi-thread stress (tasks parking on channels, exactly as WebAssembly
 * tasks will). */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "rt_test_util.h"
#include "runtime/chan_registry.h" /* white-box: the tombstone frees the channel */
#include "tova.h"

/* A waiter that records its completion (single-threaded tests). */
typedef struct rec_waiter {
  tova_chan_waiter w;
  int calls;
  tova_status status;
} rec_waiter;

static void rec_complete(tova_chan_waiter *w, tova_status st) {
  rec_waiter *r = w->userdata;
  r->calls++;
  r->status = st;
}

static void rec_init(rec_waiter *r, int64_t value) {
  memset(r, 0, sizeof *r);
  r->w.complete = rec_complete;
  r->w.userdata = r;
  r->w.value = value;
}

static tova_chan_id make(uint32_t cap) {
  tova_chan_id id = 0;
  CHECK(tova_chan_create(cap, &id) == TOVA_OK);
  return id;
}

/* ---- handles ------------------------------------------------------------ */

static void test_handles(void) {
  tova_chan_id a = make(1), b = make(1);
  CHECK(a >= 1 && b >= 1);
  CHECK(a != b);
  int64_t v;
  CHECK(tova_chan_try_send(0, 1) == TOVA_ERR_NOT_FOUND);
  CHECK(tova_chan_try_recv(0, &v) == TOVA_ERR_NOT_FOUND);
  tova_chan_id unknown[] = {a > b ? a + 1000 : b + 1000, 0xFFFFFFFFu, 0x7FFFFFFFu, 1u << 26};
  for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
    CHECK(tova_chan_try_send(unknown[i], 1) == TOVA_ERR_NOT_FOUND);
    CHECK(tova_chan_try_recv(unknown[i], &v) == TOVA_ERR_NOT_FOUND);
    CHECK(tova_chan_close(unknown[i]) == TOVA_ERR_NOT_FOUND);
    rec_waiter r;
    rec_init(&r, 0);
    CHECK(tova_chan_send_wait(unknown[i], &r.w) == TOVA_ERR_NOT_FOUND);
    CHECK(tova_chan_recv_wait(unknown[i], &r.w) == TOVA_ERR_NOT_FOUND);
    CHECK(!tova_chan_cancel_wait(unknown[i], &r.w));
    CHECK_EQ_I64(r.calls, 0);
  }
  CHECK(tova_chan_create(4, NULL) == TOVA_ERR_BAD_ARGUMENT);
  CHECK(tova_chan_close(a) == TOVA_OK);
  CHECK(tova_chan_close(b) == TOVA_OK);
}

/* ---- buffered FIFO ------------------------------------------------------ */

static void test_fifo_full_empty(void) {
  const int cap = 100; /* more than the ring's first allocation: it grows */
  tova_chan_id id = make(cap);
  int64_t v = -1;
  CHECK(tova_chan_try_recv(id, &v) == TOVA_ERR_EMPTY);
  for (int i = 0; i < cap; i++) CHECK(tova_chan_try_send(id, i * 7 - 3) == TOVA_OK);
  CHECK(tova_chan_try_send(id, 999) == TOVA_ERR_FULL);
  /* Interleave to wrap the ring around. */
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 30; i++) {
      CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
      CHECK_EQ_I64(v, (round * 30 + i) * 7 - 3);
    }
    for (int i = 0; i < 30; i++) CHECK(tova_chan_try_send(id, (cap + round * 30 + i) * 7 - 3) == TOVA_OK);
    CHECK(tova_chan_try_send(id, 999) == TOVA_ERR_FULL);
  }
  for (int i = 90; i < 90 + cap; i++) {
    CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
    CHECK_EQ_I64(v, i * 7 - 3);
  }
  CHECK(tova_chan_try_recv(id, &v) == TOVA_ERR_EMPTY);
  /* Extreme values travel unchanged. */
  CHECK(tova_chan_try_send(id, INT64_MIN) == TOVA_OK);
  CHECK(tova_chan_try_send(id, INT64_MAX) == TOVA_OK);
  CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
  CHECK(v == INT64_MIN);
  CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
  CHECK(v == INT64_MAX);
  CHECK(tova_chan_close(id) == TOVA_OK);
}

static void test_huge_capacity_is_lazy(void) {
  /* 4G elements would be 32 GiB up front; the ring grows on demand. */
  tova_chan_id id = make(0xFFFFFFFFu);
  for (int i = 0; i < 1000; i++) CHECK(tova_chan_try_send(id, i) == TOVA_OK);
  int64_t v;
  for (int i = 0; i < 1000; i++) {
    CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
    CHECK_EQ_I64(v, i);
  }
  CHECK(tova_chan_close(id) == TOVA_OK);
}

/* ---- unbuffered rendezvous ---------------------------------------------- */

static void test_rendezvous(void) {
  tova_chan_id id = make(0);
  int64_t v = -1;
  /* Nobody waiting: try-ops fail both ways. */
  CHECK(tova_chan_try_send(id, 5) == TOVA_ERR_FULL);
  CHECK(tova_chan_try_recv(id, &v) == TOVA_ERR_EMPTY);

  /* A parked receiver makes a try_send succeed, handing the value over. */
  rec_waiter r;
  rec_init(&r, 0);
  CHECK(tova_chan_recv_wait(id, &r.w) == TOVA_PENDING);
  CHECK_EQ_I64(r.calls, 0);
  CHECK(tova_chan_try_send(id, 42) == TOVA_OK);
  CHECK_EQ_I64(r.calls, 1);
  CHECK(r.status == TOVA_OK);
  CHECK_EQ_I64(r.w.value, 42);
  CHECK(tova_chan_try_send(id, 43) == TOVA_ERR_FULL); /* that receiver is gone */

  /* A parked sender makes a try_recv succeed. */
  rec_waiter s;
  rec_init(&s, 77);
  CHECK(tova_chan_send_wait(id, &s.w) == TOVA_PENDING);
  CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
  CHECK_EQ_I64(v, 77);
  CHECK_EQ_I64(s.calls, 1);
  CHECK(s.status == TOVA_OK);

  /* Waiter meets waiter: the second call completes at once, without its
   * callback; the first gets its callback. */
  rec_waiter s2, r2;
  rec_init(&s2, -9);
  rec_init(&r2, 0);
  CHECK(tova_chan_send_wait(id, &s2.w) == TOVA_PENDING);
  CHECK(tova_chan_recv_wait(id, &r2.w) == TOVA_OK);
  CHECK_EQ_I64(r2.calls, 0);
  CHECK_EQ_I64(r2.w.value, -9);
  CHECK_EQ_I64(s2.calls, 1);
  CHECK(tova_chan_close(id) == TOVA_OK);
}

static void test_waiter_fifo(void) {
  tova_chan_id id = make(0);
  rec_waiter r[5];
  for (int i = 0; i < 5; i++) {
    rec_init(&r[i], 0);
    CHECK(tova_chan_recv_wait(id, &r[i].w) == TOVA_PENDING);
  }
  for (int i = 0; i < 5; i++) {
    CHECK(tova_chan_try_send(id, 100 + i) == TOVA_OK);
    for (int j = 0; j < 5; j++) CHECK_EQ_I64(r[j].calls, j <= i ? 1 : 0);
    CHECK_EQ_I64(r[i].w.value, 100 + i); /* the oldest receiver got it */
  }
  /* Parked senders on a full buffered channel keep global FIFO order:
   * buffered values first, then the senders' values in the order they came. */
  tova_chan_id b = make(2);
  CHECK(tova_chan_try_send(b, 1) == TOVA_OK);
  CHECK(tova_chan_try_send(b, 2) == TOVA_OK);
  rec_waiter s[3];
  for (int i = 0; i < 3; i++) {
    rec_init(&s[i], 3 + i);
    CHECK(tova_chan_send_wait(b, &s[i].w) == TOVA_PENDING);
  }
  CHECK(tova_chan_try_send(b, 99) == TOVA_ERR_FULL);
  int64_t v;
  for (int i = 1; i <= 5; i++) {
    CHECK(tova_chan_try_recv(b, &v) == TOVA_OK);
    CHECK_EQ_I64(v, i);
  }
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_I64(s[i].calls, 1);
    CHECK(s[i].status == TOVA_OK);
  }
  CHECK(tova_chan_try_recv(b, &v) == TOVA_ERR_EMPTY);
  CHECK(tova_chan_close(id) == TOVA_OK);
  CHECK(tova_chan_close(b) == TOVA_OK);
}

/* ---- close -------------------------------------------------------------- */

static void test_close_drains_then_closed(void) {
  tova_chan_id id = make(4);
  CHECK(tova_chan_try_send(id, 7) == TOVA_OK);
  CHECK(tova_chan_try_send(id, 8) == TOVA_OK);
  CHECK(tova_chan_close(id) == TOVA_OK);
  CHECK(tova_chan_close(id) == TOVA_ERR_CLOSED);
  CHECK(tova_chan_try_send(id, 9) == TOVA_ERR_CLOSED);
  rec_waiter s;
  rec_init(&s, 1);
  CHECK(tova_chan_send_wait(id, &s.w) == TOVA_ERR_CLOSED);
  int64_t v = 0;
  CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
  CHECK_EQ_I64(v, 7);
  /* A waiting receive on a closed channel with data completes at once. */
  rec_waiter r;
  rec_init(&r, 0);
  CHECK(tova_chan_recv_wait(id, &r.w) == TOVA_OK);
  CHECK_EQ_I64(r.w.value, 8);
  CHECK(tova_chan_try_recv(id, &v) == TOVA_ERR_CLOSED);
  CHECK(tova_chan_recv_wait(id, &r.w) == TOVA_ERR_CLOSED);
  CHECK_EQ_I64(r.calls + s.calls, 0);
}

static void test_close_wakes_waiters(void) {
  /* Parked receivers. */
  tova_chan_id id = make(3);
  rec_waiter r[3];
  for (int i = 0; i < 3; i++) {
    rec_init(&r[i], 0);
    CHECK(tova_chan_recv_wait(id, &r[i].w) == TOVA_PENDING);
  }
  CHECK(tova_chan_close(id) == TOVA_OK);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_I64(r[i].calls, 1);
    CHECK(r[i].status == TOVA_ERR_CLOSED);
  }
  /* Parked senders behind a full buffer: they get CLOSED, the buffered
   * values are still delivered. */
  tova_chan_id b = make(1);
  CHECK(tova_chan_try_send(b, 10) == TOVA_OK);
  rec_waiter s[2];
  for (int i = 0; i < 2; i++) {
    rec_init(&s[i], 20 + i);
    CHECK(tova_chan_send_wait(b, &s[i].w) == TOVA_PENDING);
  }
  CHECK(tova_chan_close(b) == TOVA_OK);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ_I64(s[i].calls, 1);
    CHECK(s[i].status == TOVA_ERR_CLOSED);
  }
  int64_t v;
  CHECK(tova_chan_try_recv(b, &v) == TOVA_OK);
  CHECK_EQ_I64(v, 10);
  CHECK(tova_chan_try_recv(b, &v) == TOVA_ERR_CLOSED);
}

static void test_tombstone(void) {
  tova_status why;
  tova_chan_id id = make(2);
  CHECK(tova_chan_try_send(id, 1) == TOVA_OK);
  CHECK(tova_chan_close(id) == TOVA_OK);
  tova_rt_chan_slot *s = tova_rt_chan_slot_lock(id, &why);
  CHECK(s && s->state == TOVA_RT_SLOT_LIVE && s->chan != NULL); /* still holds data */
  if (s) tova_rt_slot_unlock(s);
  int64_t v;
  CHECK(tova_chan_try_recv(id, &v) == TOVA_OK);
  s = tova_rt_chan_slot_lock(id, &why);
  CHECK(!s && why == TOVA_ERR_CLOSED); /* memory freed, slot released */
  if (s) tova_rt_slot_unlock(s);
  /* Closed, not "not found". */
  CHECK(tova_chan_try_recv(id, &v) == TOVA_ERR_CLOSED);
  CHECK(tova_chan_try_send(id, 1) == TOVA_ERR_CLOSED);
  CHECK(tova_chan_close(id) == TOVA_ERR_CLOSED);
  rec_waiter r;
  rec_init(&r, 0);
  CHECK(tova_chan_recv_wait(id, &r.w) == TOVA_ERR_CLOSED);
  CHECK(tova_chan_send_wait(id, &r.w) == TOVA_ERR_CLOSED);
  CHECK(!tova_chan_cancel_wait(id, &r.w));
  /* Closing an empty channel frees it at once. */
  tova_chan_id e = make(0);
  CHECK(tova_chan_close(e) == TOVA_OK);
  s = tova_rt_chan_slot_lock(e, &why);
  CHECK(!s && why == TOVA_ERR_CLOSED);
  if (s) tova_rt_slot_unlock(s);
  /* A new channel never gets an id in use before. */
  tova_chan_id f = make(0);
  CHECK(f != id && f != e);
  CHECK(tova_chan_close(f) == TOVA_OK);
}

/* ---- cancel and re-entrant callbacks ------------------------------------ */

static void test_cancel_wait(void) {
  tova_chan_id id = make(0);
  rec_waiter r[4];
  for (int i = 0; i < 4; i++) {
    rec_init(&r[i], 0);
    CHECK(tova_chan_recv_wait(id, &r[i].w) == TOVA_PENDING);
  }
  CHECK(tova_chan_cancel_wait(id, &r[1].w)); /* middle */
  CHECK(!tova_chan_cancel_wait(id, &r[1].w)); /* no longer queued */
  CHECK(tova_chan_cancel_wait(id, &r[0].w)); /* head */
  CHECK(tova_chan_cancel_wait(id, &r[3].w)); /* tail */
  CHECK(tova_chan_try_send(id, 5) == TOVA_OK);
  CHECK_EQ_I64(r[2].calls, 1);
  CHECK_EQ_I64(r[2].w.value, 5);
  CHECK(!tova_chan_cancel_wait(id, &r[2].w)); /* completed */
  CHECK(tova_chan_try_send(id, 6) == TOVA_ERR_FULL); /* nobody left */
  CHECK_EQ_I64(r[0].calls + r[1].calls + r[3].calls, 0);
  /* Cancelling a sender takes its value back out of the channel. */
  tova_chan_id b = make(1);
  CHECK(tova_chan_try_send(b, 1) == TOVA_OK);
  rec_waiter s;
  rec_init(&s, 2);
  CHECK(tova_chan_send_wait(b, &s.w) == TOVA_PENDING);
  CHECK(tova_chan_cancel_wait(b, &s.w));
  int64_t v;
  CHECK(tova_chan_try_recv(b, &v) == TOVA_OK);
  CHECK_EQ_I64(v, 1);
  CHECK(tova_chan_try_recv(b, &v) == TOVA_ERR_EMPTY);
  CHECK_EQ_I64(s.calls, 0);
  /* A waiter that was never queued (zeroed) is simply not found. */
  rec_waiter z;
  rec_init(&z, 0);
  CHECK(!tova_chan_cancel_wait(b, &z.w));
  CHECK(tova_chan_close(id) == TOVA_OK);
  CHECK(tova_chan_close(b) == TOVA_OK);
}

/* A callback that itself uses the channel (would deadlock if callbacks ran
 * under the channel lock): each receiver, when completed, parks again until
 * it has seen 3 values. */
typedef struct echo_waiter {
  tova_chan_waiter w;
  tova_chan_id id, side;
  int64_t seen[8];
  int n;
} echo_waiter;

static void echo_complete(tova_chan_waiter *w, tova_status st) {
  echo_waiter *e = w->userdata;
  if (st != TOVA_OK) return;
  e->seen[e->n++] = w->value;
  if (e->n < 3) {
    tova_status again = tova_chan_recv_wait(e->id, w);
    if (again == TOVA_OK) echo_complete(w, TOVA_OK);
  }
  /* And report through another channel. */
  CHECK(tova_chan_try_send(e->side, w->value * 10) == TOVA_OK);
}

static void test_reentrant_callbacks(void) {
  tova_chan_id id = make(0);
  echo_waiter e = {0};
  e.w.complete = echo_complete;
  e.w.userdata = &e;
  e.id = id;
  e.side = make(8);
  CHECK(tova_chan_recv_wait(id, &e.w) == TOVA_PENDING);
  for (int i = 1; i <= 3; i++) CHECK(tova_chan_try_send(id, i) == TOVA_OK);
  CHECK_EQ_I64(e.n, 3);
  for (int i = 0; i < 3; i++) CHECK_EQ_I64(e.seen[i], i + 1);
  CHECK(tova_chan_try_send(id, 4) == TOVA_ERR_FULL); /* it stopped after 3 */
  int64_t v;
  for (int i = 1; i <= 3; i++) {
    CHECK(tova_chan_try_recv(e.side, &v) == TOVA_OK);
    CHECK_EQ_I64(v, i * 10);
  }
  CHECK(tova_chan_close(id) == TOVA_OK);
  CHECK(tova_chan_close(e.side) == TOVA_OK);
}

/* ---- stress: tasks parking on channels ---------------------------------- */

/* A task that sends [next, end) or receives until closed, parking with
 * send_wait / recv_wait and being woken by the waiter's callback: the same
 * protocol WebAssembly tasks use for blocking host calls. */
typedef struct chan_task {
  tova_task *self;
  tova_chan_waiter w;
  tova_chan_id id;
  bool waiting;          /* a *_wait returned PENDING; the callback set wstatus */
  tova_status wstatus;
  int64_t next, end;     /* producer */
  int64_t sum, count;    /* consumer */
} chan_task;

static _Atomic int64_t g_sum, g_count, g_producers_left, g_errors;
static _Atomic uint8_t *g_seen;
static latch g_finished;

static void wake_complete(tova_chan_waiter *w, tova_status st) {
  chan_task *c = w->userdata;
  c->wstatus = st;
  tova_task_wake(c->self);
}

static tova_status producer_step(tova_task *t, void *ud) {
  chan_task *c = ud;
  c->self = t;
  if (c->waiting) {
    c->waiting = false;
    if (c->wstatus != TOVA_OK) return c->wstatus;
    c->next++;
  }
  while (c->next < c->end) {
    c->w.value = c->next;
    c->waiting = true; /* before the wait: the callback may run at once */
    tova_status st = tova_chan_send_wait(c->id, &c->w);
    if (st == TOVA_PENDING) return TOVA_SUSPENDED;
    c->waiting = false;
    if (st != TOVA_OK) return st;
    c->next++;
  }
  return TOVA_OK;
}

static void consumer_take(chan_task *c, int64_t v) {
  c->sum += v;
  c->count++;
  if (atomic_fetch_add(&g_seen[v], 1) != 0) atomic_fetch_add(&g_errors, 1); /* duplicate */
}

static tova_status consumer_step(tova_task *t, void *ud) {
  chan_task *c = ud;
  c->self = t;
  if (c->waiting) {
    c->waiting = false;
    if (c->wstatus == TOVA_ERR_CLOSED) return TOVA_OK;
    if (c->wstatus != TOVA_OK) return c->wstatus;
    consumer_take(c, c->w.value);
  }
  for (;;) {
    c->waiting = true;
    tova_status st = tova_chan_recv_wait(c->id, &c->w);
    if (st == TOVA_PENDING) return TOVA_SUSPENDED;
    c->waiting = false;
    if (st == TOVA_ERR_CLOSED) return TOVA_OK;
    if (st != TOVA_OK) return st;
    consumer_take(c, c->w.value);
  }
}

static void producer_done(tova_task *t, void *ud, tova_status st) {
  chan_task *c = ud;
  if (st != TOVA_OK) atomic_fetch_add(&g_errors, 1);
  /* The last producer closes the channel: consumers then drain and stop. */
  if (atomic_fetch_sub(&g_producers_left, 1) == 1) CHECK(tova_chan_close(c->id) == TOVA_OK);
  latch_add(&g_finished, 1);
}

static void consumer_done(tova_task *t, void *ud, tova_status st) {
  chan_task *c = ud;
  if (st != TOVA_OK) atomic_fetch_add(&g_errors, 1);
  atomic_fetch_add(&g_sum, c->sum);
  atomic_fetch_add(&g_count, c->count);
  latch_add(&g_finished, 1);
}

/* The JS thread's way: a promise-like waiter completed from a worker. */
typedef struct js_waiter {
  tova_chan_waiter w;
  latch done;
  tova_status status;
} js_waiter;

static void js_complete(tova_chan_waiter *w, tova_status st) {
  js_waiter *j = w->userdata;
  j->status = st;
  latch_add(&j->done, 1);
}

static void run_stress(uint32_t cap, int nprod, int ncons, int64_t per_producer) {
  const int64_t total = nprod * per_producer;
  g_seen = calloc((size_t)total, 1);
  atomic_store(&g_sum, 0);
  atomic_store(&g_count, 0);
  atomic_store(&g_errors, 0);
  atomic_store(&g_producers_left, nprod);
  latch_init(&g_finished);
  tova_chan_id id = make(cap);
  tova_runtime_config cfg = {.workers = 2};
  tova_runtime *rt = NULL;
  CHECK(tova_runtime_new(&cfg, &rt) == TOVA_OK);
  chan_task *tasks = calloc((size_t)(nprod + ncons), sizeof *tasks);
  /* Consumers first half the time, producers first the other: either side
   * must be able to park in numbers. */
  for (int k = 0; k < nprod + ncons; k++) {
    int i = cap % 2 ? k : nprod + ncons - 1 - k;
    chan_task *c = &tasks[i];
    c->id = id;
    c->w.complete = wake_complete;
    c->w.userdata = c;
    if (i < nprod) {
      c->next = i * per_producer;
      c->end = c->next + per_producer;
      CHECK(tova_task_spawn(rt, producer_step, producer_done, c, NULL) == TOVA_OK);
    } else {
      CHECK(tova_task_spawn(rt, consumer_step, consumer_done, c, NULL) == TOVA_OK);
    }
  }
  /* Meanwhile this thread receives too, like JS awaiting a receive. */
  int64_t js_sum = 0, js_count = 0;
  for (int i = 0; i < 50; i++) {
    js_waiter j;
    memset(&j, 0, sizeof j);
    latch_init(&j.done);
    j.w.complete = js_complete;
    j.w.userdata = &j;
    tova_status st = tova_chan_recv_wait(id, &j.w);
    if (st == TOVA_PENDING) {
      latch_wait(&j.done, 1);
      st = j.status;
    }
    latch_destroy(&j.done);
    if (st != TOVA_OK) break;
    js_sum += j.w.value;
    js_count++;
    if (atomic_fetch_add(&g_seen[j.w.value], 1) != 0) atomic_fetch_add(&g_errors, 1);
  }
  latch_wait(&g_finished, nprod + ncons);
  tova_runtime_free(rt);
  CHECK_EQ_I64(atomic_load(&g_errors), 0);
  CHECK_EQ_I64(atomic_load(&g_count) + js_count, total);
  CHECK_EQ_I64(atomic_load(&g_sum) + js_sum, total * (total - 1) / 2);
  int64_t missing = 0;
  for (int64_t v = 0; v < total; v++) missing += atomic_load(&g_seen[v]) != 1;
  CHECK_EQ_I64(missing, 0);
  int64_t v;
  CHECK(tova_chan_try_recv(id, &v) == TOVA_ERR_CLOSED);
  free(tasks);
  free((void *)g_seen);
  latch_destroy(&g_finished);
}

static void test_stress_unbuffered(void) { run_stress(0, 8, 5, 20000); }
static void test_stress_cap1(void) { run_stress(1, 5, 8, 20000); }
static void test_stress_buffered(void) { run_stress(64, 16, 3, 20000); }
static void test_stress_many_parked(void) { run_stress(0, 3000, 3000, 20); }

/* A task parked on a channel when its runtime is freed: the runtime keeps a
 * shell alive for it; a later send completes the waiter, whose wake then
 * finishes the task with TOVA_ERR_SHUTDOWN right there, on the sending
 * thread. The value was handed over (the receiver was parked), so the
 * send succeeds. */
static _Atomic int g_shut_status;
static _Atomic int g_shut_parked;

static tova_status park_on_chan_step(tova_task *t, void *ud) {
  chan_task *c = ud;
  c->self = t;
  if (c->waiting) return TOVA_OK; /* must not run again: runtime is gone */
  c->waiting = true;
  tova_status st = tova_chan_recv_wait(c->id, &c->w);
  if (st != TOVA_PENDING) return st;
  atomic_store(&g_shut_parked, 1);
  return TOVA_SUSPENDED;
}

static void record_done(tova_task *t, void *ud, tova_status st) { atomic_store(&g_shut_status, st); }

static void test_parked_task_outlives_runtime(void) {
  atomic_store(&g_shut_status, -1);
  atomic_store(&g_shut_parked, 0);
  chan_task c;
  memset(&c, 0, sizeof c);
  c.id = make(0);
  c.w.complete = wake_complete;
  c.w.userdata = &c;
  tova_runtime_config cfg = {.workers = 1};
  tova_runtime *rt = NULL;
  CHECK(tova_runtime_new(&cfg, &rt) == TOVA_OK);
  CHECK(tova_task_spawn(rt, park_on_chan_step, record_done, &c, NULL) == TOVA_OK);
  while (!atomic_load(&g_shut_parked)) sched_yield();
  tova_runtime_free(rt);
  CHECK_EQ_I64(atomic_load(&g_shut_status), -1); /* parked: not completed by free */
  CHECK(tova_chan_try_send(c.id, 5) == TOVA_OK);
  CHECK_EQ_I64(atomic_load(&g_shut_status), TOVA_ERR_SHUTDOWN);
  CHECK_EQ_I64(c.w.value, 5);
  CHECK(tova_chan_close(c.id) == TOVA_OK);
}

/* ---- races between threads ---------------------------------------------- */

/* Cancel vs completion: a receiver parks and cancels while another thread
 * try-sends. Exactly one side wins each round, and the callback runs once
 * iff the cancel lost. */
typedef struct race_waiter {
  tova_chan_waiter w;
  _Atomic int calls;
} race_waiter;

static void race_complete(tova_chan_waiter *w, tova_status st) {
  race_waiter *r = w->userdata;
  atomic_fetch_add(&r->calls, 1);
}

typedef struct race_arg {
  tova_chan_id id;
  int rounds;
  _Atomic int64_t sent;
  _Atomic int go;
  _Atomic int started;
} race_arg;

static void *race_sender(void *p) {
  race_arg *a = p;
  atomic_store(&a->started, 1);
  while (atomic_load(&a->go) < a->rounds)
    if (tova_chan_try_send(a->id, 1) == TOVA_OK) atomic_fetch_add(&a->sent, 1);
  return NULL;
}

static void test_cancel_races_completion(void) {
  race_arg a;
  a.id = make(0);
  a.rounds = 20000;
  atomic_init(&a.sent, 0);
  atomic_init(&a.go, 0);
  atomic_init(&a.started, 0);
  pthread_t th;
  pthread_create(&th, NULL, race_sender, &a);
  while (!atomic_load(&a.started)) sched_yield();
  int64_t delivered = 0;
  int bad = 0;
  for (int i = 0; i < a.rounds; i++) {
    race_waiter r;
    memset(&r, 0, sizeof r);
    r.w.complete = race_complete;
    r.w.userdata = &r;
    tova_status st = tova_chan_recv_wait(a.id, &r.w);
    if (st == TOVA_PENDING) {
      /* Vary how long the waiter stays queued so both outcomes happen. */
      for (volatile int k = 0; k < (i * 37) % 512; k++) {
      }
      if (tova_chan_cancel_wait(a.id, &r.w)) {
        bad += atomic_load(&r.calls) != 0;
      } else {
        /* Completion won: its callback runs (maybe right now, elsewhere). */
        while (atomic_load(&r.calls) == 0) sched_yield();
        delivered++;
      }
    } else {
      bad += st != TOVA_OK;
      delivered++;
    }
    atomic_store(&a.go, i + 1);
  }
  pthread_join(th, NULL);
  CHECK_EQ_I64(bad, 0);
  CHECK_EQ_I64(delivered, atomic_load(&a.sent));
  CHECK(tova_chan_close(a.id) == TOVA_OK);
}

/* Close and drain racing with senders and receivers on other threads: every
 * successful send is received exactly once, nothing crashes on the
 * tombstone, and afterwards everything says CLOSED. */
typedef struct close_arg {
  tova_chan_id id;
  _Atomic int64_t sent, received;
} close_arg;

static void *close_sender(void *p) {
  close_arg *a = p;
  for (;;) {
    tova_status st = tova_chan_try_send(a->id, 1);
    if (st == TOVA_OK) atomic_fetch_add(&a->sent, 1);
    else if (st == TOVA_ERR_CLOSED) return NULL;
    else if (st != TOVA_ERR_FULL) return (void *)1;
  }
}

static void *close_receiver(void *p) {
  close_arg *a = p;
  int64_t v;
  for (;;) {
    tova_status st = tova_chan_try_recv(a->id, &v);
    if (st == TOVA_OK) atomic_fetch_add(&a->received, v);
    else if (st == TOVA_ERR_CLOSED) return NULL;
    else if (st != TOVA_ERR_EMPTY) return (void *)1;
  }
}

static void test_close_races(void) {
  for (int round = 0; round < 20; round++) {
    close_arg a;
    a.id = make((uint32_t)round % 4);
    atomic_init(&a.sent, 0);
    atomic_init(&a.received, 0);
    pthread_t s[2], r[2];
    for (int i = 0; i < 2; i++) {
      pthread_create(&s[i], NULL, close_sender, &a);
      pthread_create(&r[i], NULL, close_receiver, &a);
    }
    for (int i = 0; i < 200; i++) sched_yield();
    CHECK(tova_chan_close(a.id) == TOVA_OK);
    void *res;
    for (int i = 0; i < 2; i++) {
      pthread_join(s[i], &res);
      CHECK(res == NULL);
      pthread_join(r[i], &res);
      CHECK(res == NULL);
    }
    CHECK_EQ_I64(atomic_load(&a.received), atomic_load(&a.sent));
    CHECK(tova_chan_try_send(a.id, 1) == TOVA_ERR_CLOSED);
  }
}

/* Many threads creating channels at once get distinct ids. */
static void *creator(void *p) {
  tova_chan_id *ids = p;
  for (int i = 0; i < 2000; i++) {
    if (tova_chan_create(1, &ids[i]) != TOVA_OK) ids[i] = 0;
    tova_chan_close(ids[i]);
  }
  return NULL;
}

static int cmp_id(const void *a, const void *b) {
  tova_chan_id x = *(const tova_chan_id *)a, y = *(const tova_chan_id *)b;
  return x < y ? -1 : x > y;
}

static void test_concurrent_create(void) {
  enum { T = 4, N = 2000 };
  tova_chan_id *ids = calloc(T * N, sizeof *ids);
  pthread_t th[T];
  for (int i = 0; i < T; i++) pthread_create(&th[i], NULL, creator, ids + i * N);
  for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
  qsort(ids, T * N, sizeof *ids, cmp_id);
  int dup = 0, zero = 0;
  for (int i = 0; i < T * N; i++) {
    zero += ids[i] == 0;
    if (i) dup += ids[i] == ids[i - 1];
  }
  CHECK_EQ_I64(zero, 0);
  CHECK_EQ_I64(dup, 0);
  free(ids);
}

/* ---- batched try-operations ------------------------------------------------ */

/* tova_chan_try_send_many / try_recv_many against the single operations:
 * two channels get the same random script (parked receivers and senders,
 * batches, close), one through the batched calls, the other one value at a
 * time; every answer, every value and every waiter's completion must be the
 * same on both. */
enum { MANY_WAITERS = 64 };
typedef struct many_side {
  tova_chan_id id;
  rec_waiter w[MANY_WAITERS];
  int nw;
} many_side;

static void many_trial(uint32_t cap, uint64_t seed) {
  many_side a = {.id = make(cap)}, b = {.id = make(cap)};
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  int64_t next_value = 1;
  bool closed = false;
  for (int step = 0; step < 400; step++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int op = (int)(x % 100);
    size_t k = (size_t)((x >> 8) % 12);
    if (op < 15 && a.nw < MANY_WAITERS) { /* park a receiver on both */
      rec_init(&a.w[a.nw], 0);
      rec_init(&b.w[b.nw], 0);
      tova_status sa = tova_chan_recv_wait(a.id, &a.w[a.nw].w), sb = tova_chan_recv_wait(b.id, &b.w[b.nw].w);
      CHECK_EQ_I64(sa, sb);
      if (sa == TOVA_OK) CHECK_EQ_I64(a.w[a.nw].w.value, b.w[b.nw].w.value);
      if (sa == TOVA_PENDING) a.nw++, b.nw++;
    } else if (op < 30 && a.nw < MANY_WAITERS) { /* park a sender on both */
      int64_t v = next_value++;
      rec_init(&a.w[a.nw], v);
      rec_init(&b.w[b.nw], v);
      tova_status sa = tova_chan_send_wait(a.id, &a.w[a.nw].w), sb = tova_chan_send_wait(b.id, &b.w[b.nw].w);
      CHECK_EQ_I64(sa, sb);
      if (sa == TOVA_PENDING) a.nw++, b.nw++;
    } else if (op < 62) { /* a batch of k sends */
      int64_t vals[16];
      for (size_t i = 0; i < k; i++) vals[i] = next_value++;
      size_t done = 99;
      tova_status sa = tova_chan_try_send_many(a.id, vals, k, &done), sb = TOVA_OK;
      size_t nb = 0;
      while (nb < k && (sb = tova_chan_try_send(b.id, vals[nb])) == TOVA_OK) nb++;
      CHECK_EQ_I64((int64_t)done, (int64_t)nb);
      CHECK_EQ_I64(sa, nb ? TOVA_OK : (k ? sb : TOVA_OK));
    } else if (op < 96) { /* a batch of up to k receives */
      int64_t va[16] = {0}, vb[16] = {0};
      size_t done = 99;
      tova_status sa = tova_chan_try_recv_many(a.id, va, k, &done), sb = TOVA_OK;
      size_t nb = 0;
      while (nb < k && (sb = tova_chan_try_recv(b.id, &vb[nb])) == TOVA_OK) nb++;
      CHECK_EQ_I64((int64_t)done, (int64_t)nb);
      CHECK_EQ_I64(sa, nb ? TOVA_OK : (k ? sb : TOVA_OK));
      for (size_t i = 0; i < nb; i++) CHECK_EQ_I64(va[i], vb[i]);
    } else if (!closed && step > 300) {
      CHECK_EQ_I64(tova_chan_close(a.id), tova_chan_close(b.id));
      closed = true;
    }
    for (int i = 0; i < a.nw; i++) {
      CHECK_EQ_I64(a.w[i].calls, b.w[i].calls);
      CHECK_EQ_I64(a.w[i].status, b.w[i].status);
      CHECK_EQ_I64(a.w[i].w.value, b.w[i].w.value);
    }
  }
  /* Withdraw what still waits (a waiter may not outlive this frame). */
  if (!closed) {
    tova_chan_close(a.id);
    tova_chan_close(b.id);
  }
  for (int i = 0; i < a.nw; i++) CHECK_EQ_I64(a.w[i].calls, 1);
}

static void test_batched_try_operations(void) {
  const uint32_t caps[] = {0, 1, 3, 8, 1000};
  for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
    for (uint64_t seed = 1; seed <= 40; seed++) many_trial(caps[c], seed);
  /* Bad arguments and unknown ids. */
  size_t done = 7;
  int64_t v = 0;
  CHECK(tova_chan_try_send_many(make(1), NULL, 1, &done) == TOVA_ERR_BAD_ARGUMENT);
  CHECK(tova_chan_try_recv_many(make(1), &v, 1, NULL) == TOVA_ERR_BAD_ARGUMENT);
  CHECK(tova_chan_try_send_many((tova_chan_id)0x7ffffff0, &v, 1, &done) == TOVA_ERR_NOT_FOUND);
  CHECK_EQ_I64((int64_t)done, 0);
}

int main(void) {
  RUN(test_handles);
  RUN(test_fifo_full_empty);
  RUN(test_huge_capacity_is_lazy);
  RUN(test_rendezvous);
  RUN(test_waiter_fifo);
  RUN(test_batched_try_operations);
  RUN(test_close_drains_then_closed);
  RUN(test_close_wakes_waiters);
  RUN(test_tombstone);
  RUN(test_cancel_wait);
  RUN(test_reentrant_callbacks);
  RUN(test_stress_unbuffered);
  RUN(test_stress_cap1);
  RUN(test_stress_buffered);
  RUN(test_stress_many_parked);
  RUN(test_parked_task_outlives_runtime);
  RUN(test_cancel_races_completion);
  RUN(test_close_races);
  RUN(test_concurrent_create);
  return CHECK_DONE();
}
