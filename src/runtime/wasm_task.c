/*
 * wasm_task.c: WebAssembly tasks: spawn, the step that instantiates, runs
 * and resumes, cancel, end, activity accounting and deadlock detection. The
 * object and its protocols are described in wasm_task.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "common/assert.h"
#include "engine/objects.h"
#include "engine/store.h"
#include "runtime/wasm_task.h"

/* Process-wide: ids for messages and JS handles; the number of active tasks
 * over every runtime (a deadlock needs every runtime of the process asleep,
 * since their tasks share channels). */
static _Atomic uint64_t next_task_id = 1;
static _Atomic int64_t process_active = 0;

#define IMPORTS_ON_STACK 16

/* ---- executions ------------------------------------------------------------ */

/* A task gets its execution when it first runs, and a task that ends gives it
 * back to a small per-thread cache: a stream of short tasks on a worker
 * allocates no execution at all, and a queued task holds none. Only
 * executions with the default stack budget are cached. */
#define EXEC_CACHE_MAX 8

typedef struct exec_cache {
  uint32_t n;
  tova_exec *e[EXEC_CACHE_MAX];
} exec_cache;

static pthread_key_t exec_cache_key;
static pthread_once_t exec_cache_once = PTHREAD_ONCE_INIT;
/* This thread's cache: the key only frees it at thread exit; every use
 * reads this pointer (a pthread_once and a key lookup per task were 1-2% of
 * a spawn-heavy run). */
static TOVA_TLS exec_cache *exec_cache_mine;

static void exec_cache_free(void *p) { /* runs on the exiting thread */
  exec_cache *c = p;
  exec_cache_mine = NULL;
  for (uint32_t i = 0; i < c->n; i++) tova_exec_free(c->e[i]);
  free(c);
}

static void exec_cache_init(void) { pthread_key_create(&exec_cache_key, exec_cache_free); }

static tova_exec *exec_take(size_t max_stack_bytes) {
  if (max_stack_bytes == 0) {
    exec_cache *c = exec_cache_mine;
    if (c && c->n) {
      tova_exec *e = c->e[--c->n];
      tova_exec_clear_interrupt(e);
      return e;
    }
  }
  return tova_exec_new(max_stack_bytes);
}

static void exec_give(tova_exec *e, size_t max_stack_bytes) {
  if (!e) return;
  if (max_stack_bytes == 0) {
    exec_cache *c = exec_cache_mine;
    if (!c) {
      pthread_once(&exec_cache_once, exec_cache_init);
      if ((c = calloc(1, sizeof *c)) != NULL && pthread_setspecific(exec_cache_key, c) != 0) {
        free(c);
        c = NULL;
      }
      exec_cache_mine = c;
    }
    if (c && c->n < EXEC_CACHE_MAX) {
      tova_exec_reset(e); /* a parked-then-cancelled execution is abandoned */
      tova_exec_trim(e);  /* a deep call once must not keep megabytes cached */
      c->e[c->n++] = e;
      return;
    }
  }
  tova_exec_free(e);
}

/* ---- activity ------------------------------------------------------------ */

void tova_rt_wasm_count(tova_runtime *rt, int64_t active, int64_t held) {
  if (active) {
    atomic_fetch_add(&process_active, active);
    atomic_fetch_add(&rt->wasm_active, active);
  }
  if (!held) return;
  int64_t before = atomic_fetch_add(&rt->wasm_held, held);
  int64_t after = before + held;
  if ((before == 0) != (after == 0) && rt->activity_fn) rt->activity_fn(rt->activity_ud);
}

/* Uncount (delta -1) or count again (+1) a task whose wstate was `ws`. */
static void count_task(tova_runtime *rt, uint32_t ws, int64_t delta) {
  tova_rt_wasm_count(rt, delta, (ws & WT_WS_WEAK) ? 0 : delta);
}

void tova_runtime_on_activity(tova_runtime *rt, tova_runtime_activity_fn fn, void *userdata) {
  if (!rt) return;
  rt->activity_ud = userdata;
  rt->activity_fn = fn;
}

bool tova_runtime_wasm_active(const tova_runtime *rt) {
  return rt && atomic_load(&((tova_runtime *)rt)->wasm_held) != 0;
}

/* Move wstate's hand-over state from `from` to `to`, keeping the weak bit;
 * false (and nothing changed) when the state is not `from`. *was gets the
 * word replaced. */
static bool ws_move(tova_wasm_task *t, uint32_t from, uint32_t to, uint32_t *was) {
  uint32_t cur = atomic_load(&t->wstate);
  for (;;) {
    if ((cur & WT_WS_STATE) != from) return false;
    if (atomic_compare_exchange_weak(&t->wstate, &cur, (cur & WT_WS_WEAK) | to)) {
      *was = cur;
      return true;
    }
  }
}

void tova_rt_wasm_wait_parked(tova_wasm_task *t, bool blocks) {
  TOVA_ASSERT(t->wait != WT_WAIT_NONE); /* called for a registered wait only */
  if (!blocks) return;
  uint32_t was;
  if (ws_move(t, WT_WS_IDLE, WT_WS_BLOCKED, &was)) count_task(t->rt, was, -1);
}

void tova_rt_wasm_wait_complete(tova_wasm_task *t, tova_status status) {
  t->wait_status = status;
  uint32_t was;
  if (!ws_move(t, WT_WS_IDLE, WT_WS_COMPLETED, &was) && ws_move(t, WT_WS_BLOCKED, WT_WS_COMPLETED, &was))
    count_task(t->rt, was, 1); /* it was BLOCKED: it counts again from now on */
  tova_task_wake(t->task);
}

