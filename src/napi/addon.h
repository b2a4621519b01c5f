/*
 * addon.h: internals shared by the files of the N-API addon (tova_runtime.node).
 *
 * The addon only converts arguments, creates promises and settles them; all
 * runtime logic lives behind include/tova.h. One file per job:
 *
 *   module.c      registration, per-environment state, cleanup hook, healthCheck
 *   completion.c  the completion queue + the one threadsafe function per env
 *   errors.c      JS Errors with a stable `code`
 *   request.c     the request base: countdown, kept failure, in-flight count
 *   values.c      int64 <-> JS number/BigInt, argument reading
 *   tasks.c       spawnTask, concurrentAll, concurrentAllTyped
 *   channels.c    channelCreate/Send/Receive/Close/SendAsync/Recv
 *   channel_select.c  channelSelect, channelSendBatch, channelReceiveBatch
 *   wasm_cache.c  compiled-module cache keyed by content hash (process-wide)
 *   wasm_values.c WebAssembly values <-> JS by signature
 *   js_helpers.c  bulk array conversions through two tiny JS functions
 *   wasm_module.c compile() and module arguments (bytes or compiled module)
 *   wasm.c        execWasm*, concurrentWasm* (all block modes), spawnWasm: runtime tasks
 *   wasm_bulk.c   callBulk (one export over many typed-array rows)
 *   wasi.c        runWasi (a WASI command as a runtime task)
 *
 * Threading model. Every JS environment (main thread, each worker_thread) gets
 * its own state: its own worker pool (tova_runtime, created on first use) and
 * its own completion queue. A pool per environment keeps teardown simple and
 * certain: when an environment goes away its cleanup hook frees its pool, which
 * finishes every task of that environment, so no worker ever touches state of a
 * dead environment. Channels are process-wide (ids valid in every environment).
 *
 * Completions. Workers never call into JS. A finished operation (tova_napi_op)
 * is pushed onto its environment's queue; only the push that makes the queue
 * non-empty calls the threadsafe function, whose JS-thread callback drains the
 * whole queue and settles every promise in it: many settlements per wake-up.
 * An operation completed on its own JS thread (channelSend handing a value to
 * a pending channelRecv) is settled at once instead.
 *
 * Liveness. Pending task work (spawnTask, concurrentAll, the wasm calls) keeps
 * the process alive until its promise settles, like a pending fs request;
 * pending channel waits do not, like a promise nobody resolves. Idle, the
 * addon holds no referenced handle, so a script exits after its last line.
 */
#ifndef TOVA_NAPI_ADDON_H
#define TOVA_NAPI_ADDON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <node_api.h>

#include "tova.h"

/* ------------------------------------------------------------------------- */
/* Operations and the completion queue                                        */
/* ------------------------------------------------------------------------- */

typedef struct tova_napi_env tova_napi_env;
typedef struct tova_napi_cq tova_napi_cq;
typedef struct tova_napi_op tova_napi_op;

/* JS thread: settle the promise of op and free op. Called inside a handle scope. */
typedef void (*tova_napi_settle_fn)(napi_env env, tova_napi_env *st, tova_napi_op *op);
/* Any thread, environment gone: free op without touching JS. */
typedef void (*tova_napi_discard_fn)(tova_napi_op *op);

/* Header embedded first in every pending operation. */
struct tova_napi_op {
  tova_napi_op *next;
  tova_napi_settle_fn settle;
  tova_napi_discard_fn discard;
  napi_deferred deferred;
  /* True while this op holds one count of st->keepalive (task work: the
   * process stays alive for its result). Channel waits never do. */
  bool keeps_alive;
};

/* The request base (request.c): one promise over parts of work done on
 * other threads; a countdown, the failure to report, and the in-flight count
 * that keeps the event loop alive until the JS thread has settled it. Embed
 * it first in a request struct. */
typedef enum tova_napi_req_rule {
  TOVA_NAPI_REQ_LOWEST, /* keep the failure of the lowest item index */
  TOVA_NAPI_REQ_FIRST,  /* keep the first failure in time */
  TOVA_NAPI_REQ_LAST    /* keep the last failure in time */
} tova_napi_req_rule;

