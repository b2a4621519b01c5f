/*
 * library.c: the stencils, read once from the object file clang made of
 * stencils.c (embedded in the library by the build: stencil_object.c).
 *
 * The object is ours, built with the library, but it is read as any input
 * is: every offset, size and index is checked, and a stencil that needs what
 * emit.c cannot give (an unknown symbol, a relocation kind reloc.c does not
 * know, writable data) is marked unusable, so its instruction is left
 * to the interpreter. An object that cannot be read at all leaves the tier
 * off.
 */
#include <elf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compile.h"
#include "engine/stencil/stencil_internal.h"

extern const unsigned char wasm_stencil_object[];
extern const size_t wasm_stencil_object_len;

static const char *const iop_names[WASM_IOP_COUNT] = {
#define WASM_IOP_NAME(name, cells, operands) #name,
    WASM_IOP_LIST(WASM_IOP_NAME)
#undef WASM_IOP_NAME
};
static const char *const special_names[WASM_ST_NSPECIAL] = {"EXIT", "CANCEL", "TRAP_OOB_MEM",
                                                            "TRAP_DIV_ZERO", "TRAP_OVERFLOW",
                                                            "TRAP_BAD_CONV"};

static wasm_st_library lib;
static bool lib_ok;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/* What an undefined symbol named `name` stands for; false: nothing we know. */
static bool hole_of(const char *name, wasm_st_reloc *r) {
  static const char pre[] = "wasm_hole_";
  if (strncmp(name, pre, sizeof pre - 1)) return false;
  const char *h = name + sizeof pre - 1;
  if ((h[0] == 's' || h[0] == 'u' || h[0] == 't') && h[1] >= '1' && h[1] <= '8' && !h[2]) {
    r->hole = h[0] == 's' ? WASM_HOLE_SLOT : h[0] == 'u' ? WASM_HOLE_U : WASM_HOLE_TARGET;
    r->k = (uint8_t)(h[1] - '0');
    return true;
  }
  static const struct {
    const char *name;
    uint8_t hole, k;
  } named[] = {{"next", WASM_HOLE_NEXT, 0},
               {"pc", WASM_HOLE_PC, 0},
               {"cell1", WASM_HOLE_CELL, 1},
               {"ret", WASM_HOLE_RET, 0},
               {"h_jit", WASM_HOLE_HANDLER, 0},
               {"h_hot", WASM_HOLE_HANDLER, 1},
               {"table", WASM_HOLE_TABLE, 0},
               {"cancel", WASM_HOLE_SHARED, WASM_ST_CANCEL},
               {"trap_oob_mem", WASM_HOLE_SHARED, WASM_ST_TRAP_OOB_MEM},
               {"trap_div_zero", WASM_HOLE_SHARED, WASM_ST_TRAP_DIV_ZERO},
               {"trap_overflow", WASM_HOLE_SHARED, WASM_ST_TRAP_OVERFLOW},
               {"trap_bad_conv", WASM_HOLE_SHARED, WASM_ST_TRAP_BAD_CONV}};
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (!strcmp(h, named[i].name)) {
      r->hole = named[i].hole;
      r->k = named[i].k;
      return true;
    }
  return false;
}

/* Stencils made for SSE4.1 machines (stencils.c), by op. */
static wasm_stencil sse41[WASM_IOP_COUNT];

/* The stencil a function symbol named `name` is, or NULL. */
static wasm_stencil *stencil_named(const char *name) {
  static const char pre[] = "wasm_stencil_", sse41_pre[] = "SSE41_";
  if (strncmp(name, pre, sizeof pre - 1)) return NULL;
  const char *n = name + sizeof pre - 1;
  if (!strncmp(n, sse41_pre, sizeof sse41_pre - 1)) {
    for (int op = 0; op < WASM_IOP_COUNT; op++)
      if (!strcmp(n + sizeof sse41_pre - 1, iop_names[op])) return &sse41[op];
    return NULL;
  }
  for (int i = 0; i < WASM_ST_NSPECIAL; i++)
    if (!strcmp(n, special_names[i])) return &lib.special[i];
  for (int op = 0; op < WASM_IOP_COUNT; op++)
    if (!strcmp(n, iop_names[op])) return &lib.op[op];
  return NULL;
}

