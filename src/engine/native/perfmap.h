/*
 * perfmap.h: where a unit's functions landed, for profilers (perfmap.c).
 *
 * With TOVA_NATIVE_PERFMAP=1 in the environment, every unit the LLJIT links
 * appends one line per function to /tmp/perf-<pid>.map ("ADDR SIZE NAME" in
 * hex), the file `perf report` reads for code it has no ELF for. The names are
 * the translator's: wasm_f<N> (defined function N's body), tova_entry_<N> (its
 * entry from the interpreter). Off by default; costs nothing then.
 */
#ifndef TOVA_ENGINE_NATIVE_PERFMAP_H
#define TOVA_ENGINE_NATIVE_PERFMAP_H

#include <stdbool.h>

#include <llvm-c/LLJIT.h>

/* Whether TOVA_NATIVE_PERFMAP asks for the map. */
bool wasm_native_perfmap_wanted(void);

/* Records the functions of `obj` (the unit's object, before linking hands it
 * to the LLJIT: the caller keeps a copy) once `jit` has linked it; `entry_name` is one of its exported
 * symbols, looked up to learn where its text section landed. */
void wasm_native_perfmap_write(LLVMOrcLLJITRef jit, LLVMMemoryBufferRef obj, const char *entry_name);

#endif /* TOVA_ENGINE_NATIVE_PERFMAP_H */
