/*
 * code_range.c: a linked unit's text section (see code_range.h).
 */
#include <string.h>

#include <llvm-c/Core.h>

#include "engine/native/code_range.h"

bool wasm_native_entry_section(LLVMBinaryRef bin, const char *entry_name, LLVMSectionIteratorRef sec,
                                uint64_t *entry_addr) {
  LLVMSymbolIteratorRef sym = LLVMObjectFileCopySymbolIterator(bin);
  bool found = false;
  for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, sym); LLVMMoveToNextSymbol(sym)) {
    const char *name = LLVMGetSymbolName(sym);
    if (name && strcmp(name, entry_name) == 0) {
      *entry_addr = LLVMGetSymbolAddress(sym);
      LLVMMoveToContainingSection(sec, sym);
      found = !LLVMObjectFileIsSectionIteratorAtEnd(bin, sec);
      break;
    }
  }
  LLVMDisposeSymbolIterator(sym);
  return found;
}

bool wasm_native_code_range(LLVMOrcLLJITRef jit, LLVMBinaryRef bin, const char *entry_name,
                            uintptr_t *start, size_t *size) {
  LLVMOrcExecutorAddress entry = 0;
  LLVMErrorRef e = LLVMOrcLLJITLookup(jit, &entry, entry_name);
  if (e) {
    LLVMConsumeError(e);
    return false;
  }
  LLVMSectionIteratorRef sec = LLVMObjectFileCopySectionIterator(bin);
  LLVMSectionIteratorRef in = LLVMObjectFileCopySectionIterator(bin);
  uint64_t text_off = 0, text_addr = 0, text_size = 0;
  bool found = wasm_native_entry_section(bin, entry_name, sec, &text_off), ok = true;
  if (found) {
    text_addr = LLVMGetSectionAddress(sec);
    text_size = LLVMGetSectionSize(sec);
    /* Every function (a symbol with a size) in the same section: data (jump
     * tables, constants) may live elsewhere, code may not. */
    LLVMSymbolIteratorRef s = LLVMObjectFileCopySymbolIterator(bin);
    for (; ok && !LLVMObjectFileIsSymbolIteratorAtEnd(bin, s); LLVMMoveToNextSymbol(s)) {
      if (!LLVMGetSymbolSize(s) || LLVMGetSectionContainsSymbol(sec, s)) continue;
      LLVMMoveToContainingSection(in, s);
      if (LLVMObjectFileIsSectionIteratorAtEnd(bin, in)) continue; /* undefined: a helper */
      const char *sn = LLVMGetSectionName(in);
      if (sn && (strncmp(sn, ".text", 5) == 0 || strcmp(sn, "__text") == 0)) ok = false;
    }
    LLVMDisposeSymbolIterator(s);
  }
  LLVMDisposeSectionIterator(in);
  LLVMDisposeSectionIterator(sec);
  if (!found || !ok || text_off < text_addr) return false;
  *start = (uintptr_t)entry - (uintptr_t)(text_off - text_addr);
  *size = (size_t)text_size;
  return true;
}
