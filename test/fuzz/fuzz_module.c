/*
 * fuzz_module.c: libFuzzer harness for decode + validate + compile, then, for
 * whatever compiles, instantiation with stub imports, the start function and
 * a call of every exported function. Any crash, sanitizer report, leak or
 * hang is a bug; traps are fine.
 *
 *   bash scripts/fuzz.sh [SECONDS]   (builds it with clang and runs it)
 *
 * Imports: every import gets a stub of exactly its type (a host function
 * returning zeros, a table/memory with the import's limits, a zero global),
 * so every module that compiles also links, unless the stub itself is too big
 * for the store's limits below.
 *
 * Running code needs a bound (a start function or export may loop forever):
 * a watchdog thread interrupts the execution (tova_exec_interrupt, which is
 * thread-safe) once its deadline passes. Each call gets CALL_BUDGET_NS and the
 * whole input RUN_BUDGET_NS, so an input costs at most about 100 ms whatever
 * its code does. Exports are called with zero arguments (0 / 0.0 / null).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/module.h"
#include "engine/objects.h"
#include "tova.h"

/* Keep the fuzzer's memory bounded: a module may ask for up to 64 pages. */
static const tova_store_config fuzz_store_config = {.max_memory_pages = 64, .max_table_elems = 4096};

#define CALL_BUDGET_NS (10u * 1000u * 1000u)
#define RUN_BUDGET_NS (100u * 1000u * 1000u)
#define WATCHDOG_TICK_NS (1u * 1000u * 1000u)

/* ---- watchdog ------------------------------------------------------------ */

static tova_exec *fuzz_exec;               /* one for the process, never freed */
static _Atomic uint64_t watchdog_deadline; /* 0 = disarmed */
static pthread_once_t watchdog_once = PTHREAD_ONCE_INIT;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *watchdog(void *arg) {
  (void)arg;
  const struct timespec tick = {0, WATCHDOG_TICK_NS};
  for (;;) {
    nanosleep(&tick, NULL);
    uint64_t d = atomic_load(&watchdog_deadline);
    /* A late interrupt can only hit the next call, which clears it on entry
     * or stops early: harmless either way. */
    if (d && now_ns() > d) tova_exec_interrupt(fuzz_exec);
  }
  return NULL;
}

static void watchdog_start(void) {
  fuzz_exec = tova_exec_new(0);
  pthread_t t;
  if (fuzz_exec && pthread_create(&t, NULL, watchdog, NULL) == 0) pthread_detach(t);
}

/* Arm for one call: CALL_BUDGET_NS, but never past the input's end. */
static void arm(uint64_t run_end) {
  uint64_t d = now_ns() + CALL_BUDGET_NS;
  atomic_store(&watchdog_deadline, d < run_end ? d : run_end);
}

static void disarm(void) { atomic_store(&watchdog_deadline, 0); }

/* ---- stub imports -------------------------------------------------------- */

static tova_status stub_func(tova_host_call *call, void *userdata, const tova_val *args,
                             tova_val *results) {
  const tova_functype *ft = userdata;
  (void)call;
  (void)args;
  if (ft->nresults) memset(results, 0, ft->nresults * sizeof *results);
  return TOVA_OK;
}

/* One stub per import, of its exact type; false if one cannot be made. */
static bool make_stubs(tova_store *s, const tova_module *m, tova_extern *out) {
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *im = &m->imports[i];
    out[i].kind = (tova_extern_kind)im->kind;
    switch (im->kind) {
      case TOVA_EXTERN_FUNC: {
        const tova_functype *ft = &m->types[im->desc.type_index];
        out[i].of.func = tova_func_new_host(s, ft, stub_func, (void *)ft);
        if (!out[i].of.func) return false;
        break;
      }
      case TOVA_EXTERN_TABLE: {
        const wasm_tabletype *t = &im->desc.table;
        out[i].of.table = tova_table_new(s, (tova_valtype)t->elem, t->limits.min, t->limits.max,
                                         t->limits.has_max);
        if (!out[i].of.table) return false;
        break;
      }
      case TOVA_EXTERN_MEMORY: {
        const wasm_limits *l = &im->desc.memory;
        out[i].of.memory = tova_memory_new(s, l->min, l->max, l->has_max);
        if (!out[i].of.memory) return false;
        break;
      }
      case TOVA_EXTERN_GLOBAL: {
        tova_val zero;
        memset(&zero, 0, sizeof zero);
        out[i].of.global = tova_global_new(s, (tova_valtype)im->desc.global.type,
                                           im->desc.global.mutable_, zero);
        if (!out[i].of.global) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

/* ---- running ------------------------------------------------------------- */

/* Call every exported function with zero arguments until the budget is
 * spent. */
static void call_exports(tova_instance *inst, const tova_module *m, uint64_t run_end) {
  tova_error err;
  for (uint32_t i = 0; i < m->nexports && now_ns() < run_end; i++) {
    const wasm_export *ex = &m->exports[i];
    tova_extern ext;
    if (ex->kind != TOVA_EXTERN_FUNC ||
        wasm_instance_export_n(inst, ex->name, ex->name_len, &ext) != TOVA_OK)
      continue;
    const tova_functype *ft = tova_func_type(ext.of.func);
    tova_val *args = calloc(ft->nparams + 1, sizeof *args);
    tova_val *results = calloc(ft->nresults + 1, sizeof *results);
    if (args && results) {
      arm(run_end);
      if (tova_exec_call(fuzz_exec, ext.of.func, args, results, &err) == TOVA_SUSPENDED)
        tova_exec_reset(fuzz_exec); /* the stubs never suspend; be total anyway */
      disarm();
    }
    free(args);
    free(results);
  }
}

/* Instantiate m with stubs (running its start function) and call its exports. */
static void run_module(tova_module *m) {
  pthread_once(&watchdog_once, watchdog_start);
  if (!fuzz_exec) return;
  tova_store *s = tova_store_new(&fuzz_store_config);
  if (!s) return;
  tova_extern *imports = calloc(m->nimports + 1, sizeof *imports);
  if (imports && make_stubs(s, m, imports)) {
    uint64_t run_end = now_ns() + RUN_BUDGET_NS;
    tova_instance *inst = NULL;
    tova_error err;
    arm(run_end);
    /* Traps in segment initialisation or the start function are fine. */
    tova_status st = wasm_instance_new_exec(s, m, imports, m->nimports, fuzz_exec, &inst, &err);
    disarm();
    if (st == TOVA_OK) call_exports(inst, m, run_end);
  }
  free(imports);
  tova_store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tova_error err;
  tova_module *m = NULL;
  if (tova_module_compile(data, size, &m, &err) != TOVA_OK) return 0;
  /* Exercise the info API on every compiled module. */
  uint32_t nexports = tova_module_export_count(m);
  for (uint32_t i = 0; i < nexports; i++) {
    tova_export_info info;
    tova_module_export_at(m, i, &info);
  }
  uint32_t nimports = tova_module_import_count(m);
  for (uint32_t i = 0; i < nimports; i++) {
    tova_import_info info;
    tova_module_import_at(m, i, &info);
  }
  run_module(m);
  tova_module_release(m);
  return 0;
}
