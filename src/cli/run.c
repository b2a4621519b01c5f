/*
 * run.c: `tova run [OPTIONS] FILE.wasm [ARGS...]` and `... --invoke NAME ARGS`.
 *
 * Every run gets a WASI context (wasi_snapshot_preview1 defined in the
 * linker), so a WASI command runs as under `wasmtime run` and an invoked
 * function may use WASI too; a module that imports nothing else links as
 * before. A reactor's _initialize runs before the invoked function. The
 * program sees only the directories given with --dir and the variables given
 * with --env. Its exit status is the process's.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_ARGS 1000 /* the spec's limit on parameters and results */
/* Stack of WebAssembly frames: grown on demand up to this (C programs keep
 * their own stack in linear memory; this bounds call depth only). */
#define EXEC_STACK_BYTES ((size_t)64 << 20)

typedef struct run_opts {
  const char *path;
  const char *invoke; /* NULL: run _start as a WASI command */
  char **args;        /* the program's arguments, or the invoked function's */
  int nargs;
  const char **dirs; /* HOST[::GUEST] */
  int ndirs;
  const char **envs; /* KEY=VALUE */
  int nenvs;
  uint64_t timeout_ms; /* 0: none */
  uint32_t max_memory_pages; /* per memory; 0: the store's default */
  tova_tier tier;            /* --tier; 0: TOVA_TIER or the default */
} run_opts;

static int usage_error(const char *why) {
  fprintf(stderr, "tova run: %s\nusage: tova run [--dir HOST[::GUEST]] [--env K=V] [--timeout MS] "
                  "[--max-memory MIB] [--tier T] FILE.wasm [ARGS...]\n"
                  "       tova run [OPTIONS] FILE.wasm --invoke NAME [ARGS...]\n",
          why);
  return 2;
}

/* Options come before FILE.wasm; after it, everything belongs to the program
 * except a --invoke right after the file (the older form). */
static int parse_opts(int argc, char **argv, run_opts *o) {
  memset(o, 0, sizeof *o);
  o->dirs = calloc((size_t)argc + 1, sizeof *o->dirs);
  o->envs = calloc((size_t)argc + 1, sizeof *o->envs);
  if (!o->dirs || !o->envs) return usage_error("out of memory");
  int i = 0;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
    const char *opt = argv[i];
    if (!strcmp(opt, "--")) {
      i++;
      break;
    }
    const char *eq = strchr(opt, '=');
    size_t name_len = eq ? (size_t)(eq - opt) : strlen(opt);
    const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
#define IS(name) (name_len == strlen(name) && !strncmp(opt, name, name_len))
    if (!IS("--dir") && !IS("--env") && !IS("--timeout") && !IS("--invoke") &&
        !IS("--max-memory") && !IS("--tier")) {
      fprintf(stderr, "tova run: unknown option '%s'\n", opt);
      return 2;
    }
    if (!val) {
      fprintf(stderr, "tova run: option %.*s needs a value\n", (int)name_len, opt);
      return 2;
    }
    if (!eq) i++;
    if (IS("--dir")) {
      o->dirs[o->ndirs++] = val;
    } else if (IS("--env")) {
      if (!strchr(val, '=') || val[0] == '=') return usage_error("--env takes KEY=VALUE");
      o->envs[o->nenvs++] = val;
    } else if (IS("--timeout")) {
      tova_val v;
      if (!cli_parse_value(val, TOVA_I64, &v) || v.i64 <= 0)
        return usage_error("--timeout takes a positive number of milliseconds");
      o->timeout_ms = (uint64_t)v.i64;
    } else if (IS("--max-memory")) {
      tova_val v;
      if (!cli_parse_value(val, TOVA_I64, &v) || v.i64 <= 0 || v.i64 > 4096)
        return usage_error("--max-memory takes a size in MiB, 1 to 4096");
      o->max_memory_pages = (uint32_t)v.i64 * 16; /* 64 KiB pages */
    } else if (IS("--tier")) {
      static const struct { const char *name; tova_tier tier; } tiers[] = {
          {"interp", TOVA_TIER_INTERP}, {"native", TOVA_TIER_NATIVE},
          {"tiered", TOVA_TIER_TIERED}, {"auto", TOVA_TIER_AUTO}};
      o->tier = 0;
      for (size_t k = 0; k < sizeof tiers / sizeof tiers[0]; k++)
        if (!strcmp(val, tiers[k].name)) o->tier = tiers[k].tier;
      if (!o->tier) return usage_error("--tier takes interp, native, tiered or auto");
    } else {
      o->invoke = val;
    }
#undef IS
  }
  if (i >= argc) return usage_error("no FILE.wasm given");
  o->path = argv[i++];
  if (!o->invoke && i < argc && !strcmp(argv[i], "--invoke")) {
    if (i + 1 >= argc) return usage_error("--invoke needs a function name");
    o->invoke = argv[i + 1];
    i += 2;
  }
  o->args = argv + i;
  o->nargs = argc - i;
  if (o->invoke && o->nargs > MAX_ARGS) return usage_error("too many arguments");
  return 0;
}

