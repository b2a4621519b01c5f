/*
 * rt.c: the C side of native execution: the entry from the interpreter (sets
 * up the context and the trap landing point), traps, and the helpers for the
 * instructions native code does not inline (memory.grow, bulk memory, tables).
 * Each helper checks bounds exactly as the interpreter's handler does and
 * traps with the same message.
 */
#include <stdio.h>
#include <string.h>

#include "common/assert.h"
#include "platform/platform.h"
#include "engine/native/preempt.h"
#include "engine/native/rt.h"
#include "engine/native/tiering.h"

/* What the entry's sigsetjmp returns: a trap's kind + 1, or one of these. */
enum {
  JMP_PARKED = WASM_NT_COUNT + 1, /* wasm_native_leave: TOVA_SUSPENDED */
  JMP_AT_CALL,                    /* wasm_native_leave: WASM_NATIVE_LEFT */
  JMP_FAILED,                     /* an import failed: ctx->host_status */
  /* While leaving only, never jumped to: the interpreter is to continue
   * the innermost native caller just after its call (the callee returned
   * while the execution was interrupted, wasm_native_call_interp); its
   * wasm_native_leave_frame makes it JMP_AT_CALL. */
  JMP_AFTER_CALL
};

static const char *const trap_messages[WASM_NT_COUNT] = {
    [WASM_NT_UNREACHABLE] = "unreachable",
    [WASM_NT_DIV_ZERO] = "integer divide by zero",
    [WASM_NT_OVERFLOW] = "integer overflow",
    [WASM_NT_BAD_CONV] = "invalid conversion to integer",
    [WASM_NT_OOB_MEM] = "out of bounds memory access",
    [WASM_NT_OOB_TABLE] = "out of bounds table access",
    [WASM_NT_EXHAUSTED] = "call stack exhausted",
    [WASM_NT_CANCELLED] = "cancelled",
    [WASM_NT_SIG_MISMATCH] = "indirect call type mismatch",
    [WASM_NT_NO_MEMORY] = "out of memory (a function reference)",
    [WASM_NT_MESSAGE] = NULL, /* exec->trap_msg, set by the caller */
};

/* Native code may use the C stack down to this far above the thread's stack
 * end; the rest is left for the helpers, libc and signal handlers. */
#define STACK_MARGIN (128u * 1024u)
/* When the thread's stack bounds are unknown: allow this much below the entry. */
#define STACK_FALLBACK (256u * 1024u)

/* Lowest usable address of this thread's stack (+ margin), 0 if unknown.
 * Cached per thread: finding it may read /proc on Linux's main thread. */
static uintptr_t thread_stack_low(void) {
  static TOVA_TLS uintptr_t cached;
  static TOVA_TLS int known;
  if (known) return cached;
  uintptr_t low = 0, base;
  size_t size;
  if (tova_plat_thread_stack(&base, &size) && size > STACK_MARGIN * 2) low = base + STACK_MARGIN;
  cached = low;
  known = 1;
  return low;
}

bool wasm_native_stack_low(void) {
  int here;
  uintptr_t low = thread_stack_low();
  return low && (uintptr_t)&here < low + WASM_NATIVE_ENTER_STACK_RESERVE;
}

/* The body of wasm_native_enter and wasm_native_enter_osr: fn is an entry
 * wrapper, or an OSR entry (osr) asked for loop `loop`, whose answer goes
 * to *outcome (rt.h WASM_NATIVE_OSR_*).
 * resume: the OSR entry continues a call parked by native code (rt.h
 * wasm_native_leave), which does not stop at its entry for a pending
 * interrupt (the interpreter's rule: what the import did, a value
 * received, must reach the code; see `resuming` in exec.h): then nothing
 * is entered and the interpreter continues the call, stopping at its next
 * back-edge or call. */
