/*
 * translate.c: WebAssembly function bodies -> LLVM IR, as WebAssembly
 * compilers do it: one pass over the (already validated) bytes with an SSA
 * value stack and a control stack.
 *
 * - Values: i32/i64/f32/f64 as LLVM's types, references as `ptr`.
 * - Locals: allocas in the entry block, promoted to SSA by the pipeline's sroa.
 * - Control: block/if end in a basic block whose phis receive the results of
 *   every branch to it; a loop's header has phis for its parameters. After
 *   br/return/unreachable the code is dead until the matching else/end: only
 *   the nesting is tracked there, nothing is emitted.
 * - Memory: every access is bounds-checked explicitly against the cached
 *   memory size (no guard pages or signal handlers: the JS engines around us
 *   own those), unless an earlier check on every path to it already covers
 *   it (mem_at). Base and size live in two allocas (SSA after mem2reg),
 *   reloaded from the context after every call and memory.grow.
 * - Traps call wasm_native_trap (noreturn, longjmps to the entry). Each kind
 *   has one block per function; LLVM sees them as cold.
 * - The C stack is checked against ctx->stack_limit ("call stack
 *   exhausted") before the first call of each path (on entry for a function
 *   whose frame may be big: frame_check). Where a signal stops native code
 *   (preempt.h) nothing polls the interrupt flag; elsewhere loop headers, and
 *   recursive functions with that check, poll it, with a volatile load LLVM
 *   cannot hoist out of the loop.
 * - Calls among native functions are direct LLVM calls with typed parameters
 *   after the context and the call's frame (rt.h WASM_NATIVE_FRAME):
 *   ret f(ctx, frame, params...). Multiple results come back as a struct.
 *   After a call of a function that may leave (an import parked below it),
 *   ctx->leaving is tested, and the call leaves too (leave_after_call).
 * Float semantics: llvm.minimum/maximum are WebAssembly's min/max (NaN wins,
 * -0 < +0), roundeven is nearest, trunc_sat is fptosi/fptoui.sat; trapping
 * truncations test the same exclusive bounds as numeric.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/instr.h"
#include "engine/native/native.h"
#include "engine/native/preempt.h"
#include "engine/native/rt.h"
#include "engine/native/translate.h"

enum { CTL_BLOCK, CTL_LOOP, CTL_IF, CTL_FUNC };

/* Accesses reaching at most this far past their address are bounds-checked
 * against size - MEM_GUARD first (see mem_at). Below the smallest memory
 * page, so the exact test runs only in a memory's last page (or a memory
 * smaller than this). */
enum { MEM_GUARD = 4096 };

/* A function with more locals or a longer body than this checks its depth
 * on entry (frame_check): its frame (locals, spills, what LLVM inlined into
 * it) might not fit in the stack margin below the limit. Below these, a
 * frame is a few KiB at most. */
enum { FRAME_CHECK_LOCALS = 256, FRAME_CHECK_BYTES = 4096 };

typedef struct tr_ctl {
  uint8_t kind;
  bool live;       /* entered in reachable code: its blocks exist */
  uint32_t height; /* value stack height below the parameters */
  uint32_t nparams, nresults;
  const uint8_t *params, *results;
  LLVMBasicBlockRef end_bb;  /* after the construct (block/if/func) */
  LLVMBasicBlockRef loop_bb; /* loop header */
  LLVMBasicBlockRef else_bb; /* if: the false edge, until `else` uses it */
  LLVMValueRef *phis;        /* loop: nparams at loop_bb; else nresults at end_bb */
  LLVMValueRef *if_args;     /* if: the parameters again for the else arm */
  uint32_t npreds;           /* edges into end_bb */
  bool frame_checked;        /* tr.frame_checked when the construct began */
  uint32_t nchk, chk_floor;  /* tr.nchk and tr.chk_floor when the construct began */
} tr_ctl;

/* How many of the latest local.get/tee results mem_at looks through to
 * recognise an address as a local's value (addresses are almost always used
 * right after they are read). */
#define TR_SRC_WINDOW 32u

/* The value v is local `local` as it was after its ver-th local.set/tee
 * (v is what one local.get or local.tee produced). */
typedef struct tr_src {
  LLVMValueRef v;
  uint32_t local, ver;
} tr_src;

/* An access checked in bounds (see mem_at): through the value v, or when v
 * is NULL through local `local` at version ver, reaching `reach` bytes past
 * it. */
typedef struct tr_chk {
  LLVMValueRef v;
  uint32_t local, ver;
  uint64_t reach;
} tr_chk;

typedef struct tr {
  const tova_module *m;
  LLVMContextRef cx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef i1, i8, i32, i64, f32, f64, ptr, vd;
  LLVMValueRef *fns;    /* per defined function (NULL when not eligible) */
  const bool *poll_entry; /* per defined function: poll the interrupt flag on entry */
  LLVMValueRef fntab;   /* [ndefs x ptr] of fns, made on first call_indirect */
  LLVMValueRef *istubs; /* per type: a by_slot unit's call_indirect stub (indirect_stub), or NULL */
  const bool *closed;   /* per table: only the module's functions can be in it (translate.h) */
  LLVMTypeRef *fntys;
  unsigned md_invariant;
  LLVMValueRef md_empty;
  /* Current function. */
  LLVMValueRef fn, ctx, inst;
  LLVMValueRef frame; /* this call's place among the interpreter's frames (rt.h WASM_NATIVE_FRAME) */
  const bool *may_leave; /* per defined function: it, or a function it may call, calls an import */
  bool any_may_leave;
  LLVMBasicBlockRef entry_bb;
  LLVMValueRef *locals;
  uint8_t *local_types;
  uint32_t nlocals;
  uint32_t *local_ver;  /* per local: local.set/tee so far (tr_src) */
  tr_src srcs[TR_SRC_WINDOW]; /* the last local.get/tee results, a ring (mem_at) */
  uint32_t nsrc;              /* results noted so far; the newest at (nsrc - 1) % window */
  tr_chk *chks;         /* checks on every path to here (mem_at) */
  uint32_t nchk, chk_cap, chk_floor;
  LLVMValueRef mb_slot, ms_slot, gl_slot; /* memory base, size, size - MEM_GUARD */
  LLVMBasicBlockRef trap_bb[WASM_NT_COUNT];
  LLVMValueRef *stack;
  uint32_t sp, stack_cap;
  tr_ctl *ctls;
  uint32_t nctl, ctl_cap;
  bool dead;
  /* The frame check (frame_check) has run on every path to here in this
   * invocation: calls need no other. */
  bool frame_checked;
  bool poll_here; /* the frame check also polls (a recursive function) */
  const bool *keep_calls; /* per function: no self-call may become a loop (translate.h) */
  bool self_tail_ok; /* this function's self-calls may (allow_self_tail_calls) */
  uint32_t self;     /* the function's index */
  /* On-stack replacement (translate.h WASM_NATIVE_OSR_FMT): the function
   * being emitted is an OSR entry, whose entry block dispatches
   * on the loop ordinal (osr_switch) to the headers of the loops it may
   * enter; nloops counts the body's `loop` instructions read so far. */
  bool osr;
  /* The quick tier (translate.h quick): OSR entries leave at their loop
   * headers once *ctx->tier_up is set, and every call passes its callee's
   * frame (a quick callee may call through the interpreter, interp). */
  bool quick;
  /* The unit calls some functions through stubs (interp: quick units, and
   * optimised units of a closure too big to compile whole, tier.c
   * W_SPLIT), and finds call_indirect's callees it does not link to by
   * their slots (emit_call_indirect). */
  bool by_slot;
  bool *stub;  /* per defined function: fns[] is its stub (emit_interp_stub), not its code */
  LLVMValueRef osr_fn, osr_switch;
  LLVMValueRef *osr_fns; /* per defined function: its OSR entry, declared up front */
  uint32_t nloops;
  bool signalled; /* a signal stops this code (preempt.h): no polls at all */
  uint32_t at;    /* byte offset in the module of the instruction being emitted */
  bool failed;
  char *err;
  size_t errlen;
} tr;

static void fail(tr *t, const char *msg) {
  if (!t->failed) snprintf(t->err, t->errlen, "%s", msg);
  t->failed = true;
}

/* ---------------- types and values ---------------- */

static LLVMTypeRef vt(tr *t, uint8_t type) {
  switch (type) {
    case TOVA_I32: return t->i32;
    case TOVA_I64: return t->i64;
    case TOVA_F32: return t->f32;
    case TOVA_F64: return t->f64;
    default: return t->ptr; /* funcref, externref */
  }
}

static LLVMTypeRef ret_type(tr *t, const tova_functype *ft) {
  if (ft->nresults == 0) return t->vd;
  if (ft->nresults == 1) return vt(t, ft->results[0]);
  LLVMTypeRef el[ft->nresults];
  for (uint32_t i = 0; i < ft->nresults; i++) el[i] = vt(t, ft->results[i]);
  return LLVMStructTypeInContext(t->cx, el, ft->nresults, 0);
}

/* A value from its 64-bit slot form (compile.h VALUES) and back. */
static LLVMValueRef from_raw(tr *t, LLVMValueRef v, uint8_t type) {
  switch (type) {
    case TOVA_I32: return LLVMBuildTrunc(t->b, v, t->i32, "");
    case TOVA_I64: return v;
    case TOVA_F32: return LLVMBuildBitCast(t->b, LLVMBuildTrunc(t->b, v, t->i32, ""), t->f32, "");
    case TOVA_F64: return LLVMBuildBitCast(t->b, v, t->f64, "");
    default: return LLVMBuildIntToPtr(t->b, v, t->ptr, "");
  }
}
static LLVMValueRef to_raw(tr *t, LLVMValueRef v, uint8_t type) {
  switch (type) {
    case TOVA_I32: return LLVMBuildZExt(t->b, v, t->i64, "");
    case TOVA_I64: return v;
    case TOVA_F32: return LLVMBuildZExt(t->b, LLVMBuildBitCast(t->b, v, t->i32, ""), t->i64, "");
    case TOVA_F64: return LLVMBuildBitCast(t->b, v, t->i64, "");
    default: return LLVMBuildPtrToInt(t->b, v, t->i64, "");
  }
}

static LLVMValueRef c32(tr *t, uint64_t v) { return LLVMConstInt(t->i32, v, 0); }
static LLVMValueRef c64(tr *t, uint64_t v) { return LLVMConstInt(t->i64, v, 0); }

/* ---------------- value and control stacks ---------------- */

/* The growing array arr (n elements used, *cap allocated, of `size` bytes
 * each; doubling from `first`) with room for one more: arr itself or its
 * new place. NULL, the translation failed, when out of memory (arr is then
 * unchanged). */
static void *room_for_one(tr *t, void *arr, uint32_t n, uint32_t *cap, size_t size, uint32_t first) {
  if (n < *cap) return arr;
  uint32_t nc = *cap ? *cap * 2 : first;
  void *a = realloc(arr, (size_t)nc * size);
  if (!a) {
    fail(t, "out of memory");
    return NULL;
  }
  *cap = nc;
  return a;
}

static void push(tr *t, LLVMValueRef v) {
  LLVMValueRef *s = room_for_one(t, t->stack, t->sp, &t->stack_cap, sizeof *s, 64);
  if (!s) return;
  t->stack = s;
  t->stack[t->sp++] = v;
}
static LLVMValueRef pop(tr *t) {
  if (t->sp == 0) {
    fail(t, "value stack underflow");
    return LLVMConstNull(t->i32);
  }
  return t->stack[--t->sp];
}

static tr_ctl *push_ctl(tr *t) {
  tr_ctl *all = room_for_one(t, t->ctls, t->nctl, &t->ctl_cap, sizeof *all, 16);
  if (!all) return NULL;
  t->ctls = all;
  tr_ctl *c = &t->ctls[t->nctl++];
  memset(c, 0, sizeof *c);
  return c;
}
static void free_ctl(tr_ctl *c) {
  free(c->phis);
  free(c->if_args);
}

/* ---------------- helpers: loads from the context, calls, traps ---------------- */

static LLVMValueRef gep8(tr *t, LLVMValueRef base, LLVMValueRef off) {
  return LLVMBuildInBoundsGEP2(t->b, t->i8, base, &off, 1, "");
}
/* A load of something that does not change while native code runs. */
static LLVMValueRef load_inv(tr *t, LLVMTypeRef ty, LLVMValueRef base, size_t off) {
  LLVMValueRef p = off ? gep8(t, base, c64(t, off)) : base;
  LLVMValueRef v = LLVMBuildLoad2(t->b, ty, p, "");
  LLVMSetMetadata(v, t->md_invariant, t->md_empty);
  return v;
}
static LLVMValueRef ctx_field(tr *t, LLVMTypeRef ty, size_t off) {
  LLVMValueRef p = off ? gep8(t, t->ctx, c64(t, off)) : t->ctx;
  return LLVMBuildLoad2(t->b, ty, p, "");
}

/* A helper of rt.h by its symbol: checked at compile time to be a declared
 * helper, and never referenced (sizeof does not evaluate its operand), so
 * this file needs no helper's address: it may live apart from them (the
 * LLVM backend module, backend.h). */
#define HELPER(fn) ((void)sizeof(&(fn)), WASM_NATIVE_HELPER_SYMBOL(fn))

/* Call a C helper (rt.h) by its symbol, which the JIT links to its address
 * in this process: the code holds no address, so it can be cached. */
static LLVMValueRef call_c(tr *t, const char *name, LLVMTypeRef ret, LLVMTypeRef *ptys, unsigned n,
                           LLVMValueRef *args) {
  LLVMTypeRef fty = LLVMFunctionType(ret, ptys, n, 0);
  LLVMValueRef callee = LLVMGetNamedFunction(t->mod, name);
  if (!callee) callee = LLVMAddFunction(t->mod, name, fty);
  return LLVMBuildCall2(t->b, fty, callee, args, n, "");
}

static LLVMValueRef intrinsic(tr *t, const char *name, LLVMTypeRef *over, size_t nover,
                              LLVMValueRef *args, unsigned nargs) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(t->mod, id, over, nover);
  LLVMTypeRef fty = LLVMIntrinsicGetType(t->cx, id, over, nover);
  return LLVMBuildCall2(t->b, fty, f, args, nargs, "");
}

static LLVMBasicBlockRef new_bb(tr *t, const char *name) {
  return LLVMAppendBasicBlockInContext(t->cx, t->fn, name);
}

/* A cold call of wasm_native_trap(ctx, kind) here; `noreturn` tells LLVM
 * what it is (see trap_if_before_call for when not to). */
