/*
 * link.c: a unit's code from the cache or the backend (link.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* RTLD_DEFAULT is hidden under strict POSIX on macOS */
#endif
#include "engine/native/link.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif

#include "engine/native/backend.h"
#include "engine/native/cache.h"
#include "engine/native/objlink.h"
#include "engine/native/preempt.h"
#include "engine/native/rt.h"
#include "engine/native/names.h"
#include "engine/native/tiering.h" /* wasm_native_debug */
#include "platform/platform.h"

#define TARGET_CAP 4096

static atomic_uint linked_count, compiled_count;

uint32_t wasm_native_linked_without_llvm(void) { return atomic_load(&linked_count); }
uint32_t wasm_native_units_compiled(void) { return atomic_load(&compiled_count); }

static double now_ms(void) { return (double)tova_plat_monotonic_ns() / 1e6; }

/* ---- the target text, remembered (link.h) ---------------------------------- */

/* The CPU as the kernel describes it: the first processor's model and
 * feature lines of /proc/cpuinfo (x86 and arm64 name them differently),
 * and the hardware capabilities of the auxiliary vector. */
static bool describe_cpu(char *out, size_t cap) {
#if defined(__linux__)
  static const char *const keys[] = {"vendor_id",   "cpu family",       "model",       "model name",
                                     "stepping",    "flags",            "CPU implementer", "CPU architecture",
                                     "CPU variant", "CPU part",         "CPU revision", "Features", NULL};
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return false;
  size_t len = 0;
  out[0] = 0;
  char line[8192];
  bool any = false;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '\n') break; /* the first processor's block ends */
    char *colon = strchr(line, ':');
    if (!colon) continue;
    size_t k = (size_t)(colon - line);
    while (k && (line[k - 1] == ' ' || line[k - 1] == '\t')) k--;
    for (int i = 0; keys[i]; i++) {
      if (strlen(keys[i]) != k || strncmp(line, keys[i], k) != 0) continue;
      int n = snprintf(out + len, cap - len, "%s", line);
      if (n < 0 || (size_t)n >= cap - len) {
        fclose(f);
        return false;
      }
      len += (size_t)n;
      any = true;
    }
  }
  fclose(f);
  unsigned long hw = getauxval(AT_HWCAP), hw2 = 0;
#ifdef AT_HWCAP2
  hw2 = getauxval(AT_HWCAP2);
#endif
  int n = snprintf(out + len, cap - len, "hwcap %lx %lx", hw, hw2);
  return any && n > 0 && (size_t)n < cap - len;
#else
  (void)out;
  (void)cap;
  return false;
#endif
}

/* Everything the target text depends on that this process can tell
 * without LLVM (link.h). */
static bool describe_machine(char *out, size_t cap) {
  char backend[1200], cpu[6144];
  if (!wasm_backend_identity(backend, sizeof backend) || !describe_cpu(cpu, sizeof cpu)) return false;
  const char *cg = getenv("TOVA_NATIVE_CG"), *passes = getenv("TOVA_NATIVE_PASSES"),
             *args = getenv("TOVA_NATIVE_LLVM_ARGS");
  int n = snprintf(out, cap, "target text of|%s|%s|cg %s|passes %s|args %s|preempt %d", backend, cpu,
                   cg ? cg : "", passes ? passes : "", args ? args : "", wasm_native_preempt_init() ? 1 : 0);
  return n > 0 && (size_t)n < cap;
}

static pthread_mutex_t target_lock = PTHREAD_MUTEX_INITIALIZER;
static char target[TARGET_CAP];
static enum { TARGET_UNKNOWN, TARGET_REMEMBERED, TARGET_FROM_BACKEND } target_from;

/* The remembered text for this machine into target; false when none. */
static bool recall_target(void) {
  char machine[8192];
  if (!describe_machine(machine, sizeof machine)) return false;
  wasm_native_cache_key key;
  wasm_native_cache_key_text(machine, &key);
  size_t size = 0;
  uint8_t *text = wasm_native_cache_load_as(&key, WASM_NATIVE_CACHE_TARGET, &size);
  bool ok = text && size > 0 && size < TARGET_CAP && !memchr(text, 0, size);
  if (ok) {
    memcpy(target, text, size);
    target[size] = 0;
  }
  free(text);
  return ok;
}

static void remember_target(void) {
  char machine[8192];
  if (!describe_machine(machine, sizeof machine)) return;
  wasm_native_cache_key key;
  wasm_native_cache_key_text(machine, &key);
  wasm_native_cache_store_as(&key, WASM_NATIVE_CACHE_TARGET, (const uint8_t *)target, strlen(target));
}

