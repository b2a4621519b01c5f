/*
 * tier.c: when functions move to native code (the policy of native.h) and how:
 * a module's native state, compiling units of functions, and patching each
 * function's code to the NATIVE_ENTER body.
 *
 * A module's native state (eligibility, call graph, the LLJIT owning the
 * code, the original cells to restore) hangs off tova_module.native and lives
 * until the module is freed. Functions are compiled in UNITS into that one
 * LLJIT; an optimised unit is closed under calls (every callee is in the
 * unit or in an earlier one), except where that closure is too big to
 * compile (W_SPLIT below), and quick units: those call what they do not
 * link to through stubs, at the code in its slot or through the
 * interpreter.
 *
 * Switching a function: code->cells is replaced (atomically, release) by a
 * body NATIVE_ENTER wasm_native_enter fn cells. Executions already inside
 * the old body finish it there (the old cells stay allocated until the module
 * is freed); every later entry runs the native code. In the tiered modes a
 * function first gets the five-cell call counter HOT_COUNT (compile.h) in front
 * of its own cells, which feeds the background compiler (compiler.c).
 *
 * QUICK FIRST. A request whose optimised compile would be big gets quick
 * code first (quick_first: jit.h `quick`, its own LLJIT and trampolines),
 * then goes back to the queue for the optimised tier, which switches the
 * functions a second time. Optimised units link only optimised code (by
 * name); quick units link quick code by name and optimised code by
 * address.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/compile.h"
#include "engine/native/backend.h"
#include "engine/native/cache.h"
#include "engine/native/jit.h"
#include "engine/native/link.h"
#include "engine/native/native.h"
#include "engine/native/rt.h"
#include "engine/native/tiering.h"

/* ---------------- policy ---------------- */

static pthread_once_t tier_once = PTHREAD_ONCE_INIT;
static wasm_tier tier_policy;
static bool debug;

static bool reenter_always; /* TOVA_NATIVE_REENTER=always (tiering.h); atomics */
static size_t quick_min; /* TOVA_NATIVE_QUICK (tiering.h); atomics */
static bool quick_only;  /* TOVA_NATIVE_QUICK=only (tiering.h): tests; atomics */
static bool quick_recursive = true; /* wasm_native_set_quick_recursive (tests); atomics */
static size_t max_closure = WASM_NATIVE_MAX_CLOSURE_BYTES; /* TOVA_NATIVE_MAX_CLOSURE (tiering.h); atomics */

static void read_tier(void) {
  const char *s = getenv("TOVA_TIER");
  /* Default: AUTO (native.h): tiered, the whole module at once when small,
   * hot functions first when big. */
  tier_policy = WASM_TIER_AUTO;
  if (s && strcmp(s, "tiered") == 0) tier_policy = WASM_TIER_TIERED;
  else if (s && strcmp(s, "native") == 0) tier_policy = WASM_TIER_NATIVE;
  else if (s && strcmp(s, "interp") == 0) tier_policy = WASM_TIER_INTERP;
  else if (s && strcmp(s, "osr") == 0) tier_policy = WASM_TIER_OSR;
  const char *d = getenv("TOVA_NATIVE_DEBUG");
  debug = d && *d && strcmp(d, "0") != 0;
  const char *q = getenv("TOVA_NATIVE_QUICK");
  size_t qmin = WASM_NATIVE_QUICK_MIN_BYTES;
  bool only = q && strcmp(q, "only") == 0;
  __atomic_store_n(&quick_only, only, __ATOMIC_RELAXED);
  if (only) qmin = 0;
  else if (q && strcmp(q, "off") == 0) qmin = SIZE_MAX;
  else if (q && *q >= '0' && *q <= '9') qmin = (size_t)strtoull(q, NULL, 10);
  __atomic_store_n(&quick_min, qmin, __ATOMIC_RELAXED);
  const char *mc = getenv("TOVA_NATIVE_MAX_CLOSURE");
  if (mc && *mc >= '0' && *mc <= '9')
    __atomic_store_n(&max_closure, (size_t)strtoull(mc, NULL, 10), __ATOMIC_RELAXED);
  const char *r = getenv("TOVA_NATIVE_REENTER");
  __atomic_store_n(&reenter_always, r && strcmp(r, "always") == 0, __ATOMIC_RELAXED);
}

bool wasm_native_reenter_always(void) {
  pthread_once(&tier_once, read_tier);
  return __atomic_load_n(&reenter_always, __ATOMIC_RELAXED);
}

void wasm_native_set_reenter_always(bool on) {
  pthread_once(&tier_once, read_tier);
  __atomic_store_n(&reenter_always, on, __ATOMIC_RELAXED);
}

bool wasm_native_debug(void) {
  pthread_once(&tier_once, read_tier);
  return debug;
}

size_t wasm_native_quick_min(void) {
  pthread_once(&tier_once, read_tier);
  return __atomic_load_n(&quick_min, __ATOMIC_RELAXED);
}

bool wasm_native_quick_only(void) {
  pthread_once(&tier_once, read_tier);
  return __atomic_load_n(&quick_only, __ATOMIC_RELAXED);
}

void wasm_native_set_quick(size_t min_bytes, bool only) {
  pthread_once(&tier_once, read_tier);
  __atomic_store_n(&quick_min, only ? 0 : min_bytes, __ATOMIC_RELAXED);
  __atomic_store_n(&quick_only, only, __ATOMIC_RELAXED);
}

void wasm_native_set_quick_recursive(bool on) { __atomic_store_n(&quick_recursive, on, __ATOMIC_RELAXED); }

size_t wasm_native_max_closure(void) {
  pthread_once(&tier_once, read_tier);
  return __atomic_load_n(&max_closure, __ATOMIC_RELAXED);
}

void wasm_native_set_max_closure(size_t bytes) {
  pthread_once(&tier_once, read_tier);
  __atomic_store_n(&max_closure, bytes, __ATOMIC_RELAXED);
}

wasm_tier wasm_native_tier(void) {
  pthread_once(&tier_once, read_tier);
  return __atomic_load_n(&tier_policy, __ATOMIC_RELAXED);
}

void wasm_native_set_tier(wasm_tier t) {
  pthread_once(&tier_once, read_tier);
  __atomic_store_n(&tier_policy, t, __ATOMIC_RELAXED);
}

void wasm_native_describe(char *buf, size_t len) {
  unsigned major = 0, minor = 0, patch = 0;
  char why[600] = "";
  if (wasm_backend_load(why, sizeof why) && wasm_backend_llvm_version(&major, &minor, &patch))
    snprintf(buf, len, "tiers: interp, native (LLVM %u.%u.%u); policy %s", major, minor, patch,
             wasm_native_tier_name(wasm_native_tier()));
  else
    snprintf(buf, len, "tiers: interp (%s); policy %s", why, wasm_native_tier_name(wasm_native_tier()));
}

const char *wasm_native_tier_name(wasm_tier t) {
  switch (t) {
    case WASM_TIER_INTERP: return "interp";
    case WASM_TIER_NATIVE: return "native";
    case WASM_TIER_AUTO: return "auto (tiered: hot functions first)";
    case WASM_TIER_OSR: return "osr (test: every loop enters native code)";
    default: return "tiered";
  }
}

/* ---------------- a module's native state ---------------- */

/* Serialises compiles (the compiler thread vs. an explicit
 * wasm_native_compile_module), status changes and the publication of
 * m->native (except a new module's, made before any other thread sees the
 * module: wasm_native_module_compiled). Taken before the compiler's queue
 * lock where both are held (compiler.c). */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

void wasm_native_compile_lock(void) { pthread_mutex_lock(&compile_lock); }
void wasm_native_compile_unlock(void) { pthread_mutex_unlock(&compile_lock); }

