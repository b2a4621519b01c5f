/*
 * cache.h: compiled units of native code kept on disk between processes
 * (cache.c), so that a module LLVM compiled once is not compiled again by
 * the next process that runs it.
 *
 * Where: TOVA_CACHE_DIR when set (empty: none), else what the embedder
 * chose (tova_set_code_cache: none by default, the user's cache directory
 * for the CLI and the addon); see docs/native-tier.md. A unit's entry is keyed by everything its code depends
 * on: the module's bytes and the layout of its interpreter code (loop
 * counters or not: native code leaves for the interpreter at offsets into
 * it), which functions the unit holds and which it may call in earlier
 * units, the translator's version, LLVM's version, the
 * target triple, the host CPU and its features, and the code generation
 * options. Entries are written atomically (a temporary file, then rename)
 * and checked when read (magic, key, size, checksum): a damaged or foreign
 * file is a miss, never a crash. The directory is bounded (TOVA_CACHE_MAX,
 * default 512 MiB): the least recently used entries go first (cache.c).
 */
#ifndef TOVA_ENGINE_NATIVE_CACHE_H
#define TOVA_ENGINE_NATIVE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/module.h"

typedef struct wasm_native_cache_key {
  uint8_t bytes[16];
} wasm_native_cache_key;

/* The directory (decided once, on first use), or NULL when there is none. */
const char *wasm_native_cache_dir(void);

/* tova_set_code_cache (where: its tova_code_cache value); false once the
 * directory has been decided. */
bool wasm_native_cache_choose(int where, const char *dir);

/* The key of a unit (see above); `target` names the code generator's
 * settings (triple, CPU, features, options) as one string. Called with the
 * native tier's compile lock held (the module's digest is computed once). */
void wasm_native_cache_key_of(const tova_module *m, const bool *unit, const bool *done,
                              const bool *poll_entry, bool internal, const char *target,
                              wasm_native_cache_key *out);

/* The key of something else kept for module m (not a unit: `name` says
 * what, e.g. manifest.h's list of units), for this build of the tier. */
void wasm_native_cache_key_named(const tova_module *m, const char *name, wasm_native_cache_key *out);

/* The key of something kept for no module (`name` says what: link.c's
 * target text of a machine), for this build of the tier. */
void wasm_native_cache_key_text(const char *name, wasm_native_cache_key *out);

/* The cached object of key: malloc'd bytes (*size of them), or NULL. */
uint8_t *wasm_native_cache_load(const wasm_native_cache_key *key, size_t *size);

/* Keep an object under key (best effort: failures are silent). */
void wasm_native_cache_store(const wasm_native_cache_key *key, const uint8_t *obj, size_t size);

/* The same for entries of another kind, told apart by the file's suffix
 * (bounded together with the units). */
#define WASM_NATIVE_CACHE_UNIT ".o"
#define WASM_NATIVE_CACHE_LIST ".list"     /* manifest.h */
#define WASM_NATIVE_CACHE_TARGET ".target" /* link.c */
uint8_t *wasm_native_cache_load_as(const wasm_native_cache_key *key, const char *suffix, size_t *size);
void wasm_native_cache_store_as(const wasm_native_cache_key *key, const char *suffix, const uint8_t *obj,
                                size_t size);

#endif /* TOVA_ENGINE_NATIVE_CACHE_H */
