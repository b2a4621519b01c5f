/*
 * compiler.c: the background compiler of the tiered modes: one thread per
 * process, a queue of requests (a function, or a whole module), the hook the
 * interpreter's call counters call, and the stop at process exit.
 *
 * ORDER. Hot requests (a function called WASM_NATIVE_HOT_CALLS times or
 * whose loop ran WASM_NATIVE_LOOP_FIRST iterations, an OSR entry, a small
 * module's whole-module request) go first, then eager whole-module
 * requests (TOVA_TIER=tiered on a big module), then warm ones (a function
 * called twice); first come first served within each among the requests
 * whose grace is over. A small module's whole-module request waits
 * WASM_NATIVE_SMALL_GRACE_MS (tiering.h): a long first call asks for its
 * OSR entry in that time and gets it first. A warm request waits
 * WARM_GRACE_MS after it was queued before it may start: a unit cannot be
 * interrupted, and a program's start (malloc, stdio, its setup code: warm
 * at once) would otherwise hold the compiler for hundreds of milliseconds
 * while the functions that turn hot a moment later wait behind it
 * (CoreMark: its hot functions went native 674 ms after the start behind
 * dlmalloc's unit). A request retains its module; one whose module nobody
 * else holds any more is dropped. Each choice weighs at most WEIGH_MAX due
 * requests, sized without the queue's lock (pick_candidates).
 *
 * EXIT. A process must not wait for LLVM (a big module takes seconds), yet
 * LLVM's static destructors must not run under a thread still inside LLVM.
 * So the exit handler (registered after LLVM built its lazy statics, so it
 * runs before their destructors) sets `stopping`: the compiler stops at its
 * next check (between the phases of a unit and between units; a unit is
 * about WASM_NATIVE_UNIT_BYTES of WebAssembly) and the handler waits only for
 * that, then drops the queue. Nothing is compiled after that. Where LLVM's
 * statics are never destroyed (backend/exit_dtors.c: the addon and the
 * CLI; backend/direct_exit.c: the C tests' library on ELF), the handler's place among the others does not matter and
 * it does not wait: the unit in progress ends with the process.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/native/backend.h"
#include "engine/native/native.h"
#include "engine/native/tiering.h"
#include "platform/platform.h"

typedef struct request {
  tova_module *m;
  uint32_t def; /* or WASM_NATIVE_ALL */
  int prio;
  uint64_t seq;
  uint64_t due_ns; /* mono_ns() before which it may not start (its grace) */
} request;

enum { WARM_GRACE_MS = 50 };

/* TOVA_NATIVE_NICE=N (N > 0): the compiler thread runs N nice steps below
 * the program's threads (macOS: the utility QoS class). Not the default,
 * because it is a trade only a host can make: measured with one busy loop
 * beside (2 cores; /tmp scripts described in docs/native-tier.md "The
 * compiler's priority"), nice 10 took short C programs of test/programs
 * from 1.5-2x the interpreter's time to 1.0-1.25x, but CoreMark's 3,000
 * iterations from 0.39 to 0.94 s, and with the machine idle it starved the
 * compiler behind the program's own workers (bench/engine-native.js first
 * run 72-83 -> 183-213 ms): LLVM's work then arrives too late to pay. */
static int compiler_nice(void) {
  const char *nice = getenv("TOVA_NATIVE_NICE");
  int n = nice && *nice ? atoi(nice) : 0;
  return n < 0 ? 0 : n > 19 ? 19 : n;
}

/* The condition variables are set up by wasm_native_compiler_init (on the
 * monotonic clock: the warm grace is a timed wait), before any request. */
static tova_plat_mutex q_lock = {PTHREAD_MUTEX_INITIALIZER};
static tova_plat_cond q_cond; /* work queued, or stopping */
static tova_plat_cond q_idle; /* the compiler left a request */
static bool conds_ok;
static request *queue;
static size_t qlen, qcap;
static uint64_t qseq;
static bool started, stopping, busy;

static bool should_stop(void) { return __atomic_load_n(&stopping, __ATOMIC_RELAXED); }

/* Held while a unit switches its functions (a few pointer stores) and by
 * the exit handler while it sets `stopping`: where exit does not wait for
 * the unit in progress (LLVM's statics never destroyed), that unit still
 * must not switch anything once exit has begun (CI: a TSan-slowed unit
 * switched 30 functions during the atexit handlers after ours). Taken
 * after compile_lock, before q_lock (the exit handler takes both). */
