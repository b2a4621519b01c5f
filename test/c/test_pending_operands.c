/*
 * test_pending_operands.c: the compiler's fused and immediate forms when
 * earlier values are still pending on the operand stack (constants and
 * local.gets the compiler has not written anywhere yet).
 *
 * The bug class (issue 7): a fusion takes its first instruction back and
 * re-emits one combined instruction; if taking an operand from the stack
 * emits code (a pending constant is written to its slot), that code must not
 * be cut away with the instruction taken back. `1 + (2 << 3)` gave 16.
 *
 * Every expected value is computed here in C from the spec's definitions of
 * the operators, never taken from running the engine.
 */
#include "check.h"
#include "test_interp_builder.h"

static tova_exec *ex;

static uint64_t call2(inst_t *t, const char *name, uint64_t a, uint64_t b) {
  tova_func *f = inst_func(t, name);
  CHECK(f != NULL);
  if (!f) return 0;
  tova_val args[2] = {{.raw = a}, {.raw = b}}, res[1] = {{0}};
  tova_error err = {0};
  tova_status st = tova_exec_call(ex, f, args, res, &err);
  if (st != TOVA_OK) fprintf(stderr, "%s: status %d (%s)\n", name, st, err.message);
  CHECK(st == TOVA_OK);
  return res[0].raw;
}

static const uint64_t samples[] = {0, 1, 3, 0xfffffffbu, 0x12345678u, 0x80000000u,
                                   0xfedcba9876543210u, 0x8000000000000001u};
#define NSAMPLES (sizeof samples / sizeof samples[0])

/* ---------------- `K OP (x SHIFT s)` and `(x SHIFT s) OP K'` ---------------- */

enum { OP_ADD, OP_SUB, OP_AND, OP_OR, OP_XOR, NOPS };
enum { SH_SHL, SH_SHR_S, SH_SHR_U, NSH };
static const uint8_t op32[NOPS] = {WASM_OP_I32_ADD, WASM_OP_I32_SUB, WASM_OP_I32_AND,
                                   WASM_OP_I32_OR, WASM_OP_I32_XOR};
static const uint8_t op64[NOPS] = {WASM_OP_I64_ADD, WASM_OP_I64_SUB, WASM_OP_I64_AND,
                                   WASM_OP_I64_OR, WASM_OP_I64_XOR};
static const uint8_t sh32[NSH] = {WASM_OP_I32_SHL, WASM_OP_I32_SHR_S, WASM_OP_I32_SHR_U};
static const uint8_t sh64[NSH] = {WASM_OP_I64_SHL, WASM_OP_I64_SHR_S, WASM_OP_I64_SHR_U};

static uint64_t ref_op(int op, uint64_t a, uint64_t b, bool w64) {
  uint64_t r = 0;
  switch (op) {
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_AND: r = a & b; break;
    case OP_OR: r = a | b; break;
    default: r = a ^ b; break;
  }
  return w64 ? r : (uint32_t)r;
}

/* Shift counts are taken modulo the width (spec: shl/shr by k mod N). */
static uint64_t ref_shift(int sh, uint64_t x, uint64_t k, bool w64) {
  if (w64) {
    k &= 63;
    if (sh == SH_SHL) return x << k;
    if (sh == SH_SHR_U) return x >> k;
    return (uint64_t)((int64_t)x >> k); /* arithmetic on gcc/clang */
  }
  uint32_t v = (uint32_t)x;
  k &= 31;
  if (sh == SH_SHL) return (uint32_t)(v << k);
  if (sh == SH_SHR_U) return v >> k;
  return (uint32_t)((int32_t)v >> k);
}

static void konst(wb *b, bool w64, int64_t k) {
  if (w64) e_i64(b, k);
  else e_i32(b, (int32_t)k);
}

#define K_BELOW 1024    /* a constant pending below the shift */
#define K_SHIFT 2       /* the shift count */
#define K_DEEP 100000   /* a second constant, deeper still */

