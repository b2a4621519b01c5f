/*
 * test_native_leave.c: native code that calls imports (eligible.c, rt.h
 * wasm_native_leave). A function that calls imports runs native as the
 * outermost native frame; when an import parks, or is a WebAssembly
 * function of another instance, its native code writes its locals and
 * operand stack into the interpreter's frame and the interpreter continues
 * the call. Every call here is run twice, on an interpreted instance and
 * on a native one, and must give the same result, the same trap or the
 * same status, whichever calls park.
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
#include "engine/native/tiering.h" /* wasm_native_set_reenter_always */

/* ---- the host imports -------------------------------------------------------- */

/* Each host import parks on every park_every-th call (0: never); the
 * results it would have returned are kept in `pending` for the resume. */
static unsigned park_every, host_calls;
static tova_val pending[2];
static bool parking(void) { return park_every && ++host_calls % park_every == 0; }

/* get(i32) -> i64 */
static tova_status h_get(tova_host_call *call, void *ud, const tova_val *a, tova_val *r) {
  (void)call, (void)ud;
  r[0].i64 = (int64_t)a[0].i32 * 3 + 1;
  pending[0] = r[0];
  return parking() ? TOVA_SUSPENDED : TOVA_OK;
}

/* mix(i64, f64, f32) -> f64 */
static tova_status h_mix(tova_host_call *call, void *ud, const tova_val *a, tova_val *r) {
  (void)call, (void)ud;
  double f, r64;
  float g;
  memcpy(&f, &a[1].f64_bits, sizeof f);
  memcpy(&g, &a[2].f32_bits, sizeof g);
  r64 = (double)(a[0].i64 % 1000) * 0.5 + f * 0.25 + (double)g;
  memcpy(&r[0].f64_bits, &r64, sizeof r64);
  pending[0] = r[0];
  return parking() ? TOVA_SUSPENDED : TOVA_OK;
}

/* two(i32) -> (i32, i64) */
static tova_status h_two(tova_host_call *call, void *ud, const tova_val *a, tova_val *r) {
  (void)call, (void)ud;
  r[0].i32 = a[0].i32 ^ 0x55;
  r[1].i64 = (int64_t)a[0].i32 << 33;
  pending[0] = r[0];
  pending[1] = r[1];
  return parking() ? TOVA_SUSPENDED : TOVA_OK;
}

/* fail(i32) -> i32: traps at 13, fails (out of memory) at 14; from 1000
 * on it interrupts its own execution and completes (a deadline that passes
 * while an import completes: what it returns must reach the code). */
static tova_status h_fail(tova_host_call *call, void *ud, const tova_val *a, tova_val *r) {
  (void)ud;
  if (a[0].i32 == 13) return tova_host_trap(call, "host says no");
  if (a[0].i32 == 14) return TOVA_ERR_NOMEM;
  if (a[0].i32 >= 1000) tova_exec_interrupt(tova_host_call_exec(call));
  r[0].i32 = a[0].i32 + 1;
  return TOVA_OK;
}

/* ---- the modules ---------------------------------------------------------------- */

enum { IMP_GET, IMP_MIX, IMP_TWO, IMP_PEER, IMP_FAIL, NIMPORTS };
/* Defined functions, by index in the function space. */
enum { F_WORK = NIMPORTS, F_SPIN, F_CALLER, F_PURE, F_MID, F_OUTER, F_REC, F_RCALL, F_RFAIL, F_QFAIL,
       F_RSPIN, F_QSPIN, F_TOOK, F_RTOOK, F_QTOOK, NFUNCS };
/* Those on a cycle of calls: kept from the quick tier in the quick world
 * (wasm_native_set_quick_recursive), so quick code calls them through the
 * interpreter (rt.h wasm_native_call_interp). */
enum { NRECURSIVE = 4 }; /* rec, rfail, rspin, rtook */

/* The peer: triple(i32) -> i32, a WebAssembly function another instance imports. */
static void build_peer(mod *m) {
  uint32_t t_ii = mod_type(m, "i", "i");
  wb b = {0};
  e_get(&b, 0);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_MUL);
  mod_func(m, t_ii, "", &b, "triple");
  wb_free(&b);
}

/* work(n) -> i64: a loop whose import calls have values of every type on
 * the operand stack below their arguments, with locals of every type live
 * across them, and memory written between them. Locals: 0 n, 1 i, 2 acc
 * (i64), 3 f (f64), 4 g (f32), 5 x (i64). */