/* The target text into out: the backend's once it is loaded, else the
 * remembered one, else the backend's (loading it). */
static bool target_text(wasm_jit *j, char *out, size_t cap) {
  pthread_mutex_lock(&target_lock);
  bool loaded = wasm_backend_loaded();
  if (target_from == TARGET_UNKNOWN && !loaded && recall_target()) target_from = TARGET_REMEMBERED;
  bool ok = target_from == TARGET_FROM_BACKEND || (target_from == TARGET_REMEMBERED && !loaded);
  if (!ok) {
    char text[TARGET_CAP];
    ok = wasm_jit_target_text(j, text, sizeof text);
    if (ok) {
      bool changed = strcmp(text, target) != 0;
      if (changed && target_from == TARGET_REMEMBERED && wasm_native_debug())
        fprintf(stderr, "tova native: the remembered target text was not LLVM's: %s\n", target);
      memcpy(target, text, sizeof text);
      target_from = TARGET_FROM_BACKEND;
      if (changed && wasm_native_cache_dir()) remember_target();
    }
  }
  if (ok) snprintf(out, cap, "%s", target);
  pthread_mutex_unlock(&target_lock);
  return ok;
}

/* The unit's key: the target text, then what kind of unit it is. */
static bool unit_key(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, wasm_native_cache_key *key) {
  char text[TARGET_CAP + 1024];
  if (!target_text(j, text, TARGET_CAP)) return false;
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  size_t tl = strlen(text);
  snprintf(text + tl, sizeof text - tl, "|%s osr", u->wrappers ? "wrappers" : "copies");
  for (uint32_t d = 0; u->osr && d < ndefs; d++) {
    tl = strlen(text);
    if (u->osr[d] && tl + 12 < sizeof text) snprintf(text + tl, sizeof text - tl, " %u", d);
  }
  wasm_native_cache_key_of(m, u->unit, u->done, u->poll_entry, u->internal, text, key);
  return true;
}

/* ---- linking without LLVM ------------------------------------------------------ */

/* An undefined symbol of a cached object: a runtime helper, a function of
 * an earlier unit (ours, then the LLJIT's), or the C library's (memcpy
 * and the like, as the LLJIT finds them: the process's global scope). */
static bool resolve(void *cx, const char *name, uintptr_t *addr) {
  wasm_jit *j = cx;
  for (const wasm_native_helper *h = wasm_native_helper_list(); h->name; h++)
    if (strcmp(h->name, name) == 0) {
      *addr = (uintptr_t)h->addr;
      return true;
    }
  for (uint32_t i = 0; i < j->nlinked; i++)
    if ((*addr = wasm_objlink_symbol_addr(j->linked[i], name)) != 0) return true;
  if (strncmp(name, "wasm_", 5) == 0 || strncmp(name, "tova_", 5) == 0) return wasm_jit_lookup(j, name, addr);
  void *p = dlsym(RTLD_DEFAULT, name);
  *addr = (uintptr_t)p;
  return p != NULL;
}

static void write_perfmap(const wasm_objlink_code *c) {
  const char *v = getenv("TOVA_NATIVE_PERFMAP");
  if (!v || !*v || strcmp(v, "0") == 0) return;
  char path[64];
  snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
  FILE *f = fopen(path, "a");
  if (!f) return;
  for (uint32_t i = 0; i < c->nsyms; i++)
    if (c->syms[i].size && c->syms[i].addr >= c->text && c->syms[i].addr < c->text + c->text_size)
      fprintf(f, "%" PRIxPTR " %zx %s\n", c->syms[i].addr, c->syms[i].size, c->syms[i].name);
  fclose(f);
}

/* The address of c's symbol fmt(d) into *out; false when it has none. */
static bool entry_of(const wasm_objlink_code *c, const char *fmt, uint32_t d, const void **out) {
  char name[32];
  snprintf(name, sizeof name, fmt, d);
  uintptr_t a = wasm_objlink_symbol_addr(c, name);
  *out = (const void *)a;
  return a != 0;
}

static bool grow(void **arr, uint32_t *cap, uint32_t n, size_t each) {
  if (n < *cap) return true;
  uint32_t c = *cap ? *cap * 2 : 4;
  void *p = realloc(*arr, (size_t)c * each);
  if (!p) return false;
  *arr = p;
  *cap = c;
  return true;
}

/* Links cached object obj for unit u with objlink; false (nothing
 * changed) with the reason in why when it cannot. */
