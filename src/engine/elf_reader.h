/*
 * elf_reader.h: a checked view of an ELF-64 relocatable object (elf_format.h)
 * for the two readers of compiled code in the engine: the stencil tier's
 * embedded object (stencil/library.c) and the native tier's units, fresh or
 * from the on-disk cache (native/objlink.c).
 *
 * Invariant once wasm_elf_view_open has succeeded: the section table, every
 * section that has bytes in the file, the symbol table and its string table
 * lie inside the object; there is exactly one symbol table; every RELA
 * section is well formed and names it. What a caller reads beyond that (a
 * symbol's value inside its section, a relocation's offset) it still checks.
 */
#ifndef TOVA_ENGINE_ELF_READER_H
#define TOVA_ENGINE_ELF_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/elf_format.h"

typedef struct wasm_elf_view {
  const uint8_t *o;
  size_t len;
  const wasm_elf_shdr *sh;
  uint32_t nsec;
  const char *shstr; /* section names, or NULL */
  size_t shstr_len;
  const wasm_elf_sym *syms;
  uint32_t nsyms;
  uint32_t symtab; /* the symbol table's section index */
  const char *strs;
  size_t strs_len;
} wasm_elf_view;

/* Opens `o` (aligned to 8) as a relocatable object for `machine`
 * (WASM_ELF_X86_64...). False, with what is wrong in err, on anything
 * malformed. */
bool wasm_elf_view_open(wasm_elf_view *v, const uint8_t *o, size_t len, uint16_t machine, char *err,
                        size_t errlen);

/* [off, off + size) inside the object. */
static inline bool wasm_elf_view_has(const wasm_elf_view *v, uint64_t off, uint64_t size) {
  return off <= v->len && size <= v->len - off;
}

/* Section i's name ("" when it has none readable). */
const char *wasm_elf_section_name(const wasm_elf_view *v, uint32_t i);

/* Symbol i's name, NULL when its offset or terminator is outside the
 * string table. */
const char *wasm_elf_symbol_name(const wasm_elf_view *v, uint32_t i);

#endif /* TOVA_ENGINE_ELF_READER_H */
