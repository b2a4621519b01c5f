/*
 * instance.c: instantiation (the spec's "instantiate", WebAssembly 2.0).
 *
 *   1. check every import against the module's import type (import matching,
 *      with limits subtyping for tables and memories)
 *   2. allocate the instance: ONE store block holds the instance, its pointer
 *      arrays, its own functions and globals and the dropped-segment flags,
 *      so a module without memory or tables costs one allocation
 *   3. create the module's tables and memories, evaluate global initialisers
 *   4. apply active element segments, then active data segments, in order,
 *      with bounds checks; a trap stops there, but what earlier segments wrote
 *      (possibly into imported tables/memories) stays written, as the spec says
 *   5. drop active and declarative segments, run the start function
 *
 * A failed instantiation leaves its objects in the store (they may already be
 * referenced from imported tables), but returns no instance.
 */
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "common/assert.h"
#include "engine/objects.h"

/* ---- import matching ---- */

static const char *kind_name(uint8_t kind) {
  switch (kind) {
    case TOVA_EXTERN_FUNC: return "func";
    case TOVA_EXTERN_TABLE: return "table";
    case TOVA_EXTERN_MEMORY: return "memory";
    case TOVA_EXTERN_GLOBAL: return "global";
  }
  return "?";
}

#define IMPORT_FMT "import %u \"%.*s\".\"%.*s\""
#define IMPORT_ARGS(i, im) (i), (int)(im)->module_len, (im)->module, (int)(im)->name_len, (im)->name

static tova_status incompatible(tova_error *err, uint32_t i, const wasm_import *im, const char *why) {
  return tova_error_set(err, TOVA_ERR_UNLINKABLE, "incompatible import type: " IMPORT_FMT " (%s)",
                        IMPORT_ARGS(i, im), why);
}

static tova_status check_import(const tova_module *m, uint32_t i, const tova_extern *ext,
                                tova_error *err) {
  const wasm_import *im = &m->imports[i];
  if (ext->kind != im->kind) {
    char why[64];
    snprintf(why, sizeof why, "expected a %s, got a %s", kind_name(im->kind), kind_name((uint8_t)ext->kind));
    return incompatible(err, i, im, why);
  }
  switch (im->kind) {
    case TOVA_EXTERN_FUNC: {
      if (!ext->of.func) return incompatible(err, i, im, "null function");
      if (!wasm_functype_equal(ext->of.func->type, &m->types[im->desc.type_index]))
        return incompatible(err, i, im, "function signature differs");
      return TOVA_OK;
    }
    case TOVA_EXTERN_TABLE: {
      const tova_table *t = ext->of.table;
      const wasm_tabletype *want = &im->desc.table;
      if (!t) return incompatible(err, i, im, "null table");
      if (t->elem != want->elem) return incompatible(err, i, im, "table element type differs");
      if (!wasm_limits_match(t->size, t->has_max, wasm_table_declared_max(t), want->limits.min,
                             want->limits.has_max, want->limits.max))
        return incompatible(err, i, im, "table limits do not fit");
      return TOVA_OK;
    }
    case TOVA_EXTERN_MEMORY: {
      const tova_memory *mem = ext->of.memory;
      const wasm_limits *want = &im->desc.memory;
      if (!mem) return incompatible(err, i, im, "null memory");
      if (!wasm_limits_match(mem->pages, mem->has_max, wasm_memory_declared_max(mem), want->min,
                             want->has_max, want->max))
        return incompatible(err, i, im, "memory limits do not fit");
      return TOVA_OK;
    }
    case TOVA_EXTERN_GLOBAL: {
      const tova_global *g = ext->of.global;
      if (!g) return incompatible(err, i, im, "null global");
      if (g->type != im->desc.global.type) return incompatible(err, i, im, "global type differs");
      if (g->mutable_ != im->desc.global.mutable_)
        return incompatible(err, i, im, "global mutability differs");
      return TOVA_OK;
    }
  }
  return incompatible(err, i, im, "unknown import kind");
}

/* ---- the instance block ---- */

typedef struct layout {
  size_t funcs, tables, memories, globals, own_globals, dropped;
  size_t total;
} layout;

static size_t place(size_t *at, size_t size, size_t align) {
  size_t off = (*at + align - 1) / align * align;
  *at = off + size;
  return off;
}

static layout plan_layout(const tova_module *m) {
  layout l;
  size_t at = sizeof(tova_instance);
  l.funcs = place(&at, m->nimported_funcs * sizeof(tova_func *), alignof(tova_func *));
  l.tables = place(&at, m->ntables * sizeof(tova_table *), alignof(tova_table *));
  l.memories = place(&at, m->nmemories * sizeof(tova_memory *), alignof(tova_memory *));
  l.globals = place(&at, m->nglobals * sizeof(tova_global *), alignof(tova_global *));
  l.own_globals =
      place(&at, (m->nglobals - m->nimported_globals) * sizeof(tova_global), alignof(tova_global));
  l.dropped = place(&at, (size_t)m->nelems + m->ndatas, 1); /* wasm_elem/data_dropped */
  l.total = at;
  return l;
}

