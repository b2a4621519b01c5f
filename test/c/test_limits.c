/*
 * test_limits.c: the default limits are at least those of V8 and
 * JavaScriptCore, so a program that runs in Bun or Node runs here:
 *   - recursion: deeper than their 10K-50K frames, with the default exec,
 *     in every tier (quick code too, which hands deep calls to the
 *     interpreter);
 *   - one operand stack holding 100K values;
 *   - memories up to 4 GiB (65536 pages) with the default store, mapped
 *     lazily (a memory grown past 1 GiB costs only the pages it touches).
 */
#include <sys/resource.h>

#include "check.h"
#include "engine/store.h" /* wasm_memory_grow */
#ifdef TOVA_HAVE_NATIVE
#include "engine/native/native.h"
#include "engine/native/tiering.h" /* wasm_native_set_quick */
#endif
#include "test_interp_builder.h"

static int64_t call_i32(inst_t *t, const char *name, int32_t arg, tova_status *st,
                        tova_error *err) {
  tova_exec *e = tova_exec_new(0); /* the default budget is what is tested */
  tova_val a = {.i32 = arg}, r = {.raw = 0};
  *st = tova_exec_call(e, inst_func(t, name), &a, &r, err);
  tova_exec_free(e);
  return r.i32;
}

/* depth(n) = n == 0 ? 0 : depth(n - 1) + 1, and the same with a frame of
 * 16 extra i64 locals that are all live across the call. */
static void build_recursion(mod *mp) {
  mod m = {0};
  uint32_t t_ii = mod_type(&m, "i", "i");
  wb b = {0};
  e_rec_i32(&b, 0, false);
  mod_func(&m, t_ii, "", &b, "depth");
  wb_free(&b);

  /* wide: locals 1..16 get n + k, then the call, then all of them are summed
   * with the result, so the compiler must keep every one in the frame. */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 'i');
  e_i32(&b, 0);
  e_op(&b, WASM_OP_ELSE);
  for (uint32_t k = 1; k <= 16; k++) {
    e_get(&b, 0);
    e_op(&b, WASM_OP_I64_EXTEND_I32_U);
    e_i64(&b, k);
    e_op(&b, WASM_OP_I64_ADD);
    e_set(&b, k);
  }
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_opu(&b, WASM_OP_CALL, 1);
  for (uint32_t k = 1; k <= 16; k++) {
    e_get(&b, k);
    e_get(&b, 0);
    e_op(&b, WASM_OP_I64_EXTEND_I32_U);
    e_op(&b, WASM_OP_I64_SUB); /* local k - n = k */
    e_op(&b, WASM_OP_I32_WRAP_I64);
    e_op(&b, WASM_OP_I32_ADD);
  }
  e_op(&b, WASM_OP_END);
  mod_func(&m, t_ii, "IIIIIIIIIIIIIIII", &b, "wide");
  wb_free(&b);
  *mp = m;
}

