/* maps_count.h: how many mappings the kernel holds for this process (the
 * lines of /proc/self/maps), or -1 where there is no such file: the tests
 * of the memory pool and of parked tasks check that live memories do not
 * each cost mappings (a process may hold about 65K of them by default). */
#ifndef TOVA_TEST_MAPS_COUNT_H
#define TOVA_TEST_MAPS_COUNT_H

#include <stdio.h>

static inline long kernel_mappings(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return -1; /* not Linux: nothing to count */
  long lines = 0;
  int c;
  while ((c = fgetc(f)) != EOF) lines += c == '\n';
  fclose(f);
  return lines;
}

#endif
