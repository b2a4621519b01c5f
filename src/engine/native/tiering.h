/*
 * tiering.h: what tier.c (a module's native state, compiling units,
 * switching codes) and compiler.c (the background compiler thread, its
 * queue, the call counters' hook, shutdown) share. Private to native/.
 */
#ifndef TOVA_ENGINE_NATIVE_TIERING_H
#define TOVA_ENGINE_NATIVE_TIERING_H

#include "engine/compile.h"
#include "engine/native/jit.h"
#include "engine/native/manifest.h"

/* Per defined function, changed under tier.c's compile lock. */
enum { ST_NONE, ST_NATIVE, ST_FAILED };
/* A function's quick-tier state (native_state.qstatus): no quick code, quick
 * code running (its status stays ST_NONE until optimised code replaces it),
 * or its quick unit failed (optimised code only). */
enum { QK_NONE, QK_NATIVE, QK_FAILED };
/* Per defined function, what the queue holds for it (compiler.c's lock). */
enum { Q_NONE, Q_WARM, Q_HOT };

/* A call counter starts at 2 (the second call queues the function "warm":
 * compiled when nothing hot waits; a function called once, such as main,
 * reaches native code only through its loops, see osr.c), then counts
 * HOT_CALLS calls before the function is raised to "hot"; then it never
 * fires again. */
#define WASM_NATIVE_HOT_CALLS 512u
#define WASM_NATIVE_COUNT_NEVER UINT64_MAX

#define WASM_NATIVE_RESUME_CELLS (WASM_CELLS_CALL_FUNC + WASM_CELLS_NATIVE_RESUME)

/* A compile unit holds functions of about this many bytes of WebAssembly
 * (one function or one recursive group may be bigger): units are what a
 * background compile finishes before exit, so they bound how long exit
 * waits. ~5 ms of LLVM per KB here. */
#define WASM_NATIVE_UNIT_BYTES (8u << 10)

/* On-stack replacement per defined function (osr.c): OSR_* in osr_status,
 * written under tier.c's compile lock (or by the queueing CAS), read by the
 * loop hook with atomics. OSR_QUICK: its entry is quick code (tier.c
 * quick_osr: where the optimised entry would compile at least the quick
 * tier's threshold), and its request is queued again for the optimised
 * entry (READY), which the quick entry leaves for at its next loop header
 * (osr_optimised). A call entering meanwhile reaches native code in a
 * tenth of the optimised entry's compile, and pays about 3x the optimised
 * code's time only until that is ready. */
enum { OSR_NONE, OSR_QUEUED, OSR_QUICK, OSR_READY, OSR_FAILED };
/* A request for def's OSR entry: def | WASM_NATIVE_OSR_REQ. */
#define WASM_NATIVE_OSR_REQ 0x80000000u
/* A loop counter (compile.h LOOP_HEAD) first fires after this many
 * iterations (its function is then queued hot, as a hot call counter does),
 * then every RECHECK: once the function is native and an interpreted call
 * still runs the loop, that call is a long one and asks for an OSR entry;
 * once the entry exists, the next firing enters it. Each firing is a few
 * loads (a lock only to queue), so a thousand interpreted iterations
 * between them cost nothing measurable. */
#define WASM_NATIVE_LOOP_FIRST 1000u
#define WASM_NATIVE_LOOP_RECHECK 1000u
/* An OSR entry costs about as much LLVM as its function did, while an
 * interpreted call may be nearly done. So an entry is queued only once the
 * call has run interpreted as long as the entry is expected to take to
 * compile (ski rental: never more than twice the better choice's cost),
 * counted from the function's switch to native code, or for a function
 * called once only, from its loops' first firing: BASE + PER_KB per KB of
 * what the entry compiles (wasm_native_entry_bytes: the body and what it
 * reaches that is not native yet; the body alone once let a 1 KB main loop
 * reaching 14 KB of printf machinery ask 3 ms into a 120 ms program and
 * hold the compiler to its end). This machine's rate with jit.c's pipeline is about 10 ms + 25
 * ms per KB (bench/kernels' entries: sha's 709-byte body 37 ms, nbody's
 * 1017 bytes with a 1.3 KB callee 92 ms; CoreMark's 16 KB unit 368 ms);
 * the estimate leaves a margin for slower machines and for the copies an
 * entry compiles. (It was 5 + 80 per KB under LLVM's O2 pipeline.) */
