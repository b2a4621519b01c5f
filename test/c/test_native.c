/*
 * test_native.c: the native-code tier (src/engine/native) against the
 * interpreter. The same module bytes are compiled twice, one copy switched to
 * native code with wasm_native_compile_module; every call must give the same
 * result or the same trap message on both. Also: which functions may run
 * native (a function calling an import runs native and leaves for the
 * interpreter when it parks; its callers stay interpreted),
 * cancellation of a native loop, and bounded native recursion.
 * Without LLVM (no TOVA_HAVE_NATIVE) there is no native tier to test.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "test_interp_builder.h"

#ifdef TOVA_HAVE_NATIVE
#include "engine/native/native.h"

static tova_exec *ex;

/* The pure module: nothing in it calls an import or does call_indirect. */
/* Emits f(n op k) for function `self` and i64 local 0 = n. */
static void e_self_call(wb *b, uint32_t self, uint8_t op, int64_t k) {
  e_get(b, 0);
  e_i64(b, k);
  e_op(b, op);
  e_opu(b, WASM_OP_CALL, self);
}

/* Emits the start of `n <= 0 ? 0 : ...` (i64 local 0 = n): the else arm
 * follows, then `end`. */
static void e_zero_unless_positive(wb *b) {
  e_get(b, 0);
  e_i64(b, 0);
  e_op(b, WASM_OP_I64_LE_S);
  e_block(b, WASM_OP_IF, 'I');
  e_i64(b, 0);
  e_op(b, WASM_OP_ELSE);
}

