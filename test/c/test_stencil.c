/*
 * test_stencil.c: the stencil tier (src/engine/stencil, stencil.h).
 *
 * The same module is compiled twice, with the tier and without, and every
 * call must give the same results and the same trap messages: integer,
 * float and memory code in loops, a loop that leaves its compiled code for
 * calls, memory.grow, br_table and memory.size and comes back, traps of
 * every kind the stencils raise, an interrupt that stops a loop running in
 * compiled code, and an import that parks in the middle of a compiled loop
 * and resumes. The tier must really have compiled the code (JIT_AT cells),
 * or the comparison would prove nothing.
 * Without the tier (not Linux x86-64, or no clang) there is nothing to test.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "test_interp_builder.h"

#ifdef TOVA_HAVE_STENCILS
#include "engine/compile.h"
#include "engine/module.h"
#include "engine/stencil/layout.h"
#include "engine/stencil/stencil.h"
#include "engine/stencil/stencil_internal.h"

static tova_exec *ex;

/* Locals: 0 n (param), then as each body says. */
static void body_mix(wb *b) { /* (n i32) -> i64: integer arithmetic of every kind */
  /* locals: 1 i (i32), 2 x (i32), 3 acc (i64) */
  e_i32(b, 0x1234567);
  e_set(b, 2);
  e_for_head(b, 1, 0, WASM_OP_I32_GE_S);
  e_get(b, 2);
  e_i32(b, 13);
  e_op(b, WASM_OP_I32_ROTL);
  e_get(b, 1);
  e_op(b, WASM_OP_I32_XOR);
  e_i32(b, -7);
  e_op(b, WASM_OP_I32_MUL);
  e_get(b, 2);
  e_i32(b, 3);
  e_op(b, WASM_OP_I32_SHR_U);
  e_op(b, WASM_OP_I32_ADD);
  e_tee(b, 2);
  e_op(b, WASM_OP_I32_POPCNT);
  e_get(b, 2);
  e_op(b, WASM_OP_I32_CLZ);
  e_get(b, 2);
  e_get(b, 1);
  e_i32(b, 3);
  e_op(b, WASM_OP_I32_AND);
  e_op(b, WASM_OP_SELECT);
  e_op(b, WASM_OP_I64_EXTEND_I32_S);
  e_get(b, 3);
  e_i64(b, 0x9E3779B97F4A7C15LL);
  e_op(b, WASM_OP_I64_MUL);
  e_i64(b, 29);
  e_op(b, WASM_OP_I64_ROTR);
  e_op(b, WASM_OP_I64_XOR);
  e_get(b, 2);
  e_op(b, WASM_OP_I64_EXTEND_I32_U);
  e_get(b, 1);
  e_i32(b, 5);
  e_op(b, WASM_OP_I32_REM_U);
  e_op(b, WASM_OP_I64_EXTEND_I32_U);
  e_op(b, WASM_OP_I64_SHL);
  e_op(b, WASM_OP_I64_SUB);
  e_get(b, 2);
  e_i32(b, 100);
  e_op(b, WASM_OP_I32_LT_S);
  e_op(b, WASM_OP_I64_EXTEND_I32_U);
  e_op(b, WASM_OP_I64_ADD);
  e_set(b, 3);
  e_for_tail(b, 1);
  e_get(b, 3);
}

/* (n i32) -> i32, n >= 1: a loop whose first instruction reads the local
 * the instruction before the loop computed, while the back edge is taken
 * with another value just computed (n - 1, which the branch reads): the
 * loop's first instruction is entered by falling in once and by the branch
 * every other time, so it must not read what the instruction before it
 * passed in a register (stencils.c acc; emit.c leaves branch targets out). */
static void body_fall_and_branch_in(wb *b) {
  /* locals: 1 x, 2 y */
  e_get(b, 0); /* x = n * 3 */
  e_i32(b, 3);
  e_op(b, WASM_OP_I32_MUL);
  e_set(b, 1);
  e_block(b, WASM_OP_LOOP, 0);
  e_get(b, 1); /* y = x + 7 */
  e_i32(b, 7);
  e_op(b, WASM_OP_I32_ADD);
  e_set(b, 2);
  e_get(b, 2); /* x = y ^ 0x55 */
  e_i32(b, 0x55);
  e_op(b, WASM_OP_I32_XOR);
  e_set(b, 1);
  e_get(b, 0); /* n = n - 1 */
  e_i32(b, 1);
  e_op(b, WASM_OP_I32_SUB);
  e_tee(b, 0);
  e_opu(b, WASM_OP_BR_IF, 0); /* while n != 0 */
  e_op(b, WASM_OP_END);
  e_get(b, 1);
}

static void body_mem(wb *b) { /* (n i32) -> i32: stores and loads of every width */
  /* locals: 1 i, 2 sum; addresses i * 8 */
#define ADDR()      \
  e_get(b, 1);      \
  e_i32(b, 8);      \
  e_op(b, WASM_OP_I32_MUL)
  e_for_head(b, 1, 0, WASM_OP_I32_GE_U);
  ADDR();
  e_get(b, 1);
  e_i32(b, 0x01010101);
  e_op(b, WASM_OP_I32_MUL);
  e_mem(b, WASM_OP_I32_STORE, 2, 16);
  ADDR();
  e_get(b, 1);
  e_op(b, WASM_OP_I64_EXTEND_I32_S);
  e_i64(b, -3);
  e_op(b, WASM_OP_I64_MUL);
  e_mem(b, WASM_OP_I64_STORE16, 1, 20);
  e_get(b, 2);
  ADDR();
  e_mem(b, WASM_OP_I32_LOAD8_S, 0, 17);
  e_op(b, WASM_OP_I32_ADD);
  ADDR();
  e_mem(b, WASM_OP_I32_LOAD16_U, 1, 20);
  e_op(b, WASM_OP_I32_ADD);
  ADDR();
  e_mem(b, WASM_OP_I64_LOAD32_S, 2, 16);
  e_op(b, WASM_OP_I32_WRAP_I64);
  e_op(b, WASM_OP_I32_XOR);
  e_set(b, 2);
  e_for_tail(b, 1);
  e_get(b, 2);
#undef ADDR
}

static void body_flt(wb *b) { /* (n i32) -> f64: f64 and f32 arithmetic, conversions */
  /* locals: 1 i (i32), 2 x (f64), 3 y (f32) */
  e_f64(b, 0.5);
  e_set(b, 2);
  e_f32(b, 1.25f);
  e_set(b, 3);
  e_for_head(b, 1, 0, WASM_OP_I32_GE_S);
  e_get(b, 2);
  e_f64(b, 1.0001);
  e_op(b, WASM_OP_F64_MUL);
  e_get(b, 2);
  e_get(b, 1);
  e_op(b, WASM_OP_F64_CONVERT_I32_S);
  e_op(b, WASM_OP_F64_SUB);
  e_op(b, WASM_OP_F64_ABS);
  e_op(b, WASM_OP_F64_SQRT);
  e_op(b, WASM_OP_F64_ADD);
  e_get(b, 1);
  e_op(b, WASM_OP_F64_CONVERT_I32_U);
  e_f64(b, 3.0);
  e_op(b, WASM_OP_F64_DIV);
  e_op(b, WASM_OP_F64_MIN);
  e_f64(b, -0.0);
  e_op(b, WASM_OP_F64_COPYSIGN);
  e_op(b, WASM_OP_F64_NEG);
  e_tee(b, 2);
  e_get(b, 2);
  e_op(b, WASM_OP_I64_TRUNC_F64_S);
  e_i64(b, 1);
  e_op(b, WASM_OP_I64_AND);
  e_op(b, WASM_OP_F64_CONVERT_I64_U);
  e_op(b, WASM_OP_F64_ADD);
  e_set(b, 2);
  e_get(b, 2);
  e_op(b, WASM_OP_F32_DEMOTE_F64);
  e_f32(b, 0.5f);
  e_op(b, WASM_OP_F32_MUL);
  e_get(b, 3);
  e_f32(b, 0.25f);
  e_op(b, WASM_OP_F32_MUL);
  e_op(b, WASM_OP_F32_ADD);
  e_f32(b, 1.0f);
  e_op(b, WASM_OP_F32_MAX);
  e_set(b, 3);
  e_for_tail(b, 1);
  e_get(b, 2);
  e_get(b, 3);
  e_op(b, WASM_OP_F64_PROMOTE_F32);
  e_op(b, WASM_OP_F64_ADD);
}

/* (n i32) -> i32: a loop whose compiled code leaves for the interpreter
 * (a call, memory.grow, br_table) and comes back at the next instruction. */
static void body_calls(wb *b, uint32_t pure) {
  /* locals: 1 i, 2 acc */
  e_for_head(b, 1, 0, WASM_OP_I32_GE_S);
  e_get(b, 2);
  e_get(b, 1);
  e_opu(b, WASM_OP_CALL, pure);
  e_op(b, WASM_OP_I32_ADD);
  e_i32(b, 0);
  e_opu(b, WASM_OP_MEMORY_GROW, 0);
  e_op(b, WASM_OP_I32_ADD);
  e_opu(b, WASM_OP_MEMORY_SIZE, 0);
  e_op(b, WASM_OP_I32_ADD);
  e_set(b, 2);
  e_block(b, WASM_OP_BLOCK, 0); /* out */
  e_block(b, WASM_OP_BLOCK, 0); /* c */
  e_block(b, WASM_OP_BLOCK, 0); /* b */
  e_get(b, 1);
  e_i32(b, 3);
  e_op(b, WASM_OP_I32_AND);
  e_opu(b, WASM_OP_BR_TABLE, 2);
  wb_u(b, 0);
  wb_u(b, 1);
  wb_u(b, 2);
  e_op(b, WASM_OP_END); /* b: acc *= 3 */
  e_get(b, 2);
  e_i32(b, 3);
  e_op(b, WASM_OP_I32_MUL);
  e_set(b, 2);
  e_opu(b, WASM_OP_BR, 1);
  e_op(b, WASM_OP_END); /* c: acc += 7 */
  e_get(b, 2);
  e_i32(b, 7);
  e_op(b, WASM_OP_I32_ADD);
  e_set(b, 2);
  e_op(b, WASM_OP_END); /* out */
  e_for_tail(b, 1);
  e_get(b, 2);
}