static void check_depths(inst_t *tp) {
  inst_t t = *tp;
  tova_error err = {0};
  tova_status st;
  /* 200K frames: 4-20x what V8 allows for a function this small. */
  CHECK_EQ_I64(call_i32(&t, "depth", 200000, &st, &err), 200000);
  CHECK_EQ_I64(st, TOVA_OK);
  /* 50K frames of 17 locals: each level adds 1+2+...+16 = 136. */
  CHECK_EQ_I64(call_i32(&t, "wide", 50000, &st, &err), 50000LL * 136);
  CHECK_EQ_I64(st, TOVA_OK);
  /* Unbounded recursion still ends in a trap, not a crash. */
  call_i32(&t, "depth", -1, &st, &err);
  CHECK_EQ_I64(st, TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(err.message, "call stack exhausted");
}

static void test_deep_recursion(void) {
  mod m;
  build_recursion(&m);
  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  check_depths(&t);
  inst_free(&t);
}

#ifdef TOVA_HAVE_NATIVE
/* The same in quick code (level-0 frames, several times optimised ones):
 * each function hands its call to the interpreter once the C stack runs
 * low (rt.h WASM_NATIVE_QUICK_STACK_RESERVE), so the depths are the
 * interpreter's, not the C stack's. */
static void test_deep_recursion_quick(void) {
  wasm_tier before = wasm_native_tier();
  wasm_native_set_tier(WASM_TIER_NATIVE);
  wasm_native_set_quick(0, true);
  mod m;
  build_recursion(&m);
  inst_t t;
  tova_error err = {0};
  bool made = inst_make(&t, &m, NULL, 0, &err);
  wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
  wasm_native_set_tier(before);
  CHECK(made);
  if (!made) {
    fprintf(stderr, "%s\n", err.message);
    return;
  }
  for (uint32_t f = 0; f < 2; f++) /* quick code */
    CHECK(wasm_native_func_is_native(t.module, f) && !wasm_native_func_is_optimised(t.module, f));
  uint64_t handed = wasm_native_interp_call_count(t.module);
  check_depths(&t);
  CHECK(wasm_native_interp_call_count(t.module) > handed); /* 200K frames did not fit */
  inst_free(&t);
}
#endif

/* sum() pushes 100K constants 1..100000 and adds them with 99,999 i32.add:
 * the operand stack holds 100K values at its peak. */
static void test_operand_stack_100k(void) {
  enum { N = 100000 };
  mod m = {0};
  uint32_t t_i = mod_type(&m, "", "I");
  wb b = {0};
  for (int64_t k = 1; k <= N; k++) e_i64(&b, k);
  for (int k = 1; k < N; k++) e_op(&b, WASM_OP_I64_ADD);
  mod_func(&m, t_i, "", &b, "sum");
  wb_free(&b);
  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  tova_exec *e = tova_exec_new(0);
  tova_val r = {.raw = 0};
  tova_status st = tova_exec_call(e, inst_func(&t, "sum"), NULL, &r, &err);
  CHECK_EQ_I64(st, TOVA_OK);
  if (st != TOVA_OK) fprintf(stderr, "%s\n", err.message);
  CHECK_EQ_I64(r.i64, (int64_t)N * (N + 1) / 2);
  tova_exec_free(e);
  inst_free(&t);
}

/* Can this process map 4 GiB of address space? Not under a ulimit -v. */
static bool address_space_allows_4g(void) {
  struct rlimit rl;
  if (sizeof(size_t) < 8) return false;
  if (getrlimit(RLIMIT_AS, &rl) != 0) return true;
  return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > ((rlim_t)6 << 30);
}

/* (memory 1 65536) with grow(n) -> old size, poke(addr, v) and peek(addr). */
static void test_memory_4g_max(void) {
  if (!address_space_allows_4g()) {
    fprintf(stderr, "test_memory_4g_max: skipped (address space limited by ulimit -v)\n");
    return;
  }
  mod m = {0};
  uint32_t t_ii = mod_type(&m, "i", "i");
  uint32_t t_iii = mod_type(&m, "ii", "i");
  mod_memory(&m, 1, 65536);
  wb b = {0};
  e_get(&b, 0);
  e_op(&b, WASM_OP_MEMORY_GROW);
  wb_byte(&b, 0);
  mod_func(&m, t_ii, "", &b, "grow");
  wb_free(&b);
  /* poke(addr, v): store8 v at addr, then return load8_u(addr). */
  e_get(&b, 0);
  e_get(&b, 1);
  e_mem(&b, WASM_OP_I32_STORE8, 0, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(&m, t_iii, "", &b, "poke");
  wb_free(&b);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(&m, t_ii, "", &b, "peek");
  wb_free(&b);

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err)); /* the default store */
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  tova_status st;
  /* Past 1 GiB (the old default limit): 20000 more pages, 1.22 GiB in all. */
  CHECK_EQ_I64(call_i32(&t, "grow", 20000, &st, &err), 1);
  tova_exec *e = tova_exec_new(0);
  tova_val args[2] = {{.i32 = (int32_t)(20001u * WASM_PAGE_SIZE - 1)}, {.i32 = 0x5a}}, r;
  CHECK_EQ_I64(tova_exec_call(e, inst_func(&t, "poke"), args, &r, &err), TOVA_OK);
  CHECK_EQ_I64(r.i32, 0x5a);
  /* Up to the full 4 GiB: the last byte is addressable. */
  CHECK_EQ_I64(call_i32(&t, "grow", 65536 - 20001, &st, &err), 20001);
  CHECK_EQ_I64(call_i32(&t, "grow", 1, &st, &err), -1); /* beyond 4 GiB */
  args[0].i32 = -1; /* 0xFFFFFFFF */
  args[1].i32 = 0xa5;
  CHECK_EQ_I64(tova_exec_call(e, inst_func(&t, "poke"), args, &r, &err), TOVA_OK);
  CHECK_EQ_I64(r.i32, 0xa5);
  /* Data written before the last grow is still there. */
  CHECK_EQ_I64(call_i32(&t, "peek", (int32_t)(20001u * WASM_PAGE_SIZE - 1), &st, &err), 0x5a);
  CHECK_EQ_I64(call_i32(&t, "peek", (int32_t)(30000u * WASM_PAGE_SIZE), &st, &err), 0);
  tova_exec_free(e);
  inst_free(&t);

  /* A memory without a declared maximum gets the same 4 GiB by default. */
  tova_store *s = tova_store_new(NULL);
  tova_memory *mem = tova_memory_new(s, 1, 0, false);
  CHECK(mem != NULL);
  if (mem) {
    uint8_t *data = tova_memory_data(mem, NULL);
    data[100] = 7;
    CHECK_EQ_I64(wasm_memory_grow(mem, 65535), 1);
    uint64_t size = 0;
    data = tova_memory_data(mem, &size);
    CHECK_EQ_I64(size, 65536ull * WASM_PAGE_SIZE);
    CHECK_EQ_I64(data[100], 7);
    CHECK_EQ_I64(data[size - 1], 0);
    data[size - 1] = 1;
    CHECK_EQ_I64((int32_t)wasm_memory_grow(mem, 1), -1);
  }
  tova_store_free(s);
}

int main(void) {
  RUN(test_deep_recursion);
#ifdef TOVA_HAVE_NATIVE
  RUN(test_deep_recursion_quick);
#endif
  RUN(test_operand_stack_100k);
  RUN(test_memory_4g_max);
  return CHECK_DONE();
}