/* The end's uncounting: the state becomes ENDED (unref and ref then change
 * nothing), a BLOCKED task was uncounted already. */
static void ws_end(tova_wasm_task *t) {
  uint32_t cur = atomic_load(&t->wstate);
  while (!atomic_compare_exchange_weak(&t->wstate, &cur, (cur & WT_WS_WEAK) | WT_WS_ENDED)) {
  }
  TOVA_ASSERT((cur & WT_WS_STATE) != WT_WS_ENDED); /* a task ends once */
  if ((cur & WT_WS_STATE) != WT_WS_BLOCKED) count_task(t->rt, cur, -1);
}

/* Set (weak) or clear the weak bit; wasm_held follows for a task that is
 * counted (neither BLOCKED nor ENDED). */
static void set_weak(tova_wasm_task *t, bool weak) {
  uint32_t cur = atomic_load(&t->wstate);
  for (;;) {
    if (((cur & WT_WS_WEAK) != 0) == weak) return;
    if (atomic_compare_exchange_weak(&t->wstate, &cur, weak ? cur | WT_WS_WEAK : cur & ~WT_WS_WEAK)) break;
  }
  uint32_t state = cur & WT_WS_STATE;
  if (state != WT_WS_BLOCKED && state != WT_WS_ENDED) tova_rt_wasm_count(t->rt, 0, weak ? -1 : 1);
}

void tova_wasm_task_unref(tova_wasm_task *t) {
  if (t) set_weak(t, true);
}

void tova_wasm_task_ref(tova_wasm_task *t) {
  if (t) set_weak(t, false);
}

/* ---- the lists of live tasks (tova_runtime.wasm_live) ---------------------- */

static struct tova_rt_live_stripe *live_stripe(tova_runtime *rt, const tova_wasm_task *t) {
  return &rt->wasm_live[t->id % TOVA_RT_LIVE_STRIPES];
}

/* t becomes the first of list ls (its lock held). */
static void live_link(struct tova_rt_live_stripe *ls, tova_wasm_task *t) {
  t->next = ls->head;
  if (ls->head) ls->head->prev = t;
  ls->head = t;
  ls->n++;
}

/* All the lists, locked in index order (the one order, so no deadlock). */
static void live_lock_all(tova_runtime *rt) {
  for (int s = 0; s < TOVA_RT_LIVE_STRIPES; s++) tova_plat_mutex_lock(&rt->wasm_live[s].mu);
}

static void live_unlock_all(tova_runtime *rt) {
  for (int s = TOVA_RT_LIVE_STRIPES - 1; s >= 0; s--) tova_plat_mutex_unlock(&rt->wasm_live[s].mu);
}

/* Live tasks (every list locked). */
static size_t live_count(tova_runtime *rt) {
  size_t n = 0;
  for (int s = 0; s < TOVA_RT_LIVE_STRIPES; s++) n += rt->wasm_live[s].n;
  return n;
}

/* ---- task blocks ------------------------------------------------------------ */

/* Freed blocks wait here for the next batch instead of going back to malloc:
 * a stream of batches otherwise makes the allocator trim and regrow its heap
 * all the time (a page fault per 4 KiB of tasks, in the spawning thread).
 * Bounded: BLOCK_CACHE_MAX * WT_BLOCK_BYTES (2 MiB) stays cached at most. */
#define BLOCK_CACHE_MAX 32

static struct {
  tova_plat_mutex mu;
  void *free[BLOCK_CACHE_MAX];
  size_t n;
} block_cache = {.mu = {PTHREAD_MUTEX_INITIALIZER}};

/* A block of WT_BLOCK_BYTES whose first `used` bytes are zeroed, or NULL.
 * Only those: a batch's last block of a spawn call is often mostly empty
 * (the addon spawns 256 tasks per call; a block holds ~220 small tasks),
 * and zeroing the rest touched pages nothing would use, a page fault each
 * when the memory was fresh. */
static void *block_alloc(size_t used) {
  TOVA_ASSERT(used <= WT_BLOCK_BYTES);
  tova_plat_mutex_lock(&block_cache.mu);
  void *p = block_cache.n ? block_cache.free[--block_cache.n] : NULL;
  tova_plat_mutex_unlock(&block_cache.mu);
  if (!p) p = malloc(WT_BLOCK_BYTES);
  if (p) memset(p, 0, used);
  return p;
}

static void block_free(void *p) {
  tova_plat_mutex_lock(&block_cache.mu);
  bool kept = block_cache.n < BLOCK_CACHE_MAX;
  if (kept) block_cache.free[block_cache.n++] = p;
  tova_plat_mutex_unlock(&block_cache.mu);
  if (!kept) free(p);
}

#define ROUND_BLOCK(n) (((n) + WT_BLOCK_ALIGN - 1) / WT_BLOCK_ALIGN * WT_BLOCK_ALIGN)
#define BLOCK_HEAD ROUND_BLOCK(sizeof(wt_block))

/* Where a task's deadline timer goes in its allocation: after the values and
 * the name, aligned. */
static size_t deadline_offset(uint32_t nparams, uint32_t nresults, size_t func_len) {
  size_t end = sizeof(tova_wasm_task) + ((size_t)nparams + nresults) * sizeof(tova_val) + func_len;
  size_t align = _Alignof(tova_rt_timer);
  return (end + align - 1) / align * align;
}

/* Bytes of a task: the struct, then its argument and result values, then the
 * export's name, then (timer_room: it has a timeout) its deadline timer; in a
 * block, rounded up to WT_BLOCK_ALIGN. */
