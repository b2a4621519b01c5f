/*
 * backend.h: where the part of the native tier that runs LLVM lives.
 *
 * The backend is jit.c, translate.c, widen.c, code_range.c and perfmap.c
 * with LLVM itself (tens of megabytes). The rest of the tier (tier.c,
 * compiler.c, osr.c, eligible.c, preempt.c, rt.c: when to compile, entering
 * and leaving native code, stopping it; cache.c and manifest.c: the files of
 * the on-disk cache; link.c and objlink.c: linking cached units without
 * LLVM) only calls jit.h's backend functions and the functions below. The backend is either
 *
 *   DIRECT (backend/direct.c, backend/direct_exit.c): linked into the same
 *     binary, as the library the C tests link (with LLVM's shared library);
 *     or
 *   SPLIT (backend/loader.c, backend/entry.c): a shared object of its own,
 *     tova_llvm.so, beside the binary that loads it (the addon, the CLI),
 *     opened on first use. A process that loads the addon pays nothing for
 *     LLVM until it compiles: loading LLVM linked in costs every process
 *     ~5 ms of relocations and static constructors, about Bun's own start-up
 *     time, whether it compiles anything or not.
 *
 * A missing or unloadable backend is not an error: every function stays
 * interpreted, the units fail with the reason (TOVA_NATIVE_DEBUG=1 prints
 * it) and the runtime's description says why there is no native tier.
 */
#ifndef TOVA_ENGINE_NATIVE_BACKEND_H
#define TOVA_ENGINE_NATIVE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/instr.h"
#include "engine/module.h"
#include "engine/native/cache.h"
#include "engine/native/jit.h"
#include "engine/native/rt.h"

/* Loads the backend if it is not yet (once per process; later calls give
 * the first answer). False with the reason in why when there is none. */
bool wasm_backend_load(char *why, size_t len);

/* Whether the backend is being loaded right now (some thread is inside
 * wasm_backend_load's first call): tova_native_loading (tova.h). */
bool wasm_backend_loading(void);

/* Whether LLVM's static objects are never destroyed at exit in this
 * process (backend/exit_dtors.c). Then the compiler's exit handler need not
 * run before them, so LLVM can start up on the compiler thread; else the
 * first tiered module builds LLVM's lazy statics on its caller's thread
 * before the handler is registered (compiler.c). Known without loading. */
bool wasm_backend_exit_safe(void);

/* LLVM's version (loads the backend; false when there is none). */
bool wasm_backend_llvm_version(unsigned *major, unsigned *minor, unsigned *patch);

/* Whether the backend is loaded (never loads it). */
bool wasm_backend_loaded(void);

/* Which backend this process would load, as text that changes whenever
 * its file does (path, device, inode, size, modification time), without
 * loading it: part of what link.c remembers the target text under. False
 * when there is no such file (the direct backend: it is always loaded). */
bool wasm_backend_identity(char *out, size_t cap);

/* ---- the split backend's interface (loader.c <-> entry.c) ---- */

/* The hash of the native tier's sources and the engine's headers (CMake
 * passes it to cache.c, loader.c and entry.c): both sides of the split and
 * the on-disk cache's key. */
#ifndef TOVA_NATIVE_BUILD_ID
#define TOVA_NATIVE_BUILD_ID "unknown"
#endif

/* The one symbol tova_llvm.so exports. */
#define WASM_BACKEND_OPEN_SYMBOL "tova_llvm_backend_open"

/* What the backend calls in the binary that loaded it: the state these
 * functions keep (preemption's code ranges and signal handler, the
 * helpers' addresses) must be the loader's, never a copy. */
typedef struct wasm_backend_host {
  const char *build_id; /* both sides' TOVA_NATIVE_BUILD_ID: a backend of another build is refused */
  bool (*preempt_init)(void);
  bool (*preempt_active)(void);
  bool (*preempt_add_code)(uintptr_t start, size_t size, uint32_t *id);
  void (*preempt_remove_code)(uint32_t id);
  const wasm_native_helper *(*helper_list)(void);
  bool (*read_instr)(wasm_reader *r, wasm_instr *in);
  /* the on-disk cache (cache.h): files, no LLVM, so the loader's */
  void (*cache_store)(const wasm_native_cache_key *key, const uint8_t *obj, size_t size);
} wasm_backend_host;

/* What the backend gives the loader: jit.h's backend functions and LLVM's
 * version. */
typedef struct wasm_backend_ops {
  bool (*add_unit)(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, char *err, size_t errlen);
  void (*free)(wasm_jit *j);
  bool (*target_text)(wasm_jit *j, char *out, size_t cap);
  bool (*lookup)(wasm_jit *j, const char *name, uintptr_t *addr);
  void (*llvm_version)(unsigned *major, unsigned *minor, unsigned *patch);
} wasm_backend_ops;

/* tova_llvm_backend_open: NULL with the reason in why when it refuses
 * (another build). host must outlive the process's use of the backend. */
typedef const wasm_backend_ops *(*wasm_backend_open_fn)(const wasm_backend_host *host, char *why,
                                                        size_t len);

#endif /* TOVA_ENGINE_NATIVE_BACKEND_H */