typedef struct tova_napi_req {
  tova_napi_op op;
  tova_napi_env *st;
  size_t n;                 /* items, for err_index */
  atomic_size_t remaining;  /* parts still to finish, + 1 while starting */
  pthread_mutex_t err_mu;
  size_t err_index;         /* the kept failure's item, n when none */
  /* The kept failure, allocated when one is kept (most requests succeed, and
   * a tova_error is 260 bytes: a quarter of what a parked execWasm costs);
   * read it through tova_napi_req_error. */
  tova_error *err;
} tova_napi_req;

bool tova_napi_req_init(tova_napi_req *r, tova_napi_env *st, size_t n, tova_napi_settle_fn settle,
                        tova_napi_discard_fn discard);
void tova_napi_req_destroy(tova_napi_req *r);
/* JS thread, before starting the parts. */
void tova_napi_req_start(tova_napi_req *r, size_t parts);
/* Any thread. True if this failure is the one kept under rule. */
bool tova_napi_req_fail(tova_napi_req *r, size_t index, const tova_error *err, tova_napi_req_rule rule);
bool tova_napi_req_failed(tova_napi_req *r);
/* JS thread, settling (every part done): the kept failure; only when
 * err_index < n. */
const tova_error *tova_napi_req_error(const tova_napi_req *r);
/* Any thread: parts finished; the last one queues the request for settling. */
void tova_napi_req_done(tova_napi_req *r, size_t parts);
/* JS thread, at the end of the settle function. */
void tova_napi_req_settled(tova_napi_env *st);

/* An operation parked outside the runtime's pool (a JS channel wait), listed
 * on its queue so teardown can withdraw it. */
typedef struct tova_napi_parked tova_napi_parked;
struct tova_napi_parked {
  tova_napi_parked *next, *prev;
  bool linked;
  /* Called at teardown under cq->mu: withdraw the wait. True if its
   * completion will never run (the op is then discarded by teardown). */
  bool (*cancel)(tova_napi_parked *p);
  tova_napi_op *op;
  tova_status *status; /* where a withdrawn wait's outcome is written (deadlock) */
};

/* The completion queue outlives its environment while channel waits that may
 * still complete point at it (reference-counted); once `dead`, pushes discard. */
struct tova_napi_cq {
  pthread_mutex_t mu;
  tova_napi_op *head, *tail;
  tova_napi_parked *parked; /* channel waits of this env, for teardown */
  bool dead;
  napi_threadsafe_function tsfn;
  tova_napi_env *st; /* valid while !dead (read on the JS thread only) */
  pthread_t js_thread; /* the environment's JS thread */
  uint32_t refs;     /* under mu */
};

tova_napi_cq *tova_napi_cq_new(void);
void tova_napi_cq_retain(tova_napi_cq *cq);
void tova_napi_cq_release(tova_napi_cq *cq);
/* Any thread. Queue op for settlement on the JS thread (or discard it). */
void tova_napi_cq_push(tova_napi_cq *cq, tova_napi_op *op);
/* JS thread, at init: create the threadsafe function (unref'd). */
napi_status tova_napi_cq_start(napi_env env, tova_napi_env *st);
/* Cleanup: no more JS calls; discard everything queued and withdraw (then
 * discard) every parked wait that has not completed yet. */
void tova_napi_cq_kill(tova_napi_cq *cq);
/* Any thread. List / unlist a parked wait (unpark is idempotent). */
/* JS thread, JS done (beforeExit) and nothing else can complete them: end
 * every parked wait of this env with `status`, settling its promise now.
 * Returns how many. */
size_t tova_napi_cq_abort_parked(tova_napi_cq *cq, tova_status status);
void tova_napi_cq_park(tova_napi_cq *cq, tova_napi_parked *p);
void tova_napi_cq_unpark(tova_napi_cq *cq, tova_napi_parked *p);

/* JS thread. An operation that keeps the process alive until settled. */
void tova_napi_keepalive_begin(tova_napi_env *st, tova_napi_op *op);
void tova_napi_keepalive_end(tova_napi_env *st, tova_napi_op *op);
/* JS thread. Reference or unreference the threadsafe function as keepalive
 * and the runtime's activity say. */
