/* errors.c: every error the addon raises is a JS Error with a stable `code`
 * (tova_status_code) and a message that says what went wrong and where. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addon.h"

napi_value tova_napi_error_value(napi_env env, tova_status s, const char *message) {
  napi_value code, msg, error = NULL;
  if (napi_create_string_utf8(env, tova_status_code(s), NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok) return NULL;
  /* napi_create_*error sets .code itself from its second argument. */
  if (s == TOVA_ERR_BAD_ARGUMENT) {
    napi_create_type_error(env, code, msg, &error);
  } else {
    napi_create_error(env, code, msg, &error);
  }
  return error;
}

napi_value tova_napi_throw(napi_env env, const tova_error *err) {
  napi_value e = tova_napi_error_value(env, err->status, err->message);
  if (e) napi_throw(env, e);
  return NULL;
}

/* An error from a format (throwf, rejectf). */
static void error_vset(tova_error *err, tova_status s, const char *fmt, va_list ap) {
  err->status = s;
  vsnprintf(err->message, sizeof err->message, fmt, ap);
}

napi_value tova_napi_throwf(napi_env env, tova_status s, const char *fmt, ...) {
  tova_error err;
  va_list ap;
  va_start(ap, fmt);
  error_vset(&err, s, fmt, ap);
  va_end(ap);
  return tova_napi_throw(env, &err);
}

napi_value tova_napi_rejected(napi_env env, const tova_error *err) {
  napi_deferred d;
  napi_value promise;
  if (napi_create_promise(env, &d, &promise) != napi_ok) return NULL;
  tova_napi_reject(env, d, err->status, err->message);
  return promise;
}

void tova_napi_reject(napi_env env, napi_deferred d, tova_status s, const char *message) {
  napi_value e = tova_napi_error_value(env, s, message);
  if (!e) napi_get_undefined(env, &e);
  napi_reject_deferred(env, d, e);
}

bool tova_napi_take_exception(napi_env env, napi_value *out) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return false;
  return napi_get_and_clear_last_exception(env, out) == napi_ok;
}

void tova_napi_settle_built(napi_env env, napi_deferred d, napi_status s, napi_value out,
                            const char *what) {
  if (s == napi_ok) {
    napi_resolve_deferred(env, d, out);
    return;
  }
  napi_value e;
  if (!tova_napi_take_exception(env, &e)) e = tova_napi_error_value(env, TOVA_ERR_NOMEM, what);
  napi_reject_deferred(env, d, e);
}

napi_value tova_napi_fail(napi_env env, napi_status s, const char *where) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return NULL;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *why = info && info->error_message ? info->error_message : "unknown N-API failure";
  /* napi calls fail on values of the wrong kind (napi_number_expected, ...),
   * i.e. on what the caller passed. */
  return tova_napi_throwf(env, TOVA_ERR_BAD_ARGUMENT, "%s: N-API call failed (status %d: %s)", where,
                          (int)s, why);
}

napi_value tova_napi_rejectf(napi_env env, tova_status s, const char *fmt, ...) {
  tova_error err;
  va_list ap;
  va_start(ap, fmt);
  error_vset(&err, s, fmt, ap);
  va_end(ap);
  return tova_napi_rejected(env, &err);
}
