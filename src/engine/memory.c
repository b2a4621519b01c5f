/*
 * memory.c: linear memories.
 *
 * Where a memory lives (its "home"), chosen when it is created or moves:
 *   - a pool slot (platform vslot: carved out of large shared mappings,
 *     readable and writable over the whole slot, zero when handed out) when
 *     the memory fits in TOVA_VSLOT_MAX_BYTES. This is the common case, and
 *     the reason 100K small memories cost a few kernel mappings instead of two
 *     each, and instantiation makes no system call once the pool is warm.
 *     Growing within the slot is only bookkeeping; untouched pages of the
 *     slot cost no RAM. The slot is as large as the declared maximum when that
 *     fits a slot class (such a memory never moves), else the smallest class
 *     that holds the current size (4x steps, so a memory that keeps growing
 *     moves at most 6 times, copying less than 4/3 of its final size in all).
 *   - its own mapping, for larger memories: address space for the whole
 *     effective maximum is reserved inaccessible (no RAM, no swap) and pages
 *     are made accessible as the memory grows, so it never moves again. If
 *     that reservation is refused (address space exhausted, ulimit -v) it maps
 *     exactly its current size and moves to a larger mapping on each grow.
 * A memory with no pages has no home until it first grows. `base` may change
 * on grow, which store.h allows.
 *
 * Nothing beyond `size` is ever touched (the interpreter bounds-checks every
 * access against size; slots have no guard pages), so when a memory leaves
 * a slot only its first `size` bytes need to be returned to the OS; and
 * only its first wasm_memory_dirty_bytes() need cleaning: a task whose code
 * cannot store (a pure function of its arguments) leaves at most its data
 * segments to zero, not the whole page.
 */
#include <string.h>

#include "common/assert.h"
#include "engine/objects.h"
#include "platform/platform.h"

#define WASM_MAX_PAGES_32 65536u /* 4 GiB: all a 32-bit memory can address */

typedef struct memory_obj {
  tova_memory pub; /* first, so a tova_memory* is a memory_obj* */
  uint32_t declared_max;
  /* Its home is a pool slot (vslot.c): the slot is pub.base, pub.reserved
   * bytes, of which slot_resident may be resident. Kept as these two fields
   * rather than a tova_vslot, whose other two would repeat pub's. */
  bool pooled;
  bool large_pages; /* its home is advised to use large pages (see below) */
  size_t slot_resident;
} memory_obj;

/* A memory at least this large asks for large pages (2 MiB transparent huge
 * pages on Linux) over its whole home: compiled programs with big heaps and
 * arrays touch them densely, and 512x fewer page faults and TLB entries pay
 * for the RAM a sparsely used 2 MiB page wastes. Smaller memories (the many
 * small tasks) keep ordinary pages: one touched byte must not make 2 MiB
 * resident for each of 100K tasks. */
#define LARGE_PAGES_MIN ((uint64_t)4 << 20)

#if TOVA_DEBUG
/* Debug builds check the promise made to the pool on a sample: the first and
 * the last page beyond the dirty part read zero (a missed `written` mark
 * shows up there first: stores just past the data, stacks at the top). The C
 * test test_memory_clean checks whole memories. */
static bool zero_bytes(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}
static void check_clean_beyond(const tova_memory *m, uint64_t dirty) {
  uint64_t page = 4096, rest = m->size - dirty;
  uint64_t head = rest < page ? rest : page;
  TOVA_ASSERT(zero_bytes(m->base + dirty, (size_t)head));
  TOVA_ASSERT(zero_bytes(m->base + m->size - head, (size_t)head));
}
#endif

