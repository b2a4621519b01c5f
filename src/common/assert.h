/*
 * assert.h: TOVA_ASSERT(cond), the debug-build check of an invariant.
 *
 * Active when NDEBUG is not defined (CMake's Debug builds; Release and
 * RelWithDebInfo define NDEBUG), compiled out otherwise, so it may sit on hot
 * paths. A failure prints the condition and where, then aborts: an invariant
 * that does not hold means the state is already wrong, and carrying on would
 * only move the symptom elsewhere. Use it for what the code itself guarantees
 * (the compiler's stack model, a queue's links), never for input checks:
 * malformed input is an error to return, in every build.
 */
#ifndef TOVA_COMMON_ASSERT_H
#define TOVA_COMMON_ASSERT_H

#ifndef NDEBUG
#include <stdio.h>
#include <stdlib.h>

static inline void tova_assert_failed(const char *cond, const char *file, int line) {
  fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, cond);
  abort();
}
#define TOVA_ASSERT(cond) ((cond) ? (void)0 : tova_assert_failed(#cond, __FILE__, __LINE__))
#define TOVA_DEBUG 1
#else
#define TOVA_ASSERT(cond) ((void)0)
#define TOVA_DEBUG 0
#endif

#endif /* TOVA_COMMON_ASSERT_H */
