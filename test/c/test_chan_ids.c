/* test_chan_ids.c: channel ids never run out, closed channels cost nothing,
 * and an old id never reaches a newer channel (chan_registry.h). */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>

/* ASan keeps freed memory in quarantine (256 MiB by default): resident
 * memory says nothing about our frees there. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_MEANINGFUL 0
#endif
#endif
#ifndef RSS_MEANINGFUL
#define RSS_MEANINGFUL 1
#endif

/* The sanitizer builds run this file for the concurrent churn and memory
 * errors; the 70M-iteration sequential loop (the Release build's job) proves
 * nothing more there and would take minutes: they run 1M. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#include <pthread.h>

#include "check.h"
#include "runtime/chan_registry.h"
#include "tova.h"

#define INDEX_MASK ((1u << TOVA_RT_ID_INDEX_BITS) - 1u)

/* Peak resident memory in KiB. */
static long peak_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
#ifdef __APPLE__
  return ru.ru_maxrss / 1024; /* bytes there */
#else
  return ru.ru_maxrss;
#endif
}

static tova_chan_id make(uint32_t cap) {
  tova_chan_id id = 0;
  CHECK(tova_chan_create(cap, &id) == TOVA_OK);
  return id;
}

/* Ids never handed out are "not found"; freed ones are "closed". */
static void test_unknown_and_stale(void) {
  int64_t v;
  CHECK(tova_chan_try_send(0, 1) == TOVA_ERR_NOT_FOUND);
  CHECK(tova_chan_try_send(INDEX_MASK, 1) == TOVA_ERR_NOT_FOUND); /* index never used */
  CHECK(tova_chan_try_send(UINT32_MAX, 1) == TOVA_ERR_NOT_FOUND);  /* beyond the id space */
  tova_chan_id a = make(1);
  /* The same slot, a generation not handed out yet. */
  CHECK(tova_chan_try_send(a + (1u << TOVA_RT_ID_INDEX_BITS), 1) == TOVA_ERR_NOT_FOUND);
  CHECK(tova_chan_try_send(a, 7) == TOVA_OK);
  CHECK(tova_chan_close(a) == TOVA_OK);
  CHECK(tova_chan_try_recv(a, &v) == TOVA_OK);
  CHECK_EQ_I64(v, 7);
  CHECK(tova_chan_try_recv(a, &v) == TOVA_ERR_CLOSED);
}

/* Churn far past the free-list reserve: slots are reused (few distinct
 * indices), and the old id stays closed and distinct all along. */
static void test_reuse_keeps_old_ids_closed(void) {
  tova_chan_id old = make(0);
  CHECK(tova_chan_close(old) == TOVA_OK);
  tova_chan_id live = make(4); /* stays open across the churn */
  CHECK(tova_chan_try_send(live, 42) == TOVA_OK);
  enum { N = 400000 };
  static uint8_t seen_index[1u << TOVA_RT_ID_INDEX_BITS];
  uint32_t distinct = 0;
  int aliases = 0;
  for (uint32_t i = 0; i < N; i++) {
    tova_chan_id id = make(0);
    if (id == old || id == live) aliases++;
    if (id > INT32_MAX) aliases++; /* ids are non-negative as a WebAssembly i32 */
    if (!seen_index[id & INDEX_MASK]++) distinct++;
    CHECK(tova_chan_close(id) == TOVA_OK);
    CHECK(tova_chan_close(id) == TOVA_ERR_CLOSED);
  }
  CHECK_EQ_I64(aliases, 0);
  /* 400K channels, one open at a time: slots come back (the reserve holds
   * 65536 of them), they do not pile up. */
  CHECK(distinct < 100000);
  CHECK(tova_chan_try_send(old, 1) == TOVA_ERR_CLOSED);
  int64_t v;
  CHECK(tova_chan_try_recv(live, &v) == TOVA_OK);
  CHECK_EQ_I64(v, 42);
  CHECK(tova_chan_close(live) == TOVA_OK);
}

/* More channels over a process's life than 32-bit ids without reuse could
 * name past the old 64M limit, with memory flat. */
static void test_ids_never_run_out(void) {
  long before = peak_rss_kib();
  const uint32_t n = UNDER_TSAN || !RSS_MEANINGFUL ? 1000u * 1000u : 70u * 1000u * 1000u;
  uint32_t failed = 0, first_failure = 0;
  for (uint32_t i = 0; i < n; i++) {
    tova_chan_id id;
    if (tova_chan_create(0, &id) != TOVA_OK || tova_chan_close(id) != TOVA_OK) {
      if (!failed++) first_failure = i;
      if (failed > 10) break;
    }
  }
  if (failed) fprintf(stderr, "create/close failed from iteration %u\n", first_failure);
  CHECK_EQ_I64(failed, 0);
  long grown = peak_rss_kib() - before;
  if (RSS_MEANINGFUL && grown >= 64 * 1024) fprintf(stderr, "peak RSS grew by %ld KiB\n", grown);
  /* Well under 64 MiB (without reuse: 56 bytes x 70M = 3.7 GB). */
  CHECK(!RSS_MEANINGFUL || grown < 64 * 1024);
}

/* Threads create, use and free channels while probing each other's old ids:
 * an old id is always CLOSED, never a live channel of another thread. */
enum { CHURN_THREADS = 4, CHURN_ROUNDS = 50000 };
static _Atomic tova_chan_id churn_last[CHURN_THREADS];
static _Atomic int churn_bad;

static void *churn(void *arg) {
  int me = (int)(intptr_t)arg;
  for (int i = 0; i < CHURN_ROUNDS; i++) {
    tova_chan_id id;
    if (tova_chan_create(1, &id) != TOVA_OK) { churn_bad++; continue; }
    int64_t v = -1;
    if (tova_chan_try_send(id, me) != TOVA_OK || tova_chan_close(id) != TOVA_OK ||
        tova_chan_try_recv(id, &v) != TOVA_OK || v != me)
      churn_bad++;
    churn_last[me] = id; /* now freed */
    tova_chan_id other = churn_last[(me + 1) % CHURN_THREADS];
    if (other && tova_chan_try_send(other, 1) != TOVA_ERR_CLOSED) churn_bad++;
  }
  return NULL;
}

static void test_concurrent_churn(void) {
  pthread_t t[CHURN_THREADS];
  for (int i = 0; i < CHURN_THREADS; i++) CHECK(pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i) == 0);
  for (int i = 0; i < CHURN_THREADS; i++) pthread_join(t[i], NULL);
  CHECK_EQ_I64(churn_bad, 0);
}

int main(void) {
  test_concurrent_churn();
  test_unknown_and_stale();
  test_reuse_keeps_old_ids_closed();
  test_ids_never_run_out();
  return check_failures ? 1 : 0;
}