#define WASM_NATIVE_OSR_BASE_MS 10u
#define WASM_NATIVE_OSR_PER_KB_MS 40u
/* Except for a function called once that reaches little: in a small
 * module (up to WASM_TIER_AUTO_MAX_BYTES, compiled whole anyway: Tova's
 * @wasm modules), or one whose calls reach at most ENTRY_FIRST_BYTES of code
 * (below) in a big one. If its loops still run a sixteenth of that estimate
 * (EARLY_DIV), at least OSR_EARLY_MS, after they first fired, it queues its
 * entry then (and a small module's whole request waits SMALL_GRACE_MS
 * before it may start), so the entry is compiled first (with copies of what
 * it calls: it waits for no other code) and the one long call of a program
 * that calls a heavy function once moves to native code sooner by most of
 * the ski rental's wait, and in a small module by one compile. The compile
 * runs on the compiler thread, not in the call's way, so asking early costs
 * the call nothing; what it risks is the compiler's time: a call that ends
 * just after asking leaves up to sixteen times its interpreted time of
 * compiling. Hence only for a function whose entry is expected to compile
 * within OSR_EARLY_MAX_MS (a body up to ~4.7 KB). Measured (bench/kernels,
 * first calls, interleaved with the earlier rule of 2 ms for bodies up to
 * 1 KB only): spectral norm's 1.5 KB kernel 227 -> 184 ms, the others
 * within noise (their bodies were under 1 KB, or their time is the
 * compile's). */
#define WASM_NATIVE_OSR_EARLY_MS 2u
#define WASM_NATIVE_OSR_EARLY_MAX_MS 200u
#define WASM_NATIVE_OSR_EARLY_DIV 16u
#define WASM_NATIVE_SMALL_GRACE_MS 10u
/* In any module, the entry of a function called once is compiled before the
 * function's own code (with copies of what it calls) when that code, with
 * everything it reaches (compiled or not), is at most this many bytes: the
 * one long call moves to native code after one compile, not two (a 1 KB
 * simulation loop calling a 1.3 KB initialiser, as a fresh process's first
 * call: native after 150 ms instead of 326), and the function's own code is
 * compiled only if it is called again (its call counter). A bigger closure
 * (a program's main loop reaching most of it) is compiled first, and the
 * entry links to it, so that no compile holds a whole program's copies. */
#define WASM_NATIVE_ENTRY_FIRST_BYTES WASM_TIER_AUTO_MAX_BYTES

