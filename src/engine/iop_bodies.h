/*
 * iop_bodies.h: what every internal instruction that needs none of the
 * interpreter's own machinery (frames, calls, returns, hooks, tables) does,
 * written once. Two files include it:
 *   - interp.c, where each body becomes a handler of the interpreter loop;
 *   - stencil/stencils.c, where each becomes a stencil: a piece of machine
 *     code clang makes at build time, copied and patched by the stencil tier
 *     (stencil/emit.c) into straight-line code for a whole function.
 * So the interpreter and the code the stencil tier emits cannot disagree on
 * an instruction's meaning: there is one text of it.
 *
 * The includer defines the vocabulary:
 *   OP(name) ... END(name)  one instruction's body (END continues with the
 *                           next instruction);
 *   S(k), U(k)              operand cell k as a frame slot fp[cell] or as
 *                           the cell's own 64-bit value; I32(k), F32(k),
 *                           F64(k) the slot read as that type;
 *   OFF(k)                  operand cell k's value where it is a memory
 *                           access's constant offset (U(k) to the
 *                           interpreter; the stencils may make it the
 *                           access's own displacement);
 *   TAKE(k)                 jump by the branch offset in cell k (and stop if
 *                           interrupted, as every taken branch does);
 *   TRAP(msg)               trap with one of the MSG_* messages;
 *   CHECK_INTR()            stop if the execution was interrupted;
 *   mbase, msize, inst      memory 0's base and byte size, the instance.
 * Operands and lengths are iops.h's; the comment on each family names them.
 * A body reads all its operands before it writes its destination (d may be a
 * source slot), and traps before it writes anything.
 *
 * No include guard: stencils.c includes it once per stencil variant (the
 * same bodies with an operand read from, or the result also passed in, a
 * register); its helper macros are redefined identically each time.
 */

/* ---------------- branches ---------------- */
OP(BR) /* off */
  TAKE(1);
END(BR)
OP(BR_NEZ) /* a off */
  if (I32(1)) TAKE(2);
END(BR_NEZ)
OP(BR_EQZ) /* a off */
  if (!I32(1)) TAKE(2);
END(BR_EQZ)
OP(BR_I64_NEZ)
  if (S(1)) TAKE(2);
END(BR_I64_NEZ)
OP(BR_I64_EQZ)
  if (!S(1)) TAKE(2);
END(BR_I64_EQZ)

/* ---------------- moves ---------------- */
OP(COPY) /* d s */
  S(1) = S(2);
END(COPY)
OP(CONST) /* d imm */
  S(1) = U(2);
END(CONST)
OP(SELECT) /* d c a b */
  S(1) = I32(2) ? S(3) : S(4);
END(SELECT)
OP(GLOBAL_GET) /* d idx */
  S(1) = inst->globals[U(2)]->value.raw;
END(GLOBAL_GET)
OP(GLOBAL_SET) /* idx s */
  inst->globals[U(1)]->value.raw = S(2);
END(GLOBAL_SET)