static void build_pure(mod *m) {
  uint32_t t_II = mod_type(m, "I", "I");
  uint32_t t_ii = mod_type(m, "i", "i");
  uint32_t t_iii = mod_type(m, "ii", "i");
  uint32_t t_v = mod_type(m, "", "");
  uint32_t t_Fi = mod_type(m, "F", "i");
  uint32_t t_FFF = mod_type(m, "FF", "F");
  uint32_t t_ff = mod_type(m, "f", "f");
  uint32_t t_I = mod_type(m, "I", "");
  mod_memory(m, 1, 4);
  wb b = {0};
  /* 0 fib(n) = n < 2 ? n : fib(n-1) + fib(n-2) */
  e_fib_i64(&b, 0);
  mod_func(m, t_II, "", &b, "fib");
  wb_free(&b);
  /* 1 sumsq(n): for i < n: mem[4i] = i*i; acc += mem[4i] (traps past the memory) */
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_S);
  e_get(&b, 1);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_SHL);
  e_get(&b, 1);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_MUL);
  e_mem(&b, WASM_OP_I32_STORE, 2, 0);
  e_get(&b, 2);
  e_get(&b, 1);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_SHL);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_for_tail(&b, 1);
  e_get(&b, 2);
  mod_func(m, t_ii, "ii", &b, "sumsq");
  wb_free(&b);
  /* 2 div_s, 3 rem_s */
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_DIV_S);
  mod_func(m, t_iii, "", &b, "div_s");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_REM_S);
  mod_func(m, t_iii, "", &b, "rem_s");
  wb_free(&b);
  /* 4 runaway: calls itself forever */
  e_opu(&b, WASM_OP_CALL, 4);
  mod_func(m, t_v, "", &b, "runaway");
  wb_free(&b);
  /* 5 spin: loops forever */
  e_block(&b, WASM_OP_LOOP, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_v, "", &b, "spin");
  wb_free(&b);
  /* 6 trunc: i32.trunc_f64_s */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_TRUNC_F64_S);
  mod_func(m, t_Fi, "", &b, "trunc");
  wb_free(&b);
  /* 7 fmin, 8 fmax */
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_F64_MIN);
  mod_func(m, t_FFF, "", &b, "fmin");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_F64_MAX);
  mod_func(m, t_FFF, "", &b, "fmax");
  wb_free(&b);
  /* 9 grow(n): memory.grow n, then memory.size * 1000 + the grow's result */
  e_get(&b, 0);
  e_op(&b, WASM_OP_MEMORY_GROW);
  wb_byte(&b, 0);
  e_op(&b, WASM_OP_MEMORY_SIZE);
  wb_byte(&b, 0);
  e_i32(&b, 1000);
  e_op(&b, WASM_OP_I32_MUL);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(m, t_ii, "", &b, "grow");
  wb_free(&b);
  /* 10 nearest_mul1: f32.nearest(x) * 1.0 (a signalling NaN must come out quiet) */
  e_get(&b, 0);
  e_op(&b, WASM_OP_F32_NEAREST);
  e_f32(&b, 1.0f);
  e_op(&b, WASM_OP_F32_MUL);
  mod_func(m, t_ff, "", &b, "nearest_mul1");
  wb_free(&b);
  /* 11 unreach */
  e_op(&b, WASM_OP_UNREACHABLE);
  mod_func(m, t_v, "", &b, "unreach");
  wb_free(&b);
  /* Accesses on both sides of the native tier's two bounds tests (mem_at in
   * translate.c: the cheap test for offset + size <= 4096, the exact one
   * otherwise and in a memory's last 4096 bytes). */
  /* 12 ld64_4088(a): i64.load offset=4088, wrapped (reaches exactly 4096) */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I64_LOAD, 3, 4088);
  e_op(&b, WASM_OP_I32_WRAP_I64);
  mod_func(m, t_ii, "", &b, "ld64_4088");
  wb_free(&b);
  /* 13 ld8(a): i32.load8_u */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(m, t_ii, "", &b, "ld8");
  wb_free(&b);
  /* 14 ld32_5000(a): i32.load offset=5000 (past the cheap test's reach) */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 5000);
  mod_func(m, t_ii, "", &b, "ld32_5000");
  wb_free(&b);
  /* 15 st16_4000(a): i32.store16 offset=4000 of a, then i32.load16_u it back */
  e_get(&b, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_STORE16, 1, 4000);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD16_U, 1, 4000);
  mod_func(m, t_ii, "", &b, "st16_4000");
  wb_free(&b);
  /* 16 wide200(n), 17 wide3000(n): endless recursion with that many i64
   * locals live across the call (all spilled: a frame of 1.6 / 24 KB). The
   * first checks its depth before the call, the second, past the tier's
   * frame limits, on entry (translate.c, frame_check): both must trap
   * "call stack exhausted", never overflow the C stack. */
  static const uint32_t widths[2] = {200, 3000};
  for (uint32_t w = 0; w < 2; w++) {
    uint32_t nl = widths[w];
    char *locals = malloc(nl + 1);
    memset(locals, 'I', nl);
    locals[nl] = 0;
    for (uint32_t k = 0; k < nl; k++) {
      e_get(&b, 0);
      e_i64(&b, k);
      e_op(&b, WASM_OP_I64_ADD);
      e_set(&b, k + 1);
    }
    e_get(&b, 0);
    e_i64(&b, 1);
    e_op(&b, WASM_OP_I64_ADD);
    e_opu(&b, WASM_OP_CALL, 16 + w);
    for (uint32_t k = 0; k < nl; k++) {
      e_get(&b, k + 1);
      e_op(&b, WASM_OP_I64_ADD);
    }
    mod_func(m, t_II, locals, &b, w ? "wide3000" : "wide200");
    wb_free(&b);
    free(locals);
  }
  /* 18 count2(n) = n <= 0 ? 0 : (count2(n >> 62) + 1) + count2(n - 1):
   * two self-calls, the first not in tail position, so the native tier
   * turns the second into a loop (translate.c, allow_self_tail_calls) and a
   * depth of millions is no deeper than one. (n >> 62, 0 here, is what LLVM
   * cannot fold: with a constant 0 it specialises the call away, the
   * function no longer calls itself, and the check after optimising keeps
   * every call: see runaway_nop.) */
  e_zero_unless_positive(&b);
  e_self_call(&b, 18, WASM_OP_I64_SHR_S, 62);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_ADD);
  e_self_call(&b, 18, WASM_OP_I64_SUB, 1);
  e_op(&b, WASM_OP_I64_ADD);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_II, "", &b, "count2");
  wb_free(&b);
  /* 19 runaway2(n) = runaway2(n + 1) + runaway2(n + 2), no base case: the
   * same shape, and its first call still recurses for ever. */
  for (int64_t k = 1; k <= 2; k++) e_self_call(&b, 19, WASM_OP_I64_ADD, k);
  e_op(&b, WASM_OP_I64_ADD);
  mod_func(m, t_II, "", &b, "runaway2");
  wb_free(&b);
  /* 20 count1(n) = n <= 0 ? 0 : 1 + count1(n - 1): one self-call (fac's
   * shape) stays a call, so a deep enough recursion exhausts the stack. */
  e_zero_unless_positive(&b);
  e_i64(&b, 1);
  e_self_call(&b, 20, WASM_OP_I64_SUB, 1);
  e_op(&b, WASM_OP_I64_ADD);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_II, "", &b, "count1");
  wb_free(&b);
  /* 21 runaway_nop(n): if n & 1 then runaway_nop(n + 1); nop else
   * runaway_nop(n + 2); nop. The translator's scan sees two self-calls not
   * in tail position (a nop follows), but for LLVM both are tail calls of a
   * function that returns nothing: turned into loops, the runaway would
   * never end. The check after optimising (jit.c, self_calls_lost) finds no
   * self-call left and compiles the unit again with every call kept. */
  e_get(&b, 0);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_AND);
  e_op(&b, WASM_OP_I32_WRAP_I64);
  e_block(&b, WASM_OP_IF, 0);
  for (int64_t k = 1; k <= 2; k++) {
    e_self_call(&b, 21, WASM_OP_I64_ADD, k);
    e_op(&b, WASM_OP_NOP);
    if (k == 1) e_op(&b, WASM_OP_ELSE);
  }
  e_op(&b, WASM_OP_END);
  mod_func(m, t_I, "", &b, "runaway_nop");
  wb_free(&b);
}

