/* js_helpers.c: two tiny JS functions, compiled once per environment, for
 * converting big arrays in bulk.
 *
 * One N-API call per element (napi_get_element + napi_get_value_double, or
 * napi_create_double + napi_set_element) costs far more than a JIT-compiled JS
 * loop over the same array, and concurrentAll takes and returns plain arrays of
 * up to millions of numbers. So the addon runs these loops in JS and works on
 * the Float64Array they produce. Anything they do not cover (BigInts, bad
 * values) falls back to the per-element C path, which also writes the error
 * messages. */
#include "addon.h"

/* values -> Float64Array if every element is a safe integer number, else null. */
static const char to_f64_src[] =
    "(function tovaToFloat64(values) {"
    "  const n = values.length;"
    "  const out = new Float64Array(n);"
    "  for (let i = 0; i < n; i++) {"
    "    const v = values[i];"
    "    if (!Number.isSafeInteger(v)) return null;"
    "    out[i] = v;"
    "  }"
    "  return out;"
    "})";

/* Float64Array -> plain array of the same numbers. */
static const char to_array_src[] =
    "(function tovaToArray(typed) {"
    "  const n = typed.length;"
    "  const out = new Array(n);"
    "  for (let i = 0; i < n; i++) out[i] = typed[i];"
    "  return out;"
    "})";

static napi_status compile_fn(napi_env env, const char *src, napi_ref *out) {
  napi_value code, fn;
  napi_status s = napi_create_string_utf8(env, src, NAPI_AUTO_LENGTH, &code);
  if (s == napi_ok) s = napi_run_script(env, code, &fn);
  if (s == napi_ok) s = napi_create_reference(env, fn, 1, out);
  return s;
}

/* Compile on first use; false if this runtime refuses (then callers use the
 * per-element path). */
static bool helpers_ready(napi_env env, tova_napi_env *st) {
  if (st->js_helpers == 0) {
    bool ok = compile_fn(env, to_f64_src, &st->js_to_f64) == napi_ok &&
              compile_fn(env, to_array_src, &st->js_to_array) == napi_ok;
    napi_value ignored;
    if (!ok) tova_napi_take_exception(env, &ignored);
    st->js_helpers = ok ? 1 : -1;
  }
  return st->js_helpers == 1;
}

static bool call_helper(napi_env env, napi_ref ref, napi_value arg, napi_value *out) {
  napi_value fn, undefined;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok || napi_get_undefined(env, &undefined) != napi_ok) {
    return false;
  }
  if (napi_call_function(env, undefined, fn, 1, &arg, out) != napi_ok) {
    napi_value ignored;
    tova_napi_take_exception(env, &ignored);
    return false;
  }
  return true;
}

bool tova_napi_js_to_f64(napi_env env, tova_napi_env *st, napi_value values, const double **data,
                         size_t *n) {
  napi_value typed;
  napi_valuetype t;
  if (!helpers_ready(env, st) || !call_helper(env, st->js_to_f64, values, &typed)) return false;
  if (napi_typeof(env, typed, &t) != napi_ok || t != napi_object) return false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *p;
  if (napi_get_typedarray_info(env, typed, &type, n, &p, &ab, &offset) != napi_ok ||
      type != napi_float64_array) {
    return false;
  }
  *data = p;
  return true;
}

bool tova_napi_js_to_array(napi_env env, tova_napi_env *st, const int64_t *values, size_t stride,
                           size_t n, napi_value *out) {
  if (!helpers_ready(env, st)) return false;
  void *p;
  napi_value ab, typed;
  if (napi_create_arraybuffer(env, n * sizeof(double), &p, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, n, ab, 0, &typed) != napi_ok) {
    return false;
  }
  double *d = p;
  for (size_t i = 0; i < n; i++) {
    int64_t v = *(const int64_t *)((const char *)values + i * stride);
    if (v < -TOVA_NAPI_MAX_SAFE_INT || v > TOVA_NAPI_MAX_SAFE_INT) return false; /* needs BigInts */
    d[i] = (double)v;
  }
  return call_helper(env, st->js_to_array, typed, out);
}
