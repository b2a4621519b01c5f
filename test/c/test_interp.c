/*
 * test_interp.c: the compiler + interpreter on small hand-assembled modules.
 *
 * Expected values come from the WebAssembly spec's definitions (two's
 * complement wrap-around, IEEE 754 with round-to-nearest-even, the trap
 * messages of the spec test suite), never from running this engine.
 */
#include <math.h>
#include <pthread.h>
#include <time.h>

#include "check.h"
#include "test_interp_builder.h"

static tova_exec *ex;

static tova_status call(inst_t *t, const char *name, const tova_val *args, tova_val *res,
                        tova_error *err) {
  tova_func *f = inst_func(t, name);
  if (!f) {
    fprintf(stderr, "no export %s\n", name);
    return TOVA_ERR_NOT_FOUND;
  }
  return tova_exec_call(ex, f, args, res, err);
}

/* Call a one-result function and return its raw result (0 on failure, with a CHECK). */
static uint64_t call_ok(inst_t *t, const char *name, uint64_t a, uint64_t b) {
  tova_val args[2] = {{.raw = a}, {.raw = b}}, res[2] = {{0}};
  tova_error err = {0};
  tova_status st = call(t, name, args, res, &err);
  if (st != TOVA_OK) {
    fprintf(stderr, "%s: unexpected status %d (%s)\n", name, st, err.message);
    CHECK(st == TOVA_OK);
  }
  return res[0].raw;
}

static void expect_trap(inst_t *t, const char *name, uint64_t a, uint64_t b, const char *msg) {
  tova_val args[2] = {{.raw = a}, {.raw = b}}, res[2] = {{0}};
  tova_error err = {0};
  tova_status st = call(t, name, args, res, &err);
  CHECK_EQ_I64(st, TOVA_ERR_TRAP);
  if (strcmp(err.message, msg) != 0) {
    fprintf(stderr, "%s: trap message \"%s\", expected \"%s\"\n", name, err.message, msg);
    CHECK(0);
  }
}

/* A module of binary functions (x, y) -> r over `type` letters, one per op. */
typedef struct binop {
  const char *name;
  uint8_t op;
} binop;

static void add_binops(mod *m, const char *params, const char *result, const binop *ops,
                       size_t n) {
  uint32_t ty = mod_type(m, params, result);
  for (size_t i = 0; i < n; i++) {
    wb b = {0};
    e_get(&b, 0);
    e_get(&b, 1);
    e_op(&b, ops[i].op);
    mod_func(m, ty, "", &b, ops[i].name);
    wb_free(&b);
  }
}

static uint64_t u32(int32_t v) { return (uint32_t)v; }

static void test_i32_arith(void) {
  static const binop ops[] = {
      {"add", WASM_OP_I32_ADD},     {"sub", WASM_OP_I32_SUB},     {"mul", WASM_OP_I32_MUL},
      {"div_s", WASM_OP_I32_DIV_S}, {"div_u", WASM_OP_I32_DIV_U}, {"rem_s", WASM_OP_I32_REM_S},
      {"rem_u", WASM_OP_I32_REM_U}, {"and", WASM_OP_I32_AND},     {"or", WASM_OP_I32_OR},
      {"xor", WASM_OP_I32_XOR},     {"shl", WASM_OP_I32_SHL},     {"shr_s", WASM_OP_I32_SHR_S},
      {"shr_u", WASM_OP_I32_SHR_U}, {"rotl", WASM_OP_I32_ROTL},   {"rotr", WASM_OP_I32_ROTR},
      {"lt_s", WASM_OP_I32_LT_S},   {"lt_u", WASM_OP_I32_LT_U},   {"ge_s", WASM_OP_I32_GE_S},
      {"eq", WASM_OP_I32_EQ}};
  mod m = {0};
  add_binops(&m, "ii", "i", ops, sizeof ops / sizeof ops[0]);
  /* Constant right operands take the fused immediate path. */
  uint32_t t1 = mod_type(&m, "i", "i");
  wb b = {0};
  e_get(&b, 0);
  e_i32(&b, -5);
  e_op(&b, WASM_OP_I32_SUB);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_SHL);
  mod_func(&m, t1, "", &b, "imm"); /* (x - -5) << 3 */
  wb_free(&b);
  e_i32(&b, 100);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_SUB);
  mod_func(&m, t1, "", &b, "const_left"); /* 100 - x */
  wb_free(&b);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_CLZ);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_CTZ);
  e_i32(&b, 8);
  e_op(&b, WASM_OP_I32_SHL);
  e_op(&b, WASM_OP_I32_OR);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_POPCNT);
  e_i32(&b, 16);
  e_op(&b, WASM_OP_I32_SHL);
  e_op(&b, WASM_OP_I32_OR);
  mod_func(&m, t1, "", &b, "bits"); /* clz | ctz << 8 | popcnt << 16 */
  wb_free(&b);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_EXTEND8_S);
  mod_func(&m, t1, "", &b, "ext8");
  wb_free(&b);

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  CHECK_EQ_I64(call_ok(&t, "add", 0x7fffffff, 1) & 0xffffffff, 0x80000000);
  CHECK_EQ_I64((int32_t)call_ok(&t, "sub", 1, 3), -2);
  CHECK_EQ_I64((int32_t)call_ok(&t, "mul", 0x10000, 0x10001), 0x10000);
  CHECK_EQ_I64((int32_t)call_ok(&t, "div_s", u32(-7), 2), -3);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "div_u", u32(-1), 2), 0x7fffffff);
  CHECK_EQ_I64((int32_t)call_ok(&t, "rem_s", u32(-7), 2), -1);
  CHECK_EQ_I64((int32_t)call_ok(&t, "rem_s", u32(INT32_MIN), u32(-1)), 0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "rem_u", u32(-1), 10), 5);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "and", 0xff00ff, 0x0ff0f0), 0x0f00f0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "or", 0xf0, 0x0f), 0xff);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "xor", 0xff, 0x0f), 0xf0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "shl", 1, 33), 2);
  CHECK_EQ_I64((int32_t)call_ok(&t, "shr_s", u32(-8), 1), -4);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "shr_u", u32(-8), 1), 0x7ffffffc);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "rotl", 0x80000001, 1), 3);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "rotr", 3, 1), 0x80000001);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "rotl", 0x12345678, 32), 0x12345678);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "lt_s", u32(-1), 0), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "lt_u", u32(-1), 0), 0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "ge_s", 5, 5), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "eq", 5, 6), 0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "imm", 1, 0), 48);
  CHECK_EQ_I64((int32_t)call_ok(&t, "const_left", 30, 0), 70);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "bits", 0x00f0, 0), 24 | 4 << 8 | 4 << 16);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "bits", 0, 0), 32 | 32 << 8);
  CHECK_EQ_I64((int32_t)call_ok(&t, "ext8", 0x180, 0), -128);
  expect_trap(&t, "div_s", 1, 0, "integer divide by zero");
  expect_trap(&t, "div_u", 1, 0, "integer divide by zero");
  expect_trap(&t, "rem_s", 1, 0, "integer divide by zero");
  expect_trap(&t, "rem_u", 1, 0, "integer divide by zero");
  expect_trap(&t, "div_s", u32(INT32_MIN), u32(-1), "integer overflow");
  inst_free(&t);
}

