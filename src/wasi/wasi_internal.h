/*
 * wasi_internal.h: the WASI preview 1 context shared by the files of src/wasi/.
 *
 *   wasi.c          context lifecycle, stdio, preopens, exit status
 *   wasi_define.c   the import table: names, signatures, host callbacks
 *   wasi_fdtable.c  the guest's file-descriptor table
 *   wasi_errno.c    host errno -> WASI errno
 *   wasi_path.c     sandboxed path resolution under a preopen
 *   wasi_fd.c       fd_* calls
 *   wasi_path_ops.c path_* calls
 *   wasi_misc.c     args, environ, clocks, random, poll_oneoff, proc_*, sched, sock
 *
 * Guest memory is little-endian WebAssembly linear memory; every access goes
 * through wasi_mem_* which check the range first, so a host function never
 * touches memory outside [0, size).
 */
#ifndef TOVA_WASI_INTERNAL_H
#define TOVA_WASI_INTERNAL_H

#include <dirent.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "platform/platform.h"
#include "tova.h"

/* ---- WASI preview 1 constants (witx: typenames.witx) -------------------- */

enum {
  WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EAGAIN = 6, WASI_EBADF = 8,
  WASI_EBUSY = 10, WASI_EEXIST = 20, WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EINTR = 27,
  WASI_EINVAL = 28, WASI_EIO = 29, WASI_EISDIR = 31, WASI_ELOOP = 32, WASI_EMFILE = 33,
  WASI_EMLINK = 34, WASI_ENAMETOOLONG = 37, WASI_ENFILE = 41, WASI_ENODEV = 43,
  WASI_ENOENT = 44, WASI_ENOMEM = 48, WASI_ENOSPC = 51, WASI_ENOSYS = 52, WASI_ENOTDIR = 54,
  WASI_ENOTEMPTY = 55, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58, WASI_ENOTTY = 59,
  WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EPERM = 63, WASI_EPIPE = 64, WASI_ERANGE = 68,
  WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
  WASI_ENOTCAPABLE = 76
};

enum {
  WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1, WASI_FILETYPE_CHARACTER_DEVICE = 2,
  WASI_FILETYPE_DIRECTORY = 3, WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
  WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7
};

enum { WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4,
       WASI_FDFLAG_RSYNC = 8, WASI_FDFLAG_SYNC = 16 };
enum { WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8 };
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 };
enum { WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC = 1, WASI_CLOCK_PROCESS_CPUTIME = 2,
       WASI_CLOCK_THREAD_CPUTIME = 3 };
enum { WASI_FSTFLAG_ATIM = 1, WASI_FSTFLAG_ATIM_NOW = 2, WASI_FSTFLAG_MTIM = 4,
       WASI_FSTFLAG_MTIM_NOW = 8 };
enum { WASI_EVENT_CLOCK = 0, WASI_EVENT_FD_READ = 1, WASI_EVENT_FD_WRITE = 2 };
enum { WASI_SUBCLOCK_ABSTIME = 1 };

/* Rights bits 0..29. Read-side and write-side rights decide a file's open mode. */
#define WASI_RIGHT_FD_DATASYNC (1ull << 0)
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_FD_ALLOCATE (1ull << 8)
#define WASI_RIGHT_FD_READDIR (1ull << 14)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE (1ull << 22)
#define WASI_RIGHTS_ALL ((1ull << 30) - 1)

/* Sizes and field offsets of the structures the guest passes (witx layout). */
#define WASI_IOVEC_SIZE 8     /* buf u32 @0, buf_len u32 @4 */
#define WASI_FDSTAT_SIZE 24   /* filetype u8 @0, flags u16 @2, base u64 @8, inheriting u64 @16 */
#define WASI_FILESTAT_SIZE 64 /* dev @0 ino @8 filetype u8 @16 nlink @24 size @32 atim @40 mtim @48 ctim @56 */
#define WASI_PRESTAT_SIZE 8   /* tag u8 @0 (0 = dir), name_len u32 @4 */
#define WASI_DIRENT_SIZE 24   /* next u64 @0, ino u64 @8, namlen u32 @16, type u8 @20 */
#define WASI_SUBSCRIPTION_SIZE 48
#define WASI_EVENT_SIZE 32

