/* wasi.c: runWasi(wasm, options): a WASI command (its `_start`) run as a
 * WebAssembly task of the runtime, with WASI preview 1 imports.
 *
 *   options.args      ['prog', 'arg1', ...] (argv[0] first; default ['wasi'])
 *   options.env       {KEY: 'value'}
 *   options.preopens  {'/guest/path': '/host/path'}
 *   options.stdin     a file descriptor, or 'inherit' (fd 0); default: closed
 *   options.stdout / options.stderr
 *                     'inherit' (default: the process's), 'pipe' (captured and
 *                     returned as a Buffer), or a file descriptor
 *   options.timeout   ms: cancelled with TOVA_TIMEOUT after that long
 *
 * Promise of {exitCode, stdout?, stderr?}: the exit status of proc_exit, or 0
 * when _start returns. A trap rejects with TOVA_TRAP. Captured output goes to
 * an unlinked temporary file the task writes and the JS thread reads back. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasm_internal.h"

typedef struct wasi_op {
  tova_napi_op op;
  tova_napi_cq *cq;
  tova_napi_env *st;
  tova_module *module;
  tova_wasm_task *task;
  FILE *capture[2]; /* stdout, stderr when 'pipe' */
} wasi_op;

static void wasi_op_free(wasi_op *w) {
  for (int i = 0; i < 2; i++)
    if (w->capture[i]) fclose(w->capture[i]);
  if (w->task) tova_wasm_task_release(w->task);
  if (w->module) tova_module_release(w->module);
  free(w);
}

static void wasi_discard(tova_napi_op *op) { wasi_op_free((wasi_op *)op); }

static napi_status read_capture(napi_env env, FILE *f, napi_value *out) {
  long len = (fflush(f), fseek(f, 0, SEEK_END), ftell(f));
  if (len < 0) len = 0;
  rewind(f);
  void *data = NULL;
  napi_status s = napi_create_buffer(env, (size_t)len, &data, out);
  if (s == napi_ok && len > 0 && fread(data, 1, (size_t)len, f) != (size_t)len) s = napi_generic_failure;
  return s;
}

static void wasi_settle(napi_env env, tova_napi_env *st, tova_napi_op *op) {
  wasi_op *w = (wasi_op *)op;
  atomic_fetch_sub(&st->inflight, 1);
  tova_error err;
  int code = 0;
  if (tova_wasm_task_status(w->task, &err) != TOVA_OK || !tova_wasm_task_exit_code(w->task, &code)) {
    char msg[TOVA_ERROR_MAX + 16];
    snprintf(msg, sizeof msg, "runWasi: %s", err.message);
    tova_napi_reject(env, op->deferred, err.status, msg);
  } else {
    napi_value res, v;
    napi_status s = napi_create_object(env, &res);
    if (s == napi_ok) s = napi_create_int32(env, code, &v);
    if (s == napi_ok) s = napi_set_named_property(env, res, "exitCode", v);
    static const char *names[2] = {"stdout", "stderr"};
    for (int i = 0; i < 2 && s == napi_ok; i++) {
      if (!w->capture[i]) continue;
      s = read_capture(env, w->capture[i], &v);
      if (s == napi_ok) s = napi_set_named_property(env, res, names[i], v);
    }
    if (s == napi_ok) napi_resolve_deferred(env, op->deferred, res);
    else tova_napi_reject(env, op->deferred, TOVA_ERR_NOMEM, "runWasi: cannot build the result");
  }
  wasi_op_free(w);
  tova_napi_update_ref(st);
}

static void wasi_done(tova_wasm_task *t, void *userdata) {
  (void)t;
  wasi_op *w = userdata;
  atomic_fetch_add(&w->st->inflight, 1);
  tova_napi_cq_push(w->cq, &w->op);
}

