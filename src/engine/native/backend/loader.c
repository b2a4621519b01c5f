/*
 * loader.c: the split backend's loading side (backend.h, SPLIT), linked
 * into the addon and the CLI: finds tova_llvm.so beside the binary that
 * holds this code, opens it on first use, and forwards jit.h's calls to it.
 *
 * WHERE. TOVA_NATIVE_BACKEND (a file) when set; else, in the directory of
 * the addon or executable holding this code, tova_llvm.so, then
 * tova_llvm.<libc>.so (a prebuild's name, beside its addon; lib/prebuilds.js).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* dladdr is hidden under strict POSIX on macOS */
#endif
#include <dlfcn.h>
#include <stdatomic.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

#include "engine/native/backend.h"
#include "engine/native/native.h"
#include "engine/native/preempt.h"

static const wasm_backend_host host = {
    .build_id = TOVA_NATIVE_BUILD_ID,
    .preempt_init = wasm_native_preempt_init,
    .preempt_active = wasm_native_preempt_active,
    .preempt_add_code = wasm_native_preempt_add_code,
    .preempt_remove_code = wasm_native_preempt_remove_code,
    .helper_list = wasm_native_helper_list,
    .read_instr = wasm_read_instr,
    .cache_store = wasm_native_cache_store,
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* Set once by load(); atomic because wasm_jit_free reads it without
 * loading (freeing a module must not load LLVM). */
static const wasm_backend_ops *_Atomic ops;
static char load_why[512]; /* why there is none, written by load() only */
/* True while load() runs (wasm_backend_loading): LLVM's library takes
 * ~20 ms to map, relocate and construct. */
static atomic_bool loading;

/* The file this code was loaded from (the addon, or the executable). */
static bool own_path(char *out, size_t cap) {
  Dl_info info;
  if (dladdr((const void *)&own_path, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
    if (realpath(info.dli_fname, out)) return true;
  }
#if defined(__linux__)
  ssize_t n = readlink("/proc/self/exe", out, cap - 1);
  if (n > 0) {
    out[n] = 0;
    return true;
  }
#elif defined(__APPLE__)
  uint32_t size = (uint32_t)cap;
  if (_NSGetExecutablePath(out, &size) == 0) return true;
#endif
  (void)cap;
  return false;
}

static const char *libc_tag(void) {
#if defined(__APPLE__)
  return NULL;
#elif defined(__GLIBC__)
  return "glibc";
#else
  return "musl";
#endif
}

/* Opens file; NULL with the reason in load_why. */
static const wasm_backend_ops *try_open(const char *file) {
  void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    snprintf(load_why, sizeof load_why, "%.500s", e ? e : file);
    return NULL;
  }
  wasm_backend_open_fn open_fn;
  void *sym = dlsym(h, WASM_BACKEND_OPEN_SYMBOL);
  memcpy(&open_fn, &sym, sizeof open_fn); /* object pointer to function pointer, as dlsym's users must */
  char why[256] = "";
  const wasm_backend_ops *o = open_fn ? open_fn(&host, why, sizeof why) : NULL;
  if (!o) {
    snprintf(load_why, sizeof load_why, "%.240s: %.250s", file, open_fn ? why : "not a tova_runtime LLVM backend");
    /* A backend that refused stays mapped: LLVM's constructors have run,
     * and what they registered must not point into unmapped code. */
    if (!open_fn) dlclose(h);
  }
  return o; /* the library stays loaded for the rest of the process */
}

/* The backend's file into file (see WHERE); false with the reason in
 * load_why when there is none. */
static bool find(char *file, size_t cap) {
  const char *env = getenv("TOVA_NATIVE_BACKEND");
  if (env && *env) {
    snprintf(file, cap, "%s", env);
    return true;
  }
  char self[PATH_MAX];
  if (!own_path(self, sizeof self)) {
    snprintf(load_why, sizeof load_why, "cannot tell where this binary is, so where tova_llvm.so is");
    return false;
  }
  *strrchr(self, '/') = 0; /* own_path gives an absolute path */
  snprintf(file, cap, "%s/tova_llvm.so", self);
  if (access(file, F_OK) != 0 && libc_tag()) snprintf(file, cap, "%s/tova_llvm.%s.so", self, libc_tag());
  if (access(file, F_OK) != 0) {
    snprintf(load_why, sizeof load_why, "no tova_llvm.so beside %.400s/ (the LLVM backend is a file of its own)",
             self);
    return false;
  }
  return true;
}

static void find_and_open(void) {
  char file[PATH_MAX + 64];
  if (find(file, sizeof file)) atomic_store(&ops, try_open(file));
}

bool wasm_backend_identity(char *out, size_t cap) {
  char file[PATH_MAX + 64];
  struct stat st;
  if (!find(file, sizeof file) || stat(file, &st) != 0) return false;
  snprintf(out, cap, "%s|%llu|%llu|%lld|%lld.%09ld", file, (unsigned long long)st.st_dev,
           (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtime,
#if defined(__APPLE__)
           (long)st.st_mtimespec.tv_nsec
#else
           (long)st.st_mtim.tv_nsec
#endif
  );
  return true;
}

bool wasm_backend_loaded(void) { return atomic_load(&ops) != NULL; }

static void load(void) {
  atomic_store(&loading, true);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  find_and_open();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  atomic_store(&loading, false);
  if (getenv("TOVA_NATIVE_DEBUG"))
    fprintf(stderr, "tova native: the backend %s in %.1f ms\n", ops ? "loaded" : "failed to load",
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

bool wasm_backend_loading(void) { return atomic_load(&loading); }

bool wasm_backend_load(char *why, size_t len) {
  pthread_once(&load_once, load);
  if (!ops && why && len) snprintf(why, len, "native backend not loaded: %s", load_why);
  return ops != NULL;
}

bool wasm_backend_exit_safe(void) {
#ifdef TOVA_BACKEND_DROPS_DTORS
  /* The backend is linked with exit_dtors.c, which keeps the destructors
   * only for LLVM's debugging options. */
  const char *a = getenv("TOVA_NATIVE_LLVM_ARGS");
  return !(a && *a);
#else
  return false;
#endif
}

bool wasm_backend_llvm_version(unsigned *major, unsigned *minor, unsigned *patch) {
  if (!wasm_backend_load(NULL, 0)) return false;
  atomic_load(&ops)->llvm_version(major, minor, patch);
  return true;
}

/* A missing backend makes every program run interpreted, several times
 * slower than with it: say so once, on the first compile it fails (not for
 * runtimeInfo or a tier query), rather than leave a silent slowdown. */
static void warn_once(const char *why) {
  static atomic_bool warned;
  if (atomic_exchange(&warned, true)) return;
  fprintf(stderr,
          "tova_runtime: WebAssembly runs in the interpreter only, %s; the native tier is the "
          "file tova_llvm.so, installed beside the addon (docs/install.md)\n",
          why);
}

bool wasm_jit_add_unit(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, char *err, size_t errlen) {
  if (!wasm_backend_load(err, errlen)) {
    warn_once(err);
    return false;
  }
  return atomic_load(&ops)->add_unit(j, m, u, err, errlen);
}

void wasm_jit_free(wasm_jit *j) {
  /* Without a backend no LLJIT was ever made: nothing to free. */
  const wasm_backend_ops *o = atomic_load(&ops);
  if (o) o->free(j);
}

bool wasm_jit_target_text(wasm_jit *j, char *out, size_t cap) {
  char why[600];
  if (!wasm_backend_load(why, sizeof why)) {
    warn_once(why);
    return false;
  }
  return atomic_load(&ops)->target_text(j, out, cap);
}

bool wasm_jit_lookup(wasm_jit *j, const char *name, uintptr_t *addr) {
  const wasm_backend_ops *o = atomic_load(&ops);
  return o && o->lookup(j, name, addr); /* no backend: no LLJIT */
}
