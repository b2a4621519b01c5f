/*
 * objlink.c: an ELF relocatable object -> executable memory (objlink.h).
 *
 * Layout of one mapping, each part page-aligned so that each gets its own
 * protection (code is never writable once linked):
 *   code   the executable sections, then a 16-byte stub per far symbol
 *          (jmp *slot(%rip)): calls reach helpers anywhere in the
 *          address space through them            read-execute
 *   rodata the read-only sections, then the GOT (one 8-byte slot per
 *          symbol a GOT relocation names)         read-only
 *   data   the writable sections                  read-write
 * Every read of the object is bounds-checked first: a cache entry is
 * checksummed (cache.c), but a linker that trusts its input would turn a
 * bug elsewhere into a wild write.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif
#include "engine/native/objlink.h"

#include "engine/elf_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__ELF__) && defined(__x86_64__)
#define OBJLINK_X86_64 1
#include <sys/mman.h>
#include <unistd.h>
#endif

uintptr_t wasm_objlink_symbol_addr(const wasm_objlink_code *c, const char *name) {
  for (uint32_t i = 0; i < c->nsyms; i++)
    if (c->syms[i].global && strcmp(c->syms[i].name, name) == 0) return c->syms[i].addr;
  return 0;
}

void wasm_objlink_free(wasm_objlink_code *c) {
  if (!c) return;
#ifdef OBJLINK_X86_64
  if (c->map) munmap(c->map, c->map_size);
#endif
  free(c->syms);
  free(c->names);
  free(c);
}

#ifndef OBJLINK_X86_64

wasm_objlink_code *wasm_objlink(const uint8_t *obj, size_t size, wasm_objlink_resolve resolve, void *cx,
                                char *err, size_t errlen) {
  (void)obj, (void)size, (void)resolve, (void)cx;
  snprintf(err, errlen, "no linker of our own for this machine's objects");
  return NULL;
}

#else

#define STUB_BYTES 16
#define SLOT_NONE UINT32_MAX

/* What the link works with: the object's tables, checked, and where each
 * section and symbol landed. */
typedef struct linker {
  wasm_elf_view v;      /* the object, its tables checked (elf_reader.h) */
  const wasm_elf_shdr *sh; /* = v.sh */
  const wasm_elf_sym *sym; /* = v.syms */
  uint32_t nsh, nsym;
  const uint8_t *obj;
  uintptr_t *sec_addr;  /* [nsh]: 0 when the section is not loaded */
  uintptr_t *sym_addr;  /* [nsym]: undefined symbols' resolved addresses */
  uint32_t *got;        /* [nsym]: GOT slot index or SLOT_NONE */
  uint32_t *stub;       /* [nsym]: stub index or SLOT_NONE */
  uint32_t ngot, nstub;
  char *err;
  size_t errlen;
} linker;

static bool fail(linker *l, const char *fmt, const char *what, long n) {
  snprintf(l->err, l->errlen, fmt, what, n);
  return false;
}

static const char *sym_name(const linker *l, uint32_t i) { return wasm_elf_symbol_name(&l->v, i); }

/* Sections the code needs: allocated, not unwind tables (see objlink.h). */
static bool loaded(const linker *l, uint32_t i) {
  const wasm_elf_shdr *s = &l->sh[i];
  if (!(s->flags & WASM_ELF_SHF_ALLOC) || s->size == 0) return false;
  return s->type != WASM_ELF_SHT_X86_64_UNWIND && strcmp(wasm_elf_section_name(&l->v, i), ".eh_frame") != 0;
}

/* The object's tables (checked by the shared reader), and what this linker
 * also refuses: sections aligned past a page, huge zero-filled sections
 * (so that the layout's sums never wrap), thread-local data. */
static bool read_tables(linker *l, const uint8_t *obj, size_t size) {
  if (!wasm_elf_view_open(&l->v, obj, size, WASM_ELF_X86_64, l->err, l->errlen)) return false;
  l->obj = obj;
  l->sh = l->v.sh;
  l->nsh = l->v.nsec;
  l->sym = l->v.syms;
  l->nsym = l->v.nsyms;
  for (uint32_t i = 0; i < l->nsh; i++) {
    const wasm_elf_shdr *s = &l->sh[i];
    if (s->addralign > 4096) return fail(l, "%s %ld aligned past a page", "section", i);
    if (s->type == WASM_ELF_SHT_NOBITS && s->size > ((uint64_t)1 << 30))
      return fail(l, "%s %ld bigger than a gigabyte", "section", i);
    if ((s->flags & WASM_ELF_SHF_TLS) && s->size) return fail(l, "%s %ld is thread-local", "section", i);
  }
  return true;
}

