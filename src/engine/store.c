/*
 * store.c: the store, owner of every runtime object (instances, functions,
 * tables, memories, globals).
 *
 * Objects are never freed one by one: WebAssembly references between them
 * (exports imported elsewhere, funcrefs in tables) make individual lifetimes
 * unknowable, so everything lives until tova_store_free. Each allocation
 * carries a small header linking it into the store's list; objects that own
 * more than their block (a memory mapping, a growable table array, a retained
 * module) register a destructor that runs when the store goes.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store.h"

typedef struct store_block {
  struct store_block *next;
  void (*dtor)(void *obj);
} store_block;

/* The object starts after the header, rounded up so it is aligned for any type. */
#define BLOCK_HEADER_SIZE \
  ((sizeof(store_block) + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t))

struct tova_store {
  store_block *blocks; /* newest first */
  uint32_t max_memory_pages;
  uint32_t max_table_elems;
};

tova_store *tova_store_new(const tova_store_config *cfg) {
  tova_store *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->max_memory_pages = WASM_DEFAULT_MAX_PAGES;
  s->max_table_elems = WASM_DEFAULT_MAX_TABLE;
  if (cfg && cfg->max_memory_pages) {
    /* 65536 pages (4 GiB) is the most a 32-bit memory can address. */
    s->max_memory_pages = cfg->max_memory_pages > 65536u ? 65536u : cfg->max_memory_pages;
  }
  if (cfg && cfg->max_table_elems) s->max_table_elems = cfg->max_table_elems;
  return s;
}

void tova_store_free(tova_store *s) {
  if (!s) return;
  store_block *b = s->blocks;
  while (b) {
    store_block *next = b->next;
    if (b->dtor) b->dtor((char *)b + BLOCK_HEADER_SIZE);
    free(b);
    b = next;
  }
  free(s);
}

void *wasm_store_alloc_dtor(tova_store *s, size_t size, void (*dtor)(void *obj)) {
  if (!s || size > SIZE_MAX - BLOCK_HEADER_SIZE) return NULL;
  store_block *b = calloc(1, BLOCK_HEADER_SIZE + size);
  if (!b) return NULL;
  b->dtor = dtor;
  b->next = s->blocks;
  s->blocks = b;
  return (char *)b + BLOCK_HEADER_SIZE;
}

void *wasm_store_alloc(tova_store *s, size_t size) { return wasm_store_alloc_dtor(s, size, NULL); }

uint32_t wasm_store_max_memory_pages(const tova_store *s) {
  return s ? s->max_memory_pages : WASM_DEFAULT_MAX_PAGES;
}

uint32_t wasm_store_max_table_elems(const tova_store *s) {
  return s ? s->max_table_elems : WASM_DEFAULT_MAX_TABLE;
}

/* ---- Host functions: store objects with a private copy of their signature ---- */

tova_func *tova_func_new_host(tova_store *s, const tova_functype *type, tova_host_fn fn,
                              void *userdata) {
  if (!s || !type || !fn) return NULL;
  if ((type->nparams && !type->params) || (type->nresults && !type->results)) return NULL;
  if (type->nparams > 1000 || type->nresults > 1000) return NULL; /* the spec's limits */
  /* One block: the func, its functype, then the param and result type bytes. */
  size_t size = sizeof(tova_func) + sizeof(tova_functype) + type->nparams + type->nresults;
  tova_func *f = wasm_store_alloc(s, size);
  if (!f) return NULL;
  tova_functype *ft = (tova_functype *)(f + 1);
  uint8_t *types = (uint8_t *)(ft + 1);
  if (type->nparams) memcpy(types, type->params, type->nparams);
  if (type->nresults) memcpy(types + type->nparams, type->results, type->nresults);
  ft->nparams = type->nparams;
  ft->nresults = type->nresults;
  ft->params = types;
  ft->results = types + type->nparams;
  f->type = ft;
  f->host = fn;
  f->host_userdata = userdata;
  return f;
}

const tova_functype *tova_func_type(const tova_func *f) { return f ? f->type : NULL; }
