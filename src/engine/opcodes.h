/*
 * opcodes.h: byte values of WebAssembly 2.0 instructions (binary format,
 * spec section 5.4), shared by the validator and the compiler.
 *
 * Single-byte opcodes are WASM_OP_*. Instructions behind the 0xFC prefix are
 * WASM_OP_PREFIX_FC followed by a u32 LEB128 sub-opcode WASM_FC_*. The 0xFD
 * prefix (SIMD) is recognised only to be rejected as unsupported.
 */
#ifndef TOVA_ENGINE_OPCODES_H
#define TOVA_ENGINE_OPCODES_H

/* Block types (besides a value type or a positive s33 type index). */
#define WASM_BLOCKTYPE_EMPTY 0x40

/* Control instructions. */
#define WASM_OP_UNREACHABLE 0x00
#define WASM_OP_NOP 0x01
#define WASM_OP_BLOCK 0x02
#define WASM_OP_LOOP 0x03
#define WASM_OP_IF 0x04
#define WASM_OP_ELSE 0x05
#define WASM_OP_END 0x0B
#define WASM_OP_BR 0x0C
#define WASM_OP_BR_IF 0x0D
#define WASM_OP_BR_TABLE 0x0E
#define WASM_OP_RETURN 0x0F
#define WASM_OP_CALL 0x10
#define WASM_OP_CALL_INDIRECT 0x11

/* Parametric instructions. */
#define WASM_OP_DROP 0x1A
#define WASM_OP_SELECT 0x1B
#define WASM_OP_SELECT_T 0x1C /* select with a vector of (exactly one) types */

/* Variable instructions. */
#define WASM_OP_LOCAL_GET 0x20
#define WASM_OP_LOCAL_SET 0x21
#define WASM_OP_LOCAL_TEE 0x22
#define WASM_OP_GLOBAL_GET 0x23
#define WASM_OP_GLOBAL_SET 0x24

/* Table instructions. */
#define WASM_OP_TABLE_GET 0x25
#define WASM_OP_TABLE_SET 0x26

/* Memory instructions: all loads/stores take a memarg (align u32, offset u32). */
#define WASM_OP_I32_LOAD 0x28
#define WASM_OP_I64_LOAD 0x29
#define WASM_OP_F32_LOAD 0x2A
#define WASM_OP_F64_LOAD 0x2B
#define WASM_OP_I32_LOAD8_S 0x2C
#define WASM_OP_I32_LOAD8_U 0x2D
#define WASM_OP_I32_LOAD16_S 0x2E
#define WASM_OP_I32_LOAD16_U 0x2F
#define WASM_OP_I64_LOAD8_S 0x30
#define WASM_OP_I64_LOAD8_U 0x31
#define WASM_OP_I64_LOAD16_S 0x32
#define WASM_OP_I64_LOAD16_U 0x33
#define WASM_OP_I64_LOAD32_S 0x34
#define WASM_OP_I64_LOAD32_U 0x35
#define WASM_OP_I32_STORE 0x36
#define WASM_OP_I64_STORE 0x37
#define WASM_OP_F32_STORE 0x38
#define WASM_OP_F64_STORE 0x39
#define WASM_OP_I32_STORE8 0x3A
#define WASM_OP_I32_STORE16 0x3B
#define WASM_OP_I64_STORE8 0x3C
#define WASM_OP_I64_STORE16 0x3D
#define WASM_OP_I64_STORE32 0x3E
#define WASM_OP_MEMORY_SIZE 0x3F /* followed by a 0x00 byte */
#define WASM_OP_MEMORY_GROW 0x40 /* followed by a 0x00 byte */

/* Numeric constants. */
#define WASM_OP_I32_CONST 0x41 /* s32 LEB128 */
#define WASM_OP_I64_CONST 0x42 /* s64 LEB128 */
#define WASM_OP_F32_CONST 0x43 /* 4 bytes little-endian */
#define WASM_OP_F64_CONST 0x44 /* 8 bytes little-endian */

/* i32 comparisons. */
#define WASM_OP_I32_EQZ 0x45
#define WASM_OP_I32_EQ 0x46
#define WASM_OP_I32_NE 0x47
#define WASM_OP_I32_LT_S 0x48
#define WASM_OP_I32_LT_U 0x49
#define WASM_OP_I32_GT_S 0x4A
#define WASM_OP_I32_GT_U 0x4B
#define WASM_OP_I32_LE_S 0x4C
#define WASM_OP_I32_LE_U 0x4D
#define WASM_OP_I32_GE_S 0x4E
#define WASM_OP_I32_GE_U 0x4F