typedef struct native_state {
  tova_module *m;
  uint32_t ndefs;
  bool *eligible;      /* eligible.c's rule */
  bool *imports;       /* per def: calls imports (its OSR entry has resume points) */
  bool *recursive;     /* per node: on a cycle of calls: a def polls the interrupt flag on entry */
  /* The module's, for every unit's translation (translate.h): per def, it
   * may leave native code (wasm_native_may_leave); per table, closed
   * (wasm_native_callgraph). */
  bool *may_leave, *closed_tables;
  /* The call graph (wasm_native_callgraph): nodes [0, ndefs) the defined
   * functions, [ndefs, nnodes) the groups of call_indirect's targets; every
   * walk of it goes through a group to its functions, and arrays of its
   * marks have nnodes entries. */
  uint32_t nnodes;
  uint32_t *cg_start;
  uint32_t *cg_edges;
  uint8_t *status;     /* ST_*, under the compile lock */
  uint8_t *queued;     /* Q_*, under compiler.c's lock */
  bool any_failed;     /* a unit failed: closures must avoid its functions */
  const void **entries; /* per def: its entry wrapper once native */
  /* The quick tier (tier.c "quick first"): per def QK_*, under the compile
   * lock; its entry wrapper; the cells NATIVE_ENTER wasm_native_enter fn
   * cells (WASM_CELLS_NATIVE_ENTER of them) that code->cells points to
   * while the quick code runs. */
  uint8_t *qstatus;
  const void **qentries;
  wasm_cell *qtramps;
  uint32_t nquick; /* functions that got quick code (written under the compile lock; atomics) */
  wasm_jit jit;
  uint32_t nnative;
  uint32_t nunits;     /* units compiled (not OSR entries'), under the compile lock */
  double made_ms;      /* when the state was made (TOVA_NATIVE_DEBUG's times) */
  wasm_cell *tramps;   /* per def: NATIVE_ENTER wasm_native_enter fn cells */
  wasm_cell *counters; /* 5 cells per def: HOT_COUNT count body hook state, or NULL */
  wasm_cell **orig;    /* per def: its interpreter cells (eligible defs with code) */
  uint32_t *orig_ncells;
  bool osr_test;       /* compiled under WASM_TIER_OSR (native.h): set before any call */
  bool *linkable;      /* per def: native in a unit later units may call (not internal) */
  uint8_t *reach;      /* per def: wasm_native_reaches_little's answer (0 not asked yet, 1 yes, 2 no) */
  uint32_t *entry_bytes;    /* per def: osr.c's last count of what its entry compiles (atomics) */
  uint32_t *entry_bytes_ms; /* per def: when it may be counted again (state ms + 1; 0: now) */
  uint32_t *entry_qbytes;   /* per def: the same for its quick entry (its copies; atomics) */
  uint32_t *native_ms; /* per def: when it went native, ms after made_ms (written before its cells) */
  uint32_t *loop_ms;   /* per def: 1 + when a loop counter of it first fired (0: not yet) */
  bool *called_twice;  /* per def: its call counter has fired (compiler.c; atomics) */
  uint8_t *osr_status; /* per def: OSR_* (see above) */
  const void **osr_entries; /* per def: its OSR entry once OSR_QUICK or READY (release/acquire) */
  /* Per def: 1 once its optimised OSR entry exists (set after osr_entries,
   * release; never cleared): the quick entry's tier_up flag (rt.h). */
  uint32_t *osr_optimised;
  /* Per def that calls imports: how often its native code left for the
   * interpreter (rt.h wasm_native_leave), and how many import calls those
   * stints completed before leaving; lossy relaxed counts, decayed by
   * halving (osr.c: whether entering again pays). */
  uint32_t *stints, *stint_calls;
  uint64_t left;    /* times native code left, all functions (tests; lossy) */
  uint64_t resumed; /* times a parked call resumed in native code (tests; lossy) */
  uint64_t interp_calls; /* calls quick code had the interpreter make (tests; lossy) */
  /* Per def: what quick code's stubs call (rt.h wasm_native_ctx.slots):
   * its quick code's address once it has quick code, then its optimised
   * code's once that is linkable; written under the compile lock with
   * release, before the function's cells switch. */
  const void **slots;
  /* Per def that calls imports, once its OSR entry exists: per import call
   * k (compile.h import_calls), WASM_NATIVE_RESUME_CELLS cells at
   * k * WASM_NATIVE_RESUME_CELLS: a copy of the call's CALL_FUNC, then a
   * NATIVE_RESUME of the OSR entry at that call (rt.h wasm_native_leave:
   * a call that parked there resumes at the NATIVE_RESUME; one that left
   * for the interpreter to make the call, at the CALL_FUNC, so that it too
   * goes on natively once the call returns). NULL before (release/acquire). */
  wasm_cell **resume;
  /* The units this run compiled that the cache holds, in order (manifest.h;
   * under the compile lock), saved after each one compiled. */
  wasm_native_manifest manifest;
  bool keeps_manifest; /* a tiered mode's module, with a cache (set before any request) */
} native_state;
/* A function that calls imports and left native code STINTS_MIN times,
 * completing fewer than STINT_CALLS import calls per stint on average (it
 * parks every call or two: a loop over a rendezvous channel), is not
 * entered again at its loop headers for WASM_NATIVE_LOOP_RECHECK
 * iterations: leaving and entering again cost more than the few native
 * iterations between save (bench/parking.js's capacity 0 row, whose loops
 * complete one call per stint, was 50% slower entering each time). The
 * counts then halve, so it is tried again after that; they also halve
 * beyond STINTS_MAX, so they follow what the loop does now. */
#define WASM_NATIVE_STINTS_MIN 16u
#define WASM_NATIVE_STINTS_MAX 1024u
#define WASM_NATIVE_STINT_CALLS 8u
/* TOVA_NATIVE_REENTER=always in the environment turns the rule off (every
 * leave resumes and re-enters native code where it can), so tests and the
 * differential fuzzer reach those paths however often a loop parks. */
/* The quick tier (tier.c "quick first"): a request of hot functions whose
 * optimised compile would take at least this many bytes of code gets quick
 * code first (no IR passes, code generation at level 0: jit.h) and
 * then its optimised compile, queued again. TOVA_NATIVE_QUICK=N sets it
 * (off: SIZE_MAX, never). Whole-module requests (small modules) are
 * optimised at once, except with N = 0 (tests: every request quick first,
 * so that code tiers up mid-run). An OSR entry whose optimised compile
 * would take N bytes or more is quick first too (OSR_QUICK above).
 * TOVA_NATIVE_QUICK=only (tests: the quick tier's code alone): every
 * request, whole modules, TOVA_TIER=native's compile and OSR entries
 * included, gets quick code and nothing more. */