/* Which symbols need a GOT slot (a GOT relocation names them) or a stub
 * (an undefined symbol a call names: it may be too far for 32 bits). */
static bool count_slots(linker *l) {
  for (uint32_t i = 0; i < l->nsh; i++) {
    const wasm_elf_shdr *r = &l->sh[i];
    if (r->type != WASM_ELF_SHT_RELA || !loaded(l, r->info)) continue;
    const wasm_elf_rela *rel = (const wasm_elf_rela *)(l->obj + r->offset);
    for (uint64_t k = 0; k < r->size / sizeof *rel; k++) {
      uint32_t s = (uint32_t)WASM_ELF_RELA_SYM(rel[k].info), type = (uint32_t)WASM_ELF_RELA_TYPE(rel[k].info);
      if (s >= l->nsym) return fail(l, "%s %ld", "relocation of a symbol past the table", s);
      bool undef = s && l->sym[s].shndx == WASM_ELF_SHN_UNDEF;
      if ((type == WASM_R_X86_64_GOTPCREL || type == WASM_R_X86_64_GOTPCRELX || type == WASM_R_X86_64_REX_GOTPCRELX) &&
          l->got[s] == SLOT_NONE)
        l->got[s] = l->ngot++;
      if (undef && type == WASM_R_X86_64_PLT32 && l->stub[s] == SLOT_NONE)
        l->stub[s] = l->nstub++;
    }
  }
  return true;
}

static size_t align_up(size_t v, size_t a) { return a ? (v + a - 1) / a * a : v; }

/* Where each loaded section goes: offsets within its part (code, rodata,
 * data) into sec_addr (made absolute once mapped), the parts' sizes. */
static void lay_out(linker *l, size_t part_size[3]) {
  memset(part_size, 0, 3 * sizeof *part_size);
  for (uint32_t i = 0; i < l->nsh; i++) {
    if (!loaded(l, i)) continue;
    const wasm_elf_shdr *s = &l->sh[i];
    int part = (s->flags & WASM_ELF_SHF_EXECINSTR) ? 0 : (s->flags & WASM_ELF_SHF_WRITE) ? 2 : 1;
    size_t at = align_up(part_size[part], s->addralign);
    l->sec_addr[i] = at;
    part_size[part] = at + s->size;
  }
}

static int part_of(const wasm_elf_shdr *s) {
  return (s->flags & WASM_ELF_SHF_EXECINSTR) ? 0 : (s->flags & WASM_ELF_SHF_WRITE) ? 2 : 1;
}

/* Every symbol's address: defined ones from their sections, undefined ones
 * from resolve. */
static bool place_symbols(linker *l, wasm_objlink_resolve resolve, void *cx) {
  for (uint32_t s = 1; s < l->nsym; s++) {
    const wasm_elf_sym *y = &l->sym[s];
    if (y->shndx == WASM_ELF_SHN_UNDEF) {
      const char *name = sym_name(l, s);
      if (!name || !*name) return fail(l, "%s %ld", "undefined symbol without a name", s);
      if (!resolve(cx, name, &l->sym_addr[s])) return fail(l, "unknown symbol %s (%ld)", name, s);
    } else if (y->shndx == WASM_ELF_SHN_ABS) {
      l->sym_addr[s] = y->value;
    } else if (y->shndx == WASM_ELF_SHN_COMMON || y->shndx >= l->nsh) {
      return fail(l, "%s %ld in no section we load", "symbol", s);
    } else if (loaded(l, y->shndx)) {
      if (y->value > l->sh[y->shndx].size) return fail(l, "%s %ld past its section", "symbol", s);
      l->sym_addr[s] = l->sec_addr[y->shndx] + y->value;
    } else {
      l->sym_addr[s] = 0; /* in a section not loaded (.eh_frame): no relocation we apply names it */
    }
  }
  return true;
}

