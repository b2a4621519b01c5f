/* decode_instr.c: opcode + immediates of one instruction (see instr.h). */
#include <string.h>

#include "instr.h"

bool wasm_read_valtype(wasm_reader *r, uint8_t *out) {
  const uint8_t *at = r->p;
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  switch (b) {
    case TOVA_I32: case TOVA_I64: case TOVA_F32: case TOVA_F64:
    case TOVA_FUNCREF: case TOVA_EXTERNREF:
      *out = b;
      return true;
    case TOVA_V128:
      return rd_unsupported(r, at);
    default:
      return rd_fail_at(r, at, "malformed value type");
  }
}

bool wasm_read_reftype(wasm_reader *r, uint8_t *out) {
  const uint8_t *at = r->p;
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  if (!wasm_is_reftype(b)) return rd_fail_at(r, at, "malformed reference type");
  *out = b;
  return true;
}

int wasm_memop_natural_align(uint8_t op) {
  switch (op) {
    case WASM_OP_I32_LOAD8_S: case WASM_OP_I32_LOAD8_U: case WASM_OP_I64_LOAD8_S:
    case WASM_OP_I64_LOAD8_U: case WASM_OP_I32_STORE8: case WASM_OP_I64_STORE8:
      return 0;
    case WASM_OP_I32_LOAD16_S: case WASM_OP_I32_LOAD16_U: case WASM_OP_I64_LOAD16_S:
    case WASM_OP_I64_LOAD16_U: case WASM_OP_I32_STORE16: case WASM_OP_I64_STORE16:
      return 1;
    case WASM_OP_I32_LOAD: case WASM_OP_F32_LOAD: case WASM_OP_I64_LOAD32_S:
    case WASM_OP_I64_LOAD32_U: case WASM_OP_I32_STORE: case WASM_OP_F32_STORE:
    case WASM_OP_I64_STORE32:
      return 2;
    case WASM_OP_I64_LOAD: case WASM_OP_F64_LOAD: case WASM_OP_I64_STORE: case WASM_OP_F64_STORE:
      return 3;
    default:
      return -1;
  }
}

static bool read_zero_byte(wasm_reader *r) {
  const uint8_t *at = r->p;
  uint8_t b;
  if (!rd_byte(r, &b)) return false;
  if (b != 0) return rd_fail_at(r, at, "zero byte expected");
  return true;
}

static bool read_blocktype(wasm_reader *r, wasm_instr *in) {
  const uint8_t *at = r->p;
  if (rd_eof(r)) return rd_fail(r, WASM_MSG_EOF);
  uint8_t b = *r->p;
  if (b == WASM_BLOCKTYPE_EMPTY) {
    r->p++;
    in->bt_kind = WASM_BT_EMPTY;
    return true;
  }
  if ((b & 0xC0) == 0x40) { /* negative single-byte s33: must be a value type */
    if (!wasm_read_valtype(r, &in->bt_value)) return false;
    in->bt_kind = WASM_BT_VALUE;
    return true;
  }
  int64_t v;
  if (!rd_sleb(r, 33, &v)) return false;
  if (v < 0) return rd_fail_at(r, at, "malformed block type");
  in->bt_kind = WASM_BT_INDEX;
  in->bt_index = v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  return true;
}

static bool read_memarg(wasm_reader *r, wasm_instr *in) {
  const uint8_t *at = r->p;
  if (!rd_u32(r, &in->align)) return false;
  /* 2.0 has one memory: flags (the alignment exponent) must be below 32. */
  if (in->align >= 32) return rd_fail_at(r, at, "malformed memop flags");
  return rd_u32(r, &in->offset);
}

static bool read_fc(wasm_reader *r, wasm_instr *in) {
  const uint8_t *at = r->p;
  if (!rd_u32(r, &in->sub)) return false;
  switch (in->sub) {
    case WASM_FC_I32_TRUNC_SAT_F32_S: case WASM_FC_I32_TRUNC_SAT_F32_U:
    case WASM_FC_I32_TRUNC_SAT_F64_S: case WASM_FC_I32_TRUNC_SAT_F64_U:
    case WASM_FC_I64_TRUNC_SAT_F32_S: case WASM_FC_I64_TRUNC_SAT_F32_U:
    case WASM_FC_I64_TRUNC_SAT_F64_S: case WASM_FC_I64_TRUNC_SAT_F64_U:
      return true;
    case WASM_FC_MEMORY_INIT:
      return rd_u32(r, &in->a) && read_zero_byte(r);
    case WASM_FC_DATA_DROP:
    case WASM_FC_ELEM_DROP:
    case WASM_FC_TABLE_GROW:
    case WASM_FC_TABLE_SIZE:
    case WASM_FC_TABLE_FILL:
      return rd_u32(r, &in->a);
    case WASM_FC_MEMORY_COPY:
      return read_zero_byte(r) && read_zero_byte(r);
    case WASM_FC_MEMORY_FILL:
      return read_zero_byte(r);
    case WASM_FC_TABLE_INIT:
    case WASM_FC_TABLE_COPY:
      return rd_u32(r, &in->a) && rd_u32(r, &in->b);
    default:
      return rd_fail_at(r, at, "illegal opcode");
  }
}

