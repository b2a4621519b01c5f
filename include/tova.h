/*
 * tova.h: the one public header of tova_runtime.
 *
 * tova_runtime runs WebAssembly functions as lightweight concurrent tasks over a
 * few worker threads, talking through Go-style channels. Layers, top to bottom:
 *
 *   runtime   worker pool, tasks (park/resume), channels       tova_runtime_*, tova_task_*, tova_chan_*
 *   engine    decode, validate, compile, instantiate, execute  tova_module_*, tova_store_*, tova_instance_*,
 *                                                              tova_exec_*, tova_func_*, tova_linker_*
 *   common    status codes and error values                    tova_status, tova_error
 *
 * Conventions (as in libuv): every name starts with tova_ / TOVA_; functions that
 * can fail return a tova_status (TOVA_OK == 0) and, where a message helps, fill a
 * caller-provided tova_error; objects are opaque and created/freed in pairs.
 */
#ifndef TOVA_H
#define TOVA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TOVA_EXTERN __attribute__((visibility("default")))
#else
#define TOVA_EXTERN
#endif

/* ========================================================================== */
/* Common: status codes and errors                                            */
/* ========================================================================== */

/* Every status, defined once: enum name, the stable code string JS errors
 * carry, and what it means (libuv's UV_ERRNO_MAP is the model). The enum and
 * tova_status_code are generated from this list. */
#define TOVA_STATUS_MAP(X)                                                                 \
  X(TOVA_OK, "TOVA_OK", "success")                                                        \
  X(TOVA_ERR_NOMEM, "TOVA_NOMEM", "allocation failed")                                    \
  X(TOVA_ERR_BAD_ARGUMENT, "TOVA_BAD_ARGUMENT", "wrong argument count, type or range")    \
  X(TOVA_ERR_NOT_FOUND, "TOVA_NOT_FOUND", "unknown handle, export or import")             \
  X(TOVA_ERR_INVALID_MODULE, "TOVA_INVALID_MODULE", "malformed or invalid WebAssembly")   \
  X(TOVA_ERR_UNLINKABLE, "TOVA_UNLINKABLE", "imports do not match what the module needs") \
  X(TOVA_ERR_TRAP, "TOVA_TRAP", "WebAssembly trap (the message says which)")              \
  X(TOVA_ERR_CLOSED, "TOVA_CLOSED", "channel closed")                                     \
  X(TOVA_ERR_FULL, "TOVA_FULL", "try-send on a full channel")                             \
  X(TOVA_ERR_EMPTY, "TOVA_EMPTY", "try-receive on an empty channel")                      \
  X(TOVA_ERR_CANCELLED, "TOVA_CANCELLED", "task cancelled")                               \
  X(TOVA_ERR_TIMEOUT, "TOVA_TIMEOUT", "deadline passed")                                  \
  X(TOVA_ERR_UNSUPPORTED, "TOVA_UNSUPPORTED", "valid WebAssembly this engine does not run") \
  X(TOVA_ERR_SHUTDOWN, "TOVA_SHUTDOWN", "the runtime is stopping")                        \
  X(TOVA_ERR_DEADLOCK, "TOVA_DEADLOCK", "every task is asleep on channels")               \
  X(TOVA_SUSPENDED, "TOVA_SUSPENDED", "not an error: execution parked in a host call")    \
  X(TOVA_PENDING, "TOVA_PENDING", "not an error: queued, completion later")

typedef enum tova_status {
#define TOVA_STATUS_ENUM(name, code, meaning) name,
  TOVA_STATUS_MAP(TOVA_STATUS_ENUM)
#undef TOVA_STATUS_ENUM
} tova_status;

/* Stable string for a status: "TOVA_TRAP", "TOVA_NOT_FOUND", ... (JS error codes). */
TOVA_EXTERN const char *tova_status_code(tova_status s);

#define TOVA_ERROR_MAX 256
typedef struct tova_error {
  tova_status status;
  char message[TOVA_ERROR_MAX]; /* NUL-terminated, says what and where */
} tova_error;