/* 2 KB: about 60 ms of the optimised tier, 10 of the quick. Measured
 * 2026-12-04 (idle; `tova run` of test/programs built by clang -O2, best of
 * 5, TOVA_NATIVE_QUICK=off against 2048, ms): hashmap 508/436, hashes
 * 223/187, sorting 154/132, lz 100/88, heap 116/114, bigint 99/94, int64
 * 110/104, forth 87/90; CoreMark's 3,000 iterations within noise (9.8-13.7K
 * iterations/s both ways, five interleaved pairs). At 1 KB CoreMark's small
 * hot functions waited behind quick passes (8.1-9.7K against 9.4-11.4K);
 * at 4 KB hashes and sorting lost their gain. */
#define WASM_NATIVE_QUICK_MIN_BYTES 2048
/* The most code one optimised request compiles closed under calls in the
 * tiered modes (the closure of its functions, or of an OSR entry's).
 * Optimised units are closed under calls, and call_indirect reaches every
 * function of its type in the table, so a big program's function pointers
 * can make most of it one strongly connected closure: a 400 KB one took
 * LLVM 19 s and 550 MB (a generated program of 3,000 functions calling
 * each other through one table, `TOVA_TIER=native`). 128 KB is a few
 * seconds. A request over it compiles its functions apart (tier.c
 * W_SPLIT): with copies of their small callees, calling the rest through
 * stubs and slots as quick code does; an OSR entry over it keeps its quick
 * entry. TOVA_NATIVE_MAX_CLOSURE=N in the environment sets it (tests and
 * the differential fuzzer: 0 compiles every hot request apart). */
#define WASM_NATIVE_MAX_CLOSURE_BYTES (128u << 10)
size_t wasm_native_max_closure(void);
void wasm_native_set_max_closure(size_t bytes); /* tests */
/* How many times cheaper the compiler's queue takes a quick pass to be
 * than the optimised compile of as much code, when it weighs requests
 * (measured 8-12x, hashmap's 30 KB: 114 ms against 1.2-1.5 s; weighed
 * conservatively). */
#define WASM_NATIVE_QUICK_COST 5
/* Quick code copies a callee (tier.c quick_copies: the callee, and what it
 * reaches that still needs quick code, compiled into the caller's quick
 * unit) when that is at most this many bytes; it calls a bigger one
 * through a stub (translate.h interp), which calls the callee's own code
 * once it has some. */
#define WASM_NATIVE_QUICK_COPY_BYTES 2048
size_t wasm_native_quick_min(void);
bool wasm_native_debug(void); /* TOVA_NATIVE_DEBUG is set */
bool wasm_native_quick_only(void);
void wasm_native_set_quick(size_t min_bytes, bool only); /* the same, for C tests */
/* C tests: whether functions on a cycle of calls get quick code (the
 * default), or, off, stay interpreted until optimised, so that quick code
 * calls them through the interpreter (rt.h wasm_native_call_interp). */
void wasm_native_set_quick_recursive(bool on);
bool wasm_native_reenter_always(void);
void wasm_native_set_reenter_always(bool on); /* the same, for C tests */
/* Whether leaving native code pays for a function whose stints are
 * (stints, calls): the rule above. Also whether a call parked by its
 * native code resumes there or in the interpreter (rt.h wasm_native_leave). */
static inline bool wasm_native_stints_pay(uint32_t stints, uint32_t calls) {
  return stints < WASM_NATIVE_STINTS_MIN || calls / WASM_NATIVE_STINT_CALLS >= stints ||
         wasm_native_reenter_always();
}

/* tier.c: compile what a queued request asks for (def, or every function
 * when def is WASM_NATIVE_ALL), unit by unit, asking stop() between units
 * and phases. Called by the compiler thread, which holds a reference.
 * yield (may be NULL) is asked between units: when it says so, the request
 * returns false with the rest left for later (the compiler queues it
 * again), so that a big closure (a C program's main reaches printf's
 * machinery: tens of KB, a second of LLVM) does not hold up the small units
 * of hot functions. True when the request is done (or failed). */
#define WASM_NATIVE_ALL UINT32_MAX
/* The request that links the units of the module's last run from the
 * on-disk cache (manifest.h), queued when the module is compiled: before
 * anything else of it, so neither an OSR request nor an ordinary def. */
#define WASM_NATIVE_REPLAY (UINT32_MAX - 1)
bool wasm_native_compile_request(tova_module *m, uint32_t def, bool (*stop)(void), bool (*yield)(void));
/* tier.c: the requests of several functions of m (defs[0..n), never
 * WASM_NATIVE_ALL nor an OSR entry's) compiled together: their closures cut
 * into units as one, so that small functions turning hot together share a
 * unit's fixed cost (compiler.c merges due requests). Returns as
 * wasm_native_compile_request; not done: the caller queues each def
 * again (those compiled meanwhile cost nothing). */
