/*
 * store.c: the store, owner of every runtime object (instances, functions,
 * tables, memories, globals).
 *
 * Objects are never freed one by one: WebAssembly references between them
 * (exports imported elsewhere, funcrefs in tables) make individual lifetimes
 * unknowable, so everything lives until tova_store_free. That makes the store
 * an arena: objects are bump-allocated, first from a small space inside the
 * store itself (so a task whose module has no memory, or a small one, costs
 * one malloc for its store and instance together: instantiation is on the
 * spawn path), then from chunks that double up to CHUNK_MAX (a store that
 * keeps growing, like the conformance runner's, costs O(log n) mallocs plus
 * one per big object). Objects that own more than their bytes (a memory's
 * slot, a growable table array, a retained module) carry a header linking
 * them into a destructor list run, newest first, when the store goes.
 *
 * A caller that knows how much a store will hold (the runtime learns it from
 * the previous instantiation of the same module) creates it with that much
 * inline space (wasm_store_new_sized): then even an instance with many
 * functions and a memory costs one malloc, with nothing left over.
 *
 * Packing objects together means ASan no longer sees an overflow from one
 * store object into the next; each object's bounds are checked by its users
 * (the validator and the instance layout), as before.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/assert.h"
#include "engine/store.h"

#define ALIGN alignof(max_align_t)
#define ALIGN_UP(n) (((n) + ALIGN - 1) / ALIGN * ALIGN)
/* Room inside the store for its first objects: an instance of a module with
 * a few functions, its globals and one memory's bookkeeping. */
#define STORE_INLINE_BYTES 256u
/* The most inline room a sized store gets (beyond it, chunks as usual). */
#define STORE_INLINE_MAX (64u << 10)
#define CHUNK_MIN 512u
#define CHUNK_MAX (64u << 10)

typedef struct dtor_header {
  struct dtor_header *next; /* newer to older */
  void (*dtor)(void *obj);
} dtor_header;

typedef struct chunk_header {
  struct chunk_header *next;
} chunk_header;

#define DTOR_HEADER_SIZE ALIGN_UP(sizeof(dtor_header))
#define CHUNK_HEADER_SIZE ALIGN_UP(sizeof(chunk_header))

/* Invariant: [bump, end) is free space inside inline_space or one of the
 * chunks; everything handed out lies before bump in one of them. The inline
 * space follows the header in the same malloc (STORE_INLINE_BYTES, or the
 * size given to wasm_store_new_sized). */
struct tova_store {
  dtor_header *dtors;
  chunk_header *chunks;
  uint8_t *bump, *end;
  uint32_t next_chunk; /* bytes of the next chunk (doubling, up to CHUNK_MAX) */
  uint32_t used;       /* bytes handed out, headers included (saturates) */
  uint32_t max_memory_pages;
  uint32_t max_table_elems;
  alignas(max_align_t) uint8_t inline_space[];
};

static tova_store *store_new(const tova_store_config *cfg, size_t inline_bytes) {
  tova_store *s = malloc(sizeof *s + inline_bytes); /* inline_space is zeroed as it is handed out */
  if (!s) return NULL;
  s->dtors = NULL;
  s->chunks = NULL;
  s->bump = s->inline_space;
  s->end = s->inline_space + inline_bytes;
  s->next_chunk = CHUNK_MIN;
  s->used = 0;
  s->max_memory_pages = WASM_DEFAULT_MAX_PAGES;
  s->max_table_elems = WASM_DEFAULT_MAX_TABLE;
  if (cfg && cfg->max_memory_pages) {
    /* 65536 pages (4 GiB) is the most a 32-bit memory can address. */
    s->max_memory_pages = cfg->max_memory_pages > 65536u ? 65536u : cfg->max_memory_pages;
  }
  if (cfg && cfg->max_table_elems) s->max_table_elems = cfg->max_table_elems;
  return s;
}

tova_store *tova_store_new(const tova_store_config *cfg) { return store_new(cfg, STORE_INLINE_BYTES); }

tova_store *wasm_store_new_sized(const tova_store_config *cfg, size_t inline_bytes) {
  if (inline_bytes > STORE_INLINE_MAX) inline_bytes = STORE_INLINE_MAX;
  return store_new(cfg, ALIGN_UP(inline_bytes));
}

size_t wasm_store_used(const tova_store *s) { return s ? s->used : 0; }

void tova_store_free(tova_store *s) {
  if (!s) return;
  for (dtor_header *h = s->dtors; h; h = h->next) h->dtor((uint8_t *)h + DTOR_HEADER_SIZE);
  chunk_header *c = s->chunks;
  while (c) {
    chunk_header *next = c->next;
    free(c);
    c = next;
  }
  free(s);
}