static void test_i64_arith(void) {
  static const binop ops[] = {
      {"add", WASM_OP_I64_ADD},     {"sub", WASM_OP_I64_SUB},     {"mul", WASM_OP_I64_MUL},
      {"div_s", WASM_OP_I64_DIV_S}, {"div_u", WASM_OP_I64_DIV_U}, {"rem_s", WASM_OP_I64_REM_S},
      {"rem_u", WASM_OP_I64_REM_U}, {"shl", WASM_OP_I64_SHL},     {"shr_s", WASM_OP_I64_SHR_S},
      {"rotr", WASM_OP_I64_ROTR}};
  static const binop cmps[] = {{"lt_s", WASM_OP_I64_LT_S}, {"gt_u", WASM_OP_I64_GT_U}};
  mod m = {0};
  add_binops(&m, "II", "I", ops, sizeof ops / sizeof ops[0]);
  add_binops(&m, "II", "i", cmps, 2);
  uint32_t t1 = mod_type(&m, "i", "I");
  wb b = {0};
  e_get(&b, 0);
  e_op(&b, WASM_OP_I64_EXTEND_I32_S);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I64_EXTEND_I32_U);
  e_op(&b, WASM_OP_I64_ADD);
  mod_func(&m, t1, "", &b, "ext"); /* sext(x) + zext(x) */
  wb_free(&b);
  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  CHECK(call_ok(&t, "add", INT64_MAX, 1) == (uint64_t)INT64_MIN);
  CHECK_EQ_I64(call_ok(&t, "mul", 0x100000000ull, 0x100000001ull), 0x100000000ll);
  CHECK_EQ_I64(call_ok(&t, "div_s", (uint64_t)-7, 2), -3);
  CHECK(call_ok(&t, "div_u", (uint64_t)-1, 2) == (uint64_t)INT64_MAX);
  CHECK_EQ_I64(call_ok(&t, "rem_s", (uint64_t)INT64_MIN, (uint64_t)-1), 0);
  CHECK_EQ_I64(call_ok(&t, "rem_u", 17, 5), 2);
  CHECK_EQ_I64(call_ok(&t, "shl", 1, 65), 2);
  CHECK_EQ_I64(call_ok(&t, "shr_s", (uint64_t)-16, 2), -4);
  CHECK(call_ok(&t, "rotr", 1, 1) == 0x8000000000000000ull);
  CHECK_EQ_I64(call_ok(&t, "lt_s", (uint64_t)-1, 0), 1);
  CHECK_EQ_I64(call_ok(&t, "gt_u", (uint64_t)-1, 0), 1);
  CHECK_EQ_I64(call_ok(&t, "ext", 0xffffffff, 0), 0xfffffffe);
  expect_trap(&t, "div_s", 1, 0, "integer divide by zero");
  expect_trap(&t, "rem_u", 1, 0, "integer divide by zero");
  expect_trap(&t, "div_s", (uint64_t)INT64_MIN, (uint64_t)-1, "integer overflow");
  inst_free(&t);
}

