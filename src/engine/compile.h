/*
 * compile.h: the internal code WebAssembly bodies are translated into
 * (compile.c) and that the interpreter (interp.c) runs.
 *
 * FORMAT. A function's code is an array of 8-byte cells. An instruction is one
 * cell holding its handler's address (direct threading: dispatch is a single
 * indirect jump, `goto *pc->h`) followed by its operand cells. Operands are:
 *   slot   index into the frame: fp[slot]. Locals (parameters first) occupy
 *          slots [0, nlocals); the WebAssembly operand stack sits above them,
 *          stack position p living in slot nlocals + p (its "home" slot). The
 *          stack height at each instruction is static, so every operand is a
 *          fixed slot: `local.get` emits nothing, arithmetic names its inputs
 *          and output slots directly (see compile.c for the lazy-local rules).
 *   imm    a constant (i32/i64/f32/f64 bits, an index, a count).
 *   off    a branch offset in cells, relative to the first cell of the
 *          instruction containing it (position independent, so the buffer may
 *          be reallocated while compiling).
 *   ptr    a pointer (the callee's wasm_code for direct calls).
 *
 * Instruction shapes (d = destination slot, a/b/c = source slots):
 *   unary      OP d a               binary     OP d a b
 *   binary imm OP_I d a imm         (right operand is a constant)
 *   load       OP d a offset        store      OP a v offset  (a = address slot)
 *   branch     BR off               conditional: BR_<cmp> a b off, BR_<cmp>_I a imm off,
 *                                   BR_NEZ a off / BR_EQZ a off
 *   call       CALL argbase code    (callee's frame starts at fp + argbase; its
 *                                    results come back in slots argbase..)
 *   call step  CALL_ADDI32/64 argbase code d src imm: fp[d] = fp[src] + imm (the
 *              last argument, `f(n - 1)`), then CALL argbase code
 *   loop step  ADDI_BR_<cmp> l src imm b off: fp[l] = fp[src] + imm, then
 *              branch if fp[l] <cmp> fp[b] (or b itself in the _I forms);
 *              ADD_BR_<cmp> l src x b off: the same with fp[l] = fp[src] + fp[x]
 *   store imm  <STORE>_I a imm offset (the stored value is a constant)
 *   store step ST8I_ADD(I)_BR_I32_<cmp> a v offset l src x b off: I32_STORE8_I a v
 *              offset (bounds-checked first, traps before l changes), then the
 *              ADD(I)_BR_I32_<cmp> l src x b off loop step: `mem[j] = 1; j += i`
 *   add step   ADD32_ADDI_BR_I32_<cmp> d x y l src imm b off: fp[d] = fp[x] + fp[y]
 *              (i32.add into a local), then ADDI_BR_I32_<cmp> l src imm b off
 *   load eqz   LD8U_EQZ d a offset: fp[d] = (i32.load8_u a offset) == 0
 *   div imm    <DIV/REM>_I d a imm: constant divisor that cannot trap
 *   shifted    <OP>_<SHIFT> d x s k: fp[d] = fp[x] OP (fp[s] SHIFT k), a shift by
 *              a constant whose only use is the next add/sub/and/or/xor
 *   load test  BR_LD8U_NEZ a offset off: branch if the byte at a + offset is
 *              nonzero (and _EQZ, and LD32 for i32.load): `load; if`/`br_if`
 * The exact operand list and length of each op is defined once, in iops.h.
 *
 * VALUES. 64-bit slots: i32 and f32 in the low 32 bits (upper bits are
 * don't-care: every i32 reader truncates), i64/f64 by bits, references as
 * pointers. Reinterpret instructions therefore compile to nothing.
 */
#ifndef TOVA_ENGINE_COMPILE_H
#define TOVA_ENGINE_COMPILE_H

#ifndef TOVA_STENCIL_FREESTANDING /* stencil/layout.h: no C library headers there */
#include <stdio.h>
#endif

#include "engine/iops.h"
#include "engine/module.h"

typedef union wasm_cell {
  const void *h; /* handler address */
  uint64_t u;
  int64_t i;
  const void *p;
} wasm_cell;

