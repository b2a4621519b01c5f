/* test_interp_builder.h: assemble small WebAssembly modules from C for the
 * interpreter tests (test_interp.c, test_exec.c), so tests stay self-contained
 * byte arrays without a text-format toolchain.
 *
 * Types are written as strings, one letter per value: i=i32 I=i64 f=f32 F=f64
 * r=funcref e=externref. Bodies are built with the e_* emitters; mod_func
 * appends the final `end`. */
#ifndef TEST_INTERP_BUILDER_H
#define TEST_INTERP_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/opcodes.h"
#include "tova.h"

/* A thread body for the cancellation tests: interrupts the tova_exec it is
 * given after 20 ms (the call under test runs until it is stopped). */
static inline void *interrupt_later(void *exec) {
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  tova_exec_interrupt(exec);
  return NULL;
}

typedef struct wb {
  uint8_t *p;
  size_t n, cap;
} wb;

static inline void wb_byte(wb *b, uint8_t v) {
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  b->p[b->n++] = v;
}
static inline void wb_bytes(wb *b, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++) wb_byte(b, ((const uint8_t *)p)[i]);
}
static inline void wb_u(wb *b, uint64_t v) {
  do {
    uint8_t x = v & 0x7F;
    v >>= 7;
    wb_byte(b, (uint8_t)(x | (v ? 0x80 : 0)));
  } while (v);
}
static inline void wb_s(wb *b, int64_t v) {
  for (;;) {
    uint8_t x = v & 0x7F;
    v >>= 7; /* arithmetic on gcc/clang */
    bool done = (v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40));
    wb_byte(b, (uint8_t)(x | (done ? 0 : 0x80)));
    if (done) break;
  }
}
static inline void wb_name(wb *b, const char *s) {
  wb_u(b, strlen(s));
  wb_bytes(b, s, strlen(s));
}
static inline void wb_free(wb *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

static inline uint8_t vt_of(char c) {
  switch (c) {
    case 'i': return TOVA_I32;
    case 'I': return TOVA_I64;
    case 'f': return TOVA_F32;
    case 'F': return TOVA_F64;
    case 'r': return TOVA_FUNCREF;
    default: return TOVA_EXTERNREF;
  }
}

/* Body emitters. */
static inline void e_op(wb *b, uint8_t op) { wb_byte(b, op); }
static inline void e_opu(wb *b, uint8_t op, uint64_t imm) {
  wb_byte(b, op);
  wb_u(b, imm);
}
static inline void e_fc(wb *b, uint32_t sub) {
  wb_byte(b, WASM_OP_PREFIX_FC);
  wb_u(b, sub);
}
static inline void e_i32(wb *b, int32_t v) {
  wb_byte(b, WASM_OP_I32_CONST);
  wb_s(b, v);
}
static inline void e_i64(wb *b, int64_t v) {
  wb_byte(b, WASM_OP_I64_CONST);
  wb_s(b, v);
}
static inline void e_f32(wb *b, float f) {
  wb_byte(b, WASM_OP_F32_CONST);
  wb_bytes(b, &f, 4);
}
static inline void e_f64(wb *b, double d) {
  wb_byte(b, WASM_OP_F64_CONST);
  wb_bytes(b, &d, 8);
}
static inline void e_get(wb *b, uint32_t l) { e_opu(b, WASM_OP_LOCAL_GET, l); }
static inline void e_set(wb *b, uint32_t l) { e_opu(b, WASM_OP_LOCAL_SET, l); }
static inline void e_tee(wb *b, uint32_t l) { e_opu(b, WASM_OP_LOCAL_TEE, l); }
/* block/loop/if with a value-type letter, 0 for empty, or a type index + 1000. */
static inline void e_block(wb *b, uint8_t op, int bt) {
  wb_byte(b, op);
  if (bt == 0) wb_byte(b, WASM_BLOCKTYPE_EMPTY);
  else if (bt >= 1000) wb_s(b, bt - 1000);
  else wb_byte(b, vt_of((char)bt));
}
/* The body of fib(n: i64) -> i64 = n < 2 ? n : fib(n-1) + fib(n-2), calling
 * itself as function `self`: the recursive kernel several tests share. */
static inline void e_fib_i64(wb *b, uint32_t self) {
  e_get(b, 0);
  e_i64(b, 2);
  e_op(b, WASM_OP_I64_LT_S);
  e_block(b, WASM_OP_IF, 'I');
  e_get(b, 0);
  e_op(b, WASM_OP_ELSE);
  for (int64_t k = 1; k <= 2; k++) {
    e_get(b, 0);
    e_i64(b, k);
    e_op(b, WASM_OP_I64_SUB);
    e_opu(b, WASM_OP_CALL, self);
  }
  e_op(b, WASM_OP_I64_ADD);
  e_op(b, WASM_OP_END);
}

/* The body of a deep but finite i32 recursion calling itself as function
 * `self`: depth(n) = n == 0 ? 0 : depth(n - 1) + 1, or with `sum`,
 * n == 0 ? 0 : n + f(n - 1) (n stays on the stack under the call). */
static inline void e_rec_i32(wb *b, uint32_t self, bool sum) {
  e_get(b, 0);
  e_op(b, WASM_OP_I32_EQZ);
  e_block(b, WASM_OP_IF, 'i');
  e_i32(b, 0);
  e_op(b, WASM_OP_ELSE);
  if (sum) e_get(b, 0);
  e_get(b, 0);
  e_i32(b, 1);
  e_op(b, WASM_OP_I32_SUB);
  e_opu(b, WASM_OP_CALL, self);
  if (!sum) e_i32(b, 1);
  e_op(b, WASM_OP_I32_ADD);
  e_op(b, WASM_OP_END);
}

/* A counted i32 loop: for (; local i < local n; i++) { body }, as
 * e_for_head, the body, e_for_tail (i and n are locals' indexes; `ge` the
 * comparison that leaves: WASM_OP_I32_GE_S or _GE_U). */
static inline void e_for_head(wb *b, uint32_t i, uint32_t n, uint8_t ge) {
  e_block(b, WASM_OP_BLOCK, 0);
  e_block(b, WASM_OP_LOOP, 0);
  e_get(b, i);
  e_get(b, n);
  e_op(b, ge);
  e_opu(b, WASM_OP_BR_IF, 1);
}
static inline void e_for_tail(wb *b, uint32_t i) {
  e_get(b, i);
  e_i32(b, 1);
  e_op(b, WASM_OP_I32_ADD);
  e_set(b, i);
  e_opu(b, WASM_OP_BR, 0);
  e_op(b, WASM_OP_END);
  e_op(b, WASM_OP_END);
}

static inline void e_mem(wb *b, uint8_t op, uint32_t align, uint32_t offset) {
  wb_byte(b, op);
  wb_u(b, align);
  wb_u(b, offset);
}

typedef struct mod {
  wb type, import, func, table, mem, global, export, elem, code, data;
  uint32_t ntype, nimport, nfunc, ntable, nmem, nglobal, nexport, nelem, ndata;
  uint32_t nimport_funcs;
  bool has_start; /* mod_start */
  uint32_t start;
} mod;

static inline uint32_t mod_type(mod *m, const char *params, const char *results) {
  wb_byte(&m->type, 0x60);
  wb_u(&m->type, strlen(params));
  for (const char *p = params; *p; p++) wb_byte(&m->type, vt_of(*p));
  wb_u(&m->type, strlen(results));
  for (const char *p = results; *p; p++) wb_byte(&m->type, vt_of(*p));
  return m->ntype++;
}

static inline void mod_export(mod *m, const char *name, uint8_t kind, uint32_t idx) {
  wb_name(&m->export, name);
  wb_byte(&m->export, kind);
  wb_u(&m->export, idx);
  m->nexport++;
}

static inline uint32_t mod_import_func(mod *m, const char *module, const char *name, uint32_t type) {
  wb_name(&m->import, module);
  wb_name(&m->import, name);
  wb_byte(&m->import, 0x00);
  wb_u(&m->import, type);
  m->nimport++;
  return m->nimport_funcs++;
}

/* locals: one letter per local. body: without the final end. */
static inline uint32_t mod_func(mod *m, uint32_t type, const char *locals, const wb *body,
                         const char *export_name) {
  uint32_t idx = m->nimport_funcs + m->nfunc++;
  wb_u(&m->func, type);
  wb f = {0};
  size_t nl = strlen(locals);
  wb_u(&f, nl);
  for (size_t i = 0; i < nl; i++) {
    wb_u(&f, 1);
    wb_byte(&f, vt_of(locals[i]));
  }
  wb_bytes(&f, body->p, body->n);
  wb_byte(&f, WASM_OP_END);
  wb_u(&m->code, f.n);
  wb_bytes(&m->code, f.p, f.n);
  wb_free(&f);
  if (export_name) mod_export(m, export_name, 0, idx);
  return idx;
}

static inline void mod_memory(mod *m, uint32_t min, uint32_t max) {
  wb_byte(&m->mem, 0x01);
  wb_u(&m->mem, min);
  wb_u(&m->mem, max);
  m->nmem++;
  mod_export(m, "mem", 2, 0);
}

static inline void mod_table(mod *m, uint32_t min) {
  wb_byte(&m->table, TOVA_FUNCREF);
  wb_byte(&m->table, 0x00);
  wb_u(&m->table, min);
  m->ntable++;
}

/* Active element segment for table 0 at a constant offset. */
static inline void mod_elem(mod *m, int32_t offset, uint32_t n, const uint32_t *funcs) {
  wb_u(&m->elem, 0);
  e_i32(&m->elem, offset);
  wb_byte(&m->elem, WASM_OP_END);
  wb_u(&m->elem, n);
  for (uint32_t i = 0; i < n; i++) wb_u(&m->elem, funcs[i]);
  m->nelem++;
}

static inline void mod_data(mod *m, int32_t offset, const void *bytes, uint32_t n) {
  wb_u(&m->data, 0);
  e_i32(&m->data, offset);
  wb_byte(&m->data, WASM_OP_END);
  wb_u(&m->data, n);
  wb_bytes(&m->data, bytes, n);
  m->ndata++;
}

/* A global of type i32 (mutable or not) initialised to `init`; its index. */
static inline uint32_t mod_global_i32(mod *m, bool mutable_, int32_t init) {
  wb_byte(&m->global, TOVA_I32);
  wb_byte(&m->global, mutable_ ? 1 : 0);
  e_i32(&m->global, init);
  wb_byte(&m->global, WASM_OP_END);
  return m->nglobal++;
}

/* The module's start function. */
static inline void mod_start(mod *m, uint32_t func) {
  m->has_start = true;
  m->start = func;
}

static inline void mod_section(wb *out, uint8_t id, uint32_t count, wb *content) {
  if (!count) return;
  wb s = {0};
  wb_u(&s, count);
  wb_bytes(&s, content->p, content->n);
  wb_byte(out, id);
  wb_u(out, s.n);
  wb_bytes(out, s.p, s.n);
  wb_free(&s);
}

/* Returns the module bytes (caller frees) and frees the builder. */
static inline uint8_t *mod_finish(mod *m, size_t *len) {
  wb out = {0};
  static const uint8_t hdr[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  wb_bytes(&out, hdr, 8);
  mod_section(&out, 1, m->ntype, &m->type);
  mod_section(&out, 2, m->nimport, &m->import);
  mod_section(&out, 3, m->nfunc, &m->func);
  mod_section(&out, 4, m->ntable, &m->table);
  mod_section(&out, 5, m->nmem, &m->mem);
  mod_section(&out, 6, m->nglobal, &m->global);
  mod_section(&out, 7, m->nexport, &m->export);
  if (m->has_start) {
    wb st = {0};
    wb_u(&st, m->start);
    wb_byte(&out, 8);
    wb_u(&out, st.n);
    wb_bytes(&out, st.p, st.n);
    wb_free(&st);
  }
  mod_section(&out, 9, m->nelem, &m->elem);
  mod_section(&out, 10, m->nfunc, &m->code);
  mod_section(&out, 11, m->ndata, &m->data);
  wb *all[] = {&m->type, &m->import, &m->func, &m->table, &m->mem,
               &m->global, &m->export, &m->elem, &m->code, &m->data};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) wb_free(all[i]);
  *len = out.n;
  return out.p;
}

/* The finished module, compiled (aborts the test on failure: a builder bug). */
static inline tova_module *compile_mod(mod *m) {
  size_t len;
  uint8_t *bytes = mod_finish(m, &len);
  tova_module *out = NULL;
  tova_error err;
  if (tova_module_compile(bytes, len, &out, &err) != TOVA_OK) {
    fprintf(stderr, "compile failed: %s\n", err.message);
    abort();
  }
  free(bytes);
  return out;
}


/* A compiled + instantiated module. */
typedef struct inst_t {
  tova_store *store;
  tova_module *module;
  tova_instance *inst;
} inst_t;

static inline bool inst_make(inst_t *t, mod *m, const tova_extern *imports, size_t nimports,
                      tova_error *err) {
  size_t len;
  uint8_t *bytes = mod_finish(m, &len);
  memset(t, 0, sizeof *t);
  t->store = tova_store_new(NULL);
  tova_status st = tova_module_compile(bytes, len, &t->module, err);
  free(bytes);
  if (st != TOVA_OK) return false;
  st = tova_instance_new(t->store, t->module, imports, nimports, &t->inst, err);
  return st == TOVA_OK;
}

static inline void inst_free(inst_t *t) {
  if (t->module) tova_module_release(t->module);
  if (t->store) tova_store_free(t->store);
}

static inline tova_func *inst_func(inst_t *t, const char *name) {
  tova_extern ext;
  if (!t->inst || tova_instance_export(t->inst, name, &ext) != TOVA_OK ||
      ext.kind != TOVA_EXTERN_FUNC)
    return NULL;
  return ext.of.func;
}

#endif
