/*
 * global.c: global variables. The interpreter reads and writes
 * tova_global.value directly; these are the C API's constructors/accessors.
 */
#include "engine/objects.h"

static bool is_valtype(tova_valtype t) {
  switch (t) {
    case TOVA_I32: case TOVA_I64: case TOVA_F32: case TOVA_F64:
    case TOVA_FUNCREF: case TOVA_EXTERNREF:
      return true;
    default:
      return false; /* v128 is not supported by this engine */
  }
}

tova_global *tova_global_new(tova_store *s, tova_valtype type, bool mutable_, tova_val value) {
  if (!s || !is_valtype(type)) return NULL;
  tova_global *g = wasm_store_alloc(s, sizeof *g);
  if (!g) return NULL;
  g->type = (uint8_t)type;
  g->mutable_ = mutable_;
  g->value = value;
  return g;
}

tova_val tova_global_get(const tova_global *g) {
  tova_val v = {.raw = 0};
  return g ? g->value : v;
}

tova_valtype tova_global_type(const tova_global *g) { return (tova_valtype)(g ? g->type : 0); }
