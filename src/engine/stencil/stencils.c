/*
 * stencils.c: the stencil tier's stencils (stencil.h). Built by clang at
 * build time into an object file the library embeds and emit.c reads; never
 * linked as code.
 *
 * Every stencil is a function of the same six arguments (five registers the
 * interpreter's state lives in while compiled code runs, and acc, below)
 * that ends by tail-calling the next one, so a run of stencils is
 * straight-line code between jumps, each continuing on the same stack. Its
 * holes are undefined symbols emit.c resolves per instruction:
 *   wasm_hole_s<k>   operand cell k as a frame slot: the slot's byte offset,
 *                    the symbol's own address (SLOT_OFF below);
 *   wasm_hole_u<k>   operand cell k's 64-bit value, read from the pool;
 *   wasm_hole_i<k>   operand cell k's value as the instruction's own
 *                    immediate field (x86-64: memory offsets, OFF below);
 *   wasm_hole_t<k>   the code of the instruction operand k branches to;
 *   wasm_hole_next   the code of the next instruction (when this stencil's
 *                    last instruction is that jump, emit.c drops it);
 *   wasm_hole_pc     (pool) the instruction's first cell, for an exit;
 *   wasm_hole_cell1  (pool) the address of operand cell 1;
 *   wasm_hole_ret    (pool) the address of a call's return cells, two
 *                    more pool entries: JIT_AT <the next instruction's code>;
 *   wasm_hole_table  (pool) the address of a br_table's targets' code, n + 1
 *                    more pool entries;
 *   wasm_hole_h_jit, wasm_hole_h_hot (pool) the interpreter's JIT_AT and
 *                    HOT_COUNT handlers, which cells are compared with;
 *   wasm_hole_cancel, wasm_hole_trap_*: the shared exits (the stencils of
 *                    the same names, placed once per module).
 * A stencil whose object code needs anything else (a libm call clang did
 * not inline, a table in .rodata with absolute addresses, ...) is refused by
 * emit.c, and its instruction is left to the interpreter.
 *
 * The sixth argument, acc, carries a value from one instruction to the next
 * in a register (and the seventh, facc, the same value where it is a float,
 * in a floating-point register: END below). Every body of iop_bodies.h is made in variants besides its
 * plain stencil (VARIANTS below):
 *   W_<op>    also passes its result (operand 1, a destination) in acc;
 *   R<k>_<op> reads operand k from acc instead of its slot;
 *   WR<k>_<op> both.
 * A result is always stored in its slot too, so a slot never lacks its
 * value: acc only spares the next instruction the load of what was just
 * stored (a dependency through memory, store-to-load forwarding's latency,
 * on every step of a chain). emit.c pairs them (a W before an R reading the
 * same slot, the R reached only by falling through from the W) and passes
 * acc through everything else untouched.
 */
#include <stdatomic.h>
#include <stdint.h>

#include "engine/exec.h"
#include "engine/numeric.h"
#include "engine/stencil/layout.h"
#include "engine/stencil/stencil.h"

/* What these stencils assume of the runtime's structures (layout.h). */
const uint32_t wasm_stencil_layout[] = {WASM_STENCIL_LAYOUT(WASM_STENCIL_LAYOUT_ENTRY)};

/* The build turns memset and memmove off as library functions, so that a
 * loop clang recognises (zeroing a callee's locals) never becomes a call no
 * hole can reach. memcpy stays: fixed-size copies are expanded inline. */

#define ARGS fp, mbase, msize, e, inst, acc, facc
#define PARAMS                                                                                   \
  uint64_t *fp, uint8_t *mbase, uint64_t msize, tova_exec *e, tova_instance *inst, uint64_t acc, \
      wasm_stencil_facc facc
typedef uintptr_t stencil_fn(PARAMS);
#define TAIL(f) __attribute__((musttail)) return f(ARGS)

extern char wasm_hole_s1[], wasm_hole_s2[], wasm_hole_s3[], wasm_hole_s4[], wasm_hole_s5[],
    wasm_hole_s6[], wasm_hole_s7[], wasm_hole_s8[];
extern char wasm_hole_i1[], wasm_hole_i2[], wasm_hole_i3[], wasm_hole_i4[], wasm_hole_i5[],
    wasm_hole_i6[], wasm_hole_i7[], wasm_hole_i8[];
