/* entropy.c: getentropy(3) exists on Linux (glibc >= 2.25, musl) and on
 * macOS >= 10.12, and never returns short; it takes at most 256 bytes a call. */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* getentropy is hidden under strict POSIX on macOS */
#endif
#include <stdint.h>
#include <sys/random.h>
#include <unistd.h>

#include "platform/entropy.h"

bool tova_plat_entropy(void *buf, size_t len) {
  uint8_t *p = buf;
  while (len > 0) {
    size_t n = len < 256 ? len : 256;
    if (getentropy(p, n) != 0) return false;
    p += n;
    len -= n;
  }
  return true;
}
