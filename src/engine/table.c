/*
 * table.c: tables of references (funcref: tova_func*, externref: host
 * pointer; NULL is ref.null). The element array grows geometrically so a
 * loop of table.grow 1 stays linear.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/objects.h"

typedef struct table_obj {
  tova_table pub; /* first, so a tova_table* is a table_obj* */
  uint32_t declared_max;
  uint32_t capacity; /* elements allocated at pub.elems */
} table_obj;

static void table_dtor(void *obj) {
  tova_table *t = obj;
  free(t->elems);
  t->elems = NULL;
}

static bool reserve_elems(table_obj *to, uint32_t n) {
  if (n <= to->capacity) return true;
  uint64_t cap = (uint64_t)to->capacity * 2;
  if (cap < n) cap = n;
  if (cap < 8) cap = 8;
  if (cap > to->pub.max) cap = to->pub.max;
  if (cap < n || cap > SIZE_MAX / sizeof(void *)) return false;
  void **elems = realloc(to->pub.elems, (size_t)cap * sizeof(void *));
  if (!elems) return false;
  to->pub.elems = elems;
  to->capacity = (uint32_t)cap;
  return true;
}

uint32_t wasm_table_grow(tova_table *t, uint32_t delta, void *init) {
  table_obj *to = (table_obj *)t;
  uint32_t old = t->size;
  uint64_t size = (uint64_t)old + delta;
  if (size > t->max) return UINT32_MAX;
  if (delta == 0) return old;
  if (!reserve_elems(to, (uint32_t)size)) return UINT32_MAX;
  for (uint64_t i = old; i < size; i++) t->elems[i] = init;
  t->size = (uint32_t)size;
  return old;
}

tova_status wasm_table_create(tova_store *s, uint8_t elem, uint32_t min, uint32_t max,
                              bool has_max, tova_table **out, tova_error *err) {
  *out = NULL;
  if (!s) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "table: no store");
  if (elem != TOVA_FUNCREF && elem != TOVA_EXTERNREF)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "table: element type 0x%02x is not a reference type", elem);
  if (has_max && max < min)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "table: size minimum %u must not be greater than maximum %u", min, max);
  uint32_t limit = wasm_store_max_table_elems(s);
  if (min > limit)
    return tova_error_set(err, TOVA_ERR_NOMEM,
                          "table: %u initial elements exceed the store's limit of %u", min, limit);
  table_obj *to = wasm_store_alloc_dtor(s, sizeof *to, table_dtor);
  if (!to) return tova_error_set(err, TOVA_ERR_NOMEM, "table: out of memory");
  tova_table *t = &to->pub;
  t->elem = elem;
  t->has_max = has_max;
  t->max = has_max && max < limit ? max : limit;
  to->declared_max = has_max ? max : 0;
  if (min > 0) {
    t->elems = calloc(min, sizeof(void *));
    if (!t->elems)
      return tova_error_set(err, TOVA_ERR_NOMEM, "table: cannot allocate %u elements", min);
    to->capacity = min;
    t->size = min;
  }
  *out = t;
  return TOVA_OK;
}

tova_table *tova_table_new(tova_store *s, tova_valtype elem, uint32_t min, uint32_t max,
                           bool has_max) {
  tova_table *t;
  return wasm_table_create(s, (uint8_t)elem, min, max, has_max, &t, NULL) == TOVA_OK ? t : NULL;
}

uint32_t wasm_table_declared_max(const tova_table *t) {
  return ((const table_obj *)t)->declared_max;
}

uint32_t tova_table_size(const tova_table *t) { return t ? t->size : 0; }