static void trap_call(tr *t, wasm_native_trap_kind kind, bool noreturn) {
  LLVMTypeRef pt[2] = {t->ptr, t->i32};
  LLVMValueRef args[2] = {t->ctx, c32(t, kind)};
  LLVMValueRef call = call_c(t, HELPER(wasm_native_trap), t->vd, pt, 2, args);
  if (noreturn)
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(t->cx, LLVMGetEnumAttributeKindForName("noreturn", 8), 0));
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(t->cx, LLVMGetEnumAttributeKindForName("cold", 4), 0));
}

static LLVMBasicBlockRef trap_block(tr *t, wasm_native_trap_kind kind) {
  if (t->trap_bb[kind]) return t->trap_bb[kind];
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(t->b);
  LLVMBasicBlockRef bb = new_bb(t, "trap");
  LLVMPositionBuilderAtEnd(t->b, bb);
  trap_call(t, kind, true);
  LLVMBuildUnreachable(t->b);
  LLVMPositionBuilderAtEnd(t->b, cur);
  t->trap_bb[kind] = bb;
  return bb;
}

/* Branch weights: the trap edge is never expected. */
static void set_unlikely(tr *t, LLVMValueRef br) {
  LLVMMetadataRef ops[3] = {LLVMMDStringInContext2(t->cx, "branch_weights", 14),
                            LLVMValueAsMetadata(c32(t, 1)), LLVMValueAsMetadata(c32(t, 1u << 20))};
  LLVMSetMetadata(br, LLVMGetMDKindIDInContext(t->cx, "prof", 4),
                  LLVMMetadataAsValue(t->cx, LLVMMDNodeInContext2(t->cx, ops, 3)));
}

static void trap_if(tr *t, LLVMValueRef cond, wasm_native_trap_kind kind) {
  LLVMBasicBlockRef tb = trap_block(t, kind);
  LLVMBasicBlockRef cont = new_bb(t, "ok");
  set_unlikely(t, LLVMBuildCondBr(t->b, cond, tb, cont));
  LLVMPositionBuilderAtEnd(t->b, cont);
}

/* trap_if for the checks before a call (frame_check): the trap's block is
 * this check's own and, as far as LLVM knows, returns to the code after the
 * check (it does not: wasm_native_trap longjmps). A block ending in
 * `unreachable` between a function's entry and its calls keeps LLVM from
 * shrink-wrapping: the registers the calls need saved were then saved on
 * entry, on paths that return without calling too (fib's base case: 10
 * instructions instead of 4). The call after the check clobbers memory and
 * registers anyway, so a trap that seems to return costs the hot path
 * nothing. */
static void trap_if_before_call(tr *t, LLVMValueRef cond, wasm_native_trap_kind kind) {
  LLVMBasicBlockRef tb = new_bb(t, "trap_call"), cont = new_bb(t, "ok");
  set_unlikely(t, LLVMBuildCondBr(t->b, cond, tb, cont));
  LLVMPositionBuilderAtEnd(t->b, tb);
  trap_call(t, kind, false);
  LLVMBuildBr(t->b, cont);
  LLVMPositionBuilderAtEnd(t->b, cont);
}

static LLVMValueRef interrupt_flag(tr *t) {
  LLVMValueRef flagp = load_inv(t, t->ptr, t->ctx, offsetof(wasm_native_ctx, interrupt));
  /* Volatile rather than atomic: LLVM may neither hoist nor merge it, and
   * the x86 backend folds it into the compare (`cmpl $0, (flag)`), which it
   * does not do for an atomic load. An aligned 4-byte load is a single
   * access on every target we build for; the writer's store is atomic. */
  LLVMValueRef flag = LLVMBuildLoad2(t->b, t->i32, flagp, "");
  LLVMSetVolatile(flag, 1);
  LLVMSetAlignment(flag, 4);
  return LLVMBuildICmp(t->b, LLVMIntNE, flag, c32(t, 0), "");
}

static void poll_interrupt(tr *t) { trap_if(t, interrupt_flag(t), WASM_NT_CANCELLED); }

static void reload_mem(tr *t) {
  LLVMBuildStore(t->b, ctx_field(t, t->ptr, offsetof(wasm_native_ctx, mem_base)), t->mb_slot);
  LLVMValueRef ms = ctx_field(t, t->i64, offsetof(wasm_native_ctx, mem_size));
  LLVMBuildStore(t->b, ms, t->ms_slot);
  LLVMBuildStore(t->b, LLVMBuildSub(t->b, ms, c64(t, MEM_GUARD), ""), t->gl_slot);
}

/* The depth bound and, in a recursive function, the interrupt poll. Both
 * only matter on paths that call: a path without calls cannot go deeper or
 * go round a cycle of calls. So a small function checks before its first
 * call on each path rather than on entry, and its paths that return
 * without calling (fib's base case) run no check. A function
 * whose own frame may be big checks on entry instead (translate_func), as
 * the frame is allocated before its first call; frames of small functions
 * fit in the stack margin below the limit (rt.c's STACK_MARGIN). */
static void frame_check(tr *t) {
  LLVMValueRef sp = intrinsic(t, "llvm.stacksave", &t->ptr, 1, NULL, 0);
  LLVMValueRef limit = load_inv(t, t->i64, t->ctx, offsetof(wasm_native_ctx, stack_limit));
  trap_if_before_call(t, LLVMBuildICmp(t->b, LLVMIntULT, LLVMBuildPtrToInt(t->b, sp, t->i64, ""), limit, ""),
                      WASM_NT_EXHAUSTED);
  if (t->poll_here) trap_if_before_call(t, interrupt_flag(t), WASM_NT_CANCELLED);
  t->frame_checked = true;
}

/* The type of a value on the stack (the value stack keeps no types: LLVM's
 * tell them apart). */
static uint8_t type_of(tr *t, LLVMValueRef v) {
  LLVMTypeRef ty = LLVMTypeOf(v);
  if (ty == t->i32) return TOVA_I32;
  if (ty == t->i64) return TOVA_I64;
  if (ty == t->f32) return TOVA_F32;
  if (ty == t->f64) return TOVA_F64;
  return TOVA_FUNCREF; /* a reference: a pointer either way */
}

/* This call's interpreter frame, where it leaves its values: reloaded
 * from the execution, whose stack may have moved (rt.c reserve_frames). */
static LLVMValueRef frame_ptr(tr *t) {
  LLVMValueRef e = load_inv(t, t->ptr, t->ctx, offsetof(wasm_native_ctx, exec));
  LLVMValueRef stack = LLVMBuildLoad2(t->b, t->ptr, gep8(t, e, c64(t, offsetof(tova_exec, stack))), "");
  LLVMValueRef slot = LLVMBuildZExt(t->b, LLVMBuildTrunc(t->b, t->frame, t->i32, ""), t->i64, "");
  return gep8(t, stack, LLVMBuildShl(t->b, slot, c64(t, 3), ""));
}

/* Leaving (rt.h): every local and the operand stack below position `below`
 * into the frame, where the interpreter's own code keeps them at a call
 * (compile.h VALUES: locals in slots 0.., stack position p in slot
 * nlocals + p, since compile.c materialises every value at calls). */
static void store_frame(tr *t, uint32_t below) {
  LLVMValueRef fp = frame_ptr(t);
  for (uint32_t i = 0; i < t->nlocals; i++) {
    LLVMValueRef v = LLVMBuildLoad2(t->b, vt(t, t->local_types[i]), t->locals[i], "");
    LLVMBuildStore(t->b, to_raw(t, v, t->local_types[i]), gep8(t, fp, c64(t, (uint64_t)i * 8)));
  }
  for (uint32_t p = 0; p < below; p++)
    LLVMBuildStore(t->b, to_raw(t, t->stack[p], type_of(t, t->stack[p])),
                   gep8(t, fp, c64(t, ((uint64_t)t->nlocals + p) * 8)));
}

/* After a leave helper that returned (a deeper call left): this function
 * returns to its caller, which leaves in turn. Its result means nothing.
 * An OSR entry is always the outermost native call, where the helper
 * unwinds to the entry instead. */
static void return_leaving(tr *t) {
  if (t->osr) {
    LLVMBuildUnreachable(t->b);
    return;
  }
  LLVMTypeRef rt = LLVMGetReturnType(LLVMGlobalGetValueType(t->fn));
  if (LLVMGetTypeKind(rt) == LLVMVoidTypeKind) LLVMBuildRetVoid(t->b);
  else LLVMBuildRet(t->b, LLVMGetUndef(rt));
}

/* The frame of a callee whose arguments start at stack position `below`:
 * at the call's argbase, one deeper (rt.h WASM_NATIVE_FRAME). Every callee
 * gets it, also one that cannot leave: the callee may be the code of a
 * unit that calls through the interpreter (emit_interp_stub), in its
 * callees' frames (quick code, and optimised units of a closure too big to
 * compile whole), and its callers cannot know. */
static LLVMValueRef callee_frame(tr *t, uint32_t below) {
  return LLVMBuildAdd(t->b, t->frame, c64(t, WASM_NATIVE_FRAME((uint64_t)t->nlocals + below, 1)), "");
}

/* After a call whose callee may leave (t->may_leave, or call_indirect):
 * when it did, this call leaves too: its values into its frame (the stack
 * below the call's arguments, `below` values), its frame record
 * (wasm_native_leave_frame, at the interpreter's record of the call), and
 * back to its caller. */
static void leave_after_call(tr *t, uint32_t below) {
  uint32_t def = t->self - t->m->nimported_funcs;
  const wasm_code *code = t->m->func_defs[def].code;
  const uint32_t *site = code ? wasm_code_call_site(code, t->at) : NULL;
  if (!site || site[2] != (uint64_t)t->nlocals + below) { /* cannot happen: both follow compile.h */
    fail(t, "a call the interpreter has no record of");
    return;
  }
  LLVMValueRef lv = LLVMBuildLoad2(t->b, t->i32, gep8(t, t->ctx, c64(t, offsetof(wasm_native_ctx, leaving))), "");
  LLVMSetVolatile(lv, 1);
  LLVMBasicBlockRef leave = new_bb(t, "leave_call"), cont = new_bb(t, "returned");
  set_unlikely(t, LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, lv, c32(t, 0), ""), leave, cont));
  LLVMPositionBuilderAtEnd(t->b, leave);
  store_frame(t, below);
  LLVMTypeRef pt[4] = {t->ptr, t->i32, t->i32, t->i64};
  LLVMValueRef args[4] = {t->ctx, c32(t, def), c32(t, site[1]), t->frame};
  LLVMValueRef lc = call_c(t, HELPER(wasm_native_leave_frame), t->vd, pt, 4, args);
  LLVMAddCallSiteAttribute(lc, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(t->cx, LLVMGetEnumAttributeKindForName("cold", 4), 0));
  return_leaving(t);
  LLVMPositionBuilderAtEnd(t->b, cont);
}

/* ---------------- branches ---------------- */

/* Branch from the current block to label `c` with the values on top of the
 * stack (the loop's parameters or the block's results). */
static void add_incoming(tr *t, tr_ctl *c) {
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(t->b);
  uint32_t n = c->kind == CTL_LOOP ? c->nparams : c->nresults;
  if (t->sp < n) {
    fail(t, "branch values missing");
    return;
  }
  for (uint32_t i = 0; i < n; i++) LLVMAddIncoming(c->phis[i], &t->stack[t->sp - n + i], &cur, 1);
  if (c->kind != CTL_LOOP) c->npreds++;
}
static LLVMBasicBlockRef label_bb(tr_ctl *c) { return c->kind == CTL_LOOP ? c->loop_bb : c->end_bb; }
static void br_to(tr *t, tr_ctl *c) {
  add_incoming(t, c);
  LLVMBuildBr(t->b, label_bb(c));
}

/* Phis at the start of bb (which must be empty), one per type. */
static LLVMValueRef *make_phis(tr *t, LLVMBasicBlockRef bb, uint32_t n, const uint8_t *types) {
  if (n == 0) return NULL;
  LLVMValueRef *ph = malloc(n * sizeof *ph);
  if (!ph) {
    fail(t, "out of memory");
    return NULL;
  }
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(t->b);
  LLVMPositionBuilderAtEnd(t->b, bb);
  for (uint32_t i = 0; i < n; i++) ph[i] = LLVMBuildPhi(t->b, vt(t, types[i]), "");
  LLVMPositionBuilderAtEnd(t->b, cur);
  return ph;
}

static void blocktype(tr *t, const wasm_instr *in, uint32_t *np, const uint8_t **p, uint32_t *nr,
                      const uint8_t **r) {
  static const uint8_t single[256] = {[TOVA_I32] = TOVA_I32, [TOVA_I64] = TOVA_I64,
                                      [TOVA_F32] = TOVA_F32, [TOVA_F64] = TOVA_F64,
                                      [TOVA_FUNCREF] = TOVA_FUNCREF,
                                      [TOVA_EXTERNREF] = TOVA_EXTERNREF};
  *np = *nr = 0;
  *p = *r = NULL;
  if (in->bt_kind == WASM_BT_VALUE) {
    *nr = 1;
    *r = &single[in->bt_value];
  } else if (in->bt_kind == WASM_BT_INDEX) {
    const tova_functype *ft = &t->m->types[in->bt_index];
    *np = ft->nparams;
    *p = ft->params;
    *nr = ft->nresults;
    *r = ft->results;
  }
}

/* ---------------- memory ---------------- */

/* Checked accesses. An access through an address that an earlier check on
 * every path to it (one that dominates it) found in bounds with at least
 * its reach needs no check: memories never shrink, so what was in bounds
 * stays in bounds, whatever grew or was called since. Translation tracks
 * that in straight order: a check is forgotten when its construct ends (a
 * branch out of it may have passed before the check) or at an `else`, and
 * the checks before a loop are not used inside it (a local set later in
 * the body differs at the header from the value the check saw). Addresses
 * match as SSA values, and values of locals by version (each local.get
 * reads a new value, so this is what makes `p->a ... p->b` one check). The
 * IR's own checks do not merge this way: each fast check's edge path
 * rejoins it, so no compare dominates the next access. */
enum { CHK_WINDOW = 64, CHK_MAX = 1u << 16 };

/* v is local `local` at its current version. */
static void note_src(tr *t, LLVMValueRef v, uint32_t local) {
  t->srcs[t->nsrc++ % TR_SRC_WINDOW] = (tr_src){v, local, t->local_ver[local]};
}

/* The key of address value v: its local and version when it is a recent
 * local.get/tee result, else v itself. */
static tr_chk chk_key(tr *t, LLVMValueRef v) {
  uint32_t lo = t->nsrc > TR_SRC_WINDOW ? t->nsrc - TR_SRC_WINDOW : 0;
  for (uint32_t i = t->nsrc; i > lo; i--) {
    const tr_src *s = &t->srcs[(i - 1) % TR_SRC_WINDOW];
    if (s->v == v) return (tr_chk){NULL, s->local, s->ver, 0};
  }
  return (tr_chk){v, 0, 0, 0};
}