static bool fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* Applies every relocation of the loaded sections. */
static bool relocate(linker *l, uintptr_t got_base, uintptr_t stub_base) {
  for (uint32_t i = 0; i < l->nsh; i++) {
    const wasm_elf_shdr *r = &l->sh[i];
    if (r->type != WASM_ELF_SHT_RELA || !loaded(l, r->info)) continue;
    const wasm_elf_shdr *t = &l->sh[r->info];
    if (t->type == WASM_ELF_SHT_NOBITS) return fail(l, "%s %ld", "relocations in a section without bytes", i);
    uintptr_t base = l->sec_addr[r->info];
    const wasm_elf_rela *rel = (const wasm_elf_rela *)(l->obj + r->offset);
    for (uint64_t k = 0; k < r->size / sizeof *rel; k++) {
      uint32_t s = (uint32_t)WASM_ELF_RELA_SYM(rel[k].info), type = (uint32_t)WASM_ELF_RELA_TYPE(rel[k].info);
      uint64_t off = rel[k].offset;
      int64_t a = rel[k].addend;
      size_t width = type == WASM_R_X86_64_64 || type == WASM_R_X86_64_PC64 ? 8 : 4;
      if (type == WASM_R_X86_64_NONE) continue;
      if (off > t->size || width > t->size - off) return fail(l, "%s %ld past its section", "relocation", (long)k);
      if (s && l->sym[s].shndx != WASM_ELF_SHN_UNDEF && l->sym[s].shndx != WASM_ELF_SHN_ABS && !loaded(l, l->sym[s].shndx))
        return fail(l, "%s %ld names a section not loaded", "relocation", (long)k);
      uintptr_t p = base + off;
      uintptr_t sv = l->sym_addr[s];
      int64_t v;
      switch (type) {
        case WASM_R_X86_64_64: {
          uint64_t abs = sv + (uint64_t)a;
          memcpy((void *)p, &abs, 8);
          continue;
        }
        case WASM_R_X86_64_PC64:
          v = (int64_t)(sv + (uint64_t)a - p);
          memcpy((void *)p, &v, 8);
          continue;
        case WASM_R_X86_64_PC32:
        case WASM_R_X86_64_PLT32:
          v = (int64_t)(sv + (uint64_t)a - p);
          if (!fits32(v) && l->stub[s] != SLOT_NONE) v = (int64_t)(stub_base + l->stub[s] * STUB_BYTES + (uint64_t)a - p);
          break;
        case WASM_R_X86_64_GOTPCREL:
        case WASM_R_X86_64_GOTPCRELX:
        case WASM_R_X86_64_REX_GOTPCRELX:
          v = (int64_t)(got_base + l->got[s] * 8 + (uint64_t)a - p);
          break;
        default:
          return fail(l, "%s %ld", "relocation type", (long)type);
      }
      if (!fits32(v)) return fail(l, "%s %ld out of 32-bit reach", "relocation", (long)k);
      int32_t v32 = (int32_t)v;
      memcpy((void *)p, &v32, 4);
    }
  }
  return true;
}

/* The symbols kept: global ones, and local functions (named, not the
 * assembler's .L labels), defined in loaded sections. */
static bool kept(const linker *l, uint32_t s) {
  const wasm_elf_sym *y = &l->sym[s];
  const char *name = sym_name(l, s);
  if (y->shndx == WASM_ELF_SHN_UNDEF || !name || !*name || !l->sym_addr[s]) return false;
  if (WASM_ELF_SYM_BIND(y->info) != WASM_ELF_STB_LOCAL) return true;
  return WASM_ELF_SYM_TYPE(y->info) == WASM_ELF_STT_FUNC && strncmp(name, ".L", 2) != 0;
}

/* The kept symbols, with their names copied. */
static bool keep_symbols(linker *l, wasm_objlink_code *c) {
  size_t n = 0, bytes = 0;
  for (uint32_t s = 1; s < l->nsym; s++) {
    if (!kept(l, s)) continue;
    const char *name = sym_name(l, s);
    n++;
    bytes += strlen(name) + 1;
  }
  c->syms = calloc(n ? n : 1, sizeof *c->syms);
  c->names = malloc(bytes ? bytes : 1);
  if (!c->syms || !c->names) return fail(l, "%s (%ld)", "out of memory", 0);
  char *at = c->names;
  for (uint32_t s = 1; s < l->nsym; s++) {
    if (!kept(l, s)) continue;
    const wasm_elf_sym *y = &l->sym[s];
    const char *name = sym_name(l, s);
    size_t len = strlen(name) + 1;
    memcpy(at, name, len);
    c->syms[c->nsyms++] =
        (wasm_objlink_symbol){at, l->sym_addr[s], (size_t)y->size, WASM_ELF_SYM_BIND(y->info) != WASM_ELF_STB_LOCAL};
    at += len;
  }
  return true;
}

