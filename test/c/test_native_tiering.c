/*
 * test_native_tiering.c: the tiered modes of the native tier (native/tier.c,
 * native/compiler.c): the interpreter's call counters send hot functions to
 * the background compiler, a big module compiles only what runs, calls stay
 * correct across the switch, and process exit does not wait for a big
 * module's compile (it stops the compiler after the unit in progress).
 * Without LLVM (no TOVA_HAVE_NATIVE) there is no native tier to test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__linux__)
#include <dirent.h>
#endif
#include <string.h>
#include <time.h>

#include "check.h"
#include "test_interp_builder.h"

#ifdef TOVA_HAVE_NATIVE
#include "engine/native/native.h"
#include "engine/native/tiering.h" /* wasm_native_queue, native_ms */
#include "engine/native/backend.h"  /* wasm_backend_exit_safe */

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* fib (0), top -> mid -> leaf (1, 2, 3), then npad functions that are
 * never called, each pad_ops additions long: a module of any size. */
static void build_big(mod *m, uint32_t npad, uint32_t pad_ops) {
  uint32_t t_II = mod_type(m, "I", "I");
  uint32_t t_ii = mod_type(m, "i", "i");
  wb b = {0};
  e_fib_i64(&b, 0);
  mod_func(m, t_II, "", &b, "fib");
  wb_free(&b);
  for (uint32_t k = 0; k < 3; k++) { /* top(x) = mid(x) + 1, mid(x) = leaf(x) + 1, leaf(x) = 3x + 1 */
    e_get(&b, 0);
    if (k < 2) {
      e_opu(&b, WASM_OP_CALL, 2 + k);
    } else {
      e_i32(&b, 3);
      e_op(&b, WASM_OP_I32_MUL);
    }
    e_i32(&b, 1);
    e_op(&b, WASM_OP_I32_ADD);
    static const char *const names[3] = {"top", "mid", "leaf"};
    mod_func(m, t_ii, "", &b, names[k]);
    wb_free(&b);
  }
  for (uint32_t p = 0; p < npad; p++) {
    e_get(&b, 0);
    for (uint32_t k = 0; k < pad_ops; k++) {
      e_i32(&b, (int32_t)(p * 131 + k));
      e_op(&b, k % 3 ? WASM_OP_I32_ADD : WASM_OP_I32_XOR);
    }
    mod_func(m, t_ii, "", &b, NULL);
    wb_free(&b);
  }
}

static uint64_t call1(tova_exec *ex, inst_t *t, const char *name, uint64_t a) {
  tova_val arg = {.raw = a}, res = {0};
  tova_error err = {0};
  tova_func *f = inst_func(t, name);
  CHECK(f != NULL);
  if (!f) return 0;
  CHECK_EQ_I64(tova_exec_call(ex, f, &arg, &res, &err), TOVA_OK);
  return res.raw;
}

/* An instance of m made under the default policy, AUTO. False (reported)
 * on failure. */
static bool make_auto(inst_t *t, mod *m) {
  wasm_tier before = wasm_native_tier();
  wasm_native_set_tier(WASM_TIER_AUTO);
  tova_error err = {0};
  CHECK(inst_make(t, m, NULL, 0, &err));
  wasm_native_set_tier(before);
  if (!t->inst) fprintf(stderr, "%s\n", err.message);
  return t->inst != NULL;
}

/* The same of build_big(400, 20) (about 40 KB: above AUTO's whole-module
 * limit). */
static bool make_big_auto(inst_t *t) {
  mod m = {0};
  build_big(&m, 400, 20);
  return make_auto(t, &m);
}

/* The default policy on a module too big to compile whole at once: what is
 * called often goes native (with everything it calls), what is never called
 * stays interpreted; every call gives the interpreter's answer throughout. */
