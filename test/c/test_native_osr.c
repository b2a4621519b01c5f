/*
 * test_native_osr.c: on-stack replacement (native/osr.c): a call running
 * interpreted moves to native code at a loop header and gives the answer
 * the interpreter gives, whatever the loop's place in the function, its
 * locals' types, a trap, a memory that grows, recursion, and a stop.
 *
 * Most cases run under the test policy WASM_TIER_OSR, where the first pass
 * over any loop header compiles the function's OSR entry and continues
 * there, and compare with the same module compiled under WASM_TIER_INTERP;
 * one runs under the default policy, where a long first call must move to
 * native code while it runs. Without LLVM there is nothing to test.
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
#include "engine/native/tiering.h" /* wasm_native_compile_osr_now */
#include "engine/objects.h"         /* churn's memory */

enum { F_FIB, F_MIX, F_SECOND, F_BELOW, F_DIVTRAP, F_GROW, F_PEEK, F_GROWPEEK, F_SPIN, F_CHURN, F_FIBSUM, F_NEST };
/* churn's multiplier (an LCG's) */
#define CHURN_K 6364136223846793005ULL

static void build(mod *m) {
  uint32_t t_II = mod_type(m, "I", "I"), t_iI = mod_type(m, "i", "I"), t_ii = mod_type(m, "i", "i"),
           t_v = mod_type(m, "", "");
  mod_memory(m, 1, 100);
  wb b = {0};
  /* fib(n: i64) */
  e_fib_i64(&b, F_FIB);
  mod_func(m, t_II, "", &b, "fib");
  wb_free(&b);

  /* mix(n): one loop carrying i32, i64, f32 and f64 locals. */
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_U);
  e_get(&b, 2);
  e_i64(&b, 6364136223846793005LL);
  e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I64_EXTEND_I32_U);
  e_op(&b, WASM_OP_I64_ADD);
  e_set(&b, 2);
  e_get(&b, 3);
  e_f32(&b, 1.5f);
  e_op(&b, WASM_OP_F32_ADD);
  e_set(&b, 3);
  e_get(&b, 4);
  e_f64(&b, 1.000001);
  e_op(&b, WASM_OP_F64_MUL);
  e_f64(&b, 0.25);
  e_op(&b, WASM_OP_F64_ADD);
  e_set(&b, 4);
  e_for_tail(&b, 1);
  e_get(&b, 2);
  e_get(&b, 4);
  e_op(&b, WASM_OP_I64_REINTERPRET_F64);
  e_op(&b, WASM_OP_I64_XOR);
  e_get(&b, 3);
  e_op(&b, WASM_OP_I32_REINTERPRET_F32);
  e_op(&b, WASM_OP_I64_EXTEND_I32_U);
  e_op(&b, WASM_OP_I64_XOR);
  mod_func(m, t_iI, "iIfF", &b, "mix");
  wb_free(&b);

  /* second(n): a loop that runs only when n == -1 (ordinal 0), then the
   * summing loop (ordinal 1): the ordinals of both sides must agree. */
  e_get(&b, 0);
  e_i32(&b, -1);
  e_op(&b, WASM_OP_I32_EQ);
  e_block(&b, WASM_OP_IF, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_tee(&b, 1);
  e_i32(&b, 10);
  e_op(&b, WASM_OP_I32_LT_U);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_S);
  e_get(&b, 2);
  e_get(&b, 1);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_MUL);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_for_tail(&b, 1);
  e_get(&b, 2);
  mod_func(m, t_ii, "ii", &b, "second");
  wb_free(&b);

  /* below(n) = 7 + (a loop with a result, entered with 7 on the stack:
   * no entry there) */
  e_i32(&b, 7);
  e_block(&b, WASM_OP_LOOP, 'i');
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_tee(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_LT_U);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(m, t_ii, "i", &b, "below");
  wb_free(&b);

  /* divtrap(n): acc += 100 / (n - i) for i = 0.. : divides by zero at i == n. */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 2);
  e_i32(&b, 100);
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_op(&b, WASM_OP_I32_DIV_S);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_tee(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_LE_S);
  e_opu(&b, WASM_OP_BR_IF, 0);
  e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(m, t_ii, "ii", &b, "divtrap");
  wb_free(&b);

  /* grow(n): n times, grow the memory a page and store 1000 + i at the new
   * page's start; returns the size in pages. */
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_U);
  e_i32(&b, 1);
  e_opu(&b, WASM_OP_MEMORY_GROW, 0);
  e_op(&b, WASM_OP_DROP);
  e_opu(&b, WASM_OP_MEMORY_SIZE, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_i32(&b, 65536);
  e_op(&b, WASM_OP_I32_MUL);
  e_get(&b, 1);
  e_i32(&b, 1000);
  e_op(&b, WASM_OP_I32_ADD);
  e_mem(&b, WASM_OP_I32_STORE, 2, 0);
  e_for_tail(&b, 1);
  e_opu(&b, WASM_OP_MEMORY_SIZE, 0);
  mod_func(m, t_ii, "i", &b, "grow");
  wb_free(&b);

  /* peek(a) = i32 at a */
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  mod_func(m, t_ii, "", &b, "peek");
  wb_free(&b);

  /* growpeek(n): grow(n), then read the last page here, in a caller with no
   * loop (interpreted even under the OSR policy): its view of the memory
   * must follow what the native code did. */
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL, F_GROW);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SUB);
  e_i32(&b, 65536);
  e_op(&b, WASM_OP_I32_MUL);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  mod_func(m, t_ii, "", &b, "growpeek");
  wb_free(&b);

  /* spin(): loop br 0 */
  e_block(&b, WASM_OP_LOOP, 0);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_v, "", &b, "spin");
  wb_free(&b);

  /* churn(): for (i = 0;; i++) { x = x * K + i; mem64[0] = x; mem64[1] =
   * i + 1; mem64[2] += 1 } never returns; what it stores says whether
   * every iteration ran with the locals of the one before (x and i), and
   * once only (the count in memory: a call taken back to older locals would
   * repeat iterations). Locals: x 0, i 1 (both i64). */
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 0);
  e_i64(&b, (int64_t)CHURN_K);
  e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I64_ADD);
  e_set(&b, 0);
  e_get(&b, 1);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_ADD);
  e_set(&b, 1);
  e_i32(&b, 0);
  e_get(&b, 0);
  e_mem(&b, WASM_OP_I64_STORE, 3, 0);
  e_i32(&b, 0);
  e_get(&b, 1);
  e_mem(&b, WASM_OP_I64_STORE, 3, 8);
  e_i32(&b, 0);
  e_i32(&b, 0);
  e_mem(&b, WASM_OP_I64_LOAD, 3, 16);
  e_i64(&b, 1);
  e_op(&b, WASM_OP_I64_ADD);
  e_mem(&b, WASM_OP_I64_STORE, 3, 16);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  mod_func(m, t_v, "II", &b, "churn");
  wb_free(&b);

  /* fibsum(n) = sum of fib(k) for k < n, plus fibsum(n / 2) when n > 1:
   * the entry calls another function and its own function. */
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_S);
  e_get(&b, 2);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I64_EXTEND_I32_U);
  e_opu(&b, WASM_OP_CALL, F_FIB);
  e_op(&b, WASM_OP_I64_ADD);
  e_set(&b, 2);
  e_for_tail(&b, 1);
  e_get(&b, 2);
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_GT_S);
  e_block(&b, WASM_OP_IF, 'I');
  e_get(&b, 0);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_SHR_U);
  e_opu(&b, WASM_OP_CALL, F_FIBSUM);
  e_op(&b, WASM_OP_ELSE);
  e_i64(&b, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_I64_ADD);
  mod_func(m, t_iI, "iI", &b, "fibsum");
  wb_free(&b);


  /* nest(n) = sum over i in 1..n of sum of j < i, the inner loop's head
   * test (its first instruction) a `br_if` to the outer loop: the counter
   * moves after it (compile.c count_after_head_test), whose branch is then
   * re-aimed at a loop, not patched. Locals: i 1, j 2, acc 3. */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0); /* outer */
  e_get(&b, 1);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_tee(&b, 1);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_GT_S);
  e_opu(&b, WASM_OP_BR_IF, 1);
  e_i32(&b, 0);
  e_set(&b, 2);
  e_block(&b, WASM_OP_LOOP, 0); /* inner */
  e_get(&b, 2);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_GE_S);
  e_opu(&b, WASM_OP_BR_IF, 1); /* continue outer */
  e_get(&b, 3);
  e_get(&b, 2);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 3);
  e_get(&b, 2);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_set(&b, 2);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 3);
  mod_func(m, t_ii, "iii", &b, "nest");
  wb_free(&b);
}