static void state_free(native_state *s) {
  if (!s) return;
  wasm_native_link_free(&s->jit);
  free(s->eligible);
  free(s->imports);
  free(s->stints);
  free(s->stint_calls);
  for (uint32_t d = 0; s->resume && d < s->ndefs; d++) free(s->resume[d]);
  free(s->resume);
  free(s->recursive);
  free(s->may_leave);
  free(s->closed_tables);
  free(s->cg_start);
  free(s->cg_edges);
  free(s->status);
  free(s->queued);
  free(s->entries);
  free(s->slots);
  free(s->tramps);
  free(s->qstatus);
  free(s->qentries);
  free(s->qtramps);
  free(s->counters);
  free(s->orig);
  free(s->orig_ncells);
  free(s->linkable);
  free(s->native_ms);
  free(s->loop_ms);
  free(s->called_twice);
  free(s->osr_status);
  free(s->osr_entries);
  free(s->osr_optimised);
  free(s->reach);
  free(s->entry_bytes);
  free(s->entry_bytes_ms);
  free(s->entry_qbytes);
  wasm_native_manifest_free(&s->manifest);
  free(s);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

uint32_t wasm_native_state_ms(const native_state *s) {
  double d = now_ms() - s->made_ms;
  return d <= 0 ? 0 : d >= UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* The module's state, made on first use (compile_lock held, or by the one
 * thread that sees m yet: wasm_native_module_compiled). NULL when out
 * of memory: the module then stays interpreted. */
static native_state *state_get(tova_module *m) {
  if (m->native) return m->native;
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  native_state *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->m = m;
  s->ndefs = ndefs;
  s->made_ms = now_ms();
  s->eligible = calloc(ndefs + 1, sizeof *s->eligible);
  s->imports = calloc(ndefs + 1, sizeof *s->imports);
  s->stints = calloc(ndefs + 1, sizeof *s->stints);
  s->stint_calls = calloc(ndefs + 1, sizeof *s->stint_calls);
  s->resume = calloc(ndefs + 1, sizeof *s->resume);
  s->status = calloc(ndefs + 1, 1);
  s->queued = calloc(ndefs + 1, 1);
  s->entries = calloc(ndefs + 1, sizeof *s->entries);
  s->slots = calloc(ndefs + 1, sizeof *s->slots);
  s->tramps = calloc((size_t)ndefs * WASM_CELLS_NATIVE_ENTER + 1, sizeof *s->tramps);
  s->qstatus = calloc(ndefs + 1, 1);
  s->qentries = calloc(ndefs + 1, sizeof *s->qentries);
  s->qtramps = calloc((size_t)ndefs * WASM_CELLS_NATIVE_ENTER + 1, sizeof *s->qtramps);
  s->orig = calloc(ndefs + 1, sizeof *s->orig);
  s->orig_ncells = calloc(ndefs + 1, sizeof *s->orig_ncells);
  s->linkable = calloc(ndefs + 1, sizeof *s->linkable);
  s->native_ms = calloc(ndefs + 1, sizeof *s->native_ms);
  s->loop_ms = calloc(ndefs + 1, sizeof *s->loop_ms);
  s->called_twice = calloc(ndefs + 1, sizeof *s->called_twice);
  s->osr_status = calloc(ndefs + 1, 1);
  s->osr_entries = calloc(ndefs + 1, sizeof *s->osr_entries);
  s->osr_optimised = calloc(ndefs + 1, sizeof *s->osr_optimised);
  s->entry_bytes = calloc(ndefs + 1, sizeof *s->entry_bytes);
  s->entry_bytes_ms = calloc(ndefs + 1, sizeof *s->entry_bytes_ms);
  s->entry_qbytes = calloc(ndefs + 1, sizeof *s->entry_qbytes);
  s->reach = calloc(ndefs + 1, 1);
  if (!s->reach || !s->entry_bytes || !s->entry_bytes_ms || !s->entry_qbytes || !s->eligible || !s->imports || !s->stints || !s->stint_calls || !s->resume || !s->status || !s->queued || !s->entries || !s->slots || !s->tramps || !s->qstatus || !s->qentries || !s->qtramps || !s->orig ||
      !s->orig_ncells || !s->linkable || !s->native_ms || !s->loop_ms || !s->called_twice || !s->osr_status || !s->osr_entries || !s->osr_optimised || !(s->closed_tables = calloc((size_t)m->ntables + 1, sizeof *s->closed_tables)) ||
      !wasm_native_callgraph(m, s->eligible, s->imports, &s->nnodes, &s->cg_start, &s->cg_edges, s->closed_tables) ||
      !(s->recursive = calloc((size_t)s->nnodes + 1, sizeof *s->recursive)) ||
      !(s->may_leave = calloc(ndefs + 1, sizeof *s->may_leave)) ||
      !wasm_native_may_leave(ndefs, s->nnodes, s->cg_start, s->cg_edges, s->imports, s->may_leave)) {
    state_free(s);
    return NULL;
  }
  wasm_native_in_cycle(s->nnodes, s->cg_start, s->cg_edges, s->recursive);
  for (uint32_t d = 0; d < ndefs; d++) {
    wasm_code *code = m->func_defs[d].code;
    if (!code) s->eligible[d] = false;
    if (!s->eligible[d]) continue;
    s->orig[d] = code->cells;
    s->orig_ncells[d] = code->ncells;
  }
  m->native = s;
  return s;
}

/* d will never have optimised code (compile_lock held): drop the call
 * counter in front of its code; its quick code, if it has some, stays. */
static void mark_failed(native_state *s, uint32_t d) {
  s->status[d] = ST_FAILED;
  s->any_failed = true;
  __atomic_store_n(&s->osr_status[d], OSR_FAILED, __ATOMIC_RELEASE);
  wasm_code *code = s->m->func_defs[d].code;
  bool quick = s->qstatus[d] == QK_NATIVE;
  __atomic_store_n(&code->ncells, quick ? 3 : s->orig_ncells[d], __ATOMIC_RELAXED);
  __atomic_store_n(&code->cells, quick ? &s->qtramps[(size_t)d * WASM_CELLS_NATIVE_ENTER] : s->orig[d], __ATOMIC_RELEASE);
}

/* def's OSR entry is ready (compile_lock held, between publish_begin and
 * publish_end): quick code (OSR_QUICK) or optimised (OSR_READY). A function
 * that calls imports also gets its resume code first (tiering.h
 * `resume`), where a call its native code left at an import resumes (rt.h
 * wasm_native_leave; without memory for it, such calls continue
 * interpreted); the optimised entry replaces a quick one there. */
static void publish_osr(native_state *s, uint32_t def, const void *entry, bool quick) {
  const wasm_code *code = s->m->func_defs[def].code;
  wasm_cell *have = s->resume[def];
  for (uint32_t k = 0; have && k < code->nimport_calls; k++) /* read by NATIVE_RESUME (interp.c) */
    __atomic_store_n(&have[(size_t)k * WASM_NATIVE_RESUME_CELLS + WASM_CELLS_CALL_FUNC + 2].p, entry,
                     __ATOMIC_RELAXED);
  if (s->imports[def] && code->nimport_calls && !have) {
    wasm_cell *r = calloc((size_t)code->nimport_calls * WASM_NATIVE_RESUME_CELLS, sizeof *r);
    for (uint32_t k = 0; r && k < code->nimport_calls; k++) {
      wasm_cell *c = r + (size_t)k * WASM_NATIVE_RESUME_CELLS;
      uint32_t cell = code->import_calls[(size_t)k * WASM_IMPORT_CALL_WORDS + 1];
      const wasm_cell *call = s->orig[def] + cell;
      c[0] = call[0]; /* CALL_FUNC argbase funcidx, as in the function's cells */
      c[1] = call[1];
      c[2] = call[2];
      c += WASM_CELLS_CALL_FUNC;
      c[0].h = wasm_interp_handlers()[WASM_IOP_NATIVE_RESUME];
      c[1].p = (const void *)wasm_native_resume;
      c[2].p = entry;
      c[3].u = (uint64_t)def << 32 | (WASM_NATIVE_RESUME_BASE + k); /* rt.h wasm_native_resume's tag */
      c[4].p = call + WASM_CELLS_CALL_FUNC;
    }
    if (r) __atomic_store_n(&s->resume[def], r, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&s->osr_entries[def], entry, __ATOMIC_RELEASE);
  __atomic_store_n(&s->osr_status[def], quick ? OSR_QUICK : OSR_READY, __ATOMIC_RELEASE);
  /* After the entry: a quick entry that sees the flag leaves for it (osr.c). */
  if (!quick) __atomic_store_n(&s->osr_optimised[def], 1, __ATOMIC_RELEASE);
}

/* Whether a unit's outcome (ok or failed) may change anything now
 * (compile_lock held). A unit of the background compiler (stop set) is
 * abandoned when it failed because stop() asked, and otherwise publishes
 * only while exit has not begun (wasm_native_publish_begin: true then
 * holds it until publish_end). A synchronous compile (stop NULL) always
 * publishes. */
static bool publish_begin(bool ok, bool (*stop)(void)) {
  if (!stop) return true;
  if (!ok && stop()) return false;
  return wasm_native_publish_begin();
}

static void publish_end(bool (*stop)(void)) {
  if (stop) wasm_native_publish_end();
}

/* d's code enters native code at `entry` from now on (compile_lock held,
 * between publish_begin and publish_end): tramp, its cells (tramps or
 * qtramps), becomes NATIVE_ENTER wasm_native_enter entry cells and replaces
 * code->cells atomically. The OSR test policy leaves calls interpreted: each reaches
 * native code only through its loops' OSR entries. */
static void switch_to_native(native_state *s, uint32_t d, wasm_cell *tramp, const void *entry) {
  tramp[0].h = wasm_interp_handlers()[WASM_IOP_NATIVE_ENTER];
  tramp[1].p = (const void *)wasm_native_enter;
  tramp[2].p = entry;
  tramp[3].p = s->orig[d]; /* where the interpreter runs d when the entry declines (rt.c) */
  if (s->osr_test) return;
  wasm_code *code = s->m->func_defs[d].code;
  __atomic_store_n(&code->ncells, WASM_CELLS_NATIVE_ENTER, __ATOMIC_RELAXED);
  __atomic_store_n(&code->cells, tramp, __ATOMIC_RELEASE); /* publishes the cells */
}

/* TOVA_NATIVE_DEBUG: which of a unit's functions got their code. */
static void print_unit(const native_state *s, const bool *unit, bool quick, uint32_t n) {
  if (quick)
    fprintf(stderr, "tova native: quick unit of %u functions (%u quick in the module)", n,
            __atomic_load_n(&s->nquick, __ATOMIC_RELAXED));
  else
    fprintf(stderr, "tova native: unit of %u functions native (%u of %u in the module)", n, s->nnative,
            s->ndefs);
  fprintf(stderr, ", %.1f ms after the module was compiled:", now_ms() - s->made_ms);
  for (uint32_t d = 0; d < s->ndefs; d++) {
    bool got = quick ? s->qstatus[d] == QK_NATIVE : s->status[d] == ST_NATIVE;
    if (unit[d]) fprintf(stderr, " %u%s", d, got ? "" : "(failed)");
  }
  fprintf(stderr, "\n");
}

/* A unit the cache holds was linked (compile_lock held): listed in the
 * module's manifest (manifest.h), which is saved again unless the unit was
 * the last run's, replayed (its list is saved when something new follows). */
static void note_cached_unit(native_state *s, uint8_t kind, bool internal, const bool *set, bool replayed) {
  if (!s->keeps_manifest || !wasm_native_manifest_add(&s->manifest, kind, internal, set, s->ndefs)) return;
  if (!replayed) wasm_native_manifest_save(s->m, &s->manifest);
}

/* Compile the functions with unit[d] set as one unit and switch them
 * (compile_lock held). On failure they are marked failed, never retried.
 * A function that calls imports gets its OSR entry in the same unit: a
 * call its native code left where an import parked resumes there.
 * cache_only (the replay): link the unit from the cache or change nothing
 * (false), never compile. True when the functions went native. */
static bool compile_unit(native_state *s, const bool *unit, bool internal, bool split, bool cache_only,
                         bool (*stop)(void)) {
  tova_module *m = s->m;
  bool *done = calloc(s->ndefs + 1, sizeof *done), *osr = calloc(s->ndefs + 1, sizeof *osr);
  bool *interp = split ? calloc(s->ndefs + 1, sizeof *interp) : NULL;
  const void **osr_entries = calloc(s->ndefs + 1, sizeof *osr_entries);
  const void **fns = internal ? NULL : calloc(s->ndefs + 1, sizeof *fns);
  char err[256] = "";
  bool ok = done && osr && osr_entries && (internal || fns) && (!split || interp), any_osr = false;
  if (ok) {
    for (uint32_t d = 0; d < s->ndefs; d++) {
      /* a W_SPLIT unit links only code it may call by name (linkable) */
      done[d] = s->status[d] == ST_NATIVE && (!split || s->linkable[d]);
      osr[d] = unit[d] && s->imports[d] &&
               __atomic_load_n(&s->osr_status[d], __ATOMIC_ACQUIRE) != OSR_READY;
      any_osr |= osr[d];
    }
    /* W_SPLIT: what it calls and does not link to, through stubs (as
     * compile_quick_unit) */
    for (uint32_t d = 0; split && d < s->ndefs; d++) {
      if (!unit[d]) continue;
      for (uint32_t k = s->cg_start[d]; k < s->cg_start[d + 1]; k++) {
        uint32_t c = s->cg_edges[k];
        if (c < s->ndefs && !unit[c] && !done[c]) interp[c] = true;
      }
    }
    wasm_jit_unit u = {.unit = unit, .done = done, .poll_entry = s->recursive,
                       .may_leave = s->may_leave, .closed_tables = s->closed_tables, .osr = any_osr ? osr : NULL,
                       .interp = interp, .internal = internal, .wrappers = true, .cache_only = cache_only,
                       .entries = s->entries, .osr_entries = osr_entries, .fns = fns, .stop = stop};
    ok = wasm_native_link_unit(&s->jit, m, &u, err, sizeof err);
  }
  free(interp);
  if (!ok && cache_only) { /* not in the cache: nothing changed, nothing failed */
    free(done);
    free(osr);
    free(osr_entries);
    free(fns);
    return false;
  }
  bool abandoned = !publish_begin(ok, stop);
  if (ok && !abandoned) s->nunits++;
  for (uint32_t d = 0; ok && !abandoned && d < s->ndefs; d++)
    if (osr[d] && osr_entries[d]) publish_osr(s, d, osr_entries[d], false);
  free(done);
  free(osr);
  free(osr_entries);
  if (abandoned) { /* nothing changed */
    free(fns);
    return false;
  }
  if (!ok && debug) fprintf(stderr, "tova native: functions stay interpreted: %s\n", err);
  uint32_t n = 0;
  for (uint32_t d = 0; d < s->ndefs; d++) {
    if (!unit[d]) continue;
    if (!ok || !s->entries[d]) {
      mark_failed(s, d);
      continue;
    }
    __atomic_store_n(&s->native_ms[d], wasm_native_state_ms(s), __ATOMIC_RELAXED);
    if (fns && fns[d]) __atomic_store_n(&s->slots[d], fns[d], __ATOMIC_RELEASE);
    switch_to_native(s, d, &s->tramps[(size_t)d * WASM_CELLS_NATIVE_ENTER], s->entries[d]);
    s->status[d] = ST_NATIVE;
    s->linkable[d] = !internal;
    s->nnative++;
    n++;
  }
  publish_end(stop);
  free(fns);
  if (ok && !split) note_cached_unit(s, WASM_MANIFEST_UNIT, internal, unit, cache_only);
  if (debug) print_unit(s, unit, false, n);
  return ok;
}

/* The quick tier's unit (compile_lock held): the functions with unit[d]
 * set compiled quick (jit.h) and switched to that code; they stay pending
 * for the optimised tier, which replaces their cells again. They call
 * quick code by name and optimised code through its address. On failure
 * they are marked QK_FAILED: the optimised tier alone then. */
static void compile_quick_unit(native_state *s, const bool *unit, bool (*stop)(void)) {
  tova_module *m = s->m;
  bool *done = calloc(s->ndefs + 1, sizeof *done), *opt = calloc(s->ndefs + 1, sizeof *opt);
  bool *interp = calloc(s->ndefs + 1, sizeof *interp);
  const void **fns = calloc(s->ndefs + 1, sizeof *fns);
  char err[256] = "";
  bool ok = done && opt && interp && fns;
  for (uint32_t d = 0; ok && d < s->ndefs; d++) {
    opt[d] = s->status[d] == ST_NATIVE && s->linkable[d] && s->qstatus[d] != QK_NATIVE;
    done[d] = s->qstatus[d] == QK_NATIVE || opt[d];
  }
  /* What the unit calls and does not link to: through a stub, which calls
   * the callee's code once it has some (its slot), and has the interpreter
   * make the call until then (translate.h interp). Its call_indirects (the
   * groups) find their callees by slot (translate.c emit_call_indirect). */
  for (uint32_t d = 0; ok && d < s->ndefs; d++) {
    if (!unit[d]) continue;
    for (uint32_t k = s->cg_start[d]; k < s->cg_start[d + 1]; k++) {
      uint32_t c = s->cg_edges[k];
      if (c < s->ndefs && !unit[c] && !done[c]) interp[c] = true;
    }
  }
  wasm_jit_unit u = {.unit = unit, .done = done, .poll_entry = s->recursive,
                     .may_leave = s->may_leave, .closed_tables = s->closed_tables, .done_optimised = opt,
                     .interp = interp, .wrappers = true, .quick = true, .entries = s->qentries, .fns = fns,
                     .stop = stop};
  if (ok) ok = wasm_native_link_unit(&s->jit, m, &u, err, sizeof err);
  free(done);
  free(opt);
  free(interp);
  if (!publish_begin(ok, stop)) { /* abandoned */
    free(fns);
    return;
  }
  if (!ok && debug) fprintf(stderr, "tova native: no quick code: %s\n", err);
  uint32_t n = 0;
  for (uint32_t d = 0; d < s->ndefs; d++) {
    if (!unit[d]) continue;
    if (!ok || !s->qentries[d]) {
      s->qstatus[d] = QK_FAILED;
      continue;
    }
    if (fns[d] && s->status[d] != ST_NATIVE) __atomic_store_n(&s->slots[d], fns[d], __ATOMIC_RELEASE);
    switch_to_native(s, d, &s->qtramps[(size_t)d * WASM_CELLS_NATIVE_ENTER], s->qentries[d]);
    s->qstatus[d] = QK_NATIVE;
    __atomic_fetch_add(&s->nquick, 1, __ATOMIC_RELAXED);
    n++;
  }
  publish_end(stop);
  free(fns);
  if (debug) print_unit(s, unit, true, n);
}

/* Whether node c is a failed function, or a group holding one. */
static bool node_failed(const native_state *s, uint32_t c) {
  if (c < s->ndefs) return s->status[c] == ST_FAILED;
  for (uint32_t k = s->cg_start[c]; k < s->cg_start[c + 1]; k++)
    if (s->status[s->cg_edges[k]] == ST_FAILED) return true;
  return false;
}

/* A function that calls a failed one cannot be compiled either. */
static void propagate_failures(native_state *s) {
  for (bool changed = s->any_failed; changed;) {
    changed = false;
    for (uint32_t d = 0; d < s->ndefs; d++) {
      if (s->status[d] != ST_NONE || !s->eligible[d]) continue;
      for (uint32_t k = s->cg_start[d]; k < s->cg_start[d + 1]; k++) {
        if (node_failed(s, s->cg_edges[k])) {
          mark_failed(s, d);
          changed = true;
          break;
        }
      }
    }
  }
}

static bool pending(const native_state *s, uint32_t d) {
  return s->eligible[d] && s->status[d] == ST_NONE;
}

/* Still to compile for the quick tier: no optimised code and no quick code
 * (nor a failed quick unit) yet. A function on a cycle of calls too:
 * level-0 code keeps every value in its frame, several times the optimised
 * frame, so deep recursion would exhaust the native stack budget (rt.c)
 * at a depth the interpreter and the optimised code reach (test_limits'
 * 200,000 frames), but its quick code hands its call to the interpreter
 * once the C stack runs low (rt.h WASM_NATIVE_QUICK_STACK_RESERVE), so
 * whether a program traps does not depend on the tier its calls ran in. */
static bool pending_quick(const native_state *s, uint32_t d) {
  return pending(s, d) && s->qstatus[d] == QK_NONE &&
         (!s->recursive[d] || __atomic_load_n(&quick_recursive, __ATOMIC_RELAXED));
}

/* What a closure is taken for (closure()): the optimised tier's units,
 * closed under calls (W_OPT); the quick tier's, which copy their small
 * callees and call the rest through stubs (W_QUICK); or the optimised
 * tier's where the closed closure would be too big to compile
 * (wasm_native_max_closure: a big program's functions on one cycle
 * through its table), which copy and call through stubs as quick units do
 * (W_SPLIT: optimised code for the hot functions of a cycle that is never
 * compiled whole). */
enum { W_OPT, W_QUICK, W_SPLIT };

static bool pending_in(const native_state *s, uint32_t d, int wt) {
  return wt == W_QUICK ? pending_quick(s, d) : pending(s, d);
}

/* Whether d still needs quick code: pending_quick (compile_lock held), or
 * without the lock (the loop hook's estimates: osr.c) the same read from
 * what never changes and from its cells, atomically. */
static bool needs_quick(const native_state *s, uint32_t d, bool locked) {
  if (locked) return pending_quick(s, d);
  return s->eligible[d] && (!s->recursive[d] || __atomic_load_n(&quick_recursive, __ATOMIC_RELAXED)) &&
         !wasm_native_func_is_native(s->m, d + s->m->nimported_funcs);
}

/* Which callees reach_bytes walks past: all; those eligible without
 * optimised code yet (what an optimised OSR entry compiles); those that
 * still need quick code (needs_quick), compile_lock held or not. Without
 * the lock what it reads comes from code cells, atomically, so the
 * interpreter's loop hook may ask; those an optimised copy would compile
 * (pending, compile_lock held: W_SPLIT). The first two walk through the
 * groups (call_indirect) to their functions, the others not: quick code
 * and W_SPLIT units find those by their slots (translate.c
 * emit_call_indirect). */
enum { REACH_ALL, REACH_NOT_OPTIMISED, REACH_QUICK_LOCKED, REACH_QUICK, REACH_SPLIT };

static bool walks_past(const native_state *s, uint32_t c, int which) {
  switch (which) {
    case REACH_ALL: return true;
    case REACH_NOT_OPTIMISED:
      return s->eligible[c] && !wasm_native_func_is_optimised(s->m, c + s->m->nimported_funcs);
    case REACH_SPLIT: return pending(s, c); /* compile_lock held */
    default: return needs_quick(s, c, which == REACH_QUICK_LOCKED);
  }
}

/* Scratch of the graph's walks, one allocation for many walks: a stamp
 * per node (seen by the walk whose stamp it holds), a stack, and for the
 * quick tier's closures what quick_copies said of each function (0:
 * not asked yet; valid while the compile lock is held). */
typedef struct {
  uint32_t *seen, *stack, stamp;
  uint8_t *copies;
} walk_scratch;

static bool scratch_init(const native_state *s, walk_scratch *w) {
  w->seen = calloc((size_t)s->nnodes + 1, sizeof *w->seen);
  w->stack = malloc(((size_t)s->nnodes + 1) * sizeof *w->stack);
  w->copies = calloc((size_t)s->ndefs + 1, 1);
  w->stamp = 0;
  return w->seen && w->stack && w->copies;
}

static void scratch_free(walk_scratch *w) {
  free(w->seen);
  free(w->stack);
  free(w->copies);
}

/* Bytes of code def's calls reach, def included, walking past a callee
 * only while the count is at most cap (the answer is then some value above
 * cap), and only past the callees `which` says (and through every group);
 * def's body counts always. */
static size_t reach_walk(const native_state *s, uint32_t def, size_t cap, int which, walk_scratch *w) {
  if (++w->stamp == 0) { /* wrapped: every mark is stale */
    memset(w->seen, 0, ((size_t)s->nnodes + 1) * sizeof *w->seen);
    w->stamp = 1;
  }
  uint32_t nd = s->ndefs, sp = 0, stamp = w->stamp;
  size_t bytes = 0;
  w->seen[def] = stamp;
  w->stack[sp++] = def;
  /* Which callees to walk past is asked when they come off the stack, not
   * as they go on: a group of thousands of functions then costs a walk
   * that the cap stops early thousands of stores, not thousands of
   * questions. */
  while (sp && bytes <= cap) {
    uint32_t v = w->stack[--sp];
    if (v != def && (v < nd ? !walks_past(s, v, which) : which >= REACH_QUICK_LOCKED)) continue;
    if (v < nd) bytes += s->m->func_defs[v].body_len;
    for (uint32_t k = s->cg_start[v]; k < s->cg_start[v + 1]; k++) {
      uint32_t c = s->cg_edges[k];
      if (w->seen[c] == stamp) continue;
      w->seen[c] = stamp;
      w->stack[sp++] = c;
    }
  }
  return bytes;
}

/* reach_walk with scratch of its own; SIZE_MAX when out of memory. */
static size_t reach_bytes(const native_state *s, uint32_t def, size_t cap, int which) {
  walk_scratch w;
  size_t bytes = scratch_init(s, &w) ? reach_walk(s, def, cap, which, &w) : SIZE_MAX;
  scratch_free(&w);
  return bytes;
}

/* Whether quick code copies callee c (c and what it reaches that still
 * needs quick code go into the caller's quick unit) rather than calling it
 * through a stub (compile_quick_unit): when that is at most
 * WASM_NATIVE_QUICK_COPY_BYTES. So a quick unit compiles in a few
 * milliseconds whatever its functions reach (printf's machinery: 14 KB),
 * while the small functions they call (a sort's helpers, called a few
 * times each but looping long) are quick with them from the start; a big
 * callee gets quick code of its own once its calls or its loops are hot.
 * Asked once per function and scratch (w->copies). */
static bool quick_copies(const native_state *s, uint32_t c, walk_scratch *w) {
  if (!w->copies[c])
    w->copies[c] = pending_quick(s, c) && reach_walk(s, c, WASM_NATIVE_QUICK_COPY_BYTES, REACH_QUICK_LOCKED, w) <=
                                              WASM_NATIVE_QUICK_COPY_BYTES
                       ? 1
                       : 2;
  return w->copies[c] == 1;
}

/* The same rule for a W_SPLIT unit: c and what it reaches without
 * optimised code, at most WASM_NATIVE_QUICK_COPY_BYTES. */
static bool split_copies(const native_state *s, uint32_t c, walk_scratch *w) {
  if (!w->copies[c])
    w->copies[c] = pending(s, c) && reach_walk(s, c, WASM_NATIVE_QUICK_COPY_BYTES, REACH_SPLIT, w) <=
                                        WASM_NATIVE_QUICK_COPY_BYTES
                       ? 1
                       : 2;
  return w->copies[c] == 1;
}

/* Whether closure() follows the call of function c for the tier. */
static bool follows(const native_state *s, uint32_t c, int wt, walk_scratch *w) {
  return wt == W_QUICK ? quick_copies(s, c, w) : wt == W_SPLIT ? split_copies(s, c, w) : pending(s, c);
}

/* The functions the roots reach that are not compiled yet for the tier
 * (pending_in; the roots included; every function when roots[0] is
 * WASM_NATIVE_ALL), callees before callers (depth-first post-order), into
 * order[]; their count. For the quick tier, what quick_copies says: the
 * rest is called through stubs (compile_quick_unit). mark[] (nnodes
 * entries, zero on entry) gets the functions of order[] and the groups
 * walked through; stack_v[] and stack_k[] have nnodes entries. *bytes:
 * the bytes of code of the functions reached; once that passes cap, the
 * walk stops there (order[] incomplete: for sizes only). */
static uint32_t closure(const native_state *s, const uint32_t *roots, uint32_t nroots, int wt,
                        uint32_t *order, uint8_t *mark, uint32_t *stack_v, uint32_t *stack_k, walk_scratch *w,
                        size_t cap, size_t *bytes) {
  uint32_t n = 0, nd = s->ndefs;
  *bytes = 0;
  bool all = roots[0] == WASM_NATIVE_ALL;
  uint32_t count = all ? nd : nroots;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t r = all ? i : roots[i];
    if (r >= nd || mark[r] || !pending_in(s, r, wt)) continue;
    uint32_t sp = 0;
    mark[r] = 1;
    if ((*bytes += s->m->func_defs[r].body_len) > cap) return n;
    stack_v[sp] = r;
    stack_k[sp++] = s->cg_start[r];
    while (sp) {
      uint32_t v = stack_v[sp - 1];
      if (stack_k[sp - 1] < s->cg_start[v + 1]) {
        uint32_t c = s->cg_edges[stack_k[sp - 1]++];
        if (mark[c] || (c < nd ? !follows(s, c, wt, w) : wt != W_OPT)) continue;
        mark[c] = 1;
        if (c < nd && (*bytes += s->m->func_defs[c].body_len) > cap) return n;
        stack_v[sp] = c;
        stack_k[sp++] = s->cg_start[c];
      } else {
        if (v < nd) order[n++] = v;
        sp--;
      }
    }
  }
  return n;
}

/* The units the roots need for the tier (compile_lock held; roots as
 * closure()'s); false when yield() asked to stop between units with some
 * left (wasm_native_compile_request). A quick unit's calls of what it
 * cannot link to go through the interpreter (compile_quick_unit). */
static bool compile_closure(native_state *s, const uint32_t *roots, uint32_t nroots, int wt,
                            bool (*stop)(void), bool (*yield)(void)) {
  tova_module *m = s->m;
  bool done = true;
  bool any = roots[0] == WASM_NATIVE_ALL;
  for (uint32_t i = 0; i < nroots && !any; i++) any = roots[i] < s->ndefs && pending_in(s, roots[i], wt);
  if (!any) return true;
  propagate_failures(s);
  uint32_t nd = s->ndefs, nn = s->nnodes;
  uint32_t *order = malloc(((size_t)nn + 1) * 4 * sizeof *order);
  uint8_t *mark = calloc(nn + 1, 1);
  bool *unit = calloc(nd + 1, sizeof *unit);
  walk_scratch w;
  bool ok = scratch_init(s, &w) && order && mark && unit;
  if (!ok) goto out;
  uint32_t *pos = order + nn + 1, *stack_v = pos + nn + 1, *stack_k = stack_v + nn + 1;
  size_t total;
  uint32_t n = closure(s, roots, nroots, wt, order, mark, stack_v, stack_k, &w, SIZE_MAX, &total);
  for (uint32_t i = 0; i < n; i++) pos[order[i]] = i;
  /* A group walked through stands for the latest of its functions in the
   * order (the cut below). */
  for (uint32_t g = nd; g < nn; g++) {
    pos[g] = 0;
    for (uint32_t k = s->cg_start[g]; mark[g] && k < s->cg_start[g + 1]; k++) {
      uint32_t c = s->cg_edges[k];
      if (mark[c] && pending_in(s, c, wt) && pos[c] > pos[g]) pos[g] = pos[c];
    }
  }
  /* Cut the post-order into units of about WASM_NATIVE_UNIT_BYTES, each a
   * prefix closed under calls: a cut after i is allowed when no function at
   * or before i calls one after it (recursion reaches up the order). */
  uint32_t start = 0, reach = 0;
  size_t bytes = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v = order[i];
    bytes += m->func_defs[v].body_len;
    for (uint32_t k = s->cg_start[v]; k < s->cg_start[v + 1]; k++) {
      uint32_t c = s->cg_edges[k];
      if (mark[c] && (c >= nd || pending_in(s, c, wt)) && pos[c] > reach) reach = pos[c];
    }
    /* W_SPLIT units call what is not compiled yet through stubs: no
     * need to be closed, so a cut anywhere */
    if (i + 1 < n && (bytes < WASM_NATIVE_UNIT_BYTES || (reach > i && wt != W_SPLIT))) continue;
    if (stop && stop()) break;
    for (uint32_t k = start; k <= i; k++) unit[order[k]] = true;
    if (wt == W_QUICK) {
      compile_quick_unit(s, unit, stop);
    } else {
      /* Internal linkage when this unit completes the module. */
      bool last = wt == W_OPT;
      for (uint32_t d = 0; d < nd && last; d++) last = !pending(s, d) || unit[d];
      compile_unit(s, unit, last, wt == W_SPLIT, false, stop);
    }
    for (uint32_t k = start; k <= i; k++) unit[order[k]] = false;
    start = i + 1;
    bytes = 0;
    if (i + 1 < n && yield && yield()) {
      done = false;
      break;
    }
  }
out:
  scratch_free(&w);
  free(order);
  free(mark);
  free(unit);
  return done;
}