static void test_hot_functions_of_a_big_module(void) {
  inst_t t;
  if (!make_big_auto(&t)) return;
  CHECK(t.module->len > WASM_TIER_AUTO_MAX_BYTES);
  tova_exec *ex = tova_exec_new(0);
  bool fib_native = false, top_native = false;
  /* Bounded wait (10 minutes) only so a broken build cannot hang ctest. */
  for (int i = 0; i < 60000 && !(fib_native && top_native); i++) {
    CHECK_EQ_I64(call1(ex, &t, "fib", 15), 610);
    for (uint32_t x = 0; x < 600; x++) CHECK_EQ_I64((uint32_t)call1(ex, &t, "top", x), 3 * x + 3);
    fib_native = wasm_native_func_is_native(t.module, 0);
    top_native = wasm_native_func_is_native(t.module, 1);
    if (!(fib_native && top_native)) sleep_ms(10);
  }
  CHECK(fib_native && top_native);
  /* top's unit took its callees along (native code only calls native code). */
  CHECK(wasm_native_func_is_native(t.module, 2));
  CHECK(wasm_native_func_is_native(t.module, 3));
  CHECK_EQ_I64(call1(ex, &t, "fib", 20), 6765);
  CHECK_EQ_I64((uint32_t)call1(ex, &t, "top", 1000), 3003);
  /* Never called, never queued: still interpreted. */
  uint32_t pads_native = 0;
  for (uint32_t f = 4; f < 404; f++) pads_native += wasm_native_func_is_native(t.module, f);
  CHECK_EQ_I64(pads_native, 0);
  tova_exec_free(ex);
  inst_free(&t);
}

/* Two big-module instances under AUTO: *t, whose native state it returns,
 * and *blocker, whose whole-module request it queues and gives a moment to
 * start, so that the compiler is busy with a long unit (requests queued now
 * are all due when it next chooses). NULL (reported, nothing left made) on
 * failure. */
static native_state *busy_compiler(inst_t *t, inst_t *blocker) {
  if (!make_big_auto(t)) return NULL;
  native_state *s = t->module->native;
  CHECK(s != NULL);
  if (!s || !make_big_auto(blocker)) {
    inst_free(t);
    return NULL;
  }
  wasm_native_queue(blocker->module, WASM_NATIVE_ALL, PRIO_WARM, 0);
  sleep_ms(20); /* its first unit takes far longer than this */
  return s;
}

/* The compiler takes small requests before big ones (compiler.c
 * goes_before), whatever their priorities. While it compiles another
 * module's first unit (a blocker, so that both requests below are due when
 * it next chooses: one due a moment after the other could start alone),
 * a request for the whole big module (40 KB in 8 KB units, at the top
 * priority) and one for its last pad function (about 100 bytes, the lowest
 * priority) are queued: the pad goes native first, before the big
 * request's first unit (native_ms: when each function went native). In
 * the order of priorities alone it would be compiled with the big
 * request's last unit. */
static void test_small_requests_first(void) {
  inst_t t, blocker;
  native_state *s = busy_compiler(&t, &blocker);
  if (!s) return;
  /* Queued under compile_lock, which the compiler takes to choose: both
   * are due when it next chooses, however slow this thread is (TSan). */
  wasm_native_compile_lock();
  wasm_native_queue(t.module, WASM_NATIVE_ALL, PRIO_OSR, 0);
  wasm_native_queue(t.module, 403, PRIO_WARM, 0);
  wasm_native_compile_unlock();
  bool done = false;
  for (int i = 0; i < 60000 && !done; i++) { /* 10 minutes at most: a broken build must not hang */
    done = wasm_native_func_is_native(t.module, 4) && wasm_native_func_is_native(t.module, 403);
    if (!done) sleep_ms(10);
  }
  CHECK(done);
  uint32_t pad_ms = __atomic_load_n(&s->native_ms[403], __ATOMIC_RELAXED),
           first_unit_ms = __atomic_load_n(&s->native_ms[0], __ATOMIC_RELAXED);
  if (pad_ms > first_unit_ms)
    fprintf(stderr, "  the small request went native at %u ms, the big one's first unit at %u\n", pad_ms,
            first_unit_ms);
  CHECK(pad_ms <= first_unit_ms);
  tova_exec *ex = tova_exec_new(0);
  CHECK_EQ_I64((uint32_t)call1(ex, &t, "leaf", 7), 22);
  CHECK_EQ_I64((uint32_t)call1(ex, &t, "top", 7), 24);
  tova_exec_free(ex);
  inst_free(&t);
  inst_free(&blocker);
}

/* Small requests of one module that are due together are compiled as one
 * unit (compiler.c take_batch): while the compiler is busy with another
 * module, four pad functions (about 100 bytes each) are queued one by one;
 * once the compiler is free all four are due, and they go native in a
 * single unit (nunits counts them), not four. */
