/*
 * cache.c: the on-disk cache of compiled units (cache.h).
 *
 * An entry is one file, <dir>/<32 hex digits of the key>.o (a unit's
 * object; .list: a module's manifest.h):
 *   "TOVAJIT1" | key (16 bytes) | object size (u64 LE) | checksum (u64 LE) | object
 * The checksum (FNV-1a 64 of the object) catches a truncated or damaged
 * file; the key inside catches a file renamed by hand.
 *
 * BOUNDED. The directory holds at most TOVA_CACHE_MAX bytes of entries
 * (bytes, or with a K, M or G suffix; default 512M): a sweep removes the
 * least recently used entries until the rest fit in 90% of it. Use is the
 * file's modification time, which a load sets to now. A process sweeps at
 * its first store, then when what it has stored since would take the
 * directory past the bound, and at its first store ten minutes after its
 * last sweep (other processes' stores): not after every store, since a
 * sweep reads every entry's size and a user's cache may hold thousands,
 * and stores happen on the compiler thread, ahead of what it compiles
 * next. Temporary files left by a process that died mid-store go once an
 * hour old. Several
 * processes may sweep at once: a file another removed first is skipped, and
 * an entry removed while one reads it is still read whole (the open file
 * outlives its name).
 */
#include "engine/native/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/native/backend.h" /* TOVA_NATIVE_BUILD_ID */
#include "engine/native/tiering.h" /* wasm_native_debug */

#define MAGIC "TOVAJIT1"
#define HEADER_BYTES (8 + 16 + 8 + 8)
#define MAX_OBJECT_BYTES ((uint64_t)256 << 20)

/* ---- hashing ---------------------------------------------------------------- */

/* Two independent 64-bit FNV-1a lanes (different bases and primes): a
 * 128-bit key, so unrelated units never meet by accident. */
typedef struct hasher {
  uint64_t a, b;
} hasher;

static void h_init(hasher *h) {
  h->a = 0xcbf29ce484222325ull;
  h->b = 0x84222325cbf29ce4ull;
}

static void h_bytes(hasher *h, const void *p, size_t n) {
  const uint8_t *s = p;
  for (size_t i = 0; i < n; i++) {
    h->a = (h->a ^ s[i]) * 0x100000001b3ull;
    h->b = (h->b ^ s[i]) * 0x00000100000001b3ull + 0x9e3779b97f4a7c15ull;
  }
}

static void h_str(hasher *h, const char *s) {
  h_bytes(h, s, strlen(s) + 1); /* the NUL separates fields */
}

/* Word by word, for a module's bytes (megabytes: a data segment): each
 * lane mixes in eight bytes with a multiply and a shift, the tail byte by
 * byte. */
static void h_words(hasher *h, const uint8_t *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8); /* one load; the host's byte order (a digest of this machine's cache) */
    h->a = (h->a ^ w) * 0x9e3779b97f4a7c15ull;
    h->a ^= h->a >> 32;
    h->b = (h->b ^ w) * 0xc2b2ae3d27d4eb4full + 0x165667b19e3779f9ull;
    h->b ^= h->b >> 29;
  }
  h_bytes(h, p + i, n - i);
}

static void h_u64(hasher *h, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  h_bytes(h, b, 8);
}

static uint64_t checksum(const uint8_t *p, size_t n) {
  uint64_t x = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) x = (x ^ p[i]) * 0x100000001b3ull;
  return x;
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* ---- the directory ---------------------------------------------------------- */

static pthread_once_t dir_once = PTHREAD_ONCE_INIT;
static char *dir;          /* NULL: no cache */
static uint64_t max_bytes; /* TOVA_CACHE_MAX */

#define DEFAULT_MAX_BYTES ((uint64_t)512 << 20)
#define STALE_TMP_SECONDS 3600

/* "123", "64K", "512M", "2G"; anything else (or 0): the default. */
static uint64_t parse_size(const char *s) {
  if (!s || !*s) return DEFAULT_MAX_BYTES;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  int shift = 0;
  if (*end == 'K' || *end == 'k') shift = 10;
  else if (*end == 'M' || *end == 'm') shift = 20;
  else if (*end == 'G' || *end == 'g') shift = 30;
  if (shift) end++;
  if (end == s || *end || v == 0 || v > (UINT64_MAX >> shift)) return DEFAULT_MAX_BYTES;
  return (uint64_t)v << shift;
}

