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
 * The exact operand list of each op is documented where compile.c emits it and
 * where interp.c reads it (the two are written side by side per family).
 *
 * VALUES. 64-bit slots: i32 and f32 in the low 32 bits (upper bits are
 * don't-care: every i32 reader truncates), i64/f64 by bits, references as
 * pointers. Reinterpret instructions therefore compile to nothing.
 */
#ifndef TOVA_ENGINE_COMPILE_H
#define TOVA_ENGINE_COMPILE_H

#include <stdio.h>

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
};

/* Integer comparisons, in the order used by every comparison family. */
#define WASM_CMP_LIST(X) X(EQ) X(NE) X(LT_S) X(LT_U) X(GT_S) X(GT_U) X(LE_S) X(LE_U) X(GE_S) X(GE_U)
/* X(prefix##cmp##suffix) for every comparison, in WASM_CMP_LIST order. */
#define WASM_CMP_OPS(X, P, S)                                                           \
  X(P##EQ##S) X(P##NE##S) X(P##LT_S##S) X(P##LT_U##S) X(P##GT_S##S) X(P##GT_U##S) \
  X(P##LE_S##S) X(P##LE_U##S) X(P##GE_S##S) X(P##GE_U##S)
/* Binary integer ops that never trap and have a constant-right-operand form. */
#define WASM_IBIN_LIST(X) \
  X(ADD) X(SUB) X(MUL) X(AND) X(OR) X(XOR) X(SHL) X(SHR_S) X(SHR_U) X(ROTL) X(ROTR)

/* Shifted-operand forms: OP_<SHIFT> d x s k computes fp[d] = fp[x] OP (fp[s] SHIFT k)
 * (as ARM's shifted register operand): `y ^ (x >> 13)` in one dispatch. Order:
 * by shift (SHL, SHR_S, SHR_U), then by op (ADD, SUB, AND, OR, XOR). */
#define WASM_SH_OPS(X, W, SH) \
  X(I##W##_ADD_##SH) X(I##W##_SUB_##SH) X(I##W##_AND_##SH) X(I##W##_OR_##SH) X(I##W##_XOR_##SH)

/* Every internal opcode. The interpreter has one label per entry (a missing
 * handler is a compile error), the compiler emits them by enum value. */
#define WASM_IOP_LIST(X)                                                                      \
  /* control */                                                                               \
  X(UNREACHABLE) X(BR) X(BR_NEZ) X(BR_EQZ) X(BR_I64_NEZ) X(BR_I64_EQZ) X(BR_TABLE)            \
  X(RETURN) X(RETURN0) X(RETURN1)                                                             \
  X(CALL) X(CALL_FUNC) X(CALL_INDIRECT) X(CALL_ADDI32) X(CALL_ADDI64)                        \
  /* moves */                                                                                 \
  X(COPY) X(CONST) X(SELECT)                                                                  \
  X(GLOBAL_GET) X(GLOBAL_SET)                                                                 \
  /* i32/i64 comparisons: plain, constant right operand, and fused with a branch */           \
  X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S) X(I32_LE_U) \
  X(I32_GE_S) X(I32_GE_U)                                                                     \
  X(I32_EQ_I) X(I32_NE_I) X(I32_LT_S_I) X(I32_LT_U_I) X(I32_GT_S_I) X(I32_GT_U_I)             \
  X(I32_LE_S_I) X(I32_LE_U_I) X(I32_GE_S_I) X(I32_GE_U_I)                                     \
  X(BR_I32_EQ) X(BR_I32_NE) X(BR_I32_LT_S) X(BR_I32_LT_U) X(BR_I32_GT_S) X(BR_I32_GT_U)       \
  X(BR_I32_LE_S) X(BR_I32_LE_U) X(BR_I32_GE_S) X(BR_I32_GE_U)                                 \
  X(BR_I32_EQ_I) X(BR_I32_NE_I) X(BR_I32_LT_S_I) X(BR_I32_LT_U_I) X(BR_I32_GT_S_I)            \
  X(BR_I32_GT_U_I) X(BR_I32_LE_S_I) X(BR_I32_LE_U_I) X(BR_I32_GE_S_I) X(BR_I32_GE_U_I)        \
  X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) X(I64_LE_S) X(I64_LE_U) \
  X(I64_GE_S) X(I64_GE_U)                                                                     \
  X(I64_EQ_I) X(I64_NE_I) X(I64_LT_S_I) X(I64_LT_U_I) X(I64_GT_S_I) X(I64_GT_U_I)             \
  X(I64_LE_S_I) X(I64_LE_U_I) X(I64_GE_S_I) X(I64_GE_U_I)                                     \
  X(BR_I64_EQ) X(BR_I64_NE) X(BR_I64_LT_S) X(BR_I64_LT_U) X(BR_I64_GT_S) X(BR_I64_GT_U)       \
  X(BR_I64_LE_S) X(BR_I64_LE_U) X(BR_I64_GE_S) X(BR_I64_GE_U)                                 \
  X(BR_I64_EQ_I) X(BR_I64_NE_I) X(BR_I64_LT_S_I) X(BR_I64_LT_U_I) X(BR_I64_GT_S_I)            \
  X(BR_I64_GT_U_I) X(BR_I64_LE_S_I) X(BR_I64_LE_U_I) X(BR_I64_GE_S_I) X(BR_I64_GE_U_I)        \
  X(I32_EQZ) X(I64_EQZ)                                                                       \
  /* loop counters: local += imm, then compare-and-branch on the new value */                \
  WASM_CMP_OPS(X, ADDI_BR_I32_, ) WASM_CMP_OPS(X, ADDI_BR_I32_, _I)                           \
  WASM_CMP_OPS(X, ADDI_BR_I64_, ) WASM_CMP_OPS(X, ADDI_BR_I64_, _I)                           \
  X(ADDI_BR_NEZ)                                                                              \
  X(BR_LD8U_NEZ) X(BR_LD8U_EQZ) X(BR_LD32_NEZ) X(BR_LD32_EQZ)                                 \
  WASM_CMP_OPS(X, ADD_BR_I32_, ) WASM_CMP_OPS(X, ADD_BR_I32_, _I)                             \
  WASM_CMP_OPS(X, ADD_BR_I64_, ) WASM_CMP_OPS(X, ADD_BR_I64_, _I)                             \
  /* i32.store8 of a constant, then a loop step (slot bound): one dispatch */                 \
  WASM_CMP_OPS(X, ST8I_ADD_BR_I32_, ) WASM_CMP_OPS(X, ST8I_ADDI_BR_I32_, )                     \
  /* an i32.add into a local, then a loop step (slot bound): one dispatch */                  \
  WASM_CMP_OPS(X, ADD32_ADDI_BR_I32_, )                                                       \
  X(LD8U_EQZ)                                                                                 \
  /* integer arithmetic */                                                                    \
  X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S)    \
  X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR)                                                        \
  X(I32_ADD_I) X(I32_SUB_I) X(I32_MUL_I) X(I32_AND_I) X(I32_OR_I) X(I32_XOR_I) X(I32_SHL_I)   \
  X(I32_SHR_S_I) X(I32_SHR_U_I) X(I32_ROTL_I) X(I32_ROTR_I)                                   \
  X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S)    \
  X(I64_SHR_U) X(I64_ROTL) X(I64_ROTR)                                                        \
  X(I64_ADD_I) X(I64_SUB_I) X(I64_MUL_I) X(I64_AND_I) X(I64_OR_I) X(I64_XOR_I) X(I64_SHL_I)   \
  X(I64_SHR_S_I) X(I64_SHR_U_I) X(I64_ROTL_I) X(I64_ROTR_I)                                   \
  X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U)                                         \
  X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U)                                         \
  /* constant divisor, never 0 (nor -1 for the signed ones): cannot trap */                   \
  X(I32_DIV_S_I) X(I32_DIV_U_I) X(I32_REM_S_I) X(I32_REM_U_I)                                 \
  X(I64_DIV_S_I) X(I64_DIV_U_I) X(I64_REM_S_I) X(I64_REM_U_I)                                 \
  WASM_SH_OPS(X, 32, SHL) WASM_SH_OPS(X, 32, SHR_S) WASM_SH_OPS(X, 32, SHR_U)                 \
  WASM_SH_OPS(X, 64, SHL) WASM_SH_OPS(X, 64, SHR_S) WASM_SH_OPS(X, 64, SHR_U)                 \
  X(I32_CLZ) X(I32_CTZ) X(I32_POPCNT) X(I64_CLZ) X(I64_CTZ) X(I64_POPCNT)                     \
  X(I32_EXTEND8_S) X(I32_EXTEND16_S) X(I64_EXTEND8_S) X(I64_EXTEND16_S) X(I64_EXTEND32_S)     \
  X(I32_WRAP_I64) X(I64_EXTEND_I32_S) X(I64_EXTEND_I32_U)                                     \
  /* floats */                                                                                \
  X(F32_EQ) X(F32_NE) X(F32_LT) X(F32_GT) X(F32_LE) X(F32_GE)                                 \
  X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) X(F64_LE) X(F64_GE)                                 \
  X(F32_ABS) X(F32_NEG) X(F32_CEIL) X(F32_FLOOR) X(F32_TRUNC) X(F32_NEAREST) X(F32_SQRT)      \
  X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F32_MIN) X(F32_MAX) X(F32_COPYSIGN)           \
  X(F64_ABS) X(F64_NEG) X(F64_CEIL) X(F64_FLOOR) X(F64_TRUNC) X(F64_NEAREST) X(F64_SQRT)      \
  X(F64_ADD) X(F64_SUB) X(F64_MUL) X(F64_DIV) X(F64_MIN) X(F64_MAX) X(F64_COPYSIGN)           \
  X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) X(I32_TRUNC_F64_U)                 \
  X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U)                 \
  X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) X(I32_TRUNC_SAT_F64_S) X(I32_TRUNC_SAT_F64_U) \
  X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U) X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U) \
  X(F32_CONVERT_I32_S) X(F32_CONVERT_I32_U) X(F32_CONVERT_I64_S) X(F32_CONVERT_I64_U)         \
  X(F64_CONVERT_I32_S) X(F64_CONVERT_I32_U) X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U)         \
  X(F32_DEMOTE_F64) X(F64_PROMOTE_F32)                                                        \
  /* memory */                                                                                \
  X(I32_LOAD) X(I64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U) X(I32_LOAD16_S) X(I32_LOAD16_U)       \
  X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) X(I64_LOAD16_U) X(I64_LOAD32_S)               \
  X(I64_LOAD32_U) X(I32_STORE) X(I64_STORE) X(I32_STORE8) X(I32_STORE16) X(I64_STORE8)        \
  X(I64_STORE16) X(I64_STORE32)                                                               \
  X(I32_STORE_I) X(I64_STORE_I) X(I32_STORE8_I) X(I32_STORE16_I)                              \
  X(MEMORY_SIZE) X(MEMORY_GROW) X(MEMORY_INIT) X(DATA_DROP) X(MEMORY_COPY) X(MEMORY_FILL)     \
  /* references and tables */                                                                 \
  X(REF_IS_NULL) X(REF_FUNC) X(TABLE_GET) X(TABLE_SET) X(TABLE_SIZE) X(TABLE_GROW)            \
  X(TABLE_FILL) X(TABLE_COPY) X(TABLE_INIT) X(ELEM_DROP)                                     \
  /* native tier hook (src/engine/native): NATIVE_ENTER entry fn */                           \
  X(NATIVE_ENTER)