/* (n i32) -> i32: a compiled loop calling an import that may park. */
static void body_park(wb *b, uint32_t park) {
  /* locals: 1 i, 2 acc */
  e_for_head(b, 1, 0, WASM_OP_I32_GE_S);
  e_get(b, 2);
  e_i32(b, 31);
  e_op(b, WASM_OP_I32_MUL);
  e_get(b, 1);
  e_op(b, WASM_OP_I32_ADD);
  e_set(b, 2);
  e_opu(b, WASM_OP_CALL, park);
  e_get(b, 2);
  e_get(b, 1);
  e_op(b, WASM_OP_I32_XOR);
  e_set(b, 2);
  e_for_tail(b, 1);
  e_get(b, 2);
}

static uint32_t load_huge_index; /* its function index (build) */

static void build(mod *m) {
  uint32_t t_v = mod_type(m, "", ""), t_ii = mod_type(m, "i", "i"), t_iI = mod_type(m, "i", "I"),
           t_iF = mod_type(m, "i", "F"), t_iii = mod_type(m, "ii", "i"), t_Fi = mod_type(m, "F", "i"),
           t_i = mod_type(m, "", "i"), t_iv = mod_type(m, "i", "");
  uint32_t park = mod_import_func(m, "env", "park", t_v);
  mod_memory(m, 1, 4);
  wb b = {0};
  body_mix(&b);
  mod_func(m, t_iI, "iiI", &b, "mix");
  wb_free(&b);
  body_mem(&b);
  mod_func(m, t_ii, "ii", &b, "memops");
  wb_free(&b);
  body_fall_and_branch_in(&b);
  mod_func(m, t_ii, "ii", &b, "fall_and_branch_in");
  wb_free(&b);
  /* reinterp(i) = f64(bits(i + 0x3ff0000000000000)) * 1.5, then the same
   * through f32: an integer result read as a float by the next instruction
   * (the reinterpretation moves nothing), which must not take it from facc
   * (stencils.c: integer results go on in acc only) */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I64_EXTEND_I32_S);
  e_i64(&b, 0x3ff0000000000000);
  e_op(&b, WASM_OP_I64_ADD);
  e_op(&b, WASM_OP_F64_REINTERPRET_I64);
  e_f64(&b, 1.5);
  e_op(&b, WASM_OP_F64_MUL);
  e_get(&b, 0);
  e_i32(&b, 0x3f800000);
  e_op(&b, WASM_OP_I32_ADD);
  e_op(&b, WASM_OP_F32_REINTERPRET_I32);
  e_op(&b, WASM_OP_F64_PROMOTE_F32);
  e_op(&b, WASM_OP_F64_ADD);
  mod_func(m, t_iF, "", &b, "reinterp");
  wb_free(&b);
  /* reinterp_back(i) = bits(f64(i) + 0.5) + 1: a float result read as an
   * integer, which must not take it from acc (float results go on in facc) */
  e_get(&b, 0);
  e_op(&b, WASM_OP_F64_CONVERT_I32_S);
  e_f64(&b, 0.5);
  e_op(&b, WASM_OP_F64_ADD);
  e_op(&b, WASM_OP_I64_REINTERPRET_F64);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_ADD);
  mod_func(m, t_iI, "", &b, "reinterp_back");
  wb_free(&b);
  /* fstore(i): f64.store of f64(i) * 1.5 at 16 (a float result the store
   * reads as a float, from facc), f32.store at 24 of the bits i + 0x7f800001
   * reinterpreted (an integer result a float store reads: it must not take
   * it from facc; a signalling NaN for small i, whose bits must stay), then
   * the two read back as integers: i64.load(16) ^ i32.load(24). The
   * address is local 1 (zero): a constant one would be made into its slot
   * between the value and the store. */
  e_get(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_F64_CONVERT_I32_S);
  e_f64(&b, 1.5);
  e_op(&b, WASM_OP_F64_MUL);
  e_mem(&b, WASM_OP_F64_STORE, 3, 16);
  e_get(&b, 1);
  e_get(&b, 0);
  e_i32(&b, 0x7f800001);
  e_op(&b, WASM_OP_I32_ADD);
  e_op(&b, WASM_OP_F32_REINTERPRET_I32);
  e_mem(&b, WASM_OP_F32_STORE, 2, 24);
  e_i32(&b, 0);
  e_mem(&b, WASM_OP_I64_LOAD, 3, 16);
  e_i32(&b, 0);
  e_mem(&b, WASM_OP_I64_LOAD32_U, 2, 24);
  e_op(&b, WASM_OP_I64_XOR);
  mod_func(m, t_iI, "i", &b, "fstore");
  wb_free(&b);
  /* gmem(i): stores and loads at constant addresses (the _A forms):
   * u32(i) + 7 + trunc(f64(i) * 2) through mem[104], mem[200] and mem[64] */
  e_i32(&b, 100);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_STORE, 2, 4);
  e_i32(&b, 0);
  e_i32(&b, 7);
  e_mem(&b, WASM_OP_I32_STORE8, 0, 200);
  e_i32(&b, 64);
  e_get(&b, 0);
  e_op(&b, WASM_OP_F64_CONVERT_I32_S);
  e_mem(&b, WASM_OP_F64_STORE, 3, 0);
  e_i32(&b, 100);
  e_mem(&b, WASM_OP_I64_LOAD32_U, 2, 4);
  e_i32(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 200);
  e_op(&b, WASM_OP_I64_EXTEND_I32_U);
  e_op(&b, WASM_OP_I64_ADD);
  e_i32(&b, 64);
  e_mem(&b, WASM_OP_F64_LOAD, 3, 0);
  e_f64(&b, 2.0);
  e_op(&b, WASM_OP_F64_MUL);
  e_op(&b, WASM_OP_I64_TRUNC_F64_S);
  e_op(&b, WASM_OP_I64_ADD);
  mod_func(m, t_iI, "", &b, "gmem");
  wb_free(&b);
  /* gedge(i): the last word of the page at a constant address, and one
   * byte further (a trap), and at 0x7fffffff + 16 (over 2 GB: no stencil
   * takes that address, the interpreter runs that access and traps) */
  static const struct { const char *name; int32_t addr; uint32_t off; } edges[] = {
      {"gedge_ok", 65532, 0}, {"gedge_oob", 65530, 3}, {"gedge_far", 0x7fffffff, 16},
      {"gedge_wrap", -2, 22}}; /* 0xfffffffe + 22: past 4 GB, not 20 */
  for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++) {
    e_i32(&b, edges[k].addr);
    e_mem(&b, WASM_OP_I32_LOAD, 2, edges[k].off);
    e_get(&b, 0);
    e_op(&b, WASM_OP_I32_ADD);
    mod_func(m, t_ii, "", &b, edges[k].name);
    wb_free(&b);
  }
  e_get(&b, 0); /* big(i) = i + INT64_MAX: an operand no offset (emit.c reads offsets only) */
  e_op(&b, WASM_OP_I64_EXTEND_I32_S);
  e_i64(&b, INT64_MAX);
  e_op(&b, WASM_OP_I64_ADD);
  mod_func(m, t_iI, "", &b, "big");
  wb_free(&b);
  body_flt(&b);
  mod_func(m, t_iF, "iFf", &b, "flt");
  wb_free(&b);
  e_get(&b, 0); /* pure(i) = i * 5 + 1 */
  e_i32(&b, 5);
  e_op(&b, WASM_OP_I32_MUL);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  uint32_t pure = mod_func(m, t_ii, "", &b, "pure");
  wb_free(&b);
  body_calls(&b, pure);
  mod_func(m, t_ii, "ii", &b, "calls");
  wb_free(&b);
  body_park(&b, park);
  mod_func(m, t_ii, "ii", &b, "park_loop");
  wb_free(&b);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  mod_func(m, t_ii, "", &b, "load_at");
  wb_free(&b);
  /* Offsets: on x86-64 the access's own 32-bit displacement (stencils.c
   * OFF), sign-extended, so one of 2 GB or more must not be patched in
   * (0xfffffff0 would read 16 bytes below the address): its stencil is not
   * used, and the interpreter traps; so does a store at 2 GB. A store and a
   * load at an offset that fits. */
  e_get(&b, 0);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_MUL);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0xfffffff0u);
  load_huge_index = mod_func(m, t_ii, "", &b, "load_huge");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_STORE8, 0, 0x80000000u);
  mod_func(m, t_iv, "", &b, "store_huge");
  wb_free(&b);
  e_get(&b, 0);
  e_i32(&b, 0x5a5a);
  e_mem(&b, WASM_OP_I32_STORE16, 1, 65000);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD16_U, 1, 65000);
  mod_func(m, t_ii, "", &b, "store_off");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_DIV_S);
  mod_func(m, t_iii, "", &b, "div_s");
  wb_free(&b);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_TRUNC_F64_S);
  mod_func(m, t_Fi, "", &b, "trunc");
  wb_free(&b);
  /* table: [pure, twice, mix (another type)]; call_indirect in a loop, and
   * at one index (traps: out of the table, another type) */
  e_get(&b, 0);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_ADD);
  uint32_t twice = mod_func(m, t_ii, "", &b, "twice");
  wb_free(&b);
  mod_table(m, 3);
  uint32_t elems[3] = {pure, twice, 1}; /* 1: mix, (i) -> I, another type */
  mod_elem(m, 0, 3, elems);
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_S); /* locals: 1 i, 2 acc */
  e_get(&b, 2);
  e_get(&b, 1);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_AND);
  e_opu(&b, WASM_OP_CALL_INDIRECT, t_ii);
  wb_byte(&b, 0);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_for_tail(&b, 1);
  e_get(&b, 2);
  mod_func(m, t_ii, "ii", &b, "indirect");
  wb_free(&b);
  e_get(&b, 1);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL_INDIRECT, t_ii);
  wb_byte(&b, 0);
  mod_func(m, t_iii, "", &b, "indirect_at");
  wb_free(&b);
  /* deep(n) = n == 0 ? 0 : n + deep(n - 1): frames pushed by the code until
   * the interpreter must grow the stacks, or trap when they are at their
   * limit */
  uint32_t deep_idx = m->nimport_funcs + m->nfunc;
  e_rec_i32(&b, deep_idx, true);
  mod_func(m, t_ii, "", &b, "deep");
  wb_free(&b);
  /* rounding, one instruction each (SSE4.1 stencils where the CPU has it) */
  static const struct {
    const char *name;
    uint8_t op;
    bool f32;
  } rounding[] = {{"floor64", WASM_OP_F64_FLOOR, false}, {"ceil64", WASM_OP_F64_CEIL, false},
                  {"trunc64", WASM_OP_F64_TRUNC, false}, {"nearest64", WASM_OP_F64_NEAREST, false},
                  {"floor32", WASM_OP_F32_FLOOR, true},  {"ceil32", WASM_OP_F32_CEIL, true},
                  {"trunc32", WASM_OP_F32_TRUNC, true},  {"nearest32", WASM_OP_F32_NEAREST, true}};
  uint32_t t_FF = mod_type(m, "F", "F"), t_ff = mod_type(m, "f", "f");
  for (size_t k = 0; k < sizeof rounding / sizeof rounding[0]; k++) {
    e_get(&b, 0);
    e_op(&b, rounding[k].op);
    mod_func(m, rounding[k].f32 ? t_ff : t_FF, "", &b, rounding[k].name);
    wb_free(&b);
  }
  /* fimm64(x) = (x * 1.5 + 0.25 - 3) / 4 and fimm32(x) = (x * 2 - 1) / 0.5 +
   * 0.75: float arithmetic with constant operands (the _I forms), each
   * result passed on to the next */
  e_get(&b, 0);
  e_f64(&b, 1.5);
  e_op(&b, WASM_OP_F64_MUL);
  e_f64(&b, 0.25);
  e_op(&b, WASM_OP_F64_ADD);
  e_f64(&b, 3.0);
  e_op(&b, WASM_OP_F64_SUB);
  e_f64(&b, 4.0);
  e_op(&b, WASM_OP_F64_DIV);
  mod_func(m, t_FF, "", &b, "fimm64");
  wb_free(&b);
  e_get(&b, 0);
  e_f32(&b, 2.0f);
  e_op(&b, WASM_OP_F32_MUL);
  e_f32(&b, 1.0f);
  e_op(&b, WASM_OP_F32_SUB);
  e_f32(&b, 0.5f);
  e_op(&b, WASM_OP_F32_DIV);
  e_f32(&b, 0.75f);
  e_op(&b, WASM_OP_F32_ADD);
  mod_func(m, t_ff, "", &b, "fimm32");
  wb_free(&b);
  /* A constant LEFT operand (compile.c left_const_form, compare's mirror):
   * c - x, c / x reversed, c + x and c * x swapped, c CMP x mirrored. */
  static const struct {
    const char *name;
    char type; /* i: i32 -> i32, I: i32 -> i64 (extended), F: f64, f: f32 */
    uint8_t op;
    double k;
  } lefts[] = {{"rsub32", 'i', WASM_OP_I32_SUB, 10},      {"rsub64", 'I', WASM_OP_I64_SUB, 1000},
               {"lmul32", 'i', WASM_OP_I32_MUL, 7},       {"lt_left", 'i', WASM_OP_I32_LT_S, 100},
               {"ltu_left", 'i', WASM_OP_I32_LT_U, 100},  {"ge_left", 'i', WASM_OP_I32_GE_S, -5},
               {"gtu_left64", 'I', WASM_OP_I64_GT_U, 3},  {"rdiv64", 'F', WASM_OP_F64_DIV, 1.0},
               {"rsub64f", 'F', WASM_OP_F64_SUB, 0.5},    {"ladd64f", 'F', WASM_OP_F64_ADD, 2.5},
               {"rdiv32f", 'f', WASM_OP_F32_DIV, 3.0},    {"rsub32f", 'f', WASM_OP_F32_SUB, -0.0},
               {"lmul32f", 'f', WASM_OP_F32_MUL, 1.5}};
  uint32_t t_iI2 = mod_type(m, "i", "I");
  for (size_t k = 0; k < sizeof lefts / sizeof lefts[0]; k++) {
    char ty = lefts[k].type;
    if (ty == 'F') e_f64(&b, lefts[k].k);
    else if (ty == 'f') e_f32(&b, (float)lefts[k].k);
    else if (ty == 'I') e_i64(&b, (int64_t)lefts[k].k);
    else e_i32(&b, (int32_t)lefts[k].k);
    e_get(&b, 0);
    if (ty == 'I') e_op(&b, WASM_OP_I64_EXTEND_I32_S);
    e_op(&b, lefts[k].op);
    if (ty == 'I' && lefts[k].op == WASM_OP_I64_GT_U) e_op(&b, WASM_OP_I64_EXTEND_I32_U);
    mod_func(m, ty == 'F' ? t_FF : ty == 'f' ? t_ff : ty == 'I' ? t_iI2 : t_ii, "", &b, lefts[k].name);
    wb_free(&b);
  }
  e_block(&b, WASM_OP_LOOP, 0); /* spin: x += 1 forever */
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  mod_func(m, t_i, "i", &b, "spin");
  wb_free(&b);
}

