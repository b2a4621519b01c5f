/*
 * jit.h: compiling a module's functions with LLVM (jit.c), one unit at a
 * time into the module's one LLJIT.
 */
#ifndef TOVA_ENGINE_NATIVE_JIT_H
#define TOVA_ENGINE_NATIVE_JIT_H

#include "engine/module.h"
#include "engine/native/cache.h"
#include "engine/native/objlink.h"

typedef struct wasm_jit {
  void *jit; /* LLVMOrcLLJITRef, made by the first unit: owns every optimised unit's code */
  /* The quick tier's own LLJIT (made by the first quick unit): its units
   * define the same names as the optimised ones, so they cannot share a
   * JIT. Optimised functions that quick code calls are defined in it as
   * absolute symbols (aliased[def]), at the address the optimised JIT gave
   * them. */
  void *quick_jit;
  bool *aliased;
  uint32_t *ranges; /* the units' code ranges registered for preemption (preempt.h) */
  uint32_t nranges, cap_ranges;
  /* Units linked from the cache by our own linker (objlink.h, link.c),
   * which no LLJIT has seen: their code and symbols. The optimised LLJIT
   * has been told where the functions of the first `told` are (absolute
   * symbols, jit.c tell_linked), so that later units may call them. */
  wasm_objlink_code **linked;
  uint32_t nlinked, cap_linked, told;
} wasm_jit;

/* One unit to compile (wasm_jit_add_unit). Arrays are indexed by defined
 * function (index minus the imported functions).
 *   unit: the functions compiled; done: those they may call that earlier
 *     units of this jit compiled (may be NULL); poll_entry: see
 *     wasm_native_translate.
 *   internal: no later unit will call these functions.
 *   osr (may be NULL): the functions that get an OSR entry (translate.h),
 *     into osr_entries[def]. A unit of OSR entries alone (no wrappers) holds
 *     its own internal copies of the functions they call that no unit can
 *     link to.
 *   wrappers: entries[def] receives each unit function's entry wrapper.
 *   quick: the quick tier: no IR passes and code generation at
 *     level 0 (about 10x cheaper to compile, code about 3x slower), into
 *     quick_jit; never cached. Its OSR entries leave at their loop headers
 *     for the optimised entry once there is one (translate.h tier_up).
 *     done_optimised[def]
 *     (quick only, may be NULL): a done function whose code is the
 *     optimised JIT's (a linkable function of an earlier optimised unit,
 *     without quick code): called through its address.
 *   interp (may be NULL): functions the unit calls that it neither
 *     compiles nor finds done: called through stubs (translate.h interp);
 *     such a unit is never cached.
 *   fns (may be NULL; not with internal): fns[def] receives the address of
 *     each unit function's code (WASM_NATIVE_FUNC_FMT), which other units'
 *     quick code may call through its slot (rt.h wasm_native_ctx.slots).
 *   cache_only: link the unit's object from the on-disk cache (cache.h) or
 *     fail with "not in the cache": nothing is compiled (tier.c's replay of
 *     a module's earlier runs, manifest.h).
 *   stop (may be NULL): asked between the phases; true abandons the unit. */
typedef struct wasm_jit_unit {
  const bool *unit, *done, *poll_entry, *osr, *done_optimised, *interp;
  const bool *may_leave, *closed_tables; /* the module's (translate.h) */
  bool internal, wrappers, quick, cache_only;
  const void **entries, **osr_entries, **fns;
  bool (*stop)(void);
  /* Set by link.c (the tier calls wasm_native_link_unit, never the
   * backend directly): the unit's object from the cache, to link instead
   * of compiling (NULL: compile); the key to keep a compiled object under
   * (NULL: not cached). */
  const uint8_t *object;
  size_t object_size;
  const wasm_native_cache_key *cache_key;
} wasm_jit_unit;

/* The backend (backend.h): translate, verify, optimise (jit.c's pipeline)
 * and compile unit u of m, or link u->object. False with a reason in err:
 * the unit's functions have no code then. */
bool wasm_jit_add_unit(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, char *err, size_t errlen);
/* Frees the LLJITs (and their code); link.c frees the rest of j. */
void wasm_jit_free(wasm_jit *j);
/* What the code depends on besides the module, as text (the cache key's
 * `target`: LLVM's version, the triple, the host CPU and its features,
 * the options); false when there is no backend. */
bool wasm_jit_target_text(wasm_jit *j, char *out, size_t cap);
/* The address of `name` in j's optimised LLJIT; false when it has none. */
bool wasm_jit_lookup(wasm_jit *j, const char *name, uintptr_t *addr);

#endif /* TOVA_ENGINE_NATIVE_JIT_H */
