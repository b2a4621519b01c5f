/*
 * test_memory_clean.c: a pooled linear memory is never handed out dirty,
 * although a release zeroes only what may be dirty (store.h: `written` and
 * `dirty`; engine/mem_writers.c; platform/vslot.c).
 *
 * Each case dirties a memory one way, frees its store, and takes the same
 * slot again (the warm stack is LIFO and nothing else runs: each case checks
 * that the base address is the one it dirtied, so a reuse policy change
 * fails here instead of making the test vacuous), then reads every byte:
 *   - a store by the exported function itself, and through a direct call;
 *   - memory.fill; a grow then a store beyond the first page;
 *   - only data segments (the task's code cannot store: only the segment's
 *     bytes are dirty, and they must still be zeroed);
 *   - a host function writing through tova_memory_data, and the embedder
 *     writing through it with no call at all;
 *   - a function of another instance called through an import (the caller's
 *     module cannot store; the callee's instance memory is written).
 * And the analysis itself: which functions count as writers.
 */
#include "check.h"
#include "engine/compile.h" /* wasm_code.may_write_memory */
#include "engine/store.h"   /* tova_memory internals: base, written, dirty */

/* a.wat:
 * (module
 *   (import "env" "write" (func $write (param i32)))
 *   (memory 1 4)
 *   (table 1 funcref)
 *   (elem (i32.const 0) $peek)
 *   (data (i32.const 1000) "seg")
 *   (type $peek_t (func (param i32) (result i32)))
 *   (func $poke (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
 *   (func $peek (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
 *   (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
 *   (func (export "poke_via") (param i32 i32) (call $poke (local.get 0) (local.get 1)))
 *   (func (export "host_write") (param i32) (call $write (local.get 0)))
 *   (func (export "indirect") (param i32) (result i32)
 *     (call_indirect (type $peek_t) (local.get 0) (i32.const 0)))
 *   (func (export "grow") (result i32) (memory.grow (i32.const 1)))
 *   (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))
 *   (func (export "grow_poke") (param i32 i32)
 *     (drop (memory.grow (i32.const 3))) (i32.store (local.get 0) (local.get 1)))) */
static const uint8_t A_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x19, 0x05, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x01, 0x7f, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60,
    0x00, 0x01, 0x7f, 0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x77, 0x72, 0x69, 0x74, 0x65,
    0x00, 0x01, 0x03, 0x0a, 0x09, 0x02, 0x00, 0x03, 0x02, 0x01, 0x00, 0x04, 0x02, 0x02, 0x04, 0x04,
    0x01, 0x70, 0x00, 0x01, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x07, 0x52, 0x09, 0x04, 0x70, 0x6f,
    0x6b, 0x65, 0x00, 0x01, 0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x02, 0x03, 0x61, 0x64, 0x64, 0x00,
    0x03, 0x08, 0x70, 0x6f, 0x6b, 0x65, 0x5f, 0x76, 0x69, 0x61, 0x00, 0x04, 0x0a, 0x68, 0x6f, 0x73,
    0x74, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x05, 0x08, 0x69, 0x6e, 0x64, 0x69, 0x72, 0x65,
    0x63, 0x74, 0x00, 0x06, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x07, 0x04, 0x66, 0x69, 0x6c, 0x6c,
    0x00, 0x08, 0x09, 0x67, 0x72, 0x6f, 0x77, 0x5f, 0x70, 0x6f, 0x6b, 0x65, 0x00, 0x09, 0x09, 0x07,
    0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x02, 0x0a, 0x57, 0x09, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x36, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x6a, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x01, 0x0b, 0x06, 0x00, 0x20,
    0x00, 0x10, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b, 0x06, 0x00,
    0x41, 0x01, 0x40, 0x00, 0x0b, 0x0b, 0x00, 0x20, 0x00, 0x41, 0x07, 0x20, 0x01, 0xfc, 0x0b, 0x00,
    0x0b, 0x0e, 0x00, 0x41, 0x03, 0x40, 0x00, 0x1a, 0x20, 0x00, 0x20, 0x01, 0x36, 0x02, 0x00, 0x0b,
    0x0b, 0x0a, 0x01, 0x00, 0x41, 0xe8, 0x07, 0x0b, 0x03, 0x73, 0x65, 0x67};

/* b.wat: (module (memory 1 4) (func (export "peek") (param i32) (result i32)
 * (i32.load (local.get 0)))): the next user of a slot, with no data of its own. */
static const uint8_t B_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x07, 0x08, 0x01, 0x04, 0x70, 0x65,
    0x65, 0x6b, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b};

