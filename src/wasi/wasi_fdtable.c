/*
 * wasi_fdtable.c: the guest's file-descriptor table. Guest numbers are
 * indexes into w->fds; 0..2 are the standard streams, new files take the
 * lowest free number from 3 up (as POSIX open does).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

/* A guest may not hold more descriptors than this (EMFILE beyond). */
#define WASI_MAX_FDS 16384

wasi_fd *wasi_fd_get(tova_wasi *w, uint32_t fd) {
  if (fd >= w->nfds || !w->fds[fd].used) return NULL;
  return &w->fds[fd];
}

int64_t wasi_fd_install(tova_wasi *w, int host, uint8_t filetype, uint64_t base,
                        uint64_t inheriting) {
  uint32_t i = 3;
  while (i < w->nfds && w->fds[i].used) i++;
  if (i >= w->nfds) {
    uint32_t n = w->nfds < 8 ? 8 : w->nfds * 2;
    if (n > WASI_MAX_FDS) n = WASI_MAX_FDS;
    wasi_fd *f = i < n ? realloc(w->fds, n * sizeof *f) : NULL;
    if (!f) {
      close(host);
      return -1;
    }
    memset(f + w->nfds, 0, (n - w->nfds) * sizeof *f);
    w->fds = f;
    w->nfds = n;
  }
  wasi_fd *f = &w->fds[i];
  memset(f, 0, sizeof *f);
  f->used = true;
  f->owned = true;
  f->host = host;
  f->filetype = filetype;
  f->rights_base = base;
  f->rights_inheriting = inheriting;
  return i;
}

void wasi_fd_close(wasi_fd *f) {
  if (f->dir) closedir(f->dir); /* closes its own dup of host */
  if (f->owned && f->host >= 0) close(f->host);
  free(f->preopen);
  memset(f, 0, sizeof *f);
}

uint8_t wasi_filetype_of_mode(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: return WASI_FILETYPE_UNKNOWN;
  }
}
