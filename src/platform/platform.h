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
#include <stddef.h>
#include <stdint.h>

/* ---- thread-local variables ------------------------------------------------ */

/* TOVA_TLS declares one of the library's thread-local variables (a handful of
 * pointers and counters, under 100 bytes in all). Under glibc they use the
 * initial-exec model: one thread-pointer-relative access each, where the
 * general-dynamic model of a shared library (the addon is one) calls
 * __tls_get_addr for every access, seven calls per spawned task and three
 * per entry into native code. glibc keeps static TLS room for libraries
 * loaded by dlopen that use this model; the model is also safe to use in a
 * signal handler (preempt.c reads one), which __tls_get_addr is not
 * guaranteed to be. Elsewhere (macOS, musl): the default model. */
#if defined(__GLIBC__) && defined(__ELF__)
#define TOVA_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define TOVA_TLS _Thread_local
#endif

/* ---- threads ------------------------------------------------------------ */

typedef struct tova_plat_thread {
  pthread_t handle;
} tova_plat_thread;

typedef void (*tova_plat_thread_fn)(void *arg);

/* Start a joinable thread running fn(arg), with a stack of
 * TOVA_PLAT_THREAD_STACK bytes (or the OS's default where it refuses that
 * size). Returns false if the OS refused the thread. */
bool tova_plat_thread_start(tova_plat_thread *t, tova_plat_thread_fn fn, void *arg);
/* The stack of the threads tova_plat_thread_start makes: the main thread's
 * usual size on Linux and macOS, so that native code (which runs on the C
 * stack and traps "call stack exhausted" near its end) reaches the same
 * depth on a worker as on the main thread, and on macOS, whose threads
 * otherwise get 512 KB, as on Linux. Only reserved address space until
 * used. */
#define TOVA_PLAT_THREAD_STACK ((size_t)8 << 20)
/* The calling thread's stack: its lowest address and its size. False when
 * this OS does not say. */
bool tova_plat_thread_stack(uintptr_t *low, size_t *size);
void tova_plat_thread_join(tova_plat_thread *t);
/* Give the CPU to another thread (sched_yield). */
void tova_plat_thread_yield(void);
/* Lower the calling thread's scheduling priority, for work that may wait
 * when the machine is busy (the background compiler): nice_step more on
 * Linux, the utility QoS class on macOS. False where the OS has no
 * per-thread priority we can lower or refused. */
bool tova_plat_thread_set_background(int nice_step);
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
 * one backs off exponentially, then yields the CPU (see sync.c for why).
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

/* ---- virtual memory (vmem.c) -------------------------------------------- */

/* Address space that costs no RAM until touched. Sizes are multiples of
 * tova_vmem_page_size(). Every function reports failure instead of aborting:
 * callers fall back (smaller reservations, or an error to the user). */
size_t tova_vmem_page_size(void);
/* Inaccessible address space (no RAM, no swap reserved); NULL if refused. */
void *tova_vmem_reserve(size_t bytes);
/* Readable and writable address space whose pages are zero-filled on first
 * touch (no swap reserved where the OS allows); NULL if refused. */
void *tova_vmem_map_lazy(size_t bytes);
/* Make part of a reservation readable and writable. */
bool tova_vmem_commit(void *at, size_t bytes);
/* Give a whole mapping (as returned above) back. */
void tova_vmem_release(void *at, size_t bytes);
/* Return the pages of [at, at+bytes) to the OS, keeping them readable and
 * writable: afterwards they read as zero and cost no RAM until touched again.
 * Never leaves old contents behind, whatever the OS (see vmem.c). */
void tova_vmem_discard(void *at, size_t bytes);
/* Ask for [at, at+bytes) to be backed by large pages (Linux: 2 MiB
 * transparent huge pages) or, with large = false, by ordinary pages again.
 * For big, densely used regions: one page fault per 2 MiB instead of 512,
 * and fewer TLB misses. Advice only (nothing relies on it being taken);
 * a no-op where the OS has no such advice. */
#define TOVA_VMEM_LARGE_PAGE ((size_t)2 << 20)
void tova_vmem_advise_large(void *at, size_t bytes, bool large);

/* ---- slot pool (vslot.c) -------------------------------------------------- */

/* Many small lazily-mapped regions ("slots") carved out of few large
 * mappings, so that 100K of them cost a few kernel mappings instead of 100K,
 * and taking one is a pop off a free list (no system call once warm).
 * Slot sizes come in classes from TOVA_VSLOT_MIN_BYTES to TOVA_VSLOT_MAX_BYTES
 * (each 4x the previous one). A slot is readable and writable over all its
 * bytes and reads as zero when handed out. Thread-safe. */
#define TOVA_VSLOT_MIN_BYTES ((size_t)64 << 10)
#define TOVA_VSLOT_MAX_BYTES ((size_t)64 << 20)

typedef struct tova_vslot {
  uint8_t *base;
  size_t bytes;    /* the class size, >= what was asked for */
  size_t resident; /* leading bytes that may already be resident (zero) */
} tova_vslot;

/* A slot of at least `bytes` (at most TOVA_VSLOT_MAX_BYTES). False if the
 * OS refused the address space. */
bool tova_vslot_alloc(size_t bytes, tova_vslot *out);
/* Give a slot back. Its first `dirty` bytes may be nonzero; every byte
 * beyond them MUST read zero (the caller's promise: the pool hands the slot
 * out again without looking). Before that the dirty bytes are zeroed by hand
 * for a few small slots kept warm (a bounded cache of resident pages), or
 * returned to the OS with the rest of what may be resident (the dirty part
 * and slot->resident); see vslot.c. */
void tova_vslot_free(tova_vslot *slot, size_t dirty);

typedef struct tova_vslot_stats {
  size_t live;           /* slots handed out and not freed */
  size_t cached;         /* freed slots kept for reuse (all read as zero) */
  size_t warm_bytes;     /* of which zeroed by hand and kept resident (bounded) */
  size_t reserved_bytes; /* address space held by the pool */
  size_t mappings;       /* large mappings the slots are carved from */
} tova_vslot_stats;
void tova_vslot_stats_get(tova_vslot_stats *out);
/* Return the pages of warm slots to the OS, and unmap the large mappings of
 * every class that has no live slot (the pool keeps them otherwise, so a
 * create/free cycle makes no system call). */
void tova_vslot_trim(void);

#endif /* TOVA_PLATFORM_H */
