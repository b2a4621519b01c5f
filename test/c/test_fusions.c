/*
 * test_fusions.c: every fusion of the compiler fires where it should (its op
 * appears in the dump of the compiled body, printed by the op definitions of
 * src/engine/iops.h) and computes what the unfused instructions compute
 * (expected values are written here in C from the spec's definitions).
 * A fusion that silently stopped firing would not break any result test;
 * this one would fail. The differential fuzzer (test/diff) checks the same
 * forms on random programs.
 */
#include "check.h"
#include "engine/compile.h"
#include "engine/module.h"
#include "test_interp_builder.h"

static tova_exec *ex;

typedef struct fusion_case {
  const char *name;
  const char *op;    /* must appear in the dump (a whole word) */
  const char *absent; /* must not appear (NULL: no such rule) */
} fusion_case;

/* The dump of defined function `def` of t's module. */
static char *dump_of(inst_t *t, uint32_t def) {
  FILE *f = tmpfile();
  if (!f) return NULL;
  wasm_code_dump(t->module->func_defs[def].code, f);
  long n = ftell(f);
  rewind(f);
  char *s = calloc(1, (size_t)n + 2);
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = 0;
  fclose(f);
  return s;
}

/* Is word (an op name, maybe with its first operand: "I32_ADD d=2") in the
 * dump as a whole instruction name? Ops are printed as " NAME" followed by a
 * space or a newline. */
