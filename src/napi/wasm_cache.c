/* wasm_cache.c: compiled modules keyed by content, shared by every JS
 * environment of the process (modules are immutable and thread-safe).
 *
 * Callers pass the same bytes again and again (concurrentWasm with 1000 tasks
 * of one Buffer, repeated execWasm calls), so identical bytes compile once.
 * Key: 64-bit FNV-1a of the bytes plus their length; a hit is confirmed by
 * comparing the bytes, so a hash collision can never run the wrong module.
 *
 * The caller's bytes may change under us (a Uint8Array over a
 * SharedArrayBuffer that another thread writes). Invariant: an entry's key
 * bytes are exactly the bytes its module was compiled from. So on a miss the
 * bytes are copied ONCE, and that private copy is what is hashed, compiled
 * and kept as the key; the caller's memory is read again only by the lookup
 * (hash + compare against a key, which never stores anything).
 *
 * Bounded two ways, least recently used first: at most CACHE_SIZE entries and
 * at most CACHE_BYTES bytes of wasm (each entry costs about twice its bytes:
 * the key here and the module's own copy). A module bigger than CACHE_BYTES is
 * compiled and returned but not cached. */
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

#define CACHE_SIZE 64
#define CACHE_BYTES ((size_t)64 << 20)

typedef struct cache_entry {
  uint64_t hash;
  size_t len;
  uint8_t *bytes;      /* the bytes module was compiled from */
  tova_module *module; /* one reference owned by the cache */
  uint64_t last_used;
} cache_entry;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cache_entry cache[CACHE_SIZE];
static size_t cache_bytes; /* sum of len over live entries, <= CACHE_BYTES */
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

/* Under cache_mu. Empties e; the module is released by the caller after
 * unlocking (freeing a big module is not worth holding the lock for). */
static tova_module *cache_drop(cache_entry *e) {
  tova_module *m = e->module;
  cache_bytes -= e->len;
  free(e->bytes);
  memset(e, 0, sizeof *e);
  return m;
}

/* Under cache_mu: the least recently used live entry, or NULL when empty. */
static cache_entry *cache_oldest(void) {
  cache_entry *oldest = NULL;
  for (int i = 0; i < CACHE_SIZE; i++) {
    if (cache[i].module && (!oldest || cache[i].last_used < oldest->last_used)) oldest = &cache[i];
  }
  return oldest;
}

/* Under cache_mu: evict least recently used entries until an entry of len
 * bytes fits both bounds; returns its (empty) slot. Evicted modules go to
 * dead[] (at most CACHE_SIZE) to be released after unlocking. */
static cache_entry *cache_make_room(size_t len, tova_module **dead, int *ndead) {
  for (;;) {
    cache_entry *empty = NULL;
    for (int i = 0; i < CACHE_SIZE && !empty; i++) {
      if (!cache[i].module) empty = &cache[i];
    }
    if (empty && cache_bytes + len <= CACHE_BYTES) return empty;
    dead[(*ndead)++] = cache_drop(cache_oldest());
  }
}

static tova_status hit(cache_entry *e, tova_module **out) {
  e->last_used = ++cache_clock;
  tova_module_retain(e->module);
  *out = e->module;
  return TOVA_OK;
}

tova_status tova_napi_module_get(const uint8_t *bytes, size_t len, tova_module **out,
                                 tova_error *err) {
  pthread_mutex_lock(&cache_mu);
  cache_entry *e = cache_find(fnv1a64(bytes, len), bytes, len);
  if (e) {
    tova_status s = hit(e, out);
    pthread_mutex_unlock(&cache_mu);
    return s;
  }
  pthread_mutex_unlock(&cache_mu);

  /* Miss: from here on only the private copy is read (see the invariant). */
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory copying %zu bytes of wasm", len);
  if (len) memcpy(copy, bytes, len);
  uint64_t hash = fnv1a64(copy, len);

  /* Compile outside the lock: other environments keep using the cache. */
  tova_module *m = NULL;
  tova_status s = tova_module_compile(copy, len, &m, err);
  if (s != TOVA_OK || len > CACHE_BYTES) {
    free(copy);
    if (s == TOVA_OK) *out = m; /* too big to keep: usable, not cached */
    return s;
  }

  tova_module *dead[CACHE_SIZE + 1];
  int ndead = 0;
  pthread_mutex_lock(&cache_mu);
  e = cache_find(hash, copy, len); /* another thread may have won the race */
  if (e) {
    hit(e, out);
    dead[ndead++] = m;
    free(copy);
  } else {
    e = cache_make_room(len, dead, &ndead);
    e->hash = hash;
    e->len = len;
    e->bytes = copy;
    e->module = m;
    e->last_used = ++cache_clock;
    cache_bytes += len;
    tova_module_retain(m); /* the caller's reference; the cache keeps its own */
    *out = m;
  }
  pthread_mutex_unlock(&cache_mu);
  for (int i = 0; i < ndead; i++) tova_module_release(dead[i]);
  return TOVA_OK;
}
