/* wasm_module.c: module arguments and module objects.
 *
 * A module argument is either WebAssembly bytes (any TypedArray/Buffer,
 * ArrayBuffer or DataView, compiled through the content-keyed cache) or an
 * object returned by compile(), which wraps a retained tova_module and lists
 * the module's exports with their signatures. Such objects carry an N-API type
 * tag so a look-alike JS object is never taken for one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

static const napi_type_tag module_tag = {0x746f76615f6d6f64ULL, 0x756c655f68616e64ULL};

typedef struct module_ref {
  tova_module *m;
} module_ref;

static void module_ref_finalize(napi_env env, void *data, void *hint) {
  module_ref *r = data;
  tova_module_release(r->m);
  free(r);
}

static const char *kind_name(tova_extern_kind k) {
  switch (k) {
    case TOVA_EXTERN_FUNC: return "function";
    case TOVA_EXTERN_TABLE: return "table";
    case TOVA_EXTERN_MEMORY: return "memory";
    case TOVA_EXTERN_GLOBAL: return "global";
  }
  return "unknown";
}

static napi_status type_list(napi_env env, const uint8_t *types, uint32_t n, napi_value *out) {
  napi_status s = napi_create_array_with_length(env, n, out);
  for (uint32_t i = 0; s == napi_ok && i < n; i++) {
    napi_value t;
    s = napi_create_string_utf8(env, tova_valtype_name(types[i]), NAPI_AUTO_LENGTH, &t);
    if (s == napi_ok) s = napi_set_element(env, *out, i, t);
  }
  return s;
}

static napi_status export_entry(napi_env env, tova_module *m, uint32_t i, napi_value *out) {
  tova_export_info info;
  napi_value v;
  tova_module_export_at(m, i, &info);
  napi_status s = napi_create_object(env, out);
  if (s == napi_ok) s = napi_create_string_utf8(env, info.name, info.name_len, &v);
  if (s == napi_ok) s = napi_set_named_property(env, *out, "name", v);
  if (s == napi_ok) s = napi_create_string_utf8(env, kind_name(info.kind), NAPI_AUTO_LENGTH, &v);
  if (s == napi_ok) s = napi_set_named_property(env, *out, "kind", v);
  if (s != napi_ok || info.kind != TOVA_EXTERN_FUNC) return s;
  char *name = malloc((size_t)info.name_len + 1);
  if (!name) return napi_generic_failure;
  memcpy(name, info.name, info.name_len);
  name[info.name_len] = 0;
  tova_functype ft;
  /* Names with an embedded NUL cannot be looked up by C string: no signature. */
  if (strlen(name) == info.name_len && tova_module_export_functype(m, name, &ft) == TOVA_OK) {
    s = type_list(env, ft.params, ft.nparams, &v);
    if (s == napi_ok) s = napi_set_named_property(env, *out, "params", v);
    if (s == napi_ok) s = type_list(env, ft.results, ft.nresults, &v);
    if (s == napi_ok) s = napi_set_named_property(env, *out, "results", v);
  }
  free(name);
  return s;
}

napi_status tova_napi_module_object(napi_env env, tova_module *m, napi_value *out) {
  napi_value exports;
  uint32_t n = tova_module_export_count(m);
  napi_status s = napi_create_object(env, out);
  if (s == napi_ok) s = napi_create_array_with_length(env, n, &exports);
  for (uint32_t i = 0; s == napi_ok && i < n; i++) {
    napi_value e;
    s = export_entry(env, m, i, &e);
    if (s == napi_ok) s = napi_set_element(env, exports, i, e);
  }
  if (s == napi_ok) s = napi_set_named_property(env, *out, "exports", exports);
  if (s != napi_ok) return s;
  module_ref *r = malloc(sizeof *r);
  if (!r) return napi_generic_failure;
  r->m = m;
  tova_module_retain(m);
  s = napi_wrap(env, *out, r, module_ref_finalize, NULL, NULL);
  if (s != napi_ok) {
    tova_module_release(m);
    free(r);
    return s;
  }
  return napi_type_tag_object(env, *out, &module_tag);
}