typedef struct outcome {
  tova_status st;
  uint64_t raw;
  char msg[TOVA_ERROR_MAX];
} outcome;

static outcome run(inst_t *t, const char *name, uint64_t a, uint64_t b) {
  outcome o;
  memset(&o, 0, sizeof o);
  tova_val args[2] = {{.raw = a}, {.raw = b}}, res[2] = {{0}};
  tova_error err = {0};
  tova_func *f = inst_func(t, name);
  CHECK(f != NULL);
  if (!f) return o;
  o.st = tova_exec_call(ex, f, args, res, &err);
  o.raw = res[0].raw;
  if (o.st != TOVA_OK) snprintf(o.msg, sizeof o.msg, "%s", err.message);
  return o;
}

/* Same status, same message, same result bits (masked to the result width). */
static void same(inst_t *interp, inst_t *native, const char *name, uint64_t a, uint64_t b,
                 uint64_t mask) {
  outcome x = run(interp, name, a, b), y = run(native, name, a, b);
  if (x.st != y.st || strcmp(x.msg, y.msg) != 0 || (x.st == TOVA_OK && (x.raw & mask) != (y.raw & mask))) {
    fprintf(stderr, "%s(%llx, %llx): interp %d %llx \"%s\", native %d %llx \"%s\"\n", name,
            (unsigned long long)a, (unsigned long long)b, x.st, (unsigned long long)x.raw, x.msg,
            y.st, (unsigned long long)y.raw, y.msg);
    CHECK(0);
  }
}

/* Every access function of the pure module at addresses around the end of a
 * memory of `bytes`, and at the top of the address space. */
static void same_at_the_edges(inst_t *ti, inst_t *tn, uint64_t bytes) {
  static const char *const fns[] = {"ld64_4088", "ld8", "ld32_5000", "st16_4000"};
  for (size_t f = 0; f < sizeof fns / sizeof *fns; f++) {
    for (uint64_t a = bytes - 5100; a <= bytes + 8; a++) same(ti, tn, fns[f], a, 0, 0xffffffffu);
    static const uint32_t far[] = {0x7fffffffu, 0x80000000u, 0xfffff000u, 0xfffffffcu, 0xffffffffu};
    for (size_t i = 0; i < sizeof far / sizeof *far; i++) same(ti, tn, fns[f], far[i], 0, 0xffffffffu);
  }
}

