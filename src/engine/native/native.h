/*
 * native.h: the native-code tier (LLVM ORC LLJIT) as the rest of the engine
 * sees it. Built only when CMake finds LLVM (TOVA_HAVE_NATIVE); without it
 * nothing here exists and every function runs in the interpreter.
 *
 * TIERS (TOVA_TIER in the environment, read once per process):
 *   auto    (the default) tiered: functions start interpreted, a call
 *           counter in front of each sends it to the background compiler
 *           (compiler.c), hot ones first; a module up to
 *           WASM_TIER_AUTO_MAX_BYTES is also queued whole at once.
 *   interp  every function runs in the interpreter.
 *   native  tova_module_compile translates every eligible function of the
 *           module to native code before it returns (synchronously), so the
 *           module never runs those functions interpreted.
 *   tiered  as auto, and a big module is queued whole too, behind what is hot.
 *   osr     for tests: see WASM_TIER_OSR.
 * In the tiered modes a call already running interpreted moves to native
 * code at a loop header (on-stack replacement, osr.c), so one long first
 * call does not stay interpreted to its end.
 * Process exit never waits for a long compile: compiler.c stops the
 * compiler after the phase in progress (see tiering.h for units).
 * Diagnostics (environment): TOVA_NATIVE_DEBUG=1 prints each compile unit
 * (its functions, the time of each phase) or why it stayed interpreted; TOVA_NATIVE_DUMP=1
 * prints the IR before and after optimisation; TOVA_NATIVE_PASSES overrides
 * the pipeline (jit.c) and TOVA_NATIVE_CG=0..3 the code generation
 * level (for measuring compile time against code speed); TOVA_NATIVE_PERFMAP=1
 * writes /tmp/perf-<pid>.map for profilers (perfmap.h); TOVA_NATIVE_PREEMPT=poll
 * makes native loops poll the interrupt flag instead of being stopped by a
 * signal (preempt.h); TOVA_NATIVE_BACKEND=<file> loads LLVM's part of the
 * tier from that file instead of tova_llvm.so beside the binary (backend.h);
 * TOVA_NATIVE_REENTER=always turns off the rule that keeps a loop which
 * parks on about every call out of native code (tiering.h), for tests.
 *
 * A function switches by having its code's cells replaced by the two-cell body
 * NATIVE_ENTER entry fn (compile.h), so every caller (interpreted call, import
 * call from another instance, tova_exec_call) reaches the native code through
 * the same path and the interpreter's hot loop has no extra check.
 *
 * ELIGIBILITY (one rule, eligible.c): native frames live on the C stack and
 * cannot park there. They leave instead: when an import parks (or is a
 * WebAssembly function of another instance), every native call from the
 * import's caller down to the entry writes its state into the interpreter's
 * frame it would have had, and the interpreter continues the innermost
 * (rt.h wasm_native_leave, wasm_native_leave_frame). So calling imports
 * keeps nothing interpreted: a function is eligible unless it does
 * call_indirect through a table other code could fill (imported, exported,
 * or written with computed references), or calls (transitively,
 * call_indirect targets included) a function that is not eligible. In Tova
 * terms: a producer loop that calls chan_send runs native, and so do the
 * pure function it calls per value and the function that calls the loop.
 */
#ifndef TOVA_ENGINE_NATIVE_NATIVE_H
#define TOVA_ENGINE_NATIVE_NATIVE_H

#include "engine/module.h"

typedef enum wasm_tier {
  WASM_TIER_TIERED = 0,
  WASM_TIER_INTERP = 1,
  WASM_TIER_NATIVE = 2,
  WASM_TIER_AUTO = 3, /* the default: tiered for small modules, interp for big ones */
  /* For tests (TOVA_TIER=osr): calls run interpreted (no call counters, no
   * switch to native code); the first pass over any loop header compiles
   * its function's OSR entry on the spot and every pass continues the call
   * there (osr.c), so every call that reaches a loop runs the on-stack
   * replacement path. */
  WASM_TIER_OSR = 4
} wasm_tier;
/* AUTO's whole-module limit: a module up to this many bytes is queued whole
 * for the background compiler when it is compiled (Tova's @wasm modules,
 * kernels: tens of milliseconds of LLVM), so its first calls go native
 * soonest; a bigger one compiles function by function as they get hot. */
#define WASM_TIER_AUTO_MAX_BYTES (16u << 10)
static inline bool wasm_native_small_module(const tova_module *m) {
  return m->len <= WASM_TIER_AUTO_MAX_BYTES;
}

/* The tier policy of this process (TOVA_TIER, read once). */
wasm_tier wasm_native_tier(void);
/* "interp", "native" or "tiered". */
const char *wasm_native_tier_name(wasm_tier t);
/* Override TOVA_TIER for this process (for a C API / `tova run --tier`
 * option); applies to modules compiled afterwards. */
void wasm_native_set_tier(wasm_tier t);
/* One line for `tova --version` / a runtime-info call, e.g.
 * "tiers: interp, native (LLVM 19.1.7); policy interp". */