static tova_status enter(tova_exec *e, tova_instance *inst, uint64_t *fp, const void *fn, bool osr,
                         bool resume, uint32_t loop, const uint32_t *tier_up, uint32_t *outcome) {
  static const uint32_t never = 0;
  sigjmp_buf jb;
  wasm_native_ctx c;
  tova_memory *m = inst->mem0;
  c.mem_base = m ? m->base : NULL;
  c.mem_size = m ? m->size : 0;
  c.interrupt = &e->interrupt;
  /* Native frames may use as much C stack as the execution's own stack
   * budget allows the interpreter (tova_exec_new's max_stack_bytes), and
   * never more than the thread has. */
  uintptr_t here = (uintptr_t)&jb;
  size_t budget = e->stack_max * sizeof(uint64_t) + e->frames_max * sizeof(wasm_frame);
  uintptr_t low = thread_stack_low();
  if (!low) low = here > STACK_FALLBACK ? here - STACK_FALLBACK : 0;
  uintptr_t by_budget = here > budget ? here - budget : 0;
  c.stack_limit = by_budget > low ? by_budget : low;
  c.inst = inst;
  c.exec = e;
  c.trap_jmp = &jb;
  c.fpo = (uint32_t)(fp - e->stack);
  c.fbase = (uint32_t)(e->fsp - e->frames);
  c.host_status = TOVA_OK;
  c.calls = 0;
  c.leaving = 0;
  c.leave_jmp = 0;
  c.leave_depth = 0;
  c.tier_up = tier_up ? tier_up : &never;
  c.slots = inst->module->native ? ((const native_state *)inst->module->native)->slots : NULL;
  /* Where native loops do not poll, a signal stops them (preempt.h): this
   * thread was published in e (by the run) before the flag is read, so an
   * interrupt either is seen here or signals this thread. */
  uintptr_t prev = 0;
  int signalled = wasm_native_preempt_enter(e, &c, &prev);
  if (signalled < 0) {
    e->trap_msg = "out of memory (native code)";
    return TOVA_ERR_TRAP;
  }
  /* The trap path reads nothing but e (set by wasm_native_trap before the
   * jump) and what was written before sigsetjmp, so no local needs to be
   * volatile. sigsetjmp(.., 0): no signal mask saved (setjmp saves it on
   * macOS: a system call on every entry from the interpreter). */
  int k = sigsetjmp(jb, 0);
  if (k) {
    if (signalled) wasm_native_preempt_leave(prev);
    switch (k) {
      case JMP_PARKED: return TOVA_SUSPENDED;
      case JMP_AT_CALL: return WASM_NATIVE_LEFT;
      case JMP_FAILED: return c.host_status;
      default: return k - 1 == WASM_NT_CANCELLED ? TOVA_ERR_CANCELLED : TOVA_ERR_TRAP;
    }
  }
  if (signalled && atomic_load(&e->interrupt)) {
    if (resume) { /* see above; a later interrupt signals this thread */
      wasm_native_preempt_leave(prev);
      *outcome = WASM_NATIVE_OSR_NOT_ENTERED;
      return TOVA_OK;
    }
    wasm_native_trap(&c, WASM_NT_CANCELLED);
  }
  if (osr) {
    uint32_t (*f)(wasm_native_ctx *, uint64_t *, uint32_t) = (uint32_t (*)(wasm_native_ctx *, uint64_t *, uint32_t))fn;
    *outcome = f(&c, fp, loop);
  } else {
    void (*f)(wasm_native_ctx *, uint64_t *) = (void (*)(wasm_native_ctx *, uint64_t *))fn;
    f(&c, fp);
  }
  if (signalled) wasm_native_preempt_leave(prev);
  return TOVA_OK;
}

tova_status wasm_native_enter(tova_exec *e, tova_instance *inst, uint64_t *fp, const void *fn) {
  if (wasm_native_stack_low()) return WASM_NATIVE_NOT_ENTERED; /* the interpreter runs the call */
  return enter(e, inst, fp, fn, false, false, 0, NULL, NULL);
}

tova_status wasm_native_enter_osr(tova_exec *e, tova_instance *inst, uint64_t *fp, const void *fn,
                                  uint32_t loop, const uint32_t *tier_up, uint32_t *outcome) {
  /* a trap or a stop: it had entered (the code before the loop cannot trap) */
  *outcome = WASM_NATIVE_OSR_RETURNED;
  return enter(e, inst, fp, fn, true, false, loop, tier_up, outcome);
}

_Noreturn void wasm_native_trap(wasm_native_ctx *c, uint32_t kind) {
  if (kind >= WASM_NT_COUNT) kind = WASM_NT_UNREACHABLE;
  if (kind != WASM_NT_MESSAGE) c->exec->trap_msg = trap_messages[kind];
  siglongjmp(*c->trap_jmp, (int)kind + 1);
}

