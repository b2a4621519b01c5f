/* test_rt_platform.c: the platform layer: threads start and join, mutexes
 * exclude, a timed condvar wait times out when nobody signals and returns
 * early when someone does, the monotonic clock does not go backwards. */
#include "check.h"
#include "platform/platform.h"

static tova_plat_mutex g_mu;
static tova_plat_cond g_cv;
static int64_t g_counter;
static int g_flag;

static void add_many(void *arg) {
  (void)arg;
  for (int i = 0; i < 100000; i++) {
    tova_plat_mutex_lock(&g_mu);
    g_counter++;
    tova_plat_mutex_unlock(&g_mu);
  }
}

static void test_threads_and_mutex(void) {
  CHECK(tova_plat_mutex_init(&g_mu));
  g_counter = 0;
  tova_plat_thread th[4];
  for (int i = 0; i < 4; i++) CHECK(tova_plat_thread_start(&th[i], add_many, NULL));
  for (int i = 0; i < 4; i++) tova_plat_thread_join(&th[i]);
  CHECK_EQ_I64(g_counter, 400000);
  tova_plat_mutex_destroy(&g_mu);
  CHECK(tova_plat_cpu_count() >= 1);
  tova_plat_thread_yield();
}

static void set_flag(void *arg) {
  (void)arg;
  tova_plat_mutex_lock(&g_mu);
  g_flag = 1;
  tova_plat_cond_signal(&g_cv);
  tova_plat_mutex_unlock(&g_mu);
}

static void test_timed_wait(void) {
  CHECK(tova_plat_mutex_init(&g_mu));
  CHECK(tova_plat_cond_init(&g_cv));
  /* Nobody signals: the wait must come back, reporting a timeout (looping
   * over spurious wake-ups until the deadline). */
  tova_plat_mutex_lock(&g_mu);
  uint64_t start = tova_plat_monotonic_ns();
  bool signalled = true;
  while (signalled && tova_plat_monotonic_ns() - start < 2000000)
    signalled = tova_plat_cond_timedwait(&g_cv, &g_mu, 1000000);
  tova_plat_mutex_unlock(&g_mu);
  CHECK(!signalled);
  /* Someone signals: a very long timeout still returns once the flag is set. */
  g_flag = 0;
  tova_plat_thread th;
  CHECK(tova_plat_thread_start(&th, set_flag, NULL));
  tova_plat_mutex_lock(&g_mu);
  while (!g_flag) tova_plat_cond_timedwait(&g_cv, &g_mu, UINT64_MAX / 2);
  tova_plat_mutex_unlock(&g_mu);
  tova_plat_thread_join(&th);
  CHECK_EQ_I64(g_flag, 1);
  tova_plat_cond_destroy(&g_cv);
  tova_plat_mutex_destroy(&g_mu);
}

static void test_monotonic(void) {
  uint64_t prev = tova_plat_monotonic_ns();
  int backwards = 0;
  for (int i = 0; i < 100000; i++) {
    uint64_t now = tova_plat_monotonic_ns();
    backwards += now < prev;
    prev = now;
  }
  CHECK_EQ_I64(backwards, 0);
}

int main(void) {
  RUN(test_threads_and_mutex);
  RUN(test_timed_wait);
  RUN(test_monotonic);
  return CHECK_DONE();
}
