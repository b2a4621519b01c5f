/* clock.c: the monotonic clock. CLOCK_MONOTONIC exists on Linux and on
 * macOS >= 10.12, so one implementation serves both. */
#include <time.h>

#include "platform/platform.h"

uint64_t tova_plat_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