/* Shapes, each exported as "<shape>_<w>_<op>_<sh>":
 *   below: K_BELOW  x K_SHIFT SH  OP              = K_BELOW OP (x SH k)
 *   both:  K_BELOW  K_DEEP K_SHIFT SH  OP         = K_BELOW OP (K_DEEP SH k) (all constants)
 *   deep:  K_DEEP K_BELOW x K_SHIFT SH OP  add    = K_DEEP + (K_BELOW OP (x SH k))
 *   left:  K_BELOW (x K_SHIFT SH) y OP  add       = K_BELOW + ((x SH k) OP y)
 *   tee:   K_BELOW x K_SHIFT SH OP local.tee 1, y add = 2 * (K_BELOW OP (x SH k)) */
enum { SHAPE_BELOW, SHAPE_BOTH, SHAPE_DEEP, SHAPE_LEFT, SHAPE_TEE, NSHAPES };
static const char *const shape_names[NSHAPES] = {"below", "both", "deep", "left", "tee"};

static void shifted_name(char *out, size_t n, int shape, bool w64, int op, int sh) {
  snprintf(out, n, "%s_%d_%d_%d", shape_names[shape], w64 ? 64 : 32, op, sh);
}

static void add_shifted(mod *m, uint32_t t32, uint32_t t64, int shape, bool w64, int op, int sh) {
  wb b = {0};
  uint8_t o = (w64 ? op64 : op32)[op], s = (w64 ? sh64 : sh32)[sh];
  uint8_t add = w64 ? WASM_OP_I64_ADD : WASM_OP_I32_ADD;
  switch (shape) {
    case SHAPE_BELOW:
      konst(&b, w64, K_BELOW), e_get(&b, 0), konst(&b, w64, K_SHIFT), e_op(&b, s), e_op(&b, o);
      break;
    case SHAPE_BOTH:
      konst(&b, w64, K_BELOW), konst(&b, w64, K_DEEP), konst(&b, w64, K_SHIFT), e_op(&b, s);
      e_op(&b, o);
      break;
    case SHAPE_DEEP:
      konst(&b, w64, K_DEEP), konst(&b, w64, K_BELOW), e_get(&b, 0), konst(&b, w64, K_SHIFT);
      e_op(&b, s), e_op(&b, o), e_op(&b, add);
      break;
    case SHAPE_LEFT:
      konst(&b, w64, K_BELOW), e_get(&b, 0), konst(&b, w64, K_SHIFT), e_op(&b, s);
      e_get(&b, 1), e_op(&b, o), e_op(&b, add);
      break;
    default: /* SHAPE_TEE */
      konst(&b, w64, K_BELOW), e_get(&b, 0), konst(&b, w64, K_SHIFT), e_op(&b, s), e_op(&b, o);
      e_tee(&b, 1), e_get(&b, 1), e_op(&b, add);
      break;
  }
  char name[64];
  shifted_name(name, sizeof name, shape, w64, op, sh);
  mod_func(m, w64 ? t64 : t32, "", &b, name);
  wb_free(&b);
}

static uint64_t ref_shifted(int shape, bool w64, int op, int sh, uint64_t x, uint64_t y) {
  uint64_t mask = w64 ? UINT64_MAX : UINT32_MAX;
  x &= mask, y &= mask;
  switch (shape) {
    case SHAPE_BELOW: return ref_op(op, K_BELOW, ref_shift(sh, x, K_SHIFT, w64), w64);
    case SHAPE_BOTH: return ref_op(op, K_BELOW, ref_shift(sh, K_DEEP, K_SHIFT, w64), w64);
    case SHAPE_DEEP:
      return ref_op(OP_ADD, K_DEEP, ref_op(op, K_BELOW, ref_shift(sh, x, K_SHIFT, w64), w64), w64);
    case SHAPE_LEFT:
      return ref_op(OP_ADD, K_BELOW, ref_op(op, ref_shift(sh, x, K_SHIFT, w64), y, w64), w64);
    default: {
      uint64_t v = ref_op(op, K_BELOW, ref_shift(sh, x, K_SHIFT, w64), w64);
      return ref_op(OP_ADD, v, v, w64);
    }
  }
}

