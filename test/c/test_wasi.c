/* test_wasi.c: every WASI preview 1 call the host implements, called
 * directly from a WebAssembly module with chosen arguments: results in
 * linear memory, errno values (numbers from the WASI spec, written out here
 * rather than taken from the implementation), out-of-range pointers (EFAULT),
 * proc_exit and interrupting a sleep. The sandbox is tested in
 * test_wasi_sandbox.c. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_wasi_util.h"

enum { ESUCCESS = 0, EBADF = 8, EEXIST = 20, EFAULT = 21, EINVAL = 28, EISDIR = 31,
       ENAMETOOLONG = 37, ENOENT = 44, ENOSYS = 52, ENOTDIR = 54, ENOTEMPTY = 55, ENOTSOCK = 57,
       ENOTSUP = 58, ESPIPE = 70, ENOTCAPABLE = 76 };
enum { FT_CHAR = 2, FT_DIR = 3, FT_REG = 4, FT_LINK = 7 };
enum { O_CREAT_ = 1, O_DIRECTORY_ = 2, O_EXCL_ = 4, O_TRUNC_ = 8 };
#define RIGHTS_RW ((1ull << 1) | (1ull << 2) | (1ull << 5) | (1ull << 6) | (1ull << 21) | (1ull << 22))
#define RIGHTS_ALL ((1ull << 30) - 1)
#define PAGE 65536u

static char tmpdir[256];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/tova-wasi-XXXXXX");
  if (!mkdtemp(tmpdir)) abort();
}
static void rm_rf(const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
}

static tova_wasi *fresh_wasi(void) {
  tova_wasi *w = tova_wasi_new();
  if (!w) abort();
  return w;
}

static void test_args_and_environ(void) {
  tova_wasi *w = fresh_wasi();
  const char *argv[] = {"prog", "a", "bc"};
  const char *env[] = {"K=V", "EMPTY="};
  CHECK(tova_wasi_set_args(w, 3, argv) == TOVA_OK);
  CHECK(tova_wasi_set_env(w, 2, env) == TOVA_OK);
  guest g;
  CHECK(guest_new(&g, w, true));
  CHECK_EQ_I64(GCALL(&g, "args_sizes_get", 100, 104), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 100), 3);
  CHECK_EQ_I64(gld32(&g, 104), 10); /* "prog\0a\0bc\0" */
  CHECK_EQ_I64(GCALL(&g, "args_get", 200, 300), ESUCCESS);
  CHECK(strcmp((char *)g.mem + gld32(&g, 200), "prog") == 0);
  CHECK(strcmp((char *)g.mem + gld32(&g, 204), "a") == 0);
  CHECK(strcmp((char *)g.mem + gld32(&g, 208), "bc") == 0);
  CHECK_EQ_I64(GCALL(&g, "environ_sizes_get", 100, 104), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 100), 2);
  CHECK_EQ_I64(gld32(&g, 104), 11); /* "K=V\0EMPTY=\0" */
  CHECK_EQ_I64(GCALL(&g, "environ_get", 200, 300), ESUCCESS);
  CHECK(strcmp((char *)g.mem + gld32(&g, 204), "EMPTY=") == 0);
  /* Pointers past the end of memory. */
  CHECK_EQ_I64(GCALL(&g, "args_get", PAGE - 4, 300), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "args_get", 200, PAGE - 5), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "args_sizes_get", PAGE - 2, 104), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "environ_get", 0xFFFFFFF0u, 300), EFAULT);
  guest_free(&g);
}

static void test_clocks_random(void) {
  guest g;
  CHECK(guest_new(&g, fresh_wasi(), true));
  CHECK_EQ_I64(GCALL(&g, "clock_time_get", 1, 0, 64), ESUCCESS);
  uint64_t t1 = gld64(&g, 64);
  CHECK_EQ_I64(GCALL(&g, "clock_time_get", 1, 0, 64), ESUCCESS);
  CHECK(gld64(&g, 64) >= t1);
  CHECK_EQ_I64(GCALL(&g, "clock_time_get", 0, 1000, 64), ESUCCESS);
  int64_t secs = (int64_t)(gld64(&g, 64) / 1000000000u);
  int64_t now = (int64_t)time(NULL);
  CHECK(secs >= now - 5 && secs <= now + 5);
  for (int id = 0; id < 4; id++) {
    CHECK_EQ_I64(GCALL(&g, "clock_res_get", id, 72), ESUCCESS);
    CHECK(gld64(&g, 72) > 0);
    CHECK_EQ_I64(GCALL(&g, "clock_time_get", id, 0, 80), ESUCCESS);
  }
  CHECK_EQ_I64(GCALL(&g, "clock_time_get", 9, 0, 64), EINVAL);
  CHECK_EQ_I64(GCALL(&g, "clock_res_get", 9, 64), EINVAL);
  CHECK_EQ_I64(GCALL(&g, "clock_time_get", 1, 0, PAGE - 7), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "clock_res_get", 1, PAGE), EFAULT);

  memset(g.mem + 1000, 0, 64);
  CHECK_EQ_I64(GCALL(&g, "random_get", 1000, 64), ESUCCESS);
  int nonzero = 0;
  for (int i = 0; i < 64; i++) nonzero += g.mem[1000 + i] != 0;
  CHECK(nonzero > 0); /* all 512 bits zero has probability 2^-512 */
  CHECK_EQ_I64(GCALL(&g, "random_get", PAGE - 10, 11), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "random_get", PAGE, 0), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "random_get", 0, 3 * PAGE), EFAULT);
  guest_free(&g);
}

