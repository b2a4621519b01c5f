/*
 * test_decode.c: hand-built binaries for the decoder and the validator: a
 * module using every section decodes into the expected module struct, and
 * each class of malformed or invalid input is rejected with the spec's phrase
 * plus where it happened.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/module.h"
#include "tova.h"

/* ---- a tiny binary builder --------------------------------------------- */

typedef struct wbuf {
  uint8_t *d;
  size_t n, cap;
} wbuf;

static void emit(wbuf *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->d = realloc(b->d, b->cap);
    if (!b->d) abort();
  }
  memcpy(b->d + b->n, p, n);
  b->n += n;
}
static void emit_byte(wbuf *b, uint8_t x) { emit(b, &x, 1); }
static void emit_u32(wbuf *b, uint32_t v) {
  do {
    uint8_t x = v & 0x7F;
    v >>= 7;
    emit_byte(b, x | (v ? 0x80 : 0));
  } while (v);
}
static void emit_header(wbuf *b) { emit(b, "\0asm\1\0\0\0", 8); }
static void emit_section(wbuf *b, uint8_t id, const wbuf *content) {
  emit_byte(b, id);
  emit_u32(b, (uint32_t)content->n);
  emit(b, content->d, content->n);
}
#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

/* ---- helpers to run the decoder/validator -------------------------------- */

static tova_status validate(const uint8_t *p, size_t n, tova_error *err) {
  memset(err, 0, sizeof *err);
  return tova_module_validate(p, n, err);
}

/* Expect rejection with `status` and a message containing `phrase`. */
static void expect_error(const uint8_t *p, size_t n, tova_status status, const char *phrase) {
  tova_error err;
  tova_status st = validate(p, n, &err);
  CHECK_EQ_I64(st, status);
  CHECK_STR_CONTAINS(err.message, phrase);
  CHECK_STR_CONTAINS(err.message, "offset");
  CHECK(err.status == st);
}

/* Module-level rules carry an entity index instead of an offset. */
static void expect_invalid_module(const uint8_t *p, size_t n, const char *phrase) {
  tova_error err;
  CHECK_EQ_I64(validate(p, n, &err), TOVA_ERR_INVALID_MODULE);
  CHECK_STR_CONTAINS(err.message, phrase);
}

/* A module with
 *   types: 0 = [] -> [], 1 = [] -> [i32], 2 = [i32] -> [i32]
 *   table 0 funcref (1), memory 0 (1 page) when with_memory,
 *   globals: 0 immutable i32 = 7, 1 mutable i64 = 0,
 *   function 0 of type `type` with `nlocals` i32 locals and body `body`
 *   (without the final end, which is added), declared in an element
 *   segment only when declare_f0,
 *   a data count section of 1 and one passive data segment.
 * Body validation errors then report "function 0 at offset". */
static wbuf body_module(uint32_t type, uint32_t nlocals, const uint8_t *body, size_t body_len,
                        bool with_memory, bool declare_f0) {
  wbuf m = {0}, s = {0};
  emit_header(&m);
  emit(&s, BYTES(3, 0x60, 0, 0, 0x60, 0, 1, 0x7F, 0x60, 1, 0x7F, 1, 0x7F));
  emit_section(&m, 1, &s);
  s.n = 0;
  emit_byte(&s, 1);
  emit_u32(&s, type);
  emit_section(&m, 3, &s);
  s.n = 0;
  emit(&s, BYTES(1, 0x70, 0, 1));
  emit_section(&m, 4, &s);
  if (with_memory) {
    s.n = 0;
    emit(&s, BYTES(1, 0, 1));
    emit_section(&m, 5, &s);
  }
  s.n = 0;
  emit(&s, BYTES(2, 0x7F, 0, 0x41, 7, 0x0B, 0x7E, 1, 0x42, 0, 0x0B));
  emit_section(&m, 6, &s);
  if (declare_f0) {
    s.n = 0;
    emit(&s, BYTES(1, 3, 0, 1, 0)); /* declarative, elemkind funcref, [f0] */
    emit_section(&m, 9, &s);
  }
  s.n = 0;
  emit(&s, BYTES(1));
  emit_section(&m, 12, &s);
  wbuf f = {0};
  if (nlocals) {
    emit(&f, BYTES(1));
    emit_u32(&f, nlocals);
    emit_byte(&f, 0x7F);
  } else {
    emit_byte(&f, 0);
  }
  emit(&f, body, body_len);
  emit_byte(&f, 0x0B);
  s.n = 0;
  emit_byte(&s, 1);
  emit_u32(&s, (uint32_t)f.n);
  emit(&s, f.d, f.n);
  emit_section(&m, 10, &s);
  s.n = 0;
  emit(&s, BYTES(1, 1, 2, 'h', 'i'));
  emit_section(&m, 11, &s);
  free(s.d);
  free(f.d);
  return m;
}