static uint64_t f32b(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static uint64_t f64b(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static void test_floats(void) {
  static const binop f32ops[] = {{"f32.min", WASM_OP_F32_MIN},
                                 {"f32.max", WASM_OP_F32_MAX},
                                 {"f32.add", WASM_OP_F32_ADD},
                                 {"f32.copysign", WASM_OP_F32_COPYSIGN}};
  static const binop f64ops[] = {{"f64.min", WASM_OP_F64_MIN}, {"f64.max", WASM_OP_F64_MAX}};
  mod m = {0};
  add_binops(&m, "ff", "f", f32ops, 4);
  add_binops(&m, "FF", "F", f64ops, 2);
  struct {
    const char *name, *param, *result;
    uint8_t op;
    int fc;
  } un[] = {
      {"f32.nearest", "f", "f", WASM_OP_F32_NEAREST, -1},
      {"f64.nearest", "F", "F", WASM_OP_F64_NEAREST, -1},
      {"f32.neg", "f", "f", WASM_OP_F32_NEG, -1},
      {"f64.abs", "F", "F", WASM_OP_F64_ABS, -1},
      {"f32.sqrt", "f", "f", WASM_OP_F32_SQRT, -1},
      {"f64.ceil", "F", "F", WASM_OP_F64_CEIL, -1},
      {"f32.floor", "f", "f", WASM_OP_F32_FLOOR, -1},
      {"f64.trunc", "F", "F", WASM_OP_F64_TRUNC, -1},
      {"i32.trunc_f32_s", "f", "i", WASM_OP_I32_TRUNC_F32_S, -1},
      {"i32.trunc_f64_s", "F", "i", WASM_OP_I32_TRUNC_F64_S, -1},
      {"i32.trunc_f64_u", "F", "i", WASM_OP_I32_TRUNC_F64_U, -1},
      {"i64.trunc_f64_u", "F", "I", WASM_OP_I64_TRUNC_F64_U, -1},
      {"i64.trunc_f32_s", "f", "I", WASM_OP_I64_TRUNC_F32_S, -1},
      {"i32.trunc_sat_f32_s", "f", "i", 0, WASM_FC_I32_TRUNC_SAT_F32_S},
      {"i64.trunc_sat_f64_u", "F", "I", 0, WASM_FC_I64_TRUNC_SAT_F64_U},
      {"f32.convert_i64_u", "I", "f", WASM_OP_F32_CONVERT_I64_U, -1},
      {"f64.convert_i64_u", "I", "F", WASM_OP_F64_CONVERT_I64_U, -1},
      {"f32.convert_i32_u", "i", "f", WASM_OP_F32_CONVERT_I32_U, -1},
      {"f32.demote_f64", "F", "f", WASM_OP_F32_DEMOTE_F64, -1},
      {"f64.promote_f32", "f", "F", WASM_OP_F64_PROMOTE_F32, -1},
      {"i32.reinterpret_f32", "f", "i", WASM_OP_I32_REINTERPRET_F32, -1},
  };
  for (size_t i = 0; i < sizeof un / sizeof un[0]; i++) {
    uint32_t ty = mod_type(&m, un[i].param, un[i].result);
    wb b = {0};
    e_get(&b, 0);
    if (un[i].fc >= 0) e_fc(&b, (uint32_t)un[i].fc);
    else e_op(&b, un[i].op);
    mod_func(&m, ty, "", &b, un[i].name);
    wb_free(&b);
  }
  /* x * y + z must round twice (no FMA). */
  uint32_t ty = mod_type(&m, "FFF", "F");
  wb b = {0};
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_F64_MUL);
  e_get(&b, 2);
  e_op(&b, WASM_OP_F64_ADD);
  mod_func(&m, ty, "", &b, "muladd");
  wb_free(&b);

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  CHECK_EQ_I64(call_ok(&t, "f32.min", f32b(0.0f), f32b(-0.0f)) & 0xffffffff, 0x80000000);
  CHECK_EQ_I64(call_ok(&t, "f32.min", f32b(-0.0f), f32b(0.0f)) & 0xffffffff, 0x80000000);
  CHECK_EQ_I64(call_ok(&t, "f32.max", f32b(-0.0f), f32b(0.0f)) & 0xffffffff, 0);
  CHECK_EQ_I64(call_ok(&t, "f64.max", f64b(0.0), f64b(-0.0)), 0);
  CHECK(call_ok(&t, "f64.min", f64b(-0.0), f64b(0.0)) == 0x8000000000000000ull);
  uint32_t r = (uint32_t)call_ok(&t, "f32.min", 0x7fc00000, f32b(1.0f));
  CHECK((r & 0x7f800000) == 0x7f800000 && (r & 0x007fffff) != 0); /* a NaN */
  r = (uint32_t)call_ok(&t, "f32.max", f32b(1.0f), 0x7fa00000); /* signalling NaN in */
  CHECK((r & 0x7fc00000) == 0x7fc00000);                        /* quiet NaN out */
  CHECK_EQ_I64(call_ok(&t, "f32.add", f32b(16777216.0f), f32b(1.0f)), f32b(16777216.0f));
  CHECK_EQ_I64(call_ok(&t, "f32.copysign", 0x7fc00001, f32b(-1.0f)) & 0xffffffff, 0xffc00001);
  CHECK_EQ_I64(call_ok(&t, "f32.nearest", f32b(2.5f), 0), f32b(2.0f));
  CHECK_EQ_I64(call_ok(&t, "f32.nearest", f32b(3.5f), 0), f32b(4.0f));
  CHECK_EQ_I64(call_ok(&t, "f32.nearest", f32b(-0.5f), 0), f32b(-0.0f));
  CHECK_EQ_I64(call_ok(&t, "f32.nearest", f32b(8388609.0f), 0), f32b(8388609.0f));
  CHECK_EQ_I64(call_ok(&t, "f64.nearest", f64b(4.5), 0), f64b(4.0));
  CHECK_EQ_I64(call_ok(&t, "f64.nearest", f64b(-1.5), 0), f64b(-2.0));
  CHECK_EQ_I64(call_ok(&t, "f32.neg", 0x7fc00000, 0) & 0xffffffff, 0xffc00000);
  CHECK_EQ_I64(call_ok(&t, "f64.abs", 0xfff0000000000001ull, 0), 0x7ff0000000000001ll);
  CHECK_EQ_I64(call_ok(&t, "f32.sqrt", f32b(2.0f), 0), f32b(1.41421353816986083984375f));
  CHECK_EQ_I64(call_ok(&t, "f64.ceil", f64b(-0.5), 0), f64b(-0.0));
  CHECK_EQ_I64(call_ok(&t, "f32.floor", f32b(-1.5f), 0), f32b(-2.0f));
  CHECK_EQ_I64(call_ok(&t, "f64.trunc", f64b(-1.9), 0), f64b(-1.0));
  CHECK_EQ_I64((int32_t)call_ok(&t, "i32.trunc_f32_s", f32b(-2147483648.0f), 0), INT32_MIN);
  CHECK_EQ_I64((int32_t)call_ok(&t, "i32.trunc_f64_s", f64b(-2147483648.9), 0), INT32_MIN);
  CHECK_EQ_I64((int32_t)call_ok(&t, "i32.trunc_f64_u", f64b(-0.9), 0), 0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "i32.trunc_f64_u", f64b(4294967295.9), 0), 0xffffffff);
  expect_trap(&t, "i32.trunc_f32_s", 0x7fc00000, 0, "invalid conversion to integer");
  expect_trap(&t, "i32.trunc_f32_s", f32b(2147483648.0f), 0, "integer overflow");
  expect_trap(&t, "i32.trunc_f64_s", f64b(-2147483649.0), 0, "integer overflow");
  expect_trap(&t, "i32.trunc_f64_u", f64b(-1.0), 0, "integer overflow");
  expect_trap(&t, "i64.trunc_f64_u", f64b(18446744073709551616.0), 0, "integer overflow");
  expect_trap(&t, "i64.trunc_f32_s", f32b(9223372036854775808.0f), 0, "integer overflow");
  CHECK(call_ok(&t, "i64.trunc_f64_u", f64b(18446744073709549568.0), 0) ==
        18446744073709549568ull);
  CHECK_EQ_I64(call_ok(&t, "i64.trunc_f32_s", f32b(-9223372036854775808.0f), 0), INT64_MIN);
  CHECK_EQ_I64((int32_t)call_ok(&t, "i32.trunc_sat_f32_s", 0x7fc00000, 0), 0);
  CHECK_EQ_I64((int32_t)call_ok(&t, "i32.trunc_sat_f32_s", f32b(-1e10f), 0), INT32_MIN);
  CHECK_EQ_I64((int32_t)call_ok(&t, "i32.trunc_sat_f32_s", f32b(1e10f), 0), INT32_MAX);
  CHECK(call_ok(&t, "i64.trunc_sat_f64_u", f64b(1e30), 0) == UINT64_MAX);
  CHECK_EQ_I64(call_ok(&t, "i64.trunc_sat_f64_u", f64b(-5.0), 0), 0);
  /* 0x8000008000000001 is just above the halfway point between two floats. */
  CHECK_EQ_I64(call_ok(&t, "f32.convert_i64_u", 0x8000008000000001ull, 0), 0x5f000001);
  CHECK_EQ_I64(call_ok(&t, "f32.convert_i64_u", UINT64_MAX, 0), 0x5f800000);
  CHECK_EQ_I64(call_ok(&t, "f64.convert_i64_u", UINT64_MAX, 0), 0x43f0000000000000ll);
  CHECK_EQ_I64(call_ok(&t, "f32.convert_i32_u", 0xffffffff, 0), 0x4f800000);
  CHECK_EQ_I64(call_ok(&t, "f32.demote_f64", f64b(1.0 + 0x1p-24), 0), f32b(1.0f));
  CHECK_EQ_I64(call_ok(&t, "f64.promote_f32", f32b(0.1f), 0), f64b((double)0.1f));
  CHECK_EQ_I64(call_ok(&t, "i32.reinterpret_f32", f32b(-0.0f), 0) & 0xffffffff, 0x80000000);
  /* 0.1*10 - 1: fused would give 2^-54 (5.55e-17); separately rounded gives 0. */
  tova_val a3[3] = {{.f64_bits = f64b(0.1)}, {.f64_bits = f64b(10.0)}, {.f64_bits = f64b(-1.0)}};
  tova_val r1;
  CHECK(call(&t, "muladd", a3, &r1, &err) == TOVA_OK);
  CHECK_EQ_I64(r1.f64_bits, f64b(0.0));
  inst_free(&t);
}

