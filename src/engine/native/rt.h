/*
 * rt.h: the contract between native code and the C runtime around it:
 * the per-entry context native functions receive as their first argument,
 * the trap kinds, and the C helpers native code calls (rt.c).
 *
 * Native code reads the context's fields at the offsets given here
 * (translate.c uses offsetof on this struct), so this struct is the one
 * definition of that layout.
 */
#ifndef TOVA_ENGINE_NATIVE_RT_H
#define TOVA_ENGINE_NATIVE_RT_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine/exec.h"

typedef struct wasm_native_ctx {
  /* Memory 0 as last seen: native code caches these and reloads them after
   * every call and memory.grow (helpers that grow update them here). */
  uint8_t *mem_base;
  uint64_t mem_size;
  atomic_uint *interrupt; /* &exec->interrupt: polled at loop headers and function entry */
  uintptr_t stack_limit;  /* native code traps "call stack exhausted" below this */
  tova_instance *inst;
  tova_exec *exec;
  sigjmp_buf *trap_jmp; /* where a trap unwinds to (native frames need no cleanup) */
  /* Where the interpreter's frames of native calls are (WASM_NATIVE_FRAME
   * below): the outermost native function's frame as an index into
   * exec->stack (the entry's fp), and how many frames the execution had
   * then (exec->fsp - exec->frames): a native call at depth d has its frame
   * record, when it leaves, at index fbase + d - 1. */
  uint32_t fpo, fbase;
  tova_status host_status; /* what a failed import returned (wasm_native_call_import) */
  uint32_t calls; /* import calls completed since the entry (tiering.h stints) */
  /* Set by wasm_native_call_import when the code must leave: an import
   * parked (its channel, timer or select already holds the task), so the
   * execution must come back as TOVA_SUSPENDED, never as cancelled; the
   * preemption signal (preempt.h) leaves the code alone from then on.
   * Every native call that may leave tests it when its callee returns.
   * Written and read on this thread only (the handler runs on it). */
  volatile uint32_t leaving;
  /* While leaving: how the entry returns (rt.c), and the depth of the
   * frame whose import call left (the interpreter continues there). */
  uint32_t leave_jmp, leave_depth;
  /* An OSR entry of quick code (translate.h tier_up) tests *tier_up at the
   * headers of the loops it can start at, and leaves there once it is
   * nonzero: its function's optimised entry exists (tiering.h
   * osr_optimised). Points at a zero where nothing may leave so. */
  const uint32_t *tier_up;
  /* Per defined function of the module: the address of code that quick
   * code may call in its place (its quick code, or its linkable optimised
   * code), or NULL; read with acquire by quick code's stubs (translate.h
   * interp), which call the interpreter while it is NULL. */
  const void *const *slots;
  /* The defined function a quick call_indirect calls through its type's
   * stub (translate.c emit_indirect_stub), which reads it first thing:
   * written just before that call, on this thread. */
  uint32_t indirect_def;
} wasm_native_ctx;

/* Every native function receives, after the context, its place among the
 * interpreter's frames, as one 64-bit value: its frame's index in
 * exec->stack (the slot of its local 0, where the interpreter would have
 * its frame if it ran the call) in the low 32 bits, and its depth (the
 * outermost native function 0, its callees 1, ...) in the high 32 bits. A
 * callee's is its caller's + WASM_NATIVE_FRAME(argbase of the call, 1).
 * Native code never writes the frame but to leave (wasm_native_leave,
 * wasm_native_leave_frame): its values live in registers. */
#define WASM_NATIVE_FRAME(slot, depth) (((uint64_t)(depth) << 32) | (uint64_t)(slot))

/* The OSR entry's ordinal of a function's k-th import call is this + k
 * (translate.h): where a call its native code left there resumes. */
#define WASM_NATIVE_RESUME_BASE (1u << 30)

/* Trap kinds passed to wasm_native_trap; messages are the interpreter's. */
typedef enum wasm_native_trap_kind {
  WASM_NT_UNREACHABLE,
  WASM_NT_DIV_ZERO,
  WASM_NT_OVERFLOW,
  WASM_NT_BAD_CONV,
  WASM_NT_OOB_MEM,
  WASM_NT_OOB_TABLE,
  WASM_NT_EXHAUSTED,
  WASM_NT_CANCELLED,
  WASM_NT_SIG_MISMATCH,
  WASM_NT_NO_MEMORY, /* a function reference the store had no memory for */
  WASM_NT_MESSAGE, /* the message is already in exec->trap_msg */
  WASM_NT_COUNT
} wasm_native_trap_kind;