/* Set up the WASI context from the options; 0 or an exit status. */
static int setup_wasi(tova_wasi *w, const run_opts *o) {
  int argc = o->invoke ? 1 : o->nargs + 1;
  const char **argv = calloc((size_t)argc, sizeof *argv);
  if (!argv) return 1;
  argv[0] = o->path;
  for (int i = 1; i < argc; i++) argv[i] = o->args[i - 1];
  tova_status st = tova_wasi_set_args(w, (size_t)argc, argv);
  free(argv);
  if (st == TOVA_OK) st = tova_wasi_set_env(w, (size_t)o->nenvs, o->envs);
  if (st != TOVA_OK) {
    fputs("tova: out of memory\n", stderr);
    return 1;
  }
  for (int i = 0; i < o->ndirs; i++) {
    char *host = strdup(o->dirs[i]);
    if (!host) return 1;
    char *sep = strstr(host, "::");
    const char *guest = host;
    if (sep) {
      *sep = '\0';
      guest = sep + 2;
    }
    tova_error err = {0};
    st = *host && *guest ? tova_wasi_preopen(w, host, guest, &err)
                         : tova_error_set(&err, TOVA_ERR_BAD_ARGUMENT, "empty directory name");
    free(host);
    if (st != TOVA_OK) {
      fprintf(stderr, "tova: --dir %s: %s\n", o->dirs[i], err.message);
      return 1;
    }
  }
  return 0;
}

/* Call f with text arguments; prints results (when print) and returns the exit status. */
static int call(tova_func *f, const char *name, char **argv, int argc, const run_opts *o,
                tova_wasi *w, bool print) {
  const tova_functype *ft = tova_func_type(f);
  if ((uint32_t)argc != ft->nparams) {
    fprintf(stderr, "tova: '%s' takes %u argument(s), %d given\n", name, ft->nparams, argc);
    return 1;
  }
  tova_val *args = calloc(ft->nparams + 1, sizeof *args);
  tova_val *results = calloc(ft->nresults + 1, sizeof *results);
  tova_exec *e = tova_exec_new(EXEC_STACK_BYTES);
  int rc = 1;
  if (!args || !results || !e) {
    fputs("tova: out of memory\n", stderr);
    goto out;
  }
  for (uint32_t i = 0; i < ft->nparams; i++) {
    if (!cli_parse_value(argv[i], ft->params[i], &args[i])) {
      fprintf(stderr, "tova: argument %u '%s' is not a valid %s\n", i + 1, argv[i],
              tova_valtype_name(ft->params[i]));
      goto out;
    }
  }
  cli_watchdog *dog = NULL;
  if (o->timeout_ms && !(dog = cli_watchdog_start(o->timeout_ms, e, w))) {
    fputs("tova: cannot start the --timeout thread\n", stderr);
    goto out;
  }
  tova_error err = {0};
  tova_status st = tova_exec_call(e, f, args, results, &err);
  if (st == TOVA_SUSPENDED) {
    tova_exec_reset(e);
    tova_error_set(&err, st, "a host function suspended, which `tova run` cannot resume");
  }
  bool timed_out = cli_watchdog_stop(dog);
  fflush(stdout);
  int status;
  if (st == TOVA_OK) {
    if (print)
      for (uint32_t i = 0; i < ft->nresults; i++) cli_print_value(stdout, ft->results[i], results[i]);
    rc = 0;
  } else if (st == TOVA_ERR_TRAP && tova_wasi_exit_status(w, &status)) {
    rc = status; /* proc_exit: not a failure; the OS keeps the low 8 bits, as natively */
  } else if (timed_out) {
    fprintf(stderr, "tova: timed out after %llu ms\n", (unsigned long long)o->timeout_ms);
    rc = CLI_EXIT_TIMEOUT;
  } else if (st == TOVA_ERR_TRAP) {
    fprintf(stderr, "trap: %s\n", err.message);
  } else {
    fprintf(stderr, "tova: %s: %s\n", tova_status_code(st), err.message);
  }
out:
  tova_exec_free(e);
  free(args);
  free(results);
  return rc;
}