static bool chk_known(tr *t, tr_chk k, uint64_t reach) {
  uint32_t lo = t->nchk - t->chk_floor > CHK_WINDOW ? t->nchk - CHK_WINDOW : t->chk_floor;
  for (uint32_t i = t->nchk; i > lo; i--) {
    const tr_chk *c = &t->chks[i - 1];
    if (c->v == k.v && c->local == k.local && c->ver == k.ver && c->reach >= reach) return true;
  }
  return false;
}

static void chk_add(tr *t, tr_chk k, uint64_t reach) {
  if (t->nchk == CHK_MAX) return; /* forgetting is always safe */
  tr_chk *all = room_for_one(t, t->chks, t->nchk, &t->chk_cap, sizeof *all, 64);
  if (!all) return;
  t->chks = all;
  k.reach = reach;
  t->chks[t->nchk++] = k;
}

/* Address of `size` bytes at addr + offset, trapping when out of bounds.
 *
 * The rule is exact: trap when addr + offset + size > memory size (ms). Most
 * accesses are checked in a cheaper form that implies it: when offset + size
 * <= MEM_GUARD, addr <= ms - MEM_GUARD (signed: negative while the memory is
 * smaller than the guard) leaves room for the access. That is one compare of
 * the address itself against one value that changes only with the memory
 * (so LLVM keeps it in a register). Only an address in the memory's last
 * MEM_GUARD bytes takes the exact test, out of line. A second access through
 * the same address reaching no further gets no check at all (see "Checked
 * accesses" above). */
static LLVMValueRef mem_at(tr *t, LLVMValueRef addr, uint32_t offset, uint32_t size) {
  LLVMValueRef ea = LLVMBuildZExt(t->b, addr, t->i64, "");
  uint64_t reach = (uint64_t)offset + size;
  tr_chk key = chk_key(t, addr);
  if (!chk_known(t, key, reach)) {
    chk_add(t, key, reach);
    LLVMBasicBlockRef in = NULL;
    if (reach <= MEM_GUARD) {
      LLVMValueRef gl = LLVMBuildLoad2(t->b, t->i64, t->gl_slot, "");
      LLVMBasicBlockRef edge = new_bb(t, "edge");
      in = new_bb(t, "in");
      set_unlikely(t, LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntSGT, ea, gl, ""), edge, in));
      LLVMPositionBuilderAtEnd(t->b, edge);
    }
    LLVMValueRef end = LLVMBuildAdd(t->b, ea, c64(t, reach), "");
    LLVMValueRef ms = LLVMBuildLoad2(t->b, t->i64, t->ms_slot, "");
    trap_if(t, LLVMBuildICmp(t->b, LLVMIntUGT, end, ms, ""), WASM_NT_OOB_MEM);
    if (in) {
      LLVMBuildBr(t->b, in);
      LLVMPositionBuilderAtEnd(t->b, in);
    }
  }
  if (offset) ea = LLVMBuildAdd(t->b, ea, c64(t, offset), "");
  LLVMValueRef mb = LLVMBuildLoad2(t->b, t->ptr, t->mb_slot, "");
  return gep8(t, mb, ea);
}

static void emit_load(tr *t, const wasm_instr *in) {
  LLVMTypeRef mt, rt;
  bool sign = false;
  uint32_t size;
  switch (in->op) {
    case WASM_OP_I32_LOAD: mt = rt = t->i32; size = 4; break;
    case WASM_OP_I64_LOAD: mt = rt = t->i64; size = 8; break;
    case WASM_OP_F32_LOAD: mt = rt = t->f32; size = 4; break;
    case WASM_OP_F64_LOAD: mt = rt = t->f64; size = 8; break;
    case WASM_OP_I32_LOAD8_S: sign = true; /* fall through */
    case WASM_OP_I32_LOAD8_U: mt = t->i8; rt = t->i32; size = 1; break;
    case WASM_OP_I32_LOAD16_S: sign = true; /* fall through */
    case WASM_OP_I32_LOAD16_U: mt = LLVMInt16TypeInContext(t->cx); rt = t->i32; size = 2; break;
    case WASM_OP_I64_LOAD8_S: sign = true; /* fall through */
    case WASM_OP_I64_LOAD8_U: mt = t->i8; rt = t->i64; size = 1; break;
    case WASM_OP_I64_LOAD16_S: sign = true; /* fall through */
    case WASM_OP_I64_LOAD16_U: mt = LLVMInt16TypeInContext(t->cx); rt = t->i64; size = 2; break;
    case WASM_OP_I64_LOAD32_S: sign = true; /* fall through */
    default: mt = t->i32; rt = t->i64; size = 4; break; /* I64_LOAD32_U */
  }
  LLVMValueRef p = mem_at(t, pop(t), in->offset, size);
  LLVMValueRef v = LLVMBuildLoad2(t->b, mt, p, "");
  LLVMSetAlignment(v, 1);
  if (mt != rt) v = sign ? LLVMBuildSExt(t->b, v, rt, "") : LLVMBuildZExt(t->b, v, rt, "");
  push(t, v);
}

static void emit_store(tr *t, const wasm_instr *in) {
  LLVMTypeRef mt = NULL;
  uint32_t size;
  switch (in->op) {
    case WASM_OP_I32_STORE: case WASM_OP_F32_STORE: size = 4; break;
    case WASM_OP_I64_STORE: case WASM_OP_F64_STORE: size = 8; break;
    case WASM_OP_I32_STORE8: case WASM_OP_I64_STORE8: mt = t->i8; size = 1; break;
    case WASM_OP_I32_STORE16: case WASM_OP_I64_STORE16: mt = LLVMInt16TypeInContext(t->cx); size = 2; break;
    default: mt = t->i32; size = 4; break; /* I64_STORE32 */
  }
  LLVMValueRef v = pop(t);
  LLVMValueRef p = mem_at(t, pop(t), in->offset, size);
  if (mt) v = LLVMBuildTrunc(t->b, v, mt, "");
  LLVMValueRef st = LLVMBuildStore(t->b, v, p);
  LLVMSetAlignment(st, 1);
}

/* ---------------- numeric ---------------- */

static LLVMValueRef bool_i32(tr *t, LLVMValueRef c) { return LLVMBuildZExt(t->b, c, t->i32, ""); }

static void icmp(tr *t, LLVMIntPredicate p) {
  LLVMValueRef b = pop(t), a = pop(t);
  push(t, bool_i32(t, LLVMBuildICmp(t->b, p, a, b, "")));
}
static void fcmp(tr *t, LLVMRealPredicate p) {
  LLVMValueRef b = pop(t), a = pop(t);
  push(t, bool_i32(t, LLVMBuildFCmp(t->b, p, a, b, "")));
}
static void unary_intr(tr *t, const char *name, LLVMTypeRef ty) {
  LLVMValueRef a = pop(t);
  push(t, intrinsic(t, name, &ty, 1, &a, 1));
}
static void binary_intr(tr *t, const char *name, LLVMTypeRef ty) {
  LLVMValueRef args[2];
  args[1] = pop(t);
  args[0] = pop(t);
  push(t, intrinsic(t, name, &ty, 1, args, 2));
}
/* WebAssembly min/max: llvm.minimum/maximum order -0 below +0 and return a
 * NaN for a NaN operand, but may pass a signalling NaN through; a + b gives
 * the quiet (arithmetic) NaN the spec asks for, as the interpreter does. */
static void minmax(tr *t, const char *name, LLVMTypeRef ty) {
  LLVMValueRef args[2];
  args[1] = pop(t);
  args[0] = pop(t);
  LLVMValueRef r = intrinsic(t, name, &ty, 1, args, 2);
  LLVMValueRef nan = LLVMBuildFCmp(t->b, LLVMRealUNO, args[0], args[1], "");
  push(t, LLVMBuildSelect(t->b, nan, LLVMBuildFAdd(t->b, args[0], args[1], ""), r, ""));
}
static void bitcount(tr *t, const char *name, LLVMTypeRef ty) {
  LLVMValueRef args[2] = {pop(t), LLVMConstInt(t->i1, 0, 0)}; /* zero input is defined */
  push(t, intrinsic(t, name, &ty, 1, args, 2));
}
static void rotate(tr *t, const char *name, LLVMTypeRef ty) {
  LLVMValueRef n = pop(t), x = pop(t);
  LLVMValueRef args[3] = {x, x, n}; /* funnel shift of x with itself: count taken modulo width */
  push(t, intrinsic(t, name, &ty, 1, args, 3));
}
static void shift(tr *t, LLVMOpcode op, LLVMTypeRef ty, unsigned bits) {
  LLVMValueRef n = pop(t), x = pop(t);
  n = LLVMBuildAnd(t->b, n, LLVMConstInt(ty, bits - 1, 0), "");
  push(t, LLVMBuildBinOp(t->b, op, x, n, ""));
}

static void divrem(tr *t, uint8_t op, LLVMTypeRef ty, unsigned bits) {
  LLVMValueRef b = pop(t), a = pop(t);
  LLVMValueRef zero = LLVMConstInt(ty, 0, 0), minus1 = LLVMConstAllOnes(ty);
  trap_if(t, LLVMBuildICmp(t->b, LLVMIntEQ, b, zero, ""), WASM_NT_DIV_ZERO);
  bool is32 = bits == 32;
  uint8_t base = is32 ? WASM_OP_I32_DIV_S : WASM_OP_I64_DIV_S;
  switch (op - base) {
    case 0: { /* div_s: INT_MIN / -1 overflows */
      LLVMValueRef min = LLVMConstInt(ty, 1ull << (bits - 1), 0);
      LLVMValueRef ovf = LLVMBuildAnd(t->b, LLVMBuildICmp(t->b, LLVMIntEQ, a, min, ""),
                                      LLVMBuildICmp(t->b, LLVMIntEQ, b, minus1, ""), "");
      trap_if(t, ovf, WASM_NT_OVERFLOW);
      push(t, LLVMBuildSDiv(t->b, a, b, ""));
      break;
    }
    case 1: push(t, LLVMBuildUDiv(t->b, a, b, "")); break;
    case 2: { /* rem_s: x rem -1 is 0 (srem would overflow on INT_MIN) */
      LLVMValueRef m1 = LLVMBuildICmp(t->b, LLVMIntEQ, b, minus1, "");
      LLVMValueRef bb = LLVMBuildSelect(t->b, m1, LLVMConstInt(ty, 1, 0), b, "");
      push(t, LLVMBuildSelect(t->b, m1, zero, LLVMBuildSRem(t->b, a, bb, ""), ""));
      break;
    }
    default: push(t, LLVMBuildURem(t->b, a, b, "")); break;
  }
}

/* Trapping float -> int: NaN traps "invalid conversion", then x must lie
 * strictly between lo and hi (numeric.h's bounds, exact in the source type). */
static void trunc_trap(tr *t, LLVMTypeRef dst, bool sign, double lo, double hi) {
  LLVMValueRef x = pop(t);
  LLVMTypeRef st = LLVMTypeOf(x);
  trap_if(t, LLVMBuildFCmp(t->b, LLVMRealUNO, x, x, ""), WASM_NT_BAD_CONV);
  LLVMValueRef in = LLVMBuildAnd(t->b, LLVMBuildFCmp(t->b, LLVMRealOGT, x, LLVMConstReal(st, lo), ""),
                                 LLVMBuildFCmp(t->b, LLVMRealOLT, x, LLVMConstReal(st, hi), ""), "");
  trap_if(t, LLVMBuildNot(t->b, in, ""), WASM_NT_OVERFLOW);
  push(t, sign ? LLVMBuildFPToSI(t->b, x, dst, "") : LLVMBuildFPToUI(t->b, x, dst, ""));
}
static void trunc_sat(tr *t, LLVMTypeRef dst, bool sign) {
  LLVMValueRef x = pop(t);
  LLVMTypeRef over[2] = {dst, LLVMTypeOf(x)};
  push(t, intrinsic(t, sign ? "llvm.fptosi.sat" : "llvm.fptoui.sat", over, 2, &x, 1));
}

static void sext_from(tr *t, unsigned bits, LLVMTypeRef ty) {
  LLVMValueRef x = pop(t);
  LLVMValueRef n = LLVMBuildTrunc(t->b, x, LLVMIntTypeInContext(t->cx, bits), "");
  push(t, LLVMBuildSExt(t->b, n, ty, ""));
}

static void binop(tr *t, LLVMOpcode op) {
  LLVMValueRef b = pop(t), a = pop(t);
  push(t, LLVMBuildBinOp(t->b, op, a, b, ""));
}

/* A value LLVM cannot see through: a volatile load of a module global. */
static LLVMValueRef opaque(tr *t, LLVMValueRef c) {
  LLVMValueRef g = LLVMAddGlobal(t->mod, LLVMTypeOf(c), "opaque");
  LLVMSetInitializer(g, c);
  LLVMSetLinkage(g, LLVMInternalLinkage);
  LLVMValueRef v = LLVMBuildLoad2(t->b, LLVMTypeOf(c), g, "");
  LLVMSetVolatile(v, 1);
  return v;
}

/* LLVM folds x - 0, x * 1, x / 1, x * -1, -0 - x and fptrunc(fpext x) to x or
 * -x, which passes a signalling NaN through where WebAssembly must return a
 * quiet (arithmetic) NaN. Such a constant operand is hidden from LLVM; the
 * cost is one load in code that multiplies by one. */
static bool identity_const(LLVMValueRef v) {
  if (!LLVMIsAConstantFP(v)) return false;
  LLVMBool loses;
  double d = LLVMConstRealGetDouble(v, &loses);
  return d == 0.0 || d == 1.0 || d == -1.0;
}
static void fbinop(tr *t, LLVMOpcode op) {
  LLVMValueRef b = pop(t), a = pop(t);
  if (identity_const(a)) a = opaque(t, a);
  if (identity_const(b)) b = opaque(t, b);
  push(t, LLVMBuildBinOp(t->b, op, a, b, ""));
}

