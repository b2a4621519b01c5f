/*
 * module.c: the public module API of tova.h: compile (decode + validate +
 * compile), validate only, reference counting, and export/import queries.
 */
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "compile.h"
#ifdef TOVA_HAVE_NATIVE
#include "native/native.h" /* native tier hook */
#endif
#ifdef TOVA_HAVE_STENCILS
#include "stencil/stencil.h"
#endif

void wasm_module_free(tova_module *m) {
  if (!m) return;
#ifdef TOVA_HAVE_NATIVE
  wasm_native_module_free(m); /* native tier hook: before the codes it patched */
#endif
#ifdef TOVA_HAVE_STENCILS
  wasm_stencil_module_free(m);
#endif
  uint32_t ndefs = m->nfuncs >= m->nimported_funcs ? m->nfuncs - m->nimported_funcs : 0;
  if (m->func_defs) {
    for (uint32_t i = 0; i < ndefs; i++) {
      free(m->func_defs[i].local_types);
      if (m->func_defs[i].code) wasm_code_free(m->func_defs[i].code);
    }
  }
  if (m->elems)
    for (uint32_t i = 0; i < m->nelems; i++) free(m->elems[i].items);
  free(m->types); /* param/result arrays point into bytes */
  free(m->imports);
  free(m->func_types);
  free(m->func_defs);
  free(m->tables);
  free(m->memories);
  free(m->global_types);
  free(m->global_defs);
  free(m->exports);
  free(m->export_slots);
  free(m->elems);
  free(m->datas);
  free(m->func_declared);
  free(m->bytes);
  free(m);
}

tova_status tova_module_compile(const uint8_t *bytes, size_t len, tova_module **out,
                                tova_error *err) {
  if (!out || (!bytes && len))
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "tova_module_compile: NULL argument");
  *out = NULL;
  tova_module *m;
  tova_status st = wasm_decode(bytes, len, &m, err);
  if (st != TOVA_OK) return st;
  if ((st = wasm_validate(m, err)) != TOVA_OK) {
    wasm_module_free(m);
    return st;
  }
  const wasm_loop_counters *lc = NULL;
#ifdef TOVA_HAVE_NATIVE
  wasm_loop_counters counters; /* native tier hook: loops that may tier up mid-call */
  if (wasm_native_loop_counters(m, &counters)) lc = &counters;
#endif
  st = wasm_compile(m, lc, err);
  m->loop_counters = lc != NULL;
#ifdef TOVA_HAVE_NATIVE
  if (lc) free((void *)counters.want);
#endif
  if (st != TOVA_OK) {
    wasm_module_free(m);
    return st;
  }
#ifdef TOVA_HAVE_STENCILS
  wasm_stencil_module(m); /* before the native tier saves the cells it switches */
#endif
#ifdef TOVA_HAVE_NATIVE
  wasm_native_module_compiled(m); /* native tier hook: per TOVA_TIER */
#endif
  *out = m;
  return TOVA_OK;
}

tova_status tova_module_validate(const uint8_t *bytes, size_t len, tova_error *err) {
  if (!bytes && len)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "tova_module_validate: NULL bytes");
  tova_module *m;
  tova_status st = wasm_decode(bytes, len, &m, err);
  if (st != TOVA_OK) return st;
  st = wasm_validate(m, err);
  wasm_module_free(m);
  return st;
}

void tova_module_retain(tova_module *m) {
  if (m) atomic_fetch_add_explicit(&m->refcount, 1, memory_order_relaxed);
}

void tova_module_release(tova_module *m) {
  /* acq_rel: the thread that frees must see every other thread's last use. */
  if (m && atomic_fetch_sub_explicit(&m->refcount, 1, memory_order_acq_rel) == 1)
    wasm_module_free(m);
}

uint32_t tova_module_export_count(const tova_module *m) { return m ? m->nexports : 0; }

void tova_module_export_at(const tova_module *m, uint32_t i, tova_export_info *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!m || i >= m->nexports) return;
  const wasm_export *ex = &m->exports[i];
  out->name = ex->name;
  out->name_len = ex->name_len;
  out->kind = (tova_extern_kind)ex->kind;
  out->index = ex->index;
}

uint64_t wasm_export_name_hash(const char *name, size_t len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
  return h;
}

const wasm_export *wasm_module_find_export(const tova_module *m, const char *name, size_t len) {
  if (!m->export_slots) { /* not validated yet: scan */
    for (uint32_t i = 0; i < m->nexports; i++) {
      const wasm_export *ex = &m->exports[i];
      if (ex->name_len == len && (len == 0 || memcmp(ex->name, name, len) == 0)) return ex;
    }
    return NULL;
  }
  size_t mask = m->export_cap - 1;
  for (size_t h = (size_t)wasm_export_name_hash(name, len) & mask;; h = (h + 1) & mask) {
    uint32_t i = m->export_slots[h];
    if (i == UINT32_MAX) return NULL;
    const wasm_export *ex = &m->exports[i];
    if (ex->name_len == len && (len == 0 || memcmp(ex->name, name, len) == 0)) return ex;
  }
}

tova_status tova_module_export_functype(const tova_module *m, const char *name,
                                        tova_functype *out) {
  if (!m || !name || !out) return TOVA_ERR_BAD_ARGUMENT;
  const wasm_export *ex = wasm_module_find_export(m, name, strlen(name));
  if (!ex || ex->kind != TOVA_EXTERN_FUNC) return TOVA_ERR_NOT_FOUND;
  *out = *wasm_func_type(m, ex->index);
  return TOVA_OK;
}

uint32_t tova_module_import_count(const tova_module *m) { return m ? m->nimports : 0; }

void tova_module_import_at(const tova_module *m, uint32_t i, tova_import_info *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!m || i >= m->nimports) return;
  const wasm_import *im = &m->imports[i];
  out->module = im->module;
  out->module_len = im->module_len;
  out->name = im->name;
  out->name_len = im->name_len;
  out->kind = (tova_extern_kind)im->kind;
  if (im->kind == TOVA_EXTERN_FUNC && im->desc.type_index < m->ntypes)
    out->functype = m->types[im->desc.type_index];
}

tova_status tova_module_export_functype_n(const tova_module *m, const char *name, size_t name_len,
                                          tova_functype *out) {
  if (!m || (!name && name_len) || !out) return TOVA_ERR_BAD_ARGUMENT;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    if (ex->name_len == name_len && (name_len == 0 || memcmp(ex->name, name, name_len) == 0)) {
      if (ex->kind != TOVA_EXTERN_FUNC) return TOVA_ERR_NOT_FOUND;
      *out = *wasm_func_type(m, ex->index);
      return TOVA_OK;
    }
  }
  return TOVA_ERR_NOT_FOUND;
}