/* A string property of obj, copied (NULL if absent); false on a bad type. */
static bool get_strings(napi_env env, napi_value arr, char ***out, size_t *n, tova_error *err,
                        const char *what) {
  bool is_array = false;
  *out = NULL;
  *n = 0;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) {
    tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "runWasi: %s must be an array of strings", what);
    return false;
  }
  uint32_t len = 0;
  napi_get_array_length(env, arr, &len);
  char **v = calloc(len ? len : 1, sizeof *v);
  if (!v) return false;
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    char w[64];
    snprintf(w, sizeof w, "runWasi: %s[%u]", what, i);
    if (napi_get_element(env, arr, i, &e) != napi_ok || tova_napi_to_string(env, e, &v[i], err, w) != TOVA_OK) {
      for (uint32_t k = 0; k < i; k++) free(v[k]);
      free(v);
      return false;
    }
  }
  *out = v;
  *n = len;
  return true;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* {K: V} -> ["K=V", ...] */
static bool get_env(napi_env env, napi_value obj, char ***out, size_t *n, tova_error *err) {
  napi_value keys;
  uint32_t len = 0;
  *out = NULL;
  *n = 0;
  if (napi_get_property_names(env, obj, &keys) != napi_ok || napi_get_array_length(env, keys, &len) != napi_ok) {
    tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "runWasi: env must be an object of strings");
    return false;
  }
  char **v = calloc(len ? len : 1, sizeof *v);
  if (!v) return false;
  for (uint32_t i = 0; i < len; i++) {
    napi_value k, val;
    char *ks = NULL, *vs = NULL;
    napi_get_element(env, keys, i, &k);
    if (tova_napi_to_string(env, k, &ks, err, "runWasi: env key") != TOVA_OK ||
        napi_get_property(env, obj, k, &val) != napi_ok ||
        tova_napi_to_string(env, val, &vs, err, "runWasi: env value") != TOVA_OK) {
      free(ks);
      free_strings(v, i);
      return false;
    }
    size_t l = strlen(ks) + strlen(vs) + 2;
    v[i] = malloc(l);
    if (v[i]) snprintf(v[i], l, "%s=%s", ks, vs);
    free(ks);
    free(vs);
    if (!v[i]) {
      free_strings(v, i);
      return false;
    }
  }
  *out = v;
  *n = len;
  return true;
}

/* 'inherit' -> def, 'pipe' -> a temporary file (captured), a number -> that fd. */
static bool get_stream(napi_env env, napi_value opts, const char *name, int def, int inherit,
                       int *fd, FILE **cap, tova_error *err) {
  napi_value v;
  bool has = false;
  *fd = def;
  *cap = NULL;
  if (napi_has_named_property(env, opts, name, &has) != napi_ok || !has) return true;
  napi_get_named_property(env, opts, name, &v);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return true;
  if (t == napi_number) {
    int32_t x = -1;
    napi_get_value_int32(env, v, &x);
    if (x < 0) {
      tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "runWasi: %s must be a file descriptor", name);
      return false;
    }
    *fd = x;
    return true;
  }
  char s[16] = {0};
  size_t len = 0;
  if (t == napi_string) napi_get_value_string_utf8(env, v, s, sizeof s, &len);
  if (strcmp(s, "inherit") == 0) {
    *fd = inherit;
    return true;
  }
  if (strcmp(s, "pipe") == 0) {
    *cap = tmpfile();
    if (!*cap) {
      tova_error_set(err, TOVA_ERR_NOMEM, "runWasi: cannot create a capture file for %s (%s)", name,
                     strerror(errno));
      return false;
    }
    *fd = fileno(*cap);
    return true;
  }
  tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "runWasi: %s must be 'inherit', 'pipe' or a file descriptor",
                 name);
  return false;
}

static bool named(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  napi_valuetype t = napi_undefined;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return false;
  napi_get_named_property(env, obj, name, out);
  napi_typeof(env, *out, &t);
  return t != napi_undefined && t != napi_null;
}

