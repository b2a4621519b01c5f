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
 * Activity (for tova_runtime_wasm_active and deadlock detection): a task is
 * counted in rt->wasm_active from spawn to end, except while "blocked", i.e.
 * parked on a wait only another party can end (chan_send, chan_receive, a
 * select without timeout). The hand-over uses t->wstate so the count is
 * exact even when the wait completes before the parking host call has
 * returned:
 *   host call, wait PENDING:   CAS IDLE -> BLOCKED  (success: active -= 1)
 *   completer (or cancel):     CAS IDLE -> COMPLETED (success: the host call
 *                              will not decrement); on failure it was
 *                              BLOCKED: set COMPLETED and active += 1
 * So rt->wasm_active == 0 means every live task is parked on channels with
 * no completion under way.
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

#include "runtime/sched.h"
#include "runtime/timer.h"

typedef enum wt_wait_kind {
  WT_WAIT_NONE = 0,
  WT_WAIT_SEND,   /* chan_send parked on a full channel */
  WT_WAIT_RECV,   /* chan_receive parked on an empty channel */
  WT_WAIT_SLEEP,  /* sleep: the task's timer */
  WT_WAIT_SELECT, /* select: t->sel */
  WT_WAIT_YIELD   /* yield: already re-queued, nothing to withdraw */
} wt_wait_kind;

enum { WT_WS_IDLE = 0, WT_WS_BLOCKED, WT_WS_COMPLETED };

/* Tasks of one batch spawn built together (tova_wasm_task_spawn_batch): up
 * to WT_BLOCK_MAX tasks of the same module and export in one allocation of
 * WT_BLOCK_BYTES (recycled through a small cache, wasm_task.c), each at a
 * multiple of WT_BLOCK_ALIGN after this header and the imports. The block
 * holds one module reference for all of them and is freed when its last
 * task is (`live` counts the tasks not yet freed). A task that outlives the
 * others of its block keeps the whole block: at most WT_BLOCK_BYTES per
 * such task. WT_BLOCK_MAX may be set at build time (1: no blocks, for
 * comparisons). */
typedef struct wt_import {
  tova_host_fn fn;
  tova_functype type; /* points into the module */
} wt_import;
/* Layout: this header (WT_BLOCK_ALIGN-rounded), the tasks one after the
 * other (each rounded to WT_BLOCK_ALIGN), then the imports. A task finds its
 * block from its own address, number and size: nothing is added per task. */
typedef struct wt_block {
  _Atomic size_t live;
  tova_module *module;
  /* The module's imports, all `tova` functions, resolved once for every
   * task of the block (NULL with WASI: instantiate resolves those itself). */
  const wt_import *imports;
} wt_block;
#ifndef WT_BLOCK_MAX
#define WT_BLOCK_MAX 1024 /* the bytes bound it first (block_index is 16 bits) */
#endif
#define WT_BLOCK_BYTES ((size_t)64 << 10) /* every block: below malloc's mmap threshold */
#define WT_BLOCK_ALIGN 16

struct tova_wasm_task {
  _Atomic uint32_t refs; /* caller's + 1 until ended + 1 while the deadline is armed */
  bool in_block;         /* lives in a wt_block, as its task number block_index */
  uint16_t block_index;
  uint64_t id;
  tova_runtime *rt;
  tova_task *task; /* the pool task; valid until the task has ended */
  tova_module *module;
  const char *func; /* func_len bytes, stored after the struct */
  size_t func_len;
  tova_functype ft; /* the export's signature (points into module) */
  tova_val *args, *results;
  /* The calls: nrows rows of arguments/results (one row: args/results). */
  size_t nrows, row;
  const tova_val *rows_args;
  tova_val *rows_results;
  tova_wasm_task_done_fn done;
  void *userdata;

  tova_wasi *wasi;     /* owned; NULL without WASI */
  int exit_code;
  bool exited;         /* a WASI program's exit status is in exit_code */
  tova_store *store;
  tova_instance *inst;
  tova_func *fn;
  tova_exec *exec; /* from the first step until ended, under mu (cancel interrupts it) */
  size_t max_stack_bytes;

  tova_status status; /* final, once ended */
  char *message;      /* final error message (malloc'd), NULL on success */

  _Atomic uint32_t cancel; /* 0, or the first cancel reason */
  tova_plat_spinlock mu;   /* wait registration vs cancel; `ended` (short sections) */
  bool ended;              /* under mu: exec and store are gone */

  /* The current wait (see the comment at the top). */
  wt_wait_kind wait;
  _Atomic uint32_t wstate;
  tova_status wait_status; /* outcome, written by the completer before the wake */
  tova_chan_id wait_chan;
  tova_chan_waiter waiter;
  tova_rt_timer timer; /* sleep */
  tova_select *sel;
  tova_select_case *sel_cases;
  uint32_t sel_n, sel_addr, sel_cap;
  int sel_index;
  bool sel_blocks; /* a select without timeout counts as blocked */
  /* The last blocking wait, for deadlock messages. */
  wt_wait_kind last_wait;
  tova_chan_id last_chan;

  tova_rt_timer deadline;
  bool deadline_armed;

  tova_wasm_task *next, *prev; /* rt->wasm_live, under rt->wasm_mu */
};

/* Activity accounting (wasm_task.c). */
void tova_rt_wasm_active_add(tova_runtime *rt, int64_t delta);
/* The completer's half of the hand-over: record the outcome and wake t. */
void tova_rt_wasm_wait_complete(tova_wasm_task *t, tova_status status);
/* The host call's half, after its wait was registered as PENDING (t->mu
 * held): counts t as blocked unless the wait already completed. */
void tova_rt_wasm_wait_parked(tova_wasm_task *t, bool blocks);

/* host_tova.c: the `tova` import table. The host function for import
 * (name, type) of module "tova", or NULL (err filled: unknown name, or wrong
 * signature). */
tova_host_fn tova_rt_tova_import(const char *name, size_t name_len, const tova_functype *type,
                                 tova_error *err);
/* Step side: the host results of the wait t just came back from, written to
 * out[0] if the import has a result. Clears the wait. */
void tova_rt_tova_wait_results(tova_wasm_task *t, tova_val *out);
/* Withdraw t's registered wait for a cancel (t->mu held). True if it was
 * withdrawn before completing (the caller then completes it). */
bool tova_rt_tova_wait_withdraw(tova_wasm_task *t);

#endif /* TOVA_RT_WASM_TASK_H */