static void expect_body_error(uint32_t type, const uint8_t *body, size_t n, const char *phrase) {
  wbuf m = body_module(type, 2, body, n, true, false);
  tova_error err;
  CHECK_EQ_I64(validate(m.d, m.n, &err), TOVA_ERR_INVALID_MODULE);
  CHECK_STR_CONTAINS(err.message, phrase);
  CHECK_STR_CONTAINS(err.message, "function 0 at offset");
  free(m.d);
}

static void expect_body_ok(uint32_t type, const uint8_t *body, size_t n) {
  wbuf m = body_module(type, 2, body, n, true, true);
  tova_error err;
  tova_status st = validate(m.d, m.n, &err);
  CHECK_EQ_I64(st, TOVA_OK);
  if (st != TOVA_OK) fprintf(stderr, "  message: %s\n", err.message);
  free(m.d);
}

/* ---- a module using every section decodes as expected -------------------- */

static const uint8_t full_module[] = {
    0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
    /* type: 0 = (i32 i32) -> i32, 1 = () -> () */
    0x01, 0x0A, 0x02, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F, 0x60, 0x00, 0x00,
    /* custom section "meta" between sections */
    0x00, 0x07, 0x04, 'm', 'e', 't', 'a', 0xAA, 0xBB,
    /* import: env.f func type 1; env.g global i64 const */
    0x02, 0x12, 0x02, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x01,
    0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7E, 0x00,
    /* function: two functions, types 0 and 1 */
    0x03, 0x03, 0x02, 0x00, 0x01,
    /* table: funcref min 2 max 10 */
    0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x0A,
    /* memory: min 1 */
    0x05, 0x03, 0x01, 0x00, 0x01,
    /* global: mutable i32 = -1; i64 = global.get 0 (the import) */
    0x06, 0x0B, 0x02, 0x7F, 0x01, 0x41, 0x7F, 0x0B, 0x7E, 0x00, 0x23, 0x00, 0x0B,
    /* export: "add" func 1, "mem" memory 0 */
    0x07, 0x0D, 0x02, 0x03, 'a', 'd', 'd', 0x00, 0x01, 0x03, 'm', 'e', 'm', 0x02, 0x00,
    /* start: function 2 */
    0x08, 0x01, 0x02,
    /* element: active table 0 at i32.const 1 [f1, f2]; passive exprs [ref.null func] */
    0x09, 0x0E, 0x02, 0x00, 0x41, 0x01, 0x0B, 0x02, 0x01, 0x02,
    0x05, 0x70, 0x01, 0xD0, 0x70, 0x0B,
    /* data count: 2 */
    0x0C, 0x01, 0x02,
    /* code: f1 = (local i32 i32 i64) local.get 0 local.get 1 i32.add; f2 = nop */
    0x0A, 0x11, 0x02,
    0x0B, 0x02, 0x02, 0x7F, 0x01, 0x7E, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B,
    0x03, 0x00, 0x01, 0x0B,
    /* data: active memory 0 at i32.const 8 "hi"; passive "xyz" */
    0x0B, 0x0D, 0x02, 0x00, 0x41, 0x08, 0x0B, 0x02, 'h', 'i', 0x01, 0x03, 'x', 'y', 'z',
};

