/*
 * layout.h: the structure layout the stencils read, as both sides see it.
 *
 * The stencils are compiled by another compiler invocation than the library
 * (clang for an ELF target, freestanding: on macOS its own objects would be
 * Mach-O, so the ELF object is made with --target=aarch64-unknown-linux-gnu
 * there), and they read the runtime's structures directly. Should the two
 * ever lay a structure out differently (another ABI's type sizes, a header
 * seen through other macros), the code would read the wrong fields. So
 * stencils.c stores every size and offset it depends on in the object
 * (wasm_stencil_layout), and library.c refuses an object whose numbers are
 * not the library's own: the tier stays off and the interpreter runs
 * everything. One list, used by both.
 */
#ifndef TOVA_ENGINE_STENCIL_LAYOUT_H
#define TOVA_ENGINE_STENCIL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/exec.h"

#define WASM_STENCIL_LAYOUT(X)                                                                    \
  X(sizeof(wasm_cell)) X(sizeof(wasm_frame)) X(offsetof(wasm_frame, ret_pc))                        \
  X(offsetof(wasm_frame, fp_off)) X(offsetof(wasm_frame, inst))                                    \
  X(offsetof(tova_exec, interrupt)) X(offsetof(tova_exec, fp_off)) X(offsetof(tova_exec, stack))   \
  X(offsetof(tova_exec, slimit)) X(offsetof(tova_exec, fsp)) X(offsetof(tova_exec, fend))          \
  X(offsetof(wasm_code, cells)) X(offsetof(wasm_code, frame_slots)) X(offsetof(wasm_code, nparams)) \
  X(offsetof(wasm_code, nlocals)) X(offsetof(tova_func, type)) X(offsetof(tova_func, instance))    \
  X(offsetof(tova_func, code)) X(offsetof(tova_func, host)) X(offsetof(tova_table, size))          \
  X(offsetof(tova_table, elems)) X(offsetof(tova_instance, module))                                \
  X(offsetof(tova_instance, tables)) X(offsetof(tova_instance, globals))                           \
  X(offsetof(tova_instance, mem0)) X(offsetof(tova_global, value)) X(offsetof(tova_memory, pages)) \
  X(offsetof(tova_module, types)) X(sizeof(tova_functype)) X(sizeof(tova_val))

#define WASM_STENCIL_LAYOUT_ENTRY(v) (uint32_t)(v),

#endif /* TOVA_ENGINE_STENCIL_LAYOUT_H */