bool wasm_read_instr(wasm_reader *r, wasm_instr *in) {
  in->at = r->p;
  if (!rd_byte(r, &in->op)) return false;
  uint8_t op = in->op;
  switch (op) {
    case WASM_OP_UNREACHABLE: case WASM_OP_NOP: case WASM_OP_ELSE: case WASM_OP_END:
    case WASM_OP_RETURN: case WASM_OP_DROP: case WASM_OP_SELECT: case WASM_OP_REF_IS_NULL:
      return true;
    case WASM_OP_BLOCK: case WASM_OP_LOOP: case WASM_OP_IF:
      return read_blocktype(r, in);
    case WASM_OP_BR: case WASM_OP_BR_IF: case WASM_OP_CALL:
    case WASM_OP_LOCAL_GET: case WASM_OP_LOCAL_SET: case WASM_OP_LOCAL_TEE:
    case WASM_OP_GLOBAL_GET: case WASM_OP_GLOBAL_SET:
    case WASM_OP_TABLE_GET: case WASM_OP_TABLE_SET: case WASM_OP_REF_FUNC:
      return rd_u32(r, &in->a);
    case WASM_OP_BR_TABLE: {
      if (!rd_u32(r, &in->ntargets)) return false;
      /* Each target takes at least one byte: refuse counts the input cannot hold. */
      if (in->ntargets > rd_left(r)) return rd_fail(r, WASM_MSG_EOF);
      in->targets = r->p;
      uint32_t t;
      for (uint32_t i = 0; i < in->ntargets; i++)
        if (!rd_u32(r, &t)) return false;
      return rd_u32(r, &in->a);
    }
    case WASM_OP_CALL_INDIRECT:
      return rd_u32(r, &in->a) && rd_u32(r, &in->b);
    case WASM_OP_SELECT_T: {
      /* 2.0 requires exactly one type; other counts are a validation error
       * ("invalid result arity"), so keep the count in b. */
      if (!rd_u32(r, &in->b)) return false;
      if (in->b > rd_left(r)) return rd_fail(r, WASM_MSG_EOF);
      in->type = 0;
      for (uint32_t i = 0; i < in->b; i++) {
        uint8_t t;
        if (!wasm_read_valtype(r, &t)) return false;
        if (i == 0) in->type = t;
      }
      return true;
    }
    case WASM_OP_MEMORY_SIZE: case WASM_OP_MEMORY_GROW:
      return read_zero_byte(r);
    case WASM_OP_I32_CONST: {
      int32_t v;
      if (!rd_s32(r, &v)) return false;
      in->value = (uint64_t)(int64_t)v;
      return true;
    }
    case WASM_OP_I64_CONST: {
      int64_t v;
      if (!rd_s64(r, &v)) return false;
      in->value = (uint64_t)v;
      return true;
    }
    case WASM_OP_F32_CONST: {
      uint32_t v;
      if (!rd_fixed32(r, &v)) return false;
      in->value = v;
      return true;
    }
    case WASM_OP_F64_CONST:
      return rd_fixed64(r, &in->value);
    case WASM_OP_REF_NULL:
      return wasm_read_reftype(r, &in->type);
    case WASM_OP_PREFIX_FC:
      return read_fc(r, in);
    case WASM_OP_PREFIX_SIMD:
      return rd_unsupported(r, in->at);
    default:
      if (op >= WASM_OP_I32_LOAD && op <= WASM_OP_I64_STORE32) return read_memarg(r, in);
      if (op >= WASM_OP_I32_EQZ && op <= WASM_OP_I64_EXTEND32_S) return true;
      return rd_fail_at(r, in->at, "illegal opcode");
  }
}