static void test_full_module_decodes(void) {
  tova_module *m = NULL;
  tova_error err;
  tova_status st = wasm_decode(full_module, sizeof full_module, &m, &err);
  CHECK_EQ_I64(st, TOVA_OK);
  if (st != TOVA_OK) {
    fprintf(stderr, "  %s\n", err.message);
    return;
  }
  CHECK_EQ_I64(m->ntypes, 2);
  CHECK_EQ_I64(m->types[0].nparams, 2);
  CHECK_EQ_I64(m->types[0].params[1], TOVA_I32);
  CHECK_EQ_I64(m->types[0].nresults, 1);
  CHECK_EQ_I64(m->types[1].nparams + m->types[1].nresults, 0);

  CHECK_EQ_I64(m->nimports, 2);
  CHECK(m->imports[0].module_len == 3 && !memcmp(m->imports[0].module, "env", 3));
  CHECK(m->imports[0].name_len == 1 && m->imports[0].name[0] == 'f');
  CHECK_EQ_I64(m->imports[0].kind, TOVA_EXTERN_FUNC);
  CHECK_EQ_I64(m->imports[0].desc.type_index, 1);
  CHECK_EQ_I64(m->imports[1].kind, TOVA_EXTERN_GLOBAL);
  CHECK_EQ_I64(m->imports[1].desc.global.type, TOVA_I64);

  CHECK_EQ_I64(m->nfuncs, 3);
  CHECK_EQ_I64(m->nimported_funcs, 1);
  CHECK_EQ_I64(m->func_types[0], 1);
  CHECK_EQ_I64(m->func_types[1], 0);
  CHECK_EQ_I64(m->func_types[2], 1);
  wasm_func_def *f1 = &m->func_defs[0];
  CHECK_EQ_I64(f1->type_index, 0);
  CHECK_EQ_I64(f1->nlocals, 3);
  CHECK(f1->local_types[0] == TOVA_I32 && f1->local_types[1] == TOVA_I32 &&
        f1->local_types[2] == TOVA_I64);
  CHECK_EQ_I64(f1->body_len, 6); /* 20 00 20 01 6A 0B */
  CHECK(f1->body[0] == 0x20 && f1->body[f1->body_len - 1] == 0x0B);
  CHECK_EQ_I64(f1->body - m->bytes, f1->body_offset);
  CHECK(f1->code == NULL);
  CHECK_EQ_I64(m->func_defs[1].nlocals, 0);
  CHECK_EQ_I64(m->func_defs[1].body_len, 2);

  CHECK_EQ_I64(m->ntables, 1);
  CHECK_EQ_I64(m->tables[0].elem, TOVA_FUNCREF);
  CHECK(m->tables[0].limits.min == 2 && m->tables[0].limits.has_max && m->tables[0].limits.max == 10);
  CHECK_EQ_I64(m->nmemories, 1);
  CHECK(m->memories[0].min == 1 && !m->memories[0].has_max);

  CHECK_EQ_I64(m->nglobals, 3);
  CHECK_EQ_I64(m->nimported_globals, 1);
  CHECK_EQ_I64(m->global_types[0].type, TOVA_I64);
  CHECK(m->global_types[1].type == TOVA_I32 && m->global_types[1].mutable_);
  CHECK_EQ_I64(m->global_defs[0].init.kind, WASM_CONST_VALUE);
  CHECK_EQ_I64(m->global_defs[0].init.value.i32, -1);
  CHECK_EQ_I64(m->global_defs[1].init.kind, WASM_CONST_GLOBAL_GET);
  CHECK_EQ_I64(m->global_defs[1].init.index, 0);

  CHECK_EQ_I64(m->nexports, 2);
  CHECK(m->exports[0].name_len == 3 && !memcmp(m->exports[0].name, "add", 3));
  CHECK_EQ_I64(m->exports[0].kind, TOVA_EXTERN_FUNC);
  CHECK_EQ_I64(m->exports[0].index, 1);
  CHECK_EQ_I64(m->exports[1].kind, TOVA_EXTERN_MEMORY);

  CHECK(m->has_start && m->start == 2);

  CHECK_EQ_I64(m->nelems, 2);
  CHECK_EQ_I64(m->elems[0].mode, WASM_SEG_ACTIVE);
  CHECK_EQ_I64(m->elems[0].table, 0);
  CHECK_EQ_I64(m->elems[0].offset.value.i32, 1);
  CHECK_EQ_I64(m->elems[0].count, 2);
  CHECK(m->elems[0].items[1].kind == WASM_CONST_REF_FUNC && m->elems[0].items[1].index == 2);
  CHECK_EQ_I64(m->elems[1].mode, WASM_SEG_PASSIVE);
  CHECK_EQ_I64(m->elems[1].items[0].kind, WASM_CONST_REF_NULL);

  CHECK(m->has_data_count && m->data_count == 2);
  CHECK_EQ_I64(m->ndatas, 2);
  CHECK_EQ_I64(m->datas[0].mode, WASM_SEG_ACTIVE);
  CHECK_EQ_I64(m->datas[0].offset.value.i32, 8);
  CHECK(m->datas[0].len == 2 && !memcmp(m->datas[0].bytes, "hi", 2));
  CHECK_EQ_I64(m->datas[1].mode, WASM_SEG_PASSIVE);
  CHECK(m->datas[1].len == 3 && !memcmp(m->datas[1].bytes, "xyz", 3));

  /* Referenced outside bodies: f1 (export, element), f2 (element); not f0. */
  CHECK(!m->func_declared[0] && m->func_declared[1] && m->func_declared[2]);

  /* The info API on the decoded module. */
  CHECK_EQ_I64(tova_module_export_count(m), 2);
  tova_export_info ex;
  tova_module_export_at(m, 0, &ex);
  CHECK(ex.name_len == 3 && !memcmp(ex.name, "add", 3) && ex.kind == TOVA_EXTERN_FUNC);
  tova_functype ft;
  CHECK_EQ_I64(tova_module_export_functype(m, "add", &ft), TOVA_OK);
  CHECK(ft.nparams == 2 && ft.nresults == 1);
  CHECK_EQ_I64(tova_module_export_functype(m, "mem", &ft), TOVA_ERR_NOT_FOUND);
  CHECK_EQ_I64(tova_module_export_functype(m, "nope", &ft), TOVA_ERR_NOT_FOUND);
  CHECK_EQ_I64(tova_module_import_count(m), 2);
  tova_import_info im;
  tova_module_import_at(m, 0, &im);
  CHECK(im.kind == TOVA_EXTERN_FUNC && im.functype.nparams == 0 && im.name_len == 1);

  /* Validation fills in the type of global.get constant expressions. */
  CHECK_EQ_I64(wasm_validate(m, &err), TOVA_OK);
  CHECK_EQ_I64(m->global_defs[1].init.type, TOVA_I64);

  /* Reference counting: retain + two releases free it (ASan checks). */
  tova_module_retain(m);
  tova_module_release(m);
  tova_module_release(m);

  CHECK_EQ_I64(validate(full_module, sizeof full_module, &err), TOVA_OK);
}

