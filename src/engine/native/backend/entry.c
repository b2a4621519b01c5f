/*
 * entry.c: the split backend's side (backend.h, SPLIT), linked into
 * tova_llvm.so with jit.c and the rest of the LLVM part: the one exported
 * symbol, and the functions of the loading binary the backend's code calls,
 * forwarded to it (their state must be the loader's).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "engine/native/backend.h"
#include "engine/native/native.h"
#include "engine/native/preempt.h"

/* The one binary this backend serves: its state (preemption's registry,
 * the helpers) is per binary, so a second copy of tova_runtime in the
 * process that finds this same file is refused, and runs interpreted. */
static const wasm_backend_host *_Atomic host;

bool wasm_native_preempt_init(void) { return host->preempt_init(); }
bool wasm_native_preempt_active(void) { return host->preempt_active(); }
bool wasm_native_preempt_add_code(uintptr_t start, size_t size, uint32_t *id) {
  return host->preempt_add_code(start, size, id);
}
void wasm_native_preempt_remove_code(uint32_t id) { host->preempt_remove_code(id); }
const wasm_native_helper *wasm_native_helper_list(void) { return host->helper_list(); }
bool wasm_read_instr(wasm_reader *r, wasm_instr *in) { return host->read_instr(r, in); }
void wasm_native_cache_store(const wasm_native_cache_key *key, const uint8_t *obj, size_t size) {
  host->cache_store(key, obj, size);
}

static void llvm_version(unsigned *major, unsigned *minor, unsigned *patch) {
  LLVMGetVersion(major, minor, patch);
}

static const wasm_backend_ops ops = {wasm_jit_add_unit, wasm_jit_free, wasm_jit_target_text, wasm_jit_lookup,
                                     llvm_version};

__attribute__((visibility("default"))) const wasm_backend_ops *
tova_llvm_backend_open(const wasm_backend_host *h, char *why, size_t len);

const wasm_backend_ops *tova_llvm_backend_open(const wasm_backend_host *h, char *why, size_t len) {
  /* The structures both sides share (modules, instructions, the native
   * context) are laid out by the headers of one build: refuse another's. */
  if (!h || !h->build_id || strcmp(h->build_id, TOVA_NATIVE_BUILD_ID) != 0) {
    snprintf(why, len, "it is from another build of tova_runtime (build %.16s, this one %.16s)",
             TOVA_NATIVE_BUILD_ID, h && h->build_id ? h->build_id : "?");
    return NULL;
  }
  const wasm_backend_host *none = NULL;
  if (!atomic_compare_exchange_strong(&host, &none, h) && none != h) {
    snprintf(why, len, "it already serves another copy of tova_runtime in this process");
    return NULL;
  }
  return &ops;
}
