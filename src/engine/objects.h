/*
 * objects.h: helpers shared by the files that create runtime objects
 * (memory.c, table.c, global.c, instance.c, linker.c), also used by the
 * conformance runner (names with NUL bytes, interruptible start functions).
 * The interpreter reads the structs of store.h directly instead.
 */
#ifndef TOVA_ENGINE_OBJECTS_H
#define TOVA_ENGINE_OBJECTS_H

#include "engine/store.h"

/* Declared maximum of a memory/table as its type says (import matching uses
 * the type, while `max`/`max_pages` in store.h is the enforced limit, which
 * the store's configuration may make smaller). Valid only when has_max. */
uint32_t wasm_memory_declared_max(const tova_memory *m);
uint32_t wasm_table_declared_max(const tova_table *t);

/* Create with a reason on failure (tova_*_new return NULL without one). */
tova_status wasm_memory_create(tova_store *s, uint32_t min, uint32_t max, bool has_max,
                               tova_memory **out, tova_error *err);
tova_status wasm_table_create(tova_store *s, uint8_t elem, uint32_t min, uint32_t max,
                              bool has_max, tova_table **out, tova_error *err);

/* Export lookup by a name that may contain NUL bytes (WebAssembly names can). */
tova_status wasm_instance_export_n(tova_instance *inst, const char *name, size_t len,
                                   tova_extern *out);

/* tova_instance_new / tova_linker_instantiate running the start function on
 * the caller's execution context (so it can be interrupted, e.g. by a
 * timeout); exec NULL makes a temporary one. */
tova_status wasm_instance_new_exec(tova_store *s, tova_module *m, const tova_extern *imports,
                                   size_t nimports, tova_exec *exec, tova_instance **out,
                                   tova_error *err);
/* The same, for a caller that keeps m alive for the instance's whole life
 * (a runtime task holds its module until after its store is freed): the
 * instance takes no reference, so instantiating and freeing touch nothing
 * shared with other threads instantiating the same module. imports_checked:
 * the caller has already checked every import against the module's import
 * types (a batch of tasks checks its `tova` imports once), so they are not
 * compared again here. */
tova_status wasm_instance_new_borrowing(tova_store *s, tova_module *m, const tova_extern *imports,
                                        size_t nimports, tova_exec *exec, bool imports_checked,
                                        tova_instance **out, tova_error *err);
tova_status wasm_linker_instantiate_exec(tova_linker *l, tova_store *s, tova_module *m,
                                         tova_exec *exec, tova_instance **out, tova_error *err);

/* Linker definition by names that may contain NUL bytes. */
tova_status wasm_linker_define_n(tova_linker *l, const char *module, size_t module_len,
                                 const char *name, size_t name_len, tova_extern ext);

/* Limits subtyping of the spec's import matching: an object whose type has
 * limits {min, max?} fits an import asking for {imin, imax?}. */
static inline bool wasm_limits_match(uint32_t min, bool has_max, uint32_t max, uint32_t imin,
                                     bool ihas_max, uint32_t imax) {
  if (min < imin) return false;
  if (!ihas_max) return true;
  return has_max && max <= imax;
}

#endif /* TOVA_ENGINE_OBJECTS_H */
