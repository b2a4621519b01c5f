/*
 * decode.h: state shared by the decoder's files (decode.c: module header and
 * the simple sections; decode_segments.c: constant expressions, element, data
 * and code sections).
 *
 * Like the spec's reference decoder, section contents are read from a reader
 * bounded by the END OF THE INPUT, not of the section, and the section size is
 * checked afterwards ("section size mismatch"). This gives the same error for
 * the same malformed binary as the official tests expect (e.g. a missing `end`
 * of a constant expression reads the next section's id as an opcode).
 */
#ifndef TOVA_ENGINE_DECODE_H
#define TOVA_ENGINE_DECODE_H

#include "instr.h"
#include "module.h"

/* Implementation limit: declared locals per function (as V8 and others). */
#define WASM_MAX_LOCALS 50000u
/* Implementation limit: parameters and results per function type (as V8).
 * Keeps per-instruction validation work (block params, calls) bounded. */
#define WASM_MAX_TYPE_ARITY 1000u

typedef struct wasm_decoder {
  tova_module *m;
  wasm_reader r;
  const char *section; /* name of the section being decoded, for messages */
  bool nomem;
  bool in_body;        /* decoding the body of function `func_index` */
  uint32_t func_index; /* (function index space, imports included) */
  bool has_func_section;
  uint32_t ndefined_funcs; /* from the function section */
  bool has_code_section;
  uint32_t ncode; /* bodies in the code section */
  bool has_data_section;
  /* First memory.init/data.drop in a body: these need the data count section
   * when there is a data section (bodies are decoded before the data). */
  const uint8_t *data_index_use;
  /* Syntax scan of bodies: kinds of the open blocks (heap, never recursion). */
  uint8_t *blocks;
  size_t blocks_cap;
} wasm_decoder;

/* calloc(n, size) with overflow check; on failure marks the decoder out of
 * memory and records an error. */
void *wasm_decoder_alloc(wasm_decoder *d, size_t n, size_t size);

/* Read a vector length and check that n entries of at least min_size bytes
 * each can still follow in the input (so no huge allocation precedes the
 * bytes that would justify it). */
bool wasm_decode_count(wasm_decoder *d, uint32_t *n, size_t min_size);

/* A constant expression up to and including its `end`. */
bool wasm_decode_constexpr(wasm_decoder *d, wasm_constexpr *out);

bool wasm_decode_elem_section(wasm_decoder *d);
bool wasm_decode_code_section(wasm_decoder *d);
bool wasm_decode_data_section(wasm_decoder *d);

#endif /* TOVA_ENGINE_DECODE_H */