/* The deadline timer of a task with timer_room. */
static tova_rt_timer *wt_deadline(tova_wasm_task *t) {
  return (tova_rt_timer *)((char *)t + deadline_offset(t->ft->nparams, t->ft->nresults, t->func_len));
}

static size_t task_size(uint32_t nparams, uint32_t nresults, size_t func_len, bool timer_room) {
  return timer_room ? deadline_offset(nparams, nresults, func_len) + sizeof(tova_rt_timer)
                    : sizeof(tova_wasm_task) + ((size_t)nparams + nresults) * sizeof(tova_val) +
                          func_len;
}
static size_t block_stride(uint32_t nparams, uint32_t nresults, size_t func_len, bool timer_room) {
  return ROUND_BLOCK(task_size(nparams, nresults, func_len, timer_room));
}

static wt_block *block_of(const tova_wasm_task *t) {
  if (!t->in_block) return NULL;
  size_t stride = block_stride(t->ft->nparams, t->ft->nresults, t->func_len, t->timer_room);
  return (wt_block *)((uint8_t *)t - BLOCK_HEAD - (size_t)t->block_index * stride);
}

/* ---- references ---------------------------------------------------------- */

void tova_wasm_task_retain(tova_wasm_task *t) {
  if (t) atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void tova_wasm_task_release(tova_wasm_task *t) {
  if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1) return;
  if (t->wasi) tova_wasi_free(t->wasi);
  free(t->message);
  wt_block *b = block_of(t);
  if (!b) {
    tova_module_release(t->module);
    free(t);
  } else if (atomic_fetch_sub_explicit(&b->live, 1, memory_order_acq_rel) == 1) {
    tova_module_release(b->module);
    block_free(b);
  }
}

uint64_t tova_wasm_task_id(const tova_wasm_task *t) { return t ? t->id : 0; }

tova_status tova_wasm_task_status(const tova_wasm_task *t, tova_error *err) {
  if (!t) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "no task");
  if (t->status == TOVA_OK) {
    if (err) {
      err->status = TOVA_OK;
      err->message[0] = 0;
    }
    return TOVA_OK;
  }
  return tova_error_set(err, t->status, "%s", t->message ? t->message : tova_status_code(t->status));
}

bool tova_wasm_task_exit_code(const tova_wasm_task *t, int *code) {
  if (!t || !t->wasi || t->status != TOVA_OK) return false;
  if (code && !(t->exited && tova_wasi_exit_status(t->wasi, code))) *code = 0;
  return true;
}

size_t tova_wasm_task_rows_done(const tova_wasm_task *t) {
  return !t ? 0 : t->status == TOVA_OK ? t->nrows : t->row;
}

const tova_val *tova_wasm_task_results(const tova_wasm_task *t, tova_functype *type) {
  if (!t) return NULL;
  if (type) *type = *t->ft;
  return wt_results((tova_wasm_task *)t);
}

/* ---- ending -------------------------------------------------------------- */

static const char *wait_text(wt_wait_kind k) {
  switch (k) {
    case WT_WAIT_SEND: return "to send on";
    case WT_WAIT_RECV: return "to receive on";
    case WT_WAIT_SELECT: return "in a select on";
    default: return "on";
  }
}

