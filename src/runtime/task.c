/*
 * task.c: tasks. Spawning (alone or in batches), running one step, parking
 * and waking (the state machine is documented in sched.h), finishing.
 *
 * The wake/park race: a step that parks (e.g. queues a channel waiter) may be
 * woken by another thread before it has even returned TOVA_SUSPENDED. The
 * waker then finds the task RUNNING and CASes it to NOTIFIED; the worker's
 * CAS RUNNING -> PARKED fails, and it re-queues the task instead of parking.
 * Whichever side loses a CAS knows the other side has taken responsibility,
 * so the task is queued exactly once and no wake is lost.
 */
#include <stdlib.h>

#include "common/assert.h"
#include "runtime/sched.h"

static void task_init(tova_task *t, tova_runtime *rt, tova_task_step_fn step,
                      tova_task_done_fn done, void *userdata, tova_rt_task_block *block) {
  atomic_init(&t->state, TOVA_RT_TASK_QUEUED);
  atomic_init(&t->refs, 1);
  t->next = NULL;
  t->rt = rt;
  t->step = step;
  t->done = done;
  t->userdata = userdata;
  t->block = block;
}

tova_status tova_task_spawn(tova_runtime *rt, tova_task_step_fn step, tova_task_done_fn done,
                            void *userdata, tova_task **out) {
  if (out) *out = NULL;
  if (!rt || !step) return TOVA_ERR_BAD_ARGUMENT;
  if (atomic_load(&rt->stopping)) return TOVA_ERR_SHUTDOWN;
  tova_task *t = malloc(sizeof *t);
  if (!t) return TOVA_ERR_NOMEM;
  task_init(t, rt, step, done, userdata, NULL);
  atomic_fetch_add(&rt->refs, 1);
  /* Publish *out before queuing: once queued the task may finish and be freed
   * at any moment, after which *out must not be relied on by the caller. */
  if (out) *out = t;
  tova_rt_schedule(t);
  return TOVA_OK;
}

tova_status tova_task_spawn_batch(tova_runtime *rt, size_t n, tova_task_step_fn step,
                                  tova_task_done_fn done, void *const *userdata,
                                  tova_task **out) {
  if (!rt || !step || (n && !userdata)) return TOVA_ERR_BAD_ARGUMENT;
  if (n == 0) return TOVA_OK;
  if (atomic_load(&rt->stopping)) return TOVA_ERR_SHUTDOWN;
  if (n > (SIZE_MAX - sizeof(tova_rt_task_block)) / sizeof(tova_task)) return TOVA_ERR_NOMEM;
  tova_rt_task_block *b = malloc(sizeof *b + n * sizeof(tova_task));
  if (!b) return TOVA_ERR_NOMEM;
  atomic_init(&b->remaining, n);
  for (size_t i = 0; i < n; i++) {
    tova_task *t = &b->tasks[i];
    task_init(t, rt, step, done, userdata[i], b);
    t->next = i + 1 < n ? &b->tasks[i + 1] : NULL;
    if (out) out[i] = t;
  }
  atomic_fetch_add(&rt->refs, n);
  tova_rt_schedule_chain(rt, &b->tasks[0], &b->tasks[n - 1], n);
  return TOVA_OK;
}

void tova_task_wake(tova_task *t) {
  if (!t) return;
  uint32_t s = atomic_load(&t->state);
  for (;;) {
    switch (s) {
      case TOVA_RT_TASK_PARKED:
        /* acq_rel: the winner sees everything the parking step wrote and
         * publishes what the waker wrote (e.g. a received value) to the
         * worker that runs the next step (the queue mutex does that too). */
        if (atomic_compare_exchange_weak(&t->state, &s, TOVA_RT_TASK_QUEUED)) {
          tova_rt_schedule_woken(t);
          return;
        }
        break; /* s was reloaded: retry */
      case TOVA_RT_TASK_RUNNING:
        if (atomic_compare_exchange_weak(&t->state, &s, TOVA_RT_TASK_NOTIFIED)) return;
        break;
      default:
        /* QUEUED or NOTIFIED: the step runs again anyway. DONE: a caller
         * error (a wake after done), ignored. */
        return;
    }
  }
}

void *tova_task_userdata(const tova_task *t) { return t ? t->userdata : NULL; }

void tova_task_retain(tova_task *t) {
  if (t) atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void tova_task_release(tova_task *t) {
  if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1) return;
  tova_rt_task_block *b = t->block;
  if (!b) free(t);
  else if (atomic_fetch_sub(&b->remaining, 1) == 1) free(b);
}

void tova_rt_task_run(tova_rt_worker *w, tova_task *t) {
  /* sched.h: a worker runs only a task it took off a queue (RUNNING), which
   * a waker may already have turned NOTIFIED (a wake while running: legal
   * from the moment find_work stored RUNNING; the step then runs again). */
  TOVA_ASSERT(atomic_load(&t->state) == TOVA_RT_TASK_RUNNING ||
              atomic_load(&t->state) == TOVA_RT_TASK_NOTIFIED);
  tova_status st = t->step(t, t->userdata);
  if (st != TOVA_SUSPENDED) {
    tova_rt_task_finish(w, t, st);
    return;
  }
  uint32_t expected = TOVA_RT_TASK_RUNNING;
  if (atomic_compare_exchange_strong(&t->state, &expected, TOVA_RT_TASK_PARKED)) {
    /* Parked. From here on t belongs to whoever wakes it: do not touch it. */
    return;
  }
  TOVA_ASSERT(expected == TOVA_RT_TASK_NOTIFIED); /* the only other state a step can leave */
  /* expected == NOTIFIED: woken while the step was returning. Run it again
   * later rather than now, so one task cannot monopolise its worker. */
  atomic_store(&t->state, TOVA_RT_TASK_QUEUED);
  tova_rt_schedule(t);
}

void tova_rt_task_finish(tova_rt_worker *w, tova_task *t, tova_status status) {
  tova_runtime *rt = t->rt;
  TOVA_ASSERT(atomic_load(&t->state) != TOVA_RT_TASK_DONE); /* done runs once */
  atomic_store(&t->state, TOVA_RT_TASK_DONE);
  if (t->done) t->done(t, t->userdata, status);
  tova_task_release(t);
  /* On a worker, count locally: the owner's reference keeps rt alive until
   * the workers are joined, where the counts are settled (pool.c). */
  if (w) w->finished++;
  else tova_rt_runtime_unref(rt, 1);
}
