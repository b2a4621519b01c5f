/*
 * pool.c: the worker pool. Workers, their run queues, the inject queue,
 * finding work (own queue, inject batch, stealing), sleeping and waking, and
 * shutdown. The design and the no-lost-wake-up argument are in sched.h.
 *
 * Lock order (never violated, so no deadlock): inject_mu -> sleep_mu ->
 * a worker's queue lock (a spin lock, taken under sleep_mu only by the kick
 * timer, and otherwise never held together with any other lock).
 */
#include <stdlib.h>

#include "platform/platform.h"
#include "runtime/sched.h"

/* How many tasks one trip to the inject queue or one steal may move. */
#define GRAB_MAX 256
/* Bounded spin before sleeping: rounds of "look everywhere, then pause". */
#define SPIN_ROUNDS 8
#define SPIN_PAUSES 64
/* Fairness: a worker whose own queue never empties (tasks waking each other)
 * would never look at the inject queue, starving work from other threads.
 * So every INJECT_EVERY-th task is taken from the inject queue first (Go uses
 * 61 too: prime, so it does not fall into step with application patterns). */
#define INJECT_EVERY 61

/* The worker running on this thread, or NULL (JS thread, timer thread...). */
static TOVA_TLS tova_rt_worker *tls_worker;

/* ---- waking ------------------------------------------------------------- */

/* Work was queued: make sure some worker will look at it. A searching worker
 * will (see sched.h), so only wake a sleeper when nobody is searching.
 * `many`: broadcast rather than signal (a batch can feed every worker). */
static void notify(tova_runtime *rt, bool many) {
  if (atomic_load(&rt->searching) != 0) return;
  if (atomic_load(&rt->sleepers) == 0) return;
  tova_plat_mutex_lock(&rt->sleep_mu);
  if (many) tova_plat_cond_broadcast(&rt->sleep_cv);
  else tova_plat_cond_signal(&rt->sleep_cv);
  tova_plat_mutex_unlock(&rt->sleep_mu);
}

/* ---- queuing ------------------------------------------------------------ */

static void local_push(tova_rt_worker *w, tova_task *t) {
  tova_runtime *rt = w->rt;
  /* Count before publishing, so `queued` never undercounts a queued task
   * (a transiently high count only costs a sleeper one more look). */
  atomic_fetch_add(&rt->queued, 1);
  tova_plat_spin_lock(&w->mu);
  tova_rt_taskq_push(&w->local, t);
  tova_plat_spin_unlock(&w->mu);
  notify(rt, false);
}

static void inject_push_chain(tova_runtime *rt, tova_task *head, tova_task *tail, size_t n) {
  atomic_fetch_add(&rt->queued, n);
  tova_plat_mutex_lock(&rt->inject_mu);
  if (rt->inject_closed) {
    /* The runtime has shut down: nobody will ever run these. */
    tova_plat_mutex_unlock(&rt->inject_mu);
    atomic_fetch_sub(&rt->queued, n);
    while (head) {
      tova_task *next = head->next;
      tova_rt_task_finish(NULL, head, TOVA_ERR_SHUTDOWN);
      head = next;
    }
    return;
  }
  tova_rt_taskq_append(&rt->inject, head, tail, n);
  /* Notify while still holding inject_mu: tova_runtime_free drains the inject
   * queue under this lock and may free rt right after, so rt must not be
   * touched once the lock is released. */
  notify(rt, n > 1);
  tova_plat_mutex_unlock(&rt->inject_mu);
}

