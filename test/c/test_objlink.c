/*
 * test_objlink.c: units from the on-disk cache linked by our own linker
 * (src/engine/native/objlink.c, link.c), with no LLVM.
 *
 * A module compiled under TOVA_TIER=native with a cache directory stores
 * its unit; the same module compiled again finds it there and links it
 * itself. Its calls must give what the interpreter and the LLVM-linked
 * code give (results, traps and their messages, call_indirect, memory
 * growth). Then the linker is given every object the cache holds, whole,
 * cut short and damaged at random: it links or refuses, never crashes
 * (this test runs under ASan and UBSan in CI).
 * Without LLVM (no TOVA_HAVE_NATIVE) there is no native tier to test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "test_interp_builder.h"

#ifdef TOVA_HAVE_NATIVE
#include "engine/native/link.h"
#include "engine/native/native.h"
#include "engine/native/objlink.h"

#if defined(__ELF__) && defined(__x86_64__)
#define LINKS_ITSELF 1 /* objlink.h: the machines our linker knows */
#else
#define LINKS_ITSELF 0
#endif

static tova_exec *ex;
static char cache_dir[] = "/tmp/tova-objlink-XXXXXX";

/* fib(i64), a loop over memory that traps past it, grow, and a table of
 * three functions called through call_indirect. */
static void build(mod *m) {
  uint32_t t_II = mod_type(m, "I", "I"), t_ii = mod_type(m, "i", "i"), t_iii = mod_type(m, "ii", "i");
  mod_memory(m, 1, 8);
  mod_table(m, 3);
  wb b = {0};
  e_fib_i64(&b, 0); /* 0 fib */
  mod_func(m, t_II, "", &b, "fib");
  wb_free(&b);
  /* 1 sum(n): for i < n: mem[4i] = i*i + acc; acc ^= mem[4i] */
  e_for_head(&b, 1, 0, WASM_OP_I32_GE_S);
  e_get(&b, 1);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_SHL);
  e_get(&b, 1);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_MUL);
  e_get(&b, 2);
  e_op(&b, WASM_OP_I32_ADD);
  e_mem(&b, WASM_OP_I32_STORE, 2, 0);
  e_get(&b, 2);
  e_get(&b, 1);
  e_i32(&b, 2);
  e_op(&b, WASM_OP_I32_SHL);
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  e_op(&b, WASM_OP_I32_XOR);
  e_set(&b, 2);
  e_for_tail(&b, 1);
  e_get(&b, 2);
  mod_func(m, t_ii, "ii", &b, "sum");
  wb_free(&b);
  /* 2 grow(n): memory.grow n */
  e_get(&b, 0);
  e_opu(&b, WASM_OP_MEMORY_GROW, 0);
  mod_func(m, t_ii, "", &b, "grow");
  wb_free(&b);
  /* 3 div(a, b), 4 sub(a, b), 5 mul(a, b): the table's */
  static const uint8_t ops[3] = {WASM_OP_I32_DIV_S, WASM_OP_I32_SUB, WASM_OP_I32_MUL};
  static const char *const names[3] = {"div", "sub", "mul"};
  for (int i = 0; i < 3; i++) {
    e_get(&b, 0);
    e_get(&b, 1);
    e_op(&b, ops[i]);
    mod_func(m, t_iii, "", &b, names[i]);
    wb_free(&b);
  }
  /* 6 pick(k, a): table[k](a, 7) */
  e_get(&b, 1);
  e_i32(&b, 7);
  e_get(&b, 0);
  e_opu(&b, WASM_OP_CALL_INDIRECT, t_iii);
  wb_byte(&b, 0);
  mod_func(m, t_iii, "", &b, "pick");
  wb_free(&b);
  uint32_t table[3] = {3, 4, 5};
  mod_elem(m, 0, 3, table);
}

typedef struct outcome {
  tova_status st;
  uint64_t raw;
  char msg[TOVA_ERROR_MAX];
} outcome;

static outcome call(inst_t *t, const char *name, uint64_t a, uint64_t b) {
  outcome o;
  memset(&o, 0, sizeof o);
  tova_val args[2] = {{.raw = a}, {.raw = b}}, res[1] = {{0}};
  tova_error err = {0};
  tova_func *f = inst_func(t, name);
  CHECK(f != NULL);
  if (!f) return o;
  o.st = tova_exec_call(ex, f, args, res, &err);
  o.raw = res[0].raw;
  if (o.st != TOVA_OK) snprintf(o.msg, sizeof o.msg, "%s", err.message);
  return o;
}

static bool make(inst_t *t, wasm_tier tier) {
  mod m = {0};
  build(&m);
  tova_error err = {0};
  wasm_native_set_tier(tier);
  bool ok = inst_make(t, &m, NULL, 0, &err);
  if (!ok) fprintf(stderr, "instantiate: %s\n", err.message);
  CHECK(ok);
  return ok;
}

