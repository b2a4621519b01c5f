/*
 * wasi_misc.c: the WASI calls that are not about files: arguments,
 * environment, clocks, random bytes, poll_oneoff, proc_exit/raise,
 * sched_yield, and the socket calls (no sockets are ever handed to a guest).
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform/entropy.h"
#include "wasi/wasi_internal.h"

#define U32(i) ((uint32_t)args[i].i32)

/* ---- arguments and environment: a pointer array plus a string buffer ---- */

static int strings_get(wasi_mem *m, char **v, size_t n, uint32_t ptrs, uint32_t buf) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += strlen(v[i]) + 1;
  if (!wasi_mem_ok(m, ptrs, (uint64_t)n * 4) || !wasi_mem_ok(m, buf, total)) return WASI_EFAULT;
  uint32_t at = buf;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    wasi_st32(m, ptrs + (uint32_t)i * 4, at);
    memcpy(m->base + at, v[i], len);
    at += (uint32_t)len;
  }
  return WASI_ESUCCESS;
}

static int strings_sizes(wasi_mem *m, char **v, size_t n, uint32_t count_ptr, uint32_t size_ptr) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += strlen(v[i]) + 1;
  if (total > UINT32_MAX || n > UINT32_MAX) return WASI_EOVERFLOW;
  if (!wasi_mem_ok(m, count_ptr, 4) || !wasi_mem_ok(m, size_ptr, 4)) return WASI_EFAULT;
  wasi_st32(m, count_ptr, (uint32_t)n);
  wasi_st32(m, size_ptr, (uint32_t)total);
  return WASI_ESUCCESS;
}

WASI_HOST(args_get) {
  WASI_ENTER(w, mem);
  WASI_RETURN(strings_get(&mem, w->argv, w->argc, U32(0), U32(1)));
}
WASI_HOST(args_sizes_get) {
  WASI_ENTER(w, mem);
  WASI_RETURN(strings_sizes(&mem, w->argv, w->argc, U32(0), U32(1)));
}
WASI_HOST(environ_get) {
  WASI_ENTER(w, mem);
  WASI_RETURN(strings_get(&mem, w->env, w->envc, U32(0), U32(1)));
}
WASI_HOST(environ_sizes_get) {
  WASI_ENTER(w, mem);
  WASI_RETURN(strings_sizes(&mem, w->env, w->envc, U32(0), U32(1)));
}

/* ---- clocks ------------------------------------------------------------- */

static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
    case WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return true;
    case WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case WASI_CLOCK_PROCESS_CPUTIME: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case WASI_CLOCK_THREAD_CPUTIME: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

