/* wasm_run.c: the worker side of callBulk: a store and instance per chunk of
 * rows, calls on the worker's reusable execution. Runs on pool workers, never
 * touches JS. (WebAssembly tasks proper are the runtime's: tova_wasm_task_*.) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wasm_internal.h"

tova_status tova_napi_inst_new(tova_module *m, const char *func, tova_napi_inst *out,
                               tova_error *err) {
  tova_instance *inst = NULL;
  tova_status s;
  memset(out, 0, sizeof *out);
  out->store = tova_store_new(NULL);
  if (!out->store) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory for a store");
  if (tova_module_import_count(m) == 0) {
    s = tova_instance_new(out->store, m, NULL, 0, &inst, err);
  } else {
    /* No host imports are offered yet: the linker names the missing import. */
    tova_linker *l = tova_linker_new();
    if (!l) {
      s = tova_error_set(err, TOVA_ERR_NOMEM, "out of memory for a linker");
    } else {
      s = tova_linker_instantiate(l, out->store, m, &inst, err);
      tova_linker_free(l);
    }
  }
  if (s != TOVA_OK) {
    char why[TOVA_ERROR_MAX];
    snprintf(why, sizeof why, "%s", err->message);
    tova_error_set(err, s, "instantiating the module: %s", why);
    tova_napi_inst_free(out);
    return s;
  }
  tova_extern ext;
  if (tova_instance_export(inst, func, &ext) != TOVA_OK || ext.kind != TOVA_EXTERN_FUNC) {
    tova_napi_inst_free(out);
    return tova_error_set(err, TOVA_ERR_NOT_FOUND, "the module has no exported function '%s'", func);
  }
  out->func = ext.of.func;
  return TOVA_OK;
}

void tova_napi_inst_free(tova_napi_inst *inst) {
  if (inst->store) tova_store_free(inst->store);
  inst->store = NULL;
  inst->func = NULL;
}

tova_status tova_napi_inst_call(tova_exec *exec, tova_napi_inst *inst, const char *func,
                                const tova_val *args, tova_val *results, tova_error *err) {
  tova_status s = tova_exec_call(exec, inst->func, args, results, err);
  if (s == TOVA_OK) return TOVA_OK;
  char why[TOVA_ERROR_MAX];
  snprintf(why, sizeof why, "%s", err->message);
  switch (s) {
    case TOVA_ERR_TRAP:
      return tova_error_set(err, s, "trap in %s: %s", func, why);
    case TOVA_ERR_CANCELLED:
      return tova_error_set(err, s, "%s was cancelled (%s)", func, why);
    case TOVA_SUSPENDED:
      /* Only host imports suspend, and none are linked here. */
      tova_exec_reset(exec);
      return tova_error_set(err, TOVA_ERR_UNSUPPORTED,
                            "%s suspended in a host call, which this function does not support", func);
    default:
      return tova_error_set(err, s, "%s failed: %s", func, why);
  }
}

/* ---- execution context per worker thread --------------------------------- */

/* Pool threads reuse one execution context (its stack memory) across calls;
 * freed by the key's destructor when the thread exits. */
static pthread_key_t exec_key;
static pthread_once_t exec_key_once = PTHREAD_ONCE_INIT;

static void exec_key_free(void *p) { tova_exec_free(p); }
static void exec_key_make(void) { pthread_key_create(&exec_key, exec_key_free); }

tova_exec *tova_napi_thread_exec(void) {
  pthread_once(&exec_key_once, exec_key_make);
  tova_exec *e = pthread_getspecific(exec_key);
  if (!e) {
    e = tova_exec_new(0);
    if (e && pthread_setspecific(exec_key, e) != 0) {
      tova_exec_free(e);
      e = NULL;
    }
  }
  return e;
}