static bool has_op(const char *dump, const char *word) {
  size_t n = strlen(word);
  for (const char *p = dump; (p = strstr(p, word)) != NULL; p++)
    if (p > dump && p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n')) return true;
  return false;
}

static uint64_t call(inst_t *t, const char *name, uint64_t a, uint64_t b) {
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

#define OP(b, o) e_op((b), WASM_OP_##o)

int main(void) {
  /* These tests read the interpreter's code: keep it interpreted whatever
   * TOVA_TIER says (the native tier replaces a compiled body). */
  tova_set_tier(TOVA_TIER_INTERP);
  /* ... and as the compiler left it: the stencil tier writes JIT_AT over
   * the instructions it compiled (stencil/stencil.h). */
  setenv("TOVA_STENCIL", "off", 1);
  ex = tova_exec_new(0);
  mod m = {0};
  uint32_t t2 = mod_type(&m, "ii", "i"), t2l = mod_type(&m, "II", "I"), t1 = mod_type(&m, "i", "i");
  mod_memory(&m, 1, 1);
  static const uint8_t bytes[8] = {0, 5, 0, 7, 1, 0, 0, 0};
  mod_data(&m, 0, bytes, 8);
  static const fusion_case cases[] = {
      {"shift_add", "I32_ADD_SHL", NULL},
      {"shift_xor64", "I64_XOR_SHR_U", NULL},
      {"cmp_br_imm", "BR_I32_LT_S_I", "I32_LT_S_I"},
      {"cmp_br_slot", "BR_I32_LT_U", "I32_LT_U"},
      {"load_eqz", "LD8U_EQZ", "I32_EQZ"},
      {"br_ld8u_nez", "BR_LD8U_NEZ", "I32_LOAD8_U"},
      {"br_ld8u_eqz", "BR_LD8U_EQZ", "LD8U_EQZ"},
      {"br_ld32_nez", "BR_LD32_NEZ", "I32_LOAD"},
      {"br_ld32_eqz", "BR_LD32_EQZ", "I32_EQZ"},
      {"loop_addi_imm", "ADDI_BR_I32_LT_S_I", NULL},
      {"loop_addi_slot", "ADDI_BR_I32_LT_S", NULL},
      {"loop_add_slot", "ADD_BR_I32_LT_S_I", NULL},
      {"countdown", "ADDI_BR_NEZ", NULL},
      {"sieve_addi", "ST8I_ADDI_BR_I32_LT_U", NULL},
      {"sieve_add", "ST8I_ADD_BR_I32_LT_U", NULL},
      {"acc_step", "ADD32_ADDI_BR_I32_LT_S", NULL},
      {"recurse", "CALL_ADDI32", NULL},
      {"div_imm", "I32_DIV_U_I", "I32_DIV_U"},
      {"store_imm", "I32_STORE8_I", "I32_STORE8"},
      {"set_fused", "I32_ADD d=2", "COPY"},
      /* the head's exit test, and at the back edge the step fused with the
       * inverted test (jumping past the head): checked below */
      {"while_head", "BR_I32_GE_S_I", NULL},
      {"loop64", "ADDI_BR_I64_LT_S_I", NULL},
  };
  enum { NCASES = sizeof cases / sizeof cases[0] };
  wb b = {0};
#define FUNC(type, locals, i) \
  (mod_func(&m, (type), (locals), &b, cases[i].name), wb_free(&b))
  /* 0 shift_add(x, y) = x + (y << 2) */
  e_get(&b, 0), e_get(&b, 1), e_i32(&b, 2), OP(&b, I32_SHL), OP(&b, I32_ADD);
  FUNC(t2, "", 0);
  /* 1 shift_xor64(x, y) = x ^ (y >>u 7) */
  e_get(&b, 0), e_get(&b, 1), e_i64(&b, 7), OP(&b, I64_SHR_U), OP(&b, I64_XOR);
  FUNC(t2l, "", 1);
  /* 2 cmp_br_imm(x) = x < 10 ? 1 : 2 */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_get(&b, 0), e_i32(&b, 10), OP(&b, I32_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  e_i32(&b, 2), OP(&b, RETURN);
  OP(&b, END), e_i32(&b, 1);
  FUNC(t2, "", 2);
  /* 3 cmp_br_slot(x, y) = x <u y ? 1 : 2 */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_get(&b, 0), e_get(&b, 1), OP(&b, I32_LT_U), e_opu(&b, WASM_OP_BR_IF, 0);
  e_i32(&b, 2), OP(&b, RETURN);
  OP(&b, END), e_i32(&b, 1);
  FUNC(t2, "", 3);
  /* 4 load_eqz(x) = mem[x] == 0 */
  e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 0), OP(&b, I32_EQZ);
  FUNC(t2, "", 4);
  /* 5..8: block { cond; br_if 0; return 2 } return 1, the condition a load
   * (or its eqz): the branch tests memory directly */
  {
    static const uint8_t lds[4] = {WASM_OP_I32_LOAD8_U, WASM_OP_I32_LOAD8_U, WASM_OP_I32_LOAD,
                                   WASM_OP_I32_LOAD};
    for (int k = 0; k < 4; k++) {
      e_block(&b, WASM_OP_BLOCK, 0);
      e_get(&b, 0), e_mem(&b, lds[k], lds[k] == WASM_OP_I32_LOAD ? 2 : 0, 0);
      if (k & 1) OP(&b, I32_EQZ);
      e_opu(&b, WASM_OP_BR_IF, 0), e_i32(&b, 2), OP(&b, RETURN);
      OP(&b, END), e_i32(&b, 1);
      FUNC(t2, "", 5 + k);
    }
  }
  /* 9 loop_addi_imm(x): do x += 3 while x < 100; return x */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_i32(&b, 3), OP(&b, I32_ADD), e_set(&b, 0);
  e_get(&b, 0), e_i32(&b, 100), OP(&b, I32_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 0);
  FUNC(t2, "", 9);
  /* 10 loop_addi_slot(x, y): do x += 3 while x < y; return x */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_i32(&b, 3), OP(&b, I32_ADD), e_set(&b, 0);
  e_get(&b, 0), e_get(&b, 1), OP(&b, I32_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 0);
  FUNC(t2, "", 10);
  /* 11 loop_add_slot(x, y): do x += y while x < 1000; return x */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_get(&b, 1), OP(&b, I32_ADD), e_set(&b, 0);
  e_get(&b, 0), e_i32(&b, 1000), OP(&b, I32_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 0);
  FUNC(t2, "", 11);
  /* 12 countdown(x, y): do { y += 2 } while (--x); return y */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1), e_i32(&b, 2), OP(&b, I32_ADD), e_set(&b, 1);
  e_get(&b, 0), e_i32(&b, -1), OP(&b, I32_ADD), e_tee(&b, 0), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 1);
  FUNC(t2, "", 12);
  /* 13 sieve_addi(x, y): do { mem[x + 16] = 1; x += 3 } while x <u y; return x */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_i32(&b, 1), e_mem(&b, WASM_OP_I32_STORE8, 0, 16);
  e_get(&b, 0), e_i32(&b, 3), OP(&b, I32_ADD), e_set(&b, 0);
  e_get(&b, 0), e_get(&b, 1), OP(&b, I32_LT_U), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 0);
  FUNC(t2, "", 13);
  /* 14 sieve_add(x, y): s = 5; do { mem[x + 16] = 1; x += s } while x <u y; return x */
  e_i32(&b, 5), e_set(&b, 2);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_i32(&b, 1), e_mem(&b, WASM_OP_I32_STORE8, 0, 16);
  e_get(&b, 0), e_get(&b, 2), OP(&b, I32_ADD), e_set(&b, 0);
  e_get(&b, 0), e_get(&b, 1), OP(&b, I32_LT_U), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 0);
  FUNC(t2, "i", 14);
  /* 15 acc_step(x, y): i = 0, acc = 0; do { acc += x; i += 1 } while i < y; return acc */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 3), e_get(&b, 0), OP(&b, I32_ADD), e_set(&b, 3);
  e_get(&b, 2), e_i32(&b, 1), OP(&b, I32_ADD), e_set(&b, 2);
  e_get(&b, 2), e_get(&b, 1), OP(&b, I32_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 3);
  FUNC(t2, "ii", 15);
  /* 16 recurse(n) = n <= 0 ? 0 : recurse(n - 1) + n */
  {
    uint32_t self = m.nimport_funcs + m.nfunc;
    e_get(&b, 0), e_i32(&b, 0), OP(&b, I32_LE_S);
    e_block(&b, WASM_OP_IF, 'i'), e_i32(&b, 0), OP(&b, ELSE);
    e_get(&b, 0), e_i32(&b, 1), OP(&b, I32_SUB), e_opu(&b, WASM_OP_CALL, self);
    e_get(&b, 0), OP(&b, I32_ADD), OP(&b, END);
    FUNC(t1, "", 16);
  }
  /* 17 div_imm(x) = x /u 7 */
  e_get(&b, 0), e_i32(&b, 7), OP(&b, I32_DIV_U);
  FUNC(t2, "", 17);
  /* 18 store_imm(x): mem[x + 32] = 0x1ff (8 bits kept); return mem[x + 32] */
  e_get(&b, 0), e_i32(&b, 0x1ff), e_mem(&b, WASM_OP_I32_STORE8, 0, 32);
  e_get(&b, 0), e_mem(&b, WASM_OP_I32_LOAD8_U, 0, 32);
  FUNC(t2, "", 18);
  /* 19 set_fused(x, y): l2 = x + y; return l2 * 3 */
  e_get(&b, 0), e_get(&b, 1), OP(&b, I32_ADD), e_set(&b, 2);
  e_get(&b, 2), e_i32(&b, 3), OP(&b, I32_MUL);
  FUNC(t2, "i", 19);
  /* 20 while_head(x): while (x < 50) x += 7; return x */
  e_block(&b, WASM_OP_BLOCK, 0), e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_i32(&b, 50), OP(&b, I32_GE_S), e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 0), e_i32(&b, 7), OP(&b, I32_ADD), e_set(&b, 0);
  e_opu(&b, WASM_OP_BR, 0);
  OP(&b, END), OP(&b, END), e_get(&b, 0);
  FUNC(t2, "", 20);
  /* 21 loop64(x, y): do x += 5 while x < 1000 (i64); return x */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0), e_i64(&b, 5), OP(&b, I64_ADD), e_set(&b, 0);
  e_get(&b, 0), e_i64(&b, 1000), OP(&b, I64_LT_S), e_opu(&b, WASM_OP_BR_IF, 0);
  OP(&b, END), e_get(&b, 0);
  FUNC(t2l, "", 21);
