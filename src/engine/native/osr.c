/*
 * osr.c: on-stack replacement, the interpreter's side. A call that entered
 * a function before its native code existed runs interpreted to its end;
 * for a long first call (a Tova program calling a heavy @wasm function
 * once) that is the whole run at the interpreter's speed. So in the tiered
 * modes the compiler (compile.c) puts a counter at the header of each loop
 * of a function that may run native (LOOP_HEAD, compile.h), where the
 * call's whole state is its locals, and this hook moves the call to native
 * code there:
 *   1. once its loops have run as long as compiling the function is
 *      expected to take (tiering.h), counted from their first firing, the
 *      function is queued hot (loops are what a call counter cannot see:
 *      CoreMark's benchmarks are each called once per iteration and loop
 *      inside), but not for a one-off loop shorter than its compile, nor
 *      for a function's only call (which asks for 2. instead);
 *   2. at later firings, a call that has run interpreted for as long as
 *      the function's OSR entry is expected to take to compile (counted
 *      from the function's switch to native code, after which new calls
 *      run native; or, for a function called only once, from its loops'
 *      first firing: tiering.h) queues that entry (tier.c compile_osr,
 *      translate.h WASM_NATIVE_OSR_FMT): compiled only for functions with
 *      such a long call, after the function's own code, or before it when
 *      the function is called once and what it reaches is small
 *      (tiering.h ENTRY_FIRST_BYTES). A function called once whose entry
 *      goes first asks sooner (tiering.h OSR_EARLY_*);
 *   3. it fires once the entry exists: the call continues there, from this
 *      loop's header, and the interpreter returns its results.
 * Between firings a loop runs WASM_NATIVE_LOOP_RECHECK iterations
 * (tiering.h); a loop the entry cannot start (one the translator found
 * dead) or a function that cannot be compiled stops counting.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/assert.h"
#include "engine/compile.h"
#include "engine/native/native.h"
#include "engine/native/rt.h"
#include "engine/native/tiering.h"

static uint64_t osr_entered; /* calls continued natively (tests, TOVA_NATIVE_DEBUG) */
static uint64_t osr_tiered_up; /* calls moved from a quick entry to the optimised one (tests) */

uint64_t wasm_native_osr_count(void) { return __atomic_load_n(&osr_entered, __ATOMIC_RELAXED); }
uint64_t wasm_native_osr_tier_up_count(void) { return __atomic_load_n(&osr_tiered_up, __ATOMIC_RELAXED); }

/* Both entries start at the same loops (one translator, one rule), so the
 * optimised one cannot refuse k; if it did, the quick entry would go on at
 * k, never leaving again. */
tova_status wasm_native_osr_tier_up(tova_exec *e, tova_instance *inst, uint32_t def, size_t fo, const void *quick,
                                    uint32_t k, uint32_t *outcome) {
  native_state *s = inst->module->native;
  /* Acquire on the flag: the optimised entry was stored before it. */
  (void)__atomic_load_n(&s->osr_optimised[def], __ATOMIC_ACQUIRE);
  const void *opt = __atomic_load_n(&s->osr_entries[def], __ATOMIC_ACQUIRE);
  /* The test policy's early leave (loop_hook) may find no optimised entry
   * yet: made here then (the compiler thread may be at it: this waits),
   * or, if it failed, the quick one again, never leaving. */
  if (opt == quick && s->osr_test) {
    wasm_native_compile_request(inst->module, def | WASM_NATIVE_OSR_REQ, NULL, NULL);
    opt = __atomic_load_n(&s->osr_entries[def], __ATOMIC_ACQUIRE);
  }
  bool again = opt == quick;
  if (!again) __atomic_fetch_add(&osr_tiered_up, 1, __ATOMIC_RELAXED);
  if (wasm_native_debug())
    fprintf(stderr, "tova native: a call of function %u left quick code at loop %u for its %s OSR entry\n", def, k,
            again ? "quick" : "optimised");
  if (again) return wasm_native_enter_osr(e, inst, e->stack + fo, quick, k, NULL, outcome);
  tova_status st = wasm_native_enter_osr(e, inst, e->stack + fo, opt, k, NULL, outcome);
  if (st == TOVA_OK && *outcome == WASM_NATIVE_OSR_NOT_ENTERED) {
    TOVA_ASSERT(!"an optimised OSR entry refused its quick entry's loop");
    st = wasm_native_enter_osr(e, inst, e->stack + fo, quick, k, NULL, outcome);
  }
  return st;
}

/* Whether d has been called once only (its call counter, tier.c's
 * install_counters, went from 2 to 1 and has not fired at a second call):
 * the call running its loop is then the only one, running since before
 * anything was compiled. (The counter passes 1 again just before its 513th
 * call, hence the flag.) */
static bool called_once(const native_state *s, uint32_t d) {
  return s->counters && __atomic_load_n(&s->counters[(size_t)d * 5 + 1].u, __ATOMIC_RELAXED) == 1 &&
         !__atomic_load_n(&s->called_twice[d], __ATOMIC_RELAXED);
}

