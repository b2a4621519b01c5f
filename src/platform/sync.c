/* sync.c: mutexes and condition variables (pthreads).
 *
 * Timed waits: Linux can run a condvar on CLOCK_MONOTONIC (condattr_setclock),
 * so a wall-clock jump does not stretch or cut a timeout. macOS has no
 * condattr_setclock but offers pthread_cond_timedwait_relative_np, which takes
 * a relative timeout and is likewise immune to clock changes. */
/* The build defines _POSIX_C_SOURCE; on macOS that hides Darwin extensions
 * we use (_SC_NPROCESSORS_ONLN, pthread_cond_timedwait_relative_np). */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif
#include <errno.h>

#include "platform/platform.h"

bool tova_plat_mutex_init(tova_plat_mutex *m) { return pthread_mutex_init(&m->m, NULL) == 0; }
void tova_plat_mutex_destroy(tova_plat_mutex *m) { pthread_mutex_destroy(&m->m); }
/* Locks guard a few pointer writes (a channel operation, a queue push), so a
 * contended lock is usually free again within nanoseconds: spin briefly
 * before sleeping in the kernel, as an adaptive mutex would (glibc's default
 * mutex goes to futex at once; macOS has no adaptive type). */
#define MUTEX_SPINS 100
void tova_plat_mutex_lock(tova_plat_mutex *m) {
  for (int i = 0; i < MUTEX_SPINS; i++) {
    if (pthread_mutex_trylock(&m->m) == 0) return;
    tova_plat_cpu_relax();
  }
  pthread_mutex_lock(&m->m);
}
void tova_plat_mutex_unlock(tova_plat_mutex *m) { pthread_mutex_unlock(&m->m); }

bool tova_plat_cond_init(tova_plat_cond *c) {
#if defined(__APPLE__)
  return pthread_cond_init(&c->c, NULL) == 0;
#else
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0) return false;
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  bool ok = pthread_cond_init(&c->c, &attr) == 0;
  pthread_condattr_destroy(&attr);
  return ok;
#endif
}

void tova_plat_cond_destroy(tova_plat_cond *c) { pthread_cond_destroy(&c->c); }
void tova_plat_cond_wait(tova_plat_cond *c, tova_plat_mutex *m) { pthread_cond_wait(&c->c, &m->m); }
void tova_plat_cond_signal(tova_plat_cond *c) { pthread_cond_signal(&c->c); }
void tova_plat_cond_broadcast(tova_plat_cond *c) { pthread_cond_broadcast(&c->c); }

bool tova_plat_cond_timedwait(tova_plat_cond *c, tova_plat_mutex *m, uint64_t timeout_ns) {
  /* Clamp to ~31 years so the deadline arithmetic cannot overflow time_t;
   * callers loop on their predicate anyway. */
  if (timeout_ns > 1000000000000000000ull) timeout_ns = 1000000000000000000ull;
#if defined(__APPLE__)
  struct timespec rel;
  rel.tv_sec = (time_t)(timeout_ns / 1000000000u);
  rel.tv_nsec = (long)(timeout_ns % 1000000000u);
  return pthread_cond_timedwait_relative_np(&c->c, &m->m, &rel) != ETIMEDOUT;
#else
  struct timespec now, abs;
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t nsec = (uint64_t)now.tv_nsec + timeout_ns % 1000000000u;
  abs.tv_sec = now.tv_sec + (time_t)(timeout_ns / 1000000000u) + (time_t)(nsec / 1000000000u);
  abs.tv_nsec = (long)(nsec % 1000000000u);
  return pthread_cond_timedwait(&c->c, &m->m, &abs) != ETIMEDOUT;
#endif
}

/* Contended: back off exponentially (1, 2, 4 ... SPIN_BACKOFF_MAX pauses
 * between looks), then keep yielding the CPU (a preempted holder gets to
 * run). Why back off instead of spinning on the lock word: channel locks are
 * taken by tasks on different cores many millions of times a second, and on
 * the machines we measure a cache line costs 60-190 ns to cross between
 * cores. A waiter that grabs the lock the moment it is free makes every
 * operation pay that transfer (plus the channel's data); one that backs off
 * lets the holder's core run several operations in a row on lines it already
 * has. Measured with build-bench/bench_channels on 2 workers (same run,
 * interleaved): fan-in 8 -> 1 113-194 -> 93-128 ms, fan-out 1 -> 4 168-260 ->
 * 75-124 ms; 1 worker (no contention) is unchanged. Sleeping instead of
 * yielding at the end measured the same. */
#define SPIN_BACKOFF_MAX 1024u

void tova_plat_spin_lock_slow(tova_plat_spinlock *l) {
  unsigned backoff = 1;
  for (;;) {
    for (unsigned i = 0; i < backoff; i++) tova_plat_cpu_relax();
    /* Test before test-and-set: a look reads the line without taking it. */
    if (!atomic_load_explicit(&l->held, memory_order_relaxed) &&
        !atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
      return;
    if (backoff < SPIN_BACKOFF_MAX) backoff <<= 1;
    else tova_plat_thread_yield();
  }
}