#undef FUNC

  inst_t t;
  tova_error err = {0};
  CHECK(inst_make(&t, &m, NULL, 0, &err));
  if (!t.inst) {
    fprintf(stderr, "%s\n", err.message);
    inst_free(&t);
    tova_exec_free(ex);
    return CHECK_DONE();
  }
  for (uint32_t i = 0; i < NCASES; i++) {
    char *d = dump_of(&t, i);
    CHECK(d != NULL);
    if (!d) continue;
    bool ok = has_op(d, cases[i].op) && (!cases[i].absent || !has_op(d, cases[i].absent));
    if (!strcmp(cases[i].name, "while_head")) ok = ok && has_op(d, "ADDI_BR_I32_LT_S_I");
    if (!ok) {
      fprintf(stderr, "%s: expected %s%s%s in:\n%s", cases[i].name, cases[i].op,
              cases[i].absent ? " and no " : "", cases[i].absent ? cases[i].absent : "", d);
      CHECK(0);
    }
    free(d);
  }
  /* results: what the unfused instructions compute */
  CHECK_EQ_I64((uint32_t)call(&t, "shift_add", 5, 0x40000003u), (uint32_t)(5 + (0x40000003u << 2)));
  CHECK_EQ_I64(call(&t, "shift_xor64", 0x1234, 0x8000000000000080u),
               (int64_t)(0x1234 ^ (0x8000000000000080u >> 7)));
  CHECK_EQ_I64(call(&t, "cmp_br_imm", 9, 0), 1);
  CHECK_EQ_I64(call(&t, "cmp_br_imm", 10, 0), 2);
  CHECK_EQ_I64(call(&t, "cmp_br_imm", (uint32_t)-5, 0), 1);
  CHECK_EQ_I64(call(&t, "cmp_br_slot", 3, 4), 1);
  CHECK_EQ_I64(call(&t, "cmp_br_slot", (uint32_t)-1, 4), 2);
  for (uint32_t x = 0; x < 4; x++) {
    uint32_t w = (uint32_t)bytes[x] | (uint32_t)bytes[x + 1] << 8 | (uint32_t)bytes[x + 2] << 16 |
                 (uint32_t)bytes[x + 3] << 24;
    CHECK_EQ_I64(call(&t, "load_eqz", x, 0), bytes[x] == 0);
    CHECK_EQ_I64(call(&t, "br_ld8u_nez", x, 0), bytes[x] ? 1 : 2);
    CHECK_EQ_I64(call(&t, "br_ld8u_eqz", x, 0), bytes[x] == 0 ? 1 : 2);
    CHECK_EQ_I64(call(&t, "br_ld32_nez", x, 0), w ? 1 : 2);
    CHECK_EQ_I64(call(&t, "br_ld32_eqz", x, 0), w == 0 ? 1 : 2);
  }
  CHECK_EQ_I64(call(&t, "loop_addi_imm", 1, 0), 100); /* 1 + 3k >= 100: 100 */
  CHECK_EQ_I64(call(&t, "loop_addi_slot", 0, 10), 12);
  CHECK_EQ_I64(call(&t, "loop_addi_slot", 50, 10), 53); /* do-while: one step */
  CHECK_EQ_I64(call(&t, "loop_add_slot", 0, 300), 1200);
  CHECK_EQ_I64(call(&t, "countdown", 5, 1), 11);
  CHECK_EQ_I64(call(&t, "sieve_addi", 0, 20), 21);
  CHECK_EQ_I64(call(&t, "store_imm", 0, 0), 0xff); /* address 32; sieve wrote 16..36 step 3 */
  CHECK_EQ_I64(call(&t, "sieve_add", 1, 30), 31);
  CHECK_EQ_I64(call(&t, "acc_step", 7, 6), 42);
  CHECK_EQ_I64(call(&t, "recurse", 100, 0), 5050);
  CHECK_EQ_I64(call(&t, "div_imm", 100, 0), 14);
  CHECK_EQ_I64(call(&t, "set_fused", 4, 5), 27);
  CHECK_EQ_I64(call(&t, "while_head", 0, 0), 56);
  CHECK_EQ_I64(call(&t, "while_head", 60, 0), 60);
  CHECK_EQ_I64(call(&t, "loop64", (uint64_t)-20, 0), 1000);
  /* the sieves' stores: bytes 16, 19, ..., 34 (x = 0, step 3) and 17, 22, 27, 32, ... */
  {
    tova_extern ext;
    CHECK(tova_instance_export(t.inst, "mem", &ext) == TOVA_OK);
    uint64_t size = 0;
    uint8_t *mem = tova_memory_data(ext.of.memory, &size);
    CHECK(size >= 64);
    CHECK_EQ_I64(mem[16], 1);
    CHECK_EQ_I64(mem[18], 0);
    CHECK_EQ_I64(mem[19], 1);
    CHECK_EQ_I64(mem[17], 1); /* sieve_add from 1: 17, 22, 27, 32 (then store_imm: 0xff) */
    CHECK_EQ_I64(mem[22], 1);
  }
  inst_free(&t);
  tova_exec_free(ex);
  return CHECK_DONE();
}