static void test_due_requests_share_a_unit(void) {
  inst_t t, blocker;
  native_state *s = busy_compiler(&t, &blocker);
  if (!s) return;
  /* Queued under compile_lock, which the compiler takes to choose (a
   * blocker's unit ending between two of them once made two batches, on a
   * loaded machine under TSan): all four are due when it next chooses. */
  wasm_native_compile_lock();
  uint32_t units_before = s->nunits;
  for (uint32_t f = 400; f < 404; f++) wasm_native_queue(t.module, f, PRIO_WARM, 0);
  wasm_native_compile_unlock();
  bool done = false;
  for (int i = 0; i < 60000 && !done; i++) { /* 10 minutes at most: a broken build must not hang */
    done = true;
    for (uint32_t f = 400; f < 404; f++) done = done && wasm_native_func_is_native(t.module, f);
    if (!done) sleep_ms(10);
  }
  CHECK(done);
  wasm_native_compile_lock();
  uint32_t units = s->nunits - units_before;
  wasm_native_compile_unlock();
  if (units != 1) fprintf(stderr, "  four due requests took %u units\n", units);
  CHECK_EQ_I64(units, 1);
  inst_free(&t);
  inst_free(&blocker);
}

/* TOVA_NATIVE_NICE (set by main before the compiler thread starts): the
 * compiler thread runs that many nice steps below this thread. Linux only
 * (its per-thread nice values are in /proc); elsewhere it says so. */