/* Every helper that returns to native code ends here: where native loops do
 * not poll, the signal that stops them returns without effect when it finds
 * the thread in a helper (preempt.h), and this is where the flag it was
 * sent for is seen. */
static void stop_point(wasm_native_ctx *c) {
  if (atomic_load_explicit(c->interrupt, memory_order_relaxed)) wasm_native_trap(c, WASM_NT_CANCELLED);
}

uint32_t wasm_native_memory_grow(wasm_native_ctx *c, uint32_t delta) {
  tova_memory *m = c->inst->mem0;
  uint32_t r = wasm_memory_grow(m, delta);
  c->mem_base = m->base;
  c->mem_size = m->size;
  stop_point(c);
  return r;
}

void wasm_native_memory_fill(wasm_native_ctx *c, uint32_t d, uint32_t v, uint32_t n) {
  if ((uint64_t)d + n > c->mem_size) wasm_native_trap(c, WASM_NT_OOB_MEM);
  if (n) memset(c->mem_base + d, (int)(uint8_t)v, n);
  stop_point(c);
}

void wasm_native_memory_copy(wasm_native_ctx *c, uint32_t d, uint32_t s, uint32_t n) {
  if ((uint64_t)s + n > c->mem_size || (uint64_t)d + n > c->mem_size)
    wasm_native_trap(c, WASM_NT_OOB_MEM);
  if (n) memmove(c->mem_base + d, c->mem_base + s, n);
  stop_point(c);
}

void wasm_native_memory_init(wasm_native_ctx *c, uint32_t seg, uint32_t d, uint32_t s, uint32_t n) {
  tova_instance *inst = c->inst;
  const wasm_data_segment *ds = &inst->module->datas[seg];
  uint64_t len = wasm_data_dropped(inst)[seg] ? 0 : ds->len;
  if ((uint64_t)s + n > len || (uint64_t)d + n > c->mem_size) wasm_native_trap(c, WASM_NT_OOB_MEM);
  if (n) memcpy(c->mem_base + d, ds->bytes + s, n);
  stop_point(c);
}

void wasm_native_data_drop(wasm_native_ctx *c, uint32_t seg) {
  wasm_data_dropped(c->inst)[seg] = 1;
  stop_point(c);
}

void *wasm_native_table_get(wasm_native_ctx *c, uint32_t table, uint32_t i) {
  tova_table *t = c->inst->tables[table];
  if (i >= t->size) wasm_native_trap(c, WASM_NT_OOB_TABLE);
  stop_point(c);
  return t->elems[i];
}

void wasm_native_table_set(wasm_native_ctx *c, uint32_t table, uint32_t i, void *v) {
  tova_table *t = c->inst->tables[table];
  if (i >= t->size) wasm_native_trap(c, WASM_NT_OOB_TABLE);
  t->elems[i] = v;
  stop_point(c);
}

uint32_t wasm_native_table_size(wasm_native_ctx *c, uint32_t table) {
  stop_point(c);
  return c->inst->tables[table]->size;
}

uint32_t wasm_native_table_grow(wasm_native_ctx *c, uint32_t table, void *init, uint32_t n) {
  uint32_t r = wasm_table_grow(c->inst->tables[table], n, init);
  stop_point(c);
  return r;
}

void wasm_native_table_fill(wasm_native_ctx *c, uint32_t table, uint32_t i, void *v, uint32_t n) {
  tova_table *t = c->inst->tables[table];
  if ((uint64_t)i + n > t->size) wasm_native_trap(c, WASM_NT_OOB_TABLE);
  for (uint32_t k = 0; k < n; k++) t->elems[i + k] = v;
  stop_point(c);
}

void wasm_native_table_copy(wasm_native_ctx *c, uint32_t dt, uint32_t st, uint32_t d, uint32_t s,
                            uint32_t n) {
  tova_table *td = c->inst->tables[dt], *ts = c->inst->tables[st];
  if ((uint64_t)s + n > ts->size || (uint64_t)d + n > td->size)
    wasm_native_trap(c, WASM_NT_OOB_TABLE);
  if (n) memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(void *));
  stop_point(c);
}

