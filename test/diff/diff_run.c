/*
 * diff_run.c: the tova side of the differential fuzzer (test/diff/README.md).
 *
 *   diff_run [--timeout-ms N] FILE.wasm
 *
 * Prints one canonical line per call of every exported function, each call on
 * a FRESH instance (so calls do not depend on each other), with the argument
 * sets of test/diff/args.txt's rule (below). test/diff/node_run.js prints the
 * same lines for Node's WebAssembly; scripts/difffuzz.sh compares the two.
 *
 * Line format (both runners, byte for byte):
 *   compile ok | compile error
 *   inst trap <class> | inst error              (start function / segments)
 *   call <export> <set> <outcome> log=<n>:<hash> mem=<pages>:<hash>
 * where outcome is `ok <r1>,<r2>...` (i32/i64 signed decimal, floats as
 * f32:xxxxxxxx / f64:xxxxxxxxxxxxxxxx bits, any NaN as "nan": the spec lets an
 * arithmetic NaN's sign and payload differ between engines) or `trap <class>`
 * (the trap messages of engines differ, their class does not), or `timeout`
 * (this runner only: the call ran past the deadline; the driver skips it).
 *
 * Imports: every function import is a stub that appends its name and
 * arguments to the call's log and returns zeros (binaryen's -ttf modules import
 * fuzzing-support.log-i32/i64/f32/f64). With TOVA_DIFF_PARK=N in the
 * environment, every Nth stub call during an exported call parks instead
 * (TOVA_SUSPENDED) and the call is resumed with the same zeros: the output
 * must not change, which tests that an execution parked anywhere, native
 * code included (it leaves for the interpreter: native/rt.h), continues
 * exactly where it was. With TOVA_DIFF_INTERRUPT=N, the Nth stub call of
 * each exported call interrupts the call's own execution before it returns
 * (`cancelled` is then an outcome): what the stub returned must still reach
 * the code, which runs on to its next loop back-edge or call (tova.h,
 * tova_exec_interrupt); no other engine has that rule, so the driver compares
 * such runs with the interpreter's (scripts/difffuzz.js --interrupt).
 * Other import kinds are not supported:
 * `compile error` is not printed for them, `imports unsupported` is, and the
 * driver skips the module.
 *
 * Only include/tova.h is used: this is a client of the public API.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tova.h"

#include "diff_values.h"

/* ---------------- the call log (what the host stubs saw) ---------------- */

typedef struct call_log {
  uint32_t count;
  uint32_t hash; /* FNV-1a over each entry's text followed by '\n' */
} call_log;

static void log_entry(call_log *lg, const char *text) {
  lg->count++;
  lg->hash = diff_fnv1a(lg->hash, (const uint8_t *)text, strlen(text));
  lg->hash = diff_fnv1a(lg->hash, (const uint8_t *)"\n", 1);
}

/* Every function import: a stub that logs its name and arguments. */
typedef struct stub {
  char *name; /* "module.field", NUL-terminated */
  tova_functype type;
  call_log *log;
} stub;

/* TOVA_DIFF_PARK: park every park_every-th stub call (0: never), while
 * in_call (an exported call runs, not the start function).
 * TOVA_DIFF_INTERRUPT: the interrupt_at-th stub call of each exported call
 * (0: none) interrupts its own execution (`calling`) before it returns. */
static unsigned long park_every, park_count, interrupt_at, interrupt_count;
static bool in_call;
static tova_exec *calling;

static tova_status stub_call(tova_host_call *call, void *userdata, const tova_val *args,
                             tova_val *results) {
  (void)call;
  const stub *s = userdata;
  char text[1024];
  size_t n = (size_t)snprintf(text, sizeof text, "%s(", s->name);
  for (uint32_t i = 0; i < s->type.nparams && n < sizeof text; i++) {
    char v[40];
    diff_format_value(v, sizeof v, s->type.params[i], args[i].raw);
    n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", i ? "," : "", v);
  }
  if (n < sizeof text) snprintf(text + n, sizeof text - n, ")");
  log_entry(s->log, text);
  for (uint32_t i = 0; i < s->type.nresults; i++) results[i].raw = 0;
  if (in_call && interrupt_at && ++interrupt_count == interrupt_at) tova_exec_interrupt(calling);
  if (in_call && park_every && ++park_count % park_every == 0) return TOVA_SUSPENDED;
  return TOVA_OK;
}

/* ---------------- the watchdog: interrupt a call past its deadline ---------------- */

typedef struct watchdog {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  tova_exec *armed;   /* the running execution, NULL between calls */
  struct timespec deadline;
  bool fired, quit;
} watchdog;