/* Bytes of code the roots' closure for the tier holds (compile_lock held),
 * or some value above cap. SIZE_MAX when out of memory. */
static size_t closure_bytes(native_state *s, const uint32_t *roots, uint32_t nroots, int wt, size_t cap) {
  uint32_t nn = s->nnodes;
  uint32_t *order = malloc(((size_t)nn + 1) * 3 * sizeof *order);
  uint8_t *mark = calloc(nn + 1, 1);
  walk_scratch w;
  size_t bytes = SIZE_MAX;
  if (scratch_init(s, &w) && order && mark)
    closure(s, roots, nroots, wt, order, mark, order + nn + 1, order + 2 * ((size_t)nn + 1), &w, cap, &bytes);
  scratch_free(&w);
  free(order);
  free(mark);
  return bytes;
}

/* How far the queue's sizes are counted (wasm_native_request_bytes): past
 * it, only which request is older decides among those of a priority. A
 * request's closure may be a whole big module (call_indirect reaching
 * thousands of functions), and the compiler sizes every queued request
 * each time it chooses. */
#define SIZING_CAP (WASM_NATIVE_MAX_CLOSURE_BYTES + 1)

/* Whether a request of the roots (hot functions, not WASM_NATIVE_ALL)
 * gets its quick pass now (compile_lock held): the quick tier is on, what
 * the optimised tier would compile is at least quick_min bytes, and some
 * of it can get quick code. What the optimised tier compiles for a root
 * whose closure is over the limit is its split unit (compile_hot), so that
 * is what is weighed then: a small function on a big cycle is optimised
 * at once, as any small request is. *qbytes: the quick pass's bytes. */