static void instance_dtor(void *obj) {
  tova_instance *inst = obj;
  if (inst->module && !inst->module_borrowed) tova_module_release(inst->module);
  inst->module = NULL;
}

/* ---- constant expressions ---- */

/* nglobals_ready: globals that already have their value (global.get may only
 * read those; in 2.0 that means imported ones). */
static tova_status eval_const(tova_instance *inst, const wasm_constexpr *c, uint32_t nglobals_ready,
                              tova_val *out, tova_error *err) {
  const tova_module *m = inst->module;
  switch (c->kind) {
    case WASM_CONST_VALUE:
      *out = c->value;
      return TOVA_OK;
    case WASM_CONST_REF_NULL:
      out->raw = 0;
      out->ref = NULL;
      return TOVA_OK;
    case WASM_CONST_REF_FUNC:
      if (c->index >= m->nfuncs)
        return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                              "constant expression: ref.func %u out of range", c->index);
      out->raw = 0;
      out->ref = wasm_instance_func(inst, c->index);
      if (!out->ref) return tova_error_set(err, TOVA_ERR_NOMEM, "instantiate: out of memory");
      return TOVA_OK;
    case WASM_CONST_GLOBAL_GET:
      if (c->index >= nglobals_ready)
        return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                              "constant expression: global.get %u is not initialised yet",
                              c->index);
      *out = inst->globals[c->index]->value;
      return TOVA_OK;
  }
  return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "constant expression: unknown kind %u",
                        c->kind);
}

/* ---- segments ---- */

static tova_status init_elem(tova_instance *inst, uint32_t idx, tova_error *err) {
  const wasm_elem_segment *seg = &inst->module->elems[idx];
  if (seg->mode == WASM_SEG_PASSIVE) return TOVA_OK;
  if (seg->mode == WASM_SEG_ACTIVE) {
    if (seg->table >= inst->module->ntables)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "element segment %u: unknown table %u",
                            idx, seg->table);
    tova_table *t = inst->tables[seg->table];
    tova_val off;
    tova_status st = eval_const(inst, &seg->offset, inst->module->nglobals, &off, err);
    if (st != TOVA_OK) return st;
    uint32_t offset = (uint32_t)off.i32;
    if ((uint64_t)offset + seg->count > t->size)
      return tova_error_set(err, TOVA_ERR_TRAP,
                            "out of bounds table access: element segment %u writes %u elements at "
                            "%u into a table of %u",
                            idx, seg->count, offset, t->size);
    for (uint32_t k = 0; k < seg->count; k++) {
      tova_val v;
      st = eval_const(inst, &seg->items[k], inst->module->nglobals, &v, err);
      if (st != TOVA_OK) return st;
      t->elems[offset + k] = v.ref;
    }
  }
  wasm_elem_dropped(inst)[idx] = 1; /* active and declarative segments are dropped */
  return TOVA_OK;
}

static tova_status init_data(tova_instance *inst, uint32_t idx, tova_error *err) {
  const wasm_data_segment *seg = &inst->module->datas[idx];
  if (seg->mode != WASM_SEG_ACTIVE) return TOVA_OK;
  if (seg->memory >= inst->module->nmemories)
    return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "data segment %u: unknown memory %u", idx,
                          seg->memory);
  tova_memory *mem = inst->memories[seg->memory];
  tova_val off;
  tova_status st = eval_const(inst, &seg->offset, inst->module->nglobals, &off, err);
  if (st != TOVA_OK) return st;
  uint32_t offset = (uint32_t)off.i32;
  if ((uint64_t)offset + seg->len > mem->size)
    return tova_error_set(err, TOVA_ERR_TRAP,
                          "out of bounds memory access: data segment %u writes %u bytes at %u "
                          "into a memory of %llu bytes",
                          idx, seg->len, offset, (unsigned long long)mem->size);
  if (seg->len) {
    memcpy(mem->base + offset, seg->bytes, seg->len);
    if ((uint64_t)offset + seg->len > mem->dirty) mem->dirty = (uint64_t)offset + seg->len; /* store.h */
  }
  wasm_data_dropped(inst)[idx] = 1;
  return TOVA_OK;
}