static uint64_t f64b(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static bool make_pair(inst_t *interp, inst_t *native) {
  tova_error err = {0};
  mod m1 = {0}, m2 = {0};
  build_pure(&m1);
  build_pure(&m2);
  CHECK(inst_make(interp, &m1, NULL, 0, &err));
  CHECK(inst_make(native, &m2, NULL, 0, &err));
  if (!interp->inst || !native->inst) {
    fprintf(stderr, "%s\n", err.message);
    return false;
  }
  return true;
}

static void *interrupt_after_a_second(void *p) {
  struct timespec ts = {1, 0};
  nanosleep(&ts, NULL);
  tova_exec_interrupt(p);
  return NULL;
}

static void test_same_results(void) {
  inst_t ti, tn;
  if (!make_pair(&ti, &tn)) return;
  /* Every function of the pure module may run native, and does once compiled. */
  CHECK_EQ_I64(wasm_native_compile_module(tn.module), 22);
  CHECK(wasm_native_func_is_native(tn.module, 0));
  CHECK(wasm_native_func_is_native(tn.module, 21));
  CHECK_EQ_I64(wasm_native_compile_module(tn.module), 22); /* idempotent */
  const uint64_t M32 = 0xffffffffu, M64 = ~0ull;
  for (uint64_t n = 0; n < 25; n += 3) same(&ti, &tn, "fib", n, 0, M64);
  CHECK_EQ_I64(run(&tn, "fib", 20, 0).raw, 6765); /* the 20th Fibonacci number */
  same(&ti, &tn, "sumsq", 0, 0, M32);
  same(&ti, &tn, "sumsq", 1000, 0, M32);
  same(&ti, &tn, "sumsq", 16384, 0, M32);  /* the last word of the page */
  same(&ti, &tn, "sumsq", 16385, 0, M32);  /* one word past: out of bounds */
  static const int32_t ints[] = {0, 1, -1, 7, -7, 3, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
    for (size_t j = 0; j < sizeof ints / sizeof *ints; j++) {
      same(&ti, &tn, "div_s", (uint32_t)ints[i], (uint32_t)ints[j], M32);
      same(&ti, &tn, "rem_s", (uint32_t)ints[i], (uint32_t)ints[j], M32);
    }
  static const double ds[] = {0.0, -0.0, 1.5, -2.5, 2147483647.0, 2147483648.0, -2147483648.0,
                              -2147483649.0, 1e300, -1e300};
  for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
    same(&ti, &tn, "trunc", f64b(ds[i]), 0, M32);
    for (size_t j = 0; j < sizeof ds / sizeof *ds; j++) {
      same(&ti, &tn, "fmin", f64b(ds[i]), f64b(ds[j]), M64);
      same(&ti, &tn, "fmax", f64b(ds[i]), f64b(ds[j]), M64);
    }
  }
  same(&ti, &tn, "trunc", 0x7ff8000000000000ull, 0, M32); /* NaN: invalid conversion */
  /* A NaN result only has to be a quiet NaN: compare that, not the payload. */
  uint32_t q = (uint32_t)run(&tn, "nearest_mul1", 0x7fa00000u, 0).raw;
  CHECK((q & 0x7fc00000u) == 0x7fc00000u);
  q = (uint32_t)run(&tn, "nearest_mul1", 0x40200000u /* 2.5f */, 0).raw;
  CHECK_EQ_I64(q, 0x40000000u); /* 2.0f: half to even */
  same(&ti, &tn, "unreach", 0, 0, M64);
  same(&ti, &tn, "runaway", 0, 0, M64);
  CHECK_STR_CONTAINS(run(&tn, "runaway", 0, 0).msg, "call stack exhausted");
  same(&ti, &tn, "wide200", 0, 0, M64);
  CHECK_STR_CONTAINS(run(&tn, "wide200", 0, 0).msg, "call stack exhausted");
  same(&ti, &tn, "wide3000", 0, 0, M64);
  CHECK_STR_CONTAINS(run(&tn, "wide3000", 0, 0).msg, "call stack exhausted");
  /* Self-calls become a loop only where a real self-call remains. */
  for (uint64_t n = 0; n < 2000; n += 333) same(&ti, &tn, "count2", n, 0, M64);
  CHECK_EQ_I64(run(&tn, "count2", 5000000, 0).raw, 5000000);
  CHECK_STR_CONTAINS(run(&tn, "runaway2", 0, 0).msg, "call stack exhausted");
  same(&ti, &tn, "count1", 1000, 0, M64);
  CHECK_STR_CONTAINS(run(&tn, "count1", 5000000, 0).msg, "call stack exhausted");
  /* Had its calls become loops, runaway_nop would spin until the interrupt
   * a second later (then "cancelled"). */
  pthread_t th;
  CHECK(pthread_create(&th, NULL, interrupt_after_a_second, ex) == 0);
  CHECK_STR_CONTAINS(run(&tn, "runaway_nop", 0, 0).msg, "call stack exhausted");
  pthread_join(th, NULL);
  tova_exec_clear_interrupt(ex);
  same_at_the_edges(&ti, &tn, 65536);
  same(&ti, &tn, "grow", 1, 0, M32);
  same_at_the_edges(&ti, &tn, 2 * 65536); /* the bounds follow memory.grow */
  same(&ti, &tn, "grow", 1, 0, M32);
  same(&ti, &tn, "grow", 5, 0, M32); /* refused: over the maximum */
  same(&ti, &tn, "sumsq", 40000, 0, M32); /* the grown memory is in bounds */
  inst_free(&ti);
  inst_free(&tn);
}

/* The module of test_bounds_checks: accesses whose bounds check the native
 * tier may skip because an earlier one on every path covers them (mem_at in
 * translate.c), next to look-alikes where no earlier check covers them. A
 * check wrongly skipped reads or writes past the memory instead of trapping.
 * mem[0] counts the iterations of the loops, so the trap's iteration is
 * compared too. Memory: 1 page, at most 4. */
static void build_checks(mod *m) {
  uint32_t t_ii = mod_type(m, "i", "i");
  uint32_t t_iii = mod_type(m, "ii", "i");
  uint32_t t_v = mod_type(m, "", "");
  mod_memory(m, 1, 4);
  wb b = {0};
  /* 0 peek(a) = mem32[a] */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  mod_func(m, t_ii, "", &b, "peek");
  wb_free(&b);
  /* 1 poke(a, v): mem32[a] = v, returns v */
  e_get(&b, 0);
  e_get(&b, 1);
  e_mem(&b, WASM_OP_I32_STORE, 2, 0);
  e_get(&b, 1);
  mod_func(m, t_iii, "", &b, "poke");
  wb_free(&b);
  /* 2 walk(p, n): p read before the loop (that check is not the loop's:
   * p changes in it), then s += mem32[p]; mem[0] = ++i; p += 4 while i < n */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  e_op(&b, WASM_OP_DROP);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  e_get(&b, 2);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_i32(&b, 0);
  e_get(&b, 3);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_tee(&b, 3);
  e_mem(&b, WASM_OP_I32_STORE, 2, 0);
  e_get(&b, 0);
  e_i32(&b, 4);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 0);
  e_get(&b, 3);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_LT_U);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(m, t_iii, "ii", &b, "walk");
  wb_free(&b);
  /* 3 after_if(p, c): if c { mem8[p] }; mem8[p] (the then-arm's check is
   * not on the c == 0 path) */
  e_get(&b, 1);
  e_block(&b, WASM_OP_IF, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_DROP);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(m, t_iii, "", &b, "after_if");
  wb_free(&b);
  /* 4 in_else(p, c): c ? mem8[p] : mem8[p] */
  e_get(&b, 1);
  e_block(&b, WASM_OP_IF, 'i');
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_ELSE);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_iii, "", &b, "in_else");
  wb_free(&b);
  /* 5 block_exit(p, c): block { br_if c; mem8[p] }; mem8[p] */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_get(&b, 1);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_DROP);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(m, t_iii, "", &b, "block_exit");
  wb_free(&b);
  /* 6 wider(p): mem8[p], then mem32[p] (reaches further) */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_DROP);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  mod_func(m, t_ii, "", &b, "wider");
  wb_free(&b);
  /* 7 wider_off(p): mem32[p], then mem32[p + 8] as offset=8 */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  e_op(&b, WASM_OP_DROP);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 8);
  mod_func(m, t_ii, "", &b, "wider_off");
  wb_free(&b);
  /* 8 reset(p, q): mem8[p]; p = q; mem8[p] */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_DROP);
  e_get(&b, 1);
  e_set(&b, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(m, t_iii, "", &b, "reset");
  wb_free(&b);
  /* 9 tee(p, q): mem8[p]; mem8[p = q] (through local.tee's value) */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_DROP);
  e_get(&b, 1);
  e_tee(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(m, t_iii, "", &b, "tee");
  wb_free(&b);
  /* 10 list_vn(p), 11 list_nv(p): walk a list of {next at 0, value at 4}
   * until next == 0, counting nodes in mem[0]; each iteration reads both
   * fields of p, the value first (one check covers both) or the next field
   * first (the value's read reaches further and needs its own). */
  for (int nv = 0; nv < 2; nv++) {
    e_block(&b, WASM_OP_LOOP, 0);
    e_i32(&b, 0);
    e_get(&b, 1);
    e_i32(&b, 1);
    e_op(&b, WASM_OP_I32_ADD);
    e_tee(&b, 1);
    e_mem(&b, WASM_OP_I32_STORE, 2, 0);
    if (!nv) {
      e_get(&b, 0);
      e_mem(&b, WASM_OP_I32_LOAD, 2, 4);
      e_op(&b, WASM_OP_DROP);
    }
    e_get(&b, 0);
    e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
    if (nv) {
      e_get(&b, 0);
      e_mem(&b, WASM_OP_I32_LOAD, 2, 4);
      e_op(&b, WASM_OP_DROP);
    }
    e_tee(&b, 0);
    e_opu(&b, WASM_OP_BR_IF, 0);
    e_op(&b, WASM_OP_END);
    e_get(&b, 1);
    mod_func(m, t_ii, "i", &b, nv ? "list_nv" : "list_vn");
    wb_free(&b);
  }
  /* 12 grow1(): memory.grow 1 */
  e_i32(&b, 1);
  e_op(&b, WASM_OP_MEMORY_GROW);
  wb_byte(&b, 0);
  e_op(&b, WASM_OP_DROP);
  mod_func(m, t_v, "", &b, "grow1");
  wb_free(&b);
  /* 13 growloop(n), 14 callloop(n): grow the memory by a page (inline, or
   * in a call), write the new last word, mem[0] = ++i, while i < n: in
   * bounds until the grow is refused at the maximum, then a trap. */
  for (int call = 0; call < 2; call++) {
    e_block(&b, WASM_OP_LOOP, 0);
    if (call) {
      e_opu(&b, WASM_OP_CALL, 12);
    } else {
      e_i32(&b, 1);
      e_op(&b, WASM_OP_MEMORY_GROW);
      wb_byte(&b, 0);
      e_op(&b, WASM_OP_DROP);
    }
    e_get(&b, 1);
    e_i32(&b, 2);
    e_op(&b, WASM_OP_I32_ADD);
    e_i32(&b, 16);
    e_op(&b, WASM_OP_I32_SHL);
    e_i32(&b, 4);
    e_op(&b, WASM_OP_I32_SUB);
    e_get(&b, 1);
    e_mem(&b, WASM_OP_I32_STORE, 2, 0);
    e_i32(&b, 0);
    e_get(&b, 1);
    e_i32(&b, 1);
    e_op(&b, WASM_OP_I32_ADD);
    e_tee(&b, 1);
    e_mem(&b, WASM_OP_I32_STORE, 2, 0);
    e_get(&b, 1);
    e_get(&b, 0);
    e_op(&b, WASM_OP_I32_LT_U);
    e_opu(&b, WASM_OP_BR_IF, 0);
    e_op(&b, WASM_OP_END);
    e_get(&b, 1);
    mod_func(m, t_ii, "i", &b, call ? "callloop" : "growloop");
    wb_free(&b);
  }
}

