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
#include <time.h>

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

void tova_plat_spin_lock_slow(tova_plat_spinlock *l) {
  for (unsigned spins = 0;; spins++) {
    /* Test before test-and-set: waiters read a shared line, they do not
     * bounce it between cores with writes. */
    while (atomic_load_explicit(&l->held, memory_order_relaxed)) {
      if (spins++ < 128) tova_plat_cpu_relax();
      else tova_plat_thread_yield();
    }
    if (!atomic_exchange_explicit(&l->held, 1, memory_order_acquire)) return;
  }
}