extern const uint64_t wasm_hole_u1, wasm_hole_u2, wasm_hole_u3, wasm_hole_u4, wasm_hole_u5,
    wasm_hole_u6, wasm_hole_u7, wasm_hole_u8, wasm_hole_pc, wasm_hole_cell1, wasm_hole_ret,
    wasm_hole_h_jit, wasm_hole_h_hot, wasm_hole_table;
extern stencil_fn wasm_hole_t1, wasm_hole_t2, wasm_hole_t3, wasm_hole_t4, wasm_hole_t5, wasm_hole_t8,
    wasm_hole_next, wasm_hole_cancel, wasm_hole_trap_oob_mem, wasm_hole_trap_div_zero,
    wasm_hole_trap_overflow, wasm_hole_trap_bad_conv;

/* iop_bodies.h's vocabulary */
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* A slot's byte offset from fp. On x86-64 clang makes a symbol's address an
 * absolute 32-bit immediate (the small code model, no PIC), which is the
 * displacement of the access itself. On AArch64 a symbol's address is
 * always PC-relative (ADRP), which cannot be a small constant: there the
 * offset is one MOVZ whose 16-bit immediate is the hole (offsets up to 64 KB,
 * 8,192 slots; wasm_st_max_slot_bytes), and the access adds it to fp. */