void wasm_native_table_init(wasm_native_ctx *c, uint32_t seg, uint32_t table, uint32_t d,
                            uint32_t s, uint32_t n) {
  tova_instance *inst = c->inst;
  const wasm_elem_segment *es = &inst->module->elems[seg];
  tova_table *t = inst->tables[table];
  uint64_t len = wasm_elem_dropped(inst)[seg] ? 0 : es->count;
  if ((uint64_t)s + n > len || (uint64_t)d + n > t->size) wasm_native_trap(c, WASM_NT_OOB_TABLE);
  for (uint32_t k = 0; k < n; k++) {
    const wasm_constexpr *ce = &es->items[s + k];
    void *v = NULL;
    if (ce->kind == WASM_CONST_REF_FUNC) {
      if (!(v = wasm_instance_func(inst, ce->index))) wasm_native_trap(c, WASM_NT_NO_MEMORY);
    } else if (ce->kind == WASM_CONST_GLOBAL_GET) v = inst->globals[ce->index]->value.ref;
    t->elems[d + k] = v;
  }
  stop_point(c);
}

void wasm_native_elem_drop(wasm_native_ctx *c, uint32_t seg) {
  wasm_elem_dropped(c->inst)[seg] = 1;
  stop_point(c);
}

void *wasm_native_ref_func(wasm_native_ctx *c, uint32_t func) {
  tova_func *f = wasm_instance_func(c->inst, func);
  if (!f) wasm_native_trap(c, WASM_NT_NO_MEMORY);
  stop_point(c);
  return f;
}

/* Room in the interpreter's stacks for the frames of the native calls
 * down to `frame`, need slots from its own (rt.h wasm_native_call_import):
 * "call stack exhausted" otherwise, as the interpreter's call would. The
 * arrays may move: native code reloads exec->stack where it writes a
 * frame, and the entry's caller reloads its frame pointer (interp.c). */
static void reserve_frames(wasm_native_ctx *c, uint64_t frame, uint32_t need) {
  tova_exec *e = c->exec;
  size_t slots = (size_t)(uint32_t)frame + need, frames = (size_t)c->fbase + (size_t)(frame >> 32);
  if (slots > e->stack_cap && !wasm_exec_grow_stack(e, slots)) wasm_native_trap(c, WASM_NT_EXHAUSTED);
  if (frames > e->frames_cap) {
    size_t used = (size_t)(e->fsp - e->frames);
    if (!wasm_exec_grow_frames(e, frames)) wasm_native_trap(c, WASM_NT_EXHAUSTED);
    e->fsp = e->frames + used;
  }
}

uint32_t wasm_native_call_import(wasm_native_ctx *c, uint32_t func, uint64_t *slots, uint64_t frame,
                                 uint32_t need) {
  if (frame >> 32) reserve_frames(c, frame, need); /* depth 0: the interpreter made its frame */
  tova_func *f = c->inst->funcs[func];
  if (!f->host) {
    c->leaving = 1;
    return WASM_NATIVE_CALL_INTERP;
  }
  /* As the interpreter's CALL_FUNC does (interp.c): the fast entry first,
   * then the host function, through the interpreter's own call. */
  if (!(f->fast && f->fast(f->host_userdata, slots))) {
    tova_exec *e = c->exec;
    tova_status st = wasm_exec_call_host(e, c->inst, f, slots);
    if (st == TOVA_SUSPENDED) {
      c->leaving = 1;
      return WASM_NATIVE_CALL_PARKED;
    }
    if (st == TOVA_ERR_CANCELLED) wasm_native_trap(c, WASM_NT_CANCELLED);
    if (st == TOVA_ERR_TRAP) {
      if (!e->trap_msg) e->trap_msg = "host function trapped";
      wasm_native_trap(c, WASM_NT_MESSAGE);
    }
    if (st != TOVA_OK) {
      if (!e->trap_msg) e->trap_msg = "host function failed";
      c->host_status = st;
      siglongjmp(*c->trap_jmp, JMP_FAILED);
    }
  }
  /* A host function may grow the memory (native code reloads after calls). */
  tova_memory *m = c->inst->mem0;
  c->mem_base = m ? m->base : NULL;
  c->mem_size = m ? m->size : 0;
  c->calls++;
  /* Not stop_point: the import's effect must reach the code (rt.h). */
  if (atomic_load_explicit(c->interrupt, memory_order_relaxed)) {
    c->leaving = 1;
    return WASM_NATIVE_CALL_STOPPED;
  }
  return WASM_NATIVE_CALL_DONE;
}