/* npad functions never called, 40 additions each (after build's, so the
 * indices above stay): pad 500 makes the module bigger than
 * WASM_TIER_AUTO_MAX_BYTES. */
/* npad functions of ~160 bytes each after build()'s, and then, when npad
 * > 0, `padsum`(n): a loop over i < n summing every pad function of i (so
 * that what it reaches is npad times that size). */
static void pad(mod *m, uint32_t npad) {
  uint32_t t_ii = mod_type(m, "i", "i");
  wb b = {0};
  for (uint32_t p = 0; p < npad; p++) {
    e_get(&b, 0);
    for (uint32_t k = 0; k < 40; k++) {
      e_i32(&b, (int32_t)(p * 131 + k));
      e_op(&b, k % 3 ? WASM_OP_I32_ADD : WASM_OP_I32_XOR);
    }
    mod_func(m, t_ii, "", &b, NULL);
    wb_free(&b);
  }
  if (!npad) return;
  /* locals: 0 n, 1 i, 2 sum */
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_U);
  for (uint32_t p = 0; p < npad; p++) {
    e_get(&b, 1);
    e_opu(&b, WASM_OP_CALL, F_NEST + 1 + p);
    e_get(&b, 2);
    e_op(&b, WASM_OP_I32_ADD);
    e_set(&b, 2);
  }
  e_for_tail(&b, 1);
  e_get(&b, 2);
  mod_func(m, t_ii, "ii", &b, "padsum");
  wb_free(&b);
}