static bool quick_first(native_state *s, const uint32_t *roots, uint32_t nroots, size_t *qbytes) {
  size_t min = wasm_native_quick_min();
  /* Whole modules only when every request gets quick code (min 0: tests) */
  if (min == SIZE_MAX || s->osr_test || (roots[0] == WASM_NATIVE_ALL && min != 0)) return false;
  size_t opt = closure_bytes(s, roots, nroots, W_OPT, min);
  if (opt == SIZE_MAX || opt < min || opt == 0) return false;
  size_t max = wasm_native_max_closure();
  if (nroots == 1 && roots[0] < s->ndefs && closure_bytes(s, roots, 1, W_OPT, max) > max) {
    size_t split = closure_bytes(s, roots, 1, W_SPLIT, min);
    if (split == SIZE_MAX || split < min) return false;
  }
  size_t q = closure_bytes(s, roots, nroots, W_QUICK, SIZING_CAP);
  if (q == SIZE_MAX || q == 0) return false;
  *qbytes = q;
  return true;
}

size_t wasm_native_request_bytes(tova_module *m, uint32_t root) {
  native_state *s = m->native;
  if (!s || root == WASM_NATIVE_REPLAY) return 0; /* linking only: first */
  bool osr = root != WASM_NATIVE_ALL && (root & WASM_NATIVE_OSR_REQ);
  if (root != WASM_NATIVE_ALL) root &= ~WASM_NATIVE_OSR_REQ;
  if (root != WASM_NATIVE_ALL && root >= s->ndefs) return 0;
  size_t q;
  /* A quick pass costs about a fifth of the optimised compile of as much
   * code: the queue weighs it so (small requests first). */
  if (!osr && quick_first(s, &root, 1, &q)) return q / WASM_NATIVE_QUICK_COST + 1;
  size_t bytes = closure_bytes(s, &root, 1, W_OPT, SIZING_CAP);
  /* too big to compile closed: what its W_SPLIT unit compiles (compile_hot) */
  if (bytes != SIZE_MAX && bytes > wasm_native_max_closure()) bytes = closure_bytes(s, &root, 1, W_SPLIT, SIZING_CAP);
  return bytes == SIZE_MAX ? 0 : bytes;
}