/* ---- the context --------------------------------------------------------- */

/* One guest file descriptor. Invariant: used == false means every other field
 * is meaningless; host >= 0 for every used entry except a stdio stream the
 * embedder gave as -1 (then the entry is not used at all). */
typedef struct wasi_fd {
  bool used;
  bool owned;            /* close host on fd_close / free (false for embedder's stdio) */
  int host;              /* host file descriptor */
  uint8_t filetype;      /* WASI_FILETYPE_* at open time */
  uint64_t rights_base, rights_inheriting;
  char *preopen;         /* guest name of a preopened directory, else NULL */
  DIR *dir;              /* fd_readdir stream over a dup of host, opened lazily */
  uint64_t dir_index;    /* number of entries dir has returned since its rewind */
} wasi_fd;

struct tova_wasi {
  char **argv;
  size_t argc;
  char **env;
  size_t envc;
  wasi_fd *fds;
  uint32_t nfds; /* entries in fds (used or not) */
  bool exited;
  int exit_status;
  /* poll_oneoff sleeps on this condvar so tova_wasi_interrupt can end a sleep. */
  tova_plat_mutex lock;
  tova_plat_cond wake;
  atomic_bool interrupted;
  /* tova_wasi_set_sleeper: parks the caller of a clock-only poll_oneoff. */
  tova_wasi_sleep_fn sleeper;
  void *sleeper_ctx;
};

/* ---- guest memory ------------------------------------------------------- */

/* The calling instance's linear memory for one host call. */
typedef struct wasi_mem {
  uint8_t *base;
  uint64_t size;
} wasi_mem;

/* Look up the caller's exported "memory"; false if it has none. */
bool wasi_mem_of_call(tova_host_call *call, wasi_mem *out);

static inline bool wasi_mem_ok(const wasi_mem *m, uint32_t ptr, uint64_t len) {
  return (uint64_t)ptr + len <= m->size;
}
/* Little-endian loads and stores; the caller has checked the range. */
static inline uint32_t wasi_ld32(const wasi_mem *m, uint32_t p) {
  const uint8_t *b = m->base + p;
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t wasi_ld64(const wasi_mem *m, uint32_t p) {
  return (uint64_t)wasi_ld32(m, p) | (uint64_t)wasi_ld32(m, p + 4) << 32;
}
static inline uint16_t wasi_ld16(const wasi_mem *m, uint32_t p) {
  return (uint16_t)(m->base[p] | m->base[p + 1] << 8);
}
static inline void wasi_st16(wasi_mem *m, uint32_t p, uint16_t v) {
  m->base[p] = (uint8_t)v;
  m->base[p + 1] = (uint8_t)(v >> 8);
}
static inline void wasi_st32(wasi_mem *m, uint32_t p, uint32_t v) {
  for (int i = 0; i < 4; i++) m->base[p + i] = (uint8_t)(v >> (8 * i));
}
static inline void wasi_st64(wasi_mem *m, uint32_t p, uint64_t v) {
  wasi_st32(m, p, (uint32_t)v);
  wasi_st32(m, p + 4, (uint32_t)(v >> 32));
}
/* Checked stores of a result: WASI_EFAULT if out of range, else WASI_ESUCCESS. */
int wasi_put32(wasi_mem *m, uint32_t p, uint32_t v);
int wasi_put64(wasi_mem *m, uint32_t p, uint64_t v);

/* ---- errno -------------------------------------------------------------- */

/* Host errno value -> WASI errno. */
int wasi_errno_from_host(int e);

/* ---- file descriptors --------------------------------------------------- */

/* The entry for guest fd, or NULL if it is not open. */
wasi_fd *wasi_fd_get(tova_wasi *w, uint32_t fd);
/* Install host fd (taking ownership) at the lowest free guest number >= 3.
 * Returns the guest number, or -1 when memory runs out (host is closed). */
int64_t wasi_fd_install(tova_wasi *w, int host, uint8_t filetype, uint64_t base,
                        uint64_t inheriting);
/* Close guest fd: its host fd if owned, its directory stream, its name. */
void wasi_fd_close(wasi_fd *f);
/* WASI filetype of a host st_mode. */
uint8_t wasi_filetype_of_mode(unsigned mode);

/* ---- paths -------------------------------------------------------------- */

/* A path resolved inside a preopen: operate on (dirfd, name) with *at()
 * calls and never follow a symlink at name (the resolver already has when
 * asked to). dirfd is owned by the result unless it is the preopen's own. */
typedef struct wasi_resolved {
  int dirfd;
  bool own_dirfd;
  char *name;     /* one component without '/', never ".."; "." is dirfd itself */
  bool trailing_slash;
} wasi_resolved;

/* Resolve guest path (path_len bytes of guest memory, not NUL-terminated)
 * relative to directory fd dir. follow: the last component is followed if it
 * is a symlink. Returns WASI_ESUCCESS or an errno (ENOTCAPABLE on escapes). */
int wasi_path_resolve(tova_wasi *w, uint32_t dir, const char *path, uint32_t path_len, bool follow,
                      wasi_resolved *out);
void wasi_resolved_free(wasi_resolved *r);

/* ---- host callbacks, one per import (wasi_define.c lists them) ----------- */

#define WASI_HOST(name)                                                                       \
  tova_status wasi_call_##name(tova_host_call *call, void *userdata, const tova_val *args,          \
                          tova_val *results)

