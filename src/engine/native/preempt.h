/*
 * preempt.h: stopping native code with a signal instead of polls in its loops.
 *
 * The interrupt flag (tova_exec_interrupt: a cancel, a deadline, shutdown)
 * must stop native code as it stops the interpreter. Polling it at every
 * loop header costs a load and a branch per iteration of every loop: 5-7% of
 * CoreMark's time on this machine, more on tight loops. Where this process
 * can read the program counter of an interrupted thread (Linux and macOS on
 * x86-64 and arm64; not under ThreadSanitizer, which defers signals until a
 * thread calls into libc, which native loops never do), native code does not
 * poll in loops; instead:
 *
 *   - an execution's run (tova_exec_call, tova_exec_resume: native code runs
 *     only inside one, on its thread) publishes its thread in the execution
 *     (tova_exec.native_thread); the entry to native code (wasm_native_enter)
 *     reads the flag after that;
 *   - tova_exec_interrupt sets the flag, then reads native_thread and sends
 *     that thread PREEMPT_SIGNAL (both sequentially consistent: either the
 *     entry sees the flag or the interrupter sees the thread);
 *   - the handler looks at the interrupted program counter: inside the code
 *     of a linked unit (the ranges registered here), the thread is running
 *     native code, which holds no lock and owns nothing that needs cleaning
 *     up, so the handler unwinds to the entry as a trap does ("cancelled");
 *     elsewhere (a helper in C, the entry itself), it returns, and the
 *     helper checks the flag before it returns to native code (rt.c).
 *
 * PREEMPT_SIGNAL is SIGURG, as Go's runtime uses: ignored by default, so a
 * stray one harms nothing, and used by no JS engine. A handler that was
 * there before ours is called after ours for every signal ours does not
 * consume; one installed after ours (someone took the signal) is found at
 * the next interrupt and chained behind ours again. TOVA_NATIVE_PREEMPT=poll
 * in the environment keeps the polls (for an embedder that needs SIGURG).
 * The choice is made once per process, before the first unit is compiled,
 * and is part of the on-disk cache key (code without polls is never used by
 * a process that relies on them).
 */
#ifndef TOVA_ENGINE_NATIVE_PREEMPT_H
#define TOVA_ENGINE_NATIVE_PREEMPT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"
#include "engine/exec.h"

struct wasm_native_ctx;

/* Decides the mode (once; installs the handler when signals are used).
 * True: native code is stopped by signals and its loops need no poll. */
bool wasm_native_preempt_init(void);
/* The mode wasm_native_preempt_init chose (false before it ran). */
bool wasm_native_preempt_active(void);

/* Interrupter side (tova_exec_interrupt, after setting the flag): signal the
 * thread running e's native code, if any. */
void wasm_native_preempt_kick(tova_exec *e);

/* Run side (exec.c, around the interpreter's run): publish this thread in
 * e for the run; unpublish restores what publish returned. Nothing when
 * signals are not used. */
uint32_t wasm_native_preempt_publish(tova_exec *e);
void wasm_native_preempt_unpublish(tova_exec *e, uint32_t prev);

/* Entry side (wasm_native_enter), on every call from the interpreter into
 * native code, so inline and kept to a compare and two thread-local
 * accesses: makes c the context the handler unwinds (*prev: what to
 * restore). 1: done (leave undoes it, also after a trap); 0: signals are not
 * used (native code polls, nothing to undo); -1: this thread cannot be
 * registered (out of memory): native code must not run. An execution its
 * run did not publish (the run began before signals were in use, the first
 * unit not yet compiled) is published by the slow path. The context is kept
 * as an integer: it is the caller's local, and leave takes it back out
 * before the caller returns. */
typedef struct wasm_native_preempt_tls {
  uint32_t thread; /* this thread's number + 1, 0: none yet */
  uintptr_t ctx;   /* the wasm_native_ctx it runs, 0: none */
} wasm_native_preempt_tls;
extern TOVA_TLS wasm_native_preempt_tls wasm_native_preempt_mine;
extern bool wasm_native_preempt_on; /* wasm_native_preempt_active() */
int wasm_native_preempt_enter_slow(tova_exec *e, struct wasm_native_ctx *c, uintptr_t *prev);

static inline int wasm_native_preempt_enter(tova_exec *e, struct wasm_native_ctx *c, uintptr_t *prev) {
  if (!wasm_native_preempt_on) return 0;
  wasm_native_preempt_tls *mine = &wasm_native_preempt_mine;
  if (!mine->thread || atomic_load_explicit(&e->native_thread, memory_order_relaxed) != mine->thread)
    return wasm_native_preempt_enter_slow(e, c, prev);
  *prev = mine->ctx;
  mine->ctx = (uintptr_t)c;
  return 1;
}
static inline void wasm_native_preempt_leave(uintptr_t prev) { wasm_native_preempt_mine.ctx = prev; }

/* Code ranges: [start, start + size) holds native code until removed (before
 * it is unmapped). False when there is no room (the unit must not be used). */
bool wasm_native_preempt_add_code(uintptr_t start, size_t size, uint32_t *id);
void wasm_native_preempt_remove_code(uint32_t id);

#endif /* TOVA_ENGINE_NATIVE_PREEMPT_H */