/* An instance of build() (and npad padding functions) compiled under
 * policy `tier`. */
static bool make_padded(inst_t *t, wasm_tier tier, uint32_t npad) {
  wasm_tier before = wasm_native_tier();
  wasm_native_set_tier(tier);
  mod m = {0};
  build(&m);
  pad(&m, npad);
  tova_error err = {0};
  bool ok = inst_make(t, &m, NULL, 0, &err);
  wasm_native_set_tier(before);
  if (!ok) fprintf(stderr, "instantiate: %s\n", err.message);
  CHECK(ok);
  return ok;
}
static bool make(inst_t *t, wasm_tier tier) { return make_padded(t, tier, 0); }

/* Call name(a): the status, the result in *r, the trap message in msg. */
static tova_status call(tova_exec *ex, inst_t *t, const char *name, uint64_t a, uint64_t *r,
                        char *msg, size_t msglen) {
  tova_val arg = {.raw = a}, res = {0};
  tova_error err = {0};
  tova_func *f = inst_func(t, name);
  CHECK(f != NULL);
  if (!f) return TOVA_ERR_NOT_FOUND;
  tova_status st = tova_exec_call(ex, f, &arg, &res, &err);
  *r = res.raw;
  if (msg) snprintf(msg, msglen, "%s", err.message);
  return st;
}

/* Each case gives the interpreter's status, result and message, and moves
 * to native code where it has a loop it can enter there. */
