/*
 * iops.h: THE definition of every internal instruction (format: compile.h).
 *
 * One entry per op, X(NAME, CELLS, "operands"), in enum order:
 *   CELLS     length in cells, the handler cell included (0: variable, only
 *             BR_TABLE: 3 + its count operand + 1);
 *   operands  one word per operand cell, in order, saying what the cell is:
 *     d     destination slot          a b c x y s v   source slots
 *     l     a local written and read (loop counter)   src   its source slot
 *     imm   a constant                k               a shift count
 *     off   a branch offset (cells, from the instruction's first cell)
 *     o     a memarg offset           n               a count
 *     idx   an index (function, global, type, table, data, element)
 *     code  a callee's wasm_code pointer              argbase  a slot
 *     native  machine code to run (the stencil tier's JIT_AT)
 * Everything that walks code is derived from this list: the enum and the
 * WASM_CELLS_<op> lengths (compile.h), the interpreter's handler table and
 * every handler's advance (`pc += WASM_CELLS_<op>`, interp.c), the dump and
 * the code checker (compile_dump.c, which also checks that every branch lands
 * on an instruction; it runs on every compiled body in Debug builds, so the
 * emitter is checked against this list too).
 * The enum-order arithmetic compile.c relies on (families indexed by
 * comparison, by shift, `_I` forms ten after their slot forms) is asserted
 * at compile time where compile.c uses it.
 *
 * Meanings are given per family; "cmp" is one of WASM_CMP_LIST (compile.h).
 */
#ifndef TOVA_ENGINE_IOPS_H
#define TOVA_ENGINE_IOPS_H