void tova_rt_schedule_woken(tova_task *t) {
  tova_rt_worker *w = tls_worker;
  if (!w || w->rt != t->rt) {
    inject_push_chain(t->rt, t, t, 1);
    return;
  }
  tova_runtime *rt = w->rt;
  atomic_fetch_add(&rt->queued, 1);
  tova_plat_spin_lock(&w->mu);
  tova_task *old = w->next;
  w->next = t;
  if (old) tova_rt_taskq_push(&w->local, old);
  uint64_t mark = w->local.pushed;
  tova_plat_spin_unlock(&w->mu);
  /* No idle worker is woken now (see kick in sched.h): the new runnext waits
   * for its waker to park, the displaced one for its turn in the queue, a
   * spinning thief, or the kick if this worker falls behind. */
  if (!atomic_load_explicit(&rt->kick_armed, memory_order_relaxed)) {
    bool expected = false;
    if (atomic_compare_exchange_strong(&rt->kick_armed, &expected, true)) {
      atomic_store_explicit(&rt->kick_worker, w->index, memory_order_relaxed);
      rt->kick_task = t;
      rt->kick_mark = mark;
      rt->kick_tick = atomic_load_explicit(&w->tick, memory_order_relaxed);
      if (!tova_rt_timer_arm(&rt->timers, &rt->kick, 1)) {
        atomic_store(&rt->kick_armed, false);
        notify(rt, false); /* no timer (stopping): wake now */
      }
      return;
    }
  }
  /* Armed already. For this worker it still covers a displaced task: a
   * worker that falls behind keeps its older runnext or queue entries past
   * the kick too. For another worker it does not: wake one now. */
  if (old && atomic_load_explicit(&rt->kick_worker, memory_order_relaxed) != w->index)
    notify(rt, false);
}

/* The kick timer (sched.h): work still queued 1 ms after a wake that woke
 * no worker: wake an idle worker to steal it. */
static void kick_fired(tova_rt_timer *t, void *userdata) {
  (void)t;
  tova_runtime *rt = userdata;
  bool starving = false;
  /* sleep_mu keeps the workers array alive here (shutdown frees it under
   * that lock); lock order sleep_mu -> a worker's queue lock. */
  tova_plat_mutex_lock(&rt->sleep_mu);
  if (rt->workers) {
    tova_rt_worker *w = &rt->workers[atomic_load_explicit(&rt->kick_worker, memory_order_relaxed)];
    tova_plat_spin_lock(&w->mu);
    bool held = atomic_load_explicit(&w->tick, memory_order_relaxed) == rt->kick_tick;
    starving = w->next == rt->kick_task || w->local.popped < rt->kick_mark ||
               (held && (w->next || w->local.len));
    tova_plat_spin_unlock(&w->mu);
  }
  tova_plat_mutex_unlock(&rt->sleep_mu);
  atomic_store(&rt->kick_armed, false);
  if (starving) notify(rt, false);
}

void tova_rt_schedule(tova_task *t) {
  tova_rt_worker *w = tls_worker;
  if (w && w->rt == t->rt) local_push(w, t);
  else inject_push_chain(t->rt, t, t, 1);
}

void tova_rt_schedule_chain(tova_runtime *rt, tova_task *head, tova_task *tail, size_t n) {
  tova_rt_worker *w = tls_worker;
  if (w && w->rt == rt && n == 1) {
    local_push(w, head);
    return;
  }
  /* Batches go to the inject queue even from a worker: every worker then
   * takes a share of it instead of one worker owning them all until stolen. */
  inject_push_chain(rt, head, tail, n);
}

/* ---- finding work ------------------------------------------------------- */

#define NEXT_STREAK 61

static tova_task *local_pop(tova_rt_worker *w) {
  tova_plat_spin_lock(&w->mu);
  tova_task *t = NULL;
  if (w->next && w->next_streak < NEXT_STREAK) {
    t = w->next;
    w->next = NULL;
    w->next_streak++;
  } else {
    if (w->next) { /* streak used up: runnext waits its turn in the queue */
      tova_rt_taskq_push(&w->local, w->next);
      w->next = NULL;
    }
    w->next_streak = 0;
    t = tova_rt_taskq_pop(&w->local);
  }
  tova_plat_spin_unlock(&w->mu);
  return t;
}

/* Run the first task of a grabbed chain, keep the rest in our own queue. */
static tova_task *keep_rest(tova_rt_worker *w, tova_task *head, tova_task *tail, size_t n) {
  if (n > 1) {
    tova_plat_spin_lock(&w->mu);
    tova_rt_taskq_append(&w->local, head->next, tail, n - 1);
    tova_plat_spin_unlock(&w->mu);
  }
  head->next = NULL;
  return head;
}

