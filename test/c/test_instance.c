/*
 * test_instance.c: stores, memories, tables, globals, host functions, the
 * linker and instantiation (import matching, segment initialisation with the
 * spec's trap semantics, start functions). Modules are assembled byte by
 * byte below so each test says exactly what it instantiates.
 */
#include <string.h>

#include "check.h"
#include "engine/store.h" /* wasm_memory_grow, table elements */
#include "tova.h"

/* ---- a tiny module assembler ---- */

typedef struct buf {
  uint8_t b[1024];
  size_t n;
} buf;

static void put(buf *o, const uint8_t *p, size_t n) {
  if (o->n + n > sizeof o->b) abort();
  memcpy(o->b + o->n, p, n);
  o->n += n;
}
static void put_u32(buf *o, uint32_t v) { /* unsigned LEB128 */
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    put(o, &byte, 1);
  } while (v);
}
#define BYTES(o, ...) \
  do { const uint8_t bytes_[] = {__VA_ARGS__}; put((o), bytes_, sizeof bytes_); } while (0)

static void header(buf *o) { BYTES(o, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00); }
static void section(buf *o, uint8_t id, const buf *content) {
  put(o, &id, 1);
  put_u32(o, (uint32_t)content->n);
  put(o, content->b, content->n);
}

static tova_module *compile(const buf *o) {
  tova_module *m = NULL;
  tova_error err = {0};
  tova_status st = tova_module_compile(o->b, o->n, &m, &err);
  if (st != TOVA_OK) fprintf(stderr, "compile: %s\n", err.message);
  CHECK(st == TOVA_OK);
  return m;
}

static tova_status call0(tova_func *f, tova_val *result, tova_error *err) {
  tova_exec *e = tova_exec_new(0);
  tova_status st = tova_exec_call(e, f, NULL, result, err);
  tova_exec_free(e);
  return st;
}

/* ---- runtime objects ---- */

static int64_t grow(tova_memory *m, uint32_t delta) { return (int32_t)wasm_memory_grow(m, delta); }

static void test_memory_grow_and_limits(void) {
  tova_store_config cfg = {.max_memory_pages = 8};
  tova_store *s = tova_store_new(&cfg);
  tova_memory *m = tova_memory_new(s, 1, 3, true);
  CHECK(m != NULL);
  uint64_t size = 0;
  uint8_t *data = tova_memory_data(m, &size);
  CHECK_EQ_I64(size, 65536);
  CHECK_EQ_I64(tova_memory_pages(m), 1);
  CHECK(data[0] == 0 && data[65535] == 0);
  data[65535] = 0xAB;
  CHECK_EQ_I64(grow(m, 2), 1);
  data = tova_memory_data(m, &size);
  CHECK_EQ_I64(size, 3 * 65536);
  CHECK(data[65535] == 0xAB);               /* contents survive a grow */
  CHECK(data[3 * 65536 - 1] == 0);          /* new pages are zero */
  CHECK_EQ_I64(grow(m, 1), -1); /* beyond the declared max */
  CHECK_EQ_I64(tova_memory_pages(m), 3);

  /* No declared max: the store's limit (8 pages) applies. */
  tova_memory *u = tova_memory_new(s, 0, 0, false);
  CHECK(u != NULL);
  CHECK(tova_memory_data(u, &size) == NULL || size == 0);
  CHECK_EQ_I64(size, 0);
  CHECK_EQ_I64(grow(u, 9), -1);
  CHECK_EQ_I64(grow(u, 8), 0);
  data = tova_memory_data(u, &size);
  CHECK_EQ_I64(size, 8 * 65536);
  CHECK(data[8 * 65536 - 1] == 0);
  CHECK_EQ_I64(grow(u, 1), -1);

  CHECK(tova_memory_new(s, 2, 1, true) == NULL);     /* min > max */
  CHECK(tova_memory_new(s, 9, 0, false) == NULL);    /* min beyond the store limit */
  CHECK(tova_memory_new(s, 0, 65537, true) == NULL); /* max beyond 4 GiB */
  tova_store_free(s);
}