static void e_work(wb *b) {
  e_f64(b, 1.5);
  e_set(b, 3);
  e_f32(b, 0.25f);
  e_set(b, 4);
  e_block(b, WASM_OP_BLOCK, 0);
  e_block(b, WASM_OP_LOOP, 0);
  e_get(b, 1);
  e_get(b, 0);
  e_op(b, WASM_OP_I32_GE_U);
  e_opu(b, WASM_OP_BR_IF, 1);
  /* acc f g i*7 get(i): then x = get(i) + i*7; acc += trunc(f + g) + x */
  e_get(b, 2);
  e_get(b, 3);
  e_get(b, 4);
  e_get(b, 1);
  e_i32(b, 7);
  e_op(b, WASM_OP_I32_MUL);
  e_get(b, 1);
  e_opu(b, WASM_OP_CALL, IMP_GET);
  e_set(b, 5);
  e_op(b, WASM_OP_I64_EXTEND_I32_U);
  e_get(b, 5);
  e_op(b, WASM_OP_I64_ADD);
  e_set(b, 5);
  e_op(b, WASM_OP_F64_PROMOTE_F32);
  e_op(b, WASM_OP_F64_ADD);
  e_fc(b, WASM_FC_I64_TRUNC_SAT_F64_S);
  e_get(b, 5);
  e_op(b, WASM_OP_I64_ADD);
  e_op(b, WASM_OP_I64_ADD);
  e_set(b, 2);
  /* i (below) mix(acc, f, g) -> f; drop i */
  e_get(b, 1);
  e_get(b, 2);
  e_get(b, 3);
  e_get(b, 4);
  e_opu(b, WASM_OP_CALL, IMP_MIX);
  e_set(b, 3);
  e_op(b, WASM_OP_DROP);
  e_get(b, 4);
  e_f32(b, 0.5f);
  e_op(b, WASM_OP_F32_ADD);
  e_set(b, 4);
  /* acc += extend(two(i).0) + two(i).1 */
  e_get(b, 2);
  e_get(b, 1);
  e_opu(b, WASM_OP_CALL, IMP_TWO);
  e_set(b, 5);
  e_op(b, WASM_OP_I64_EXTEND_I32_U);
  e_get(b, 5);
  e_op(b, WASM_OP_I64_ADD);
  e_op(b, WASM_OP_I64_ADD);
  e_set(b, 2);
  /* every 5th i: acc += triple(i), through the other instance */
  e_get(b, 1);
  e_i32(b, 5);
  e_op(b, WASM_OP_I32_REM_U);
  e_op(b, WASM_OP_I32_EQZ);
  e_block(b, WASM_OP_IF, 0);
  e_get(b, 2);
  e_get(b, 1);
  e_opu(b, WASM_OP_CALL, IMP_PEER);
  e_op(b, WASM_OP_I64_EXTEND_I32_U);
  e_op(b, WASM_OP_I64_ADD);
  e_set(b, 2);
  e_op(b, WASM_OP_END);
  /* mem[(i & 255) * 4] = i + acc; i += 1 */
  e_get(b, 1);
  e_i32(b, 255);
  e_op(b, WASM_OP_I32_AND);
  e_i32(b, 2);
  e_op(b, WASM_OP_I32_SHL);
  e_get(b, 1);
  e_get(b, 2);
  e_op(b, WASM_OP_I32_WRAP_I64);
  e_op(b, WASM_OP_I32_ADD);
  e_mem(b, WASM_OP_I32_STORE, 2, 0);
  e_get(b, 1);
  e_i32(b, 1);
  e_op(b, WASM_OP_I32_ADD);
  e_set(b, 1);
  e_opu(b, WASM_OP_BR, 0);
  e_op(b, WASM_OP_END);
  e_op(b, WASM_OP_END);
  /* acc ^ trunc(f * 1000) ^ mem[8] ^ bits(g) */
  e_get(b, 2);
  e_get(b, 3);
  e_f64(b, 1000);
  e_op(b, WASM_OP_F64_MUL);
  e_fc(b, WASM_FC_I64_TRUNC_SAT_F64_S);
  e_op(b, WASM_OP_I64_XOR);
  e_i32(b, 8);
  e_mem(b, WASM_OP_I64_LOAD32_U, 2, 0);
  e_op(b, WASM_OP_I64_XOR);
  e_get(b, 4);
  e_op(b, WASM_OP_I32_REINTERPRET_F32);
  e_op(b, WASM_OP_I64_EXTEND_I32_U);
  e_op(b, WASM_OP_I64_XOR);
}