/* Parks on every third call. */
static int park_calls;
static tova_status host_park(tova_host_call *call, void *ud, const tova_val *args, tova_val *results) {
  (void)call, (void)ud, (void)args, (void)results;
  return park_calls++ % 3 == 0 ? TOVA_SUSPENDED : TOVA_OK;
}

typedef struct outcome {
  tova_status st;
  uint64_t bits;
  char msg[TOVA_ERROR_MAX];
} outcome;

static outcome call(inst_t *t, const char *name, const tova_val *args) {
  outcome o = {0};
  tova_error err = {0};
  tova_val res = {0};
  o.st = tova_exec_call(ex, inst_func(t, name), args, &res, &err);
  while (o.st == TOVA_SUSPENDED) o.st = tova_exec_resume(ex, NULL, &res, &err);
  if (o.st != TOVA_OK) snprintf(o.msg, sizeof o.msg, "%s", err.message);
  o.bits = res.raw;
  if (o.st == TOVA_OK && (!strcmp(name, "memops") || !strcmp(name, "calls") || !strcmp(name, "park_loop") ||
                          !strcmp(name, "pure") || !strcmp(name, "indirect") || !strcmp(name, "indirect_at") ||
                          !strcmp(name, "deep")))
    o.bits = (uint32_t)res.i32;
  return o;
}

/* The compiled instructions of a module: JIT_AT cells. */
/* Compiled instructions (JIT_AT) of function index f. */
static unsigned jit_cells_of(const tova_module *m, uint32_t f) {
  const void *jit_at = wasm_interp_handlers()[WASM_IOP_JIT_AT];
  const wasm_code *c = m->func_defs[f - m->nimported_funcs].code;
  unsigned n = 0;
  for (uint32_t i = 0; i < c->ncells; i++) n += c->cells[i].h == jit_at;
  return n;
}

static unsigned jit_cells(const tova_module *m) {
  const void *jit_at = wasm_interp_handlers()[WASM_IOP_JIT_AT];
  unsigned n = 0;
  for (uint32_t d = 0; d < m->nfuncs - m->nimported_funcs; d++) {
    const wasm_code *c = m->func_defs[d].code;
    for (uint32_t i = 0; i < c->ncells; i++) n += c->cells[i].h == jit_at;
  }
  return n;
}

static bool make(inst_t *t, tova_store *hs, bool stencils) {
  wasm_stencil_set_enabled(stencils);
  mod m = {0};
  build(&m);
  tova_functype ft = {0, 0, NULL, NULL};
  tova_extern imp = {.kind = TOVA_EXTERN_FUNC, .of.func = tova_func_new_host(hs, &ft, host_park, NULL)};
  tova_error err = {0};
  bool ok = inst_make(t, &m, &imp, 1, &err);
  if (!ok) fprintf(stderr, "instantiate: %s\n", err.message);
  wasm_stencil_set_enabled(true);
  return ok;
}

