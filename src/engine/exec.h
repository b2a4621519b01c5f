/*
 * exec.h: the execution context (tova_exec) shared by the public execution
 * API (exec.c) and the interpreter loop (interp.c).
 *
 * A tova_exec owns two growable arrays: the value stack (64-bit slots holding
 * every frame's locals and operand stack) and the frame stack (return
 * addresses). WebAssembly calls never recurse in C, so an execution can stop
 * in a host call (TOVA_SUSPENDED) and resume later on any thread: its whole
 * state is in this struct.
 *
 * Both arrays start inside the struct (inline_slots, inline_frames), so a new
 * execution is ONE allocation and a task parked in a shallow call costs no
 * more (a runtime may keep a million of them parked). A call that needs more
 * moves the array to the heap, where it doubles on demand up to the limit.
 * Invariant: stack is either inline_slots (stack_cap == EXEC_INLINE_SLOTS) or
 * a heap array of stack_cap slots; the same for frames. Only exec.c moves
 * them; the interpreter reads stack/frames/caps and calls the grow functions.
 */
#ifndef TOVA_ENGINE_EXEC_H
#define TOVA_ENGINE_EXEC_H

#include <stdatomic.h>

#include "engine/compile.h"
#include "engine/store.h"

typedef struct wasm_frame {
  const wasm_cell *ret_pc; /* NULL: return to tova_exec_call */
  size_t fp_off;           /* caller's frame pointer, as an index into stack (it may move) */
  tova_instance *inst;     /* caller's instance */
} wasm_frame;

typedef enum wasm_exec_state {
  WASM_EXEC_IDLE = 0,
  WASM_EXEC_SUSPENDED_WASM, /* parked in a host call made by WebAssembly code */
  WASM_EXEC_SUSPENDED_TOP,  /* tova_exec_call itself called a host function that parked */
  WASM_EXEC_RUNNING         /* inside tova_exec_call/resume: a nested call on it is refused */
} wasm_exec_state;

struct tova_host_call {
  tova_exec *exec;
  tova_instance *instance; /* caller's instance, NULL when called from C */
};

/* The inline first stacks: enough for a shallow entry function (one frame, a
 * few locals and operands) and sized so that the whole struct is 8 bytes
 * short of a multiple of 16, which is what malloc's chunks hold (see the
 * static assertion in exec.c). */
#define EXEC_INLINE_SLOTS 9u
#define EXEC_INLINE_FRAMES 1u

/* Counts and offsets are 32 bits: they never exceed stack_max/frames_max
 * (a parked task carries this struct, so its size counts). */
struct tova_exec {
  uint64_t *stack;   /* inline_slots or a heap array (see the invariant at the top) */
  wasm_frame *frames; /* inline_frames or a heap array */
  uint32_t stack_cap;  /* slots allocated */
  uint32_t frames_cap;
  uint32_t nframes;
  uint32_t stack_max;  /* slots allowed */
  uint32_t frames_max; /* frames allowed */
  /* The thread running this execution's native code, as its preemption
   * number + 1 (engine/native/preempt.h), or 0: tova_exec_interrupt signals
   * that thread, since native loops do not poll when signals can stop them.
   * (In what was padding: a parked task pays nothing for it.) */
  _Atomic uint32_t native_thread;
  /* The interpreter's view while it runs (kept here rather than in locals so
   * the dispatch loop has few live variables: clang spills badly otherwise). */
  uint64_t *slimit;   /* stack + stack_cap */
  wasm_frame *fsp;    /* next free frame */
  wasm_frame *fend;   /* frames + frames_cap */

  atomic_uint interrupt; /* set by tova_exec_interrupt from any thread */
  /* Saved interpreter registers while suspended (and at entry of a run). */
  uint8_t state; /* wasm_exec_state (a byte: see the size check in exec.c) */
  /* Set by tova_exec_resume for the run it starts: the run does not stop at
   * its entry for a pending interrupt (the host call it resumes from has
   * completed: its results must reach the code), only at the next back-edge
   * or call. */
  bool resuming;
  uint32_t fp_off;
  uint32_t host_results_off; /* where the parked host call's results go */
  void *userdata;
  const wasm_cell *pc;
  tova_instance *inst;
  const tova_functype *host_type;
  const tova_functype *entry_type; /* the function tova_exec_call was given */

  /* A trap's message (a spec string, or one given to tova_host_trap). */
  const char *trap_msg;
  /* Room for a message made at the trap (tova_host_trap's, the engine's own
   * that carry a number: "uninitialized element 4294967295"), allocated on
   * first use (wasm_exec_trap_printf), so a parked execution carries no
   * bytes for a message it never has. */
  char *trap_text;

  wasm_frame inline_frames[EXEC_INLINE_FRAMES];
  uint64_t inline_slots[EXEC_INLINE_SLOTS];
};

/* Runs from e->pc / e->fp_off / e->inst until the outermost frame returns
 * (TOVA_OK, results in stack[0..]), a trap (TOVA_ERR_TRAP, e->trap_msg), an
 * interrupt (TOVA_ERR_CANCELLED) or a parked host call (TOVA_SUSPENDED, state
 * saved in e). */
tova_status wasm_interp_run(tova_exec *e);

/* Call host function f (caller's instance inst) with its arguments in
 * slots[0..nparams), writing its results back there when it returns
 * TOVA_OK (interp.c; the interpreter's CALL_FUNC and native code's import
 * calls, native/rt.c). Out of memory for many results: TOVA_ERR_NOMEM with
 * e->trap_msg set. */
tova_status wasm_exec_call_host(tova_exec *e, tova_instance *inst, tova_func *f, uint64_t *slots);

/* Grow the value stack so that slots [0, need) exist. False if over the limit
 * or out of memory (the caller traps "call stack exhausted"). */
bool wasm_exec_grow_stack(tova_exec *e, size_t need);
bool wasm_exec_grow_frames(tova_exec *e, size_t need);

/* Format a trap message in e's message room (trap_text): the message, or
 * `plain` when there is no memory for the room. */
const char *wasm_exec_trap_printf(tova_exec *e, const char *plain, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* TOVA_ENGINE_EXEC_H */
