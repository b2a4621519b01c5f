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
 *   - the entry to native code (wasm_native_enter) publishes its thread in
 *     the execution (tova_exec.native_thread), then reads the flag;
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Entry side (wasm_native_enter). enter registers this thread (once) and
 * makes c the context the handler unwinds; false when the thread cannot be
 * registered (out of memory): native code must not run then. leave undoes
 * it, also after a trap. */
typedef struct wasm_native_preempt_frame {
  struct wasm_native_ctx *prev_ctx;
  uint32_t prev_thread;
} wasm_native_preempt_frame;
bool wasm_native_preempt_enter(tova_exec *e, struct wasm_native_ctx *c, wasm_native_preempt_frame *f);
void wasm_native_preempt_leave(tova_exec *e, const wasm_native_preempt_frame *f);

/* Code ranges: [start, start + size) holds native code until removed (before
 * it is unmapped). False when there is no room (the unit must not be used). */
bool wasm_native_preempt_add_code(uintptr_t start, size_t size, uint32_t *id);
void wasm_native_preempt_remove_code(uint32_t id);

#endif /* TOVA_ENGINE_NATIVE_PREEMPT_H */
