/*
 * names.h: the symbols of the translator's objects that code outside LLVM
 * looks up (jit.c, link.c): translate.h says what each one is.
 */
#ifndef TOVA_ENGINE_NATIVE_NAMES_H
#define TOVA_ENGINE_NATIVE_NAMES_H

/* Entry wrapper of defined function def: void name(wasm_native_ctx *, uint64_t *fp). */
#define WASM_NATIVE_ENTRY_FMT "tova_entry_%u"
/* Defined function def's own code ("wasm_f%u"). */
#define WASM_NATIVE_FUNC_PREFIX "wasm_f"
#define WASM_NATIVE_FUNC_FMT WASM_NATIVE_FUNC_PREFIX "%u"
/* Defined function def's OSR entry (translate.h). */
#define WASM_NATIVE_OSR_FMT "tova_osr_%u"

#endif /* TOVA_ENGINE_NATIVE_NAMES_H */
