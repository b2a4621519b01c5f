/*
 * instr.h: decoding ONE instruction (opcode + immediates) from a reader.
 *
 * Shared by the decoder (syntax scan of bodies and constant expressions), the
 * validator and the compiler so immediates are parsed in exactly one place.
 * Only the binary syntax is checked here (known opcode, well-formed LEB128,
 * reserved zero bytes, memarg flags); typing is the validator's job.
 */
#ifndef TOVA_ENGINE_INSTR_H
#define TOVA_ENGINE_INSTR_H

#include "opcodes.h"
#include "reader.h"

typedef enum wasm_blocktype_kind {
  WASM_BT_EMPTY = 0, /* [] -> [] */
  WASM_BT_VALUE = 1, /* [] -> [bt_value] */
  WASM_BT_INDEX = 2  /* function type bt_index */
} wasm_blocktype_kind;

typedef struct wasm_instr {
  const uint8_t *at; /* first byte of the instruction (for messages) */
  uint8_t op;        /* first opcode byte (WASM_OP_*) */
  uint32_t sub;      /* WASM_FC_* when op == WASM_OP_PREFIX_FC */
  /* Index immediates:
   *   local/global/call/ref.func/br/br_if/table.get/set/grow/size/fill, data.drop, elem.drop: a
   *   call_indirect: a = type index, b = table index
   *   memory.init: a = data index;  table.init: a = elem index, b = table index
   *   table.copy: a = destination table, b = source table */
  uint32_t a, b;
  /* Loads and stores: memarg (align is the log2 exponent as encoded). */
  uint32_t align, offset;
  /* Block types (block/loop/if). */
  uint8_t bt_kind;  /* wasm_blocktype_kind */
  uint8_t bt_value; /* WASM_BT_VALUE: tova_valtype */
  uint32_t bt_index;
  /* Constants: i32/i64 sign-extended into value, floats by bits. */
  uint64_t value;
  /* select t: type; ref.null: reftype. */
  uint8_t type;
  /* br_table: ntargets label indices (not counting the default) as LEB128
   * starting at `targets`, followed by the default label; a holds the
   * default. Re-read them with rd_u32 (they were already checked). */
  const uint8_t *targets;
  uint32_t ntargets;
} wasm_instr;

/* Read one instruction. Errors: "unexpected end", "illegal opcode",
 * "zero byte expected", "malformed memop flags", LEB128 errors,
 * "malformed value type", "malformed reference type", and unsupported SIMD. */
bool wasm_read_instr(wasm_reader *r, wasm_instr *in);

/* Value type byte -> true if valid in WebAssembly 2.0 (v128 gives
 * unsupported). */
bool wasm_read_valtype(wasm_reader *r, uint8_t *out);
bool wasm_read_reftype(wasm_reader *r, uint8_t *out);

static inline bool wasm_is_reftype(uint8_t t) { return t == TOVA_FUNCREF || t == TOVA_EXTERNREF; }

/* Natural alignment (log2 bytes) of a load/store opcode, or -1 if op is not one. */
int wasm_memop_natural_align(uint8_t op);

#endif /* TOVA_ENGINE_INSTR_H */
