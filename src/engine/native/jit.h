/*
 * jit.h: compiling a module's eligible functions with LLVM (jit.c).
 */
#ifndef TOVA_ENGINE_NATIVE_JIT_H
#define TOVA_ENGINE_NATIVE_JIT_H

#include "engine/module.h"

typedef struct wasm_jit {
  void *jit;              /* LLVMOrcLLJITRef: owns the code */
  const void **entries;   /* per defined function: its entry wrapper, NULL if none */
} wasm_jit;

/* Translate, verify, optimise (O2) and compile every function with
 * eligible[def] set. False with a reason in err: nothing to free then. */
bool wasm_jit_compile(const tova_module *m, const bool *eligible, wasm_jit *out, char *err,
                      size_t errlen);
void wasm_jit_free(wasm_jit *j);

#endif /* TOVA_ENGINE_NATIVE_JIT_H */