/* How deep native code may go on the C stack. Native code traps "call
 * stack exhausted" below ctx->stack_limit (rt.c: the execution's stack
 * budget, or the thread's stack end less a margin for helpers and
 * signals). Quick code of a function on a cycle of calls (tier.c) hands
 * its call to the interpreter instead (wasm_native_call_interp, the
 * function's own cells) once less than QUICK_RESERVE is left above that
 * limit, and the entries from the interpreter (wasm_native_enter and the
 * OSR entries) decline while less than ENTER_RESERVE is left above the
 * thread's stack end: the interpreter then runs the call itself
 * (WASM_NATIVE_NOT_ENTERED), on its own stacks. So deep recursion in quick
 * code goes on in the interpreter rather than trap at a depth the
 * interpreter reaches (quick frames are several times optimised ones).
 * ENTER_RESERVE exceeds QUICK_RESERVE by more than the helper's and the
 * interpreter's own frames, so that a call handed over is never entered
 * natively again on the same low stack. */
#define WASM_NATIVE_QUICK_STACK_RESERVE (192u << 10)
#define WASM_NATIVE_ENTER_STACK_RESERVE (256u << 10)

/* Whether this thread's C stack is too low to enter native code from the
 * interpreter (ENTER_RESERVE above): the entries then decline. False where
 * the thread's stack is not known. */
bool wasm_native_stack_low(void);

/* The entry every NATIVE_ENTER cell names (wasm_native_entry of compile.h):
 * fn is a JIT-compiled wrapper void fn(ctx *, uint64_t *fp). It declines
 * (WASM_NATIVE_NOT_ENTERED, compile.h) where the C stack is low (above). */
tova_status wasm_native_enter(tova_exec *e, tova_instance *inst, uint64_t *fp, const void *fn);
/* What an OSR entry (translate.h WASM_NATIVE_OSR_FMT) returns: it had no
 * entry for the loop asked and did nothing; it ran the call to its end
 * (the results in the frame); or, AT_LOOP + k, it is quick code that left
 * at the header of the function's loop k (ordinal as the entry's `loop`)
 * because *ctx->tier_up was set, with the locals in the frame's slots
 * 0..nlocals as the interpreter keeps them at that LOOP_HEAD: the caller
 * continues the call there, in the optimised entry. */
enum { WASM_NATIVE_OSR_NOT_ENTERED = 0, WASM_NATIVE_OSR_RETURNED = 1, WASM_NATIVE_OSR_AT_LOOP = 2 };
/* wasm_native_enter for an OSR entry at loop `loop`, with ctx->tier_up =
 * tier_up (NULL: never set): *outcome is what the entry returned (a trap
 * or a stop counts as RETURNED); TOVA_OK unless the call ended so. */
tova_status wasm_native_enter_osr(tova_exec *e, tova_instance *inst, uint64_t *fp, const void *fn,
                                  uint32_t loop, const uint32_t *tier_up, uint32_t *outcome);
/* The entry every NATIVE_RESUME cell names (wasm_native_resume_entry of
 * compile.h): wasm_native_enter_osr of defined function def's entry at a
 * resume point (translate.h WASM_NATIVE_RESUME_BASE), counted for tests;
 * tag: def << 32 | point. A quick entry (tiering.h OSR_QUICK) may leave at
 * its next loop header for the optimised one, which replaces it in the
 * cells as soon as it exists. */
tova_status wasm_native_resume(tova_exec *e, tova_instance *inst, uint64_t *fp, const void *fn,
                               uint64_t tag, bool *entered);

/* Helpers called from native code. Native code names them by symbol, and
 * every module's JIT defines those symbols at their addresses in this
 * process (wasm_native_helper_list), so compiled code holds no address of this
 * process and can be cached on disk (cache.c). Those that trap do not
 * return (they longjmp to the entry). */