static uint64_t ts_ns(struct timespec ts) {
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool clock_now(uint32_t id, uint64_t *ns) {
  clockid_t c;
  struct timespec ts;
  if (!host_clock(id, &c) || clock_gettime(c, &ts) != 0) return false;
  *ns = ts_ns(ts);
  return true;
}

WASI_HOST(clock_res_get) {
  WASI_ENTER(w, mem);
  (void)w;
  clockid_t c;
  struct timespec ts;
  if (!host_clock(U32(0), &c)) WASI_RETURN(WASI_EINVAL);
  if (clock_getres(c, &ts) != 0) WASI_RETURN(wasi_errno_from_host(errno));
  WASI_RETURN(wasi_put64(&mem, U32(1), ts_ns(ts)));
}

WASI_HOST(clock_time_get) {
  WASI_ENTER(w, mem);
  (void)w;
  uint64_t ns;
  if (!clock_now(U32(0), &ns)) WASI_RETURN(WASI_EINVAL);
  WASI_RETURN(wasi_put64(&mem, U32(2), ns));
}

WASI_HOST(random_get) {
  WASI_ENTER(w, mem);
  (void)w;
  if (!wasi_mem_ok(&mem, U32(0), U32(1))) WASI_RETURN(WASI_EFAULT);
  if (!tova_plat_entropy(mem.base + U32(0), U32(1))) WASI_RETURN(WASI_EIO);
  WASI_RETURN(WASI_ESUCCESS);
}

/* ---- poll_oneoff ---------------------------------------------------------- */

/* Subscription (48 bytes): userdata u64 @0, tag u8 @8; clock: id u32 @16,
 * timeout u64 @24, precision u64 @32, flags u16 @40; fd_readwrite: fd u32 @16.
 * Event (32 bytes): userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16,
 * flags u16 @24. */
static void put_event(wasi_mem *m, uint32_t at, uint64_t userdata, uint16_t error, uint8_t type,
                      uint64_t nbytes) {
  memset(m->base + at, 0, WASI_EVENT_SIZE);
  wasi_st64(m, at, userdata);
  wasi_st16(m, at + 8, error);
  m->base[at + 10] = type;
  wasi_st64(m, at + 16, nbytes);
}

/* Sleep until monotonic time `until` or tova_wasi_interrupt; false if interrupted. */
static bool sleep_until(tova_wasi *w, uint64_t until) {
  tova_plat_mutex_lock(&w->lock);
  for (;;) {
    if (atomic_load(&w->interrupted)) break;
    uint64_t now = tova_plat_monotonic_ns();
    if (now >= until) break;
    tova_plat_cond_timedwait(&w->wake, &w->lock, until - now);
  }
  tova_plat_mutex_unlock(&w->lock);
  return !atomic_load(&w->interrupted);
}

/* Readiness is answered simply: regular files and directories are always
 * ready; anything else is asked with poll(2), in slices so an interrupt is
 * seen; clocks wait on the context's condvar. */
WASI_HOST(poll_oneoff) {
  WASI_ENTER(w, mem);
  uint32_t in = U32(0), out = U32(1), n = U32(2), nevents_ptr = U32(3);
  if (n == 0) WASI_RETURN(WASI_EINVAL);
  if (!wasi_mem_ok(&mem, in, (uint64_t)n * WASI_SUBSCRIPTION_SIZE) ||
      !wasi_mem_ok(&mem, out, (uint64_t)n * WASI_EVENT_SIZE) || !wasi_mem_ok(&mem, nevents_ptr, 4))
    WASI_RETURN(WASI_EFAULT);
  struct pollfd *pfd = calloc(n, sizeof *pfd);
  uint64_t *deadline = calloc(n, sizeof *deadline); /* monotonic ns; 0 = not a clock */
  if (!pfd || !deadline) {
    free(pfd);
    free(deadline);
    WASI_RETURN(WASI_ENOMEM);
  }
  uint32_t nevents = 0;
  uint64_t earliest = UINT64_MAX;
  bool any_fd = false;
  uint64_t start = tova_plat_monotonic_ns();
  for (uint32_t i = 0; i < n; i++) {
    uint32_t s = in + i * WASI_SUBSCRIPTION_SIZE;
    uint64_t ud = wasi_ld64(&mem, s);
    uint8_t tag = mem.base[s + 8];
    pfd[i].fd = -1;
    if (tag == WASI_EVENT_CLOCK) {
      uint32_t id = wasi_ld32(&mem, s + 16);
      uint64_t timeout = wasi_ld64(&mem, s + 24);
      uint16_t flags = wasi_ld16(&mem, s + 40);
      uint64_t now;
      if (!clock_now(id, &now)) {
        put_event(&mem, out + nevents++ * WASI_EVENT_SIZE, ud, WASI_EINVAL, tag, 0);
        continue;
      }
      uint64_t rel = (flags & WASI_SUBCLOCK_ABSTIME) ? (timeout > now ? timeout - now : 0) : timeout;
      deadline[i] = rel > UINT64_MAX - start - 1 ? UINT64_MAX : start + rel + 1;
      if (deadline[i] < earliest) earliest = deadline[i];
    } else if (tag == WASI_EVENT_FD_READ || tag == WASI_EVENT_FD_WRITE) {
      wasi_fd *f = wasi_fd_get(w, wasi_ld32(&mem, s + 16));
      if (!f) {
        put_event(&mem, out + nevents++ * WASI_EVENT_SIZE, ud, WASI_EBADF, tag, 0);
      } else if (f->filetype == WASI_FILETYPE_REGULAR_FILE ||
                 f->filetype == WASI_FILETYPE_DIRECTORY) {
        put_event(&mem, out + nevents++ * WASI_EVENT_SIZE, ud, WASI_ESUCCESS, tag, 0);
      } else {
        pfd[i].fd = f->host;
        pfd[i].events = tag == WASI_EVENT_FD_READ ? POLLIN : POLLOUT;
        any_fd = true;
      }
    } else {
      put_event(&mem, out + nevents++ * WASI_EVENT_SIZE, ud, WASI_EINVAL, tag, 0);
    }
  }
  /* Clocks alone: the events are known now (the subscriptions due first), so
   * a sleeper may park the caller instead of this thread. */
  if (nevents == 0 && !any_fd && earliest != UINT64_MAX && w->sleeper) {
    uint64_t now = tova_plat_monotonic_ns();
    if (earliest > now) {
      uint32_t due = 0;
      for (uint32_t i = 0; i < n; i++) {
        if (deadline[i] != earliest) continue;
        uint32_t s = in + i * WASI_SUBSCRIPTION_SIZE;
        put_event(&mem, out + due++ * WASI_EVENT_SIZE, wasi_ld64(&mem, s), WASI_ESUCCESS,
                  WASI_EVENT_CLOCK, 0);
      }
      wasi_st32(&mem, nevents_ptr, due);
      if (w->sleeper(w->sleeper_ctx, call, earliest - now) == TOVA_SUSPENDED) {
        free(pfd);
        free(deadline);
        return TOVA_SUSPENDED;
      }
      /* Not parked: sleep here as usual (the events are written again). */
    }
  }
  bool interrupted = false;
  while (nevents == 0) {
    uint64_t now = tova_plat_monotonic_ns();
    if (any_fd) {
      /* Slices of at most 50 ms so that an interrupt ends the wait. */
      uint64_t wait_ns = earliest == UINT64_MAX ? 50000000u : (earliest > now ? earliest - now : 0);
      if (wait_ns > 50000000u) wait_ns = 50000000u;
      int r = poll(pfd, n, (int)((wait_ns + 999999) / 1000000));
      if (r < 0 && errno != EINTR) {
        free(pfd);
        free(deadline);
        WASI_RETURN(wasi_errno_from_host(errno));
      }
      for (uint32_t i = 0; r > 0 && i < n; i++) {
        if (pfd[i].fd < 0 || !pfd[i].revents) continue;
        uint32_t s = in + i * WASI_SUBSCRIPTION_SIZE;
        uint16_t err = (pfd[i].revents & POLLNVAL) ? WASI_EBADF : WASI_ESUCCESS;
        put_event(&mem, out + nevents++ * WASI_EVENT_SIZE, wasi_ld64(&mem, s), err,
                  mem.base[s + 8], 0);
      }
      if (atomic_load(&w->interrupted)) interrupted = true;
    } else if (earliest != UINT64_MAX) {
      interrupted = !sleep_until(w, earliest);
    } else {
      break; /* nothing to wait for */
    }
    if (interrupted) break;
    now = tova_plat_monotonic_ns();
    for (uint32_t i = 0; i < n; i++) {
      if (!deadline[i] || deadline[i] > now) continue;
      uint32_t s = in + i * WASI_SUBSCRIPTION_SIZE;
      put_event(&mem, out + nevents++ * WASI_EVENT_SIZE, wasi_ld64(&mem, s), WASI_ESUCCESS,
                WASI_EVENT_CLOCK, 0);
    }
  }
  free(pfd);
  free(deadline);
  if (interrupted) return tova_host_trap(call, "interrupted");
  wasi_st32(&mem, nevents_ptr, nevents);
  WASI_RETURN(WASI_ESUCCESS);
}

/* ---- process ------------------------------------------------------------ */

WASI_HOST(proc_exit) {
  tova_wasi *w = userdata;
  w->exited = true;
  w->exit_status = args[0].i32;
  char msg[48];
  snprintf(msg, sizeof msg, "wasi proc_exit %d", args[0].i32);
  return tova_host_trap(call, msg);
}

WASI_HOST(proc_raise) {
  WASI_RETURN(WASI_ENOSYS); /* signals do not exist inside the sandbox */
}

WASI_HOST(sched_yield) {
  sched_yield();
  WASI_RETURN(WASI_ESUCCESS);
}

/* ---- sockets: the embedder never hands one to the guest ---------------- */

static int not_a_socket(tova_wasi *w, uint32_t fd) {
  return wasi_fd_get(w, fd) ? WASI_ENOTSOCK : WASI_EBADF;
}
WASI_HOST(sock_accept) { WASI_RETURN(not_a_socket(userdata, U32(0))); }
WASI_HOST(sock_recv) { WASI_RETURN(not_a_socket(userdata, U32(0))); }
WASI_HOST(sock_send) { WASI_RETURN(not_a_socket(userdata, U32(0))); }
WASI_HOST(sock_shutdown) { WASI_RETURN(not_a_socket(userdata, U32(0))); }