static tova_plat_mutex publish_lock = {PTHREAD_MUTEX_INITIALIZER};

bool wasm_native_publish_begin(void) {
  tova_plat_mutex_lock(&publish_lock);
  if (!should_stop()) return true;
  tova_plat_mutex_unlock(&publish_lock);
  return false;
}

void wasm_native_publish_end(void) { tova_plat_mutex_unlock(&publish_lock); }

static uint64_t mono_ns(void);
static bool push_locked(tova_module *m, uint32_t def, int prio, uint32_t grace_ms);

/* Another request is due (wasm_native_compile_request's yield, called with
 * compile_lock held: the lock order): the one in progress goes back in the
 * queue after its current unit. */
static bool others_due(void) {
  tova_plat_mutex_lock(&q_lock);
  uint64_t now = mono_ns();
  bool due = false;
  for (size_t i = 0; i < qlen && !due; i++) due = queue[i].due_ns <= now;
  tova_plat_mutex_unlock(&q_lock);
  return due;
}

/* Which of two due requests goes first: small ones (at most BIG_REQUEST
 * bytes of code to compile now: one unit) before big ones, then by priority, then
 * the smaller, then the older. A big closure (a C program's main, which
 * reaches printf's machinery) would otherwise hold the compiler for a
 * second while the small hot functions of the program wait: on
 * test/programs' hashes (bash bench/programs.sh hashes), the default tier
 * took 375 ms, the interpreter's time, once every function of the program
 * was eligible, against 190 ms before. */
enum { BIG_REQUEST = WASM_NATIVE_UNIT_BYTES };
static bool goes_before(const request *a, size_t abytes, const request *b, size_t bbytes) {
  bool abig = abytes > BIG_REQUEST, bbig = bbytes > BIG_REQUEST;
  if (abig != bbig) return !abig;
  if (a->prio != b->prio) return a->prio > b->prio;
  if (abytes != bbytes) return abytes < bbytes;
  return a->seq < b->seq;
}

/* Requests of small functions that are due together are compiled
 * together (tier.c wasm_native_compile_requests): each unit costs a fixed
 * 5-10 ms of LLVM set-up besides its code (code generation of an 84-byte
 * unit: 6 ms), and a program's small functions turn hot in bursts
 * (test/programs' hashmap: eleven units under 1.3 KB, one after another,
 * once malloc's unit was done). Up to MERGE_MAX requests and MERGE_BYTES of
 * code to compile, so that the first of them is not kept waiting long by
 * the others. */
enum { MERGE_MAX = 32, MERGE_BYTES = 2048 };

static bool mergeable(const request *r) {
  return r->def != WASM_NATIVE_ALL && r->def != WASM_NATIVE_REPLAY && !(r->def & WASM_NATIVE_OSR_REQ);
}

/* A due request the compiler weighs in one choice: sized (its closure's
 * bytes: wasm_native_request_bytes) with compile_lock held and q_lock
 * not, so that the interpreter's counters, which queue and raise requests
 * under q_lock, never wait for the sizing (a big module's queue holds
 * thousands of requests). Its module is retained meanwhile. */
typedef struct {
  request r;
  size_t bytes;
} candidate;

/* At most this many due requests are weighed per choice: the highest
 * priority ones, the oldest first among equals. A program's queue holds a
 * few dozen at most; a big module's thousands, each sized by a walk of the
 * call graph. */
enum { WEIGH_MAX = 64 };

static bool weighs_before(const request *a, const request *b) {
  return a->prio != b->prio ? a->prio > b->prio : a->seq < b->seq;
}

/* q_lock held: the due requests to weigh (at most WEIGH_MAX, by
 * weighs_before), each module retained, into c[]; their count, and in
 * *first_due when the first of the others will be due. */
static size_t pick_candidates(uint64_t now, candidate *c, uint64_t *first_due) {
  size_t n = 0;
  *first_due = UINT64_MAX;
  for (size_t i = 0; i < qlen; i++) {
    const request *q = &queue[i];
    if (q->due_ns > now) {
      if (q->due_ns < *first_due) *first_due = q->due_ns;
      continue;
    }
    size_t at = n < WEIGH_MAX ? n++ : WEIGH_MAX;
    if (at == WEIGH_MAX) { /* full: replace the last if q goes before it */
      size_t last = 0;
      for (size_t k = 1; k < WEIGH_MAX; k++)
        if (weighs_before(&c[last].r, &c[k].r)) last = k;
      if (!weighs_before(q, &c[last].r)) continue;
      at = last;
    }
    c[at].r = *q;
  }
  for (size_t k = 0; k < n; k++) tova_module_retain(c[k].r.m);
  return n;
}

