/* module.c: addon registration, per-environment state and its teardown.
 *
 * Each JS environment (the main thread and every worker_thread that loads the
 * addon) gets one tova_napi_env, stored as N-API instance data. Its worker pool
 * is created on first use, so loading the addon only for channels starts no
 * threads. The env cleanup hook stops the pool without waiting for queued
 * tasks (they complete with TOVA_ERR_SHUTDOWN and are discarded), which lets
 * the process, or a terminated worker_thread, exit promptly: the runtime
 * stops running WebAssembly at its next back-edge or call and ends parked
 * tasks at once (tova_runtime_free). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

tova_napi_env *tova_napi_state(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return data;
}

/* JS thread: a queued activity change (see addon.h). */
static void recheck_settle(napi_env env, tova_napi_env *st, tova_napi_op *op) {
  (void)env;
  (void)op;
  atomic_store(&st->recheck_queued, false);
  tova_napi_update_ref(st);
}

static void recheck_discard(tova_napi_op *op) { (void)op; }

/* Runtime, any thread: the number of WebAssembly tasks that can progress on
 * their own went to or from zero. */
static void on_activity(void *userdata) {
  tova_napi_env *st = userdata;
  if (pthread_equal(pthread_self(), st->cq->js_thread)) {
    /* On the JS thread the runtime only runs inside our N-API calls (or the
     * cleanup hook, where update_ref does nothing): N-API is usable. */
    tova_napi_update_ref(st);
    return;
  }
  bool expected = false;
  if (atomic_compare_exchange_strong(&st->recheck_queued, &expected, true))
    tova_napi_cq_push(st->cq, &st->recheck_op);
}

tova_runtime *tova_napi_runtime(tova_napi_env *st, tova_error *err) {
  if (st->closing) {
    tova_error_set(err, TOVA_ERR_SHUTDOWN, "tova_runtime: the JS environment is shutting down");
    return NULL;
  }
  if (!st->rt) {
    tova_status s = tova_runtime_new(NULL, &st->rt);
    if (s != TOVA_OK) {
      st->rt = NULL;
      tova_error_set(err, s, "tova_runtime: cannot start the worker pool (%s)", tova_status_code(s));
      return NULL;
    }
    st->recheck_op.settle = recheck_settle;
    st->recheck_op.discard = recheck_discard;
    tova_runtime_on_activity(st->rt, on_activity, st);
  }
  return st->rt;
}

static void env_cleanup(void *arg) {
  tova_napi_env *st = arg;
  st->closing = true;
  /* From here on completions are discarded instead of reaching JS. */
  tova_napi_cq_kill(st->cq);
  if (st->rt) {
    /* The runtime ends every WebAssembly task (running ones stop at their
     * next back-edge or call, parked ones at once) and joins its workers. */
    tova_runtime_free(st->rt);
    st->rt = NULL;
  }
  /* References are the environment's memory; give them back (no JS runs). */
  if (st->js_helpers == 1) {
    napi_delete_reference(st->env, st->js_to_f64);
    napi_delete_reference(st->env, st->js_to_array);
  }
  tova_napi_cq_release(st->cq);
  free(st);
}

/* runtimeInfo(): which execution tiers this build has, and the policy. */
static napi_value runtime_info(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[160];
  napi_value out;
  tova_runtime_info(buf, sizeof buf);
  TOVA_NAPI_CALL(env, napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out), "runtimeInfo");
  return out;
}

static napi_value health_check(napi_env env, napi_callback_info info) {
  napi_value out;
  TOVA_NAPI_CALL(env, napi_create_string_utf8(env, "tova_runtime ok", NAPI_AUTO_LENGTH, &out),
                 "healthCheck");
  return out;
}

/* Whether v is one of the runtime's own errors (a string `code` starting
 * with TOVA_), read without running user code: a data property only. */
static bool is_coded(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  bool own = false;
  napi_value key, code, ignored;
  char buf[8] = "";
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_object) return false;
  if (napi_create_string_utf8(env, "code", 4, &key) != napi_ok ||
      napi_has_own_property(env, v, key, &own) != napi_ok || !own) {
    tova_napi_take_exception(env, &ignored); /* a Proxy's trap */
    return false;
  }
  if (napi_get_property(env, v, key, &code) != napi_ok ||
      napi_get_value_string_utf8(env, code, buf, sizeof buf, &len) != napi_ok) {
    tova_napi_take_exception(env, &ignored);
    return false;
  }
  return strncmp(buf, "TOVA_", 5) == 0;
}

