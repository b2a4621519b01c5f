/*
 * wasi.c: the WASI context: arguments, environment, standard streams,
 * preopened directories and the exit status of proc_exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

tova_wasi *tova_wasi_new(void) {
  tova_wasi *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  if (!tova_plat_mutex_init(&w->lock)) {
    free(w);
    return NULL;
  }
  if (!tova_plat_cond_init(&w->wake)) {
    tova_plat_mutex_destroy(&w->lock);
    free(w);
    return NULL;
  }
  atomic_init(&w->interrupted, false);
  if (tova_wasi_set_stdio(w, 0, 1, 2) != TOVA_OK) {
    tova_wasi_free(w);
    return NULL;
  }
  return w;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

void tova_wasi_free(tova_wasi *w) {
  if (!w) return;
  for (uint32_t i = 0; i < w->nfds; i++)
    if (w->fds[i].used) wasi_fd_close(&w->fds[i]);
  free(w->fds);
  free_strings(w->argv, w->argc);
  free_strings(w->env, w->envc);
  tova_plat_cond_destroy(&w->wake);
  tova_plat_mutex_destroy(&w->lock);
  free(w);
}

/* Copy n strings; on failure *out is left unchanged. */
static tova_status copy_strings(size_t n, const char *const *src, char ***out, size_t *count) {
  if (n && !src) return TOVA_ERR_BAD_ARGUMENT;
  char **v = calloc(n ? n : 1, sizeof *v);
  if (!v) return TOVA_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    v[i] = strdup(src[i] ? src[i] : "");
    if (!v[i]) {
      free_strings(v, i);
      return TOVA_ERR_NOMEM;
    }
  }
  free_strings(*out, *count);
  *out = v;
  *count = n;
  return TOVA_OK;
}

tova_status tova_wasi_set_args(tova_wasi *w, size_t argc, const char *const *argv) {
  if (!w) return TOVA_ERR_BAD_ARGUMENT;
  return copy_strings(argc, argv, &w->argv, &w->argc);
}

tova_status tova_wasi_set_env(tova_wasi *w, size_t envc, const char *const *env) {
  if (!w) return TOVA_ERR_BAD_ARGUMENT;
  return copy_strings(envc, env, &w->env, &w->envc);
}

/* Make sure fds[0..n) exist. */
static bool reserve_fds(tova_wasi *w, uint32_t n) {
  if (n <= w->nfds) return true;
  wasi_fd *f = realloc(w->fds, n * sizeof *f);
  if (!f) return false;
  memset(f + w->nfds, 0, (n - w->nfds) * sizeof *f);
  w->fds = f;
  w->nfds = n;
  return true;
}

static uint8_t filetype_of_host(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return WASI_FILETYPE_UNKNOWN;
  return wasi_filetype_of_mode(st.st_mode);
}

tova_status tova_wasi_set_stdio(tova_wasi *w, int in_fd, int out_fd, int err_fd) {
  if (!w) return TOVA_ERR_BAD_ARGUMENT;
  if (!reserve_fds(w, 3)) return TOVA_ERR_NOMEM;
  int host[3] = {in_fd, out_fd, err_fd};
  for (int i = 0; i < 3; i++) {
    wasi_fd *f = &w->fds[i];
    if (f->used) wasi_fd_close(f);
    if (host[i] < 0) continue;
    f->used = true;
    f->owned = false;
    f->host = host[i];
    f->filetype = filetype_of_host(host[i]);
    f->rights_base = WASI_RIGHTS_ALL;
    f->rights_inheriting = WASI_RIGHTS_ALL;
    /* wasi-libc's isatty() is "a character device without seek/tell rights". */
    if (f->filetype == WASI_FILETYPE_CHARACTER_DEVICE)
      f->rights_base &= ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
  }
  return TOVA_OK;
}

tova_status tova_wasi_preopen(tova_wasi *w, const char *host_path, const char *guest_path,
                              tova_error *err) {
  if (!w || !host_path || !guest_path)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "wasi: preopen needs a host and guest path");
  /* fds 0..2 are the standard streams even if the embedder closed them. */
  if (!reserve_fds(w, 3)) return tova_error_set(err, TOVA_ERR_NOMEM, "wasi: out of memory");
  int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return tova_error_set(err, TOVA_ERR_NOT_FOUND, "wasi: cannot open directory %s: %s",
                          host_path, strerror(errno));
  char *name = strdup(guest_path);
  int64_t g = name ? wasi_fd_install(w, fd, WASI_FILETYPE_DIRECTORY, WASI_RIGHTS_ALL,
                                     WASI_RIGHTS_ALL)
                   : (close(fd), -1);
  if (g < 0) {
    free(name);
    return tova_error_set(err, TOVA_ERR_NOMEM, "wasi: out of memory");
  }
  w->fds[g].preopen = name;
  return TOVA_OK;
}

bool tova_wasi_exit_status(const tova_wasi *w, int *status) {
  if (!w || !w->exited) return false;
  if (status) *status = w->exit_status;
  return true;
}

void tova_wasi_interrupt(tova_wasi *w) {
  if (!w) return;
  tova_plat_mutex_lock(&w->lock);
  atomic_store(&w->interrupted, true);
  tova_plat_cond_broadcast(&w->wake);
  tova_plat_mutex_unlock(&w->lock);
}

void tova_wasi_set_sleeper(tova_wasi *w, tova_wasi_sleep_fn fn, void *ctx) {
  if (!w) return;
  w->sleeper = fn;
  w->sleeper_ctx = ctx;
}

bool wasi_mem_of_call(tova_host_call *call, wasi_mem *out) {
  tova_instance *inst = tova_host_call_instance(call);
  tova_extern ext;
  if (!inst || tova_instance_export(inst, "memory", &ext) != TOVA_OK ||
      ext.kind != TOVA_EXTERN_MEMORY)
    return false;
  out->base = tova_memory_data(ext.of.memory, &out->size);
  return true;
}

int wasi_put32(wasi_mem *m, uint32_t p, uint32_t v) {
  if (!wasi_mem_ok(m, p, 4)) return WASI_EFAULT;
  wasi_st32(m, p, v);
  return WASI_ESUCCESS;
}

int wasi_put64(wasi_mem *m, uint32_t p, uint64_t v) {
  if (!wasi_mem_ok(m, p, 8)) return WASI_EFAULT;
  wasi_st64(m, p, v);
  return WASI_ESUCCESS;
}