/* Set the final status and message (once). */
static void set_result(tova_wasm_task *t, tova_status st, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void set_result(tova_wasm_task *t, tova_status st, const char *fmt, ...) {
  t->status = st;
  free(t->message);
  t->message = NULL;
  if (st == TOVA_OK || !fmt) return;
  char buf[TOVA_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  t->message = strdup(buf);
}

/* The final status of a task that was cancelled with `why`. */
static void set_cancelled(tova_wasm_task *t, tova_status why) {
  const char *f = wt_func(t);
  int fl = (int)(t->func_len > 64 ? 64 : t->func_len);
  switch (why) {
    case TOVA_ERR_TIMEOUT:
      set_result(t, why, "%.*s timed out (task %" PRIu64 ")", fl, f, t->id);
      break;
    case TOVA_ERR_SHUTDOWN:
      set_result(t, why, "%.*s was stopped: the runtime is shutting down (task %" PRIu64 ")", fl,
                 f, t->id);
      break;
    case TOVA_ERR_DEADLOCK:
      set_result(t, why,
                 "deadlock: all tasks are asleep; task %" PRIu64 " (%.*s) waits %s channel %u",
                 t->id, fl, f, wait_text(t->last_wait), (unsigned)t->last_chan);
      break;
    default:
      set_result(t, why, "%.*s was cancelled (task %" PRIu64 ")", fl, f, t->id);
      break;
  }
}

/* The pool's done callback: runs once, on a worker, or on the thread that
 * drained the task at shutdown (status SHUTDOWN, step maybe never run). */
static void wt_done(tova_task *task, void *userdata, tova_status status) {
  tova_wasm_task *t = userdata;
  (void)task;
  if (status != TOVA_OK && t->status == TOVA_PENDING) {
    tova_status why = (tova_status)atomic_load(&t->cancel);
    set_cancelled(t, why ? why : status);
  }
  tova_plat_spin_lock(&t->mu);
  t->ended = true;
  tova_exec *exec = t->exec;
  t->exec = NULL;
  if (t->store) tova_store_free(t->store);
  t->store = NULL;
  t->inst = NULL;
  t->fn_index = WT_NO_FN;
  /* A select withdrawn by a cancel was never resumed: drop our reference
   * (t->sel is live only while the wait is a select, see wasm_task.h). */
  tova_select *sel = NULL;
  if (t->wait == WT_WAIT_SELECT) {
    sel = t->sel;
    t->sel = NULL;
  }
  free(t->sel_cases);
  t->sel_cases = NULL;
  tova_plat_spin_unlock(&t->mu);
  if (sel) tova_select_release(sel);
  exec_give(exec, t->max_stack_bytes);
  if (t->deadline_armed && tova_rt_timer_disarm(&t->rt->timers, wt_deadline(t)))
    tova_wasm_task_release(t); /* the deadline's reference */

  tova_runtime *rt = t->rt;
  struct tova_rt_live_stripe *ls = live_stripe(rt, t);
  tova_plat_mutex_lock(&ls->mu);
  if (t->prev) t->prev->next = t->next;
  else ls->head = t->next;
  if (t->next) t->next->prev = t->prev;
  t->next = t->prev = NULL;
  ls->n--;
  tova_plat_mutex_unlock(&ls->mu);
  t->task = NULL;
  /* done first, then the activity drop: an embedder that stops waiting when
   * nothing is active (the addon unrefs the JS event loop) has then already
   * been handed this result. */
  if (t->done) t->done(t, t->userdata);
  ws_end(t);
  tova_wasm_task_release(t); /* the runtime's reference */
}

/* ---- the step ------------------------------------------------------------ */

/* How big a store the last instantiation of a module on this thread needed
 * (WASI functions, `tova` imports, the instance, its memory's bookkeeping):
 * the next task of that module gets a store of that size, one allocation
 * holding everything (the default store, built for small instances, would
 * add chunks that are mostly empty, which a million parked tasks of a module
 * with a memory and a few functions would feel). Per thread: no sharing, and
 * a worker usually runs many tasks of one module in a row. A stale entry (the
 * module was freed and another got its address) only gives one store a wrong
 * size: it then grows by chunks as usual, or has room to spare. */
static TOVA_TLS struct {
  const tova_module *module;
  size_t bytes;
} store_hint;

static tova_status instantiate(tova_wasm_task *t, tova_error *err) {
  bool hinted = store_hint.module == t->module;
  t->store = hinted ? wasm_store_new_sized(NULL, store_hint.bytes) : tova_store_new(NULL);
  if (!t->store) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory for a store");
  uint32_t n = tova_module_import_count(t->module);
  tova_extern on_stack[IMPORTS_ON_STACK];
  tova_extern *ext = n <= IMPORTS_ON_STACK ? on_stack : malloc(n * sizeof *ext);
  if (!ext) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory for imports");
  tova_status st = TOVA_OK;
  tova_linker *wl = NULL;
  if (t->wasi) {
    wl = tova_linker_new();
    st = wl ? tova_wasi_define(t->wasi, t->store, wl)
            : tova_error_set(err, TOVA_ERR_NOMEM, "out of memory for WASI");
    /* A sleeping WASI program parks instead of holding this worker. */
    tova_wasi_set_sleeper(t->wasi, tova_rt_wasi_sleep, t);
    if (st != TOVA_OK && st != TOVA_ERR_NOMEM) tova_error_set(err, st, "cannot define WASI");
  }
  const wt_block *blk = block_of(t);
  tova_func *const *known = blk ? blk->imports : NULL; /* resolved once per block */
  for (uint32_t i = 0; i < n && st == TOVA_OK; i++) {
    ext[i].kind = TOVA_EXTERN_FUNC;
    if (known) {
      ext[i].of.func = known[i];
      continue;
    }
    tova_import_info im;
    tova_module_import_at(t->module, i, &im);
    if (wl && !(im.module_len == 4 && memcmp(im.module, "tova", 4) == 0)) {
      /* Checked at spawn: a WASI import (its type is checked by instantiation). */
      if (tova_linker_get(wl, im.module, im.module_len, im.name, im.name_len, &ext[i]) != TOVA_OK)
        st = tova_error_set(err, TOVA_ERR_UNLINKABLE, "unknown import %.*s.%.*s",
                            (int)(im.module_len > 64 ? 64 : im.module_len), im.module,
                            (int)(im.name_len > 64 ? 64 : im.name_len), im.name);
      continue;
    }
    /* Checked at spawn: every other import is a known `tova` function (the
     * process-wide object: nothing of it is in the store). */
    ext[i].of.func = tova_rt_tova_import(im.name, im.name_len, &im.functype, err);
    if (!ext[i].of.func) st = err->status;
  }
  /* The task holds its module (or its block does) until after its store,
   * and with it the instance, is freed (wt_done, tova_wasm_task_release). */
  if (st == TOVA_OK)
    /* Without WASI every import is a `tova` function whose signature the
     * spawn checked (tova_rt_tova_import); WASI's are checked here. */
    st = wasm_instance_new_borrowing(t->store, t->module, ext, n, t->exec, !t->wasi, &t->inst, err);
  if (wl) tova_linker_free(wl); /* the functions themselves live in the store */
  if (ext != on_stack) free(ext);
  if (st != TOVA_OK) return st;
  if (t->in_block) {
    t->fn_index = block_of(t)->fn_index;
  } else {
    const wasm_export *ex = wasm_module_find_export(t->module, wt_func(t), t->func_len);
    if (!ex || ex->kind != TOVA_EXTERN_FUNC)
      return tova_error_set(err, TOVA_ERR_NOT_FOUND, "no exported function");
    t->fn_index = ex->index;
  }
  /* What this instance took (the same for every instance of a module): a
   * stale hint is corrected by the first task that had it. */
  store_hint.module = t->module;
  store_hint.bytes = wasm_store_used(t->store);
  return TOVA_OK;
}

/* Did t's wait end by itself (a value handed over, a send taken, a select
 * fired or timed out) rather than by a cancel withdrawing it? */
static bool wait_ended_by_itself(tova_wasm_task *t) {
  tova_plat_spin_lock(&t->mu);
  bool yes = t->wait != WT_WAIT_NONE && t->wait_status != TOVA_PENDING &&
             t->wait_status != TOVA_ERR_CANCELLED;
  tova_plat_spin_unlock(&t->mu);
  return yes;
}

static tova_status wt_step(tova_task *task, void *userdata) {
  tova_wasm_task *t = userdata;
  t->task = task; /* for the wake-ups of the waits this step registers */
  tova_error err;
  tova_status st;
  tova_status why = (tova_status)atomic_load(&t->cancel);
  /* A cancel that came after the task's wait had ended does not undo the
   * wait: a receive that completed gave its value to this task and to no
   * other, and cancelling now would lose it. The task resumes with what it
   * got; the cancel's interrupt (sticky) stops it at its next back-edge or
   * call, and a task that returns first ends with its result. */
  if (why && !(t->fn_index != WT_NO_FN && wait_ended_by_itself(t))) {
    set_cancelled(t, why);
    return why;
  }
  tova_func room;
  if (t->fn_index == WT_NO_FN) {
    tova_exec *e = exec_take(t->max_stack_bytes);
    if (!e) {
      set_result(t, TOVA_ERR_NOMEM, "%.*s: out of memory for an execution",
                 (int)(t->func_len > 64 ? 64 : t->func_len), wt_func(t));
      return TOVA_ERR_NOMEM;
    }
    tova_exec_set_userdata(e, t); /* how the `tova` imports find their task */
    tova_plat_spin_lock(&t->mu);
    t->exec = e;
    tova_plat_spin_unlock(&t->mu);
    /* A cancel that came before t->exec was set could not interrupt it. */
    why = (tova_status)atomic_load(&t->cancel);
    if (why) {
      set_cancelled(t, why);
      return why;
    }
    st = instantiate(t, &err);
    if (st == TOVA_OK) {
      st = tova_exec_call(t->exec, wasm_instance_func_for_call(t->inst, t->fn_index, &room),
                          t->rows_args, t->rows_results, &err);
    } else if (st != TOVA_ERR_CANCELLED) {
      char why_msg[TOVA_ERROR_MAX];
      snprintf(why_msg, sizeof why_msg, "%s", err.message);
      tova_error_set(&err, st, "instantiating the module: %s", why_msg);
    }
  } else {
    tova_val host[1] = {{0}};
    tova_rt_tova_wait_results(t, host);
    st = tova_exec_resume(t->exec, host, t->rows_results + (size_t)t->row * t->ft->nresults, &err);
  }
  /* Bulk: the next rows, on the same instance and execution. */
  while (st == TOVA_OK && ++t->row < t->nrows) {
    if (atomic_load(&t->cancel)) {
      st = TOVA_ERR_CANCELLED;
      break;
    }
    st = tova_exec_call(t->exec, wasm_instance_func_for_call(t->inst, t->fn_index, &room),
                        t->rows_args + (size_t)t->row * t->ft->nparams,
                        t->rows_results + (size_t)t->row * t->ft->nresults, &err);
  }
  if (st == TOVA_SUSPENDED) return TOVA_SUSPENDED;
  /* A cancel wins over whatever the interrupted code was doing (a host call
   * refused because of it traps, an interrupted loop reports CANCELLED). */
  why = (tova_status)atomic_load(&t->cancel);
  int fl = (int)(t->func_len > 64 ? 64 : t->func_len);
  if (st == TOVA_ERR_TRAP && t->wasi && tova_wasi_exit_status(t->wasi, NULL)) {
    t->exited = true; /* proc_exit: the program ended, with a status (kept by t->wasi) */
    st = TOVA_OK;
  }
  if (st != TOVA_OK && why) {
    set_cancelled(t, why);
    st = why;
  } else if (st == TOVA_OK) {
    set_result(t, TOVA_OK, NULL);
  } else if (st == TOVA_ERR_TRAP) { /* bulk: tova_wasm_task_rows_done says which row */
    set_result(t, st, "trap in %.*s: %s", fl, wt_func(t), err.message);
  } else {
    set_result(t, st, "%.*s failed: %s", fl, wt_func(t), err.message);
  }
  return st;
}

/* ---- spawn --------------------------------------------------------------- */

static void deadline_fired(tova_rt_timer *timer, void *userdata) {
  tova_wasm_task *t = userdata;
  (void)timer;
  tova_wasm_task_cancel(t, TOVA_ERR_TIMEOUT);
  tova_wasm_task_release(t); /* the deadline's reference */
}

/* Every import must be a `tova` function we provide, with its signature. */
static tova_status check_imports(tova_module *m, bool wasi, tova_error *err) {
  uint32_t n = tova_module_import_count(m);
  for (uint32_t i = 0; i < n; i++) {
    tova_import_info im;
    tova_module_import_at(m, i, &im);
    if (wasi && im.module_len == 22 && memcmp(im.module, "wasi_snapshot_preview1", 22) == 0) continue;
    if (im.module_len != 4 || memcmp(im.module, "tova", 4) != 0 || im.kind != TOVA_EXTERN_FUNC)
      return tova_error_set(err, TOVA_ERR_UNLINKABLE,
                            "unknown import %.*s.%.*s: a task can import only the functions of "
                            "module \"tova\" (docs/host-imports.md), and of WASI when run as a "
                            "WASI program",
                            (int)(im.module_len > 64 ? 64 : im.module_len), im.module,
                            (int)(im.name_len > 64 ? 64 : im.name_len), im.name);
    if (!tova_rt_tova_import(im.name, im.name_len, &im.functype, err)) return err->status;
  }
  return TOVA_OK;
}

/* Validate cfg (export, arguments, imports; `same` skips the checks already
 * made for the previous config of a batch); *ft is the export's signature. */
static tova_status check(tova_runtime *rt, const tova_wasm_task_config *cfg, bool same,
                         const tova_functype **ftp, tova_error *err) {
  if (!rt || !cfg || !cfg->module || (!cfg->func && cfg->func_len) || (cfg->nargs && !cfg->args))
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "wasm task: missing runtime, module or func");
  int fl = (int)(cfg->func_len > 64 ? 64 : cfg->func_len);
  if (!same) {
    const wasm_export *ex = wasm_module_find_export(cfg->module, cfg->func, cfg->func_len);
    if (!ex || ex->kind != TOVA_EXTERN_FUNC)
      return tova_error_set(err, TOVA_ERR_NOT_FOUND, "the module has no exported function '%.*s'",
                            fl, cfg->func);
    *ftp = wasm_func_type(cfg->module, ex->index); /* the module's: tasks point at it */
    tova_status st = check_imports(cfg->module, cfg->wasi != NULL, err);
    if (st != TOVA_OK) return st;
  }
  const tova_functype *ft = *ftp;
  if (cfg->nrows && ((ft->nparams && !cfg->rows_args) || (ft->nresults && !cfg->rows_results)))
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "wasm task: %zu rows without their arrays",
                          cfg->nrows);
  if (!cfg->nrows && cfg->nargs != ft->nparams)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "%.*s takes %u argument(s), %u given", fl,
                          cfg->func, ft->nparams, cfg->nargs);
  if (cfg->nrows > UINT32_MAX) /* the width of t->nrows */
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "wasm task: %zu rows (at most %u)",
                          cfg->nrows, (unsigned)UINT32_MAX);
  /* An export's name fits in 32 bits (the module checked the one we found). */
  TOVA_ASSERT(cfg->func_len <= UINT32_MAX);
  return TOVA_OK;
}