/* Compiled body of one function. */
struct wasm_code {
  wasm_cell *cells;
  uint32_t ncells;
  uint32_t nparams;
  uint32_t nlocals;     /* parameters + declared locals */
  uint32_t nresults;
  uint32_t frame_slots; /* locals + maximum operand stack height (+ call scratch) */
  uint32_t func_index;  /* in the module's function space (for messages) */
  /* Running this function may write linear memory (mem_writers.c): entries
   * into it mark the memory `written` (store.h). */
  bool may_write_memory;
  /* Every call of an imported function in the cells (CALL_FUNC), in body
   * order, as WASM_IMPORT_CALL_WORDS words: the call instruction's byte
   * offset in the module, its first cell, its argbase. Native code that
   * calls an import leaves at one of these when the import parks, and the
   * interpreter continues the call there (native/rt.h wasm_native_leave). */
  uint32_t *import_calls;
  uint32_t nimport_calls;
  /* Every call of a defined function (CALL, CALL_ADDI32/64) and every
   * call_indirect, in body order, as WASM_CALL_SITE_WORDS words: the
   * instruction's byte offset, the cell just after the call's cells (where
   * the caller continues when the callee returns), its argbase. Native code
   * whose callee left for the interpreter (native/rt.h
   * wasm_native_leave_frame) hands its own frame over there. */
  uint32_t *call_sites;
  uint32_t ncall_sites;
};
enum { WASM_IMPORT_CALL_WORDS = 3, WASM_CALL_SITE_WORDS = 3 };
/* The record at byte offset `at` of the module among n records of `words`
 * words sorted by offset, or NULL. */
static inline const uint32_t *wasm_code_find_record(const uint32_t *recs, uint32_t n, uint32_t words,
                                                    uint32_t at) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const uint32_t *rec = recs + (size_t)mid * words;
    if (rec[0] == at) return rec;
    if (rec[0] < at) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}
/* The call site (call_sites) at byte offset `at`, or NULL. */
static inline const uint32_t *wasm_code_call_site(const wasm_code *code, uint32_t at) {
  return wasm_code_find_record(code->call_sites, code->ncall_sites, WASM_CALL_SITE_WORDS, at);
}
/* The record of the import call at byte offset `at` of the module, or NULL.
 * Inline: the native tier's LLVM part (a file of its own, backend.h) links
 * none of the engine's functions. */
static inline const uint32_t *wasm_code_import_call(const wasm_code *code, uint32_t at) {
  return wasm_code_find_record(code->import_calls, code->nimport_calls, WASM_IMPORT_CALL_WORDS, at);
}

/* Every internal opcode, with its length and operands: iops.h. The
 * interpreter has one label per entry (a missing handler is a compile error),
 * the compiler emits them by enum value. */
typedef enum wasm_iop {
#define WASM_IOP_ENUM(name, cells, operands) WASM_IOP_##name,
  WASM_IOP_LIST(WASM_IOP_ENUM)
#undef WASM_IOP_ENUM
  WASM_IOP_COUNT
} wasm_iop;

/* Native tier hook (src/engine/native/native.h). A function compiled to native
 * code gets the body NATIVE_ENTER entry fn cells: the interpreter calls
 * entry(e, inst, fp, fn), which runs the whole function with its arguments in
 * fp[0..nparams) and leaves its results in fp[0..nresults), then returns as
 * RETURN does; or, WASM_NATIVE_NOT_ENTERED, does nothing (too little C
 * stack is left for native code: native/rt.h), and the interpreter runs the
 * function's own `cells`. TOVA_OK, TOVA_ERR_TRAP (message in e->trap_msg),
 * TOVA_ERR_CANCELLED, or what a host import it called failed with. Native
 * code never parks, but it may leave (native/rt.h wasm_native_leave): its
 * state is then in the frame at fp, as the interpreter's own code would
 * have it at e->pc (a point in the function's interpreter cells), and
 * the entry returns
 *   TOVA_SUSPENDED      an import it called parked: e->pc is just after the
 *                       call, e->host_results_off and e->host_type are set;
 *                       the interpreter saves the rest as for its own
 *                       parked host call;
 *   WASM_NATIVE_LEFT    the interpreter must make the import call at e->pc
 *                       itself (a WebAssembly function of another instance)
 *                       and continue from there.
 * A background compile may replace a code's `cells` while other threads run
 * it, so entries read `cells` with an acquire load (interp.c ENTER_WASM,
 * exec.c). */
#define WASM_NATIVE_LEFT ((tova_status)0x10000)
#define WASM_NATIVE_NOT_ENTERED ((tova_status)0x10001)
/* Native tier hook: NATIVE_RESUME entry fn point after, where a call whose
 * native code left at a parking import (e->pc, see above) may resume in
 * native code: the interpreter calls entry(e, inst, fp, fn, point,
 * &entered); entered false: nothing was done, continue at `after` (just
 * after the import call in the function's own cells); otherwise the call
 * ran to its end as with NATIVE_ENTER's entry (the same statuses). fn may
 * change while the function runs (a better entry replaces it: read it
 * atomically); point is the tier's own 64-bit tag. */
