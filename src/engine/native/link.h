/*
 * link.h: where a unit's code comes from (link.c): the on-disk cache,
 * linked by our own linker (objlink.h) with no LLVM at all when it can,
 * else the backend (jit.h), which links the cached object or compiles the
 * unit (and keeps it in the cache). The tier (tier.c) adds every unit
 * through here.
 *
 * A unit's cache key includes the backend's target text (LLVM's version,
 * the CPU and its features, the options: jit.h wasm_jit_target_text),
 * which only LLVM can tell. So that a process need not load LLVM to find
 * its units, the text is remembered in the cache (a `.target` entry) under
 * what this process can tell without LLVM: which backend file it would
 * load (backend.h wasm_backend_identity), the CPU as the kernel describes
 * it (/proc/cpuinfo's model and feature flags, the auxiliary vector's
 * hardware capabilities), the code generation options in the environment
 * and the preemption mode. A machine without that description (not
 * Linux), or a text not yet remembered, loads LLVM as before. Once LLVM
 * is loaded its own text is used (and remembered).
 */
#ifndef TOVA_ENGINE_NATIVE_LINK_H
#define TOVA_ENGINE_NATIVE_LINK_H

#include "engine/native/jit.h"

/* Unit u of m into j (compile_lock held): as wasm_jit_add_unit (jit.h),
 * the cache consulted first. */
bool wasm_native_link_unit(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, char *err, size_t errlen);

/* Frees everything j holds: its code is unmapped (nothing may run it). */
void wasm_native_link_free(wasm_jit *j);

/* How many units this process linked with its own linker (tests), and how
 * many LLVM compiled (not found in the cache). */
uint32_t wasm_native_linked_without_llvm(void);
uint32_t wasm_native_units_compiled(void);

#endif /* TOVA_ENGINE_NATIVE_LINK_H */