/* c.wat: (module (import "a" "poke" (func $poke (param i32 i32)))
 * (func (export "call_poke") (param i32 i32) (call $poke (local.get 0) (local.get 1)))) */
static const uint8_t C_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00,
    0x02, 0x0a, 0x01, 0x01, 0x61, 0x04, 0x70, 0x6f, 0x6b, 0x65, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
    0x07, 0x0d, 0x01, 0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x70, 0x6f, 0x6b, 0x65, 0x00, 0x01, 0x0a,
    0x0a, 0x01, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b};

static tova_module *mod_a, *mod_b, *mod_c;

static tova_module *compile(const uint8_t *bytes, size_t len) {
  tova_module *m = NULL;
  tova_error err;
  if (tova_module_compile(bytes, len, &m, &err) != TOVA_OK) {
    fprintf(stderr, "compile: %s\n", err.message);
    abort();
  }
  return m;
}

/* The host import "env" "write": writes 0xAB to the 16 bytes at its
 * argument, through the public API as every host function must. */
static tova_status host_write(tova_host_call *call, void *ud, const tova_val *args, tova_val *res) {
  (void)ud;
  (void)res;
  tova_memory *m = tova_instance_memory(tova_host_call_instance(call), 0);
  uint64_t size;
  uint8_t *p = tova_memory_data(m, &size);
  uint32_t at = (uint32_t)args[0].i32;
  if (!p || (uint64_t)at + 16 > size) return tova_host_trap(call, "out of bounds");
  memset(p + at, 0xAB, 16);
  return TOVA_OK;
}

static const uint8_t P_I32[] = {TOVA_I32};
static const tova_functype WRITE_TYPE = {1, 0, P_I32, NULL};

/* An instance of module A in a new store (with the host import). */
static tova_instance *new_a(tova_store **s) {
  *s = tova_store_new(NULL);
  tova_extern imp = {.kind = TOVA_EXTERN_FUNC};
  imp.of.func = tova_func_new_host(*s, &WRITE_TYPE, host_write, NULL);
  tova_instance *inst = NULL;
  tova_error err;
  if (tova_instance_new(*s, mod_a, &imp, 1, &inst, &err) != TOVA_OK) {
    fprintf(stderr, "instantiate a: %s\n", err.message);
    abort();
  }
  return inst;
}

static tova_func *export_func(tova_instance *inst, const char *name) {
  tova_extern ex;
  if (tova_instance_export(inst, name, &ex) != TOVA_OK || ex.kind != TOVA_EXTERN_FUNC) abort();
  return ex.of.func;
}

static tova_status call2(tova_instance *inst, const char *name, int32_t a, int32_t b) {
  tova_exec *e = tova_exec_new(0);
  tova_val args[2] = {{.i32 = a}, {.i32 = b}}, res[1] = {{0}};
  tova_error err;
  tova_status st = tova_exec_call(e, export_func(inst, name), args, res, &err);
  tova_exec_free(e);
  return st;
}

/* Bytes [0, n) of memory m all zero but [skip_at, skip_at + skip_len).
 * Read through base, not tova_memory_data: reading must not mark. */
static bool zero_except(const tova_memory *m, uint64_t n, uint64_t skip_at, uint64_t skip_len) {
  for (uint64_t i = 0; i < n; i++)
    if (m->base[i] && (i < skip_at || i >= skip_at + skip_len)) return false;
  return true;
}

/* Free the store of a dirtied memory (base `old`), take the slot again with
 * an instance of B, grown to its maximum, and check every byte is zero. */
static void next_user_sees_zero(tova_store *dirtied, const uint8_t *old) {
  tova_store_free(dirtied);
  tova_store *s = tova_store_new(NULL);
  tova_instance *inst = NULL;
  tova_error err;
  CHECK_EQ_I64(tova_instance_new(s, mod_b, NULL, 0, &inst, &err), TOVA_OK);
  if (!inst) return;
  tova_memory *m = inst->mem0;
  CHECK(m->base == old); /* the dirtied slot itself, else this checks nothing */
  CHECK_EQ_I64(wasm_memory_grow(m, 3), 1); /* all of the slot: 4 pages */
  CHECK(m->base == old);
  CHECK(zero_except(m, m->size, 0, 0));
  tova_store_free(s);
}