static void test_stdio(void) {
  int in[2], out[2];
  CHECK(pipe(in) == 0 && pipe(out) == 0);
  tova_wasi *w = fresh_wasi();
  CHECK(tova_wasi_set_stdio(w, in[0], out[1], -1) == TOVA_OK);
  guest g;
  CHECK(guest_new(&g, w, true));
  /* fd_write with two iovecs. */
  gput(&g, 500, "hello, ");
  gput(&g, 600, "world");
  gst32(&g, 100, 500); gst32(&g, 104, 7);
  gst32(&g, 108, 600); gst32(&g, 112, 5);
  CHECK_EQ_I64(GCALL(&g, "fd_write", 1, 100, 2, 120), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 120), 12);
  char buf[32] = {0};
  CHECK_EQ_I64(read(out[0], buf, sizeof buf - 1), 12);
  CHECK(strcmp(buf, "hello, world") == 0);
  /* stderr was given as closed; fd 7 was never open. */
  CHECK_EQ_I64(GCALL(&g, "fd_write", 2, 100, 1, 120), EBADF);
  CHECK_EQ_I64(GCALL(&g, "fd_write", 7, 100, 1, 120), EBADF);
  /* iovec buffer, iovec array and result out of range. */
  gst32(&g, 130, PAGE - 3); gst32(&g, 134, 4);
  CHECK_EQ_I64(GCALL(&g, "fd_write", 1, 130, 1, 120), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "fd_write", 1, PAGE - 4, 1, 120), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "fd_write", 1, 100, 1, PAGE - 1), EFAULT);
  /* fd_read from the stdin pipe. */
  CHECK_EQ_I64(write(in[1], "abc", 3), 3);
  gst32(&g, 100, 700); gst32(&g, 104, 2);
  gst32(&g, 108, 800); gst32(&g, 112, 10);
  CHECK_EQ_I64(GCALL(&g, "fd_read", 0, 100, 2, 120), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 120), 3);
  CHECK(memcmp(g.mem + 700, "ab", 2) == 0 && g.mem[800] == 'c');
  /* A pipe cannot seek or tell. */
  CHECK_EQ_I64(GCALL(&g, "fd_seek", 0, 0, 1, 64), ESPIPE);
  CHECK_EQ_I64(GCALL(&g, "fd_tell", 0, 64), ESPIPE);
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_get", 1, 64), ESUCCESS);
  CHECK_EQ_I64(g.mem[64], 0); /* a pipe has no WASI filetype of its own: unknown */
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_get", 1, PAGE - 8), EFAULT);
  guest_free(&g);
  close(in[0]); close(in[1]); close(out[0]); close(out[1]);
}

/* path_open relative to dirfd; returns the errno, the new fd in *fd. */
static int64_t gopen(guest *g, uint32_t dirfd, const char *path, uint32_t oflags, uint64_t rights,
                     uint32_t fdflags, int64_t *fd) {
  int64_t n = gput(g, 2000, path);
  int64_t rc = GCALL(g, "path_open", dirfd, 1, 2000, n, oflags, rights, RIGHTS_ALL, fdflags, 2100);
  *fd = rc == ESUCCESS ? (int64_t)gld32(g, 2100) : -1;
  return rc;
}
/* One-iovec write/read of guest bytes at 3000 (returns errno; count at 3016). */
static int64_t gwrite(guest *g, int64_t fd, const char *s) {
  gst32(g, 3008, 3100);
  gst32(g, 3012, (uint32_t)gput(g, 3100, s));
  return GCALL(g, "fd_write", fd, 3008, 1, 3016);
}
static int64_t gread(guest *g, int64_t fd, uint32_t len) {
  memset(g->mem + 3100, 0, len + 1);
  gst32(g, 3008, 3100);
  gst32(g, 3012, len);
  return GCALL(g, "fd_read", fd, 3008, 1, 3016);
}
static char *host_path(const char *rel) {
  static char buf[512];
  snprintf(buf, sizeof buf, "%s/%s", tmpdir, rel);
  return buf;
}

