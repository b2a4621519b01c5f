/*
 * stencils.c: the stencil tier's stencils (stencil.h). Built by clang at
 * build time into an object file the library embeds and emit.c reads; never
 * linked as code.
 *
 * Every stencil is a function of the same five arguments (the registers the
 * interpreter's state lives in while compiled code runs) that ends by
 * tail-calling the next one, so a run of stencils is straight-line code
 * between jumps, each continuing on the same stack. Its holes are undefined
 * symbols emit.c resolves per instruction:
 *   wasm_hole_s<k>   operand cell k as a frame slot: the slot's byte offset,
 *                    used as a displacement from fp;
 *   wasm_hole_u<k>   operand cell k's 64-bit value, read from the pool;
 *   wasm_hole_t<k>   the code of the instruction operand k branches to;
 *   wasm_hole_next   the code of the next instruction (when this stencil's
 *                    last instruction is that jump, emit.c drops it);
 *   wasm_hole_pc     (pool) the instruction's first cell, for an exit;
 *   wasm_hole_cell1  (pool) the address of operand cell 1;
 *   wasm_hole_cancel, wasm_hole_trap_*: the shared exits (the stencils of
 *                    the same names, placed once per module).
 * A stencil whose object code needs anything else (a libm call clang did
 * not inline, a table in .rodata with absolute addresses, ...) is refused by
 * emit.c, and its instruction is left to the interpreter.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/numeric.h"
#include "engine/stencil/stencil.h"

#define ARGS fp, mbase, msize, e, inst
#define PARAMS uint64_t *fp, uint8_t *mbase, uint64_t msize, tova_exec *e, tova_instance *inst
typedef uintptr_t stencil_fn(PARAMS);
#define TAIL(f) __attribute__((musttail)) return f(ARGS)

extern char wasm_hole_s1[], wasm_hole_s2[], wasm_hole_s3[], wasm_hole_s4[], wasm_hole_s5[],
    wasm_hole_s6[], wasm_hole_s7[], wasm_hole_s8[];
extern const uint64_t wasm_hole_u1, wasm_hole_u2, wasm_hole_u3, wasm_hole_u4, wasm_hole_u5,
    wasm_hole_u6, wasm_hole_u7, wasm_hole_u8, wasm_hole_pc, wasm_hole_cell1;
extern stencil_fn wasm_hole_t1, wasm_hole_t2, wasm_hole_t3, wasm_hole_t4, wasm_hole_t5, wasm_hole_t8,
    wasm_hole_next, wasm_hole_cancel, wasm_hole_trap_oob_mem, wasm_hole_trap_div_zero,
    wasm_hole_trap_overflow, wasm_hole_trap_bad_conv;

/* iop_bodies.h's vocabulary */
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define S(k) (*(uint64_t *)((char *)fp + (uintptr_t)wasm_hole_s##k))
#define U(k) (wasm_hole_u##k)
#define I32(k) ((uint32_t)S(k))
#define F32(k) wasm_f32_from_bits((uint32_t)S(k))
#define F64(k) wasm_f64_from_bits(S(k))
#define INTERRUPTED() UNLIKELY(atomic_load_explicit(&e->interrupt, memory_order_relaxed))
#define CHECK_INTR() \
  if (INTERRUPTED()) TAIL(wasm_hole_cancel)
#define TAKE(k)        \
  do {                 \
    CHECK_INTR();      \
    TAIL(wasm_hole_t##k); \
  } while (0)
#define TRAP(msg) TAIL(msg)
#define MSG_OOB_MEM wasm_hole_trap_oob_mem
#define MSG_DIV_ZERO wasm_hole_trap_div_zero
#define MSG_OVERFLOW wasm_hole_trap_overflow
#define MSG_BAD_CONV wasm_hole_trap_bad_conv
#define OP(name) \
  uintptr_t wasm_stencil_##name(PARAMS) {
#define END(name)         \
  TAIL(wasm_hole_next); \
  }
#include "engine/iop_bodies.h"

/* An instruction left to the interpreter: hand it its first cell. */
uintptr_t wasm_stencil_EXIT(PARAMS) {
  (void)fp, (void)mbase, (void)msize, (void)e, (void)inst;
  return (uintptr_t)wasm_hole_pc;
}

/* LOOP_HEAD count tag hook (compile.h): the count lives in the cells, where
 * the interpreter's handler reads it; when it is down to 1 the interpreter
 * runs the instruction itself (its hook may continue the call in the native
 * tier) and comes back at the next instruction. */
uintptr_t wasm_stencil_LOOP_HEAD(PARAMS) {
  uint64_t *count = (uint64_t *)(uintptr_t)wasm_hole_cell1;
  uint64_t n = __atomic_load_n(count, __ATOMIC_RELAXED);
  if (UNLIKELY(n <= 1)) return (uintptr_t)wasm_hole_pc;
  __atomic_store_n(count, n - 1, __ATOMIC_RELAXED);
  TAIL(wasm_hole_next);
}

/* The shared exits. */
#define EXIT_STENCIL(name, code)                               \
  uintptr_t wasm_stencil_##name(PARAMS) {                      \
    (void)fp, (void)mbase, (void)msize, (void)e, (void)inst; \
    return code;                                               \
  }
EXIT_STENCIL(CANCEL, WASM_STENCIL_CANCELLED)
EXIT_STENCIL(TRAP_OOB_MEM, WASM_STENCIL_TRAP_OOB_MEM)
EXIT_STENCIL(TRAP_DIV_ZERO, WASM_STENCIL_TRAP_DIV_ZERO)
EXIT_STENCIL(TRAP_OVERFLOW, WASM_STENCIL_TRAP_OVERFLOW)
EXIT_STENCIL(TRAP_BAD_CONV, WASM_STENCIL_TRAP_BAD_CONV)
