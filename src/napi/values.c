/* values.c: int64 <-> JS and argument reading.
 *
 * i64 crosses as a JS number when that is exact (|v| <= 2^53-1) and as a BigInt
 * otherwise; input accepts both. Nothing is rounded silently: a fractional,
 * non-finite or unsafe number is a TOVA_BAD_ARGUMENT error. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"
#include "js_number.h"

napi_status tova_napi_from_i64(napi_env env, int64_t v, napi_value *out) {
  if (v >= -TOVA_NAPI_MAX_SAFE_INT && v <= TOVA_NAPI_MAX_SAFE_INT) {
    return napi_create_double(env, (double)v, out);
  }
  return napi_create_bigint_int64(env, v, out);
}

const char *tova_napi_type_name(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return "unknown";
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
  }
  return "unknown";
}

tova_status tova_napi_to_i64(napi_env env, napi_value v, int64_t *out, tova_error *err,
                             const char *what) {
  /* Hot path (every channelSend): one N-API call when v is a number. */
  double d;
  if (napi_get_value_double(env, v, &d) == napi_ok) {
    char text[TOVA_JS_NUMBER_MAX];
    if (!isfinite(d) || d != trunc(d)) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s must be an integer, got %s", what,
                            tova_js_number(d, text));
    }
    if (fabs(d) > (double)TOVA_NAPI_MAX_SAFE_INT) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                            "%s %s is outside the safe integer range (+-(2^53-1)); pass a BigInt",
                            what, tova_js_number(d, text));
    }
    *out = (int64_t)d;
    return TOVA_OK;
  }
  bool lossless = false;
  int64_t x;
  napi_status s = napi_get_value_bigint_int64(env, v, &x, &lossless);
  if (s == napi_ok) {
    if (!lossless) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                            "%s: BigInt is outside the int64 range [-2^63, 2^63-1]", what);
    }
    *out = x;
    return TOVA_OK;
  }
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s must be an integer number or BigInt, got %s",
                        what, tova_napi_type_name(env, v));
}

tova_status tova_napi_to_index(napi_env env, napi_value v, uint64_t max, uint64_t *out,
                               tova_error *err, const char *what) {
  /* Hot path: handles on every channel call. In range first, so the cast is
   * defined (max below 2^53: (double)max is exact); integral when the cast
   * round-trips (no trunc: a libm call without SSE4.1, ~6% of a channel
   * call in profiles). */
  assert(max < ((uint64_t)1 << 53));
  double d;
  if (napi_get_value_double(env, v, &d) == napi_ok && d >= 0 && d <= (double)max &&
      (double)(uint64_t)d == d) {
    *out = (uint64_t)d;
    return TOVA_OK;
  }
  int64_t x;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || (t != napi_number && t != napi_bigint)) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s must be a non-negative integer, got %s",
                          what, tova_napi_type_name(env, v));
  }
  tova_status s = tova_napi_to_i64(env, v, &x, err, what);
  if (s != TOVA_OK) return s;
  if (x < 0 || (uint64_t)x > max) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s must be an integer in [0, %llu], got %lld",
                          what, (unsigned long long)max, (long long)x);
  }
  *out = (uint64_t)x;
  return TOVA_OK;
}

napi_status tova_napi_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  size_t want = *argc;
  napi_status s = napi_get_cb_info(env, info, argc, argv, NULL, NULL);
  if (s != napi_ok) return s;
  /* Missing arguments read as undefined so checks give one clear message. */
  for (size_t i = *argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return napi_ok;
}

tova_status tova_napi_to_string(napi_env env, napi_value v, char **out, tova_error *err,
                                const char *what) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s must be a string, got %s", what,
                          tova_napi_type_name(env, v));
  }
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  if (!s) return tova_error_set(err, TOVA_ERR_NOMEM, "%s: out of memory", what);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  /* The result is used as a C string (export names): a NUL inside would cut
   * it, and 'a\0b' would silently mean 'a'. Refuse rather than guess. */
  if (strlen(s) != len) {
    free(s);
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s must not contain a NUL character (\\0)",
                          what);
  }
  *out = s;
  return TOVA_OK;
}