bool wasm_native_compile_requests(tova_module *m, const uint32_t *defs, uint32_t n, bool (*stop)(void),
                                  bool (*yield)(void));
/* compiler.c: the background compiler's units switch functions to native
 * code only between these two calls. begin is false once exit has begun
 * (the unit is then abandoned: nothing changes); the exit handler waits
 * for a switch in progress, never for a unit, so once it has returned no
 * function of any module changes tier. Called with compile_lock held. */
bool wasm_native_publish_begin(void);
void wasm_native_publish_end(void);
/* tier.c: how many bytes of code the request would compile now (the
 * pending functions of its closure): the compiler's queue takes small
 * requests first. The caller holds compile_lock (below). */
size_t wasm_native_request_bytes(tova_module *m, uint32_t def);
/* tier.c's compile_lock, for the compiler's choice of its next request
 * (compiler.c): always taken before the queue's lock. */
void wasm_native_compile_lock(void);
void wasm_native_compile_unlock(void);

/* tier.c: whether everything def reaches through calls, def included, is
 * at most WASM_NATIVE_ENTRY_FIRST_BYTES of code, compiled or not (so that
 * its entry goes first whenever it is asked for). The call graph is fixed
 * when the state is made, so any thread may ask; the answer is kept. */
bool wasm_native_reaches_little(native_state *s, uint32_t def);
/* tier.c: whether def's OSR entry goes before def's own code: in a small
 * module, or when def reaches little. Asked by the loop hook (whether to ask
 * early, osr.c) and by the compiler (compile_osr), which so agree. */
bool wasm_native_entry_first(native_state *s, uint32_t def);
/* tier.c: about how many bytes of code def's OSR entry compiles now: def's
 * body and what it reaches that is not native yet (compiled first, or
 * copied into the entry: tier.c compile_osr). Counting stops past cap (the
 * answer is then some value above cap). No lock: any thread may ask (the
 * loop hook does, at each firing while it weighs asking for an entry). */
size_t wasm_native_entry_bytes(native_state *s, uint32_t def, size_t cap, bool quick);
/* compiler.c: queue a request (retains m). prio: higher first; it may not
 * start before grace_ms have passed. An OSR entry goes before hot code: a
 * call runs interpreted until its entry exists, while a hot function's code
 * serves calls yet to come, and an entry compiled first copies what it
 * calls anyway. (bench/kernels' fannkuch: its 1.3 KB helper turned hot a
 * moment before the only call asked for its entry; the entry now goes
 * first, with a copy of the helper, and is ready no sooner than the two
 * compiles one after the other were, since the copy is inlined into it:
 * the order matters where the hot code is big and the entry small.) */
enum { PRIO_WARM = 0, PRIO_EAGER = 1, PRIO_HOT = 2, PRIO_OSR = 3 };
void wasm_native_queue(tova_module *m, uint32_t def, int prio, uint32_t grace_ms);
/* compiler.c: queue def hot at once (a loop counter fired), or raise it. */
void wasm_native_queue_hot(native_state *s, uint32_t def);
/* compiler.c: queue def's OSR entry, once (OSR_NONE -> OSR_QUEUED). */
void wasm_native_queue_osr(native_state *s, uint32_t def);
/* tier.c: milliseconds since s was made. */
uint32_t wasm_native_state_ms(const native_state *s);
/* tier.c: compile def's OSR entry now (the calling thread, compile lock
 * taken), after its function's own code if that is not there yet: osr.c's
 * test policy (WASM_TIER_OSR). */
void wasm_native_compile_osr_now(tova_module *m, uint32_t def);
/* osr.c: def's quick OSR entry `quick` left at the header of loop k for
 * its optimised entry (rt.h WASM_NATIVE_OSR_AT_LOOP): the call goes on
 * there, from its frame at offset fo in e's stack (which may have moved
 * while native code ran). Returns as wasm_native_enter_osr. */
tova_status wasm_native_osr_tier_up(tova_exec *e, tova_instance *inst, uint32_t def, size_t fo, const void *quick,
                                    uint32_t k, uint32_t *outcome);
/* compiler.c: the HOT_COUNT hook (wasm_native_hot_hook of compile.h). */
void wasm_native_hot(wasm_cell *cells);
/* compiler.c: once per process before the first request: makes LLVM build
 * its lazy statics (unless they are never destroyed: backend.h), then
 * registers the exit handler that stops the compiler (it must run before
 * those statics are destroyed). */
void wasm_native_compiler_init(void);

#endif /* TOVA_ENGINE_NATIVE_TIERING_H */
