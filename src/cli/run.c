/*
 * run.c: `tova run FILE.wasm [--invoke NAME [ARGS...]]`.
 *
 * Instantiates the module with no imports available (a module that imports
 * anything fails with the linker's "unknown import" message), then calls the
 * export and prints its results one per line, like `wasmtime run --invoke`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_ARGS 1000 /* the spec's limit on parameters and results */

static int call_export(tova_instance *inst, const char *name, int argc, char **argv,
                       bool optional) {
  tova_extern ext;
  if (tova_instance_export(inst, name, &ext) != TOVA_OK || ext.kind != TOVA_EXTERN_FUNC) {
    if (optional) return 0;
    fprintf(stderr, "tova: no exported function '%s'\n", name);
    return 1;
  }
  const tova_functype *ft = tova_func_type(ext.of.func);
  if ((uint32_t)argc != ft->nparams) {
    fprintf(stderr, "tova: '%s' takes %u argument(s), %d given\n", name, ft->nparams, argc);
    return 1;
  }
  tova_val *args = calloc(ft->nparams + 1, sizeof *args);
  tova_val *results = calloc(ft->nresults + 1, sizeof *results);
  int rc = 1;
  if (!args || !results) {
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
  tova_exec *e = tova_exec_new(0);
  if (!e) {
    fputs("tova: out of memory\n", stderr);
    goto out;
  }
  tova_error err = {0};
  tova_status st = tova_exec_call(e, ext.of.func, args, results, &err);
  if (st == TOVA_SUSPENDED) {
    tova_exec_reset(e);
    tova_error_set(&err, st, "a host function suspended, which `tova run` cannot resume");
  }
  tova_exec_free(e);
  if (st == TOVA_OK) {
    for (uint32_t i = 0; i < ft->nresults; i++) cli_print_value(stdout, ft->results[i], results[i]);
    rc = 0;
  } else if (st == TOVA_ERR_TRAP) {
    fprintf(stderr, "trap: %s\n", err.message);
  } else {
    fprintf(stderr, "tova: %s: %s\n", tova_status_code(st), err.message);
  }
out:
  free(args);
  free(results);
  return rc;
}

int cli_run(int argc, char **argv) {
  if (argc < 1 || argv[0][0] == '-') {
    fputs("usage: tova run FILE.wasm [--invoke NAME [ARGS...]]\n", stderr);
    return 2;
  }
  const char *path = argv[0];
  const char *invoke = NULL;
  int nargs = 0;
  char **args = NULL;
  if (argc >= 2) {
    if (strcmp(argv[1], "--invoke") != 0 || argc < 3) {
      fputs("usage: tova run FILE.wasm [--invoke NAME [ARGS...]]\n", stderr);
      return 2;
    }
    invoke = argv[2];
    args = argv + 3;
    nargs = argc - 3;
    if (nargs > MAX_ARGS) {
      fputs("tova: too many arguments\n", stderr);
      return 2;
    }
  }

  size_t len;
  unsigned char *bytes = cli_read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "tova: cannot read %s: %s\n", path, strerror(errno));
    return 1;
  }
  tova_error err = {0};
  tova_module *m = NULL;
  tova_status st = tova_module_compile(bytes, len, &m, &err);
  free(bytes);
  if (st != TOVA_OK) {
    fprintf(stderr, "tova: %s: %s\n", tova_status_code(st), err.message);
    return 1;
  }
  tova_store *s = tova_store_new(NULL);
  tova_linker *l = tova_linker_new();
  tova_instance *inst = NULL;
  int rc = 1;
  if (!s || !l) {
    fputs("tova: out of memory\n", stderr);
  } else if ((st = tova_linker_instantiate(l, s, m, &inst, &err)) != TOVA_OK) {
    if (st == TOVA_ERR_TRAP) fprintf(stderr, "trap: %s\n", err.message);
    else fprintf(stderr, "tova: %s: %s\n", tova_status_code(st), err.message);
  } else if (invoke) {
    rc = call_export(inst, invoke, nargs, args, false);
  } else {
    rc = call_export(inst, "_start", 0, NULL, true);
  }
  tova_linker_free(l);
  tova_store_free(s);
  tova_module_release(m);
  return rc;
}