typedef tova_status (*wasm_native_resume_entry)(tova_exec *e, tova_instance *inst, uint64_t *fp,
                                                const void *fn, uint64_t point, bool *entered);
typedef tova_status (*wasm_native_entry)(tova_exec *e, tova_instance *inst, uint64_t *fp,
                                         const void *fn);
/* Native tier hook, tiered mode (src/engine/native/tier.c): a function not
 * yet native may get the five-cell body HOT_COUNT count body hook state. Each
 * entry decrements count and continues at body (the function's own cells);
 * when count is down to 1 the interpreter calls hook(cells) instead, which
 * queues the function for compiling and sets count again. */
typedef void (*wasm_native_hot_hook)(wasm_cell *cells);
/* Native tier hook, tiered modes: on-stack replacement. A function that may
 * run native gets LOOP_HEAD count tag hook at the header of every loop
 * entered with an empty operand stack (and no loop parameters), where its
 * whole state is its locals in fp[0..nlocals); back-edges land on it. Each
 * pass decrements count; when count is down to 1 the interpreter calls
 * hook(e, inst, fp, cells, &st) instead, which sets count again and may run
 * the rest of the call as native code from this loop's header: then it
 * returns true, the results are in fp[0..nresults) and st says how the call
 * ended (as NATIVE_ENTER's entry does), and the interpreter returns from
 * the function. tag: the defined function's index << 32 | the loop's
 * ordinal (every `loop` of the body counted in order, from 0). */
typedef bool (*wasm_loop_hook)(tova_exec *e, tova_instance *inst, uint64_t *fp, wasm_cell *cells,
                               tova_status *st);
/* What wasm_compile needs to emit LOOP_HEADs (NULL: none). */
typedef struct wasm_loop_counters {
  const bool *want; /* per defined function */
  uint64_t first;   /* each counter's start */
  wasm_loop_hook hook;
} wasm_loop_counters;
/* Length in cells of each op (0: variable), from iops.h: the interpreter's
 * handlers advance by these (`pc += WASM_CELLS_<op>`), never by a literal. */
enum wasm_iop_cells {
#define WASM_IOP_CELLS_ENUM(name, cells, operands) WASM_CELLS_##name = cells,
  WASM_IOP_LIST(WASM_IOP_CELLS_ENUM)
#undef WASM_IOP_CELLS_ENUM
};

/* Set may_write_memory of every defined function (mem_writers.c); run by
 * wasm_compile once every body has its code. */
void wasm_find_memory_writers(tova_module *m);

/* Handler addresses of the interpreter, indexed by wasm_iop (interp.c). */
const void *const *wasm_interp_handlers(void);

/* iops.h's table by op, derived once (compile_dump.c): the op's name, its
 * length in cells (0 for BR_TABLE, whose length varies) and its operand
 * words. op must be below WASM_IOP_COUNT. */
const char *wasm_iop_name(int op);
uint32_t wasm_iop_cells(int op);
const char *wasm_iop_operands(int op);
/* An op's operand cells by kind, from its operand words (bit k: operand
 * cell k, 1-based as the cells follow the handler): source slots (a b c x
 * y s v src), branch offsets (off; BR_TABLE's first three cells only), and
 * whether operand 1 is a destination (d). */
typedef struct wasm_iop_shape {
  uint32_t src, off;
  bool dest1;
} wasm_iop_shape;
const wasm_iop_shape *wasm_iop_shape_of(int op); /* read once per process */

/* Length in cells of the instruction starting at code[at] (handler cell
 * included), from iops.h; 0 if code[at] is not a handler. */
uint32_t wasm_code_instr_cells(const wasm_cell *code, uint32_t at);

/* Debugging aid: print a compiled body, one instruction per line, operands
 * named as in iops.h (compile_dump.c). */
#ifndef TOVA_STENCIL_FREESTANDING
void wasm_code_dump(const wasm_code *code, FILE *out);
#endif

/* Walk cells[0..ncells) instruction by instruction by the lengths of iops.h:
 * every instruction must start with a handler, the last must end exactly at
 * ncells, and every branch offset must land on an instruction start. Returns
 * NULL if so, else what is wrong (compile_dump.c). Run on every body in Debug
 * builds. */
const char *wasm_code_check(const wasm_cell *cells, uint32_t ncells);

#endif /* TOVA_ENGINE_COMPILE_H */