static void release_home(memory_obj *mo) {
  tova_memory *m = &mo->pub;
  if (!m->base) return;
#if TOVA_DEBUG
  if (mo->pooled) check_clean_beyond(m, wasm_memory_dirty_bytes(m));
#endif
  /* The pool's invariant (vslot.c: a slot is handed out all zero) rests on
   * this figure covering every byte that may be nonzero: see `written` and
   * `dirty` in store.h for who keeps it so. */
  if (mo->large_pages && mo->pooled) /* the next user of the slot may be small */
    tova_vmem_advise_large(m->base, (size_t)m->reserved, false);
  mo->large_pages = false;
  if (mo->pooled) {
    tova_vslot slot = {m->base, (size_t)m->reserved, mo->slot_resident};
    tova_vslot_free(&slot, (size_t)wasm_memory_dirty_bytes(m));
    mo->pooled = false;
  } else
    tova_vmem_release(m->base, (size_t)m->reserved);
  m->base = NULL;
  m->reserved = 0;
}

static void memory_dtor(void *obj) { release_home(obj); }

/* An own mapping for `bytes` now and up to max_pages later; returns the
 * address and sets *reserved, or NULL. */
static uint8_t *map_own(uint64_t bytes, uint32_t max_pages, uint64_t *reserved) {
  uint64_t want = (uint64_t)max_pages * WASM_PAGE_SIZE;
  if (want > SIZE_MAX || bytes > SIZE_MAX) return NULL;
  uint8_t *base = want > bytes ? tova_vmem_reserve((size_t)want) : NULL;
  if (base) {
    if (tova_vmem_commit(base, (size_t)bytes)) {
      *reserved = want;
      return base;
    }
    tova_vmem_release(base, (size_t)want);
  }
  /* Exactly the current size: accessible (and zero) from the start. */
  base = tova_vmem_map_lazy((size_t)bytes);
  if (base) *reserved = bytes;
  return base;
}

/* Make the memory `pages` pages long (pages > m->pages), moving it if its
 * home is too small. On failure nothing changes. */
static bool resize(memory_obj *mo, uint32_t pages) {
  tova_memory *m = &mo->pub;
  uint64_t bytes = (uint64_t)pages * WASM_PAGE_SIZE;
  if (bytes <= m->reserved) {
    /* A slot is accessible throughout; an own mapping opens up the new pages. */
    if (!mo->pooled && !tova_vmem_commit(m->base + m->size, (size_t)(bytes - m->size)))
      return false;
  } else {
    uint64_t max_bytes = (uint64_t)m->max_pages * WASM_PAGE_SIZE;
    tova_vslot slot = {NULL, 0, 0};
    uint8_t *base = NULL;
    uint64_t reserved = 0;
    if (bytes <= TOVA_VSLOT_MAX_BYTES &&
        tova_vslot_alloc(max_bytes <= TOVA_VSLOT_MAX_BYTES ? (size_t)max_bytes : (size_t)bytes,
                         &slot)) {
      base = slot.base;
      reserved = slot.bytes;
    } else {
      base = map_own(bytes, m->max_pages, &reserved);
      if (!base) return false;
    }
    if (m->base) {
      /* Beyond the dirty part both homes read zero: copying it would only
       * touch pages of the new home for nothing. */
      memcpy(base, m->base, (size_t)wasm_memory_dirty_bytes(m));
      release_home(mo);
    }
    m->base = base;
    m->reserved = reserved;
    mo->pooled = slot.base != NULL;
    mo->slot_resident = slot.resident;
  }
  m->pages = pages;
  m->size = bytes;
  if (bytes >= LARGE_PAGES_MIN && !mo->large_pages) {
    tova_vmem_advise_large(m->base, (size_t)m->reserved, true);
    mo->large_pages = true;
  }
  return true;
}

uint32_t wasm_memory_grow(tova_memory *m, uint32_t delta_pages) {
  uint32_t old = m->pages;
  if (delta_pages == 0) return old;
  uint64_t pages = (uint64_t)old + delta_pages;
  if (pages > m->max_pages) return UINT32_MAX;
  if (!resize((memory_obj *)m, (uint32_t)pages)) return UINT32_MAX;
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
  if (min > 0 && !resize(mo, min))
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
  wasm_memory_note_writer(m); /* a writable pointer: whoever holds it may write */
  return m ? m->base : NULL;
}

uint32_t tova_memory_pages(const tova_memory *m) { return m ? m->pages : 0; }