/* Control flow: br_table, loops, multi-value blocks, if/else, select, locals. */
static void test_control(void) {
  mod m = {0};
  uint32_t t_ii = mod_type(&m, "i", "i");
  uint32_t t_iii = mod_type(&m, "ii", "i");
  uint32_t t_pair = mod_type(&m, "i", "ii"); /* multi-value block type */
  uint32_t t_three = mod_type(&m, "i", "iIi");
  wb b = {0};

  /* br_table over 3 cases + default: returns 10, 20, 30, 99 */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_BLOCK, 0);
  e_get(&b, 0);
  wb_byte(&b, WASM_OP_BR_TABLE);
  wb_u(&b, 3);
  wb_u(&b, 0);
  wb_u(&b, 1);
  wb_u(&b, 2);
  wb_u(&b, 3);
  e_op(&b, WASM_OP_END);
  e_i32(&b, 10);
  e_op(&b, WASM_OP_RETURN);
  e_op(&b, WASM_OP_END);
  e_i32(&b, 20);
  e_op(&b, WASM_OP_RETURN);
  e_op(&b, WASM_OP_END);
  e_i32(&b, 30);
  e_op(&b, WASM_OP_RETURN);
  e_op(&b, WASM_OP_END);
  e_i32(&b, 99);
  mod_func(&m, t_ii, "", &b, "switch");
  wb_free(&b);

  /* br_table carrying a value to blocks at different heights */
  e_block(&b, WASM_OP_BLOCK, 'i');
  e_i32(&b, 7); /* extra value below: the target heights differ */
  e_block(&b, WASM_OP_BLOCK, 'i');
  e_i32(&b, 5);
  e_get(&b, 0);
  wb_byte(&b, WASM_OP_BR_TABLE);
  wb_u(&b, 1);
  wb_u(&b, 0);
  wb_u(&b, 1);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_I32_ADD); /* 5 + 7 */
  e_op(&b, WASM_OP_END);
  mod_func(&m, t_ii, "", &b, "brtable_value"); /* 0 -> 12, else 5 */
  wb_free(&b);

  /* sum of 1..n with a loop (local 1 = acc) */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_EQZ);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 1);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_tee(&b, 0);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 1);
  mod_func(&m, t_ii, "i", &b, "sum");
  wb_free(&b);

  /* Pending local reads: push x, then overwrite x; the pushed value must be the old x.
   * (x, y) -> old_x * 1000 + new_x where new_x = y */
  e_get(&b, 0);
  e_get(&b, 1);
  e_set(&b, 0);
  e_i32(&b, 1000);
  e_op(&b, WASM_OP_I32_MUL);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t_iii, "", &b, "pending");
  wb_free(&b);

  /* Same with tee of a computed value: x + (x = x*2) */
  e_get(&b, 0);
  e_get(&b, 0);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_MUL);
  e_tee(&b, 0);
  e_op(&b, WASM_OP_I32_ADD);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_ADD); /* x + 2x + 2x */
  mod_func(&m, t_ii, "", &b, "tee");
  wb_free(&b);

  /* Multi-value block with parameters: (x) -> block (param i32) (result i32 i32) dup ... */
  e_get(&b, 0);
  e_block(&b, WASM_OP_BLOCK, 1000 + (int)t_pair);
  e_tee(&b, 1);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_I32_SUB); /* x - (x + 1) = -1 */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_MUL); /* -x */
  mod_func(&m, t_ii, "i", &b, "multi");
  wb_free(&b);

  /* if/else with result, using a fused compare */
  e_get(&b, 0);
  e_i32(&b, 10);
  e_op(&b, WASM_OP_I32_LT_S);
  e_block(&b, WASM_OP_IF, 'i');
  e_i32(&b, 1);
  e_op(&b, WASM_OP_ELSE);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_END);
  mod_func(&m, t_ii, "", &b, "if");
  wb_free(&b);

  /* select */
  e_get(&b, 0);
  e_get(&b, 1);
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_GT_U);
  e_op(&b, WASM_OP_SELECT);
  mod_func(&m, t_iii, "", &b, "max_u");
  wb_free(&b);

  /* a function with three results, and a caller combining them */
  uint32_t three;
  e_get(&b, 0);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I64_EXTEND_I32_S);
  e_i64(&b, 1000000000000ll);
  e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 0);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_ADD);
  three = mod_func(&m, t_three, "", &b, "three");
  wb_free(&b);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, three);
  e_op(&b, WASM_OP_DROP);         /* x, x*1e12 */
  e_op(&b, WASM_OP_I32_WRAP_I64); /* x, low32(x*1e12) */
  e_op(&b, WASM_OP_DROP);
  e_i32(&b, 7);
  e_op(&b, WASM_OP_I32_MUL);
  mod_func(&m, t_ii, "", &b, "use_three"); /* x * 7 */
  wb_free(&b);

  /* br out of nested blocks with a value while other values sit below */
  e_i32(&b, 1);
  e_block(&b, WASM_OP_BLOCK, 'i');
  e_i32(&b, 2);
  e_block(&b, WASM_OP_BLOCK, 'i');
  e_i32(&b, 3);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_BR_IF, 1); /* if x: leave the outer block with x */
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_I32_ADD); /* 2 + 3 */
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_I32_ADD); /* 1 + (x or 5) */
  mod_func(&m, t_ii, "", &b, "br_value");
  wb_free(&b);

  /* while loop: i = 0; while (!(i >= n)) { acc += i; i = i + 1 } (head test + step fusion) */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_GE_S);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 2);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 1);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(&m, t_ii, "ii", &b, "while_sum");
  wb_free(&b);

  /* i64 count-down by 3 while i > 0, counting iterations */
  e_get(&b, 0);
  e_op(&b, WASM_OP_I64_EXTEND_I32_S);
  e_set(&b, 1);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 2);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_get(&b, 1);
  e_i64(&b, 3);
  e_op(&b, WASM_OP_I64_SUB);
  e_tee(&b, 1);
  e_i64(&b, 0);
  e_op(&b, WASM_OP_I64_GT_S);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(&m, t_ii, "Ii", &b, "countdown64");
  wb_free(&b);

  /* step by 2 until i == n (ne against a local), and an unsigned bound */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_ADD);
  e_tee(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_NE);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 1);
  mod_func(&m, t_ii, "i", &b, "step_ne");
  wb_free(&b);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_tee(&b, 0);
  e_i32(&b, 5);
  e_op(&b, WASM_OP_I32_LT_U);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  mod_func(&m, t_ii, "", &b, "step_lt_u");
  wb_free(&b);

  /* strided while loops: j = 0; while (j < n) { count++; j += step } (head test
   * + a register-operand step), and the same against the constant 100 */
  for (int konst = 0; konst < 2; konst++) {
    e_block(&b, WASM_OP_BLOCK, 0);
    e_block(&b, WASM_OP_LOOP, 0);
    e_get(&b, 2);
    if (konst) e_i32(&b, 100);
    else e_get(&b, 0);
    e_op(&b, WASM_OP_I32_GE_S);
    e_opu(&b, WASM_OP_BR_IF, 1);
    e_get(&b, 3);
    e_i32(&b, 1);
    e_op(&b, WASM_OP_I32_ADD);
    e_set(&b, 3);
    e_get(&b, 2);
    e_get(&b, 1);
    e_op(&b, WASM_OP_I32_ADD);
    e_set(&b, 2);
    e_opu(&b, WASM_OP_BR, 0);
    e_op(&b, WASM_OP_END);
    e_op(&b, WASM_OP_END);
    e_get(&b, 3);
    mod_func(&m, t_iii, "ii", &b, konst ? "stride100" : "stride");
    wb_free(&b);
  }

  /* iterative fib over i64: a, b = b, a + b while i < n (the seed's loop shape) */
  uint32_t t_II = mod_type(&m, "I", "I");
  e_i64(&b, 1);
  e_set(&b, 2);
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 3);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I64_GE_S);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 1);
  e_get(&b, 2);
  e_op(&b, WASM_OP_I64_ADD);
  e_get(&b, 2);
  e_set(&b, 1);
  e_set(&b, 2);
  e_get(&b, 3);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_ADD);
  e_set(&b, 3);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 1);
  mod_func(&m, t_II, "III", &b, "fib_iter");
  wb_free(&b);

  /* unreachable */
  e_op(&b, WASM_OP_UNREACHABLE);
  mod_func(&m, t_ii, "", &b, "unreachable");
  wb_free(&b);

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  CHECK_EQ_I64(call_ok(&t, "switch", 0, 0), 10);
  CHECK_EQ_I64(call_ok(&t, "switch", 1, 0), 20);
  CHECK_EQ_I64(call_ok(&t, "switch", 2, 0), 30);
  CHECK_EQ_I64(call_ok(&t, "switch", 3, 0), 99);
  CHECK_EQ_I64(call_ok(&t, "switch", 0xffffffff, 0), 99);
  CHECK_EQ_I64(call_ok(&t, "brtable_value", 0, 0), 12);
  CHECK_EQ_I64(call_ok(&t, "brtable_value", 1, 0), 5);
  CHECK_EQ_I64(call_ok(&t, "brtable_value", 9, 0), 5);
  CHECK_EQ_I64(call_ok(&t, "sum", 100, 0), 5050);
  CHECK_EQ_I64(call_ok(&t, "sum", 0, 0), 0);
  CHECK_EQ_I64(call_ok(&t, "pending", 3, 4), 3004);
  CHECK_EQ_I64(call_ok(&t, "tee", 5, 0), 25);
  CHECK_EQ_I64((int32_t)call_ok(&t, "multi", 6, 0), -6);
  CHECK_EQ_I64(call_ok(&t, "if", 3, 0), 1);
  CHECK_EQ_I64(call_ok(&t, "if", 30, 0), 2);
  CHECK_EQ_I64(call_ok(&t, "max_u", 3, 0xfffffff0), 0xfffffff0);
  CHECK_EQ_I64(call_ok(&t, "max_u", 9, 2), 9);
  CHECK_EQ_I64(call_ok(&t, "use_three", 6, 0), 42);
  CHECK_EQ_I64(call_ok(&t, "br_value", 0, 0), 6);
  CHECK_EQ_I64(call_ok(&t, "br_value", 10, 0), 4);
  CHECK_EQ_I64(call_ok(&t, "while_sum", 100, 0), 4950);
  CHECK_EQ_I64(call_ok(&t, "while_sum", 0, 0), 0);
  CHECK_EQ_I64(call_ok(&t, "while_sum", u32(-5), 0), 0);
  CHECK_EQ_I64(call_ok(&t, "countdown64", 10, 0), 4);
  CHECK_EQ_I64(call_ok(&t, "countdown64", 9, 0), 3);
  CHECK_EQ_I64(call_ok(&t, "countdown64", u32(-1), 0), 1);
  CHECK_EQ_I64(call_ok(&t, "step_ne", 10, 0), 10);
  CHECK_EQ_I64(call_ok(&t, "stride", 10, 3), 4);
  CHECK_EQ_I64(call_ok(&t, "stride", 9, 3), 3);
  CHECK_EQ_I64(call_ok(&t, "stride", 0, 3), 0);
  CHECK_EQ_I64(call_ok(&t, "stride100", 0, 7), 15);
  CHECK_EQ_I64(call_ok(&t, "fib_iter", 10, 0), 55);
  CHECK_EQ_I64(call_ok(&t, "fib_iter", 0, 0), 0);
  CHECK_EQ_I64(call_ok(&t, "fib_iter", 90, 0), 2880067194370816120ll);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "step_lt_u", 0xfffffff0, 0), 0xfffffff1);
  CHECK_EQ_I64(call_ok(&t, "step_lt_u", 1, 0), 5);
  tova_val arg = {.i32 = 5}, res[3];
  CHECK(call(&t, "three", &arg, res, &err) == TOVA_OK);
  CHECK_EQ_I64(res[0].i32, 5);
  CHECK_EQ_I64(res[1].i64, 5000000000000ll);
  CHECK_EQ_I64(res[2].i32, 8);
  expect_trap(&t, "unreachable", 0, 0, "unreachable");
  inst_free(&t);
}