/* Every export runs behind this. Reading an argument may run user code (a
 * getter, a Proxy's trap, a revoked Proxy), and N-API lets what it throws
 * propagate as the export's own exception; the API promises coded errors
 * for bad input (README), so such an exception leaves as a TOVA_BAD_ARGUMENT
 * TypeError naming the export and what was thrown (the thrown value kept as
 * `cause`). The runtime's own errors pass unchanged. Tova's bridge calls the
 * .node file's functions directly, so this is where that is kept. */
static napi_value guarded(napi_env env, napi_callback_info info) {
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &data) != napi_ok || !data) return NULL;
  const tova_napi_export *x = data;
  napi_value out = x->fn(env, info), thrown;
  if (!tova_napi_take_exception(env, &thrown)) return out;
  if (is_coded(env, thrown)) {
    napi_throw(env, thrown);
    return NULL;
  }
  char what[200], msg[320];
  tova_napi_describe(env, thrown, what, sizeof what);
  snprintf(msg, sizeof msg, "%s: reading an argument threw: %s", x->name, what);
  napi_value e = tova_napi_error_value(env, TOVA_ERR_BAD_ARGUMENT, msg);
  if (!e) return NULL;
  napi_set_named_property(env, e, "cause", thrown);
  napi_throw(env, e);
  return NULL;
}

napi_status tova_napi_define(napi_env env, napi_value exports, const tova_napi_export *list) {
  for (; list->name; list++) {
    napi_value fn;
    /* The list is static: the export's entry is its function's data. */
    napi_status s = list->no_user_code
                        ? napi_create_function(env, list->name, NAPI_AUTO_LENGTH, list->fn, NULL, &fn)
                        : napi_create_function(env, list->name, NAPI_AUTO_LENGTH, guarded, (void *)list, &fn);
    if (s != napi_ok) return s;
    s = napi_set_named_property(env, exports, list->name, fn);
    if (s != napi_ok) return s;
  }
  return napi_ok;
}

static tova_napi_env *env_state_new(napi_env env) {
  tova_napi_env *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->env = env;
  st->cq = tova_napi_cq_new();
  if (!st->cq) {
    if (st->cq) tova_napi_cq_release(st->cq);
    free(st);
    return NULL;
  }
  return st;
}

NAPI_MODULE_INIT() {
  /* Loading a second copy of the addon into the same environment reuses the
   * state of the first, so one env never has two pools or two queues. */
  tova_napi_env *st = tova_napi_state(env);
  /* As the tova command: compiled code kept in the user's cache directory
   * (tova.h tova_set_code_cache; TOVA_CACHE_DIR overrides, empty for none).
   * Refused, harmlessly, once a module of another environment has fixed it. */
  tova_set_code_cache(TOVA_CODE_CACHE_USER, NULL);
  if (!st) {
    st = env_state_new(env);
    if (!st) return tova_napi_throwf(env, TOVA_ERR_NOMEM, "tova_runtime: out of memory at load");
    if (napi_set_instance_data(env, st, NULL, NULL) != napi_ok ||
        tova_napi_cq_start(env, st) != napi_ok ||
        napi_add_env_cleanup_hook(env, env_cleanup, st) != napi_ok) {
      return tova_napi_fail(env, napi_generic_failure, "tova_runtime: load");
    }
  }
  static const tova_napi_export list[] = {
      {"healthCheck", health_check, false}, {"runtimeInfo", runtime_info, false}, {NULL, NULL, false}};
  TOVA_NAPI_CALL(env, tova_napi_define(env, exports, list), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_register_tasks(env, exports), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_register_channels(env, exports), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_register_channel_select(env, exports), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_register_module(env, exports), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_register_wasm(env, exports), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_register_bulk(env, exports), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_register_wasi(env, exports), "tova_runtime: load");
  TOVA_NAPI_CALL(env, tova_napi_install_packing(env, exports), "tova_runtime: load");
  return exports;
}