static void build_leave(mod *m) {
  uint32_t t_iI = mod_type(m, "i", "I");
  uint32_t t_IFf_F = mod_type(m, "IFf", "F");
  uint32_t t_i_iI = mod_type(m, "i", "iI");
  uint32_t t_ii = mod_type(m, "i", "i");
  mod_import_func(m, "env", "get", t_iI);
  mod_import_func(m, "env", "mix", t_IFf_F);
  mod_import_func(m, "env", "two", t_i_iI);
  mod_import_func(m, "env", "peer", t_ii);
  mod_import_func(m, "env", "fail", t_ii);
  mod_memory(m, 1, 1);
  wb b = {0};
  e_work(&b);
  mod_func(m, t_iI, "iIFfI", &b, "work");
  wb_free(&b);
  /* spin(k) -> i32: for (;;) acc += fail(k) (never 13 or 14), returns never */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, IMP_FAIL);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 1);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_UNREACHABLE);
  mod_func(m, t_ii, "i", &b, "spin");
  wb_free(&b);
  /* caller(k) -> i32: pure(fail(k)); it calls an import, pure does not */
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, IMP_FAIL);
  e_opu(&b, WASM_OP_CALL, F_PURE);
  mod_func(m, t_ii, "", &b, "caller");
  wb_free(&b);
  e_get(&b, 0);
  e_i32(&b, 100);
  e_op(&b, WASM_OP_I32_MUL);
  mod_func(m, t_ii, "", &b, "pure");
  wb_free(&b);
  /* mid(k) -> i64: three calls of work(k + j) in a loop, with an i64 and an
   * f64 on the operand stack below each and locals of three types live
   * across it. Locals: 0 k, 1 j, 2 acc (i64), 3 d (f64), 4 w (i64). */
  e_f64(&b, 2.5);
  e_set(&b, 3);
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_GE_U);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 2);
  e_get(&b, 3);
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_opu(&b, WASM_OP_CALL, F_WORK);
  e_set(&b, 4);
  e_fc(&b, WASM_FC_I64_TRUNC_SAT_F64_S);
  e_op(&b, WASM_OP_I64_ADD);
  e_i64(&b, 31);
  e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 4);
  e_op(&b, WASM_OP_I64_XOR);
  e_set(&b, 2);
  e_get(&b, 3);
  e_f64(&b, 1.5);
  e_op(&b, WASM_OP_F64_MUL);
  e_set(&b, 3);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 1);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I64_EXTEND_I32_U);
  e_op(&b, WASM_OP_I64_XOR);
  mod_func(m, t_iI, "iIFI", &b, "mid");
  wb_free(&b);
  /* outer(k) -> i64: g (f32) and k * 3 below mid(k), then mid(k + 1) with
   * the first result below. Locals: 0 k, 1 g (f32), 2 acc (i64). */
  e_f32(&b, 7.75f);
  e_set(&b, 1);
  e_get(&b, 1);
  e_get(&b, 0);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_MUL);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, F_MID);
  e_set(&b, 2);
  e_op(&b, WASM_OP_I64_EXTEND_I32_S);
  e_get(&b, 2);
  e_op(&b, WASM_OP_I64_ADD);
  e_set(&b, 2);
  e_fc(&b, WASM_FC_I64_TRUNC_SAT_F32_S);
  e_get(&b, 2);
  e_op(&b, WASM_OP_I64_ADD);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_opu(&b, WASM_OP_CALL, F_MID);
  e_op(&b, WASM_OP_I64_XOR);
  mod_func(m, t_iI, "fI", &b, "outer");
  wb_free(&b);
  /* rec(n) -> i64: n == 0 ? get(0) : rec(n - 1) * 3 + get(n): as deep as n,
   * every level live across a call that may park. */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 'I');
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, IMP_GET);
  e_op(&b, WASM_OP_ELSE);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_opu(&b, WASM_OP_CALL, F_REC);
  e_i64(&b, 3);
  e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, IMP_GET);
  e_op(&b, WASM_OP_I64_ADD);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_iI, "", &b, "rec");
  wb_free(&b);
  /* rcall(k) -> i64: three calls of rec(k + j) in a loop, an f32 and an
   * i64 on the operand stack below each: acc = trunc(g) + (acc * 7 ^
   * rec(k + j)), g *= 2. Locals: 0 k, 1 j, 2 acc (i64), 3 g (f32). */
  e_f32(&b, 1.25f);
  e_set(&b, 3);
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_GE_U);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 3);
  e_get(&b, 2);
  e_i64(&b, 7);
  e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_opu(&b, WASM_OP_CALL, F_REC);
  e_op(&b, WASM_OP_I64_XOR);
  e_set(&b, 2);
  e_fc(&b, WASM_FC_I64_TRUNC_SAT_F32_S);
  e_get(&b, 2);
  e_op(&b, WASM_OP_I64_ADD);
  e_set(&b, 2);
  e_get(&b, 3);
  e_f32(&b, 2.0f);
  e_op(&b, WASM_OP_F32_MUL);
  e_set(&b, 3);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 1);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(m, t_iI, "iIf", &b, "rcall");
  wb_free(&b);
  /* rfail(n) -> i32: n == 50 ? unreachable : n <= 21 ? fail(n - 7) :
   * rfail(n - 1) + 1: the import traps at 20, fails at 21 (h_fail), and
   * from 22 on deeper and deeper; from 50 on, a WebAssembly trap. */
  e_get(&b, 0);
  e_i32(&b, 50);
  e_op(&b, WASM_OP_I32_EQ);
  e_block(&b, WASM_OP_IF, 0);
  e_op(&b, WASM_OP_UNREACHABLE);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  e_i32(&b, 21);
  e_op(&b, WASM_OP_I32_LE_S);
  e_block(&b, WASM_OP_IF, 'i');
  e_get(&b, 0);
  e_i32(&b, 7);
  e_op(&b, WASM_OP_I32_SUB);
  e_opu(&b, WASM_OP_CALL, IMP_FAIL);
  e_op(&b, WASM_OP_ELSE);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_opu(&b, WASM_OP_CALL, F_RFAIL);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_ii, "", &b, "rfail");
  wb_free(&b);
  /* qfail(n) -> i32: (5 + rfail(n)) * 2, the 5 below the call */
  e_i32(&b, 5);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, F_RFAIL);
  e_op(&b, WASM_OP_I32_ADD);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_MUL);
  mod_func(m, t_ii, "", &b, "qfail");
  wb_free(&b);
  /* rspin(n) -> i32: n == 0 ? spins for ever : rspin(n - 1) */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_opu(&b, WASM_OP_CALL, F_RSPIN);
  mod_func(m, t_ii, "", &b, "rspin");
  wb_free(&b);
  /* qspin(n) -> i32: rspin(n) + 1 */
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, F_RSPIN);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(m, t_ii, "", &b, "qspin");
  wb_free(&b);
  /* took(k) -> i32: fail(k) * 2, nothing after the import that stops an
   * interrupted execution before the function returns */
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, IMP_FAIL);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_MUL);
  mod_func(m, t_ii, "", &b, "took");
  wb_free(&b);
  /* rtook(n) -> i32: n == 0 ? fail(1000) : rtook(n - 1) */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 'i');
  e_i32(&b, 1000);
  e_opu(&b, WASM_OP_CALL, IMP_FAIL);
  e_op(&b, WASM_OP_ELSE);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_opu(&b, WASM_OP_CALL, F_RTOOK);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_ii, "", &b, "rtook");
  wb_free(&b);
  /* qtook(n) -> i32: rtook(n) * 2 + 1 */
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, F_RTOOK);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_MUL);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(m, t_ii, "", &b, "qtook");
  wb_free(&b);
}