static size_t task_bytes(const tova_wasm_task_config *cfg, const tova_functype *ft) {
  return task_size(ft->nparams, ft->nresults, cfg->func_len, cfg->timeout_ms > 0);
}

/* Build the task for a checked cfg in `mem` (task_bytes of zeros), not yet
 * live. In a block, the block's reference to the module stands for the
 * task's; else the task retains it. */
static tova_wasm_task *build(tova_runtime *rt, const tova_wasm_task_config *cfg,
                             const tova_functype *ft, void *mem, bool in_block, size_t index,
                             uint64_t id) {
  tova_wasm_task *t = mem;
  t->ft = ft; /* wt_args, wt_results and wt_func need the counts */
  if (cfg->func_len) memcpy((char *)wt_func(t), cfg->func, cfg->func_len);
  t->func_len = (uint32_t)cfg->func_len;
  t->timer_room = cfg->timeout_ms > 0;
  if (cfg->nrows) {
    t->nrows = (uint32_t)cfg->nrows;
    t->rows_args = cfg->rows_args;
    t->rows_results = cfg->rows_results;
  } else {
    for (uint32_t i = 0; i < ft->nparams; i++) wt_args(t)[i] = cfg->args[i];
    t->nrows = 1;
    t->rows_args = wt_args(t);
    t->rows_results = wt_results(t);
  }
  tova_plat_spin_init(&t->mu);
  t->max_stack_bytes = cfg->max_stack_bytes;
  if (!in_block) tova_module_retain(cfg->module);
  t->module = cfg->module;
  t->in_block = in_block;
  t->block_index = (uint16_t)index;
  t->rt = rt;
  t->id = id;
  t->done = cfg->done;
  t->userdata = cfg->userdata;
  t->status = TOVA_PENDING;
  t->fn_index = WT_NO_FN;
  atomic_init(&t->refs, 2); /* the caller + the runtime until ended */
  atomic_init(&t->cancel, 0);
  atomic_init(&t->wstate, WT_WS_IDLE);
  return t;
}

