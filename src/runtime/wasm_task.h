/*
 * wasm_task.h: the WebAssembly task object, shared by its life cycle
 * (wasm_task.c) and the `tova` host imports that park it (host_tova.c).
 * Runtime layer only.
 *
 * A WebAssembly task = a pool task (tova_task, sched.h) whose step runs the
 * task's execution until it ends or parks, plus everything the call owns:
 * module reference, store, instance, execution, arguments, results, the wait
 * it is parked in, its cancel state and its deadline.
 *
 * Waiting. At most one wait at a time (a task is parked in one host call).
 * A host import registers the wait under t->mu and returns TOVA_SUSPENDED;
 * whoever ends the wait (a channel, the timer, a select, a cancel) stores
 * the outcome and calls tova_task_wake; the next step reads the outcome,
 * clears the wait (under t->mu) and resumes the execution with it.
 *
 * Activity (for deadlock detection and tova_runtime_wasm_active): a task is
 * counted in rt->wasm_active from spawn to end, except while "blocked", i.e.
 * parked on a wait only another party can end (chan_send, chan_receive, a
 * select without timeout). rt->wasm_held counts the same tasks less those
 * unreferenced (tova_wasm_task_unref): what keeps an embedder waiting. An
 * unreferenced task still counts for deadlock detection, since it may yet
 * wake the others. t->wstate holds the hand-over state (WT_WS_STATE bits)
 * and the unreferenced bit (WT_WS_WEAK); every change is one CAS over both,
 * so the counts stay exact when a wait completes before the parking host
 * call has returned, or when unref races with a park, a wake or the end:
 *   host call, wait PENDING:   CAS IDLE -> BLOCKED  (success: uncount)
 *   completer (or cancel):     CAS IDLE -> COMPLETED (success: the host call
 *                              will not uncount); on BLOCKED: CAS to
 *                              COMPLETED and count again
 *   end:                       CAS to ENDED (uncount unless BLOCKED)
 *   unref / ref:               CAS the bit (wasm_held -1 / +1 unless
 *                              BLOCKED or ENDED)
 * "uncount" is wasm_active - 1, and wasm_held - 1 unless WEAK. So
 * rt->wasm_active == 0 means every live task is parked on channels with no
 * completion under way.
 *
 * Cancel: t->cancel holds the first reason (CANCELLED, TIMEOUT, SHUTDOWN,
 * DEADLOCK) and stays set until the task ends; the execution's interrupt
 * flag (sticky) stops running code; a registered wait is withdrawn under
 * t->mu. A host import checks t->cancel under t->mu before registering, so
 * a cancel can never slip between the check and the registration.
 */
#ifndef TOVA_RT_WASM_TASK_H
#define TOVA_RT_WASM_TASK_H

#include <stdatomic.h>

#include "engine/store.h"
#include "runtime/sched.h"
#include "runtime/timer.h"

typedef enum wt_wait_kind {
  WT_WAIT_NONE = 0,
  WT_WAIT_SEND,   /* chan_send parked on a full channel */
  WT_WAIT_RECV,   /* chan_receive parked on an empty channel */
  WT_WAIT_SLEEP,  /* sleep, or a WASI clock-only poll_oneoff: the task's timer */
  WT_WAIT_SELECT, /* select: t->sel */
  WT_WAIT_YIELD   /* yield: already re-queued, nothing to withdraw */
} wt_wait_kind;

enum { WT_WS_IDLE = 0, WT_WS_BLOCKED, WT_WS_COMPLETED, WT_WS_ENDED };
#define WT_WS_STATE 3u /* the hand-over state's bits of wstate */
#define WT_WS_WEAK 4u  /* tova_wasm_task_unref: does not keep the embedder waiting */