/* q_lock held: removes the request with sequence number seq from the
 * queue into *out (its priority may have been raised meanwhile); false
 * when it is gone. */
static bool take_seq(uint64_t seq, request *out) {
  for (size_t i = 0; i < qlen; i++) {
    if (queue[i].seq != seq) continue;
    *out = queue[i];
    queue[i] = queue[--qlen];
    return true;
  }
  return false;
}

/* q_lock held: takes candidate c[best] out of the queue into batch[0],
 * and with it the other weighed requests of the same module that it may
 * merge with (mergeable, within MERGE_BYTES); their count (0 when the
 * chosen one is gone from the queue). */
static size_t take_batch(const candidate *c, size_t nc, size_t best, request *batch) {
  size_t n = 0, total = c[best].bytes;
  if (!take_seq(c[best].r.seq, &batch[n])) return 0;
  n++;
  if (!mergeable(&batch[0]) || total >= MERGE_BYTES) return n;
  for (size_t i = 0; i < nc && n < MERGE_MAX; i++) {
    if (i == best || c[i].r.m != batch[0].m || !mergeable(&c[i].r) || c[i].bytes > MERGE_BYTES - total) continue;
    if (take_seq(c[i].r.seq, &batch[n])) {
      total += c[i].bytes;
      n++;
    }
  }
  return n;
}