void tova_napi_update_ref(tova_napi_env *st);
/* JS thread: process.on('beforeExit', ...) once per env (wasm.c), for
 * deadlock reports when JS is done. */
void tova_napi_install_exit_hook(napi_env env, tova_napi_env *st);

/* ------------------------------------------------------------------------- */
/* Per-environment state                                                      */
/* ------------------------------------------------------------------------- */

struct tova_napi_env {
  napi_env env;
  tova_napi_cq *cq;
  tova_runtime *rt;   /* created on first task, freed by the cleanup hook */
  uint32_t keepalive; /* JS thread only: ops keeping the loop alive */
  bool closing;       /* cleanup started: no new work */
  /* Liveness of WebAssembly tasks (wasm.c): the threadsafe function is
   * referenced while keepalive > 0 or some task of the runtime can progress
   * on its own (tova_runtime_wasm_active); `reffed` is its current state.
   * The runtime reports activity changes from any thread; off the JS thread
   * they are carried over by recheck_op (queued at most once at a time). */
  bool reffed;
  _Atomic uint32_t inflight; /* finished WebAssembly batches not yet settled */
  _Atomic bool recheck_queued;
  tova_napi_op recheck_op;
  bool exit_hook; /* process.on('beforeExit') installed for deadlock reports */
  /* js_helpers.c: 0 not compiled yet, 1 ready, -1 unavailable */
  int js_helpers;
  napi_ref js_to_f64, js_to_array;
};

tova_napi_env *tova_napi_state(napi_env env);
/* The environment's pool, created on first use; NULL (err filled) on failure. */
tova_runtime *tova_napi_runtime(tova_napi_env *st, tova_error *err);

/* ------------------------------------------------------------------------- */
/* Errors                                                                     */
/* ------------------------------------------------------------------------- */