/* ---------------- integer comparisons ---------------- */
#define C32_EQ(x, y) ((uint32_t)(x) == (uint32_t)(y))
#define C32_NE(x, y) ((uint32_t)(x) != (uint32_t)(y))
#define C32_LT_S(x, y) ((int32_t)(uint32_t)(x) < (int32_t)(uint32_t)(y))
#define C32_LT_U(x, y) ((uint32_t)(x) < (uint32_t)(y))
#define C32_GT_S(x, y) ((int32_t)(uint32_t)(x) > (int32_t)(uint32_t)(y))
#define C32_GT_U(x, y) ((uint32_t)(x) > (uint32_t)(y))
#define C32_LE_S(x, y) ((int32_t)(uint32_t)(x) <= (int32_t)(uint32_t)(y))
#define C32_LE_U(x, y) ((uint32_t)(x) <= (uint32_t)(y))
#define C32_GE_S(x, y) ((int32_t)(uint32_t)(x) >= (int32_t)(uint32_t)(y))
#define C32_GE_U(x, y) ((uint32_t)(x) >= (uint32_t)(y))
#define C64_EQ(x, y) ((uint64_t)(x) == (uint64_t)(y))
#define C64_NE(x, y) ((uint64_t)(x) != (uint64_t)(y))
#define C64_LT_S(x, y) ((int64_t)(x) < (int64_t)(y))
#define C64_LT_U(x, y) ((uint64_t)(x) < (uint64_t)(y))
#define C64_GT_S(x, y) ((int64_t)(x) > (int64_t)(y))
#define C64_GT_U(x, y) ((uint64_t)(x) > (uint64_t)(y))
#define C64_LE_S(x, y) ((int64_t)(x) <= (int64_t)(y))
#define C64_LE_U(x, y) ((uint64_t)(x) <= (uint64_t)(y))
#define C64_GE_S(x, y) ((int64_t)(x) >= (int64_t)(y))
#define C64_GE_U(x, y) ((uint64_t)(x) >= (uint64_t)(y))
/* OP d a b | OP_I d a imm | BR_OP a b off | BR_OP_I a imm off */
#define IOP_CMP(W, c)                                    \
  OP(I##W##_##c) S(1) = C##W##_##c(S(2), S(3));          \
  END(I##W##_##c)                                        \
  OP(I##W##_##c##_I) S(1) = C##W##_##c(S(2), U(3));      \
  END(I##W##_##c##_I)                                    \
  OP(BR_I##W##_##c) if (C##W##_##c(S(1), S(2))) TAKE(3); \
  END(BR_I##W##_##c)                                     \
  OP(BR_I##W##_##c##_I) if (C##W##_##c(S(1), U(2))) TAKE(3); \
  END(BR_I##W##_##c##_I)
#define IOP_CMP32(c) IOP_CMP(32, c)
#define IOP_CMP64(c) IOP_CMP(64, c)
WASM_CMP_LIST(IOP_CMP32)
WASM_CMP_LIST(IOP_CMP64)
/* ADDI_BR_<cmp> l src imm b off: the counter update is written before the
 * compare reads it, as in the instruction sequence this replaces. */
#define IOP_ADDI_BR(W, c)                                  \
  OP(ADDI_BR_I##W##_##c)                                   \
    uint##W##_t v_ = (uint##W##_t)(S(2) + U(3));           \
    S(1) = v_;                                             \
    if (C##W##_##c(v_, S(4))) TAKE(5);                     \
  END(ADDI_BR_I##W##_##c)                                  \
  OP(ADDI_BR_I##W##_##c##_I)                               \
    uint##W##_t v_ = (uint##W##_t)(S(2) + U(3));           \
    S(1) = v_;                                             \
    if (C##W##_##c(v_, U(4))) TAKE(5);                     \
  END(ADDI_BR_I##W##_##c##_I)
#define IOP_ADD_BR(W, c)                                   \
  OP(ADD_BR_I##W##_##c)                                    \
    uint##W##_t v_ = (uint##W##_t)(S(2) + S(3));           \
    S(1) = v_;                                             \
    if (C##W##_##c(v_, S(4))) TAKE(5);                     \
  END(ADD_BR_I##W##_##c)                                   \
  OP(ADD_BR_I##W##_##c##_I)                                \
    uint##W##_t v_ = (uint##W##_t)(S(2) + S(3));           \
    S(1) = v_;                                             \
    if (C##W##_##c(v_, U(4))) TAKE(5);                     \
  END(ADD_BR_I##W##_##c##_I)
#define IOP_ADD_BR32(c) IOP_ADD_BR(32, c)
#define IOP_ADD_BR64(c) IOP_ADD_BR(64, c)
WASM_CMP_LIST(IOP_ADD_BR32)
WASM_CMP_LIST(IOP_ADD_BR64)
#define IOP_ADDI_BR32(c) IOP_ADDI_BR(32, c)
#define IOP_ADDI_BR64(c) IOP_ADDI_BR(64, c)
WASM_CMP_LIST(IOP_ADDI_BR32)
WASM_CMP_LIST(IOP_ADDI_BR64)
/* ST8I_ADD(I)_BR_I32_<cmp> a v offset l src x b off: a constant byte store
 * (checked and done first, as in the sequence it replaces), then the step.
 * When the branch targets this very instruction and the counter is the
 * address (a == l == src, x and b other slots: `mem[j] = v; j += x` while
 * j <cmp> b), the loop runs here with j in a register: a byte store may
 * alias anything, so re-reading the frame each time would chain every
 * iteration through memory. Each iteration still checks bounds, writes the
 * local and polls the interrupt flag, as the back-edge would. */
#define IOP_ST8I_STEP(name, c, rhs, rhs_slot)                              \
  OP(name##_##c)                                                           \
    uint64_t ea_ = (uint64_t)I32(1) + OFF(3);                              \
    if (UNLIKELY(ea_ + 1 > msize)) TRAP(MSG_OOB_MEM);                      \
    mbase[ea_] = (uint8_t)U(2);                                            \
    uint32_t v_ = (uint32_t)(S(5) + rhs);                                  \
    S(4) = v_;                                                             \
    if (C32_##c(v_, S(7))) {                                               \
      if ((int64_t)U(8) == 0 && U(1) == U(4) && U(5) == U(4) && U(7) != U(4) && \
          (rhs_slot) != U(4)) {                                            \
        const uint32_t step_ = (uint32_t)(rhs);                            \
        const uint64_t bound_ = S(7), off_ = OFF(3);                       \
        const uint8_t byte_ = (uint8_t)U(2);                               \
        uint64_t *lp_ = &S(4);                                             \
        do {                                                               \
          CHECK_INTR();                                                    \
          ea_ = (uint64_t)v_ + off_;                                       \
          if (UNLIKELY(ea_ + 1 > msize)) TRAP(MSG_OOB_MEM);                \
          mbase[ea_] = byte_;                                              \
          v_ += step_;                                                     \
          *lp_ = v_;                                                       \
        } while (C32_##c(v_, bound_));                                     \
      } else {                                                             \
        TAKE(8);                                                           \
      }                                                                    \
    }                                                                      \
  END(name##_##c)
#define IOP_ST8I_ADD(c) IOP_ST8I_STEP(ST8I_ADD_BR_I32, c, S(6), U(6))
#define IOP_ST8I_ADDI(c) IOP_ST8I_STEP(ST8I_ADDI_BR_I32, c, U(6), UINT64_MAX)
WASM_CMP_LIST(IOP_ST8I_ADD)
WASM_CMP_LIST(IOP_ST8I_ADDI)
/* ADD32_ADDI_BR_I32_<cmp> d x y l src imm b off: an i32.add, then the step. */
#define IOP_ADD32_ADDI(c)                                      \
  OP(ADD32_ADDI_BR_I32_##c)                                    \
    S(1) = (uint32_t)(S(2) + S(3));                            \
    uint32_t v_ = (uint32_t)(S(5) + U(6));                     \
    S(4) = v_;                                                 \
    if (C32_##c(v_, S(7))) TAKE(8);                            \
  END(ADD32_ADDI_BR_I32_##c)
WASM_CMP_LIST(IOP_ADD32_ADDI)
OP(LD8U_EQZ) /* d a offset */
  uint64_t ea_ = (uint64_t)I32(2) + OFF(3);
  if (UNLIKELY(ea_ + 1 > msize)) TRAP(MSG_OOB_MEM);
  S(1) = mbase[ea_] == 0;
END(LD8U_EQZ)
OP(ADDI_BR_NEZ) /* l src imm off */
  uint32_t v = (uint32_t)(S(2) + U(3));
  S(1) = v;
  if (v) TAKE(4);
END(ADDI_BR_NEZ)
/* BR_LD*_NEZ/EQZ a offset off: a load whose only use is a branch test */
#define IOP_BR_LOAD(name, T, test)                             \
  OP(name)                                                     \
    uint64_t ea_ = (uint64_t)I32(1) + OFF(2);                  \
    if (UNLIKELY(ea_ + sizeof(T) > msize)) TRAP(MSG_OOB_MEM);  \
    T v_;                                                      \
    memcpy(&v_, mbase + ea_, sizeof(T));                       \
    if (test v_) TAKE(3);                                      \
  END(name)
OP(BR_AND_NEZ_I) /* a imm off */
  if (I32(1) & (uint32_t)U(2)) TAKE(3);
END(BR_AND_NEZ_I)
OP(BR_AND_EQZ_I)
  if (!(I32(1) & (uint32_t)U(2))) TAKE(3);
END(BR_AND_EQZ_I)
IOP_BR_LOAD(BR_LD8U_NEZ, uint8_t, )
IOP_BR_LOAD(BR_LD8U_EQZ, uint8_t, !)
IOP_BR_LOAD(BR_LD32_NEZ, uint32_t, )
IOP_BR_LOAD(BR_LD32_EQZ, uint32_t, !)
OP(I32_EQZ)
  S(1) = I32(2) == 0;
END(I32_EQZ)
OP(I64_EQZ)
  S(1) = S(2) == 0;
END(I64_EQZ)

/* ---------------- integer arithmetic ---------------- */
#define A32_ADD(x, y) ((uint32_t)(x) + (uint32_t)(y))
#define A32_SUB(x, y) ((uint32_t)(x) - (uint32_t)(y))
#define A32_MUL(x, y) ((uint32_t)(x) * (uint32_t)(y))
#define A32_AND(x, y) ((uint32_t)(x) & (uint32_t)(y))
#define A32_OR(x, y) ((uint32_t)(x) | (uint32_t)(y))
#define A32_XOR(x, y) ((uint32_t)(x) ^ (uint32_t)(y))
#define A32_SHL(x, y) ((uint32_t)(x) << ((uint32_t)(y)&31))
#define A32_SHR_S(x, y) wasm_i32_shr_s((uint32_t)(x), (uint32_t)(y))
#define A32_SHR_U(x, y) ((uint32_t)(x) >> ((uint32_t)(y)&31))
#define A32_ROTL(x, y) wasm_i32_rotl((uint32_t)(x), (uint32_t)(y))
#define A32_ROTR(x, y) wasm_i32_rotr((uint32_t)(x), (uint32_t)(y))
#define A64_ADD(x, y) ((uint64_t)(x) + (uint64_t)(y))
#define A64_SUB(x, y) ((uint64_t)(x) - (uint64_t)(y))
#define A64_MUL(x, y) ((uint64_t)(x) * (uint64_t)(y))
#define A64_AND(x, y) ((uint64_t)(x) & (uint64_t)(y))
#define A64_OR(x, y) ((uint64_t)(x) | (uint64_t)(y))
#define A64_XOR(x, y) ((uint64_t)(x) ^ (uint64_t)(y))
#define A64_SHL(x, y) ((uint64_t)(x) << ((uint64_t)(y)&63))
#define A64_SHR_S(x, y) wasm_i64_shr_s((uint64_t)(x), (uint64_t)(y))
#define A64_SHR_U(x, y) ((uint64_t)(x) >> ((uint64_t)(y)&63))
#define A64_ROTL(x, y) wasm_i64_rotl((uint64_t)(x), (uint64_t)(y))
#define A64_ROTR(x, y) wasm_i64_rotr((uint64_t)(x), (uint64_t)(y))
/* OP d a b | OP_I d a imm */
#define IOP_ARITH(W, o)                                       \
  OP(I##W##_##o) S(1) = (uint##W##_t)A##W##_##o(S(2), S(3));  \
  END(I##W##_##o)                                             \
  OP(I##W##_##o##_I) S(1) = (uint##W##_t)A##W##_##o(S(2), U(3)); \
  END(I##W##_##o##_I)
#define IOP_ARITH32(o) IOP_ARITH(32, o)
#define IOP_ARITH64(o) IOP_ARITH(64, o)
WASM_IBIN_LIST(IOP_ARITH32)
WASM_IBIN_LIST(IOP_ARITH64)

/* DIV/REM d a b: the cases C leaves undefined trap first */
#define IOP_DIV_S(W, name, minv)                              \
  OP(name)                                                    \
    int##W##_t a = (int##W##_t)(uint##W##_t)S(2), b = (int##W##_t)(uint##W##_t)S(3); \
    if (b == 0) TRAP(MSG_DIV_ZERO);                           \
    if (a == minv && b == -1) TRAP(MSG_OVERFLOW);             \
    S(1) = (uint##W##_t)(a / b);                              \
  END(name)
#define IOP_REM_S(W, name)                                    \
  OP(name)                                                    \
    int##W##_t a = (int##W##_t)(uint##W##_t)S(2), b = (int##W##_t)(uint##W##_t)S(3); \
    if (b == 0) TRAP(MSG_DIV_ZERO);                           \
    S(1) = b == -1 ? 0 : (uint##W##_t)(a % b);                \
  END(name)
#define IOP_DIVREM_U(W, name, op)                             \
  OP(name)                                                    \
    uint##W##_t a = (uint##W##_t)S(2), b = (uint##W##_t)S(3); \
    if (b == 0) TRAP(MSG_DIV_ZERO);                           \
    S(1) = a op b;                                            \
  END(name)
IOP_DIV_S(32, I32_DIV_S, INT32_MIN)
IOP_DIVREM_U(32, I32_DIV_U, /)
IOP_REM_S(32, I32_REM_S)
IOP_DIVREM_U(32, I32_REM_U, %)
IOP_DIV_S(64, I64_DIV_S, INT64_MIN)
IOP_DIVREM_U(64, I64_DIV_U, /)
IOP_REM_S(64, I64_REM_S)
IOP_DIVREM_U(64, I64_REM_U, %)
/* OP_I d a imm: the compiler only uses these for a divisor that is neither 0
 * nor (signed) -1, so they cannot trap. */
OP(I32_DIV_S_I) S(1) = (uint32_t)((int32_t)I32(2) / (int32_t)(uint32_t)U(3)); END(I32_DIV_S_I)
OP(I32_DIV_U_I) S(1) = I32(2) / (uint32_t)U(3); END(I32_DIV_U_I)
OP(I32_REM_S_I) S(1) = (uint32_t)((int32_t)I32(2) % (int32_t)(uint32_t)U(3)); END(I32_REM_S_I)
OP(I32_REM_U_I) S(1) = I32(2) % (uint32_t)U(3); END(I32_REM_U_I)
OP(I64_DIV_S_I) S(1) = (uint64_t)((int64_t)S(2) / (int64_t)U(3)); END(I64_DIV_S_I)
OP(I64_DIV_U_I) S(1) = S(2) / U(3); END(I64_DIV_U_I)
OP(I64_REM_S_I) S(1) = (uint64_t)((int64_t)S(2) % (int64_t)U(3)); END(I64_REM_S_I)
OP(I64_REM_U_I) S(1) = S(2) % U(3); END(I64_REM_U_I)
/* OP_SHIFT d x s k: fp[d] = fp[x] OP (fp[s] SHIFT k). All reads happen
 * before the write (d may be x or s). */
#define IOP_SH(W, o, sh)                                                       \
  OP(I##W##_##o##_##sh)                                                        \
    uint##W##_t t_ = (uint##W##_t)A##W##_##sh(S(3), U(4));                     \
    S(1) = (uint##W##_t)A##W##_##o(S(2), t_);                                  \
  END(I##W##_##o##_##sh)
#define IOP_SH_OPS(W, sh) \
  IOP_SH(W, ADD, sh) IOP_SH(W, SUB, sh) IOP_SH(W, AND, sh) IOP_SH(W, OR, sh) IOP_SH(W, XOR, sh)
IOP_SH_OPS(32, SHL) IOP_SH_OPS(32, SHR_S) IOP_SH_OPS(32, SHR_U)
IOP_SH_OPS(64, SHL) IOP_SH_OPS(64, SHR_S) IOP_SH_OPS(64, SHR_U)

/* unary: OP d a */
#define IOP_UNARY(name, expr) \
  OP(name) S(1) = (expr);     \
  END(name)
IOP_UNARY(I32_CLZ, wasm_i32_clz(I32(2)))
IOP_UNARY(I32_CTZ, wasm_i32_ctz(I32(2)))
IOP_UNARY(I32_POPCNT, wasm_i32_popcnt(I32(2)))
IOP_UNARY(I64_CLZ, wasm_i64_clz(S(2)))
IOP_UNARY(I64_CTZ, wasm_i64_ctz(S(2)))
IOP_UNARY(I64_POPCNT, wasm_i64_popcnt(S(2)))
IOP_UNARY(I32_EXTEND8_S, (uint32_t)(int32_t)(int8_t)(uint8_t)S(2))
IOP_UNARY(I32_EXTEND16_S, (uint32_t)(int32_t)(int16_t)(uint16_t)S(2))
IOP_UNARY(I64_EXTEND8_S, (uint64_t)(int64_t)(int8_t)(uint8_t)S(2))
IOP_UNARY(I64_EXTEND16_S, (uint64_t)(int64_t)(int16_t)(uint16_t)S(2))
IOP_UNARY(I64_EXTEND32_S, (uint64_t)(int64_t)(int32_t)(uint32_t)S(2))
IOP_UNARY(I32_WRAP_I64, (uint32_t)S(2))
IOP_UNARY(I64_EXTEND_I32_S, (uint64_t)(int64_t)(int32_t)I32(2))
IOP_UNARY(I64_EXTEND_I32_U, (uint64_t)I32(2))

/* ---------------- floats ---------------- */
/* comparisons: OP d a b | OP_I d a imm | BR_OP a b off | BR_OP_I a imm off,
 * imm the constant's bits. C's comparisons are IEEE's, as WebAssembly's:
 * false with a NaN operand but for NE; the N forms negate the whole
 * comparison, so they are true then. */
#define FC_EQ(x, y) ((x) == (y))
#define FC_NE(x, y) ((x) != (y))
#define FC_LT(x, y) ((x) < (y))
#define FC_GT(x, y) ((x) > (y))
#define FC_LE(x, y) ((x) <= (y))
#define FC_GE(x, y) ((x) >= (y))
#define FC_NLT(x, y) (!((x) < (y)))
#define FC_NGT(x, y) (!((x) > (y)))
#define FC_NLE(x, y) (!((x) <= (y)))
#define FC_NGE(x, y) (!((x) >= (y)))
/* a float constant: its bits are the operand cell itself */
#define F32_IMM(k) wasm_f32_from_bits((uint32_t)U(k))
#define F64_IMM(k) wasm_f64_from_bits(U(k))
#define IOP_FCMP(W, c)                                          \
  OP(F##W##_##c) S(1) = FC_##c(F##W(2), F##W(3));               \
  END(F##W##_##c)                                               \
  OP(F##W##_##c##_I) S(1) = FC_##c(F##W(2), F##W##_IMM(3));      \
  END(F##W##_##c##_I)
#define IOP_FBR(W, c)                                           \
  OP(BR_F##W##_##c) if (FC_##c(F##W(1), F##W(2))) TAKE(3);      \
  END(BR_F##W##_##c)                                            \
  OP(BR_F##W##_##c##_I) if (FC_##c(F##W(1), F##W##_IMM(2))) TAKE(3); \
  END(BR_F##W##_##c##_I)
#define IOP_FCMP32(c) IOP_FCMP(32, c)
#define IOP_FCMP64(c) IOP_FCMP(64, c)
#define IOP_FBR32(c) IOP_FBR(32, c)
#define IOP_FBR64(c) IOP_FBR(64, c)
WASM_FCMP_LIST(IOP_FCMP32)
WASM_FCMP_LIST(IOP_FCMP64)
WASM_FBR_LIST(IOP_FBR32)
WASM_FBR_LIST(IOP_FBR64)
/* A float result's bits (the includer may define these first, to take the
 * value itself too: stencils.c passes it on in a floating-point register
 * from there). A body whose result is a float makes it through B32/B64 on
 * every path that completes: stencils.c's KIND_ functions take one use
 * for all of them. */
#ifndef B32
#define B32(f) ((uint64_t)wasm_f32_bits(f))
#endif
#ifndef B64
#define B64(f) wasm_f64_bits(f)
#endif
IOP_UNARY(F32_ABS, I32(2) & ~WASM_F32_SIGN)
IOP_UNARY(F32_NEG, I32(2) ^ WASM_F32_SIGN)
/* Rounding to an integer: a list of its own, which stencils.c also makes
 * for machines with SSE4.1 (there clang makes it one instruction; without,
 * a libm call, which no stencil may make). */
#define IOP_ROUNDING(X)                                     \
  X(F32_CEIL, B32(wasm_f32_ceil(F32(2))))                   \
  X(F32_FLOOR, B32(wasm_f32_floor(F32(2))))                 \
  X(F32_TRUNC, B32(wasm_f32_trunc(F32(2))))                 \
  X(F64_CEIL, B64(wasm_f64_ceil(F64(2))))                   \
  X(F64_FLOOR, B64(wasm_f64_floor(F64(2))))                 \
  X(F64_TRUNC, B64(wasm_f64_trunc(F64(2))))
IOP_ROUNDING(IOP_UNARY)
IOP_UNARY(F32_NEAREST, B32(wasm_f32_nearest(F32(2))))
IOP_UNARY(F32_SQRT, B32(sqrtf(F32(2))))
IOP_UNARY(F32_ADD, B32(F32(2) + F32(3)))
IOP_UNARY(F32_SUB, B32(F32(2) - F32(3)))
IOP_UNARY(F32_MUL, B32(F32(2) * F32(3)))
IOP_UNARY(F32_DIV, B32(F32(2) / F32(3)))
IOP_UNARY(F32_MIN, B32(wasm_f32_min(F32(2), F32(3))))
IOP_UNARY(F32_MAX, B32(wasm_f32_max(F32(2), F32(3))))
IOP_UNARY(F32_COPYSIGN, (I32(2) & ~WASM_F32_SIGN) | (I32(3) & WASM_F32_SIGN))
IOP_UNARY(F64_ABS, S(2) & ~WASM_F64_SIGN)
IOP_UNARY(F64_NEG, S(2) ^ WASM_F64_SIGN)
IOP_UNARY(F64_NEAREST, B64(wasm_f64_nearest(F64(2))))
IOP_UNARY(F64_SQRT, B64(sqrt(F64(2))))
IOP_UNARY(F64_ADD, B64(F64(2) + F64(3)))
IOP_UNARY(F64_SUB, B64(F64(2) - F64(3)))
IOP_UNARY(F64_MUL, B64(F64(2) * F64(3)))
IOP_UNARY(F64_DIV, B64(F64(2) / F64(3)))
IOP_UNARY(F64_MIN, B64(wasm_f64_min(F64(2), F64(3))))
IOP_UNARY(F64_MAX, B64(wasm_f64_max(F64(2), F64(3))))
IOP_UNARY(F64_COPYSIGN, (S(2) & ~WASM_F64_SIGN) | (S(3) & WASM_F64_SIGN))
/* with a constant (F32_IMM, F64_IMM above) */
IOP_UNARY(F32_ADD_I, B32(F32(2) + F32_IMM(3)))
IOP_UNARY(F32_SUB_I, B32(F32(2) - F32_IMM(3)))
IOP_UNARY(F32_MUL_I, B32(F32(2) * F32_IMM(3)))
IOP_UNARY(F32_DIV_I, B32(F32(2) / F32_IMM(3)))
IOP_UNARY(F64_ADD_I, B64(F64(2) + F64_IMM(3)))
IOP_UNARY(F64_SUB_I, B64(F64(2) - F64_IMM(3)))
IOP_UNARY(F64_MUL_I, B64(F64(2) * F64_IMM(3)))
IOP_UNARY(F64_DIV_I, B64(F64(2) / F64_IMM(3)))
IOP_UNARY(I32_RSUB_I, (uint32_t)A32_SUB(U(3), S(2)))
IOP_UNARY(I64_RSUB_I, A64_SUB(U(3), S(2)))
IOP_UNARY(F32_RSUB_I, B32(F32_IMM(3) - F32(2)))
IOP_UNARY(F32_RDIV_I, B32(F32_IMM(3) / F32(2)))
IOP_UNARY(F64_RSUB_I, B64(F64_IMM(3) - F64(2)))
IOP_UNARY(F64_RDIV_I, B64(F64_IMM(3) / F64(2)))
#undef F32_IMM
#undef F64_IMM

/* trapping truncations: OP d a */
#define IOP_TRUNC(name, fn, T, arg)                   \
  OP(name)                                            \
    T r_;                                             \
    wasm_trunc_result t_ = fn(arg, &r_);              \
    if (UNLIKELY(t_ != WASM_TRUNC_OK)) {              \
      if (t_ == WASM_TRUNC_NAN) TRAP(MSG_BAD_CONV);   \
      TRAP(MSG_OVERFLOW);                             \
    }                                                 \
    S(1) = r_;                                        \
  END(name)
IOP_TRUNC(I32_TRUNC_F32_S, wasm_i32_trunc_f32_s, uint32_t, F32(2))
IOP_TRUNC(I32_TRUNC_F32_U, wasm_i32_trunc_f32_u, uint32_t, F32(2))
IOP_TRUNC(I32_TRUNC_F64_S, wasm_i32_trunc_f64_s, uint32_t, F64(2))
IOP_TRUNC(I32_TRUNC_F64_U, wasm_i32_trunc_f64_u, uint32_t, F64(2))
IOP_TRUNC(I64_TRUNC_F32_S, wasm_i64_trunc_f32_s, uint64_t, F32(2))
IOP_TRUNC(I64_TRUNC_F32_U, wasm_i64_trunc_f32_u, uint64_t, F32(2))
IOP_TRUNC(I64_TRUNC_F64_S, wasm_i64_trunc_f64_s, uint64_t, F64(2))
IOP_TRUNC(I64_TRUNC_F64_U, wasm_i64_trunc_f64_u, uint64_t, F64(2))
IOP_UNARY(I32_TRUNC_SAT_F32_S, wasm_i32_trunc_sat_f32_s(F32(2)))
IOP_UNARY(I32_TRUNC_SAT_F32_U, wasm_i32_trunc_sat_f32_u(F32(2)))
IOP_UNARY(I32_TRUNC_SAT_F64_S, wasm_i32_trunc_sat_f64_s(F64(2)))
IOP_UNARY(I32_TRUNC_SAT_F64_U, wasm_i32_trunc_sat_f64_u(F64(2)))
IOP_UNARY(I64_TRUNC_SAT_F32_S, wasm_i64_trunc_sat_f32_s(F32(2)))
IOP_UNARY(I64_TRUNC_SAT_F32_U, wasm_i64_trunc_sat_f32_u(F32(2)))
IOP_UNARY(I64_TRUNC_SAT_F64_S, wasm_i64_trunc_sat_f64_s(F64(2)))
IOP_UNARY(I64_TRUNC_SAT_F64_U, wasm_i64_trunc_sat_f64_u(F64(2)))
IOP_UNARY(F32_CONVERT_I32_S, B32((float)(int32_t)I32(2)))
IOP_UNARY(F32_CONVERT_I32_U, B32((float)I32(2)))
IOP_UNARY(F32_CONVERT_I64_S, B32((float)(int64_t)S(2)))
IOP_UNARY(F32_CONVERT_I64_U, B32((float)S(2)))
IOP_UNARY(F64_CONVERT_I32_S, B64((double)(int32_t)I32(2)))
IOP_UNARY(F64_CONVERT_I32_U, B64((double)I32(2)))
IOP_UNARY(F64_CONVERT_I64_S, B64((double)(int64_t)S(2)))
IOP_UNARY(F64_CONVERT_I64_U, B64((double)S(2)))
IOP_UNARY(F32_DEMOTE_F64, B32((float)F64(2)))
IOP_UNARY(F64_PROMOTE_F32, B64((double)F32(2)))

/* ---------------- memory ---------------- */
/* load: OP d addr offset. The effective address is computed in 64 bits so
 * base + offset + size cannot wrap. */
/* a load from ea (its bounds checked), its value conv'd into slot 1 */
#define IOP_LOAD_AT(name, T, conv, ea)                         \
  OP(name)                                                     \
    uint64_t ea_ = (ea);                                       \
    if (UNLIKELY(ea_ + sizeof(T) > msize)) TRAP(MSG_OOB_MEM);  \
    T v_;                                                      \
    memcpy(&v_, mbase + ea_, sizeof(T));                       \
    S(1) = conv(v_);                                           \
  END(name)
#define IOP_LOAD(name, T, conv) IOP_LOAD_AT(name, T, conv, (uint64_t)I32(2) + OFF(3))
#define CV_U(v) ((uint64_t)(v))
#define CV_S32(v) ((uint64_t)(uint32_t)(int32_t)(v))
#define CV_S64(v) ((uint64_t)(int64_t)(v))
/* Every load with its type and conversion, in iops.h's WASM_LOAD_OPS
 * order; F32/F64: the same bits, loaded as a float (B32/B64: the stencils
 * pass it on in a floating-point register); only moved, never computed
 * with, so a NaN's bits stay as they are. */
#define IOP_LOADS(X, SUF)                                                          \
  X(I32_LOAD##SUF, uint32_t, CV_U) X(I64_LOAD##SUF, uint64_t, CV_U)                  \
  X(I32_LOAD8_S##SUF, int8_t, CV_S32) X(I32_LOAD8_U##SUF, uint8_t, CV_U)             \
  X(I32_LOAD16_S##SUF, int16_t, CV_S32) X(I32_LOAD16_U##SUF, uint16_t, CV_U)         \
  X(I64_LOAD8_S##SUF, int8_t, CV_S64) X(I64_LOAD8_U##SUF, uint8_t, CV_U)             \
  X(I64_LOAD16_S##SUF, int16_t, CV_S64) X(I64_LOAD16_U##SUF, uint16_t, CV_U)         \
  X(I64_LOAD32_S##SUF, int32_t, CV_S64) X(I64_LOAD32_U##SUF, uint32_t, CV_U)         \
  X(F32_LOAD##SUF, float, B32) X(F64_LOAD##SUF, double, B64)
IOP_LOADS(IOP_LOAD, )
/* store: OP addr value offset; store of a constant: OP addr imm offset */
/* a store of val(k) to ea (its bounds checked) */
#define IOP_STORE_AT(name, T, val, k, ea)                      \
  OP(name)                                                     \
    uint64_t ea_ = (ea);                                       \
    if (UNLIKELY(ea_ + sizeof(T) > msize)) TRAP(MSG_OOB_MEM);  \
    T v_ = (T)val(k);                                          \
    memcpy(mbase + ea_, &v_, sizeof(T));                       \
  END(name)
#define IOP_STORE(name, T, val) IOP_STORE_AT(name, T, val, 2, (uint64_t)I32(1) + OFF(3))
/* Every store with its type and how its value is read, in iops.h's
 * WASM_STORE_OPS and WASM_STORE_I_OPS order; F32/F64: the value read as a
 * float (in the stencil tier, from the floating-point register a float
 * result before it is passed on in); only moved, so a NaN's bits stay as
 * they are; U: the _I forms' constant. */
#define IOP_STORES(X, SUF)                                                         \
  X(I32_STORE##SUF, uint32_t, S) X(I64_STORE##SUF, uint64_t, S)                      \
  X(I32_STORE8##SUF, uint8_t, S) X(I32_STORE16##SUF, uint16_t, S)                    \
  X(I64_STORE8##SUF, uint8_t, S) X(I64_STORE16##SUF, uint16_t, S)                    \
  X(I64_STORE32##SUF, uint32_t, S) X(F32_STORE##SUF, float, F32)                     \
  X(F64_STORE##SUF, double, F64) X(I32_STORE_I##SUF, uint32_t, U)                    \
  X(I64_STORE_I##SUF, uint64_t, U) X(I32_STORE8_I##SUF, uint8_t, U)                  \
  X(I32_STORE16_I##SUF, uint16_t, U)
IOP_STORES(IOP_STORE, )
/* the same at a constant address (OFF(2): the address plus the offset) */
#define IOP_LOAD_A(name, T, conv) IOP_LOAD_AT(name, T, conv, OFF(2))
#define IOP_STORE_A(name, T, val) IOP_STORE_AT(name, T, val, 1, OFF(2))
IOP_LOADS(IOP_LOAD_A, _A)
IOP_STORES(IOP_STORE_A, _A)
OP(MEMORY_SIZE) /* d */
  S(1) = inst->mem0->pages;
END(MEMORY_SIZE)