void tova_napi_describe(napi_env env, napi_value v, char *buf, size_t cap) {
  napi_value text = v, str, ignored;
  napi_valuetype t = napi_undefined;
  size_t len = 0;
  buf[0] = 0;
  napi_typeof(env, v, &t);
  if (t == napi_object && napi_get_named_property(env, v, "message", &text) != napi_ok) {
    tova_napi_take_exception(env, &ignored); /* a throwing `message` getter */
    text = v;
  }
  if (napi_typeof(env, text, &t) == napi_ok && t == napi_symbol) {
    snprintf(buf, cap, "a Symbol"); /* a Symbol does not convert to a string */
    return;
  }
  if (napi_coerce_to_string(env, text, &str) == napi_ok)
    napi_get_value_string_utf8(env, str, buf, cap, &len);
  else
    tova_napi_take_exception(env, &ignored);
  if (!buf[0]) snprintf(buf, cap, "a value that prints as nothing");
}

/* The pending JS exception, cleared, as a message (for "the getter threw");
 * empty when none is pending. */
static void take_exception_text(napi_env env, char *buf, size_t cap) {
  napi_value e;
  buf[0] = 0;
  if (tova_napi_take_exception(env, &e)) tova_napi_describe(env, e, buf, cap);
}

tova_status tova_napi_bad_read(napi_env env, tova_error *err, const char *what, const char *otherwise) {
  char why[160];
  take_exception_text(env, why, sizeof why);
  if (why[0]) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: reading it threw: %s", what, why);
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: %s", what, otherwise);
}

tova_status tova_napi_list_length(napi_env env, napi_value v, uint32_t *n, tova_error *err,
                                  const char *what) {
  bool is_array = false;
  *n = 0;
  if (napi_is_array(env, v, &is_array) == napi_ok && is_array) {
    napi_get_array_length(env, v, n);
    return TOVA_OK;
  }
  /* Array-likes too: a Proxy over an array is not an Array to N-API. */
  napi_valuetype t = napi_undefined;
  napi_value len;
  double d = -1;
  bool has = false;
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_object &&
      napi_has_named_property(env, v, "length", &has) == napi_ok && has &&
      napi_get_named_property(env, v, "length", &len) == napi_ok &&
      napi_get_value_double(env, len, &d) == napi_ok && d >= 0 && d <= 4294967295.0 &&
      d == (double)(uint32_t)d) {
    *n = (uint32_t)d;
    return TOVA_OK;
  }
  char why[160];
  take_exception_text(env, why, sizeof why);
  if (why[0])
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: reading it threw: %s", what, why);
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s must be an array, got %s", what,
                        tova_napi_type_name(env, v));
}

tova_status tova_napi_list_get(napi_env env, napi_value list, uint32_t i, napi_value *out,
                               tova_error *err, const char *what) {
  if (napi_get_element(env, list, i, out) == napi_ok) return TOVA_OK;
  char why[160];
  take_exception_text(env, why, sizeof why);
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s[%u]: reading it %s%s", what, i,
                        why[0] ? "threw: " : "failed", why);
}

tova_status tova_napi_opt_ms(napi_env env, napi_value opts, const char *name, int64_t *ms,
                             tova_error *err, const char *fn) {
  napi_valuetype t = napi_undefined;
  *ms = -1;
  if (!opts || napi_typeof(env, opts, &t) != napi_ok || t == napi_undefined || t == napi_null)
    return TOVA_OK;
  if (t != napi_object)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: options must be an object, got %s", fn,
                          tova_napi_type_name(env, opts));
  napi_value v;
  bool has = false;
  char what[80];
  snprintf(what, sizeof what, "%s: options.%s", fn, name);
  if (napi_has_named_property(env, opts, name, &has) != napi_ok ||
      (has && napi_get_named_property(env, opts, name, &v) != napi_ok))
    return tova_napi_bad_read(env, err, what, "cannot be read"); /* a getter or a Proxy threw */
  if (!has || napi_typeof(env, v, &t) != napi_ok || t == napi_undefined) return TOVA_OK;
  uint64_t x;
  tova_status s = tova_napi_to_index(env, v, (uint64_t)1 << 40, &x, err, what);
  if (s == TOVA_OK) *ms = (int64_t)x;
  return s;
}