static void *watchdog_main(void *p) {
  watchdog *w = p;
  pthread_mutex_lock(&w->mu);
  while (!w->quit) {
    if (!w->armed) {
      pthread_cond_wait(&w->cv, &w->mu);
      continue;
    }
    int rc = pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline);
    /* Interrupting under the lock: the caller disarms under it too (and
     * then clears the sticky flag), so an interrupt never reaches a later
     * call. */
    if (rc == ETIMEDOUT && w->armed) {
      tova_exec_interrupt(w->armed);
      w->fired = true;
      w->armed = NULL;
    }
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

static void watchdog_arm(watchdog *w, tova_exec *e, long ms) {
  pthread_mutex_lock(&w->mu);
  clock_gettime(CLOCK_REALTIME, &w->deadline);
  w->deadline.tv_sec += ms / 1000;
  w->deadline.tv_nsec += (ms % 1000) * 1000000L;
  if (w->deadline.tv_nsec >= 1000000000L) {
    w->deadline.tv_sec++;
    w->deadline.tv_nsec -= 1000000000L;
  }
  w->armed = e;
  w->fired = false;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

static bool watchdog_disarm(watchdog *w) {
  pthread_mutex_lock(&w->mu);
  w->armed = NULL;
  bool fired = w->fired;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  return fired;
}

/* ---------------- one module ---------------- */

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0, k;
  uint8_t *buf = malloc(cap);
  while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

typedef struct runner {
  tova_module *m;
  stub *stubs; /* one per import (only function imports are supported) */
  uint32_t nimports;
  call_log log;
  tova_exec *exec;
  watchdog wd;
  long timeout_ms;
} runner;

/* A fresh store and instance; NULL (with a line printed when print_trap) if
 * instantiation fails. */
static tova_instance *instantiate(runner *r, tova_store **sp, bool print_trap) {
  tova_store *s = tova_store_new(NULL);
  tova_extern *imports = calloc(r->nimports ? r->nimports : 1, sizeof *imports);
  if (!s || !imports) {
    fprintf(stderr, "diff_run: out of memory\n");
    exit(2);
  }
  for (uint32_t i = 0; i < r->nimports; i++) {
    tova_func *f = tova_func_new_host(s, &r->stubs[i].type, stub_call, &r->stubs[i]);
    imports[i] = (tova_extern){.kind = TOVA_EXTERN_FUNC, .of.func = f};
  }
  tova_instance *inst = NULL;
  tova_error err = {0};
  tova_status st = tova_instance_new(s, r->m, imports, r->nimports, &inst, &err);
  free(imports);
  if (st != TOVA_OK) {
    if (print_trap) {
      if (st == TOVA_ERR_TRAP) printf("inst trap %s\n", diff_trap_class(err.message));
      else printf("inst error\n");
    }
    tova_store_free(s);
    return NULL;
  }
  *sp = s;
  return inst;
}

static void memory_digest(tova_instance *inst, uint32_t *pages, uint32_t *hash) {
  *pages = 0;
  *hash = DIFF_FNV_INIT;
  tova_module *m = tova_instance_module(inst);
  uint32_t n = tova_module_export_count(m);
  for (uint32_t i = 0; i < n; i++) {
    tova_export_info info;
    tova_module_export_at(m, i, &info);
    if (info.kind != TOVA_EXTERN_MEMORY) continue;
    tova_extern ext;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)info.name_len, info.name);
    if (tova_instance_export(inst, name, &ext) != TOVA_OK) return;
    uint64_t size = 0;
    uint8_t *data = tova_memory_data(ext.of.memory, &size);
    *pages = tova_memory_pages(ext.of.memory);
    *hash = diff_fnv1a(*hash, data, (size_t)size);
    return; /* the first exported memory (there is at most one) */
  }
}

