/*
 * stencil_internal.h: the stencils as library.c reads them and emit.c uses
 * them (stencil.h says what the tier is).
 */
#ifndef TOVA_ENGINE_STENCIL_INTERNAL_H
#define TOVA_ENGINE_STENCIL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/compile.h"
#include "engine/elf_format.h"
#include "engine/stencil/stencil.h"

/* What a hole is filled with (stencils.c names them). */
enum wasm_hole_kind {
  WASM_HOLE_SLOT,   /* k: operand cell k's slot, as a byte offset from fp */
  WASM_HOLE_U,      /* k: a pool entry holding operand cell k's value */
  WASM_HOLE_TARGET, /* k: the code of the instruction operand k branches to */
  WASM_HOLE_NEXT,   /* the code of the next instruction */
  WASM_HOLE_PC,     /* a pool entry holding the instruction's first cell's address */
  WASM_HOLE_CELL,   /* k: a pool entry holding operand cell k's address */
  WASM_HOLE_SHARED, /* k: the shared exit stencil k (wasm_st_special) */
  WASM_HOLE_RODATA, /* the stencils' read-only data, at data_at */
  WASM_HOLE_RET,    /* a pool entry holding the next instruction's first cell's address */
  WASM_HOLE_HANDLER, /* k: a pool entry holding the interpreter's handler of op k */
  WASM_HOLE_TABLE,   /* a pool entry holding the address of the br_table targets' code that follows */
  WASM_HOLE_IMM,     /* k: operand cell k's value, in the instruction's own field (when it fits) */
  /* Marks of stencils.c's KIND_ functions, read by library.c, never in a
   * stencil (emit.c refuses any it does not know): operand k read as a
   * float, operand k read as an integer, a float result. */
  WASM_MARK_FLOAT_READ,
  WASM_MARK_INT_READ,
  WASM_MARK_FLOAT_RESULT
};

/* The stencils that are not an instruction's. */
enum wasm_st_special {
  WASM_ST_EXIT, /* hand the instruction to the interpreter */
  WASM_ST_CANCEL,
  WASM_ST_TRAP_OOB_MEM,
  WASM_ST_TRAP_DIV_ZERO,
  WASM_ST_TRAP_OVERFLOW,
  WASM_ST_TRAP_BAD_CONV,
  WASM_ST_NSPECIAL
};

typedef struct wasm_st_reloc {
  uint32_t at;     /* byte offset of the 4-byte field in the stencil */
  uint16_t type;   /* the machine's relocation type (reloc.c) */
  uint8_t hole;    /* wasm_hole_kind */
  uint8_t k;       /* operand cell, or wasm_st_special */
  bool after_table; /* a pool hole after the TABLE entry: its slot moves by the table's length */
  uint16_t slot;    /* a pool hole's first slot in its stencil's pool (for a table of length 0) */
  int32_t addend;
  uint32_t data_at; /* WASM_HOLE_RODATA: offset in the library's rodata */
} wasm_st_reloc;

/* Whether a hole of this kind is filled through an entry of the pool beside
 * the code (emit.c) rather than in the instruction itself. A stencil's pool
 * has one entry per distinct (hole, k) among its body's relocations, in the
 * order they first appear (library.c numbers them once): a RET takes three
 * slots, a TABLE two plus the table's length (known per instruction only),
 * the others one. */
static inline bool wasm_st_pool_hole(uint8_t hole) {
  return hole == WASM_HOLE_U || hole == WASM_HOLE_PC || hole == WASM_HOLE_CELL || hole == WASM_HOLE_RET ||
         hole == WASM_HOLE_HANDLER || hole == WASM_HOLE_TABLE;
}

typedef struct wasm_stencil {
  const uint8_t *code; /* NULL: no such stencil */
  uint32_t len;
  uint32_t body_len; /* len without a final `jmp next` */
  wasm_st_reloc *relocs;
  uint32_t nrelocs;
  bool usable;
  /* It may hand its own instruction to the interpreter (a hole for its own
   * cell): that instruction keeps its handler, it never becomes JIT_AT. */
  bool leaves_at_self;
  bool continues; /* it may go on to the next instruction */
  bool has_table;      /* its pool holds a br_table's targets */
  uint16_t pool_slots; /* its pool's length, for a table of length 0 */
  /* library.c's lazy reading: the object's RELA section of this stencil
   * (UINT32_MAX: none), and whether everything above it has been read
   * (atomic; library.c LAZY). Only wasm_st_op and wasm_st_variant_of hand
   * out a stencil of an op, and only once it is read. */
  uint32_t rela;
  bool ready;
} wasm_stencil;

