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
 *
 *   bench_instantiate --cases N LIVE
 *
 * Measures two modules built here (no file needed), the two shapes a task's
 * module has: "nomem" (one function, no memory) and "mem1" (a one-page memory
 * without a declared maximum, a 4-byte data segment, one function reading
 * it). Prints one line per case:
 *   case=nomem instances=N ms=T per_s=R check=42
 *   case=mem1 instances=N ms=T per_s=R check=116
 * then keeps LIVE mem1 instances alive at once (each in its own store, as
 * parked tasks hold them) and prints what they cost:
 *   case=mem1_live live=K of=LIVE rss_kb=A bytes_per_instance=B maps=M
 * K < LIVE means instantiation failed after K instances (the error follows on
 * stderr); maps is the number of kernel mappings of the process (Linux:
 * lines of /proc/self/maps; -1 where unknown).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* ---- --cases: modules built here ---- */

/* (module (func (export "f") (result i32) i32.const 42)) */
static const unsigned char NOMEM_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       /* magic, version */
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,             /* type: () -> i32 */
    0x03, 0x02, 0x01, 0x00,                               /* func 0: type 0 */
    0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,              /* export "f" = func 0 */
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b};      /* i32.const 42 */

/* (module (memory 1) (data (i32.const 16) "tova")
 *   (func (export "f") (result i32) (i32.load8_u (i32.const 16)))) */
static const unsigned char MEM1_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x05, 0x03, 0x01, 0x00, 0x01,                         /* memory: min 1, no max */
    0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x41, 0x10, 0x2d, 0x00, 0x00, 0x0b,
    0x0b, 0x0a, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x04, 't', 'o', 'v', 'a'};

static tova_module *compile_or_die(const unsigned char *bytes, size_t len) {
  tova_error err;
  tova_module *mod = NULL;
  if (tova_module_compile(bytes, len, &mod, &err) != TOVA_OK) {
    fprintf(stderr, "bench_instantiate: compile failed: %s\n", err.message);
    exit(1);
  }
  return mod;
}

/* f() of the instance, as a check that it really works. */
static long long call_f(tova_instance *inst) {
  tova_extern ext;
  tova_error err;
  if (tova_instance_export(inst, "f", &ext) != TOVA_OK) return -1;
  tova_exec *e = tova_exec_new(0);
  tova_val r;
  r.i64 = -1;
  if (!e || tova_exec_call(e, ext.of.func, NULL, &r, &err) != TOVA_OK) r.i32 = -1;
  tova_exec_free(e);
  return r.i32;
}

static void rate_case(const char *name, tova_module *mod, long n) {
  tova_error err;
  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    tova_store *s = tova_store_new(NULL);
    tova_instance *inst = NULL;
    if (!s || tova_instance_new(s, mod, NULL, 0, &inst, &err) != TOVA_OK) {
      fprintf(stderr, "bench_instantiate: %s instance %ld failed: %s\n", name, i,
              s ? err.message : "no store");
      exit(1);
    }
    tova_store_free(s);
  }
  double ms = now_ms() - t0;
  tova_store *s = tova_store_new(NULL);
  tova_instance *inst = NULL;
  long long check = -1;
  if (s && tova_instance_new(s, mod, NULL, 0, &inst, &err) == TOVA_OK) check = call_f(inst);
  tova_store_free(s);
  printf("case=%s instances=%ld ms=%.3f per_s=%.0f check=%lld\n", name, n, ms,
         ms > 0 ? (double)n * 1e3 / ms : 0.0, check);
}

/* Resident set in KiB: /proc/self/statm where it exists (current RSS), else
 * the peak from getrusage (KiB on Linux, bytes on macOS). */
static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    long size = 0, resident = 0;
    int ok = fscanf(f, "%ld %ld", &size, &resident) == 2;
    fclose(f);
    if (ok) return resident * 4; /* 4 KiB pages on the Linux machines we measure on */
  }
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
#ifdef __APPLE__
  return ru.ru_maxrss / 1024;
#else
  return ru.ru_maxrss;
#endif
}

static long map_count(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  long lines = 0;
  int c;
  while ((c = fgetc(f)) != EOF)
    if (c == '\n') lines++;
  fclose(f);
  return lines;
}

static void live_case(tova_module *mod, long live) {
  tova_store **stores = calloc((size_t)live, sizeof *stores);
  if (!stores) exit(1);
  long before = rss_kb();
  long k = 0;
  tova_error err;
  for (; k < live; k++) {
    tova_instance *inst = NULL;
    stores[k] = tova_store_new(NULL);
    if (!stores[k] || tova_instance_new(stores[k], mod, NULL, 0, &inst, &err) != TOVA_OK) {
      fprintf(stderr, "bench_instantiate: live instance %ld failed: %s\n", k,
              stores[k] ? err.message : "no store");
      tova_store_free(stores[k]);
      break;
    }
  }
  long after = rss_kb();
  long maps = map_count();
  printf("case=mem1_live live=%ld of=%ld rss_kb=%ld bytes_per_instance=%.0f maps=%ld\n", k, live,
         after, k ? (double)(after - before) * 1024.0 / (double)k : 0.0, maps);
  for (long i = 0; i < k; i++) tova_store_free(stores[i]);
  free(stores);
}

static int run_cases(long n, long live) {
  tova_module *nomem = compile_or_die(NOMEM_WASM, sizeof NOMEM_WASM);
  tova_module *mem1 = compile_or_die(MEM1_WASM, sizeof MEM1_WASM);
  rate_case("nomem", nomem, n);
  rate_case("mem1", mem1, n);
  if (live > 0) live_case(mem1, live);
  tova_module_release(nomem);
  tova_module_release(mem1);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--cases") == 0) {
    long n = strtol(argv[2], NULL, 10), live = strtol(argv[3], NULL, 10);
    return run_cases(n < 1 ? 1 : n, live < 0 ? 0 : live);
  }
  if (argc != 3) {
    fprintf(stderr, "usage: %s FILE.wasm N\n       %s --cases N LIVE\n", argv[0], argv[0]);
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
