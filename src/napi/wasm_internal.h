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
/* (wasm, func, args, opts?) from JS as one WebAssembly task (wasm_exec.c):
 * the Promise of its result (a rejected one for bad input), or NULL with a JS
 * exception pending. handle_out (may be NULL) receives a retained task once
 * spawned (spawnWasm). */
typedef enum tova_napi_exec_fn {
  TOVA_NAPI_EXEC_WASM,
  TOVA_NAPI_EXEC_WASM_WITH_CHANNELS,
  TOVA_NAPI_SPAWN_WASM
} tova_napi_exec_fn;
napi_value tova_napi_exec_wasm(napi_env env, napi_callback_info info, tova_napi_exec_fn which,
                               tova_wasm_task **handle_out);
#endif /* TOVA_NAPI_WASM_INTERNAL_H */