static void test_analysis(void) {
  tova_store *s;
  tova_instance *inst = new_a(&s);
  struct { const char *name; bool writes; } want[] = {
      {"poke", true},  {"peek", false},     {"add", false},      {"poke_via", true},
      {"host_write", false} /* the host marks its own writes */, {"indirect", true},
      {"grow", false}, {"fill", true},      {"grow_poke", true},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    bool got = export_func(inst, want[i].name)->code->may_write_memory;
    if (got != want[i].writes) fprintf(stderr, "  %s: may_write_memory %d\n", want[i].name, got);
    CHECK(got == want[i].writes);
  }
  tova_store_free(s);
}

static void test_store_by_code(void) {
  static const char *ways[] = {"poke", "poke_via"};
  for (int w = 0; w < 2; w++) {
    tova_store *s;
    tova_instance *inst = new_a(&s);
    tova_memory *m = inst->mem0;
    CHECK(!m->written);
    CHECK_EQ_I64(call2(inst, ways[w], 60000, 0x12345678), TOVA_OK);
    CHECK(m->written);
    CHECK_EQ_I64(wasm_memory_dirty_bytes(m), m->size);
    CHECK(!zero_except(m, m->size, 1000, 3)); /* the store did land */
    next_user_sees_zero(s, m->base);
  }
}

static void test_fill_and_grow(void) {
  tova_store *s;
  tova_instance *inst = new_a(&s);
  tova_memory *m = inst->mem0;
  CHECK_EQ_I64(call2(inst, "fill", 2000, 50000), TOVA_OK);
  CHECK(m->written);
  next_user_sees_zero(s, m->base);

  inst = new_a(&s);
  m = inst->mem0;
  CHECK_EQ_I64(call2(inst, "grow_poke", 200000, -1), TOVA_OK);
  CHECK_EQ_I64(m->pages, 4);
  CHECK_EQ_I64(wasm_memory_dirty_bytes(m), 4 * WASM_PAGE_SIZE);
  next_user_sees_zero(s, m->base);
}

static void test_data_segments_only(void) {
  tova_store *s;
  tova_instance *inst = new_a(&s);
  tova_memory *m = inst->mem0;
  /* Code that cannot store leaves only the segment dirty... */
  CHECK_EQ_I64(call2(inst, "add", 1, 2), TOVA_OK);
  CHECK_EQ_I64(call2(inst, "grow", 0, 0), TOVA_OK); /* memory.grow writes nothing */
  CHECK(!m->written);
  CHECK_EQ_I64(wasm_memory_dirty_bytes(m), 1003);
  CHECK(memcmp(m->base + 1000, "seg", 3) == 0);
  /* ...and that segment must not reach the next user. */
  next_user_sees_zero(s, m->base);
}

static void test_host_writes(void) {
  tova_store *s;
  tova_instance *inst = new_a(&s);
  tova_memory *m = inst->mem0;
  CHECK_EQ_I64(call2(inst, "host_write", 50000, 0), TOVA_OK);
  CHECK(m->written);
  CHECK_EQ_I64(m->base[50015], 0xAB);
  next_user_sees_zero(s, m->base);

  /* The embedder, with no call at all. */
  inst = new_a(&s);
  m = inst->mem0;
  uint64_t size;
  uint8_t *p = tova_memory_data(tova_instance_memory(inst, 0), &size);
  p[size - 1] = 1;
  p[1003] = 2;
  next_user_sees_zero(s, m->base);
}

static void test_other_instance(void) {
  tova_store *s;
  tova_instance *a = new_a(&s);
  tova_memory *m = a->mem0;
  tova_extern imp = {.kind = TOVA_EXTERN_FUNC};
  imp.of.func = export_func(a, "poke");
  tova_instance *c = NULL;
  tova_error err;
  CHECK_EQ_I64(tova_instance_new(s, mod_c, &imp, 1, &c, &err), TOVA_OK);
  if (!c) return;
  CHECK(!export_func(c, "call_poke")->code->may_write_memory); /* C has no stores */
  CHECK_EQ_I64(call2(c, "call_poke", 40000, 0x01020304), TOVA_OK);
  CHECK(m->written); /* marked when the interpreter entered A's poke */
  next_user_sees_zero(s, m->base);
}

int main(void) {
  mod_a = compile(A_WASM, sizeof A_WASM);
  mod_b = compile(B_WASM, sizeof B_WASM);
  mod_c = compile(C_WASM, sizeof C_WASM);
  RUN(test_analysis);
  RUN(test_store_by_code);
  RUN(test_fill_and_grow);
  RUN(test_data_segments_only);
  RUN(test_host_writes);
  RUN(test_other_instance);
  tova_module_release(mod_a);
  tova_module_release(mod_b);
  tova_module_release(mod_c);
  return CHECK_DONE();
}