/* A WASI reactor exports _initialize instead of _start: call it before the
 * invoked function, as wasmtime does. Returns 0 or an exit status. */
static int initialize(tova_instance *inst, const run_opts *o, tova_wasi *w) {
  tova_extern ext;
  if (tova_instance_export(inst, "_initialize", &ext) != TOVA_OK || ext.kind != TOVA_EXTERN_FUNC)
    return 0;
  return call(ext.of.func, "_initialize", NULL, 0, o, w, false);
}

static int run(const run_opts *o) {
  /* Before the module is compiled: the policy applies to modules compiled
   * afterwards (tova_set_tier). */
  if (o->tier && tova_set_tier(o->tier) != TOVA_OK) {
    char info[800];
    tova_runtime_info(info, sizeof info);
    fprintf(stderr, "tova run: --tier: no native tier here: %s\n", info);
    return 2;
  }
  size_t len;
  unsigned char *bytes = cli_read_module(o->path, &len);
  if (!bytes) return 1;
  tova_error err = {0};
  tova_module *m = NULL;
  tova_status st = tova_module_compile(bytes, len, &m, &err);
  free(bytes);
  if (st != TOVA_OK) {
    fprintf(stderr, "tova: %s: %s\n", tova_status_code(st), err.message);
    return 1;
  }
  tova_store_config cfg = {.max_memory_pages = o->max_memory_pages};
  tova_store *s = tova_store_new(&cfg);
  tova_linker *l = tova_linker_new();
  tova_wasi *w = tova_wasi_new();
  tova_instance *inst = NULL;
  int rc = 1;
  if (!s || !l || !w) {
    fputs("tova: out of memory\n", stderr);
  } else if ((rc = setup_wasi(w, o)) != 0) {
    /* message printed */
  } else if ((st = tova_wasi_define(w, s, l)) != TOVA_OK) {
    fprintf(stderr, "tova: %s: cannot define the WASI imports\n", tova_status_code(st));
    rc = 1;
  } else if ((st = tova_linker_instantiate(l, s, m, &inst, &err)) != TOVA_OK) {
    int status;
    if (st == TOVA_ERR_TRAP && tova_wasi_exit_status(w, &status)) {
      rc = status; /* proc_exit from a start function */
    } else {
      if (st == TOVA_ERR_TRAP) fprintf(stderr, "trap: %s\n", err.message);
      else fprintf(stderr, "tova: %s: %s\n", tova_status_code(st), err.message);
      rc = 1;
    }
  } else if ((rc = initialize(inst, o, w)) != 0) {
    /* _initialize failed or exited: its status is the run's */
  } else {
    const char *name = o->invoke ? o->invoke : "_start";
    tova_extern ext;
    if (tova_instance_export(inst, name, &ext) != TOVA_OK || ext.kind != TOVA_EXTERN_FUNC) {
      if (o->invoke) {
        fprintf(stderr, "tova: no exported function '%s'\n", name);
        rc = 1;
      } else {
        rc = 0; /* a module without _start: instantiating it (its start function) was the run */
      }
    } else if (o->invoke) {
      rc = call(ext.of.func, name, o->args, o->nargs, o, w, true);
    } else {
      rc = call(ext.of.func, name, NULL, 0, o, w, false);
    }
  }
  tova_linker_free(l);
  tova_store_free(s);
  tova_wasi_free(w);
  tova_module_release(m);
  return rc;
}

int cli_run(int argc, char **argv) {
  if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
    fputs("usage: tova run [--dir HOST[::GUEST]] [--env K=V] [--timeout MS] [--max-memory MIB]\n"
          "                [--tier T] FILE.wasm [ARGS...]\n"
          "       tova run [OPTIONS] FILE.wasm --invoke NAME [ARGS...]\n"
          "(tova --help says more)\n",
          stdout);
    return 0;
  }
  run_opts o;
  int rc = parse_opts(argc, argv, &o);
  if (rc == 0) rc = run(&o);
  free(o.dirs);
  free(o.envs);
  return rc;
}
