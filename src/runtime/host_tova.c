/*
 * host_tova.c: the host imports of module "tova", linked into every
 * WebAssembly task whose module imports them (ABI: docs/host-imports.md).
 *
 *   chan_create(cap i32) -> i32           new channel id, -1 on failure
 *   chan_send(ch i32, v i64) -> i32       0 taken; -1 closed/unknown; PARKS while full
 *   chan_receive(ch i32) -> i64           the value; i64 min once closed and drained
 *                                         or unknown; PARKS while empty
 *   chan_close(ch i32) -> i32             0 closed now; -1 already closed/unknown
 *   chan_try_send(ch i32, v i64) -> i32   0 sent, 1 full, -1 closed/unknown
 *   chan_try_receive(ch i32, out i32) -> i32
 *                                         0 received (i64 stored at out), 1 empty,
 *                                         -1 closed and drained/unknown
 *   sleep(ms i64)                         PARKS for ms milliseconds (<= 0: yield)
 *   yield()                               lets other tasks run
 *   now_ms() -> i64                       monotonic milliseconds
 *   select(cases i32, n i32, timeout_ms i64) -> i32
 *                                         n cases of 16 bytes at `cases`:
 *                                         {ch i32, op i32 (0 recv, 1 send), value i64};
 *                                         returns the index that fired, -1 for the
 *                                         timeout (timeout_ms > 0) or when nothing is
 *                                         ready (timeout_ms == 0, Go's default);
 *                                         timeout_ms < 0 waits for ever. The fired
 *                                         case gets the received value, and op |= 2
 *                                         when its channel was closed or unknown.
 *
 * Parking follows wasm_task.h: under t->mu, refuse if cancelled, register
 * the wait, return TOVA_SUSPENDED; the completer records the outcome and
 * wakes the task; tova_rt_tova_wait_results turns the outcome into the
 * import's result when the step resumes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/assert.h"
#include "runtime/chan_internal.h"
#include "runtime/wasm_task.h"

#define I32 TOVA_I32
#define I64 TOVA_I64
#define CLOSED_VALUE INT64_MIN /* chan_receive's "closed and drained" (Tova's convention) */
#define SELECT_CASE_BYTES 16u
#define SELECT_MAX_CASES 4096u

/* ---- linear memory ----------------------------------------------------------- */

/* [addr, addr+len) of inst's memory 0, or NULL when out of bounds. `write`:
 * the caller will store there (the memory must then know it may be dirty,
 * see `written` in engine/store.h). */
static uint8_t *inst_ptr(tova_instance *inst, uint64_t addr, uint64_t len, bool write) {
  tova_memory *m = inst ? inst->mem0 : NULL;
  if (!m || !m->base || addr > m->size || len > m->size - addr) return NULL;
  if (write) wasm_memory_note_writer(m);
  return m->base + addr;
}

static uint8_t *guest_ptr(tova_host_call *call, uint64_t addr, uint64_t len, bool write) {
  return inst_ptr(tova_host_call_instance(call), addr, len, write);
}

static void store_i64(uint8_t *p, int64_t v) {
  uint64_t u = (uint64_t)v;
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i)); /* little-endian, as wasm */
}

static int64_t load_i64(const uint8_t *p) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = (u << 8) | p[i];
  return (int64_t)u;
}

