/*
 * timer.h: the runtime's one timer structure (runtime layer only).
 *
 * Every sleep, select timeout and task deadline of a runtime is one entry of
 * a binary min-heap ordered by deadline, served by ONE timer thread per
 * runtime (started on first use, so a runtime that never sleeps has none).
 * Never a thread per sleep. The thread waits on a condvar until the earliest
 * deadline; arming an earlier timer signals it.
 *
 * A timer is embedded in whatever waits (a task's wait, a select, a
 * deadline); the heap holds pointers. Firing runs the timer's callback on the
 * timer thread with no lock held. Arm/disarm/fire race like a channel wait
 * and its cancel: tova_rt_timer_disarm returns true only if the timer was
 * still in the heap (its callback will never run); false means the callback
 * has run or is running now, and the disarming side must let it finish its
 * job (the callback owns the wake-up).
 */
#ifndef TOVA_RT_TIMER_H
#define TOVA_RT_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"
#include "tova.h"

typedef struct tova_rt_timer tova_rt_timer;
typedef void (*tova_rt_timer_fn)(tova_rt_timer *t, void *userdata);

#define TOVA_RT_TIMER_IDLE ((size_t)-1)

struct tova_rt_timer {
  uint64_t when_ns;  /* monotonic deadline */
  uint64_t seq;      /* arming order: equal deadlines fire first-armed first */
  size_t index;      /* position in the heap, TOVA_RT_TIMER_IDLE when not armed */
  tova_rt_timer_fn fn;
  void *userdata;
};

typedef struct tova_rt_timers {
  tova_plat_mutex mu; /* guards everything below */
  tova_plat_cond cv;
  tova_rt_timer **heap;
  size_t len, cap;
  uint64_t seq;
  bool started, stopping;
  tova_plat_thread thread;
} tova_rt_timers;

bool tova_rt_timers_init(tova_rt_timers *ts);
/* Stop the thread; timers still armed fire now, on the calling thread (so
 * whatever waited on them completes rather than hangs). */
void tova_rt_timers_stop(tova_rt_timers *ts);
void tova_rt_timers_destroy(tova_rt_timers *ts);

static inline void tova_rt_timer_init(tova_rt_timer *t, tova_rt_timer_fn fn, void *userdata) {
  t->index = TOVA_RT_TIMER_IDLE;
  t->fn = fn;
  t->userdata = userdata;
  t->when_ns = 0;
  t->seq = 0;
}
/* Arm t to fire delay_ms from now (<= 0: as soon as the timer thread runs).
 * False (nothing armed) when stopping or out of memory. t must be idle. */
bool tova_rt_timer_arm(tova_rt_timers *ts, tova_rt_timer *t, int64_t delay_ms);
bool tova_rt_timer_disarm(tova_rt_timers *ts, tova_rt_timer *t);

#endif /* TOVA_RT_TIMER_H */
