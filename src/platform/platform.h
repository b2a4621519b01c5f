/*
 * platform.h: the OS seam. Threads, mutexes, condition variables, a CPU count
 * and a monotonic clock, over POSIX/pthreads (Linux and macOS alike). Atomics
 * are plain C11 <stdatomic.h>; this header only adds a CPU pause hint for
 * bounded spins.
 *
 * Everything here is thin on purpose: the runtime above states its
 * concurrency reasoning in terms of "mutex", "condvar" and C11 atomics, and
 * this file is the only place that knows they are pthreads.
 */
#ifndef TOVA_PLATFORM_H
#define TOVA_PLATFORM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- threads ------------------------------------------------------------ */

typedef struct tova_plat_thread {
  pthread_t handle;
} tova_plat_thread;

typedef void (*tova_plat_thread_fn)(void *arg);

/* Start a joinable thread running fn(arg). Returns false if the OS refused. */
bool tova_plat_thread_start(tova_plat_thread *t, tova_plat_thread_fn fn, void *arg);
void tova_plat_thread_join(tova_plat_thread *t);
/* Give the CPU to another thread (sched_yield). */
void tova_plat_thread_yield(void);
/* Number of online CPUs, at least 1. */
uint32_t tova_plat_cpu_count(void);

/* ---- mutex and condition variable -------------------------------------- */

typedef struct tova_plat_mutex {
  pthread_mutex_t m;
} tova_plat_mutex;

typedef struct tova_plat_cond {
  pthread_cond_t c;
} tova_plat_cond;

/* Initialisation failures of these objects are treated as fatal by pthreads
 * implementations only under resource exhaustion; the functions report them. */
bool tova_plat_mutex_init(tova_plat_mutex *m);
void tova_plat_mutex_destroy(tova_plat_mutex *m);
void tova_plat_mutex_lock(tova_plat_mutex *m);
void tova_plat_mutex_unlock(tova_plat_mutex *m);

bool tova_plat_cond_init(tova_plat_cond *c);
void tova_plat_cond_destroy(tova_plat_cond *c);
/* Wait with m held; may wake spuriously (callers loop on their predicate). */
void tova_plat_cond_wait(tova_plat_cond *c, tova_plat_mutex *m);
/* As cond_wait but for at most timeout_ns (measured on the monotonic clock
 * where the OS allows). Returns false on timeout. */
bool tova_plat_cond_timedwait(tova_plat_cond *c, tova_plat_mutex *m, uint64_t timeout_ns);
void tova_plat_cond_signal(tova_plat_cond *c);
void tova_plat_cond_broadcast(tova_plat_cond *c);

/* ---- spin lock ----------------------------------------------------------- */

/* For critical sections of a few dozen instructions that never block (a
 * channel operation): an uncontended lock is one atomic exchange, a contended
 * one spins briefly, then yields the CPU (a preempted holder gets to run).
 * Not for anything that may wait. */
typedef struct tova_plat_spinlock {
  atomic_uint held;
} tova_plat_spinlock;

static inline void tova_plat_spin_init(tova_plat_spinlock *l) { atomic_init(&l->held, 0); }
void tova_plat_spin_lock_slow(tova_plat_spinlock *l);
static inline void tova_plat_spin_lock(tova_plat_spinlock *l) {
  if (!atomic_exchange_explicit(&l->held, 1, memory_order_acquire)) return;
  tova_plat_spin_lock_slow(l);
}
static inline void tova_plat_spin_unlock(tova_plat_spinlock *l) {
  atomic_store_explicit(&l->held, 0, memory_order_release);
}

/* ---- clock -------------------------------------------------------------- */

/* Nanoseconds on a clock that never goes backwards (arbitrary origin). */
uint64_t tova_plat_monotonic_ns(void);

/* ---- spinning ----------------------------------------------------------- */

/* A hint to the CPU that we are in a spin loop (x86 PAUSE, arm64 YIELD). */
static inline void tova_plat_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#else
  /* No hint available: an empty statement is still a correct spin. */
#endif
}

#endif /* TOVA_PLATFORM_H */