static tova_task *inject_grab(tova_rt_worker *w) {
  tova_runtime *rt = w->rt;
  tova_task *head = NULL, *tail = NULL;
  tova_plat_mutex_lock(&rt->inject_mu);
  /* A fair share: what is there divided among the workers, plus one. */
  size_t want = rt->inject.len / rt->nworkers + 1;
  if (want > GRAB_MAX) want = GRAB_MAX;
  size_t n = tova_rt_taskq_take(&rt->inject, want, &head, &tail);
  tova_plat_mutex_unlock(&rt->inject_mu);
  return n ? keep_rest(w, head, tail, n) : NULL;
}

static uint32_t next_rand(tova_rt_worker *w) {
  /* xorshift32: only to spread thieves over victims. */
  uint32_t x = w->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return w->rng = x;
}

static tova_task *steal(tova_rt_worker *w, bool take_next) {
  tova_runtime *rt = w->rt;
  uint32_t nw = rt->nworkers;
  if (nw < 2) return NULL;
  uint32_t start = next_rand(w) % nw;
  for (uint32_t i = 0; i < nw; i++) {
    tova_rt_worker *v = &rt->workers[(start + i) % nw];
    if (v == w) continue;
    tova_task *head = NULL, *tail = NULL;
    tova_plat_spin_lock(&v->mu);
    size_t want = (v->local.len + 1) / 2; /* half, rounded up: a lone task too */
    if (want > GRAB_MAX) want = GRAB_MAX;
    size_t n = tova_rt_taskq_take(&v->local, want, &head, &tail);
    if (!n && take_next && v->next) {
      head = tail = v->next;
      v->next = NULL;
      n = 1;
    }
    tova_plat_spin_unlock(&v->mu);
    if (n) return keep_rest(w, head, tail, n);
  }
  return NULL;
}

/* One look everywhere. On success the task is RUNNING and no longer counted
 * in rt->queued. */
static tova_task *find_work(tova_rt_worker *w, bool take_next) {
  tova_runtime *rt = w->rt;
  if (atomic_load_explicit(&rt->queued, memory_order_relaxed) == 0) {
    /* Cheap early out; a stale zero is fine because the sleep protocol
     * re-reads `queued` with seq_cst before actually sleeping. */
    return NULL;
  }
  tova_task *t = NULL;
  uint32_t tick = atomic_load_explicit(&w->tick, memory_order_relaxed) + 1;
  atomic_store_explicit(&w->tick, tick, memory_order_relaxed);
  if (tick % INJECT_EVERY == 0) t = inject_grab(w);
  if (!t) t = local_pop(w);
  if (!t) t = inject_grab(w);
  if (!t) t = steal(w, take_next);
  if (t) {
    atomic_fetch_sub(&rt->queued, 1);
    atomic_store_explicit(&t->state, TOVA_RT_TASK_RUNNING, memory_order_relaxed);
  }
  return t;
}

/* Searching: a short bounded spin before sleeping, so that work arriving
 * within microseconds is picked up without a sleep/wake round trip. Returns
 * a task, or NULL only when the runtime is stopping.
 *
 * The hand-off (Go's "spinning" Ms): wakers skip the wake-up while some
 * worker searches, so a searcher stops searching only by finding a task
 * (and, the last searcher with more queued, waking a sleeper, who searches
 * in turn) or by going to sleep with nothing queued (the Dekker order in
 * sched.h: a later waker then sees no searcher and wakes it). A searcher
 * whose re-check before sleeping sees work, and a sleeper woken, search
 * again: each once returned to take a task outside the search, skipping
 * the hand-off, and tasks queued behind a long one waited for ever while
 * the other workers slept (test_pool's test_searcher_hands_off_queued_work;
 * seen as an occasional hang of test/js exit-unref.js). */
