/*
 * wasi_fd.c: the fd_* calls of WASI preview 1, on the standard streams, files
 * and directories of the guest's descriptor table.
 *
 * Buffers named by iovecs are checked against linear memory before any host
 * call touches them; reads and writes then go straight between the host file
 * and linear memory.
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* st_atimespec and DT_* are hidden under strict POSIX on macOS */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

/* At most this many iovecs per call (POSIX guarantees IOV_MAX >= 16; Linux and
 * macOS have 1024). Later ones are left for the guest's next call, which is
 * a legal short transfer. */
#define WASI_MAX_IOVS 1024

#define U32(i) ((uint32_t)args[i].i32)
#define HOST_ERR() wasi_errno_from_host(errno)

#ifdef __APPLE__
#define ST_ATIM(st) (st)->st_atimespec
#define ST_MTIM(st) (st)->st_mtimespec
#define ST_CTIM(st) (st)->st_ctimespec
#else
#define ST_ATIM(st) (st)->st_atim
#define ST_MTIM(st) (st)->st_mtim
#define ST_CTIM(st) (st)->st_ctim
#endif

static uint64_t ts_ns(struct timespec ts) {
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void wasi_store_filestat(wasi_mem *m, uint32_t p, const struct stat *st) {
  memset(m->base + p, 0, WASI_FILESTAT_SIZE);
  wasi_st64(m, p + 0, (uint64_t)st->st_dev);
  wasi_st64(m, p + 8, (uint64_t)st->st_ino);
  m->base[p + 16] = wasi_filetype_of_mode(st->st_mode);
  wasi_st64(m, p + 24, (uint64_t)st->st_nlink);
  wasi_st64(m, p + 32, (uint64_t)st->st_size);
  wasi_st64(m, p + 40, ts_ns(ST_ATIM(st)));
  wasi_st64(m, p + 48, ts_ns(ST_MTIM(st)));
  wasi_st64(m, p + 56, ts_ns(ST_CTIM(st)));
}

/* Gather the guest's iovec array into host iovecs; EFAULT if any is out of range. */
static int gather(const wasi_mem *m, uint32_t iovs, uint32_t n, struct iovec *out, int *count) {
  if (n > WASI_MAX_IOVS) n = WASI_MAX_IOVS;
  if (!wasi_mem_ok(m, iovs, (uint64_t)n * WASI_IOVEC_SIZE)) return WASI_EFAULT;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf = wasi_ld32(m, iovs + i * WASI_IOVEC_SIZE);
    uint32_t len = wasi_ld32(m, iovs + i * WASI_IOVEC_SIZE + 4);
    if (!wasi_mem_ok(m, buf, len)) return WASI_EFAULT;
    out[i].iov_base = m->base + buf;
    out[i].iov_len = len;
  }
  *count = (int)n;
  return WASI_ESUCCESS;
}

/* transfer()'s answer when tova_wasi_interrupt ended its wait (not a WASI
 * errno: the call then traps "interrupted", as poll_oneoff does). */
#define TRANSFER_INTERRUPTED (-1)

/* A stream (pipe, terminal, socket) can keep readv/writev waiting for ever
 * (an input nobody writes, an output nobody reads), and a thread blocked in
 * readv cannot be stopped: a cancel, a deadline, the runtime's shutdown and
 * with it process.exit() would wait for the peer. So wait for readiness
 * first, in slices of 50 ms that look at the interrupt (the same rule as
 * poll_oneoff). Regular files and directories are always ready. False if
 * interrupted. A write larger than the room a pipe has can still wait for
 * its reader after this (the descriptor may be shared with the embedder, so
 * it is not made non-blocking). */
static bool wait_stream_ready(tova_wasi *w, const wasi_fd *f, bool write) {
  if (f->filetype == WASI_FILETYPE_REGULAR_FILE || f->filetype == WASI_FILETYPE_DIRECTORY) return true;
  struct pollfd p = {.fd = f->host, .events = write ? POLLOUT : POLLIN};
  for (;;) {
    if (atomic_load(&w->interrupted)) return false;
    int r = poll(&p, 1, 50);
    /* Ready, hung up, or an error: readv/writev answer it. */
    if (r > 0 || (r < 0 && errno != EINTR)) return true;
  }
}

/* fd_read / fd_write and their positional forms share this body: a WASI
 * errno, or TRANSFER_INTERRUPTED. */
