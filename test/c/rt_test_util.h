/* rt_test_util.h: small helpers shared by the runtime tests: a latch (wait
 * until a count is reached, without timing) and the test size knob. */
#ifndef TOVA_RT_TEST_UTIL_H
#define TOVA_RT_TEST_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* Sanitizers run threaded code 5-20x slower: scale the big loops down there
 * so every test stays well under its time budget. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define RT_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define RT_TEST_SANITIZED 1
#endif
#endif
#ifdef RT_TEST_SANITIZED
#define RT_SCALE(n) ((n) / 10)
#else
#define RT_SCALE(n) (n)
#endif

typedef struct latch {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int64_t count;
} latch;

static inline void latch_init(latch *l) {
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  l->count = 0;
}

static inline void latch_destroy(latch *l) {
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
}

static inline void latch_add(latch *l, int64_t n) {
  pthread_mutex_lock(&l->mu);
  l->count += n;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

/* Block until the count reaches at least target. */
static inline void latch_wait(latch *l, int64_t target) {
  pthread_mutex_lock(&l->mu);
  while (l->count < target) pthread_cond_wait(&l->cv, &l->mu);
  pthread_mutex_unlock(&l->mu);
}

static inline int64_t latch_get(latch *l) {
  pthread_mutex_lock(&l->mu);
  int64_t c = l->count;
  pthread_mutex_unlock(&l->mu);
  return c;
}

#endif