static bool link_cached(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, const uint8_t *obj, size_t size,
                        char *why, size_t len) {
  wasm_objlink_code *c = wasm_objlink(obj, size, resolve, j, why, len);
  if (!c) return false;
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  const void **got = calloc((size_t)3 * ndefs + 1, sizeof *got); /* entries, OSR entries, functions */
  bool ok = got && grow((void **)&j->linked, &j->cap_linked, j->nlinked, sizeof *j->linked);
  if (!ok) snprintf(why, len, "out of memory");
  for (uint32_t d = 0; ok && d < ndefs; d++) {
    if (u->wrappers && u->unit[d]) ok = entry_of(c, WASM_NATIVE_ENTRY_FMT, d, &got[d]);
    if (ok && u->osr && u->osr[d]) ok = entry_of(c, WASM_NATIVE_OSR_FMT, d, &got[ndefs + d]);
    if (ok && u->fns && !u->internal && u->unit[d]) ok = entry_of(c, WASM_NATIVE_FUNC_FMT, d, &got[2 * ndefs + d]);
    if (!ok) snprintf(why, len, "function %u's code is not in the object", d);
  }
  if (ok && wasm_native_preempt_active()) {
    /* Code the preemption signal could not recognise would never stop. */
    ok = grow((void **)&j->ranges, &j->cap_ranges, j->nranges, sizeof *j->ranges) &&
         wasm_native_preempt_add_code(c->text, c->text_size, &j->ranges[j->nranges]);
    if (ok) j->nranges++;
    else snprintf(why, len, "cannot register the unit's code for preemption");
  }
  if (!ok) {
    free(got);
    wasm_objlink_free(c);
    return false;
  }
  for (uint32_t d = 0; d < ndefs; d++) {
    if (u->wrappers && u->unit[d]) u->entries[d] = got[d];
    if (u->osr && u->osr[d]) u->osr_entries[d] = got[ndefs + d];
    if (u->fns && !u->internal && u->unit[d]) u->fns[d] = got[2 * ndefs + d];
  }
  free(got);
  j->linked[j->nlinked++] = c;
  write_perfmap(c);
  atomic_fetch_add(&linked_count, 1);
  return true;
}

bool wasm_native_link_unit(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u_in, char *err, size_t errlen) {
  wasm_jit_unit u = *u_in;
  u.object = NULL;
  u.cache_key = NULL;
  /* Quick units and units calling through stubs are never cached (their
   * key would not say which functions go through stubs). */
  bool cacheable = !u.quick && !u.interp && wasm_native_cache_dir() != NULL;
  wasm_native_cache_key key;
  uint8_t *obj = NULL;
  size_t size = 0;
  double t0 = wasm_native_debug() ? now_ms() : 0;
  if (cacheable && unit_key(j, m, &u, &key)) {
    obj = wasm_native_cache_load(&key, &size);
    if (obj) {
      char why[256] = "";
      if (link_cached(j, m, &u, obj, size, why, sizeof why)) {
        free(obj);
        if (t0) {
          size_t bytes = 0;
          for (uint32_t d = 0; d < m->nfuncs - m->nimported_funcs; d++)
            bytes += u.unit[d] || (u.osr && u.osr[d]) ? m->func_defs[d].body_len : 0;
          fprintf(stderr, "tova native: unit of %zu bytes: from the cache, linked without LLVM in %.1f ms\n",
                  bytes, now_ms() - t0);
        }
        return true;
      }
      if (t0) fprintf(stderr, "tova native: a cached unit goes to LLVM's linker: %s\n", why);
      u.object = obj;
      u.object_size = size;
    } else {
      u.cache_key = &key;
    }
  }
  if (u.cache_only && !u.object) {
    snprintf(err, errlen, "not in the cache");
    return false;
  }
  bool ok = wasm_jit_add_unit(j, m, &u, err, errlen);
  if (ok && !u.object) atomic_fetch_add(&compiled_count, 1);
  free(obj);
  return ok;
}

void wasm_native_link_free(wasm_jit *j) {
  /* Before any code is unmapped: the signal must not take an address
   * there for native code any more. */
  for (uint32_t i = 0; i < j->nranges; i++) wasm_native_preempt_remove_code(j->ranges[i]);
  free(j->ranges);
  wasm_jit_free(j); /* the LLJITs: their code may call ours, so both go now */
  for (uint32_t i = 0; i < j->nlinked; i++) wasm_objlink_free(j->linked[i]);
  free(j->linked);
  memset(j, 0, sizeof *j);
}