/* The three give the same status, message and result bits. */
static void same(inst_t *t, const char *name, uint64_t a, uint64_t b, uint64_t mask) {
  outcome o[3];
  for (int i = 0; i < 3; i++) o[i] = call(&t[i], name, a, b);
  for (int i = 1; i < 3; i++)
    if (o[i].st != o[0].st || strcmp(o[i].msg, o[0].msg) != 0 || (o[i].raw & mask) != (o[0].raw & mask)) {
      fprintf(stderr, "%s(%llu, %llu): interp %d %llx \"%s\", %s %d %llx \"%s\"\n", name,
              (unsigned long long)a, (unsigned long long)b, o[0].st, (unsigned long long)o[0].raw, o[0].msg,
              i == 1 ? "LLVM-linked" : "self-linked", o[i].st, (unsigned long long)o[i].raw, o[i].msg);
      CHECK(0);
    }
}

static void test_cached_unit_runs_the_same(void) {
  inst_t t[3]; /* interpreted; native, compiled and linked by LLVM; native, from the cache */
  wasm_tier before = wasm_native_tier();
  uint32_t linked = wasm_native_linked_without_llvm();
  bool ok = make(&t[0], WASM_TIER_INTERP) && make(&t[1], WASM_TIER_NATIVE);
  CHECK_EQ_I64(wasm_native_linked_without_llvm(), linked); /* compiled, then stored */
  ok = ok && make(&t[2], WASM_TIER_NATIVE);
  wasm_native_set_tier(before);
  if (LINKS_ITSELF) CHECK_EQ_I64(wasm_native_linked_without_llvm(), linked + 1);
  if (ok) {
    for (uint64_t n = 0; n < 25; n += 3) same(t, "fib", n, 0, ~0ull);
    for (uint64_t n = 0; n < 20000; n = n * 3 + 1) same(t, "sum", n, 0, 0xffffffffu); /* traps past 16384 */
    for (uint64_t k = 0; k < 5; k++) /* k = 3, 4: out of the table */
      for (uint64_t a = 0; a < 40; a += 13) same(t, "pick", k, a, 0xffffffffu);
    same(t, "pick", 0, 0x80000000u, 0xffffffffu); /* INT_MIN / 7 */
    for (uint64_t n = 0; n < 4; n++) same(t, "grow", n, 0, 0xffffffffu); /* up to 8 pages, then -1 */
    same(t, "sum", 40000, 0, 0xffffffffu);                               /* in the grown memory now */
  }
  for (int i = 0; i < 3; i++) inst_free(&t[i]);
}

/* ---- compiling ahead (tova_module_precompile) -------------------------------------- */

static tova_module *compile_built(void) {
  mod m = {0};
  build(&m);
  return compile_mod(&m);
}

static void test_precompile(void) {
  wasm_tier before = wasm_native_tier();
  /* Under the native policy there is no list for runs to link: refused. */
  wasm_native_set_tier(WASM_TIER_NATIVE);
  tova_module *native = compile_built();
  tova_error err = {0};
  uint32_t units = 99;
  CHECK(tova_module_precompile(native, &units, &err) == TOVA_ERR_UNSUPPORTED);
  CHECK_STR_CONTAINS(err.message, "policy");
  CHECK_EQ_I64(units, 0);
  tova_module_release(native);
  /* The default policy: every function compiled now, and the loops'
   * entries (sum has one). */
  wasm_native_set_tier(WASM_TIER_TIERED);
  tova_module *first = compile_built();
  CHECK(tova_module_precompile(first, &units, &err) == TOVA_OK);
  CHECK_EQ_I64(units, 2); /* the module's unit, sum's OSR entry */
  uint32_t compiled = wasm_native_units_compiled();
  CHECK(tova_module_precompile(first, &units, &err) == TOVA_OK);
  CHECK_EQ_I64(units, 2);
  CHECK_EQ_I64(wasm_native_units_compiled(), compiled); /* nothing left to compile */
  tova_module_release(first);
  /* The same bytes again, as a later process compiles them: everything is
   * linked from the cache, nothing compiled, before anything runs hot. */
  uint32_t linked = wasm_native_linked_without_llvm();
  inst_t t[3];
  bool ok = make(&t[0], WASM_TIER_INTERP) && make(&t[2], WASM_TIER_TIERED);
  wasm_native_set_tier(before);
  for (int i = 0; ok && i < 500 && !wasm_native_func_is_native(t[2].module, 1); i++) usleep(10000);
  CHECK(ok && wasm_native_func_is_native(t[2].module, 0) && wasm_native_func_is_native(t[2].module, 1));
  CHECK_EQ_I64(wasm_native_units_compiled(), compiled);
  if (LINKS_ITSELF) CHECK(wasm_native_linked_without_llvm() >= linked + 2);
  t[1] = t[2]; /* two views of the precompiled one: same() compares three */
  if (ok) {
    for (uint64_t n = 0; n < 25; n += 4) same(t, "fib", n, 0, ~0ull);
    for (uint64_t n = 0; n < 20000; n = n * 3 + 1) same(t, "sum", n, 0, 0xffffffffu);
    for (uint64_t k = 0; k < 5; k++) same(t, "pick", k, 30, 0xffffffffu);
  }
  CHECK(tova_module_precompile(t[2].module, &units, &err) == TOVA_OK);
  CHECK_EQ_I64(units, 2);
  CHECK_EQ_I64(wasm_native_units_compiled(), compiled);
  inst_free(&t[0]);
  inst_free(&t[2]);
}