static void test_same_as_interpreter(void) {
  tova_store *hs = tova_store_new(NULL);
  inst_t on, off;
  CHECK(make(&on, hs, true));
  CHECK(make(&off, hs, false));
  if (!on.inst || !off.inst) goto out;
  CHECK(jit_cells(on.module) > 40);
  CHECK_EQ_I64(jit_cells(off.module), 0);
  CHECK(on.module->stencil_passed > 20); /* values passed in a register (stencils.c) */
  /* an offset no stencil can take leaves that access to the interpreter,
   * not the function */
  CHECK(jit_cells_of(on.module, load_huge_index) > 0);
  static const struct {
    const char *name;
    char kind; /* i: i32 argument, F: f64, 2: two i32 */
    int64_t a, b;
    double f;
  } cases[] = {
      {"mix", 'i', 0, 0, 0},          {"mix", 'i', 1, 0, 0},          {"mix", 'i', 100, 0, 0},
      {"mix", 'i', 20000, 0, 0},      {"memops", 'i', 0, 0, 0},          {"memops", 'i', 1, 0, 0},
      {"memops", 'i', 1000, 0, 0},       {"memops", 'i', 8000, 0, 0},       {"flt", 'i', 0, 0, 0},
      {"flt", 'i', 1, 0, 0},          {"flt", 'i', 3000, 0, 0},       {"calls", 'i', 0, 0, 0},
      {"calls", 'i', 1, 0, 0},        {"calls", 'i', 300, 0, 0},      {"park_loop", 'i', 0, 0, 0},
      {"park_loop", 'i', 1, 0, 0},    {"park_loop", 'i', 50, 0, 0},   {"load_at", 'i', 0, 0, 0},
      {"load_at", 'i', 65532, 0, 0},  {"load_at", 'i', 65533, 0, 0},  {"load_at", 'i', -1, 0, 0},
      {"load_huge", 'i', 0, 0, 0},    {"load_huge", 'i', 100, 0, 0},  {"load_huge", 'i', -1, 0, 0},
      {"store_off", 'i', 0, 0, 0},    {"store_off", 'i', 100, 0, 0},  {"store_off", 'i', 534, 0, 0},
      {"store_off", 'i', 535, 0, 0},  {"store_off", 'i', -1, 0, 0},   {"store_huge", 'i', 0, 0, 0},
      {"store_huge", 'i', 100, 0, 0},
      {"div_s", '2', 7, 2, 0},        {"div_s", '2', 1, 0, 0},        {"div_s", '2', INT32_MIN, -1, 0},
      {"indirect", 'i', 0, 0, 0},     {"indirect", 'i', 1000, 0, 0},  {"indirect_at", '2', 1, 7, 0},
      {"indirect_at", '2', 2, 7, 0},  {"indirect_at", '2', 3, 7, 0},  {"indirect_at", '2', -1, 7, 0},
      {"deep", 'i', 0, 0, 0},         {"deep", 'i', 1000, 0, 0},      {"deep", 'i', 200000, 0, 0},
      {"deep", 'i', 100000000, 0, 0},
      {"fall_and_branch_in", 'i', 1, 0, 0}, {"fall_and_branch_in", 'i', 2, 0, 0},
      {"fall_and_branch_in", 'i', 1000, 0, 0},
      {"big", 'i', 0, 0, 0},          {"big", 'i', 1, 0, 0},          {"big", 'i', -5, 0, 0},
      {"reinterp", 'i', 0, 0, 0},     {"reinterp", 'i', 1, 0, 0},     {"reinterp", 'i', 12345, 0, 0},
      {"reinterp_back", 'i', 0, 0, 0}, {"reinterp_back", 'i', 7, 0, 0}, {"reinterp_back", 'i', -3, 0, 0},
      {"fstore", 'i', 0, 0, 0},       {"fstore", 'i', 5, 0, 0},       {"fstore", 'i', -9, 0, 0},
      {"gmem", 'i', 0, 0, 0},         {"gmem", 'i', 5, 0, 0},         {"gmem", 'i', -9, 0, 0},
      {"gedge_ok", 'i', 1, 0, 0},     {"gedge_oob", 'i', 1, 0, 0},    {"gedge_far", 'i', 1, 0, 0},
      {"gedge_wrap", 'i', 1, 0, 0},
      {"trunc", 'F', 0, 0, -3.75},    {"trunc", 'F', 0, 0, 0.0 / 0.0}, {"trunc", 'F', 0, 0, 3e9},
  };
  /* Rounding: every function at values on both sides of each edge. */
  static const char *const rnames[] = {"floor64", "ceil64", "trunc64", "nearest64", "fimm64", "rdiv64", "rsub64f",
                                       "ladd64f", "floor32", "ceil32", "trunc32", "nearest32", "fimm32", "rdiv32f",
                                       "rsub32f", "lmul32f"};
  static const double rvals[] = {-0.5, 0.5, 2.5, -2.5, 3.7, -3.7, -0.0, 1e300, 0.49999999999999994,
                                 4503599627370497.0, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0};
  for (size_t f = 0; f < sizeof rnames / sizeof rnames[0]; f++)
    for (size_t v = 0; v < sizeof rvals / sizeof rvals[0]; v++) {
      tova_val arg = {0};
      bool f32 = f >= 8;
      if (f32) {
        float x = (float)rvals[v];
        memcpy(&arg.f32_bits, &x, 4);
      } else {
        memcpy(&arg.f64_bits, &rvals[v], 8);
      }
      outcome x = call(&on, rnames[f], &arg), y = call(&off, rnames[f], &arg);
      if (f32) x.bits = (uint32_t)x.bits, y.bits = (uint32_t)y.bits;
      if (x.st != y.st || x.bits != y.bits) {
        fprintf(stderr, "%s(%g): stencils %llx, interpreter %llx\n", rnames[f], rvals[v],
                (unsigned long long)x.bits, (unsigned long long)y.bits);
        CHECK(0);
      }
    }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tova_val args[2] = {{0}, {0}};
    if (cases[i].kind == 'F') memcpy(&args[0].f64_bits, &cases[i].f, 8);
    else args[0].i32 = (int32_t)cases[i].a;
    args[1].i32 = (int32_t)cases[i].b;
    park_calls = 0;
    outcome x = call(&on, cases[i].name, args);
    int parked_on = park_calls;
    park_calls = 0;
    outcome y = call(&off, cases[i].name, args);
    if (x.st != y.st || x.bits != y.bits || strcmp(x.msg, y.msg) || parked_on != park_calls) {
      fprintf(stderr, "%s(%lld): stencils %d %llx \"%s\" (%d import calls), interpreter %d %llx \"%s\" (%d)\n",
              cases[i].name, (long long)cases[i].a, x.st, (unsigned long long)x.bits, x.msg, parked_on,
              y.st, (unsigned long long)y.bits, y.msg, park_calls);
      CHECK(0);
    }
  }
  /* The trap cases did trap, and the loops did run. */
  tova_val a = {.i32 = 65533};
  CHECK_STR_CONTAINS(call(&on, "load_at", &a).msg, "out of bounds memory access");
  a.i32 = 100;
  CHECK_STR_CONTAINS(call(&on, "load_huge", &a).msg, "out of bounds memory access");
  CHECK_STR_CONTAINS(call(&on, "store_huge", &a).msg, "out of bounds memory access");
  CHECK_EQ_I64(call(&on, "store_off", &a).bits, 0x5a5a);
  a.i32 = 535;
  CHECK_STR_CONTAINS(call(&on, "store_off", &a).msg, "out of bounds memory access");
  double nan = 0.0 / 0.0;
  memcpy(&a.f64_bits, &nan, 8);
  CHECK_STR_CONTAINS(call(&on, "trunc", &a).msg, "invalid conversion to integer");
  tova_val d[2] = {{.i32 = 1}, {.i32 = 0}};
  CHECK_STR_CONTAINS(call(&on, "div_s", d).msg, "integer divide by zero");
  tova_val ia[2] = {{.i32 = 2}, {.i32 = 7}};
  CHECK_STR_CONTAINS(call(&on, "indirect_at", ia).msg, "indirect call type mismatch");
  ia[0].i32 = 3;
  CHECK_STR_CONTAINS(call(&on, "indirect_at", ia).msg, "element 3");
  ia[0].i32 = 1;
  CHECK_EQ_I64(call(&on, "indirect_at", ia).bits, 14);
  a.i32 = 100000000;
  CHECK_STR_CONTAINS(call(&on, "deep", &a).msg, "call stack exhausted");
  a.i32 = 200000;
  CHECK_EQ_I64(call(&on, "deep", &a).bits, (uint32_t)(200000ull * 200001ull / 2));
  /* n = 3: x = 9, then x -> (x + 7) ^ 0x55 three times */
  a.i32 = 3;
  int32_t x = 9;
  for (int i = 0; i < 3; i++) x = (x + 7) ^ 0x55;
  CHECK_EQ_I64(call(&on, "fall_and_branch_in", &a).bits, (uint32_t)x);
  /* reinterp(2): 1.0 + 2 ulps, times 1.5; plus 1.0f + 2 ulps */
  a.i32 = 2;
  double one_up = 0, one_up_f = 0;
  uint64_t bits = 0x3ff0000000000002ull;
  memcpy(&one_up, &bits, 8);
  uint32_t fbits = 0x3f800002u;
  float f1;
  memcpy(&f1, &fbits, 4);
  one_up_f = (double)f1;
  double want = one_up * 1.5 + one_up_f, got;
  uint64_t gb = call(&on, "reinterp", &a).bits;
  memcpy(&got, &gb, 8);
  CHECK(got == want);
  double back = 2.5;
  uint64_t back_bits;
  memcpy(&back_bits, &back, 8);
  CHECK_EQ_I64(call(&on, "reinterp_back", &a).bits, back_bits + 1);
  /* the constants' arithmetic, as C does it */
  double fx = 3.7, fr;
  memcpy(&a.f64_bits, &fx, 8);
  uint64_t fr_bits = call(&on, "fimm64", &a).bits;
  memcpy(&fr, &fr_bits, 8);
  CHECK(fr == (fx * 1.5 + 0.25 - 3.0) / 4.0);
  float fx32 = -2.5f, fr32;
  memcpy(&a.f32_bits, &fx32, 4);
  uint32_t fr32_bits = (uint32_t)call(&on, "fimm32", &a).bits;
  memcpy(&fr32, &fr32_bits, 4);
  CHECK(fr32 == (fx32 * 2.0f - 1.0f) / 0.5f + 0.75f);
  /* the constant-left forms, as C computes them */
  static const int32_t ints[] = {0, 1, -1, 5, 99, 100, 101, -6, -5, -4, INT32_MIN, INT32_MAX, 1000, -1000};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    int32_t x = ints[i];
    a.i32 = x;
    CHECK_EQ_I64((uint32_t)call(&on, "rsub32", &a).bits, (uint32_t)(10u - (uint32_t)x));
    CHECK_EQ_I64((uint32_t)call(&on, "lmul32", &a).bits, (uint32_t)(7u * (uint32_t)x));
    CHECK_EQ_I64(call(&on, "lt_left", &a).bits, 100 < x);
    CHECK_EQ_I64(call(&on, "ltu_left", &a).bits, 100u < (uint32_t)x);
    CHECK_EQ_I64(call(&on, "ge_left", &a).bits, -5 >= x);
    CHECK_EQ_I64(call(&on, "rsub64", &a).bits, (uint64_t)(1000 - (int64_t)x));
    CHECK_EQ_I64(call(&on, "gtu_left64", &a).bits, 3u > (uint64_t)(int64_t)x);
  }
  static const double fl[] = {3.7, -0.5, 0.0, -0.0, 2.0, 1e300, -7.25};
  for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
    double x = fl[i], r;
    uint64_t rb;
    memcpy(&a.f64_bits, &x, 8);
    rb = call(&on, "rdiv64", &a).bits, memcpy(&r, &rb, 8);
    CHECK(r == 1.0 / x && signbit(r) == signbit(1.0 / x));
    rb = call(&on, "rsub64f", &a).bits, memcpy(&r, &rb, 8);
    CHECK(r == 0.5 - x);
    rb = call(&on, "ladd64f", &a).bits, memcpy(&r, &rb, 8);
    CHECK(r == 2.5 + x);
    float xf = (float)x, rf;
    uint32_t rfb;
    memcpy(&a.f32_bits, &xf, 4);
    rfb = (uint32_t)call(&on, "rdiv32f", &a).bits, memcpy(&rf, &rfb, 4);
    CHECK(rf == 3.0f / xf && signbit(rf) == signbit(3.0f / xf));
    rfb = (uint32_t)call(&on, "rsub32f", &a).bits, memcpy(&rf, &rfb, 4);
    CHECK(rf == -0.0f - xf && signbit(rf) == signbit(-0.0f - xf));
    rfb = (uint32_t)call(&on, "lmul32f", &a).bits, memcpy(&rf, &rfb, 4);
    CHECK(rf == 1.5f * xf);
  }
  /* constant addresses: the values, and the traps */
  for (int32_t x = -9; x <= 9; x += 6) {
    a.i32 = x;
    CHECK_EQ_I64(call(&on, "gmem", &a).bits, (uint64_t)(uint32_t)x + 7 + (uint64_t)(int64_t)(2.0 * x));
  }
  a.i32 = 1;
  CHECK_EQ_I64(call(&on, "gedge_ok", &a).st, TOVA_OK);
  CHECK_STR_CONTAINS(call(&on, "gedge_oob", &a).msg, "out of bounds memory access");
  CHECK_STR_CONTAINS(call(&on, "gedge_far", &a).msg, "out of bounds memory access");
  CHECK_STR_CONTAINS(call(&on, "gedge_wrap", &a).msg, "out of bounds memory access");
  CHECK_STR_CONTAINS(call(&off, "gedge_wrap", &a).msg, "out of bounds memory access");
  /* fstore(5): the bits of 7.5, and 0x7f800006 kept as it was */
  a.i32 = 5;
  double fs = 7.5;
  uint64_t fs_bits;
  memcpy(&fs_bits, &fs, 8);
  CHECK_EQ_I64(call(&on, "fstore", &a).bits, fs_bits ^ 0x7f800006u);
  a.i32 = 50;
  park_calls = 0;
  CHECK_EQ_I64(call(&on, "park_loop", &a).st, TOVA_OK);
  CHECK_EQ_I64(park_calls, 50);