/* mkdir -p (each missing level, 0700: compiled code is the user's own). */
static bool make_dirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    bool ok = mkdir(path, 0700) == 0 || errno == EEXIST;
    *p = '/';
    if (!ok) return false;
  }
  return mkdir(path, 0700) == 0 || errno == EEXIST;
}

/* tova_set_code_cache's choice, until the directory is decided. */
static pthread_mutex_t choice_lock = PTHREAD_MUTEX_INITIALIZER;
static int choice = TOVA_CODE_CACHE_NONE; /* tova_code_cache (tova.h) */
static char *choice_dir;   /* for _DIR */
static bool decided;

bool wasm_native_cache_choose(int where, const char *d) {
  pthread_mutex_lock(&choice_lock);
  bool ok = !decided;
  char *copy = ok && d ? strdup(d) : NULL;
  if (ok && (!d || copy)) {
    free(choice_dir);
    choice = where;
    choice_dir = copy;
  }
  pthread_mutex_unlock(&choice_lock);
  return ok && (!d || copy);
}

/* The user's cache directory for this library: $XDG_CACHE_HOME/tova_runtime
 * (an absolute XDG_CACHE_HOME only, as the XDG spec says), else under
 * $HOME (~/Library/Caches on macOS, ~/.cache elsewhere); NULL without a
 * home. */
static char *user_dir(void) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  char path[3600];
  if (xdg && xdg[0] == '/' && strlen(xdg) < 3400) snprintf(path, sizeof path, "%s/tova_runtime", xdg);
#ifdef __APPLE__
  else if (home && home[0] == '/' && strlen(home) < 3400) snprintf(path, sizeof path, "%s/Library/Caches/tova_runtime", home);
#else
  else if (home && home[0] == '/' && strlen(home) < 3400) snprintf(path, sizeof path, "%s/.cache/tova_runtime", home);
#endif
  else return NULL;
  return strdup(path);
}

/* The directory's files are code this process will run: only a directory
 * of this user's that nobody else may write to (as ssh treats ~/.ssh). */
static bool trusted(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static void read_dir(void) {
  pthread_mutex_lock(&choice_lock);
  decided = true;
  const char *env = getenv("TOVA_CACHE_DIR");
  char *copy = env ? (*env ? strdup(env) : NULL)
               : choice == TOVA_CODE_CACHE_DIR ? (choice_dir ? strdup(choice_dir) : NULL)
               : choice == TOVA_CODE_CACHE_USER ? user_dir()
                             : NULL;
  pthread_mutex_unlock(&choice_lock);
  if (!copy) return;
  size_t n = strlen(copy);
  while (n > 1 && copy[n - 1] == '/') copy[--n] = 0;
  if (n <= 3500 && make_dirs(copy) && trusted(copy)) dir = copy;
  else free(copy);
  max_bytes = parse_size(getenv("TOVA_CACHE_MAX"));
}

const char *wasm_native_cache_dir(void) {
  pthread_once(&dir_once, read_dir);
  return dir;
}

static void entry_path(const wasm_native_cache_key *key, const char *suffix, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  char name[33];
  for (int i = 0; i < 16; i++) {
    name[2 * i] = hex[key->bytes[i] >> 4];
    name[2 * i + 1] = hex[key->bytes[i] & 15];
  }
  name[32] = 0;
  snprintf(out, cap, "%s/%s%s", dir, name, suffix);
}

/* ---- keys, loads, stores ------------------------------------------------------ */

static void h_flags(hasher *h, const bool *f, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint8_t v = f && f[i];
    h_bytes(h, &v, 1);
  }
}

/* m's bytes as 16 bytes, hashed once per module (every key of its units
 * and its manifest's includes them: a module may carry megabytes of data).
 * The callers hold the native tier's compile lock, which orders the memo. */