static bool in_object(uint64_t off, uint64_t size) {
  return off <= wasm_stencil_object_len && size <= wasm_stencil_object_len - off;
}

/* Read-only data sections, laid out one after the other in lib.rodata. */
static bool gather_rodata(const Elf64_Shdr *sh, uint16_t nsec) {
  size_t total = 0;
  for (uint16_t i = 0; i < nsec; i++) {
    lib.rodata_at[i] = UINT32_MAX;
    if (sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_ALLOC) ||
        (sh[i].sh_flags & (SHF_EXECINSTR | SHF_WRITE)))
      continue;
    if (!in_object(sh[i].sh_offset, sh[i].sh_size) || sh[i].sh_addralign > 64) return false;
    size_t align = sh[i].sh_addralign ? (size_t)sh[i].sh_addralign : 1;
    total = (total + align - 1) & ~(align - 1);
    if (total + sh[i].sh_size > (1u << 20)) return false;
    lib.rodata_at[i] = (uint32_t)total;
    total += (size_t)sh[i].sh_size;
  }
  lib.rodata = calloc(total ? total : 1, 1);
  if (!lib.rodata) return false;
  for (uint16_t i = 0; i < nsec; i++)
    if (lib.rodata_at[i] != UINT32_MAX)
      memcpy(lib.rodata + lib.rodata_at[i], wasm_stencil_object + sh[i].sh_offset, (size_t)sh[i].sh_size);
  lib.rodata_len = (uint32_t)total;
  return true;
}

/* The relocations of section `target` into s; false marks s unusable. */
static bool read_relocs(wasm_stencil *s, const Elf64_Shdr *sh, uint16_t nsec, uint16_t target,
                        const Elf64_Sym *syms, size_t nsyms, const char *strs, size_t strs_len) {
  size_t n = 0;
  for (uint16_t i = 0; i < nsec; i++)
    if (sh[i].sh_type == SHT_RELA && sh[i].sh_info == target) n += (size_t)(sh[i].sh_size / sizeof(Elf64_Rela));
  s->relocs = calloc(n ? n : 1, sizeof *s->relocs);
  if (!s->relocs) return false;
  for (uint16_t i = 0; i < nsec; i++) {
    if (sh[i].sh_type != SHT_RELA || sh[i].sh_info != target) continue;
    if (!in_object(sh[i].sh_offset, sh[i].sh_size)) return false;
    const Elf64_Rela *ra = (const Elf64_Rela *)(wasm_stencil_object + sh[i].sh_offset);
    size_t m = (size_t)(sh[i].sh_size / sizeof(Elf64_Rela));
    for (size_t j = 0; j < m; j++) {
      wasm_st_reloc *r = &s->relocs[s->nrelocs];
      uint32_t type = ELF64_R_TYPE(ra[j].r_info);
      size_t si = ELF64_R_SYM(ra[j].r_info);
      if (si >= nsyms) return false;
      if (!wasm_st_reloc_known(type)) return false;
      if (ra[j].r_offset > s->len || s->len - ra[j].r_offset < 4) return false;
      if (ra[j].r_addend < INT32_MIN || ra[j].r_addend > INT32_MAX) return false;
      r->at = (uint32_t)ra[j].r_offset;
      r->type = (uint16_t)type;
      r->addend = (int32_t)ra[j].r_addend;
      const Elf64_Sym *sym = &syms[si];
      if (sym->st_shndx == SHN_UNDEF) {
        if (sym->st_name >= strs_len || !hole_of(strs + sym->st_name, r)) return false;
      } else if (sym->st_shndx < nsec && lib.rodata_at[sym->st_shndx] != UINT32_MAX) {
        r->hole = WASM_HOLE_RODATA;
        if (sym->st_value > lib.rodata_len) return false;
        r->data_at = lib.rodata_at[sym->st_shndx] + (uint32_t)sym->st_value;
      } else {
        return false; /* writable data, another stencil, a common symbol... */
      }
      s->nrelocs++;
    }
  }
  return true;
}