/* The element segment encodings 0..7 all decode. */
static void test_element_kinds(void) {
  static const uint8_t mod[] = {
      0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
      0x03, 0x02, 0x01, 0x00,
      0x04, 0x07, 0x02, 0x70, 0x00, 0x02, 0x70, 0x00, 0x02,
      0x09, 0x2F, 0x08,
      0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,                   /* 0: active t0, funcidx */
      0x01, 0x00, 0x01, 0x00,                               /* 1: passive, elemkind */
      0x02, 0x01, 0x41, 0x00, 0x0B, 0x00, 0x01, 0x00,       /* 2: active t1, elemkind */
      0x03, 0x00, 0x01, 0x00,                               /* 3: declarative */
      0x04, 0x41, 0x01, 0x0B, 0x01, 0xD2, 0x00, 0x0B,       /* 4: active t0, exprs */
      0x05, 0x70, 0x01, 0xD0, 0x70, 0x0B,                   /* 5: passive exprs */
      0x06, 0x01, 0x41, 0x01, 0x0B, 0x70, 0x00,             /* 6: active t1, no items */
      0x07, 0x70, 0x00,                                     /* 7: declarative exprs */
      0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
  };
  tova_module *m;
  tova_error err;
  CHECK_EQ_I64(wasm_decode(mod, sizeof mod, &m, &err), TOVA_OK);
  if (!m) {
    fprintf(stderr, "  %s\n", err.message);
    return;
  }
  CHECK_EQ_I64(m->nelems, 8);
  static const uint8_t modes[8] = {WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_ACTIVE,
                                   WASM_SEG_DECLARATIVE, WASM_SEG_ACTIVE, WASM_SEG_PASSIVE,
                                   WASM_SEG_ACTIVE, WASM_SEG_DECLARATIVE};
  for (int i = 0; i < 8 && i < (int)m->nelems; i++) CHECK_EQ_I64(m->elems[i].mode, modes[i]);
  CHECK_EQ_I64(m->elems[2].table, 1);
  CHECK_EQ_I64(m->elems[6].table, 1);
  CHECK_EQ_I64(m->elems[4].items[0].kind, WASM_CONST_REF_FUNC);
  CHECK_EQ_I64(m->elems[6].count, 0);
  CHECK_EQ_I64(wasm_validate(m, &err), TOVA_OK);
  tova_module_release(m);
}

