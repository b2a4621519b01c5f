/*
 * sched.h: internals of the worker pool and of tasks (runtime layer only).
 *
 * Shape (after Go's scheduler, simplified):
 *
 *   - N workers, each an OS thread with its own FIFO run queue (`local`).
 *   - One global inject queue for tasks made runnable by threads that are not
 *     workers of this runtime (the JS thread, a timer thread, a worker of
 *     another runtime).
 *   - A worker looks for work in this order: its own queue, the inject queue
 *     (taking a batch), then stealing half of another worker's queue.
 *   - A worker that finds nothing spins briefly ("searching"), then sleeps on
 *     the runtime condvar. Whoever queues work wakes one sleeper, but only if
 *     no worker is already searching (that one will find the work).
 *
 * Queues are intrusive singly linked lists through tova_task.next, each
 * guarded by its own mutex: a push or pop is a few pointer writes under an
 * uncontended lock, and a batch (spawn_batch, inject grab, steal) moves a
 * whole chain under one lock.
 *
 * Sleeping without lost wake-ups (a Dekker pattern over seq_cst atomics):
 *   producer: queued += n;  then reads searching and sleepers
 *   sleeper:  sleepers += 1 (under sleep_mu); searching -= 1; then reads queued
 * In the single total order of seq_cst operations, either the producer sees
 * the sleeper (and signals it under sleep_mu, which the sleeper holds until
 * it is inside cond_wait, so the signal cannot fall between check and wait),
 * or the sleeper sees `queued > 0` and does not sleep. The same argument
 * covers "producer saw a searcher and did not signal": that searcher
 * decrements `searching` before it reads `queued`, so it sees the work.
 * Seeing it, it must go on searching (pool.c search), not take a task
 * outside the search: a searcher hands the rest of the queued work on
 * when it stops (the last searcher that finds a task with more queued
 * wakes a sleeper, who searches in turn), and the producers that did not
 * signal counted on that.
 *
 * Lifetime: rt->refs counts one reference for the owner (dropped by
 * tova_runtime_free) plus one per live task. So a task parked when the
 * runtime is freed keeps a small shell of the runtime alive; waking it later
 * completes it with TOVA_ERR_SHUTDOWN on the waking thread, and the last such
 * task frees the shell. Nothing ever touches freed runtime memory.
 */
#ifndef TOVA_RT_SCHED_H
#define TOVA_RT_SCHED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"
#include "runtime/timer.h"
#include "tova.h"

/* Task states. Transitions (who makes them):
 *   QUEUED   -> RUNNING   worker pops it
 *   RUNNING  -> NOTIFIED  tova_task_wake while the step runs (CAS)
 *   RUNNING  -> PARKED    worker, step returned SUSPENDED (CAS; fails if NOTIFIED)
 *   NOTIFIED -> QUEUED    worker, step returned SUSPENDED: the wake already came,
 *                         so it re-queues instead of parking
 *   PARKED   -> QUEUED    tova_task_wake (CAS; the winner queues it, exactly once)
 *   RUNNING/NOTIFIED -> DONE   step returned anything but SUSPENDED
 *   QUEUED   -> DONE      shutdown drains the queues
 * A wake on a QUEUED or NOTIFIED task is absorbed: the step will run again
 * after it anyway, which is all a wake promises. */
enum {
  TOVA_RT_TASK_QUEUED = 0,
  TOVA_RT_TASK_RUNNING,
  TOVA_RT_TASK_NOTIFIED,
  TOVA_RT_TASK_PARKED,
  TOVA_RT_TASK_DONE
};

typedef struct tova_rt_task_block tova_rt_task_block;

struct tova_task {
  _Atomic uint32_t state;
  /* Memory references: 1 held by the runtime until done has returned, plus
   * tova_task_retain()s. The memory is freed at zero; a wake on a DONE task
   * whose memory is still referenced is a harmless no-op. */
  _Atomic uint32_t refs;
  tova_task *next; /* run-queue link; owned by whichever queue holds the task */
  tova_runtime *rt;
  tova_task_step_fn step;
  tova_task_done_fn done;
  void *userdata;
  tova_rt_task_block *block; /* NULL: allocated alone; else freed with its batch */
};