static const uint8_t *module_digest(const tova_module *m) {
  tova_module *memo = (tova_module *)m; /* a memo of m's own, not a change of the module */
  if (!memo->cache_digest_known) {
    hasher h;
    h_init(&h);
    h_u64(&h, m->len);
    h_words(&h, m->bytes, m->len);
    put_u64(memo->cache_digest, h.a);
    put_u64(memo->cache_digest + 8, h.b);
    memo->cache_digest_known = true;
  }
  return memo->cache_digest;
}

void wasm_native_cache_key_of(const tova_module *m, const bool *unit, const bool *done,
                              const bool *poll_entry, bool internal, const char *target,
                              wasm_native_cache_key *out) {
  hasher h;
  h_init(&h);
  h_str(&h, MAGIC);
  h_str(&h, TOVA_NATIVE_BUILD_ID);
  h_str(&h, target);
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  h_u64(&h, ndefs);
  h_flags(&h, unit, ndefs);
  h_flags(&h, done, ndefs);
  h_flags(&h, poll_entry, ndefs);
  h_u64(&h, internal);
  /* the interpreter's layout, which leave points refer to (module.h) */
  h_u64(&h, m->loop_counters);
  h_bytes(&h, module_digest(m), 16);
  put_u64(out->bytes, h.a);
  put_u64(out->bytes + 8, h.b);
}

void wasm_native_cache_key_named(const tova_module *m, const char *name, wasm_native_cache_key *out) {
  hasher h;
  h_init(&h);
  h_str(&h, MAGIC);
  h_str(&h, TOVA_NATIVE_BUILD_ID);
  h_str(&h, "named"); /* never a unit's: those hash a target string here */
  h_str(&h, name);
  h_bytes(&h, module_digest(m), 16);
  put_u64(out->bytes, h.a);
  put_u64(out->bytes + 8, h.b);
}

uint8_t *wasm_native_cache_load(const wasm_native_cache_key *key, size_t *size) {
  return wasm_native_cache_load_as(key, WASM_NATIVE_CACHE_UNIT, size);
}