/* ---- malformed binaries -------------------------------------------------- */

static void test_header_errors(void) {
  expect_error(BYTES(0), TOVA_ERR_INVALID_MODULE, "unexpected end");
  expect_error((const uint8_t *)"", 0, TOVA_ERR_INVALID_MODULE, "unexpected end");
  expect_error(BYTES(0, 'a', 's', 'x', 1, 0, 0, 0), TOVA_ERR_INVALID_MODULE, "magic header not detected");
  expect_error(BYTES(0, 'a', 's', 'm', 2, 0, 0, 0), TOVA_ERR_INVALID_MODULE, "unknown binary version");
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0), TOVA_ERR_INVALID_MODULE, "unexpected end");
}

static void test_section_errors(void) {
  /* Section id out of range. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x0D, 0), TOVA_ERR_INVALID_MODULE, "malformed section id");
  /* Section size past the end of the input. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x09, 0x01, 0x60), TOVA_ERR_INVALID_MODULE,
               "length out of bounds");
  /* Type section one byte longer than its content. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0x01, 0x60, 0, 0, 0),
               TOVA_ERR_INVALID_MODULE, "section size mismatch");
  /* Function section before the type section. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00),
               TOVA_ERR_INVALID_MODULE, "unexpected content after last section");
  /* The message names the section and the offset. */
  tova_error err;
  validate(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0x01, 0x60, 0, 0, 0), &err);
  CHECK_STR_CONTAINS(err.message, "section type at offset 14");
  /* A custom section with a name running past its end. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x00, 0x02, 0x05, 'a', 0x01, 0x00),
               TOVA_ERR_INVALID_MODULE, "unexpected end");
  /* Custom section names must be UTF-8 (0xC0 0x80 is an overlong NUL). */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x00, 0x03, 0x02, 0xC0, 0x80),
               TOVA_ERR_INVALID_MODULE, "malformed UTF-8 encoding");
  /* A UTF-16 surrogate encoded in UTF-8. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x00, 0x04, 0x03, 0xED, 0xA0, 0x80),
               TOVA_ERR_INVALID_MODULE, "malformed UTF-8 encoding");
}

static void test_leb128_errors(void) {
  /* A u32 in 6 bytes. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
               TOVA_ERR_INVALID_MODULE, "integer representation too long");
  /* A 5-byte u32 with bits above 32 set. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10),
               TOVA_ERR_INVALID_MODULE, "integer too large");
  /* i32.const with a 5-byte s32 whose unused bits disagree with the sign. */
  expect_body_error(1, BYTES(0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F), "integer too large");
  expect_body_error(1, BYTES(0x41, 0x80, 0x80, 0x80, 0x80, 0x70), "integer too large");
  /* ... and with consistent sign bits it is fine: -1 and INT32_MIN. */
  expect_body_ok(1, BYTES(0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F));
  expect_body_ok(1, BYTES(0x41, 0x80, 0x80, 0x80, 0x80, 0x78));
  /* i64.const in 11 bytes. */
  expect_body_error(0, BYTES(0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1A),
                    "integer representation too long");
}