/* tova_task_spawn_batch allocates its n tasks in one block; the block is freed
 * when the last of them finishes. */
struct tova_rt_task_block {
  _Atomic size_t remaining;
  tova_task tasks[];
};

/* Intrusive FIFO of tasks. `pushed` and `popped` count every task that ever
 * entered and left it, so "has everything queued before time T left?" is
 * popped >= (pushed at T): the kick timer's test (see tova_runtime.kick). */
typedef struct tova_rt_taskq {
  tova_task *head, *tail;
  size_t len;
  uint64_t pushed, popped;
} tova_rt_taskq;

typedef struct tova_rt_worker {
  tova_runtime *rt;
  uint32_t index;
  uint32_t rng;  /* victim choice for stealing */
  /* Looks for work (one per task started, more while idle); every
   * INJECT_EVERY-th looks at inject first. Written by the owner only; the
   * kick timer reads it: unchanged for 1 ms means one task held the worker
   * all that time. */
  _Atomic uint32_t tick;
  tova_plat_spinlock mu; /* guards local and next (owner pushes/pops, thieves steal):
                          * a few pointer writes, never held across a wait */
  tova_rt_taskq local;
  /* runnext (as Go's): the task most recently woken by a task running on
   * this worker, run as soon as the running task parks. A producer and a
   * consumer handing values over a channel then take turns on one worker
   * without waking another thread each time. Thieves take it only after
   * spinning a while (the owner usually runs it first); after NEXT_STREAK
   * runs in a row from it, the owner goes to its FIFO queue instead, so a
   * ping-ponging pair cannot starve the queue. Counted in rt->queued. */
  tova_task *next;
  uint32_t next_streak;
  size_t finished; /* tasks finished on this worker, settled into rt->refs at exit */
  tova_plat_thread thread;
} tova_rt_worker;

/* Lists of live WebAssembly tasks (tova_runtime.wasm_live). */
#define TOVA_RT_LIVE_STRIPES 8

struct tova_runtime {
  uint32_t nworkers;
  tova_rt_worker *workers;

  tova_plat_mutex inject_mu;
  tova_rt_taskq inject;
  bool inject_closed; /* under inject_mu: set once shutdown drained it */

  /* Work accounting and sleep protocol (see the comment at the top). */
  _Atomic size_t queued;     /* tasks in any run queue of this runtime */
  _Atomic uint32_t searching; /* workers spinning for work */
  _Atomic uint32_t sleepers;  /* workers in (or about to enter) cond_wait */
  _Atomic bool stopping;
  tova_plat_mutex sleep_mu;
  tova_plat_cond sleep_cv;

  _Atomic size_t refs; /* 1 (owner) + live tasks */

  tova_rt_timers timers; /* sleeps, select timeouts, deadlines (timer.h) */
  /* A task woken by a task running on a worker stays on that worker: it
   * becomes its runnext, and the runnext it displaces goes to its queue,
   * without waking an idle worker. Tasks that talk over channels then run
   * where their partners run: on the machines we measure on a cache line
   * costs 60-190 ns to cross cores, so spreading a producer and its consumer
   * over two cores makes each message slower than running both on one
   * (bench_channels, 2 workers: fan-in 8 -> 1 111-128 -> 54-74 ms).
   * Parallelism comes back when this worker falls behind: this timer fires
   * 1 ms after such a wake and kicks an idle worker (which steals half the
   * queue) if that very task still waits in runnext, if a task queued
   * before the wake is still in the queue (kick_mark: the queue's `pushed`
   * then; popped < kick_mark means it is), or if one task has held the
   * worker since (its tick has not moved) while work waits. So a producer and a consumer
   * taking turns are left alone, and a backlog of real work older than 1 ms
   * is shared. Armed at most once at a time; a wake on another worker while
   * it is armed wakes an idle worker at once, as it did before. */
  tova_rt_timer kick;
  _Atomic bool kick_armed;
  _Atomic uint32_t kick_worker; /* the worker armed for; read by wakers too */
  tova_task *kick_task;   /* compared, never dereferenced */
  uint64_t kick_mark;     /* kick_worker's local.pushed when armed */
  uint32_t kick_tick;     /* kick_worker's tick when armed */