uint8_t *wasm_native_cache_load_as(const wasm_native_cache_key *key, const char *suffix, size_t *size) {
  if (!wasm_native_cache_dir()) return NULL;
  char path[4096];
  entry_path(key, suffix, path, sizeof path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  uint8_t head[HEADER_BYTES];
  uint8_t *obj = NULL;
  if (read(fd, head, sizeof head) == (ssize_t)sizeof head && memcmp(head, MAGIC, 8) == 0 &&
      memcmp(head + 8, key->bytes, 16) == 0) {
    uint64_t n = get_u64(head + 24), sum = get_u64(head + 32);
    if (n > 0 && n <= MAX_OBJECT_BYTES && (obj = malloc((size_t)n)) != NULL) {
      size_t got = 0;
      while (got < n) {
        ssize_t r = read(fd, obj + got, (size_t)n - got);
        if (r <= 0) break;
        got += (size_t)r;
      }
      uint8_t extra;
      if (got != n || read(fd, &extra, 1) != 0 || checksum(obj, (size_t)n) != sum) {
        free(obj);
        obj = NULL;
      } else {
        *size = (size_t)n;
        futimens(fd, NULL); /* used now: the sweep keeps the recently used */
      }
    }
  }
  close(fd);
  return obj;
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* ---- the bound ---------------------------------------------------------------- */

/* Entry names are 34 or 37 bytes ("<32 hex>.o", "<32 hex>.list"); temporary
 * ones add ".<pid>.<hex>.tmp". */
#define NAME_MAX_BYTES 96

typedef struct entry_info {
  char name[NAME_MAX_BYTES];
  uint64_t bytes;
  time_t used; /* seconds: st_mtim is not in every platform's POSIX mode */
} entry_info;

static int older_first(const void *a, const void *b) {
  const entry_info *x = a, *y = b;
  if (x->used != y->used) return x->used < y->used ? -1 : 1;
  return strcmp(x->name, y->name);
}

void wasm_native_cache_key_text(const char *name, wasm_native_cache_key *out) {
  hasher h;
  h_init(&h);
  h_str(&h, MAGIC);
  h_str(&h, TOVA_NATIVE_BUILD_ID);
  h_str(&h, "of no module"); /* never a unit's nor a module's */
  h_str(&h, name);
  put_u64(out->bytes, h.a);
  put_u64(out->bytes + 8, h.b);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Remove the least recently used entries while the directory holds more than
 * max_bytes, down to 90% of it, and temporary files an hour old; the bytes
 * of the entries left. */
static uint64_t sweep(void) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  entry_info *v = NULL;
  size_t n = 0, cap = 0;
  uint64_t total = 0;
  time_t now = time(NULL);
  char path[4200];
  for (struct dirent *de; (de = readdir(d)) != NULL;) {
    bool entry = has_suffix(de->d_name, WASM_NATIVE_CACHE_UNIT) || has_suffix(de->d_name, WASM_NATIVE_CACHE_LIST) ||
                 has_suffix(de->d_name, WASM_NATIVE_CACHE_TARGET),
         tmp = has_suffix(de->d_name, ".tmp");
    size_t len = strlen(de->d_name);
    if ((!entry && !tmp) || len >= NAME_MAX_BYTES) continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (tmp) {
      if (now - st.st_mtime > STALE_TMP_SECONDS) unlink(path);
      continue;
    }
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      entry_info *g = realloc(v, nc * sizeof *v);
      if (!g) break;
      v = g;
      cap = nc;
    }
    memcpy(v[n].name, de->d_name, len + 1);
    v[n].bytes = (uint64_t)st.st_size;
    v[n].used = st.st_mtime;
    total += v[n].bytes;
    n++;
  }
  closedir(d);
  if (total > max_bytes) {
    qsort(v, n, sizeof *v, older_first);
    uint64_t target = max_bytes / 10 * 9;
    for (size_t i = 0; i < n && total > target; i++) {
      snprintf(path, sizeof path, "%s/%s", dir, v[i].name);
      if (unlink(path) == 0 || errno == ENOENT) total -= v[i].bytes;
    }
  }
  free(v);
  return total;
}

#define SWEEP_AGAIN_SECONDS 600

/* After a store of bytes: sweep when BOUNDED says (sweep_lock guards the
 * estimate of the directory's bytes and when it was last swept). */
static void after_store(uint64_t bytes) {
  static pthread_mutex_t sweep_lock = PTHREAD_MUTEX_INITIALIZER;
  static bool swept;
  static uint64_t estimate;
  static time_t last;
  time_t now = time(NULL);
  pthread_mutex_lock(&sweep_lock);
  if (!swept || estimate + bytes > max_bytes || now - last >= SWEEP_AGAIN_SECONDS) {
    estimate = sweep();
    swept = true;
    last = now;
    if (wasm_native_debug())
      fprintf(stderr, "tova native: the code cache swept: %llu bytes of entries left\n", (unsigned long long)estimate);
  } else {
    estimate += bytes;
  }
  pthread_mutex_unlock(&sweep_lock);
}

void wasm_native_cache_store(const wasm_native_cache_key *key, const uint8_t *obj, size_t size) {
  wasm_native_cache_store_as(key, WASM_NATIVE_CACHE_UNIT, obj, size);
}

void wasm_native_cache_store_as(const wasm_native_cache_key *key, const char *suffix, const uint8_t *obj,
                                size_t size) {
  if (!wasm_native_cache_dir() || !obj || !size || size > MAX_OBJECT_BYTES) return;
  char path[4096], tmp[4200];
  entry_path(key, suffix, path, sizeof path);
  /* Another process may be writing the same entry: each writes its own
   * temporary file and the renames replace one whole file by another. */
  snprintf(tmp, sizeof tmp, "%s.%ld.%lx.tmp", path, (long)getpid(),
           (unsigned long)(uintptr_t)&tmp ^ (unsigned long)size);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return;
  uint8_t head[HEADER_BYTES];
  memcpy(head, MAGIC, 8);
  memcpy(head + 8, key->bytes, 16);
  put_u64(head + 24, size);
  put_u64(head + 32, checksum(obj, size));
  bool ok = write_all(fd, head, sizeof head) && write_all(fd, obj, size);
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) unlink(tmp);
  else after_store(HEADER_BYTES + (uint64_t)size);
}
