/*
 * exit_dtors.c: LLVM's exit-time destructors, never registered.
 *
 * Linked into the split backend (backend.h) where LLVM is linked into it
 * statically. This file defines __cxa_atexit in the backend itself, hidden:
 * the static linker binds every call of LLVM's objects to this definition
 * (a definition in the link comes before a shared library's), on ELF and on
 * Mach-O alike, with no linker option. Every C++ static object of LLVM
 * registers its destructor here, and this drops it: LLVM's statics live
 * until the process is gone, like the JIT's code. Nothing else in the
 * backend registers destructors (its own code is C; the C++ runtime is a
 * shared library, with its own calls), and the loading binary's atexit is
 * not touched. test/c/backend_imports.cmake checks that the built backend
 * imports no __cxa_atexit: that every call was bound here.
 *
 * WHY. A static destroyed at exit while the background compiler is inside
 * LLVM crashes the process. Without this, the compiler's exit handler must
 * run before every such destructor, so it is registered only after LLVM has
 * built its lazily-made statics (a small compile on the thread of the first
 * tiered module, 7-10 ms), and that is best effort: a later unit can build
 * a lazy static the small one did not, destroyed first at exit (CI saw that
 * crash in the C tests' library: backend/direct_exit.c). With nothing to
 * destroy, the order does not matter: compiler.c skips that warm-up when
 * wasm_backend_exit_safe() says so (the loader knows this file is linked).
 *
 * TOVA_NATIVE_LLVM_ARGS set (LLVM's debugging options, whose reports such
 * as -time-passes print from destructors) keeps the destructors, passed on
 * to the C runtime's __cxa_atexit, and with them the warm-up
 * (wasm_backend_exit_safe reads it too).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT (glibc) */
#endif
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef int (*cxa_atexit_fn)(void (*fn)(void *), void *arg, void *dso);

/* 0: not decided yet, 1: drop, 2: keep. Decided at the first registration
 * (LLVM's constructors, while the backend loads) and never changed. */
static atomic_int keep_state;

static bool keep_destructors(void) {
  int s = atomic_load(&keep_state);
  if (s == 0) {
    const char *a = getenv("TOVA_NATIVE_LLVM_ARGS");
    int want = a && *a ? 2 : 1;
    atomic_compare_exchange_strong(&keep_state, &s, want);
    s = atomic_load(&keep_state);
  }
  return s == 2;
}

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
__attribute__((visibility("hidden"))) int __cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
  if (!keep_destructors()) return 0; /* registered, as far as the caller can tell; never run */
  /* The next definition after this backend: the C runtime's. */
  static _Atomic(cxa_atexit_fn) next;
  cxa_atexit_fn f = atomic_load(&next);
  if (!f) {
    void *sym = dlsym(RTLD_NEXT, "__cxa_atexit");
    memcpy(&f, &sym, sizeof f); /* an object pointer to a function pointer, as POSIX allows */
    atomic_store(&next, f);
  }
  return f ? f(fn, arg, dso) : -1;
}
