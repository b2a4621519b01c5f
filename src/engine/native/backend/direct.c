/*
 * direct.c: the backend linked into the same binary (backend.h, DIRECT):
 * the library the C tests link, with LLVM's shared library. jit.c defines
 * wasm_jit_add_unit and wasm_jit_free itself.
 */
#include <llvm-c/Core.h>

#include "engine/native/backend.h"

bool wasm_backend_load(char *why, size_t len) {
  (void)why;
  (void)len;
  return true;
}

bool wasm_backend_loading(void) { return false; /* linked in: nothing to load */ }

bool wasm_backend_loaded(void) { return true; }

bool wasm_backend_identity(char *out, size_t cap) {
  (void)out;
  (void)cap;
  return false; /* linked in: always loaded, its target text asked directly */
}

bool wasm_backend_llvm_version(unsigned *major, unsigned *minor, unsigned *patch) {
  LLVMGetVersion(major, minor, patch);
  return true;
}
