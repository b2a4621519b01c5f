/*
 * translate.h: WebAssembly function bodies -> one LLVM IR module (translate.c).
 */
#ifndef TOVA_ENGINE_NATIVE_TRANSLATE_H
#define TOVA_ENGINE_NATIVE_TRANSLATE_H

#include <llvm-c/Core.h>

#include "engine/module.h"
#include "engine/native/names.h" /* the names of entry wrappers, functions and OSR entries */

/* Adds to `mod` (created in `cx`) one function per defined function with
 * unit[def] set, plus its entry wrapper. They may call functions with
 * done[def] set (compiled into the same JIT by an earlier unit: declared
 * here, named "wasm_f<def>", external), each other, and in quick units the
 * functions of interp (below) through stubs; nothing else (done may be
 * NULL). poll_entry[def]: the function polls the interrupt flag on entry
 * (the recursive ones: wasm_native_in_cycle). internal: no later unit will call this unit's functions. False
 * (with a message in err, and `mod` unusable) when a body uses something the
 * translator refuses; the caller then leaves the unit interpreted.
 * keep_calls: see WASM_NATIVE_SELF_TAIL_ATTR below. may_leave (per defined
 * function, wasm_native_may_leave) and closed_tables (per table,
 * wasm_native_callgraph's closed) are the module's, computed once for all
 * its units (tiering.h native_state). */
bool wasm_native_translate(const tova_module *m, const bool *unit, const bool *done,
                           const bool *poll_entry, bool internal, const bool *keep_calls,
                           const bool *osr, const bool *interp, const bool *may_leave,
                           const bool *closed_tables, bool wrappers, bool quick, LLVMContextRef cx,
                           LLVMModuleRef mod, char *err, size_t errlen);

/* quick: the quick tier's code (jit.h quick). Its OSR entries leave for
 * the optimised entry (tier_up, below). Every call passes its callee's
 * frame, since a callee may call through the interpreter.
 * interp (may be NULL: quick units, and optimised units of a closure too
 * big to compile whole, tier.c W_SPLIT): functions that the unit's
 * functions call and that are neither in the unit nor done: each gets a
 * stub (WASM_NATIVE_STUB_FMT, internal) with its signature, which calls the
 * code in the function's slot, or has the interpreter make the call (rt.h
 * wasm_native_call_interp), so that the unit needs no code of the rest of
 * its closure; such a unit finds call_indirect's callees by their slots
 * too. */
#define WASM_NATIVE_STUB_FMT "wasm_i%u"

/* Entry wrappers (WASM_NATIVE_ENTRY_FMT) are added for the unit's functions
 * when `wrappers` is set (a unit of OSR entries alone has none: its
 * functions are internal copies). On-stack replacement: for each def with
 * osr[def] set (osr may be NULL; def must be in the unit or done) the unit
 * gets the OSR entry
 *   uint32_t name(ctx, uint64_t *fp, uint32_t loop)
 * It continues a call of def that the interpreter is running, from the
 * header of its `loop`-th loop (counting every `loop` instruction of the
 * body in order, from 0), with the function's locals in fp[0..nlocals) (the
 * interpreter's frame at a LOOP_HEAD, compile.h) and the operand stack
 * empty. It runs the call to its end, leaves the results in fp[0..) as an
 * entry wrapper does, and returns 1; or returns 0 at once, having done
 * nothing, for a loop it has no entry for (one with parameters or values
 * below it on the stack). With quick (the quick tier's entries), it also
 * tests *ctx->tier_up at each loop header it can start at and, once that
 * is set, leaves there for the optimised entry: the locals into the frame,
 * and WASM_NATIVE_OSR_AT_LOOP + the loop's ordinal returned (rt.h). */
/* (its name: names.h WASM_NATIVE_OSR_FMT) */
/* An OSR entry of a function that calls imports also continues a call that
 * its native code left where an import parked (rt.h wasm_native_leave):
 * `loop` = WASM_NATIVE_RESUME_BASE (rt.h) + k resumes just after the function's
 * k-th import call (compile.h import_calls order), with the locals and the
 * operand stack below the call's arguments in the frame as the code left
 * them and the call's results at its argbase. Only where every construct
 * around the call began on an empty operand stack (as at the loop headers
 * an entry starts at): the values the code after the call uses are then
 * the locals, and the stack the call leaves, all of which it reloads.
 * Elsewhere it returns 0, and the interpreter continues the call. */

/* Self-calls: a function may let them become loops (allow_self_tail_calls
 * in translate.c) unless keep_calls[def] is set (keep_calls may be NULL);
 * such a function carries the string attribute WASM_NATIVE_SELF_TAIL_ATTR,
 * and the caller checks after optimising that a call to itself remains
 * (jit.c), translating the unit again with keep_calls set for each function
 * where none does. */
#define WASM_NATIVE_SELF_TAIL_ATTR "tova-self-tail"

#endif /* TOVA_ENGINE_NATIVE_TRANSLATE_H */