/* Integer comparisons, in the order used by every comparison family. */
#define WASM_CMP_LIST(X) X(EQ) X(NE) X(LT_S) X(LT_U) X(GT_S) X(GT_U) X(LE_S) X(LE_U) X(GE_S) X(GE_U)
/* X(prefix##cmp##suffix, cells, ops) for every comparison, in WASM_CMP_LIST order. */
#define WASM_CMP_OPS(X, P, S, N, O)                                                      \
  X(P##EQ##S, N, O) X(P##NE##S, N, O) X(P##LT_S##S, N, O) X(P##LT_U##S, N, O)          \
  X(P##GT_S##S, N, O) X(P##GT_U##S, N, O) X(P##LE_S##S, N, O) X(P##LE_U##S, N, O)      \
  X(P##GE_S##S, N, O) X(P##GE_U##S, N, O)
/* Float comparisons, in the order of every float comparison family; a
 * branch also has the negations (N<cmp>: the comparison is false, as it is
 * when an operand is a NaN, so NLT is not GE). */
#define WASM_FCMP_LIST(X) X(EQ) X(NE) X(LT) X(GT) X(LE) X(GE)
#define WASM_FBR_LIST(X) WASM_FCMP_LIST(X) X(NLT) X(NGT) X(NLE) X(NGE)
#define WASM_FCMP_OPS(X, P, S, N, O)                                                    \
  X(P##EQ##S, N, O) X(P##NE##S, N, O) X(P##LT##S, N, O) X(P##GT##S, N, O)             \
  X(P##LE##S, N, O) X(P##GE##S, N, O)
#define WASM_FBR_OPS(X, P, S, N, O)                                                     \
  WASM_FCMP_OPS(X, P, S, N, O) X(P##NLT##S, N, O) X(P##NGT##S, N, O)                   \
  X(P##NLE##S, N, O) X(P##NGE##S, N, O)
/* Binary integer ops that never trap and have a constant-right-operand form. */
#define WASM_IBIN_LIST(X) \
  X(ADD) X(SUB) X(MUL) X(AND) X(OR) X(XOR) X(SHL) X(SHR_S) X(SHR_U) X(ROTL) X(ROTR)
#define WASM_IBIN_OPS(X, W, S, N, O)                                                          \
  X(I##W##_ADD##S, N, O) X(I##W##_SUB##S, N, O) X(I##W##_MUL##S, N, O) X(I##W##_AND##S, N, O) \
  X(I##W##_OR##S, N, O) X(I##W##_XOR##S, N, O) X(I##W##_SHL##S, N, O)                        \
  X(I##W##_SHR_S##S, N, O) X(I##W##_SHR_U##S, N, O) X(I##W##_ROTL##S, N, O)                  \
  X(I##W##_ROTR##S, N, O)
/* Loads, stores, and stores of a constant, in one order for every form of
 * them (compile.c finds a load's or store's other form by its place).
 * f32/f64.load load the bits I32/I64_LOAD would, as a float, and f32/f64.store
 * read their value as a float: the stencil tier passes a float on in a
 * floating-point register. */
#define WASM_LOAD_OPS(X, S, N, O)                                                      \
  X(I32_LOAD##S, N, O) X(I64_LOAD##S, N, O) X(I32_LOAD8_S##S, N, O)                   \
  X(I32_LOAD8_U##S, N, O) X(I32_LOAD16_S##S, N, O) X(I32_LOAD16_U##S, N, O)           \
  X(I64_LOAD8_S##S, N, O) X(I64_LOAD8_U##S, N, O) X(I64_LOAD16_S##S, N, O)            \
  X(I64_LOAD16_U##S, N, O) X(I64_LOAD32_S##S, N, O) X(I64_LOAD32_U##S, N, O)          \
  X(F32_LOAD##S, N, O) X(F64_LOAD##S, N, O)
#define WASM_STORE_OPS(X, S, N, O)                                                     \
  X(I32_STORE##S, N, O) X(I64_STORE##S, N, O) X(I32_STORE8##S, N, O)                  \
  X(I32_STORE16##S, N, O) X(I64_STORE8##S, N, O) X(I64_STORE16##S, N, O)              \
  X(I64_STORE32##S, N, O) X(F32_STORE##S, N, O) X(F64_STORE##S, N, O)
#define WASM_STORE_I_OPS(X, S, N, O)                                                   \
  X(I32_STORE_I##S, N, O) X(I64_STORE_I##S, N, O) X(I32_STORE8_I##S, N, O)            \
  X(I32_STORE16_I##S, N, O)
/* Shifted-operand forms OP_<SHIFT> d x s k: fp[d] = fp[x] OP (fp[s] SHIFT k)
 * (as ARM's shifted register operand). Order: by shift (SHL, SHR_S, SHR_U),
 * then by op (ADD, SUB, AND, OR, XOR). */
#define WASM_SH_OPS(X, W, SH)                                                           \
  X(I##W##_ADD_##SH, 5, "d x s k") X(I##W##_SUB_##SH, 5, "d x s k")                     \
  X(I##W##_AND_##SH, 5, "d x s k") X(I##W##_OR_##SH, 5, "d x s k")                      \
  X(I##W##_XOR_##SH, 5, "d x s k")

#define WASM_IOP_LIST(X)                                                                      \
  /* control: BR jumps; BR_NEZ/EQZ test an i32 (I64: an i64); BR_TABLE a n off*n+1 jumps  \
   * to off[min(fp[a], n)]; RETURN src n moves fp[src..src+n) to fp[0..n) and returns;    \
   * CALL runs code with its frame at fp + argbase (results come back there);             \
   * CALL_FUNC calls function idx of the instance (imported: host or other instance);     \
   * CALL_INDIRECT argbase i type table; CALL_ADDI: fp[d] = fp[src] + imm, then CALL */   \
  X(UNREACHABLE, 1, "") X(BR, 2, "off") X(BR_NEZ, 3, "a off") X(BR_EQZ, 3, "a off")          \
  X(BR_I64_NEZ, 3, "a off") X(BR_I64_EQZ, 3, "a off") X(BR_TABLE, 0, "a n off...")           \
  X(RETURN, 3, "src n") X(RETURN0, 1, "") X(RETURN1, 2, "src")                                \
  X(CALL, 3, "argbase code") X(CALL_FUNC, 3, "argbase idx")                                   \
  X(CALL_INDIRECT, 5, "argbase i idx idx")                                                    \
  X(CALL_ADDI32, 6, "argbase code d src imm") X(CALL_ADDI64, 6, "argbase code d src imm")     \
  /* moves: fp[d] = fp[s]; fp[d] = imm; fp[d] = fp[c] ? fp[a] : fp[b]; globals */           \
  X(COPY, 3, "d s") X(CONST, 3, "d imm") X(SELECT, 5, "d c a b")                             \
  X(GLOBAL_GET, 3, "d idx") X(GLOBAL_SET, 3, "idx s")                                        \
  /* i32/i64 comparisons: fp[d] = fp[a] cmp fp[b] (or imm); fused with a branch: jump    \
   * when fp[a] cmp fp[b] (or imm) */                                                        \
  WASM_CMP_OPS(X, I32_, , 4, "d a b") WASM_CMP_OPS(X, I32_, _I, 4, "d a imm")                \
  WASM_CMP_OPS(X, BR_I32_, , 4, "a b off") WASM_CMP_OPS(X, BR_I32_, _I, 4, "a imm off")      \
  WASM_CMP_OPS(X, I64_, , 4, "d a b") WASM_CMP_OPS(X, I64_, _I, 4, "d a imm")                \
  WASM_CMP_OPS(X, BR_I64_, , 4, "a b off") WASM_CMP_OPS(X, BR_I64_, _I, 4, "a imm off")      \
  X(I32_EQZ, 3, "d a") X(I64_EQZ, 3, "d a")                                                  \
  /* loop counters: fp[l] = fp[src] + imm, then jump when fp[l] cmp fp[b] (or imm);      \
   * ADDI_BR_NEZ: jump when the new i32 fp[l] is nonzero; BR_LD*: jump when the byte /   \
   * i32 at fp[a] + o is nonzero (NEZ) or zero (EQZ, always the NEZ op + 1);             \
   * ADD_BR: the same steps with fp[l] = fp[src] + fp[x] */                                  \
  WASM_CMP_OPS(X, ADDI_BR_I32_, , 6, "l src imm b off")                                      \
  WASM_CMP_OPS(X, ADDI_BR_I32_, _I, 6, "l src imm imm off")                                  \
  WASM_CMP_OPS(X, ADDI_BR_I64_, , 6, "l src imm b off")                                      \
  WASM_CMP_OPS(X, ADDI_BR_I64_, _I, 6, "l src imm imm off")                                  \
  X(ADDI_BR_NEZ, 5, "l src imm off")                                                         \
  X(BR_LD8U_NEZ, 4, "a o off") X(BR_LD8U_EQZ, 4, "a o off")                                 \
  /* BR_AND_*: jump when the i32 fp[a] & imm is nonzero (NEZ) or zero (EQZ, the NEZ op + 1): \
   * a bit test (`if (flags & F)`) */                                                         \
  X(BR_AND_NEZ_I, 4, "a imm off") X(BR_AND_EQZ_I, 4, "a imm off")                            \
  X(BR_LD32_NEZ, 4, "a o off") X(BR_LD32_EQZ, 4, "a o off")                                 \
  WASM_CMP_OPS(X, ADD_BR_I32_, , 6, "l src x b off")                                         \
  WASM_CMP_OPS(X, ADD_BR_I32_, _I, 6, "l src x imm off")                                     \
  WASM_CMP_OPS(X, ADD_BR_I64_, , 6, "l src x b off")                                         \
  WASM_CMP_OPS(X, ADD_BR_I64_, _I, 6, "l src x imm off")                                     \
  /* i32.store8 of the constant v at fp[a] + o, then an ADD(I)_BR_I32 step */               \
  WASM_CMP_OPS(X, ST8I_ADD_BR_I32_, , 9, "a v o l src x b off")                              \
  WASM_CMP_OPS(X, ST8I_ADDI_BR_I32_, , 9, "a v o l src imm b off")                           \
  /* fp[d] = fp[x] + fp[y] (i32), then an ADDI_BR_I32 step */                               \
  WASM_CMP_OPS(X, ADD32_ADDI_BR_I32_, , 9, "d x y l src imm b off")                          \
  /* fp[d] = (byte at fp[a] + o) == 0 */                                                     \
  X(LD8U_EQZ, 4, "d a o")                                                                    \
  /* integer arithmetic: fp[d] = fp[a] op fp[b] (or imm); the DIV/REM _I forms only for   \
   * a constant divisor that cannot trap (not 0, not -1 when signed) */                     \
  WASM_IBIN_OPS(X, 32, , 4, "d a b") WASM_IBIN_OPS(X, 32, _I, 4, "d a imm")                  \
  WASM_IBIN_OPS(X, 64, , 4, "d a b") WASM_IBIN_OPS(X, 64, _I, 4, "d a imm")                  \
  X(I32_DIV_S, 4, "d a b") X(I32_DIV_U, 4, "d a b") X(I32_REM_S, 4, "d a b")                 \
  X(I32_REM_U, 4, "d a b")                                                                   \
  X(I64_DIV_S, 4, "d a b") X(I64_DIV_U, 4, "d a b") X(I64_REM_S, 4, "d a b")                 \
  X(I64_REM_U, 4, "d a b")                                                                   \
  X(I32_DIV_S_I, 4, "d a imm") X(I32_DIV_U_I, 4, "d a imm") X(I32_REM_S_I, 4, "d a imm")     \
  X(I32_REM_U_I, 4, "d a imm")                                                               \
  X(I64_DIV_S_I, 4, "d a imm") X(I64_DIV_U_I, 4, "d a imm") X(I64_REM_S_I, 4, "d a imm")     \
  X(I64_REM_U_I, 4, "d a imm")                                                               \
  WASM_SH_OPS(X, 32, SHL) WASM_SH_OPS(X, 32, SHR_S) WASM_SH_OPS(X, 32, SHR_U)                \
  WASM_SH_OPS(X, 64, SHL) WASM_SH_OPS(X, 64, SHR_S) WASM_SH_OPS(X, 64, SHR_U)                \
  /* unary: fp[d] = op fp[a] */                                                              \
  X(I32_CLZ, 3, "d a") X(I32_CTZ, 3, "d a") X(I32_POPCNT, 3, "d a") X(I64_CLZ, 3, "d a")     \
  X(I64_CTZ, 3, "d a") X(I64_POPCNT, 3, "d a")                                               \
  X(I32_EXTEND8_S, 3, "d a") X(I32_EXTEND16_S, 3, "d a") X(I64_EXTEND8_S, 3, "d a")          \
  X(I64_EXTEND16_S, 3, "d a") X(I64_EXTEND32_S, 3, "d a")                                    \
  X(I32_WRAP_I64, 3, "d a") X(I64_EXTEND_I32_S, 3, "d a") X(I64_EXTEND_I32_U, 3, "d a")      \
  /* floats: comparisons fp[d] = fp[a] cmp fp[b] (or the constant whose bits are imm); \
   * fused with a branch: jump when fp[a] cmp fp[b] (or imm) holds (N forms: does not) */  \
  WASM_FCMP_OPS(X, F32_, , 4, "d a b") WASM_FCMP_OPS(X, F32_, _I, 4, "d a imm")              \
  WASM_FCMP_OPS(X, F64_, , 4, "d a b") WASM_FCMP_OPS(X, F64_, _I, 4, "d a imm")              \
  WASM_FBR_OPS(X, BR_F32_, , 4, "a b off") WASM_FBR_OPS(X, BR_F32_, _I, 4, "a imm off")      \
  WASM_FBR_OPS(X, BR_F64_, , 4, "a b off") WASM_FBR_OPS(X, BR_F64_, _I, 4, "a imm off")      \
  /* binary ops d a b, unary ops and conversions d a */                                     \
  X(F32_ABS, 3, "d a") X(F32_NEG, 3, "d a") X(F32_CEIL, 3, "d a") X(F32_FLOOR, 3, "d a")     \
  X(F32_TRUNC, 3, "d a") X(F32_NEAREST, 3, "d a") X(F32_SQRT, 3, "d a")                      \
  X(F32_ADD, 4, "d a b") X(F32_SUB, 4, "d a b") X(F32_MUL, 4, "d a b") X(F32_DIV, 4, "d a b") \
  X(F32_MIN, 4, "d a b") X(F32_MAX, 4, "d a b") X(F32_COPYSIGN, 4, "d a b")                  \
  X(F64_ABS, 3, "d a") X(F64_NEG, 3, "d a") X(F64_CEIL, 3, "d a") X(F64_FLOOR, 3, "d a")     \
  X(F64_TRUNC, 3, "d a") X(F64_NEAREST, 3, "d a") X(F64_SQRT, 3, "d a")                      \
  X(F64_ADD, 4, "d a b") X(F64_SUB, 4, "d a b") X(F64_MUL, 4, "d a b") X(F64_DIV, 4, "d a b") \
  X(F64_MIN, 4, "d a b") X(F64_MAX, 4, "d a b") X(F64_COPYSIGN, 4, "d a b")                  \
  /* float arithmetic with a constant right operand (its bits in imm): a                 \
   * constant in a loop is then no instruction of its own, and the value            \
   * computed just before reaches the op directly */                                   \
  X(F32_ADD_I, 4, "d a imm") X(F32_SUB_I, 4, "d a imm") X(F32_MUL_I, 4, "d a imm")        \
  X(F32_DIV_I, 4, "d a imm")                                                              \
  X(F64_ADD_I, 4, "d a imm") X(F64_SUB_I, 4, "d a imm") X(F64_MUL_I, 4, "d a imm")        \
  X(F64_DIV_I, 4, "d a imm")                                                              \
  /* a constant left operand of a subtraction or division (imm - a, imm / a:    \
   * negation, reciprocals); an add or multiply by one swaps it to the right          \
   * (compile.c binary) */                                                               \
  X(I32_RSUB_I, 4, "d a imm") X(I64_RSUB_I, 4, "d a imm")                                  \
  X(F32_RSUB_I, 4, "d a imm") X(F32_RDIV_I, 4, "d a imm")                                  \
  X(F64_RSUB_I, 4, "d a imm") X(F64_RDIV_I, 4, "d a imm")                                  \
  X(I32_TRUNC_F32_S, 3, "d a") X(I32_TRUNC_F32_U, 3, "d a") X(I32_TRUNC_F64_S, 3, "d a")     \
  X(I32_TRUNC_F64_U, 3, "d a")                                                               \
  X(I64_TRUNC_F32_S, 3, "d a") X(I64_TRUNC_F32_U, 3, "d a") X(I64_TRUNC_F64_S, 3, "d a")     \
  X(I64_TRUNC_F64_U, 3, "d a")                                                               \
  X(I32_TRUNC_SAT_F32_S, 3, "d a") X(I32_TRUNC_SAT_F32_U, 3, "d a")                          \
  X(I32_TRUNC_SAT_F64_S, 3, "d a") X(I32_TRUNC_SAT_F64_U, 3, "d a")                          \
  X(I64_TRUNC_SAT_F32_S, 3, "d a") X(I64_TRUNC_SAT_F32_U, 3, "d a")                          \
  X(I64_TRUNC_SAT_F64_S, 3, "d a") X(I64_TRUNC_SAT_F64_U, 3, "d a")                          \
  X(F32_CONVERT_I32_S, 3, "d a") X(F32_CONVERT_I32_U, 3, "d a")                              \
  X(F32_CONVERT_I64_S, 3, "d a") X(F32_CONVERT_I64_U, 3, "d a")                              \
  X(F64_CONVERT_I32_S, 3, "d a") X(F64_CONVERT_I32_U, 3, "d a")                              \
  X(F64_CONVERT_I64_S, 3, "d a") X(F64_CONVERT_I64_U, 3, "d a")                              \
  X(F32_DEMOTE_F64, 3, "d a") X(F64_PROMOTE_F32, 3, "d a")                                   \
  /* memory: loads d a o (from fp[a] + o), stores a v o (v a slot; in _I forms the      \
   * constant itself) */                                                                     \
  WASM_LOAD_OPS(X, , 4, "d a o") WASM_STORE_OPS(X, , 4, "a v o")                            \
  WASM_STORE_I_OPS(X, , 4, "a imm o")                                                        \
  /* at a constant address (the address and the offset added, o: clang reaches     \
   * a global as `i32.const 0` with its address as the offset): loads d o, stores    \
   * v o, stores of a constant imm o; no CONST makes the address into a slot */       \
  WASM_LOAD_OPS(X, _A, 3, "d o") WASM_STORE_OPS(X, _A, 3, "v o")                             \
  WASM_STORE_I_OPS(X, _A, 3, "imm o")                                                        \
  X(MEMORY_SIZE, 2, "d") X(MEMORY_GROW, 3, "d a") X(MEMORY_INIT, 5, "idx a b c")             \
  X(DATA_DROP, 2, "idx") X(MEMORY_COPY, 4, "a b c") X(MEMORY_FILL, 4, "a b c")               \
  /* references and tables */                                                                \
  X(REF_IS_NULL, 3, "d a") X(REF_FUNC, 3, "d idx") X(TABLE_GET, 4, "d idx a")                \
  X(TABLE_SET, 4, "idx a b") X(TABLE_SIZE, 3, "d idx") X(TABLE_GROW, 5, "d idx a b")         \
  X(TABLE_FILL, 5, "idx a b c") X(TABLE_COPY, 6, "idx idx a b c")                            \
  X(TABLE_INIT, 6, "idx idx a b c") X(ELEM_DROP, 2, "idx")                                  \
  /* native tier hook (src/engine/native): the whole body of a function run as \
   * native code: entry (wasm_native_entry), its fn, and the function's own cells */         \
  X(NATIVE_ENTER, 4, "entry fn cells")                                                       \
  /* native tier hook: the call counter a function not yet native starts with (tiered) */    \
  X(HOT_COUNT, 5, "count body hook state")                                                  \
  /* native tier hook: a loop's iteration counter, for on-stack replacement (tiered) */      \
  X(LOOP_HEAD, 4, "count tag hook")                                                          \
  /* stencil tier (stencil/stencil.h): written over the first two cells of an instruction \
   * the tier compiled, once its code exists; never emitted by the compiler, so no code   \
   * walker sees it. Runs the function's compiled code from that instruction            \
   * (wasm_stencil_entry) and continues at the cell it returns */                          \
  X(JIT_AT, 2, "native")                                                                     \
  /* native tier hook: where a call parked by native code resumes natively; `after` is     \
   * where the interpreter continues it when the entry cannot */                             \
  X(NATIVE_RESUME, 5, "entry fn point after")

#endif /* TOVA_ENGINE_IOPS_H */
