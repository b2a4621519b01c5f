/*
 * stencil.h: the stencil tier, the interpreter's code compiled by copying.
 *
 * WHAT. When a module is compiled, every function's internal code
 * (compile.h) is also turned into machine code by copy-and-patch: each
 * instruction's body (iop_bodies.h) was compiled by clang at build time into
 * a stencil (stencils.c), a few instructions with holes for its operands;
 * emit.c copies one stencil per instruction of the function, one after the
 * other, and patches the holes: frame slots become displacements, constants
 * go to a pool beside the code, branches jump to their target's stencil.
 * What the interpreter spends on every instruction (the dispatch jump,
 * reading operand cells) disappears; what is left reads and writes the
 * frame as the interpreter does.
 *
 * WHY IT IS SAFE TO MIX WITH THE INTERPRETER. The code runs in the
 * interpreter's own frame (fp, the same slots), on the interpreter's stack
 * of frames: it is the interpreter's state with the dispatch compiled away,
 * not a native frame. So everything the interpreter owns stays its own:
 *   - Calls within the instance and returns into stencil code are made by
 *     the code as the interpreter makes them: a wasm_frame pushed on the
 *     execution's frames, the callee entered in its own frame. An
 *     instruction the tier has no stencil for (imports, memory.grow, table
 *     operations, the native tier's hooks, ...), and every slow case of
 *     one it has (no room for a frame, a callee that is native or of
 *     another instance), is left to the interpreter: the code returns that
 *     instruction's cell, and the frame it is in, and the interpreter runs
 *     it there, then continues at the next instruction. Nothing of a call
 *     lives on the C stack: a callee may park, a task may move to another
 *     thread.
 *   - Each instruction the tier compiled gets its first two cells replaced
 *     by JIT_AT native (iops.h): wherever the interpreter arrives (the
 *     instruction after a call, a branch target, a parked call resumed, a
 *     native-tier frame handed back), it jumps into the code there.
 *   - A trap or an interrupt ends the run: the code returns one of the
 *     WASM_STENCIL_* codes below and the interpreter traps with the same
 *     message its own handler gives (the body is the same text).
 * Functions and modules the tier cannot compile run as before.
 *
 * Built where clang can make ELF stencils for the machine (Linux and macOS
 * on x86-64 and AArch64; reloc.c holds what differs between the two
 * machines, layout.h why the object may be made for another system): elsewhere
 * wasm_stencil_module does nothing and the interpreter runs the code.
 */
#ifndef TOVA_ENGINE_STENCIL_H
#define TOVA_ENGINE_STENCIL_H

#include <stdbool.h>
#include <stdint.h>

/* What compiled code returns when it does not hand back a cell address
 * (every address is above WASM_STENCIL_LIMIT). */
enum wasm_stencil_exit {
  WASM_STENCIL_CANCELLED = 1, /* the execution was interrupted */
  WASM_STENCIL_TRAP_OOB_MEM,  /* "out of bounds memory access" */
  WASM_STENCIL_TRAP_DIV_ZERO, /* "integer divide by zero" */
  WASM_STENCIL_TRAP_OVERFLOW, /* "integer overflow" */
  WASM_STENCIL_TRAP_BAD_CONV, /* "invalid conversion to integer" */
  WASM_STENCIL_LIMIT = 64
};

/* The same value as acc (below), in a floating-point register (xmm0, v0),
 * where floating-point instructions take it: its first lane holds the bits
 * of acc, an f64 as it is, an f32 in its low half. */
typedef double wasm_stencil_facc __attribute__((vector_size(16)));

/* Entry into compiled code at one instruction (JIT_AT's operand): runs until
 * an instruction it leaves to the interpreter (returns that instruction's
 * first cell) or a WASM_STENCIL_* exit. Never changes memory's size. acc
 * and facc are the registers the code passes a value in from one
 * instruction to the next (stencils.c): an entry from outside passes
 * anything (0); no instruction that reads them is ever entered but by
 * falling into it. */
typedef uintptr_t (*wasm_stencil_entry)(uint64_t *fp, uint8_t *mbase, uint64_t msize,
                                        struct tova_exec *e, struct tova_instance *inst, uint64_t acc,
                                        wasm_stencil_facc facc);

struct tova_module;
/* Compiles every function of a module just compiled (before anything runs
 * it) and points its cells at the code; does nothing when the tier is off
 * (TOVA_STENCIL=off), not built, or refuses the module. */
void wasm_stencil_module(struct tova_module *m);
/* Unmaps a module's code (wasm_module_free). */
void wasm_stencil_module_free(struct tova_module *m);
/* Tests: compile later modules with the tier or without it. */
void wasm_stencil_set_enabled(bool on);
/* Built, readable, and not turned off. */
bool wasm_stencil_available(void);

#endif /* TOVA_ENGINE_STENCIL_H */