static void test_preopens(void) {
  tova_wasi *w = fresh_wasi();
  tova_error err = {0};
  CHECK(tova_wasi_preopen(w, tmpdir, "/sb", &err) == TOVA_OK);
  CHECK(tova_wasi_preopen(w, tmpdir, ".", &err) == TOVA_OK);
  CHECK(tova_wasi_preopen(w, host_path("absent"), "/x", &err) != TOVA_OK);
  CHECK_STR_CONTAINS(err.message, "absent");
  guest g;
  CHECK(guest_new(&g, w, true));
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_get", 3, 64), ESUCCESS);
  CHECK_EQ_I64(g.mem[64], 0); /* a directory */
  CHECK_EQ_I64(gld32(&g, 68), 3);
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_dir_name", 3, 80, 3), ESUCCESS);
  CHECK(memcmp(g.mem + 80, "/sb", 3) == 0);
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_dir_name", 3, 80, 2), ENAMETOOLONG);
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_dir_name", 3, PAGE - 2, 3), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_get", 4, 64), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 68), 1);
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_get", 5, 64), EBADF); /* ends wasi-libc's scan */
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_get", 1, 64), EBADF); /* open, not a preopen */
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_get", 3, PAGE - 4), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_get", 3, 64), ESUCCESS);
  CHECK_EQ_I64(g.mem[64], FT_DIR);
  guest_free(&g);
}

static void test_files(void) {
  tova_wasi *w = fresh_wasi();
  CHECK(tova_wasi_preopen(w, tmpdir, "/sb", NULL) == TOVA_OK);
  guest g;
  CHECK(guest_new(&g, w, true));
  int64_t fd, fd2;
  CHECK_EQ_I64(gopen(&g, 3, "f.txt", O_CREAT_ | O_TRUNC_, RIGHTS_RW, 0, &fd), ESUCCESS);
  CHECK(fd >= 4);
  CHECK_EQ_I64(gopen(&g, 3, "f.txt", O_CREAT_ | O_EXCL_, RIGHTS_RW, 0, &fd2), EEXIST);
  CHECK_EQ_I64(gopen(&g, 3, "none.txt", 0, RIGHTS_RW, 0, &fd2), ENOENT);
  CHECK_EQ_I64(gopen(&g, 3, "f.txt", O_DIRECTORY_, RIGHTS_RW, 0, &fd2), ENOTDIR);
  CHECK_EQ_I64(gwrite(&g, fd, "abcdef"), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 3016), 6);
  /* seek, tell, read */
  CHECK_EQ_I64(GCALL(&g, "fd_seek", fd, 0, 0, 64), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 64), 0);
  CHECK_EQ_I64(gread(&g, fd, 3), ESUCCESS);
  CHECK(strcmp((char *)g.mem + 3100, "abc") == 0);
  CHECK_EQ_I64(GCALL(&g, "fd_tell", fd, 64), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 64), 3);
  CHECK_EQ_I64(GCALL(&g, "fd_seek", fd, -1, 2, 64), ESUCCESS); /* END - 1 */
  CHECK_EQ_I64(gld64(&g, 64), 5);
  CHECK_EQ_I64(GCALL(&g, "fd_seek", fd, 1, 1, 64), ESUCCESS); /* CUR + 1 */
  CHECK_EQ_I64(gld64(&g, 64), 6);
  CHECK_EQ_I64(GCALL(&g, "fd_seek", fd, 0, 3, 64), EINVAL);
  CHECK_EQ_I64(GCALL(&g, "fd_seek", fd, -100, 0, 64), EINVAL);
  CHECK_EQ_I64(GCALL(&g, "fd_seek", fd, 0, 0, PAGE - 4), EFAULT);
  /* pread / pwrite leave the position alone */
  gst32(&g, 3008, 3200); gst32(&g, 3012, 2);
  CHECK_EQ_I64(GCALL(&g, "fd_pread", fd, 3008, 1, 4, 3016), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 3016), 2);
  CHECK(memcmp(g.mem + 3200, "ef", 2) == 0);
  gput(&g, 3200, "Z");
  gst32(&g, 3012, 1);
  CHECK_EQ_I64(GCALL(&g, "fd_pwrite", fd, 3008, 1, 0, 3016), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_tell", fd, 64), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 64), 6);
  CHECK_EQ_I64(GCALL(&g, "fd_pread", fd, 3008, 1, 0, PAGE), EFAULT);
  /* what the host sees */
  char buf[16] = {0};
  int h = open(host_path("f.txt"), O_RDONLY);
  CHECK(h >= 0 && read(h, buf, sizeof buf) == 6);
  close(h);
  CHECK(strcmp(buf, "Zbcdef") == 0);
  /* filestat, size, times, allocate */
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_get", fd, 128), ESUCCESS);
  CHECK_EQ_I64(g.mem[128 + 16], FT_REG);
  CHECK_EQ_I64(gld64(&g, 128 + 32), 6);
  CHECK_EQ_I64(gld64(&g, 128 + 24), 1); /* nlink */
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_get", fd, PAGE - 63), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_set_size", fd, 3), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_get", fd, 128), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 128 + 32), 3);
  CHECK_EQ_I64(GCALL(&g, "fd_allocate", fd, 10, 90), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_get", fd, 128), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 128 + 32), 100);
  CHECK_EQ_I64(GCALL(&g, "fd_allocate", fd, 0, 10), ESUCCESS); /* never shrinks */
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_get", fd, 128), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 128 + 32), 100);
  uint64_t t = 1000000000ull * 1234567;
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_set_times", fd, t, t + 5, 1 | 4), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_get", fd, 128), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 128 + 40), t);
  CHECK_EQ_I64(gld64(&g, 128 + 48), t + 5);
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_set_times", fd, t, t, 1 | 2), EINVAL);
  /* fdstat and its flags and rights */
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_get", fd, 64), ESUCCESS);
  CHECK_EQ_I64(g.mem[64], FT_REG);
  CHECK_EQ_I64(gld32(&g, 66) & 0xFFFF, 0);
  CHECK_EQ_I64(gld64(&g, 72), RIGHTS_RW);
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_set_flags", fd, 1), ESUCCESS); /* APPEND */
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_get", fd, 64), ESUCCESS);
  CHECK_EQ_I64(g.mem[66] & 1, 1);
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_set_flags", fd, 16), ENOTSUP); /* SYNC cannot change */
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_set_rights", fd, 1ull << 1, 0), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_fdstat_set_rights", fd, RIGHTS_RW, 0), ENOTCAPABLE); /* only shrink */
  CHECK_EQ_I64(GCALL(&g, "fd_sync", fd), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_datasync", fd), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_advise", fd, 0, 100, 2), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_advise", fd, 0, 100, 9), EINVAL);
  /* renumber: fd2 takes fd's file, fd is then closed */
  CHECK_EQ_I64(gopen(&g, 3, "g.txt", O_CREAT_, RIGHTS_RW, 0, &fd2), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_renumber", fd, fd2), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_tell", fd, 64), EBADF);
  CHECK_EQ_I64(GCALL(&g, "fd_pread", fd2, 3008, 1, 0, 3016), ESUCCESS);
  CHECK_EQ_I64(g.mem[3200], 'Z');
  CHECK_EQ_I64(GCALL(&g, "fd_renumber", fd2, 99), EBADF);
  CHECK_EQ_I64(GCALL(&g, "fd_close", fd2), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "fd_close", fd2), EBADF);
  /* after close, the lowest number is reused */
  CHECK_EQ_I64(gopen(&g, 3, "g.txt", 0, RIGHTS_RW, 0, &fd2), ESUCCESS);
  CHECK_EQ_I64(fd2, fd);
  CHECK_EQ_I64(gread(&g, fd2, 4), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 3016), 0); /* g.txt is empty */
  /* read-only opens cannot write (the OS refuses: EBADF) */
  int64_t ro;
  CHECK_EQ_I64(gopen(&g, 3, "g.txt", 0, 1ull << 1, 0, &ro), ESUCCESS);
  CHECK_EQ_I64(gwrite(&g, ro, "x"), EBADF);
  /* operations on a closed or non-file fd */
  CHECK_EQ_I64(GCALL(&g, "fd_filestat_get", 50, 128), EBADF);
  CHECK_EQ_I64(GCALL(&g, "fd_sync", 50), EBADF);
  CHECK_EQ_I64(GCALL(&g, "fd_read", 3, 3008, 1, 3016), EISDIR);
  guest_free(&g);
}