out:
  inst_free(&on);
  inst_free(&off);
  tova_store_free(hs);
}

/* A loop running in compiled code is stopped by an interrupt. */
static void test_interrupt(void) {
  tova_store *hs = tova_store_new(NULL);
  inst_t t;
  CHECK(make(&t, hs, true));
  if (t.inst) {
    pthread_t th;
    pthread_create(&th, NULL, interrupt_later, ex);
    tova_error err = {0};
    tova_val res = {0};
    CHECK_EQ_I64(tova_exec_call(ex, inst_func(&t, "spin"), NULL, &res, &err), TOVA_ERR_CANCELLED);
    pthread_join(th, NULL);
    CHECK_STR_CONTAINS(err.message, "cancelled");
  }
  inst_free(&t);
  tova_store_free(hs);
}

/* The stencils every program needs were made usable by the build: one that
 * is not (a libc call clang made of a loop, an unknown relocation) would
 * silently leave its instruction to the interpreter and pass every
 * comparison above. */
static void test_library(void) {
  const wasm_st_library *lib = wasm_stencil_library();
  static const int ops[] = {WASM_IOP_CALL, WASM_IOP_CALL_ADDI32, WASM_IOP_CALL_ADDI64, WASM_IOP_RETURN0,
                            WASM_IOP_RETURN1, WASM_IOP_RETURN, WASM_IOP_I32_ADD, WASM_IOP_I64_MUL_I,
                            WASM_IOP_I32_LOAD, WASM_IOP_I64_STORE, WASM_IOP_BR_I32_LT_S, WASM_IOP_BR_I64_NE_I,
                            WASM_IOP_ADDI_BR_I32_LT_S, WASM_IOP_F64_ADD, WASM_IOP_F32_MIN, WASM_IOP_I32_DIV_S,
                            WASM_IOP_I64_TRUNC_F64_U, WASM_IOP_LOOP_HEAD, WASM_IOP_SELECT, WASM_IOP_GLOBAL_GET,
                            WASM_IOP_BR_TABLE, WASM_IOP_CALL_INDIRECT};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (!wasm_st_op(lib, ops[i])->usable) fprintf(stderr, "stencil of op %d unusable\n", ops[i]);
    CHECK(wasm_st_op(lib, ops[i])->usable);
  }
  CHECK(lib->special[WASM_ST_EXIT].usable);
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.1")) /* the SSE4.1 stencils took these */
    CHECK(wasm_st_op(lib, WASM_IOP_F64_FLOOR)->usable && wasm_st_op(lib, WASM_IOP_F32_CEIL)->usable);
  const uint32_t tail_jump = 5; /* jmp rel32 */
#else
  /* AArch64 rounds in one instruction (FRINTM...): no libm call to refuse. */
  CHECK(wasm_st_op(lib, WASM_IOP_F64_FLOOR)->usable && wasm_st_op(lib, WASM_IOP_F32_CEIL)->usable &&
        wasm_st_op(lib, WASM_IOP_F64_NEAREST)->usable);
  const uint32_t tail_jump = 4; /* B */
#endif
  /* The variants that pass values in a register (stencils.c): usable, and
   * an operand read from acc has no slot hole left. */
  static const struct {
    int variant, op;
    unsigned reads;
  } vars[] = {{WASM_ST_W, WASM_IOP_I32_ADD, 0},        {WASM_ST_R2, WASM_IOP_I32_ADD, 2},
              {WASM_ST_R3, WASM_IOP_I64_MUL, 3},       {WASM_ST_WR2, WASM_IOP_I32_XOR_I, 2},
              {WASM_ST_WR3, WASM_IOP_I64_SUB, 3},      {WASM_ST_R1, WASM_IOP_BR_I32_LT_S, 1},
              {WASM_ST_R1, WASM_IOP_BR_NEZ, 1},        {WASM_ST_W, WASM_IOP_F64_MUL, 0},
              {WASM_ST_R2, WASM_IOP_I32_LOAD, 2},      {WASM_ST_R1, WASM_IOP_I64_STORE, 1}};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const wasm_stencil *st = wasm_st_variant_of(lib, vars[i].variant, vars[i].op);
    CHECK(st->usable && st->continues && !st->leaves_at_self);
    bool slot_hole = false;
    for (uint32_t r = 0; r < st->nrelocs; r++)
      slot_hole |= st->relocs[r].hole == WASM_HOLE_SLOT && st->relocs[r].k == vars[i].reads;
    if (slot_hole) fprintf(stderr, "variant %d of op %d still reads operand %u from its slot\n", vars[i].variant,
                           vars[i].op, vars[i].reads);
    CHECK(!slot_hole);
  }
  CHECK(wasm_st_op(lib, WASM_IOP_CALL)->leaves_at_self && wasm_st_op(lib, WASM_IOP_RETURN1)->leaves_at_self);
  CHECK(!wasm_st_op(lib, WASM_IOP_I32_ADD)->leaves_at_self && wasm_st_op(lib, WASM_IOP_I32_ADD)->continues);
  /* what the bodies read and make as floats (stencils.c KIND_) */
  CHECK(lib->kind_known[WASM_IOP_I32_ADD] && lib->kind_known[WASM_IOP_F64_ADD]);
  CHECK(lib->float_result[WASM_IOP_F64_ADD] && lib->float_reads[WASM_IOP_F64_ADD] == ((1u << 2) | (1u << 3)));
  CHECK(!lib->float_result[WASM_IOP_I32_ADD] && lib->float_reads[WASM_IOP_I32_ADD] == 0);
  CHECK((lib->int_reads[WASM_IOP_I32_ADD] & 0xc) == 0xc && (lib->int_reads[WASM_IOP_F64_ADD] & 0xc) == 0);
  CHECK(lib->float_result[WASM_IOP_F64_LOAD] && !lib->float_result[WASM_IOP_I64_LOAD]);
  CHECK((lib->int_reads[WASM_IOP_I64_STORE] & (1u << 2)) && !(lib->float_reads[WASM_IOP_I64_STORE] & (1u << 2)));
  CHECK((lib->float_reads[WASM_IOP_F64_STORE] & (1u << 2)) && !(lib->int_reads[WASM_IOP_F64_STORE] & (1u << 2)));
  CHECK((lib->int_reads[WASM_IOP_F32_STORE] & (1u << 1)) && !lib->float_result[WASM_IOP_F32_STORE]);
  CHECK(!lib->float_result[WASM_IOP_F64_LT] && lib->float_reads[WASM_IOP_F64_LT] == ((1u << 2) | (1u << 3)));
  CHECK(lib->float_result[WASM_IOP_F64_CONVERT_I32_S] && lib->float_reads[WASM_IOP_F64_CONVERT_I32_S] == 0);
  CHECK(lib->float_result[WASM_IOP_F32_DEMOTE_F64] && lib->float_reads[WASM_IOP_F32_DEMOTE_F64] == (1u << 2));
  /* Most stencils end in the jump to the next one, which is left out. */
  CHECK(wasm_st_op(lib, WASM_IOP_I32_ADD)->body_len + tail_jump == wasm_st_op(lib, WASM_IOP_I32_ADD)->len);
  /* Read lazily (library.c LAZY): an op nothing has asked for is not read
   * yet, and is the same once asked for. */
  const wasm_stencil *raw = &lib->variant[WASM_ST_WR3][WASM_IOP_I64_ROTR];
  CHECK(raw->code && !__atomic_load_n(&raw->ready, __ATOMIC_ACQUIRE) && raw->nrelocs == 0);
  const wasm_stencil *asked = wasm_st_variant_of(lib, WASM_ST_WR3, WASM_IOP_I64_ROTR);
  CHECK(asked == raw && asked->ready && asked->usable && asked->nrelocs > 0);
}

/* reloc.c's patching, field by field: what fits is encoded so that the
 * instruction decodes to it, and what does not fit is refused (the function
 * is then left to the interpreter), never truncated. */