static void test_compiler_nice(void) {
#if defined(__linux__)
  int mine = 0, lowered = 0, threads = 0;
  FILE *f = fopen("/proc/thread-self/stat", "r");
  if (f) {
    /* Field 19 is nice; the command (2) is in parentheses and may hold spaces. */
    char line[1024];
    char *end = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    if (end) sscanf(end + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d", &mine);
    fclose(f);
  }
  /* The compiler thread exists (earlier tests queued work); some thread
   * is one step below this one. */
  DIR *dir = opendir("/proc/self/task");
  CHECK(dir != NULL);
  for (struct dirent *de; dir && !lowered && (de = readdir(dir));) {
    if (de->d_name[0] == '.') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", de->d_name);
    FILE *t = fopen(path, "r");
    if (!t) continue;
    threads++;
    char line[1024];
    char *end = fgets(line, sizeof line, t) ? strrchr(line, ')') : NULL;
    int nice = 0;
    if (end && sscanf(end + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d", &nice) == 1)
      lowered = nice == mine + 1;
    fclose(t);
  }
  if (dir) closedir(dir);
  CHECK(threads >= 2);
  CHECK(lowered);
#else
  printf("  (the compiler's nice value is checked on Linux only)\n");
#endif
}

/* A function called once is not compiled (it could not use native code:
 * no on-stack replacement); its second call queues it (warm), and it goes
 * native after the warm grace. The negative half can only pass wrongly on a
 * machine too slow to compile within the wait, never fail wrongly. */
static void test_second_call_queues_warm(void) {
  inst_t t;
  if (!make_big_auto(&t)) return;
  tova_exec *ex = tova_exec_new(0);
  CHECK_EQ_I64((uint32_t)call1(ex, &t, "leaf", 5), 16);
  sleep_ms(500); /* ten times the grace, and ample for one tiny function */
  CHECK(!wasm_native_func_is_native(t.module, 3));
  CHECK_EQ_I64((uint32_t)call1(ex, &t, "leaf", 6), 19);
  bool native = false;
  for (int i = 0; i < 60000 && !native; i++) { /* 10 minutes at most: a broken build must not hang */
    native = wasm_native_func_is_native(t.module, 3);
    if (!native) sleep_ms(10);
  }
  CHECK(native);
  CHECK_EQ_I64((uint32_t)call1(ex, &t, "leaf", 7), 22);
  CHECK(!wasm_native_func_is_native(t.module, 1)); /* never called */
  tova_exec_free(ex);
  inst_free(&t);
}

/* Waits (10 minutes at most: a broken build must not hang ctest) until
 * want(m, f) holds, calling top and fib meanwhile (hot, and their answers
 * checked throughout). */
static bool call_until(tova_exec *ex, inst_t *t, bool (*want)(const tova_module *, uint32_t), uint32_t f) {
  for (int i = 0; i < 60000; i++) {
    CHECK_EQ_I64(call1(ex, t, "fib", 12), 144);
    for (uint32_t x = 0; x < 50; x++) CHECK_EQ_I64((uint32_t)call1(ex, t, "top", x), 3 * x + 3);
    if (want(t->module, f)) return true;
    sleep_ms(5);
  }
  return false;
}

/* The quick tier (tier.c quick_first), asked for every request of hot
 * functions: top, mid and leaf (one closure) and fib (recursive) get quick
 * code first, then the optimised tier's; every call in between gives the
 * interpreter's answer. */
static void test_quick_then_optimised(void) {
  wasm_native_set_quick(0, false);
  inst_t t;
  if (!make_big_auto(&t)) {
    wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
    return;
  }
  tova_exec *ex = tova_exec_new(0);
  CHECK(call_until(ex, &t, wasm_native_func_is_optimised, 1));
  CHECK(call_until(ex, &t, wasm_native_func_is_optimised, 0));
  for (uint32_t f = 0; f < 4; f++) CHECK(wasm_native_func_is_optimised(t.module, f));
  /* fib, top, mid and leaf had quick code before; the pads (never
   * called) had none */
  CHECK_EQ_I64(wasm_native_func_quick_count(t.module), 4);
  CHECK_EQ_I64(call1(ex, &t, "fib", 20), 6765);
  tova_exec_free(ex);
  inst_free(&t);
  wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
}

/* Quick code calls optimised code through its address (jit.c
 * alias_optimised): leaf is optimised first (quick tier off), then mid
 * turns hot with the quick tier alone (TOVA_NATIVE_QUICK=only: no
 * optimised compile follows), so mid's quick code calls leaf's optimised
 * code, and keeps doing so. */
static void test_quick_code_calls_optimised_code(void) {
  wasm_native_set_quick(SIZE_MAX, false);
  inst_t t;
  if (!make_big_auto(&t)) {
    wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
    return;
  }
  tova_exec *ex = tova_exec_new(0);
  bool leaf = false;
  for (int i = 0; i < 60000 && !leaf; i++) { /* 10 minutes at most */
    CHECK_EQ_I64((uint32_t)call1(ex, &t, "leaf", (uint64_t)i), 3u * (uint32_t)i + 1);
    leaf = wasm_native_func_is_optimised(t.module, 3);
    if (!leaf) sleep_ms(5);
  }
  CHECK(leaf);
  wasm_native_set_quick(0, true);
  bool mid = false;
  for (int i = 0; i < 60000 && !mid; i++) {
    CHECK_EQ_I64((uint32_t)call1(ex, &t, "mid", (uint64_t)i), 3u * (uint32_t)i + 2);
    mid = wasm_native_func_is_native(t.module, 2);
    if (!mid) sleep_ms(5);
  }
  CHECK(mid);
  CHECK(!wasm_native_func_is_optimised(t.module, 2)); /* quick code */
  CHECK(wasm_native_func_is_optimised(t.module, 3));
  CHECK_EQ_I64(wasm_native_func_quick_count(t.module), 1); /* mid alone: leaf was linked */
  for (uint32_t x = 0; x < 1000; x++) CHECK_EQ_I64((uint32_t)call1(ex, &t, "mid", x), 3 * x + 2);
  tova_exec_free(ex);
  inst_free(&t);
  wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
}

/* Quick code calls a big callee through a stub (tier.c quick_copies:
 * more than WASM_NATIVE_QUICK_COPY_BYTES is not copied into the caller's
 * unit), which has the interpreter make the call until the callee has code
 * of its own, then calls that code through its slot (rt.h
 * wasm_native_ctx.slots). In a module too big to compile whole: caller(x)
 * = x == 0 ? big(x) + 5 : 3x + 1, so the caller turns hot long before big,
 * whose body is about 3 KB; quick code only (TOVA_NATIVE_QUICK=only).
 * indirect: the caller calls big through a table (table[0] = big), which
 * quick code never links to (translate.c emit_call_indirect: the slot,
 * else the interpreter through the type's stub), so that a unit holds no
 * declaration of a big table's functions. */
static void check_quick_calls_through_slots(bool indirect) {
  wasm_native_set_quick(0, true);
  mod m = {0};
  build_big(&m, 400, 20);
  uint32_t t_ii = mod_type(&m, "i", "i");
  uint32_t big = 4 + 400, caller = big + 1;
  if (indirect) mod_table(&m, 1);
  wb b = {0};
  e_get(&b, 0);
  for (uint32_t k = 0; k < 700; k++) { /* big(x) = x + 700 * 7 */
    e_i32(&b, 7);
    e_op(&b, WASM_OP_I32_ADD);
  }
  mod_func(&m, t_ii, "", &b, "big");
  wb_free(&b);
  e_get(&b, 0);
  e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 'i');
  e_get(&b, 0);
  if (indirect) {
    e_i32(&b, 0);
    e_opu(&b, WASM_OP_CALL_INDIRECT, t_ii);
    wb_byte(&b, 0);
  } else {
    e_opu(&b, WASM_OP_CALL, big);
  }
  e_i32(&b, 5);
  e_op(&b, WASM_OP_I32_ADD);
  e_op(&b, WASM_OP_ELSE);
  e_get(&b, 0);
  e_i32(&b, 3);
  e_op(&b, WASM_OP_I32_MUL);
  e_i32(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  e_op(&b, WASM_OP_END);
  mod_func(&m, t_ii, "", &b, "caller");
  wb_free(&b);
  const uint32_t elems[1] = {big};
  if (indirect) mod_elem(&m, 0, 1, elems);
  inst_t t;
  if (!make_auto(&t, &m)) {
    wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
    return;
  }
  tova_exec *ex = tova_exec_new(0);
  bool quick = false;
  for (int i = 0; i < 60000 && !quick; i++) { /* 10 minutes at most */
    for (uint32_t x = 1; x < 50; x++) CHECK_EQ_I64((uint32_t)call1(ex, &t, "caller", x), 3 * x + 1);
    quick = wasm_native_func_is_native(t.module, caller);
    if (!quick) sleep_ms(5);
  }
  CHECK(quick);
  CHECK(!wasm_native_func_is_native(t.module, big));
  /* big has no code: the interpreter makes each call */
  uint64_t n0 = wasm_native_interp_call_count(t.module);
  for (int k = 0; k < 3; k++) CHECK_EQ_I64((uint32_t)call1(ex, &t, "caller", 0), 4900 + 5);
  CHECK_EQ_I64(wasm_native_interp_call_count(t.module) - n0, 3);
  /* big turns hot and gets quick code: the caller calls it from then on */
  bool linked = false;
  for (int i = 0; i < 60000 && !linked; i++) {
    for (uint32_t x = 0; x < 50; x++) CHECK_EQ_I64((uint32_t)call1(ex, &t, "big", x), x + 4900);
    linked = wasm_native_func_is_native(t.module, big);
    if (!linked) sleep_ms(5);
  }
  CHECK(linked);
  uint64_t n1 = wasm_native_interp_call_count(t.module);
  for (int k = 0; k < 100; k++) CHECK_EQ_I64((uint32_t)call1(ex, &t, "caller", 0), 4900 + 5);
  CHECK_EQ_I64(wasm_native_interp_call_count(t.module), n1);
  CHECK(!wasm_native_func_is_optimised(t.module, caller)); /* quick code throughout */
  tova_exec_free(ex);
  inst_free(&t);
  wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
}

static void test_quick_code_calls_through_slots(void) { check_quick_calls_through_slots(false); }
static void test_quick_call_indirect_through_slots(void) { check_quick_calls_through_slots(true); }

/* A hot function whose optimised closure is over wasm_native_max_closure
 * (tier.c W_SPLIT: a big program's functions on one cycle through its
 * table) is compiled apart, calling the rest through the interpreter until
 * they have code, then at their code (their slots). f_k(x) = x == 0 ? 7 :
 * table[x % 4](x - 1) * 2 for k < 4: a cycle through the table. Quick tier
 * off; a module too big to compile whole. */
/* f0..f3 (after build_big's functions): fk(n) = n == 0 ? 7 :
 * table[n % 4](n - 1) * 2, a cycle through the table, which holds them and
 * then `extra` of build_big's padding functions (same type, never called). */
static uint32_t build_split(mod *m, uint32_t extra) {
  build_big(m, 400, 20);
  uint32_t t_ii = mod_type(m, "i", "i");
  uint32_t f0 = 4 + 400;
  mod_table(m, 4 + extra);
  static const char *names[4] = {"f0", "f1", "f2", "f3"};
  wb b = {0};
  for (uint32_t k = 0; k < 4; k++) {
    e_get(&b, 0);
    e_op(&b, WASM_OP_I32_EQZ);
    e_block(&b, WASM_OP_IF, 'i');
    e_i32(&b, 7);
    e_op(&b, WASM_OP_ELSE);
    e_get(&b, 0);
    e_i32(&b, 1);
    e_op(&b, WASM_OP_I32_SUB);
    e_get(&b, 0);
    e_i32(&b, 4);
    e_op(&b, WASM_OP_I32_REM_U);
    e_opu(&b, WASM_OP_CALL_INDIRECT, t_ii);
    wb_byte(&b, 0);
    e_i32(&b, 2);
    e_op(&b, WASM_OP_I32_MUL);
    e_op(&b, WASM_OP_END);
    mod_func(m, t_ii, "", &b, names[k]);
    wb_free(&b);
  }
  uint32_t elems[4 + 64];
  for (uint32_t k = 0; k < 4 + extra && k < 4 + 64; k++) elems[k] = k < 4 ? f0 + k : 4 + k;
  mod_elem(m, 0, 4 + extra, elems);
  return f0;
}

/* Calls name(0) (build_split: 7) until func, its index, runs optimised
 * code: 10 minutes at most. */
static bool heat_until_optimised(tova_exec *ex, inst_t *t, const char *name, uint32_t func) {
  for (int i = 0; i < 60000; i++) {
    for (int k = 0; k < 50; k++) CHECK_EQ_I64((uint32_t)call1(ex, t, name, 0), 7);
    if (wasm_native_func_is_optimised(t->module, func)) return true;
    sleep_ms(5);
  }
  return false;
}

static void test_split_closure(void) {
  wasm_native_set_quick(SIZE_MAX, false);
  wasm_native_set_max_closure(0);
  mod m = {0};
  uint32_t f0 = build_split(&m, 0);
  inst_t t;
  if (make_auto(&t, &m)) {
    tova_exec *ex = tova_exec_new(0);
    CHECK(heat_until_optimised(ex, &t, "f0", f0));
    CHECK(!wasm_native_func_is_native(t.module, f0 + 1));
    /* f0(1) = f1(0) * 2, f1 through the interpreter */
    uint64_t n0 = wasm_native_interp_call_count(t.module);
    CHECK_EQ_I64((uint32_t)call1(ex, &t, "f0", 1), 14);
    CHECK_EQ_I64(wasm_native_interp_call_count(t.module) - n0, 1);
    /* f0(5) = f1(4) * 2 = f0(3) * 4 = f3(2) * 8 = f2(1) * 16 = f1(0) * 32 */
    CHECK_EQ_I64((uint32_t)call1(ex, &t, "f0", 5), 7 * 32);
    CHECK(heat_until_optimised(ex, &t, "f1", f0 + 1));
    uint64_t n1 = wasm_native_interp_call_count(t.module);
    for (int k = 0; k < 10; k++) CHECK_EQ_I64((uint32_t)call1(ex, &t, "f0", 1), 14);
    CHECK_EQ_I64(wasm_native_interp_call_count(t.module), n1);
    tova_exec_free(ex);
    inst_free(&t);
  }
  wasm_native_set_max_closure(WASM_NATIVE_MAX_CLOSURE_BYTES);
  wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
}

/* A small function on a cycle too big to compile closed is optimised at
 * once, as any small request is: what its optimised compile costs is its
 * split unit (the function alone here), not the closure through the table
 * (f0..f3 and 40 padding functions, over the quick tier's threshold), so
 * it gets no quick pass first (tier.c quick_first). */
static void test_split_small_skips_quick(void) {
  wasm_native_set_quick(WASM_NATIVE_QUICK_MIN_BYTES, false);
  wasm_native_set_max_closure(0);
  mod m = {0};
  uint32_t f0 = build_split(&m, 40);
  inst_t t;
  if (make_auto(&t, &m)) {
    tova_exec *ex = tova_exec_new(0);
    CHECK(heat_until_optimised(ex, &t, "f0", f0));
    CHECK_EQ_I64(wasm_native_func_quick_count(t.module), 0);
    CHECK_EQ_I64((uint32_t)call1(ex, &t, "f0", 5), 7 * 32);
    tova_exec_free(ex);
    inst_free(&t);
  }
  wasm_native_set_max_closure(WASM_NATIVE_MAX_CLOSURE_BYTES);
}

/* The call graph of call_indirect: one group node per type the table's
 * segments hold, so that n callers of a table of n functions make about
 * 2n edges, not n * n; the cycle through the table is still found. */
static void test_callgraph_groups(void) {
  enum { N = 200 };
  mod m = {0};
  uint32_t t_ii = mod_type(&m, "i", "i");
  mod_table(&m, N);
  wb b = {0};
  for (uint32_t f = 0; f < N; f++) { /* f(x) = x ? table[x % N](x - 1) : 0 */
    e_get(&b, 0);
    e_block(&b, WASM_OP_IF, 'i');
    e_get(&b, 0);
    e_i32(&b, 1);
    e_op(&b, WASM_OP_I32_SUB);
    e_get(&b, 0);
    e_i32(&b, N);
    e_op(&b, WASM_OP_I32_REM_U);
    e_opu(&b, WASM_OP_CALL_INDIRECT, t_ii);
    wb_byte(&b, 0);
    e_op(&b, WASM_OP_ELSE);
    e_i32(&b, 0);
    e_op(&b, WASM_OP_END);
    mod_func(&m, t_ii, "", &b, f == 0 ? "f0" : NULL);
    wb_free(&b);
  }
  uint32_t elems[N];
  for (uint32_t f = 0; f < N; f++) elems[f] = f;
  mod_elem(&m, 0, N, elems);
  size_t len;
  uint8_t *bytes = mod_finish(&m, &len);
  tova_module *mo = NULL;
  tova_error err = {0};
  CHECK_EQ_I64(tova_module_compile(bytes, len, &mo, &err), TOVA_OK);
  free(bytes);
  if (!mo) {
    fprintf(stderr, "%s\n", err.message);
    return;
  }
  bool eligible[N], cyc[N + 1];
  uint32_t *start, *edges, nnodes = 0;
  CHECK(wasm_native_callgraph(mo, eligible, NULL, &nnodes, &start, &edges, NULL));
  CHECK_EQ_I64(nnodes, N + 1);
  if (nnodes == N + 1) {
    CHECK_EQ_I64(start[nnodes], 2 * N);
    wasm_native_in_cycle(nnodes, start, edges, cyc);
    for (int f = 0; f < N; f++) CHECK(eligible[f] && cyc[f]);
  }
  free(start);
  free(edges);
  tova_module_release(mo);
}

/* Which functions poll the interrupt flag on entry: those on a cycle of
 * calls. 0 <-> 1 call each other, 2 calls 0 (not on the cycle), 3 calls
 * itself, 4 calls nothing, 5 -> 6 -> 7 -> 5 through call_indirect of a
 * private table (a cycle the table closes). */
static void test_recursive_functions(void) {
  mod m = {0};
  uint32_t t_v = mod_type(&m, "", "");
  mod_table(&m, 1);
  static const uint32_t calls[8] = {1, 0, 0, 3, UINT32_MAX, 6, 7, UINT32_MAX};
  wb b = {0};
  for (uint32_t f = 0; f < 8; f++) {
    if (calls[f] != UINT32_MAX) e_opu(&b, WASM_OP_CALL, calls[f]);
    if (f == 7) { /* table[0]() with table[0] = 5 */
      e_i32(&b, 0);
      e_opu(&b, WASM_OP_CALL_INDIRECT, t_v);
      wb_byte(&b, 0);
    }
    mod_func(&m, t_v, "", &b, NULL);
    wb_free(&b);
  }
  static const uint32_t elems[1] = {5};
  mod_elem(&m, 0, 1, elems);
  size_t len;
  uint8_t *bytes = mod_finish(&m, &len);
  tova_module *mo = NULL;
  tova_error err = {0};
  CHECK_EQ_I64(tova_module_compile(bytes, len, &mo, &err), TOVA_OK);
  free(bytes);
  if (!mo) return;
  bool eligible[8], cyc[16];
  uint32_t *start, *edges, nnodes = 0;
  CHECK(wasm_native_callgraph(mo, eligible, NULL, &nnodes, &start, &edges, NULL));
  CHECK(nnodes >= 8 && nnodes <= 16);
  if (nnodes < 8 || nnodes > 16) return;
  wasm_native_in_cycle(nnodes, start, edges, cyc);
  static const bool want[8] = {true, true, false, true, false, true, true, true};
  for (int f = 0; f < 8; f++) {
    CHECK(eligible[f]);
    CHECK_EQ_I64(cyc[f], want[f]);
  }
  free(start);
  free(edges);
  tova_module_release(mo);
}

/* ---- exit while a big module compiles (run in a child process) ---- */

static tova_module *child_module;
static uint32_t child_nfuncs;

static uint32_t count_native(void) {
  uint32_t n = 0;
  for (uint32_t f = 0; f < child_nfuncs; f++) n += wasm_native_func_is_native(child_module, f);
  return n;
}

/* Registered before the runtime's exit handler, so it runs after it: the
 * compiler has stopped by now, and nothing may switch any more. */
static void child_report(void) {
  uint32_t a = count_native();
  sleep_ms(200);
  uint32_t b = count_native();
  printf("native %u then %u of %u\n", a, b, child_nfuncs);
  fflush(stdout);
}

static int exit_child(void) {
  atexit(child_report);
  wasm_native_set_tier(WASM_TIER_TIERED); /* compiles the whole module in the background */
  mod m = {0};
  child_nfuncs = 4 + 3000;
  build_big(&m, 3000, 40); /* about 400 KB: seconds of LLVM */
  size_t len;
  uint8_t *bytes = mod_finish(&m, &len);
  tova_error err = {0};
  if (tova_module_compile(bytes, len, &child_module, &err) != TOVA_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  free(bytes);
  /* Exit as soon as the compile is under way: its first unit switched. */
  for (int i = 0; i < 60000 && count_native() == 0; i++) sleep_ms(1);
  return 0; /* exit() now, with most of the module still to compile */
}

static void test_exit_does_not_wait_for_a_big_compile(const char *self) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "'%s' --exit-child", self);
  FILE *p = popen(cmd, "r");
  CHECK(p != NULL);
  if (!p) return;
  char line[256] = "";
  unsigned a = 0, b = 0, n = 0;
  CHECK(fgets(line, sizeof line, p) != NULL);
  int status = pclose(p);
  CHECK_EQ_I64(status, 0);
  CHECK_EQ_I64(sscanf(line, "native %u then %u of %u", &a, &b, &n), 3);
  fprintf(stderr, "  child at exit: %s", line);
  CHECK(a > 0);     /* the compile had started */
  CHECK(a < n);     /* exit did not wait for the rest */
  CHECK_EQ_I64(a, b); /* and nothing was compiled after exit began */
}

/* This library links LLVM's shared library (backend/direct_exit.c): on ELF
 * its exit-time destructors are dropped, so exit never pulls a lazily built
 * LLVM object from under the compiler. When the interposition is lost (the
 * symbol hidden, say), this says so at once; the crash it prevents only
 * shows when exit meets a unit that built a new lazy static. */
static void test_llvm_destructors_dropped(void) {
#if defined(__ELF__)
  const char *args = getenv("TOVA_NATIVE_LLVM_ARGS");
  if (args && *args) return; /* kept on purpose (direct_exit.c) */
  CHECK(wasm_backend_exit_safe());
#endif
}

/* Compiling a module while the compiler works on another must not wait for
 * that compile: the new module's state is made without the lock the
 * compiler holds for a whole request (a module under `tiered`: seconds
 * here). B's compile used to return only once all of A was native. */
static void test_new_module_does_not_wait_for_a_compile(void) {
  wasm_tier before = wasm_native_tier();
  wasm_native_set_tier(WASM_TIER_TIERED); /* A: compiled whole, in the background */
  mod ma = {0};
  build_big(&ma, 3000, 40);
  size_t len;
  uint8_t *bytes = mod_finish(&ma, &len);
  tova_error err = {0};
  tova_module *a = NULL;
  CHECK_EQ_I64(tova_module_compile(bytes, len, &a, &err), TOVA_OK);
  free(bytes);
  if (!a) {
    wasm_native_set_tier(before);
    return;
  }
  uint32_t n = 4 + 3000, done = 0;
  for (int i = 0; i < 60000 && done == 0; i++) { /* under way: its first unit switched */
    for (uint32_t f = 0; f < n; f++) done += wasm_native_func_is_native(a, f);
    if (done == 0) sleep_ms(1);
  }
  CHECK(done > 0);
  mod mb = {0};
  build_big(&mb, 2, 4); /* B: small */
  bytes = mod_finish(&mb, &len);
  tova_module *b = NULL;
  CHECK_EQ_I64(tova_module_compile(bytes, len, &b, &err), TOVA_OK);
  free(bytes);
  uint32_t after = 0;
  for (uint32_t f = 0; f < n; f++) after += wasm_native_func_is_native(a, f);
  fprintf(stderr, "  A native: %u of %u when B's compile began, %u when it returned\n", done, n, after);
  CHECK(after < n); /* B did not wait for A */
  tova_module_release(b);
  tova_module_release(a); /* the compiler's request keeps A until it is done or exit stops it */
  wasm_native_set_tier(before);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--exit-child") == 0) return exit_child();
  /* Before the compiler thread starts (test_compiler_nice). */
  setenv("TOVA_NATIVE_NICE", "1", 1);
  RUN(test_llvm_destructors_dropped);
  RUN(test_recursive_functions);
  RUN(test_hot_functions_of_a_big_module);
  RUN(test_compiler_nice);
  RUN(test_second_call_queues_warm);
  RUN(test_small_requests_first);
  RUN(test_due_requests_share_a_unit);
  RUN(test_quick_then_optimised);
  RUN(test_quick_code_calls_optimised_code);
  RUN(test_quick_code_calls_through_slots);
  RUN(test_quick_call_indirect_through_slots);
  RUN(test_callgraph_groups);
  RUN(test_split_closure);
  RUN(test_split_small_skips_quick);
  test_exit_does_not_wait_for_a_big_compile(argv[0]);
  RUN(test_new_module_does_not_wait_for_a_compile); /* last: A compiles on until exit */
  return CHECK_DONE();
}

#else

int main(void) {
  /* Built without LLVM: the engine has the interpreter only. */
  printf("test_native_tiering: no native tier in this build (LLVM not found)\n");
  return CHECK_DONE();
}

#endif
