/* test_chan_random.c: channels under random concurrent use. Four threads
 * run random operations on three channels of capacity 0, 1 and 2: tries,
 * waits (cancelled when still queued), selects over two or three random
 * cases (the same channel twice, and both ways), and now and then a close
 * that replaces the channel. Every value sent is unique; the test checks
 * that none is received twice and none is received that was never sent.
 * Debug builds also check the channels' invariants at every unlock (I1-I4
 * in chan.c), and the TSan build runs it too (ctest's test_chan* subset). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tova.h"

#define NCH 3
#define THREADS 4
#define OPS 60000
#define MAXV (THREADS * OPS * 4)

static _Atomic tova_chan_id ch[NCH];
static _Atomic uint8_t sent[MAXV], got[MAXV];
static atomic_int dups, bogus;
static _Atomic long nextv = 1;

static void note_recv(int64_t v) {
  if (v <= 0 || v >= MAXV) { atomic_fetch_add(&bogus, 1); return; }
  if (!atomic_load(&sent[v])) atomic_fetch_add(&bogus, 1);
  if (atomic_exchange(&got[v], 1)) atomic_fetch_add(&dups, 1);
}

typedef struct w_t {
  tova_chan_waiter w;
  _Atomic int state; /* 0 idle, 1 queued, 2 done */
  int recv;
  tova_status st;
} w_t;

static void w_done(tova_chan_waiter *w, tova_status st) {
  w_t *x = (w_t *)w;
  x->st = st;
  if (x->recv && st == TOVA_OK) note_recv(w->value);
  atomic_store(&x->state, 2);
}

typedef struct s_t {
  _Atomic int fired;
  int index;
  tova_status st;
} s_t;

static void s_done(tova_select *sel, void *ud, int index, tova_status st) {
  (void)sel;
  s_t *s = ud;
  s->index = index;
  s->st = st;
  atomic_store(&s->fired, 1);
}

static uint32_t rnd(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void *worker(void *arg) {
  uint32_t r = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
  for (int op = 0; op < OPS; op++) {
    tova_chan_id c = ch[rnd(&r) % NCH];
    switch (rnd(&r) % 6) {
      case 0: {
        long v = atomic_fetch_add(&nextv, 1);
        atomic_store(&sent[v], 1);
        tova_chan_try_send(c, v);
        break;
      }
      case 1: {
        int64_t v;
        if (tova_chan_try_recv(c, &v) == TOVA_OK) note_recv(v);
        break;
      }
      case 2: case 3: { /* a wait, cancelled after a short while if still queued */
        w_t x;
        memset(&x, 0, sizeof x);
        x.w.complete = w_done;
        x.recv = (rnd(&r) & 1);
        tova_status st;
        if (x.recv) st = tova_chan_recv_wait(c, &x.w);
        else {
          long v = atomic_fetch_add(&nextv, 1);
          atomic_store(&sent[v], 1);
          x.w.value = v;
          st = tova_chan_send_wait(c, &x.w);
        }
        if (st == TOVA_OK && x.recv) note_recv(x.w.value);
        if (st == TOVA_PENDING) {
          for (int i = 0; i < 50 && atomic_load(&x.state) != 2; i++) sched_yield();
          if (!tova_chan_cancel_wait(c, &x.w))
            while (atomic_load(&x.state) != 2) sched_yield();
        }
        break;
      }
      case 4: { /* a select over 2-3 random cases, maybe the same channel both ways */
        tova_select_case cs[3];
        int n = 2 + (int)(rnd(&r) % 2);
        for (int i = 0; i < n; i++) {
          cs[i].chan = ch[rnd(&r) % NCH];
          cs[i].op = (rnd(&r) & 1) ? TOVA_SELECT_SEND : TOVA_SELECT_RECV;
          cs[i].status = TOVA_PENDING;
          if (cs[i].op == TOVA_SELECT_SEND) {
            long v = atomic_fetch_add(&nextv, 1);
            atomic_store(&sent[v], 1);
            cs[i].value = v;
          }
        }
        s_t s = {0};
        int index = -1;
        tova_select *sel = NULL;
        int64_t timeout = (rnd(&r) % 3) == 0 ? 0 : -1;
        tova_status st = tova_select_start(NULL, cs, (size_t)n, timeout, s_done, &s, &index, timeout ? &sel : NULL);
        if (st == TOVA_OK && index >= 0 && cs[index].op == TOVA_SELECT_RECV && cs[index].status == TOVA_OK)
          note_recv(cs[index].value);
        if (st == TOVA_PENDING) {
          for (int i = 0; i < 50 && !atomic_load(&s.fired); i++) sched_yield();
          if (!tova_select_cancel(sel))
            while (!atomic_load(&s.fired)) sched_yield();
          if (atomic_load(&s.fired) && s.index >= 0 && cs[s.index].op == TOVA_SELECT_RECV &&
              cs[s.index].status == TOVA_OK)
            note_recv(cs[s.index].value);
          tova_select_release(sel);
        }
        break;
      }
      case 5:
        if (rnd(&r) % 200 == 0) { /* rarely: close and replace */
          int k = (int)(rnd(&r) % NCH);
          tova_chan_id old = atomic_load(&ch[k]), fresh;
          if (tova_chan_create((uint32_t)k, &fresh) == TOVA_OK) atomic_store(&ch[k], fresh);
          tova_chan_close(old);
          int64_t v;
          while (tova_chan_try_recv(old, &v) == TOVA_OK) note_recv(v); /* drain what it held */
        }
        break;
    }
  }
  return NULL;
}

static void test_random_operations(void) {
  for (int k = 0; k < NCH; k++) {
    tova_chan_id id = 0;
    CHECK(tova_chan_create((uint32_t)k, &id) == TOVA_OK); /* capacities 0, 1, 2 */
    atomic_store(&ch[k], id);
  }
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++)
    CHECK(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  int64_t v;
  for (int k = 0; k < NCH; k++)
    while (tova_chan_try_recv(atomic_load(&ch[k]), &v) == TOVA_OK) note_recv(v);
  CHECK_EQ_I64(atomic_load(&dups), 0);
  CHECK_EQ_I64(atomic_load(&bogus), 0);
  CHECK(atomic_load(&nextv) > THREADS * OPS / 4); /* it did send */
  for (int k = 0; k < NCH; k++) tova_chan_close(atomic_load(&ch[k]));
}

int main(void) {
  RUN(test_random_operations);
  return CHECK_DONE();
}