wasm_objlink_code *wasm_objlink(const uint8_t *obj, size_t size, wasm_objlink_resolve resolve, void *cx,
                                char *err, size_t errlen) {
  linker l = {.err = err, .errlen = errlen};
  wasm_objlink_code *c = calloc(1, sizeof *c);
  bool ok = c && read_tables(&l, obj, size);
  if (c && !ok && !*err) snprintf(err, errlen, "out of memory");
  if (ok) {
    l.sec_addr = calloc(l.nsh, sizeof *l.sec_addr);
    l.sym_addr = calloc(l.nsym ? l.nsym : 1, sizeof *l.sym_addr);
    l.got = malloc((l.nsym ? l.nsym : 1) * sizeof *l.got);
    l.stub = malloc((l.nsym ? l.nsym : 1) * sizeof *l.stub);
    ok = l.sec_addr && l.sym_addr && l.got && l.stub;
    if (!ok) snprintf(err, errlen, "out of memory");
  }
  if (ok) {
    memset(l.got, 0xff, (l.nsym ? l.nsym : 1) * sizeof *l.got);
    memset(l.stub, 0xff, (l.nsym ? l.nsym : 1) * sizeof *l.stub);
    ok = count_slots(&l);
  }
  size_t page = (size_t)sysconf(_SC_PAGESIZE), part[3], start[3];
  uintptr_t got_base = 0, stub_base = 0;
  if (ok) {
    lay_out(&l, part);
    size_t code_end = part[0];
    part[0] = align_up(part[0], STUB_BYTES) + (size_t)l.nstub * STUB_BYTES;
    size_t got_off = align_up(part[1], 8);
    part[1] = got_off + (size_t)l.ngot * 8;
    start[0] = 0;
    start[1] = align_up(part[0], page);
    start[2] = start[1] + align_up(part[1], page);
    c->map_size = start[2] + align_up(part[2], page);
    if (c->map_size == 0) c->map_size = page;
    c->map = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c->map == MAP_FAILED) {
      c->map = NULL;
      snprintf(err, errlen, "no memory for the code");
      ok = false;
    } else {
      uintptr_t base = (uintptr_t)c->map;
      for (uint32_t i = 0; i < l.nsh; i++) {
        if (!loaded(&l, i)) continue;
        l.sec_addr[i] += base + start[part_of(&l.sh[i])];
        if (l.sh[i].type != WASM_ELF_SHT_NOBITS)
          memcpy((void *)l.sec_addr[i], obj + l.sh[i].offset, l.sh[i].size);
      }
      c->text = base;
      c->text_size = code_end;
      stub_base = base + align_up(code_end, STUB_BYTES);
      got_base = base + start[1] + got_off;
    }
  }
  if (ok) ok = place_symbols(&l, resolve, cx);
  if (ok) {
    for (uint32_t s = 0; s < l.nsym; s++) {
      if (l.got[s] != SLOT_NONE) memcpy((void *)(got_base + l.got[s] * 8), &l.sym_addr[s], 8);
      if (l.stub[s] == SLOT_NONE) continue;
      /* jmp *0(%rip), then the target's address (read by that jump) */
      uint8_t *st = (uint8_t *)(stub_base + l.stub[s] * STUB_BYTES);
      static const uint8_t jmp[6] = {0xff, 0x25, 0, 0, 0, 0};
      memcpy(st, jmp, sizeof jmp);
      memcpy(st + 6, &l.sym_addr[s], 8);
      memset(st + 14, 0xcc, STUB_BYTES - 14);
    }
    ok = relocate(&l, got_base, stub_base) && keep_symbols(&l, c);
  }
  if (ok) {
    uint8_t *base = c->map;
    __builtin___clear_cache((char *)base, (char *)base + start[1]);
    ok = (start[1] == 0 || mprotect(base, start[1], PROT_READ | PROT_EXEC) == 0) &&
         (start[2] == start[1] || mprotect(base + start[1], start[2] - start[1], PROT_READ) == 0);
    if (!ok) snprintf(err, errlen, "cannot make the code executable");
  }
  free(l.sec_addr);
  free(l.sym_addr);
  free(l.got);
  free(l.stub);
  if (!ok) {
    wasm_objlink_free(c);
    return NULL;
  }
  return c;
}

#endif /* OBJLINK_X86_64 */
