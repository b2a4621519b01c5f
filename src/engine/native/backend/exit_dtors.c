/*
 * exit_dtors.c: LLVM's exit-time destructors, never registered.
 *
 * Linked into the split backend (backend.h) where LLVM is linked into it
 * statically on ELF (CMakeLists.txt adds -Wl,--wrap=__cxa_atexit to that
 * link only), so every C++ static object of LLVM registers its destructor
 * here instead of with the C library, and this drops it: LLVM's statics
 * live until the process is gone, like the JIT's code. The loading
 * binary's own atexit is not wrapped.
 *
 * WHY. A static destroyed at exit while the background compiler is inside
 * LLVM crashes the process. Without this, the compiler's exit handler must
 * run before every such destructor, so it is registered only after LLVM has
 * built its lazily-made statics, which took a small compile on the thread
 * of the first tiered module (7-10 ms of that call). With nothing to
 * destroy, the order does not matter: compiler.c skips that warm-up when
 * wasm_backend_exit_safe() says so (the loader knows this file is linked).
 *
 * TOVA_NATIVE_LLVM_ARGS set (LLVM's debugging options, whose reports such
 * as -time-passes print from destructors) keeps the destructors, and with
 * them the warm-up (wasm_backend_exit_safe reads it too).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

int __real___cxa_atexit(void (*fn)(void *), void *arg, void *dso);
int __wrap___cxa_atexit(void (*fn)(void *), void *arg, void *dso);

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

int __wrap___cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
  if (keep_destructors()) return __real___cxa_atexit(fn, arg, dso);
  return 0; /* registered, as far as the caller can tell; never run */
}