typedef struct world {
  tova_store *host_store;
  inst_t peer;
  inst_t t;
  tova_exec *ex;
} world;

/* An instance of the leave module (and its peer), made under `tier`
 * (whatever TOVA_TIER says), then compiled natively when `native`: in
 * optimised code, or with `quick`, in quick code alone (the functions on
 * cycles of calls then stay interpreted). */
static bool world_make_as(world *w, wasm_tier tier, bool native, bool quick) {
  memset(w, 0, sizeof *w);
  wasm_tier before = wasm_native_tier();
  wasm_native_set_tier(tier);
  tova_error err = {0};
  mod pm = {0};
  build_peer(&pm);
  if (!inst_make(&w->peer, &pm, NULL, 0, &err)) {
    fprintf(stderr, "peer: %s\n", err.message);
    return false;
  }
  w->host_store = tova_store_new(NULL);
  static const uint8_t p_i[] = {TOVA_I32}, p_IFf[] = {TOVA_I64, TOVA_F64, TOVA_F32};
  static const uint8_t r_I[] = {TOVA_I64}, r_F[] = {TOVA_F64}, r_iI[] = {TOVA_I32, TOVA_I64},
                       r_i[] = {TOVA_I32};
  tova_functype t_get = {1, 1, p_i, r_I}, t_mix = {3, 1, p_IFf, r_F}, t_two = {1, 2, p_i, r_iI},
                t_fail = {1, 1, p_i, r_i};
  tova_extern imps[NIMPORTS];
  imps[IMP_GET] = (tova_extern){.kind = TOVA_EXTERN_FUNC,
                                .of.func = tova_func_new_host(w->host_store, &t_get, h_get, NULL)};
  imps[IMP_MIX] = (tova_extern){.kind = TOVA_EXTERN_FUNC,
                                .of.func = tova_func_new_host(w->host_store, &t_mix, h_mix, NULL)};
  imps[IMP_TWO] = (tova_extern){.kind = TOVA_EXTERN_FUNC,
                                .of.func = tova_func_new_host(w->host_store, &t_two, h_two, NULL)};
  imps[IMP_PEER] = (tova_extern){.kind = TOVA_EXTERN_FUNC, .of.func = inst_func(&w->peer, "triple")};
  imps[IMP_FAIL] = (tova_extern){.kind = TOVA_EXTERN_FUNC,
                                 .of.func = tova_func_new_host(w->host_store, &t_fail, h_fail, NULL)};
  mod m = {0};
  build_leave(&m);
  bool made = inst_make(&w->t, &m, imps, NIMPORTS, &err);
  wasm_native_set_tier(before);
  if (!made) {
    fprintf(stderr, "leave: %s\n", err.message);
    return false;
  }
  if (native && quick) {
    /* the recursive functions stay interpreted: quick code calls them
     * through the interpreter */
    wasm_native_set_quick(0, true);
    wasm_native_set_quick_recursive(false);
    CHECK_EQ_I64(wasm_native_compile_module(w->t.module), NFUNCS - F_WORK - NRECURSIVE);
    wasm_native_set_quick_recursive(true);
    wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
    for (uint32_t f = F_WORK; f < NFUNCS; f++)
      CHECK_EQ_I64(wasm_native_func_is_native(w->t.module, f),
                   f != F_REC && f != F_RFAIL && f != F_RSPIN && f != F_RTOOK);
  } else if (native) {
    /* work, spin, caller and rec call imports, mid and outer call
     * functions that do, pure neither: all native */
    CHECK_EQ_I64(wasm_native_compile_module(w->t.module), NFUNCS - F_WORK);
    for (uint32_t f = F_WORK; f < NFUNCS; f++) CHECK(wasm_native_func_is_native(w->t.module, f));
  }
  w->ex = tova_exec_new(0);
  return true;
}