static int transfer(tova_wasi *w, wasi_mem *m, const tova_val *args, bool write, bool positional) {
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) return WASI_EBADF;
  uint64_t offset = positional ? (uint64_t)args[3].i64 : 0;
  uint32_t result_ptr = positional ? U32(4) : U32(3);
  if (!wasi_mem_ok(m, result_ptr, 4)) return WASI_EFAULT;
  if (offset > INT64_MAX) return WASI_EINVAL;
  struct iovec *iov = malloc(WASI_MAX_IOVS * sizeof *iov);
  if (!iov) return WASI_ENOMEM;
  int n = 0;
  int rc = gather(m, U32(1), U32(2), iov, &n);
  ssize_t done = 0;
  if (rc == WASI_ESUCCESS && !positional && !wait_stream_ready(w, f, write)) {
    rc = TRANSFER_INTERRUPTED;
  } else if (rc == WASI_ESUCCESS && !positional) {
    do {
      done = write ? writev(f->host, iov, n) : readv(f->host, iov, n);
    } while (done < 0 && errno == EINTR);
    if (done < 0) rc = HOST_ERR();
  } else if (rc == WASI_ESUCCESS) {
    /* One call per iovec: preadv/pwritev are missing before macOS 11. */
    for (int i = 0; i < n; i++) {
      off_t at = (off_t)(offset + (uint64_t)done);
      ssize_t k = write ? pwrite(f->host, iov[i].iov_base, iov[i].iov_len, at)
                        : pread(f->host, iov[i].iov_base, iov[i].iov_len, at);
      if (k < 0 && errno == EINTR) {
        i--;
        continue;
      }
      if (k < 0) {
        if (done == 0) rc = HOST_ERR();
        break;
      }
      done += k;
      if ((size_t)k < iov[i].iov_len) break;
    }
  }
  free(iov);
  if (rc == WASI_ESUCCESS) wasi_st32(m, result_ptr, (uint32_t)done);
  return rc;
}

WASI_HOST(fd_read) {
  WASI_ENTER(w, mem);
  int rc = transfer(w, &mem, args, false, false);
  if (rc == TRANSFER_INTERRUPTED) return tova_host_trap(call, "interrupted");
  WASI_RETURN(rc);
}
WASI_HOST(fd_write) {
  WASI_ENTER(w, mem);
  int rc = transfer(w, &mem, args, true, false);
  if (rc == TRANSFER_INTERRUPTED) return tova_host_trap(call, "interrupted");
  WASI_RETURN(rc);
}
WASI_HOST(fd_pread) {
  WASI_ENTER(w, mem);
  WASI_RETURN(transfer(w, &mem, args, false, true));
}
WASI_HOST(fd_pwrite) {
  WASI_ENTER(w, mem);
  WASI_RETURN(transfer(w, &mem, args, true, true));
}

WASI_HOST(fd_seek) {
  WASI_ENTER(w, mem);
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  uint32_t out = U32(3);
  if (!wasi_mem_ok(&mem, out, 8)) WASI_RETURN(WASI_EFAULT);
  int whence;
  switch (args[2].i32) {
    case WASI_WHENCE_SET: whence = SEEK_SET; break;
    case WASI_WHENCE_CUR: whence = SEEK_CUR; break;
    case WASI_WHENCE_END: whence = SEEK_END; break;
    default: WASI_RETURN(WASI_EINVAL);
  }
  if (f->filetype == WASI_FILETYPE_DIRECTORY) WASI_RETURN(WASI_EBADF);
  off_t r = lseek(f->host, (off_t)args[1].i64, whence);
  if (r < 0) WASI_RETURN(HOST_ERR());
  wasi_st64(&mem, out, (uint64_t)r);
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_tell) {
  WASI_ENTER(w, mem);
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  if (!wasi_mem_ok(&mem, U32(1), 8)) WASI_RETURN(WASI_EFAULT);
  off_t r = lseek(f->host, 0, SEEK_CUR);
  if (r < 0) WASI_RETURN(HOST_ERR());
  wasi_st64(&mem, U32(1), (uint64_t)r);
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_close) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  wasi_fd_close(f);
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_renumber) {
  tova_wasi *w = userdata;
  wasi_fd *from = wasi_fd_get(w, U32(0));
  wasi_fd *to = wasi_fd_get(w, U32(1));
  if (!from || !to) WASI_RETURN(WASI_EBADF);
  if (from != to) {
    wasi_fd_close(to);
    *to = *from;
    memset(from, 0, sizeof *from);
  }
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_fdstat_get) {
  WASI_ENTER(w, mem);
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  uint32_t p = U32(1);
  if (!wasi_mem_ok(&mem, p, WASI_FDSTAT_SIZE)) WASI_RETURN(WASI_EFAULT);
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) WASI_RETURN(HOST_ERR());
  uint16_t flags = 0;
  if (fl & O_APPEND) flags |= WASI_FDFLAG_APPEND;
  if (fl & O_NONBLOCK) flags |= WASI_FDFLAG_NONBLOCK;
