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
#include "engine/stencil/stencil.h"

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
#define OFF(k) U(k)
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

  /* ---- every instruction of iop_bodies.h, as handlers ---- */
#define OP(name) \
  L_##name : {
#define END(name)          \
  pc += WASM_CELLS_##name; \
  NEXT();                  \
  }
#include "engine/iop_bodies.h"
#undef OP
#undef END

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

  /* ---- stencil tier (src/engine/stencil): see stencil.h ---- */
L_JIT_AT: { /* native */
  uintptr_t r_ = ((wasm_stencil_entry)pc[1].p)(fp, mbase, msize, e, inst, 0, (wasm_stencil_facc){0, 0});
  if (LIKELY(r_ >= WASM_STENCIL_LIMIT)) {
    pc = (const wasm_cell *)r_; /* an instruction the interpreter runs itself, */
    fp = e->stack + e->fp_off;  /* in the frame the code left it in (calls, returns) */
    NEXT();
  }
  if (r_ == WASM_STENCIL_CANCELLED) goto cancelled;
  TRAP(r_ == WASM_STENCIL_TRAP_OOB_MEM    ? MSG_OOB_MEM
       : r_ == WASM_STENCIL_TRAP_DIV_ZERO ? MSG_DIV_ZERO
       : r_ == WASM_STENCIL_TRAP_OVERFLOW ? MSG_OVERFLOW
                                          : MSG_BAD_CONV);
}

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