static tova_task *search(tova_rt_worker *w) {
  tova_runtime *rt = w->rt;
  for (;;) {
    atomic_fetch_add(&rt->searching, 1);
    tova_task *t = NULL;
    for (int round = 0; round < SPIN_ROUNDS && !t; round++) {
      if (atomic_load(&rt->stopping)) break;
      /* Another worker's runnext only in the second half of the spin: its
       * owner usually runs it first. */
      t = find_work(w, round >= SPIN_ROUNDS / 2);
      if (!t)
        for (int i = 0; i < SPIN_PAUSES; i++) tova_plat_cpu_relax();
    }
    if (t) {
      /* We stop searching. If we were the last searcher and more work is
       * queued, wake a sleeper to take over (ramps up parallelism). */
      if (atomic_fetch_sub(&rt->searching, 1) == 1 && atomic_load(&rt->queued) > 0) notify(rt, false);
      return t;
    }
    /* Going to sleep. Order matters (sched.h): become a sleeper, stop being
     * a searcher, then re-read `queued`, all seq_cst. */
    tova_plat_mutex_lock(&rt->sleep_mu);
    atomic_fetch_add(&rt->sleepers, 1);
    atomic_fetch_sub(&rt->searching, 1);
    if (atomic_load(&rt->queued) == 0 && !atomic_load(&rt->stopping))
      tova_plat_cond_wait(&rt->sleep_cv, &rt->sleep_mu);
    atomic_fetch_sub(&rt->sleepers, 1);
    tova_plat_mutex_unlock(&rt->sleep_mu);
    if (atomic_load(&rt->stopping)) return NULL;
  }
}

static void worker_main(void *arg) {
  tova_rt_worker *w = arg;
  tova_runtime *rt = w->rt;
  tls_worker = w;
  while (!atomic_load_explicit(&rt->stopping, memory_order_relaxed)) {
    tova_task *t = find_work(w, false);
    if (!t) t = search(w);
    if (t) tova_rt_task_run(w, t);
  }
  tls_worker = NULL;
}

/* ---- lifetime ----------------------------------------------------------- */

static void runtime_destroy(tova_runtime *rt) {
  tova_rt_timers_destroy(&rt->timers);
  for (int i = 0; i < TOVA_RT_LIVE_STRIPES; i++) tova_plat_mutex_destroy(&rt->wasm_live[i].mu);
  tova_plat_mutex_destroy(&rt->inject_mu);
  tova_plat_mutex_destroy(&rt->sleep_mu);
  tova_plat_cond_destroy(&rt->sleep_cv);
  free(rt);
}

void tova_rt_runtime_unref(tova_runtime *rt, size_t n) {
  if (n && atomic_fetch_sub(&rt->refs, n) == n) runtime_destroy(rt);
}

/* Stop and join the first `started` workers, then finish what is queued.
 * `inited`: how many workers were initialised (all of them, except when
 * tova_runtime_new failed half-way). */
static void stop_workers(tova_runtime *rt, uint32_t started, uint32_t inited) {
  tova_plat_mutex_lock(&rt->sleep_mu);
  atomic_store(&rt->stopping, true);
  tova_plat_cond_broadcast(&rt->sleep_cv);
  tova_plat_mutex_unlock(&rt->sleep_mu);
  for (uint32_t i = 0; i < started; i++) tova_plat_thread_join(&rt->workers[i].thread);

  /* Workers are gone, so nothing else touches their queues now. Tasks that
   * finished on a worker settle their runtime references here. */
  size_t finished = 0;
  for (uint32_t i = 0; i < inited; i++) {
    tova_rt_worker *w = &rt->workers[i];
    finished += w->finished;
    tova_task *t;
    if (w->next) {
      tova_rt_taskq_push(&w->local, w->next);
      w->next = NULL;
    }
    while ((t = tova_rt_taskq_pop(&w->local))) {
      atomic_fetch_sub(&rt->queued, 1);
      tova_rt_task_finish(NULL, t, TOVA_ERR_SHUTDOWN);
    }
  }
  tova_plat_mutex_lock(&rt->sleep_mu); /* the kick timer may be reading it */
  free(rt->workers);
  rt->workers = NULL;
  tova_plat_mutex_unlock(&rt->sleep_mu);

  /* Close the inject queue: later wakes of parked tasks complete them with
   * TOVA_ERR_SHUTDOWN on the waking thread instead of queuing them. */
  tova_task *head = NULL, *tail = NULL;
  tova_plat_mutex_lock(&rt->inject_mu);
  rt->inject_closed = true;
  size_t n = tova_rt_taskq_take(&rt->inject, rt->inject.len, &head, &tail);
  tova_plat_mutex_unlock(&rt->inject_mu);
  atomic_fetch_sub(&rt->queued, n);
  while (head) {
    tova_task *next = head->next;
    tova_rt_task_finish(NULL, head, TOVA_ERR_SHUTDOWN);
    head = next;
  }
  tova_rt_runtime_unref(rt, finished);
}

