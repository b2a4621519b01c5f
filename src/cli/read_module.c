/*
 * read_module.c: reading a module file with bounds. Only regular files are
 * read: a directory, a device such as /dev/zero or a FIFO would make a plain
 * read loop fail obscurely or never end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

unsigned char *cli_read_module(const char *path, size_t *len) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "tova: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    fprintf(stderr, "tova: cannot read %s: %s\n", path, strerror(errno));
    close(fd);
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    fprintf(stderr, "tova: %s is a directory, not a .wasm file\n", path);
    close(fd);
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    fprintf(stderr, "tova: %s is not a regular file (a device, FIFO or socket)\n", path);
    close(fd);
    return NULL;
  }
  if ((uint64_t)st.st_size > CLI_MAX_MODULE_BYTES) {
    fprintf(stderr, "tova: %s is too large (%lld bytes; the limit is %zu)\n", path,
            (long long)st.st_size, CLI_MAX_MODULE_BYTES);
    close(fd);
    return NULL;
  }
  size_t size = (size_t)st.st_size;
  unsigned char *buf = malloc(size ? size : 1);
  if (!buf) {
    fprintf(stderr, "tova: out of memory reading %s\n", path);
    close(fd);
    return NULL;
  }
  /* Read what fstat promised; a file that shrinks meanwhile is read short. */
  size_t n = 0;
  while (n < size) {
    ssize_t k = read(fd, buf + n, size - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      fprintf(stderr, "tova: cannot read %s: %s\n", path, strerror(errno));
      free(buf);
      close(fd);
      return NULL;
    }
    if (k == 0) break;
    n += (size_t)k;
  }
  close(fd);
  *len = n;
  return buf;
}