/* i64 comparisons. */
#define WASM_OP_I64_EQZ 0x50
#define WASM_OP_I64_EQ 0x51
#define WASM_OP_I64_NE 0x52
#define WASM_OP_I64_LT_S 0x53
#define WASM_OP_I64_LT_U 0x54
#define WASM_OP_I64_GT_S 0x55
#define WASM_OP_I64_GT_U 0x56
#define WASM_OP_I64_LE_S 0x57
#define WASM_OP_I64_LE_U 0x58
#define WASM_OP_I64_GE_S 0x59
#define WASM_OP_I64_GE_U 0x5A

/* f32 comparisons. */
#define WASM_OP_F32_EQ 0x5B
#define WASM_OP_F32_NE 0x5C
#define WASM_OP_F32_LT 0x5D
#define WASM_OP_F32_GT 0x5E
#define WASM_OP_F32_LE 0x5F
#define WASM_OP_F32_GE 0x60

/* f64 comparisons. */
#define WASM_OP_F64_EQ 0x61
#define WASM_OP_F64_NE 0x62
#define WASM_OP_F64_LT 0x63
#define WASM_OP_F64_GT 0x64
#define WASM_OP_F64_LE 0x65
#define WASM_OP_F64_GE 0x66

/* i32 arithmetic. */
#define WASM_OP_I32_CLZ 0x67
#define WASM_OP_I32_CTZ 0x68
#define WASM_OP_I32_POPCNT 0x69
#define WASM_OP_I32_ADD 0x6A
#define WASM_OP_I32_SUB 0x6B
#define WASM_OP_I32_MUL 0x6C
#define WASM_OP_I32_DIV_S 0x6D
#define WASM_OP_I32_DIV_U 0x6E
#define WASM_OP_I32_REM_S 0x6F
#define WASM_OP_I32_REM_U 0x70
#define WASM_OP_I32_AND 0x71
#define WASM_OP_I32_OR 0x72
#define WASM_OP_I32_XOR 0x73
#define WASM_OP_I32_SHL 0x74
#define WASM_OP_I32_SHR_S 0x75
#define WASM_OP_I32_SHR_U 0x76
#define WASM_OP_I32_ROTL 0x77
#define WASM_OP_I32_ROTR 0x78

/* i64 arithmetic. */
#define WASM_OP_I64_CLZ 0x79
#define WASM_OP_I64_CTZ 0x7A
#define WASM_OP_I64_POPCNT 0x7B
#define WASM_OP_I64_ADD 0x7C
#define WASM_OP_I64_SUB 0x7D
#define WASM_OP_I64_MUL 0x7E
#define WASM_OP_I64_DIV_S 0x7F
#define WASM_OP_I64_DIV_U 0x80
#define WASM_OP_I64_REM_S 0x81
#define WASM_OP_I64_REM_U 0x82
#define WASM_OP_I64_AND 0x83
#define WASM_OP_I64_OR 0x84
#define WASM_OP_I64_XOR 0x85
#define WASM_OP_I64_SHL 0x86
#define WASM_OP_I64_SHR_S 0x87
#define WASM_OP_I64_SHR_U 0x88
#define WASM_OP_I64_ROTL 0x89
#define WASM_OP_I64_ROTR 0x8A

/* f32 arithmetic. */
#define WASM_OP_F32_ABS 0x8B
#define WASM_OP_F32_NEG 0x8C
#define WASM_OP_F32_CEIL 0x8D
#define WASM_OP_F32_FLOOR 0x8E
#define WASM_OP_F32_TRUNC 0x8F
#define WASM_OP_F32_NEAREST 0x90
#define WASM_OP_F32_SQRT 0x91
#define WASM_OP_F32_ADD 0x92
#define WASM_OP_F32_SUB 0x93
#define WASM_OP_F32_MUL 0x94
#define WASM_OP_F32_DIV 0x95
#define WASM_OP_F32_MIN 0x96
#define WASM_OP_F32_MAX 0x97
#define WASM_OP_F32_COPYSIGN 0x98