/* fib over i64, recursion depth, call_indirect. */
static void test_calls(void) {
  mod m = {0};
  uint32_t t_II = mod_type(&m, "I", "I");
  uint32_t t_ii = mod_type(&m, "i", "i");
  uint32_t t_iii = mod_type(&m, "ii", "i");
  uint32_t t_v = mod_type(&m, "", "");
  wb b = {0};
  /* fib(n) = n < 2 ? n : fib(n-1) + fib(n-2) */
  e_fib_i64(&b, 0);
  mod_func(&m, t_II, "", &b, "fib"); /* func 0 */
  wb_free(&b);
  /* runaway recursion */
  e_opu(&b, WASM_OP_CALL, 1);
  mod_func(&m, t_v, "", &b, "runaway"); /* func 1 */
  wb_free(&b);
  /* table entries: double, square, and a wrong-typed function */
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
  /* dispatch(i, x) = table[i](x) */
  e_get(&b, 1);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL_INDIRECT, t_ii);
  wb_byte(&b, 0);
  mod_func(&m, t_iii, "", &b, "dispatch");
  wb_free(&b);
  /* deep but finite recursion: depth(n) = n == 0 ? 0 : 1 + depth(n - 1) */
  e_rec_i32(&b, m.nfunc, false);
  mod_func(&m, t_ii, "", &b, "depth");
  wb_free(&b);
  mod_table(&m, 5);
  uint32_t elems[3] = {f_double, f_square, f_wrong};
  mod_elem(&m, 0, 3, elems); /* slots 3, 4 stay null */

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  CHECK_EQ_I64(call_ok(&t, "fib", 25, 0), 75025);
  CHECK_EQ_I64(call_ok(&t, "fib", 1, 0), 1);
  CHECK_EQ_I64(call_ok(&t, "dispatch", 0, 21), 42);
  CHECK_EQ_I64(call_ok(&t, "dispatch", 1, 9), 81);
  CHECK_EQ_I64(call_ok(&t, "depth", 1000, 0), 1000);
  expect_trap(&t, "dispatch", 2, 1, "indirect call type mismatch");
  expect_trap(&t, "dispatch", 3, 1, "uninitialized element 3");
  expect_trap(&t, "dispatch", 5, 1, "undefined element 5");
  expect_trap(&t, "dispatch", 0xffffffff, 1, "undefined element 4294967295");
  expect_trap(&t, "runaway", 0, 0, "call stack exhausted");
  /* the exec is reusable after a trap */
  CHECK_EQ_I64(call_ok(&t, "fib", 10, 0), 55);
  inst_free(&t);
}

