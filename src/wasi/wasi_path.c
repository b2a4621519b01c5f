/*
 * wasi_path.c: resolving a guest path inside a preopened directory.
 *
 * The sandbox rule: the guest reaches only what lies below a directory it was
 * given. The kernel is never handed a guest path with a '/' in it. Instead
 * the path is walked one component at a time from the directory's fd with
 * openat(O_DIRECTORY | O_NOFOLLOW), keeping a stack of the directories
 * entered:
 *   - "." stays, ".." pops the stack, and popping the preopen itself is an
 *     escape (ENOTCAPABLE);
 *   - a symlink met on the way is read (readlinkat) and its target spliced
 *     in front of the rest of the path, so it is walked by the same rules: an
 *     absolute target or one that climbs out is an escape;
 *   - an absolute guest path is an escape (wasi-libc strips the preopen's
 *     name before calling, so a well-behaved guest never sends one).
 * The caller then acts on (dirfd, name) with *at() calls that do not follow
 * a symlink at name, so a link swapped in after the walk is not followed
 * either (the operation fails with ELOOP instead of escaping). This is what
 * openat2(RESOLVE_BENEATH) does on Linux, written with calls macOS has too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

/* Symlinks expanded in one resolution before ELOOP (Linux's limit is 40). */
#define WASI_MAX_SYMLINKS 40
#define WASI_LINK_MAX 4096

typedef struct walk {
  int *fds; /* fds[0] is the preopen's (not owned); the rest are owned */
  size_t depth, cap;
} walk;

static bool walk_push(walk *wk, int fd) {
  if (wk->depth == wk->cap) {
    size_t cap = wk->cap ? wk->cap * 2 : 16;
    int *n = realloc(wk->fds, cap * sizeof *n);
    if (!n) return false;
    wk->fds = n;
    wk->cap = cap;
  }
  wk->fds[wk->depth++] = fd;
  return true;
}

static int walk_top(const walk *wk) { return wk->fds[wk->depth - 1]; }

/* Close every directory entered except, if keep_top, the current one. */
static void walk_release(walk *wk, bool keep_top) {
  size_t end = keep_top ? wk->depth - 1 : wk->depth;
  for (size_t i = 1; i < end; i++) close(wk->fds[i]);
  free(wk->fds);
}

/* Replace the unwalked rest of the path with target + "/" + rest (just
 * target when nothing is left). */
static int splice_link(char **path, size_t *pos, const char *target, size_t tlen) {
  if (tlen == 0) return WASI_ENOENT;
  if (target[0] == '/') return WASI_ENOTCAPABLE;
  size_t rest = strlen(*path + *pos);
  size_t sep = rest ? 1 : 0; /* a final link adds no slash: its target need not be a directory */
  char *n = malloc(tlen + sep + rest + 1);
  if (!n) return WASI_ENOMEM;
  memcpy(n, target, tlen);
  if (sep) n[tlen] = '/';
  memcpy(n + tlen + sep, *path + *pos, rest + 1);
  free(*path);
  *path = n;
  *pos = 0;
  return WASI_ESUCCESS;
}

/* If name in dirfd is a symlink, read it into buf and return its length;
 * return -1 if it is not one (or does not exist). */
static ssize_t read_link(int dirfd, const char *name, char *buf) {
  ssize_t n = readlinkat(dirfd, name, buf, WASI_LINK_MAX);
  if (n < 0) return -1;
  if (n >= WASI_LINK_MAX) n = WASI_LINK_MAX - 1; /* truncated: it then resolves to nothing real */
  buf[n] = '\0';
  return n;
}

int wasi_path_resolve(tova_wasi *w, uint32_t dir, const char *gpath, uint32_t len, bool follow,
                      wasi_resolved *out) {
  memset(out, 0, sizeof *out);
  out->dirfd = -1;
  wasi_fd *f = wasi_fd_get(w, dir);
  if (!f) return WASI_EBADF;
  if (f->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ENOTDIR;
  if (len == 0) return WASI_ENOENT;
  if (memchr(gpath, '\0', len)) return WASI_EINVAL;
  if (gpath[0] == '/') return WASI_ENOTCAPABLE;

  char *path = malloc((size_t)len + 1);
  char *link = malloc(WASI_LINK_MAX);
  walk wk = {0};
  int rc = WASI_ENOMEM;
  if (!path || !link || !walk_push(&wk, f->host)) goto fail;
  memcpy(path, gpath, len);
  path[len] = '\0';

  size_t pos = 0;
  int links = 0;
  for (;;) {
    while (path[pos] == '/') pos++;
    size_t start = pos;
    while (path[pos] && path[pos] != '/') pos++;
    size_t clen = pos - start;
    size_t after = pos;
    while (path[after] == '/') after++;
    bool last = path[after] == '\0';
    bool slash = last && after > pos;
    if (clen == 0) { /* unreachable: paths and link targets are non-empty and relative */
      rc = WASI_ENOENT;
      goto fail;
    }
    char comp[NAME_MAX + 1];
    if (clen > NAME_MAX) {
      rc = WASI_ENAMETOOLONG;
      goto fail;
    }
    memcpy(comp, path + start, clen);
    comp[clen] = '\0';
    pos = after;

    if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
      if (comp[1] == '.') {
        if (wk.depth == 1) {
          rc = WASI_ENOTCAPABLE;
          goto fail;
        }
        close(wk.fds[--wk.depth]);
      }
      if (last) {
        out->name = strdup(".");
        out->trailing_slash = slash;
        break;
      }
      continue;
    }

    if (last && !follow && !slash) {
      out->name = strdup(comp);
      break;
    }
    if (last) {
      /* Follow a final symlink (asked to, or a trailing slash makes it a directory). */
      ssize_t n = read_link(walk_top(&wk), comp, link);
      if (n < 0) {
        out->name = strdup(comp);
        out->trailing_slash = slash;
        break;
      }
      if (++links > WASI_MAX_SYMLINKS) {
        rc = WASI_ELOOP;
        goto fail;
      }
      if (slash) { /* keep the trailing slash: the target must be a directory */
        link[n++] = '/';
        link[n] = '\0';
      }
      if ((rc = splice_link(&path, &pos, link, (size_t)n)) != WASI_ESUCCESS) goto fail;
      continue;
    }

    /* An intermediate component: it must be a directory, entered without following. */
    int fd = openat(walk_top(&wk), comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      if (!walk_push(&wk, fd)) {
        close(fd);
        rc = WASI_ENOMEM;
        goto fail;
      }
      continue;
    }
    int e = errno;
    ssize_t n = read_link(walk_top(&wk), comp, link);
    if (n < 0) {
      rc = wasi_errno_from_host(e);
      goto fail;
    }
    if (++links > WASI_MAX_SYMLINKS) {
      rc = WASI_ELOOP;
      goto fail;
    }
    if ((rc = splice_link(&path, &pos, link, (size_t)n)) != WASI_ESUCCESS) goto fail;
  }
  if (!out->name) {
    rc = WASI_ENOMEM;
    goto fail;
  }
  out->dirfd = walk_top(&wk);
  out->own_dirfd = wk.depth > 1;
  walk_release(&wk, true);
  free(path);
  free(link);
  return WASI_ESUCCESS;

fail:
  if (wk.fds) walk_release(&wk, false);
  free(path);
  free(link);
  memset(out, 0, sizeof *out);
  out->dirfd = -1;
  return rc;
}

void wasi_resolved_free(wasi_resolved *r) {
  if (r->own_dirfd && r->dirfd >= 0) close(r->dirfd);
  free(r->name);
  memset(r, 0, sizeof *r);
  r->dirfd = -1;
}
