/* wasm_cache.c: compiled modules keyed by content, shared by every JS
 * environment of the process (modules are immutable and thread-safe).
 *
 * Callers pass the same bytes again and again (concurrentWasm with 1000 tasks
 * of one Buffer, repeated execWasm calls), so identical bytes compile once.
 * Key: 64-bit FNV-1a of the bytes plus their length; a hit is confirmed by
 * comparing the bytes, so a hash collision can never run the wrong module.
 * Bounded: least recently used entries are evicted past CACHE_SIZE. */
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

#define CACHE_SIZE 64

typedef struct cache_entry {
  uint64_t hash;
  size_t len;
  uint8_t *bytes;      /* our copy, for the equality check on hit */
  tova_module *module; /* one reference owned by the cache */
  uint64_t last_used;
} cache_entry;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cache_entry cache[CACHE_SIZE];
static uint64_t cache_clock;

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* Under cache_mu. */
static cache_entry *cache_find(uint64_t hash, const uint8_t *bytes, size_t len) {
  for (int i = 0; i < CACHE_SIZE; i++) {
    cache_entry *e = &cache[i];
    if (e->module && e->hash == hash && e->len == len && memcmp(e->bytes, bytes, len) == 0) return e;
  }
  return NULL;
}

/* Under cache_mu: an empty slot, or the least recently used one emptied. */
static cache_entry *cache_victim(void) {
  cache_entry *victim = &cache[0];
  for (int i = 0; i < CACHE_SIZE; i++) {
    if (!cache[i].module) return &cache[i];
    if (cache[i].last_used < victim->last_used) victim = &cache[i];
  }
  tova_module_release(victim->module);
  free(victim->bytes);
  memset(victim, 0, sizeof *victim);
  return victim;
}

tova_status tova_napi_module_get(const uint8_t *bytes, size_t len, tova_module **out,
                                 tova_error *err) {
  uint64_t hash = fnv1a64(bytes, len);
  pthread_mutex_lock(&cache_mu);
  cache_entry *e = cache_find(hash, bytes, len);
  if (e) {
    e->last_used = ++cache_clock;
    tova_module_retain(e->module);
    *out = e->module;
    pthread_mutex_unlock(&cache_mu);
    return TOVA_OK;
  }
  pthread_mutex_unlock(&cache_mu);

  /* Compile outside the lock: other environments keep using the cache. */
  tova_module *m = NULL;
  tova_status s = tova_module_compile(bytes, len, &m, err);
  if (s != TOVA_OK) return s;
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) { /* still usable, just not cached */
    *out = m;
    return TOVA_OK;
  }
  memcpy(copy, bytes, len);

  pthread_mutex_lock(&cache_mu);
  e = cache_find(hash, bytes, len); /* another thread may have won the race */
  if (e) {
    e->last_used = ++cache_clock;
    tova_module_retain(e->module);
    *out = e->module;
    pthread_mutex_unlock(&cache_mu);
    tova_module_release(m);
    free(copy);
    return TOVA_OK;
  }
  e = cache_victim();
  e->hash = hash;
  e->len = len;
  e->bytes = copy;
  e->module = m;
  e->last_used = ++cache_clock;
  tova_module_retain(m); /* the caller's reference; the cache keeps its own */
  pthread_mutex_unlock(&cache_mu);
  *out = m;
  return TOVA_OK;
}
