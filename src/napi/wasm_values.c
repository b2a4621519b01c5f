/* wasm_values.c: WebAssembly values <-> JS, driven by the export's signature.
 *
 * In:  i32  an integer number (or BigInt) in [-2^31, 2^32-1], taken mod 2^32
 *      i64  a safe integer number, or a BigInt in [-2^63, 2^64-1]
 *      f32/f64  any number (f32 rounds to nearest, as Math.fround does)
 * Out: i32 a signed number; i64 a number when exact, else a BigInt;
 *      f32/f64 numbers. Anything else is a TOVA_BAD_ARGUMENT error. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wasm_internal.h"

static tova_status arg_i32(napi_env env, napi_value v, tova_val *out, tova_error *err,
                           const char *what) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  int64_t x;
  if (t == napi_number || t == napi_bigint) {
    tova_status s = tova_napi_to_i64(env, v, &x, err, what);
    if (s != TOVA_OK) return s;
    if (x >= -2147483648LL && x <= 4294967295LL) {
      out->i32 = (int32_t)(uint32_t)(uint64_t)x;
      return TOVA_OK;
    }
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s (i32) must be in [-2^31, 2^32-1], got %lld",
                          what, (long long)x);
  }
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s (i32) must be an integer number, got %s",
                        what, tova_napi_type_name(env, v));
}

static tova_status arg_i64(napi_env env, napi_value v, tova_val *out, tova_error *err,
                           const char *what) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    bool lossless = false;
    int64_t x;
    uint64_t u;
    if (napi_get_value_bigint_int64(env, v, &x, &lossless) == napi_ok && lossless) {
      out->i64 = x;
      return TOVA_OK;
    }
    if (napi_get_value_bigint_uint64(env, v, &u, &lossless) == napi_ok && lossless) {
      out->i64 = (int64_t)u;
      return TOVA_OK;
    }
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s (i64): BigInt is outside [-2^63, 2^64-1]",
                          what);
  }
  return tova_napi_to_i64(env, v, &out->i64, err, what);
}

static tova_status arg_float(napi_env env, napi_value v, uint8_t type, tova_val *out,
                             tova_error *err, const char *what) {
  napi_valuetype t;
  double d;
  napi_typeof(env, v, &t);
  if (t != napi_number) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s (%s) must be a number, got %s", what,
                          tova_valtype_name(type), tova_napi_type_name(env, v));
  }
  napi_get_value_double(env, v, &d);
  if (type == TOVA_F32) {
    float f = (float)d;
    memcpy(&out->f32_bits, &f, sizeof f);
  } else {
    memcpy(&out->f64_bits, &d, sizeof d);
  }
  return TOVA_OK;
}

tova_status tova_napi_wasm_arg(napi_env env, napi_value v, uint8_t type, tova_val *out,
                               tova_error *err, const char *what) {
  out->raw = 0;
  switch (type) {
    case TOVA_I32: return arg_i32(env, v, out, err, what);
    case TOVA_I64: return arg_i64(env, v, out, err, what);
    case TOVA_F32:
    case TOVA_F64: return arg_float(env, v, type, out, err, what);
  }
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: parameters of type %s cannot be passed from JS",
                        what, tova_valtype_name(type));
}

tova_status tova_napi_wasm_args(napi_env env, napi_value args, const tova_functype *ft,
                                tova_val *out, tova_error *err, const char *fn, const char *func) {
  napi_valuetype t;
  bool is_array = false;
  uint32_t n = 0;
  napi_typeof(env, args, &t);
  if (t == napi_undefined || t == napi_null) {
    n = 0;
  } else if (napi_is_array(env, args, &is_array) == napi_ok && is_array) {
    napi_get_array_length(env, args, &n);
  } else {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: args for %s must be an array, got %s", fn,
                          func, tova_napi_type_name(env, args));
  }
  if (n != ft->nparams) {
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: %s takes %u argument%s, got %u", fn, func,
                          ft->nparams, ft->nparams == 1 ? "" : "s", n);
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, args, i, &v) != napi_ok) {
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%s: cannot read argument %u of %s", fn, i, func);
    }
    tova_status s = tova_napi_wasm_arg(env, v, ft->params[i], &out[i], err, "argument");
    if (s != TOVA_OK) {
      /* Name the call only now: formatting per argument would cost more
       * than the conversion itself on a batch of 200K small calls. */
      char why[TOVA_ERROR_MAX];
      const char *rest = strncmp(err->message, "argument", 8) == 0 ? err->message + 8 : err->message;
      snprintf(why, sizeof why, "%s", rest);
      return tova_error_set(err, s, "%s: argument %u of %s%s", fn, i, func, why);
    }
  }
  return TOVA_OK;
}

napi_status tova_napi_wasm_value(napi_env env, uint8_t type, tova_val v, napi_value *out) {
  switch (type) {
    case TOVA_I32: return napi_create_int32(env, v.i32, out);
    case TOVA_I64: return tova_napi_from_i64(env, v.i64, out);
    case TOVA_F32: {
      float f;
      memcpy(&f, &v.f32_bits, sizeof f);
      return napi_create_double(env, (double)f, out);
    }
    case TOVA_F64: {
      double d;
      memcpy(&d, &v.f64_bits, sizeof d);
      return napi_create_double(env, d, out);
    }
  }
  /* References have no JS form yet: a null reference reads as null. */
  return v.ref ? napi_get_undefined(env, out) : napi_get_null(env, out);
}

napi_status tova_napi_wasm_results(napi_env env, const tova_functype *ft, const tova_val *vals,
                                   napi_value *out) {
  if (ft->nresults == 0) return napi_get_undefined(env, out);
  if (ft->nresults == 1) return tova_napi_wasm_value(env, ft->results[0], vals[0], out);
  napi_status s = napi_create_array_with_length(env, ft->nresults, out);
  for (uint32_t i = 0; s == napi_ok && i < ft->nresults; i++) {
    napi_value v;
    s = tova_napi_wasm_value(env, ft->results[i], vals[i], &v);
    if (s == napi_ok) s = napi_set_element(env, *out, i, v);
  }
  return s;
}
