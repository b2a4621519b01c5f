/*
 * interp.c: the interpreter loop over the internal code of compile.h.
 *
 * Direct threading: each instruction starts with the address of its handler
 * label, and every handler ends with `goto *pc->h`, so dispatch is one load and
 * one indirect jump, with a separate jump site per handler (better branch
 * prediction than a central switch). The hot registers (pc, fp, instance,
 * memory base and size) are locals and nothing else is live across dispatch
 * (stack/frame pointers sit in the exec, call state in handler-local blocks):
 * with more, clang spills and shuffles registers in every handler. Memory
 * base/size are reloaded after anything that can move or resize the memory
 * (memory.grow, host calls, calls and returns that change instance).
 *
 * The loop is stackless: a WebAssembly call pushes a wasm_frame on the exec's
 * frame array and jumps to the callee; return pops it. Arguments are already
 * in the caller's top stack slots and become the callee's first locals in
 * place (the callee's fp points at them), results come back the same way.
 *
 * The handler table is built by the same function (`interp` called with a
 * table pointer), since label addresses only exist inside their function;
 * noinline/noclone keep the compiler from making a copy whose labels differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compile.h"
#include "engine/exec.h"
#include "engine/numeric.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* gcc ignores this pragma: CMake adds -ffp-contract=off */
#endif

#define MSG_UNREACHABLE "unreachable"
#define MSG_OVERFLOW "integer overflow"
#define MSG_DIV_ZERO "integer divide by zero"
#define MSG_BAD_CONV "invalid conversion to integer"
#define MSG_OOB_MEM "out of bounds memory access"
#define MSG_OOB_TABLE "out of bounds table access"
#define MSG_UNDEF_ELEM "undefined element"
#define MSG_UNINIT_ELEM "uninitialized element"
#define MSG_SIG_MISMATCH "indirect call type mismatch"
#define MSG_EXHAUSTED "call stack exhausted"
#define MSG_OUT_OF_MEMORY "out of memory (a function reference)"

#if defined(__GNUC__) && !defined(__clang__)
#define INTERP_NOCLONE __attribute__((noinline, noclone))
#else
#define INTERP_NOCLONE __attribute__((noinline))
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Call a host function with arguments taken from (and results written back
 * to) the value stack at `slots`. Kept out of the loop: host calls are rare
 * compared to the instructions around them. The arguments are read in place:
 * a tova_val is one 64-bit slot (a union with a uint64_t member may alias
 * it). Results go to a buffer first, because they land on the argument slots
 * and a host function may still read its arguments after writing a result.
 *
 * Two functions: the common shape (one result or none) needs no result
 * array, so its frame is small and it saves few registers; a channel
 * operation from WebAssembly pays this call twice per message. */
INTERP_NOCLONE static tova_status call_host_small(tova_exec *e, tova_instance *inst, tova_func *f,
                                                  uint64_t *slots) {
  tova_host_call call = {e, inst};
  tova_val res = {.raw = 0};
  e->trap_msg = NULL;
  tova_status st = f->host(&call, f->host_userdata, (const tova_val *)slots, &res);
  if (st == TOVA_OK && f->type->nresults) slots[0] = res.raw;
  return st;
}

tova_status wasm_exec_call_host(tova_exec *e, tova_instance *inst, tova_func *f, uint64_t *slots) {
  const tova_functype *ft = f->type;
  uint32_t nres = ft->nresults;
  if (nres <= 1) return call_host_small(e, inst, f, slots);
  tova_val small_res[8];
  tova_val *res = small_res;
  if (nres > 8) res = calloc(nres, sizeof(tova_val));
  if (!res) {
    e->trap_msg = "out of memory in a host call";
    return TOVA_ERR_NOMEM;
  }
  tova_host_call call = {e, inst};
  e->trap_msg = NULL;
  if (res == small_res)
    for (uint32_t i = 0; i < nres; i++) small_res[i].raw = 0;
  tova_status st = f->host(&call, f->host_userdata, (const tova_val *)slots, res);
  if (st == TOVA_OK)
    for (uint32_t i = 0; i < nres; i++) slots[i] = res[i].raw;
  if (res != small_res) free(res);
  return st;
}