/* 0x45..0xC4 and the 0xFC saturating truncations. False for anything else. */
static bool emit_numeric(tr *t, const wasm_instr *in) {
  LLVMTypeRef I32 = t->i32, I64 = t->i64, F32 = t->f32, F64 = t->f64;
  switch (in->op) {
    case WASM_OP_I32_EQZ:
      push(t, bool_i32(t, LLVMBuildICmp(t->b, LLVMIntEQ, pop(t), c32(t, 0), "")));
      return true;
    case WASM_OP_I64_EQZ:
      push(t, bool_i32(t, LLVMBuildICmp(t->b, LLVMIntEQ, pop(t), c64(t, 0), "")));
      return true;
    case WASM_OP_I32_EQ: case WASM_OP_I64_EQ: icmp(t, LLVMIntEQ); return true;
    case WASM_OP_I32_NE: case WASM_OP_I64_NE: icmp(t, LLVMIntNE); return true;
    case WASM_OP_I32_LT_S: case WASM_OP_I64_LT_S: icmp(t, LLVMIntSLT); return true;
    case WASM_OP_I32_LT_U: case WASM_OP_I64_LT_U: icmp(t, LLVMIntULT); return true;
    case WASM_OP_I32_GT_S: case WASM_OP_I64_GT_S: icmp(t, LLVMIntSGT); return true;
    case WASM_OP_I32_GT_U: case WASM_OP_I64_GT_U: icmp(t, LLVMIntUGT); return true;
    case WASM_OP_I32_LE_S: case WASM_OP_I64_LE_S: icmp(t, LLVMIntSLE); return true;
    case WASM_OP_I32_LE_U: case WASM_OP_I64_LE_U: icmp(t, LLVMIntULE); return true;
    case WASM_OP_I32_GE_S: case WASM_OP_I64_GE_S: icmp(t, LLVMIntSGE); return true;
    case WASM_OP_I32_GE_U: case WASM_OP_I64_GE_U: icmp(t, LLVMIntUGE); return true;
    case WASM_OP_F32_EQ: case WASM_OP_F64_EQ: fcmp(t, LLVMRealOEQ); return true;
    case WASM_OP_F32_NE: case WASM_OP_F64_NE: fcmp(t, LLVMRealUNE); return true;
    case WASM_OP_F32_LT: case WASM_OP_F64_LT: fcmp(t, LLVMRealOLT); return true;
    case WASM_OP_F32_GT: case WASM_OP_F64_GT: fcmp(t, LLVMRealOGT); return true;
    case WASM_OP_F32_LE: case WASM_OP_F64_LE: fcmp(t, LLVMRealOLE); return true;
    case WASM_OP_F32_GE: case WASM_OP_F64_GE: fcmp(t, LLVMRealOGE); return true;

    case WASM_OP_I32_CLZ: bitcount(t, "llvm.ctlz", I32); return true;
    case WASM_OP_I32_CTZ: bitcount(t, "llvm.cttz", I32); return true;
    case WASM_OP_I32_POPCNT: unary_intr(t, "llvm.ctpop", I32); return true;
    case WASM_OP_I64_CLZ: bitcount(t, "llvm.ctlz", I64); return true;
    case WASM_OP_I64_CTZ: bitcount(t, "llvm.cttz", I64); return true;
    case WASM_OP_I64_POPCNT: unary_intr(t, "llvm.ctpop", I64); return true;
    case WASM_OP_I32_ADD: case WASM_OP_I64_ADD: binop(t, LLVMAdd); return true;
    case WASM_OP_I32_SUB: case WASM_OP_I64_SUB: binop(t, LLVMSub); return true;
    case WASM_OP_I32_MUL: case WASM_OP_I64_MUL: binop(t, LLVMMul); return true;
    case WASM_OP_I32_AND: case WASM_OP_I64_AND: binop(t, LLVMAnd); return true;
    case WASM_OP_I32_OR: case WASM_OP_I64_OR: binop(t, LLVMOr); return true;
    case WASM_OP_I32_XOR: case WASM_OP_I64_XOR: binop(t, LLVMXor); return true;
    case WASM_OP_I32_DIV_S: case WASM_OP_I32_DIV_U: case WASM_OP_I32_REM_S:
    case WASM_OP_I32_REM_U: divrem(t, in->op, I32, 32); return true;
    case WASM_OP_I64_DIV_S: case WASM_OP_I64_DIV_U: case WASM_OP_I64_REM_S:
    case WASM_OP_I64_REM_U: divrem(t, in->op, I64, 64); return true;
    case WASM_OP_I32_SHL: shift(t, LLVMShl, I32, 32); return true;
    case WASM_OP_I32_SHR_S: shift(t, LLVMAShr, I32, 32); return true;
    case WASM_OP_I32_SHR_U: shift(t, LLVMLShr, I32, 32); return true;
    case WASM_OP_I64_SHL: shift(t, LLVMShl, I64, 64); return true;
    case WASM_OP_I64_SHR_S: shift(t, LLVMAShr, I64, 64); return true;
    case WASM_OP_I64_SHR_U: shift(t, LLVMLShr, I64, 64); return true;
    case WASM_OP_I32_ROTL: rotate(t, "llvm.fshl", I32); return true;
    case WASM_OP_I32_ROTR: rotate(t, "llvm.fshr", I32); return true;
    case WASM_OP_I64_ROTL: rotate(t, "llvm.fshl", I64); return true;
    case WASM_OP_I64_ROTR: rotate(t, "llvm.fshr", I64); return true;

    case WASM_OP_F32_ABS: unary_intr(t, "llvm.fabs", F32); return true;
    case WASM_OP_F64_ABS: unary_intr(t, "llvm.fabs", F64); return true;
    case WASM_OP_F32_NEG: case WASM_OP_F64_NEG: push(t, LLVMBuildFNeg(t->b, pop(t), "")); return true;
    case WASM_OP_F32_CEIL: unary_intr(t, "llvm.ceil", F32); return true;
    case WASM_OP_F64_CEIL: unary_intr(t, "llvm.ceil", F64); return true;
    case WASM_OP_F32_FLOOR: unary_intr(t, "llvm.floor", F32); return true;
    case WASM_OP_F64_FLOOR: unary_intr(t, "llvm.floor", F64); return true;
    case WASM_OP_F32_TRUNC: unary_intr(t, "llvm.trunc", F32); return true;
    case WASM_OP_F64_TRUNC: unary_intr(t, "llvm.trunc", F64); return true;
    case WASM_OP_F32_NEAREST: unary_intr(t, "llvm.roundeven", F32); return true;
    case WASM_OP_F64_NEAREST: unary_intr(t, "llvm.roundeven", F64); return true;
    case WASM_OP_F32_SQRT: unary_intr(t, "llvm.sqrt", F32); return true;
    case WASM_OP_F64_SQRT: unary_intr(t, "llvm.sqrt", F64); return true;
    case WASM_OP_F32_ADD: case WASM_OP_F64_ADD: fbinop(t, LLVMFAdd); return true;
    case WASM_OP_F32_SUB: case WASM_OP_F64_SUB: fbinop(t, LLVMFSub); return true;
    case WASM_OP_F32_MUL: case WASM_OP_F64_MUL: fbinop(t, LLVMFMul); return true;
    case WASM_OP_F32_DIV: case WASM_OP_F64_DIV: fbinop(t, LLVMFDiv); return true;
    case WASM_OP_F32_MIN: minmax(t, "llvm.minimum", F32); return true;
    case WASM_OP_F64_MIN: minmax(t, "llvm.minimum", F64); return true;
    case WASM_OP_F32_MAX: minmax(t, "llvm.maximum", F32); return true;
    case WASM_OP_F64_MAX: minmax(t, "llvm.maximum", F64); return true;
    case WASM_OP_F32_COPYSIGN: binary_intr(t, "llvm.copysign", F32); return true;
    case WASM_OP_F64_COPYSIGN: binary_intr(t, "llvm.copysign", F64); return true;

    case WASM_OP_I32_WRAP_I64: push(t, LLVMBuildTrunc(t->b, pop(t), I32, "")); return true;
    case WASM_OP_I64_EXTEND_I32_S: push(t, LLVMBuildSExt(t->b, pop(t), I64, "")); return true;
    case WASM_OP_I64_EXTEND_I32_U: push(t, LLVMBuildZExt(t->b, pop(t), I64, "")); return true;
    case WASM_OP_I32_TRUNC_F32_S: trunc_trap(t, I32, true, -2147483904.0, 2147483648.0); return true;
    case WASM_OP_I32_TRUNC_F32_U: trunc_trap(t, I32, false, -1.0, 4294967296.0); return true;
    case WASM_OP_I32_TRUNC_F64_S: trunc_trap(t, I32, true, -2147483649.0, 2147483648.0); return true;
    case WASM_OP_I32_TRUNC_F64_U: trunc_trap(t, I32, false, -1.0, 4294967296.0); return true;
    case WASM_OP_I64_TRUNC_F32_S:
      trunc_trap(t, I64, true, -9223373136366403584.0, 9223372036854775808.0);
      return true;
    case WASM_OP_I64_TRUNC_F32_U: trunc_trap(t, I64, false, -1.0, 18446744073709551616.0); return true;
    case WASM_OP_I64_TRUNC_F64_S:
      trunc_trap(t, I64, true, -9223372036854777856.0, 9223372036854775808.0);
      return true;
    case WASM_OP_I64_TRUNC_F64_U: trunc_trap(t, I64, false, -1.0, 18446744073709551616.0); return true;
    case WASM_OP_F32_CONVERT_I32_S: case WASM_OP_F32_CONVERT_I64_S:
      push(t, LLVMBuildSIToFP(t->b, pop(t), F32, ""));
      return true;
    case WASM_OP_F32_CONVERT_I32_U: case WASM_OP_F32_CONVERT_I64_U:
      push(t, LLVMBuildUIToFP(t->b, pop(t), F32, ""));
      return true;
    case WASM_OP_F64_CONVERT_I32_S: case WASM_OP_F64_CONVERT_I64_S:
      push(t, LLVMBuildSIToFP(t->b, pop(t), F64, ""));
      return true;
    case WASM_OP_F64_CONVERT_I32_U: case WASM_OP_F64_CONVERT_I64_U:
      push(t, LLVMBuildUIToFP(t->b, pop(t), F64, ""));
      return true;
    case WASM_OP_F32_DEMOTE_F64: {
      LLVMValueRef x = pop(t);
      if (LLVMIsAFPExtInst(x)) { /* see identity_const: keep the NaN quieting */
        /* A stack slot (per activation: threads share the module's globals). */
        LLVMBasicBlockRef cur = LLVMGetInsertBlock(t->b);
        LLVMPositionBuilder(t->b, t->entry_bb, LLVMGetFirstInstruction(t->entry_bb));
        LLVMValueRef g = LLVMBuildAlloca(t->b, F64, "");
        LLVMPositionBuilderAtEnd(t->b, cur);
        LLVMSetVolatile(LLVMBuildStore(t->b, x, g), 1);
        x = LLVMBuildLoad2(t->b, F64, g, "");
        LLVMSetVolatile(x, 1);
      }
      push(t, LLVMBuildFPTrunc(t->b, x, F32, ""));
      return true;
    }
    case WASM_OP_F64_PROMOTE_F32: push(t, LLVMBuildFPExt(t->b, pop(t), F64, "")); return true;
    case WASM_OP_I32_REINTERPRET_F32: push(t, LLVMBuildBitCast(t->b, pop(t), I32, "")); return true;
    case WASM_OP_I64_REINTERPRET_F64: push(t, LLVMBuildBitCast(t->b, pop(t), I64, "")); return true;
    case WASM_OP_F32_REINTERPRET_I32: push(t, LLVMBuildBitCast(t->b, pop(t), F32, "")); return true;
    case WASM_OP_F64_REINTERPRET_I64: push(t, LLVMBuildBitCast(t->b, pop(t), F64, "")); return true;
    case WASM_OP_I32_EXTEND8_S: sext_from(t, 8, I32); return true;
    case WASM_OP_I32_EXTEND16_S: sext_from(t, 16, I32); return true;
    case WASM_OP_I64_EXTEND8_S: sext_from(t, 8, I64); return true;
    case WASM_OP_I64_EXTEND16_S: sext_from(t, 16, I64); return true;
    case WASM_OP_I64_EXTEND32_S: sext_from(t, 32, I64); return true;
    default: break;
  }
  if (in->op == WASM_OP_PREFIX_FC && in->sub <= WASM_FC_I64_TRUNC_SAT_F64_U) {
    static const bool sign[8] = {true, false, true, false, true, false, true, false};
    trunc_sat(t, in->sub < 4 ? I32 : I64, sign[in->sub]);
    return true;
  }
  return false;
}

/* ---------------- globals, tables, bulk memory ---------------- */

static LLVMValueRef global_ptr(tr *t, uint32_t idx) {
  LLVMValueRef globals = load_inv(t, t->ptr, t->inst, offsetof(tova_instance, globals));
  LLVMValueRef g = load_inv(t, t->ptr, globals, (size_t)idx * sizeof(void *));
  return gep8(t, g, c64(t, offsetof(tova_global, value)));
}

static void call_helper(tr *t, const char *fn, LLVMTypeRef ret, unsigned nargs, const char *argtypes,
                        bool push_result) {
  /* argtypes: one letter per argument after ctx: i = i32, p = ptr, taken
   * from the stack (last letter = top of stack), or k = constant from the
   * immediates handed in through t->stack beforehand. */
  LLVMTypeRef pt[8];
  LLVMValueRef args[8];
  pt[0] = t->ptr;
  args[0] = t->ctx;
  for (unsigned i = nargs; i > 0; i--) {
    pt[i] = argtypes[i - 1] == 'p' ? t->ptr : t->i32;
    args[i] = pop(t);
  }
  LLVMValueRef r = call_c(t, fn, ret, pt, nargs + 1, args);
  if (push_result) push(t, r);
}

/* ---------------- one function ---------------- */

/* May LLVM turn this function's calls to itself into a loop (tail-recursion
 * elimination, with an accumulator for `f(a) + f(b)`)? Every call is marked
 * notail otherwise, because a runaway recursion must exhaust the stack
 * ("call stack exhausted", as the spec's tests expect) rather than become a
 * loop that never ends. Allowed when the body calls itself at least twice
 * and at least one of those calls is not in tail position (something other
 * than `end`, `else`, `return` or `br` follows it): that call stays a real
 * call, so a recursion without a base case still deepens the stack, while
 * the other becomes the loop the C compilers make of fib, quicksort or a
 * tree walk. A single self-call (fac) or only tail self-calls stay calls.
 * Only ever a question of when deep recursion exhausts the stack: a result
 * the function computes is the same either way. What LLVM calls a tail call
 * is wider than this scan's view (a self-call followed by `nop`, or by a
 * value dropped before returning, is one), so the rule is checked on the
 * optimised code as well: a function left without a call to itself is
 * translated again with every call kept (translate.h). */
static bool allow_self_tail_calls(const tova_module *m, const wasm_func_def *fd, uint32_t self) {
  wasm_reader r;
  wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
  wasm_instr in;
  unsigned calls = 0;
  bool nontail = false, after_self = false;
  while (!rd_eof(&r) && wasm_read_instr(&r, &in)) {
    if (after_self && in.op != WASM_OP_END && in.op != WASM_OP_ELSE && in.op != WASM_OP_RETURN &&
        in.op != WASM_OP_BR)
      nontail = true;
    after_self = in.op == WASM_OP_CALL && in.a == self;
    calls += after_self;
  }
  return calls >= 2 && nontail;
}