static tova_status run_start(tova_instance *inst, tova_exec *given, tova_error *err) {
  tova_func *f = wasm_instance_func(inst, inst->module->start);
  if (!f) return tova_error_set(err, TOVA_ERR_NOMEM, "start function: out of memory");
  tova_exec *e = given ? given : tova_exec_new(0);
  if (!e) return tova_error_set(err, TOVA_ERR_NOMEM, "start function: out of memory");
  tova_status st = tova_exec_call(e, f, NULL, NULL, err);
  if (st == TOVA_SUSPENDED) {
    /* Instantiation is synchronous: there is nobody to resume it. */
    tova_exec_reset(e);
    st = tova_error_set(err, TOVA_ERR_TRAP,
                        "start function %u called a host function that suspends",
                        inst->module->start);
  }
  if (!given) tova_exec_free(e);
  return st;
}

/* ---- function objects ---- */

tova_func *wasm_instance_func_make(tova_instance *inst, uint32_t i) {
  const tova_module *m = inst->module;
  TOVA_ASSERT(i >= m->nimported_funcs && i < m->nfuncs); /* imports are always set */
  if (!inst->defined &&
      !(inst->defined = wasm_store_alloc(inst->store, (m->nfuncs - m->nimported_funcs) * sizeof(tova_func *))))
    return NULL;
  tova_func *f = wasm_store_alloc(inst->store, sizeof *f);
  if (!f) return NULL;
  f->type = wasm_func_type(m, i);
  f->instance = inst;
  f->index = i;
  f->code = m->func_defs[i - m->nimported_funcs].code;
  inst->defined[i - m->nimported_funcs] = f;
  return f;
}

tova_func *wasm_instance_func_for_call(tova_instance *inst, uint32_t i, tova_func *room) {
  const tova_module *m = inst->module;
  TOVA_ASSERT(i < m->nfuncs);
  if (i < m->nimported_funcs) return inst->funcs[i];
  if (inst->defined && inst->defined[i - m->nimported_funcs]) return inst->defined[i - m->nimported_funcs];
  *room = (tova_func){.type = wasm_func_type(m, i), .instance = inst, .index = i};
  room->code = m->func_defs[i - m->nimported_funcs].code;
  return room;
}

/* ---- instantiate ---- */

tova_status tova_instance_new(tova_store *s, tova_module *m, const tova_extern *imports,
                              size_t nimports, tova_instance **out, tova_error *err) {
  return wasm_instance_new_exec(s, m, imports, nimports, NULL, out, err);
}

static tova_status instance_new(tova_store *s, tova_module *m, const tova_extern *imports,
                                size_t nimports, tova_exec *exec, bool borrow, bool checked,
                                tova_instance **out, tova_error *err);

tova_status wasm_instance_new_exec(tova_store *s, tova_module *m, const tova_extern *imports,
                                   size_t nimports, tova_exec *exec, tova_instance **out,
                                   tova_error *err) {
  return instance_new(s, m, imports, nimports, exec, false, false, out, err);
}

tova_status wasm_instance_new_borrowing(tova_store *s, tova_module *m, const tova_extern *imports,
                                        size_t nimports, tova_exec *exec, bool imports_checked,
                                        tova_instance **out, tova_error *err) {
  return instance_new(s, m, imports, nimports, exec, true, imports_checked, out, err);
}

static tova_status instance_new(tova_store *s, tova_module *m, const tova_extern *imports,
                                size_t nimports, tova_exec *exec, bool borrow, bool checked,
                                tova_instance **out, tova_error *err) {
  if (out) *out = NULL;
  if (!s || !m || !out || (nimports && !imports))
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "instantiate: missing store/module/out");
  if (nimports != m->nimports)
    return tova_error_set(err, TOVA_ERR_UNLINKABLE,
                          "instantiate: module needs %u imports, %zu given", m->nimports, nimports);
  for (uint32_t i = 0; i < m->nimports && !checked; i++) {
    tova_status st = check_import(m, i, &imports[i], err);
    if (st != TOVA_OK) return st;
  }
#if TOVA_DEBUG
  for (uint32_t i = 0; i < m->nimports && checked; i++) /* the caller's promise */
    TOVA_ASSERT(check_import(m, i, &imports[i], NULL) == TOVA_OK);