/* A stencil's last instruction is often `jmp next`: emit.c leaves it out and
 * lets the next stencil follow. */
static void find_tail_jump(wasm_stencil *s) { s->body_len = s->len - wasm_st_tail_jump_len(s); }

static void load(void) {
  const unsigned char *o = wasm_stencil_object;
  if (wasm_stencil_object_len < sizeof(Elf64_Ehdr)) return;
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)o;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL || eh->e_machine != wasm_st_elf_machine ||
      eh->e_shentsize != sizeof(Elf64_Shdr) || !in_object(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
    return;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(o + eh->e_shoff);
  uint16_t nsec = eh->e_shnum;
  const Elf64_Sym *syms = NULL;
  size_t nsyms = 0;
  const char *strs = NULL;
  size_t strs_len = 0;
  for (uint16_t i = 0; i < nsec; i++) {
    if (sh[i].sh_type != SHT_SYMTAB) continue;
    if (!in_object(sh[i].sh_offset, sh[i].sh_size) || sh[i].sh_link >= nsec ||
        !in_object(sh[sh[i].sh_link].sh_offset, sh[sh[i].sh_link].sh_size))
      return;
    syms = (const Elf64_Sym *)(o + sh[i].sh_offset);
    nsyms = (size_t)(sh[i].sh_size / sizeof(Elf64_Sym));
    strs = (const char *)(o + sh[sh[i].sh_link].sh_offset);
    strs_len = (size_t)sh[sh[i].sh_link].sh_size;
  }
  if (!syms || !strs_len || strs[strs_len - 1] != '\0') return;
  lib.rodata_at = calloc(nsec, sizeof *lib.rodata_at);
  if (!lib.rodata_at || !gather_rodata(sh, nsec)) return;
  for (size_t i = 0; i < nsyms; i++) {
    const Elf64_Sym *sym = &syms[i];
    if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_shndx == SHN_UNDEF || sym->st_shndx >= nsec ||
        sym->st_name >= strs_len)
      continue;
    wasm_stencil *s = stencil_named(strs + sym->st_name);
    const Elf64_Shdr *sec = &sh[sym->st_shndx];
    /* One function per section (-ffunction-sections), starting it. */
    if (!s || s->code || sym->st_value != 0 || sec->sh_type != SHT_PROGBITS ||
        !(sec->sh_flags & SHF_EXECINSTR) || !in_object(sec->sh_offset, sec->sh_size) ||
        sec->sh_size == 0 || sec->sh_size > 4096)
      continue;
    s->code = o + sec->sh_offset;
    s->len = (uint32_t)sec->sh_size;
    s->usable = read_relocs(s, sh, nsec, sym->st_shndx, syms, nsyms, strs, strs_len);
    if (s->usable) find_tail_jump(s);
    for (uint32_t r = 0; r < s->nrelocs; r++) {
      s->leaves_at_self |= s->relocs[r].hole == WASM_HOLE_PC;
      s->continues |= s->relocs[r].hole == WASM_HOLE_NEXT;
    }
  }
  /* Where the CPU has SSE4.1, its variants replace the plain stencils. */
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.1"))
    for (int op = 0; op < WASM_IOP_COUNT; op++)
      if (sse41[op].usable) { /* swapped, not copied: both stay reachable (their relocations) */
        wasm_stencil plain = lib.op[op];
        lib.op[op] = sse41[op];
        sse41[op] = plain;
      }
#endif
  /* The shared exits and the exit itself are what everything else needs. */
  for (int i = 0; i < WASM_ST_NSPECIAL; i++) {
    if (!lib.special[i].usable) return;
    for (uint32_t r = 0; r < lib.special[i].nrelocs; r++) /* the exit's own cell (one or two fields) */
      if (i != WASM_ST_EXIT || lib.special[i].relocs[r].hole != WASM_HOLE_PC) return;
  }
  lib_ok = true;
}

const char *wasm_stencil_op_name(int op) { return op >= 0 && op < WASM_IOP_COUNT ? iop_names[op] : "?"; }

const wasm_st_library *wasm_stencil_library(void) {
  pthread_once(&lib_once, load);
  return lib_ok ? &lib : NULL;
}
