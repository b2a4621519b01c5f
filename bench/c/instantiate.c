/*
 * Instantiation rate through the public C API: compile a module once, then
 * create a store and an instance N times (each task of the runtime gets its
 * own store, so this is the per-task cost), freeing each store again.
 *
 *   bench_instantiate FILE.wasm N
 *
 * Prints one line the JS benchmark parses:
 *   instances=N ms=T add=R peek=P
 * where add = add(2, 3) and peek = peek() called on the last instance, to show
 * the instances really work (5, and 116 = 't' from the data segment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tova.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0) {
      buf = malloc((size_t)n);
      if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
      }
      *len = (size_t)n;
    }
  }
  fclose(f);
  return buf;
}

/* Calls an exported function of inst with up to two i64 arguments. */
static int call_i64(tova_instance *inst, const char *name, const tova_val *args, int64_t *out) {
  tova_extern ext;
  tova_error err;
  if (tova_instance_export(inst, name, &ext) != TOVA_OK || ext.kind != TOVA_EXTERN_FUNC) {
    fprintf(stderr, "bench_instantiate: no exported function %s\n", name);
    return -1;
  }
  tova_exec *e = tova_exec_new(0);
  if (!e) return -1;
  tova_val result;
  tova_status st = tova_exec_call(e, ext.of.func, args, &result, &err);
  tova_exec_free(e);
  if (st != TOVA_OK) {
    fprintf(stderr, "bench_instantiate: %s failed: %s\n", name, err.message);
    return -1;
  }
  *out = result.i64;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FILE.wasm N\n", argv[0]);
    return 2;
  }
  long n = strtol(argv[2], NULL, 10);
  if (n < 1) n = 1;
  size_t len = 0;
  unsigned char *bytes = read_file(argv[1], &len);
  if (!bytes) {
    fprintf(stderr, "bench_instantiate: cannot read %s\n", argv[1]);
    return 1;
  }
  tova_error err;
  tova_module *mod = NULL;
  if (tova_module_compile(bytes, len, &mod, &err) != TOVA_OK) {
    fprintf(stderr, "bench_instantiate: compile failed: %s\n", err.message);
    free(bytes);
    return 1;
  }
  free(bytes);

  double t0 = now_ms();
  for (long i = 0; i < n - 1; i++) {
    tova_store *s = tova_store_new(NULL);
    tova_instance *inst = NULL;
    if (!s || tova_instance_new(s, mod, NULL, 0, &inst, &err) != TOVA_OK) {
      fprintf(stderr, "bench_instantiate: instance %ld failed: %s\n", i, s ? err.message : "no store");
      if (s) tova_store_free(s);
      tova_module_release(mod);
      return 1;
    }
    tova_store_free(s);
  }
  /* The last instance is timed too, and kept alive long enough to call it. */
  tova_store *s = tova_store_new(NULL);
  tova_instance *inst = NULL;
  if (!s || tova_instance_new(s, mod, NULL, 0, &inst, &err) != TOVA_OK) {
    fprintf(stderr, "bench_instantiate: last instance failed: %s\n", s ? err.message : "no store");
    if (s) tova_store_free(s);
    tova_module_release(mod);
    return 1;
  }
  double ms = now_ms() - t0;

  tova_val args[2];
  args[0].i64 = 2;
  args[1].i64 = 3;
  int64_t add = -1, peek = -1;
  int bad = call_i64(inst, "add", args, &add) || call_i64(inst, "peek", NULL, &peek);
  tova_store_free(s);
  tova_module_release(mod);
  if (bad) return 1;
  printf("instances=%ld ms=%.3f add=%lld peek=%lld\n", n, ms, (long long)add, (long long)peek);
  return 0;
}
