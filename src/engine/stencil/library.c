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
 *
 * LAZY. The object holds thousands of stencils (every op in every variant)
 * with tens of thousands of relocations, and a module uses a few hundred of
 * them: reading them all cost every process 4-5 ms and 2 MB before its
 * first call. So load() only finds each stencil's code and relocation
 * section; a stencil's relocations are read the first time emit.c asks for
 * it (wasm_st_op, wasm_st_variant_of), under parse_lock, and published by
 * its `ready` flag (release; readers acquire). The shared exits, the SSE4.1
 * forms (whose usability decides a swap) and the KIND_ marks are read at
 * once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/assert.h"
#include "platform/platform.h"
#include "engine/compile.h"
#include "engine/elf_reader.h"
#include "engine/stencil/layout.h"
#include "engine/stencil/stencil_internal.h"

extern const unsigned char wasm_stencil_object[];
extern const size_t wasm_stencil_object_len;

static const char *const special_names[WASM_ST_NSPECIAL] = {"EXIT", "CANCEL", "TRAP_OOB_MEM",
                                                            "TRAP_DIV_ZERO", "TRAP_OVERFLOW",
                                                            "TRAP_BAD_CONV"};

static wasm_st_library lib;
static bool lib_ok;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/* What an undefined symbol named `name` stands for; false: nothing we know. */
static bool hole_of(const char *name, wasm_st_reloc *r) {
  static const char mark[] = "wasm_mark_"; /* stencils.c's KIND_ functions */
  if (!strncmp(name, mark, sizeof mark - 1)) {
    const char *m = name + sizeof mark - 1;
    if (!strcmp(m, "fres")) {
      r->hole = WASM_MARK_FLOAT_RESULT;
      r->k = 0;
      return true;
    }
    if ((m[0] != 'f' && m[0] != 'i') || m[1] < '1' || m[1] > '8' || m[2]) return false;
    r->hole = m[0] == 'f' ? WASM_MARK_FLOAT_READ : WASM_MARK_INT_READ;
    r->k = (uint8_t)(m[1] - '0');
    return true;
  }
  static const char pre[] = "wasm_hole_";
  if (strncmp(name, pre, sizeof pre - 1)) return false;
  const char *h = name + sizeof pre - 1;
  if ((h[0] == 's' || h[0] == 'u' || h[0] == 't' || h[0] == 'i') && h[1] >= '1' && h[1] <= '8' && !h[2]) {
    r->hole = h[0] == 's'   ? WASM_HOLE_SLOT
              : h[0] == 'u' ? WASM_HOLE_U
              : h[0] == 'i' ? WASM_HOLE_IMM
                            : WASM_HOLE_TARGET;
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

/* The ops by name, hashed (open addressing, linear probing) for the
 * thousands of stencil symbols: one string comparison each. */
enum { OP_HASH_SIZE = 4096 };
_Static_assert(OP_HASH_SIZE >= 2 * WASM_IOP_COUNT, "the op-name hash is at most half full");
static int16_t op_hash[OP_HASH_SIZE]; /* op + 1, 0 when free */

/* FNV-1a of a name. */
static uint32_t name_hash(const char *name) {
  uint32_t h = 2166136261u;
  for (; *name; name++) h = (h ^ (uint8_t)*name) * 16777619u;
  return h;
}

static void hash_ops(void) {
  for (int op = 0; op < WASM_IOP_COUNT; op++) {
    uint32_t i = name_hash(wasm_iop_name(op)) & (OP_HASH_SIZE - 1);
    while (op_hash[i]) i = (i + 1) & (OP_HASH_SIZE - 1);
    op_hash[i] = (int16_t)(op + 1);
  }
}

static int op_named(const char *name) {
  for (uint32_t i = name_hash(name) & (OP_HASH_SIZE - 1); op_hash[i]; i = (i + 1) & (OP_HASH_SIZE - 1))
    if (!strcmp(wasm_iop_name(op_hash[i] - 1), name)) return op_hash[i] - 1;
  return -1;
}

/* The stencil a function symbol named `name` is, or NULL:
 * wasm_stencil_<op>, wasm_stencil_<variant>_<op> (stencils.c),
 * wasm_stencil_SSE41_<op>, wasm_stencil_<special>. */
static wasm_stencil *stencil_named(const char *name) {
  static const char pre[] = "wasm_stencil_";
  static const char *const variant_pre[WASM_ST_NVARIANTS] = {"W_", "R1_", "R2_", "R3_", "WR2_", "WR3_"};
  if (strncmp(name, pre, sizeof pre - 1)) return NULL;
  const char *n = name + sizeof pre - 1;
  int op;
  /* a variant's prefix first (no op's name starts with one) */
  if (n[0] == 'W' || n[0] == 'R')
    for (int v = 0; v < WASM_ST_NVARIANTS; v++) {
      size_t len = strlen(variant_pre[v]);
      if (!strncmp(n, variant_pre[v], len) && (op = op_named(n + len)) >= 0) return &lib.variant[v][op];
    }
  if ((op = op_named(n)) >= 0) return &lib.op[op];
  if (!strncmp(n, "SSE41_", 6)) return (op = op_named(n + 6)) >= 0 ? &sse41[op] : NULL;
  for (int i = 0; i < WASM_ST_NSPECIAL; i++)
    if (!strcmp(n, special_names[i])) return &lib.special[i];
  return NULL;
}

/* Read-only data sections, laid out one after the other in lib.rodata. */
static bool gather_rodata(const wasm_elf_shdr *sh, uint32_t nsec) {
  size_t total = 0;
  for (uint32_t i = 0; i < nsec; i++) {
    lib.rodata_at[i] = UINT32_MAX;
    if (sh[i].type != WASM_ELF_SHT_PROGBITS || !(sh[i].flags & WASM_ELF_SHF_ALLOC) ||
        (sh[i].flags & (WASM_ELF_SHF_EXECINSTR | WASM_ELF_SHF_WRITE)))
      continue;
    if (sh[i].addralign > 64) return false; /* (inside the object: the view checked every section) */
    size_t align = sh[i].addralign ? (size_t)sh[i].addralign : 1;
    total = (total + align - 1) & ~(align - 1);
    if (total + sh[i].size > (1u << 20)) return false;
    lib.rodata_at[i] = (uint32_t)total;
    total += (size_t)sh[i].size;
  }
  lib.rodata = calloc(total ? total : 1, 1);
  if (!lib.rodata) return false;
  for (uint32_t i = 0; i < nsec; i++)
    if (lib.rodata_at[i] != UINT32_MAX)
      memcpy(lib.rodata + lib.rodata_at[i], wasm_stencil_object + sh[i].offset, (size_t)sh[i].size);
  lib.rodata_len = (uint32_t)total;
  return true;
}

/* What each undefined symbol stands for, decoded once: tens of thousands
 * of relocations name a few dozen holes. Kept with the object's view for
 * the stencils read later (parse). */
typedef struct hole_name {
  bool known;
  uint8_t hole, k;
} hole_name;
static hole_name *holes_by_sym;
static wasm_elf_view view;
static tova_plat_mutex parse_lock = {PTHREAD_MUTEX_INITIALIZER};

/* The relocations of section `target` into s, from its RELA section `rs`
 * (UINT32_MAX: none); false marks s unusable. */
static bool read_relocs(wasm_stencil *s, const wasm_elf_view *v, uint32_t rs_index) {
  if (rs_index == UINT32_MAX) return true;
  const wasm_elf_shdr *rs = &v->sh[rs_index];
  size_t m = (size_t)(rs->size / sizeof(wasm_elf_rela));
  s->relocs = calloc(m ? m : 1, sizeof *s->relocs);
  if (!s->relocs) return false;
  const wasm_elf_rela *ra = (const wasm_elf_rela *)(v->o + rs->offset);
  for (size_t j = 0; j < m; j++) {
    wasm_st_reloc *r = &s->relocs[s->nrelocs];
    uint32_t type = WASM_ELF_RELA_TYPE(ra[j].info);
    uint32_t si = WASM_ELF_RELA_SYM(ra[j].info);
    if (si >= v->nsyms) return false;
    if (!wasm_st_reloc_known(type)) return false;
    if (ra[j].offset > s->len || s->len - ra[j].offset < 4) return false;
    if (ra[j].addend < INT32_MIN || ra[j].addend > INT32_MAX) return false;
    r->at = (uint32_t)ra[j].offset;
    r->type = (uint16_t)type;
    r->addend = (int32_t)ra[j].addend;
    const wasm_elf_sym *sym = &v->syms[si];
    if (sym->shndx == WASM_ELF_SHN_UNDEF) {
      if (!holes_by_sym[si].known || holes_by_sym[si].hole >= WASM_MARK_FLOAT_READ) return false; /* marks: KIND_ only */
      r->hole = holes_by_sym[si].hole;
      r->k = holes_by_sym[si].k;
    } else if (sym->shndx < v->nsec && lib.rodata_at[sym->shndx] != UINT32_MAX) {
      r->hole = WASM_HOLE_RODATA;
      if (sym->value > lib.rodata_len) return false;
      r->data_at = lib.rodata_at[sym->shndx] + (uint32_t)sym->value;
    } else {
      return false; /* writable data, another stencil, a common symbol... */
    }
    s->nrelocs++;
  }
  return true;
}

/* stencils.c's KIND_<op> functions: which operands body op reads as floats
 * and as integers and whether its result is a float, from the marks it
 * calls (relocations of its section, RELA section rs_index; each symbol's
 * name decoded once, in holes_by_sym, as the holes' are). */
static const char kind_pre[] = "wasm_stencil_KIND_";
static void read_kind(const wasm_elf_view *v, int op, uint32_t rs_index) {
  if (op < 0 || lib.kind_known[op]) return;
  lib.kind_known[op] = true;
  if (rs_index == UINT32_MAX) return;
  const wasm_elf_shdr *rs = &v->sh[rs_index];
  const wasm_elf_rela *ra = (const wasm_elf_rela *)(v->o + rs->offset);
  for (size_t j = 0; j < (size_t)(rs->size / sizeof(wasm_elf_rela)); j++) {
    uint32_t si = WASM_ELF_RELA_SYM(ra[j].info);
    if (si >= v->nsyms || !holes_by_sym[si].known) continue;
    const hole_name *h = &holes_by_sym[si];
    if (h->hole == WASM_MARK_FLOAT_RESULT) lib.float_result[op] = true;
    else if (h->hole == WASM_MARK_FLOAT_READ) lib.float_reads[op] |= (uint16_t)(1u << h->k);
    else if (h->hole == WASM_MARK_INT_READ) lib.int_reads[op] |= (uint16_t)(1u << h->k);
  }
}

/* A stencil's last instruction is often `jmp next`: emit.c leaves it out and
 * lets the next stencil follow. */
static void find_tail_jump(wasm_stencil *s) { s->body_len = s->len - wasm_st_tail_jump_len(s); }

/* Numbers s's pool once (stencil_internal.h), for every instruction emit.c
 * lays out with it: each pool hole of its body gets its entry's slot, shared
 * by every relocation of the same (hole, k). False: a pool too long to
 * number (no stencil clang makes has more than a few entries). */
static bool number_pool(wasm_stencil *s) {
  uint32_t used = 0;
  bool table = false;
  for (uint32_t r = 0; r < s->nrelocs; r++) {
    wasm_st_reloc *rl = &s->relocs[r];
    if (rl->at >= s->body_len || !wasm_st_pool_hole(rl->hole)) continue;
    uint32_t q = 0;
    while (q < r && !(s->relocs[q].at < s->body_len && s->relocs[q].hole == rl->hole && s->relocs[q].k == rl->k))
      q++;
    if (q < r) {
      rl->slot = s->relocs[q].slot;
      rl->after_table = s->relocs[q].after_table;
      continue;
    }
    if (used > UINT16_MAX - 3) return false;
    rl->slot = (uint16_t)used;
    rl->after_table = table;
    used += rl->hole == WASM_HOLE_RET ? 3 : rl->hole == WASM_HOLE_TABLE ? 2 : 1;
    table |= rl->hole == WASM_HOLE_TABLE;
  }
  s->pool_slots = (uint16_t)used;
  s->has_table = table;
  return true;
}

/* Reads stencil s's relocations (its code was found by load): usable or
 * not, and what emit.c needs to lay it out. */
static void parse(wasm_stencil *s) {
  s->usable = read_relocs(s, &view, s->rela);
  if (s->usable) {
    find_tail_jump(s);
    s->usable = number_pool(s);
  }
  for (uint32_t r = 0; r < s->nrelocs; r++) {
    s->leaves_at_self |= s->relocs[r].hole == WASM_HOLE_PC;
    s->continues |= s->relocs[r].hole == WASM_HOLE_NEXT;
  }
}

/* s, read if it was not yet (LAZY above). A stencil without code (no such
 * symbol) is never usable and needs no reading. */
static const wasm_stencil *ready(wasm_stencil *s) {
  if (!s->code || __atomic_load_n(&s->ready, __ATOMIC_ACQUIRE)) return s;
  tova_plat_mutex_lock(&parse_lock);
  if (!__atomic_load_n(&s->ready, __ATOMIC_RELAXED)) {
    parse(s);
    __atomic_store_n(&s->ready, true, __ATOMIC_RELEASE);
  }
  tova_plat_mutex_unlock(&parse_lock);
  return s;
}

const wasm_stencil *wasm_st_op(const wasm_st_library *l, int op) {
  TOVA_ASSERT(l == &lib && op >= 0 && op < WASM_IOP_COUNT);
  (void)l;
  return ready(&lib.op[op]);
}

const wasm_stencil *wasm_st_variant_of(const wasm_st_library *l, int variant, int op) {
  TOVA_ASSERT(l == &lib && variant >= 0 && variant < WASM_ST_NVARIANTS && op >= 0 && op < WASM_IOP_COUNT);
  (void)l;
  return ready(&lib.variant[variant][op]);
}

/* The embedded object, or another one (the layout test), opened for this
 * machine; a reason under TOVA_STENCIL_DEBUG when it cannot be. */
static bool view_open(wasm_elf_view *v, const unsigned char *o, size_t len) {
  char err[128];
  if (wasm_elf_view_open(v, o, len, wasm_st_elf_machine, err, sizeof err)) return true;
  if (getenv("TOVA_STENCIL_DEBUG")) fprintf(stderr, "tova stencils: the stencils' object: %s: tier off\n", err);
  return false;
}

/* The object's wasm_stencil_layout must be the library's own numbers
 * (layout.h): false when it is missing or differs. */
static bool layout_matches(const wasm_elf_view *v) {
  static const uint32_t mine[] = {WASM_STENCIL_LAYOUT(WASM_STENCIL_LAYOUT_ENTRY)};
  for (uint32_t i = 0; i < v->nsyms; i++) {
    const wasm_elf_sym *sym = &v->syms[i];
    if (WASM_ELF_SYM_TYPE(sym->info) != WASM_ELF_STT_OBJECT) continue; /* (names cost: thousands) */
    const char *name = wasm_elf_symbol_name(v, i);
    if (!name || strcmp(name, "wasm_stencil_layout")) continue;
    if (sym->shndx == WASM_ELF_SHN_UNDEF || sym->shndx >= v->nsec || sym->size != sizeof mine)
      return false;
    const wasm_elf_shdr *sec = &v->sh[sym->shndx];
    if (sec->type != WASM_ELF_SHT_PROGBITS || sym->value > sec->size || sec->size - sym->value < sizeof mine)
      return false;
    return !memcmp(v->o + sec->offset + sym->value, mine, sizeof mine);
  }
  return false;
}

bool wasm_stencil_layout_matches(const unsigned char *object, size_t len) {
  wasm_elf_view v;
  return view_open(&v, object, len) && layout_matches(&v);
}

static void load(void) {
  uint64_t t0 = tova_plat_monotonic_ns();
  wasm_elf_view *v = &view;
  if (!view_open(v, wasm_stencil_object, wasm_stencil_object_len)) return;
  hash_ops();
  if (!layout_matches(v)) {
    if (getenv("TOVA_STENCIL_DEBUG"))
      fprintf(stderr, "tova stencils: the stencils were built for another layout of the runtime's "
                      "structures: tier off\n");
    return;
  }
  lib.rodata_at = calloc(v->nsec, sizeof *lib.rodata_at);
  if (!lib.rodata_at || !gather_rodata(v->sh, v->nsec)) return;
  holes_by_sym = calloc(v->nsyms ? v->nsyms : 1, sizeof *holes_by_sym);
  if (!holes_by_sym) return;
  for (uint32_t i = 0; i < v->nsyms; i++) {
    if (v->syms[i].shndx != WASM_ELF_SHN_UNDEF) continue;
    const char *name = wasm_elf_symbol_name(v, i);
    wasm_st_reloc r = {0};
    if (name && hole_of(name, &r)) holes_by_sym[i] = (hole_name){true, r.hole, r.k};
  }
  /* Each code section's RELA section (clang makes at most one per section),
   * found in one pass: thousands of stencils, a section each. */
  uint32_t *rela_of = malloc(v->nsec * sizeof *rela_of);
  bool two = false; /* two RELA sections for one section: not what clang makes, refused whole */
  for (uint32_t i = 0; rela_of && i < v->nsec; i++) rela_of[i] = UINT32_MAX;
  for (uint32_t i = 0; rela_of && i < v->nsec; i++)
    if (v->sh[i].type == WASM_ELF_SHT_RELA) {
      two |= rela_of[v->sh[i].info] != UINT32_MAX;
      rela_of[v->sh[i].info] = i;
    }
  if (!rela_of || two) {
    free(rela_of);
    return;
  }
  for (uint32_t i = 0; i < v->nsyms; i++) {
    const wasm_elf_sym *sym = &v->syms[i];
    if (WASM_ELF_SYM_TYPE(sym->info) != WASM_ELF_STT_FUNC || sym->shndx == WASM_ELF_SHN_UNDEF || sym->shndx >= v->nsec)
      continue;
    const char *name = wasm_elf_symbol_name(v, i);
    if (!name) continue;
    if (!strncmp(name, kind_pre, sizeof kind_pre - 1)) {
      read_kind(v, op_named(name + sizeof kind_pre - 1), rela_of[sym->shndx]);
      continue;
    }
    wasm_stencil *s = stencil_named(name);
    const wasm_elf_shdr *sec = &v->sh[sym->shndx];
    /* One function per section (-ffunction-sections), starting it (the
     * view has checked that the section lies inside the object). */
    if (!s || s->code || sym->value != 0 || sec->type != WASM_ELF_SHT_PROGBITS ||
        !(sec->flags & WASM_ELF_SHF_EXECINSTR) || sec->size == 0 || sec->size > 4096)
      continue;
    s->code = v->o + sec->offset;
    s->len = (uint32_t)sec->size;
    s->rela = rela_of[sym->shndx];
  }
  free(rela_of);
  /* Read at once: the SSE4.1 forms (usable ones replace the plain stencils
   * where the CPU has SSE4.1) and the shared exits. */
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.1"))
    for (int op = 0; op < WASM_IOP_COUNT; op++)
      if (ready(&sse41[op])->usable) { /* swapped, not copied: both stay reachable (their relocations) */
        wasm_stencil plain = lib.op[op];
        lib.op[op] = sse41[op];
        sse41[op] = plain;
      }
#endif
  /* The shared exits and the exit itself are what everything else needs. */
  for (int i = 0; i < WASM_ST_NSPECIAL; i++) {
    if (!ready(&lib.special[i])->usable) return;
    for (uint32_t r = 0; r < lib.special[i].nrelocs; r++) /* the exit's own cell (one or two fields) */
      if (i != WASM_ST_EXIT || lib.special[i].relocs[r].hole != WASM_HOLE_PC) return;
  }
  lib_ok = true;
  if (getenv("TOVA_STENCIL_DEBUG"))
    fprintf(stderr, "tova stencils: the stencils' object read in %.2f ms\n",
            (double)(tova_plat_monotonic_ns() - t0) / 1e6);
}

const char *wasm_stencil_op_name(int op) { return op >= 0 && op < WASM_IOP_COUNT ? wasm_iop_name(op) : "?"; }

const wasm_st_library *wasm_stencil_library(void) {
  pthread_once(&lib_once, load);
  return lib_ok ? &lib : NULL;
}