static bool make_checks_pair(inst_t *interp, inst_t *native) {
  tova_error err = {0};
  mod m1 = {0}, m2 = {0};
  build_checks(&m1);
  build_checks(&m2);
  CHECK(inst_make(interp, &m1, NULL, 0, &err));
  CHECK(inst_make(native, &m2, NULL, 0, &err));
  if (!interp->inst || !native->inst) {
    fprintf(stderr, "%s\n", err.message);
    return false;
  }
  CHECK_EQ_I64(wasm_native_compile_module(native->module), 15);
  return true;
}

/* Bounds checks the native tier leaves out must be exactly the redundant
 * ones: every call traps (or not) as the interpreter does, after the same
 * side effects. */
static void test_bounds_checks(void) {
  const uint64_t M32 = 0xffffffffu, S = 65536;
  inst_t ti, tn;
  if (!make_checks_pair(&ti, &tn)) return;
  same(&ti, &tn, "walk", 0, 10, M32);
  same(&ti, &tn, "walk", S - 64, 100, M32); /* traps in the 17th iteration */
  same(&ti, &tn, "peek", 0, 0, M32);
  CHECK_EQ_I64(run(&tn, "peek", 0, 0).raw, 16);
  same(&ti, &tn, "walk", S - 2, 1, M32); /* traps before the loop */
  static const uint64_t ps[] = {0, S - 5, S - 4, S - 2, S - 1, S, S + 1, 0xfffffffcu, 0xffffffffu};
  for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
    for (uint64_t c = 0; c < 2; c++) {
      same(&ti, &tn, "after_if", ps[i], c, M32);
      same(&ti, &tn, "in_else", ps[i], c, M32);
      same(&ti, &tn, "block_exit", ps[i], c, M32);
    }
    same(&ti, &tn, "reset", 0, ps[i], M32);
    same(&ti, &tn, "tee", 0, ps[i], M32);
    same(&ti, &tn, "reset", ps[i], 0, M32);
    same(&ti, &tn, "tee", ps[i], 0, M32);
  }
  for (uint64_t p = S - 16; p <= S + 1; p++) {
    same(&ti, &tn, "wider", p, 0, M32);
    same(&ti, &tn, "wider_off", p, 0, M32);
  }
  /* A list 64 -> 128 -> 192 -> last: a last node whose value field is past
   * the end traps in the 4th iteration (before or after reading next); one
   * wholly in bounds (its next is 0) ends the walk. */
  static const uint64_t lasts[] = {S - 4, S - 6, S - 8, S};
  for (size_t i = 0; i < sizeof lasts / sizeof *lasts; i++) {
    same(&ti, &tn, "poke", 64, 128, M32);
    same(&ti, &tn, "poke", 128, 192, M32);
    same(&ti, &tn, "poke", 192, lasts[i], M32);
    if (lasts[i] == S - 8) same(&ti, &tn, "poke", S - 8, 0, M32);
    same(&ti, &tn, "list_vn", 64, 0, M32);
    same(&ti, &tn, "peek", 0, 0, M32);
    same(&ti, &tn, "list_nv", 64, 0, M32);
    same(&ti, &tn, "peek", 0, 0, M32);
  }
  CHECK_EQ_I64(run(&tn, "peek", 0, 0).raw, 4);
  /* Growing in the loop: its new pages are in bounds at once; the grow past
   * the maximum (4 pages) is refused and the write after it traps. */
  same(&ti, &tn, "growloop", 10, 0, M32);
  same(&ti, &tn, "peek", 0, 0, M32);
  CHECK_EQ_I64(run(&tn, "peek", 0, 0).raw, 3);
  same(&ti, &tn, "peek", 4 * S - 4, 0, M32);
  same(&ti, &tn, "peek", 4 * S, 0, M32);
  inst_free(&ti);
  inst_free(&tn);
  if (!make_checks_pair(&ti, &tn)) return;
  same(&ti, &tn, "callloop", 10, 0, M32);
  same(&ti, &tn, "peek", 0, 0, M32);
  CHECK_EQ_I64(run(&tn, "peek", 0, 0).raw, 3);
  same(&ti, &tn, "peek", 4 * S - 4, 0, M32);
  inst_free(&ti);
  inst_free(&tn);
}