static tova_status host_seven(tova_host_call *call, void *ud, const tova_val *args, tova_val *res) {
  (void)call, (void)ud, (void)args;
  res[0].i32 = 7;
  return TOVA_OK;
}

static void test_table_global_host(void) {
  tova_store *s = tova_store_new(NULL);
  tova_table *t = tova_table_new(s, TOVA_FUNCREF, 2, 4, true);
  CHECK(t != NULL);
  CHECK_EQ_I64(tova_table_size(t), 2);
  CHECK(tova_table_new(s, TOVA_I32, 1, 1, true) == NULL); /* not a reference type */

  uint8_t results[1] = {TOVA_I32};
  tova_functype ft = {0, 1, NULL, results};
  tova_func *f = tova_func_new_host(s, &ft, host_seven, NULL);
  CHECK(f != NULL);
  results[0] = TOVA_F64; /* the function keeps its own copy of the signature */
  CHECK_EQ_I64(tova_func_type(f)->nresults, 1);
  CHECK(tova_func_type(f)->results[0] == TOVA_I32);
  tova_val r = {0};
  tova_error err = {0};
  CHECK(call0(f, &r, &err) == TOVA_OK);
  CHECK_EQ_I64(r.i32, 7);

  tova_val v = {.raw = 0};
  v.i64 = -5;
  tova_global *g = tova_global_new(s, TOVA_I64, true, v);
  CHECK(g != NULL);
  CHECK(tova_global_type(g) == TOVA_I64);
  CHECK_EQ_I64(tova_global_get(g).i64, -5);
  tova_store_free(s);
}

/* ---- instantiation ---- */

/* Imports memory env.mem (min 1), defines global g = 42 and f() -> g, and two
 * active data segments: "hi" at 8, then `tail` at `tail_at`. */
