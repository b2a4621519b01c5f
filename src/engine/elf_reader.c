/*
 * elf_reader.c: opening an ELF-64 relocatable object with every table
 * checked (elf_reader.h). The objects are the runtime's own (clang's
 * stencils, LLVM's units), but a unit may come from a cache file on disk: a
 * reader that trusts its input would turn a bug or a bad file into a wild
 * read, so every offset and count is bounded before use.
 */
#include "engine/elf_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(wasm_elf_ehdr) == 64 && sizeof(wasm_elf_shdr) == 64 && sizeof(wasm_elf_sym) == 24 &&
                   sizeof(wasm_elf_rela) == 24,
               "ELF-64 records as the format defines them");

static bool fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (errlen) vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return false;
}

static const char *machine_name(uint16_t machine) {
  return machine == WASM_ELF_X86_64 ? "x86-64" : machine == WASM_ELF_AARCH64 ? "AArch64" : "this machine";
}

bool wasm_elf_view_open(wasm_elf_view *v, const uint8_t *o, size_t len, uint16_t machine, char *err,
                        size_t errlen) {
  *v = (wasm_elf_view){.o = o, .len = len};
  const wasm_elf_ehdr *eh = (const wasm_elf_ehdr *)o;
  if ((uintptr_t)o % 8) return fail(err, errlen, "object not aligned");
  if (len < sizeof *eh || memcmp(eh->ident, "\177ELF", 4)) return fail(err, errlen, "not an ELF object");
  if (eh->ident[4] != WASM_ELF_CLASS64 || eh->ident[5] != WASM_ELF_DATA_LSB || eh->type != WASM_ELF_REL ||
      eh->machine != machine)
    return fail(err, errlen, "not a relocatable ELF-64 object for %s (machine %u)", machine_name(machine),
                eh->machine);
  if (eh->shentsize != sizeof(wasm_elf_shdr) || eh->shnum == 0 || eh->shstrndx >= eh->shnum ||
      eh->shoff % 8 || !wasm_elf_view_has(v, eh->shoff, (uint64_t)eh->shnum * sizeof(wasm_elf_shdr)))
    return fail(err, errlen, "bad section table (%u sections)", eh->shnum);
  v->sh = (const wasm_elf_shdr *)(o + eh->shoff);
  v->nsec = eh->shnum;
  for (uint32_t i = 0; i < v->nsec; i++) {
    const wasm_elf_shdr *s = &v->sh[i];
    if (s->type != WASM_ELF_SHT_NOBITS && s->type != WASM_ELF_SHT_NULL && !wasm_elf_view_has(v, s->offset, s->size))
      return fail(err, errlen, "section %u out of the file", i);
    if (s->type == WASM_ELF_SHT_SYMTAB) {
      if (v->symtab) return fail(err, errlen, "two symbol tables (section %u)", i);
      v->symtab = i;
    }
  }
  const wasm_elf_shdr *ss = &v->sh[eh->shstrndx];
  if (ss->type == WASM_ELF_SHT_STRTAB) {
    v->shstr = (const char *)o + ss->offset;
    v->shstr_len = (size_t)ss->size;
  }
  if (!v->symtab) return fail(err, errlen, "no symbol table");
  const wasm_elf_shdr *st = &v->sh[v->symtab];
  if (st->entsize != sizeof(wasm_elf_sym) || st->offset % 8 || st->link >= v->nsec ||
      v->sh[st->link].type != WASM_ELF_SHT_STRTAB || st->size / sizeof(wasm_elf_sym) > UINT32_MAX)
    return fail(err, errlen, "bad symbol table (section %u)", v->symtab);
  v->syms = (const wasm_elf_sym *)(o + st->offset);
  v->nsyms = (uint32_t)(st->size / sizeof(wasm_elf_sym));
  v->strs = (const char *)o + v->sh[st->link].offset;
  v->strs_len = (size_t)v->sh[st->link].size;
  for (uint32_t i = 0; i < v->nsec; i++) {
    const wasm_elf_shdr *r = &v->sh[i];
    if (r->type == WASM_ELF_SHT_REL) return fail(err, errlen, "REL relocations (section %u)", i);
    if (r->type != WASM_ELF_SHT_RELA) continue;
    if (r->entsize != sizeof(wasm_elf_rela) || r->offset % 8 || r->link != v->symtab || r->info >= v->nsec)
      return fail(err, errlen, "bad relocation table (section %u)", i);
  }
  return true;
}

static const char *string_at(const char *tab, size_t tab_len, uint32_t at) {
  if (!tab || at >= tab_len || !memchr(tab + at, 0, tab_len - at)) return NULL;
  return tab + at;
}

const char *wasm_elf_section_name(const wasm_elf_view *v, uint32_t i) {
  const char *name = string_at(v->shstr, v->shstr_len, v->sh[i].name);
  return name ? name : "";
}

const char *wasm_elf_symbol_name(const wasm_elf_view *v, uint32_t i) {
  return string_at(v->strs, v->strs_len, v->syms[i].name);
}
