/*
 * perfmap.c: the perf map of linked units (see perfmap.h).
 *
 * An object from the translator has its functions in one text section
 * (code_range.h finds where it landed); every symbol's offset in it gives
 * the rest.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/Object.h>

#include "engine/native/code_range.h"
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
  uintptr_t start;
  size_t size;
  if (wasm_native_code_range(jit, bin, entry_name, &start, &size)) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    pthread_mutex_lock(&map_lock);
    FILE *f = fopen(path, "a");
    if (f) {
      /* Symbols in the text section, at their offsets from its start. */
      LLVMSectionIteratorRef text = LLVMObjectFileCopySectionIterator(bin);
      uint64_t entry_addr = 0;
      bool have_text = wasm_native_entry_section(bin, entry_name, text, &entry_addr);
      uint64_t text_addr = have_text ? LLVMGetSectionAddress(text) : 0;
      LLVMSymbolIteratorRef s = LLVMObjectFileCopySymbolIterator(bin);
      for (; have_text && !LLVMObjectFileIsSymbolIteratorAtEnd(bin, s); LLVMMoveToNextSymbol(s)) {
        const char *name = LLVMGetSymbolName(s);
        uint64_t sz = LLVMGetSymbolSize(s);
        if (!name || !sz || strncmp(name, ".L", 2) == 0 || !LLVMGetSectionContainsSymbol(text, s)) continue;
        fprintf(f, "%" PRIxPTR " %" PRIx64 " %s\n", start + (uintptr_t)(LLVMGetSymbolAddress(s) - text_addr), sz,
                name);
      }
      LLVMDisposeSectionIterator(text);
      LLVMDisposeSymbolIterator(s);
      fclose(f);
    }
    pthread_mutex_unlock(&map_lock);
  }
  LLVMDisposeBinary(bin);
}