tova_status tova_napi_module_arg(napi_env env, napi_value v, tova_module **out, tova_error *err,
                                 const char *fn) {
  napi_valuetype t;
  bool yes = false;
  void *data = NULL;
  size_t len = 0;
  napi_typeof(env, v, &t);
  if (t == napi_object) {
    if (napi_check_object_type_tag(env, v, &module_tag, &yes) == napi_ok && yes &&
        napi_unwrap(env, v, (void **)&data) == napi_ok && data) {
      *out = ((module_ref *)data)->m;
      tova_module_retain(*out);
      return TOVA_OK;
    }
    if (napi_is_typedarray(env, v, &yes) == napi_ok && yes) {
      napi_typedarray_type type;
      size_t length;
      napi_value ab;
      size_t offset;
      napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset);
      /* Element sizes in napi_typedarray_type order (int8 .. biguint64). */
      static const size_t elem_size[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
      if ((size_t)type < sizeof elem_size / sizeof *elem_size) {
        len = length * elem_size[type];
        goto have_bytes;
      }
    }
    if (napi_is_arraybuffer(env, v, &yes) == napi_ok && yes) {
      napi_get_arraybuffer_info(env, v, &data, &len);
      goto have_bytes;
    }
    if (napi_is_dataview(env, v, &yes) == napi_ok && yes) {
      napi_value ab;
      size_t offset;
      napi_get_dataview_info(env, v, &len, &data, &ab, &offset);
      goto have_bytes;
    }
  }
  return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                        "%s: wasm must be WebAssembly bytes (Uint8Array, Buffer, ArrayBuffer) or a "
                        "module from compile(), got %s",
                        fn, tova_napi_type_name(env, v));
have_bytes:;
  static const uint8_t empty[1] = {0};
  tova_status s = tova_napi_module_get(data ? data : empty, data ? len : 0, out, err);
  if (s != TOVA_OK) {
    char why[TOVA_ERROR_MAX];
    snprintf(why, sizeof why, "%s", err->message);
    tova_error_set(err, s, "%s: invalid module: %s", fn, why);
  }
  return s;
}

tova_status tova_napi_export_type(tova_module *m, const char *func, tova_functype *ft,
                                  tova_error *err, const char *fn) {
  if (tova_module_export_functype(m, func, ft) != TOVA_OK) {
    return tova_error_set(err, TOVA_ERR_NOT_FOUND, "%s: the module has no exported function '%s'", fn,
                          func);
  }
  return TOVA_OK;
}

static napi_value compile(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  tova_error err;
  tova_module *m;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "compile");
  if (tova_napi_module_arg(env, argv[0], &m, &err, "compile") != TOVA_OK) return tova_napi_throw(env, &err);
  napi_status s = tova_napi_module_object(env, m, &out);
  tova_module_release(m);
  TOVA_NAPI_CALL(env, s, "compile");
  return out;
}

/* precompile(wasm): tova_module_precompile (tova.h) on the module; the
 * number of units later runs will link. Blocks while LLVM compiles: a build step's
 * call, not a running program's. */
static napi_value precompile(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  tova_error err;
  tova_module *m;
  uint32_t units = 0;
  TOVA_NAPI_CALL(env, tova_napi_args(env, info, &argc, argv), "precompileWasm");
  if (tova_napi_module_arg(env, argv[0], &m, &err, "precompileWasm") != TOVA_OK) return tova_napi_throw(env, &err);
  tova_status st = tova_module_precompile(m, &units, &err);
  tova_module_release(m);
  if (st != TOVA_OK) return tova_napi_throw(env, &err);
  TOVA_NAPI_CALL(env, napi_create_uint32(env, units, &out), "precompileWasm");
  return out;
}

napi_status tova_napi_register_module(napi_env env, napi_value exports) {
  static const tova_napi_export list[] = {
      {"compile", compile, false}, {"precompileWasm", precompile, false}, {NULL, NULL, false}};
  return tova_napi_define(env, exports, list);
}