/* Tasks of one batch spawn built together (tova_wasm_task_spawn_batch): up
 * to WT_BLOCK_MAX tasks of the same module and export in one allocation of
 * WT_BLOCK_BYTES (recycled through a small cache, wasm_task.c), each at a
 * multiple of WT_BLOCK_ALIGN after this header and the imports. The block
 * holds one module reference for all of them and is freed when its last
 * task is (`live` counts the tasks not yet freed). A task that outlives the
 * others of its block keeps the whole block: at most WT_BLOCK_BYTES per
 * such task. WT_BLOCK_MAX may be set at build time (1: no blocks, for
 * comparisons).
 * Layout: this header (WT_BLOCK_ALIGN-rounded), the tasks one after the
 * other (each rounded to WT_BLOCK_ALIGN), then the imports. A task finds its
 * block from its own address, number and size: nothing is added per task. */
typedef struct wt_block {
  _Atomic size_t live;
  tova_module *module;
  /* The module's imports, all `tova` functions (tova_rt_tova_import: one
   * object per import for the whole process), resolved once for every task
   * of the block (NULL with WASI: instantiate resolves those itself). */
  tova_func *const *imports;
  /* The export's function index, found once for every task of the block
   * (in what would be the header's padding). */
  uint32_t fn_index;
} wt_block;
#ifndef WT_BLOCK_MAX
#define WT_BLOCK_MAX 1024 /* the bytes bound it first (block_index is 16 bits) */
#endif
#define WT_BLOCK_BYTES ((size_t)64 << 10) /* every block: below malloc's mmap threshold */
#define WT_BLOCK_ALIGN 16

/* One allocation holds the task, then its arguments and results (nparams +
 * nresults values), its function name (func_len bytes, no NUL), and, when it
 * has a timeout, its deadline timer. A parked task is mostly this struct (a
 * runtime may keep a million of them), so the fields are sized and ordered to
 * leave no padding, and the wait states share a union (see below). */
#define WT_NO_FN UINT32_MAX

struct tova_wasm_task {
  _Atomic uint32_t refs;   /* caller's + 1 until ended + 1 while the deadline is armed */
  _Atomic uint32_t cancel; /* 0, or the first cancel reason */
  uint64_t id;
  tova_runtime *rt;
  tova_task *task; /* the pool task; valid until the task has ended */
  tova_module *module;
  uint32_t func_len;  /* the name: wt_func(t) */
  tova_status status; /* final, once ended */
  const tova_functype *ft; /* the export's signature (the module's) */
  /* The calls: nrows rows of arguments/results (one row: wt_args/wt_results). */
  uint32_t nrows, row;
  const tova_val *rows_args;
  tova_val *rows_results;
  tova_wasm_task_done_fn done;
  void *userdata;

  tova_wasi *wasi; /* owned; NULL without WASI */
  tova_store *store;
  tova_instance *inst;
  tova_exec *exec; /* from the first step until ended, under mu (cancel interrupts it) */
  size_t max_stack_bytes;
  char *message; /* final error message (malloc'd), NULL on success */

