/* thread.c: OS threads and the CPU count (pthreads). */
/* The build defines _POSIX_C_SOURCE; on macOS that hides Darwin extensions
 * we use (_SC_NPROCESSORS_ONLN, pthread_cond_timedwait_relative_np). */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#elif defined(__APPLE__)
#include <pthread/qos.h>
#endif

#include "platform/platform.h"

/* pthreads wants void *(*)(void *); our threads return nothing. The start
 * record is heap-allocated because the creating frame may be gone before the
 * new thread reads it. */
typedef struct thread_start {
  tova_plat_thread_fn fn;
  void *arg;
} thread_start;

static void *thread_trampoline(void *p) {
  thread_start s = *(thread_start *)p;
  free(p);
  s.fn(s.arg);
  return NULL;
}

bool tova_plat_thread_start(tova_plat_thread *t, tova_plat_thread_fn fn, void *arg) {
  thread_start *s = malloc(sizeof *s);
  if (!s) return false;
  s->fn = fn;
  s->arg = arg;
  if (pthread_create(&t->handle, NULL, thread_trampoline, s) != 0) {
    free(s);
    return false;
  }
  return true;
}

void tova_plat_thread_join(tova_plat_thread *t) { pthread_join(t->handle, NULL); }

void tova_plat_thread_yield(void) { sched_yield(); }

bool tova_plat_thread_set_background(int nice_step) {
#if defined(__linux__)
  /* On Linux a nice value belongs to a thread (its id, not the process's):
   * setpriority on the thread id changes only the calling thread. Raising
   * it needs no privilege. */
  long tid = syscall(SYS_gettid);
  if (tid <= 0) return false;
  errno = 0;
  int now = getpriority(PRIO_PROCESS, (id_t)tid);
  if (now == -1 && errno) return false;
  return setpriority(PRIO_PROCESS, (id_t)tid, now + nice_step) == 0;
#elif defined(__APPLE__)
  /* macOS schedules by quality-of-service class, not nice values. */
  (void)nice_step;
  return pthread_set_qos_class_self_np(QOS_CLASS_UTILITY, 0) == 0;
#else
  (void)nice_step;
  return false;
#endif
}

uint32_t tova_plat_cpu_count(void) {
  /* _SC_NPROCESSORS_ONLN exists on Linux, macOS and the BSDs. */
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) return 1;
  if (n > 1024) return 1024;
  return (uint32_t)n;
}