static uint32_t word(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static void test_reloc(void) {
  static uint8_t buf[64];
  uint8_t *f = buf + 16;
  uintptr_t at = (uintptr_t)f;
#if defined(__x86_64__)
  CHECK(wasm_st_patch(f, WASM_R_X86_64_32S, (uint64_t)-8) && word(f) == 0xfffffff8u);
  CHECK(!wasm_st_patch(f, WASM_R_X86_64_32, (uint64_t)-8));
  CHECK(wasm_st_patch(f, WASM_R_X86_64_PC32, at + 0x1000) && word(f) == 0x1000u);
  CHECK(wasm_st_patch(f, WASM_R_X86_64_PLT32, at - 4) && word(f) == 0xfffffffcu);
  CHECK(!wasm_st_patch(f, WASM_R_X86_64_PC32, at + ((uint64_t)1 << 33)));
  CHECK(!wasm_st_reloc_known(WASM_R_X86_64_64));
  /* an IMM hole's value (a memory offset plus the addend) */
  CHECK(wasm_st_abs_fits(WASM_R_X86_64_32S, 0x7fffffff) && !wasm_st_abs_fits(WASM_R_X86_64_32S, 0x80000000u));
  CHECK(wasm_st_abs_fits(WASM_R_X86_64_32S, (uint64_t)-4) && !wasm_st_abs_fits(WASM_R_X86_64_32, (uint64_t)-4));
  /* (within the small code model's 2 GB, what clang assumes of a symbol) */
  CHECK(wasm_st_abs_fits(WASM_R_X86_64_32, 0x7fffffff) && !wasm_st_abs_fits(WASM_R_X86_64_32, 0x80000000u));
  CHECK(!wasm_st_abs_fits(WASM_R_X86_64_PC32, 0));
#else
  uint32_t w;
  w = 0xd2800008u; /* movz x8, #0 */
  memcpy(f, &w, 4);
  CHECK(wasm_st_patch(f, WASM_R_AARCH64_MOVW_UABS_G0, 0x1238) && word(f) == (0xd2800008u | (0x1238u << 5)));
  CHECK(!wasm_st_patch(f, WASM_R_AARCH64_MOVW_UABS_G0, 0x10000));
  CHECK(wasm_st_abs_fits(WASM_R_AARCH64_MOVW_UABS_G0, 0xffff) && !wasm_st_abs_fits(WASM_R_AARCH64_MOVW_UABS_G0, 0x10000));
  CHECK(!wasm_st_abs_fits(WASM_R_AARCH64_JUMP26, 0));
  w = 0x14000000u; /* b . */
  memcpy(f, &w, 4);
  CHECK(wasm_st_patch(f, WASM_R_AARCH64_JUMP26, at - 8) && word(f) == (0x14000000u | 0x3fffffeu));
  CHECK(!wasm_st_patch(f, WASM_R_AARCH64_JUMP26, at + ((uint64_t)128 << 20)));
  CHECK(!wasm_st_patch(f, WASM_R_AARCH64_JUMP26, at + 2)); /* not an instruction's address */
  w = 0x54000001u; /* b.ne . */
  memcpy(f, &w, 4);
  CHECK(wasm_st_patch(f, WASM_R_AARCH64_CONDBR19, at + 0x40) && word(f) == (0x54000001u | (0x10u << 5)));
  CHECK(!wasm_st_patch(f, WASM_R_AARCH64_CONDBR19, at + ((uint64_t)1 << 20)));
  w = 0x9000000au; /* adrp x10, . */
  memcpy(f, &w, 4);
  uint64_t target = (at & ~(uint64_t)0xfff) + 5 * 4096 + 0x123;
  CHECK(wasm_st_patch(f, WASM_R_AARCH64_ADR_PREL_PG_HI21, target));
  w = word(f);
  int64_t pages = (int64_t)((((w >> 5) & 0x7ffff) << 2) | ((w >> 29) & 3));
  CHECK(pages == 5 && (w & 0x9f00001fu) == 0x9000000au);
  w = 0xf9400148u; /* ldr x8, [x10] */
  memcpy(f, &w, 4);
  CHECK(wasm_st_patch(f, WASM_R_AARCH64_LDST64_ABS_LO12_NC, 0x5ff8) && ((word(f) >> 10) & 0xfff) == 0xff8 / 8);
  CHECK(!wasm_st_patch(f, WASM_R_AARCH64_LDST64_ABS_LO12_NC, 0x5ff4)); /* misaligned for an 8-byte load */
  CHECK(!wasm_st_reloc_known(WASM_R_AARCH64_ABS64));
#endif
}

/* fac-ssa of the spec suite (fac.wast): values passed through calls of
 * multi-value functions, and `n - 1` computed on the stack in place as a
 * call's argument (CALL_ADDI64 with d == src). In the tiered policy every
 * callee has a call counter; when it fires, the call is left to the
 * interpreter, which runs the whole instruction: the code must not have
 * done the subtraction first (it did, and fac-ssa hung or went wrong). */
#ifdef TOVA_HAVE_NATIVE
static void build_fac_ssa(mod *m) {
  uint32_t t_I_II = mod_type(m, "I", "II"), t_II_III = mod_type(m, "II", "III"), t_II = mod_type(m, "I", "I"),
           t_loop = mod_type(m, "II", "I");
  wb b = {0};
  e_get(&b, 0);
  e_get(&b, 0);
  uint32_t pick0 = mod_func(m, t_I_II, "", &b, "pick0");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_get(&b, 0);
  uint32_t pick1 = mod_func(m, t_II_III, "", &b, "pick1");
  wb_free(&b);
  e_i64(&b, 1);
  e_get(&b, 0);
  e_block(&b, WASM_OP_LOOP, 1000 + (int)t_loop);
  e_opu(&b, WASM_OP_CALL, pick1);
  e_opu(&b, WASM_OP_CALL, pick1);
  e_op(&b, WASM_OP_I64_MUL);
  e_opu(&b, WASM_OP_CALL, pick1);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_SUB);
  e_opu(&b, WASM_OP_CALL, pick0);
  e_i64(&b, 0);
  e_op(&b, WASM_OP_I64_GT_U);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_DROP);
  e_op(&b, WASM_OP_RETURN);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_II, "", &b, "fac_ssa");
  wb_free(&b);
}

/* Interrupts the execution it watches after 10 s unless told it is done:
 * a wrong decrement makes fac_ssa loop for ever, which must fail the test,
 * not hang it. */