/* What def's optimised entry would compile now (tier.c
 * wasm_native_entry_bytes), and in *quick what its quick entry would
 * (tier.c quick_osr: 0 when it would have none), kept per def and counted
 * again at most every ENTRY_BYTES_MS (functions going native meanwhile
 * make them smaller), and no sooner than ENTRY_BYTES_COST times what the
 * count took (a big module's walks over thousands of functions a loop
 * reaches through call_indirect): the walks then cost a loop a few per
 * cent at most however often it fires. At most ENTRY_BYTES_CAP is counted
 * (an estimate of seconds: no entry for now). */
enum { ENTRY_BYTES_MS = 10, ENTRY_BYTES_COST = 30 };
#define ENTRY_BYTES_CAP (256u << 10)
static uint32_t entry_bytes(native_state *s, uint32_t def, uint32_t now_ms, uint32_t *quick) {
  uint32_t due = __atomic_load_n(&s->entry_bytes_ms[def], __ATOMIC_RELAXED);
  if (due && now_ms + 1 < due) {
    *quick = __atomic_load_n(&s->entry_qbytes[def], __ATOMIC_RELAXED);
    return __atomic_load_n(&s->entry_bytes[def], __ATOMIC_RELAXED);
  }
  size_t b = wasm_native_entry_bytes(s, def, ENTRY_BYTES_CAP, false);
  uint32_t bytes = b > ENTRY_BYTES_CAP ? ENTRY_BYTES_CAP : (uint32_t)b;
  size_t min = wasm_native_quick_min();
  *quick = 0;
  if (min != SIZE_MAX && bytes >= min && !s->recursive[def] && !wasm_native_small_module(s->m)) {
    b = wasm_native_entry_bytes(s, def, ENTRY_BYTES_CAP, true);
    *quick = b > ENTRY_BYTES_CAP ? ENTRY_BYTES_CAP : (uint32_t)b;
  }
  uint32_t took = wasm_native_state_ms(s) - now_ms, wait = ENTRY_BYTES_MS;
  if (took > ENTRY_BYTES_MS / ENTRY_BYTES_COST) wait = took > UINT32_MAX / ENTRY_BYTES_COST ? UINT32_MAX / 2 : took * ENTRY_BYTES_COST;
  __atomic_store_n(&s->entry_bytes[def], bytes, __ATOMIC_RELAXED);
  __atomic_store_n(&s->entry_qbytes[def], *quick, __ATOMIC_RELAXED);
  __atomic_store_n(&s->entry_bytes_ms[def], now_ms + 1 + wait, __ATOMIC_RELAXED);
  return bytes;
}