static void test_shift_fold_with_pending_values(void) {
  mod m = {0};
  uint32_t t32 = mod_type(&m, "ii", "i"), t64 = mod_type(&m, "II", "I");
  for (int shape = 0; shape < NSHAPES; shape++)
    for (int w = 0; w < 2; w++)
      for (int op = 0; op < NOPS; op++)
        for (int sh = 0; sh < NSH; sh++) add_shifted(&m, t32, t64, shape, w, op, sh);
  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  int failures = 0;
  for (int shape = 0; shape < NSHAPES; shape++)
    for (int w = 0; w < 2; w++)
      for (int op = 0; op < NOPS; op++)
        for (int sh = 0; sh < NSH; sh++)
          for (size_t i = 0; i < NSAMPLES; i++) {
            char name[64];
            shifted_name(name, sizeof name, shape, w, op, sh);
            uint64_t x = samples[i], y = samples[NSAMPLES - 1 - i];
            uint64_t got = call2(&t, name, x, y), want = ref_shifted(shape, w, op, sh, x, y);
            if (!w) got = (uint32_t)got;
            if (got != want && failures++ < 10)
              fprintf(stderr, "%s(%#" PRIx64 ", %#" PRIx64 ") = %#" PRIx64 ", want %#" PRIx64 "\n",
                      name, x, y, got, want);
          }
  CHECK_EQ_I64(failures, 0);
  inst_free(&t);
}

/* The three programs of the issue, as written there. */
static void test_issue_examples(void) {
  mod m = {0};
  uint32_t t1 = mod_type(&m, "i", "i"), t0 = mod_type(&m, "", "i");
  wb b = {0};
  e_i32(&b, 1024), e_get(&b, 0), e_i32(&b, 2), e_op(&b, WASM_OP_I32_SHL), e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t1, "", &b, "base_plus_index");
  wb_free(&b);
  e_i32(&b, 1), e_i32(&b, 2), e_i32(&b, 3), e_op(&b, WASM_OP_I32_SHL), e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t0, "", &b, "const_add_shl");
  wb_free(&b);
  e_i32(&b, 7), e_i32(&b, 2), e_i32(&b, 3), e_op(&b, WASM_OP_I32_SHR_U), e_op(&b, WASM_OP_I32_SUB);
  mod_func(&m, t0, "", &b, "const_sub_shr_u");
  wb_free(&b);
  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (t.inst) {
    CHECK_EQ_I64((int32_t)call2(&t, "base_plus_index", 3, 0), 1024 + (3 << 2));
    CHECK_EQ_I64((int32_t)call2(&t, "const_add_shl", 0, 0), 1 + (2 << 3));
    CHECK_EQ_I64((int32_t)call2(&t, "const_sub_shr_u", 0, 0), 7 - (2 >> 3));
  }
  inst_free(&t);
}

/* ---------------- the other fusions, with a constant pending below ---------------- */

