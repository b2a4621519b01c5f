/*
 * perfmap.c: the perf map of linked units (see perfmap.h).
 *
 * An object from the translator has its functions in one text section, so
 * one looked-up address gives the section's load address and every symbol's
 * offset in it gives the rest. Symbols of other sections are left out.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/Object.h>

#include "engine/native/perfmap.h"

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;

bool wasm_native_perfmap_wanted(void) {
  const char *v = getenv("TOVA_NATIVE_PERFMAP");
  return v && *v && strcmp(v, "0") != 0;
}

void wasm_native_perfmap_write(LLVMOrcLLJITRef jit, LLVMMemoryBufferRef obj, const char *entry_name) {
    char *msg = NULL;
  LLVMBinaryRef bin = LLVMCreateBinary(obj, NULL, &msg);
  if (!bin) {
    LLVMDisposeMessage(msg);
    return;
  }
  LLVMOrcExecutorAddress entry = 0;
  LLVMErrorRef e = LLVMOrcLLJITLookup(jit, &entry, entry_name);
  if (e) {
    LLVMConsumeError(e);
    LLVMDisposeBinary(bin);
    return;
  }
  /* The entry's offset in its section gives the section's load address. */
  LLVMSymbolIteratorRef it = LLVMObjectFileCopySymbolIterator(bin);
  LLVMSectionIteratorRef sec = LLVMObjectFileCopySectionIterator(bin);
  uint64_t text_off = 0;
  bool found = false;
  for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, it); LLVMMoveToNextSymbol(it)) {
    const char *name = LLVMGetSymbolName(it);
    if (name && strcmp(name, entry_name) == 0) {
      text_off = LLVMGetSymbolAddress(it);
      LLVMMoveToContainingSection(sec, it);
      found = true;
      break;
    }
  }
  const char *text_name = found ? LLVMGetSectionName(sec) : NULL;
  if (found && text_name) {
    uintptr_t base = (uintptr_t)entry - text_off;
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    pthread_mutex_lock(&map_lock);
    FILE *f = fopen(path, "a");
    if (f) {
      LLVMSymbolIteratorRef s = LLVMObjectFileCopySymbolIterator(bin);
      LLVMSectionIteratorRef in = LLVMObjectFileCopySectionIterator(bin);
      for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, s); LLVMMoveToNextSymbol(s)) {
        const char *name = LLVMGetSymbolName(s);
        uint64_t size = LLVMGetSymbolSize(s);
        if (!name || !size || strncmp(name, ".L", 2) == 0) continue;
        LLVMMoveToContainingSection(in, s);
        const char *sn = LLVMObjectFileIsSectionIteratorAtEnd(bin, in) ? NULL : LLVMGetSectionName(in);
        if (!sn || strcmp(sn, text_name) != 0) continue;
        fprintf(f, "%" PRIxPTR " %" PRIx64 " %s\n", base + (uintptr_t)LLVMGetSymbolAddress(s), size, name);
      }
      LLVMDisposeSectionIterator(in);
      LLVMDisposeSymbolIterator(s);
      fclose(f);
    }
    pthread_mutex_unlock(&map_lock);
  }
  LLVMDisposeSectionIterator(sec);
  LLVMDisposeSymbolIterator(it);
  LLVMDisposeBinary(bin);
}