static uint64_t osr_before_own_code; /* wasm_native_osr_early_count */

uint64_t wasm_native_osr_early_count(void) {
  return __atomic_load_n(&osr_before_own_code, __ATOMIC_RELAXED);
}

bool wasm_native_reaches_little(native_state *s, uint32_t def) {
  uint8_t known = __atomic_load_n(&s->reach[def], __ATOMIC_RELAXED);
  if (known) return known == 1;
  size_t bytes = reach_bytes(s, def, WASM_NATIVE_ENTRY_FIRST_BYTES, REACH_ALL);
  if (bytes == SIZE_MAX) return false; /* unknown: the cautious answer, not kept */
  bool little = bytes <= WASM_NATIVE_ENTRY_FIRST_BYTES;
  __atomic_store_n(&s->reach[def], little ? 1 : 2, __ATOMIC_RELAXED);
  return little;
}

/* What def's quick OSR entry compiles (quick_osr_plan): its body and its
 * copies (an estimate: copies shared by two callees count twice), or
 * some value above cap. No lock (wasm_native_entry_bytes); SIZE_MAX when out of
 * memory. */
static size_t quick_entry_bytes(const native_state *s, uint32_t def, size_t cap) {
  walk_scratch w;
  if (!scratch_init(s, &w)) {
    scratch_free(&w);
    return SIZE_MAX;
  }
  size_t bytes = s->m->func_defs[def].body_len;
  /* def's callees, each once (the graph's edges are: eligible.c); a
   * group's functions quick code finds by slot */
  for (uint32_t k = s->cg_start[def]; k < s->cg_start[def + 1] && bytes <= cap; k++) {
    uint32_t c = s->cg_edges[k];
    if (c >= s->ndefs || c == def || !needs_quick(s, c, false)) continue;
    size_t b = reach_walk(s, c, WASM_NATIVE_QUICK_COPY_BYTES, REACH_QUICK, &w);
    if (b <= WASM_NATIVE_QUICK_COPY_BYTES) bytes += b;
  }
  scratch_free(&w);
  return bytes;
}

size_t wasm_native_entry_bytes(native_state *s, uint32_t def, size_t cap, bool quick) {
  size_t bytes = quick ? quick_entry_bytes(s, def, cap) : reach_bytes(s, def, cap, REACH_NOT_OPTIMISED);
  return bytes == SIZE_MAX ? cap + 1 : bytes; /* unknown: the cautious answer */
}

bool wasm_native_entry_first(native_state *s, uint32_t def) {
  return wasm_native_small_module(s->m) || wasm_native_reaches_little(s, def);
}