INTERP_NOCLONE static tova_status interp(tova_exec *e, const void *const **table_out) {
  static const void *const handlers[WASM_IOP_COUNT] = {
#define WASM_IOP_LABEL(name, cells, operands) &&L_##name,
      WASM_IOP_LIST(WASM_IOP_LABEL)
#undef WASM_IOP_LABEL
  };
  if (table_out) {
    *table_out = handlers;
    return TOVA_OK;
  }

  const wasm_cell *pc = e->pc;
  uint64_t *fp = e->stack + e->fp_off;
  tova_instance *inst = e->inst;
  uint8_t *mbase = NULL;
  uint64_t msize = 0;
  const char *trap_msg = NULL;
  /* Only pc, fp, inst, mbase, msize (and e) live across dispatch; the stack
   * and frame pointers are e's fields. e->nframes is written back on every
   * exit from the loop. */
  e->slimit = e->stack + e->stack_cap;
  e->fsp = e->frames + e->nframes;
  e->fend = e->frames + e->frames_cap;

  /* A host call that did not return TOVA_OK, handed to host_not_ok. */
  tova_status host_status = TOVA_OK;
  tova_func *host_func = NULL;
  uint64_t host_argbase = 0;
  const wasm_cell *host_ret = NULL;
  /* What native code returned when not TOVA_OK, handed to native_not_ok. */
  tova_status native_status = TOVA_OK;

#define RELOAD_MEM()                  \
  do {                                \
    tova_memory *m_ = inst->mem0;     \
    if (m_) {                         \
      mbase = m_->base;               \
      msize = m_->size;               \
    } else {                          \
      mbase = NULL;                   \
      msize = 0;                      \
    }                                 \
  } while (0)
#define NEXT() goto *pc->h
#define U(k) (pc[k].u)
#define S(k) fp[pc[k].u]
#define I32(k) ((uint32_t)S(k))
#define F32(k) wasm_f32_from_bits((uint32_t)S(k))
#define F64(k) wasm_f64_from_bits(S(k))
#define CHECK_INTR() \
  if (UNLIKELY(atomic_load_explicit(&e->interrupt, memory_order_relaxed))) goto cancelled
#define TAKE(k)          \
  do {                   \
    pc += pc[k].i;       \
    CHECK_INTR();        \
    NEXT();              \
  } while (0)
/* Check room for the callee (cc, frame at nfp) and push the caller's frame.
 * Growing moves the arrays: every pointer into them is rebased. */
#define PUSH_FRAME()                                                           \
  do {                                                                         \
    if (UNLIKELY(nfp + cc->frame_slots > e->slimit)) {                         \
      size_t fo_ = (size_t)(fp - e->stack);                                    \
      if (!wasm_exec_grow_stack(e, fo_ + cargbase + cc->frame_slots))          \
        TRAP(MSG_EXHAUSTED);                                                   \
      e->slimit = e->stack + e->stack_cap;                                     \
      fp = e->stack + fo_;                                                     \
      nfp = fp + cargbase;                                                     \
    }                                                                          \
    if (UNLIKELY(e->fsp == e->fend)) {                                         \
      size_t n_ = (size_t)(e->fsp - e->frames);                                \
      if (!wasm_exec_grow_frames(e, n_ + 1)) TRAP(MSG_EXHAUSTED);              \
      e->fsp = e->frames + n_;                                                 \
      e->fend = e->frames + e->frames_cap;                                     \
    }                                                                          \
    wasm_frame *f_ = e->fsp++;                                                 \
    f_->ret_pc = cret;                                                         \
    f_->fp_off = (size_t)(fp - e->stack);                                      \
    f_->inst = inst;                                                           \
  } while (0)
/* After native code returned: it may have moved the stacks (native/rt.c
 * reserve_frames), so the frame at offset fo_ is found again. */
#define NATIVE_RETURNED(fo_)                     \
  do {                                           \
    fp = e->stack + (fo_);                       \
    e->slimit = e->stack + e->stack_cap;         \
    e->fend = e->frames + e->frames_cap;         \
  } while (0)
#define TRAP(msg)     \
  do {                \
    trap_msg = (msg); \
    goto trap;        \
  } while (0)

  RELOAD_MEM();
  /* A new call with an interrupt pending stops before its first
   * instruction; a resumed one first takes its host call's results (see
   * `resuming` in exec.h). */
  if (e->resuming) e->resuming = false;
  else CHECK_INTR();
  NEXT();

  /* ---------------- control ---------------- */
L_UNREACHABLE:
  TRAP(MSG_UNREACHABLE);
L_BR: /* off */
  TAKE(1);
L_BR_NEZ: /* a off */
  if (I32(1)) TAKE(2);
  pc += WASM_CELLS_BR_NEZ;
  NEXT();
L_BR_EQZ: /* a off */
  if (!I32(1)) TAKE(2);
  pc += WASM_CELLS_BR_EQZ;
  NEXT();
L_BR_I64_NEZ:
  if (S(1)) TAKE(2);
  pc += WASM_CELLS_BR_I64_NEZ;
  NEXT();
L_BR_I64_EQZ:
  if (!S(1)) TAKE(2);
  pc += WASM_CELLS_BR_I64_EQZ;
  NEXT();
L_BR_TABLE: { /* a n off_0 .. off_{n-1} off_default */
  uint64_t i = I32(1), n = U(2);
  if (i > n) i = n;
  TAKE(3 + i);
}
L_RETURN: { /* src n: results from fp[src..src+n) to fp[0..n) */
  uint64_t src = U(1), n = U(2);
  for (uint64_t i = 0; i < n; i++) fp[i] = fp[src + i];
  goto do_return;
}
L_RETURN1: /* src */
  fp[0] = S(1);
  goto do_return;
L_RETURN0:
do_return : {
  wasm_frame *fr = --e->fsp;
  if (!fr->ret_pc) {
    e->nframes = (size_t)(e->fsp - e->frames);
    e->state = WASM_EXEC_IDLE;
    return TOVA_OK;
  }
  pc = fr->ret_pc;
  fp = e->stack + fr->fp_off;
  /* Same instance: mbase/msize are still right (a memory.grow in the callee
   * updated these very locals, host calls reload them). */
  if (UNLIKELY(fr->inst != inst)) {
    inst = fr->inst;
    RELOAD_MEM();
  }
  NEXT();
}
  /* Calls. The call state (callee, argument base, return pc) lives in block
   * locals of each handler, not in function-wide variables: fewer values live
   * across dispatch (clang otherwise shuffles them at every handler). */
#define ENTER_WASM(code_, argbase_, ret_)                     \
  do {                                                        \
    const wasm_code *cc = (code_);                            \
    uint64_t cargbase = (argbase_);                           \
    const wasm_cell *cret = (ret_);                           \
    uint64_t *nfp = fp + cargbase;                            \
    PUSH_FRAME();                                             \
    for (uint32_t i_ = cc->nparams; i_ < cc->nlocals; i_++) nfp[i_] = 0; \
    fp = nfp;                                                 \
    /* native tier hook: cells may be switched by another thread */ \
    pc = __atomic_load_n(&cc->cells, __ATOMIC_ACQUIRE);       \
  } while (0)
/* A host call that completed is not followed by an interrupt check: what
 * it did (a value received, a send taken) must reach the code, and the next
 * back-edge or call stops a cancelled execution anyway (the same rule as a
 * resume, see `resuming` in exec.h). A call into WebAssembly is checked. */
#define CALL_FUNC(cf, cargbase, cret)                                      \
  do {                                                                     \
    if (cf->host) {                                                        \
      if (cf->fast && cf->fast(cf->host_userdata, fp + (cargbase))) {      \
        /* Completed by the fast entry: no context, memory untouched. */  \
        pc = (cret);                                                       \
        NEXT();                                                            \
      }                                                                    \
      tova_status st_ = cf->type->nresults <= 1                           \
                            ? call_host_small(e, inst, cf, fp + (cargbase))  \
                            : wasm_exec_call_host(e, inst, cf, fp + (cargbase));       \
      if (st_ != TOVA_OK) {                                                \
        host_status = st_;                                                 \
        host_func = cf;                                                    \
        host_argbase = (cargbase);                                         \
        host_ret = (cret);                                                 \
        goto host_not_ok;                                                  \
      }                                                                    \
      pc = (cret);                                                         \
      RELOAD_MEM();                                                        \
      NEXT();                                                              \
    } else if (cf->instance != inst) {                                     \
      /* The frame remembers our instance; the callee runs with its own. */\
      ENTER_WASM(cf->code, cargbase, cret);                                \
      inst = cf->instance;                                                 \
      /* An entry into another instance: see `written` in store.h. */      \
      if (cf->code->may_write_memory) wasm_memory_note_writer(inst->mem0); \
      RELOAD_MEM();                                                        \
    } else {                                                               \
      ENTER_WASM(cf->code, cargbase, cret);                                \
    }                                                                      \
    CHECK_INTR();                                                          \
    NEXT();                                                                \
  } while (0)
L_CALL: /* argbase code: a function of this module (same instance) */
  ENTER_WASM((const wasm_code *)pc[2].p, U(1), pc + WASM_CELLS_CALL);
  CHECK_INTR();
  NEXT();
L_CALL_ADDI32: /* argbase code d src imm */
  S(3) = (uint32_t)(S(4) + U(5));
  ENTER_WASM((const wasm_code *)pc[2].p, U(1), pc + WASM_CELLS_CALL_ADDI32);
  CHECK_INTR();
  NEXT();
L_CALL_ADDI64:
  S(3) = S(4) + U(5);
  ENTER_WASM((const wasm_code *)pc[2].p, U(1), pc + WASM_CELLS_CALL_ADDI64);
  CHECK_INTR();
  NEXT();
L_CALL_FUNC: { /* argbase funcidx: an imported function, maybe host or of another instance */
  tova_func *cf = inst->funcs[U(2)];
  CALL_FUNC(cf, U(1), pc + WASM_CELLS_CALL_FUNC);
}
L_CALL_INDIRECT: { /* argbase idxslot typeidx tableidx */
  tova_table *t = inst->tables[U(4)];
  uint32_t i = I32(2);
  /* The reference interpreter names the element: "uninitialized element 2". */
  if (i >= t->size) {
    TRAP(wasm_exec_trap_printf(e, MSG_UNDEF_ELEM, MSG_UNDEF_ELEM " %u", i));
  }
  tova_func *cf = (tova_func *)t->elems[i];
  if (!cf) {
    TRAP(wasm_exec_trap_printf(e, MSG_UNINIT_ELEM, MSG_UNINIT_ELEM " %u", i));
  }
  const tova_functype *want = &inst->module->types[U(3)];
  if (cf->type != want && !wasm_functype_equal(cf->type, want)) TRAP(MSG_SIG_MISMATCH);
  CALL_FUNC(cf, U(1), pc + WASM_CELLS_CALL_INDIRECT);
}
host_not_ok: { /* a host function parked, trapped or failed */
  size_t fo = (size_t)(fp - e->stack);
  if (host_status == TOVA_SUSPENDED) {
    e->nframes = (size_t)(e->fsp - e->frames);
    e->pc = host_ret;
    e->fp_off = fo;
    e->inst = inst;
    e->host_results_off = fo + host_argbase;
    e->host_type = host_func->type;
    e->state = WASM_EXEC_SUSPENDED_WASM;
    return TOVA_SUSPENDED;
  }
  if (host_status == TOVA_ERR_CANCELLED) goto cancelled;
  if (host_status == TOVA_ERR_TRAP) TRAP(e->trap_msg ? e->trap_msg : "host function trapped");
  e->state = WASM_EXEC_IDLE;
  e->nframes = 0;
  if (!e->trap_msg) e->trap_msg = "host function failed";
  return host_status;
}

  /* ---------------- moves ---------------- */
L_COPY: /* d s */
  S(1) = S(2);
  pc += WASM_CELLS_COPY;
  NEXT();
L_CONST: /* d imm */
  S(1) = U(2);
  pc += WASM_CELLS_CONST;
  NEXT();
L_SELECT: /* d c a b */
  S(1) = I32(2) ? S(3) : S(4);
  pc += WASM_CELLS_SELECT;
  NEXT();
L_GLOBAL_GET: /* d idx */
  S(1) = inst->globals[U(2)]->value.raw;
  pc += WASM_CELLS_GLOBAL_GET;
  NEXT();
L_GLOBAL_SET: /* idx s */
  inst->globals[U(1)]->value.raw = S(2);
  pc += WASM_CELLS_GLOBAL_SET;
  NEXT();

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
#define CMP_HANDLERS(W, c)                      \
  L_I##W##_##c : S(1) = C##W##_##c(S(2), S(3)); \
  pc += WASM_CELLS_I##W##_##c;                  \
  NEXT();                                       \
  L_I##W##_##c##_I : S(1) = C##W##_##c(S(2), U(3)); \
  pc += WASM_CELLS_I##W##_##c##_I;              \
  NEXT();                                       \
  L_BR_I##W##_##c : if (C##W##_##c(S(1), S(2))) TAKE(3); \
  pc += WASM_CELLS_BR_I##W##_##c;               \
  NEXT();                                       \
  L_BR_I##W##_##c##_I : if (C##W##_##c(S(1), U(2))) TAKE(3); \
  pc += WASM_CELLS_BR_I##W##_##c##_I;           \
  NEXT();
#define CMP32(c) CMP_HANDLERS(32, c)
#define CMP64(c) CMP_HANDLERS(64, c)
  WASM_CMP_LIST(CMP32)
  WASM_CMP_LIST(CMP64)
  /* ADDI_BR_<cmp> l src imm b off: the counter update is written before the
   * compare reads it, as in the instruction sequence this replaces. */
#define ADDI_BR(W, c)                                        \
  L_ADDI_BR_I##W##_##c : {                                   \
    uint##W##_t v_ = (uint##W##_t)(S(2) + U(3));             \
    S(1) = v_;                                               \
    if (C##W##_##c(v_, S(4))) TAKE(5);                       \
    pc += WASM_CELLS_ADDI_BR_I##W##_##c;                     \
    NEXT();                                                  \
  }                                                          \
  L_ADDI_BR_I##W##_##c##_I : {                               \
    uint##W##_t v_ = (uint##W##_t)(S(2) + U(3));             \
    S(1) = v_;                                               \
    if (C##W##_##c(v_, U(4))) TAKE(5);                       \
    pc += WASM_CELLS_ADDI_BR_I##W##_##c##_I;                 \
    NEXT();                                                  \
  }
#define ADD_BR(W, c)                                         \
  L_ADD_BR_I##W##_##c : {                                    \
    uint##W##_t v_ = (uint##W##_t)(S(2) + S(3));             \
    S(1) = v_;                                               \
    if (C##W##_##c(v_, S(4))) TAKE(5);                       \
    pc += WASM_CELLS_ADD_BR_I##W##_##c;                      \
    NEXT();                                                  \
  }                                                          \
  L_ADD_BR_I##W##_##c##_I : {                                \
    uint##W##_t v_ = (uint##W##_t)(S(2) + S(3));             \
    S(1) = v_;                                               \
    if (C##W##_##c(v_, U(4))) TAKE(5);                       \
    pc += WASM_CELLS_ADD_BR_I##W##_##c##_I;                  \
    NEXT();                                                  \
  }
#define ADD_BR32(c) ADD_BR(32, c)
#define ADD_BR64(c) ADD_BR(64, c)
  WASM_CMP_LIST(ADD_BR32)
  WASM_CMP_LIST(ADD_BR64)
#define ADDI_BR32(c) ADDI_BR(32, c)
#define ADDI_BR64(c) ADDI_BR(64, c)
  WASM_CMP_LIST(ADDI_BR32)
  WASM_CMP_LIST(ADDI_BR64)
  /* ST8I_ADD(I)_BR_I32_<cmp> a v offset l src x b off: a constant byte store
   * (checked and done first, as in the sequence it replaces), then the step.
   * When the branch targets this very instruction and the counter is the
   * address (a == l == src, x and b other slots: `mem[j] = v; j += x` while
   * j <cmp> b), the loop runs here with j in a register: a byte store may
   * alias anything, so re-reading the frame each time would chain every
   * iteration through memory. Each iteration still checks bounds, writes the
   * local and polls the interrupt flag, as the back-edge would. */
#define ST8I_STEP(name, c, rhs, rhs_slot)                                  \
  L_##name##_##c : {                                                       \
    uint64_t ea_ = (uint64_t)I32(1) + U(3);                                \
    if (UNLIKELY(ea_ + 1 > msize)) TRAP(MSG_OOB_MEM);                      \
    mbase[ea_] = (uint8_t)U(2);                                            \
    uint32_t v_ = (uint32_t)(S(5) + rhs);                                  \
    S(4) = v_;                                                             \
    if (C32_##c(v_, S(7))) {                                               \
      if (pc[8].i == 0 && U(1) == U(4) && U(5) == U(4) && U(7) != U(4) &&  \
          (rhs_slot) != U(4)) {                                            \
        const uint32_t step_ = (uint32_t)(rhs);                            \
        const uint64_t bound_ = S(7), off_ = U(3);                         \
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
        pc += WASM_CELLS_##name##_##c;                                     \
        NEXT();                                                            \
      }                                                                    \
      TAKE(8);                                                             \
    }                                                                      \
    pc += WASM_CELLS_##name##_##c;                                         \
    NEXT();                                                                \
  }
