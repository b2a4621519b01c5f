/*
 * memory.c: linear memories.
 *
 * A memory reserves address space for its whole effective maximum up front
 * (PROT_NONE, no swap reserved) and makes pages accessible as it grows, so
 * memory.grow rarely moves the data and untouched zero pages cost no RAM:
 * the kernel hands out zero-filled pages on first touch. A memory with no
 * pages maps nothing until it first grows.
 *
 * If the big reservation is refused (address space exhausted by many
 * instances, or a ulimit), the memory falls back to mapping exactly its
 * current size and moving to a larger mapping on grow; `base` may then change
 * on grow, which store.h allows.
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* MAP_ANON is hidden under plain _POSIX_C_SOURCE */
#endif

#include <string.h>
#include <sys/mman.h>

#include "engine/objects.h"

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

#define WASM_MAX_PAGES_32 65536u /* 4 GiB: all a 32-bit memory can address */

typedef struct memory_obj {
  tova_memory pub; /* first, so a tova_memory* is a memory_obj* */
  uint32_t declared_max;
} memory_obj;

static uint8_t *reserve(uint64_t bytes) {
  if (bytes == 0 || bytes > SIZE_MAX) return NULL;
  void *p = mmap(NULL, (size_t)bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static bool commit(uint8_t *at, uint64_t bytes) {
  return bytes == 0 || mprotect(at, (size_t)bytes, PROT_READ | PROT_WRITE) == 0;
}

static void memory_dtor(void *obj) {
  tova_memory *m = obj;
  if (m->base) munmap(m->base, (size_t)m->reserved);
  m->base = NULL;
}

/* Make the memory `pages` pages long (pages > m->pages), moving it if its
 * reservation is too small. On failure nothing changes. */
static bool resize(tova_memory *m, uint32_t pages) {
  uint64_t bytes = (uint64_t)pages * WASM_PAGE_SIZE;
  if (bytes <= m->reserved) {
    if (!commit(m->base + m->size, bytes - m->size)) return false;
  } else {
    /* First mapping, or the fallback path: reserve the whole maximum if we
     * can, else exactly what is needed now. */
    uint64_t want = (uint64_t)m->max_pages * WASM_PAGE_SIZE;
    uint8_t *base = reserve(want);
    if (!base) {
      want = bytes;
      base = reserve(want);
      if (!base) return false;
    }
    if (!commit(base, bytes)) {
      munmap(base, (size_t)want);
      return false;
    }
    if (m->base) {
      memcpy(base, m->base, (size_t)m->size);
      munmap(m->base, (size_t)m->reserved);
    }
    m->base = base;
    m->reserved = want;
  }
  m->pages = pages;
  m->size = bytes;
  return true;
}

uint32_t wasm_memory_grow(tova_memory *m, uint32_t delta_pages) {
  uint32_t old = m->pages;
  if (delta_pages == 0) return old;
  uint64_t pages = (uint64_t)old + delta_pages;
  if (pages > m->max_pages) return UINT32_MAX;
  if (!resize(m, (uint32_t)pages)) return UINT32_MAX;
  return old;
}

tova_status wasm_memory_create(tova_store *s, uint32_t min, uint32_t max, bool has_max,
                               tova_memory **out, tova_error *err) {
  *out = NULL;
  if (!s) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "memory: no store");
  if (min > WASM_MAX_PAGES_32 || (has_max && max > WASM_MAX_PAGES_32))
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "memory size must be at most 65536 pages (4GiB)");
  if (has_max && max < min)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "memory: size minimum %u must not be greater than maximum %u", min, max);
  uint32_t limit = wasm_store_max_memory_pages(s);
  if (min > limit)
    return tova_error_set(err, TOVA_ERR_NOMEM,
                          "memory: %u initial pages exceed the store's limit of %u pages", min,
                          limit);
  memory_obj *mo = wasm_store_alloc_dtor(s, sizeof *mo, memory_dtor);
  if (!mo) return tova_error_set(err, TOVA_ERR_NOMEM, "memory: out of memory");
  tova_memory *m = &mo->pub;
  m->has_max = has_max;
  m->max_pages = has_max && max < limit ? max : limit;
  mo->declared_max = has_max ? max : 0;
  if (min > 0 && !resize(m, min))
    return tova_error_set(err, TOVA_ERR_NOMEM, "memory: cannot map %u pages", min);
  *out = m;
  return TOVA_OK;
}

tova_memory *tova_memory_new(tova_store *s, uint32_t min_pages, uint32_t max_pages, bool has_max) {
  tova_memory *m;
  return wasm_memory_create(s, min_pages, max_pages, has_max, &m, NULL) == TOVA_OK ? m : NULL;
}

uint32_t wasm_memory_declared_max(const tova_memory *m) {
  return ((const memory_obj *)m)->declared_max;
}

uint8_t *tova_memory_data(tova_memory *m, uint64_t *size_bytes) {
  if (size_bytes) *size_bytes = m ? m->size : 0;
  return m ? m->base : NULL;
}

uint32_t tova_memory_pages(const tova_memory *m) { return m ? m->pages : 0; }