static void test_same_as_the_interpreter(void) {
  inst_t ti, to;
  if (!make(&ti, WASM_TIER_INTERP) || !make(&to, WASM_TIER_OSR)) return;
  tova_exec *ex = tova_exec_new(0);
  static const struct {
    const char *name;
    uint64_t arg;
    bool enters; /* reaches a loop the entry can start */
  } cases[] = {
      {"mix", 0, false},          {"mix", 1, true},        {"mix", 100000, true},
      {"second", 1000, true},    {"second", (uint32_t)-1, true},
      {"below", 50, false},      {"divtrap", 30, true},   {"grow", 5, true},
      {"peek", 5 * 65536, false}, {"growpeek", 7, true},  {"fibsum", 20, true},
      {"fibsum", 1, true},       {"nest", 300, true},     {"nest", 1, true},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    uint64_t ri = 0, ro = 0;
    char mi[256], mo[256];
    tova_status si = call(ex, &ti, cases[k].name, cases[k].arg, &ri, mi, sizeof mi);
    uint64_t before = wasm_native_osr_count();
    tova_status so = call(ex, &to, cases[k].name, cases[k].arg, &ro, mo, sizeof mo);
    uint64_t entered = wasm_native_osr_count() - before;
    CHECK_EQ_I64(so, si);
    if (si == TOVA_OK) CHECK_EQ_I64(ro, ri);
    else CHECK_STR_CONTAINS(mo, mi);
    /* Under this policy every pass over an enterable loop header enters
     * (the first call compiles the entry); the others never do. */
    if (cases[k].enters) CHECK(entered >= 1);
    else CHECK_EQ_I64(entered, 0);
    if (so != si || (si == TOVA_OK && ro != ri) || (cases[k].enters != (entered >= 1)))
      fprintf(stderr, "  case %s(%llu): status %d/%d result %llu/%llu entered %llu\n", cases[k].name,
              (unsigned long long)cases[k].arg, (int)si, (int)so, (unsigned long long)ri,
              (unsigned long long)ro, (unsigned long long)entered);
  }
  /* The trap is the interpreter's. */
  uint64_t r;
  char msg[256];
  CHECK_EQ_I64(call(ex, &to, "divtrap", 10, &r, msg, sizeof msg), TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(msg, "integer divide by zero");
  tova_exec_free(ex);
  inst_free(&ti);
  inst_free(&to);
}

struct spin_call {
  inst_t *t;
  tova_exec *ex;
  tova_status st;
  const char *name; /* a function that never returns (spin when NULL) */
};
static void *run_spin(void *arg) {
  struct spin_call *c = arg;
  uint64_t r;
  c->st = call(c->ex, c->t, c->name ? c->name : "spin", 0, &r, NULL, 0);
  return NULL;
}
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* `loop br 0` moved to native code still stops when interrupted. */
static void test_entered_loop_stops(void) {
  inst_t t;
  if (!make(&t, WASM_TIER_OSR)) return;
  struct spin_call c = {&t, tova_exec_new(0), TOVA_OK, NULL};
  uint64_t before = wasm_native_osr_count();
  pthread_t th;
  CHECK(pthread_create(&th, NULL, run_spin, &c) == 0);
  /* Until it is in native code (bounded: a broken build fails, not hangs). */
  for (int i = 0; i < 30000 && wasm_native_osr_count() == before; i++) sleep_ms(1);
  CHECK(wasm_native_osr_count() > before);
  sleep_ms(20);
  tova_exec_interrupt(c.ex);
  pthread_join(th, NULL);
  CHECK_EQ_I64(c.st, TOVA_ERR_CANCELLED);
  tova_exec_free(c.ex);
  inst_free(&t);
}

/* A quick OSR entry (tiering.h OSR_QUICK) hands its call to the optimised
 * entry at a loop header once that is ready, with the call's locals. Under
 * the test policy with TOVA_NATIVE_QUICK=0, churn's first pass over its
 * loop header compiles its quick entry and enters it, and the background
 * compiler makes the optimised entry meanwhile (for a function of odd
 * index: tier.c wasm_native_compile_osr_now); once the call has moved
 * (osr.c's count), it runs there a while and is stopped. What it stored
 * last must be what the interpreter's rule gives for as many iterations:
 * a local lost or garbled in the move would show. */
static void test_quick_entry_tiers_up(void) {
  size_t quick_min = wasm_native_quick_min();
  bool quick_only = wasm_native_quick_only();
  wasm_native_set_quick(0, false);
  inst_t t;
  if (!make(&t, WASM_TIER_OSR)) {
    wasm_native_set_quick(quick_min, quick_only);
    return;
  }
  struct spin_call c = {&t, tova_exec_new(0), TOVA_OK, "churn"};
  uint64_t before = wasm_native_osr_tier_up_count();
  pthread_t th;
  CHECK(pthread_create(&th, NULL, run_spin, &c) == 0);
  /* Until the call has moved (bounded: a broken build fails, not hangs). */
  for (int i = 0; i < 30000 && wasm_native_osr_tier_up_count() == before; i++) sleep_ms(1);
  CHECK_EQ_I64(wasm_native_osr_tier_up_count() - before, 1);
  sleep_ms(20);
  tova_exec_interrupt(c.ex);
  pthread_join(th, NULL);
  CHECK_EQ_I64(c.st, TOVA_ERR_CANCELLED);
  const uint8_t *mem = t.inst->mem0->base;
  uint64_t x, n, runs, want = 0, before_last = 0;
  memcpy(&x, mem, 8);
  memcpy(&n, mem + 8, 8);
  memcpy(&runs, mem + 16, 8);
  for (uint64_t i = 0; i < n; i++) before_last = want, want = want * CHURN_K + i;
  CHECK(n > 0);
  /* Where a signal stops native code (preempt.h) it may stop between the
   * two stores, in either order: x is then one iteration ahead or behind
   * n. Anything else is a state the interpreter's rule never reaches. */
  bool match = x == want || x == before_last || x == want * CHURN_K + n;
  match = match && runs + 1 >= n && runs <= n + 1;
  CHECK(match);
  if (!match)
    fprintf(stderr, "  churn stopped at n = %llu with x = %llu after %llu iterations\n", (unsigned long long)n,
            (unsigned long long)x, (unsigned long long)runs);
  tova_exec_free(c.ex);
  inst_free(&t);
  wasm_native_set_quick(quick_min, quick_only);
}

/* The default policy: one long first call does not stay interpreted to its
 * end. mix(300M) takes seconds interpreted and the entry tens of
 * milliseconds to compile, so it moves; and the answer is the second call's,
 * which runs native from the start. */
static void test_long_first_call_moves(void) {
  for (uint32_t npad = 0; npad <= 500; npad += 500) {
    inst_t t;
    if (!make_padded(&t, WASM_TIER_AUTO, npad)) return;
    tova_exec *ex = tova_exec_new(0);
    uint64_t before = wasm_native_osr_count(), r1 = 0, r2 = 0;
    CHECK_EQ_I64(call(ex, &t, "mix", 300000000, &r1, NULL, 0), TOVA_OK);
    CHECK(wasm_native_osr_count() > before);
    /* In a big module (not compiled whole), a function's only call moved
     * to its entry and did not also buy the function's own code (osr.c). */
    if (npad) CHECK(!wasm_native_func_is_native(t.module, F_MIX + t.module->nimported_funcs));
    before = wasm_native_osr_count();
    CHECK_EQ_I64(call(ex, &t, "mix", 300000000, &r2, NULL, 0), TOVA_OK);
    if (npad) CHECK(wasm_native_osr_count() > before); /* the second call enters the same entry */
    CHECK_EQ_I64(r1, r2);
    tova_exec_free(ex);
    inst_free(&t);
  }
}

/* The OSR entry of a long first call comes before any of the function's
 * own code when what it would copy is small (tiering.h ENTRY_FIRST_BYTES):
 * in a small module (compiled whole, after a grace), and in a big one for
 * a function that reaches little (`mix`). One that reaches much (`padsum`,
 * which calls 500 functions) has its closure compiled first, and the entry
 * links to it. Asked directly, as the loop hook does (compile_osr), right
 * after the module is made: the whole-module request is still in its
 * grace, and the check after the entry is ready comes before that unit
 * could finish. Each entry gives the interpreter's answer. */
static void test_entry_before_its_function(void) {
  static const struct {
    uint32_t npad;
    const char *name;
    bool first; /* the entry before the function's own code */
  } cases[] = {{0, "mix", true}, {500, "mix", true}, {500, "padsum", false}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    inst_t t;
    if (!make_padded(&t, WASM_TIER_AUTO, cases[k].npad)) return;
    CHECK_EQ_I64(t.module->len > WASM_TIER_AUTO_MAX_BYTES, cases[k].npad > 0);
    tova_func *f = inst_func(&t, cases[k].name);
    CHECK(f != NULL);
    uint32_t def = strcmp(cases[k].name, "mix") ? F_NEST + 1 + cases[k].npad : F_MIX;
    /* the loop hook asks early for a first call of a function that reaches little (osr.c) */
    CHECK(t.module->native != NULL);
    if (t.module->native) CHECK_EQ_I64(wasm_native_reaches_little(t.module->native, def), cases[k].first);
    uint64_t early = wasm_native_osr_early_count();
    wasm_native_compile_osr_now(t.module, def);
    bool native = wasm_native_func_is_native(t.module, def + t.module->nimported_funcs);
    fprintf(stderr, "  %s in a %s module: entry %s its function's code\n", cases[k].name,
            cases[k].npad ? "big" : "small", wasm_native_osr_early_count() > early ? "before" : "after");
    CHECK_EQ_I64(wasm_native_osr_early_count() - early, cases[k].first ? 1 : 0);
    CHECK_EQ_I64(native, !cases[k].first);
    /* and the code works: the interpreter's answer */
    tova_exec *ex = tova_exec_new(0);
    inst_t ti;
    uint64_t r = 0, want = 0;
    if (make_padded(&ti, WASM_TIER_INTERP, cases[k].npad)) {
      CHECK_EQ_I64(call(ex, &ti, cases[k].name, 5000, &want, NULL, 0), TOVA_OK);
      inst_free(&ti);
    }
    uint64_t entered = wasm_native_osr_count();
    CHECK_EQ_I64(call(ex, &t, cases[k].name, 5000, &r, NULL, 0), TOVA_OK);
    /* moved to the entry at a loop header, or (function compiled first) native from the start */
    CHECK_EQ_I64(wasm_native_osr_count() > entered, cases[k].first);
    CHECK_EQ_I64(r, want);
    tova_exec_free(ex);
    inst_free(&t);
  }
}

/* What an OSR entry would compile (tier.c wasm_native_entry_bytes, which
 * the loop hook weighs against the time a call has run interpreted): its
 * function's body and everything it reaches that is not native yet.
 * `padsum` reaches 500 pad functions: its count includes theirs, until its
 * closure is native; `mix` calls nothing: its body alone. A count stops
 * past its cap. */
static void test_entry_bytes_count_what_is_compiled(void) {
  inst_t t;
  if (!make_padded(&t, WASM_TIER_AUTO, 500)) return;
  native_state *s = t.module->native;
  CHECK(s != NULL);
  if (!s) {
    inst_free(&t);
    return;
  }
  const tova_module *m = t.module;
  uint32_t padsum = F_NEST + 1 + 500;
  size_t pads = 0;
  for (uint32_t p = 0; p < 500; p++) pads += m->func_defs[F_NEST + 1 + p].body_len;
  CHECK_EQ_I64(wasm_native_entry_bytes(s, F_MIX, SIZE_MAX, false), m->func_defs[F_MIX].body_len);
  CHECK_EQ_I64(wasm_native_entry_bytes(s, padsum, SIZE_MAX, false), m->func_defs[padsum].body_len + pads);
  CHECK(wasm_native_entry_bytes(s, padsum, 1000, false) > 1000);
  CHECK(wasm_native_entry_bytes(s, padsum, 1000, false) < pads); /* it stopped counting */
  /* padsum's closure compiled (its entry reaches much: the closure goes
   * first, then the entry): now only its body is left to an entry. */
  wasm_native_compile_osr_now(t.module, padsum);
  CHECK(wasm_native_func_is_native(t.module, F_NEST + 1 + t.module->nimported_funcs));
  CHECK_EQ_I64(wasm_native_entry_bytes(s, padsum, SIZE_MAX, false), m->func_defs[padsum].body_len);
  inst_free(&t);
}

/* The two above are about the optimised entries' order and size: run with
 * the quick tier off, since padsum's entry (5 KB) would otherwise be quick
 * code first, without its closure (test_quick_entry_tiers_up). */
static void test_optimised_entries(void) {
  size_t quick_min = wasm_native_quick_min();
  bool quick_only = wasm_native_quick_only();
  wasm_native_set_quick(SIZE_MAX, false);
  test_entry_bytes_count_what_is_compiled();
  test_entry_before_its_function();
  wasm_native_set_quick(quick_min, quick_only);
}

int main(void) {
  RUN(test_quick_entry_tiers_up);
  RUN(test_optimised_entries);
  RUN(test_same_as_the_interpreter);
  RUN(test_entered_loop_stops);
  RUN(test_long_first_call_moves);
  return CHECK_DONE();
}

#else

int main(void) {
  printf("test_native_osr: no native tier in this build (LLVM not found)\n");
  return CHECK_DONE();
}

#endif
