/* check.h: minimal assertions for the C tests (ctest runs each test_*.c). A
 * failed CHECK prints file:line and the expression, and the test exits 1. */
#ifndef TOVA_TEST_CHECK_H
#define TOVA_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      check_failures++;                                                    \
    }                                                                      \
  } while (0)

#define CHECK_EQ_I64(a, b)                                                              \
  do {                                                                                  \
    int64_t check_a_ = (int64_t)(a), check_b_ = (int64_t)(b);                           \
    if (check_a_ != check_b_) {                                                         \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %" PRId64 ", %s == %" PRId64 "\n", \
              __FILE__, __LINE__, #a, check_a_, #b, check_b_);                          \
      check_failures++;                                                                 \
    }                                                                                   \
  } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                  \
  do {                                                                                   \
    const char *check_h_ = (hay), *check_n_ = (needle);                                  \
    if (!check_h_ || !strstr(check_h_, check_n_)) {                                      \
      fprintf(stderr, "%s:%d: expected \"%s\" in \"%s\"\n", __FILE__, __LINE__, check_n_, \
              check_h_ ? check_h_ : "(null)");                                           \
      check_failures++;                                                                  \
    }                                                                                    \
  } while (0)

/* TEST_HEAVY(n): a count for a load test, smaller under ThreadSanitizer,
 * which makes every memory access and lock several times slower. The races
 * it looks for show up in a few thousand rounds; the full counts are still
 * run by the Release and ASan builds. */
#if defined(__SANITIZE_THREAD__)
#define TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_UNDER_TSAN 1
#endif
#endif
#ifdef TEST_UNDER_TSAN
#define TEST_HEAVY(n) ((n) / 5)
#else
#define TEST_HEAVY(n) (n)
#endif

/* Run a named test function; report at the end with CHECK_DONE(). */
#define RUN(fn)                          \
  do {                                   \
    int before_ = check_failures;        \
    fn();                                \
    fprintf(stderr, "%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #fn); \
  } while (0)

#define CHECK_DONE() (check_failures ? (fprintf(stderr, "%d check(s) failed\n", check_failures), 1) : 0)

#endif