static void test_type_and_import_errors(void) {
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x02, 0x04, 0x01, 0x00, 0x00, 0x04),
               TOVA_ERR_INVALID_MODULE, "malformed import kind");
  /* Global import with mutability 2. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7F, 0x02),
               TOVA_ERR_INVALID_MODULE, "malformed mutability");
  /* Table of i32. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x04, 0x04, 0x01, 0x7F, 0x00, 0x01),
               TOVA_ERR_INVALID_MODULE, "malformed reference type");
  /* Limits flag 2. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x05, 0x03, 0x01, 0x02, 0x00),
               TOVA_ERR_INVALID_MODULE, "integer too large");
  /* A v128 parameter: valid 2.0, unsupported here. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7B, 0x00),
               TOVA_ERR_UNSUPPORTED, "SIMD");
  /* A type with 1001 parameters exceeds the implementation limit. */
  wbuf big = {0}, sec = {0};
  emit_header(&big);
  emit(&sec, BYTES(0x01, 0x60));
  emit_u32(&sec, 1001);
  for (int i = 0; i < 1001; i++) emit_byte(&sec, 0x7F);
  emit_byte(&sec, 0x00);
  emit_section(&big, 1, &sec);
  expect_error(big.d, big.n, TOVA_ERR_INVALID_MODULE, "implementation limit");
  free(big.d);
  free(sec.d);
  /* Huge declared counts with no bytes behind them: a clean error, no huge allocation. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F),
               TOVA_ERR_INVALID_MODULE, "unexpected end");
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x0B, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F),
               TOVA_ERR_INVALID_MODULE, "unexpected end");
}

static void test_code_section_errors(void) {
  /* One function declared, no code section. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x04, 0x01, 0x60, 0, 0, 0x03, 0x02, 0x01, 0x00),
               TOVA_ERR_INVALID_MODULE, "function and code section have inconsistent lengths");
  /* Data count 2, one data segment. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x0C, 0x01, 0x02, 0x0B, 0x04, 0x01, 0x01, 0x01, 'a'),
               TOVA_ERR_INVALID_MODULE, "data count and data section have inconsistent lengths");
  /* data.drop with a data section but no data count section. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x04, 0x01, 0x60, 0, 0, 0x03, 0x02, 0x01, 0x00,
                     0x0A, 0x07, 0x01, 0x05, 0x00, 0xFC, 0x09, 0x00, 0x0B, 0x0B, 0x03, 0x01, 0x01, 0x00),
               TOVA_ERR_INVALID_MODULE, "data count section required");
  /* More than 2^32-1 locals in total. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x04, 0x01, 0x60, 0, 0, 0x03, 0x02, 0x01, 0x00,
                     0x0A, 0x10, 0x01, 0x0E, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x80, 0x80, 0x80, 0x80,
                     0x01, 0x7E, 0x0B),
               TOVA_ERR_INVALID_MODULE, "too many locals");
  /* 60000 locals: over the implementation limit, refused before allocating. */
  wbuf m = body_module(0, 60000, BYTES(0x01), true, false);
  expect_error(m.d, m.n, TOVA_ERR_INVALID_MODULE, "too many locals");
  free(m.d);
  /* Body without its final end, at the end of the input. */
  expect_error(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x04, 0x01, 0x60, 0, 0, 0x03, 0x02, 0x01, 0x00,
                     0x0A, 0x04, 0x01, 0x02, 0x00, 0x01),
               TOVA_ERR_INVALID_MODULE, "unexpected end");
  /* Opcodes: unknown, unknown 0xFC sub-opcode, reserved byte, memarg flags, SIMD. */
  expect_body_error(0, BYTES(0xFF), "illegal opcode");
  expect_body_error(0, BYTES(0xFC, 0x12), "illegal opcode");
  expect_body_error(1, BYTES(0x3F, 0x01), "zero byte expected");
  expect_body_error(0, BYTES(0x41, 0x00, 0x28, 0x20, 0x00, 0x1A), "malformed memop flags");
  wbuf s = body_module(0, 0, BYTES(0xFD, 0x0C), true, false);
  expect_error(s.d, s.n, TOVA_ERR_UNSUPPORTED, "SIMD");
  free(s.d);
  /* `else` outside an `if`. */
  expect_body_error(0, BYTES(0x02, 0x40, 0x05, 0x0B), "END opcode expected");
}

/* ---- invalid modules: function bodies ------------------------------------ */