static void test_cancel_native_loop(void) {
  inst_t ti, tn;
  if (!make_pair(&ti, &tn)) return;
  wasm_native_compile_module(tn.module);
  CHECK(wasm_native_func_is_native(tn.module, 5));
  pthread_t th;
  CHECK(pthread_create(&th, NULL, interrupt_later, ex) == 0);
  outcome o = run(&tn, "spin", 0, 0);
  pthread_join(th, NULL);
  CHECK_EQ_I64(o.st, TOVA_ERR_CANCELLED);
  /* The flag is sticky: the next call is cancelled at once, until cleared. */
  CHECK_EQ_I64(run(&tn, "fib", 10, 0).st, TOVA_ERR_CANCELLED);
  tova_exec_clear_interrupt(ex);
  /* The execution is usable again afterwards. */
  CHECK_EQ_I64(run(&tn, "fib", 10, 0).raw, 55);
  inst_free(&ti);
  inst_free(&tn);
}

/* Recursion without loops is cancelled too: by the signal, or where native
 * code polls, by recursive functions' polls (fib(60) would take hours). */
static void test_cancel_native_recursion(void) {
  inst_t ti, tn;
  if (!make_pair(&ti, &tn)) return;
  wasm_native_compile_module(tn.module);
  CHECK(wasm_native_func_is_native(tn.module, 0));
  pthread_t th;
  CHECK(pthread_create(&th, NULL, interrupt_later, ex) == 0);
  outcome o = run(&tn, "fib", 60, 0);
  pthread_join(th, NULL);
  CHECK_EQ_I64(o.st, TOVA_ERR_CANCELLED);
  tova_exec_clear_interrupt(ex);
  CHECK_EQ_I64(run(&tn, "fib", 10, 0).raw, 55);
  inst_free(&ti);
  inst_free(&tn);
}

