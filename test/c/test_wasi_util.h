/* test_wasi_util.h: a module that re-exports WASI preview 1 functions, so the
 * tests call each one directly with chosen arguments and inspect linear
 * memory. Written against the public API only.
 *
 * The module imports every function of wasi_list below from
 * wasi_snapshot_preview1 with the signature the WASI spec gives (one letter
 * per parameter, i = i32, I = i64; every function returns an i32 errno except
 * proc_exit), exports one page of memory as "memory" (unless asked not to),
 * and exports for each import a function of the same name that passes its
 * parameters through. Linking fails if the host's signatures differ. */
#ifndef TEST_WASI_UTIL_H
#define TEST_WASI_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tova.h"

typedef struct wasi_sig {
  const char *name, *params;
  int nresults;
} wasi_sig;

static const wasi_sig wasi_list[] = {
    {"args_get", "ii", 1}, {"args_sizes_get", "ii", 1}, {"environ_get", "ii", 1},
    {"environ_sizes_get", "ii", 1}, {"clock_res_get", "ii", 1}, {"clock_time_get", "iIi", 1},
    {"fd_advise", "iIIi", 1}, {"fd_allocate", "iII", 1}, {"fd_close", "i", 1},
    {"fd_datasync", "i", 1}, {"fd_fdstat_get", "ii", 1}, {"fd_fdstat_set_flags", "ii", 1},
    {"fd_fdstat_set_rights", "iII", 1}, {"fd_filestat_get", "ii", 1},
    {"fd_filestat_set_size", "iI", 1}, {"fd_filestat_set_times", "iIIi", 1},
    {"fd_pread", "iiiIi", 1}, {"fd_prestat_get", "ii", 1}, {"fd_prestat_dir_name", "iii", 1},
    {"fd_pwrite", "iiiIi", 1}, {"fd_read", "iiii", 1}, {"fd_readdir", "iiiIi", 1},
    {"fd_renumber", "ii", 1}, {"fd_seek", "iIii", 1}, {"fd_sync", "i", 1}, {"fd_tell", "ii", 1},
    {"fd_write", "iiii", 1}, {"path_create_directory", "iii", 1},
    {"path_filestat_get", "iiiii", 1}, {"path_filestat_set_times", "iiiiIIi", 1},
    {"path_link", "iiiiiii", 1}, {"path_open", "iiiiiIIii", 1}, {"path_readlink", "iiiiii", 1},
    {"path_remove_directory", "iii", 1}, {"path_rename", "iiiiii", 1},
    {"path_symlink", "iiiii", 1}, {"path_unlink_file", "iii", 1}, {"poll_oneoff", "iiii", 1},
    {"proc_exit", "i", 0}, {"proc_raise", "i", 1}, {"sched_yield", "", 1},
    {"random_get", "ii", 1}, {"sock_accept", "iii", 1}, {"sock_recv", "iiiiii", 1},
    {"sock_send", "iiiii", 1}, {"sock_shutdown", "ii", 1},
};
#define WASI_NFUNCS (sizeof wasi_list / sizeof wasi_list[0])

typedef struct wbuf {
  uint8_t *p;
  size_t n, cap;
} wbuf;

static inline void wb_put(wbuf *b, uint8_t v) {
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 256;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  b->p[b->n++] = v;
}
static inline void wb_uleb(wbuf *b, uint64_t v) {
  do {
    uint8_t x = v & 0x7F;
    v >>= 7;
    wb_put(b, (uint8_t)(x | (v ? 0x80 : 0)));
  } while (v);
}
static inline void wb_str(wbuf *b, const char *s) {
  wb_uleb(b, strlen(s));
  for (; *s; s++) wb_put(b, (uint8_t)*s);
}
static inline void wb_section(wbuf *out, uint8_t id, wbuf *body) {
  wb_put(out, id);
  wb_uleb(out, body->n);
  for (size_t i = 0; i < body->n; i++) wb_put(out, body->p[i]);
  free(body->p);
  memset(body, 0, sizeof *body);
}

