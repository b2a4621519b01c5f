/*
 * code_range.h: where a linked unit's machine code is (code_range.c), for
 * the preemption signal (preempt.h) and the profilers' map (perfmap.h).
 */
#ifndef TOVA_ENGINE_NATIVE_CODE_RANGE_H
#define TOVA_ENGINE_NATIVE_CODE_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Object.h>

/* The executable section of unit object `bin`, as `jit` linked it: its
 * address in this process (*start) and size, found from exported symbol
 * `entry_name` (looked up) and its offset in the section. False when that
 * fails or when a function of the object lies outside that section (the
 * translator's objects have one text section; anything else is refused
 * rather than half-covered). */
/* Moves `sec` to the section of exported symbol `entry_name` in `bin` and
 * gives the symbol's address in the object (*entry_addr). False when there
 * is no such symbol. */
bool wasm_native_entry_section(LLVMBinaryRef bin, const char *entry_name, LLVMSectionIteratorRef sec,
                                uint64_t *entry_addr);

bool wasm_native_code_range(LLVMOrcLLJITRef jit, LLVMBinaryRef bin, const char *entry_name,
                            uintptr_t *start, size_t *size);

#endif /* TOVA_ENGINE_NATIVE_CODE_RANGE_H */