static void test_depth_follows_exec_budget(void) {
  inst_t ti, tn;
  if (!make_pair(&ti, &tn)) return;
  wasm_native_compile_module(tn.module);
  tova_exec *small = tova_exec_new(4096);
  tova_val arg = {.i64 = 15}, res;
  tova_error err = {0};
  CHECK_EQ_I64(tova_exec_call(small, inst_func(&tn, "fib"), &arg, &res, &err), TOVA_OK);
  CHECK_EQ_I64(res.i64, 610);
  CHECK_EQ_I64(tova_exec_call(small, inst_func(&tn, "runaway"), NULL, NULL, &err), TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(err.message, "call stack exhausted");
  tova_exec_free(small);
  inst_free(&ti);
  inst_free(&tn);
}

/* dispatch(i, x) = table[i](x) over {double, square, a wrong-typed function,
 * null}; with export_table the host could put anything in the table. */
static bool make_dispatch(inst_t *t, bool export_table) {
  mod m = {0};
  uint32_t t_ii = mod_type(&m, "i", "i");
  uint32_t t_iii = mod_type(&m, "ii", "i");
  uint32_t t_II = mod_type(&m, "I", "I");
  mod_table(&m, 4);
  if (export_table) mod_export(&m, "table", TOVA_EXTERN_TABLE, 0);
  wb b = {0};
  e_get(&b, 0);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_ADD);
  uint32_t f_double = mod_func(&m, t_ii, "", &b, NULL);
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_MUL);
  uint32_t f_square = mod_func(&m, t_ii, "", &b, NULL);
  wb_free(&b);
  e_get(&b, 0);
  uint32_t f_wrong = mod_func(&m, t_II, "", &b, NULL);
  wb_free(&b);
  e_get(&b, 1);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL_INDIRECT, t_ii);
  wb_byte(&b, 0);
  mod_func(&m, t_iii, "", &b, "dispatch"); /* 3 */
  wb_free(&b);
  uint32_t elems[3] = {f_double, f_square, f_wrong};
  mod_elem(&m, 0, 3, elems);
  tova_error err = {0};
  CHECK(inst_make(t, &m, NULL, 0, &err));
  if (!t->inst) fprintf(stderr, "%s\n", err.message);
  return t->inst != NULL;
}

static void test_call_indirect(void) {
  inst_t ti, tn, to;
  if (!make_dispatch(&ti, false) || !make_dispatch(&tn, false) || !make_dispatch(&to, true)) return;
  CHECK_EQ_I64(wasm_native_compile_module(tn.module), 4);
  CHECK(wasm_native_func_is_native(tn.module, 3));
  /* An exported table may get any function from outside: dispatch stays interpreted. */
  CHECK_EQ_I64(wasm_native_compile_module(to.module), 3);
  CHECK(!wasm_native_func_is_native(to.module, 3));
  for (uint64_t i = 0; i < 6; i++) {
    same(&ti, &tn, "dispatch", i, 7, 0xffffffffu);
    same(&ti, &to, "dispatch", i, 7, 0xffffffffu);
  }
  CHECK_EQ_I64(run(&tn, "dispatch", 1, 7).raw & 0xffffffffu, 49);
  CHECK_STR_CONTAINS(run(&tn, "dispatch", 2, 7).msg, "indirect call type mismatch");
  CHECK_STR_CONTAINS(run(&tn, "dispatch", 3, 7).msg, "uninitialized element 3");
  CHECK_STR_CONTAINS(run(&tn, "dispatch", 5, 7).msg, "undefined element 5");
  inst_free(&ti);
  inst_free(&tn);
  inst_free(&to);
}