static bool emit_instr(tr *t, const wasm_instr *in, wasm_reader *r);

/* The rest of function fn (a quick function, or a stub, of signature ft:
 * ctx, frame, ft's parameters): the interpreter runs a call of defined
 * function def (a value) in fn's frame (rt.h wasm_native_call_interp; own:
 * from def's own interpreter cells) and fn returns its results, or at
 * once, with ctx->leaving set, when the call parked (the caller then
 * leaves). caller_leaves: fn's callers leave after calling it when
 * ctx->leaving is set (leave_after_call), so fn may also leave when the
 * call returned to an interrupted execution (rt.h). */
static void ret_through_interp_of(tr *t, LLVMValueRef fn, const tova_functype *ft, LLVMValueRef def, bool own,
                                  bool caller_leaves) {
  LLVMTypeRef rt = ret_type(t, ft);
  LLVMValueRef ctx = LLVMGetParam(fn, 0), frame = LLVMGetParam(fn, 1);
  uint32_t nbuf = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
  LLVMBasicBlockRef here = LLVMGetInsertBlock(t->b), entry = LLVMGetEntryBasicBlock(fn);
  LLVMValueRef first = LLVMGetFirstInstruction(entry);
  if (first) LLVMPositionBuilderBefore(t->b, first);
  else LLVMPositionBuilderAtEnd(t->b, entry);
  LLVMValueRef slots = LLVMBuildAlloca(t->b, LLVMArrayType2(t->i64, nbuf ? nbuf : 1), "interp_slots");
  LLVMPositionBuilderAtEnd(t->b, here);
  for (uint32_t i = 0; i < ft->nparams; i++)
    LLVMBuildStore(t->b, to_raw(t, LLVMGetParam(fn, i + 2), ft->params[i]), gep8(t, slots, c64(t, (uint64_t)i * 8)));
  LLVMTypeRef pt[5] = {t->ptr, t->i32, t->ptr, t->i64, t->i32};
  uint32_t flags = (own ? WASM_NATIVE_INTERP_OWN : 0u) | (caller_leaves ? WASM_NATIVE_INTERP_CALLER_LEAVES : 0u);
  LLVMValueRef args[5] = {ctx, def, slots, frame, c32(t, flags)};
  LLVMValueRef st = call_c(t, HELPER(wasm_native_call_interp), t->i32, pt, 5, args);
  LLVMBasicBlockRef parked = LLVMAppendBasicBlockInContext(t->cx, fn, "parked"),
                    done = LLVMAppendBasicBlockInContext(t->cx, fn, "done");
  set_unlikely(t, LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, st, c32(t, 0), ""), parked, done));
  LLVMPositionBuilderAtEnd(t->b, parked);
  if (LLVMGetTypeKind(rt) == LLVMVoidTypeKind) LLVMBuildRetVoid(t->b);
  else LLVMBuildRet(t->b, LLVMGetUndef(rt));
  LLVMPositionBuilderAtEnd(t->b, done);
  uint32_t nres = ft->nresults;
  if (nres == 0) {
    LLVMBuildRetVoid(t->b);
    return;
  }
  LLVMValueRef res[nres];
  for (uint32_t i = 0; i < nres; i++)
    res[i] = from_raw(t, LLVMBuildLoad2(t->b, t->i64, gep8(t, slots, c64(t, (uint64_t)i * 8)), ""), ft->results[i]);
  if (nres == 1) {
    LLVMBuildRet(t->b, res[0]);
    return;
  }
  LLVMValueRef agg = LLVMGetUndef(rt);
  for (uint32_t i = 0; i < nres; i++) agg = LLVMBuildInsertValue(t->b, agg, res[i], i, "");
  LLVMBuildRet(t->b, agg);
}

/* Direct calls of def leave after it when def may leave (emit_call). */
static void ret_through_interp(tr *t, LLVMValueRef fn, uint32_t def, bool own) {
  ret_through_interp_of(t, fn, &t->m->types[t->m->func_defs[def].type_index], c32(t, def), own,
                        t->may_leave[def]);
}

static void emit_function(tr *t, uint32_t def) {
  const tova_module *m = t->m;
  const wasm_func_def *fd = &m->func_defs[def];
  const tova_functype *ft = &m->types[fd->type_index];
  t->fn = t->osr ? t->osr_fn : t->fns[def];
  memset(t->trap_bb, 0, sizeof t->trap_bb);
  t->sp = 0;
  t->nctl = 0;
  t->nloops = 0;
  t->dead = false;

  LLVMBasicBlockRef entry = new_bb(t, "entry");
  t->entry_bb = entry;
  LLVMPositionBuilderAtEnd(t->b, entry);
  t->ctx = LLVMGetParam(t->fn, 0);
  /* An OSR entry is the outermost native call: the entry's frame, depth 0. */
  t->frame = t->osr ? LLVMBuildZExt(t->b, load_inv(t, t->i32, t->ctx, offsetof(wasm_native_ctx, fpo)), t->i64, "")
                    : LLVMGetParam(t->fn, 1);
  t->nlocals = ft->nparams + fd->nlocals;
  t->locals = malloc(((size_t)t->nlocals + 1) * sizeof *t->locals);
  t->local_types = malloc((size_t)t->nlocals + 1);
  t->local_ver = calloc((size_t)t->nlocals + 1, sizeof *t->local_ver);
  t->nsrc = t->nchk = t->chk_floor = 0;
  if (!t->locals || !t->local_types || !t->local_ver) {
    fail(t, "out of memory");
    return;
  }
  for (uint32_t i = 0; i < t->nlocals; i++) {
    uint8_t ty = i < ft->nparams ? ft->params[i] : fd->local_types[i - ft->nparams];
    t->local_types[i] = ty;
    t->locals[i] = LLVMBuildAlloca(t->b, vt(t, ty), "");
  }
  t->mb_slot = LLVMBuildAlloca(t->b, t->ptr, "mb");
  t->ms_slot = LLVMBuildAlloca(t->b, t->i64, "ms");
  t->gl_slot = LLVMBuildAlloca(t->b, t->i64, "gl");
  /* An OSR entry takes every local from the interpreter's frame (its slots
   * 0..nlocals, compile.h VALUES); a function, its parameters. */
  LLVMValueRef osr_fp = t->osr ? LLVMGetParam(t->fn, 1) : NULL;
  for (uint32_t i = 0; i < t->nlocals; i++) {
    LLVMValueRef v = osr_fp ? from_raw(t, LLVMBuildLoad2(t->b, t->i64, gep8(t, osr_fp, c64(t, (uint64_t)i * 8)), ""),
                                       t->local_types[i])
                     : i < ft->nparams ? LLVMGetParam(t->fn, i + 2)
                                       : LLVMConstNull(vt(t, t->local_types[i]));
    LLVMBuildStore(t->b, v, t->locals[i]);
  }
  reload_mem(t);
  t->inst = load_inv(t, t->ptr, t->ctx, offsetof(wasm_native_ctx, inst));
  /* Bounded depth: the C stack must stay above ctx->stack_limit, checked
   * before the first call of each path, or on entry for a function whose
   * frame may be big (frame_check). Only a recursive function polls there:
   * every unbounded run goes round a loop (whose header polls) or a cycle
   * of calls (whose functions poll before calling); a poll in every small
   * helper would cost each call, inlined or not, a load LLVM can never
   * remove. */
  t->poll_here = t->poll_entry[def] && !t->signalled;
  t->self = def + m->nimported_funcs;
  /* Not in a function that may leave: a call made a loop has no frame of
   * its own to hand over to the interpreter (rt.h wasm_native_leave_frame). */
  t->self_tail_ok = !t->osr && !t->may_leave[def] && !(t->keep_calls && t->keep_calls[def]) &&
                    allow_self_tail_calls(m, fd, t->self);
  if (t->self_tail_ok) { /* for the check after optimising (translate.h) */
    static const char attr[] = WASM_NATIVE_SELF_TAIL_ATTR;
    LLVMAddAttributeAtIndex(t->fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(t->cx, attr, sizeof attr - 1, "", 0));
  }
  t->frame_checked = false;
  /* An OSR entry checks on entry: the checks of the code before its loops
   * are not on its paths. */
  /* Quick code of a function on a cycle of calls hands its call to the
   * interpreter where the C stack is running low (rt.h
   * WASM_NATIVE_QUICK_STACK_RESERVE): deep recursion goes on there instead
   * of trapping at a depth the interpreter reaches. Not at depth 0 (the
   * outermost native call: its entry declines first, rt.c). */
  if (t->quick && !t->osr && t->poll_entry[def]) {
    LLVMValueRef sp = LLVMBuildPtrToInt(t->b, intrinsic(t, "llvm.stacksave", &t->ptr, 1, NULL, 0), t->i64, "");
    LLVMValueRef limit = load_inv(t, t->i64, t->ctx, offsetof(wasm_native_ctx, stack_limit));
    LLVMValueRef low = LLVMBuildICmp(t->b, LLVMIntULT, sp,
                                     LLVMBuildAdd(t->b, limit, c64(t, WASM_NATIVE_QUICK_STACK_RESERVE), ""), "");
    LLVMValueRef deep = LLVMBuildICmp(t->b, LLVMIntNE, LLVMBuildLShr(t->b, t->frame, c64(t, 32), ""), c64(t, 0), "");
    LLVMBasicBlockRef handover = new_bb(t, "to_interp"), body = new_bb(t, "body");
    set_unlikely(t, LLVMBuildCondBr(t->b, LLVMBuildAnd(t->b, low, deep, ""), handover, body));
    LLVMPositionBuilderAtEnd(t->b, handover);
    ret_through_interp(t, t->fn, def, true);
    LLVMPositionBuilderAtEnd(t->b, body);
  }
  if (t->osr || t->nlocals > FRAME_CHECK_LOCALS || fd->body_len > FRAME_CHECK_BYTES) frame_check(t);
  if (t->osr) {
    /* Loop ordinal -> loop header (cases added as the loops are emitted);
     * any other ordinal returns 0: not entered, nothing done. The code
     * before the loops follows in a block nothing reaches. */
    LLVMBasicBlockRef none = new_bb(t, "osr_none");
    t->osr_switch = LLVMBuildSwitch(t->b, LLVMGetParam(t->fn, 2), none, 4);
    LLVMPositionBuilderAtEnd(t->b, none);
    LLVMBuildRet(t->b, c32(t, 0));
    LLVMPositionBuilderAtEnd(t->b, new_bb(t, "osr_prefix"));
  }

  tr_ctl *fc = push_ctl(t);
  if (!fc) return;
  fc->kind = CTL_FUNC;
  fc->live = true;
  fc->nresults = ft->nresults;
  fc->results = ft->results;
  fc->end_bb = new_bb(t, "return");
  fc->phis = make_phis(t, fc->end_bb, ft->nresults, ft->results);

  wasm_reader r;
  wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
  wasm_instr in;
  while (t->nctl > 0 && !t->failed) {
    t->at = (uint32_t)(r.p - m->bytes);
    if (rd_eof(&r) || !wasm_read_instr(&r, &in)) {
      fail(t, "cannot read the body");
      break;
    }
    if (!emit_instr(t, &in, &r)) break;
  }
  free(t->locals);
  free(t->local_types);
  free(t->local_ver);
  t->locals = NULL;
  t->local_types = NULL;
  t->local_ver = NULL;
}

/* `end` of the function's own frame: the return block. */
static void emit_return_block(tr *t, tr_ctl *c) {
  LLVMPositionBuilderAtEnd(t->b, c->end_bb);
  if (c->npreds == 0) {
    LLVMBuildUnreachable(t->b);
    return;
  }
  if (t->osr) { /* results to the frame's slots 0.., as an entry wrapper; 1: entered */
    LLVMValueRef fp = frame_ptr(t); /* the stack may have moved since the entry */
    for (uint32_t i = 0; i < c->nresults; i++)
      LLVMBuildStore(t->b, to_raw(t, c->phis[i], c->results[i]), gep8(t, fp, c64(t, (uint64_t)i * 8)));
    LLVMBuildRet(t->b, c32(t, 1));
    return;
  }
  if (c->nresults == 0) {
    LLVMBuildRetVoid(t->b);
  } else if (c->nresults == 1) {
    LLVMBuildRet(t->b, c->phis[0]);
  } else {
    LLVMValueRef agg = LLVMGetUndef(LLVMGetReturnType(LLVMGlobalGetValueType(t->fn)));
    for (uint32_t i = 0; i < c->nresults; i++)
      agg = LLVMBuildInsertValue(t->b, agg, c->phis[i], i, "");
    LLVMBuildRet(t->b, agg);
  }
}

static void emit_end(tr *t) {
  tr_ctl *c = &t->ctls[t->nctl - 1];
  if (c->live) {
    if (c->kind == CTL_LOOP) {
      /* Falls through with its results on the stack; nothing to join. */
      if (!t->dead) {
        LLVMValueRef res[c->nresults ? c->nresults : 1];
        for (uint32_t i = 0; i < c->nresults; i++) res[i] = t->stack[t->sp - c->nresults + i];
        t->sp = c->height;
        for (uint32_t i = 0; i < c->nresults; i++) push(t, res[i]);
      }
    } else {
      if (!t->dead) br_to(t, c);
      if (c->kind == CTL_IF && c->else_bb) { /* no else: the false edge passes the params on */
        LLVMPositionBuilderAtEnd(t->b, c->else_bb);
        t->sp = c->height;
        for (uint32_t i = 0; i < c->nparams; i++) push(t, c->if_args[i]);
        br_to(t, c);
        c->else_bb = NULL;
      }
      if (c->kind == CTL_FUNC) {
        emit_return_block(t, c);
      } else {
        LLVMPositionBuilderAtEnd(t->b, c->end_bb);
        t->sp = c->height;
        if (c->npreds == 0) {
          LLVMBuildUnreachable(t->b);
          t->dead = true;
        } else {
          t->dead = false;
          for (uint32_t i = 0; i < c->nresults; i++) push(t, c->phis[i]);
        }
      }
    }
  }
  /* A check inside the construct need not be on every path past its end
   * (an if-arm, a block left by a branch): conservatively forget it. */
  t->frame_checked = c->frame_checked;
  t->nchk = c->nchk; /* likewise for bounds checks (mem_at) */
  t->chk_floor = c->chk_floor;
  free_ctl(c);
  t->nctl--;
}

