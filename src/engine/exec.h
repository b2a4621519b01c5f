/*
 * exec.h: the execution context (tova_exec) shared by the public execution
 * API (exec.c) and the interpreter loop (interp.c).
 *
 * A tova_exec owns two growable arrays: the value stack (64-bit slots holding
 * every frame's locals and operand stack) and the frame stack (return
 * addresses). WebAssembly calls never recurse in C, so an execution can stop
 * in a host call (TOVA_SUSPENDED) and resume later on any thread: its whole
 * state is in this struct.
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

struct tova_exec {
  uint64_t *stack;
  size_t stack_cap; /* slots allocated */
  size_t stack_max; /* slots allowed */
  wasm_frame *frames;
  size_t frames_cap, frames_max;
  size_t nframes;
  /* The interpreter's view while it runs (kept here rather than in locals so
   * the dispatch loop has few live variables: clang spills badly otherwise). */
  uint64_t *slimit;   /* stack + stack_cap */
  wasm_frame *fsp;    /* next free frame */
  wasm_frame *fend;   /* frames + frames_cap */

  atomic_uint interrupt; /* set by tova_exec_interrupt from any thread */
  void *userdata;

  /* Saved interpreter registers while suspended (and at entry of a run). */
  wasm_exec_state state;
  const wasm_cell *pc;
  size_t fp_off;
  tova_instance *inst;
  size_t host_results_off; /* where the parked host call's results go */
  const tova_functype *host_type;
  const tova_functype *entry_type; /* the function tova_exec_call was given */

  /* A trap's message (a spec string, or one given to tova_host_trap). */
  const char *trap_msg;
  /* Room for the interpreter's own messages that carry a number
   * ("uninitialized element 4294967295"); a host function's message
   * (tova_host_trap) goes to host_trap_text, allocated on first use, so a
   * parked execution does not carry 256 bytes for a message it never has. */
  char trap_buf[40];
  char *host_trap_text;
};

/* Runs from e->pc / e->fp_off / e->inst until the outermost frame returns
 * (TOVA_OK, results in stack[0..]), a trap (TOVA_ERR_TRAP, e->trap_msg), an
 * interrupt (TOVA_ERR_CANCELLED) or a parked host call (TOVA_SUSPENDED, state
 * saved in e). */
tova_status wasm_interp_run(tova_exec *e);

/* Grow the value stack so that slots [0, need) exist. False if over the limit
 * or out of memory (the caller traps "call stack exhausted"). */
bool wasm_exec_grow_stack(tova_exec *e, size_t need);
bool wasm_exec_grow_frames(tova_exec *e, size_t need);

/* Structural function type equality (call_indirect's check). */
bool wasm_functype_equal(const tova_functype *a, const tova_functype *b);

#endif /* TOVA_ENGINE_EXEC_H */