static void store_i32(uint8_t *p, int32_t v) {
  uint32_t u = (uint32_t)v;
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static int32_t load_i32(const uint8_t *p) {
  uint32_t u = 0;
  for (int i = 3; i >= 0; i--) u = (u << 8) | p[i];
  return (int32_t)u;
}

/* The task whose execution made this call (wasm_task.c sets it as the
 * execution's userdata): the import functions themselves are shared by every
 * task of a batch, so they carry no task of their own. */
static tova_wasm_task *task_of(tova_host_call *call) {
  return tova_exec_userdata(tova_host_call_exec(call));
}

/* ---- parking helpers ----------------------------------------------------------- */

/* A start function runs inside instantiation, which cannot be suspended and
 * resumed: a task that is still instantiating (no export to call yet) must
 * never register a wait, or a channel would later hand a value to a task
 * that has already failed. Its imports complete what can complete now and
 * trap instead of parking. */
static bool in_start_function(const tova_wasm_task *t) { return t->fn_index == WT_NO_FN; }

static tova_status refuse_cancelled(tova_host_call *call, tova_wasm_task *t) {
  tova_plat_spin_unlock(&t->mu);
  return tova_host_trap(call, "cancelled");
}

static void chan_waiter_done(tova_chan_waiter *w, tova_status status) {
  tova_wasm_task *t = w->userdata;
  TOVA_ASSERT(t->wait == WT_WAIT_SEND || t->wait == WT_WAIT_RECV); /* t->waiter is live */
  tova_rt_wasm_wait_complete(t, status);
}

static void sleep_timer_fired(tova_rt_timer *timer, void *userdata) {
  tova_wasm_task *t = userdata;
  (void)timer;
  TOVA_ASSERT(t->wait == WT_WAIT_SLEEP); /* t->timer is live */
  tova_rt_wasm_wait_complete(t, TOVA_OK);
}

static void select_done(tova_select *sel, void *userdata, int index, tova_status status) {
  tova_wasm_task *t = userdata;
  (void)sel;
  TOVA_ASSERT(t->wait == WT_WAIT_SELECT); /* t->sel and co. are live */
  t->sel_index = index;
  tova_rt_wasm_wait_complete(t, status);
}

/* Begin a wait (t->mu held): reset the hand-over state. One wait at a time:
 * the previous one was cleared by tova_rt_tova_wait_results or never
 * registered. */
static void wait_begin(tova_wasm_task *t, wt_wait_kind kind, tova_chan_id ch) {
  TOVA_ASSERT(t->wait == WT_WAIT_NONE);
  t->wait = (uint8_t)kind;
  t->wait_status = TOVA_PENDING;
  atomic_fetch_and(&t->wstate, WT_WS_WEAK); /* IDLE, keeping the weak bit (unref may race) */
  if (kind == WT_WAIT_SEND || kind == WT_WAIT_RECV || kind == WT_WAIT_SELECT) {
    t->last_wait = (uint8_t)kind;
    t->last_chan = ch;
  }
}

/* ---- the imports --------------------------------------------------------------- */

static tova_status h_chan_create(tova_host_call *call, void *ud, const tova_val *args,
                                 tova_val *results) {
  (void)call;
  (void)ud;
  tova_chan_id id;
  results[0].i32 = args[0].i32 < 0 || tova_chan_create((uint32_t)args[0].i32, &id) != TOVA_OK
                       ? -1
                       : (int32_t)id;
  return TOVA_OK;
}

/* The import's result for a send or receive that ended with st (got: the
 * value received). */
static tova_status chan_done(tova_host_call *call, bool send, tova_status st, int64_t got,
                             tova_val *results) {
  if (st == TOVA_ERR_NOMEM) return tova_host_trap(call, "out of memory in a channel");
  if (send) results[0].i32 = st == TOVA_OK ? 0 : -1;
  else results[0].i64 = st == TOVA_OK ? got : CLOSED_VALUE;
  return TOVA_OK;
}

/* A blocking channel operation: send (value) or receive. */
static tova_status chan_wait(tova_host_call *call, tova_wasm_task *t, bool send, tova_chan_id ch,
                             int64_t value, tova_val *results) {
  /* No try first: the interpreter has just tried the fast entry
   * (f_chan_send, f_chan_receive), which completes whatever can complete now
   * (room in the buffer, a value buffered, a parked peer) without the task
   * lock. The operation below is still complete on its own: it completes at
   * once if a peer came in the meantime, else it parks. */
  tova_status st;
  if (in_start_function(t)) {
    int64_t got = 0;
    st = send ? tova_rt_chan_send(ch, &value, NULL) : tova_rt_chan_recv(ch, &got, NULL);
    if (st == TOVA_ERR_FULL || st == TOVA_ERR_EMPTY)
      return tova_host_trap(call, send ? "a start function cannot wait to send on a channel"
                                       : "a start function cannot wait to receive from a channel");
    return chan_done(call, send, st, got, results);
  }
  tova_plat_spin_lock(&t->mu);
  if (atomic_load(&t->cancel)) return refuse_cancelled(call, t);
  wait_begin(t, send ? WT_WAIT_SEND : WT_WAIT_RECV, ch);
  t->waiter.complete = chan_waiter_done;
  t->waiter.userdata = t;
  t->waiter.value = value;
  st = send ? tova_chan_send_wait(ch, &t->waiter) : tova_chan_recv_wait(ch, &t->waiter);
  if (st == TOVA_PENDING) {
    tova_rt_wasm_wait_parked(t, true);
    tova_plat_spin_unlock(&t->mu);
    return TOVA_SUSPENDED;
  }
  t->wait = WT_WAIT_NONE;
  tova_plat_spin_unlock(&t->mu);
  return chan_done(call, send, st, t->waiter.value, results);
}

static tova_status h_chan_send(tova_host_call *call, void *ud, const tova_val *args,
                               tova_val *results) {
  (void)ud;
  return chan_wait(call, task_of(call), true, (tova_chan_id)args[0].i32, args[1].i64, results);
}

static tova_status h_chan_receive(tova_host_call *call, void *ud, const tova_val *args,
                                  tova_val *results) {
  (void)ud;
  return chan_wait(call, task_of(call), false, (tova_chan_id)args[0].i32, 0, results);
}

/* The fast entries (engine/store.h, wasm_host_fast_fn) of the hot imports:
 * the operation completes now, or nothing happened and the full import
 * (which may park) runs. Channel ids are i32 (zero-extended in the slot). */
static bool f_chan_send(void *ud, uint64_t *slots) {
  (void)ud;
  int64_t value = (int64_t)slots[1];
  tova_status st = chan_send_op((tova_chan_id)(uint32_t)slots[0], &value, NULL);
  if (st == TOVA_ERR_FULL || st == TOVA_ERR_NOMEM) return false;
  slots[0] = st == TOVA_OK ? 0u : (uint32_t)-1;
  return true;
}

static bool f_chan_receive(void *ud, uint64_t *slots) {
  (void)ud;
  int64_t got = 0;
  tova_status st = chan_recv_op((tova_chan_id)(uint32_t)slots[0], &got, NULL);
  if (st == TOVA_ERR_EMPTY || st == TOVA_ERR_NOMEM) return false;
  slots[0] = (uint64_t)(st == TOVA_OK ? got : CLOSED_VALUE);
  return true;
}

static bool f_chan_try_send(void *ud, uint64_t *slots) {
  (void)ud;
  int64_t value = (int64_t)slots[1];
  tova_status st = chan_send_op((tova_chan_id)(uint32_t)slots[0], &value, NULL);
  if (st == TOVA_ERR_NOMEM) return false;
  slots[0] = st == TOVA_OK ? 0u : st == TOVA_ERR_FULL ? 1u : (uint32_t)-1;
  return true;
}

static tova_status h_chan_close(tova_host_call *call, void *ud, const tova_val *args,
                                tova_val *results) {
  (void)call;
  (void)ud;
  results[0].i32 = tova_chan_close((tova_chan_id)args[0].i32) == TOVA_OK ? 0 : -1;
  return TOVA_OK;
}

static tova_status h_chan_try_send(tova_host_call *call, void *ud, const tova_val *args,
                                   tova_val *results) {
  (void)ud;
  tova_status st = tova_chan_try_send((tova_chan_id)args[0].i32, args[1].i64);
  if (st == TOVA_ERR_NOMEM) return tova_host_trap(call, "out of memory in a channel");
  results[0].i32 = st == TOVA_OK ? 0 : st == TOVA_ERR_FULL ? 1 : -1;
  return TOVA_OK;
}

static tova_status h_chan_try_receive(tova_host_call *call, void *ud, const tova_val *args,
                                      tova_val *results) {
  (void)ud;
  uint8_t *out = guest_ptr(call, (uint32_t)args[1].i32, 8, true);
  if (!out) return tova_host_trap(call, "out of bounds memory access");
  int64_t v = 0;
  tova_status st = tova_chan_try_recv((tova_chan_id)args[0].i32, &v);
  if (st == TOVA_OK) store_i64(out, v);
  results[0].i32 = st == TOVA_OK ? 0 : st == TOVA_ERR_EMPTY ? 1 : -1;
  return TOVA_OK;
}

static tova_status h_yield(tova_host_call *call, void *ud, const tova_val *args, tova_val *results) {
  (void)args;
  (void)results;
  (void)ud;
  tova_wasm_task *t = task_of(call);
  if (in_start_function(t)) return TOVA_OK; /* nothing to give way to that cannot wait */
  tova_plat_spin_lock(&t->mu);
  if (atomic_load(&t->cancel)) return refuse_cancelled(call, t);
  wait_begin(t, WT_WAIT_YIELD, 0);
  tova_plat_spin_unlock(&t->mu);
  /* The task is running: this wake marks it NOTIFIED, so the pool re-queues
   * it behind what is already queued instead of parking it. */
  tova_task_wake(t->task);
  return TOVA_SUSPENDED;
}

static tova_status h_sleep(tova_host_call *call, void *ud, const tova_val *args, tova_val *results) {
  tova_wasm_task *t = task_of(call);
  if (args[0].i64 <= 0) return h_yield(call, ud, args, results);
  if (in_start_function(t)) return tova_host_trap(call, "a start function cannot sleep");
  tova_plat_spin_lock(&t->mu);
  if (atomic_load(&t->cancel)) return refuse_cancelled(call, t);
  wait_begin(t, WT_WAIT_SLEEP, 0);
  tova_rt_timer_init(&t->timer, sleep_timer_fired, t);
  if (!tova_rt_timer_arm(&t->rt->timers, &t->timer, args[0].i64)) {
    t->wait = WT_WAIT_NONE;
    tova_plat_spin_unlock(&t->mu);
    return tova_host_trap(call, "sleep: the runtime's timer is unavailable");
  }
  tova_plat_spin_unlock(&t->mu);
  return TOVA_SUSPENDED;
}

/* tova_wasi_sleep_fn of WASI programs run as tasks (installed by
 * wasm_task.c): a clock-only poll_oneoff parks the task on the runtime's
 * timer as tova.sleep does, and is resumed with 0 (poll_oneoff's success:
 * see tova_rt_tova_wait_results). Declined (the thread sleeps, and a cancel
 * reaches it through tova_wasi_interrupt): under a millisecond, the timer's
 * unit; a cancelled task; no timer. */
tova_status tova_rt_wasi_sleep(void *ctx, tova_host_call *call, uint64_t ns) {
  tova_wasm_task *t = ctx;
  (void)call;
  /* Not parked (the caller then sleeps as usual): below the timer's
   * resolution, and in a start function (see in_start_function). */
  if (ns < 1000000u || in_start_function(t)) return TOVA_ERR_BAD_ARGUMENT;
  uint64_t ms = ns / 1000000u + (ns % 1000000u != 0);
  if (ms > INT64_MAX) ms = INT64_MAX;
  tova_plat_spin_lock(&t->mu);
  if (atomic_load(&t->cancel)) {
    tova_plat_spin_unlock(&t->mu);
    return TOVA_ERR_CANCELLED;
  }
  wait_begin(t, WT_WAIT_SLEEP, 0);
  tova_rt_timer_init(&t->timer, sleep_timer_fired, t);
  if (!tova_rt_timer_arm(&t->rt->timers, &t->timer, (int64_t)ms)) {
    t->wait = WT_WAIT_NONE;
    tova_plat_spin_unlock(&t->mu);
    return TOVA_ERR_SHUTDOWN;
  }
  tova_plat_spin_unlock(&t->mu);
  return TOVA_SUSPENDED;
}

static tova_status h_now_ms(tova_host_call *call, void *ud, const tova_val *args,
                            tova_val *results) {
  (void)call;
  (void)ud;
  (void)args;
  results[0].i64 = tova_now_ms();
  return TOVA_OK;
}

/* Write the fired case back to linear memory (value, and op |= 2 if its
 * channel was closed or unknown). The memory is re-read: it may have moved
 * (grown) while the task was parked. */
static void write_back_case(tova_instance *inst, uint32_t addr, const tova_select_case *c,
                            int index) {
  uint8_t *p = inst_ptr(inst, (uint64_t)addr + (uint64_t)index * SELECT_CASE_BYTES,
                        SELECT_CASE_BYTES, true);
  if (!p) return;
  if (c->status != TOVA_OK) store_i32(p + 4, (int32_t)c->op | 2);
  else if (c->op == TOVA_SELECT_RECV) store_i64(p + 8, c->value);
}

static void select_write_back(tova_wasm_task *t, tova_instance *inst, int index) {
  if (index < 0 || (uint32_t)index >= t->sel_n) return;
  write_back_case(inst, t->sel_addr, &t->sel_cases[index], index);
}

static tova_status h_select(tova_host_call *call, void *ud, const tova_val *args,
                            tova_val *results) {
  (void)ud;
  tova_wasm_task *t = task_of(call);
  uint32_t addr = (uint32_t)args[0].i32, n = (uint32_t)args[1].i32;
  int64_t timeout = args[2].i64;
  if (n > SELECT_MAX_CASES) return tova_host_trap(call, "select: too many cases");
  const uint8_t *p = guest_ptr(call, addr, (uint64_t)n * SELECT_CASE_BYTES, false);
  if (!p) return tova_host_trap(call, "out of bounds memory access");
  /* The cases array outlives this call (a parked select writes into it), so
   * it belongs to the task and is reused by its next select. */
  tova_select_case *cases = t->sel_cases;
  if (!cases || t->sel_cap < n) {
    cases = malloc((n ? n : 1) * sizeof *cases);
    if (!cases) return tova_host_trap(call, "select: out of memory");
  }
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *c = p + (size_t)i * SELECT_CASE_BYTES;
    int32_t op = load_i32(c + 4) & 1; /* bit 1 is the "closed" flag of an earlier select */
    cases[i].chan = (tova_chan_id)load_i32(c);
    cases[i].op = op ? TOVA_SELECT_SEND : TOVA_SELECT_RECV;
    cases[i].value = load_i64(c + 8);
    cases[i].status = TOVA_PENDING;
  }
  /* A case ready now (the common case): fire it without setting up a wait
   * (no task lock, no hand-over state). The cases array is still kept. */
  int ready = -1;
  if (tova_rt_select_try(cases, n, &ready)) {
    if (cases != t->sel_cases) {
      free(t->sel_cases);
      t->sel_cases = cases;
      t->sel_cap = n;
    }
    write_back_case(tova_host_call_instance(call), addr, &cases[ready], ready);
    results[0].i32 = ready;
    return TOVA_OK;
  }
  tova_plat_spin_lock(&t->mu);
  if (atomic_load(&t->cancel)) {
    if (cases != t->sel_cases) free(cases);
    return refuse_cancelled(call, t);
  }
  if (cases != t->sel_cases) {
    free(t->sel_cases);
    t->sel_cases = cases;
    t->sel_cap = n ? n : 1;
  }
  t->sel_n = n;
  t->sel_addr = addr;
  t->sel_index = -1;
  t->sel_blocks = timeout < 0;
  wait_begin(t, WT_WAIT_SELECT, n ? cases[0].chan : 0);
  int index = -1;
  /* In a start function only what is ready now can fire (timeout 0). */
  bool start = in_start_function(t);
  tova_status st = tova_select_start(t->rt, cases, n, start ? 0 : timeout, select_done, t, &index,
                                     &t->sel);
  if (start && st == TOVA_OK && index < 0 && timeout != 0) {
    t->wait = WT_WAIT_NONE;
    tova_plat_spin_unlock(&t->mu);
    return tova_host_trap(call, "a start function cannot wait in a select");
  }
  if (st == TOVA_PENDING) {
    tova_rt_wasm_wait_parked(t, t->sel_blocks);
    tova_plat_spin_unlock(&t->mu);
    return TOVA_SUSPENDED;
  }
  t->wait = WT_WAIT_NONE;
  tova_plat_spin_unlock(&t->mu);
  if (st != TOVA_OK) return tova_host_trap(call, st == TOVA_ERR_NOMEM ? "select: out of memory"
                                                                       : "select: invalid cases");
  select_write_back(t, tova_host_call_instance(call), index);
  results[0].i32 = index;
  return TOVA_OK;
}