/* TOVA_NATIVE_DEBUG: what the compiler starts on, and when. */
static void print_batch(const request *batch, size_t n, size_t bytes, double ms) {
  uint32_t def = batch[0].def;
  const char *what = def == WASM_NATIVE_ALL      ? "the module"
                     : def == WASM_NATIVE_REPLAY ? "the units of the module's last run"
                     : def & WASM_NATIVE_OSR_REQ ? "the OSR entry of function"
                                                 : "function";
  fprintf(stderr, "tova native: %.1f ms after the compiler started: compiling %zu request%s (%s", ms, n,
          n == 1 ? "" : "s", what);
  if (def != WASM_NATIVE_ALL && def != WASM_NATIVE_REPLAY) fprintf(stderr, " %u", def & ~WASM_NATIVE_OSR_REQ);
  fprintf(stderr, ", priority %d, %zu bytes of code)\n", batch[0].prio, bytes);
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *compiler_main(void *arg) {
  (void)arg;
  const char *dbg = getenv("TOVA_NATIVE_DEBUG");
  bool debug = dbg && *dbg && strcmp(dbg, "0") != 0;
  uint64_t born = mono_ns();
  int nice = compiler_nice();
  if (nice > 0 && !tova_plat_thread_set_background(nice) && debug)
    fprintf(stderr, "tova native: TOVA_NATIVE_NICE: this OS refused to lower the compiler's priority\n");
  candidate *cands = malloc(WEIGH_MAX * sizeof *cands);
  tova_plat_mutex_lock(&q_lock);
  for (;;) {
    while (!stopping && (qlen == 0 || !cands)) tova_plat_cond_wait(&q_cond, &q_lock);
    if (stopping) break;
    /* The requests to weigh (pick_candidates), then their sizes without
     * q_lock (sizing reads the modules' state: compile_lock). */
    uint64_t now = mono_ns(), first_due;
    size_t nc = pick_candidates(now, cands, &first_due);
    if (nc == 0) {
      tova_plat_cond_timedwait(&q_cond, &q_lock, first_due - now);
      continue;
    }
    tova_plat_mutex_unlock(&q_lock);
    wasm_native_compile_lock();
    size_t best = 0;
    for (size_t i = 0; i < nc; i++) {
      cands[i].bytes = wasm_native_request_bytes(cands[i].r.m, cands[i].r.def);
      if (i && goes_before(&cands[i].r, cands[i].bytes, &cands[best].r, cands[best].bytes)) best = i;
    }
    tova_plat_mutex_lock(&q_lock);
    request batch[MERGE_MAX];
    uint32_t defs[MERGE_MAX];
    size_t n = stopping ? 0 : take_batch(cands, nc, best, batch);
    if (n && debug) print_batch(batch, n, cands[best].bytes, (double)(now - born) / 1e6);
    wasm_native_compile_unlock();
    busy = n > 0; /* from here: the exit handler waits for it (stop_at_exit) */
    tova_plat_mutex_unlock(&q_lock);
    /* the candidates' own references (never released under q_lock: see
     * module free); the batch holds the queue's */
    for (size_t i = 0; i < nc; i++) tova_module_release(cands[i].r.m);
    if (n == 0) { /* the chosen one went meanwhile (or exit began): again */
      tova_plat_mutex_lock(&q_lock);
      continue;
    }
    /* Only the queue holds the module: nobody can call it any more. */
    tova_module *m = batch[0].m;
    bool finished = true;
    for (size_t i = 0; i < n; i++) defs[i] = batch[i].def;
    if (atomic_load_explicit(&m->refcount, memory_order_acquire) > n)
      finished = n == 1 ? wasm_native_compile_request(m, defs[0], should_stop, others_due)
                        : wasm_native_compile_requests(m, defs, (uint32_t)n, should_stop, others_due);
    if (!finished) { /* the rest after what is due (others_due) */
      tova_plat_mutex_lock(&q_lock);
      /* refused (stopping, no memory): it stays interpreted */
      for (size_t i = 0; i < n; i++) push_locked(batch[i].m, batch[i].def, batch[i].prio, 0);
      tova_plat_mutex_unlock(&q_lock);
    }
    /* may free it (never under q_lock: see module free) */
    for (size_t i = 0; i < n; i++) tova_module_release(batch[i].m);
    tova_plat_mutex_lock(&q_lock);
    busy = false;
    tova_plat_cond_broadcast(&q_idle);
  }
  tova_plat_mutex_unlock(&q_lock);
  free(cands);
  return NULL;
}

/* q_lock held. False when no thread could be started (the module then
 * stays interpreted). */
static bool push_locked(tova_module *m, uint32_t def, int prio, uint32_t grace_ms) {
  if (stopping || !conds_ok) return false;
  if (!started) {
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr) != 0) return false;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 8u << 20); /* LLVM's passes recurse */
    started = pthread_create(&th, &attr, compiler_main, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (!started) return false;
  }
  if (qlen == qcap) {
    size_t nc = qcap ? qcap * 2 : 64;
    request *q = realloc(queue, nc * sizeof *q);
    if (!q) return false;
    queue = q;
    qcap = nc;
  }
  tova_module_retain(m);
  queue[qlen++] = (request){m, def, prio, qseq++, mono_ns() + (uint64_t)grace_ms * 1000000u};
  tova_plat_cond_signal(&q_cond);
  return true;
}

void wasm_native_queue(tova_module *m, uint32_t def, int prio, uint32_t grace_ms) {
  tova_plat_mutex_lock(&q_lock);
  push_locked(m, def, prio, grace_ms);
  tova_plat_mutex_unlock(&q_lock);
}

/* q_lock held: d's queued request (warm) goes first from now on. */
static void raise_locked(native_state *s, uint32_t d) {
  s->queued[d] = Q_HOT;
  for (size_t i = 0; i < qlen; i++)
    if (queue[i].m == s->m && queue[i].def == d) queue[i].prio = PRIO_HOT, queue[i].due_ns = 0;
}

void wasm_native_hot(wasm_cell *c) {
  native_state *s = (native_state *)c[4].p;
  uint32_t d = (uint32_t)((c - s->counters) / 5);
  uint64_t next = WASM_NATIVE_COUNT_NEVER;
  /* The counter fires at the second call first: from now on the function
   * is not one called once (osr.c). */
  __atomic_store_n(&s->called_twice[d], true, __ATOMIC_RELAXED);
  tova_plat_mutex_lock(&q_lock);
  if (s->queued[d] == Q_NONE) {
    if (push_locked(s->m, d, PRIO_WARM, WARM_GRACE_MS)) {
      s->queued[d] = Q_WARM;
      next = WASM_NATIVE_HOT_CALLS;
    }
  } else if (s->queued[d] == Q_WARM) {
    raise_locked(s, d);
  }
  __atomic_store_n(&c[1].u, next, __ATOMIC_RELAXED);
  tova_plat_mutex_unlock(&q_lock);
}