static inline wbuf wasi_module_bytes(bool export_memory) {
  wbuf m = {0}, s = {0};
  const uint8_t head[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  for (size_t i = 0; i < sizeof head; i++) wb_put(&m, head[i]);
  wb_uleb(&s, WASI_NFUNCS); /* types: one per function */
  for (size_t i = 0; i < WASI_NFUNCS; i++) {
    wb_put(&s, 0x60);
    wb_uleb(&s, strlen(wasi_list[i].params));
    for (const char *p = wasi_list[i].params; *p; p++) wb_put(&s, *p == 'I' ? 0x7E : 0x7F);
    wb_uleb(&s, (uint64_t)wasi_list[i].nresults);
    if (wasi_list[i].nresults) wb_put(&s, 0x7F);
  }
  wb_section(&m, 1, &s);
  wb_uleb(&s, WASI_NFUNCS); /* imports */
  for (size_t i = 0; i < WASI_NFUNCS; i++) {
    wb_str(&s, "wasi_snapshot_preview1");
    wb_str(&s, wasi_list[i].name);
    wb_put(&s, 0x00);
    wb_uleb(&s, i);
  }
  wb_section(&m, 2, &s);
  wb_uleb(&s, WASI_NFUNCS); /* functions */
  for (size_t i = 0; i < WASI_NFUNCS; i++) wb_uleb(&s, i);
  wb_section(&m, 3, &s);
  wb_uleb(&s, 1); /* memory: one page */
  wb_put(&s, 0x00);
  wb_uleb(&s, 1);
  wb_section(&m, 5, &s);
  wb_uleb(&s, WASI_NFUNCS + (export_memory ? 1 : 0)); /* exports */
  for (size_t i = 0; i < WASI_NFUNCS; i++) {
    wb_str(&s, wasi_list[i].name);
    wb_put(&s, 0x00);
    wb_uleb(&s, WASI_NFUNCS + i);
  }
  if (export_memory) {
    wb_str(&s, "memory");
    wb_put(&s, 0x02);
    wb_uleb(&s, 0);
  }
  wb_section(&m, 7, &s);
  wb_uleb(&s, WASI_NFUNCS); /* code: local.get 0..n-1, call import i */
  for (size_t i = 0; i < WASI_NFUNCS; i++) {
    wbuf body = {0};
    wb_put(&body, 0); /* no locals */
    size_t np = strlen(wasi_list[i].params);
    for (size_t k = 0; k < np; k++) {
      wb_put(&body, 0x20);
      wb_uleb(&body, k);
    }
    wb_put(&body, 0x10);
    wb_uleb(&body, i);
    wb_put(&body, 0x0B);
    wb_uleb(&s, body.n);
    for (size_t k = 0; k < body.n; k++) wb_put(&s, body.p[k]);
    free(body.p);
  }
  wb_section(&m, 10, &s);
  return m;
}

/* One guest: context, store, instance, execution. */
typedef struct guest {
  tova_wasi *w;
  tova_store *s;
  tova_linker *l;
  tova_module *m;
  tova_instance *inst;
  tova_exec *e;
  uint8_t *mem;
  tova_status last_status; /* of the last gcall */
  char last_message[TOVA_ERROR_MAX];
} guest;

/* Instantiate over a configured context (taken over: freed by guest_free). */
static inline bool guest_new(guest *g, tova_wasi *w, bool export_memory) {
  memset(g, 0, sizeof *g);
  g->w = w;
  wbuf bytes = wasi_module_bytes(export_memory);
  tova_error err = {0};
  if (tova_module_compile(bytes.p, bytes.n, &g->m, &err) != TOVA_OK) {
    fprintf(stderr, "compile: %s\n", err.message);
    free(bytes.p);
    return false;
  }
  free(bytes.p);
  g->s = tova_store_new(NULL);
  g->l = tova_linker_new();
  g->e = tova_exec_new(0);
  if (tova_wasi_define(w, g->s, g->l) != TOVA_OK) return false;
  if (tova_linker_instantiate(g->l, g->s, g->m, &g->inst, &err) != TOVA_OK) {
    fprintf(stderr, "instantiate: %s\n", err.message);
    return false;
  }
  tova_extern mem;
  if (tova_instance_export(g->inst, "memory", &mem) == TOVA_OK) {
    uint64_t size;
    g->mem = tova_memory_data(mem.of.memory, &size);
  }
  return true;
}

static inline void guest_free(guest *g) {
  tova_exec_free(g->e);
  tova_linker_free(g->l);
  tova_store_free(g->s);
  tova_module_release(g->m);
  tova_wasi_free(g->w);
}

/* Call WASI function name with args (as many as its signature has; extra
 * ones are ignored). Returns the errno, or -1 if the call did not return
 * (trap: see last_status / last_message). */
static inline int64_t gcall(guest *g, const char *name, const int64_t *argv) {
  tova_extern ext;
  if (tova_instance_export(g->inst, name, &ext) != TOVA_OK) {
    fprintf(stderr, "no export %s\n", name);
    abort();
  }
  const tova_functype *ft = tova_func_type(ext.of.func);
  tova_val args[16] = {{0}}, res[1] = {{0}};
  for (uint32_t i = 0; i < ft->nparams; i++) {
    if (ft->params[i] == TOVA_I64) args[i].i64 = argv[i];
    else args[i].i32 = (int32_t)argv[i];
  }
  tova_error err = {0};
  g->last_status = tova_exec_call(g->e, ext.of.func, args, res, &err);
  memcpy(g->last_message, err.message, sizeof err.message);
  if (g->last_status != TOVA_OK) return -1;
  return ft->nresults ? (int64_t)(uint16_t)res[0].i32 : 0;
}
/* The arguments become an int64_t array, so literals of any type convert. */
#define GCALL(g, name, ...) gcall(g, name, (const int64_t[]){__VA_ARGS__})

/* Little-endian accessors of guest memory. */
static inline uint32_t gld32(guest *g, uint32_t p) {
  return (uint32_t)g->mem[p] | (uint32_t)g->mem[p + 1] << 8 | (uint32_t)g->mem[p + 2] << 16 |
         (uint32_t)g->mem[p + 3] << 24;
}
static inline uint64_t gld64(guest *g, uint32_t p) {
  return (uint64_t)gld32(g, p) | (uint64_t)gld32(g, p + 4) << 32;
}
static inline void gst32(guest *g, uint32_t p, uint32_t v) {
  for (int i = 0; i < 4; i++) g->mem[p + i] = (uint8_t)(v >> (8 * i));
}
static inline void gst64(guest *g, uint32_t p, uint64_t v) {
  gst32(g, p, (uint32_t)v);
  gst32(g, p + 4, (uint32_t)(v >> 32));
}
/* Put a string at p (no NUL); returns its length. */
static inline int64_t gput(guest *g, uint32_t p, const char *s) {
  size_t n = strlen(s);
  memcpy(g->mem + p, s, n);
  return (int64_t)n;
}

#endif