#if defined(__x86_64__)
#define SLOT_OFF(k) ((uintptr_t)wasm_hole_s##k)
#elif defined(__aarch64__)
#define SLOT_OFF(k)                                                      \
  __extension__({                                                        \
    uintptr_t off_;                                                      \
    __asm__("movz %x0, #:abs_g0:wasm_hole_s" #k : "=r"(off_));           \
    off_;                                                                \
  })
#else
#error "stencils are made for x86-64 and AArch64"
#endif
#define SLOT(k) (*(uint64_t *)((char *)fp + SLOT_OFF(k)))
/* Operand k: acc in the variant that reads it from there (ACC_READS == k,
 * a constant: the other arm, its hole included, is folded away). */
#define S(k) (*((k) == ACC_READS ? &acc : &SLOT(k)))
#define U(k) (wasm_hole_u##k)
/* A memory access's constant offset. On x86-64 it is the instruction's own
 * 32-bit displacement, as a slot's is (an access reads no pool entry, and
 * its bounds check and the access itself each fold it in); emit.c uses such
 * a stencil only for an offset that fits the field (below 2 GB: every
 * offset clang's code has), the interpreter runs the others. On AArch64 an
 * immediate that large takes several instructions: a pool entry. */
#if defined(__x86_64__)
#define OFF(k) ((uint64_t)(uintptr_t)wasm_hole_i##k)
#else
#define OFF(k) U(k)
#endif
#define I32(k) ((uint32_t)S(k))
/* A floating-point operand read from acc comes from facc, the same bits
 * already in a floating-point register: between two f64 instructions the
 * value never goes through an integer register (a move each way costs
 * about what the load it spares does). */
typedef float stencil_facc32 __attribute__((vector_size(16)));
#define F32(k) ((k) == ACC_READS ? ((stencil_facc32)facc)[0] : wasm_f32_from_bits((uint32_t)SLOT(k)))
#define F64(k) ((k) == ACC_READS ? facc[0] : wasm_f64_from_bits(SLOT(k)))
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
/* One stencil per body and variant: VARIANT is the name's prefix (empty
 * for the plain one), ACC_READS the operand read from acc (0: none),
 * ACC_WRITES whether the result also goes on in acc (read back from the
 * slot just written: clang forwards the stored value, no load). */
#define STENCIL_NAME_(v, name) wasm_stencil_##v##name
#define STENCIL_NAME(v, name) STENCIL_NAME_(v, name)
#define OP(name)                                 \
  uintptr_t STENCIL_NAME(VARIANT, name)(PARAMS) { \
    bool fres_ = false; /* the result went on in facc (B32/B64) */
/* A W variant passes its result on in one register: an integer result in
 * acc (read back from the slot just written: clang forwards the value from
 * the register it is in), a float result (B32/B64) in facc, where clang
 * computes it, never moved through an integer register (a move each way
 * costs about what the load it spares does). emit.c pairs a W only with a
 * reader of that operand as the same kind (the KIND_ functions below say
 * which is which); writing both registers cost every W a move (measured:
 * SHA-256 13% slower with facc written from integer results, saxpy's f32
 * loads slower with acc written from float ones).
 * facc is written whole, its second lane left undefined: never merged into
 * (a write of the first lane alone would make the instruction computing it
 * wait for facc's last value, one chain through every W, what the
 * clearance flags of CMake's stencil build prevent within a stencil), so
 * clang computes the result in facc's register itself. */
static inline __attribute__((always_inline)) uint64_t stencil_b64(double f, bool w, wasm_stencil_facc *facc,
                                                                  bool *fres) {
  if (w) {
    *facc = __builtin_shufflevector((wasm_stencil_facc){f, 0}, (wasm_stencil_facc){f, 0}, 0, -1);
    *fres = true;
  }
  return wasm_f64_bits(f);
}
static inline __attribute__((always_inline)) uint64_t stencil_b32(float f, bool w, wasm_stencil_facc *facc,
                                                                  bool *fres) {
  if (w) {
    *facc = (wasm_stencil_facc)__builtin_shufflevector((stencil_facc32){f, 0, 0, 0}, (stencil_facc32){f, 0, 0, 0}, 0,
                                                        -1, -1, -1);
    *fres = true;
  }
  return (uint64_t)wasm_f32_bits(f);
}
#define B64(f) stencil_b64((f), ACC_WRITES, &facc, &fres_)
#define B32(f) stencil_b32((f), ACC_WRITES, &facc, &fres_)
#define END(name)                            \
  if (ACC_WRITES && !fres_) acc = SLOT(1);   \
  TAIL(wasm_hole_next);                      \
  }
#define ACC_READS 0
#define ACC_WRITES 0
#define VARIANT
#include "engine/iop_bodies.h"
/* The variants (library.c reads the prefixes; emit.c chooses). Not in
 * CMake's configure-time check of the compiler, which needs the plain ones
 * only (TOVA_STENCIL_PROBE). */
#ifndef TOVA_STENCIL_PROBE
#undef VARIANT
#undef ACC_READS
#undef ACC_WRITES
#define VARIANT W_
#define ACC_READS 0
#define ACC_WRITES 1
#include "engine/iop_bodies.h"
#undef VARIANT
#undef ACC_READS
#define VARIANT R1_
#define ACC_READS 1
#undef ACC_WRITES
#define ACC_WRITES 0
#include "engine/iop_bodies.h"
#undef VARIANT
#undef ACC_READS
#define VARIANT R2_
#define ACC_READS 2
#include "engine/iop_bodies.h"
#undef VARIANT
#undef ACC_READS
#define VARIANT R3_
#define ACC_READS 3
#include "engine/iop_bodies.h"
#undef VARIANT
#undef ACC_READS
#undef ACC_WRITES
#define ACC_WRITES 1
#define VARIANT WR2_
#define ACC_READS 2
#include "engine/iop_bodies.h"
#undef VARIANT
#undef ACC_READS
#define VARIANT WR3_
#define ACC_READS 3
#include "engine/iop_bodies.h"
#endif /* TOVA_STENCIL_PROBE */
/* Everything below is plain. */
#undef VARIANT
#undef ACC_READS
#undef ACC_WRITES
#define VARIANT
#define ACC_READS 0
#define ACC_WRITES 0

/* The rounding instructions again, for machines with SSE4.1 (library.c
 * takes these when the CPU has it): one instruction each instead of a libm
 * call, which would leave them to the interpreter. (AArch64 has them in its
 * base instruction set: the plain stencils are one instruction there.) */
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("sse4.1"))), apply_to = function)
#define SSE41_STENCIL(name, expr)                 \
  uintptr_t wasm_stencil_SSE41_##name(PARAMS) { \
    bool fres_ = false;                           \
    S(1) = (expr);                                \
    TAIL(wasm_hole_next);                         \
  }
IOP_ROUNDING(SSE41_STENCIL)
#pragma clang attribute pop
#endif

/* Leaving for the interpreter: code that made calls or returned runs in
 * another frame than the one it was entered with, so the frame goes back in
 * e->fp_off (free while the interpreter runs: it holds a parked call's
 * frame) and JIT_AT's handler takes it from there. */
#define LEAVE(cell)                          \
  do {                                       \
    e->fp_off = (uint32_t)(fp - e->stack);   \
    return (uintptr_t)(cell);                \
  } while (0)