static napi_value run_wasi(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise, v;
  tova_error err = {TOVA_OK, ""};
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "runWasi");
  tova_napi_env *st = tova_napi_state(env);
  wasi_op *w = calloc(1, sizeof *w);
  tova_wasi *ctx = tova_wasi_new();
  if (!w || !ctx) {
    free(w);
    tova_wasi_free(ctx);
    return tova_napi_rejectf(env, TOVA_ERR_NOMEM, "runWasi: out of memory");
  }
  w->st = st;
  w->cq = st->cq;
  w->op.settle = wasi_settle;
  w->op.discard = wasi_discard;
  napi_valuetype t = napi_undefined;
  napi_value opts = argc > 1 ? argv[1] : NULL;
  if (opts) napi_typeof(env, opts, &t);
  bool ok = tova_napi_module_arg(env, argv[0], &w->module, &err, "runWasi") == TOVA_OK;
  if (ok && t != napi_undefined && t != napi_null && t != napi_object) {
    tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "runWasi: options must be an object");
    ok = false;
  }
  bool has_opts = ok && t == napi_object;
  char **list = NULL;
  size_t n = 0;
  if (ok && has_opts && named(env, opts, "args", &v)) {
    ok = get_strings(env, v, &list, &n, &err, "args");
    if (ok) tova_wasi_set_args(ctx, n, (const char *const *)list);
    free_strings(list, n);
  } else if (ok) {
    const char *def[1] = {"wasi"};
    tova_wasi_set_args(ctx, 1, def);
  }
  if (ok && has_opts && named(env, opts, "env", &v)) {
    ok = get_env(env, v, &list, &n, &err);
    if (ok) tova_wasi_set_env(ctx, n, (const char *const *)list);
    free_strings(list, n);
  }
  if (ok && has_opts && named(env, opts, "preopens", &v)) {
    napi_value keys;
    uint32_t len = 0;
    ok = napi_get_property_names(env, v, &keys) == napi_ok && napi_get_array_length(env, keys, &len) == napi_ok;
    for (uint32_t i = 0; ok && i < len; i++) {
      napi_value k, hv;
      char *guest = NULL, *host = NULL;
      napi_get_element(env, keys, i, &k);
      ok = tova_napi_to_string(env, k, &guest, &err, "runWasi: preopen guest path") == TOVA_OK &&
           napi_get_property(env, v, k, &hv) == napi_ok &&
           tova_napi_to_string(env, hv, &host, &err, "runWasi: preopen host path") == TOVA_OK &&
           tova_wasi_preopen(ctx, host, guest, &err) == TOVA_OK;
      free(guest);
      free(host);
    }
  }
  int fds[3] = {-1, 1, 2};
  if (ok && has_opts) {
    FILE *none;
    ok = get_stream(env, opts, "stdin", -1, 0, &fds[0], &none, &err) &&
         get_stream(env, opts, "stdout", 1, 1, &fds[1], &w->capture[0], &err) &&
         get_stream(env, opts, "stderr", 2, 2, &fds[2], &w->capture[1], &err);
    if (none) fclose(none);
  }
  if (ok) tova_wasi_set_stdio(ctx, fds[0], fds[1], fds[2]);
  int64_t timeout_ms = 0;
  if (ok) {
    ok = tova_napi_opt_ms(env, opts, "timeout", &timeout_ms, &err, "runWasi") == TOVA_OK;
    timeout_ms = timeout_ms < 0 ? 0 : timeout_ms == 0 ? 1 : timeout_ms;
  }
  tova_runtime *rt = ok ? tova_napi_runtime(st, &err) : NULL;
  if (!rt) {
    if (err.status == TOVA_OK) tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "runWasi: bad options");
    napi_value pending;
    tova_napi_take_exception(env, &pending);
    tova_wasi_free(ctx);
    wasi_op_free(w);
    return tova_napi_rejected(env, &err);
  }
  if (napi_create_promise(env, &w->op.deferred, &promise) != napi_ok) {
    tova_wasi_free(ctx);
    wasi_op_free(w);
    return tova_napi_fail(env, napi_generic_failure, "runWasi");
  }
  tova_wasm_task_config cfg = {.module = w->module, .func = "_start", .func_len = 6,
                               .timeout_ms = timeout_ms, .done = wasi_done, .userdata = w,
                               .wasi = ctx};
  tova_wasm_task *task = NULL;
  if (tova_wasm_task_spawn(rt, &cfg, &task, &err) != TOVA_OK) {
    tova_wasi_free(ctx); /* not taken over */
    char msg[TOVA_ERROR_MAX + 16];
    snprintf(msg, sizeof msg, "runWasi: %s", err.message);
    tova_napi_reject(env, w->op.deferred, err.status, msg);
    wasi_op_free(w);
    return promise;
  }
  w->task = task;
  return promise;
}

napi_status tova_napi_register_wasi(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {{"runWasi", run_wasi, false}, {NULL, NULL, false}};
  return tova_napi_define(env, exports, list);
}