#ifdef O_DSYNC
  if ((fl & O_DSYNC) == O_DSYNC) flags |= WASI_FDFLAG_DSYNC;
#endif
  if ((fl & O_SYNC) == O_SYNC) flags |= WASI_FDFLAG_SYNC;
  memset(mem.base + p, 0, WASI_FDSTAT_SIZE);
  mem.base[p] = f->filetype;
  wasi_st16(&mem, p + 2, flags);
  wasi_st64(&mem, p + 8, f->rights_base);
  wasi_st64(&mem, p + 16, f->rights_inheriting);
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_fdstat_set_flags) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  uint32_t want = U32(1);
  /* Only APPEND and NONBLOCK can change on an open file (F_SETFL ignores the rest). */
  if (want & ~(uint32_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK)) WASI_RETURN(WASI_ENOTSUP);
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) WASI_RETURN(HOST_ERR());
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (want & WASI_FDFLAG_APPEND) fl |= O_APPEND;
  if (want & WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
  if (fcntl(f->host, F_SETFL, fl) < 0) WASI_RETURN(HOST_ERR());
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_fdstat_set_rights) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  uint64_t base = (uint64_t)args[1].i64, inh = (uint64_t)args[2].i64;
  /* Rights can only shrink. */
  if ((base & ~f->rights_base) || (inh & ~f->rights_inheriting)) WASI_RETURN(WASI_ENOTCAPABLE);
  f->rights_base = base;
  f->rights_inheriting = inh;
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_filestat_get) {
  WASI_ENTER(w, mem);
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  if (!wasi_mem_ok(&mem, U32(1), WASI_FILESTAT_SIZE)) WASI_RETURN(WASI_EFAULT);
  struct stat st;
  if (fstat(f->host, &st) != 0) WASI_RETURN(HOST_ERR());
  wasi_store_filestat(&mem, U32(1), &st);
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_filestat_set_size) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  if ((uint64_t)args[1].i64 > INT64_MAX) WASI_RETURN(WASI_EINVAL);
  if (ftruncate(f->host, (off_t)args[1].i64) != 0) WASI_RETURN(HOST_ERR());
  WASI_RETURN(WASI_ESUCCESS);
}

/* WASI (time, flags) -> the timespec pair utimensat/futimens take. */
int wasi_times(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2]) {
  if (((flags & WASI_FSTFLAG_ATIM) && (flags & WASI_FSTFLAG_ATIM_NOW)) ||
      ((flags & WASI_FSTFLAG_MTIM) && (flags & WASI_FSTFLAG_MTIM_NOW)) || flags > 15)
    return WASI_EINVAL;
  uint64_t t[2] = {atim, mtim};
  uint32_t set[2] = {WASI_FSTFLAG_ATIM, WASI_FSTFLAG_MTIM};
  uint32_t now[2] = {WASI_FSTFLAG_ATIM_NOW, WASI_FSTFLAG_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    ts[i].tv_sec = 0;
    if (flags & now[i]) {
      ts[i].tv_nsec = UTIME_NOW;
    } else if (flags & set[i]) {
      ts[i].tv_sec = (time_t)(t[i] / 1000000000u);
      ts[i].tv_nsec = (long)(t[i] % 1000000000u);
    } else {
      ts[i].tv_nsec = UTIME_OMIT;
    }
  }
  return WASI_ESUCCESS;
}

WASI_HOST(fd_filestat_set_times) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  struct timespec ts[2];
  int rc = wasi_times((uint64_t)args[1].i64, (uint64_t)args[2].i64, U32(3), ts);
  if (rc != WASI_ESUCCESS) WASI_RETURN(rc);
  if (futimens(f->host, ts) != 0) WASI_RETURN(HOST_ERR());
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_advise) {
  tova_wasi *w = userdata;
  if (!wasi_fd_get(w, U32(0))) WASI_RETURN(WASI_EBADF);
  /* Advice is only a hint (and macOS has no posix_fadvise): check it, do nothing. */
  if (U32(3) > 5) WASI_RETURN(WASI_EINVAL);
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_allocate) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  uint64_t off = (uint64_t)args[1].i64, len = (uint64_t)args[2].i64;
  if (off > INT64_MAX || len > INT64_MAX - off) WASI_RETURN(WASI_EINVAL);
  /* Portable form (no posix_fallocate on macOS): grow the file, never shrink it. */
  struct stat st;
  if (fstat(f->host, &st) != 0) WASI_RETURN(HOST_ERR());
  if (!S_ISREG(st.st_mode)) WASI_RETURN(WASI_EBADF);
  if ((uint64_t)st.st_size < off + len && ftruncate(f->host, (off_t)(off + len)) != 0)
    WASI_RETURN(HOST_ERR());
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_sync) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  if (fsync(f->host) != 0) WASI_RETURN(HOST_ERR());
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_datasync) {
  tova_wasi *w = userdata;
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
#ifdef __APPLE__
  int r = fsync(f->host); /* fdatasync is not declared on macOS */
#else
  int r = fdatasync(f->host);
#endif
  if (r != 0) WASI_RETURN(HOST_ERR());
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_prestat_get) {
  WASI_ENTER(w, mem);
  wasi_fd *f = wasi_fd_get(w, U32(0));
  /* EBADF also ends wasi-libc's scan of the preopens at startup. */
  if (!f || !f->preopen) WASI_RETURN(WASI_EBADF);
  uint32_t p = U32(1);
  if (!wasi_mem_ok(&mem, p, WASI_PRESTAT_SIZE)) WASI_RETURN(WASI_EFAULT);
  memset(mem.base + p, 0, WASI_PRESTAT_SIZE);
  wasi_st32(&mem, p + 4, (uint32_t)strlen(f->preopen));
  WASI_RETURN(WASI_ESUCCESS);
}

