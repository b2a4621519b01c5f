/*
 * reloc.c: the machine's relocations, the one part of the stencil tier that
 * differs between x86-64 and AArch64 (stencil_internal.h). library.c asks
 * which kinds are known and where a stencil's final jump to the next
 * instruction is; emit.c asks to patch a field. Every patch checks that the
 * value fits its field: a value that does not makes emit.c leave the
 * function to the interpreter, never writes a truncated address.
 *
 * x86-64 (clang's small code model, no PIC): 32-bit fields, absolute
 * (WASM_R_X86_64_32/32S: slot offsets as displacements) or PC-relative (PC32,
 * PLT32: jumps, pool entries, read-only data).
 *
 * AArch64 (the small code model, no PIC): 32-bit instructions whose
 * immediate fields are patched:
 *   MOVW_UABS_G0           a MOVZ's 16 bits: a slot's byte offset
 *                          (stencils.c SLOT_OFF), at most 64 KB;
 *   JUMP26, CALL26         B/BL, +-128 MB: jumps to other code;
 *   CONDBR19, TSTBR14      B.cond/CBZ +-1 MB, TBZ +-32 KB;
 *   ADR_PREL_PG_HI21       ADRP, +-4 GB: the 4 KB page of a pool entry or
 *                          of read-only data...
 *   ADD_ABS_LO12_NC,       ...and the low 12 bits within it, for an ADD or
 *   LDST{8,16,32,64,128}_ABS_LO12_NC  a load, scaled by its size (the
 *                          address must be aligned to it).
 * Code written there must also be made visible to instruction fetch
 * (wasm_st_flush_code): AArch64's instruction cache is not coherent with
 * data writes.
 */
#include <string.h>

#include "engine/stencil/stencil_internal.h"

static void set32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

#if defined(__x86_64__)

const uint16_t wasm_st_elf_machine = WASM_ELF_X86_64;
/* A displacement is signed 32-bit; the compiler's slot numbers stay far
 * below (2^27 bytes). */
const uint32_t wasm_st_max_slot_bytes = 1u << 30;
/* PC-relative fields reach +-2 GB. */
const size_t wasm_st_max_code = (size_t)256 << 20;

bool wasm_st_reloc_known(uint32_t type) {
  return type == WASM_R_X86_64_32 || type == WASM_R_X86_64_32S || type == WASM_R_X86_64_PC32 || type == WASM_R_X86_64_PLT32;
}

uint32_t wasm_st_tail_jump_len(const wasm_stencil *s) {
  if (s->len < 5 || s->code[s->len - 5] != 0xe9) return 0; /* jmp rel32 */
  for (uint32_t i = 0; i < s->nrelocs; i++) {
    const wasm_st_reloc *r = &s->relocs[i];
    if (r->at == s->len - 4 && r->hole == WASM_HOLE_NEXT && r->addend == -4 &&
        (r->type == WASM_R_X86_64_PLT32 || r->type == WASM_R_X86_64_PC32))
      return 5;
  }
  return 0;
}

static bool put32(uint8_t *field, int64_t v, bool is_signed) {
  if (is_signed ? (v < INT32_MIN || v > INT32_MAX) : (v < 0 || v > (int64_t)UINT32_MAX)) return false;
  set32(field, (uint32_t)v);
  return true;
}

/* Within what clang may assume of a symbol's address under the small code
 * model (below 2 GB), not merely what the field holds: a stencil compiled
 * on that assumption may, for one, zero-extend an address it sign-extends
 * elsewhere. */
bool wasm_st_abs_fits(uint16_t type, uint64_t value) {
  int64_t v = (int64_t)value;
  switch (type) {
    case WASM_R_X86_64_32: return v >= 0 && v <= INT32_MAX;
    case WASM_R_X86_64_32S: return v >= INT32_MIN && v <= INT32_MAX;
    default: return false;
  }
}

bool wasm_st_patch(uint8_t *field, uint16_t type, uint64_t value) {
  int64_t v = (int64_t)value;
  switch (type) {
    case WASM_R_X86_64_32: return put32(field, v, false);
    case WASM_R_X86_64_32S: return put32(field, v, true);
    case WASM_R_X86_64_PC32:
    case WASM_R_X86_64_PLT32: return put32(field, v - (int64_t)(uintptr_t)field, true);
    default: return false;
  }
}

void wasm_st_flush_code(void *start, size_t len) { (void)start, (void)len; /* coherent */ }

#elif defined(__aarch64__)

static uint32_t get32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

const uint16_t wasm_st_elf_machine = WASM_ELF_AARCH64;
const uint32_t wasm_st_max_slot_bytes = 1u << 16; /* a MOVZ's immediate */
/* B reaches +-128 MB, and the shared exits sit at the start of the mapping. */
const size_t wasm_st_max_code = (size_t)120 << 20;