static void test_memory(void) {
  mod m = {0};
  uint32_t t_ii = mod_type(&m, "i", "i");
  uint32_t t_iiv = mod_type(&m, "ii", "");
  uint32_t t_iI = mod_type(&m, "i", "I");
  uint32_t t_iii_v = mod_type(&m, "iii", "");
  mod_memory(&m, 1, 3);
  wb b = {0};
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  mod_func(&m, t_ii, "", &b, "load");
  wb_free(&b);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD8_S, 0, 1);
  mod_func(&m, t_ii, "", &b, "load8_s_off1");
  wb_free(&b);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I64_LOAD16_U, 0, 0);
  mod_func(&m, t_iI, "", &b, "load16_u64");
  wb_free(&b);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 0, 0xfffffff0u);
  mod_func(&m, t_ii, "", &b, "load_bigoff");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_mem(&b, WASM_OP_I32_STORE, 2, 0);
  mod_func(&m, t_iiv, "", &b, "store");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_mem(&b, WASM_OP_I32_STORE8, 0, 0);
  mod_func(&m, t_iiv, "", &b, "store8");
  wb_free(&b);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_MEMORY_GROW, 0);
  mod_func(&m, t_ii, "", &b, "grow");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_get(&b, 2);
  e_fc(&b, WASM_FC_MEMORY_FILL);
  wb_byte(&b, 0);
  mod_func(&m, t_iii_v, "", &b, "fill");
  wb_free(&b);
  e_get(&b, 0);
  e_get(&b, 1);
  e_get(&b, 2);
  e_fc(&b, WASM_FC_MEMORY_COPY);
  wb_byte(&b, 0);
  wb_byte(&b, 0);
  mod_func(&m, t_iii_v, "", &b, "copy");
  wb_free(&b);
  /* stores of constants (the store-immediate forms), each a different width */
  uint32_t t_iv = mod_type(&m, "i", "");
  e_get(&b, 0);
  e_i64(&b, 0x1122334455667788ll);
  e_mem(&b, WASM_OP_I64_STORE32, 2, 0);
  e_get(&b, 0);
  e_i32(&b, (int32_t)0xabcd1234);
  e_mem(&b, WASM_OP_I32_STORE16, 1, 4);
  e_get(&b, 0);
  e_i64(&b, 0x1ff);
  e_mem(&b, WASM_OP_I64_STORE8, 0, 6);
  e_get(&b, 0);
  e_f64(&b, 1.0);
  e_mem(&b, WASM_OP_F64_STORE, 3, 8);
  e_get(&b, 0);
  e_i32(&b, 7);
  e_mem(&b, WASM_OP_I32_STORE, 2, 16);
  mod_func(&m, t_iv, "", &b, "store_consts");
  wb_free(&b);
  /* loads consumed by a branch (load-test fusion): count zero bytes in [0, n) */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_GE_U);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 1);
  e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 0);
  e_get(&b, 2);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_op(&b, WASM_OP_END);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 1);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(&m, t_ii, "ii", &b, "count_zero8");
  wb_free(&b);
  /* first 4-byte word at or after x that is nonzero (i32.load; br_if) */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 0);
  e_i32(&b, 4);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  mod_func(&m, t_ii, "", &b, "find_nz32");
  wb_free(&b);
  static const uint8_t init[4] = {0x11, 0x22, 0x33, 0x84};
  mod_data(&m, 100, init, 4);

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  CHECK_EQ_I64(call_ok(&t, "load", 100, 0), 0x84332211);
  CHECK_EQ_I64(call_ok(&t, "count_zero8", 200, 0), 196); /* 4 data bytes at 100 */
  CHECK_EQ_I64(call_ok(&t, "count_zero8", 100, 0), 100);
  CHECK_EQ_I64(call_ok(&t, "find_nz32", 0, 0), 100);
  CHECK_EQ_I64(call_ok(&t, "find_nz32", 98, 0), 98); /* bytes 100, 101 inside */
  expect_trap(&t, "find_nz32", 104, 0, "out of bounds memory access");
  CHECK_EQ_I64((int32_t)call_ok(&t, "load8_s_off1", 102, 0), -124);
  CHECK_EQ_I64(call_ok(&t, "load16_u64", 102, 0), 0x8433);
  call_ok(&t, "store", 65532, 0xdeadbeef);
  CHECK_EQ_I64(call_ok(&t, "load", 65532, 0), 0xdeadbeef);
  expect_trap(&t, "load", 65533, 0, "out of bounds memory access");
  expect_trap(&t, "load", 0xffffffff, 0, "out of bounds memory access");
  expect_trap(&t, "load_bigoff", 0x20, 0, "out of bounds memory access");
  expect_trap(&t, "store", 65536, 1, "out of bounds memory access");
  expect_trap(&t, "store8", 65536, 1, "out of bounds memory access");
  call_ok(&t, "store8", 65535, 0x1ff);
  CHECK_EQ_I64(call_ok(&t, "grow", 1, 0), 1);
  CHECK_EQ_I64(call_ok(&t, "load", 65535, 0), 0xff); /* now in bounds */
  CHECK_EQ_I64(call_ok(&t, "grow", 5, 0), 0xffffffff); /* over max: refused */
  CHECK_EQ_I64(call_ok(&t, "grow", 0, 0), 2);
  call_ok(&t, "store_consts", 1000, 0);
  CHECK_EQ_I64(call_ok(&t, "load", 1000, 0), 0x55667788);
  CHECK_EQ_I64(call_ok(&t, "load", 1004, 0), 0x00ff1234);
  CHECK_EQ_I64(call_ok(&t, "load", 1008, 0), 0);
  CHECK_EQ_I64(call_ok(&t, "load", 1012, 0), 0x3ff00000);
  CHECK_EQ_I64(call_ok(&t, "load", 1016, 0), 7);
  expect_trap(&t, "store_consts", 131060, 0, "out of bounds memory access");
  tova_val a3[3] = {{.i32 = 200}, {.i32 = 0xab}, {.i32 = 4}};
  CHECK(call(&t, "fill", a3, NULL, &err) == TOVA_OK);
  CHECK_EQ_I64(call_ok(&t, "load", 200, 0), 0xabababab);
  tova_val c3[3] = {{.i32 = 201}, {.i32 = 100}, {.i32 = 4}};
  CHECK(call(&t, "copy", c3, NULL, &err) == TOVA_OK);
  CHECK_EQ_I64(call_ok(&t, "load", 200, 0), 0x332211ab);
  tova_val bad[3] = {{.i32 = 131070}, {.i32 = 0}, {.i32 = 3}};
  CHECK(call(&t, "fill", bad, NULL, &err) == TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(err.message, "out of bounds memory access");
  tova_val bad2[3] = {{.i32 = 0}, {.i32 = 131071}, {.i32 = 2}};
  CHECK(call(&t, "copy", bad2, NULL, &err) == TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(err.message, "out of bounds memory access");
  tova_val ok0[3] = {{.i32 = 131072}, {.i32 = 0}, {.i32 = 0}};
  CHECK(call(&t, "fill", ok0, NULL, &err) == TOVA_OK); /* n = 0 at the end is fine */
  inst_free(&t);
}

/* Forms the compiler fuses: division by a constant (only when it cannot trap;
 * 0 and -1 must still trap / behave as the spec says) and a shift by a
 * constant feeding add/sub/and/or/xor (shift on either side; sub must keep
 * its operand order). Expected values are the spec's integer semantics. */
typedef struct fused_case {
  const char *name;
  bool w64;
  int shape; /* 0: x OP k; 1: y OP (x SH k); 2: (x SH k) OP y; 3: y OP (x SH k) OP2 done into a local */
  uint8_t op, sh;
  int64_t k;
} fused_case;

static void test_fused_forms(void) {
  static const fused_case cases[] = {
      {"div_s7", false, 0, WASM_OP_I32_DIV_S, 0, 7},
      {"div_u7", false, 0, WASM_OP_I32_DIV_U, 0, 7},
      {"rem_s7", false, 0, WASM_OP_I32_REM_S, 0, -7},
      {"rem_u7", false, 0, WASM_OP_I32_REM_U, 0, 7},
      {"rem_s_m1", false, 0, WASM_OP_I32_REM_S, 0, -1},
      {"div_s_m1", false, 0, WASM_OP_I32_DIV_S, 0, -1},
      {"div_u0", false, 0, WASM_OP_I32_DIV_U, 0, 0},
      {"div_u_m1", false, 0, WASM_OP_I32_DIV_U, 0, -1},
      {"d64_s", true, 0, WASM_OP_I64_DIV_S, 0, -3},
      {"r64_u", true, 0, WASM_OP_I64_REM_U, 0, 1000003},
      {"r64_s_m1", true, 0, WASM_OP_I64_REM_S, 0, -1},
      {"d64_s_m1", true, 0, WASM_OP_I64_DIV_S, 0, -1},
      {"r64_u0", true, 0, WASM_OP_I64_REM_U, 0, 0},
      {"xor_shru", false, 1, WASM_OP_I32_XOR, WASM_OP_I32_SHR_U, 3},
      {"add_shrs_l", false, 2, WASM_OP_I32_ADD, WASM_OP_I32_SHR_S, 13},
      {"sub_shl", false, 1, WASM_OP_I32_SUB, WASM_OP_I32_SHL, 4},
      {"sub_shl_l", false, 2, WASM_OP_I32_SUB, WASM_OP_I32_SHL, 4},
      {"and_shl33", false, 1, WASM_OP_I32_AND, WASM_OP_I32_SHL, 33},
      {"or64_shru", true, 1, WASM_OP_I64_OR, WASM_OP_I64_SHR_U, 60},
      {"sub64_shrs_l", true, 2, WASM_OP_I64_SUB, WASM_OP_I64_SHR_S, 7},
      {"xor64_shl", true, 3, WASM_OP_I64_XOR, WASM_OP_I64_SHL, 17},
  };
  mod m = {0};
  uint32_t t32 = mod_type(&m, "ii", "i"), t64 = mod_type(&m, "II", "I");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const fused_case *fc = &cases[i];
    wb b = {0};
#define K(b_) (fc->w64 ? e_i64((b_), fc->k) : e_i32((b_), (int32_t)fc->k))
    if (fc->shape == 0) {
      e_get(&b, 0);
      K(&b);
      e_op(&b, fc->op);
    } else if (fc->shape == 1) {
      e_get(&b, 1);
      e_get(&b, 0);
      K(&b);
      e_op(&b, fc->sh);
      e_op(&b, fc->op);
    } else if (fc->shape == 2) {
      e_get(&b, 0);
      K(&b);
      e_op(&b, fc->sh);
      e_get(&b, 1);
      e_op(&b, fc->op);
    } else { /* y = y OP (x SH k); y = y OP (y SH k); return y: the local is both input and output */
      e_get(&b, 1);
      e_get(&b, 0);
      K(&b);
      e_op(&b, fc->sh);
      e_op(&b, fc->op);
      e_set(&b, 1);
      e_get(&b, 1);
      e_get(&b, 1);
      K(&b);
      e_op(&b, fc->sh);
      e_op(&b, fc->op);
      e_set(&b, 1);
      e_get(&b, 1);
    }
#undef K
    mod_func(&m, fc->w64 ? t64 : t32, "", &b, fc->name);
    wb_free(&b);
  }
  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  CHECK_EQ_I64((int32_t)call_ok(&t, "div_s7", u32(-50), 0), -7);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "div_u7", u32(-50), 0), 0xffffffceu / 7);
  CHECK_EQ_I64((int32_t)call_ok(&t, "rem_s7", u32(-50), 0), -1);
  CHECK_EQ_I64((int32_t)call_ok(&t, "rem_s7", u32(INT32_MIN), 0), -2);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "rem_u7", 50, 0), 1);
  CHECK_EQ_I64((int32_t)call_ok(&t, "rem_s_m1", u32(INT32_MIN), 0), 0);
  CHECK_EQ_I64((int32_t)call_ok(&t, "div_s_m1", 5, 0), -5);
  expect_trap(&t, "div_s_m1", u32(INT32_MIN), 0, "integer overflow");
  expect_trap(&t, "div_u0", 5, 0, "integer divide by zero");
  CHECK_EQ_I64((uint32_t)call_ok(&t, "div_u_m1", u32(-1), 0), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "div_u_m1", u32(-2), 0), 0);
  CHECK_EQ_I64((int64_t)call_ok(&t, "d64_s", (uint64_t)INT64_MIN, 0), INT64_MIN / -3);
  CHECK_EQ_I64((int64_t)call_ok(&t, "r64_u", UINT64_MAX, 0), (int64_t)(UINT64_MAX % 1000003u));
  CHECK_EQ_I64((int64_t)call_ok(&t, "r64_s_m1", (uint64_t)INT64_MIN, 0), 0);
  expect_trap(&t, "d64_s_m1", (uint64_t)INT64_MIN, 0, "integer overflow");
  expect_trap(&t, "r64_u0", 5, 0, "integer divide by zero");
  /* shifted operands: x = first argument, y = second */
  CHECK_EQ_I64((uint32_t)call_ok(&t, "xor_shru", 0xf0000008u, 0x0f), 0x0f ^ (0xf0000008u >> 3));
  CHECK_EQ_I64((uint32_t)call_ok(&t, "add_shrs_l", 0x80000000u, 5), (uint32_t)(0xfffc0000u + 5));
  CHECK_EQ_I64((uint32_t)call_ok(&t, "sub_shl", 0x10000001u, 100), (uint32_t)(100 - 0x10u));
  CHECK_EQ_I64((uint32_t)call_ok(&t, "sub_shl_l", 0x10000001u, 100), (uint32_t)(0x10u - 100));
  CHECK_EQ_I64((uint32_t)call_ok(&t, "and_shl33", 0x3, 0xffffffffu), 0x6);
  CHECK_EQ_I64((int64_t)call_ok(&t, "or64_shru", 0xa000000000000000u, 0x100), 0x10a);
  CHECK_EQ_I64((int64_t)call_ok(&t, "sub64_shrs_l", (uint64_t)INT64_MIN, 1),
               (int64_t)(0xff00000000000000u - 1));
  {
    uint64_t x = 0x123456789abcdefu, y = 0xfedcba9876543210u;
    y ^= x << 17;
    y ^= y << 17;
    CHECK_EQ_I64((int64_t)call_ok(&t, "xor64_shl", 0x123456789abcdefu, 0xfedcba9876543210u),
                 (int64_t)y);
  }
  inst_free(&t);
}