static void test_body_rules(void) {
  /* The helper's good case validates. */
  expect_body_ok(0, BYTES(0x01));
  expect_body_ok(2, BYTES(0x20, 0x00)); /* local.get 0 as the result */
  /* [] -> [i32] with an empty body. */
  expect_body_error(1, BYTES(0x01), "type mismatch");
  /* i32.add on i32 and i64. */
  expect_body_error(1, BYTES(0x41, 0x01, 0x42, 0x01, 0x6A), "type mismatch");
  /* Value left over at the end of a block. */
  expect_body_error(0, BYTES(0x41, 0x01), "type mismatch");
  /* Unreachable code is stack-polymorphic: these are valid. */
  expect_body_ok(1, BYTES(0x00, 0x6A));
  expect_body_ok(1, BYTES(0x00, 0x1B));
  expect_body_ok(0, BYTES(0x0C, 0x00, 0x41, 0x00, 0x1A, 0x1A));
  /* ... but still typed where the operand is known. */
  expect_body_error(1, BYTES(0x00, 0x42, 0x00, 0x6A), "type mismatch");
  /* Indices. */
  expect_body_error(0, BYTES(0x20, 0x09, 0x1A), "unknown local 9");
  expect_body_error(0, BYTES(0x23, 0x05, 0x1A), "unknown global 5");
  expect_body_error(0, BYTES(0x10, 0x04), "unknown function 4");
  expect_body_error(0, BYTES(0x41, 0x00, 0x11, 0x00, 0x03), "unknown table 3");
  expect_body_error(0, BYTES(0x41, 0x00, 0x11, 0x07, 0x00), "unknown type 7");
  expect_body_error(0, BYTES(0x0C, 0x01), "unknown label 1");
  expect_body_error(0, BYTES(0x02, 0x40, 0x0C, 0x02, 0x0B), "unknown label 2");
  expect_body_error(0, BYTES(0xFC, 0x09, 0x03), "unknown data segment 3");
  expect_body_error(0, BYTES(0xFC, 0x0D, 0x00), "unknown elem segment 0");
  expect_body_error(0, BYTES(0x41, 0x00, 0x42, 0x00, 0x24, 0x00), "global is immutable");
  expect_body_ok(0, BYTES(0x42, 0x05, 0x24, 0x01)); /* global 1 is mutable i64 */
  /* Memory: alignment above natural, and no memory at all. */
  expect_body_error(0, BYTES(0x41, 0x00, 0x28, 0x03, 0x00, 0x1A), "alignment must not be larger than natural");
  expect_body_ok(0, BYTES(0x41, 0x00, 0x28, 0x02, 0x00, 0x1A));
  wbuf nm = body_module(1, 0, BYTES(0x3F, 0x00), false, false);
  tova_error err;
  CHECK_EQ_I64(validate(nm.d, nm.n, &err), TOVA_ERR_INVALID_MODULE);
  CHECK_STR_CONTAINS(err.message, "unknown memory 0");
  free(nm.d);
  /* ref.func needs a declaration outside function bodies. */
  expect_body_error(0, BYTES(0xD2, 0x00, 0x1A), "undeclared function reference");
  expect_body_ok(0, BYTES(0xD2, 0x00, 0x1A));
  /* select: typed select must name exactly one type; untyped is numeric only. */
  expect_body_error(1, BYTES(0x41, 0, 0x41, 0, 0x41, 0, 0x1C, 0x02, 0x7F, 0x7F), "invalid result arity");
  expect_body_ok(1, BYTES(0x41, 0, 0x41, 0, 0x41, 0, 0x1C, 0x01, 0x7F));
  expect_body_error(0, BYTES(0xD0, 0x70, 0xD0, 0x70, 0x41, 0, 0x1B, 0x1A), "type mismatch");
  /* Blocks with a type-index block type: [i32] -> [i32]. */
  expect_body_ok(1, BYTES(0x41, 0x05, 0x02, 0x02, 0x41, 0x01, 0x6A, 0x0B));
  expect_body_error(1, BYTES(0x02, 0x02, 0x0B), "type mismatch");
  /* if without else must leave its inputs unchanged. */
  expect_body_error(1, BYTES(0x41, 0x01, 0x04, 0x7F, 0x41, 0x01, 0x0B), "type mismatch");
  expect_body_ok(1, BYTES(0x41, 0x01, 0x04, 0x7F, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0B));
  /* br_table targets must agree in arity. */
  expect_body_error(0, BYTES(0x02, 0x7F, 0x41, 0x01, 0x41, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x1A),
                    "type mismatch");
  expect_body_ok(1, BYTES(0x02, 0x7F, 0x41, 0x01, 0x41, 0x00, 0x0E, 0x02, 0x00, 0x01, 0x00, 0x0B));
  /* loop labels carry the loop's parameters: br 0 inside [] -> [i32] loop takes nothing. */
  expect_body_ok(1, BYTES(0x03, 0x7F, 0x0C, 0x00, 0x0B));
  /* table instructions. */
  expect_body_ok(0, BYTES(0x41, 0x00, 0x25, 0x00, 0x1A));
  expect_body_error(0, BYTES(0x41, 0x00, 0x25, 0x01, 0x1A), "unknown table 1");
  expect_body_ok(0, BYTES(0xD0, 0x70, 0x41, 0x01, 0xFC, 0x0F, 0x00, 0x1A));
  expect_body_error(0, BYTES(0xD0, 0x6F, 0x41, 0x01, 0xFC, 0x0F, 0x00, 0x1A), "type mismatch");
  /* Bulk memory and saturating truncations. */
  expect_body_ok(0, BYTES(0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x08, 0x00, 0x00, 0xFC, 0x09, 0x00));
  expect_body_ok(1, BYTES(0x43, 0, 0, 0x80, 0x3F, 0xFC, 0x00));
  expect_body_error(1, BYTES(0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0xFC, 0x00), "type mismatch");
}

