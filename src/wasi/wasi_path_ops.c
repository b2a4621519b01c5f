/*
 * wasi_path_ops.c: the path_* calls of WASI preview 1. Each resolves its
 * guest path(s) with wasi_path_resolve (which enforces the sandbox) and then
 * acts on the (directory fd, name) pair with a *at() call that does not
 * follow a symlink at name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

#define U32(i) ((uint32_t)args[i].i32)
#define HOST_ERR() wasi_errno_from_host(errno)

/* Resolve the guest path at [ptr, ptr+len) relative to guest fd dir. */
static int resolve(tova_wasi *w, const wasi_mem *m, uint32_t dir, uint32_t ptr, uint32_t len,
                   bool follow, wasi_resolved *out) {
  memset(out, 0, sizeof *out);
  out->dirfd = -1;
  if (!wasi_mem_ok(m, ptr, len)) return WASI_EFAULT;
  return wasi_path_resolve(w, dir, (const char *)m->base + ptr, len, follow, out);
}

WASI_HOST(path_open) {
  WASI_ENTER(w, mem);
  uint32_t dir = U32(0), lookup = U32(1), oflags = U32(4), fdflags = U32(7), fd_out = U32(8);
  uint64_t base = (uint64_t)args[5].i64, inheriting = (uint64_t)args[6].i64;
  if (!wasi_mem_ok(&mem, fd_out, 4)) WASI_RETURN(WASI_EFAULT);
  wasi_fd *parent = wasi_fd_get(w, dir);
  if (!parent) WASI_RETURN(WASI_EBADF);
  uint64_t parent_inh = parent->rights_inheriting;

  /* The open mode follows the rights asked for, as in other WASI hosts. */
  bool rd = base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
  bool wr = base & (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |
                    WASI_RIGHT_FD_FILESTAT_SET_SIZE);
  /* A directory is only ever opened for reading (writing one is EISDIR). */
  if (oflags & WASI_O_DIRECTORY) wr = false;
  int flags = (wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW;
  if (oflags & WASI_O_CREAT) flags |= O_CREAT;
  if (oflags & WASI_O_DIRECTORY) flags |= O_DIRECTORY;
  if (oflags & WASI_O_EXCL) flags |= O_EXCL;
  if (oflags & WASI_O_TRUNC) flags |= O_TRUNC;
  if (fdflags & WASI_FDFLAG_APPEND) flags |= O_APPEND;
  if (fdflags & WASI_FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
  if (fdflags & (WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC)) flags |= O_SYNC;
#ifdef O_DSYNC
  if (fdflags & WASI_FDFLAG_DSYNC) flags |= O_DSYNC;
#endif

  wasi_resolved r;
  int rc = resolve(w, &mem, dir, U32(2), U32(3), lookup & WASI_LOOKUP_SYMLINK_FOLLOW, &r);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  if (r.trailing_slash) flags = (flags & ~O_ACCMODE) | O_RDONLY | O_DIRECTORY;
  int fd = openat(r.dirfd, r.name, flags, 0666);
  rc = fd < 0 ? HOST_ERR() : WASI_ESUCCESS;
  wasi_resolved_free(&r);
  if (fd < 0) WASI_RETURN(rc);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = HOST_ERR();
    close(fd);
    WASI_RETURN(rc);
  }
  int64_t g = wasi_fd_install(w, fd, wasi_filetype_of_mode(st.st_mode), base & parent_inh,
                              inheriting & parent_inh);
  if (g < 0) WASI_RETURN(WASI_EMFILE);
  wasi_st32(&mem, fd_out, (uint32_t)g);
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(path_create_directory) {
  WASI_ENTER(w, mem);
  wasi_resolved r;
  int rc = resolve(w, &mem, U32(0), U32(1), U32(2), false, &r);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  if (mkdirat(r.dirfd, r.name, 0777) != 0) rc = HOST_ERR();
  wasi_resolved_free(&r);
  WASI_RETURN(rc);
}

WASI_HOST(path_remove_directory) {
  WASI_ENTER(w, mem);
  wasi_resolved r;
  int rc = resolve(w, &mem, U32(0), U32(1), U32(2), false, &r);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  if (unlinkat(r.dirfd, r.name, AT_REMOVEDIR) != 0) rc = HOST_ERR();
  wasi_resolved_free(&r);
  WASI_RETURN(rc);
}

WASI_HOST(path_unlink_file) {
  WASI_ENTER(w, mem);
  wasi_resolved r;
  int rc = resolve(w, &mem, U32(0), U32(1), U32(2), false, &r);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  struct stat st;
  bool is_dir = fstatat(r.dirfd, r.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  if (is_dir) {
    rc = WASI_EISDIR; /* Linux says EISDIR, macOS EPERM: give the guest one answer */
  } else if (r.trailing_slash) {
    rc = WASI_ENOTDIR;
  } else if (unlinkat(r.dirfd, r.name, 0) != 0) {
    rc = HOST_ERR();
  }
  wasi_resolved_free(&r);
  WASI_RETURN(rc);
}

WASI_HOST(path_filestat_get) {
  WASI_ENTER(w, mem);
  uint32_t buf = U32(4);
  if (!wasi_mem_ok(&mem, buf, WASI_FILESTAT_SIZE)) WASI_RETURN(WASI_EFAULT);
  wasi_resolved r;
  int rc = resolve(w, &mem, U32(0), U32(2), U32(3), U32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  struct stat st;
  if (fstatat(r.dirfd, r.name, &st, AT_SYMLINK_NOFOLLOW) != 0) rc = HOST_ERR();
  else if (r.trailing_slash && !S_ISDIR(st.st_mode)) rc = WASI_ENOTDIR;
  else wasi_store_filestat(&mem, buf, &st);
  wasi_resolved_free(&r);
  WASI_RETURN(rc);
}

WASI_HOST(path_filestat_set_times) {
  WASI_ENTER(w, mem);
  struct timespec ts[2];
  int rc = wasi_times((uint64_t)args[4].i64, (uint64_t)args[5].i64, U32(6), ts);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  wasi_resolved r;
  rc = resolve(w, &mem, U32(0), U32(2), U32(3), U32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  if (utimensat(r.dirfd, r.name, ts, AT_SYMLINK_NOFOLLOW) != 0) rc = HOST_ERR();
  wasi_resolved_free(&r);
  WASI_RETURN(rc);
}

WASI_HOST(path_readlink) {
  WASI_ENTER(w, mem);
  uint32_t buf = U32(3), buf_len = U32(4), used = U32(5);
  if (!wasi_mem_ok(&mem, buf, buf_len) || !wasi_mem_ok(&mem, used, 4)) WASI_RETURN(WASI_EFAULT);
  wasi_resolved r;
  int rc = resolve(w, &mem, U32(0), U32(1), U32(2), false, &r);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  char target[4096];
  ssize_t n = readlinkat(r.dirfd, r.name, target, sizeof target);
  if (n < 0) {
    rc = HOST_ERR();
  } else {
    /* Truncated to the buffer, as readlink(2) does. */
    uint32_t k = (uint64_t)n < buf_len ? (uint32_t)n : buf_len;
    memcpy(mem.base + buf, target, k);
    wasi_st32(&mem, used, k);
  }
  wasi_resolved_free(&r);
  WASI_RETURN(rc);
}

WASI_HOST(path_symlink) {
  WASI_ENTER(w, mem);
  uint32_t tptr = U32(0), tlen = U32(1);
  if (!wasi_mem_ok(&mem, tptr, tlen)) WASI_RETURN(WASI_EFAULT);
  const char *t = (const char *)mem.base + tptr;
  if (tlen == 0) WASI_RETURN(WASI_ENOENT);
  if (memchr(t, '\0', tlen)) WASI_RETURN(WASI_EINVAL);
  /* An absolute target could never be followed inside the sandbox. */
  if (t[0] == '/') WASI_RETURN(WASI_ENOTCAPABLE);
  char *target = malloc((size_t)tlen + 1);
  if (!target) WASI_RETURN(WASI_ENOMEM);
  memcpy(target, t, tlen);
  target[tlen] = '\0';
  wasi_resolved r;
  int rc = resolve(w, &mem, U32(2), U32(3), U32(4), false, &r);
  if (rc == WASI_ESUCCESS) {
    if (symlinkat(target, r.dirfd, r.name) != 0) rc = HOST_ERR();
    wasi_resolved_free(&r);
  }
  free(target);
  WASI_RETURN(rc);
}

WASI_HOST(path_link) {
  WASI_ENTER(w, mem);
  wasi_resolved from, to;
  int rc = resolve(w, &mem, U32(0), U32(2), U32(3), U32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &from);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  rc = resolve(w, &mem, U32(4), U32(5), U32(6), false, &to);
  if (rc == WASI_ESUCCESS) {
    if (linkat(from.dirfd, from.name, to.dirfd, to.name, 0) != 0) rc = HOST_ERR();
    wasi_resolved_free(&to);
  }
  wasi_resolved_free(&from);
  WASI_RETURN(rc);
}

WASI_HOST(path_rename) {
  WASI_ENTER(w, mem);
  wasi_resolved from, to;
  int rc = resolve(w, &mem, U32(0), U32(1), U32(2), false, &from);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  rc = resolve(w, &mem, U32(3), U32(4), U32(5), false, &to);
  if (rc == WASI_ESUCCESS) {
    if (renameat(from.dirfd, from.name, to.dirfd, to.name) != 0) rc = HOST_ERR();
    wasi_resolved_free(&to);
  }
  wasi_resolved_free(&from);
  WASI_RETURN(rc);
}