WASI_HOST(fd_prestat_dir_name) {
  WASI_ENTER(w, mem);
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f || !f->preopen) WASI_RETURN(WASI_EBADF);
  size_t n = strlen(f->preopen);
  if (U32(2) < n) WASI_RETURN(WASI_ENAMETOOLONG);
  if (!wasi_mem_ok(&mem, U32(1), n)) WASI_RETURN(WASI_EFAULT);
  memcpy(mem.base + U32(1), f->preopen, n);
  WASI_RETURN(WASI_ESUCCESS);
}

static uint8_t filetype_of_dirent(DIR *d, const struct dirent *de) {
#ifdef DT_DIR
  switch (de->d_type) {
    case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return WASI_FILETYPE_DIRECTORY;
    case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: break;
  }
#endif
  struct stat st;
  if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return WASI_FILETYPE_UNKNOWN;
  return wasi_filetype_of_mode(st.st_mode);
}

/* Cookies are entry indexes: entry i's d_next is i + 1. Reading on from
 * where the last call stopped is sequential; any other cookie rewinds. */
WASI_HOST(fd_readdir) {
  WASI_ENTER(w, mem);
  wasi_fd *f = wasi_fd_get(w, U32(0));
  if (!f) WASI_RETURN(WASI_EBADF);
  uint32_t buf = U32(1), buf_len = U32(2), used_ptr = U32(4);
  uint64_t cookie = (uint64_t)args[3].i64;
  if (!wasi_mem_ok(&mem, buf, buf_len) || !wasi_mem_ok(&mem, used_ptr, 4)) WASI_RETURN(WASI_EFAULT);
  if (f->filetype != WASI_FILETYPE_DIRECTORY) WASI_RETURN(WASI_ENOTDIR);
  if (!f->dir) {
    int d = dup(f->host);
    if (d < 0) WASI_RETURN(HOST_ERR());
    f->dir = fdopendir(d);
    if (!f->dir) {
      int e = errno;
      close(d);
      WASI_RETURN(wasi_errno_from_host(e));
    }
    rewinddir(f->dir);
    f->dir_index = 0;
  }
  if (cookie != f->dir_index) {
    rewinddir(f->dir);
    f->dir_index = 0;
    while (f->dir_index < cookie && readdir(f->dir)) f->dir_index++;
  }
  uint32_t used = 0;
  while (used < buf_len) {
    errno = 0;
    struct dirent *de = readdir(f->dir);
    if (!de) {
      if (errno) WASI_RETURN(HOST_ERR());
      break;
    }
    f->dir_index++;
    size_t namlen = strlen(de->d_name);
    uint8_t head[WASI_DIRENT_SIZE] = {0};
    wasi_mem hm = {head, sizeof head};
    wasi_st64(&hm, 0, f->dir_index);
    wasi_st64(&hm, 8, (uint64_t)de->d_ino);
    wasi_st32(&hm, 16, (uint32_t)namlen);
    head[20] = filetype_of_dirent(f->dir, de);
    /* Copy as much of header + name as fits; a cut entry tells the guest
     * to call again with a bigger buffer from this entry's cookie. */
    uint32_t room = buf_len - used;
    uint32_t h = room < WASI_DIRENT_SIZE ? room : WASI_DIRENT_SIZE;
    memcpy(mem.base + buf + used, head, h);
    used += h;
    room -= h;
    uint32_t nm = room < namlen ? room : (uint32_t)namlen;
    memcpy(mem.base + buf + used, de->d_name, nm);
    used += nm;
  }
  wasi_st32(&mem, used_ptr, used);
  WASI_RETURN(WASI_ESUCCESS);
}
