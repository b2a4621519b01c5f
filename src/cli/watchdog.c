/*
 * watchdog.c: `tova run --timeout MS`. A thread waits for the deadline or for
 * the run to finish, whichever comes first. At the deadline it interrupts the
 * execution (tova_exec_interrupt: the interpreter stops at its next loop
 * back-edge or call) and any WASI sleep; a guest blocked inside a host read
 * cannot be interrupted that way, so after a grace period the process exits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define GRACE_MS 2000

struct cli_watchdog {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool done;  /* the run finished (set by stop) */
  bool fired; /* the deadline passed first */
  uint64_t ms;
  tova_exec *exec;
  tova_wasi *wasi;
};

static struct timespec deadline_after(uint64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts); /* pthread_cond_timedwait's default clock */
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* Wait until done or ms pass; returns done. Called with lock held. */
static bool wait_done(cli_watchdog *d, uint64_t ms) {
  struct timespec until = deadline_after(ms);
  while (!d->done) {
    if (pthread_cond_timedwait(&d->cond, &d->lock, &until) == ETIMEDOUT) break;
  }
  return d->done;
}

static void *watch(void *arg) {
  cli_watchdog *d = arg;
  pthread_mutex_lock(&d->lock);
  if (!wait_done(d, d->ms)) {
    d->fired = true;
    tova_exec_interrupt(d->exec);
    if (d->wasi) tova_wasi_interrupt(d->wasi);
    if (!wait_done(d, GRACE_MS)) {
      fprintf(stderr, "tova: timed out after %llu ms (the program did not stop)\n",
              (unsigned long long)d->ms);
      _exit(CLI_EXIT_TIMEOUT);
    }
  }
  pthread_mutex_unlock(&d->lock);
  return NULL;
}

cli_watchdog *cli_watchdog_start(uint64_t ms, tova_exec *e, tova_wasi *w) {
  cli_watchdog *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->ms = ms;
  d->exec = e;
  d->wasi = w;
  pthread_mutex_init(&d->lock, NULL);
  pthread_cond_init(&d->cond, NULL);
  if (pthread_create(&d->thread, NULL, watch, d) != 0) {
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    free(d);
    return NULL;
  }
  return d;
}

bool cli_watchdog_stop(cli_watchdog *d) {
  if (!d) return false;
  pthread_mutex_lock(&d->lock);
  d->done = true;
  pthread_cond_signal(&d->cond);
  pthread_mutex_unlock(&d->lock);
  pthread_join(d->thread, NULL);
  bool fired = d->fired;
  pthread_cond_destroy(&d->cond);
  pthread_mutex_destroy(&d->lock);
  free(d);
  return fired;
}