/* f64 arithmetic. */
#define WASM_OP_F64_ABS 0x99
#define WASM_OP_F64_NEG 0x9A
#define WASM_OP_F64_CEIL 0x9B
#define WASM_OP_F64_FLOOR 0x9C
#define WASM_OP_F64_TRUNC 0x9D
#define WASM_OP_F64_NEAREST 0x9E
#define WASM_OP_F64_SQRT 0x9F
#define WASM_OP_F64_ADD 0xA0
#define WASM_OP_F64_SUB 0xA1
#define WASM_OP_F64_MUL 0xA2
#define WASM_OP_F64_DIV 0xA3
#define WASM_OP_F64_MIN 0xA4
#define WASM_OP_F64_MAX 0xA5
#define WASM_OP_F64_COPYSIGN 0xA6

/* Conversions. */
#define WASM_OP_I32_WRAP_I64 0xA7
#define WASM_OP_I32_TRUNC_F32_S 0xA8
#define WASM_OP_I32_TRUNC_F32_U 0xA9
#define WASM_OP_I32_TRUNC_F64_S 0xAA
#define WASM_OP_I32_TRUNC_F64_U 0xAB
#define WASM_OP_I64_EXTEND_I32_S 0xAC
#define WASM_OP_I64_EXTEND_I32_U 0xAD
#define WASM_OP_I64_TRUNC_F32_S 0xAE
#define WASM_OP_I64_TRUNC_F32_U 0xAF
#define WASM_OP_I64_TRUNC_F64_S 0xB0
#define WASM_OP_I64_TRUNC_F64_U 0xB1
#define WASM_OP_F32_CONVERT_I32_S 0xB2
#define WASM_OP_F32_CONVERT_I32_U 0xB3
#define WASM_OP_F32_CONVERT_I64_S 0xB4
#define WASM_OP_F32_CONVERT_I64_U 0xB5
#define WASM_OP_F32_DEMOTE_F64 0xB6
#define WASM_OP_F64_CONVERT_I32_S 0xB7
#define WASM_OP_F64_CONVERT_I32_U 0xB8
#define WASM_OP_F64_CONVERT_I64_S 0xB9
#define WASM_OP_F64_CONVERT_I64_U 0xBA
#define WASM_OP_F64_PROMOTE_F32 0xBB
#define WASM_OP_I32_REINTERPRET_F32 0xBC
#define WASM_OP_I64_REINTERPRET_F64 0xBD
#define WASM_OP_F32_REINTERPRET_I32 0xBE
#define WASM_OP_F64_REINTERPRET_I64 0xBF

/* Sign extension. */
#define WASM_OP_I32_EXTEND8_S 0xC0
#define WASM_OP_I32_EXTEND16_S 0xC1
#define WASM_OP_I64_EXTEND8_S 0xC2
#define WASM_OP_I64_EXTEND16_S 0xC3
#define WASM_OP_I64_EXTEND32_S 0xC4

/* Reference instructions. */
#define WASM_OP_REF_NULL 0xD0 /* followed by a reftype byte */
#define WASM_OP_REF_IS_NULL 0xD1
#define WASM_OP_REF_FUNC 0xD2 /* followed by a funcidx */

/* Prefixes. */
#define WASM_OP_PREFIX_FC 0xFC
#define WASM_OP_PREFIX_SIMD 0xFD /* unsupported */

/* 0xFC sub-opcodes (u32 LEB128 after the prefix). */
#define WASM_FC_I32_TRUNC_SAT_F32_S 0
#define WASM_FC_I32_TRUNC_SAT_F32_U 1
#define WASM_FC_I32_TRUNC_SAT_F64_S 2
#define WASM_FC_I32_TRUNC_SAT_F64_U 3
#define WASM_FC_I64_TRUNC_SAT_F32_S 4
#define WASM_FC_I64_TRUNC_SAT_F32_U 5
#define WASM_FC_I64_TRUNC_SAT_F64_S 6
#define WASM_FC_I64_TRUNC_SAT_F64_U 7
#define WASM_FC_MEMORY_INIT 8  /* dataidx, 0x00 */
#define WASM_FC_DATA_DROP 9    /* dataidx */
#define WASM_FC_MEMORY_COPY 10 /* 0x00 0x00 */
#define WASM_FC_MEMORY_FILL 11 /* 0x00 */
#define WASM_FC_TABLE_INIT 12  /* elemidx, tableidx */
#define WASM_FC_ELEM_DROP 13   /* elemidx */
#define WASM_FC_TABLE_COPY 14  /* dst tableidx, src tableidx */
#define WASM_FC_TABLE_GROW 15  /* tableidx */
#define WASM_FC_TABLE_SIZE 16  /* tableidx */
#define WASM_FC_TABLE_FILL 17  /* tableidx */

#endif /* TOVA_ENGINE_OPCODES_H */