#endif

  layout l = plan_layout(m);
  /* A borrowing instance has nothing to release: no destructor (its header
   * would be 16 bytes of every parked task). */
  char *block = borrow ? wasm_store_alloc(s, l.total) : wasm_store_alloc_dtor(s, l.total, instance_dtor);
  if (!block) return tova_error_set(err, TOVA_ERR_NOMEM, "instantiate: out of memory");
  tova_instance *inst = (tova_instance *)block;
  if (!borrow) tova_module_retain(m);
  inst->module = m;
  inst->module_borrowed = borrow;
  inst->store = s;
  inst->funcs = (tova_func **)(block + l.funcs);
  inst->nimported_funcs = m->nimported_funcs;
  inst->tables = (tova_table **)(block + l.tables);
  inst->memories = (tova_memory **)(block + l.memories);
  inst->globals = (tova_global **)(block + l.globals);
  inst->dropped = (uint8_t *)(block + l.dropped);
  tova_global *own_globals = (tova_global *)(block + l.own_globals);

  /* Imports take the first indices of each space, in import order. */
  uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const tova_extern *ext = &imports[i];
    switch (m->imports[i].kind) {
      case TOVA_EXTERN_FUNC: inst->funcs[nf++] = ext->of.func; break;
      case TOVA_EXTERN_TABLE: inst->tables[nt++] = ext->of.table; break;
      case TOVA_EXTERN_MEMORY: inst->memories[nm++] = ext->of.memory; break;
      case TOVA_EXTERN_GLOBAL: inst->globals[ng++] = ext->of.global; break;
    }
  }
  if (nf != m->nimported_funcs || nt != m->nimported_tables || nm != m->nimported_memories ||
      ng != m->nimported_globals)
    return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "instantiate: import counts disagree");

  /* Defined functions' objects: made on first use (the block is zeroed). */
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
    const wasm_tabletype *tt = &m->tables[i];
    tova_status st = wasm_table_create(s, tt->elem, tt->limits.min, tt->limits.max,
                                       tt->limits.has_max, &inst->tables[i], err);
    if (st != TOVA_OK) return st;
  }
  for (uint32_t i = m->nimported_memories; i < m->nmemories; i++) {
    const wasm_limits *ml = &m->memories[i];
    tova_status st = wasm_memory_create(s, ml->min, ml->max, ml->has_max, &inst->memories[i], err);
    if (st != TOVA_OK) return st;
  }
  inst->mem0 = m->nmemories ? inst->memories[0] : NULL;
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
    const wasm_global_def *gd = &m->global_defs[i - m->nimported_globals];
    tova_global *g = &own_globals[i - m->nimported_globals];
    g->type = gd->type.type;
    g->mutable_ = gd->type.mutable_;
    tova_status st = eval_const(inst, &gd->init, i, &g->value, err);
    if (st != TOVA_OK) return st;
    inst->globals[i] = g;
  }

  for (uint32_t i = 0; i < m->nelems; i++) {
    tova_status st = init_elem(inst, i, err);
    if (st != TOVA_OK) return st;
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    tova_status st = init_data(inst, i, err);
    if (st != TOVA_OK) return st;
  }
  if (m->has_start) {
    if (m->start >= m->nfuncs)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "start function %u out of range",
                            m->start);
    tova_status st = run_start(inst, exec, err);
    if (st != TOVA_OK) return st;
  }
  *out = inst;
  return TOVA_OK;
}

tova_status tova_instance_export(tova_instance *inst, const char *name, tova_extern *out) {
  if (!name) return TOVA_ERR_BAD_ARGUMENT;
  return wasm_instance_export_n(inst, name, strlen(name), out);
}

tova_status wasm_instance_export_n(tova_instance *inst, const char *name, size_t len,
                                   tova_extern *out) {
  if (!inst || (!name && len) || !out) return TOVA_ERR_BAD_ARGUMENT;
  const tova_module *m = inst->module;
  const wasm_export *ex = wasm_module_find_export(m, name, len);
  if (!ex) return TOVA_ERR_NOT_FOUND;
  out->kind = (tova_extern_kind)ex->kind;
  switch (ex->kind) {
    case TOVA_EXTERN_FUNC:
      out->of.func = wasm_instance_func(inst, ex->index);
      if (!out->of.func) return TOVA_ERR_NOMEM;
      break;
    case TOVA_EXTERN_TABLE: out->of.table = inst->tables[ex->index]; break;
    case TOVA_EXTERN_MEMORY: out->of.memory = inst->memories[ex->index]; break;
    case TOVA_EXTERN_GLOBAL: out->of.global = inst->globals[ex->index]; break;
    default: return TOVA_ERR_NOT_FOUND;
  }
  return TOVA_OK;
}

tova_module *tova_instance_module(tova_instance *inst) { return inst ? inst->module : NULL; }

tova_status tova_instance_new_on(tova_store *s, tova_module *m, const tova_extern *imports,
                                 size_t nimports, tova_exec *exec, tova_instance **out,
                                 tova_error *err) {
  return wasm_instance_new_exec(s, m, imports, nimports, exec, out, err);
}

tova_status tova_instance_export_n(tova_instance *inst, const char *name, size_t name_len,
                                   tova_extern *out) {
  return wasm_instance_export_n(inst, name, name_len, out);
}

tova_memory *tova_instance_memory(tova_instance *inst, uint32_t index) {
  if (!inst || index >= inst->module->nmemories) return NULL;
  return inst->memories[index];
}