/* An Error (TypeError for TOVA_BAD_ARGUMENT) with .code = tova_status_code(s). */
napi_value tova_napi_error_value(napi_env env, tova_status s, const char *message);
/* Throw err as a JS Error; returns NULL for the callback to return. */
napi_value tova_napi_throw(napi_env env, const tova_error *err);
napi_value tova_napi_throwf(napi_env env, tova_status s, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A promise already rejected with err. The rule of the addon: a function
 * that returns a promise rejects, never throws (bad input and out of memory
 * included); only a failure to create the promise itself throws. */
napi_value tova_napi_rejected(napi_env env, const tova_error *err);
napi_value tova_napi_rejectf(napi_env env, tova_status s, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void tova_napi_reject(napi_env env, napi_deferred d, tova_status s, const char *message);
/* A failed napi_* call: leave a pending JS exception as is, else throw one. */
napi_value tova_napi_fail(napi_env env, napi_status s, const char *where);
/* If a JS exception is pending, take it (so it can become a rejection). */
bool tova_napi_take_exception(napi_env env, napi_value *out);
/* Settle d with the result `out` that s says was built (napi_ok), or reject
 * it: with the pending JS exception if building it threw, else with
 * TOVA_ERR_NOMEM and `what` ("execWasm: cannot build the results"). */
void tova_napi_settle_built(napi_env env, napi_deferred d, napi_status s, napi_value out,
                            const char *what);

#define TOVA_NAPI_CALL(env, call, where)                                 \
  do {                                                                   \
    napi_status tova_napi_s_ = (call);                                   \
    if (tova_napi_s_ != napi_ok) return tova_napi_fail((env), tova_napi_s_, (where)); \
  } while (0)

/* ------------------------------------------------------------------------- */
/* Values                                                                     */
/* ------------------------------------------------------------------------- */

#define TOVA_NAPI_MAX_SAFE_INT 9007199254740991LL /* 2^53 - 1 */

/* int64 as a JS number when exact (|v| <= 2^53-1), else a BigInt. */
napi_status tova_napi_from_i64(napi_env env, int64_t v, napi_value *out);
/* A JS integer number within the safe range or a BigInt within int64.
 * `what` names the argument for the message ("channelSend: value"). */
tova_status tova_napi_to_i64(napi_env env, napi_value v, int64_t *out, tova_error *err,
                             const char *what);
/* A non-negative integer number <= max (handles, capacities, counts). */
tova_status tova_napi_to_index(napi_env env, napi_value v, uint64_t max, uint64_t *out,
                               tova_error *err, const char *what);
/* Short name of a JS value's type for messages ("string", "bigint", ...). */
const char *tova_napi_type_name(napi_env env, napi_value v);
/* Read the callback's arguments; *argc in/out. */
napi_status tova_napi_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv);
/* An array, or an array-like object (a Proxy over an array), and its
 * elements: a throwing getter becomes a TOVA_ERR_BAD_ARGUMENT naming what
 * (and what the getter threw), never a pending exception. */
tova_status tova_napi_list_length(napi_env env, napi_value v, uint32_t *n, tova_error *err,
                                  const char *what);
tova_status tova_napi_list_get(napi_env env, napi_value list, uint32_t i, napi_value *out,
                               tova_error *err, const char *what);
/* A thrown JS value as text for a message (its `message` if it is an
 * object, a Symbol as "a Symbol"), never empty, without letting user code
 * throw out of it. */
void tova_napi_describe(napi_env env, napi_value v, char *buf, size_t cap);
/* err = TOVA_ERR_BAD_ARGUMENT "<what>: reading it threw: <text>" when a JS
 * exception is pending (cleared: a getter or a Proxy trap threw), else
 * "<what>: <otherwise>". Returns TOVA_ERR_BAD_ARGUMENT. */
tova_status tova_napi_bad_read(napi_env env, tova_error *err, const char *what, const char *otherwise);
/* options.<name> as milliseconds (a non-negative integer). *ms = -1 when
 * options or the property is absent; TOVA_ERR_BAD_ARGUMENT when options is
 * not an object or the value is not such a number. */
tova_status tova_napi_opt_ms(napi_env env, napi_value opts, const char *name, int64_t *ms,
                             tova_error *err, const char *fn);
/* A JS string argument copied into a malloc'd NUL-terminated buffer. */
tova_status tova_napi_to_string(napi_env env, napi_value v, char **out, tova_error *err,
                                const char *what);

/* Bulk conversions through small JS helpers (js_helpers.c). False means "use
 * the per-element path" (not an error: no exception is left pending). */
/* values -> *data (n doubles, valid during this call) when every element is a
 * safe integer number. */
bool tova_napi_js_to_f64(napi_env env, tova_napi_env *st, napi_value values, const double **data,
                         size_t *n);
/* n int64 values (stride bytes apart) -> a plain JS array, if all are exact. */
bool tova_napi_js_to_array(napi_env env, tova_napi_env *st, const int64_t *values, size_t stride,
                           size_t n, napi_value *out);

/* ------------------------------------------------------------------------- */
/* Exported functions (each file registers its own)                           */
/* ------------------------------------------------------------------------- */

typedef struct tova_napi_export {
  const char *name;
  napi_callback fn;
  /* True for an export that reads its arguments with N-API's value getters
   * only (numbers, BigInts: no property reads, no coercion), so no user code
   * can throw inside it: it is registered without module.c's guard, which
   * costs a callback-info read and an exception check per call (15-40% of a
   * channelSend + channelReceive pair, 1M pairs in 67 vs 77-95 ms). */
  bool no_user_code;
} tova_napi_export;

napi_status tova_napi_define(napi_env env, napi_value exports, const tova_napi_export *list);
napi_status tova_napi_register_tasks(napi_env env, napi_value exports);
napi_status tova_napi_register_channels(napi_env env, napi_value exports);
napi_status tova_napi_register_channel_select(napi_env env, napi_value exports);
napi_status tova_napi_register_wasm(napi_env env, napi_value exports);
napi_status tova_napi_register_module(napi_env env, napi_value exports);
napi_status tova_napi_register_bulk(napi_env env, napi_value exports);
napi_status tova_napi_register_wasi(napi_env env, napi_value exports);
/* Wrap the packable batch calls of exports with lib/pack-tasks.js (after
 * every register_*: it wraps what they defined). Never fails the load. */
napi_status tova_napi_install_packing(napi_env env, napi_value exports);

#endif /* TOVA_NAPI_ADDON_H */