/* Functions (x, y) -> i32 of memory [x] bytes; memory holds 0, 5, 0, 7 at 0..3. */
static void test_other_fusions_with_pending_values(void) {
  mod m = {0};
  uint32_t t2 = mod_type(&m, "ii", "i");
  uint32_t tcallee = mod_type(&m, "iii", "i");
  mod_memory(&m, 1, 1);
  static const uint8_t bytes[4] = {0, 5, 0, 7};
  mod_data(&m, 0, bytes, 4);
  wb b = {0};
  /* callee(a, b, c) = a * 10000 + b * 100 + c */
  e_get(&b, 0), e_i32(&b, 10000), e_op(&b, WASM_OP_I32_MUL);
  e_get(&b, 1), e_i32(&b, 100), e_op(&b, WASM_OP_I32_MUL), e_op(&b, WASM_OP_I32_ADD);
  e_get(&b, 2), e_op(&b, WASM_OP_I32_ADD);
  uint32_t callee = mod_func(&m, tcallee, "", &b, NULL);
  wb_free(&b);

  /* cmp_br: block (result i32) 5  x 3 lt_s  br_if 0  drop 7 end  + 1000 */
  e_block(&b, WASM_OP_BLOCK, 'i');
  e_i32(&b, 5), e_get(&b, 0), e_i32(&b, 3), e_op(&b, WASM_OP_I32_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_DROP), e_i32(&b, 7);
  e_op(&b, WASM_OP_END);
  e_i32(&b, 1000), e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t2, "", &b, "cmp_br");
  wb_free(&b);

  /* load_eqz: 10  x load8_u  eqz  add */
  e_i32(&b, 10), e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0), e_op(&b, WASM_OP_I32_EQZ);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t2, "", &b, "load_eqz");
  wb_free(&b);

  /* load_br: block (result i32) 20  x load8_u  br_if 0  drop 30 end */
  e_block(&b, WASM_OP_BLOCK, 'i');
  e_i32(&b, 20), e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0), e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_DROP), e_i32(&b, 30);
  e_op(&b, WASM_OP_END);
  mod_func(&m, t2, "", &b, "load_br");
  wb_free(&b);

  /* call_addi: callee(7, y, x + 1): constants and a local pending below the x + 1 */
  e_i32(&b, 7), e_get(&b, 1), e_get(&b, 0), e_i32(&b, 1), e_op(&b, WASM_OP_I32_ADD);
  e_opu(&b, WASM_OP_CALL, callee);
  mod_func(&m, t2, "", &b, "call_addi");
  wb_free(&b);

  /* set_pending: x (x + 1 -> x) x add: the pending local.get keeps the old x */
  e_get(&b, 0), e_get(&b, 0), e_i32(&b, 1), e_op(&b, WASM_OP_I32_ADD), e_set(&b, 0);
  e_get(&b, 0), e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t2, "", &b, "set_pending");
  wb_free(&b);

  /* div_imm: 50  x 7 div_u  sub  (a constant divisor form under a pending constant) */
  e_i32(&b, 50), e_get(&b, 0), e_i32(&b, 7), e_op(&b, WASM_OP_I32_DIV_U), e_op(&b, WASM_OP_I32_SUB);
  mod_func(&m, t2, "", &b, "div_imm");
  wb_free(&b);

  /* sub_imm: 50  x 7 sub  sub (x - k is compiled as x + (-k)) */
  e_i32(&b, 50), e_get(&b, 0), e_i32(&b, 7), e_op(&b, WASM_OP_I32_SUB), e_op(&b, WASM_OP_I32_SUB);
  mod_func(&m, t2, "", &b, "sub_imm");
  wb_free(&b);

  /* store_imm: 40  (x store8 9)  x load8_u  add */
  e_i32(&b, 40), e_get(&b, 0), e_i32(&b, 9), e_mem(&b, WASM_OP_I32_STORE8, 0, 0);
  e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0), e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t2, "", &b, "store_imm");
  wb_free(&b);

  /* loop_step: 300 (i = y; loop: i += 1; br_if i < x) i add: a constant pending over a loop */
  e_i32(&b, 300), e_get(&b, 1), e_set(&b, 2);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 2), e_i32(&b, 1), e_op(&b, WASM_OP_I32_ADD), e_set(&b, 2);
  e_get(&b, 2), e_get(&b, 0), e_op(&b, WASM_OP_I32_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2), e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t2, "i", &b, "loop_step");
  wb_free(&b);

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    return;
  }
  static const uint8_t mem0[4] = {0, 5, 0, 7};
  for (int32_t x = 0; x < 4; x++) {
    CHECK_EQ_I64((int32_t)call2(&t, "cmp_br", (uint32_t)x, 0), (x < 3 ? 5 : 7) + 1000);
    CHECK_EQ_I64((int32_t)call2(&t, "load_eqz", (uint32_t)x, 0), 10 + (mem0[x] == 0));
    CHECK_EQ_I64((int32_t)call2(&t, "load_br", (uint32_t)x, 0), mem0[x] ? 20 : 30);
  }
  CHECK_EQ_I64((int32_t)call2(&t, "call_addi", 4, 3), 7 * 10000 + 3 * 100 + 5);
  CHECK_EQ_I64((int32_t)call2(&t, "set_pending", 20, 0), 20 + 21);
  CHECK_EQ_I64((int32_t)call2(&t, "div_imm", 22, 0), 50 - 22 / 7);
  CHECK_EQ_I64((int32_t)call2(&t, "sub_imm", 22, 0), 50 - (22 - 7));
  CHECK_EQ_I64((int32_t)call2(&t, "store_imm", 100, 0), 40 + 9);
  CHECK_EQ_I64((int32_t)call2(&t, "loop_step", 10, 0), 300 + 10);
  CHECK_EQ_I64((int32_t)call2(&t, "loop_step", 10, 50), 300 + 51); /* do-while: one step */
  inst_free(&t);
}

int main(void) {
  ex = tova_exec_new(0);
  RUN(test_issue_examples);
  RUN(test_shift_fold_with_pending_values);
  RUN(test_other_fusions_with_pending_values);
  tova_exec_free(ex);
  return CHECK_DONE();
}
