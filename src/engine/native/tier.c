/*
 * tier.c: when functions move to native code (the policy of native.h) and how
 * (patching each function's code to the NATIVE_ENTER body).
 *
 * A module is compiled natively at most once: its native state (the LLJIT
 * owning the code, the original cells to restore) hangs off
 * tova_module.native and lives until the module is freed.
 *
 * Switching a function: code->cells is replaced (atomically, release) by a
 * three-cell body NATIVE_ENTER wasm_native_enter fn. Executions already inside
 * the old body finish it there (the old cells stay allocated until the module
 * is freed); every later entry runs the native code. All functions of a
 * module switch together, after the whole module compiled, so native code
 * only ever calls native code.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "engine/compile.h"
#include "engine/native/jit.h"
#include "engine/native/native.h"
#include "engine/native/rt.h"

typedef struct native_state {
  wasm_jit jit;
  uint32_t ndefs;
  uint32_t nnative;
  wasm_cell *tramps;    /* 3 cells per defined function */
  wasm_cell **orig;     /* per defined function: its interpreter cells, NULL if not native */
  uint32_t *orig_ncells;
} native_state;

/* ---------------- policy ---------------- */

static pthread_once_t tier_once = PTHREAD_ONCE_INIT;
static wasm_tier tier_policy;
static bool debug;

static void read_tier(void) {
  const char *s = getenv("TOVA_TIER");
  /* Default: AUTO (native.h): small modules tiered, big ones interpreted.
   * Every tiered compile runs on a thread of its own and a process exits
   * only once running compiles finish (wait_background), so a short run of
   * a large module must not wait for LLVM. */
  tier_policy = WASM_TIER_AUTO;
  if (s && strcmp(s, "tiered") == 0) tier_policy = WASM_TIER_TIERED;
  else if (s && strcmp(s, "native") == 0) tier_policy = WASM_TIER_NATIVE;
  else if (s && strcmp(s, "interp") == 0) tier_policy = WASM_TIER_INTERP;
  const char *d = getenv("TOVA_NATIVE_DEBUG");
  debug = d && *d && strcmp(d, "0") != 0;
}

wasm_tier wasm_native_tier(void) {
  pthread_once(&tier_once, read_tier);
  return __atomic_load_n(&tier_policy, __ATOMIC_RELAXED);
}

void wasm_native_set_tier(wasm_tier t) {
  pthread_once(&tier_once, read_tier);
  __atomic_store_n(&tier_policy, t, __ATOMIC_RELAXED);
}

void wasm_native_describe(char *buf, size_t len) {
  unsigned major = 0, minor = 0, patch = 0;
  LLVMGetVersion(&major, &minor, &patch);
  snprintf(buf, len, "tiers: interp, native (LLVM %u.%u.%u); policy %s", major, minor, patch,
           wasm_native_tier_name(wasm_native_tier()));
}

const char *wasm_native_tier_name(wasm_tier t) {
  switch (t) {
    case WASM_TIER_INTERP: return "interp";
    case WASM_TIER_NATIVE: return "native";
    case WASM_TIER_AUTO: return "auto (tiered up to 16 KiB modules)";
    default: return "tiered";
  }
}

/* ---------------- compiling and switching ---------------- */

/* Serialises compiles of the same module (tiered thread vs. an explicit
 * wasm_native_compile_module) and the publication of m->native. */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

static void state_free(native_state *s) {
  if (!s) return;
  wasm_jit_free(&s->jit);
  free(s->tramps);
  free(s->orig);
  free(s->orig_ncells);
  free(s);
}

static native_state *compile_state(tova_module *m) {
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  native_state *s = calloc(1, sizeof *s);
  bool *eligible = calloc(ndefs + 1, sizeof *eligible);
  if (!s || !eligible) {
    free(eligible);
    free(s);
    return NULL;
  }
  s->ndefs = ndefs;
  wasm_native_eligible(m, eligible);
  uint32_t n = 0;
  for (uint32_t d = 0; d < ndefs; d++) n += eligible[d] && m->func_defs[d].code;
  if (n == 0) { /* nothing to compile: remember that, so it is not tried again */
    free(eligible);
    return s;
  }
  char err[256] = "";
  if (!wasm_jit_compile(m, eligible, &s->jit, err, sizeof err)) {
    if (debug) fprintf(stderr, "tova native: module stays interpreted: %s\n", err);
    free(eligible);
    return s;
  }
  s->tramps = calloc((size_t)ndefs * 3, sizeof *s->tramps);
  s->orig = calloc(ndefs, sizeof *s->orig);
  s->orig_ncells = calloc(ndefs, sizeof *s->orig_ncells);
  if (!s->tramps || !s->orig || !s->orig_ncells) {
    free(eligible);
    state_free(s);
    return NULL;
  }
  const void *handler = wasm_interp_handlers()[WASM_IOP_NATIVE_ENTER];
  for (uint32_t d = 0; d < ndefs; d++) {
    wasm_code *code = m->func_defs[d].code;
    if (!eligible[d] || !code || !s->jit.entries[d]) continue;
    wasm_cell *c = &s->tramps[(size_t)d * 3];
    c[0].h = handler;
    c[1].p = (const void *)wasm_native_enter;
    c[2].p = s->jit.entries[d];
    s->orig[d] = code->cells;
    s->orig_ncells[d] = code->ncells;
    s->nnative++;
  }
  free(eligible);
  return s;
}