bool wasm_st_reloc_known(uint32_t type) {
  switch (type) {
    case WASM_R_AARCH64_MOVW_UABS_G0:
    case WASM_R_AARCH64_JUMP26:
    case WASM_R_AARCH64_CALL26:
    case WASM_R_AARCH64_CONDBR19:
    case WASM_R_AARCH64_TSTBR14:
    case WASM_R_AARCH64_ADR_PREL_PG_HI21:
    case WASM_R_AARCH64_ADD_ABS_LO12_NC:
    case WASM_R_AARCH64_LDST8_ABS_LO12_NC:
    case WASM_R_AARCH64_LDST16_ABS_LO12_NC:
    case WASM_R_AARCH64_LDST32_ABS_LO12_NC:
    case WASM_R_AARCH64_LDST64_ABS_LO12_NC:
    case WASM_R_AARCH64_LDST128_ABS_LO12_NC: return true;
    default: return false;
  }
}

uint32_t wasm_st_tail_jump_len(const wasm_stencil *s) {
  if (s->len < 4 || (get32(s->code + s->len - 4) & 0xfc000000u) != 0x14000000u) return 0; /* B */
  for (uint32_t i = 0; i < s->nrelocs; i++) {
    const wasm_st_reloc *r = &s->relocs[i];
    if (r->at == s->len - 4 && r->hole == WASM_HOLE_NEXT && r->addend == 0 && r->type == WASM_R_AARCH64_JUMP26)
      return 4;
  }
  return 0;
}

/* A PC-relative branch of `bits` signed bits of words at bit 5 (or 0 for
 * B/BL's 26). */
static bool put_branch(uint8_t *field, int64_t d, unsigned bits, unsigned shift) {
  if (d & 3) return false;
  int64_t w = d / 4, lim = (int64_t)1 << (bits - 1);
  if (w < -lim || w >= lim) return false;
  uint32_t mask = (uint32_t)(((uint64_t)1 << bits) - 1) << shift;
  set32(field, (get32(field) & ~mask) | (((uint32_t)w << shift) & mask));
  return true;
}

/* An unsigned 12-bit immediate at bit 10, the low 12 bits scaled by 2^scale. */
static bool put_lo12(uint8_t *field, uint64_t v, unsigned scale) {
  uint64_t lo = v & 0xfff;
  if (lo & ((1u << scale) - 1)) return false;
  uint32_t mask = 0xfffu << 10;
  set32(field, (get32(field) & ~mask) | ((uint32_t)(lo >> scale) << 10));
  return true;
}

bool wasm_st_abs_fits(uint16_t type, uint64_t value) {
  return type == WASM_R_AARCH64_MOVW_UABS_G0 && value <= 0xffff;
}

bool wasm_st_patch(uint8_t *field, uint16_t type, uint64_t value) {
  int64_t d = (int64_t)value - (int64_t)(uintptr_t)field;
  switch (type) {
    case WASM_R_AARCH64_MOVW_UABS_G0: {
      if (value > 0xffff) return false;
      uint32_t mask = 0xffffu << 5;
      set32(field, (get32(field) & ~mask) | ((uint32_t)value << 5));
      return true;
    }
    case WASM_R_AARCH64_JUMP26:
    case WASM_R_AARCH64_CALL26: return put_branch(field, d, 26, 0);
    case WASM_R_AARCH64_CONDBR19: return put_branch(field, d, 19, 5);
    case WASM_R_AARCH64_TSTBR14: return put_branch(field, d, 14, 5);
    case WASM_R_AARCH64_ADR_PREL_PG_HI21: {
      int64_t pages = (int64_t)(value >> 12) - (int64_t)((uintptr_t)field >> 12);
      if (pages < -((int64_t)1 << 20) || pages >= ((int64_t)1 << 20)) return false;
      uint32_t imm = (uint32_t)pages & 0x1fffff;
      uint32_t mask = (3u << 29) | (0x7ffffu << 5);
      set32(field, (get32(field) & ~mask) | ((imm & 3) << 29) | ((imm >> 2) << 5));
      return true;
    }
    case WASM_R_AARCH64_ADD_ABS_LO12_NC:
    case WASM_R_AARCH64_LDST8_ABS_LO12_NC: return put_lo12(field, value, 0);
    case WASM_R_AARCH64_LDST16_ABS_LO12_NC: return put_lo12(field, value, 1);
    case WASM_R_AARCH64_LDST32_ABS_LO12_NC: return put_lo12(field, value, 2);
    case WASM_R_AARCH64_LDST64_ABS_LO12_NC: return put_lo12(field, value, 3);
    case WASM_R_AARCH64_LDST128_ABS_LO12_NC: return put_lo12(field, value, 4);
    default: return false;
  }
}

void wasm_st_flush_code(void *start, size_t len) {
  __builtin___clear_cache((char *)start, (char *)start + len);
}

#else
#error "the stencil tier is built for x86-64 and AArch64 only (CMakeLists.txt)"
#endif