/* Host import that parks on its first call and returns at once afterwards. */
static int host_calls;
static tova_status host_park(tova_host_call *call, void *ud, const tova_val *args,
                             tova_val *results) {
  (void)call, (void)ud, (void)args, (void)results;
  return host_calls++ == 0 ? TOVA_SUSPENDED : TOVA_OK;
}

static void test_import_callers(void) {
  mod m = {0};
  uint32_t t_v = mod_type(&m, "", "");
  uint32_t t_ii = mod_type(&m, "i", "i");
  mod_import_func(&m, "env", "park", t_v); /* 0 */
  wb b = {0};
  e_opu(&b, WASM_OP_CALL, 0);
  mod_func(&m, t_v, "", &b, "impure"); /* 1: calls the import */
  wb_free(&b);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t_ii, "", &b, "pure"); /* 2 */
  wb_free(&b);
  e_opu(&b, WASM_OP_CALL, 1);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, 2);
  mod_func(&m, t_ii, "", &b, "caller"); /* 3: calls impure, so may reach the import */
  wb_free(&b);
  inst_t t;
  tova_error err = {0};
  tova_store *s0 = tova_store_new(NULL);
  tova_functype ft = {0, 0, NULL, NULL};
  tova_func *hf = tova_func_new_host(s0, &ft, host_park, NULL);
  tova_extern imp = {.kind = TOVA_EXTERN_FUNC, .of.func = hf};
  CHECK(inst_make(&t, &m, &imp, 1, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    tova_store_free(s0);
    return;
  }
  /* Every function is native, the callers of the one that calls the
   * import too (eligible.c). */
  CHECK_EQ_I64(wasm_native_compile_module(t.module), 3);
  CHECK(wasm_native_func_is_native(t.module, 1));
  CHECK(wasm_native_func_is_native(t.module, 2));
  CHECK(wasm_native_func_is_native(t.module, 3));
  /* caller (native) calls impure (native), which parks inside the import:
   * both leave for the interpreter (rt.h wasm_native_leave_frame), the
   * call resumes there, returns into caller's interpreted code, which
   * calls pure. */
  host_calls = 0;
  tova_val arg = {.i32 = 41}, res = {0};
  CHECK_EQ_I64(tova_exec_call(ex, inst_func(&t, "caller"), &arg, &res, &err), TOVA_SUSPENDED);
  CHECK_EQ_I64(tova_exec_resume(ex, NULL, &res, &err), TOVA_OK);
  CHECK_EQ_I64(res.i32, 42);
  inst_free(&t);
  tova_store_free(s0);
}

static void test_describe(void) {
  char line[160];
  wasm_native_describe(line, sizeof line);
  CHECK_STR_CONTAINS(line, "native (LLVM ");
  wasm_tier before = wasm_native_tier();
  wasm_native_set_tier(WASM_TIER_NATIVE);
  CHECK_EQ_I64(wasm_native_tier(), WASM_TIER_NATIVE);
  /* Now tova_module_compile itself switches eligible functions to native. */
  inst_t t;
  mod m = {0};
  build_pure(&m);
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  CHECK(t.module && wasm_native_func_is_native(t.module, 0));
  inst_free(&t);
  wasm_native_set_tier(before);
}

/* Tiered: the module starts interpreted, a background thread compiles it and
 * switches it while it is being called; every call gives the same answer. */
static void test_tiered_switch(void) {
  wasm_tier before = wasm_native_tier();
  wasm_native_set_tier(WASM_TIER_TIERED);
  inst_t t;
  mod m = {0};
  build_pure(&m);
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  wasm_native_set_tier(before);
  if (!t.inst) return;
  bool switched = false;
  /* Bounded wait (10 minutes) only so a broken build cannot hang ctest. */
  for (int i = 0; i < 60000 && !switched; i++) {
    CHECK_EQ_I64(run(&t, "fib", 20, 0).raw, 6765);
    switched = wasm_native_func_is_native(t.module, 0);
    struct timespec ts = {0, 10 * 1000 * 1000};
    if (!switched) nanosleep(&ts, NULL);
  }
  CHECK(switched);
  CHECK_EQ_I64(run(&t, "fib", 20, 0).raw, 6765);
  inst_free(&t);
}

int main(void) {
  ex = tova_exec_new(0);
  RUN(test_tiered_switch);
  RUN(test_describe);
  RUN(test_same_results);
  RUN(test_bounds_checks);
  RUN(test_cancel_native_loop);
  RUN(test_cancel_native_recursion);
  RUN(test_depth_follows_exec_budget);
  RUN(test_import_callers);
  RUN(test_call_indirect);
  tova_exec_free(ex);
  return CHECK_DONE();
}

#else

int main(void) {
  /* Built without LLVM: the engine has the interpreter only. */
  printf("test_native: no native tier in this build (LLVM not found)\n");
  return CHECK_DONE();
}

#endif
