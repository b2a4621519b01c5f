/*
 * linker.c: resolves a module's imports by (module name, field name).
 *
 * Definitions are kept in a flat array searched linearly: a linker holds a
 * few host modules and registered instances, and instantiation looks up each
 * import once. Names are copied with their lengths because WebAssembly names
 * may contain NUL bytes. Defining a name again replaces the old definition.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/objects.h"

typedef struct linker_def {
  char *module; /* owned copies, NUL-terminated for messages */
  size_t module_len;
  char *name;
  size_t name_len;
  tova_extern ext;
} linker_def;

struct tova_linker {
  linker_def *defs;
  size_t count, capacity;
};

tova_linker *tova_linker_new(void) { return calloc(1, sizeof(tova_linker)); }

void tova_linker_free(tova_linker *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) {
    free(l->defs[i].module);
    free(l->defs[i].name);
  }
  free(l->defs);
  free(l);
}

static char *copy_name(const char *s, size_t len) {
  char *c = malloc(len + 1);
  if (!c) return NULL;
  if (len) memcpy(c, s, len);
  c[len] = '\0';
  return c;
}

static linker_def *find(const tova_linker *l, const char *module, size_t module_len,
                        const char *name, size_t name_len) {
  for (size_t i = 0; i < l->count; i++) {
    linker_def *d = &l->defs[i];
    if (d->module_len == module_len && d->name_len == name_len &&
        memcmp(d->module, module, module_len) == 0 && memcmp(d->name, name, name_len) == 0)
      return d;
  }
  return NULL;
}

tova_status wasm_linker_define_n(tova_linker *l, const char *module, size_t module_len,
                                 const char *name, size_t name_len, tova_extern ext) {
  if (!l || (!module && module_len) || (!name && name_len)) return TOVA_ERR_BAD_ARGUMENT;
  if (!module) module = "";
  if (!name) name = "";
  linker_def *d = find(l, module, module_len, name, name_len);
  if (d) {
    d->ext = ext;
    return TOVA_OK;
  }
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? l->capacity * 2 : 16;
    linker_def *defs = realloc(l->defs, cap * sizeof *defs);
    if (!defs) return TOVA_ERR_NOMEM;
    l->defs = defs;
    l->capacity = cap;
  }
  d = &l->defs[l->count];
  d->module = copy_name(module, module_len);
  d->name = copy_name(name, name_len);
  if (!d->module || !d->name) {
    free(d->module);
    free(d->name);
    return TOVA_ERR_NOMEM;
  }
  d->module_len = module_len;
  d->name_len = name_len;
  d->ext = ext;
  l->count++;
  return TOVA_OK;
}

tova_status tova_linker_define(tova_linker *l, const char *module, const char *name,
                               tova_extern ext) {
  if (!module || !name) return TOVA_ERR_BAD_ARGUMENT;
  return wasm_linker_define_n(l, module, strlen(module), name, strlen(name), ext);
}

tova_status tova_linker_define_instance(tova_linker *l, const char *module, tova_instance *inst) {
  if (!l || !module || !inst) return TOVA_ERR_BAD_ARGUMENT;
  const tova_module *m = inst->module;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    tova_extern ext;
    tova_status st = wasm_instance_export_n(inst, ex->name, ex->name_len, &ext);
    if (st != TOVA_OK) return st;
    st = wasm_linker_define_n(l, module, strlen(module), ex->name, ex->name_len, ext);
    if (st != TOVA_OK) return st;
  }
  return TOVA_OK;
}

tova_status tova_linker_instantiate(tova_linker *l, tova_store *s, tova_module *m,
                                    tova_instance **out, tova_error *err) {
  if (out) *out = NULL;
  if (!l || !s || !m || !out)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "linker: missing linker/store/module/out");
  tova_extern *imports = NULL;
  if (m->nimports) {
    imports = calloc(m->nimports, sizeof *imports);
    if (!imports) return tova_error_set(err, TOVA_ERR_NOMEM, "linker: out of memory");
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *im = &m->imports[i];
    const linker_def *d = find(l, im->module, im->module_len, im->name, im->name_len);
    if (!d) {
      free(imports);
      return tova_error_set(err, TOVA_ERR_UNLINKABLE, "unknown import: \"%.*s\".\"%.*s\" (import %u)",
                            (int)im->module_len, im->module, (int)im->name_len, im->name, i);
    }
    imports[i] = d->ext;
  }
  tova_status st = tova_instance_new(s, m, imports, m->nimports, out, err);
  free(imports);
  return st;
}
