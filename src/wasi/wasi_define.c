/*
 * wasi_define.c: the wasi_snapshot_preview1 import table. Each row is a
 * function's name, its signature (one letter per parameter: i = i32,
 * I = i64; every function but proc_exit returns an i32 errno) and its host
 * callback. tova_wasi_define creates one host function per row.
 */
#include "wasi/wasi_internal.h"

typedef struct wasi_import {
  const char *name;
  const char *params;
  bool returns_errno;
  tova_host_fn fn;
} wasi_import;

#define ROW(name, params) {#name, params, true, wasi_call_##name}

static const wasi_import imports[] = {
    ROW(args_get, "ii"),
    ROW(args_sizes_get, "ii"),
    ROW(environ_get, "ii"),
    ROW(environ_sizes_get, "ii"),
    ROW(clock_res_get, "ii"),
    ROW(clock_time_get, "iIi"),
    ROW(fd_advise, "iIIi"),
    ROW(fd_allocate, "iII"),
    ROW(fd_close, "i"),
    ROW(fd_datasync, "i"),
    ROW(fd_fdstat_get, "ii"),
    ROW(fd_fdstat_set_flags, "ii"),
    ROW(fd_fdstat_set_rights, "iII"),
    ROW(fd_filestat_get, "ii"),
    ROW(fd_filestat_set_size, "iI"),
    ROW(fd_filestat_set_times, "iIIi"),
    ROW(fd_pread, "iiiIi"),
    ROW(fd_prestat_get, "ii"),
    ROW(fd_prestat_dir_name, "iii"),
    ROW(fd_pwrite, "iiiIi"),
    ROW(fd_read, "iiii"),
    ROW(fd_readdir, "iiiIi"),
    ROW(fd_renumber, "ii"),
    ROW(fd_seek, "iIii"),
    ROW(fd_sync, "i"),
    ROW(fd_tell, "ii"),
    ROW(fd_write, "iiii"),
    ROW(path_create_directory, "iii"),
    ROW(path_filestat_get, "iiiii"),
    ROW(path_filestat_set_times, "iiiiIIi"),
    ROW(path_link, "iiiiiii"),
    ROW(path_open, "iiiiiIIii"),
    ROW(path_readlink, "iiiiii"),
    ROW(path_remove_directory, "iii"),
    ROW(path_rename, "iiiiii"),
    ROW(path_symlink, "iiiii"),
    ROW(path_unlink_file, "iii"),
    ROW(poll_oneoff, "iiii"),
    {"proc_exit", "i", false, wasi_call_proc_exit},
    ROW(proc_raise, "i"),
    ROW(sched_yield, ""),
    ROW(random_get, "ii"),
    ROW(sock_accept, "iii"),
    ROW(sock_recv, "iiiiii"),
    ROW(sock_send, "iiiii"),
    ROW(sock_shutdown, "ii"),
};

#define MAX_PARAMS 9

tova_status tova_wasi_define(tova_wasi *w, tova_store *s, tova_linker *l) {
  if (!w || !s || !l) return TOVA_ERR_BAD_ARGUMENT;
  static const uint8_t errno_result[1] = {TOVA_I32};
  for (size_t i = 0; i < sizeof imports / sizeof imports[0]; i++) {
    const wasi_import *im = &imports[i];
    uint8_t params[MAX_PARAMS];
    uint32_t np = 0;
    for (const char *p = im->params; *p; p++) params[np++] = *p == 'I' ? TOVA_I64 : TOVA_I32;
    tova_functype ft = {np, im->returns_errno ? 1 : 0, params, errno_result};
    /* The store copies the signature, so params may live on this stack. */
    tova_func *f = tova_func_new_host(s, &ft, im->fn, w);
    if (!f) return TOVA_ERR_NOMEM;
    tova_extern ext = {.kind = TOVA_EXTERN_FUNC, .of.func = f};
    tova_status st = tova_linker_define(l, "wasi_snapshot_preview1", im->name, ext);
    if (st != TOVA_OK) return st;
  }
  return TOVA_OK;
}
