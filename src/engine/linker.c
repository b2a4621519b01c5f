/*
 * linker.c: resolves a module's imports by (module name, field name).
 *
 * Definitions live in an array indexed by an open-addressing hash table of
 * (module, name), so registering an instance with many exports and resolving
 * many imports stay linear. Names are copied with their lengths because
 * WebAssembly names may contain NUL bytes. Defining a name again replaces the
 * old definition.
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
  uint32_t *slots; /* def index + 1, 0 = empty; nslots is a power of two */
  size_t nslots;
};

static uint64_t hash_name(const char *module, size_t module_len, const char *name,
                          size_t name_len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < module_len; i++) h = (h ^ (uint8_t)module[i]) * 1099511628211ull;
  h = (h ^ 0xFFu) * 1099511628211ull; /* separator no UTF-8 byte equals */
  for (size_t i = 0; i < name_len; i++) h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
  return h;
}

/* Rebuild the index with room for `count` definitions at most half full. */
static bool reindex(tova_linker *l, size_t count) {
  size_t n = 16;
  while (n < count * 2) n *= 2;
  if (n <= l->nslots) return true;
  uint32_t *slots = calloc(n, sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < l->count; i++) {
    const linker_def *d = &l->defs[i];
    size_t at = (size_t)hash_name(d->module, d->module_len, d->name, d->name_len) & (n - 1);
    while (slots[at]) at = (at + 1) & (n - 1);
    slots[at] = (uint32_t)i + 1;
  }
  free(l->slots);
  l->slots = slots;
  l->nslots = n;
  return true;
}

tova_linker *tova_linker_new(void) { return calloc(1, sizeof(tova_linker)); }

void tova_linker_free(tova_linker *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) {
    free(l->defs[i].module);
    free(l->defs[i].name);
  }
  free(l->defs);
  free(l->slots);
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
  if (!l->nslots) return NULL;
  size_t mask = l->nslots - 1;
  size_t at = (size_t)hash_name(module, module_len, name, name_len) & mask;
  for (; l->slots[at]; at = (at + 1) & mask) {
    linker_def *d = &l->defs[l->slots[at] - 1];
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
  if (l->count >= UINT32_MAX - 1 || !reindex(l, l->count + 1)) return TOVA_ERR_NOMEM;
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
  size_t mask = l->nslots - 1;
  size_t at = (size_t)hash_name(d->module, module_len, d->name, name_len) & mask;
  while (l->slots[at]) at = (at + 1) & mask;
  l->slots[at] = (uint32_t)l->count + 1;
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
  return wasm_linker_instantiate_exec(l, s, m, NULL, out, err);
}

tova_status wasm_linker_instantiate_exec(tova_linker *l, tova_store *s, tova_module *m,
                                         tova_exec *exec, tova_instance **out, tova_error *err) {
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
  tova_status st = wasm_instance_new_exec(s, m, imports, m->nimports, exec, out, err);
  free(imports);
  return st;
}

tova_status tova_linker_get(tova_linker *l, const char *module, size_t module_len,
                            const char *name, size_t name_len, tova_extern *out) {
  if (!l || !out || (!module && module_len) || (!name && name_len)) return TOVA_ERR_BAD_ARGUMENT;
  const linker_def *d = find(l, module, (uint32_t)module_len, name, (uint32_t)name_len);
  if (!d) return TOVA_ERR_NOT_FOUND;
  *out = d->ext;
  return TOVA_OK;
}
