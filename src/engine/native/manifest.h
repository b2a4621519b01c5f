/*
 * manifest.h: which units of native code a module's last run compiled, in
 * order, kept in the on-disk cache (cache.h) beside the units themselves.
 *
 * Why: in the tiered modes, which units a run compiles depends on when its
 * functions turned hot, and a unit's cache key depends on the units before
 * it (which functions it may call by name), so a later process would find
 * its units in the cache only by compiling the same requests in the same
 * order, which timing rarely repeats. The manifest is that order: a process
 * that compiles a module with a manifest in the cache links the listed units
 * from the cache first (tier.c replay), before its functions have run,
 * and stops at the first one not there. A run that compiles units the
 * manifest does not list writes the manifest again: the units it replayed,
 * then the new ones.
 *
 * Only units the cache can hold are listed: optimised units (tier.c
 * compile_unit) and OSR entries' units (compile_osr); quick units and units
 * calling through stubs are never cached. A record lists defined-function
 * indexes; each unit's own key still decides whether its object fits (the
 * same functions, the same earlier units), so a stale or foreign manifest
 * costs a cache miss, never wrong code.
 *
 * Encoding (inside a cache entry, which checks size and checksum): records
 * of  kind (1 byte) | internal (1 byte) | n (u32 LE) | n defs (u32 LE each).
 */
#ifndef TOVA_ENGINE_NATIVE_MANIFEST_H
#define TOVA_ENGINE_NATIVE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/module.h"

enum {
  WASM_MANIFEST_UNIT = 1, /* an optimised unit: defs are its functions */
  WASM_MANIFEST_OSR = 2   /* the unit of one function's OSR entry: defs[0] */
};

typedef struct wasm_native_manifest {
  uint8_t *bytes;
  size_t len, cap;
} wasm_native_manifest;

typedef struct wasm_native_manifest_record {
  uint8_t kind;
  bool internal;
  uint32_t n;
  const uint8_t *defs; /* n u32 LE: wasm_native_manifest_def */
} wasm_native_manifest_record;

/* Appends a record of the defs with set[d] (ndefs entries); false when out
 * of memory (the manifest is then unchanged). */
bool wasm_native_manifest_add(wasm_native_manifest *mf, uint8_t kind, bool internal, const bool *set,
                              uint32_t ndefs);

/* The record at *pos into *rec, *pos past it; false at the end or at a
 * record that is not whole (the rest is ignored). */
bool wasm_native_manifest_next(const wasm_native_manifest *mf, size_t *pos, wasm_native_manifest_record *rec);

uint32_t wasm_native_manifest_def(const wasm_native_manifest_record *rec, uint32_t i);

/* m's manifest from the cache into *out (false when there is none, or no
 * cache); written (best effort) by save. */
bool wasm_native_manifest_load(const tova_module *m, wasm_native_manifest *out);
void wasm_native_manifest_save(const tova_module *m, const wasm_native_manifest *mf);

void wasm_native_manifest_free(wasm_native_manifest *mf);

#endif /* TOVA_ENGINE_NATIVE_MANIFEST_H */