/* The quick unit of def's OSR entry (quick_osr): unit[] gets the copies
 * (quick_copies: small callees, with what they reach that needs quick
 * code), done[] what they and def call that has quick code or optimised
 * code they can link to, opt[] those called at their optimised code's
 * address, interp[] the rest (called through stubs: translate.h interp).
 * False when a callee can never be native (not eligible, failed). seen[]
 * and stack[] are scratch, seen[] all false on entry. */
static bool quick_osr_plan(const native_state *s, uint32_t def, bool *unit, bool *done, bool *opt, bool *interp,
                           bool *seen, uint32_t *stack, walk_scratch *w) {
  bool quick = true;
  uint32_t sp = 0;
  stack[sp++] = def;
  seen[def] = true;
  while (sp) {
    uint32_t v = stack[--sp];
    for (uint32_t k = s->cg_start[v]; k < s->cg_start[v + 1]; k++) {
      uint32_t c = s->cg_edges[k];
      if (seen[c]) continue;
      seen[c] = true;
      if (c >= s->ndefs) continue; /* a group: found by slot (emit_call_indirect) */
      bool linkable = s->status[c] == ST_NATIVE && s->linkable[c];
      if (s->qstatus[c] == QK_NATIVE || linkable) {
        done[c] = true;
        opt[c] = s->qstatus[c] != QK_NATIVE;
      } else if (!s->eligible[c] || s->status[c] == ST_FAILED) {
        quick = false;
      } else if (quick_copies(s, c, w)) {
        unit[c] = true;
        stack[sp++] = c;
      } else {
        interp[c] = true;
      }
    }
  }
  return quick;
}

/* def's quick OSR entry, where one pays (compile_lock held): the
 * optimised entry would compile at least the quick tier's threshold
 * (wasm_native_quick_min) of code (quick_osr_plan). One quick unit: the
 * entry, quick copies of its small callees (quick_copies), calls by name
 * to quick code, by address to optimised code (jit.c alias_optimised),
 * and through stubs to the rest (translate.h interp). Published as OSR_QUICK. True when def has its quick entry now
 * (or exit has begun); false when it gets none (then its optimised entry
 * at once). */
static bool quick_osr(native_state *s, uint32_t def, bool (*stop)(void)) {
  size_t min = wasm_native_quick_min();
  if (min == SIZE_MAX || (s->osr_test && min != 0) || s->recursive[def]) return false;
  /* Not in a small module (Tova's @wasm modules): its optimised entry is
   * asked for early and compiled first (tiering.h OSR_EARLY_*), so a long
   * first call is in optimised code within one small compile, where the
   * quick entry's optimised successor would come only after another. */
  if (min != 0 && wasm_native_small_module(s->m)) return false;
  if (min && wasm_native_entry_bytes(s, def, min, false) < min) return false;
  uint32_t nd = s->ndefs;
  bool *unit = calloc(nd + 1, sizeof *unit), *done = calloc(nd + 1, sizeof *done);
  bool *opt = calloc(nd + 1, sizeof *opt), *want = calloc(nd + 1, sizeof *want);
  bool *interp = calloc(nd + 1, sizeof *interp), *seen = calloc(s->nnodes + 1, sizeof *seen);
  const void **entries = calloc(nd + 1, sizeof *entries);
  uint32_t *stack = malloc(((size_t)nd + 1) * sizeof *stack);
  walk_scratch w;
  bool ok = scratch_init(s, &w) && unit && done && opt && want && interp && seen && entries && stack;
  if (ok) ok = quick_osr_plan(s, def, unit, done, opt, interp, seen, stack, &w);
  scratch_free(&w);
  if (ok) {
    want[def] = true;
    const void *entry = NULL;
    char err[256] = "";
    double t0 = now_ms();
    wasm_jit_unit u = {.unit = unit, .done = done, .poll_entry = s->recursive,
                       .may_leave = s->may_leave, .closed_tables = s->closed_tables, .osr = want,
                       .done_optimised = opt, .interp = interp, .internal = true, .quick = true, .osr_entries = entries,
                       .stop = stop};
    bool made = wasm_native_link_unit(&s->jit, s->m, &u, err, sizeof err) && (entry = entries[def]);
    /* A failed quick unit: the optimised entry at once (ok false). */
    if (!publish_begin(made, stop)) ok = true; /* abandoned: exit has begun */
    else {
      ok = made;
      if (made) publish_osr(s, def, entry, true);
      publish_end(stop);
      if (debug)
        fprintf(stderr, "tova native: quick OSR entry of function %u %s in %.1f ms (%.1f ms after the module was compiled)%s%s\n",
                def, made ? "ready" : "failed", now_ms() - t0, now_ms() - s->made_ms, err[0] ? ": " : "", err);
    }
  }
  free(unit);
  free(done);
  free(opt);
  free(want);
  free(interp);
  free(seen);
  free(entries);
  free(stack);
  return ok;
}

/* def's OSR entry (compile_lock held): one unit with the entry and copies
 * of what it calls that no unit can link to (functions of units made
 * internal, or not compiled yet), linked to the rest. At once when
 * wasm_native_entry_first (tiering.h: a long first call moves to native code one
 * compile sooner, and def's own code waits for a second call); else after
 * def's own code and what it calls (then native and mostly linkable: few
 * copies). */
static bool osr_unit(native_state *s, uint32_t def, bool cache_only, bool (*stop)(void));

static bool compile_osr(native_state *s, uint32_t def, bool (*stop)(void), bool (*yield)(void)) {
  uint8_t os = __atomic_load_n(&s->osr_status[def], __ATOMIC_ACQUIRE);
  if (os == OSR_READY) return true;
  propagate_failures(s);
  /* A quick entry first where it pays (tiering.h OSR_QUICK), then the
   * optimised one as soon as the compiler has nothing hotter to do
   * (PRIO_WARM): the call runs its quick code meanwhile, about 3x slower
   * than the optimised code would, so an idle compiler's time is best
   * spent on the entry. (It waited before as long as it takes to compile,
   * a ski rental against the quick code, while the compiler sat idle:
   * bench/kernels' fannkuch and nbody first calls 353 -> 308 and 396 ->
   * 325 ms.) The test policy (TOVA_TIER=osr) asks at once. */
  if (os != OSR_QUICK && os != OSR_FAILED && quick_osr(s, def, stop)) {
    if (!wasm_native_quick_only())
      wasm_native_queue(s->m, def | WASM_NATIVE_OSR_REQ, s->osr_test ? PRIO_OSR : PRIO_WARM, 0);
    return true;
  }
  bool first = wasm_native_entry_first(s, def);
  size_t max = wasm_native_max_closure();
  if (!first && closure_bytes(s, &def, 1, W_OPT, max) > max) {
    /* too big (tiering.h wasm_native_max_closure): a quick entry stays */
    if (os != OSR_QUICK) __atomic_store_n(&s->osr_status[def], OSR_FAILED, __ATOMIC_RELEASE);
    if (debug) fprintf(stderr, "tova native: no optimised OSR entry of function %u: its closure is too big\n", def);
    return true;
  }
  if (!first && !compile_closure(s, &def, 1, W_OPT, stop, yield)) return false;
  if (stop && stop()) return true;
  /* def's own unit made its entry (a function that calls imports gets one
   * there: compile_unit) */
  if (__atomic_load_n(&s->osr_status[def], __ATOMIC_ACQUIRE) == OSR_READY) return true;
  osr_unit(s, def, false, stop);
  return true;
}

/* The unit of def's optimised OSR entry (compile_lock held; def's closure
 * native or compilable): copies of what it calls that no unit links to.
 * False when it was not made (failed: OSR_FAILED; or with cache_only, not
 * in the cache: nothing changes). */
static bool osr_unit(native_state *s, uint32_t def, bool cache_only, bool (*stop)(void)) {
  uint32_t nd = s->ndefs;
  /* unit[] has an entry per node: a group's marks it walked through */
  bool *unit = calloc(s->nnodes + 1, sizeof *unit), *done = calloc(nd + 1, sizeof *done);
  bool *want = calloc(nd + 1, sizeof *want);
  const void **entries = calloc(nd + 1, sizeof *entries);
  uint32_t *stack = malloc(((size_t)s->nnodes + 1) * sizeof *stack);
  bool ok = unit && done && want && entries && stack && (s->status[def] == ST_NATIVE || pending(s, def));
  if (want) want[def] = true;
  uint32_t sp = 0;
  if (ok) stack[sp++] = def; /* def itself is needed only if it calls itself: then it is a callee */
  while (ok && sp) { /* depth-first over the callees of the entry (def's body) and of the copies */
    uint32_t v = stack[--sp];
    for (uint32_t k = s->cg_start[v]; k < s->cg_start[v + 1] && ok; k++) {
      uint32_t c = s->cg_edges[k];
      if (c >= nd) { /* a group: through to its functions, once */
        if (!unit[c]) unit[c] = true, stack[sp++] = c;
        continue;
      }
      if (unit[c] || done[c]) continue;
      /* def's closure is native (compiled first) or native or compilable (entry first) */
      ok = s->status[c] == ST_NATIVE || pending(s, c);
      if (s->status[c] == ST_NATIVE && s->linkable[c]) done[c] = true;
      else unit[c] = true, stack[sp++] = c;
    }
  }
  const void *entry = NULL;
  char err[256] = "";
  double t0 = now_ms();
  wasm_jit_unit u = {.unit = unit, .done = done, .poll_entry = s->recursive,
                     .may_leave = s->may_leave, .closed_tables = s->closed_tables, .osr = want, .internal = true,
                     .cache_only = cache_only, .osr_entries = entries, .stop = stop};
  if (ok) ok = wasm_native_link_unit(&s->jit, s->m, &u, err, sizeof err) && (entry = entries[def]);
  free(unit);
  free(done);
  free(entries);
  free(stack);
  if (!ok && cache_only) {
    free(want);
    return false;
  }
  if (!publish_begin(ok, stop)) { /* abandoned */
    free(want);
    return false;
  }
  if (ok && s->status[def] != ST_NATIVE) __atomic_fetch_add(&osr_before_own_code, 1, __ATOMIC_RELAXED);
  if (ok) publish_osr(s, def, entry, false);
  else __atomic_store_n(&s->osr_status[def], OSR_FAILED, __ATOMIC_RELEASE);
  publish_end(stop);
  if (ok) note_cached_unit(s, WASM_MANIFEST_OSR, true, want, cache_only);
  free(want);
  if (debug)
    fprintf(stderr, "tova native: OSR entry of function %u %s in %.1f ms (%.1f ms after the module was compiled)%s%s\n", def,
            ok ? "ready" : "failed", now_ms() - t0, now_ms() - s->made_ms, err[0] ? ": " : "", err);
  return ok;
}