/* ---- resuming and withdrawing --------------------------------------------------- */

void tova_rt_tova_wait_results(tova_wasm_task *t, tova_val *out) {
  tova_plat_spin_lock(&t->mu);
  wt_wait_kind k = (wt_wait_kind)t->wait;
  tova_status st = t->wait_status;
  tova_select *sel = NULL;
  if (k == WT_WAIT_SELECT) { /* t->sel is live only during a select (wasm_task.h) */
    sel = t->sel;
    t->sel = NULL;
  }
  t->wait = WT_WAIT_NONE;
  tova_plat_spin_unlock(&t->mu);
  switch (k) {
    case WT_WAIT_SEND: out[0].i32 = st == TOVA_OK ? 0 : -1; break;
    case WT_WAIT_RECV: out[0].i64 = st == TOVA_OK ? t->waiter.value : CLOSED_VALUE; break;
    case WT_WAIT_SLEEP: out[0].i32 = 0; break; /* tova.sleep: none; WASI poll_oneoff: success */
    case WT_WAIT_SELECT:
      if (sel) tova_select_release(sel);
      /* Fired (OK, or a closed/unknown channel, which is ready as in Go):
       * the case index; timeout or cancel: -1. */
      if (st == TOVA_OK || st == TOVA_ERR_CLOSED || st == TOVA_ERR_NOT_FOUND) {
        select_write_back(t, t->inst, t->sel_index); /* parked: never in a start function */
        out[0].i32 = t->sel_index;
      } else {
        out[0].i32 = -1;
      }
      break;
    default: break;
  }
}