static bool world_make(world *w, wasm_tier tier, bool native) { return world_make_as(w, tier, native, false); }

static void world_free(world *w) {
  tova_exec_free(w->ex);
  inst_free(&w->t);
  inst_free(&w->peer);
  tova_store_free(w->host_store);
}

typedef struct outcome {
  tova_status st;
  int64_t v;
  char msg[TOVA_ERROR_MAX];
  unsigned parks;
} outcome;

/* Calls f(arg), resuming every park with the host's pending results. */
static outcome call(world *w, const char *f, int32_t arg) {
  outcome o = {0};
  tova_val a = {.i32 = arg}, r = {.raw = 0};
  tova_error err = {0};
  host_calls = 0;
  o.st = tova_exec_call(w->ex, inst_func(&w->t, f), &a, &r, &err);
  while (o.st == TOVA_SUSPENDED) {
    o.parks++;
    o.st = tova_exec_resume(w->ex, pending, &r, &err);
  }
  o.v = r.i64;
  if (o.st != TOVA_OK) snprintf(o.msg, sizeof o.msg, "%s", err.message);
  return o;
}

static void same(world *wi, world *wn, const char *f, int32_t arg) {
  outcome a = call(wi, f, arg), b = call(wn, f, arg);
  if (b.v != a.v || b.st != a.st)
    fprintf(stderr, "  %s(%d) parking every %u: native %lld (%s), interpreted %lld (%s)\n", f, arg,
            park_every, (long long)b.v, b.msg, (long long)a.v, a.msg);
  CHECK_EQ_I64(b.st, a.st);
  CHECK_EQ_I64(b.v, a.v);
  CHECK_EQ_I64(b.parks, a.parks);
  CHECK(strcmp(b.msg, a.msg) == 0);
}