/* Check cfg and build its task in its own allocation, not yet live. */
static tova_status prepare(tova_runtime *rt, const tova_wasm_task_config *cfg, bool same,
                           const tova_functype **ftp, tova_wasm_task **out, tova_error *err) {
  *out = NULL;
  tova_status st = check(rt, cfg, same, ftp, err);
  if (st != TOVA_OK) return st;
  const tova_functype *ft = *ftp;
  void *mem = calloc(1, task_bytes(cfg, ft));
  if (!mem) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory for a task");
  *out = build(rt, cfg, ft, mem, false, 0, atomic_fetch_add(&next_task_id, 1));
  return TOVA_OK;
}

/* Undo prepare() for a task that never went live. */
static void unprepare(tova_wasm_task *t) {
  atomic_store(&t->refs, 1);
  tova_wasm_task_release(t);
}

/* List tasks[0..n) as live, count them active, arm their deadlines. */
static void go_live(tova_runtime *rt, tova_wasm_task *const *tasks, size_t n,
                    const tova_wasm_task_config *cfgs, size_t cfg_stride) {
  if (n == 1) {
    struct tova_rt_live_stripe *ls = live_stripe(rt, tasks[0]);
    tova_plat_mutex_lock(&ls->mu);
    live_link(ls, tasks[0]);
    tova_plat_mutex_unlock(&ls->mu);
  } else {
    live_lock_all(rt);
    for (size_t i = 0; i < n; i++) live_link(live_stripe(rt, tasks[i]), tasks[i]);
    live_unlock_all(rt);
  }
  tova_rt_wasm_count(rt, (int64_t)n, (int64_t)n); /* referenced from birth */
  for (size_t i = 0; i < n; i++) {
    const tova_wasm_task_config *cfg = cfg_stride ? &cfgs[i] : cfgs;
    tova_wasm_task *t = tasks[i];
    t->wasi = cfg->wasi; /* taken over from here on */
    if (cfg->timeout_ms > 0) { /* build() made room for the timer */
      TOVA_ASSERT(t->timer_room);
      tova_rt_timer *d = wt_deadline(t);
      tova_rt_timer_init(d, deadline_fired, t);
      atomic_fetch_add(&t->refs, 1);
      t->deadline_armed = true;
      if (!tova_rt_timer_arm(&rt->timers, d, cfg->timeout_ms)) {
        t->deadline_armed = false;
        atomic_fetch_sub(&t->refs, 1);
      }
    }
  }
}