static bool loop_hook(tova_exec *e, tova_instance *inst, uint64_t *fp, wasm_cell *cells, tova_status *st) {
  tova_module *m = inst->module;
  /* Made when the module was compiled, before any call (tier.c). */
  native_state *s = m->native;
  uint32_t def = (uint32_t)(cells[2].u >> 32), loop = (uint32_t)cells[2].u;
  uint64_t next = WASM_NATIVE_COUNT_NEVER;
  bool ok = s && def < s->ndefs && s->eligible[def];
  /* Not where the C stack is low (rt.h): the call goes on interpreted,
   * and the counter asks again later (another call may be higher up). */
  if (ok && wasm_native_stack_low()) {
    next = WASM_NATIVE_LOOP_RECHECK;
    goto out;
  }
  for (int attempt = 0; ok && attempt < 2; attempt++) {
    const void *fn = __atomic_load_n(&s->osr_entries[def], __ATOMIC_ACQUIRE);
    if (fn) {
      /* A function that calls imports comes back here each time its native
       * code left (an import parked) and the interpreter resumed the call:
       * entering pays only if it then runs a while (tiering.h stints). */
      uint32_t stints = 0;
      if (s->imports[def]) {
        stints = __atomic_load_n(&s->stints[def], __ATOMIC_RELAXED);
        uint32_t calls = __atomic_load_n(&s->stint_calls[def], __ATOMIC_RELAXED);
        if (!wasm_native_stints_pay(stints, calls)) {
          __atomic_store_n(&s->stints[def], stints / 2, __ATOMIC_RELAXED);
          __atomic_store_n(&s->stint_calls[def], calls / 2, __ATOMIC_RELAXED);
          next = WASM_NATIVE_LOOP_RECHECK;
          goto out;
        }
      }
      /* Counted on the way in (a call that never ends has entered too);
       * not each return after leaving (a shared counter on that path
       * would cost every parked message a contended cache line). */
      bool count = stints == 0;
      if (count) __atomic_fetch_add(&osr_entered, 1, __ATOMIC_RELAXED);
      size_t fo = (size_t)(fp - e->stack);
      uint32_t outcome = WASM_NATIVE_OSR_NOT_ENTERED;
      /* The test policy with TOVA_NATIVE_QUICK=0 (differential fuzzing):
       * a call of an even def in quick code leaves at the first loop
       * header it passes for the optimised entry, made then if need be
       * (wasm_native_osr_tier_up), since the fuzzer's calls end before the
       * background compiler's comes; a call of an odd def, once that
       * comes (test_native_osr's churn). */
      static const uint32_t leave_now = 1;
      const uint32_t *up = &s->osr_optimised[def];
      if (s->osr_test && !(def & 1) && !wasm_native_quick_only() &&
          __atomic_load_n(&s->osr_status[def], __ATOMIC_ACQUIRE) == OSR_QUICK)
        up = &leave_now;
      *st = wasm_native_enter_osr(e, inst, fp, fn, loop, up, &outcome);
      if (*st == TOVA_OK && outcome >= WASM_NATIVE_OSR_AT_LOOP)
        *st = wasm_native_osr_tier_up(e, inst, def, fo, fn, outcome - WASM_NATIVE_OSR_AT_LOOP, &outcome);
      if (outcome != WASM_NATIVE_OSR_NOT_ENTERED) return true;
      if (count) __atomic_fetch_sub(&osr_entered, 1, __ATOMIC_RELAXED);
      goto out; /* no entry at this loop: stop counting it */
    }
    uint8_t os = __atomic_load_n(&s->osr_status[def], __ATOMIC_ACQUIRE);
    if (os == OSR_FAILED) goto out;
    if (s->osr_test) { /* the test policy: compile here, then enter */
      wasm_native_compile_osr_now(m, def);
      continue;
    }
    bool native = wasm_native_func_is_native(m, def + m->nimported_funcs);
    uint32_t at = wasm_native_state_ms(s), zero = 0;
    __atomic_compare_exchange_n(&s->loop_ms[def], &zero, at + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    uint32_t first = __atomic_load_n(&s->loop_ms[def], __ATOMIC_RELAXED) - 1;
    bool once = called_once(s, def);
    /* Weighed below only when the function may still be queued hot or ask
     * for its entry. */
    bool weigh = (!native && !once) || (os == OSR_NONE && (once || native));
    uint32_t qbytes = 0, bytes = weigh ? entry_bytes(s, def, at, &qbytes) : 0;
    uint64_t cost = weigh ? WASM_NATIVE_OSR_BASE_MS + (uint64_t)bytes * WASM_NATIVE_OSR_PER_KB_MS / 1024 : 0;
    /* Where the entry is quick code first (tier.c quick_osr), what it
     * compiles is its copies alone, at about a fifth of the cost (the
     * quick tier's weight in the compiler's queue): the call asks that
     * much sooner, and tiers up to the optimised entry once it is ready. */
    uint64_t entry_cost = cost;
    if (qbytes)
      entry_cost = WASM_NATIVE_OSR_BASE_MS +
                   (uint64_t)qbytes * WASM_NATIVE_OSR_PER_KB_MS / 1024 / WASM_NATIVE_QUICK_COST;
    /* Its loops have run as long as compiling it would take: hot (the same
     * ski rental as below, so a one-off loop at start-up does not buy a
     * compile). Not for its only call: that one asks for its entry below
     * by then, which compiles the function first only where it must
     * (wasm_native_entry_first); its own code waits for a second call. */
    if (!native && !once && at >= first && at - first >= cost) wasm_native_queue_hot(s, def);
    if (os == OSR_NONE) {
      /* The call running here has run interpreted at least since the
       * function's loops first fired, if it is the function's only call,
       * or since the switch, if it started before it. Worth an entry (the
       * request compiles the function first if need be) once that is as
       * long as the entry takes to compile (tiering.h). */
      if (once || native) {
        uint32_t from = once ? first : __atomic_load_n(&s->native_ms[def], __ATOMIC_RELAXED);
        /* A first call of a function cheap to compile that reaches little
         * (tier.c: its entry goes first) asks after a sixteenth of the
         * estimate, at least OSR_EARLY_MS (tiering.h). */
        bool early = once && entry_cost <= WASM_NATIVE_OSR_EARLY_MAX_MS && wasm_native_entry_first(s, def);
        uint64_t wait = entry_cost;
        if (early) wait = entry_cost / WASM_NATIVE_OSR_EARLY_DIV;
        if (early && wait < WASM_NATIVE_OSR_EARLY_MS) wait = WASM_NATIVE_OSR_EARLY_MS;
        if (at >= from && at - from >= wait) wasm_native_queue_osr(s, def);
      }
    }
    next = WASM_NATIVE_LOOP_RECHECK;
    break;
  }
out:
  __atomic_store_n(&cells[1].u, next, __ATOMIC_RELAXED);
  return false;
}

bool wasm_native_loop_counters(const tova_module *m, wasm_loop_counters *lc) {
  wasm_tier t = wasm_native_tier();
  if (t == WASM_TIER_INTERP || t == WASM_TIER_NATIVE) return false;
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  bool *want = calloc(ndefs + 1, sizeof *want);
  if (!want) return false; /* then no loop tiers up mid-call */
  wasm_native_eligible(m, want);
  lc->want = want;
  lc->first = t == WASM_TIER_OSR ? 1 : WASM_NATIVE_LOOP_FIRST;
  lc->hook = loop_hook;
  return true;
}