bool tova_rt_tova_wait_withdraw(tova_wasm_task *t) {
  switch (t->wait) {
    case WT_WAIT_SEND:
    case WT_WAIT_RECV: return tova_chan_cancel_wait(t->last_chan, &t->waiter);
    case WT_WAIT_SLEEP: return tova_rt_timer_disarm(&t->rt->timers, &t->timer);
    case WT_WAIT_SELECT: return t->sel && tova_select_cancel(t->sel);
    default: return false; /* yield: already queued, the step sees the cancel */
  }
}

/* ---- the table ------------------------------------------------------------------- */

/* The imports, and their function objects: one per import for the whole
 * process, imported by every instance of every task (the imports find their
 * task through the execution, tova_exec_userdata, never through the
 * function, so nothing in the object is per task). A million parked tasks
 * thus carry no function object for their imports. Written only here, by
 * the static initializer; the engine only reads an imported function. */
typedef struct import_def {
  const char *name;
  tova_functype type;
  tova_func func;
} import_def;

#define VALS(...) ((const uint8_t[]){__VA_ARGS__})
#define IMPORT(i, nm, hostfn, fastfn, np, nr, p, r)                                        \
  [i] = {.name = nm,                                                                     \
         .type = {np, nr, p, r},                                                         \
         .func = {.type = &IMPORTS[i].type, .fast = fastfn, .host = hostfn}}

