/*
 * timer.c: a binary min-heap of deadlines and the thread that fires them
 * (design in timer.h).
 *
 * Heap invariant (under ts->mu): for every i > 0, heap[(i-1)/2] is due no
 * later than heap[i] (ties broken by arming order), and heap[i]->index == i.
 */
#include <stdlib.h>

#include "runtime/timer.h"

static bool earlier(const tova_rt_timer *a, const tova_rt_timer *b) {
  return a->when_ns < b->when_ns || (a->when_ns == b->when_ns && a->seq < b->seq);
}

static void place(tova_rt_timers *ts, size_t i, tova_rt_timer *t) {
  ts->heap[i] = t;
  t->index = i;
}

static void sift_up(tova_rt_timers *ts, size_t i) {
  tova_rt_timer *t = ts->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!earlier(t, ts->heap[parent])) break;
    place(ts, i, ts->heap[parent]);
    i = parent;
  }
  place(ts, i, t);
}

static void sift_down(tova_rt_timers *ts, size_t i) {
  tova_rt_timer *t = ts->heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= ts->len) break;
    if (c + 1 < ts->len && earlier(ts->heap[c + 1], ts->heap[c])) c++;
    if (!earlier(ts->heap[c], t)) break;
    place(ts, i, ts->heap[c]);
    i = c;
  }
  place(ts, i, t);
}

/* Remove heap[i] (caller holds mu). */
static void heap_remove(tova_rt_timers *ts, size_t i) {
  tova_rt_timer *t = ts->heap[i];
  t->index = TOVA_RT_TIMER_IDLE;
  ts->len--;
  if (i == ts->len) return;
  place(ts, i, ts->heap[ts->len]);
  if (i > 0 && earlier(ts->heap[i], ts->heap[(i - 1) / 2])) sift_up(ts, i);
  else sift_down(ts, i);
}

static void timer_main(void *arg) {
  tova_rt_timers *ts = arg;
  tova_plat_mutex_lock(&ts->mu);
  while (!ts->stopping) {
    if (ts->len == 0) {
      tova_plat_cond_wait(&ts->cv, &ts->mu);
      continue;
    }
    uint64_t now = tova_plat_monotonic_ns();
    tova_rt_timer *t = ts->heap[0];
    if (t->when_ns > now) {
      tova_plat_cond_timedwait(&ts->cv, &ts->mu, t->when_ns - now);
      continue;
    }
    heap_remove(ts, 0);
    /* Fire outside the lock: the callback may wake tasks, touch channels or
     * arm another timer. Once removed, disarm reports false, so the callback
     * alone owns the wake-up. */
    tova_plat_mutex_unlock(&ts->mu);
    t->fn(t, t->userdata);
    tova_plat_mutex_lock(&ts->mu);
  }
  tova_plat_mutex_unlock(&ts->mu);
}

bool tova_rt_timers_init(tova_rt_timers *ts) {
  ts->heap = NULL;
  ts->len = ts->cap = 0;
  ts->seq = 0;
  ts->started = ts->stopping = false;
  if (!tova_plat_mutex_init(&ts->mu)) return false;
  if (!tova_plat_cond_init(&ts->cv)) {
    tova_plat_mutex_destroy(&ts->mu);
    return false;
  }
  return true;
}

bool tova_rt_timer_arm(tova_rt_timers *ts, tova_rt_timer *t, int64_t delay_ms) {
  uint64_t delay_ns = delay_ms <= 0 ? 0
                      : (uint64_t)delay_ms > UINT64_MAX / 2000000u ? UINT64_MAX / 2
                                                                   : (uint64_t)delay_ms * 1000000u;
  uint64_t now = tova_plat_monotonic_ns();
  tova_plat_mutex_lock(&ts->mu);
  if (ts->stopping) {
    tova_plat_mutex_unlock(&ts->mu);
    return false;
  }
  if (!ts->started) {
    if (!tova_plat_thread_start(&ts->thread, timer_main, ts)) {
      tova_plat_mutex_unlock(&ts->mu);
      return false;
    }
    ts->started = true;
  }
  if (ts->len == ts->cap) {
    size_t cap = ts->cap ? ts->cap * 2 : 64;
    tova_rt_timer **h = realloc(ts->heap, cap * sizeof *h);
    if (!h) {
      tova_plat_mutex_unlock(&ts->mu);
      return false;
    }
    ts->heap = h;
    ts->cap = cap;
  }
  t->when_ns = now + delay_ns;
  t->seq = ts->seq++;
  place(ts, ts->len++, t);
  sift_up(ts, t->index);
  /* Only a new earliest deadline changes what the thread waits for. */
  if (t->index == 0) tova_plat_cond_signal(&ts->cv);
  tova_plat_mutex_unlock(&ts->mu);
  return true;
}

bool tova_rt_timer_disarm(tova_rt_timers *ts, tova_rt_timer *t) {
  tova_plat_mutex_lock(&ts->mu);
  bool armed = t->index != TOVA_RT_TIMER_IDLE;
  if (armed) heap_remove(ts, t->index);
  tova_plat_mutex_unlock(&ts->mu);
  return armed;
}

void tova_rt_timers_stop(tova_rt_timers *ts) {
  tova_plat_mutex_lock(&ts->mu);
  ts->stopping = true;
  tova_plat_cond_signal(&ts->cv);
  bool started = ts->started;
  tova_plat_mutex_unlock(&ts->mu);
  if (started) tova_plat_thread_join(&ts->thread);
  /* Fire what is left, so no waiter is stranded. */
  for (;;) {
    tova_plat_mutex_lock(&ts->mu);
    if (ts->len == 0) {
      tova_plat_mutex_unlock(&ts->mu);
      break;
    }
    tova_rt_timer *t = ts->heap[0];
    heap_remove(ts, 0);
    tova_plat_mutex_unlock(&ts->mu);
    t->fn(t, t->userdata);
  }
}

void tova_rt_timers_destroy(tova_rt_timers *ts) {
  free(ts->heap);
  ts->heap = NULL;
  tova_plat_cond_destroy(&ts->cv);
  tova_plat_mutex_destroy(&ts->mu);
}