void *wasm_store_alloc_dtor(tova_store *s, size_t size, void (*dtor)(void *obj)) {
  if (!s || size > SIZE_MAX / 2) return NULL;
  size_t need = (dtor ? DTOR_HEADER_SIZE : 0) + ALIGN_UP(size);
  uint8_t *p;
  if (need <= (size_t)(s->end - s->bump)) {
    p = s->bump;
    s->bump += need;
  } else {
    /* A new chunk; an object bigger than the next chunk gets one of its own. */
    size_t cap = need > s->next_chunk ? need : s->next_chunk;
    chunk_header *c = malloc(CHUNK_HEADER_SIZE + cap);
    if (!c) return NULL;
    c->next = s->chunks;
    s->chunks = c;
    p = (uint8_t *)c + CHUNK_HEADER_SIZE;
    /* Carry on from whichever has more room left: the new chunk or the old. */
    if (cap - need > (size_t)(s->end - s->bump)) {
      s->bump = p + need;
      s->end = p + cap;
    }
    if (s->next_chunk < CHUNK_MAX) s->next_chunk *= 2;
  }
  memset(p, 0, need);
  s->used = need > UINT32_MAX - s->used ? UINT32_MAX : s->used + (uint32_t)need;
  if (dtor) {
    dtor_header *h = (dtor_header *)p;
    h->dtor = dtor;
    h->next = s->dtors;
    s->dtors = h;
    p += DTOR_HEADER_SIZE;
  }
  return p;
}

void *wasm_store_alloc(tova_store *s, size_t size) { return wasm_store_alloc_dtor(s, size, NULL); }

uint32_t wasm_store_max_memory_pages(const tova_store *s) {
  return s ? s->max_memory_pages : WASM_DEFAULT_MAX_PAGES;
}

uint32_t wasm_store_max_table_elems(const tova_store *s) {
  return s ? s->max_table_elems : WASM_DEFAULT_MAX_TABLE;
}

/* ---- Host functions: store objects with a shared or private signature ---- */

/* Signatures of host functions, shared by every store of the process: a
 * task's store defines the same few host functions as every other task's
 * (the `tova` imports, WASI's ~45), and a private copy of each signature
 * would cost 32 bytes per function per task. Entries are added, never
 * removed or changed (immutable once published), so readers need no lock:
 * an acquire load of a slot sees a complete signature. Only short signatures
 * are shared and the table is bounded: an embedder creating host functions of
 * endless distinct signatures gets private copies past SHARED_TYPES, never an
 * ever-growing table. The entries live until the process exits. */
#define SHARED_TYPES 128u
#define SHARED_TYPE_MAX_VALUES 16u

static _Atomic(const tova_functype *) shared_types[SHARED_TYPES];

/* Type lists are a few bytes: a loop beats a call to memcmp. */
static bool valtypes_equal(const uint8_t *a, const uint8_t *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

bool wasm_functype_equal(const tova_functype *a, const tova_functype *b) {
  if (a == b) return true;
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         valtypes_equal(a->params, b->params, a->nparams) &&
         valtypes_equal(a->results, b->results, a->nresults);
}

/* A new functype with its type bytes right after it, in `mem`. */
static tova_functype *functype_copy_into(void *mem, const tova_functype *type) {
  tova_functype *ft = mem;
  uint8_t *types = (uint8_t *)(ft + 1);
  if (type->nparams) memcpy(types, type->params, type->nparams);
  if (type->nresults) memcpy(types + type->nparams, type->results, type->nresults);
  ft->nparams = type->nparams;
  ft->nresults = type->nresults;
  ft->params = types;
  ft->results = types + type->nparams;
  return ft;
}

/* The shared copy of `type`, or NULL (too long, table full, out of memory). */
const tova_functype *wasm_functype_shared(const tova_functype *type) {
  if (type->nparams + type->nresults > SHARED_TYPE_MAX_VALUES) return NULL;
  /* Callers that create many functions of one signature (a batch of tasks,
   * one import each) pass the shared copy itself: found by address, no
   * byte comparison. The table only grows, so a miss here is exact. */
  for (uint32_t i = 0; i < SHARED_TYPES; i++) {
    const tova_functype *t = atomic_load_explicit(&shared_types[i], memory_order_acquire);
    if (!t) break;
    if (t == type) return t;
  }
  tova_functype *mine = NULL;
  for (uint32_t i = 0; i < SHARED_TYPES; i++) {
    const tova_functype *t = atomic_load_explicit(&shared_types[i], memory_order_acquire);
    if (!t) {
      if (!mine) {
        void *mem = malloc(sizeof(tova_functype) + type->nparams + type->nresults);
        if (!mem) return NULL;
        mine = functype_copy_into(mem, type);
      }
      /* acq_rel: publishes our copy; on failure, t is what another thread
       * published in this slot first, and is compared like any other. */
      if (atomic_compare_exchange_strong_explicit(&shared_types[i], &t, mine,
                                                  memory_order_acq_rel, memory_order_acquire))
        return mine;
    }
    if (wasm_functype_equal(t, type)) {
      free(mine); /* another thread published the same signature first */
      return t;
    }
  }
  free(mine);
  return NULL;
}

tova_func *tova_func_new_host(tova_store *s, const tova_functype *type, tova_host_fn fn,
                              void *userdata) {
  if (!s || !type || !fn) return NULL;
  if ((type->nparams && !type->params) || (type->nresults && !type->results)) return NULL;
  if (type->nparams > 1000 || type->nresults > 1000) return NULL; /* the spec's limits */
  const tova_functype *shared = wasm_functype_shared(type);
  /* One block: the func, then (unshared) its functype and type bytes. */
  size_t size = sizeof(tova_func) +
                (shared ? 0 : sizeof(tova_functype) + type->nparams + type->nresults);
  tova_func *f = wasm_store_alloc(s, size);
  if (!f) return NULL;
  f->type = shared ? shared : functype_copy_into(f + 1, type);
  f->host = fn;
  f->host_userdata = userdata;
  f->fast = NULL;
  return f;
}

const tova_functype *tova_func_type(const tova_func *f) { return f ? f->type : NULL; }