static import_def IMPORTS[] = {
    IMPORT(0, "chan_create", h_chan_create, NULL, 1, 1, VALS(I32), VALS(I32)),
    IMPORT(1, "chan_send", h_chan_send, f_chan_send, 2, 1, VALS(I32, I64), VALS(I32)),
    IMPORT(2, "chan_receive", h_chan_receive, f_chan_receive, 1, 1, VALS(I32), VALS(I64)),
    IMPORT(3, "chan_close", h_chan_close, NULL, 1, 1, VALS(I32), VALS(I32)),
    IMPORT(4, "chan_try_send", h_chan_try_send, f_chan_try_send, 2, 1, VALS(I32, I64), VALS(I32)),
    IMPORT(5, "chan_try_receive", h_chan_try_receive, NULL, 2, 1, VALS(I32, I32), VALS(I32)),
    IMPORT(6, "sleep", h_sleep, NULL, 1, 0, VALS(I64), NULL),
    IMPORT(7, "yield", h_yield, NULL, 0, 0, NULL, NULL),
    IMPORT(8, "now_ms", h_now_ms, NULL, 0, 1, NULL, VALS(I64)),
    IMPORT(9, "select", h_select, NULL, 3, 1, VALS(I32, I32, I64), VALS(I32)),
};

static void sig_text(char *buf, size_t cap, const uint8_t *p, uint32_t np, const uint8_t *r,
                     uint32_t nr) {
  size_t used = (size_t)snprintf(buf, cap, "(");
  for (uint32_t i = 0; i < np && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", tova_valtype_name(p[i]));
  if (used < cap) used += (size_t)snprintf(buf + used, cap - used, ") -> (");
  for (uint32_t i = 0; i < nr && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", tova_valtype_name(r[i]));
  if (used < cap) snprintf(buf + used, cap - used, ")");
}

tova_func *tova_rt_tova_import(const char *name, size_t name_len, const tova_functype *type,
                               tova_error *err) {
  int nl = (int)(name_len > 64 ? 64 : name_len);
  for (size_t i = 0; i < sizeof IMPORTS / sizeof IMPORTS[0]; i++) {
    import_def *d = &IMPORTS[i];
    if (strlen(d->name) != name_len || memcmp(d->name, name, name_len) != 0) continue;
    if (wasm_functype_equal(type, &d->type)) return &d->func;
    char want[96], got[96];
    sig_text(want, sizeof want, d->type.params, d->type.nparams, d->type.results, d->type.nresults);
    sig_text(got, sizeof got, type->params, type->nparams, type->results, type->nresults);
    tova_error_set(err, TOVA_ERR_UNLINKABLE,
                   "import tova.%.*s has the wrong signature: expected %s, got %s", nl, name, want,
                   got);
    return NULL;
  }
  tova_error_set(err, TOVA_ERR_UNLINKABLE, "unknown import tova.%.*s (see docs/host-imports.md)", nl,
                 name);
  return NULL;
}
