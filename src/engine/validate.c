/*
 * validate.c: module-level validation (spec section 3.4): index spaces,
 * limits, constant expressions, segments, start function, exports; then each
 * function body through validate_code.c.
 *
 * Runs on a freshly decoded module before it is shared, so it may fill in
 * derived facts (the type of a global.get constant expression).
 */
#include <stdlib.h>
#include <string.h>

#include "validate.h"

#define WASM_MAX_MEMORY_PAGES 65536u

static tova_status invalid(tova_error *err, const char *what, uint32_t index, const char *rule) {
  return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "%s %u: %s", what, index, rule);
}

static tova_status check_type_index(const tova_module *m, uint32_t idx, const char *what,
                                    uint32_t index, tova_error *err) {
  if (idx < m->ntypes) return TOVA_OK;
  return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "%s %u: unknown type %u", what, index, idx);
}

static tova_status check_table_limits(const wasm_limits *l, uint32_t index, tova_error *err) {
  if (l->has_max && l->min > l->max)
    return invalid(err, "table", index, "size minimum must not be greater than maximum");
  return TOVA_OK;
}

static tova_status check_memory_limits(const wasm_limits *l, uint32_t index, tova_error *err) {
  if (l->min > WASM_MAX_MEMORY_PAGES || (l->has_max && l->max > WASM_MAX_MEMORY_PAGES))
    return invalid(err, "memory", index, "memory size must be at most 65536 pages (4GiB)");
  if (l->has_max && l->min > l->max)
    return invalid(err, "memory", index, "size minimum must not be greater than maximum");
  return TOVA_OK;
}

/* A constant expression of type `expect`. In 2.0 global.get may only name an
 * imported, immutable global (the context C' of the spec). */
static tova_status check_const(tova_module *m, wasm_constexpr *e, uint8_t expect, const char *what,
                               uint32_t index, tova_error *err) {
  switch (e->kind) {
    case WASM_CONST_INVALID:
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "%s %u at offset %llu: %s", what, index,
                            (unsigned long long)e->value.raw,
                            e->index == WASM_CONST_ERR_NOT_CONST
                                ? "constant expression required"
                                : "type mismatch (constant expression must give one value)");
    case WASM_CONST_REF_FUNC:
      if (e->index >= m->nfuncs)
        return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "%s %u: unknown function %u", what,
                              index, e->index);
      break;
    case WASM_CONST_GLOBAL_GET:
      if (e->index >= m->nimported_globals)
        return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "%s %u: unknown global %u", what, index,
                              e->index);
      if (m->global_types[e->index].mutable_)
        return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                              "%s %u: constant expression required (global %u is mutable)", what,
                              index, e->index);
      e->type = m->global_types[e->index].type;
      break;
    default:
      break;
  }
  if (e->type != expect)
    return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                          "%s %u: type mismatch in constant expression", what, index);
  return TOVA_OK;
}

/* Export names must be unique. The hash set that checks it is kept in the
 * module as its export index (module.h: export_slots), so lookups by name
 * cost O(1) and a module with n exports validates and lists them in O(n). */
static tova_status index_export_names(tova_module *m, tova_error *err) {
  size_t cap = 4;
  while (cap < (size_t)m->nexports * 2) cap *= 2;
  uint32_t *slots = malloc(cap * sizeof *slots);
  if (!slots) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory validating exports");
  memset(slots, 0xFF, cap * sizeof *slots);
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    size_t h = (size_t)wasm_export_name_hash(ex->name, ex->name_len) & (cap - 1);
    while (slots[h] != UINT32_MAX) {
      const wasm_export *o = &m->exports[slots[h]];
      if (o->name_len == ex->name_len && memcmp(o->name, ex->name, ex->name_len) == 0) {
        free(slots);
        return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "export %u \"%.*s\": duplicate export name",
                              i, (int)(ex->name_len > 64 ? 64 : ex->name_len), ex->name);
      }
      h = (h + 1) & (cap - 1);
    }
    slots[h] = i;
  }
  free(m->export_slots);
  m->export_slots = slots;
  m->export_cap = cap;
  return TOVA_OK;
}