/* Switch every compiled function (the release store publishes the cells). */
static void switch_codes(tova_module *m, native_state *s) {
  for (uint32_t d = 0; d < s->ndefs; d++) {
    if (!s->orig || !s->orig[d]) continue;
    wasm_code *code = m->func_defs[d].code;
    __atomic_store_n(&code->ncells, 3, __ATOMIC_RELAXED);
    __atomic_store_n(&code->cells, &s->tramps[(size_t)d * 3], __ATOMIC_RELEASE);
  }
}

uint32_t wasm_native_compile_module(tova_module *m) {
  pthread_once(&tier_once, read_tier);
  pthread_mutex_lock(&compile_lock);
  native_state *s = m->native;
  if (!s) {
    s = compile_state(m);
    if (s) {
      switch_codes(m, s);
      m->native = s;
      if (debug)
        fprintf(stderr, "tova native: %u of %u functions native\n", s->nnative, s->ndefs);
    }
  }
  pthread_mutex_unlock(&compile_lock);
  return s ? s->nnative : 0;
}

bool wasm_native_func_is_native(const tova_module *m, uint32_t func_index) {
  if (func_index < m->nimported_funcs) return false;
  wasm_code *code = m->func_defs[func_index - m->nimported_funcs].code;
  if (!code) return false;
  wasm_cell *cells = __atomic_load_n(&code->cells, __ATOMIC_ACQUIRE);
  return cells[0].h == wasm_interp_handlers()[WASM_IOP_NATIVE_ENTER];
}

void wasm_native_module_free(tova_module *m) {
  native_state *s = m->native;
  if (!s) return;
  /* Give the codes their own cells back: wasm_code_free frees those. */
  for (uint32_t d = 0; d < s->ndefs; d++) {
    if (!s->orig || !s->orig[d]) continue;
    m->func_defs[d].code->cells = s->orig[d];
    m->func_defs[d].code->ncells = s->orig_ncells[d];
  }
  state_free(s);
  m->native = NULL;
}

/* ---------------- tiered: a background compile per module ---------------- */

/* Background compiles still running; exit waits for them (LLVM's own static
 * destructors must not run under a thread that is still using LLVM). */
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_done = PTHREAD_COND_INITIALIZER;
static unsigned bg_running;
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

static void wait_background(void) {
  pthread_mutex_lock(&bg_lock);
  while (bg_running) pthread_cond_wait(&bg_done, &bg_lock);
  pthread_mutex_unlock(&bg_lock);
}

/* The smallest module with one function: (func (result i32) i32.const 1). */
static const uint8_t warmup_wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05,
                                      0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a,
                                      0x06, 0x01, 0x04, 0x00, 0x41, 0x01, 0x0b};

/* Once per process, before the first background compile: compile a tiny
 * module here, so LLVM constructs its lazily-built statics (which register
 * their destructors with atexit) now, then register wait_background after
 * them: at exit it runs first and waits for running compiles before LLVM
 * tears itself down. Costs the first tiered module one small compile. */
static void warm_up_then_register(void) {
  tova_module *w = NULL;
  tova_error err;
  if (wasm_decode(warmup_wasm, sizeof warmup_wasm, &w, &err) == TOVA_OK &&
      wasm_validate(w, &err) == TOVA_OK && wasm_compile(w, &err) == TOVA_OK)
    wasm_native_compile_module(w);
  if (w) wasm_module_free(w);
  atexit(wait_background);
}

static void *bg_compile(void *arg) {
  tova_module *m = arg;
  wasm_native_compile_module(m);
  tova_module_release(m); /* may free the module, native state included */
  pthread_mutex_lock(&bg_lock);
  bg_running--;
  pthread_cond_broadcast(&bg_done);
  pthread_mutex_unlock(&bg_lock);
  return NULL;
}

void wasm_native_module_compiled(tova_module *m) {
  switch (wasm_native_tier()) {
    case WASM_TIER_INTERP: return;
    case WASM_TIER_NATIVE: wasm_native_compile_module(m); return;
    case WASM_TIER_AUTO:
      if (m->len > WASM_TIER_AUTO_MAX_BYTES) return;
      break;
    default: break;
  }
  pthread_once(&atexit_once, warm_up_then_register);
  tova_module_retain(m);
  pthread_mutex_lock(&bg_lock);
  bg_running++;
  pthread_mutex_unlock(&bg_lock);
  pthread_attr_t attr;
  pthread_t th;
  bool started = false;
  if (pthread_attr_init(&attr) == 0) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 8u << 20); /* LLVM's passes recurse */
    started = pthread_create(&th, &attr, bg_compile, m) == 0;
    pthread_attr_destroy(&attr);
  }
  if (!started) { /* no thread: stay interpreted */
    pthread_mutex_lock(&bg_lock);
    bg_running--;
    pthread_mutex_unlock(&bg_lock);
    tova_module_release(m);
  }
}