static uint64_t call3(inst_t *t, const char *name, uint64_t a, uint64_t b, uint64_t c,
                      tova_status *st, tova_error *err) {
  tova_val args[3] = {{.raw = a}, {.raw = b}, {.raw = c}}, res[1] = {{0}};
  *st = call(t, name, args, res, err);
  return res[0].raw;
}

/* Loop bodies that fuse a memory access with the loop step (store8 of a
 * constant + j += step + compare-and-branch; eqz(load8_u) + acc += ... +
 * i += 1 + compare-and-branch): results, exits, wrap-around and the
 * out-of-bounds trap raised from inside the fused instruction. */
static void test_fused_memory_loops(void) {
  mod m = {0};
  mod_memory(&m, 1, 1);
  uint32_t t3 = mod_type(&m, "iii", "i"), t2 = mod_type(&m, "ii", "i"), t1 = mod_type(&m, "i", "i");
  wb b = {0};
  /* mark(j, step, n): while (j <u n) { mem[j] = 1; j += step; } return j */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_get(&b, 2), e_op(&b, WASM_OP_I32_GE_U), e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 0), e_i32(&b, 1), e_mem(&b, WASM_OP_I32_STORE8, 0, 0);
  e_get(&b, 0), e_get(&b, 1), e_op(&b, WASM_OP_I32_ADD), e_set(&b, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END), e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  mod_func(&m, t3, "", &b, "mark");
  wb_free(&b);
  b = (wb){0};
  /* down(j, n, _): do { mem[j + 2] = 7; j += -1; } while (j >=s n); return j */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_i32(&b, 7), e_mem(&b, WASM_OP_I32_STORE8, 0, 2);
  e_get(&b, 0), e_i32(&b, -1), e_op(&b, WASM_OP_I32_ADD), e_set(&b, 0);
  e_get(&b, 0), e_get(&b, 1), e_op(&b, WASM_OP_I32_GE_S), e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  mod_func(&m, t3, "", &b, "down");
  wb_free(&b);
  b = (wb){0};
  /* zeros(i, n): count = 0; while (i <u n) { count += eqz(mem[i]); i++; } return count */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_get(&b, 1), e_op(&b, WASM_OP_I32_GE_U), e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 2), e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0), e_op(&b, WASM_OP_I32_EQZ);
  e_op(&b, WASM_OP_I32_ADD), e_set(&b, 2);
  e_get(&b, 0), e_i32(&b, 1), e_op(&b, WASM_OP_I32_ADD), e_set(&b, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END), e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(&m, t2, "i", &b, "zeros");
  wb_free(&b);
  b = (wb){0};
  /* iszero(a) = eqz(mem[a + 1]) as a value; isset(a) branches on it */
  e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 1), e_op(&b, WASM_OP_I32_EQZ);
  mod_func(&m, t1, "", &b, "iszero");
  wb_free(&b);
  b = (wb){0};
  e_block(&b, WASM_OP_BLOCK, 0);
  e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0), e_op(&b, WASM_OP_I32_EQZ);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_i32(&b, 1), e_op(&b, WASM_OP_RETURN);
  e_op(&b, WASM_OP_END);
  e_i32(&b, 0);
  mod_func(&m, t1, "", &b, "isset");
  wb_free(&b);
  b = (wb){0};
  e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0);
  mod_func(&m, t1, "", &b, "peek");
  wb_free(&b);

  inst_t t;
  tova_error err = {0};
  tova_status st;
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  /* memory starts zeroed: 0..29 has 30 zero bytes; marking 0,3,..,27 leaves 20 */
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 0, 30), 30);
  CHECK_EQ_I64((uint32_t)call3(&t, "mark", 0, 3, 30, &st, &err), 30);
  CHECK_EQ_I64(st, TOVA_OK);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 0, 30), 20);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "isset", 27, 0), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "isset", 28, 0), 0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "iszero", 26, 0), 0); /* reads mem[27] */
  CHECK_EQ_I64((uint32_t)call_ok(&t, "iszero", 27, 0), 1);
  /* no iteration when j >= n already; empty count range */
  CHECK_EQ_I64((uint32_t)call3(&t, "mark", 50, 1, 10, &st, &err), 50);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 31, 60), 29);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 60, 31), 0);
  /* exit exactly at n, and a step that wraps j past 2^32 (then j <u n fails) */
  CHECK_EQ_I64((uint32_t)call3(&t, "mark", 40, 5, 45, &st, &err), 45);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 40, 46), 5);
  /* j = 1 - 16 wraps to 0xfffffff1, which is not <u 10: one store only */
  CHECK_EQ_I64((uint32_t)call3(&t, "mark", 1, u32(-16), 10, &st, &err), 0xfffffff1u);
  CHECK_EQ_I64(st, TOVA_OK);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "isset", 1, 0), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 0, 8), 4); /* 0, 1, 3, 6 marked */
  /* signed do-while: stores mem[j + 2] = 7 for j = 5..0, exits with j = -1 */
  CHECK_EQ_I64((int32_t)call3(&t, "down", 5, 0, 0, &st, &err), -1);
  CHECK_EQ_I64(st, TOVA_OK);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 0, 8), 0); /* 0, 1 marked, 2..7 = 7 */
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 0, 9), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "iszero", 6, 0), 0); /* mem[7] = 7, mem[8] = 0 */
  CHECK_EQ_I64((uint32_t)call_ok(&t, "iszero", 7, 0), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "peek", 0, 0), 1); /* the stored constants themselves */
  CHECK_EQ_I64((uint32_t)call_ok(&t, "peek", 27, 0), 1);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "peek", 7, 0), 7);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "peek", 2, 0), 7);
  /* out of bounds inside the fused forms: bytes before the page end are written, then trap */
  call3(&t, "mark", 65530, 2, 70000, &st, &err);
  CHECK_EQ_I64(st, TOVA_ERR_TRAP);
  CHECK(strcmp(err.message, "out of bounds memory access") == 0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 65530, 65536), 3);
  call3(&t, "down", 65534, 0, 0, &st, &err); /* first store at 65536 */
  CHECK_EQ_I64(st, TOVA_ERR_TRAP);
  CHECK(strcmp(err.message, "out of bounds memory access") == 0);
  CHECK_EQ_I64((uint32_t)call_ok(&t, "zeros", 65534, 65536), 1); /* 65535 still zero */
  /* j + offset is computed in 64 bits: 0xfffffffe + 2 does not wrap to 0 */
  call3(&t, "down", u32(-2), u32(-10), 0, &st, &err);
  CHECK_EQ_I64(st, TOVA_ERR_TRAP);
  CHECK(strcmp(err.message, "out of bounds memory access") == 0);
  expect_trap(&t, "zeros", 65530, 65537, "out of bounds memory access");
  expect_trap(&t, "zeros", u32(-2), u32(-1), "out of bounds memory access");
  expect_trap(&t, "iszero", 65535, 0, "out of bounds memory access");
  expect_trap(&t, "iszero", u32(-1), 0, "out of bounds memory access");
  expect_trap(&t, "isset", 65536, 0, "out of bounds memory access");
  /* step 0 never leaves the loop: the fused back-edge must still see an interrupt */
  pthread_t th;
  CHECK(pthread_create(&th, NULL, interrupt_later, ex) == 0);
  call3(&t, "mark", 0, 0, 10, &st, &err);
  CHECK_EQ_I64(st, TOVA_ERR_CANCELLED);
  pthread_join(th, NULL);
  tova_exec_clear_interrupt(ex); /* sticky until cleared */
  CHECK_EQ_I64((uint32_t)call_ok(&t, "peek", 0, 0), 1);
  inst_free(&t);
}

int main(void) {
  ex = tova_exec_new(0);
  RUN(test_i32_arith);
  RUN(test_i64_arith);
  RUN(test_floats);
  RUN(test_control);
  RUN(test_calls);
  RUN(test_memory);
  RUN(test_fused_forms);
  RUN(test_fused_memory_loops);
  tova_exec_free(ex);
  return CHECK_DONE();
}