/* Fill err (may be NULL) and return status. printf-style. */
TOVA_EXTERN tova_status tova_error_set(tova_error *err, tova_status status, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ========================================================================== */
/* Engine: values and types                                                   */
/* ========================================================================== */

/* Value types use their binary-format encodings. */
typedef enum tova_valtype {
  TOVA_I32 = 0x7F,
  TOVA_I64 = 0x7E,
  TOVA_F32 = 0x7D,
  TOVA_F64 = 0x7C,
  TOVA_V128 = 0x7B, /* decoded only to be rejected as unsupported */
  TOVA_FUNCREF = 0x70,
  TOVA_EXTERNREF = 0x6F
} tova_valtype;

/* "i32", "i64", "f32", "f64", "v128", "funcref", "externref" ("unknown" else). */
TOVA_EXTERN const char *tova_valtype_name(uint8_t type);

/* One value. The type is known from context (a signature). Floats are stored
 * by bits so NaN payloads survive. References: funcref is a tova_func* (NULL is
 * ref.null), externref is an opaque host pointer (NULL is ref.null). */
typedef union tova_val {
  int32_t i32;
  int64_t i64;
  uint32_t f32_bits;
  uint64_t f64_bits;
  void *ref;
  uint64_t raw;
} tova_val;

typedef struct tova_functype {
  uint32_t nparams;
  uint32_t nresults;
  const uint8_t *params;  /* tova_valtype each */
  const uint8_t *results; /* tova_valtype each */
} tova_functype;

typedef enum tova_extern_kind {
  TOVA_EXTERN_FUNC = 0,
  TOVA_EXTERN_TABLE = 1,
  TOVA_EXTERN_MEMORY = 2,
  TOVA_EXTERN_GLOBAL = 3
} tova_extern_kind;

/* ========================================================================== */
/* Engine: modules                                                            */
/* ========================================================================== */

/* A decoded, validated, compiled module: immutable, reference-counted and safe
 * to share between threads. */
typedef struct tova_module tova_module;

/* Decode + validate + compile. Malformed/invalid input gives
 * TOVA_ERR_INVALID_MODULE (or TOVA_ERR_UNSUPPORTED for SIMD) with a message
 * naming section, byte offset and rule. The bytes are copied. */
TOVA_EXTERN tova_status tova_module_compile(const uint8_t *bytes, size_t len, tova_module **out,
                                            tova_error *err);
/* Decode + validate only (no code generated): for `tova validate`. */
TOVA_EXTERN tova_status tova_module_validate(const uint8_t *bytes, size_t len, tova_error *err);
TOVA_EXTERN void tova_module_retain(tova_module *m);
TOVA_EXTERN void tova_module_release(tova_module *m);

typedef struct tova_export_info {
  const char *name; /* not NUL-terminated in general: use name_len */
  uint32_t name_len;
  tova_extern_kind kind;
  uint32_t index; /* in the module's index space of that kind */
} tova_export_info;

TOVA_EXTERN uint32_t tova_module_export_count(const tova_module *m);
TOVA_EXTERN void tova_module_export_at(const tova_module *m, uint32_t i, tova_export_info *out);
/* Signature of an exported function by name; TOVA_ERR_NOT_FOUND if absent or
 * not a function. The functype points into the module (valid while it lives). */
TOVA_EXTERN tova_status tova_module_export_functype(const tova_module *m, const char *name,
                                                    tova_functype *out);
/* The same by (name, length): names may contain any byte, NUL included. */
TOVA_EXTERN tova_status tova_module_export_functype_n(const tova_module *m, const char *name,
                                                      size_t name_len, tova_functype *out);
/* True when calling exported function `name` can neither change its instance
 * (no store, memory.grow/fill/copy/init, data.drop, global.set, table
 * writes or elem.drop, in it or in any function it calls) nor call an import
 * or through a table, and the module has no start function: calls on one
 * instance are then indistinguishable from calls on fresh instances. False
 * when unsure. The answer is kept in the module after the first question. */
TOVA_EXTERN bool tova_module_export_is_stateless(tova_module *m, const char *name, size_t name_len);

typedef struct tova_import_info {
  const char *module;
  uint32_t module_len;
  const char *name;
  uint32_t name_len;
  tova_extern_kind kind;
  tova_functype functype; /* kind == FUNC */
} tova_import_info;
TOVA_EXTERN uint32_t tova_module_import_count(const tova_module *m);
TOVA_EXTERN void tova_module_import_at(const tova_module *m, uint32_t i, tova_import_info *out);

/* ========================================================================== */
/* Engine: stores, instances, runtime objects                                 */
/* ========================================================================== */

/* A store owns instances and every function, table, memory and global they
 * create; all are freed together with the store. A store is used by one thread
 * at a time (a task may move between threads while parked). */
typedef struct tova_store tova_store;
typedef struct tova_instance tova_instance;
typedef struct tova_func tova_func;
typedef struct tova_table tova_table;
typedef struct tova_memory tova_memory;
typedef struct tova_global tova_global;
typedef struct tova_exec tova_exec;

typedef struct tova_store_config {
  uint32_t max_memory_pages; /* per memory, 0 = default (65536 = 4 GiB, mapped lazily) */
  uint32_t max_table_elems;  /* per table, 0 = default (10,000,000) */
} tova_store_config;

TOVA_EXTERN tova_store *tova_store_new(const tova_store_config *cfg /* may be NULL */);
TOVA_EXTERN void tova_store_free(tova_store *s);

typedef struct tova_extern {
  tova_extern_kind kind;
  union {
    tova_func *func;
    tova_table *table;
    tova_memory *memory;
    tova_global *global;
  } of;
} tova_extern;

/* Host functions. A host function returns TOVA_OK with results written, or
 * TOVA_SUSPENDED to park the calling WebAssembly execution (tova_exec_call then
 * returns TOVA_SUSPENDED, and tova_exec_resume later supplies the results, on
 * any thread), or the status of tova_host_trap(). */
typedef struct tova_host_call tova_host_call;
typedef tova_status (*tova_host_fn)(tova_host_call *call, void *userdata, const tova_val *args,
                                    tova_val *results);
/* Trap the calling execution with a message; return its value from the host fn. */
TOVA_EXTERN tova_status tova_host_trap(tova_host_call *call, const char *message);
/* The execution and instance making the call (instance NULL if called from C). */
TOVA_EXTERN tova_exec *tova_host_call_exec(tova_host_call *call);
TOVA_EXTERN tova_instance *tova_host_call_instance(tova_host_call *call);

TOVA_EXTERN tova_func *tova_func_new_host(tova_store *s, const tova_functype *type, tova_host_fn fn,
                                          void *userdata);
TOVA_EXTERN const tova_functype *tova_func_type(const tova_func *f);

TOVA_EXTERN tova_table *tova_table_new(tova_store *s, tova_valtype elem, uint32_t min, uint32_t max,
                                       bool has_max);
TOVA_EXTERN tova_memory *tova_memory_new(tova_store *s, uint32_t min_pages, uint32_t max_pages,
                                         bool has_max);
TOVA_EXTERN tova_global *tova_global_new(tova_store *s, tova_valtype type, bool mutable_,
                                         tova_val value);
TOVA_EXTERN tova_val tova_global_get(const tova_global *g);
TOVA_EXTERN tova_valtype tova_global_type(const tova_global *g);
/* The memory's bytes (valid until it grows), writable: the only way to reach
 * them from outside WebAssembly. Asking counts as writing (the whole memory
 * is then zeroed when it goes back to the pool), so write through no other
 * pointer. */
TOVA_EXTERN uint8_t *tova_memory_data(tova_memory *m, uint64_t *size_bytes);
TOVA_EXTERN uint32_t tova_memory_pages(const tova_memory *m);
TOVA_EXTERN uint32_t tova_table_size(const tova_table *t);

/* Instantiate with imports given in the module's import order. Runs segment
 * initialisation and the start function; a trap there gives TOVA_ERR_TRAP. */
TOVA_EXTERN tova_status tova_instance_new(tova_store *s, tova_module *m, const tova_extern *imports,
                                          size_t nimports, tova_instance **out, tova_error *err);
/* The same, running the start function on exec (so another thread can stop a
 * runaway start function with tova_exec_interrupt). A start function whose
 * host call suspends fails: start functions cannot park. */
TOVA_EXTERN tova_status tova_instance_new_on(tova_store *s, tova_module *m,
                                             const tova_extern *imports, size_t nimports,
                                             tova_exec *exec, tova_instance **out,
                                             tova_error *err);
TOVA_EXTERN tova_status tova_instance_export(tova_instance *inst, const char *name,
                                             tova_extern *out);
/* Export by (name, length): names may contain any byte, NUL included. */
TOVA_EXTERN tova_status tova_instance_export_n(tova_instance *inst, const char *name,
                                               size_t name_len, tova_extern *out);
TOVA_EXTERN tova_module *tova_instance_module(tova_instance *inst);
/* The instance's memory `index` (imported or defined), or NULL: how a host
 * function reaches the caller's linear memory (tova_memory_data). */
TOVA_EXTERN tova_memory *tova_instance_memory(tova_instance *inst, uint32_t index);

/* Linker: resolves imports by (module, name). */
typedef struct tova_linker tova_linker;
TOVA_EXTERN tova_linker *tova_linker_new(void);
TOVA_EXTERN void tova_linker_free(tova_linker *l);
TOVA_EXTERN tova_status tova_linker_define(tova_linker *l, const char *module, const char *name,
                                           tova_extern ext);
/* Define every export of inst under module name (the spec's "register"). */
TOVA_EXTERN tova_status tova_linker_define_instance(tova_linker *l, const char *module,
                                                    tova_instance *inst);
/* The definition of (module, name), or TOVA_ERR_NOT_FOUND. */
TOVA_EXTERN tova_status tova_linker_get(tova_linker *l, const char *module, size_t module_len,
                                        const char *name, size_t name_len, tova_extern *out);
/* Missing or mismatched imports give TOVA_ERR_UNLINKABLE naming the import. */
TOVA_EXTERN tova_status tova_linker_instantiate(tova_linker *l, tova_store *s, tova_module *m,
                                                tova_instance **out, tova_error *err);

/* ========================================================================== */
/* Engine: tiers                                                              */
/* ========================================================================== */

/* Functions run in the interpreter, or as native code compiled with LLVM
 * (when built with it). Functions that call imports run native too: where an
 * import parks, native code leaves for the interpreter; see
 * docs/native-tier.md.
 * The process-wide policy comes from TOVA_TIER=interp|native|tiered (unset:
 * auto), or from tova_set_tier, and applies to modules compiled afterwards:
 *   auto    (the default) tiered for every module size: a module up to 16 KiB
 *           is compiled whole at once, a bigger one hot functions first;
 *   interp  every function interpreted;
 *   native  every eligible function compiled when the module is compiled;
 *   tiered  modules start interpreted, a background thread compiles them
 *           (big ones whole, after hot functions) and functions switch to
 *           native code when it is ready. */
typedef enum tova_tier {
  TOVA_TIER_INTERP = 1,
  TOVA_TIER_NATIVE = 2,
  TOVA_TIER_TIERED = 3,
  TOVA_TIER_AUTO = 4 /* the default: tiered, small modules whole, big ones hot functions first */
} tova_tier;
/* TOVA_ERR_UNSUPPORTED for native/tiered in a build without LLVM, or whose
 * LLVM backend (tova_llvm.so beside the addon or the CLI) cannot be loaded:
 * tova_runtime_info says why. */
TOVA_EXTERN tova_status tova_set_tier(tova_tier tier);
/* The on-disk cache of native code: compiled units kept between processes,
 * so that a program run again links its code instead of compiling it
 * (docs/native-tier.md "Keeping compiled code between processes"; bounded by
 * TOVA_CACHE_MAX, default 512M). Process-wide, fixed when first used (the
 * first module with native code): TOVA_ERR_BAD_ARGUMENT after that.
 *   TOVA_CODE_CACHE_NONE  nothing read or written (the library's default);
 *   TOVA_CODE_CACHE_USER  the user's cache directory: $XDG_CACHE_HOME/tova_runtime,
 *                         else ~/.cache/tova_runtime (macOS: ~/Library/Caches/
 *                         tova_runtime); what the tova command and the Bun/Node
 *                         package choose;
 *   TOVA_CODE_CACHE_DIR   the directory dir.
 * TOVA_CACHE_DIR in the environment wins when set (empty: no cache). A
 * directory is made (0700) if missing and used only if this user owns it
 * and nobody else may write to it (its files are code this process runs).
 * Without the native tier: TOVA_OK, nothing to keep. */
typedef enum tova_code_cache {
  TOVA_CODE_CACHE_NONE = 0,
  TOVA_CODE_CACHE_USER = 1,
  TOVA_CODE_CACHE_DIR = 2
} tova_code_cache;
TOVA_EXTERN tova_status tova_set_code_cache(tova_code_cache where, const char *dir);
/* Compiles every function of m that may run native, now, on the calling
 * thread (LLVM: about 10 ms + 25 ms per KB of code), and keeps the code in
 * the code cache (tova_set_code_cache) with the list of m's units and an
 * entry into the middle of each function's loops: every later process that
 * compiles the same bytes under the default policy links it at once, with
 * no LLVM (docs/native-tier.md "Compiling ahead"), so its first call runs
 * native code instead of starting interpreted. A build step's tool (`tova
 * compile`, precompileWasm in JS). m must have been compiled under the
 * default (auto) or tiered policy; *units (may be NULL) receives how many
 * units of code later runs will link (compiled now or found in the cache). TOVA_ERR_UNSUPPORTED
 * with the reason: no native tier, no code cache, another policy, or the
 * compile failed. */
TOVA_EXTERN tova_status tova_module_precompile(tova_module *m, uint32_t *units, tova_error *err);
/* One line saying which tiers this build has and the policy, e.g.
 * "tiers: interp, native (LLVM 19.1.7); policy interp". */
TOVA_EXTERN void tova_runtime_info(char *buf, size_t len);
/* Whether the native tier's backend (LLVM's library, tova_llvm.so) is being
 * loaded right now, on the compiler thread (it takes ~20 ms). A process
 * that calls exit() meanwhile waits for the load to end: the dynamic loader
 * holds its lock for the whole load, and exit() takes it to run the
 * libraries' destructors. A program with nothing left for those to do (the
 * CLI, once the WebAssembly program has ended and stdio is flushed) may
 * _exit instead. Always false without the native tier. */
TOVA_EXTERN bool tova_native_loading(void);

/* ========================================================================== */
/* Engine: execution                                                          */
/* ========================================================================== */

/* An execution context: the WebAssembly call stack of one task, held in memory
 * the task owns (not the C stack), growable up to max_stack_bytes. */
TOVA_EXTERN tova_exec *tova_exec_new(size_t max_stack_bytes /* 0 = default 64 MiB, grown on demand */);
TOVA_EXTERN void tova_exec_free(tova_exec *e);
TOVA_EXTERN void tova_exec_set_userdata(tova_exec *e, void *userdata);
TOVA_EXTERN void *tova_exec_userdata(const tova_exec *e);

/* Call f. Returns TOVA_OK (results written), TOVA_SUSPENDED (a host function
 * parked; call tova_exec_resume later), TOVA_ERR_TRAP (err->message is the
 * spec's trap message, e.g. "integer divide by zero", "call stack exhausted"),
 * or TOVA_ERR_CANCELLED (interrupted). args/results follow tova_func_type(f).
 * TOVA_ERR_BAD_ARGUMENT if e is suspended or already running (a host function
 * cannot re-enter the exec that called it: use another tova_exec). */
TOVA_EXTERN tova_status tova_exec_call(tova_exec *e, tova_func *f, const tova_val *args,
                                       tova_val *results, tova_error *err);
/* Resume a suspended execution: host_results are the parked host function's
 * results; results/err as for tova_exec_call (it may suspend again). */
TOVA_EXTERN tova_status tova_exec_resume(tova_exec *e, const tova_val *host_results,
                                         tova_val *results, tova_error *err);
/* Abandon a suspended execution (frees nothing the store owns). */
TOVA_EXTERN void tova_exec_reset(tova_exec *e);
/* Shrink an idle execution's stacks (they grow on demand up to
 * max_stack_bytes during a call and stay grown otherwise) to a small size
 * kept for reuse: at most 32 value slots and 4 frames. */
TOVA_EXTERN void tova_exec_trim(tova_exec *e);
/* Thread-safe: the execution stops at its next loop back-edge or call with
 * TOVA_ERR_CANCELLED. The flag is sticky: it stays set (so every later call
 * on e is cancelled at once, and a resume at the first back-edge or call
 * after the resumed host call's results are delivered: that host call has
 * completed, and what it returned is not thrown away) until
 * tova_exec_clear_interrupt. So an interrupt sent just before a call starts
 * is never lost. */
TOVA_EXTERN void tova_exec_interrupt(tova_exec *e);
TOVA_EXTERN void tova_exec_clear_interrupt(tova_exec *e);
TOVA_EXTERN bool tova_exec_interrupted(const tova_exec *e);

/* ========================================================================== */
/* Runtime: worker pool and tasks                                             */
/* ========================================================================== */

typedef struct tova_runtime tova_runtime;

typedef struct tova_runtime_config {
  uint32_t workers; /* 0 = one per core */
} tova_runtime_config;

TOVA_EXTERN tova_status tova_runtime_new(const tova_runtime_config *cfg /* may be NULL */,
                                         tova_runtime **out);
/* Stops the workers (running tasks finish their current step, queued tasks are
 * completed with TOVA_ERR_SHUTDOWN) and joins them. Must not be called from a
 * task of the same runtime (it then does nothing). Several runtimes may live
 * in one process (e.g. one per JS environment); channels are shared by all. */
TOVA_EXTERN void tova_runtime_free(tova_runtime *rt);
TOVA_EXTERN uint32_t tova_runtime_worker_count(const tova_runtime *rt);

/* A task is a resumable unit of work. Its step function runs on a worker and
 * returns TOVA_OK when the task is finished, or TOVA_SUSPENDED when it parked
 * (it must have arranged for tova_task_wake to be called later). */
typedef struct tova_task tova_task;
typedef tova_status (*tova_task_step_fn)(tova_task *t, void *userdata);
/* Called once when the task is finished, normally on a worker. Shutdown
 * completes tasks with status TOVA_ERR_SHUTDOWN: queued ones on the thread
 * calling tova_runtime_free, parked ones on the thread that wakes them after
 * the runtime was freed (a parked task keeps a small shell of its runtime
 * alive until then; a task never woken is leaked, like a goroutine blocked
 * forever). The task is freed after done returns. done may be NULL. */
typedef void (*tova_task_done_fn)(tova_task *t, void *userdata, tova_status status);

/* Spawn one task (one small allocation). *out (may be NULL) is only valid
 * until done has returned. TOVA_ERR_SHUTDOWN if the runtime is stopping. */
TOVA_EXTERN tova_status tova_task_spawn(tova_runtime *rt, tova_task_step_fn step,
                                        tova_task_done_fn done, void *userdata, tova_task **out);
/* Spawn n tasks sharing step and done, task i with userdata[i], in one
 * allocation and one queue operation (e.g. 1M tasks from the JS thread).
 * out (may be NULL) receives n task pointers. */
TOVA_EXTERN tova_status tova_task_spawn_batch(tova_runtime *rt, size_t n, tova_task_step_fn step,
                                              tova_task_done_fn done, void *const *userdata,
                                              tova_task **out);
/* Make a parked task runnable again. Safe from any thread, also while the
 * parking step is still returning (the wake is not lost). Waking a task that
 * is queued or running just makes sure its step runs again; waking a finished
 * task is a no-op provided its memory is still referenced (see retain), and
 * undefined otherwise (it is freed once done has returned). */
TOVA_EXTERN void tova_task_wake(tova_task *t);
/* Keep a task's memory valid past its done callback, e.g. for a canceller
 * that may wake a task racing to finish. Each retain needs one release. */
TOVA_EXTERN void tova_task_retain(tova_task *t);
TOVA_EXTERN void tova_task_release(tova_task *t);
TOVA_EXTERN void *tova_task_userdata(const tova_task *t);

/* ========================================================================== */
/* Runtime: WebAssembly tasks                                                 */
/* ========================================================================== */

/* A WebAssembly task is one call of a module's export, run as a task of the
 * pool. The runtime owns its whole life (libuv's uv_queue_work is the model):
 * a store and instance of its own, its execution, its parking on channels,
 * timers and selects, its cancellation and its result. The embedder only
 * converts arguments and reads the result.
 *
 * Host imports: a module may import functions of module "tova" (chan_send,
 * chan_receive, chan_close, chan_try_send, chan_try_receive, sleep, yield,
 * now_ms, select: see docs/host-imports.md); the task links them. Any other
 * import, or a "tova" import with the wrong signature, fails the spawn with
 * TOVA_ERR_UNLINKABLE naming the import. A task blocked in chan_send,
 * chan_receive, sleep or select PARKS: its worker runs other tasks, and the
 * operation that unblocks it makes it runnable on any worker.
 *
 * Lifetime: tova_wasm_task_spawn returns the task with one reference for the
 * caller. `done` is called exactly once, when the task has ended (on a worker,
 * the timer thread, or the thread that cancelled it); the result can be read
 * from then on. Every reference is dropped with tova_wasm_task_release. */
typedef struct tova_wasm_task tova_wasm_task;
typedef struct tova_wasi tova_wasi; /* see WASI below */
typedef void (*tova_wasm_task_done_fn)(tova_wasm_task *t, void *userdata);

typedef struct tova_wasm_task_config {
  tova_module *module;   /* retained by the task */
  const char *func;      /* the export to call; name_len bytes (any byte) */
  size_t func_len;
  const tova_val *args;  /* copied; count and types follow the export's signature */
  uint32_t nargs;
  int64_t timeout_ms;    /* > 0: cancelled with TOVA_ERR_TIMEOUT that long after spawn */
  size_t max_stack_bytes; /* 0: the engine's default */
  tova_wasm_task_done_fn done; /* may be NULL */
  void *userdata;
  /* Bulk (nrows > 0): call the export nrows times, one after the other on the
   * task's one instance: row r takes rows_args[r * nparams ...] and writes
   * rows_results[r * nresults ...] (both owned by the caller, valid until
   * done; args/nargs are then unused). The task ends at the first failing
   * row: tova_wasm_task_rows_done says how many rows completed. */
  size_t nrows;
  const tova_val *rows_args;
  tova_val *rows_results;
  /* WASI: imports of wasi_snapshot_preview1 are served by this context, which
   * the task takes over once the spawn succeeds (freed when it ends; NULL: no
   * WASI). A program that exits through proc_exit ends the task with
   * TOVA_OK, and tova_wasm_task_exit_code gives its status (0 when _start
   * returns). WASI calls that wait (fd_read of a pipe or a terminal, fd_write
   * to a full pipe, poll_oneoff on streams) hold their worker while they
   * wait, and look at the task's cancel every 50 ms: a cancel, a deadline or
   * the runtime's shutdown stops them. */
  tova_wasi *wasi;
} tova_wasm_task_config;

/* Validate the call (export exists, argument count) and queue the task. The
 * instance is made on the worker, so a runaway start function can be
 * cancelled like the call itself. */
TOVA_EXTERN tova_status tova_wasm_task_spawn(tova_runtime *rt, const tova_wasm_task_config *cfg,
                                             tova_wasm_task **out, tova_error *err);
/* Spawn n tasks at once (Tova's concurrent blocks): one queue operation, and
 * the checks made once for a run of configs with the same module and export.
 * out[i] receives task i (one reference for the caller each). All or none:
 * on failure nothing is spawned, *failed (may be NULL) is the index of the
 * config that failed and err says why. */
TOVA_EXTERN tova_status tova_wasm_task_spawn_batch(tova_runtime *rt, size_t n,
                                                   const tova_wasm_task_config *cfgs,
                                                   tova_wasm_task **out, size_t *failed,
                                                   tova_error *err);
/* Stop the task: it ends with `why` (TOVA_ERR_CANCELLED, TOVA_ERR_TIMEOUT or
 * TOVA_ERR_SHUTDOWN) at its next loop back-edge or call, or at once if it is
 * parked (its channel wait, sleep or select is withdrawn, and the channels
 * stay consistent), and releases its instance and memory. The first reason
 * wins and stays set until the task has ended. No-op on an ended task.
 * Thread-safe; the caller must hold a reference. */
TOVA_EXTERN void tova_wasm_task_cancel(tova_wasm_task *t, tova_status why);
/* Whether the task keeps its embedder waiting (tova_runtime_wasm_active),
 * as a Node timer's or Worker's unref()/ref(): a task is referenced from
 * spawn; an unreferenced one still runs, parks and wakes others as before
 * (and still counts against a deadlock report, since it may yet wake the
 * others), but an embedder that waits only while tasks are active no
 * longer waits for it; when the runtime is freed, it ends with
 * TOVA_ERR_SHUTDOWN like any other. Any thread, any time; no effect once
 * the task has ended. */
TOVA_EXTERN void tova_wasm_task_unref(tova_wasm_task *t);
TOVA_EXTERN void tova_wasm_task_ref(tova_wasm_task *t);
TOVA_EXTERN void tova_wasm_task_retain(tova_wasm_task *t);
TOVA_EXTERN void tova_wasm_task_release(tova_wasm_task *t);
/* Process-unique id (from 1), for messages and JS handles. */
TOVA_EXTERN uint64_t tova_wasm_task_id(const tova_wasm_task *t);
/* After done: TOVA_OK with the results (tova_wasm_task_results, typed by the
 * export's signature, which *type receives if not NULL), or the failure with
 * its message in err ("trap in f: integer divide by zero", "cancelled", ...). */
TOVA_EXTERN tova_status tova_wasm_task_status(const tova_wasm_task *t, tova_error *err);
TOVA_EXTERN const tova_val *tova_wasm_task_results(const tova_wasm_task *t,
                                                   tova_functype *type);
TOVA_EXTERN size_t tova_wasm_task_rows_done(const tova_wasm_task *t);
/* A WASI task that ended with TOVA_OK: true and its exit status. */
TOVA_EXTERN bool tova_wasm_task_exit_code(const tova_wasm_task *t, int *code);

/* Activity of the runtime's WebAssembly tasks, for an embedder that must know
 * whether waiting makes sense (the addon keeps the JS event loop alive only
 * while some task can progress on its own). A task is "active" from spawn to
 * end, except while parked on channel operations only (a sleeping task, or a
 * select with a timeout, is active: its timer will wake it) and while
 * unreferenced (tova_wasm_task_unref). `fn` is called
 * on whichever thread changes the number of active tasks between zero and
 * non-zero; it must be quick and call no tova_* function but
 * tova_runtime_wasm_active. */
typedef void (*tova_runtime_activity_fn)(void *userdata);
TOVA_EXTERN void tova_runtime_on_activity(tova_runtime *rt, tova_runtime_activity_fn fn,
                                          void *userdata);
TOVA_EXTERN bool tova_runtime_wasm_active(const tova_runtime *rt);
/* Deadlock check, as Go's "all goroutines are asleep": if WebAssembly tasks
 * are alive and every one of them is parked on channel operations (nothing
 * but the caller could wake one), each is ended with TOVA_ERR_DEADLOCK and a
 * message naming it (id, export) and the channels it waits on. Returns how
 * many were ended (0: no deadlock). `report` (may be NULL) receives a
 * summary naming up to a few tasks. Call it only when the caller itself will
 * not touch the channels any more (the addon calls it when JS is done). */
TOVA_EXTERN size_t tova_runtime_deadlock(tova_runtime *rt, char *report, size_t report_cap);

/* ========================================================================== */
/* Runtime: channels                                                          */
/* ========================================================================== */

/* Channels carry int64 values with Go's semantics. Handles are small integers
 * valid from every thread, task and JS environment of the process. */
typedef uint32_t tova_chan_id;

/* Ids start at 1 (0 is never a channel) and fit in 31 bits (non-negative as a
 * WebAssembly i32). An id is a slot plus a generation: a closed channel whose
 * buffer has been drained frees its memory at once, and its slot is reused by
 * later channels under a new generation, so ids never run out and a closed,
 * drained channel costs nothing. Every operation on the old id gives
 * TOVA_ERR_CLOSED (never another channel, until at least 2^26 later channels
 * have been freed). The buffer grows on demand up to capacity.
 * TOVA_ERR_NOMEM when memory runs out or 2^21 - 1 channels are open at once. */
TOVA_EXTERN tova_status tova_chan_create(uint32_t capacity, tova_chan_id *out);
/* Try-operations never block: TOVA_OK, TOVA_ERR_FULL / TOVA_ERR_EMPTY,
 * TOVA_ERR_CLOSED (send after close; receive when closed and drained),
 * TOVA_ERR_NOT_FOUND (TOVA_ERR_NOMEM if the buffer cannot grow). */
TOVA_EXTERN tova_status tova_chan_try_send(tova_chan_id id, int64_t value);
TOVA_EXTERN tova_status tova_chan_try_recv(tova_chan_id id, int64_t *value);
/* The same for many values under one lock (JS's batched channel calls): as
 * that many try-operations one after the other, with nobody else's between.
 * Send: values[0..n) in order until the channel is full (*done of them
 * taken; parked receivers get theirs first, as one by one). Receive: up to
 * max values into out (*done), parked senders' values following in order.
 * TOVA_OK when at least one value moved (or n / max is 0), else what the
 * first single operation would have returned. */
TOVA_EXTERN tova_status tova_chan_try_send_many(tova_chan_id id, const int64_t *values, size_t n,
                                                size_t *done);
TOVA_EXTERN tova_status tova_chan_try_recv_many(tova_chan_id id, int64_t *out, size_t max,
                                                size_t *done);
/* Close: wakes every waiter (receivers see TOVA_ERR_CLOSED once drained,
 * senders TOVA_ERR_CLOSED). Closing twice gives TOVA_ERR_CLOSED. */
TOVA_EXTERN tova_status tova_chan_close(tova_chan_id id);

/* Waiting operations. A waiter is a parked task or a JS promise alike: the
 * caller embeds a tova_chan_waiter and gets exactly one completion callback.
 * If the operation can complete at once the call returns its status and the
 * callback is NOT called; otherwise it returns TOVA_PENDING and the callback
 * runs later (on whatever thread completes it) with TOVA_OK (value filled for
 * receives) or TOVA_ERR_CLOSED. */
typedef struct tova_chan_waiter tova_chan_waiter;
typedef struct tova_select tova_select; /* see select below */
typedef void (*tova_chan_complete_fn)(tova_chan_waiter *w, tova_status status);
struct tova_chan_waiter {
  tova_chan_complete_fn complete;
  void *userdata;
  int64_t value;                /* value to send / value received */
  tova_chan_waiter *next, *prev; /* owned by the channel while queued */
  /* NULL for a plain wait. Set by tova_select_start on its case waiters: a
   * channel takes such a waiter only if it wins the select's one-time claim,
   * so a select fires once however many of its channels become ready. */
  tova_select *select;
};
/* The *_wait calls reset next/prev themselves; a waiter passed to
 * tova_chan_cancel_wait must have been zero-initialised or used by a *_wait
 * call before. Completion callbacks run with no channel lock held, so they
 * may call any tova_chan_* function or tova_task_wake. */
TOVA_EXTERN tova_status tova_chan_send_wait(tova_chan_id id, tova_chan_waiter *w);
TOVA_EXTERN tova_status tova_chan_recv_wait(tova_chan_id id, tova_chan_waiter *w);
/* Remove w from channel id's wait queues (it must have been queued there by a
 * *_wait call that returned TOVA_PENDING). Returns true if it was still queued:
 * its callback will never run. Returns false if it was already completed (its
 * callback has run or is running on another thread right now), or if id is
 * unknown. Used to cancel parked tasks and to time out waits. */
TOVA_EXTERN bool tova_chan_cancel_wait(tova_chan_id id, tova_chan_waiter *w);

/* Select over several channel operations, as Go's select: among the cases
 * that are ready one is chosen at random (fair); if none is ready the select
 * waits on all of them and the first that becomes ready fires, exactly once:
 * the other cases are withdrawn and take nothing from their channels. */
typedef enum tova_select_op { TOVA_SELECT_RECV = 0, TOVA_SELECT_SEND = 1 } tova_select_op;
typedef struct tova_select_case {
  tova_chan_id chan;
  tova_select_op op;
  int64_t value; /* the value to send / the value received (fired recv case) */
  tova_status status; /* fired case: TOVA_OK, or TOVA_ERR_CLOSED (closed channel; a
                       * closed channel is always ready, as in Go) or
                       * TOVA_ERR_NOT_FOUND (unknown channel, also always ready) */
} tova_select_case;
/* Called once when a waiting select ends: `index` is the case that fired
 * (its status/value filled in cases[index]) or -1 for the timeout or a
 * cancel (status TOVA_ERR_TIMEOUT / TOVA_ERR_CANCELLED). Runs on the thread
 * that completed it, with no lock held. */
typedef void (*tova_select_done_fn)(tova_select *sel, void *userdata, int index,
                                    tova_status status);
/* Start a select over cases[0..n) (the array must stay valid until done or a
 * successful cancel). timeout_ms < 0: wait for ever; 0: do not wait (Go's
 * default case); > 0: give up after that long (needs rt for the timer; rt may
 * be NULL otherwise). If a case is ready now it fires at once: returns
 * TOVA_OK with *index set and `done` is NOT called; with timeout_ms == 0 and
 * nothing ready: TOVA_OK and *index = -1. Otherwise TOVA_PENDING with *out
 * set, holding one reference for the caller (tova_select_release, once done
 * has been called or a cancel succeeded), and `done` is called once, on the
 * thread that fires it: possibly before tova_select_start has returned. */
TOVA_EXTERN tova_status tova_select_start(tova_runtime *rt, tova_select_case *cases, size_t n,
                                          int64_t timeout_ms, tova_select_done_fn done,
                                          void *userdata, int *index, tova_select **out);
/* Withdraw a pending select. True: it was still waiting, done will never be
 * called and the select is freed. False: it has fired or is firing right now
 * (done runs or has run, and frees it). */
TOVA_EXTERN bool tova_select_cancel(tova_select *sel);
TOVA_EXTERN void tova_select_release(tova_select *sel);
/* Milliseconds of a monotonic clock (the runtime's timers and tova.now_ms). */
TOVA_EXTERN int64_t tova_now_ms(void);

/* ========================================================================== */
/* WASI preview 1 (wasi_snapshot_preview1)                                    */
/* ========================================================================== */

/* A WASI context: the arguments, environment, standard streams and preopened
 * directories one WASI program sees. tova_wasi_define puts every
 * wasi_snapshot_preview1 function into a linker; the functions find the
 * calling instance's exported "memory" and bounds-check every guest pointer
 * (EFAULT). The guest reaches host files only below its preopened
 * directories: paths are resolved one component at a time, ".." may not climb
 * above a preopen, absolute paths and symlinks leading out are refused
 * (ENOTCAPABLE). A context serves one execution at a time (like a store);
 * only tova_wasi_interrupt may be called from another thread. */
TOVA_EXTERN tova_wasi *tova_wasi_new(void);
/* Closes the files the guest opened and the preopened directories; the
 * standard streams given by tova_wasi_set_stdio are not closed. */
TOVA_EXTERN void tova_wasi_free(tova_wasi *w);
/* argv[0] is the program name, as in C. The strings are copied. */
TOVA_EXTERN tova_status tova_wasi_set_args(tova_wasi *w, size_t argc, const char *const *argv);
/* Each entry "KEY=VALUE". The strings are copied. */
TOVA_EXTERN tova_status tova_wasi_set_env(tova_wasi *w, size_t envc, const char *const *env);
/* Host file descriptors for the guest's fds 0, 1, 2 (-1: that stream is
 * closed). Default: the process's own 0, 1, 2. They stay owned by the caller. */
TOVA_EXTERN tova_status tova_wasi_set_stdio(tova_wasi *w, int in_fd, int out_fd, int err_fd);
/* Make host directory host_path reachable by the guest as guest_path (e.g.
 * "." or "/data"). Preopens get guest fds 3, 4, ... in the order given. */
TOVA_EXTERN tova_status tova_wasi_preopen(tova_wasi *w, const char *host_path,
                                          const char *guest_path, tova_error *err);
/* Define every wasi_snapshot_preview1 function, created in store s, in l. */
TOVA_EXTERN tova_status tova_wasi_define(tova_wasi *w, tova_store *s, tova_linker *l);
/* proc_exit ends the execution with TOVA_ERR_TRAP (message "wasi proc_exit
 * N"); it is not a failure: after a trap, this returns true and the exit
 * status N if the program exited through proc_exit. */
TOVA_EXTERN bool tova_wasi_exit_status(const tova_wasi *w, int *status);
/* Thread-safe: wake a guest sleeping in poll_oneoff or waiting on a stream in
 * fd_read/fd_write, which then traps with "interrupted" (pair it with
 * tova_exec_interrupt to stop a running program). It stays set: every later
 * wait of this context ends at once. */
TOVA_EXTERN void tova_wasi_interrupt(tova_wasi *w);
/* Clock waits without a thread. A WASI program that only sleeps (poll_oneoff
 * on clock subscriptions alone) blocks its thread by default. An embedder
 * that runs programs as tasks installs a sleeper (the runtime's WebAssembly
 * tasks do): poll_oneoff then writes its result at once (the events of the
 * subscriptions due first, and their count) and calls sleeper(ctx, call, ns),
 * ns the time left. If that returns TOVA_SUSPENDED, so does the host call:
 * the embedder resumes the execution after ns with poll_oneoff's i32 result
 * 0 (success). Any other return: the thread sleeps as without a sleeper. */
typedef tova_status (*tova_wasi_sleep_fn)(void *ctx, tova_host_call *call, uint64_t ns);
TOVA_EXTERN void tova_wasi_set_sleeper(tova_wasi *w, tova_wasi_sleep_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif /* TOVA_H */