static atomic_bool watch_done;
static void *watchdog(void *exec) {
  for (int i = 0; i < 1000 && !atomic_load(&watch_done); i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (!atomic_load(&watch_done)) tova_exec_interrupt(exec);
  return NULL;
}
#endif

static void test_tiered_call_counters(void) {
#ifdef TOVA_HAVE_NATIVE
  CHECK_EQ_I64(tova_set_tier(TOVA_TIER_TIERED), TOVA_OK);
  tova_exec *fresh = tova_exec_new(0); /* test_interrupt's is interrupted for good */
  pthread_t dog;
  atomic_store(&watch_done, false);
  pthread_create(&dog, NULL, watchdog, fresh);
  inst_t on, off;
  tova_error err = {0};
  for (int k = 0; k < 2; k++) {
    wasm_stencil_set_enabled(k == 0);
    mod m = {0};
    build_fac_ssa(&m);
    CHECK(inst_make(k == 0 ? &on : &off, &m, NULL, 0, &err));
  }
  wasm_stencil_set_enabled(true);
  if (on.inst && off.inst) {
    CHECK(on.module->stencil_code != NULL && off.module->stencil_code == NULL);
    for (int64_t n = 0; n < 60; n++) {
      tova_val a = {.i64 = 1 + (n + 1) % 25}, r1 = {0}, r2 = {0}; /* fac_ssa(0) never ends */
      tova_status s1 = tova_exec_call(fresh, inst_func(&on, "fac_ssa"), &a, &r1, &err);
      tova_status s2 = tova_exec_call(fresh, inst_func(&off, "fac_ssa"), &a, &r2, &err);
      if (s1 != TOVA_OK || s2 != TOVA_OK || r1.i64 != r2.i64) {
        fprintf(stderr, "fac_ssa(%lld): stencils %d %lld, interpreter %d %lld\n", (long long)a.i64, s1,
                (long long)r1.i64, s2, (long long)r2.i64);
        CHECK(0);
        break;
      }
    }
  }
  atomic_store(&watch_done, true);
  pthread_join(dog, NULL);
  inst_free(&on);
  inst_free(&off);
  tova_exec_free(fresh);
  tova_set_tier(TOVA_TIER_INTERP);
#endif
}

/* layout.h's check: the embedded object carries the library's structure
 * layout and is accepted; the same object with one of those numbers changed
 * (as a stencil object built for another ABI would have) is refused. */
extern const unsigned char wasm_stencil_object[];
extern const size_t wasm_stencil_object_len;
static void test_layout_check(void) {
  static const uint32_t mine[] = {WASM_STENCIL_LAYOUT(WASM_STENCIL_LAYOUT_ENTRY)};
  CHECK(wasm_stencil_layout_matches(wasm_stencil_object, wasm_stencil_object_len));
  unsigned char *copy = malloc(wasm_stencil_object_len);
  CHECK(copy != NULL);
  if (!copy) return;
  memcpy(copy, wasm_stencil_object, wasm_stencil_object_len);
  size_t at = SIZE_MAX;
  for (size_t i = 0; i + sizeof mine <= wasm_stencil_object_len && at == SIZE_MAX; i++)
    if (!memcmp(copy + i, mine, sizeof mine)) at = i;
  CHECK(at != SIZE_MAX); /* the numbers are in the object */
  if (at != SIZE_MAX) {
    uint32_t moved = mine[6] + 8; /* an offset of tova_exec shifted by a word */
    memcpy(copy + at + 6 * sizeof(uint32_t), &moved, sizeof moved);
    CHECK(!wasm_stencil_layout_matches(copy, wasm_stencil_object_len));
    memcpy(copy + at, mine, sizeof mine);
    CHECK(wasm_stencil_layout_matches(copy, wasm_stencil_object_len));
  }
  CHECK(!wasm_stencil_layout_matches(copy, 40)); /* cut short: not an object */
  free(copy);
}

/* ---- float comparisons: values, branches, constants ----
 * Every float comparison in every shape compile.c fuses (a value, with a
 * constant on either side; br_if, if, and the eqz of the comparison, which
 * negates it; a while loop's head test, which a `br` back runs negated),
 * against C's own comparisons, with and without the stencil tier, on
 * operands that include both zeros, the infinities and NaN: a negation that
 * mistook NLT for GE gives another answer exactly when an operand is NaN. */
enum { FS_V, FS_VK, FS_KV, FS_BRIF, FS_IF, FS_EQZ_IF, FS_EQZ_BRIF, FS_BRIF_K, FS_IF_KV, FS_EQZ_IF_K, FS_LOOP,
       FS_LOOP_EQZ, FS_N };
static const uint8_t fcmp_ops64[6] = {WASM_OP_F64_EQ, WASM_OP_F64_NE, WASM_OP_F64_LT,
                                      WASM_OP_F64_GT, WASM_OP_F64_LE, WASM_OP_F64_GE};
static const uint8_t fcmp_ops32[6] = {WASM_OP_F32_EQ, WASM_OP_F32_NE, WASM_OP_F32_LT,
                                      WASM_OP_F32_GT, WASM_OP_F32_LE, WASM_OP_F32_GE};

static bool fcmp_c(int c, double x, double y) {
  switch (c) {
    case 0: return x == y;
    case 1: return x != y;
    case 2: return x < y;
    case 3: return x > y;
    case 4: return x <= y;
    default: return x >= y;
  }
}

static bool fshape_has_k(int s) { return s == FS_VK || s == FS_KV || s == FS_BRIF_K || s == FS_IF_KV || s == FS_EQZ_IF_K; }

/* What function (w64, c, shape, k) returns for (x, y), as C computes it
 * (f32 operands are exact as doubles, and so are their comparisons). */
static int32_t fshape_expect(bool w64, int c, int s, double k, double x, double y) {
  if (!w64) k = (float)k;
  switch (s) {
    case FS_VK: case FS_BRIF_K: return fcmp_c(c, x, k);
    case FS_KV: case FS_IF_KV: return fcmp_c(c, k, x);
    case FS_EQZ_IF_K: return !fcmp_c(c, x, k);
    case FS_EQZ_IF: case FS_EQZ_BRIF: return !fcmp_c(c, x, y);
    case FS_LOOP: case FS_LOOP_EQZ: {
      int32_t n = 0;
      for (;;) {
        bool exit = fcmp_c(c, x, y);
        if (s == FS_LOOP_EQZ) exit = !exit;
        if (exit) break;
        x = w64 ? x + 1.0 : (double)((float)x + 1.0f);
        if (++n >= 8) break;
      }
      return n;
    }
    default: return fcmp_c(c, x, y);
  }
}

/* The shapes' shared pieces: `if (result i32) 1 else 0`, and a counted
 * loop's end (n = local 2: n += 1, out when n >= 8, else again; closes the
 * loop and its block, returns n). */
static void e_if_one_else_zero(wb *b) {
  e_block(b, WASM_OP_IF, 'i');
  e_i32(b, 1);
  e_op(b, WASM_OP_ELSE);
  e_i32(b, 0);
  e_op(b, WASM_OP_END);
}

static void e_count_tail(wb *b) {
  e_get(b, 2), e_i32(b, 1), e_op(b, WASM_OP_I32_ADD), e_tee(b, 2);
  e_i32(b, 8), e_op(b, WASM_OP_I32_GE_S), e_opu(b, WASM_OP_BR_IF, 1);
  e_opu(b, WASM_OP_BR, 0);
  e_op(b, WASM_OP_END);
  e_op(b, WASM_OP_END);
  e_get(b, 2);
}

static void e_fconst(wb *b, bool w64, double k) {
  if (w64) e_f64(b, k);
  else e_f32(b, (float)k);
}

/* (x, y) -> i32, the shapes but the branches' (body_fbranch); locals: 2 n
 * (i32) */
static void body_fshape(wb *b, bool w64, int c, int s, double k) {
  uint8_t op = (w64 ? fcmp_ops64 : fcmp_ops32)[c];
  switch (s) {
    case FS_V: case FS_IF: case FS_EQZ_IF:
      e_get(b, 0), e_get(b, 1), e_op(b, op);
      break;
    case FS_VK: case FS_EQZ_IF_K:
      e_get(b, 0), e_fconst(b, w64, k), e_op(b, op);
      break;
    case FS_KV: case FS_IF_KV:
      e_fconst(b, w64, k), e_get(b, 0), e_op(b, op);
      break;
    default: break;
  }
  if (s == FS_EQZ_IF || s == FS_EQZ_IF_K) e_op(b, WASM_OP_I32_EQZ);
  switch (s) {
    case FS_IF: case FS_EQZ_IF: case FS_IF_KV: case FS_EQZ_IF_K:
      e_if_one_else_zero(b);
      break;
    case FS_LOOP: case FS_LOOP_EQZ:
      e_block(b, WASM_OP_BLOCK, 0); /* out */
      e_block(b, WASM_OP_LOOP, 0);  /* l */
      e_get(b, 0), e_get(b, 1), e_op(b, op);
      if (s == FS_LOOP_EQZ) e_op(b, WASM_OP_I32_EQZ);
      e_opu(b, WASM_OP_BR_IF, 1);
      e_get(b, 0), e_fconst(b, w64, 1.0), e_op(b, w64 ? WASM_OP_F64_ADD : WASM_OP_F32_ADD), e_set(b, 0);
      e_count_tail(b);
      break;
    default: break;
  }
}

/* The branch shapes with the comparison inside the block, as compilers
 * emit them: block { x CMP y; br_if 0; return 0 } return 1. */
static void body_fbranch(wb *b, bool w64, int c, int s, double k) {
  uint8_t op = (w64 ? fcmp_ops64 : fcmp_ops32)[c];
  e_block(b, WASM_OP_BLOCK, 0);
  e_get(b, 0);
  if (s == FS_BRIF_K) e_fconst(b, w64, k);
  else e_get(b, 1);
  e_op(b, op);
  if (s == FS_EQZ_BRIF) e_op(b, WASM_OP_I32_EQZ);
  e_opu(b, WASM_OP_BR_IF, 0);
  e_i32(b, 0);
  e_op(b, WASM_OP_RETURN);
  e_op(b, WASM_OP_END);
  e_i32(b, 1);
}

static const double fshape_ks[3] = {1.5, 0.0 / 0.0, -0.0};

static void build_fcmp(mod *m) {
  uint32_t t64 = mod_type(m, "FF", "i"), t32 = mod_type(m, "ff", "i");
  wb b = {0};
  char name[48];
  for (int w = 0; w < 2; w++)
    for (int c = 0; c < 6; c++)
      for (int s = 0; s < FS_N; s++)
        for (int ki = 0; ki < (fshape_has_k(s) ? 3 : 1); ki++) {
          bool branch = s == FS_BRIF || s == FS_EQZ_BRIF || s == FS_BRIF_K;
          if (branch) body_fbranch(&b, w == 1, c, s, fshape_ks[ki]);
          else body_fshape(&b, w == 1, c, s, fshape_ks[ki]);
          snprintf(name, sizeof name, "f%d_%d_%d_%d", w, c, s, ki);
          mod_func(m, w ? t64 : t32, "i", &b, name);
          wb_free(&b);
        }
}

/* Whether function `name`'s own code (no stencils: the interpreter's
 * cells) holds op. */
static bool code_has(inst_t *t, const char *name, int op) {
  const tova_module *m = t->module;
  const void *h = wasm_interp_handlers()[op];
  for (uint32_t e = 0; e < m->nexports; e++) {
    const wasm_export *x = &m->exports[e];
    if (x->name_len != strlen(name) || memcmp(x->name, name, x->name_len)) continue;
    const wasm_code *code = m->func_defs[x->index - m->nimported_funcs].code;
    for (uint32_t i = 0, n; i < code->ncells; i += n) {
      n = wasm_code_instr_cells(code->cells, i);
      if (!n) return false; /* not an instruction's start: cannot be */
      if (code->cells[i].h == h) return true;
    }
  }
  return false;
}

/* The module `build` makes, instantiated twice: with the stencil tier (on)
 * and without it (off). False if either failed. */
static bool make_on_off(void (*build)(mod *), inst_t *on, inst_t *off) {
  tova_error err = {0};
  mod m1 = {0}, m2 = {0};
  build(&m1);
  build(&m2);
  wasm_stencil_set_enabled(true);
  CHECK(inst_make(on, &m1, NULL, 0, &err));
  wasm_stencil_set_enabled(false);
  CHECK(inst_make(off, &m2, NULL, 0, &err));
  wasm_stencil_set_enabled(true);
  return on->inst && off->inst;
}

static void test_float_compares(void) {
  static const double vals[] = {-1.0 / 0.0, -1.5, -0.0, 0.0, 1.5, 3.0, 1.0 / 0.0, 0.0 / 0.0};
  enum { NV = sizeof vals / sizeof vals[0] };
  inst_t on, off;
  if (!make_on_off(build_fcmp, &on, &off)) goto out;
  CHECK(jit_cells(on.module) > 200);
  /* The fusions happened: one branch instruction, no eqz; a constant is
   * the instruction's immediate (the _I forms). */
  CHECK(code_has(&off, "f1_2_5_0", WASM_IOP_BR_F64_LT));     /* lt; eqz; if: jump when lt */
  CHECK(!code_has(&off, "f1_2_5_0", WASM_IOP_I32_EQZ));
  CHECK(code_has(&off, "f0_4_6_0", WASM_IOP_BR_F32_NLE));    /* le; eqz; br_if */
  CHECK(code_has(&off, "f1_3_7_0", WASM_IOP_BR_F64_GT_I));   /* gt k; br_if */
  CHECK(code_has(&off, "f1_2_8_0", WASM_IOP_BR_F64_NGT_I));  /* k lt x = x gt k; if: jump when not */
  CHECK(code_has(&off, "f0_5_2_1", WASM_IOP_F32_LE_I));      /* k ge x = x le k, k a NaN */
  char name[48];
  unsigned checked = 0;
  for (int w = 0; w < 2; w++)
    for (int c = 0; c < 6; c++)
      for (int s = 0; s < FS_N; s++)
        for (int ki = 0; ki < (fshape_has_k(s) ? 3 : 1); ki++) {
          snprintf(name, sizeof name, "f%d_%d_%d_%d", w, c, s, ki);
          for (int i = 0; i < NV; i++)
            for (int j = 0; j < NV; j++) {
              tova_val args[2] = {{0}, {0}};
              if (w) {
                memcpy(&args[0].f64_bits, &vals[i], 8);
                memcpy(&args[1].f64_bits, &vals[j], 8);
              } else {
                float x = (float)vals[i], y = (float)vals[j];
                memcpy(&args[0].f32_bits, &x, 4);
                memcpy(&args[1].f32_bits, &y, 4);
              }
              int32_t want = fshape_expect(w == 1, c, s, fshape_ks[ki], vals[i], vals[j]);
              outcome x = call(&on, name, args), y = call(&off, name, args);
              if (x.st != TOVA_OK || y.st != TOVA_OK || (int32_t)x.bits != want || (int32_t)y.bits != want) {
                fprintf(stderr, "%s(%g, %g): stencils %d %d, interpreter %d %d, C %d\n", name, vals[i], vals[j],
                        x.st, (int32_t)x.bits, y.st, (int32_t)y.bits, want);
                CHECK(0);
              }
              checked++;
            }
        }
  CHECK(checked > 10000);
out:
  inst_free(&on);
  inst_free(&off);
}

/* ---- bit tests and negated integer comparisons as branches ----
 * `x & m` branched on (BR_AND_NEZ_I/EQZ_I), directly and through i32.eqz,
 * in br_if, if and a while loop's head test; and the eqz of an integer
 * comparison (its negation, one branch): against C, with and without the
 * stencil tier. */
enum { MS_BRIF, MS_IF, MS_EQZ_IF, MS_EQZ_BRIF, MS_LOOP, MS_N };
static const uint32_t masks[] = {1, 0x80, 0x80000000u, 0xffffffffu, 0x0ff0};
static const uint8_t icmp_ops[] = {WASM_OP_I32_LT_S, WASM_OP_I32_LT_U, WASM_OP_I32_GE_U, WASM_OP_I32_EQ};

static bool icmp_c(int c, int32_t x, int32_t y) {
  switch (c) {
    case 0: return x < y;
    case 1: return (uint32_t)x < (uint32_t)y;
    case 2: return (uint32_t)x >= (uint32_t)y;
    default: return x == y;
  }
}

/* cond: `x & mask` (mask_i >= 0) or `x CMP y` (cmp); then the shape. */
static void body_test(wb *b, int mask_i, int cmp, int shape) {
  if (shape == MS_LOOP) { /* while (!cond) { x += 1; n++ < 8 }: the head test exits */
    e_block(b, WASM_OP_BLOCK, 0);
    e_block(b, WASM_OP_LOOP, 0);
  } else if (shape == MS_BRIF || shape == MS_EQZ_BRIF) {
    e_block(b, WASM_OP_BLOCK, 0);
  }
  e_get(b, 0);
  if (mask_i >= 0) e_i32(b, (int32_t)masks[mask_i]), e_op(b, WASM_OP_I32_AND);
  else e_get(b, 1), e_op(b, icmp_ops[cmp]);
  if (shape == MS_EQZ_IF || shape == MS_EQZ_BRIF) e_op(b, WASM_OP_I32_EQZ);
  switch (shape) {
    case MS_BRIF: case MS_EQZ_BRIF:
      e_opu(b, WASM_OP_BR_IF, 0);
      e_i32(b, 0);
      e_op(b, WASM_OP_RETURN);
      e_op(b, WASM_OP_END);
      e_i32(b, 1);
      break;
    case MS_IF: case MS_EQZ_IF:
      e_if_one_else_zero(b);
      break;
    default: /* MS_LOOP */
      e_opu(b, WASM_OP_BR_IF, 1);
      e_get(b, 0), e_i32(b, 1), e_op(b, WASM_OP_I32_ADD), e_set(b, 0);
      e_count_tail(b);
  }
}

static int32_t test_expect(int mask_i, int cmp, int shape, int32_t x, int32_t y) {
  if (shape == MS_LOOP) {
    int32_t n = 0;
    for (;;) {
      bool cond = mask_i >= 0 ? (x & masks[mask_i]) != 0 : icmp_c(cmp, x, y);
      if (cond) break;
      x = (int32_t)((uint32_t)x + 1);
      if (++n >= 8) break;
    }
    return n;
  }
  bool cond = mask_i >= 0 ? (x & masks[mask_i]) != 0 : icmp_c(cmp, x, y);
  return shape == MS_EQZ_IF || shape == MS_EQZ_BRIF ? !cond : cond;
}

static void build_tests(mod *m) {
  uint32_t t = mod_type(m, "ii", "i");
  wb b = {0};
  char name[32];
  for (int k = 0; k < (int)(sizeof masks / sizeof masks[0]) + (int)sizeof icmp_ops; k++)
    for (int s = 0; s < MS_N; s++) {
      bool mask = k < (int)(sizeof masks / sizeof masks[0]);
      if (!mask && s != MS_EQZ_IF && s != MS_EQZ_BRIF) continue; /* plain comparisons: test_same_as_interpreter */
      body_test(&b, mask ? k : -1, mask ? 0 : k - (int)(sizeof masks / sizeof masks[0]), s);
      snprintf(name, sizeof name, "t%d_%d", k, s);
      mod_func(m, t, "i", &b, name);
      wb_free(&b);
    }
}

static void test_bit_tests(void) {
  static const int32_t vals[] = {0, 1, -1, 0x80, 0x7f, INT32_MIN, 12345, 0x0ff0, 0x1000, -2};
  enum { NV = sizeof vals / sizeof vals[0], NM = sizeof masks / sizeof masks[0] };
  inst_t on, off;
  if (!make_on_off(build_tests, &on, &off)) goto out;
  CHECK(jit_cells(on.module) > 30);
  /* The fusions happened. */
  CHECK(code_has(&off, "t1_0", WASM_IOP_BR_AND_NEZ_I) && !code_has(&off, "t1_0", WASM_IOP_I32_AND_I));
  CHECK(code_has(&off, "t1_2", WASM_IOP_BR_AND_NEZ_I) && !code_has(&off, "t1_2", WASM_IOP_I32_EQZ)); /* if: jump when not */
  CHECK(code_has(&off, "t0_3", WASM_IOP_BR_AND_EQZ_I));
  CHECK(code_has(&off, "t5_2", WASM_IOP_BR_I32_LT_S) && !code_has(&off, "t5_2", WASM_IOP_I32_EQZ));
  char name[32];
  for (int k = 0; k < NM + (int)sizeof icmp_ops; k++)
    for (int s = 0; s < MS_N; s++) {
      bool mask = k < NM;
      if (!mask && s != MS_EQZ_IF && s != MS_EQZ_BRIF) continue;
      snprintf(name, sizeof name, "t%d_%d", k, s);
      for (int i = 0; i < NV; i++)
        for (int j = 0; j < NV; j++) {
          tova_val args[2] = {{.i32 = vals[i]}, {.i32 = vals[j]}};
          int32_t want = test_expect(mask ? k : -1, mask ? 0 : k - NM, s, vals[i], vals[j]);
          outcome x = call(&on, name, args), y = call(&off, name, args);
          if (x.st != TOVA_OK || y.st != TOVA_OK || (int32_t)x.bits != want || (int32_t)y.bits != want) {
            fprintf(stderr, "%s(%d, %d): stencils %d %d, interpreter %d %d, C %d\n", name, vals[i], vals[j], x.st,
                    (int32_t)x.bits, y.st, (int32_t)y.bits, want);
            CHECK(0);
          }
        }
    }
out:
  inst_free(&on);
  inst_free(&off);
}

/* Stencils are read on their first use (library.c LAZY), and modules are
 * compiled on any thread: four threads compile the float-comparison module
 * at once, each the first to ask for its stencils (no module used them
 * before this test), and each must run it right (TSan: scripts/test.sh). */
typedef struct first_use {
  unsigned jit, wrong;
} first_use;

static void *compile_and_run(void *arg) {
  first_use *r = arg;
  mod m = {0};
  build_fcmp(&m);
  inst_t t;
  tova_error err = {0};
  if (!inst_make(&t, &m, NULL, 0, &err)) {
    r->wrong = 1;
    inst_free(&t);
    return NULL;
  }
  r->jit = jit_cells(t.module);
  tova_exec *x = tova_exec_new(0);
  static const double vals[] = {-1.5, 0.0, 1.5, 0.0 / 0.0};
  char name[48];
  for (int c = 0; c < 6; c++)
    for (int s = 0; s < FS_N; s++) {
      snprintf(name, sizeof name, "f1_%d_%d_0", c, s);
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
          tova_val args[2] = {{0}, {0}}, res = {0};
          memcpy(&args[0].f64_bits, &vals[i], 8);
          memcpy(&args[1].f64_bits, &vals[j], 8);
          tova_status st = tova_exec_call(x, inst_func(&t, name), args, &res, &err);
          if (st != TOVA_OK || res.i32 != fshape_expect(true, c, s, fshape_ks[0], vals[i], vals[j])) r->wrong++;
        }
    }
  tova_exec_free(x);
  inst_free(&t);
  return NULL;
}