typedef struct wasm_native_helper {
  const char *name; /* the symbol native code calls */
  const void *addr;
} wasm_native_helper;
/* The symbol of helper fn (one of those below) in compiled code. */
#define WASM_NATIVE_HELPER_SYMBOL(fn) "tova_native_" #fn
/* Every helper with its symbol; ends with {NULL, NULL}. */
const wasm_native_helper *wasm_native_helper_list(void);

_Noreturn void wasm_native_trap(wasm_native_ctx *c, uint32_t kind);
uint32_t wasm_native_memory_grow(wasm_native_ctx *c, uint32_t delta);
void wasm_native_memory_fill(wasm_native_ctx *c, uint32_t d, uint32_t v, uint32_t n);
void wasm_native_memory_copy(wasm_native_ctx *c, uint32_t d, uint32_t s, uint32_t n);
void wasm_native_memory_init(wasm_native_ctx *c, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
void wasm_native_data_drop(wasm_native_ctx *c, uint32_t seg);
void *wasm_native_table_get(wasm_native_ctx *c, uint32_t table, uint32_t i);
void wasm_native_table_set(wasm_native_ctx *c, uint32_t table, uint32_t i, void *v);
uint32_t wasm_native_table_size(wasm_native_ctx *c, uint32_t table);
uint32_t wasm_native_table_grow(wasm_native_ctx *c, uint32_t table, void *init, uint32_t n);
void wasm_native_table_fill(wasm_native_ctx *c, uint32_t table, uint32_t i, void *v, uint32_t n);
void wasm_native_table_copy(wasm_native_ctx *c, uint32_t dt, uint32_t st, uint32_t d, uint32_t s,
                            uint32_t n);
void wasm_native_table_init(wasm_native_ctx *c, uint32_t seg, uint32_t table, uint32_t d,
                            uint32_t s, uint32_t n);
void wasm_native_elem_drop(wasm_native_ctx *c, uint32_t seg);
void *wasm_native_ref_func(wasm_native_ctx *c, uint32_t func);
/* An import called by native code at frame `frame` (WASM_NATIVE_FRAME).
 * Its arguments are in slots[0..nparams) (the native frame's own), where
 * its results go too. First it makes sure that the interpreter's stacks
 * have room for the frames of every native call down to this one, `need`
 * slots from this frame's (its locals, the operand stack, the call's
 * arguments and results), so that leaving can never fail after an import
 * has parked (call stack exhausted otherwise: a trap, before the import
 * runs). Returns WASM_NATIVE_CALL_DONE, or WASM_NATIVE_CALL_PARKED when a
 * host import parked (the native code must then leave,
 * WASM_NATIVE_LEAVE_PARKED), or WASM_NATIVE_CALL_INTERP when the import
 * is a WebAssembly function of another instance, which native code does
 * not call (it leaves with WASM_NATIVE_LEAVE_AT_CALL, and the interpreter
 * makes the call), or WASM_NATIVE_CALL_STOPPED when the import completed
 * but the execution has been interrupted meanwhile: what the import did (a
 * value received, a send taken) must reach the code, as in the interpreter
 * (interp.c CALL_FUNC), so native code does not stop there; it leaves
 * (WASM_NATIVE_LEAVE_AFTER) and the interpreter continues after the call,
 * stopping at its next back-edge or call. A trap, a cancellation (an
 * import that refused) or a failure does not return. */
enum {
  WASM_NATIVE_CALL_DONE = 0,
  WASM_NATIVE_CALL_PARKED = 1,
  WASM_NATIVE_CALL_INTERP = 2,
  WASM_NATIVE_CALL_STOPPED = 3
};
uint32_t wasm_native_call_import(wasm_native_ctx *c, uint32_t func, uint64_t *slots, uint64_t frame,
                                 uint32_t need);
/* Quick code's call of defined function def through the interpreter: def
 * has no code the caller can link to (translate.h interp), or
 * (WASM_NATIVE_INTERP_OWN in flags) def is the caller itself, a quick
 * function on a cycle of calls whose C stack is running low
 * (WASM_NATIVE_QUICK_STACK_RESERVE above). The interpreter runs the call,
 * nested on this thread, with its frame at `frame` (the callee's, rt.h
 * WASM_NATIVE_FRAME: depth 1 or more) and the arguments from
 * slots[0..nparams), where the results go too; from def's current cells,
 * or with OWN from its own interpreter cells. The interpreter enters
 * native code on the way as it would anywhere (the callee may be native by
 * now; where the stack is low the entries decline). Returns
 * WASM_NATIVE_CALL_DONE, or WASM_NATIVE_CALL_PARKED when the call parked
 * in an import: the interpreter's frames of the call are on the
 * execution's stacks, waiting, and the native caller leaves (ctx->leaving
 * is set) with its frame record where the nested run's bottom one is, so
 * that the call returns into the caller's interpreted code once resumed
 * (wasm_native_leave_frame).
 * WASM_NATIVE_INTERP_CALLER_LEAVES in flags: the caller has the code to
 * leave after this call (def may leave: translate.c leave_after_call).
 * Then a call that returned while the execution was interrupted answers
 * WASM_NATIVE_CALL_PARKED too, and the caller leaves to continue in the
 * interpreter just after the call, the results in the callee's frame
 * where the interpreter's return puts them: what the call's imports did
 * must reach the code (WASM_NATIVE_CALL_STOPPED above). Without it, def
 * reaches no import, and stopping at once loses nothing. A trap, a
 * cancellation or a failure does not return. */
enum { WASM_NATIVE_INTERP_OWN = 1, WASM_NATIVE_INTERP_CALLER_LEAVES = 2 };
uint32_t wasm_native_call_interp(wasm_native_ctx *c, uint32_t def, uint64_t *slots, uint64_t frame,
                                 uint32_t flags);
/* Leave native code for the interpreter at defined function def's k-th
 * import call (compile.h wasm_code.import_calls: where it is in the
 * function's interpreter cells), made at frame `frame`: at it
 * (WASM_NATIVE_LEAVE_AT_CALL: the interpreter makes the call, with the
 * arguments copied from slots into the frame), or just after it when it
 * parked (WASM_NATIVE_LEAVE_PARKED), or just after it with its results
 * copied from slots into the frame when it completed but the execution was
 * interrupted (WASM_NATIVE_LEAVE_AFTER). The native code has written its
 * locals and operand stack into its frame's slots first (compile.h VALUES:
 * locals in 0..nlocals, stack position p in nlocals + p), so the frame is
 * what the interpreter's own code would have there. A parked call resumes
 * in native code when the function's OSR entry can continue after that
 * call (translate.h WASM_NATIVE_RESUME_BASE; e->pc is then a NATIVE_RESUME
 * instruction), unless its stints say leaving happens too often to pay
 * (tiering.h); in the interpreter otherwise. At depth 0 it does not return:
 * it unwinds to the entry as a trap does, and the entry returns
 * TOVA_SUSPENDED or WASM_NATIVE_LEFT (compile.h). Deeper it returns, with
 * ctx->leaving set, and the native code returns to its caller, which
 * leaves in turn (wasm_native_leave_frame). */
enum { WASM_NATIVE_LEAVE_PARKED = 1, WASM_NATIVE_LEAVE_AT_CALL = 2, WASM_NATIVE_LEAVE_AFTER = 3 };
void wasm_native_leave(wasm_native_ctx *c, uint32_t how, uint32_t def, uint32_t k, uint64_t frame,
                       const uint64_t *slots);
/* A native call of defined function def, at frame `frame`, whose callee
 * left (ctx->leaving): it has written its locals and its operand stack
 * below the call's arguments into its frame, and this writes its frame
 * record, so that the callee's frame returns into the interpreter's code of
 * def just after that call (ret_cell: compile.h call_sites); or, when the
 * callee returned while the execution was interrupted
 * (wasm_native_call_interp), the interpreter continues def's code there
 * itself, with the callee's results where its return put them. At depth 0
 * it unwinds to the entry as wasm_native_leave does; deeper it returns and
 * the native code returns to its own caller. */
void wasm_native_leave_frame(wasm_native_ctx *c, uint32_t def, uint32_t ret_cell, uint64_t frame);

/* call_indirect's checks, with the interpreter's messages: the callee. */
const tova_func *wasm_native_indirect(wasm_native_ctx *c, uint32_t table, uint32_t i,
                                      uint32_t type_index);

#endif /* TOVA_ENGINE_NATIVE_RT_H */