#define ST8I_ADD(c) ST8I_STEP(ST8I_ADD_BR_I32, c, S(6), U(6))
#define ST8I_ADDI(c) ST8I_STEP(ST8I_ADDI_BR_I32, c, U(6), UINT64_MAX)
  WASM_CMP_LIST(ST8I_ADD)
  WASM_CMP_LIST(ST8I_ADDI)
  /* ADD32_ADDI_BR_I32_<cmp> d x y l src imm b off: an i32.add, then the step. */
#define ADD32_ADDI(c)                                          \
  L_ADD32_ADDI_BR_I32_##c : {                                  \
    S(1) = (uint32_t)(S(2) + S(3));                            \
    uint32_t v_ = (uint32_t)(S(5) + U(6));                     \
    S(4) = v_;                                                 \
    if (C32_##c(v_, S(7))) TAKE(8);                            \
    pc += WASM_CELLS_ADD32_ADDI_BR_I32_##c;                    \
    NEXT();                                                    \
  }
  WASM_CMP_LIST(ADD32_ADDI)
L_LD8U_EQZ: { /* d a offset */
  uint64_t ea_ = (uint64_t)I32(2) + U(3);
  if (UNLIKELY(ea_ + 1 > msize)) TRAP(MSG_OOB_MEM);
  S(1) = mbase[ea_] == 0;
  pc += WASM_CELLS_LD8U_EQZ;
  NEXT();
}
L_ADDI_BR_NEZ: { /* l src imm off */
  uint32_t v = (uint32_t)(S(2) + U(3));
  S(1) = v;
  if (v) TAKE(4);
  pc += WASM_CELLS_ADDI_BR_NEZ;
  NEXT();
}
  /* BR_LD*_NEZ/EQZ a offset off: a load whose only use is a branch test */