/* An instruction left to the interpreter: hand it its first cell. */
uintptr_t wasm_stencil_EXIT(PARAMS) {
  (void)mbase, (void)msize, (void)inst;
  LEAVE(wasm_hole_pc);
}

/* Calls of a function of the same instance (CALL argbase code, and
 * CALL_ADDI32/64 argbase code d src imm, which first do fp[d] = fp[src] +
 * imm), as the interpreter's ENTER_WASM makes them: the caller's frame is
 * pushed on the execution's frames and the callee's code entered with its
 * frame at fp + argbase. Anything else (no room for the frame or its slots,
 * a callee not entered through JIT_AT: native code, a tier hook) is left to
 * the interpreter. The HOT_COUNT call counter of a function not yet native
 * (compile.h) is counted here as the interpreter counts it. */
static inline __attribute__((always_inline)) const wasm_cell *callee_entry(const wasm_code *cc) {
  wasm_cell *cells = __atomic_load_n(&cc->cells, __ATOMIC_ACQUIRE);
  if ((uintptr_t)cells[0].h == wasm_hole_h_hot) {
    uint64_t n = __atomic_load_n(&cells[1].u, __ATOMIC_RELAXED);
    if (n <= 1) return NULL;
    wasm_cell *body = (wasm_cell *)cells[2].p;
    if ((uintptr_t)body[0].h != wasm_hole_h_jit) return NULL;
    __atomic_store_n(&cells[1].u, n - 1, __ATOMIC_RELAXED);
    return body;
  }
  return (uintptr_t)cells[0].h == wasm_hole_h_jit ? cells : NULL;
}
/* `before` (CALL_ADDI's fp[d] = fp[src] + imm) runs once every check has
 * passed: when the call is left to the interpreter, the interpreter runs the
 * whole instruction, and d may be src (a value on the stack decremented in
 * place as the argument). */
#define DO_CALL_CODE(code_, before)                                                 \
  do {                                                                              \
    const wasm_code *cc = (code_);                                                  \
    uint64_t *nfp = (uint64_t *)((char *)fp + SLOT_OFF(1));                         \
    const wasm_cell *body = callee_entry(cc);                                       \
    if (UNLIKELY(!body || nfp + cc->frame_slots > e->slimit || e->fsp == e->fend)) \
      LEAVE(wasm_hole_pc);                                                          \
    before;                                                                         \
    wasm_frame *f = e->fsp++;                                                       \
    f->ret_pc = (const wasm_cell *)(uintptr_t)wasm_hole_ret;                         \
    f->fp_off = (size_t)(fp - e->stack);                                            \
    f->inst = inst;                                                                 \
    /* few locals as a rule: a plain loop (vectorised, it needs callee-saved \
     * registers, so every call would save and restore six) */                   \
    _Pragma("clang loop vectorize(disable) interleave(disable) unroll(disable)")    \
    for (uint32_t i = cc->nparams; i < cc->nlocals; i++) nfp[i] = 0;                \
    CHECK_INTR();                                                                   \
    __attribute__((musttail)) return ((stencil_fn *)body[1].p)(nfp, mbase, msize, e, inst, acc, facc); \
  } while (0)
#define DO_CALL(before) DO_CALL_CODE((const wasm_code *)(uintptr_t)U(2), before)
uintptr_t wasm_stencil_CALL(PARAMS) { DO_CALL((void)0); }
uintptr_t wasm_stencil_CALL_ADDI32(PARAMS) { DO_CALL(S(3) = (uint32_t)(S(4) + U(5))); }
uintptr_t wasm_stencil_CALL_ADDI64(PARAMS) { DO_CALL(S(3) = S(4) + U(5)); }

/* CALL_INDIRECT argbase i type table: the callee found in the table is
 * called here when it is a function of this instance whose type is the very
 * one expected (the same functype of the module); everything else (out of
 * the table, null, another type that may still be equal, an import, another
 * instance) goes to the interpreter, which traps with its messages or makes
 * the call. */
uintptr_t wasm_stencil_CALL_INDIRECT(PARAMS) {
  const tova_table *t = inst->tables[U(4)];
  uint32_t i = I32(2);
  if (UNLIKELY(i >= t->size)) LEAVE(wasm_hole_pc);
  const tova_func *cf = (const tova_func *)t->elems[i];
  if (UNLIKELY(!cf || cf->type != &inst->module->types[U(3)] || cf->host || cf->instance != inst))
    LEAVE(wasm_hole_pc);
  DO_CALL_CODE(cf->code, (void)0);
}