void wasm_native_describe(char *buf, size_t len);

/* Called by tova_module_compile once the module is compiled and before it is
 * returned: applies the tier policy to it. Never fails: a module that cannot
 * be compiled natively keeps running in the interpreter. */
void wasm_native_module_compiled(tova_module *m);

/* On-stack replacement (osr.c): whether the interpreter should count the
 * loops of this module's functions (compile.h LOOP_HEAD), in the tiered
 * modes: then *lc says for which functions (lc->want, to free) and how. */
struct wasm_loop_counters;
bool wasm_native_loop_counters(const tova_module *m, struct wasm_loop_counters *lc);
/* How many calls have moved to native code at a loop header so far. */
uint64_t wasm_native_osr_count(void);
/* How many calls have moved from a quick OSR entry to their function's
 * optimised one at a loop header (tiering.h OSR_QUICK). */
uint64_t wasm_native_osr_tier_up_count(void);
/* How many OSR entries were compiled before their function's own code (a
 * small module's long first call: tiering.h WASM_NATIVE_OSR_EARLY_MS). */
uint64_t wasm_native_osr_early_count(void);

/* Compile the module's eligible functions now (synchronously) and switch them
 * to native code. Returns the number of functions switched. Idempotent. */
uint32_t wasm_native_compile_module(tova_module *m);

/* tova_module_precompile (tova.h): every function of m that may run
 * native compiled now, on this thread, into the code cache, and listed
 * (manifest.h) with an OSR entry for each function with a loop; *units:
 * how many units the module's list holds now (what later runs link). False with the reason in why (m compiled under
 * the interp or native policy, no cache, nothing that may run native, a
 * failed compile). */
bool wasm_native_precompile(tova_module *m, uint32_t *units, char *why, size_t len);

/* How many times native code of the module left for the interpreter (an
 * import parked, or was another instance's function: rt.h); for tests, and
 * approximate when several threads run the module. */
uint64_t wasm_native_left_count(const tova_module *m);
/* How many calls parked by native code resumed in native code (rt.h
 * wasm_native_resume); the same caveats. */
uint64_t wasm_native_resumed_count(const tova_module *m);
/* How many calls quick code had the interpreter make (rt.h
 * wasm_native_call_interp); the same caveats. */
uint64_t wasm_native_interp_call_count(const tova_module *m);

/* Whether function `func_index` (a defined function) currently runs native. */
bool wasm_native_func_is_native(const tova_module *m, uint32_t func_index);
/* Whether it runs the optimised tier's code (not the quick tier's; tests). */
bool wasm_native_func_is_optimised(const tova_module *m, uint32_t func_index);
/* How many of m's functions got quick code so far (tests). */
uint32_t wasm_native_func_quick_count(const tova_module *m);

/* Frees the module's native state and restores its codes (module free).
 * The background compiler holds a reference while it works on a module, so
 * none can be running on this one. */
void wasm_native_module_free(tova_module *m);

/* Eligibility of every function (eligible.c): out[i] for defined function i
 * (index minus nimported_funcs) is true when it may run native. */
void wasm_native_eligible(const tova_module *m, bool *out);
/* The same, plus which functions call imports (imports may be NULL; such a
 * function gets its OSR entry with the unit that compiles it, for its resume
 * points) and the call graph: nodes 0..n-1 are the defined functions, the
 * rest (up to *nnodes, which may be NULL) are GROUPS, one per function type
 * (up to equality) that the closed tables' segments hold, whose edges are
 * those functions; a call is an edge to its callee, a call_indirect through
 * a closed table an edge to its type's group (none when no segment function
 * has the type: the call always traps). Successors of node v at
 * (*edges)[(*start)[v] .. (*start)[v+1]), each once. The caller frees both;
 * false (both NULL, nothing eligible) when out of memory. closed (may be
 * NULL, else ntables entries): which tables are closed, which
 * the graph is built from: out[t] whether only this module's own
 * functions can ever be in table t (the top of eligible.c). */
bool wasm_native_callgraph(const tova_module *m, bool *out, bool *imports, uint32_t *nnodes, uint32_t **start,
                           uint32_t **edges, bool *closed);
/* out[v] for v < n (every node of the graph): whether v lies on a cycle of
 * the graph (start, edges) as wasm_native_callgraph gives it: for the
 * defined functions, the recursive ones. */
void wasm_native_in_cycle(uint32_t n, const uint32_t *start, const uint32_t *edges, bool *out);
/* out[d] for each defined function: whether its native code may leave for
 * the interpreter (rt.h): it calls an import, or calls (directly or through
 * a closed table) a function that may. From the graph wasm_native_callgraph
 * made (nnodes nodes, the first n the defined functions; imports[d] its
 * per-function answer). False when out of memory. */
bool wasm_native_may_leave(uint32_t n, uint32_t nnodes, const uint32_t *start, const uint32_t *edges,
                           const bool *imports, bool *out);

#endif /* TOVA_ENGINE_NATIVE_NATIVE_H */