/* At the header of loop `ordinal` of a quick OSR entry (translate.h
 * tier_up): once the function's optimised entry exists (*ctx->tier_up,
 * set once and never cleared by the compiler thread), the locals go to the
 * frame and the entry returns WASM_NATIVE_OSR_AT_LOOP + ordinal (rt.h):
 * osr.c continues the call in the optimised entry from this header. The
 * operand stack is empty here (an entry starts only at such a header), so
 * the locals are the call's whole state. A volatile load, as the interrupt
 * flag's: never hoisted out of the loop. */
static void leave_for_optimised(tr *t, uint32_t ordinal) {
  LLVMValueRef flagp = load_inv(t, t->ptr, t->ctx, offsetof(wasm_native_ctx, tier_up));
  LLVMValueRef flag = LLVMBuildLoad2(t->b, t->i32, flagp, "");
  LLVMSetVolatile(flag, 1);
  LLVMSetAlignment(flag, 4);
  LLVMBasicBlockRef up = new_bb(t, "tier_up"), cont = new_bb(t, "stay");
  set_unlikely(t, LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, flag, c32(t, 0), ""), up, cont));
  LLVMPositionBuilderAtEnd(t->b, up);
  store_frame(t, 0);
  LLVMBuildRet(t->b, c32(t, WASM_NATIVE_OSR_AT_LOOP + ordinal));
  LLVMPositionBuilderAtEnd(t->b, cont);
}

static void emit_block_start(tr *t, const wasm_instr *in) {
  uint32_t np, nr;
  const uint8_t *p, *rs;
  blocktype(t, in, &np, &p, &nr, &rs);
  bool live = !t->dead;
  LLVMValueRef cond = NULL;
  if (live && in->op == WASM_OP_IF) cond = pop(t);
  tr_ctl *c = push_ctl(t);
  if (!c) return;
  c->kind = in->op == WASM_OP_BLOCK ? CTL_BLOCK : in->op == WASM_OP_LOOP ? CTL_LOOP : CTL_IF;
  /* Every `loop` read counts, dead or not: the interpreter numbers them the
   * same way (compile.c's LOOP_HEAD). */
  uint32_t ordinal = c->kind == CTL_LOOP ? t->nloops++ : 0;
  c->live = live;
  c->frame_checked = t->frame_checked;
  c->nchk = t->nchk;
  c->chk_floor = t->chk_floor;
  c->nparams = np;
  c->params = p;
  c->nresults = nr;
  c->results = rs;
  if (!live) return;
  if (t->sp < np) {
    fail(t, "block parameters missing");
    return;
  }
  c->height = t->sp - np;
  if (c->kind == CTL_LOOP) {
    c->loop_bb = new_bb(t, "loop");
    c->phis = make_phis(t, c->loop_bb, np, p);
    add_incoming(t, c);
    LLVMBuildBr(t->b, c->loop_bb);
    /* An OSR entry may start here when the operand stack is empty: then the
     * interpreter's frame is exactly the locals (compile.c's LOOP_HEAD rule). */
    bool entry = t->osr && np == 0 && c->height == 0;
    if (entry && !t->quick) LLVMAddCase(t->osr_switch, c32(t, ordinal), c->loop_bb);
    LLVMPositionBuilderAtEnd(t->b, c->loop_bb);
    t->sp = c->height;
    for (uint32_t i = 0; i < np; i++) push(t, c->phis[i]);
    if (!t->signalled) poll_interrupt(t);
    if (entry && t->quick) {
      leave_for_optimised(t, ordinal);
      /* Entered past its own test (the entry polled on entry): a call
       * leaves at the next header it passes, never where it came in. */
      LLVMAddCase(t->osr_switch, c32(t, ordinal), LLVMGetInsertBlock(t->b));
    }
    t->chk_floor = t->nchk; /* see mem_at: the checks before the loop are not used in it */
    return;
  }
  c->end_bb = new_bb(t, c->kind == CTL_IF ? "endif" : "endblock");
  c->phis = make_phis(t, c->end_bb, nr, rs);
  if (c->kind == CTL_IF) {
    LLVMBasicBlockRef then_bb = new_bb(t, "then");
    c->else_bb = new_bb(t, "else");
    if (np) {
      c->if_args = malloc(np * sizeof *c->if_args);
      if (!c->if_args) {
        fail(t, "out of memory");
        return;
      }
      memcpy(c->if_args, &t->stack[c->height], np * sizeof *c->if_args);
    }
    LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, cond, c32(t, 0), ""), then_bb,
                    c->else_bb);
    LLVMPositionBuilderAtEnd(t->b, then_bb);
  }
}

static void emit_else(tr *t) {
  tr_ctl *c = &t->ctls[t->nctl - 1];
  if (!c->live) return;
  if (!t->dead) br_to(t, c);
  LLVMPositionBuilderAtEnd(t->b, c->else_bb);
  c->else_bb = NULL;
  t->frame_checked = c->frame_checked; /* the then-arm's check is not on this path */
  t->nchk = c->nchk;                   /* nor its bounds checks */
  t->sp = c->height;
  for (uint32_t i = 0; i < c->nparams; i++) push(t, c->if_args[i]);
  t->dead = false;
}

static void emit_br_table(tr *t, const wasm_instr *in) {
  LLVMValueRef idx = pop(t);
  uint32_t n = in->ntargets;
  uint32_t *labels = malloc(((size_t)n + 1) * sizeof *labels);
  LLVMBasicBlockRef *via = calloc(t->nctl, sizeof *via);
  if (!labels || !via) {
    free(labels);
    free(via);
    fail(t, "out of memory");
    return;
  }
  wasm_reader lr;
  wasm_reader_init(&lr, in->targets, in->targets, t->m->bytes + t->m->len);
  for (uint32_t i = 0; i < n; i++) rd_u32(&lr, &labels[i]);
  labels[n] = in->a;
  /* One small block per distinct target, each branching with the values:
   * phis then see one edge per block even when many cases share a label. */
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(t->b);
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t d = labels[i];
    if (d >= t->nctl) {
      fail(t, "bad br_table label");
      break;
    }
    if (via[d]) continue;
    via[d] = new_bb(t, "brt");
    LLVMPositionBuilderAtEnd(t->b, via[d]);
    br_to(t, &t->ctls[t->nctl - 1 - d]);
  }
  LLVMPositionBuilderAtEnd(t->b, cur);
  if (!t->failed) {
    LLVMValueRef sw = LLVMBuildSwitch(t->b, idx, via[labels[n]], n);
    for (uint32_t i = 0; i < n; i++) LLVMAddCase(sw, c32(t, i), via[labels[i]]);
  }
  free(labels);
  free(via);
  t->dead = true;
}

/* The table of every native function by defined index (for call_indirect). */
static LLVMValueRef fn_table(tr *t) {
  if (t->fntab) return t->fntab;
  uint32_t ndefs = t->m->nfuncs - t->m->nimported_funcs;
  LLVMValueRef *vals = malloc(((size_t)ndefs + 1) * sizeof *vals);
  if (!vals) {
    fail(t, "out of memory");
    return NULL;
  }
  for (uint32_t d = 0; d < ndefs; d++) vals[d] = t->fns[d] ? t->fns[d] : LLVMConstNull(t->ptr);
  LLVMTypeRef aty = LLVMArrayType2(t->ptr, ndefs);
  t->fntab = LLVMAddGlobal(t->mod, aty, "wasm_fntab");
  LLVMSetInitializer(t->fntab, LLVMConstArray2(t->ptr, vals, ndefs));
  LLVMSetGlobalConstant(t->fntab, 1);
  LLVMSetLinkage(t->fntab, LLVMInternalLinkage);
  free(vals);
  return t->fntab;
}

/* A by_slot unit's stub for call_indirect of the functions of
 * type_index's type that the unit does not link to and that have no code
 * in their slot yet: the interpreter makes the call (ret_through_interp_of), of the
 * function the caller left in ctx->indirect_def. One per type and unit,
 * internal. */
static LLVMValueRef indirect_stub(tr *t, uint32_t type_index, LLVMTypeRef fty) {
  if (!t->istubs) t->istubs = calloc((size_t)t->m->ntypes + 1, sizeof *t->istubs);
  if (!t->istubs) {
    fail(t, "out of memory");
    return NULL;
  }
  if (t->istubs[type_index]) return t->istubs[type_index];
  char name[32];
  snprintf(name, sizeof name, "wasm_it%u", type_index);
  LLVMValueRef fn = LLVMAddFunction(t->mod, name, fty);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  t->istubs[type_index] = fn;
  LLVMBasicBlockRef here = LLVMGetInsertBlock(t->b);
  LLVMPositionBuilderAtEnd(t->b, LLVMAppendBasicBlockInContext(t->cx, fn, "entry"));
  LLVMValueRef def = LLVMBuildLoad2(t->b, t->i32, gep8(t, LLVMGetParam(fn, 0), c64(t, offsetof(wasm_native_ctx, indirect_def))), "");
  /* Its callers are call_indirects, which leave after the call whenever
   * any function may (emit_call_indirect). */
  ret_through_interp_of(t, fn, &t->m->types[type_index], def, false, t->any_may_leave);
  LLVMPositionBuilderAtEnd(t->b, here);
  return fn;
}

/* call_indirect through a closed table (eligible.c): the helper checks the
 * element and the type; in optimised code every possible callee is a
 * native function of this instance, found by its index (units are closed
 * under calls, call_indirect's targets included: eligible.c's groups).
 * Quick code (and an optimised unit that calls through stubs, by_slot)
 * links only its unit's functions and its direct callees: any other callee
 * is called at the code in its slot (rt.h
 * wasm_native_ctx.slots) or, with none yet, through the interpreter
 * (indirect_stub), so that a unit does not hold a declaration, or a stub,
 * of every function a big table holds. */
static void emit_call_indirect(tr *t, uint32_t type_index, uint32_t table) {
  if (table >= t->m->ntables || !t->closed[table]) {
    fail(t, "call_indirect through an open table");
    return;
  }
  const tova_functype *ft = &t->m->types[type_index];
  if (!t->frame_checked) frame_check(t);
  LLVMValueRef idx = pop(t);
  /* The element, checked inline: in the table, not null, and of the very
   * type the call names (its tova_functype). Anything else (a trap, or a
   * structurally equal type of another index) is the helper's. */
  LLVMValueRef inst = load_inv(t, t->ptr, t->ctx, offsetof(wasm_native_ctx, inst));
  LLVMValueRef tables = load_inv(t, t->ptr, inst, offsetof(tova_instance, tables));
  LLVMValueRef wt = load_inv(t, t->ptr, tables, (size_t)table * sizeof(void *));
  LLVMValueRef size = LLVMBuildLoad2(t->b, t->i32, gep8(t, wt, c64(t, offsetof(tova_table, size))), "");
  LLVMBasicBlockRef in_table = new_bb(t, "in_table"),
                    not_null = new_bb(t, "elem"), slow = new_bb(t, "indirect_slow"), found = new_bb(t, "callee");
  LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntULT, idx, size, ""), in_table, slow);
  LLVMPositionBuilderAtEnd(t->b, in_table);
  LLVMValueRef elems = LLVMBuildLoad2(t->b, t->ptr, gep8(t, wt, c64(t, offsetof(tova_table, elems))), "");
  LLVMValueRef eoff = LLVMBuildShl(t->b, LLVMBuildZExt(t->b, idx, t->i64, ""), c64(t, 3), "");
  LLVMValueRef elem = LLVMBuildLoad2(t->b, t->ptr, gep8(t, elems, eoff), "");
  LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, elem, LLVMConstNull(t->ptr), ""), not_null, slow);
  LLVMPositionBuilderAtEnd(t->b, not_null);
  LLVMValueRef module = load_inv(t, t->ptr, inst, offsetof(tova_instance, module));
  LLVMValueRef types = load_inv(t, t->ptr, module, offsetof(tova_module, types));
  LLVMValueRef want = gep8(t, types, c64(t, (uint64_t)type_index * sizeof(tova_functype)));
  LLVMValueRef has = LLVMBuildLoad2(t->b, t->ptr, gep8(t, elem, c64(t, offsetof(tova_func, type))), "");
  LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntEQ, has, want, ""), found, slow);
  LLVMPositionBuilderAtEnd(t->b, slow);
  LLVMTypeRef hpt[4] = {t->ptr, t->i32, t->i32, t->i32};
  LLVMValueRef hargs[4] = {t->ctx, c32(t, table), idx, c32(t, type_index)};
  LLVMValueRef fslow = call_c(t, HELPER(wasm_native_indirect), t->ptr, hpt, 4, hargs);
  LLVMBuildBr(t->b, found);
  LLVMPositionBuilderAtEnd(t->b, found);
  LLVMValueRef f = LLVMBuildPhi(t->b, t->ptr, "");
  LLVMValueRef fv[2] = {elem, fslow};
  LLVMBasicBlockRef fb[2] = {not_null, slow};
  LLVMAddIncoming(f, fv, fb, 2);
  LLVMValueRef fi = LLVMBuildLoad2(t->b, t->i32, gep8(t, f, c64(t, offsetof(tova_func, index))), "");
  LLVMValueRef def = LLVMBuildZExt(t->b, LLVMBuildSub(t->b, fi, c32(t, t->m->nimported_funcs), ""),
                                   t->i64, "");
  LLVMValueRef tab = fn_table(t);
  if (!tab) return;
  LLVMValueRef slot = LLVMBuildInBoundsGEP2(t->b, t->ptr, tab, &def, 1, "");
  LLVMValueRef callee = LLVMBuildLoad2(t->b, t->ptr, slot, "");
  LLVMTypeRef pt[ft->nparams + 2];
  LLVMValueRef args[ft->nparams + 2];
  pt[0] = t->ptr;
  pt[1] = t->i64;
  args[0] = t->ctx;
  for (uint32_t i = 0; i < ft->nparams; i++) pt[i + 2] = vt(t, ft->params[i]);
  for (uint32_t i = ft->nparams; i > 0; i--) args[i + 1] = pop(t);
  uint32_t below = t->sp;
  args[1] = callee_frame(t, below);
  LLVMTypeRef fty = LLVMFunctionType(ret_type(t, ft), pt, ft->nparams + 2, 0);
  if (t->by_slot) { /* not linked here: its slot, else the type's stub */
    LLVMValueRef stub = indirect_stub(t, type_index, fty);
    if (!stub) return;
    LLVMValueRef table = load_inv(t, t->ptr, t->ctx, offsetof(wasm_native_ctx, slots));
    LLVMValueRef inslot = LLVMBuildLoad2(t->b, t->ptr, LLVMBuildInBoundsGEP2(t->b, t->ptr, table, &def, 1, ""), "");
    LLVMSetOrdering(inslot, LLVMAtomicOrderingAcquire);
    LLVMSetAlignment(inslot, sizeof(void *));
    LLVMValueRef null = LLVMConstNull(t->ptr);
    LLVMValueRef other = LLVMBuildSelect(t->b, LLVMBuildICmp(t->b, LLVMIntNE, inslot, null, ""), inslot, stub, "");
    callee = LLVMBuildSelect(t->b, LLVMBuildICmp(t->b, LLVMIntNE, callee, null, ""), callee, other, "");
    LLVMBuildStore(t->b, LLVMBuildTrunc(t->b, def, t->i32, ""),
                   gep8(t, t->ctx, c64(t, offsetof(wasm_native_ctx, indirect_def))));
  }
  LLVMValueRef r = LLVMBuildCall2(t->b, fty, callee, args, ft->nparams + 2, "");
  LLVMSetTailCallKind(r, LLVMTailCallKindNoTail);
  /* Any callee of the type may leave when any function of the module may
   * (the table's functions are not known here). */
  if (t->any_may_leave) leave_after_call(t, below);
  if (ft->nresults == 1) push(t, r);
  else
    for (uint32_t i = 0; i < ft->nresults; i++) push(t, LLVMBuildExtractValue(t->b, r, i, ""));
  reload_mem(t);
}