#define BR_LOAD(name, T, test)                                 \
  L_##name : {                                                 \
    uint64_t ea_ = (uint64_t)I32(1) + U(2);                    \
    if (UNLIKELY(ea_ + sizeof(T) > msize)) TRAP(MSG_OOB_MEM);  \
    T v_;                                                      \
    memcpy(&v_, mbase + ea_, sizeof(T));                       \
    if (test v_) TAKE(3);                                      \
    pc += WASM_CELLS_##name;                                   \
    NEXT();                                                    \
  }
  BR_LOAD(BR_LD8U_NEZ, uint8_t, )
  BR_LOAD(BR_LD8U_EQZ, uint8_t, !)
  BR_LOAD(BR_LD32_NEZ, uint32_t, )
  BR_LOAD(BR_LD32_EQZ, uint32_t, !)
L_I32_EQZ:
  S(1) = I32(2) == 0;
  pc += WASM_CELLS_I32_EQZ;
  NEXT();
L_I64_EQZ:
  S(1) = S(2) == 0;
  pc += WASM_CELLS_I64_EQZ;
  NEXT();

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
#define ARITH_HANDLERS(W, o)                         \
  L_I##W##_##o : S(1) = (uint##W##_t)A##W##_##o(S(2), S(3)); \
  pc += WASM_CELLS_I##W##_##o;                       \
  NEXT();                                            \
  L_I##W##_##o##_I : S(1) = (uint##W##_t)A##W##_##o(S(2), U(3)); \
  pc += WASM_CELLS_I##W##_##o##_I;                   \
  NEXT();
#define ARITH32(o) ARITH_HANDLERS(32, o)
#define ARITH64(o) ARITH_HANDLERS(64, o)
  WASM_IBIN_LIST(ARITH32)
  WASM_IBIN_LIST(ARITH64)

