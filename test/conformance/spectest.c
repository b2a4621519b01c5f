/*
 * spectest.c: the host module of the spec test suite: print functions that
 * (optionally) print their arguments, four immutable globals holding 666 /
 * 666.6, a funcref table of 10..20 elements and a memory of 1..2 pages.
 */
#include "spectest.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static tova_status print_fn(tova_host_call *call, void *userdata, const tova_val *args,
                            tova_val *results) {
  const char *sig = userdata; /* one letter per param: i I f F */
  (void)call, (void)results;
  if (!sig[0] || sig[0] == '-') return TOVA_OK;
  for (size_t i = 0; sig[i] && sig[i] != '-'; i++) {
    if (i) fputc(' ', stdout);
    switch (sig[i]) {
      case 'i': printf("%" PRId32 " : i32", args[i].i32); break;
      case 'I': printf("%" PRId64 " : i64", args[i].i64); break;
      case 'f': {
        float f;
        memcpy(&f, &args[i].f32_bits, sizeof f);
        printf("%g : f32", (double)f);
        break;
      }
      case 'F': {
        double d;
        memcpy(&d, &args[i].f64_bits, sizeof d);
        printf("%g : f64", d);
        break;
      }
    }
  }
  fputc('\n', stdout);
  return TOVA_OK;
}

static const uint8_t T_I32[] = {TOVA_I32}, T_I64[] = {TOVA_I64}, T_F32[] = {TOVA_F32},
                     T_F64[] = {TOVA_F64}, T_I32_F32[] = {TOVA_I32, TOVA_F32},
                     T_F64_F64[] = {TOVA_F64, TOVA_F64};

typedef struct print_def {
  const char *name;
  const uint8_t *params;
  uint32_t nparams;
  const char *sig_print, *sig_quiet;
} print_def;

static const print_def PRINTS[] = {
    {"print", NULL, 0, "", "-"},
    {"print_i32", T_I32, 1, "i", "-"},
    {"print_i64", T_I64, 1, "I", "-"},
    {"print_f32", T_F32, 1, "f", "-"},
    {"print_f64", T_F64, 1, "F", "-"},
    {"print_i32_f32", T_I32_F32, 2, "if", "-"},
    {"print_f64_f64", T_F64_F64, 2, "FF", "-"},
};

static tova_status define(tova_linker *l, const char *name, tova_extern ext, bool ok) {
  if (!ok) return TOVA_ERR_NOMEM;
  return tova_linker_define(l, "spectest", name, ext);
}

tova_status spectest_define(tova_store *s, tova_linker *l, bool print_output) {
  tova_status st;
  for (size_t i = 0; i < sizeof PRINTS / sizeof PRINTS[0]; i++) {
    const print_def *p = &PRINTS[i];
    tova_functype ft = {p->nparams, 0, p->params, NULL};
    tova_extern e = {.kind = TOVA_EXTERN_FUNC};
    e.of.func = tova_func_new_host(s, &ft, print_fn,
                                   (void *)(print_output ? p->sig_print : p->sig_quiet));
    if ((st = define(l, p->name, e, e.of.func != NULL)) != TOVA_OK) return st;
  }

  float f32 = 666.6f;
  double f64 = 666.6;
  tova_val v;
  tova_extern e = {.kind = TOVA_EXTERN_GLOBAL};

  v.raw = 0, v.i32 = 666;
  e.of.global = tova_global_new(s, TOVA_I32, false, v);
  if ((st = define(l, "global_i32", e, e.of.global != NULL)) != TOVA_OK) return st;
  v.raw = 0, v.i64 = 666;
  e.of.global = tova_global_new(s, TOVA_I64, false, v);
  if ((st = define(l, "global_i64", e, e.of.global != NULL)) != TOVA_OK) return st;
  v.raw = 0, memcpy(&v.f32_bits, &f32, sizeof f32);
  e.of.global = tova_global_new(s, TOVA_F32, false, v);
  if ((st = define(l, "global_f32", e, e.of.global != NULL)) != TOVA_OK) return st;
  v.raw = 0, memcpy(&v.f64_bits, &f64, sizeof f64);
  e.of.global = tova_global_new(s, TOVA_F64, false, v);
  if ((st = define(l, "global_f64", e, e.of.global != NULL)) != TOVA_OK) return st;

  tova_extern t = {.kind = TOVA_EXTERN_TABLE};
  t.of.table = tova_table_new(s, TOVA_FUNCREF, 10, 20, true);
  if ((st = define(l, "table", t, t.of.table != NULL)) != TOVA_OK) return st;
  tova_extern m = {.kind = TOVA_EXTERN_MEMORY};
  m.of.memory = tova_memory_new(s, 1, 2, true);
  return define(l, "memory", m, m.of.memory != NULL);
}