/* A request of hot functions (compile_lock held; several when the
 * compiler merged small ones): the roots quick_first picks get their quick
 * pass, the others their optimised compile, and then false when there was
 * a quick pass: the compiler queues the request again, and the optimised
 * compile comes after what is due meanwhile (other functions' quick passes
 * first: wasm_native_request_bytes). Each root is weighed alone, so that a
 * small function merged with a big one is not held back by the big one's
 * quick pass. */
static bool compile_hot(native_state *s, const uint32_t *roots, uint32_t n, bool (*stop)(void),
                        bool (*yield)(void)) {
  uint32_t *quick = malloc(((size_t)n + 1) * sizeof *quick), *opt = malloc(((size_t)n + 1) * sizeof *opt);
  uint32_t nq = 0, no = 0;
  size_t q;
  for (uint32_t i = 0; i < n; i++) {
    if (quick && opt && quick_first(s, &roots[i], 1, &q)) quick[nq++] = roots[i];
    else if (opt) opt[no++] = roots[i];
  }
  bool done = true;
  if (nq) {
    done = compile_closure(s, quick, nq, W_QUICK, stop, yield);
    /* TOVA_NATIVE_QUICK=only: done, unless a root's quick unit failed
     * (then optimised, as always). */
    for (uint32_t i = 0; i < nq && done; i++)
      done = quick[i] == WASM_NATIVE_ALL || quick[i] >= s->ndefs || !pending(s, quick[i]) ||
             s->qstatus[quick[i]] == QK_NATIVE;
    done = done && wasm_native_quick_only();
  }
  /* Past the most an optimised closure compiles (tiering.h): the roots
   * alone, with copies of their small callees, calling the rest through
   * stubs (W_SPLIT). */
  uint32_t nkeep = 0, nsplit = 0;
  size_t max = wasm_native_max_closure();
  for (uint32_t i = 0; opt && i < no; i++) {
    size_t bytes = opt[i] < s->ndefs ? closure_bytes(s, &opt[i], 1, W_OPT, max) : 0;
    if (!quick || bytes == SIZE_MAX || bytes <= max) opt[nkeep++] = opt[i];
    else quick[nsplit++] = opt[i]; /* quick[] is free again */
  }
  no = nkeep;
  if (nsplit && debug)
    fprintf(stderr, "tova native: %u functions' closures are over %zu bytes: compiled apart\n", nsplit, max);
  if (nsplit && !(stop && stop())) done = compile_closure(s, quick, nsplit, W_SPLIT, stop, yield) && done;
  if (no && !(stop && stop())) done = compile_closure(s, opt, no, W_OPT, stop, yield) && done;
  else if (!opt) done = compile_closure(s, roots, n, W_OPT, stop, yield); /* no memory: as before */
  free(quick);
  free(opt);
  return done;
}

/* The units of the module's last run (manifest.h), linked from the cache
 * in their order (compile_lock held), each only while the state matches
 * the record (its functions still to compile, its entry not made): a
 * unit's cache key covers what it depends on, so the first one missing
 * ends the replay, and the functions it would have held are compiled as
 * usual once hot. */
static void replay(native_state *s, bool (*stop)(void)) {
  wasm_native_manifest mf;
  if (!wasm_native_manifest_load(s->m, &mf)) return; /* a module never run before */
  bool *unit = calloc(s->ndefs + 1, sizeof *unit);
  size_t pos = 0;
  uint32_t linked = 0, listed = 0;
  wasm_native_manifest_record rec;
  /* (the records counted only for the debug line: replaying walks them once) */
  for (size_t p = 0; debug && wasm_native_manifest_next(&mf, &p, &rec);) listed++;
  while (unit && !(stop && stop()) && wasm_native_manifest_next(&mf, &pos, &rec)) {
    bool fits = rec.n > 0 && (rec.kind == WASM_MANIFEST_UNIT || (rec.kind == WASM_MANIFEST_OSR && rec.n == 1));
    for (uint32_t i = 0; i < rec.n && fits; i++) {
      uint32_t d = wasm_native_manifest_def(&rec, i);
      fits = d < s->ndefs && (rec.kind == WASM_MANIFEST_OSR
                                  ? __atomic_load_n(&s->osr_status[d], __ATOMIC_ACQUIRE) != OSR_READY &&
                                        (s->status[d] == ST_NATIVE || pending(s, d))
                                  : pending(s, d) && !unit[d]);
      if (rec.kind == WASM_MANIFEST_UNIT && fits) unit[d] = true;
    }
    bool ok = fits && (rec.kind == WASM_MANIFEST_OSR
                           ? osr_unit(s, wasm_native_manifest_def(&rec, 0), true, stop)
                           : compile_unit(s, unit, rec.internal, false, true, stop));
    memset(unit, 0, (s->ndefs + 1) * sizeof *unit);
    if (!ok) break;
    linked++;
  }
  if (debug)
    fprintf(stderr, "tova native: %u of the %u units of the module's last run linked from the cache\n", linked,
            listed);
  free(unit);
  wasm_native_manifest_free(&mf);
}

bool wasm_native_compile_request(tova_module *m, uint32_t root, bool (*stop)(void), bool (*yield)(void)) {
  bool done = true;
  pthread_mutex_lock(&compile_lock);
  native_state *s = state_get(m);
  if (s && root == WASM_NATIVE_REPLAY) {
    replay(s, stop);
  } else if (s && root != WASM_NATIVE_ALL && (root & WASM_NATIVE_OSR_REQ)) {
    uint32_t def = root & ~WASM_NATIVE_OSR_REQ;
    if (def < s->ndefs) done = compile_osr(s, def, stop, yield);
  } else if (s) {
    done = compile_hot(s, &root, 1, stop, yield);
  }
  pthread_mutex_unlock(&compile_lock);
  return done;
}

bool wasm_native_compile_requests(tova_module *m, const uint32_t *defs, uint32_t n, bool (*stop)(void),
                                  bool (*yield)(void)) {
  bool done = true;
  pthread_mutex_lock(&compile_lock);
  native_state *s = n ? state_get(m) : NULL;
  if (s) done = compile_hot(s, defs, n, stop, yield);
  pthread_mutex_unlock(&compile_lock);
  return done;
}

void wasm_native_compile_osr_now(tova_module *m, uint32_t def) {
  /* A quick entry (TOVA_NATIVE_QUICK=0) has its optimised entry queued for
   * the background compiler, which makes it while calls run in the quick
   * one (osr.c: calls of even defs also leave at once, for tests). */
  wasm_native_compile_request(m, def | WASM_NATIVE_OSR_REQ, NULL, NULL);
}

uint32_t wasm_native_func_quick_count(const tova_module *m) {
  const native_state *s = m->native;
  return s ? __atomic_load_n(&s->nquick, __ATOMIC_RELAXED) : 0;
}

bool wasm_native_func_is_optimised(const tova_module *m, uint32_t func_index) {
  const native_state *s = m->native;
  if (!s || func_index < m->nimported_funcs) return false;
  uint32_t d = func_index - m->nimported_funcs;
  if (!m->func_defs[d].code) return false;
  wasm_cell *cells = __atomic_load_n(&m->func_defs[d].code->cells, __ATOMIC_ACQUIRE);
  return cells == &s->tramps[(size_t)d * WASM_CELLS_NATIVE_ENTER];
}

/* Quick code for every function that can have it (compile_lock held);
 * their calls of functions on cycles of calls (printf's machinery through
 * its function pointers, in a C program) go through the interpreter. */
static void compile_quick_module(native_state *s) {
  uint32_t nd = s->ndefs, n = 0;
  uint32_t *roots = malloc(((size_t)nd + 1) * sizeof *roots);
  for (uint32_t d = 0; roots && d < nd; d++)
    if (pending_quick(s, d)) roots[n++] = d;
  if (n) compile_closure(s, roots, n, W_QUICK, NULL, NULL);
  free(roots);
}