L_I32_DIV_S: {
  int32_t a = (int32_t)I32(2), b = (int32_t)I32(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  if (a == INT32_MIN && b == -1) TRAP(MSG_OVERFLOW);
  S(1) = (uint32_t)(a / b);
  pc += WASM_CELLS_I32_DIV_S;
  NEXT();
}
L_I32_DIV_U: {
  uint32_t a = I32(2), b = I32(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  S(1) = a / b;
  pc += WASM_CELLS_I32_DIV_U;
  NEXT();
}
L_I32_REM_S: {
  int32_t a = (int32_t)I32(2), b = (int32_t)I32(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  S(1) = b == -1 ? 0 : (uint32_t)(a % b);
  pc += WASM_CELLS_I32_REM_S;
  NEXT();
}
L_I32_REM_U: {
  uint32_t a = I32(2), b = I32(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  S(1) = a % b;
  pc += WASM_CELLS_I32_REM_U;
  NEXT();
}
L_I64_DIV_S: {
  int64_t a = (int64_t)S(2), b = (int64_t)S(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  if (a == INT64_MIN && b == -1) TRAP(MSG_OVERFLOW);
  S(1) = (uint64_t)(a / b);
  pc += WASM_CELLS_I64_DIV_S;
  NEXT();
}
L_I64_DIV_U: {
  uint64_t a = S(2), b = S(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  S(1) = a / b;
  pc += WASM_CELLS_I64_DIV_U;
  NEXT();
}
L_I64_REM_S: {
  int64_t a = (int64_t)S(2), b = (int64_t)S(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  S(1) = b == -1 ? 0 : (uint64_t)(a % b);
  pc += WASM_CELLS_I64_REM_S;
  NEXT();
}
L_I64_REM_U: {
  uint64_t a = S(2), b = S(3);
  if (b == 0) TRAP(MSG_DIV_ZERO);
  S(1) = a % b;
  pc += WASM_CELLS_I64_REM_U;
  NEXT();
}
  /* OP_I d a imm: the compiler only uses these for a divisor that is neither 0
   * nor (signed) -1, so they cannot trap. */
L_I32_DIV_S_I:
  S(1) = (uint32_t)((int32_t)I32(2) / (int32_t)(uint32_t)U(3));
  pc += WASM_CELLS_I32_DIV_S_I;
  NEXT();
L_I32_DIV_U_I:
  S(1) = I32(2) / (uint32_t)U(3);
  pc += WASM_CELLS_I32_DIV_U_I;
  NEXT();
L_I32_REM_S_I:
  S(1) = (uint32_t)((int32_t)I32(2) % (int32_t)(uint32_t)U(3));
  pc += WASM_CELLS_I32_REM_S_I;
  NEXT();
L_I32_REM_U_I:
  S(1) = I32(2) % (uint32_t)U(3);
  pc += WASM_CELLS_I32_REM_U_I;
  NEXT();
L_I64_DIV_S_I:
  S(1) = (uint64_t)((int64_t)S(2) / (int64_t)U(3));
  pc += WASM_CELLS_I64_DIV_S_I;
  NEXT();
L_I64_DIV_U_I:
  S(1) = S(2) / U(3);
  pc += WASM_CELLS_I64_DIV_U_I;
  NEXT();
L_I64_REM_S_I:
  S(1) = (uint64_t)((int64_t)S(2) % (int64_t)U(3));
  pc += WASM_CELLS_I64_REM_S_I;
  NEXT();
L_I64_REM_U_I:
  S(1) = S(2) % U(3);
  pc += WASM_CELLS_I64_REM_U_I;
  NEXT();
  /* OP_SHIFT d x s k: fp[d] = fp[x] OP (fp[s] SHIFT k). All reads happen
   * before the write (d may be x or s). */
#define SH_HANDLER(W, o, sh)                                                   \
  L_I##W##_##o##_##sh : {                                                      \
    uint##W##_t t_ = (uint##W##_t)A##W##_##sh(S(3), U(4));                     \
    S(1) = (uint##W##_t)A##W##_##o(S(2), t_);                                  \
    pc += WASM_CELLS_I##W##_##o##_##sh;                                        \
    NEXT();                                                                    \
  }
#define SH_OPS(W, sh) \
  SH_HANDLER(W, ADD, sh) SH_HANDLER(W, SUB, sh) SH_HANDLER(W, AND, sh) SH_HANDLER(W, OR, sh) \
  SH_HANDLER(W, XOR, sh)
  SH_OPS(32, SHL) SH_OPS(32, SHR_S) SH_OPS(32, SHR_U)
  SH_OPS(64, SHL) SH_OPS(64, SHR_S) SH_OPS(64, SHR_U)

  /* unary: OP d a */
#define UNARY(name, expr) \
  L_##name : S(1) = (expr); \
  pc += WASM_CELLS_##name; \
  NEXT();
  UNARY(I32_CLZ, wasm_i32_clz(I32(2)))
  UNARY(I32_CTZ, wasm_i32_ctz(I32(2)))
  UNARY(I32_POPCNT, wasm_i32_popcnt(I32(2)))
  UNARY(I64_CLZ, wasm_i64_clz(S(2)))
  UNARY(I64_CTZ, wasm_i64_ctz(S(2)))
  UNARY(I64_POPCNT, wasm_i64_popcnt(S(2)))
  UNARY(I32_EXTEND8_S, (uint32_t)(int32_t)(int8_t)(uint8_t)S(2))
  UNARY(I32_EXTEND16_S, (uint32_t)(int32_t)(int16_t)(uint16_t)S(2))
  UNARY(I64_EXTEND8_S, (uint64_t)(int64_t)(int8_t)(uint8_t)S(2))
  UNARY(I64_EXTEND16_S, (uint64_t)(int64_t)(int16_t)(uint16_t)S(2))
  UNARY(I64_EXTEND32_S, (uint64_t)(int64_t)(int32_t)(uint32_t)S(2))
  UNARY(I32_WRAP_I64, (uint32_t)S(2))
  UNARY(I64_EXTEND_I32_S, (uint64_t)(int64_t)(int32_t)I32(2))
  UNARY(I64_EXTEND_I32_U, (uint64_t)I32(2))

  /* ---------------- floats ---------------- */
  /* comparisons: OP d a b */
#define FBIN(name, expr)  \
  L_##name : S(1) = (expr); \
  pc += WASM_CELLS_##name; \
  NEXT();
  FBIN(F32_EQ, F32(2) == F32(3))
  FBIN(F32_NE, F32(2) != F32(3))
  FBIN(F32_LT, F32(2) < F32(3))
  FBIN(F32_GT, F32(2) > F32(3))
  FBIN(F32_LE, F32(2) <= F32(3))
  FBIN(F32_GE, F32(2) >= F32(3))
  FBIN(F64_EQ, F64(2) == F64(3))
  FBIN(F64_NE, F64(2) != F64(3))
  FBIN(F64_LT, F64(2) < F64(3))
  FBIN(F64_GT, F64(2) > F64(3))
  FBIN(F64_LE, F64(2) <= F64(3))
  FBIN(F64_GE, F64(2) >= F64(3))
#define B32(f) ((uint64_t)wasm_f32_bits(f))
#define B64(f) wasm_f64_bits(f)
  UNARY(F32_ABS, I32(2) & ~WASM_F32_SIGN)
  UNARY(F32_NEG, I32(2) ^ WASM_F32_SIGN)
  UNARY(F32_CEIL, B32(wasm_f32_ceil(F32(2))))
  UNARY(F32_FLOOR, B32(wasm_f32_floor(F32(2))))
  UNARY(F32_TRUNC, B32(wasm_f32_trunc(F32(2))))
  UNARY(F32_NEAREST, B32(wasm_f32_nearest(F32(2))))
  UNARY(F32_SQRT, B32(sqrtf(F32(2))))
  FBIN(F32_ADD, B32(F32(2) + F32(3)))
  FBIN(F32_SUB, B32(F32(2) - F32(3)))
  FBIN(F32_MUL, B32(F32(2) * F32(3)))
  FBIN(F32_DIV, B32(F32(2) / F32(3)))
  FBIN(F32_MIN, B32(wasm_f32_min(F32(2), F32(3))))
  FBIN(F32_MAX, B32(wasm_f32_max(F32(2), F32(3))))
  FBIN(F32_COPYSIGN, (I32(2) & ~WASM_F32_SIGN) | (I32(3) & WASM_F32_SIGN))
  UNARY(F64_ABS, S(2) & ~WASM_F64_SIGN)
  UNARY(F64_NEG, S(2) ^ WASM_F64_SIGN)
  UNARY(F64_CEIL, B64(wasm_f64_ceil(F64(2))))
  UNARY(F64_FLOOR, B64(wasm_f64_floor(F64(2))))
  UNARY(F64_TRUNC, B64(wasm_f64_trunc(F64(2))))
  UNARY(F64_NEAREST, B64(wasm_f64_nearest(F64(2))))
  UNARY(F64_SQRT, B64(sqrt(F64(2))))
  FBIN(F64_ADD, B64(F64(2) + F64(3)))
  FBIN(F64_SUB, B64(F64(2) - F64(3)))
  FBIN(F64_MUL, B64(F64(2) * F64(3)))
  FBIN(F64_DIV, B64(F64(2) / F64(3)))
  FBIN(F64_MIN, B64(wasm_f64_min(F64(2), F64(3))))
  FBIN(F64_MAX, B64(wasm_f64_max(F64(2), F64(3))))
  FBIN(F64_COPYSIGN, (S(2) & ~WASM_F64_SIGN) | (S(3) & WASM_F64_SIGN))

  /* trapping truncations: OP d a */
#define TRUNC(name, fn, T, arg)                   \
  L_##name : {                                    \
    T r_;                                         \
    wasm_trunc_result t_ = fn(arg, &r_);          \
    if (UNLIKELY(t_ != WASM_TRUNC_OK))            \
      TRAP(t_ == WASM_TRUNC_NAN ? MSG_BAD_CONV : MSG_OVERFLOW); \
    S(1) = r_;                                    \
    pc += WASM_CELLS_##name;                      \
    NEXT();                                       \
  }
  TRUNC(I32_TRUNC_F32_S, wasm_i32_trunc_f32_s, uint32_t, F32(2))
  TRUNC(I32_TRUNC_F32_U, wasm_i32_trunc_f32_u, uint32_t, F32(2))
  TRUNC(I32_TRUNC_F64_S, wasm_i32_trunc_f64_s, uint32_t, F64(2))
  TRUNC(I32_TRUNC_F64_U, wasm_i32_trunc_f64_u, uint32_t, F64(2))
  TRUNC(I64_TRUNC_F32_S, wasm_i64_trunc_f32_s, uint64_t, F32(2))
  TRUNC(I64_TRUNC_F32_U, wasm_i64_trunc_f32_u, uint64_t, F32(2))
  TRUNC(I64_TRUNC_F64_S, wasm_i64_trunc_f64_s, uint64_t, F64(2))
  TRUNC(I64_TRUNC_F64_U, wasm_i64_trunc_f64_u, uint64_t, F64(2))
  UNARY(I32_TRUNC_SAT_F32_S, wasm_i32_trunc_sat_f32_s(F32(2)))
  UNARY(I32_TRUNC_SAT_F32_U, wasm_i32_trunc_sat_f32_u(F32(2)))
  UNARY(I32_TRUNC_SAT_F64_S, wasm_i32_trunc_sat_f64_s(F64(2)))
  UNARY(I32_TRUNC_SAT_F64_U, wasm_i32_trunc_sat_f64_u(F64(2)))
  UNARY(I64_TRUNC_SAT_F32_S, wasm_i64_trunc_sat_f32_s(F32(2)))
  UNARY(I64_TRUNC_SAT_F32_U, wasm_i64_trunc_sat_f32_u(F32(2)))
  UNARY(I64_TRUNC_SAT_F64_S, wasm_i64_trunc_sat_f64_s(F64(2)))
  UNARY(I64_TRUNC_SAT_F64_U, wasm_i64_trunc_sat_f64_u(F64(2)))
  UNARY(F32_CONVERT_I32_S, B32((float)(int32_t)I32(2)))
  UNARY(F32_CONVERT_I32_U, B32((float)I32(2)))
  UNARY(F32_CONVERT_I64_S, B32((float)(int64_t)S(2)))
  UNARY(F32_CONVERT_I64_U, B32((float)S(2)))
  UNARY(F64_CONVERT_I32_S, B64((double)(int32_t)I32(2)))
  UNARY(F64_CONVERT_I32_U, B64((double)I32(2)))
  UNARY(F64_CONVERT_I64_S, B64((double)(int64_t)S(2)))
  UNARY(F64_CONVERT_I64_U, B64((double)S(2)))
  UNARY(F32_DEMOTE_F64, B32((float)F64(2)))
  UNARY(F64_PROMOTE_F32, B64((double)F32(2)))

  /* ---------------- memory ---------------- */
  /* load: OP d addr offset. The effective address is computed in 64 bits so
   * base + offset + size cannot wrap. */
#define LOAD(name, T, conv)                                    \
  L_##name : {                                                 \
    uint64_t ea_ = (uint64_t)I32(2) + U(3);                    \
    if (UNLIKELY(ea_ + sizeof(T) > msize)) TRAP(MSG_OOB_MEM);  \
    T v_;                                                      \
    memcpy(&v_, mbase + ea_, sizeof(T));                       \
    S(1) = conv(v_);                                           \
    pc += WASM_CELLS_##name;                                   \
    NEXT();                                                    \
  }
#define CV_U(v) ((uint64_t)(v))
#define CV_S32(v) ((uint64_t)(uint32_t)(int32_t)(v))
#define CV_S64(v) ((uint64_t)(int64_t)(v))
  LOAD(I32_LOAD, uint32_t, CV_U)
  LOAD(I64_LOAD, uint64_t, CV_U)
  LOAD(I32_LOAD8_S, int8_t, CV_S32)
  LOAD(I32_LOAD8_U, uint8_t, CV_U)
  LOAD(I32_LOAD16_S, int16_t, CV_S32)
  LOAD(I32_LOAD16_U, uint16_t, CV_U)
  LOAD(I64_LOAD8_S, int8_t, CV_S64)
  LOAD(I64_LOAD8_U, uint8_t, CV_U)
  LOAD(I64_LOAD16_S, int16_t, CV_S64)
  LOAD(I64_LOAD16_U, uint16_t, CV_U)
  LOAD(I64_LOAD32_S, int32_t, CV_S64)
  LOAD(I64_LOAD32_U, uint32_t, CV_U)
  /* store: OP addr value offset */
#define STORE(name, T)                                         \
  L_##name : {                                                 \
    uint64_t ea_ = (uint64_t)I32(1) + U(3);                    \
    if (UNLIKELY(ea_ + sizeof(T) > msize)) TRAP(MSG_OOB_MEM);  \
    T v_ = (T)S(2);                                            \
    memcpy(mbase + ea_, &v_, sizeof(T));                       \
    pc += WASM_CELLS_##name;                                   \
    NEXT();                                                    \
  }
  STORE(I32_STORE, uint32_t)
  STORE(I64_STORE, uint64_t)
  STORE(I32_STORE8, uint8_t)
  STORE(I32_STORE16, uint16_t)
  STORE(I64_STORE8, uint8_t)
  STORE(I64_STORE16, uint16_t)
  STORE(I64_STORE32, uint32_t)
  /* store of a constant: OP addr imm offset */
#define STORE_I(name, T)                                       \
  L_##name : {                                                 \
    uint64_t ea_ = (uint64_t)I32(1) + U(3);                    \
    if (UNLIKELY(ea_ + sizeof(T) > msize)) TRAP(MSG_OOB_MEM);  \
    T v_ = (T)U(2);                                            \
    memcpy(mbase + ea_, &v_, sizeof(T));                       \
    pc += WASM_CELLS_##name;                                   \
    NEXT();                                                    \
  }
  STORE_I(I32_STORE_I, uint32_t)
  STORE_I(I64_STORE_I, uint64_t)
  STORE_I(I32_STORE8_I, uint8_t)
  STORE_I(I32_STORE16_I, uint16_t)

L_MEMORY_SIZE: /* d */
  S(1) = inst->mem0->pages;
  pc += WASM_CELLS_MEMORY_SIZE;
  NEXT();
L_MEMORY_GROW: /* d delta */
  S(1) = wasm_memory_grow(inst->mem0, I32(2));
  RELOAD_MEM();
  pc += WASM_CELLS_MEMORY_GROW;
  NEXT();
L_MEMORY_INIT: { /* dataidx dst src n */
  uint32_t idx = (uint32_t)U(1);
  const wasm_data_segment *seg = &inst->module->datas[idx];
  uint64_t len = wasm_data_dropped(inst)[idx] ? 0 : seg->len;
  uint64_t d = I32(2), s = I32(3), n = I32(4);
  if (s + n > len || d + n > msize) TRAP(MSG_OOB_MEM);
  if (n) memcpy(mbase + d, seg->bytes + s, n);
  pc += WASM_CELLS_MEMORY_INIT;
  NEXT();
}
L_DATA_DROP: /* dataidx */
  wasm_data_dropped(inst)[U(1)] = 1;
  pc += WASM_CELLS_DATA_DROP;
  NEXT();
L_MEMORY_COPY: { /* dst src n */
  uint64_t d = I32(1), s = I32(2), n = I32(3);
  if (s + n > msize || d + n > msize) TRAP(MSG_OOB_MEM);
  if (n) memmove(mbase + d, mbase + s, n);
  pc += WASM_CELLS_MEMORY_COPY;
  NEXT();
}
L_MEMORY_FILL: { /* dst value n */
  uint64_t d = I32(1), n = I32(3);
  if (d + n > msize) TRAP(MSG_OOB_MEM);
  if (n) memset(mbase + d, (int)(uint8_t)S(2), n);
  pc += WASM_CELLS_MEMORY_FILL;
  NEXT();
}

  /* ---------------- references and tables ---------------- */
L_REF_IS_NULL: /* d a */
  S(1) = S(2) == 0;
  pc += WASM_CELLS_REF_IS_NULL;
  NEXT();
L_REF_FUNC: { /* d funcidx */
  tova_func *rf = wasm_instance_func(inst, (uint32_t)U(2));
  if (!rf) TRAP(MSG_OUT_OF_MEMORY);
  S(1) = (uint64_t)(uintptr_t)rf;
  pc += WASM_CELLS_REF_FUNC;
  NEXT();
}
L_TABLE_GET: { /* d table i */
  tova_table *t = inst->tables[U(2)];
  uint32_t i = I32(3);
  if (i >= t->size) TRAP(MSG_OOB_TABLE);
  S(1) = (uint64_t)(uintptr_t)t->elems[i];
  pc += WASM_CELLS_TABLE_GET;
  NEXT();
}
L_TABLE_SET: { /* table i v */
  tova_table *t = inst->tables[U(1)];
  uint32_t i = I32(2);
  if (i >= t->size) TRAP(MSG_OOB_TABLE);
  t->elems[i] = (void *)(uintptr_t)S(3);
  pc += WASM_CELLS_TABLE_SET;
  NEXT();
}
L_TABLE_SIZE: /* d table */
  S(1) = inst->tables[U(2)]->size;
  pc += WASM_CELLS_TABLE_SIZE;
  NEXT();
L_TABLE_GROW: /* d table init n */
  S(1) = wasm_table_grow(inst->tables[U(2)], I32(4), (void *)(uintptr_t)S(3));
  pc += WASM_CELLS_TABLE_GROW;
  NEXT();
L_TABLE_FILL: { /* table i v n */
  tova_table *t = inst->tables[U(1)];
  uint64_t i = I32(2), n = I32(4);
  if (i + n > t->size) TRAP(MSG_OOB_TABLE);
  void *v = (void *)(uintptr_t)S(3);
  for (uint64_t k = 0; k < n; k++) t->elems[i + k] = v;
  pc += WASM_CELLS_TABLE_FILL;
  NEXT();
}
L_TABLE_COPY: { /* dsttable srctable d s n */
  tova_table *td = inst->tables[U(1)], *ts = inst->tables[U(2)];
  uint64_t d = I32(3), s = I32(4), n = I32(5);
  if (s + n > ts->size || d + n > td->size) TRAP(MSG_OOB_TABLE);
  if (n) memmove(td->elems + d, ts->elems + s, n * sizeof(void *));
  pc += WASM_CELLS_TABLE_COPY;
  NEXT();
}
L_TABLE_INIT: { /* elemidx table d s n */
  uint32_t idx = (uint32_t)U(1);
  const wasm_elem_segment *seg = &inst->module->elems[idx];
  tova_table *t = inst->tables[U(2)];
  uint64_t len = wasm_elem_dropped(inst)[idx] ? 0 : seg->count;
  uint64_t d = I32(3), s = I32(4), n = I32(5);
  if (s + n > len || d + n > t->size) TRAP(MSG_OOB_TABLE);
  for (uint64_t k = 0; k < n; k++) {
    const wasm_constexpr *ce = &seg->items[s + k];
    void *v = NULL;
    if (ce->kind == WASM_CONST_REF_FUNC) {
      if (!(v = wasm_instance_func(inst, ce->index))) TRAP(MSG_OUT_OF_MEMORY);
    } else if (ce->kind == WASM_CONST_GLOBAL_GET) v = inst->globals[ce->index]->value.ref;
    t->elems[d + k] = v;
  }
  pc += WASM_CELLS_TABLE_INIT;
  NEXT();
}
L_ELEM_DROP: /* elemidx */
  wasm_elem_dropped(inst)[U(1)] = 1;
  pc += WASM_CELLS_ELEM_DROP;
  NEXT();

  /* ---- native tier hook (src/engine/native): see wasm_native_entry ---- */
L_NATIVE_ENTER: { /* entry fn cells */
  size_t fo_ = (size_t)(fp - e->stack);
  native_status = ((wasm_native_entry)pc[1].p)(e, inst, fp, pc[2].p);
  if (UNLIKELY(native_status != TOVA_OK)) {
    if (native_status == WASM_NATIVE_NOT_ENTERED) { /* nothing done: run the function here */
      pc = (const wasm_cell *)pc[3].p;
      NEXT();
    }
    goto native_not_ok;
  }
  NATIVE_RETURNED(fo_);
  RELOAD_MEM(); /* native code may have grown the memory */
  goto do_return;
}
L_NATIVE_RESUME: { /* entry fn point after: see wasm_native_resume_entry */
  bool entered_ = false;
  size_t fo_ = (size_t)(fp - e->stack);
  native_status = ((wasm_native_resume_entry)pc[1].p)(e, inst, fp, __atomic_load_n(&pc[2].p, __ATOMIC_RELAXED),
                                                       pc[3].u, &entered_);
  if (UNLIKELY(!entered_)) {
    pc = (const wasm_cell *)pc[4].p;
    NEXT();
  }
  if (UNLIKELY(native_status != TOVA_OK)) goto native_not_ok;
  NATIVE_RETURNED(fo_);
  RELOAD_MEM();
  goto do_return;
}
native_not_ok: { /* native code (an entry or an OSR entry) did not return normally */
  RELOAD_MEM();
  if (native_status == WASM_NATIVE_LEFT || native_status == TOVA_SUSPENDED) {
    /* It left (native/rt.h wasm_native_leave): the innermost native call's
     * frame, e->fp_off, is the interpreter's now, and the frames of the
     * calls below it are on e->frames. */
    NATIVE_RETURNED(e->fp_off);
  }
  if (native_status == WASM_NATIVE_LEFT) { /* continue its call here (compile.h) */
    pc = e->pc;
    NEXT();
  }
  if (native_status == TOVA_SUSPENDED) { /* an import it called parked, as host_not_ok */
    /* e->inst: the innermost frame's instance, set by the native side (a
     * call native code had the interpreter make may have parked in another
     * instance's function: native/rt.h wasm_native_call_interp) */
    e->nframes = (size_t)(e->fsp - e->frames);
    e->state = WASM_EXEC_SUSPENDED_WASM;
    return TOVA_SUSPENDED;
  }
  if (native_status == TOVA_ERR_CANCELLED) goto cancelled;
  if (native_status == TOVA_ERR_TRAP) TRAP(e->trap_msg);
  e->state = WASM_EXEC_IDLE; /* an import failed: as host_not_ok */
  e->nframes = 0;
  if (!e->trap_msg) e->trap_msg = "host function failed";
  return native_status;
}
L_HOT_COUNT: { /* count body hook state: see wasm_native_hot_hook */
  /* One relaxed load and store, no atomic read-modify-write: a count lost to
   * a race between threads only delays the compile. */
  wasm_cell *hc_ = (wasm_cell *)pc;
  uint64_t n_ = __atomic_load_n(&hc_[1].u, __ATOMIC_RELAXED);
  if (UNLIKELY(n_ <= 1)) ((wasm_native_hot_hook)hc_[3].p)(hc_);
  else __atomic_store_n(&hc_[1].u, n_ - 1, __ATOMIC_RELAXED);
  pc = (const wasm_cell *)hc_[2].p;
  NEXT();
}

L_LOOP_HEAD: { /* count tag hook: see wasm_loop_hook (compile.h) */
  wasm_cell *lh_ = (wasm_cell *)pc;
  uint64_t n_ = __atomic_load_n(&lh_[1].u, __ATOMIC_RELAXED);
  if (UNLIKELY(n_ <= 1)) {
    native_status = TOVA_OK;
    size_t fo_ = (size_t)(fp - e->stack);
    if (((wasm_loop_hook)lh_[3].p)(e, inst, fp, lh_, &native_status)) { /* ran natively */
      if (UNLIKELY(native_status != TOVA_OK)) goto native_not_ok;
      NATIVE_RETURNED(fo_);
      RELOAD_MEM();
      goto do_return;
    }
  } else {
    __atomic_store_n(&lh_[1].u, n_ - 1, __ATOMIC_RELAXED);
  }
  pc += WASM_CELLS_LOOP_HEAD;
  NEXT();
}

  /* ---------------- exits ---------------- */
trap:
  e->trap_msg = trap_msg;
  e->state = WASM_EXEC_IDLE;
  e->nframes = 0;
  return TOVA_ERR_TRAP;
cancelled:
  e->trap_msg = "cancelled";
  e->state = WASM_EXEC_IDLE;
  e->nframes = 0;
  return TOVA_ERR_CANCELLED;
}

const void *const *wasm_interp_handlers(void) {
  const void *const *t = NULL;
  interp(NULL, &t);
  return t;
}

tova_status wasm_interp_run(tova_exec *e) { return interp(e, NULL); }