/* BR_TABLE a n off_0 .. off_{n-1} off_default: the targets' code is a table
 * in the pool (wasm_hole_table holds its address). */
uintptr_t wasm_stencil_BR_TABLE(PARAMS) {
  uint64_t i = I32(1), n = U(2);
  if (i > n) i = n;
  CHECK_INTR();
  const uintptr_t *targets = (const uintptr_t *)(uintptr_t)wasm_hole_table;
  __attribute__((musttail)) return ((stencil_fn *)targets[i])(ARGS);
}

/* Returns to a caller of the same instance whose code continues through
 * JIT_AT; anything else (the call's outermost frame, another instance, a
 * caller running in the interpreter) is left to the interpreter. */
#define DO_RETURN(copy)                                                        \
  do {                                                                         \
    wasm_frame *f = e->fsp - 1;                                                \
    const wasm_cell *ret = f->ret_pc;                                          \
    if (UNLIKELY(!ret || f->inst != inst || (uintptr_t)ret[0].h != wasm_hole_h_jit)) \
      LEAVE(wasm_hole_pc);                                                     \
    copy;                                                                      \
    e->fsp = f;                                                                \
    uint64_t *cfp = e->stack + f->fp_off;                                      \
    __attribute__((musttail)) return ((stencil_fn *)ret[1].p)(cfp, mbase, msize, e, inst, acc, facc); \
  } while (0)
uintptr_t wasm_stencil_RETURN0(PARAMS) { DO_RETURN((void)0); }
uintptr_t wasm_stencil_RETURN1(PARAMS) { DO_RETURN(fp[0] = S(1)); }
uintptr_t wasm_stencil_RETURN(PARAMS) {
  DO_RETURN(for (uint64_t i = 0, n = U(2); i < n; i++) fp[i] = ((uint64_t *)((char *)fp + SLOT_OFF(1)))[i]);
}

/* LOOP_HEAD count tag hook (compile.h): the count lives in the cells, where
 * the interpreter's handler reads it; when it is down to 1 the interpreter
 * runs the instruction itself (its hook may continue the call in the native
 * tier) and comes back at the next instruction. */
uintptr_t wasm_stencil_LOOP_HEAD(PARAMS) {
  uint64_t *count = (uint64_t *)(uintptr_t)wasm_hole_cell1;
  uint64_t n = __atomic_load_n(count, __ATOMIC_RELAXED);
  if (UNLIKELY(n <= 1)) LEAVE(wasm_hole_pc);
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

/* How each body reads its operands and what its result is, for emit.c's
 * pairing (library.c reads these functions' relocations; they are never
 * run): wasm_stencil_KIND_<op> calls wasm_mark_f<k> where the body reads
 * operand k as a float (F32/F64: from facc in an R variant), wasm_mark_i<k>
 * where it reads or writes slot k as an integer (S, I32: from acc), and
 * wasm_mark_fres where its result is a float (B32/B64: a W variant passes
 * it in facc, not acc). From the bodies' own text, so they cannot
 * disagree. */
#ifndef TOVA_STENCIL_PROBE
extern double wasm_mark_f1(void), wasm_mark_f2(void), wasm_mark_f3(void), wasm_mark_f4(void),
    wasm_mark_f5(void), wasm_mark_f6(void), wasm_mark_f7(void), wasm_mark_f8(void);
extern void wasm_mark_fres(void);
extern void wasm_mark_i1(void), wasm_mark_i2(void), wasm_mark_i3(void), wasm_mark_i4(void), wasm_mark_i5(void),
    wasm_mark_i6(void), wasm_mark_i7(void), wasm_mark_i8(void);
#undef S
#define S(k) (*(wasm_mark_i##k(), &SLOT(k)))
#undef F32
#undef F64
#undef B32
#undef B64
#define F32(k) ((float)wasm_mark_f##k())
#define F64(k) (wasm_mark_f##k())
#define B32(f) (wasm_mark_fres(), (uint64_t)wasm_f32_bits(f))
#define B64(f) (wasm_mark_fres(), wasm_f64_bits(f))
#undef VARIANT
#define VARIANT KIND_
#include "engine/iop_bodies.h"
#endif /* TOVA_STENCIL_PROBE */