/* The same results, traps and statuses, parking on every call, every
 * second, every seventh, or never: the frame native code leaves is the
 * interpreter's, value for value. */
static void test_leave_anywhere(void) {
  world wi, wn;
  if (!world_make(&wi, WASM_TIER_INTERP, false) || !world_make(&wn, WASM_TIER_INTERP, true)) return;
  static const unsigned every[] = {0, 1, 2, 3, 7};
  static const int32_t ns[] = {0, 1, 5, 6, 100, 1000};
  for (size_t k = 0; k < sizeof every / sizeof *every; k++) {
    park_every = every[k];
    for (size_t j = 0; j < sizeof ns / sizeof *ns; j++) same(&wi, &wn, "work", ns[j]);
  }
  /* Parks leave native code (how often the call then resumes natively is
   * test_resume_native's). */
  park_every = 2;
  uint64_t left = wasm_native_left_count(wn.t.module);
  outcome o = call(&wn, "work", 50);
  CHECK_EQ_I64(o.v, call(&wi, "work", 50).v);
  CHECK(o.parks > 0);
  CHECK(wasm_native_left_count(wn.t.module) - left >= 1);
  park_every = 0;
  /* An import's trap, and its failure, as the interpreter reports them. */
  same(&wi, &wn, "caller", 3);
  same(&wi, &wn, "caller", 13);
  same(&wi, &wn, "caller", 14);
  CHECK_EQ_I64(call(&wn, "caller", 3).v & 0xffffffff, 400);
  CHECK_STR_CONTAINS(call(&wn, "caller", 13).msg, "host says no");
  CHECK_EQ_I64(call(&wn, "caller", 14).st, TOVA_ERR_NOMEM);
  world_free(&wi);
  world_free(&wn);
}

/* Parks below native callers: work called by mid called by outer, rec
 * called by itself hundreds deep. Every native call on the way leaves its
 * own frame to the interpreter (rt.h wasm_native_leave_frame), which
 * continues the innermost and returns into the others' interpreted code:
 * the same results as the interpreter's, parking anywhere. */
static void test_leave_nested(void) {
  world wi, wn;
  if (!world_make(&wi, WASM_TIER_INTERP, false) || !world_make(&wn, WASM_TIER_INTERP, true)) return;
  static const unsigned every[] = {0, 1, 2, 3, 7, 50};
  for (size_t k = 0; k < sizeof every / sizeof *every; k++) {
    park_every = every[k];
    for (int32_t n = 0; n <= 40; n += 8) {
      same(&wi, &wn, "mid", n);
      same(&wi, &wn, "outer", n);
    }
    static const int32_t depths[] = {0, 1, 2, 10, 300};
    for (size_t j = 0; j < sizeof depths / sizeof *depths; j++) same(&wi, &wn, "rec", depths[j]);
  }
  /* The nested calls did leave: parks with native callers below. */
  park_every = 2;
  uint64_t left = wasm_native_left_count(wn.t.module);
  outcome o = call(&wn, "outer", 20);
  CHECK(o.parks > 0);
  CHECK(wasm_native_left_count(wn.t.module) - left >= 1);
  park_every = 0;
  world_free(&wi);
  world_free(&wn);
}

/* A call parked by native code resumes in native code, right after the
 * import call (the OSR entry's resume points, translate.h), with the same
 * results as the interpreter's; the re-entry rule (tiering.h) is off here,
 * so every park resumes natively. */
static void test_resume_native(void) {
  world wi, wn;
  if (!world_make(&wi, WASM_TIER_INTERP, false) || !world_make(&wn, WASM_TIER_INTERP, true)) return;
  wasm_native_set_reenter_always(true);
  static const unsigned every[] = {1, 2, 3, 7};
  for (size_t k = 0; k < sizeof every / sizeof *every; k++) {
    park_every = every[k];
    for (int32_t n = 0; n <= 300; n += 60) same(&wi, &wn, "work", n);
    uint64_t resumed = wasm_native_resumed_count(wn.t.module);
    outcome o = call(&wn, "work", 200);
    CHECK_EQ_I64(o.v, call(&wi, "work", 200).v); /* and the memories stay alike */
    /* every park of work's calls (all at the top of its loop body) resumes natively */
    CHECK(o.parks > 0);
    /* plus one each time the peer's call returns (every fifth iteration) */
    CHECK_EQ_I64(wasm_native_resumed_count(wn.t.module) - resumed, o.parks + 200 / 5);
  }
  park_every = 0;
  wasm_native_set_reenter_always(false);
  world_free(&wi);
  world_free(&wn);
}