typedef enum wasm_iop {
#define WASM_IOP_ENUM(name) WASM_IOP_##name,
  WASM_IOP_LIST(WASM_IOP_ENUM)
#undef WASM_IOP_ENUM
  WASM_IOP_COUNT
} wasm_iop;

/* Native tier hook (src/engine/native/native.h). A function compiled to native
 * code gets a two-instruction body NATIVE_ENTER entry fn: the interpreter calls
 * entry(e, inst, fp, fn), which runs the whole function with its arguments in
 * fp[0..nparams) and leaves its results in fp[0..nresults), then returns as
 * RETURN does. TOVA_OK, TOVA_ERR_TRAP (message in e->trap_msg) or
 * TOVA_ERR_CANCELLED; native code never suspends. A background compile may
 * replace a code's `cells` while other threads run it, so entries read
 * `cells` with an acquire load (interp.c ENTER_WASM, exec.c). */
typedef tova_status (*wasm_native_entry)(tova_exec *e, tova_instance *inst, uint64_t *fp,
                                         const void *fn);

/* Handler addresses of the interpreter, indexed by wasm_iop (interp.c). */
const void *const *wasm_interp_handlers(void);

/* Debugging aid: print a compiled body, one instruction per line
 * (compile_dump.c). */
void wasm_code_dump(const wasm_code *code, FILE *out);

#endif /* TOVA_ENGINE_COMPILE_H */