uint32_t wasm_native_call_interp(wasm_native_ctx *c, uint32_t def, uint64_t *slots, uint64_t frame,
                                 uint32_t flags) {
  bool own = flags & WASM_NATIVE_INTERP_OWN;
  tova_exec *e = c->exec;
  tova_instance *inst = c->inst;
  const wasm_code *cc = inst->module->func_defs[def].code;
  uint32_t slot = (uint32_t)frame, depth = (uint32_t)(frame >> 32);
  TOVA_ASSERT(depth >= 1 && cc);
  native_state *s = inst->module->native;
  __atomic_store_n(&s->interp_calls, __atomic_load_n(&s->interp_calls, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
  /* Room for the callee's frame and for the record of this call (below). */
  reserve_frames(c, frame, cc->frame_slots);
  uint64_t *fp = e->stack + slot;
  memcpy(fp, slots, sizeof *slots * cc->nparams);
  for (uint32_t i = cc->nparams; i < cc->nlocals; i++) fp[i] = 0;
  /* The record the caller's frame would have, at its depth: ret_pc NULL, so
   * the nested run returns here when the callee does (interp.c do_return).
   * A caller that leaves rewrites it (wasm_native_leave_frame). */
  size_t rec = (size_t)c->fbase + depth - 1;
  e->frames[rec] = (wasm_frame){NULL, 0, inst};
  e->nframes = (uint32_t)rec + 1;
  /* native tier hook: see compile.h */
  e->pc = own ? s->orig[def] : __atomic_load_n(&cc->cells, __ATOMIC_ACQUIRE);
  e->fp_off = slot;
  e->inst = inst;
  tova_status st = wasm_interp_run(e);
  switch (st) {
    case TOVA_OK:
      /* The entry's interpreter goes on with its frames as they were. */
      e->state = WASM_EXEC_RUNNING;
      e->fsp = e->frames + c->fbase;
      memcpy(slots, e->stack + slot, sizeof *slots * inst->module->types[inst->module->func_defs[def].type_index].nresults);
      break;
    case TOVA_SUSPENDED:
      /* Parked in an import, somewhere in the call: its frames (e->nframes
       * of them) are the execution's, and e->pc, e->fp_off, e->inst are
       * where it resumes. The native callers leave down to the entry
       * (wasm_native_leave_frame), which returns TOVA_SUSPENDED. */
      __atomic_store_n(&s->left, __atomic_load_n(&s->left, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
      c->leaving = 1;
      c->leave_jmp = JMP_PARKED;
      c->leave_depth = e->nframes - c->fbase;
      return WASM_NATIVE_CALL_PARKED;
    case TOVA_ERR_TRAP: wasm_native_trap(c, WASM_NT_MESSAGE);
    case TOVA_ERR_CANCELLED: wasm_native_trap(c, WASM_NT_CANCELLED);
    default: /* an import failed (out of memory): as wasm_native_call_import */
      c->host_status = st;
      siglongjmp(*c->trap_jmp, JMP_FAILED);
  }
  tova_memory *m = inst->mem0;
  c->mem_base = m ? m->base : NULL;
  c->mem_size = m ? m->size : 0;
  if ((flags & WASM_NATIVE_INTERP_CALLER_LEAVES) &&
      atomic_load_explicit(c->interrupt, memory_order_relaxed)) {
    /* The caller continues in the interpreter after this call (rt.h); the
     * results stay in the callee's frame, where the interpreter's return
     * left them. */
    c->leaving = 1;
    c->leave_jmp = JMP_AFTER_CALL;
    c->leave_depth = depth - 1;
    return WASM_NATIVE_CALL_PARKED;
  }
  stop_point(c);
  return WASM_NATIVE_CALL_DONE;
}

/* The stint of def's native code ends here (tiering.h): plain relaxed
 * loads and stores, since a count lost to a race only blurs a heuristic.
 * True when its parked calls should resume in native code. */
static bool end_stint(wasm_native_ctx *c, native_state *s, uint32_t def) {
  uint32_t st = __atomic_load_n(&s->stints[def], __ATOMIC_RELAXED) + 1;
  uint32_t ca = __atomic_load_n(&s->stint_calls[def], __ATOMIC_RELAXED) + c->calls;
  if (st > WASM_NATIVE_STINTS_MAX) st /= 2, ca /= 2;
  __atomic_store_n(&s->stints[def], st, __ATOMIC_RELAXED);
  __atomic_store_n(&s->stint_calls[def], ca, __ATOMIC_RELAXED);
  return wasm_native_stints_pay(st, ca);
}

/* The last step of leaving, at depth 0: the frames of the deeper calls
 * (their records written, rt.h) become the interpreter's, and the entry
 * returns. */
static _Noreturn void left(wasm_native_ctx *c) {
  tova_exec *e = c->exec;
  e->fsp = e->frames + c->fbase + c->leave_depth;
  siglongjmp(*c->trap_jmp, (int)c->leave_jmp);
}

void wasm_native_leave(wasm_native_ctx *c, uint32_t how, uint32_t def, uint32_t k, uint64_t frame,
                       const uint64_t *slots) {
  tova_exec *e = c->exec;
  native_state *s = c->inst->module->native;
  const wasm_code *code = s->m->func_defs[def].code;
  const wasm_cell *cells = s->orig[def];
  uint32_t cell = code->import_calls[(size_t)k * WASM_IMPORT_CALL_WORDS + 1];
  uint32_t argbase = code->import_calls[(size_t)k * WASM_IMPORT_CALL_WORDS + 2];
  TOVA_ASSERT(k < code->nimport_calls && cells[cell].h == wasm_interp_handlers()[WASM_IOP_CALL_FUNC]);
  TOVA_ASSERT(c->leaving);
  uint32_t fpo = (uint32_t)frame;
  bool pays = end_stint(c, s, def);
  __atomic_store_n(&s->left, __atomic_load_n(&s->left, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
  const wasm_cell *resume = __atomic_load_n(&s->resume[def], __ATOMIC_ACQUIRE);
  if (resume && !pays) resume = NULL;
  if (resume) resume += (size_t)k * WASM_NATIVE_RESUME_CELLS; /* its CALL_FUNC (tiering.h) */
  e->fp_off = fpo;
  e->inst = c->inst; /* where the execution continues (interp.c native_not_ok) */
  c->leave_depth = (uint32_t)(frame >> 32);
  if (how == WASM_NATIVE_LEAVE_AFTER) {
    /* The import completed: the interpreter goes on after it, in def's own
     * cells (the execution is stopping: no resume in native code), with
     * its results where the interpreter's CALL_FUNC puts them. */
    const tova_functype *ft = c->inst->funcs[cells[cell + 2].u]->type;
    memcpy(e->stack + fpo + argbase, slots, sizeof *slots * ft->nresults);
    e->pc = cells + cell + WASM_CELLS_CALL_FUNC;
    c->leave_jmp = JMP_AT_CALL;
  } else if (how == WASM_NATIVE_LEAVE_AT_CALL) {
    /* The interpreter makes the call: its arguments where its CALL_FUNC
     * reads them (the room was made by wasm_native_call_import). */
    const tova_functype *ft = c->inst->funcs[cells[cell + 2].u]->type;
    memcpy(e->stack + fpo + argbase, slots, sizeof *slots * ft->nparams);
    e->pc = resume ? resume : cells + cell;
    c->leave_jmp = JMP_AT_CALL;
  } else {
    e->pc = resume ? resume + WASM_CELLS_CALL_FUNC : cells + cell + WASM_CELLS_CALL_FUNC;
    e->host_results_off = fpo + argbase;
    e->host_type = c->inst->funcs[cells[cell + 2].u]->type;
    c->leave_jmp = JMP_PARKED;
  }
  if (!c->leave_depth) left(c);
}

void wasm_native_leave_frame(wasm_native_ctx *c, uint32_t def, uint32_t ret_cell, uint64_t frame) {
  tova_exec *e = c->exec;
  native_state *s = c->inst->module->native;
  uint32_t depth = (uint32_t)(frame >> 32);
  (void)end_stint(c, s, def);
  if (c->leave_jmp == JMP_AFTER_CALL) {
    /* The innermost frame now (its callee returned): the interpreter
     * continues def's code after the call (rt.h). */
    TOVA_ASSERT(c->leaving && depth == c->leave_depth);
    e->pc = s->orig[def] + ret_cell;
    e->fp_off = (uint32_t)frame;
    e->inst = c->inst;
    c->leave_jmp = JMP_AT_CALL;
    if (!depth) left(c);
    return;
  }
  TOVA_ASSERT(c->leaving && depth < c->leave_depth);
  TOVA_ASSERT((size_t)c->fbase + depth < e->frames_cap);
  /* As the interpreter's PUSH_FRAME at that call: its callee returns into
   * def's interpreter code after the call, with def's frame. */
  wasm_frame *f = &e->frames[c->fbase + depth];
  f->ret_pc = s->orig[def] + ret_cell;
  f->fp_off = (uint32_t)frame;
  f->inst = c->inst;
  if (!depth) left(c);
}

tova_status wasm_native_resume(tova_exec *e, tova_instance *inst, uint64_t *fp, const void *fn,
                               uint64_t tag, bool *entered) {
  native_state *s = inst->module->native;
  uint32_t def = (uint32_t)(tag >> 32);
  if (wasm_native_stack_low()) { /* the interpreter continues the call */
    *entered = false;
    return TOVA_OK;
  }
  __atomic_store_n(&s->resumed, __atomic_load_n(&s->resumed, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
  uint32_t outcome = WASM_NATIVE_OSR_RETURNED; /* a trap or a stop: it had entered */
  size_t fo = (size_t)(fp - e->stack);
  tova_status st = enter(e, inst, fp, fn, true, true, (uint32_t)tag, &s->osr_optimised[def], &outcome);
  if (st == TOVA_OK && outcome >= WASM_NATIVE_OSR_AT_LOOP)
    st = wasm_native_osr_tier_up(e, inst, def, fo, fn, outcome - WASM_NATIVE_OSR_AT_LOOP, &outcome);
  *entered = outcome != WASM_NATIVE_OSR_NOT_ENTERED;
  return st;
}

const tova_func *wasm_native_indirect(wasm_native_ctx *c, uint32_t table, uint32_t i,
                                      uint32_t type_index) {
  tova_table *t = c->inst->tables[table];
  /* The reference interpreter names the element: "uninitialized element 2". */
  if (i >= t->size) {
    c->exec->trap_msg = wasm_exec_trap_printf(c->exec, "undefined element", "undefined element %u", i);
    wasm_native_trap(c, WASM_NT_MESSAGE);
  }
  const tova_func *f = t->elems[i];
  if (!f) {
    c->exec->trap_msg =
        wasm_exec_trap_printf(c->exec, "uninitialized element", "uninitialized element %u", i);
    wasm_native_trap(c, WASM_NT_MESSAGE);
  }
  const tova_functype *want = &c->inst->module->types[type_index];
  if (f->type != want && !wasm_functype_equal(f->type, want))
    wasm_native_trap(c, WASM_NT_SIG_MISMATCH);
  stop_point(c);
  return f;
}

/* ---- the helpers' symbols -------------------------------------------------- */

#define HELPER(f) {WASM_NATIVE_HELPER_SYMBOL(f), (const void *)f}
static const wasm_native_helper helpers[] = {
    HELPER(wasm_native_trap),        HELPER(wasm_native_memory_grow),
    HELPER(wasm_native_memory_fill), HELPER(wasm_native_memory_copy),
    HELPER(wasm_native_memory_init), HELPER(wasm_native_data_drop),
    HELPER(wasm_native_table_get),   HELPER(wasm_native_table_set),
    HELPER(wasm_native_table_size),  HELPER(wasm_native_table_grow),
    HELPER(wasm_native_table_fill),  HELPER(wasm_native_table_copy),
    HELPER(wasm_native_table_init),  HELPER(wasm_native_elem_drop),
    HELPER(wasm_native_ref_func),    HELPER(wasm_native_indirect),
    HELPER(wasm_native_call_import), HELPER(wasm_native_leave),
    HELPER(wasm_native_leave_frame), HELPER(wasm_native_call_interp),
    {NULL, NULL}};
#undef HELPER

const wasm_native_helper *wasm_native_helper_list(void) { return helpers; }
