/* thread.c: OS threads and the CPU count (pthreads). */
/* The build defines _POSIX_C_SOURCE; on macOS that hides Darwin extensions
 * we use (_SC_NPROCESSORS_ONLN, pthread_cond_timedwait_relative_np). */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_getattr_np */
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
  pthread_attr_t attr;
  bool sized = pthread_attr_init(&attr) == 0;
  if (sized && pthread_attr_setstacksize(&attr, TOVA_PLAT_THREAD_STACK) != 0) {
    pthread_attr_destroy(&attr);
    sized = false;
  }
  int rc = pthread_create(&t->handle, sized ? &attr : NULL, thread_trampoline, s);
  if (sized) pthread_attr_destroy(&attr);
  if (rc != 0) {
    free(s);
    return false;
  }
  return true;
}

bool tova_plat_thread_stack(uintptr_t *low, size_t *size) {
#if defined(__APPLE__)
  pthread_t self = pthread_self();
  uintptr_t top = (uintptr_t)pthread_get_stackaddr_np(self);
  size_t n = pthread_get_stacksize_np(self);
  if (!top || !n) return false;
  *low = top - n;
  *size = n;
  return true;
#elif defined(__linux__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return false;
  void *addr;
  size_t n;
  bool ok = pthread_attr_getstack(&attr, &addr, &n) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) return false;
  *low = (uintptr_t)addr;
  *size = n;
  return true;
#else
  (void)low;
  (void)size;
  return false;
#endif
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