WASI_HOST(args_get); WASI_HOST(args_sizes_get); WASI_HOST(environ_get);
WASI_HOST(environ_sizes_get); WASI_HOST(clock_res_get); WASI_HOST(clock_time_get);
WASI_HOST(random_get); WASI_HOST(poll_oneoff); WASI_HOST(proc_exit); WASI_HOST(proc_raise);
WASI_HOST(sched_yield); WASI_HOST(sock_accept); WASI_HOST(sock_recv); WASI_HOST(sock_send);
WASI_HOST(sock_shutdown);

WASI_HOST(fd_advise); WASI_HOST(fd_allocate); WASI_HOST(fd_close); WASI_HOST(fd_datasync);
WASI_HOST(fd_fdstat_get); WASI_HOST(fd_fdstat_set_flags); WASI_HOST(fd_fdstat_set_rights);
WASI_HOST(fd_filestat_get); WASI_HOST(fd_filestat_set_size); WASI_HOST(fd_filestat_set_times);
WASI_HOST(fd_pread); WASI_HOST(fd_prestat_get); WASI_HOST(fd_prestat_dir_name);
WASI_HOST(fd_pwrite); WASI_HOST(fd_read); WASI_HOST(fd_readdir); WASI_HOST(fd_renumber);
WASI_HOST(fd_seek); WASI_HOST(fd_sync); WASI_HOST(fd_tell); WASI_HOST(fd_write);

WASI_HOST(path_create_directory); WASI_HOST(path_filestat_get);
WASI_HOST(path_filestat_set_times); WASI_HOST(path_link); WASI_HOST(path_open);
WASI_HOST(path_readlink); WASI_HOST(path_remove_directory); WASI_HOST(path_rename);
WASI_HOST(path_symlink); WASI_HOST(path_unlink_file);

/* Fill the WASI filestat at guest p from a host struct stat (in wasi_fd.c). */
struct stat;
void wasi_store_filestat(wasi_mem *m, uint32_t p, const struct stat *st);
/* WASI (atim, mtim, fstflags) -> the timespec pair of futimens/utimensat. */
struct timespec;
int wasi_times(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2]);

/* Common prologue of a host callback: the context and the caller's memory,
 * trapping if the module exports no memory. */
#define WASI_ENTER(w, mem)                                                                 \
  tova_wasi *w = userdata;                                                                 \
  wasi_mem mem;                                                                            \
  if (!wasi_mem_of_call(call, &mem))                                                       \
    return tova_host_trap(call, "wasi: the module exports no memory named \"memory\"")
#define WASI_RETURN(e)       \
  do {                       \
    results[0].i32 = (e);    \
    return TOVA_OK;          \
  } while (0)

#endif