static void run_call(runner *r, const char *name, const tova_functype *ft, unsigned set) {
  tova_store *s = NULL;
  r->log = (call_log){0, DIFF_FNV_INIT};
  tova_instance *inst = instantiate(r, &s, false);
  if (!inst) {
    printf("call %s %u inst-failed\n", name, set);
    return;
  }
  tova_extern ext;
  if (tova_instance_export(inst, name, &ext) != TOVA_OK || ext.kind != TOVA_EXTERN_FUNC) {
    printf("call %s %u no-export\n", name, set);
    tova_store_free(s);
    return;
  }
  tova_val args[64] = {{0}}, res[64] = {{0}};
  for (uint32_t i = 0; i < ft->nparams && i < 64; i++) args[i].raw = diff_arg(ft->params[i], set, i);
  tova_error err = {0};
  r->log = (call_log){0, DIFF_FNV_INIT}; /* the start function's calls are not this call's */
  watchdog_arm(&r->wd, r->exec, r->timeout_ms);
  calling = r->exec;
  interrupt_count = 0;
  in_call = true;
  tova_status st = tova_exec_call(r->exec, ext.of.func, args, res, &err);
  /* Parked in a stub: resume with the zeros it would have returned. */
  tova_val zeros[64] = {{0}};
  while (st == TOVA_SUSPENDED) st = tova_exec_resume(r->exec, zeros, res, &err);
  in_call = false;
  bool fired = watchdog_disarm(&r->wd);
  /* The flag is sticky (tova.h): the next call starts clear. */
  tova_exec_clear_interrupt(r->exec);
  printf("call %s %u ", name, set);
  if (st == TOVA_OK) {
    printf("ok ");
    for (uint32_t i = 0; i < ft->nresults; i++) {
      char v[40];
      diff_format_value(v, sizeof v, ft->results[i], res[i].raw);
      printf("%s%s", i ? "," : "", v);
    }
    if (!ft->nresults) printf("-");
  } else if (st == TOVA_ERR_TRAP) {
    printf("trap %s", diff_trap_class(err.message));
  } else if (st == TOVA_ERR_CANCELLED && fired) {
    printf("timeout");
  } else if (st == TOVA_ERR_CANCELLED && interrupt_at && interrupt_count >= interrupt_at) {
    printf("cancelled"); /* by its own import (TOVA_DIFF_INTERRUPT) */
  } else {
    printf("error %s", tova_status_code(st));
  }
  uint32_t pages, mh;
  memory_digest(inst, &pages, &mh);
  printf(" log=%" PRIu32 ":%08" PRIx32 " mem=%" PRIu32 ":%08" PRIx32 "\n", r->log.count,
         r->log.hash, pages, mh);
  fflush(stdout);
  tova_store_free(s);
}

int main(int argc, char **argv) {
  runner r = {0};
  const char *pe = getenv("TOVA_DIFF_PARK");
  if (pe) park_every = strtoul(pe, NULL, 10);
  const char *ie = getenv("TOVA_DIFF_INTERRUPT");
  if (ie) interrupt_at = strtoul(ie, NULL, 10);
  r.timeout_ms = 2000;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) r.timeout_ms = atol(argv[++i]);
    else path = argv[i];
  }
  if (!path) {
    fprintf(stderr, "usage: diff_run [--timeout-ms N] FILE.wasm\n");
    return 2;
  }
  size_t len = 0;
  uint8_t *bytes = read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "diff_run: cannot read %s\n", path);
    return 2;
  }
  tova_error err = {0};
  if (tova_module_compile(bytes, len, &r.m, &err) != TOVA_OK) {
    printf("compile error\n");
    fprintf(stderr, "diff_run: %s\n", err.message);
    free(bytes);
    return 0;
  }
  free(bytes);
  printf("compile ok\n");

  r.nimports = tova_module_import_count(r.m);
  r.stubs = calloc(r.nimports ? r.nimports : 1, sizeof *r.stubs);
  for (uint32_t i = 0; i < r.nimports; i++) {
    tova_import_info info;
    tova_module_import_at(r.m, i, &info);
    if (info.kind != TOVA_EXTERN_FUNC) {
      printf("imports unsupported\n");
      for (uint32_t k = 0; k < i; k++) free(r.stubs[k].name);
      free(r.stubs);
      tova_module_release(r.m);
      return 0;
    }
    size_t n = (size_t)info.module_len + info.name_len + 2;
    r.stubs[i].name = malloc(n);
    snprintf(r.stubs[i].name, n, "%.*s.%.*s", (int)info.module_len, info.module,
             (int)info.name_len, info.name);
    r.stubs[i].type = info.functype;
    r.stubs[i].log = &r.log;
  }

  r.exec = tova_exec_new(0);
  pthread_mutex_init(&r.wd.mu, NULL);
  pthread_cond_init(&r.wd.cv, NULL);
  pthread_t wd_thread;
  pthread_create(&wd_thread, NULL, watchdog_main, &r.wd);

  tova_store *s = NULL;
  r.log = (call_log){0, DIFF_FNV_INIT};
  tova_instance *inst = instantiate(&r, &s, true);
  if (inst) {
    tova_store_free(s);
    uint32_t n = tova_module_export_count(r.m);
    for (uint32_t i = 0; i < n; i++) {
      tova_export_info info;
      tova_module_export_at(r.m, i, &info);
      if (info.kind != TOVA_EXTERN_FUNC) continue;
      char name[512];
      snprintf(name, sizeof name, "%.*s", (int)info.name_len, info.name);
      tova_functype ft;
      if (tova_module_export_functype(r.m, name, &ft) != TOVA_OK) continue;
      for (unsigned set = 0; set < DIFF_ARG_SETS; set++) run_call(&r, name, &ft, set);
    }
  }

  pthread_mutex_lock(&r.wd.mu);
  r.wd.quit = true;
  pthread_cond_signal(&r.wd.cv);
  pthread_mutex_unlock(&r.wd.mu);
  pthread_join(wd_thread, NULL);
  tova_exec_free(r.exec);
  for (uint32_t i = 0; i < r.nimports; i++) free(r.stubs[i].name);
  free(r.stubs);
  tova_module_release(r.m);
  return 0;
}