/* A native loop that calls an import on every iteration stops when
 * interrupted; so does a call parked in native code, once resumed. */
static void test_cancel(void) {
  world w;
  if (!world_make(&w, WASM_TIER_INTERP, true)) return;
  park_every = 0;
  pthread_t th;
  pthread_create(&th, NULL, interrupt_later, w.ex);
  outcome o = call(&w, "spin", 1);
  pthread_join(th, NULL);
  CHECK_EQ_I64(o.st, TOVA_ERR_CANCELLED);
  tova_exec_clear_interrupt(w.ex); /* sticky (tova.h) */
  /* Parked (native code left), interrupted, resumed: the call continues
   * interpreted and stops at its next back-edge. */
  park_every = 1;
  host_calls = 0;
  tova_val a = {.i32 = 1000}, r = {.raw = 0};
  tova_error err = {0};
  CHECK_EQ_I64(tova_exec_call(w.ex, inst_func(&w.t, "work"), &a, &r, &err), TOVA_SUSPENDED);
  tova_exec_interrupt(w.ex);
  tova_status st = tova_exec_resume(w.ex, pending, &r, &err);
  while (st == TOVA_SUSPENDED) st = tova_exec_resume(w.ex, pending, &r, &err);
  CHECK_EQ_I64(st, TOVA_ERR_CANCELLED);
  tova_exec_clear_interrupt(w.ex);
  park_every = 0;
  /* The execution is usable again. */
  CHECK_EQ_I64(call(&w, "caller", 2).v & 0xffffffff, 300);
  world_free(&w);
}

/* Under on-stack replacement (every loop header continues natively):
 * each park leaves, the interpreter resumes the call and enters native
 * code again at the next loop header, unless the loop parks so often that
 * leaving costs more than it saves (tiering.h WASM_NATIVE_STINTS_MIN):
 * then it runs interpreted for a while. */
static void test_reenter_policy(void) {
  world wi, wo;
  if (!world_make(&wi, WASM_TIER_INTERP, false) || !world_make(&wo, WASM_TIER_OSR, false)) return;
  /* Parks on every host import call (3 an iteration, and every fifth
   * iteration leaves for the peer's), so stints complete fewer than 8
   * calls: after 16 such
   * stints the loop runs interpreted for 1,000 iterations between tries. */
  park_every = 1;
  uint64_t left = wasm_native_left_count(wo.t.module);
  same(&wi, &wo, "work", 3000);
  uint64_t n1 = wasm_native_left_count(wo.t.module) - left;
  CHECK(n1 > 0);
  CHECK(n1 < 3000 / 4); /* without the rule: one leave per park, 9,600 */
  /* Parks every 61st host call: stints of ~15 calls (between the peer's
   * calls), worth entering each time. */
  park_every = 61;
  left = wasm_native_left_count(wo.t.module);
  outcome o = call(&wo, "work", 3000);
  uint64_t n2 = wasm_native_left_count(wo.t.module) - left;
  CHECK(o.parks > 100);
  CHECK(n2 >= o.parks); /* every park left native code (plus the peer's calls) */
  printf("  leaves over 3,000 iterations: %llu parking on every call, %llu (%u parks) on every 61st\n",
         (unsigned long long)n1, (unsigned long long)n2, o.parks);
  same(&wi, &wo, "work", 3000);
  park_every = 0;
  world_free(&wi);
  world_free(&wo);
}

/* Quick code calls a function on a cycle of calls (never quick) through
 * the interpreter, nested on the thread (rt.h wasm_native_call_interp):
 * the same results, traps, failures and statuses as the interpreter's,
 * with calls parking deep inside the interpreted callee (the quick
 * callers leave, and the resumed call returns into their interpreted
 * code), and an interrupt stops a callee spinning in the interpreter. */
