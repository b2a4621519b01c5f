/*
 * watchdog.c: one thread per run sleeping on a condition variable until the
 * armed deadline; if the command is still running then, it sets the
 * execution's interrupt flag (tova_exec_interrupt is thread-safe) and the
 * interpreter stops at its next back-edge or call with TOVA_ERR_CANCELLED.
 * CLOCK_REALTIME deadlines because macOS has no pthread_condattr_setclock.
 */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct watchdog {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  tova_exec *exec; /* armed when non-NULL */
  struct timespec deadline;
  unsigned long generation; /* bumped by every arm, so a stale deadline never fires */
  bool fired;
  bool stop;
};

static void *watch(void *arg) {
  watchdog *w = arg;
  pthread_mutex_lock(&w->mu);
  while (!w->stop) {
    if (!w->exec) {
      pthread_cond_wait(&w->cv, &w->mu);
      continue;
    }
    unsigned long gen = w->generation;
    int rc = pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline);
    if (rc == ETIMEDOUT && w->exec && w->generation == gen) {
      tova_exec_interrupt(w->exec);
      w->fired = true;
      w->exec = NULL;
    }
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

watchdog *watchdog_start(void) {
  watchdog *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  if (pthread_create(&w->thread, NULL, watch, w) != 0) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
    return NULL;
  }
  return w;
}

void watchdog_stop(watchdog *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  w->stop = true;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  free(w);
}

void watchdog_arm(watchdog *w, tova_exec *e, unsigned seconds) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  clock_gettime(CLOCK_REALTIME, &w->deadline);
  w->deadline.tv_sec += seconds;
  w->exec = e;
  w->fired = false;
  w->generation++;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

bool watchdog_disarm(watchdog *w) {
  if (!w) return false;
  pthread_mutex_lock(&w->mu);
  bool fired = w->fired;
  w->exec = NULL;
  w->fired = false;
  w->generation++;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  return fired;
}