static tova_status check_exports(tova_module *m, tova_error *err) {
  static const char *const kinds[] = {"function", "table", "memory", "global"};
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    uint32_t limit = ex->kind == TOVA_EXTERN_FUNC     ? m->nfuncs
                     : ex->kind == TOVA_EXTERN_TABLE  ? m->ntables
                     : ex->kind == TOVA_EXTERN_MEMORY ? m->nmemories
                                                      : m->nglobals;
    if (ex->index >= limit)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "export %u: unknown %s %u", i,
                            kinds[ex->kind], ex->index);
  }
  return index_export_names(m, err);
}

static tova_status check_elems(tova_module *m, tova_error *err) {
  tova_status st;
  for (uint32_t i = 0; i < m->nelems; i++) {
    wasm_elem_segment *e = &m->elems[i];
    for (uint32_t k = 0; k < e->count; k++)
      if ((st = check_const(m, &e->items[k], e->elem, "element segment", i, err)) != TOVA_OK)
        return st;
    if (e->mode != WASM_SEG_ACTIVE) continue;
    if (e->table >= m->ntables)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "element segment %u: unknown table %u", i,
                            e->table);
    if ((st = check_const(m, &e->offset, TOVA_I32, "element segment", i, err)) != TOVA_OK) return st;
    if (m->tables[e->table].elem != e->elem)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                            "element segment %u: type mismatch with table %u", i, e->table);
  }
  return TOVA_OK;
}

static tova_status check_datas(tova_module *m, tova_error *err) {
  tova_status st;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    wasm_data_segment *s = &m->datas[i];
    if (s->mode != WASM_SEG_ACTIVE) continue;
    if (s->memory >= m->nmemories)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "data segment %u: unknown memory %u", i,
                            s->memory);
    if ((st = check_const(m, &s->offset, TOVA_I32, "data segment", i, err)) != TOVA_OK) return st;
  }
  return TOVA_OK;
}

static tova_status check_bodies(tova_module *m, tova_error *err) {
  if (m->nfuncs == m->nimported_funcs) return TOVA_OK;
  wasm_code_validator *v = wasm_code_validator_new();
  if (!v) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory validating code");
  tova_status st = TOVA_OK;
  for (uint32_t f = m->nimported_funcs; f < m->nfuncs && st == TOVA_OK; f++)
    st = wasm_validate_function(v, m, f, err);
  wasm_code_validator_free(v);
  return st;
}

tova_status wasm_validate(tova_module *m, tova_error *err) {
  tova_status st;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *im = &m->imports[i];
    if (im->kind == TOVA_EXTERN_FUNC &&
        (st = check_type_index(m, im->desc.type_index, "import", i, err)) != TOVA_OK)
      return st;
  }
  for (uint32_t f = m->nimported_funcs; f < m->nfuncs; f++)
    if ((st = check_type_index(m, m->func_types[f], "function", f, err)) != TOVA_OK) return st;
  for (uint32_t i = 0; i < m->ntables; i++)
    if ((st = check_table_limits(&m->tables[i].limits, i, err)) != TOVA_OK) return st;
  for (uint32_t i = 0; i < m->nmemories; i++)
    if ((st = check_memory_limits(&m->memories[i], i, err)) != TOVA_OK) return st;
  if (m->nmemories > 1)
    return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                          "multiple memories (%u; WebAssembly 2.0 allows one)", m->nmemories);
  for (uint32_t g = m->nimported_globals; g < m->nglobals; g++) {
    wasm_global_def *def = &m->global_defs[g - m->nimported_globals];
    if ((st = check_const(m, &def->init, def->type.type, "global", g, err)) != TOVA_OK) return st;
  }
  if ((st = check_elems(m, err)) != TOVA_OK) return st;
  if ((st = check_datas(m, err)) != TOVA_OK) return st;
  if ((st = check_bodies(m, err)) != TOVA_OK) return st;
  if (m->has_start) {
    if (m->start >= m->nfuncs)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE, "start function: unknown function %u",
                            m->start);
    const tova_functype *ft = wasm_func_type(m, m->start);
    if (ft->nparams || ft->nresults)
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                            "start function %u: type must be [] -> []", m->start);
  }
  return check_exports(m, err);
}
