/*
 * preempt.c: the signal that stops native code (see preempt.h for the
 * protocol).
 *
 * Two tables, both read by the signal handler or by interrupters without a
 * lock, so both are arrays of fixed-size chunks that are never freed or
 * moved (a slot is reused, never its memory):
 *   - code ranges, one per linked unit: the handler asks "is this program
 *     counter native code?";
 *   - threads that have run native code: an execution names its thread by
 *     number (4 bytes in tova_exec), the interrupter finds the pthread_t
 *     there. A thread's record is released when the thread exits, after any
 *     interrupter that is signalling it has finished (`senders`), so a
 *     pthread_kill never names a thread that is gone.
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* ucontext's machine state and the XSI sigaction flags */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__APPLE__)
#include <sys/ucontext.h>
#else
#include <ucontext.h>
#endif

#include "platform/platform.h"
#include "common/assert.h"
#include "engine/native/preempt.h"
#include "engine/native/rt.h"

#define PREEMPT_SIGNAL SIGURG

/* Where the interrupted program counter can be read. */
#if defined(__SANITIZE_THREAD__)
#define PREEMPT_SUPPORTED 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PREEMPT_SUPPORTED 0
#endif
#endif
#ifndef PREEMPT_SUPPORTED
#if (defined(__linux__) || defined(__APPLE__)) && (defined(__x86_64__) || defined(__aarch64__))
#define PREEMPT_SUPPORTED 1
#else
#define PREEMPT_SUPPORTED 0
#endif
#endif

#define CHUNK 256u
#define NCHUNKS 256u /* up to 65,536 units' code ranges and 65,536 threads */

typedef struct range_chunk {
  _Atomic uintptr_t start[CHUNK], end[CHUNK]; /* end 0: a free slot */
} range_chunk;

typedef struct thread_rec {
  pthread_t thread;              /* written before alive is set */
  _Atomic uint32_t senders;      /* interrupters between their alive check and pthread_kill */
  _Atomic bool alive;            /* the thread exists and owns the record */
  uint32_t number;               /* its place in the table (the execution's name for it, - 1) */
  struct thread_rec *next_free;  /* under mu, while free */
} thread_rec;

typedef struct thread_chunk {
  thread_rec recs[CHUNK];
} thread_chunk;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* table growth, free lists, installing */
static _Atomic(range_chunk *) ranges[NCHUNKS];
static _Atomic(thread_chunk *) threads[NCHUNKS];
static uint32_t nthreads;        /* records handed out so far (under mu) */
static thread_rec *free_threads; /* under mu */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
bool wasm_native_preempt_on;
static pthread_key_t thread_key;
static struct sigaction previous; /* what was installed before ours (under mu) */

/* Touched by the run and the entry before any native code runs on the
 * thread, so the handler's read (only when it interrupted native code)
 * allocates nothing. */
TOVA_TLS wasm_native_preempt_tls wasm_native_preempt_mine;

static uintptr_t interrupted_pc(void *ucv) {
#if PREEMPT_SUPPORTED && defined(__linux__) && defined(__x86_64__)
  return (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP];
#elif PREEMPT_SUPPORTED && defined(__linux__) && defined(__aarch64__)
  return (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.pc;
#elif PREEMPT_SUPPORTED && defined(__APPLE__) && defined(__x86_64__)
  return (uintptr_t)((ucontext_t *)ucv)->uc_mcontext->__ss.__rip;
#elif PREEMPT_SUPPORTED && defined(__APPLE__) && defined(__aarch64__)
  return (uintptr_t)((ucontext_t *)ucv)->uc_mcontext->__ss.__pc;
#else
  (void)ucv;
  return 0;
#endif
}

static bool in_native_code(uintptr_t pc) {
  for (uint32_t c = 0; c < NCHUNKS; c++) {
    range_chunk *ch = atomic_load_explicit(&ranges[c], memory_order_acquire);
    if (!ch) return false;
    for (uint32_t i = 0; i < CHUNK; i++) {
      uintptr_t end = atomic_load_explicit(&ch->end[i], memory_order_acquire);
      if (end && pc < end && pc >= atomic_load_explicit(&ch->start[i], memory_order_relaxed)) return true;
    }
  }
  return false;
}

static void on_signal(int sig, siginfo_t *info, void *ucv) {
  int saved_errno = errno;
  uintptr_t pc = interrupted_pc(ucv);
  if (pc && in_native_code(pc)) {
    wasm_native_ctx *c = (wasm_native_ctx *)wasm_native_preempt_mine.ctx;
    /* Not while the code leaves for the interpreter (rt.h `leaving`): a
     * parked import's task must come back suspended. */
    if (c && !c->leaving && atomic_load_explicit(c->interrupt, memory_order_relaxed)) {
      errno = saved_errno;
      /* Unwinds the native frames to the entry's sigsetjmp. SA_NODEFER: the
       * signal is not blocked in the handler, so nothing is left blocked by
       * leaving it this way. */
      wasm_native_trap(c, WASM_NT_CANCELLED);
    }
  }
  /* Not ours to consume: whoever had the signal before us gets it too. */
  struct sigaction prev = previous;
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) prev.sa_sigaction(sig, info, ucv);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler) {
    prev.sa_handler(sig);
  }
  errno = saved_errno;
}

static bool ours(const struct sigaction *sa) {
  return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_signal;
}

/* Installs the handler (mu held), keeping what was there to chain to. */
static bool install_locked(void) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
#ifdef SA_ONSTACK
  sa.sa_flags |= SA_ONSTACK; /* on the thread's alternate stack, if it has one */
