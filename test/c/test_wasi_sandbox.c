/* test_wasi_sandbox.c: a WASI guest reaches only what lies below its
 * preopened directories. Every escape must fail with ENOTCAPABLE (or ELOOP
 * for a link that may not be followed) and leave the outside untouched:
 * "..", absolute paths, symlinks pointing out (relative, absolute, chained),
 * link loops, and every path_* call that takes a path. Links that stay
 * inside keep working. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_wasi_util.h"

enum { ESUCCESS = 0, EBADF = 8, EINVAL = 28, ELOOP = 32, ENOENT = 44, ENOTDIR = 54,
       ENOTCAPABLE = 76 };
enum { FT_DIR = 3, FT_REG = 4, FT_LINK = 7 };
#define RIGHTS_RW ((1ull << 1) | (1ull << 2) | (1ull << 5) | (1ull << 6))
#define RIGHTS_ALL ((1ull << 30) - 1)
#define FOLLOW 1

static char root[256], sb[300], outside[300];

static void at(char *buf, size_t n, const char *dir, const char *rel) {
  snprintf(buf, n, "%s/%s", dir, rel);
}
static void host_symlink(const char *target, const char *rel) {
  char p[512];
  at(p, sizeof p, sb, rel);
  if (symlink(target, p) != 0) abort();
}
static void host_file(const char *dir, const char *rel, const char *content) {
  char p[512];
  at(p, sizeof p, dir, rel);
  FILE *f = fopen(p, "w");
  if (!f) abort();
  fputs(content, f);
  fclose(f);
}

static void setup(void) {
  snprintf(root, sizeof root, "/tmp/tova-sandbox-XXXXXX");
  if (!mkdtemp(root)) abort();
  at(sb, sizeof sb, root, "sb");
  at(outside, sizeof outside, root, "outside");
  char p[512];
  if (mkdir(sb, 0755) || mkdir(outside, 0755)) abort();
  at(p, sizeof p, sb, "sub");
  if (mkdir(p, 0755)) abort();
  host_file(outside, "secret", "SECRET");
  host_file(sb, "f.txt", "inside");
  host_symlink("../outside", "out_rel");
  host_symlink("../outside/secret", "out_file");
  host_symlink(outside, "out_abs"); /* absolute */
  host_symlink("loop2", "loop1");
  host_symlink("loop1", "loop2");
  host_symlink("sub/../f.txt", "in_ok");
  host_symlink("..", "sub/up");        /* the preopen itself: inside */
  host_symlink("../..", "sub/upup");   /* one level above: outside */
  host_symlink("sub/up/sub/up/../outside", "chain");
}

/* path_open of path relative to dirfd with lookup flags; returns the errno. */
static int64_t try_open(guest *g, uint32_t dirfd, const char *path, uint32_t len, uint32_t lookup,
                        uint32_t oflags) {
  memcpy(g->mem + 2000, path, len);
  int64_t rc = GCALL(g, "path_open", dirfd, lookup, 2000, len, oflags, RIGHTS_RW, RIGHTS_ALL, 0, 2100);
  if (rc == ESUCCESS) GCALL(g, "fd_close", gld32(g, 2100));
  return rc;
}
#define OPEN(g, path, lookup) try_open(g, 3, path, (uint32_t)strlen(path), lookup, 0)

static bool outside_intact(void) {
  char p[512], buf[16] = {0};
  at(p, sizeof p, outside, "secret");
  FILE *f = fopen(p, "r");
  if (!f) return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  at(p, sizeof p, outside, "escaped");
  bool no_new = access(p, F_OK) != 0;
  at(p, sizeof p, root, "escaped");
  no_new = no_new && access(p, F_OK) != 0;
  at(p, sizeof p, root, "stolen");
  no_new = no_new && access(p, F_OK) != 0;
  return n == 6 && !strcmp(buf, "SECRET") && no_new;
}

static tova_wasi *sandboxed(void) {
  tova_wasi *w = tova_wasi_new();
  if (!w || tova_wasi_preopen(w, sb, "/sb", NULL) != TOVA_OK) abort();
  return w;
}