void wasm_native_queue_hot(native_state *s, uint32_t d) {
  tova_plat_mutex_lock(&q_lock);
  if (s->queued[d] == Q_NONE) {
    if (push_locked(s->m, d, PRIO_HOT, 0)) s->queued[d] = Q_HOT;
  } else if (s->queued[d] == Q_WARM) {
    raise_locked(s, d);
  }
  tova_plat_mutex_unlock(&q_lock);
}

void wasm_native_queue_osr(native_state *s, uint32_t d) {
  uint8_t none = OSR_NONE;
  if (!__atomic_compare_exchange_n(&s->osr_status[d], &none, OSR_QUEUED, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return;
  tova_plat_mutex_lock(&q_lock);
  bool ok = push_locked(s->m, d | WASM_NATIVE_OSR_REQ, PRIO_OSR, 0);
  tova_plat_mutex_unlock(&q_lock);
  if (!ok) __atomic_store_n(&s->osr_status[d], OSR_FAILED, __ATOMIC_RELEASE);
}

static void stop_at_exit(void) {
  uint64_t t0 = mono_ns();
  tova_plat_mutex_lock(&publish_lock); /* waits for a switch in progress */
  tova_plat_mutex_lock(&q_lock);
  __atomic_store_n(&stopping, true, __ATOMIC_RELAXED);
  tova_plat_mutex_unlock(&publish_lock);
  if (conds_ok) tova_plat_cond_broadcast(&q_cond);
  /* Where LLVM's statics are never destroyed, nothing at exit can pull
   * LLVM from under the unit in progress: exit need not wait for it, the
   * thread ends with the process. */
  bool safe = wasm_backend_exit_safe(), waited = busy && !safe, left = busy && safe;
  while (busy && !safe) tova_plat_cond_wait(&q_idle, &q_lock);
  const char *dbg = getenv("TOVA_NATIVE_DEBUG");
  if (dbg && *dbg && strcmp(dbg, "0") != 0)
    fprintf(stderr, "tova native: exit: compiler stopped%s in %.1f ms, %zu requests dropped\n",
            waited ? " mid-unit" : left ? " (its unit left to the end of the process)" : "",
            (double)(mono_ns() - t0) / 1e6, qlen);
  request *q = queue;
  size_t n = qlen;
  queue = NULL;
  qlen = qcap = 0;
  tova_plat_mutex_unlock(&q_lock);
  for (size_t i = 0; i < n; i++) tova_module_release(q[i].m);
  free(q);
}

/* The smallest module with one function: (func (result i32) i32.const 1). */
static const uint8_t warmup_wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05,
                                      0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a,
                                      0x06, 0x01, 0x04, 0x00, 0x41, 0x01, 0x0b};

/* Where LLVM's statics are destroyed at exit (backend.h: a backend that
 * cannot drop their destructors: LLVM's shared library on macOS): compile a tiny module here,
 * so LLVM constructs its lazily-built statics (which register their
 * destructors with atexit) now, then register stop_at_exit after them: at
 * exit it runs first. Costs the first tiered module of the process one
 * small compile on its calling thread (7-10 ms). This is best effort: a
 * later unit can build a lazy static the tiny module did not (CI saw one
 * destroyed under the compiler mid-unit, backend/direct_exit.c). Where they
 * are never destroyed (backend/exit_dtors.c: the addon and the CLI;
 * backend/direct_exit.c: the C tests' library on ELF), the order is
 * free and that call pays nothing: LLVM starts up on the compiler thread,
 * with the first unit. */
static void init_once_fn(void) {
  /* Without its condition variables (resources exhausted) there is no
   * compiler: push_locked refuses, and modules stay interpreted. */
  conds_ok = tova_plat_cond_init(&q_cond) && tova_plat_cond_init(&q_idle);
  if (!wasm_backend_exit_safe()) {
    tova_module *w = NULL;
    tova_error err;
    if (wasm_decode(warmup_wasm, sizeof warmup_wasm, &w, &err) == TOVA_OK &&
        wasm_validate(w, &err) == TOVA_OK && wasm_compile(w, NULL, &err) == TOVA_OK)
      wasm_native_compile_module(w);
    if (w) wasm_module_free(w);
  }
  atexit(stop_at_exit);
}

void wasm_native_compiler_init(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, init_once_fn);
}