/* A call of an import: its arguments and results in a buffer of this
 * native frame, wasm_native_call_import between. When the import parks,
 * or must be called by the interpreter, the code leaves: a cold block
 * writes every local and the operand stack below the arguments into this
 * call's interpreter frame (store_frame) and wasm_native_leave hands the
 * call over to the interpreter, at compile.c's record of this call
 * (wasm_code.import_calls): at depth 0 it unwinds to the entry, deeper the
 * code returns to its caller, which leaves in turn (leave_after_call). */
_Static_assert((unsigned)WASM_NATIVE_CALL_PARKED == (unsigned)WASM_NATIVE_LEAVE_PARKED &&
                   (unsigned)WASM_NATIVE_CALL_INTERP == (unsigned)WASM_NATIVE_LEAVE_AT_CALL &&
                   (unsigned)WASM_NATIVE_CALL_STOPPED == (unsigned)WASM_NATIVE_LEAVE_AFTER,
               "wasm_native_call_import's answer is how to leave");
static void emit_import_call(tr *t, uint32_t func) {
  const tova_module *m = t->m;
  const tova_functype *ft = wasm_func_type(m, func);
  uint32_t def = t->self - m->nimported_funcs;
  const wasm_code *code = m->func_defs[def].code;
  const uint32_t *rec = code ? wasm_code_import_call(code, t->at) : NULL;
  if (!rec || t->sp < ft->nparams) {
    fail(t, "an import call the interpreter has no record of");
    return;
  }
  uint32_t below = t->sp - ft->nparams;
  uint64_t argbase = (uint64_t)t->nlocals + below;
  if (rec[2] != argbase) { /* cannot happen: both follow compile.h's frame layout */
    fail(t, "an import call's frame differs from the interpreter's");
    return;
  }
  uint32_t nbuf = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
  LLVMBasicBlockRef here = LLVMGetInsertBlock(t->b);
  LLVMValueRef first = LLVMGetFirstInstruction(t->entry_bb);
  if (first) LLVMPositionBuilderBefore(t->b, first);
  else LLVMPositionBuilderAtEnd(t->b, t->entry_bb);
  LLVMValueRef slots = LLVMBuildAlloca(t->b, LLVMArrayType2(t->i64, nbuf ? nbuf : 1), "import_slots");
  LLVMPositionBuilderAtEnd(t->b, here);
  for (uint32_t i = 0; i < ft->nparams; i++)
    LLVMBuildStore(t->b, to_raw(t, t->stack[below + i], ft->params[i]),
                   gep8(t, slots, c64(t, (uint64_t)i * 8)));
  t->sp = below;
  LLVMTypeRef pt[5] = {t->ptr, t->i32, t->ptr, t->i64, t->i32};
  LLVMValueRef args[5] = {t->ctx, c32(t, func), slots, t->frame, c32(t, code->frame_slots)};
  LLVMValueRef st = call_c(t, HELPER(wasm_native_call_import), t->i32, pt, 5, args);
  LLVMBasicBlockRef leave = new_bb(t, "leave"), cont = new_bb(t, "called");
  set_unlikely(t, LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, st, c32(t, 0), ""), leave, cont));

  LLVMPositionBuilderAtEnd(t->b, leave);
  store_frame(t, below);
  LLVMTypeRef lpt[6] = {t->ptr, t->i32, t->i32, t->i32, t->i64, t->ptr};
  uint32_t kth = (uint32_t)((rec - code->import_calls) / WASM_IMPORT_CALL_WORDS);
  LLVMValueRef largs[6] = {t->ctx, st, c32(t, def), c32(t, kth), t->frame, slots};
  LLVMValueRef lc = call_c(t, HELPER(wasm_native_leave), t->vd, lpt, 6, largs);
  LLVMAddCallSiteAttribute(lc, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(t->cx, LLVMGetEnumAttributeKindForName("cold", 4), 0));
  return_leaving(t);

  LLVMPositionBuilderAtEnd(t->b, cont);
  uint32_t nres = ft->nresults;
  LLVMValueRef res[nres ? nres : 1];
  for (uint32_t i = 0; i < nres; i++)
    res[i] = from_raw(t, LLVMBuildLoad2(t->b, t->i64, gep8(t, slots, c64(t, (uint64_t)i * 8)), ""),
                      ft->results[i]);
  /* An OSR entry resumes here too (translate.h WASM_NATIVE_RESUME_BASE)
   * when every construct around began on an empty stack: the block
   * `resume` reloads the stack below the arguments and the results from the
   * frame (the locals the entry loaded already), and the code goes on
   * with phis of the two. */
  bool resumable = t->osr;
  for (uint32_t i = 1; i < t->nctl && resumable; i++) resumable = t->ctls[i].height == 0;
  if (resumable) {
    LLVMBasicBlockRef called = LLVMGetInsertBlock(t->b), resume = new_bb(t, "resume"),
                      merge = new_bb(t, "continue");
    LLVMBuildBr(t->b, merge);
    uint32_t k = (uint32_t)((rec - code->import_calls) / WASM_IMPORT_CALL_WORDS);
    LLVMAddCase(t->osr_switch, c32(t, WASM_NATIVE_RESUME_BASE + k), resume);
    LLVMPositionBuilderAtEnd(t->b, resume);
    LLVMValueRef rfp = LLVMGetParam(t->fn, 1);
    LLVMValueRef sv[below ? below : 1], rv[nres ? nres : 1];
    for (uint32_t p = 0; p < below; p++)
      sv[p] = from_raw(t, LLVMBuildLoad2(t->b, t->i64, gep8(t, rfp, c64(t, ((uint64_t)t->nlocals + p) * 8)), ""),
                       type_of(t, t->stack[p]));
    for (uint32_t i = 0; i < nres; i++)
      rv[i] = from_raw(t, LLVMBuildLoad2(t->b, t->i64, gep8(t, rfp, c64(t, (argbase + i) * 8)), ""),
                       ft->results[i]);
    LLVMBuildBr(t->b, merge);
    LLVMPositionBuilderAtEnd(t->b, merge);
    for (uint32_t p = 0; p < below; p++) {
      LLVMValueRef phi = LLVMBuildPhi(t->b, LLVMTypeOf(t->stack[p]), "");
      LLVMValueRef in[2] = {t->stack[p], sv[p]};
      LLVMBasicBlockRef from[2] = {called, resume};
      LLVMAddIncoming(phi, in, from, 2);
      t->stack[p] = phi;
    }
    for (uint32_t i = 0; i < nres; i++) {
      LLVMValueRef phi = LLVMBuildPhi(t->b, LLVMTypeOf(res[i]), "");
      LLVMValueRef in[2] = {res[i], rv[i]};
      LLVMBasicBlockRef from[2] = {called, resume};
      LLVMAddIncoming(phi, in, from, 2);
      res[i] = phi;
    }
  }
  for (uint32_t i = 0; i < nres; i++) push(t, res[i]);
  reload_mem(t); /* the host may have grown the memory */
}

static void emit_call(tr *t, uint32_t func) {
  if (func < t->m->nimported_funcs) {
    emit_import_call(t, func);
    return;
  }
  uint32_t def = func - t->m->nimported_funcs;
  if (!t->fns[def]) {
    fail(t, "call to a function that is not native");
    return;
  }
  const tova_functype *ft = wasm_func_type(t->m, func);
  if (!t->frame_checked) frame_check(t);
  LLVMValueRef args[ft->nparams + 2];
  args[0] = t->ctx;
  for (uint32_t i = ft->nparams; i > 0; i--) args[i + 1] = pop(t);
  uint32_t below = t->sp;
  args[1] = callee_frame(t, below);
  LLVMValueRef r = LLVMBuildCall2(t->b, t->fntys[def], t->fns[def], args, ft->nparams + 2, "");
  /* Not a tail call (allow_self_tail_calls says when a self-call may be):
   * tail-recursion elimination would turn runaway recursion into an endless
   * loop where WebAssembly exhausts the stack. */
  if (!(func == t->self && t->self_tail_ok)) LLVMSetTailCallKind(r, LLVMTailCallKindNoTail);
  if (t->may_leave[def]) leave_after_call(t, below);
  if (ft->nresults == 1) push(t, r);
  else
    for (uint32_t i = 0; i < ft->nresults; i++) push(t, LLVMBuildExtractValue(t->b, r, i, ""));
  reload_mem(t); /* the callee may have grown the memory */
}

/* One instruction. False stops the function (failure recorded). */
static bool emit_instr(tr *t, const wasm_instr *in, wasm_reader *r) {
  (void)r;
  switch (in->op) {
    case WASM_OP_BLOCK: case WASM_OP_LOOP: case WASM_OP_IF: emit_block_start(t, in); return true;
    case WASM_OP_ELSE: emit_else(t); return true;
    case WASM_OP_END: emit_end(t); return true;
    default: break;
  }
  if (t->dead) return true; /* dead code: only the nesting matters */
  switch (in->op) {
    case WASM_OP_UNREACHABLE:
      LLVMBuildBr(t->b, trap_block(t, WASM_NT_UNREACHABLE));
      t->dead = true;
      return true;
    case WASM_OP_NOP: return true;
    case WASM_OP_BR:
      br_to(t, &t->ctls[t->nctl - 1 - in->a]);
      t->dead = true;
      return true;
    case WASM_OP_BR_IF: {
      LLVMValueRef c = pop(t);
      tr_ctl *target = &t->ctls[t->nctl - 1 - in->a];
      add_incoming(t, target);
      LLVMBasicBlockRef cont = new_bb(t, "brif");
      LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, c, c32(t, 0), ""), label_bb(target),
                      cont);
      LLVMPositionBuilderAtEnd(t->b, cont);
      return true;
    }
    case WASM_OP_BR_TABLE: emit_br_table(t, in); return true;
    case WASM_OP_RETURN:
      br_to(t, &t->ctls[0]);
      t->dead = true;
      return true;
    case WASM_OP_CALL: emit_call(t, in->a); return !t->failed;
    case WASM_OP_CALL_INDIRECT: emit_call_indirect(t, in->a, in->b); return !t->failed;
    case WASM_OP_DROP: pop(t); return true;
    case WASM_OP_SELECT: case WASM_OP_SELECT_T: {
      LLVMValueRef c = pop(t), b = pop(t), a = pop(t);
      push(t, LLVMBuildSelect(t->b, LLVMBuildICmp(t->b, LLVMIntNE, c, c32(t, 0), ""), a, b, ""));
      return true;
    }
    case WASM_OP_LOCAL_GET:
      push(t, LLVMBuildLoad2(t->b, vt(t, t->local_types[in->a]), t->locals[in->a], ""));
      if (t->local_types[in->a] == TOVA_I32) note_src(t, t->stack[t->sp - 1], in->a);
      return true;
    case WASM_OP_LOCAL_SET:
      LLVMBuildStore(t->b, pop(t), t->locals[in->a]);
      t->local_ver[in->a]++;
      return true;
    case WASM_OP_LOCAL_TEE:
      LLVMBuildStore(t->b, t->stack[t->sp - 1], t->locals[in->a]);
      t->local_ver[in->a]++;
      if (t->local_types[in->a] == TOVA_I32) note_src(t, t->stack[t->sp - 1], in->a);
      return true;
    case WASM_OP_GLOBAL_GET: {
      uint8_t ty = t->m->global_types[in->a].type;
      push(t, LLVMBuildLoad2(t->b, vt(t, ty), global_ptr(t, in->a), ""));
      return true;
    }
    case WASM_OP_GLOBAL_SET: {
      uint8_t ty = t->m->global_types[in->a].type;
      LLVMValueRef v = to_raw(t, pop(t), ty); /* the whole slot, as the interpreter writes it */
      LLVMBuildStore(t->b, v, global_ptr(t, in->a));
      return true;
    }
    case WASM_OP_TABLE_GET:
    { /* i -> helper(table, i) */
      LLVMValueRef i = pop(t);
      push(t, c32(t, in->a));
      push(t, i);
      call_helper(t, HELPER(wasm_native_table_get), t->ptr, 2, "ii", true);
      return true;
    }
    case WASM_OP_TABLE_SET: { /* i v -> helper(table, i, v) */
      LLVMValueRef v = pop(t), i = pop(t);
      push(t, c32(t, in->a));
      push(t, i);
      push(t, v);
      call_helper(t, HELPER(wasm_native_table_set), t->vd, 3, "iip", false);
      return true;
    }
    case WASM_OP_I32_LOAD: case WASM_OP_I64_LOAD: case WASM_OP_F32_LOAD: case WASM_OP_F64_LOAD:
    case WASM_OP_I32_LOAD8_S: case WASM_OP_I32_LOAD8_U: case WASM_OP_I32_LOAD16_S:
    case WASM_OP_I32_LOAD16_U: case WASM_OP_I64_LOAD8_S: case WASM_OP_I64_LOAD8_U:
    case WASM_OP_I64_LOAD16_S: case WASM_OP_I64_LOAD16_U: case WASM_OP_I64_LOAD32_S:
    case WASM_OP_I64_LOAD32_U:
      emit_load(t, in);
      return true;
    case WASM_OP_I32_STORE: case WASM_OP_I64_STORE: case WASM_OP_F32_STORE: case WASM_OP_F64_STORE:
    case WASM_OP_I32_STORE8: case WASM_OP_I32_STORE16: case WASM_OP_I64_STORE8:
    case WASM_OP_I64_STORE16: case WASM_OP_I64_STORE32:
      emit_store(t, in);
      return true;
    case WASM_OP_MEMORY_SIZE: {
      LLVMValueRef ms = LLVMBuildLoad2(t->b, t->i64, t->ms_slot, "");
      push(t, LLVMBuildTrunc(t->b, LLVMBuildLShr(t->b, ms, c64(t, 16), ""), t->i32, ""));
      return true;
    }
    case WASM_OP_MEMORY_GROW:
      call_helper(t, HELPER(wasm_native_memory_grow), t->i32, 1, "i", true);
      reload_mem(t);
      return true;
    case WASM_OP_I32_CONST: push(t, c32(t, (uint32_t)in->value)); return true;
    case WASM_OP_I64_CONST: push(t, c64(t, in->value)); return true;
    case WASM_OP_F32_CONST:
      push(t, LLVMConstBitCast(c32(t, (uint32_t)in->value), t->f32));
      return true;
    case WASM_OP_F64_CONST: push(t, LLVMConstBitCast(c64(t, in->value), t->f64)); return true;
    case WASM_OP_REF_NULL: push(t, LLVMConstNull(t->ptr)); return true;
    case WASM_OP_REF_IS_NULL:
      push(t, bool_i32(t, LLVMBuildIsNull(t->b, pop(t), "")));
      return true;
    case WASM_OP_REF_FUNC:
      push(t, c32(t, in->a));
      call_helper(t, HELPER(wasm_native_ref_func), t->ptr, 1, "i", true);
      return true;
    default: break;
  }
  if (emit_numeric(t, in)) return true;
  if (in->op != WASM_OP_PREFIX_FC) {
    fail(t, "unsupported instruction");
    return false;
  }
  switch (in->sub) {
    case WASM_FC_MEMORY_INIT: { /* d s n -> helper(seg, d, s, n) */
      LLVMValueRef n = pop(t), s = pop(t), d = pop(t);
      push(t, c32(t, in->a));
      push(t, d);
      push(t, s);
      push(t, n);
      call_helper(t, HELPER(wasm_native_memory_init), t->vd, 4, "iiii", false);
      return true;
    }
    case WASM_FC_DATA_DROP:
      push(t, c32(t, in->a));
      call_helper(t, HELPER(wasm_native_data_drop), t->vd, 1, "i", false);
      return true;
    case WASM_FC_MEMORY_COPY:
      call_helper(t, HELPER(wasm_native_memory_copy), t->vd, 3, "iii", false);
      return true;
    case WASM_FC_MEMORY_FILL:
      call_helper(t, HELPER(wasm_native_memory_fill), t->vd, 3, "iii", false);
      return true;
    case WASM_FC_TABLE_INIT: { /* d s n -> helper(seg, table, d, s, n) */
      LLVMValueRef n = pop(t), s = pop(t), d = pop(t);
      push(t, c32(t, in->a));
      push(t, c32(t, in->b));
      push(t, d);
      push(t, s);
      push(t, n);
      call_helper(t, HELPER(wasm_native_table_init), t->vd, 5, "iiiii", false);
      return true;
    }
    case WASM_FC_ELEM_DROP:
      push(t, c32(t, in->a));
      call_helper(t, HELPER(wasm_native_elem_drop), t->vd, 1, "i", false);
      return true;
    case WASM_FC_TABLE_COPY: { /* d s n -> helper(dt, st, d, s, n) */
      LLVMValueRef n = pop(t), s = pop(t), d = pop(t);
      push(t, c32(t, in->a));
      push(t, c32(t, in->b));
      push(t, d);
      push(t, s);
      push(t, n);
      call_helper(t, HELPER(wasm_native_table_copy), t->vd, 5, "iiiii", false);
      return true;
    }
    case WASM_FC_TABLE_GROW: { /* init n -> helper(table, init, n) */
      LLVMValueRef n = pop(t), v = pop(t);
      push(t, c32(t, in->a));
      push(t, v);
      push(t, n);
      call_helper(t, HELPER(wasm_native_table_grow), t->i32, 3, "ipi", true);
      return true;
    }
    case WASM_FC_TABLE_SIZE:
      push(t, c32(t, in->a));
      call_helper(t, HELPER(wasm_native_table_size), t->i32, 1, "i", true);
      return true;
    case WASM_FC_TABLE_FILL: { /* i v n -> helper(table, i, v, n) */
      LLVMValueRef n = pop(t), v = pop(t), i = pop(t);
      push(t, c32(t, in->a));
      push(t, i);
      push(t, v);
      push(t, n);
      call_helper(t, HELPER(wasm_native_table_fill), t->vd, 4, "iipi", false);
      return true;
    }
    default:
      fail(t, "unsupported instruction");
      return false;
  }
}