tova_status tova_runtime_new(const tova_runtime_config *cfg, tova_runtime **out) {
  if (!out) return TOVA_ERR_BAD_ARGUMENT;
  *out = NULL;
  uint32_t n = cfg && cfg->workers ? cfg->workers : tova_plat_cpu_count();
  if (n > 1024) return TOVA_ERR_BAD_ARGUMENT;

  tova_runtime *rt = calloc(1, sizeof *rt);
  if (!rt) return TOVA_ERR_NOMEM;
  /* Each step undone in reverse if a later one fails. */
  rt->workers = calloc(n, sizeof *rt->workers);
  if (!rt->workers) goto no_workers;
  if (!tova_plat_mutex_init(&rt->inject_mu)) goto no_workers;
  if (!tova_plat_mutex_init(&rt->sleep_mu)) goto no_sleep_mu;
  if (!tova_plat_cond_init(&rt->sleep_cv)) goto no_sleep_cv;
  int stripes = 0;
  while (stripes < TOVA_RT_LIVE_STRIPES && tova_plat_mutex_init(&rt->wasm_live[stripes].mu)) stripes++;
  if (stripes < TOVA_RT_LIVE_STRIPES) goto no_wasm_mu;
  if (!tova_rt_timers_init(&rt->timers)) goto no_timers;
  atomic_init(&rt->wasm_active, 0);
  atomic_init(&rt->wasm_held, 0);
  atomic_init(&rt->kick_armed, false);
  tova_rt_timer_init(&rt->kick, kick_fired, rt);
  rt->nworkers = n;
  atomic_init(&rt->refs, 1);
  atomic_init(&rt->queued, 0);
  atomic_init(&rt->searching, 0);
  atomic_init(&rt->sleepers, 0);
  atomic_init(&rt->stopping, false);

  uint32_t inited = 0;
  for (; inited < n; inited++) {
    tova_rt_worker *w = &rt->workers[inited];
    w->rt = rt;
    w->index = inited;
    w->rng = 0x9E3779B9u * (inited + 1);
    tova_plat_spin_init(&w->mu);
  }
  uint32_t started = 0;
  if (inited == n)
    while (started < n && tova_plat_thread_start(&rt->workers[started].thread, worker_main,
                                                 &rt->workers[started]))
      started++;
  if (started < n) {
    /* Partial start: undo exactly what was done. */
    stop_workers(rt, started, inited);
    tova_rt_timers_stop(&rt->timers);
    tova_rt_runtime_unref(rt, 1);
    return TOVA_ERR_NOMEM;
  }
  *out = rt;
  return TOVA_OK;

no_timers:
no_wasm_mu:
  while (stripes > 0) tova_plat_mutex_destroy(&rt->wasm_live[--stripes].mu);
  tova_plat_cond_destroy(&rt->sleep_cv);
no_sleep_cv:
  tova_plat_mutex_destroy(&rt->sleep_mu);
no_sleep_mu:
  tova_plat_mutex_destroy(&rt->inject_mu);
no_workers:
  free(rt->workers);
  free(rt);
  return TOVA_ERR_NOMEM;
}

void tova_runtime_free(tova_runtime *rt) {
  if (!rt) return;
  /* From one of its own tasks it would have to join its own thread: refuse
   * (documented as a caller error) rather than deadlock. */
  if (tls_worker && tls_worker->rt == rt) return;
  /* WebAssembly tasks first: running ones stop at their next back-edge or
   * call, parked ones are woken; all end with TOVA_ERR_SHUTDOWN. Then the
   * workers, then the timers (what is still armed fires now). */
  tova_rt_wasm_shutdown(rt);
  stop_workers(rt, rt->nworkers, rt->nworkers);
  tova_rt_timers_stop(&rt->timers);
  /* Drop the owner's reference; tasks still parked keep the shell alive. */
  tova_rt_runtime_unref(rt, 1);
}

uint32_t tova_runtime_worker_count(const tova_runtime *rt) { return rt ? rt->nworkers : 0; }