uint32_t wasm_native_compile_module(tova_module *m) {
  pthread_once(&tier_once, read_tier);
  pthread_mutex_lock(&compile_lock);
  native_state *s = state_get(m);
  if (s) {
    propagate_failures(s);
    /* TOVA_NATIVE_QUICK=only (tests): quick code alone. */
    bool only = wasm_native_quick_only();
    if (only) compile_quick_module(s);
    bool *unit = only ? NULL : calloc(s->ndefs + 1, sizeof *unit);
    uint32_t n = 0;
    size_t bytes = 0;
    for (uint32_t d = 0; unit && d < s->ndefs; d++)
      if ((unit[d] = pending(s, d))) n++, bytes += m->func_defs[d].body_len;
    /* More than wasm_native_max_closure (TOVA_NATIVE_MAX_CLOSURE: tests):
     * in W_SPLIT units, each calling the others through stubs. */
    uint32_t all = WASM_NATIVE_ALL;
    if (n && bytes > wasm_native_max_closure()) compile_closure(s, &all, 1, W_SPLIT, NULL, NULL);
    else if (n) compile_unit(s, unit, true, false, false, NULL);
    free(unit);
  }
  uint32_t r = s ? s->nnative : 0; /* and those with quick code alone */
  for (uint32_t d = 0; s && d < s->ndefs; d++) r += s->status[d] != ST_NATIVE && s->qstatus[d] == QK_NATIVE;
  pthread_mutex_unlock(&compile_lock);
  return r;
}

/* Whether defined function d's body has a `loop` (an OSR entry has a
 * header to enter at). */
static bool has_loop(const tova_module *m, uint32_t d) {
  const wasm_func_def *fd = &m->func_defs[d];
  wasm_reader r;
  wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
  wasm_instr in;
  while (r.p < r.end && wasm_read_instr(&r, &in))
    if (in.op == WASM_OP_LOOP) return true;
  return false;
}

bool wasm_native_precompile(tova_module *m, uint32_t *units, char *why, size_t len) {
  *units = 0;
  if (!m->loop_counters) {
    snprintf(why, len, "the module was compiled under the %s policy; its runs keep no list of units: "
             "precompile under the default (auto) or tiered policy",
             wasm_native_tier_name(wasm_native_tier()));
    return false;
  }
  if (!wasm_native_cache_dir()) {
    snprintf(why, len, "no code cache to keep the code in (tova_set_code_cache, TOVA_CACHE_DIR)");
    return false;
  }
  pthread_mutex_lock(&compile_lock);
  native_state *s = state_get(m);
  bool ok = s != NULL && s->keeps_manifest;
  if (!ok) snprintf(why, len, "the module has no function that may run native");
  bool *unit = ok ? calloc(s->ndefs + 1, sizeof *unit) : NULL;
  if (ok && !unit) snprintf(why, len, "out of memory"), ok = false;
  /* What the cache lists already first (as a later run would), so that
   * only what is missing is compiled. */
  if (ok) replay(s, NULL);
  uint32_t n = 0;
  /* The module's pending functions in one unit, linkable (the OSR entries
   * below call them): what a later run replays first. Whole, whatever its
   * size: this is the ahead-of-time compile, where LLVM's time is spent
   * once (a run's closures over wasm_native_max_closure are split and call
   * each other through stubs, which the cache cannot hold). */
  for (uint32_t d = 0; ok && d < s->ndefs; d++) n += unit[d] = pending(s, d);
  if (ok && n && !compile_unit(s, unit, false, false, false, NULL)) {
    snprintf(why, len, "the module's functions did not compile (TOVA_NATIVE_DEBUG=1 says why)");
    ok = false;
  }
  /* An OSR entry for every native function with a loop, so that a call a
   * later run started interpreted (before its list was linked) moves to
   * native code at its next loop header. */
  for (uint32_t d = 0; ok && d < s->ndefs; d++)
    if (s->status[d] == ST_NATIVE && __atomic_load_n(&s->osr_status[d], __ATOMIC_ACQUIRE) != OSR_READY &&
        has_loop(m, d))
      osr_unit(s, d, false, NULL);
  /* What later runs link: every record of the module's list. */
  wasm_native_manifest_record rec;
  for (size_t pos = 0; ok && wasm_native_manifest_next(&s->manifest, &pos, &rec);) (*units)++;
  free(unit);
  pthread_mutex_unlock(&compile_lock);
  return ok;
}

uint64_t wasm_native_left_count(const tova_module *m) {
  const native_state *s = m->native;
  return s ? __atomic_load_n(&s->left, __ATOMIC_RELAXED) : 0;
}

uint64_t wasm_native_resumed_count(const tova_module *m) {
  const native_state *s = m->native;
  return s ? __atomic_load_n(&s->resumed, __ATOMIC_RELAXED) : 0;
}

uint64_t wasm_native_interp_call_count(const tova_module *m) {
  const native_state *s = m->native;
  return s ? __atomic_load_n(&s->interp_calls, __ATOMIC_RELAXED) : 0;
}

bool wasm_native_func_is_native(const tova_module *m, uint32_t func_index) {
  if (func_index < m->nimported_funcs) return false;
  wasm_code *code = m->func_defs[func_index - m->nimported_funcs].code;
  if (!code) return false;
  wasm_cell *cells = __atomic_load_n(&code->cells, __ATOMIC_ACQUIRE);
  return cells[0].h == wasm_interp_handlers()[WASM_IOP_NATIVE_ENTER];
}

void wasm_native_module_free(tova_module *m) {
  native_state *s = m->native;
  if (!s) return;
  /* Give the codes their own cells back: wasm_code_free frees those. Nothing
   * else can hold the module now (the compiler's requests retain it). */
  for (uint32_t d = 0; d < s->ndefs; d++) {
    if (!s->orig[d]) continue;
    m->func_defs[d].code->cells = s->orig[d];
    m->func_defs[d].code->ncells = s->orig_ncells[d];
  }
  state_free(s);
  m->native = NULL;
}

/* ---------------- the tiered modes: counters and requests ---------------- */

/* Put the call counter in front of every function still interpreted. */
static void install_counters(native_state *s) {
  s->counters = calloc((size_t)s->ndefs * 5 + 1, sizeof *s->counters);
  if (!s->counters) return;
  const void *handler = wasm_interp_handlers()[WASM_IOP_HOT_COUNT];
  for (uint32_t d = 0; d < s->ndefs; d++) {
    if (!pending(s, d)) continue;
    wasm_cell *c = &s->counters[(size_t)d * 5];
    c[0].h = handler;
    c[1].u = 2;
    c[2].p = s->orig[d];
    c[3].p = (const void *)(wasm_native_hot_hook)wasm_native_hot;
    c[4].p = s;
    wasm_code *code = s->m->func_defs[d].code;
    __atomic_store_n(&code->ncells, 5, __ATOMIC_RELAXED);
    __atomic_store_n(&code->cells, c, __ATOMIC_RELEASE);
  }
}

void wasm_native_module_compiled(tova_module *m) {
  wasm_tier tier = wasm_native_tier();
  if (tier == WASM_TIER_INTERP) return;
  if (tier == WASM_TIER_NATIVE) {
    /* TOVA_NATIVE_QUICK=0 (tests): quick code now, and the optimised code
     * replaces it mid-run, from the background compiler (recursive
     * functions, never quick, start interpreted). */
    if (wasm_native_quick_min() == 0 && !wasm_native_quick_only()) {
      wasm_native_compiler_init();
      pthread_mutex_lock(&compile_lock);
      native_state *s = state_get(m);
      if (s) compile_quick_module(s);
      pthread_mutex_unlock(&compile_lock);
      if (s) wasm_native_queue(m, WASM_NATIVE_ALL, PRIO_HOT, 0);
      return;
    }
    wasm_native_compile_module(m);
    return;
  }
  /* No compile_lock below: m is not yet visible to any other thread
   * (tova_module_compile calls this before it returns m), so its state is
   * made and its counters installed by this thread alone, and the queue's
   * lock publishes them to the compiler. compile_lock is held for whole
   * LLVM compiles of other modules, which compiling a new module must not
   * wait for (a second module's first call waited for the first module's
   * unit). */
  if (tier == WASM_TIER_OSR) { /* the state the loop hook needs; no counters */
    /* TOVA_NATIVE_QUICK=0: quick entries, whose optimised entries the
     * background compiler makes (wasm_native_compile_osr_now) */
    if (wasm_native_quick_min() == 0 && !wasm_native_quick_only()) wasm_native_compiler_init();
    native_state *s = state_get(m);
    if (s) s->osr_test = true;
    return;
  }
  wasm_native_compiler_init();
  native_state *s = state_get(m);
  uint32_t n = 0;
  for (uint32_t d = 0; s && d < s->ndefs; d++) n += pending(s, d);
  if (n) install_counters(s);
  if (!n) return;
  /* What the module's last run compiled, from the cache, before anything
   * runs hot (manifest.h); the requests below find those units done. Its
   * list is read (and the module's bytes hashed for its key) on the
   * compiler thread, which loads LLVM only if there is a unit to link. Only
   * in the tiered modes, where which units a run compiles depends on
   * timing (under `native` it is the same every run, and the units' own
   * keys find them; its units could not serve a tiered run anyway: the
   * interpreter's layout differs, module.h loop_counters). */
  s->keeps_manifest = wasm_native_cache_dir() != NULL;
  if (s->keeps_manifest) wasm_native_queue(m, WASM_NATIVE_REPLAY, PRIO_OSR, 0);
  /* Small modules (Tova's @wasm modules, kernels) compile whole at once, so
   * their first calls go native soonest; `tiered` does so for every module,
   * behind whatever is hot. */
  if (wasm_native_small_module(m))
    wasm_native_queue(m, WASM_NATIVE_ALL, PRIO_HOT, WASM_NATIVE_SMALL_GRACE_MS);
  else if (tier == WASM_TIER_TIERED)
    wasm_native_queue(m, WASM_NATIVE_ALL, PRIO_EAGER, 0);
}