/* Collect the names fd_readdir returns into out (sorted, '.' and '..'
 * skipped), reading with a buffer of buf_len bytes (doubled when one entry
 * does not fit) and resuming from the cookie of the last whole entry. */
static int list_dir(guest *g, int64_t fd, uint32_t buf_len, char names[][32], int max) {
  uint64_t cookie = 0;
  int n = 0;
  for (int rounds = 0; rounds < 1000; rounds++) {
    if (GCALL(g, "fd_readdir", fd, 4096, buf_len, cookie, 64) != ESUCCESS) return -1;
    uint32_t used = gld32(g, 64), at = 0;
    bool cut = false;
    while (at < used) {
      if (used - at < 24) { cut = true; break; }
      uint32_t namlen = gld32(g, 4096 + at + 16);
      if (used - at < 24 + namlen) { cut = true; break; }
      char name[32] = {0};
      memcpy(name, g->mem + 4096 + at + 24, namlen < 31 ? namlen : 31);
      cookie = gld64(g, 4096 + at);
      if (strcmp(name, ".") && strcmp(name, "..") && n < max) strcpy(names[n++], name);
      at += 24 + namlen;
    }
    if (!cut && used < buf_len) break; /* the end */
    if (cut && at == 0) buf_len *= 2;   /* one entry larger than the buffer: grow, as wasi-libc does */
  }
  for (int i = 0; i < n; i++) /* sort */
    for (int j = i + 1; j < n; j++)
      if (strcmp(names[i], names[j]) > 0) {
        char t[32];
        strcpy(t, names[i]); strcpy(names[i], names[j]); strcpy(names[j], t);
      }
  return n;
}

