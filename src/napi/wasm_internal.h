/* wasm_internal.h: helpers shared by the WebAssembly parts of the addon
 * (wasm_cache.c, wasm_values.c, wasm_run.c, wasm.c, wasm_bulk.c). */
#ifndef TOVA_NAPI_WASM_INTERNAL_H
#define TOVA_NAPI_WASM_INTERNAL_H

#include "addon.h"

/* Compiled module for these bytes, from the process-wide cache or compiled
 * now. *out carries one reference for the caller (tova_module_release). */
tova_status tova_napi_module_get(const uint8_t *bytes, size_t len, tova_module **out,
                                 tova_error *err);

/* A module argument: an object from compile(), or WebAssembly bytes (any
 * TypedArray/Buffer, ArrayBuffer or DataView). *out is retained. */
tova_status tova_napi_module_arg(napi_env env, napi_value v, tova_module **out, tova_error *err,
                                 const char *fn);
/* Wrap m (retained here) in a JS module object with an `exports` list. */
napi_status tova_napi_module_object(napi_env env, tova_module *m, napi_value *out);

/* Signature of export `func`, or TOVA_ERR_NOT_FOUND with a message. */
tova_status tova_napi_export_type(tova_module *m, const char *func, tova_functype *ft,
                                  tova_error *err, const char *fn);

/* One JS argument converted to a WebAssembly value of `type`. */
tova_status tova_napi_wasm_arg(napi_env env, napi_value v, uint8_t type, tova_val *out,
                               tova_error *err, const char *what);
/* The JS array `args` converted by the signature into out[ft->nparams]. */
tova_status tova_napi_wasm_args(napi_env env, napi_value args, const tova_functype *ft,
                                tova_val *out, tova_error *err, const char *fn, const char *func);
/* One WebAssembly value as JS (i64 as number when exact, else BigInt). */
napi_status tova_napi_wasm_value(napi_env env, uint8_t type, tova_val v, napi_value *out);
/* A call's results as JS: undefined (none), the value (one), or an array. */
napi_status tova_napi_wasm_results(napi_env env, const tova_functype *ft, const tova_val *vals,
                                   napi_value *out);
/* Worker side. A fresh store + instance of m, and its export `func`. */
typedef struct tova_napi_inst {
  tova_store *store;
  tova_func *func;
} tova_napi_inst;
tova_status tova_napi_inst_new(tova_module *m, const char *func, tova_napi_inst *out,
                               tova_error *err);
void tova_napi_inst_free(tova_napi_inst *inst);
/* Call inst's function on exec. Error messages name the function ("trap in
 * div: integer divide by zero"). The caller lists exec as running (once per
 * task step, not per call: the list is a shared lock) so teardown can
 * interrupt it. */
tova_status tova_napi_inst_call(tova_exec *exec, tova_napi_inst *inst, const char *func,
                                const tova_val *args, tova_val *results, tova_error *err);
/* The calling pool thread's execution context (created on first use, freed
 * when the thread exits); NULL when out of memory. */
tova_exec *tova_napi_thread_exec(void);
#endif /* TOVA_NAPI_WASM_INTERNAL_H */