tova_status tova_wasm_task_spawn(tova_runtime *rt, const tova_wasm_task_config *cfg,
                                 tova_wasm_task **out, tova_error *err) {
  if (out) *out = NULL;
  const tova_functype *ft = NULL;
  tova_wasm_task *t;
  tova_status st = prepare(rt, cfg, false, &ft, &t, err);
  if (st != TOVA_OK) return st;
  go_live(rt, &t, 1, cfg, 0);
  /* From here the task may end (and call done) at any moment: the caller's
   * reference keeps it valid for *out. The pool task is recorded by the
   * step itself (t->task), so nothing here races with it. */
  if (out) *out = t;
  st = tova_task_spawn(rt, wt_step, wt_done, t, NULL);
  if (st != TOVA_OK) wt_done(NULL, t, st); /* never queued: end it as the pool would */
  if (!out) tova_wasm_task_release(t);     /* no handle wanted */
  return TOVA_OK;
}

/* The config before cfgs[i] has the same module, export and WASI-ness, so
 * the checks made for it hold, and its task has the same size. */
static bool same_as_previous(const tova_wasm_task_config *cfgs, size_t i) {
  const tova_wasm_task_config *c = &cfgs[i], *p = &cfgs[i - 1];
  return i > 0 && c->module == p->module && c->func_len == p->func_len &&
         (c->func == p->func || (c->func_len && memcmp(c->func, p->func, c->func_len) == 0)) &&
         (c->wasi != NULL) == (p->wasi != NULL) && (c->timeout_ms > 0) == (p->timeout_ms > 0);
}

static uint32_t block_imports(const tova_wasm_task_config *cfg) {
  return cfg->wasi ? 0 : tova_module_import_count(cfg->module);
}

/* How many tasks like cfg's fit in one block (with its imports). */
static size_t block_fits(const tova_wasm_task_config *cfg, const tova_functype *ft) {
  size_t fixed = BLOCK_HEAD + (size_t)block_imports(cfg) * sizeof(tova_func *);
  if (fixed >= WT_BLOCK_BYTES) return 0;
  size_t k = (WT_BLOCK_BYTES - fixed) /
             block_stride(ft->nparams, ft->nresults, cfg->func_len, cfg->timeout_ms > 0);
  return k < WT_BLOCK_MAX ? k : WT_BLOCK_MAX;
}

/* Build the checked tasks cfgs[0..k) (one run of same configs, k <=
 * block_fits) in one block. False when out of memory. */
static bool build_block(tova_runtime *rt, const tova_wasm_task_config *cfgs, size_t k,
                        const tova_functype *ft, tova_wasm_task **out) {
  tova_module *m = cfgs[0].module;
  uint32_t nimports = block_imports(&cfgs[0]);
  size_t stride = block_stride(ft->nparams, ft->nresults, cfgs[0].func_len, cfgs[0].timeout_ms > 0);
  uint8_t *b = block_alloc(BLOCK_HEAD + k * stride + nimports * sizeof(tova_func *));
  if (!b) return false;
  wt_block *hdr = (wt_block *)b;
  atomic_init(&hdr->live, k);
  tova_module_retain(m);
  hdr->module = m;
  /* check() found it for the first config; the others have the same. */
  hdr->fn_index = wasm_module_find_export(m, cfgs[0].func, cfgs[0].func_len)->index;
  if (nimports) {
    /* check() accepted them: every import is a known `tova` function. */
    tova_func **imps = (tova_func **)(b + BLOCK_HEAD + k * stride);
    for (uint32_t i = 0; i < nimports; i++) {
      tova_import_info im;
      tova_error ignored;
      tova_module_import_at(m, i, &im);
      imps[i] = tova_rt_tova_import(im.name, im.name_len, &im.functype, &ignored);
    }
    hdr->imports = imps;
  }
  uint64_t id = atomic_fetch_add(&next_task_id, k);
  for (size_t i = 0; i < k; i++)
    out[i] = build(rt, &cfgs[i], ft, b + BLOCK_HEAD + i * stride, true, i, id + i);
  return true;
}