  tova_plat_spinlock mu; /* wait registration vs cancel; `ended` (short sections) */
  /* The current wait (see the comment at the top). */
  _Atomic uint32_t wstate;
  tova_status wait_status; /* outcome, written by the completer before the wake */
  /* The channel of the current wait (SEND, RECV: the one it is queued on;
   * SELECT: its first case) or, once over, of the last blocking wait (for
   * deadlock messages). */
  tova_chan_id last_chan;
  uint32_t sel_cap;  /* sel_cases' room, kept from one select to the next */
  /* The export's function index once instantiated (its start function has
   * run); WT_NO_FN before and once ended. The call makes no function object
   * (wasm_instance_func_for_call). */
  uint32_t fn_index;
  uint8_t wait;      /* wt_wait_kind, under mu */
  uint8_t last_wait; /* wt_wait_kind of the last blocking wait */
  bool ended;        /* under mu: exec and store are gone */
  bool exited;       /* a WASI program called proc_exit (its status: tova_wasi_exit_status) */
  /* Set before the task is queued and only read after (no concurrent
   * writers, so they may share a byte): */
  bool in_block : 1;   /* lives in a wt_block, as its task number block_index */
  bool timer_room : 1; /* its allocation has room for a deadline timer (it has a timeout) */
  /* The deadline timer (wt_deadline: in this allocation after the name) is
   * armed: it then holds a reference to the task (released by whichever of
   * the timer and the end disarms it). Read when the task ends. */
  bool deadline_armed : 1;
  uint16_t block_index;
  tova_select_case *sel_cases; /* the cases of the current or last select */
  /* What the current wait needs, by kind. Invariant: the member named for
   * t->wait is live from the host call that registers the wait until the
   * step that resumes from it has read its outcome (tova_rt_tova_wait_results)
   * or the task has ended; a member is written only by the host call that
   * begins a wait of its kind and by that wait's completer, and read only
   * while t->wait is that kind:
   *   WT_WAIT_SEND, WT_WAIT_RECV:  waiter (queued on last_chan)
   *   WT_WAIT_SLEEP:               timer
   *   WT_WAIT_SELECT:              sel, sel_n, sel_addr, sel_index, sel_blocks
   *   WT_WAIT_YIELD, WT_WAIT_NONE: nothing
   * A completer (channel, timer, select) is done with its member once it has
   * woken the task, so the next wait may reuse the bytes. */
  union {
    tova_chan_waiter waiter;
    tova_rt_timer timer;
    struct {
      tova_select *sel; /* our reference, until the step resumes (or the task ends) */
      uint32_t sel_n, sel_addr;
      int sel_index;
      bool sel_blocks; /* a select without timeout counts as blocked */
    };
  };

  tova_wasm_task *next, *prev; /* one of rt->wasm_live (by id), under its lock */
};

/* The values and the name stored after the struct. */
static inline tova_val *wt_args(tova_wasm_task *t) { return (tova_val *)(t + 1); }
static inline tova_val *wt_results(tova_wasm_task *t) { return wt_args(t) + t->ft->nparams; }
static inline const char *wt_func(const tova_wasm_task *t) {
  return (const char *)((const tova_val *)(t + 1) + t->ft->nparams + t->ft->nresults);
}

/* Activity accounting (wasm_task.c): wasm_active += active, wasm_held +=
 * held. */
void tova_rt_wasm_count(tova_runtime *rt, int64_t active, int64_t held);
/* The completer's half of the hand-over: record the outcome and wake t. */
void tova_rt_wasm_wait_complete(tova_wasm_task *t, tova_status status);
/* The host call's half, after its wait was registered as PENDING (t->mu
 * held): counts t as blocked unless the wait already completed. */
void tova_rt_wasm_wait_parked(tova_wasm_task *t, bool blocks);

/* host_tova.c: the `tova` import table. The function object for import
 * (name, type) of module "tova" (one for the whole process, imported by
 * every instance that imports it), or NULL (err filled: unknown name, or
 * wrong signature). */
tova_func *tova_rt_tova_import(const char *name, size_t name_len, const tova_functype *type,
                               tova_error *err);
/* Step side: the host results of the wait t just came back from, written to
 * out[0] if the import has a result. Clears the wait. */
void tova_rt_tova_wait_results(tova_wasm_task *t, tova_val *out);
/* The sleeper of a WASI task's context (tova_wasi_set_sleeper): parks t in
 * a clock-only poll_oneoff as WT_WAIT_SLEEP. */
tova_status tova_rt_wasi_sleep(void *ctx, tova_host_call *call, uint64_t ns);
/* Withdraw t's registered wait for a cancel (t->mu held). True if it was
 * withdrawn before completing (the caller then completes it). */
bool tova_rt_tova_wait_withdraw(tova_wasm_task *t);

#endif /* TOVA_RT_WASM_TASK_H */