static void data_module(buf *o, uint32_t tail_at, const char *tail) {
  buf sec;
  header(o);
  sec.n = 0; BYTES(&sec, 0x01, 0x60, 0x00, 0x01, 0x7f); section(o, 1, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x03, 'e', 'n', 'v', 0x03, 'm', 'e', 'm', 0x02, 0x00, 0x01);
  section(o, 2, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x00); section(o, 3, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x7f, 0x01, 0x41, 0x2a, 0x0b); section(o, 6, &sec);
  sec.n = 0; BYTES(&sec, 0x02, 0x01, 'g', 0x03, 0x00, 0x01, 'f', 0x00, 0x00); section(o, 7, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x04, 0x00, 0x23, 0x00, 0x0b); section(o, 10, &sec);
  sec.n = 0;
  BYTES(&sec, 0x02, 0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i', 0x00, 0x41);
  put_u32(&sec, tail_at); /* small values only: LEB u32 == LEB s32 below 64 */
  BYTES(&sec, 0x0b);
  put_u32(&sec, (uint32_t)strlen(tail));
  put(&sec, (const uint8_t *)tail, strlen(tail));
  section(o, 11, &sec);
}

static void test_data_segments(void) {
  tova_store *s = tova_store_new(NULL);
  tova_linker *l = tova_linker_new();
  tova_memory *mem = tova_memory_new(s, 1, 0, false);
  tova_extern ext = {.kind = TOVA_EXTERN_MEMORY};
  ext.of.memory = mem;
  CHECK(tova_linker_define(l, "env", "mem", ext) == TOVA_OK);
  uint8_t *data = tova_memory_data(mem, NULL);

  buf o = {.n = 0};
  data_module(&o, 63, "x");
  tova_module *ok_mod = compile(&o);
  tova_instance *inst = NULL;
  tova_error err = {0};
  CHECK(tova_linker_instantiate(l, s, ok_mod, &inst, &err) == TOVA_OK);
  CHECK(inst != NULL);
  CHECK(memcmp(data + 8, "hi", 2) == 0);
  CHECK(data[63] == 'x');
  tova_extern g, f;
  CHECK(tova_instance_export(inst, "g", &g) == TOVA_OK && g.kind == TOVA_EXTERN_GLOBAL);
  CHECK_EQ_I64(tova_global_get(g.of.global).i32, 42);
  CHECK(tova_instance_export(inst, "f", &f) == TOVA_OK && f.kind == TOVA_EXTERN_FUNC);
  tova_val r = {0};
  CHECK(call0(f.of.func, &r, &err) == TOVA_OK);
  CHECK_EQ_I64(r.i32, 42);
  CHECK(tova_instance_export(inst, "nope", &g) == TOVA_ERR_NOT_FOUND);
  CHECK(tova_instance_module(inst) == ok_mod);
  tova_module_release(ok_mod);

  memset(data, 0, 64);
  o.n = 0;
  {
    /* Same module but the tail segment is at 65535 with 2 bytes: i32.const
     * 65535 is the signed LEB ff ff 03. */
    buf sec;
    header(&o);
    sec.n = 0; BYTES(&sec, 0x01, 0x03, 'e', 'n', 'v', 0x03, 'm', 'e', 'm', 0x02, 0x00, 0x01);
    section(&o, 2, &sec);
    sec.n = 0;
    BYTES(&sec, 0x02, 0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i',
          0x00, 0x41, 0xff, 0xff, 0x03, 0x0b, 0x02, 'y', 'z');
    section(&o, 11, &sec);
  }
  tova_module *bad = compile(&o);
  inst = (tova_instance *)&o; /* must be reset to NULL on failure */
  tova_status st = tova_linker_instantiate(l, s, bad, &inst, &err);
  CHECK(st == TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(err.message, "out of bounds memory access");
  CHECK(inst == NULL);
  CHECK(memcmp(data + 8, "hi", 2) == 0); /* the earlier segment's write persists */
  CHECK(data[65535] == 0);               /* nothing of the failing segment is written */
  tova_module_release(bad);
  tova_linker_free(l);
  tova_store_free(s);
}

static void test_elem_segments_and_failed_instance(void) {
  /* Imports table env.tab (funcref, min 3); func 0 returns 7; segment 0 puts
   * func 0 at 1; segment 1 puts it at 3 (past the end: traps). */
  buf o = {.n = 0}, sec;
  header(&o);
  sec.n = 0; BYTES(&sec, 0x01, 0x60, 0x00, 0x01, 0x7f); section(&o, 1, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x03, 'e', 'n', 'v', 0x03, 't', 'a', 'b', 0x01, 0x70, 0x00, 0x03);
  section(&o, 2, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x00); section(&o, 3, &sec);
  sec.n = 0;
  BYTES(&sec, 0x02, 0x00, 0x41, 0x01, 0x0b, 0x01, 0x00, 0x00, 0x41, 0x03, 0x0b, 0x01, 0x00);
  section(&o, 9, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b); section(&o, 10, &sec);
  tova_module *m = compile(&o);

  tova_store *s = tova_store_new(NULL);
  tova_table *t = tova_table_new(s, TOVA_FUNCREF, 3, 0, false);
  tova_extern imp = {.kind = TOVA_EXTERN_TABLE};
  imp.of.table = t;
  tova_instance *inst = NULL;
  tova_error err = {0};
  CHECK(tova_instance_new(s, m, &imp, 1, &inst, &err) == TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(err.message, "out of bounds table access");
  CHECK(inst == NULL);
  /* The first segment's write persists and its function stays callable. */
  CHECK(t->elems[0] == NULL);
  tova_func *f = t->elems[1];
  CHECK(f != NULL);
  if (f) {
    tova_val r = {0};
    CHECK(call0(f, &r, &err) == TOVA_OK);
    CHECK_EQ_I64(r.i32, 7);
  }
  CHECK(t->elems[2] == NULL);

  /* A table of 4 elements takes both segments. */
  imp.of.table = tova_table_new(s, TOVA_FUNCREF, 4, 0, false);
  CHECK(tova_instance_new(s, m, &imp, 1, &inst, &err) == TOVA_OK);
  CHECK(imp.of.table->elems[3] != NULL && imp.of.table->elems[3] == imp.of.table->elems[1]);
  tova_module_release(m);
  tova_store_free(s);
}

/* A defined function's object is made on first use and then kept: an export
 * fetched twice and a table element naming the same function are one object;
 * a function nobody referenced has none. */
static void test_function_objects_made_once_on_first_use(void) {
  /* Imports table env.tab; func 0 returns 7 (exported "f", put at 0 by the
   * element segment), func 1 returns 8 (never referenced). */
  buf o = {.n = 0}, sec;
  header(&o);
  sec.n = 0; BYTES(&sec, 0x01, 0x60, 0x00, 0x01, 0x7f); section(&o, 1, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x03, 'e', 'n', 'v', 0x03, 't', 'a', 'b', 0x01, 0x70, 0x00, 0x01);
  section(&o, 2, &sec);
  sec.n = 0; BYTES(&sec, 0x02, 0x00, 0x00); section(&o, 3, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x01, 'f', 0x00, 0x00); section(&o, 7, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00); section(&o, 9, &sec);
  sec.n = 0; BYTES(&sec, 0x02, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x04, 0x00, 0x41, 0x08, 0x0b);
  section(&o, 10, &sec);
  tova_module *m = compile(&o);
  tova_store *s = tova_store_new(NULL);
  tova_extern imp = {.kind = TOVA_EXTERN_TABLE};
  imp.of.table = tova_table_new(s, TOVA_FUNCREF, 1, 0, false);
  tova_instance *inst = NULL;
  tova_error err = {0};
  CHECK(tova_instance_new(s, m, &imp, 1, &inst, &err) == TOVA_OK);
  if (inst) {
    /* The element segment made function 0's object; function 1 has none. */
    CHECK(inst->defined != NULL && inst->defined[0] != NULL);
    CHECK(inst->defined && inst->defined[1] == NULL);
    /* A call made without a lasting reference (a task's entry) makes none. */
    tova_func room, *f1 = wasm_instance_func_for_call(inst, 1, &room);
    tova_val r1 = {0};
    CHECK(f1 == &room && call0(f1, &r1, &err) == TOVA_OK);
    CHECK_EQ_I64(r1.i32, 8);
    CHECK(inst->defined && inst->defined[1] == NULL);
    tova_extern a, b;
    CHECK(tova_instance_export(inst, "f", &a) == TOVA_OK);
    CHECK(tova_instance_export(inst, "f", &b) == TOVA_OK);
    CHECK(a.of.func != NULL && a.of.func == b.of.func);
    CHECK(a.of.func == imp.of.table->elems[0]);
    tova_val r = {0};
    CHECK(a.of.func && call0(a.of.func, &r, &err) == TOVA_OK);
    CHECK_EQ_I64(r.i32, 7);
    CHECK(inst->defined && inst->defined[1] == NULL);
  }
  tova_module_release(m);
  tova_store_free(s);
}

static void test_import_matching(void) {
  /* Imports env.f: (i32) -> i32 and env.m: memory {min 1, max 2}. */
  buf o = {.n = 0}, sec;
  header(&o);
  sec.n = 0; BYTES(&sec, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f); section(&o, 1, &sec);
  sec.n = 0;
  BYTES(&sec, 0x02, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00,
        0x03, 'e', 'n', 'v', 0x01, 'm', 0x02, 0x01, 0x01, 0x02);
  section(&o, 2, &sec);
  tova_module *m = compile(&o);

  tova_store *s = tova_store_new(NULL);
  tova_linker *l = tova_linker_new();
  tova_instance *inst;
  tova_error err = {0};
  CHECK(tova_linker_instantiate(l, s, m, &inst, &err) == TOVA_ERR_UNLINKABLE);
  CHECK_STR_CONTAINS(err.message, "unknown import");
  CHECK_STR_CONTAINS(err.message, "env");

  uint8_t i32[1] = {TOVA_I32};
  tova_functype wrong = {0, 1, NULL, i32}, right = {1, 1, i32, i32};
  tova_extern f = {.kind = TOVA_EXTERN_FUNC}, mem = {.kind = TOVA_EXTERN_MEMORY};
  f.of.func = tova_func_new_host(s, &wrong, host_seven, NULL);
  mem.of.memory = tova_memory_new(s, 1, 2, true);
  CHECK(tova_linker_define(l, "env", "f", f) == TOVA_OK);
  CHECK(tova_linker_define(l, "env", "m", mem) == TOVA_OK);
  CHECK(tova_linker_instantiate(l, s, m, &inst, &err) == TOVA_ERR_UNLINKABLE);
  CHECK_STR_CONTAINS(err.message, "incompatible import type");

  f.of.func = tova_func_new_host(s, &right, host_seven, NULL);
  CHECK(tova_linker_define(l, "env", "f", f) == TOVA_OK); /* replaces */
  CHECK(tova_linker_instantiate(l, s, m, &inst, &err) == TOVA_OK);

  /* Limits subtyping: {1, max 3} does not fit {1, max 2}; {2, max 2} does;
   * no max does not fit; a function is not a memory. */
  struct { uint32_t min, max; bool has_max; tova_status want; } cases[] = {
      {1, 3, true, TOVA_ERR_UNLINKABLE}, {2, 2, true, TOVA_OK}, {1, 0, false, TOVA_ERR_UNLINKABLE}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mem.of.memory = tova_memory_new(s, cases[i].min, cases[i].max, cases[i].has_max);
    CHECK(tova_linker_define(l, "env", "m", mem) == TOVA_OK);
    CHECK(tova_linker_instantiate(l, s, m, &inst, &err) == cases[i].want);
  }
  /* Imports given directly, in import order, to tova_instance_new. */
  tova_extern fits = {.kind = TOVA_EXTERN_MEMORY};
  fits.of.memory = tova_memory_new(s, 1, 2, true);
  tova_extern direct[2] = {f, fits};
  CHECK(tova_instance_new(s, m, direct, 2, &inst, &err) == TOVA_OK);
  tova_extern as_func[2] = {f, f};
  CHECK(tova_instance_new(s, m, as_func, 2, &inst, &err) == TOVA_ERR_UNLINKABLE);
  CHECK(tova_instance_new(s, m, direct, 1, &inst, &err) == TOVA_ERR_UNLINKABLE);
  tova_linker_free(l);
  tova_module_release(m);
  tova_store_free(s);
}

static void test_grown_memory_matches_by_current_size(void) {
  /* Imports env.m: memory {min 2}. A 1-page memory fits once grown to 2. */
  buf o = {.n = 0}, sec;
  header(&o);
  sec.n = 0; BYTES(&sec, 0x01, 0x03, 'e', 'n', 'v', 0x01, 'm', 0x02, 0x00, 0x02);
  section(&o, 2, &sec);
  tova_module *m = compile(&o);
  tova_store *s = tova_store_new(NULL);
  tova_extern mem = {.kind = TOVA_EXTERN_MEMORY};
  mem.of.memory = tova_memory_new(s, 1, 0, false);
  tova_instance *inst;
  tova_error err = {0};
  CHECK(tova_instance_new(s, m, &mem, 1, &inst, &err) == TOVA_ERR_UNLINKABLE);
  CHECK_STR_CONTAINS(err.message, "incompatible import type");
  CHECK_EQ_I64(grow(mem.of.memory, 1), 1);
  CHECK(tova_instance_new(s, m, &mem, 1, &inst, &err) == TOVA_OK);
  tova_module_release(m);
  tova_store_free(s);
}

static void test_linker_many_definitions(void) {
  /* Imports global env.g500 (i32) and re-exports it as "g". */
  buf o = {.n = 0}, sec;
  header(&o);
  sec.n = 0; BYTES(&sec, 0x01, 0x03, 'e', 'n', 'v', 0x04, 'g', '5', '0', '0', 0x03, 0x7f, 0x00);
  section(&o, 2, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x01, 'g', 0x03, 0x00); section(&o, 7, &sec);
  tova_module *m = compile(&o);
  tova_store *s = tova_store_new(NULL);
  tova_linker *l = tova_linker_new();
  for (int i = 0; i < 1000; i++) {
    char name[16];
    snprintf(name, sizeof name, "g%d", i);
    tova_val v = {.raw = 0};
    v.i32 = i;
    tova_extern e = {.kind = TOVA_EXTERN_GLOBAL};
    e.of.global = tova_global_new(s, TOVA_I32, false, v);
    CHECK(tova_linker_define(l, "env", name, e) == TOVA_OK);
    CHECK(tova_linker_define(l, "other", name, e) == TOVA_OK);
  }
  tova_instance *inst = NULL;
  tova_error err = {0};
  CHECK(tova_linker_instantiate(l, s, m, &inst, &err) == TOVA_OK);
  tova_extern g;
  CHECK(inst && tova_instance_export(inst, "g", &g) == TOVA_OK);
  if (inst) CHECK_EQ_I64(tova_global_get(g.of.global).i32, 500);

  /* Registering the instance makes "g" importable as reg.g. */
  CHECK(tova_linker_define_instance(l, "reg", inst) == TOVA_OK);
  o.n = 0;
  header(&o);
  sec.n = 0; BYTES(&sec, 0x01, 0x03, 'r', 'e', 'g', 0x01, 'g', 0x03, 0x7f, 0x00);
  section(&o, 2, &sec);
  tova_module *m2 = compile(&o);
  CHECK(tova_linker_instantiate(l, s, m2, &inst, &err) == TOVA_OK);
  tova_module_release(m);
  tova_module_release(m2);
  tova_linker_free(l);
  tova_store_free(s);
}

static void test_start_function(void) {
  /* Global 0 (mutable i32, 0, exported "g"); start func sets it to 5.
   * A second module's start is `unreachable`. */
  buf o = {.n = 0}, sec;
  header(&o);
  sec.n = 0; BYTES(&sec, 0x01, 0x60, 0x00, 0x00); section(&o, 1, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x00); section(&o, 3, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b); section(&o, 6, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x01, 'g', 0x03, 0x00); section(&o, 7, &sec);
  sec.n = 0; BYTES(&sec, 0x00); section(&o, 8, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x06, 0x00, 0x41, 0x05, 0x24, 0x00, 0x0b); section(&o, 10, &sec);
  tova_module *m = compile(&o);

  buf t = {.n = 0};
  header(&t);
  sec.n = 0; BYTES(&sec, 0x01, 0x60, 0x00, 0x00); section(&t, 1, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x00); section(&t, 3, &sec);
  sec.n = 0; BYTES(&sec, 0x00); section(&t, 8, &sec);
  sec.n = 0; BYTES(&sec, 0x01, 0x03, 0x00, 0x00, 0x0b); section(&t, 10, &sec);
  tova_module *trap = compile(&t);

  tova_store *s = tova_store_new(NULL);
  tova_instance *inst = NULL;
  tova_error err = {0};
  CHECK(tova_instance_new(s, m, NULL, 0, &inst, &err) == TOVA_OK);
  tova_extern g;
  CHECK(inst && tova_instance_export(inst, "g", &g) == TOVA_OK);
  if (inst) CHECK_EQ_I64(tova_global_get(g.of.global).i32, 5);
  CHECK(tova_instance_new(s, trap, NULL, 0, &inst, &err) == TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(err.message, "unreachable");
  tova_module_release(m);
  tova_module_release(trap);
  tova_store_free(s);
}

int main(void) {
  RUN(test_memory_grow_and_limits);
  RUN(test_table_global_host);
  RUN(test_data_segments);
  RUN(test_elem_segments_and_failed_instance);
  RUN(test_function_objects_made_once_on_first_use);
  RUN(test_import_matching);
  RUN(test_grown_memory_matches_by_current_size);
  RUN(test_linker_many_definitions);
  RUN(test_start_function);
  return CHECK_DONE();
}
