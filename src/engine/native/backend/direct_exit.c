/*
 * direct_exit.c: the direct backend's answer to "are LLVM's statics ever
 * destroyed at exit?" (backend.h, wasm_backend_exit_safe), made "never" on
 * ELF, as backend/exit_dtors.c makes it for the split backend.
 *
 * WHY. LLVM builds some of its static objects lazily, the first time a code
 * path needs them, and registers their destructors with __cxa_atexit then.
 * A destructor registered after the compiler's exit handler runs before it
 * (the exit list is last in, first out), so at exit it can destroy an
 * object the background compiler is using mid-unit: the process crashed
 * inside LLVM's code generator at exit (CI, difffuzz seed 6 module 39,
 * TOVA_DIFF_PARK=3 TOVA_TIER=tiered: two lazy statics of machine-function
 * passes were built by that module's unit, after the warm-up compile of
 * compiler.c had registered the handler). The warm-up cannot know every
 * lazy static of every code path.
 *
 * HOW. Here LLVM is libLLVM.so. This file defines __cxa_atexit in the
 * executable that links the library; the dynamic linker resolves every
 * shared object's calls to the executable's definition first, so LLVM's
 * registrations come here. Those whose DSO handle lies in libLLVM are
 * dropped: LLVM's statics then live until the process is gone, like the
 * JIT's code, and exit need not wait for the compiler. Every other
 * registration goes on to the next definition (the C library's, or a
 * sanitizer's interceptor before it).
 *
 * Where this does not apply (not ELF; LLVM linked some other way; or
 * TOVA_NATIVE_LLVM_ARGS set, whose reports such as -time-passes print from
 * destructors), nothing was dropped by the time the first tiered module
 * asks, and the compiler keeps its warm-up and its waiting exit handler.
 */
#include <stdbool.h>

#include "engine/native/backend.h"

#if defined(__ELF__)
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef int (*cxa_atexit_fn)(void (*fn)(void *), void *arg, void *dso);

/* Registrations dropped so far (LLVM's global constructors make dozens
 * while libLLVM.so loads, before main). */
static atomic_uint dropped;
/* libLLVM's loaded range once one of its handles was seen (0, 0: not yet). */
static atomic_uintptr_t llvm_lo, llvm_hi;
/* 0: not decided, 1: drop LLVM's, 2: keep everything (TOVA_NATIVE_LLVM_ARGS). */
static atomic_int keep_state;

static bool keep_all(void) {
  int s = atomic_load(&keep_state);
  if (s == 0) {
    const char *a = getenv("TOVA_NATIVE_LLVM_ARGS");
    int want = a && *a ? 2 : 1;
    atomic_compare_exchange_strong(&keep_state, &s, want);
    s = atomic_load(&keep_state);
  }
  return s == 2;
}

/* dl_iterate_phdr's visitor: the object holding `addr`, and whether it is
 * libLLVM (its range then recorded). */
struct which {
  uintptr_t addr;
  bool found, llvm;
};

static int visit(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct which *w = data;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    if (p->p_type != PT_LOAD) continue;
    uintptr_t start = (uintptr_t)info->dlpi_addr + p->p_vaddr;
    if (start < lo) lo = start;
    if (start + p->p_memsz > hi) hi = start + p->p_memsz;
  }
  if (w->addr < lo || w->addr >= hi) return 0;
  w->found = true;
  const char *name = info->dlpi_name, *slash = name ? strrchr(name, '/') : NULL;
  w->llvm = name && strstr(slash ? slash + 1 : name, "libLLVM") == (slash ? slash + 1 : name);
  if (w->llvm) {
    atomic_store(&llvm_hi, hi);
    atomic_store(&llvm_lo, lo);
  }
  return 1;
}

/* Whether `dso` (a __dso_handle) belongs to libLLVM. Not dladdr: it scans
 * the object's whole symbol table, and libLLVM registers thousands of
 * destructors while it loads (a second of start-up with dladdr). */
static bool is_llvm(void *dso) {
  uintptr_t a = (uintptr_t)dso, lo = atomic_load(&llvm_lo), hi = atomic_load(&llvm_hi);
  if (!dso) return false;
  if (hi) return a >= lo && a < hi;
  struct which w = {a, false, false};
  dl_iterate_phdr(visit, &w);
  return w.llvm;
}

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
/* Default visibility: the library is built with hidden symbols, and only a
 * symbol in the dynamic table interposes. */
__attribute__((visibility("default"))) int __cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
  if (!keep_all() && is_llvm(dso)) {
    atomic_fetch_add(&dropped, 1);
    return 0; /* registered, as far as LLVM can tell; never run */
  }
  static _Atomic(cxa_atexit_fn) next;
  cxa_atexit_fn f = atomic_load(&next);
  if (!f) {
    void *sym = dlsym(RTLD_NEXT, "__cxa_atexit");
    memcpy(&f, &sym, sizeof f); /* an object pointer to a function pointer, as POSIX allows */
    atomic_store(&next, f);
  }
  return f ? f(fn, arg, dso) : -1;
}

bool wasm_backend_exit_safe(void) { return atomic_load(&dropped) > 0; }

#else

/* LLVM's statics are destroyed at exit: the compiler's exit handler must
 * run first (compiler.c's warm-up). */
bool wasm_backend_exit_safe(void) { return false; }

#endif