static void test_open_escapes(void) {
  guest g;
  CHECK(guest_new(&g, sandboxed(), true));
  CHECK_EQ_I64(OPEN(&g, "f.txt", FOLLOW), ESUCCESS);
  CHECK_EQ_I64(OPEN(&g, "../outside/secret", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "..", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "sub/../../outside/secret", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "sub/./../sub/../..", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "/etc/passwd", FOLLOW), ENOTCAPABLE);
  char abs[512];
  at(abs, sizeof abs, outside, "secret");
  CHECK_EQ_I64(OPEN(&g, abs, FOLLOW), ENOTCAPABLE);
  /* symlinks pointing out: through a directory link, a file link, an
   * absolute link, a chain, a link two levels up */
  CHECK_EQ_I64(OPEN(&g, "out_rel/secret", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "out_rel/secret", 0), ENOTCAPABLE); /* intermediate links are always followed */
  CHECK_EQ_I64(OPEN(&g, "out_file", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "out_file", 0), ELOOP); /* not following a final link: O_NOFOLLOW */
  CHECK_EQ_I64(OPEN(&g, "out_abs/secret", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "chain/secret", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "sub/upup/outside/secret", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(OPEN(&g, "loop1", FOLLOW), ELOOP);
  CHECK_EQ_I64(OPEN(&g, "loop1/x", FOLLOW), ELOOP);
  /* links that stay inside work */
  CHECK_EQ_I64(OPEN(&g, "in_ok", FOLLOW), ESUCCESS);
  CHECK_EQ_I64(OPEN(&g, "sub/up/f.txt", FOLLOW), ESUCCESS);
  CHECK_EQ_I64(try_open(&g, 3, "sub/up/sub/up/sub/..", 20, FOLLOW, 2 /* O_DIRECTORY */), ESUCCESS);
  CHECK_EQ_I64(OPEN(&g, "sub/", FOLLOW), ESUCCESS); /* a trailing slash means a directory */
  CHECK_EQ_I64(OPEN(&g, "f.txt/", FOLLOW), ENOTDIR);
  CHECK_EQ_I64(OPEN(&g, "f.txt/x", FOLLOW), ENOTDIR);
  /* malformed paths */
  CHECK_EQ_I64(try_open(&g, 3, "f.txt\0../x", 10, FOLLOW, 0), EINVAL);
  CHECK_EQ_I64(try_open(&g, 3, "", 0, FOLLOW, 0), ENOENT);
  CHECK_EQ_I64(GCALL(&g, "path_open", 3, 1, 65530, 10, 0, RIGHTS_RW, 0, 0, 2100), 21 /* EFAULT */);
  /* only directories can be the base of a path; unknown fds are EBADF */
  CHECK_EQ_I64(try_open(&g, 0, "f.txt", 5, FOLLOW, 0), ENOTDIR);
  CHECK_EQ_I64(try_open(&g, 99, "f.txt", 5, FOLLOW, 0), EBADF);
  /* a directory opened inside is also a base, with its own boundary */
  CHECK_EQ_I64(try_open(&g, 3, "sub", 3, FOLLOW, 2 /* O_DIRECTORY */), ESUCCESS);
  memcpy(g.mem + 2000, "sub", 3);
  CHECK_EQ_I64(GCALL(&g, "path_open", 3, 1, 2000, 3, 2, RIGHTS_ALL, RIGHTS_ALL, 0, 2100), ESUCCESS);
  uint32_t sub = gld32(&g, 2100);
  /* every directory fd is a capability for what lies below it only (as in
   * wasmtime's cap-std): ".." from it is an escape even inside the preopen */
  CHECK_EQ_I64(try_open(&g, sub, "../f.txt", 8, FOLLOW, 0), ENOTCAPABLE);
  CHECK_EQ_I64(try_open(&g, sub, "up/f.txt", 8, FOLLOW, 0), ENOTCAPABLE);
  CHECK_EQ_I64(try_open(&g, sub, "../../outside/secret", 20, FOLLOW, 0), ENOTCAPABLE);
  CHECK(outside_intact());
  guest_free(&g);
}

/* Put s at p in guest memory; returns its length. */
static int64_t put(guest *g, uint32_t p, const char *s) {
  size_t n = strlen(s);
  memcpy(g->mem + p, s, n);
  return (int64_t)n;
}

static void test_path_calls_escapes(void) {
  guest g;
  CHECK(guest_new(&g, sandboxed(), true));
  const char *escapes[] = {"../escaped", "out_rel/escaped", "out_abs/escaped", "/tmp/escaped",
                           "sub/upup/escaped", "chain/escaped"};
  for (int i = 0; i < 6; i++) {
    int64_t n = put(&g, 1000, escapes[i]);
    CHECK_EQ_I64(GCALL(&g, "path_create_directory", 3, 1000, n), ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_remove_directory", 3, 1000, n), ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_unlink_file", 3, 1000, n), ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_filestat_get", 3, FOLLOW, 1000, n, 128), ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_filestat_set_times", 3, FOLLOW, 1000, n, 0, 0, 2 | 8),
                 ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_readlink", 3, 1000, n, 1200, 64, 64), ENOTCAPABLE);
    int64_t f = put(&g, 1100, "f.txt");
    CHECK_EQ_I64(GCALL(&g, "path_rename", 3, 1100, f, 3, 1000, n), ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_rename", 3, 1000, n, 3, 1100, f), ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_link", 3, 0, 1100, f, 3, 1000, n), ENOTCAPABLE);
    CHECK_EQ_I64(GCALL(&g, "path_symlink", 1100, f, 3, 1000, n), ENOTCAPABLE);
  }
  /* the secret itself, through each way out */
  int64_t n = put(&g, 1000, "out_rel/secret");
  CHECK_EQ_I64(GCALL(&g, "path_unlink_file", 3, 1000, n), ENOTCAPABLE);
  n = put(&g, 1000, "out_file");
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", 3, FOLLOW, 1000, n, 128), ENOTCAPABLE);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", 3, 0, 1000, n, 128), ESUCCESS);
  CHECK_EQ_I64(g.mem[128 + 16], FT_LINK); /* the link itself is inside */
  int64_t h = put(&g, 1100, "hard");
  CHECK_EQ_I64(GCALL(&g, "path_link", 3, FOLLOW, 1000, n, 3, 1100, h), ENOTCAPABLE);
  /* making a link whose target is absolute is refused; a relative one that
   * points out can be made but never followed */
  int64_t t = put(&g, 1200, "/etc/passwd");
  int64_t l = put(&g, 1300, "mine");
  CHECK_EQ_I64(GCALL(&g, "path_symlink", 1200, t, 3, 1300, l), ENOTCAPABLE);
  t = put(&g, 1200, "../outside/secret");
  CHECK_EQ_I64(GCALL(&g, "path_symlink", 1200, t, 3, 1300, l), ESUCCESS);
  CHECK_EQ_I64(OPEN(&g, "mine", FOLLOW), ENOTCAPABLE);
  CHECK_EQ_I64(GCALL(&g, "path_filestat_get", 3, FOLLOW, 1300, l, 128), ENOTCAPABLE);
  CHECK_EQ_I64(GCALL(&g, "path_unlink_file", 3, 1300, l), ESUCCESS); /* removes the link only */
  /* rename and unlink with ".." inside the sandbox stay legal */
  int64_t a = put(&g, 1000, "sub/../f.txt");
  int64_t b = put(&g, 1100, "sub/g.txt");
  CHECK_EQ_I64(GCALL(&g, "path_rename", 3, 1000, a, 3, 1100, b), ESUCCESS);
  CHECK_EQ_I64(GCALL(&g, "path_rename", 3, 1100, b, 3, 1000, a), ESUCCESS);
  CHECK(outside_intact());
  guest_free(&g);
}

static void test_only_preopens_reachable(void) {
  guest g;
  CHECK(guest_new(&g, tova_wasi_new(), true)); /* no preopens at all */
  CHECK_EQ_I64(GCALL(&g, "fd_prestat_get", 3, 64), EBADF);
  CHECK_EQ_I64(try_open(&g, 3, "f.txt", 5, FOLLOW, 0), EBADF);
  for (uint32_t fd = 0; fd < 3; fd++)
    CHECK_EQ_I64(try_open(&g, fd, "etc/passwd", 10, FOLLOW, 0), ENOTDIR);
  guest_free(&g);
}

int main(void) {
  setup();
  RUN(test_open_escapes);
  RUN(test_path_calls_escapes);
  RUN(test_only_preopens_reachable);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", root);
  return CHECK_DONE();
}
