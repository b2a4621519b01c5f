/* test_rt_platform.c: the platform layer: threads start and join (with
 * stacks of TOVA_PLAT_THREAD_STACK), mutexes exclude, a timed condvar wait times out when nobody signals and returns
 * early when someone does, the monotonic clock does not go backwards, spin
 * locks exclude also when their holder sleeps inside and waiters yield. */
#include <time.h>

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

/* What tova_plat_thread_stack says on the thread it runs on. */
static uintptr_t g_stack_low;
static size_t g_stack_size;
static bool g_stack_known;
static void read_stack(void *arg) {
  (void)arg;
  int here = 0;
  g_stack_known = tova_plat_thread_stack(&g_stack_low, &g_stack_size);
  /* the answer holds this frame */
  if (g_stack_known) CHECK((uintptr_t)&here > g_stack_low && (uintptr_t)&here < g_stack_low + g_stack_size);
}

/* Threads get TOVA_PLAT_THREAD_STACK bytes of stack, whatever the OS's
 * default (512 KB on macOS), where the OS says how big a stack is. */
static void test_thread_stack(void) {
  tova_plat_thread th;
  CHECK(tova_plat_thread_start(&th, read_stack, NULL));
  tova_plat_thread_join(&th);
#if defined(__linux__) || defined(__APPLE__)
  CHECK(g_stack_known);
#endif
  if (g_stack_known) CHECK(g_stack_size >= TOVA_PLAT_THREAD_STACK);
  uintptr_t low;
  size_t size;
  if (tova_plat_thread_stack(&low, &size)) CHECK(size > 0); /* the main thread's */
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

/* Spin locks: 4 threads over 3 locks, each holder now and then sleeping
 * inside the lock (100 us) so the others exhaust their spin and yield: the
 * counts stay exact (exclusion) and every thread finishes. */
#define SPIN_LOCKS 3
#define SPIN_ROUNDS 20000
static tova_plat_spinlock g_spin[SPIN_LOCKS];
static int64_t g_spin_count[SPIN_LOCKS];

static void spin_many(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
  for (int i = 0; i < SPIN_ROUNDS; i++) {
    seed = seed * 1103515245u + 12345u;
    int k = (int)((seed >> 16) % SPIN_LOCKS);
    tova_plat_spin_lock(&g_spin[k]);
    int64_t v = g_spin_count[k];
    if (i % 1000 == 0) {
      struct timespec ts = {0, 100000};
      nanosleep(&ts, NULL);
    }
    g_spin_count[k] = v + 1;
    tova_plat_spin_unlock(&g_spin[k]);
  }
}

static void test_spinlock(void) {
  for (int k = 0; k < SPIN_LOCKS; k++) tova_plat_spin_init(&g_spin[k]);
  tova_plat_thread th[4];
  for (int i = 0; i < 4; i++) CHECK(tova_plat_thread_start(&th[i], spin_many, (void *)(uintptr_t)i));
  for (int i = 0; i < 4; i++) tova_plat_thread_join(&th[i]);
  int64_t total = 0;
  for (int k = 0; k < SPIN_LOCKS; k++) {
    total += g_spin_count[k];
    CHECK(atomic_load(&g_spin[k].held) == 0);
  }
  CHECK_EQ_I64(total, 4 * SPIN_ROUNDS);
}

int main(void) {
  RUN(test_threads_and_mutex);
  RUN(test_thread_stack);
  RUN(test_spinlock);
  RUN(test_timed_wait);
  RUN(test_monotonic);
  return CHECK_DONE();
}