/* A pool hole's slot, and a stencil's pool length, for an instruction whose
 * table (br_table) has table_n entries (0: none). */
static inline uint32_t wasm_st_reloc_slot(const wasm_st_reloc *r, uint32_t table_n) {
  return r->slot + (r->after_table ? table_n : 0);
}
static inline uint32_t wasm_st_pool_len(const wasm_stencil *st, uint32_t table_n) {
  return st->pool_slots + (st->has_table ? table_n : 0);
}

/* The variants of an instruction's stencil (stencils.c): W passes the
 * result (operand 1) on in acc, R<k> reads operand k from acc, WR<k> both. */
enum wasm_st_variant { WASM_ST_W, WASM_ST_R1, WASM_ST_R2, WASM_ST_R3, WASM_ST_WR2, WASM_ST_WR3, WASM_ST_NVARIANTS };

/* The variant that writes acc or not and reads operand `reads` (0: none)
 * from it; -1 when there is none (the plain stencil: -1 too). */
static inline int wasm_st_variant(bool writes, unsigned reads) {
  if (!writes) return reads >= 1 && reads <= 3 ? WASM_ST_R1 + (int)reads - 1 : -1;
  return reads == 0 ? WASM_ST_W : reads == 2 ? WASM_ST_WR2 : reads == 3 ? WASM_ST_WR3 : -1;
}

typedef struct wasm_st_library {
  /* What stencils.c's KIND_ functions say of each body: which operands it
   * reads as floats (bit k: from facc in an R variant) and as integers
   * (from acc), and whether its result is a float (a W variant passes it
   * in facc; an integer result in acc). kind_known: the body has such a
   * function (without one, emit.c pairs nothing with it). */
  uint16_t float_reads[WASM_IOP_COUNT];
  uint16_t int_reads[WASM_IOP_COUNT];
  bool float_result[WASM_IOP_COUNT];
  bool kind_known[WASM_IOP_COUNT];
  wasm_stencil op[WASM_IOP_COUNT];
  wasm_stencil variant[WASM_ST_NVARIANTS][WASM_IOP_COUNT];
  wasm_stencil special[WASM_ST_NSPECIAL];
  uint8_t *rodata; /* every read-only data section, laid out */
  uint32_t rodata_len;
  uint32_t *rodata_at; /* per object section: its offset in rodata, or UINT32_MAX */
} wasm_st_library;

/* The machine's relocations (reloc.c). */
extern const uint16_t wasm_st_elf_machine;  /* the object's e_machine */
extern const uint32_t wasm_st_max_slot_bytes; /* a slot hole holds a byte offset below this */
extern const size_t wasm_st_max_code;         /* the most code a module's mapping may hold */
/* Whether emit.c can patch relocations of this type. */
bool wasm_st_reloc_known(uint32_t type);
/* The length of a stencil's final jump to the next instruction (which emit.c
 * drops, letting the next stencil follow), or 0. */
uint32_t wasm_st_tail_jump_len(const wasm_stencil *s);
/* Patches the field a relocation of this type points at so that it refers to
 * `value` (the hole's address plus the addend); false when it does not fit. */
bool wasm_st_patch(uint8_t *field, uint16_t type, uint64_t value);
/* Whether `value` fits the field of an absolute (not PC-relative)
 * relocation of this type: an IMM hole's operand plus the addend. */
bool wasm_st_abs_fits(uint16_t type, uint64_t value);
/* Makes freshly written code visible to instruction fetch. */
void wasm_st_flush_code(void *start, size_t len);

/* An internal op's name (iops.h), for TOVA_STENCIL_DEBUG. */
const char *wasm_stencil_op_name(int op);
/* Whether an ELF object of stencils was built for this library's structure
 * layout (layout.h); the embedded object is checked so before any use. */
bool wasm_stencil_layout_matches(const unsigned char *object, size_t len);
/* The stencils, read on first use; NULL when the object cannot be read.
 * An op's stencils are read on first use too: take them through these
 * (never lib->op[...] or lib->variant[...] directly); special[] is read. */
const wasm_st_library *wasm_stencil_library(void);
const wasm_stencil *wasm_st_op(const wasm_st_library *lib, int op);
const wasm_stencil *wasm_st_variant_of(const wasm_st_library *lib, int variant, int op);

#endif /* TOVA_ENGINE_STENCIL_INTERNAL_H */