/* The stub through which quick code calls defined function def, which
 * has no code the unit can link to (translate.h interp): the callee's
 * signature, so that direct calls and call_indirect's table reach it as
 * they would its code. It calls the code in def's slot (rt.h
 * wasm_native_ctx.slots) once there is some; until then the interpreter
 * runs the call in the callee's frame (rt.h wasm_native_call_interp).
 * When that call parked, the stub returns at once with ctx->leaving set,
 * and its caller leaves (leave_after_call: def may leave, since only a
 * call reaching an import can park). */
static void emit_interp_stub(tr *t, uint32_t def) {
  const tova_functype *ft = &t->m->types[t->m->func_defs[def].type_index];
  LLVMValueRef fn = t->fns[def];
  LLVMPositionBuilderAtEnd(t->b, LLVMAppendBasicBlockInContext(t->cx, fn, "entry"));
  LLVMValueRef ctx = LLVMGetParam(fn, 0);
  LLVMTypeRef rt = ret_type(t, ft);
  /* Its code, once some unit has made code other units can call (rt.h
   * wasm_native_ctx.slots): called in its place, the arguments as given. */
  LLVMValueRef table = load_inv(t, t->ptr, ctx, offsetof(wasm_native_ctx, slots));
  LLVMValueRef target = LLVMBuildLoad2(t->b, t->ptr, gep8(t, table, c64(t, (uint64_t)def * sizeof(void *))), "");
  LLVMSetOrdering(target, LLVMAtomicOrderingAcquire);
  LLVMSetAlignment(target, sizeof(void *));
  LLVMBasicBlockRef linked = LLVMAppendBasicBlockInContext(t->cx, fn, "linked"),
                    via = LLVMAppendBasicBlockInContext(t->cx, fn, "interp");
  LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, target, LLVMConstNull(t->ptr), ""), linked, via);
  LLVMPositionBuilderAtEnd(t->b, linked);
  {
    LLVMValueRef args[ft->nparams + 2];
    for (uint32_t i = 0; i < ft->nparams + 2; i++) args[i] = LLVMGetParam(fn, i);
    LLVMValueRef r = LLVMBuildCall2(t->b, t->fntys[def], target, args, ft->nparams + 2, "");
    if (LLVMGetTypeKind(rt) == LLVMVoidTypeKind) LLVMBuildRetVoid(t->b);
    else LLVMBuildRet(t->b, r);
  }
  LLVMPositionBuilderAtEnd(t->b, via);
  ret_through_interp(t, fn, def, false);
}

/* void entry(ctx, uint64_t *fp): arguments from fp[0..), results to fp[0..),
 * the function called as the outermost native call (depth 0, its frame the
 * entry's). The results go to the frame as it is then: the stack may have
 * moved (rt.c reserve_frames). */
static void emit_entry(tr *t, uint32_t def) {
  const tova_functype *ft = &t->m->types[t->m->func_defs[def].type_index];
  char name[32];
  snprintf(name, sizeof name, WASM_NATIVE_ENTRY_FMT, def);
  LLVMTypeRef pt[2] = {t->ptr, t->ptr};
  LLVMValueRef e = LLVMAddFunction(t->mod, name, LLVMFunctionType(t->vd, pt, 2, 0));
  LLVMPositionBuilderAtEnd(t->b, LLVMAppendBasicBlockInContext(t->cx, e, "entry"));
  LLVMValueRef ctx = LLVMGetParam(e, 0), fp = LLVMGetParam(e, 1);
  LLVMValueRef args[ft->nparams + 2];
  args[0] = ctx;
  LLVMValueRef fpo = LLVMBuildLoad2(t->b, t->i32, gep8(t, ctx, c64(t, offsetof(wasm_native_ctx, fpo))), "");
  args[1] = LLVMBuildZExt(t->b, fpo, t->i64, "");
  for (uint32_t i = 0; i < ft->nparams; i++) {
    LLVMValueRef p = gep8(t, fp, c64(t, (uint64_t)i * 8));
    args[i + 2] = from_raw(t, LLVMBuildLoad2(t->b, t->i64, p, ""), ft->params[i]);
  }
  LLVMValueRef r = LLVMBuildCall2(t->b, t->fntys[def], t->fns[def], args, ft->nparams + 2, "");
  if (ft->nresults) {
    LLVMValueRef ex = LLVMBuildLoad2(t->b, t->ptr, gep8(t, ctx, c64(t, offsetof(wasm_native_ctx, exec))), "");
    LLVMValueRef stack = LLVMBuildLoad2(t->b, t->ptr, gep8(t, ex, c64(t, offsetof(tova_exec, stack))), "");
    fp = gep8(t, stack, LLVMBuildShl(t->b, LLVMBuildZExt(t->b, fpo, t->i64, ""), c64(t, 3), ""));
  }
  for (uint32_t i = 0; i < ft->nresults; i++) {
    LLVMValueRef v = ft->nresults == 1 ? r : LLVMBuildExtractValue(t->b, r, i, "");
    LLVMBuildStore(t->b, to_raw(t, v, ft->results[i]), gep8(t, fp, c64(t, (uint64_t)i * 8)));
  }
  LLVMBuildRetVoid(t->b);
}

bool wasm_native_translate(const tova_module *m, const bool *unit, const bool *done,
                           const bool *poll_entry, bool internal, const bool *keep_calls,
                           const bool *osr, const bool *interp, const bool *may_leave,
                           const bool *closed_tables, bool wrappers, bool quick, LLVMContextRef cx,
                           LLVMModuleRef mod, char *err, size_t errlen) {
  tr t;
  memset(&t, 0, sizeof t);
  t.m = m;
  t.quick = quick;
  t.by_slot = quick || interp;
  t.keep_calls = keep_calls;
  t.poll_entry = poll_entry;
  t.closed = closed_tables;
  t.signalled = wasm_native_preempt_active();
  t.cx = cx;
  t.mod = mod;
  t.err = err;
  t.errlen = errlen;
  t.b = LLVMCreateBuilderInContext(cx);
  t.i1 = LLVMInt1TypeInContext(cx);
  t.i8 = LLVMInt8TypeInContext(cx);
  t.i32 = LLVMInt32TypeInContext(cx);
  t.i64 = LLVMInt64TypeInContext(cx);
  t.f32 = LLVMFloatTypeInContext(cx);
  t.f64 = LLVMDoubleTypeInContext(cx);
  t.ptr = LLVMPointerTypeInContext(cx, 0);
  t.vd = LLVMVoidTypeInContext(cx);
  t.md_invariant = LLVMGetMDKindIDInContext(cx, "invariant.load", 14);
  t.md_empty = LLVMMetadataAsValue(cx, LLVMMDNodeInContext2(cx, NULL, 0));
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  t.fns = calloc(ndefs + 1, sizeof *t.fns);
  t.fntys = calloc(ndefs + 1, sizeof *t.fntys);
  t.osr_fns = calloc(ndefs + 1, sizeof *t.osr_fns);
  t.stub = calloc(ndefs + 1, sizeof *t.stub);
  if (!t.fns || !t.fntys || !t.osr_fns || !t.stub) fail(&t, "out of memory");
  /* Which functions may leave (rt.h): those that call imports, and their
   * callers, to any depth. */
  t.may_leave = may_leave;
  for (uint32_t d = 0; d < ndefs; d++) t.any_may_leave |= may_leave[d];
  /* OSR entries: uint32_t osr(ctx, uint64_t *fp, uint32_t loop) */
  for (uint32_t d = 0; osr && d < ndefs && !t.failed; d++) {
    if (!osr[d]) continue;
    char name[32];
    snprintf(name, sizeof name, WASM_NATIVE_OSR_FMT, d);
    LLVMTypeRef pt[3] = {t.ptr, t.ptr, t.i32};
    t.osr_fns[d] = LLVMAddFunction(mod, name, LLVMFunctionType(t.i32, pt, 3, 0));
  }
  /* Declare first: bodies call each other in any order. Functions of earlier
   * units are declared only; the JIT links the calls to their code. */
  for (uint32_t d = 0; d < ndefs && !t.failed; d++) {
    bool stub = interp && interp[d] && !unit[d] && !(done && done[d]);
    if (!unit[d] && !(done && done[d]) && !stub) continue;
    const tova_functype *ft = &m->types[m->func_defs[d].type_index];
    LLVMTypeRef pt[ft->nparams + 2];
    pt[0] = t.ptr;
    pt[1] = t.i64; /* rt.h WASM_NATIVE_FRAME */
    for (uint32_t i = 0; i < ft->nparams; i++) pt[i + 2] = vt(&t, ft->params[i]);
    char name[32];
    snprintf(name, sizeof name, stub ? WASM_NATIVE_STUB_FMT : WASM_NATIVE_FUNC_FMT, d);
    t.fntys[d] = LLVMFunctionType(ret_type(&t, ft), pt, ft->nparams + 2, 0);
    t.fns[d] = LLVMAddFunction(mod, name, t.fntys[d]);
    t.stub[d] = stub;
    if (stub) LLVMSetLinkage(t.fns[d], LLVMInternalLinkage);
    /* Internal when no later unit can call it: LLVM may then change its
     * calling convention and drop it once inlined everywhere. */
    if (unit[d] && internal) LLVMSetLinkage(t.fns[d], LLVMInternalLinkage);
  }
  for (uint32_t d = 0; d < ndefs && !t.failed; d++)
    if (t.stub[d]) emit_interp_stub(&t, d);
  for (uint32_t d = 0; d < ndefs && !t.failed; d++) {
    if (!unit[d]) continue;
    emit_function(&t, d);
    for (uint32_t i = 0; i < t.nctl; i++) free_ctl(&t.ctls[i]);
    t.nctl = 0;
    if (!t.failed && wrappers) emit_entry(&t, d);
  }
  for (uint32_t d = 0; osr && d < ndefs && !t.failed; d++) {
    if (!osr[d]) continue;
    t.osr_fn = t.osr_fns[d];
    t.osr = true;
    emit_function(&t, d);
    t.osr = false;
    for (uint32_t i = 0; i < t.nctl; i++) free_ctl(&t.ctls[i]);
    t.nctl = 0;
  }
  free(t.istubs);
  free(t.stub);
  free(t.osr_fns);
  free(t.stack);
  free(t.chks);
  free(t.ctls);
  free(t.fns);
  free(t.fntys);
  LLVMDisposeBuilder(t.b);
  return !t.failed;
}