/* ---- the linker on whole, cut and damaged objects ------------------------------------ */

static bool resolve_any(void *cx, const char *name, uintptr_t *addr) {
  (void)cx, (void)name;
  *addr = (uintptr_t)&resolve_any; /* never called: the code is never run */
  return true;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* Links obj (returns whether it linked); the code is only mapped. whole:
 * an object as the backend made it, whose code and symbols must be there. */
static bool try_link(const uint8_t *obj, size_t size, bool whole, char *err, size_t errlen) {
  uint8_t *copy = malloc(size ? size : 1); /* aligned as a loaded entry is */
  memcpy(copy, obj, size);
  wasm_objlink_code *c = wasm_objlink(copy, size, resolve_any, NULL, err, errlen);
  bool ok = c != NULL;
  if (c && whole) CHECK(c->text_size > 0 && c->nsyms > 0);
  wasm_objlink_free(c);
  free(copy);
  return ok;
}

static void test_damaged_objects(void) {
  DIR *d = opendir(cache_dir);
  CHECK(d != NULL);
  if (!d) return;
  unsigned objects = 0, whole = 0, refused = 0;
  for (struct dirent *de; (de = readdir(d)) != NULL;) {
    size_t n = strlen(de->d_name);
    if (n < 3 || strcmp(de->d_name + n - 2, ".o") != 0) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", cache_dir, de->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    static uint8_t file[1 << 20];
    size_t len = fread(file, 1, sizeof file, f);
    fclose(f);
    if (len <= 40) continue;
    const uint8_t *obj = file + 40; /* cache.c's header */
    size_t size = len - 40;
    objects++;
    char err[256] = "";
    if (try_link(obj, size, true, err, sizeof err)) whole++;
    else fprintf(stderr, "a whole object was refused: %s\n", err);
    /* Cut short anywhere: refused or linked, never a read past the end. */
    for (size_t cut = 0; cut < size; cut += 1 + size / 300) refused += !try_link(obj, cut, false, err, sizeof err);
    /* Bytes changed at random, the headers and tables most. */
    uint8_t *bad = malloc(size);
    for (int round = 0; round < 2000; round++) {
      memcpy(bad, obj, size);
      int changes = 1 + (int)(next() % 4);
      for (int k = 0; k < changes; k++) {
        size_t at = next() % 2 ? next() % (size < 64 ? size : 64) : next() % size;
        if (next() % 3 == 0) at = size - 1 - next() % (size < 512 ? size : 512); /* the tables at the end */
        bad[at] = (uint8_t)next();
      }
      refused += !try_link(bad, size, false, err, sizeof err);
    }
    /* An object for another machine is refused with the reason. */
    memcpy(bad, obj, size);
    bad[18] = 183; /* e_machine: EM_AARCH64 */
    bad[19] = 0;
    CHECK(!try_link(bad, size, false, err, sizeof err));
    if (LINKS_ITSELF) CHECK_STR_CONTAINS(err, "x86-64");
    free(bad);
  }
  closedir(d);
  CHECK(objects > 0);
  if (LINKS_ITSELF) CHECK_EQ_I64(whole, objects);
  CHECK(refused > 0);
  printf("  %u cached objects: %u linked whole; cut and damaged copies: %u refused\n", objects, whole, refused);
}

static void remove_dir(void) {
  DIR *d = opendir(cache_dir);
  if (!d) return;
  char path[512];
  for (struct dirent *de; (de = readdir(d)) != NULL;) {
    if (de->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", cache_dir, de->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(cache_dir);
}

int main(void) {
  /* A cache of this test's own (decided on first use: before any module). */
  if (!mkdtemp(cache_dir)) return 1;
  setenv("TOVA_CACHE_DIR", cache_dir, 1);
  ex = tova_exec_new(0);
  RUN(test_cached_unit_runs_the_same);
  RUN(test_precompile);
  RUN(test_damaged_objects);
  tova_exec_free(ex);
  remove_dir();
  return CHECK_DONE();
}

#else

int main(void) {
  printf("test_objlink: no native tier in this build (LLVM not found)\n");
  return CHECK_DONE();
}

#endif
