/*
 * objlink.h: linking a unit's object code into executable memory without
 * LLVM (objlink.c).
 *
 * Why: a unit found in the on-disk cache (cache.h) is an object file the
 * backend made earlier. Linking it through LLVM means loading LLVM first
 * (tova_llvm.so: ~15-20 ms of relocations, page faults and static
 * constructors before the first unit can run), which is most of what a
 * program run again waits for before its code is native. The objects our
 * backend makes are simple (one text section, constant pools and jump
 * tables, calls to the runtime's helpers and to earlier units by name), so
 * a small linker of our own links them at once, and a process whose units
 * all come from the cache never loads LLVM at all.
 *
 * What it links: ELF relocatable objects (ET_REL) for the machine it runs
 * on, with the relocations LLVM's position-independent small code model
 * emits there. Implemented for x86-64; anything else (arm64, Mach-O on
 * macOS, a relocation type it does not know, a symbol `resolve` cannot
 * find) is refused with the reason, and the caller links the object
 * through LLVM as before: never a wrong link, at worst the old cost.
 *
 * Unwind tables (.eh_frame) are not loaded: nothing unwinds through native
 * code (traps leave it by longjmp, rt.h), as with the JIT's objects.
 */
#ifndef TOVA_ENGINE_NATIVE_OBJLINK_H
#define TOVA_ENGINE_NATIVE_OBJLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wasm_objlink_symbol {
  const char *name; /* into the code's own copy of the names */
  uintptr_t addr;
  size_t size;
  bool global; /* else a local function (kept for profilers' maps) */
} wasm_objlink_symbol;

/* One linked object: its memory (code read-execute, data read-only or
 * read-write), its global symbols and its local functions. */
typedef struct wasm_objlink_code {
  void *map;
  size_t map_size;
  uintptr_t text;   /* its code: every executable section, one after the other */
  size_t text_size; /* (the call stubs to far symbols follow, outside this range) */
  wasm_objlink_symbol *syms;
  uint32_t nsyms;
  char *names;
} wasm_objlink_code;

/* The address of an undefined symbol `name` of the object into *addr;
 * false when there is none (the link is refused). */
typedef bool (*wasm_objlink_resolve)(void *cx, const char *name, uintptr_t *addr);

/* Links obj (size bytes) into new memory. NULL with the reason in err when
 * it cannot (see above); the object is only read. */
wasm_objlink_code *wasm_objlink(const uint8_t *obj, size_t size, wasm_objlink_resolve resolve, void *cx,
                                char *err, size_t errlen);

/* The address of the object's global symbol `name`, or 0. */
uintptr_t wasm_objlink_symbol_addr(const wasm_objlink_code *c, const char *name);

/* Unmaps the code: nothing may run it or call into it any more. */
void wasm_objlink_free(wasm_objlink_code *c);

#endif /* TOVA_ENGINE_NATIVE_OBJLINK_H */
