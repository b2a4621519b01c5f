/*
 * widen.h: i32 phis used as addresses become i64 phis (widen.c), between
 * LLVM's optimiser and its code generator.
 */
#ifndef TOVA_ENGINE_NATIVE_WIDEN_H
#define TOVA_ENGINE_NATIVE_WIDEN_H

#include <llvm-c/Core.h>

void wasm_native_widen_addresses(LLVMModuleRef mod);

#endif /* TOVA_ENGINE_NATIVE_WIDEN_H */
