/*
 * manifest.c: the list of a module's cached units, in the order its last
 * run compiled them (manifest.h).
 */
#include "engine/native/manifest.h"

#include <stdlib.h>
#include <string.h>

#include "engine/native/cache.h"

#define RECORD_HEAD 6 /* kind, internal, n */
#define MANIFEST_NAME "manifest of units"

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool wasm_native_manifest_add(wasm_native_manifest *mf, uint8_t kind, bool internal, const bool *set,
                              uint32_t ndefs) {
  uint32_t n = 0;
  for (uint32_t d = 0; d < ndefs; d++) n += set[d];
  size_t need = mf->len + RECORD_HEAD + (size_t)n * 4;
  if (need > mf->cap) {
    size_t cap = mf->cap ? mf->cap : 256;
    while (cap < need) cap *= 2;
    uint8_t *b = realloc(mf->bytes, cap);
    if (!b) return false;
    mf->bytes = b;
    mf->cap = cap;
  }
  uint8_t *p = mf->bytes + mf->len;
  p[0] = kind;
  p[1] = internal;
  put_u32(p + 2, n);
  p += RECORD_HEAD;
  for (uint32_t d = 0; d < ndefs; d++)
    if (set[d]) put_u32(p, d), p += 4;
  mf->len = need;
  return true;
}

bool wasm_native_manifest_next(const wasm_native_manifest *mf, size_t *pos, wasm_native_manifest_record *rec) {
  if (!mf->bytes || *pos + RECORD_HEAD > mf->len) return false;
  const uint8_t *p = mf->bytes + *pos;
  uint32_t n = get_u32(p + 2);
  if ((mf->len - *pos - RECORD_HEAD) / 4 < n) return false;
  rec->kind = p[0];
  rec->internal = p[1] != 0;
  rec->n = n;
  rec->defs = p + RECORD_HEAD;
  *pos += RECORD_HEAD + (size_t)n * 4;
  return true;
}

uint32_t wasm_native_manifest_def(const wasm_native_manifest_record *rec, uint32_t i) {
  return get_u32(rec->defs + (size_t)i * 4);
}

bool wasm_native_manifest_load(const tova_module *m, wasm_native_manifest *out) {
  memset(out, 0, sizeof *out);
  if (!wasm_native_cache_dir()) return false;
  wasm_native_cache_key key;
  wasm_native_cache_key_named(m, MANIFEST_NAME, &key);
  size_t size = 0;
  uint8_t *bytes = wasm_native_cache_load_as(&key, WASM_NATIVE_CACHE_LIST, &size);
  if (!bytes) return false;
  out->bytes = bytes;
  out->len = out->cap = size;
  return true;
}

void wasm_native_manifest_save(const tova_module *m, const wasm_native_manifest *mf) {
  if (!mf->len || !wasm_native_cache_dir()) return;
  wasm_native_cache_key key;
  wasm_native_cache_key_named(m, MANIFEST_NAME, &key);
  wasm_native_cache_store_as(&key, WASM_NATIVE_CACHE_LIST, mf->bytes, mf->len);
}

void wasm_native_manifest_free(wasm_native_manifest *mf) {
  free(mf->bytes);
  memset(mf, 0, sizeof *mf);
}