static void test_quick_calls_through_the_interpreter(void) {
  world wi, wq;
  if (!world_make(&wi, WASM_TIER_INTERP, false) || !world_make_as(&wq, WASM_TIER_INTERP, true, true)) return;
  static const int32_t ns[] = {0, 1, 5, 40};
  /* Never parking: each rcall makes its three calls of rec through the
   * interpreter. */
  park_every = 0;
  uint64_t through = wasm_native_interp_call_count(wq.t.module);
  for (size_t j = 0; j < sizeof ns / sizeof *ns; j++) same(&wi, &wq, "rcall", ns[j]);
  CHECK_EQ_I64(wasm_native_interp_call_count(wq.t.module) - through, 3 * 4);
  /* Parking: once a call parks, its rcall continues interpreted. */
  static const unsigned every[] = {1, 2, 3, 7};
  for (size_t k = 0; k < sizeof every / sizeof *every; k++) {
    park_every = every[k];
    for (size_t j = 0; j < sizeof ns / sizeof *ns; j++) same(&wi, &wq, "rcall", ns[j]);
  }
  /* Parked inside rec, called by quick rcall: rcall left. */
  park_every = 2;
  uint64_t left = wasm_native_left_count(wq.t.module);
  outcome o = call(&wq, "rcall", 10);
  CHECK(o.parks > 0);
  CHECK(wasm_native_left_count(wq.t.module) - left >= 1);
  park_every = 0;
  static const int32_t fs[] = {5, 19, 20, 21, 30, 60};
  for (size_t j = 0; j < sizeof fs / sizeof *fs; j++) same(&wi, &wq, "qfail", fs[j]);
  CHECK_EQ_I64(call(&wq, "qfail", 19).v & 0xffffffff, 36);
  CHECK_STR_CONTAINS(call(&wq, "qfail", 20).msg, "host says no");
  CHECK_EQ_I64(call(&wq, "qfail", 30).st, TOVA_ERR_NOMEM);
  CHECK_STR_CONTAINS(call(&wq, "qfail", 60).msg, "unreachable");
  /* An interrupt stops rspin's loop, 20 calls deep in the interpreter
   * under quick qspin; the execution is usable again. */
  pthread_t th;
  pthread_create(&th, NULL, interrupt_later, wq.ex);
  o = call(&wq, "qspin", 20);
  pthread_join(th, NULL);
  CHECK_EQ_I64(o.st, TOVA_ERR_CANCELLED);
  tova_exec_clear_interrupt(wq.ex);
  same(&wi, &wq, "rcall", 3);
  world_free(&wi);
  world_free(&wq);
}

/* An import that completes while its execution is being interrupted (a
 * deadline passing as a channel receive completes): what it returned
 * reaches the code, in native code as in the interpreter, which stops
 * only at the next back-edge or call (interp.c CALL_FUNC). Native code
 * leaves after the call (rt.h WASM_NATIVE_CALL_STOPPED), and quick code
 * whose callee ran in the interpreter leaves after that call
 * (WASM_NATIVE_INTERP_CALLER_LEAVES): here the functions return, so the
 * calls end with their values; a loop stops at its back-edge. */
static void test_interrupt_as_import_completes(void) {
  world wi, wn, wq;
  if (!world_make(&wi, WASM_TIER_INTERP, false) || !world_make(&wn, WASM_TIER_INTERP, true) ||
      !world_make_as(&wq, WASM_TIER_INTERP, true, true))
    return;
  world *ws[] = {&wi, &wn, &wq};
  park_every = 0;
  for (size_t k = 0; k < 3; k++) {
    outcome o = call(ws[k], "took", 1000);
    CHECK(tova_exec_interrupted(ws[k]->ex));
    tova_exec_clear_interrupt(ws[k]->ex);
    CHECK_EQ_I64(o.st, TOVA_OK);
    CHECK_EQ_I64(o.v & 0xffffffff, 2002);
    o = call(ws[k], "qtook", 3);
    tova_exec_clear_interrupt(ws[k]->ex);
    CHECK_EQ_I64(o.st, TOVA_OK);
    CHECK_EQ_I64(o.v & 0xffffffff, 2003);
    /* The loop's next back-edge stops it. */
    o = call(ws[k], "spin", 1000);
    tova_exec_clear_interrupt(ws[k]->ex);
    CHECK_EQ_I64(o.st, TOVA_ERR_CANCELLED);
    /* The execution is usable again. */
    CHECK_EQ_I64(call(ws[k], "took", 4).v & 0xffffffff, 10);
  }
  world_free(&wi);
  world_free(&wn);
  world_free(&wq);
}

int main(void) {
  RUN(test_leave_anywhere);
  RUN(test_leave_nested);
  RUN(test_resume_native);
  RUN(test_cancel);
  RUN(test_reenter_policy);
  RUN(test_quick_calls_through_the_interpreter);
  RUN(test_interrupt_as_import_completes);
  return CHECK_DONE();
}

#else

int main(void) {
  /* Built without LLVM: the engine has the interpreter only. */
  printf("test_native_leave: no native tier in this build (LLVM not found)\n");
  return CHECK_DONE();
}

#endif