tova_status tova_wasm_task_spawn_batch(tova_runtime *rt, size_t n, const tova_wasm_task_config *cfgs,
                                       tova_wasm_task **out, size_t *failed, tova_error *err) {
  if (failed) *failed = 0;
  if (!out || (n && !cfgs)) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "wasm task batch: missing arrays");
  if (n == 0) return TOVA_OK;
  const tova_functype *ft = NULL;
  /* Runs of configs with the same module and export (Tova's compiler sends
   * the same for every task) are checked once and built WT_BLOCK_MAX at a
   * time in one block: one allocation instead of one per task, and, as the
   * tasks end on the workers, one free instead of one per task (frees of
   * the spawning thread's memory on other threads contend for its
   * allocator's lock). */
  size_t i = 0;
  while (i < n) {
    size_t j = i + 1, bad = i, fits = 0;
    tova_status st = check(rt, &cfgs[i], false, &ft, err);
    if (st == TOVA_OK) fits = block_fits(&cfgs[i], ft);
    while (st == TOVA_OK && j < n && j - i < fits && same_as_previous(cfgs, j)) {
      st = check(rt, &cfgs[j], true, &ft, err);
      if (st == TOVA_OK) j++;
      else bad = j;
    }
    if (st == TOVA_OK && j - i == 1) {
      st = prepare(rt, &cfgs[i], true, &ft, &out[i], err);
    } else if (st == TOVA_OK && !build_block(rt, &cfgs[i], j - i, ft, &out[i])) {
      st = tova_error_set(err, TOVA_ERR_NOMEM, "out of memory for %zu tasks", j - i);
    }
    if (st != TOVA_OK) {
      for (size_t k = 0; k < i; k++) unprepare(out[k]);
      for (size_t k = 0; k < n; k++) out[k] = NULL;
      if (failed) *failed = bad;
      return st;
    }
    i = j;
  }
  go_live(rt, out, n, cfgs, 1);
  /* One allocation for the n pool tasks and one queue operation. */
  tova_status st = tova_task_spawn_batch(rt, n, wt_step, wt_done, (void *const *)out, NULL);
  if (st != TOVA_OK)
    for (size_t k = 0; k < n; k++) wt_done(NULL, out[k], st); /* never queued */
  return TOVA_OK;
}

/* ---- cancel --------------------------------------------------------------- */

void tova_wasm_task_cancel(tova_wasm_task *t, tova_status why) {
  if (!t) return;
  if (why != TOVA_ERR_TIMEOUT && why != TOVA_ERR_SHUTDOWN && why != TOVA_ERR_DEADLOCK)
    why = TOVA_ERR_CANCELLED;
  uint32_t none = 0;
  if (!atomic_compare_exchange_strong(&t->cancel, &none, (uint32_t)why)) return; /* first wins */
  tova_plat_spin_lock(&t->mu);
  if (!t->ended) {
    if (t->exec) tova_exec_interrupt(t->exec); /* else the step sees the flag first */
    if (t->wasi) tova_wasi_interrupt(t->wasi);    /* a guest blocked in poll_oneoff */
    if (t->wait != WT_WAIT_NONE && tova_rt_tova_wait_withdraw(t)) {
      tova_plat_spin_unlock(&t->mu);
      tova_rt_wasm_wait_complete(t, TOVA_ERR_CANCELLED);
      return;
    }
  }
  tova_plat_spin_unlock(&t->mu);
}

/* ---- shutdown and deadlock ------------------------------------------------ */

/* Cancel every live task with `why`; the list lock is not held while
 * cancelling (a cancel may complete a task, whose end takes that lock). */
static size_t cancel_all(tova_runtime *rt, tova_status why) {
  live_lock_all(rt);
  size_t n = live_count(rt), k = 0;
  tova_wasm_task **list = n ? malloc(n * sizeof *list) : NULL;
  for (int s = 0; s < TOVA_RT_LIVE_STRIPES && list; s++) {
    for (tova_wasm_task *t = rt->wasm_live[s].head; t; t = t->next) {
      tova_wasm_task_retain(t);
      list[k++] = t;
    }
  }
  live_unlock_all(rt);
  for (size_t i = 0; i < k; i++) {
    tova_wasm_task_cancel(list[i], why);
    tova_wasm_task_release(list[i]);
  }
  free(list);
  return k;
}

void tova_rt_wasm_shutdown(tova_runtime *rt) { cancel_all(rt, TOVA_ERR_SHUTDOWN); }

size_t tova_runtime_deadlock(tova_runtime *rt, char *report, size_t report_cap) {
  if (report && report_cap) report[0] = 0;
  if (!rt) return 0;
  live_lock_all(rt);
  size_t nlive = live_count(rt);
  bool dead = nlive > 0 && atomic_load(&rt->wasm_active) == 0 && atomic_load(&process_active) == 0;
  if (dead && report && report_cap) {
    size_t used = (size_t)snprintf(report, report_cap, "deadlock: all %zu tasks are asleep on channels:", nlive);
    int shown = 0;
    for (int s = 0; s < TOVA_RT_LIVE_STRIPES; s++)
      for (tova_wasm_task *t = rt->wasm_live[s].head; t && used < report_cap && shown < 8; t = t->next, shown++)
        used += (size_t)snprintf(report + used, report_cap - used,
                                 " task %" PRIu64 " (%.*s) waits %s channel %u;", t->id,
                                 (int)(t->func_len > 32 ? 32 : t->func_len), wt_func(t),
                                 wait_text(t->last_wait), (unsigned)t->last_chan);
  }
  live_unlock_all(rt);
  return dead ? cancel_all(rt, TOVA_ERR_DEADLOCK) : 0;
}