  /* WebAssembly tasks (wasm_task.c). The live ones are listed (for
   * cancel-at-shutdown and deadlock reports) in TOVA_RT_LIVE_STRIPES lists,
   * task id modulo the count, each under its own lock: every task's end
   * unlinks it, and with one lock the workers ending tasks and the thread
   * spawning them queued on it. Whoever needs all of them takes the locks
   * in index order. wasm_active counts live tasks not parked on channel
   * operations only, wasm_held those of them not unreferenced (see
   * wasm_task.h); wasm_held's transitions between zero and non-zero call
   * activity_fn. */
  struct tova_rt_live_stripe {
    tova_plat_mutex mu;
    struct tova_wasm_task *head;
    size_t n; /* under mu */
    /* 128 bytes each: two lists never share a cache line, wherever the
     * runtime's allocation starts (malloc aligns to 16 only). */
    char pad[128 - sizeof(tova_plat_mutex) - sizeof(void *) - sizeof(size_t)];
  } wasm_live[TOVA_RT_LIVE_STRIPES];
  _Atomic int64_t wasm_active;
  _Atomic int64_t wasm_held;
  tova_runtime_activity_fn activity_fn;
  void *activity_ud;
};

/* wasm_task.c: end every live WebAssembly task with TOVA_ERR_SHUTDOWN (called
 * by tova_runtime_free before the workers stop). */
void tova_rt_wasm_shutdown(tova_runtime *rt);

/* Queue a runnable task (state already QUEUED): on the current worker's own
 * queue when called from a worker of t->rt, else on the inject queue. If the
 * runtime has shut down, completes it with TOVA_ERR_SHUTDOWN instead. */
void tova_rt_schedule(tova_task *t);
/* The same for a task being woken: on a worker of t->rt it becomes that
 * worker's runnext (the task it displaces goes to the queue). */
void tova_rt_schedule_woken(tova_task *t);
/* Queue a prepared chain of `n` QUEUED tasks (batch spawn). */
void tova_rt_schedule_chain(tova_runtime *rt, tova_task *head, tova_task *tail, size_t n);
/* Run one step of t on worker w (state RUNNING) and act on its result. */
void tova_rt_task_run(tova_rt_worker *w, tova_task *t);
/* Finish t: call done(status), free the task, drop its runtime reference.
 * `w` is the worker it finished on, or NULL off-worker. */
void tova_rt_task_finish(tova_rt_worker *w, tova_task *t, tova_status status);
/* Drop one reference to rt; the last one frees it. */
void tova_rt_runtime_unref(tova_runtime *rt, size_t n);

/* Queue helpers (caller holds the lock guarding q). */
static inline void tova_rt_taskq_push(tova_rt_taskq *q, tova_task *t) {
  t->next = NULL;
  if (q->tail) q->tail->next = t;
  else q->head = t;
  q->tail = t;
  q->len++;
  q->pushed++;
}

static inline void tova_rt_taskq_append(tova_rt_taskq *q, tova_task *head, tova_task *tail, size_t n) {
  if (!n) return;
  tail->next = NULL;
  if (q->tail) q->tail->next = head;
  else q->head = head;
  q->tail = tail;
  q->len += n;
  q->pushed += n;
}

static inline tova_task *tova_rt_taskq_pop(tova_rt_taskq *q) {
  tova_task *t = q->head;
  if (!t) return NULL;
  q->head = t->next;
  if (!q->head) q->tail = NULL;
  q->len--;
  q->popped++;
  t->next = NULL;
  return t;
}

/* Detach up to n tasks from the front of q as a chain; returns the count. */
static inline size_t tova_rt_taskq_take(tova_rt_taskq *q, size_t n, tova_task **head,
                                        tova_task **tail) {
  if (n > q->len) n = q->len;
  if (!n) return 0;
  tova_task *h = q->head, *t = h;
  for (size_t i = 1; i < n; i++) t = t->next;
  q->head = t->next;
  if (!q->head) q->tail = NULL;
  q->len -= n;
  q->popped += n;
  t->next = NULL;
  *head = h;
  *tail = t;
  return n;
}

#endif /* TOVA_RT_SCHED_H */