static void test_directories(void) {
  tova_wasi *w = fresh_wasi();
  CHECK(tova_wasi_preopen(w, tmpdir, "/sb", NULL) == TOVA_OK);
  guest g;
  CHECK(guest_new(&g, w, true));
  int64_t n = gput(&g, 1000, "d");
  CHECK_EQ_I64(GCALL(&g, "path_create_directory", 3, 1000, n), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "path_create_directory", 3, 1000, n), EEXIST);
  CHECK_EQ_I64(GCALL(&g, "path_create_directory", 3, PAGE - 1, 2), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", 3, 0, 1000, n, 128), ESUCCESS);
  CHECK_EQ_I64(g.mem[128 + 16], FT_DIR);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", 3, 0, 1000, n, PAGE - 8), EFAULT);
  const char *files[] = {"d/a", "d/bb", "d/a-much-longer-name", "d/c"};
  for (int i = 0; i < 4; i++) {
    int64_t fd;
    CHECK_EQ_I64(gopen(&g, 3, files[i], O_CREAT_, RIGHTS_RW, 0, &fd), ESUCCESS);
    CHECK_EQ_I64(GCALL(&g, "fd_close", fd), ESUCCESS);
  }
  int64_t dfd;
  CHECK_EQ_I64(gopen(&g, 3, "d", O_DIRECTORY_, (1ull << 14) | (1ull << 13), 0, &dfd), ESUCCESS);
  char names[8][32];
  /* big buffer, then buffers so small that entries are cut */
  uint32_t sizes[] = {4096, 40, 30, 24};
  for (int s = 0; s < 4; s++) {
    memset(names, 0, sizeof names);
    CHECK_EQ_I64(list_dir(&g, dfd, sizes[s], names, 8), 4);
    CHECK(!strcmp(names[0], "a") && !strcmp(names[1], "a-much-longer-name") &&
          !strcmp(names[2], "bb") && !strcmp(names[3], "c"));
  }
  CHECK_EQ_I64(GCALL(&g, "fd_readdir", dfd, PAGE - 10, 100, 0, 64), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "fd_readdir", 1, 4096, 100, 0, 64), ENOTDIR);
  /* path ops relative to an opened directory, not only to the preopen */
  n = gput(&g, 1000, "a");
  int64_t n2 = gput(&g, 1100, "z");
  CHECK_EQ_I64(GCALL(&g, "path_rename", dfd, 1000, n, dfd, 1100, n2), ESUCCESS);
  CHECK(access(host_path("d/z"), F_OK) == 0 && access(host_path("d/a"), F_OK) != 0);
  CHECK_EQ_I64(GCALL(&g, "path_rename", dfd, 1000, n, dfd, 1100, n2), ENOENT);
  CHECK_EQ_I64(GCALL(&g, "path_unlink_file", dfd, 1100, n2), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "path_unlink_file", dfd, 1100, n2), ENOENT);
  n = gput(&g, 1000, "d");
  CHECK_EQ_I64(GCALL(&g, "path_unlink_file", 3, 1000, n), EISDIR);
  CHECK_EQ_I64(GCALL(&g, "path_remove_directory", 3, 1000, n), ENOTEMPTY);
  n = gput(&g, 1000, "d/bb/");
  CHECK_EQ_I64(GCALL(&g, "path_unlink_file", 3, 1000, n), ENOTDIR);
  n = gput(&g, 1000, "d/bb");
  CHECK_EQ_I64(GCALL(&g, "path_remove_directory", 3, 1000, n), ENOTDIR);
  /* symlinks and hard links inside the sandbox */
  n = gput(&g, 1000, "bb");
  n2 = gput(&g, 1100, "ln");
  CHECK_EQ_I64(GCALL(&g, "path_symlink", 1000, n, dfd, 1100, n2), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "path_readlink", dfd, 1100, n2, 1200, 64, 64), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 64), 2);
  CHECK(memcmp(g.mem + 1200, "bb", 2) == 0);
  CHECK_EQ_I64(GCALL(&g, "path_readlink", dfd, 1100, n2, 1200, 1, 64), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 64), 1); /* truncated, as readlink(2) */
  CHECK_EQ_I64(GCALL(&g, "path_readlink", dfd, 1000, n, 1200, 64, 64), EINVAL); /* not a link */
  CHECK_EQ_I64(GCALL(&g, "path_readlink", dfd, 1100, n2, PAGE - 1, 64, 64), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", dfd, 0, 1100, n2, 128), ESUCCESS);
  CHECK_EQ_I64(g.mem[128 + 16], FT_LINK);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", dfd, 1, 1100, n2, 128), ESUCCESS);
  CHECK_EQ_I64(g.mem[128 + 16], FT_REG);
  int64_t lfd;
  CHECK_EQ_I64(gopen(&g, dfd, "ln", 0, RIGHTS_RW, 0, &lfd), ESUCCESS); /* gopen follows */
  n2 = gput(&g, 1100, "hard");
  CHECK_EQ_I64(GCALL(&g, "path_link", dfd, 0, 1000, n, dfd, 1100, n2), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", dfd, 0, 1100, n2, 128), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 128 + 24), 2);
  CHECK_EQ_I64(GCALL(&g, "path_link", dfd, 0, 1000, n, dfd, 1100, n2), EEXIST);
  uint64_t t = 1000000000ull * 7654321;
  CHECK_EQ_I64(GCALL(&g, "path_filestat_set_times", dfd, 0, 1100, n2, t, t, 4), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", dfd, 0, 1000, n, 128), ESUCCESS);
  CHECK_EQ_I64(gld64(&g, 128 + 48), t); /* same inode as the hard link */
  /* empty the directory, then remove it */
  const char *left[] = {"bb", "c", "a-much-longer-name", "ln", "hard"};
  for (int i = 0; i < 5; i++) {
    n = gput(&g, 1000, left[i]);
    CHECK_EQ_I64(GCALL(&g, "path_unlink_file", dfd, 1000, n), ESUCCESS);
  }
  CHECK_EQ_I64(GCALL(&g, "fd_close", dfd), ESUCCESS);
  n = gput(&g, 1000, "d");
  CHECK_EQ_I64(GCALL(&g, "path_remove_directory", 3, 1000, n), ESUCCESS);
  CHECK(access(host_path("d"), F_OK) != 0);
  guest_free(&g);
}

/* A sleeper parks the caller of a clock-only poll_oneoff: the execution
 * suspends with the events of the subscriptions due first already written,
 * and resumes with poll_oneoff's result. Declining (any other status) makes
 * the thread sleep as before, with the same events. */
static uint64_t slept_ns;
static int sleeper_calls;
static tova_status park_sleeper(void *ctx, tova_host_call *call, uint64_t ns) {
  (void)call;
  sleeper_calls++;
  slept_ns = ns;
  return *(tova_status *)ctx;
}

static void test_poll_oneoff_sleeper(void) {
  tova_wasi *w = fresh_wasi();
  tova_status answer = TOVA_SUSPENDED;
  tova_wasi_set_sleeper(w, park_sleeper, &answer);
  guest g;
  CHECK(guest_new(&g, w, true));
  /* clocks of 5 s, 2 s and 2 s (relative): the two 2 s ones are due first */
  memset(g.mem + 1000, 0, 48 * 3);
  for (int i = 0; i < 3; i++) {
    gst64(&g, 1000 + 48 * i, 0x100 + (uint64_t)i);
    gst32(&g, 1016 + 48 * i, 1);
    gst64(&g, 1024 + 48 * i, (i == 0 ? 5 : 2) * 1000000000ull);
  }
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", 1000, 2000, 3, 128), -1);
  CHECK(g.last_status == TOVA_SUSPENDED);
  CHECK_EQ_I64(sleeper_calls, 1);
  CHECK(slept_ns > 1000000000ull && slept_ns <= 2000000001ull);
  CHECK_EQ_I64(gld32(&g, 128), 2);
  CHECK_EQ_I64(gld64(&g, 2000), 0x101);
  CHECK_EQ_I64(gld64(&g, 2032), 0x102);
  CHECK_EQ_I64(g.mem[2000 + 10], 0); /* clock events, no error */
  CHECK_EQ_I64(g.mem[2032 + 8], 0);
  tova_val resumed = {.i32 = 0}, res[1] = {{0}};
  tova_error err = {0};
  CHECK(tova_exec_resume(g.e, &resumed, res, &err) == TOVA_OK);
  CHECK_EQ_I64(res[0].i32, 0);
  /* declined: a short sleep on this thread, the same events */
  answer = TOVA_ERR_BAD_ARGUMENT;
  gst64(&g, 1024 + 48, 10 * 1000000ull);
  gst64(&g, 1024 + 96, 10 * 1000000ull);
  memset(g.mem + 2000, 0, 96);
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", 1000, 2000, 3, 128), ESUCCESS);
  CHECK_EQ_I64(sleeper_calls, 2);
  CHECK_EQ_I64(gld32(&g, 128), 2);
  CHECK_EQ_I64(gld64(&g, 2000), 0x101);
  CHECK_EQ_I64(gld64(&g, 2032), 0x102);
  guest_free(&g);
}

static void test_poll_oneoff(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  tova_wasi *w = fresh_wasi();
  CHECK(tova_wasi_set_stdio(w, p[0], 1, 2) == TOVA_OK);
  guest g;
  CHECK(guest_new(&g, w, true));
  /* one relative clock of 20 ms */
  memset(g.mem + 1000, 0, 48 * 2);
  gst64(&g, 1000, 0xABCD);
  g.mem[1008] = 0;                    /* clock */
  gst32(&g, 1016, 1);                 /* monotonic */
  gst64(&g, 1024, 20 * 1000000ull);   /* timeout */
  uint64_t before = 0, after = 0;
  CHECK_EQ_I64(GCALL(&g, "clock_time_get", 1, 0, 64), ESUCCESS);
  before = gld64(&g, 64);
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", 1000, 2000, 1, 128), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "clock_time_get", 1, 0, 64), ESUCCESS);
  after = gld64(&g, 64);
  CHECK(after - before >= 20 * 1000000ull); /* a sleep lasts at least its timeout */
  CHECK_EQ_I64(gld32(&g, 128), 1);
  CHECK_EQ_I64(gld64(&g, 2000), 0xABCD);
  CHECK_EQ_I64(g.mem[2000 + 10], 0);
  CHECK_EQ_I64(g.mem[2000 + 8], 0);
  /* a ready pipe beside a long clock: only the fd fires */
  CHECK_EQ_I64(write(p[1], "x", 1), 1);
  gst64(&g, 1024, 3600ull * 1000000000ull);
  gst64(&g, 1048, 0x77);
  g.mem[1056] = 1; /* fd_read */
  gst32(&g, 1064, 0);
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", 1000, 2000, 2, 128), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 128), 1);
  CHECK_EQ_I64(gld64(&g, 2000), 0x77);
  CHECK_EQ_I64(g.mem[2000 + 10], 1);
  /* a bad fd gives an event with EBADF; an unknown clock EINVAL */
  gst32(&g, 1064, 42);
  gst32(&g, 1016, 77);
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", 1000, 2000, 2, 128), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 128), 2);
  CHECK_EQ_I64(gld32(&g, 2000 + 8) & 0xFFFF, EINVAL);
  CHECK_EQ_I64(gld32(&g, 2032 + 8) & 0xFFFF, EBADF);
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", 1000, 2000, 0, 128), EINVAL);
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", PAGE - 40, 2000, 1, 128), EFAULT);
  CHECK_EQ_I64(GCALL(&g, "poll_oneoff", 1000, PAGE - 16, 1, 128), EFAULT);
  guest_free(&g);
  close(p[0]);
  close(p[1]);
}

static void *interrupt_later(void *arg) {
  struct timespec ts = {0, 50 * 1000000L};
  nanosleep(&ts, NULL);
  tova_wasi_interrupt(arg);
  return NULL;
}

/* The call GCALL(g, ...) waits until another thread interrupts w 50 ms
 * later: it traps "interrupted". */
#define EXPECT_INTERRUPTED(g, w, ...)                                   \
  do {                                                                  \
    pthread_t interrupter_;                                             \
    CHECK(pthread_create(&interrupter_, NULL, interrupt_later, w) == 0); \
    CHECK_EQ_I64(GCALL(g, __VA_ARGS__), -1);                            \
    CHECK((g)->last_status == TOVA_ERR_TRAP);                           \
    CHECK_STR_CONTAINS((g)->last_message, "interrupted");               \
    pthread_join(interrupter_, NULL);                                   \
  } while (0)

static void test_interrupt_sleep(void) {
  tova_wasi *w = fresh_wasi();
  guest g;
  CHECK(guest_new(&g, w, true));
  memset(g.mem + 1000, 0, 48);
  gst32(&g, 1016, 1);
  gst64(&g, 1024, 3600ull * 1000000000ull); /* an hour */
  EXPECT_INTERRUPTED(&g, w, "poll_oneoff", 1000, 2000, 1, 128);
  guest_free(&g);
}

/* A read of a pipe nobody writes, and a write to a full pipe nobody reads,
 * wait for their peer; an interrupt ends both (the call traps "interrupted"),
 * or a cancelled task, its deadline and the runtime's shutdown would wait
 * for ever. Data that arrives is read as usual. */
static void test_interrupt_stream(void) {
  int in[2], out[2];
  CHECK(pipe(in) == 0 && pipe(out) == 0);
  /* Fill the output pipe from this side, without blocking. */
  int fl = fcntl(out[1], F_GETFL);
  CHECK(fcntl(out[1], F_SETFL, fl | O_NONBLOCK) == 0);
  char chunk[4096] = {0};
  while (write(out[1], chunk, sizeof chunk) > 0) {
  }
  CHECK(fcntl(out[1], F_SETFL, fl) == 0);
  tova_wasi *w = fresh_wasi();
  CHECK(tova_wasi_set_stdio(w, in[0], out[1], -1) == TOVA_OK);
  guest g;
  CHECK(guest_new(&g, w, true));
  gst32(&g, 100, 700); gst32(&g, 104, 16);
  CHECK_EQ_I64(write(in[1], "ab", 2), 2); /* ready: read at once */
  CHECK_EQ_I64(GCALL(&g, "fd_read", 0, 100, 1, 120), ESUCCESS);
  CHECK_EQ_I64(gld32(&g, 120), 2);
  EXPECT_INTERRUPTED(&g, w, "fd_read", 0, 100, 1, 120); /* nothing comes */
  guest_free(&g);
  /* Another program: its write to the full pipe waits, until interrupted. */
  w = fresh_wasi();
  CHECK(tova_wasi_set_stdio(w, in[0], out[1], -1) == TOVA_OK);
  CHECK(guest_new(&g, w, true));
  gst32(&g, 100, 700); gst32(&g, 104, 16);
  EXPECT_INTERRUPTED(&g, w, "fd_write", 1, 100, 1, 120);
  guest_free(&g);
  for (int i = 0; i < 2; i++) {
    close(in[i]);
    close(out[i]);
  }
}

static void test_proc_and_rest(void) {
  tova_wasi *w = fresh_wasi();
  guest g;
  CHECK(guest_new(&g, w, true));
  int status = -1;
  CHECK(!tova_wasi_exit_status(w, &status));
  CHECK_EQ_I64(GCALL(&g, "sched_yield", 0), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "proc_raise", 6), ENOSYS);
  CHECK_EQ_I64(GCALL(&g, "sock_accept", 1, 0, 64), ENOTSOCK);
  CHECK_EQ_I64(GCALL(&g, "sock_recv", 1, 0, 0, 0, 64, 68), ENOTSOCK);
  CHECK_EQ_I64(GCALL(&g, "sock_send", 1, 0, 0, 0, 64), ENOTSOCK);
  CHECK_EQ_I64(GCALL(&g, "sock_shutdown", 9, 0), EBADF);
  CHECK_EQ_I64(GCALL(&g, "proc_exit", 42), -1);
  CHECK(g.last_status == TOVA_ERR_TRAP);
  CHECK(tova_wasi_exit_status(w, &status));
  CHECK_EQ_I64(status, 42);
  guest_free(&g);
}

static void test_no_memory_export(void) {
  guest g;
  CHECK(guest_new(&g, fresh_wasi(), false));
  CHECK_EQ_I64(GCALL(&g, "args_sizes_get", 0, 4), -1);
  CHECK(g.last_status == TOVA_ERR_TRAP);
  CHECK_STR_CONTAINS(g.last_message, "memory");
  guest_free(&g);
}

/* Every call (but proc_exit and poll_oneoff, which may legitimately end or
 * sleep) with arbitrary arguments: pointers at and past the end of memory,
 * wrapped lengths, unknown fds, random flags. Each must return an errno of
 * the spec (0..76), never trap or crash; ASan checks the host's accesses. */
static void test_random_arguments(void) {
  char dir[300];
  snprintf(dir, sizeof dir, "%s/random", tmpdir);
  CHECK(mkdir(dir, 0755) == 0);
  int null_in = open("/dev/null", O_RDONLY), null_out = open("/dev/null", O_WRONLY);
  tova_wasi *w = fresh_wasi();
  CHECK(tova_wasi_set_stdio(w, null_in, null_out, null_out) == TOVA_OK);
  CHECK(tova_wasi_preopen(w, dir, "/r", NULL) == TOVA_OK);
  guest g;
  CHECK(guest_new(&g, w, true));
  /* Some valid names in memory, so that path calls also get past resolution. */
  gput(&g, 0, "abc/../x");
  const uint32_t ptrs[] = {0, 16, 64, 128, 256, 1024, 4096, 0, 16, 64, 128, 1024,
                           PAGE - 64, PAGE - 8, PAGE - 1, PAGE, PAGE + 1, 0xFFFFFFF8, 0xFFFFFFFF};
  const int64_t fds[] = {3, 3, 3, 3, 0, 1, 2, 4, 5, 99};
  const int64_t wide[] = {0, 1, -1, 42, INT64_MIN, INT64_MAX, 1ll << 40};
  uint64_t s = 0x9E3779B97F4A7C15ull;
  int bad = 0, ok = 0;
  for (int round = 0; round < 20000; round++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    const wasi_sig *f = &wasi_list[s % WASI_NFUNCS];
    /* proc_exit ends and poll_oneoff may sleep for hours; fd_close and
     * fd_renumber would soon close the preopen: each has its own test. */
    if (!strcmp(f->name, "proc_exit") || !strcmp(f->name, "poll_oneoff") ||
        !strcmp(f->name, "fd_close") || !strcmp(f->name, "fd_renumber"))
      continue;
    bool fd_first = !strncmp(f->name, "fd_", 3) || !strncmp(f->name, "path_", 5);
    int64_t args[9];
    uint64_t r = s;
    for (int i = 0; f->params[i]; i++) {
      r = r * 6364136223846793005ull + 1442695040888963407ull;
      unsigned pick = (unsigned)(r >> 60);
      if (i == 0 && fd_first) args[i] = fds[(r >> 20) % 10];
      else if (f->params[i] == 'I') args[i] = pick < 8 ? wide[pick % 7] : (int64_t)(r >> 3);
      else if (pick < 6) args[i] = (int64_t)(r >> 32) % 12; /* small: lengths, flags */
      else if (pick < 14) args[i] = ptrs[(r >> 20) % 19];
      else args[i] = (int64_t)(uint32_t)(r >> 16);
    }
    int64_t e = gcall(&g, f->name, args);
    ok += e == ESUCCESS;
    if (e < 0 || e > 76) {
      if (bad++ < 5) fprintf(stderr, "%s gave %lld (%s)\n", f->name, (long long)e, g.last_message);
    }
  }
  CHECK_EQ_I64(bad, 0);
  fprintf(stderr, "random arguments: %d of the calls succeeded\n", ok);
  CHECK(ok > 1000); /* the arguments reach past the error paths too */
  guest_free(&g);
  close(null_in);
  close(null_out);
}

int main(void) {
  make_tmpdir();
  RUN(test_args_and_environ);
  RUN(test_clocks_random);
  RUN(test_stdio);
  RUN(test_preopens);
  RUN(test_files);
  RUN(test_directories);
  RUN(test_poll_oneoff);
  RUN(test_poll_oneoff_sleeper);
  RUN(test_interrupt_sleep);
  RUN(test_interrupt_stream);
  RUN(test_proc_and_rest);
  RUN(test_no_memory_export);
  RUN(test_random_arguments);
  rm_rf(tmpdir);
  return CHECK_DONE();
}
