/*
 * jit.h: compiling a module's functions with LLVM (jit.c), one unit at a
 * time into the module's one LLJIT.
 */
#ifndef TOVA_ENGINE_NATIVE_JIT_H
#define TOVA_ENGINE_NATIVE_JIT_H

#include "engine/module.h"

typedef struct wasm_jit {
  void *jit; /* LLVMOrcLLJITRef, made by the first unit: owns every unit's code */
  uint32_t *ranges; /* the units' code ranges registered for preemption (preempt.h) */
  uint32_t nranges, cap_ranges;
} wasm_jit;

/* Translate, verify, optimise (jit.c's pipeline) and compile the functions with unit[def]
 * set, which may call those with done[def] set (earlier units of this jit;
 * done may be NULL). poll_entry: see wasm_native_translate. With wrappers,
 * entries[def] receives each one's entry wrapper; osr_entries[def] the OSR
 * entry of each def with osr[def] set (osr may be NULL; translate.h). A unit
 * of OSR entries alone (no wrappers) holds its own internal copies of the
 * functions they call that no unit can link to.
 * internal: no later unit will call these functions. stop (may be NULL) is
 * asked between the phases; when it says true the unit is abandoned. False
 * with a reason in err: the unit's functions have no code then. */
bool wasm_jit_add_unit(wasm_jit *j, const tova_module *m, const bool *unit, const bool *done,
                       const bool *poll_entry, bool internal, const bool *osr, bool wrappers,
                       const void **entries, const void **osr_entries, bool (*stop)(void), char *err,
                       size_t errlen);
void wasm_jit_free(wasm_jit *j);

#endif /* TOVA_ENGINE_NATIVE_JIT_H */