#endif
  sigemptyset(&sa.sa_mask);
  if (sigaction(PREEMPT_SIGNAL, &sa, &old) != 0) return false;
  if (!ours(&old)) previous = old;
  return true;
}

static void thread_exit(void *p) {
  thread_rec *r = p;
  atomic_store(&r->alive, false);
  while (atomic_load(&r->senders)) sched_yield(); /* an interrupter is between its check and its kill */
  pthread_mutex_lock(&mu);
  r->next_free = free_threads;
  free_threads = r;
  pthread_mutex_unlock(&mu);
}

static void init(void) {
  const char *mode = getenv("TOVA_NATIVE_PREEMPT");
  if (!PREEMPT_SUPPORTED || (mode && strcasecmp(mode, "poll") == 0)) return;
  if (pthread_key_create(&thread_key, thread_exit) != 0) return;
  pthread_mutex_lock(&mu);
  wasm_native_preempt_on = install_locked();
  pthread_mutex_unlock(&mu);
}

bool wasm_native_preempt_init(void) {
  pthread_once(&init_once, init);
  return wasm_native_preempt_on;
}

bool wasm_native_preempt_active(void) { return wasm_native_preempt_on; }

static thread_rec *thread_at(uint32_t n) {
  thread_chunk *ch = atomic_load_explicit(&threads[n / CHUNK], memory_order_acquire);
  return ch ? &ch->recs[n % CHUNK] : NULL;
}

/* This thread's record number + 1, registering it on first use (0: no room). */
static uint32_t this_thread(void) {
  if (wasm_native_preempt_mine.thread) return wasm_native_preempt_mine.thread;
  pthread_mutex_lock(&mu);
  thread_rec *r = free_threads;
  if (r) {
    free_threads = r->next_free;
  } else if (nthreads < CHUNK * NCHUNKS) {
    uint32_t n = nthreads;
    thread_chunk *ch = atomic_load_explicit(&threads[n / CHUNK], memory_order_relaxed);
    if (!ch && (ch = calloc(1, sizeof *ch)) != NULL)
      atomic_store_explicit(&threads[n / CHUNK], ch, memory_order_release);
    if (ch) {
      r = &ch->recs[n % CHUNK];
      r->number = n;
      nthreads++;
    }
  }
  pthread_mutex_unlock(&mu);
  if (!r) return 0;
  r->thread = pthread_self();
  atomic_store(&r->alive, true);
  pthread_setspecific(thread_key, r);
  /* A thread made with the signal blocked (inherited masks) could not be
   * stopped: unblock it here, once per thread. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, PREEMPT_SIGNAL);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  wasm_native_preempt_mine.thread = r->number + 1;
  return wasm_native_preempt_mine.thread;
}

uint32_t wasm_native_preempt_publish(tova_exec *e) {
  if (!wasm_native_preempt_on) return 0;
  uint32_t me = this_thread();
  return me ? atomic_exchange(&e->native_thread, me) : atomic_load(&e->native_thread);
}

void wasm_native_preempt_unpublish(tova_exec *e, uint32_t prev) {
  if (wasm_native_preempt_on) atomic_store(&e->native_thread, prev);
}

/* The run did not publish e (it began before signals were in use): the
 * run's unpublish puts back what it saw at its start. */
int wasm_native_preempt_enter_slow(tova_exec *e, wasm_native_ctx *c, uintptr_t *prev) {
  uint32_t me = this_thread();
  if (!me) return -1;
  atomic_store(&e->native_thread, me);
  *prev = wasm_native_preempt_mine.ctx;
  wasm_native_preempt_mine.ctx = (uintptr_t)c;
  return 1;
}

void wasm_native_preempt_kick(tova_exec *e) {
  if (!wasm_native_preempt_on) return;
  uint32_t n = atomic_load(&e->native_thread);
  thread_rec *r = n ? thread_at(n - 1) : NULL;
  if (!r) return;
  /* Someone may have installed a handler over ours since: put ours back in
   * front (theirs is chained). A system call, on the interrupt path only. */
  struct sigaction cur;
  if (sigaction(PREEMPT_SIGNAL, NULL, &cur) == 0 && !ours(&cur)) {
    pthread_mutex_lock(&mu);
    install_locked();
    pthread_mutex_unlock(&mu);
  }
  atomic_fetch_add(&r->senders, 1);
  if (atomic_load(&r->alive)) pthread_kill(r->thread, PREEMPT_SIGNAL);
  atomic_fetch_sub(&r->senders, 1);
}

bool wasm_native_preempt_add_code(uintptr_t start, size_t size, uint32_t *id) {
  bool ok = false;
  pthread_mutex_lock(&mu);
  for (uint32_t c = 0; c < NCHUNKS && !ok; c++) {
    range_chunk *ch = atomic_load_explicit(&ranges[c], memory_order_relaxed);
    if (!ch) {
      if (!(ch = calloc(1, sizeof *ch))) break;
      atomic_store_explicit(&ranges[c], ch, memory_order_release);
    }
    for (uint32_t i = 0; i < CHUNK; i++) {
      if (atomic_load_explicit(&ch->end[i], memory_order_relaxed)) continue;
      atomic_store_explicit(&ch->start[i], start, memory_order_relaxed);
      atomic_store_explicit(&ch->end[i], start + size, memory_order_release);
      *id = c * CHUNK + i;
      ok = true;
      break;
    }
  }
  pthread_mutex_unlock(&mu);
  return ok;
}

void wasm_native_preempt_remove_code(uint32_t id) {
  range_chunk *ch = atomic_load_explicit(&ranges[id / CHUNK], memory_order_acquire);
  TOVA_ASSERT(ch != NULL);
  if (ch) atomic_store_explicit(&ch->end[id % CHUNK], 0, memory_order_release);
}