static void test_concurrent_first_use(void) {
  enum { N = 4 };
  pthread_t th[N];
  first_use r[N];
  memset(r, 0, sizeof r);
  const wasm_st_library *lib = wasm_stencil_library();
  /* not read yet: this test is their first use */
  CHECK(!__atomic_load_n(&lib->op[WASM_IOP_BR_F64_NGT_I].ready, __ATOMIC_ACQUIRE));
  for (int i = 0; i < N; i++) CHECK(pthread_create(&th[i], NULL, compile_and_run, &r[i]) == 0);
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N; i++) {
    CHECK(r[i].jit > 200);
    CHECK_EQ_I64(r[i].wrong, 0);
  }
  CHECK(wasm_st_op(lib, WASM_IOP_BR_F64_NGT_I)->usable);
}

int main(void) {
  /* The interpreter's own tier only: what is compared is the stencil
   * tier against the interpreter, not the native tier. */
  tova_set_tier(TOVA_TIER_INTERP);
  if (!wasm_stencil_available()) {
    printf("test_stencil: the stencil object could not be read\n");
    return 1;
  }
  ex = tova_exec_new(0);
  RUN(test_library);
  RUN(test_reloc);
  RUN(test_layout_check);
  RUN(test_concurrent_first_use);
  RUN(test_same_as_interpreter);
  RUN(test_float_compares);
  RUN(test_bit_tests);
  RUN(test_interrupt);
  RUN(test_tiered_call_counters);
  tova_exec_free(ex);
  return CHECK_DONE();
}

#else

int main(void) {
  printf("test_stencil: no stencil tier in this build (Linux or macOS on x86-64 or AArch64, with clang)\n");
  return CHECK_DONE();
}

#endif