/* Nesting depth is input-controlled: 200000 nested blocks must validate
 * without recursion (and so without exhausting the C stack). */
static void test_deep_nesting(void) {
  enum { DEPTH = 200000 };
  wbuf body = {0};
  for (int i = 0; i < DEPTH; i++) emit(&body, BYTES(0x02, 0x40));
  emit(&body, BYTES(0x0C));
  emit_u32(&body, DEPTH - 1); /* br to the outermost block */
  for (int i = 0; i < DEPTH; i++) emit_byte(&body, 0x0B);
  wbuf m = body_module(0, 0, body.d, body.n, true, false);
  tova_error err;
  tova_status st = validate(m.d, m.n, &err);
  CHECK_EQ_I64(st, TOVA_OK);
  if (st != TOVA_OK) fprintf(stderr, "  %s\n", err.message);
  free(m.d);
  /* One `end` short: malformed. */
  body.n--;
  m = body_module(0, 0, body.d, body.n, true, false);
  CHECK_EQ_I64(validate(m.d, m.n, &err), TOVA_ERR_INVALID_MODULE);
  free(m.d);
  free(body.d);
}

/* ---- invalid modules: module-level rules ---------------------------------- */

static void test_module_rules(void) {
  /* Two memories. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x05, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01),
                        "multiple memories");
  /* Memory of 65537 pages. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04),
                        "memory size must be at most 65536 pages (4GiB)");
  /* Table min 2 > max 1. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x01),
                        "size minimum must not be greater than maximum");
  /* Function of unknown type. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x03, 0x02, 0x01, 0x00, 0x0A, 0x04, 0x01, 0x02,
                              0x00, 0x0B),
                        "unknown type");
  /* Global initialised by a non-constant instruction / by two values / wrong type. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x06, 0x07, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x68,
                              0x0B),
                        "constant expression required");
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x06, 0x08, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x41,
                              0x00, 0x0B),
                        "type mismatch");
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x06, 0x06, 0x01, 0x7F, 0x00, 0x42, 0x00, 0x0B),
                        "type mismatch");
  /* global.get of a module-defined global in a constant expression (2.0: imports only). */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x06, 0x0B, 0x02, 0x7F, 0x00, 0x41, 0x00, 0x0B,
                              0x7F, 0x00, 0x23, 0x00, 0x0B),
                        "unknown global 0");
  /* Duplicate export names. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x09, 0x02,
                              0x01, 'a', 0x02, 0x00, 0x01, 'a', 0x02, 0x00),
                        "duplicate export name");
  /* Export of a missing function. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00),
                        "unknown function 0");
  /* Start function with a result. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F, 0x03,
                              0x02, 0x01, 0x00, 0x08, 0x01, 0x00, 0x0A, 0x06, 0x01, 0x04, 0x00, 0x41,
                              0x00, 0x0B),
                        "start function");
  /* Active data segment without a memory. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x0B, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x00),
                        "unknown memory 0");
  /* Element segment for a missing table. */
  expect_invalid_module(BYTES(0, 'a', 's', 'm', 1, 0, 0, 0, 0x09, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x00),
                        "unknown table 0");
}

int main(void) {
  RUN(test_full_module_decodes);
  RUN(test_element_kinds);
  RUN(test_header_errors);
  RUN(test_section_errors);
  RUN(test_leb128_errors);
  RUN(test_type_and_import_errors);
  RUN(test_code_section_errors);
  RUN(test_body_rules);
  RUN(test_deep_nesting);
  RUN(test_module_rules);
  return CHECK_DONE();
}
