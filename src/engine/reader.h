/*
 * reader.h: a bounds-checked cursor over WebAssembly binary bytes.
 *
 * Every read checks the bytes exist before touching them. On failure a reader
 * records the FIRST error (a message and the byte offset where it happened)
 * and returns false; callers just propagate false and the top level formats
 * "section S at offset N: message". Messages contain the phrases the official
 * spec tests expect ("unexpected end", "integer too large", ...).
 *
 * LEB128 follows the spec exactly: at most ceil(N/7) bytes for an N-bit
 * integer ("integer representation too long"), and the unused bits of the last
 * byte must be zero (unsigned) or copies of the sign bit (signed) ("integer
 * too large").
 */
#ifndef TOVA_ENGINE_READER_H
#define TOVA_ENGINE_READER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tova.h"

#define WASM_MSG_EOF "unexpected end of section or function"

typedef struct wasm_reader {
  const uint8_t *base; /* start of the module: offsets in messages are relative to it */
  const uint8_t *p;    /* next byte */
  const uint8_t *end;  /* one past the last readable byte */
  const char *error;   /* first error, NULL while all is well */
  size_t error_at;     /* its byte offset from base */
  tova_status status;  /* TOVA_ERR_INVALID_MODULE or TOVA_ERR_UNSUPPORTED */
  char buf[160];       /* storage for formatted messages */
} wasm_reader;

static inline void wasm_reader_init(wasm_reader *r, const uint8_t *base, const uint8_t *p,
                                    const uint8_t *end) {
  r->base = base;
  r->p = p;
  r->end = end;
  r->error = NULL;
  r->error_at = 0;
  r->status = TOVA_ERR_INVALID_MODULE;
  r->buf[0] = 0;
}

static inline size_t rd_offset(const wasm_reader *r) { return (size_t)(r->p - r->base); }
static inline size_t rd_left(const wasm_reader *r) { return (size_t)(r->end - r->p); }
static inline bool rd_eof(const wasm_reader *r) { return r->p >= r->end; }

/* Record an error at byte `at` (only the first one sticks). Returns false. */
static inline bool rd_fail_at(wasm_reader *r, const uint8_t *at, const char *msg) {
  if (!r->error) {
    r->error = msg;
    r->error_at = (size_t)(at - r->base);
  }
  return false;
}
static inline bool rd_fail(wasm_reader *r, const char *msg) { return rd_fail_at(r, r->p, msg); }

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static inline bool rd_failf(wasm_reader *r, const uint8_t *at, const char *fmt, ...) {
  if (!r->error) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->buf, sizeof r->buf, fmt, ap);
    va_end(ap);
    r->error = r->buf;
    r->error_at = (size_t)(at - r->base);
  }
  return false;
}

/* Valid WebAssembly this engine does not run (SIMD). */
static inline bool rd_unsupported(wasm_reader *r, const uint8_t *at) {
  if (!r->error) r->status = TOVA_ERR_UNSUPPORTED;
  return rd_fail_at(r, at, "SIMD (v128) is not supported");
}

static inline bool rd_byte(wasm_reader *r, uint8_t *out) {
  if (r->p >= r->end) return rd_fail(r, WASM_MSG_EOF);
  *out = *r->p++;
  return true;
}

static inline bool rd_bytes(wasm_reader *r, size_t n, const uint8_t **out) {
  if (n > rd_left(r)) return rd_fail(r, WASM_MSG_EOF);
  *out = r->p;
  r->p += n;
  return true;
}

/* Unsigned LEB128 of at most `bits` (<= 64) bits. */
static inline bool rd_uleb(wasm_reader *r, unsigned bits, uint64_t *out) {
  const uint8_t *start = r->p;
  const unsigned maxbytes = (bits + 6) / 7;
  uint64_t v = 0;
  for (unsigned i = 0;; i++) {
    if (r->p >= r->end) return rd_fail(r, WASM_MSG_EOF);
    uint8_t b = *r->p++;
    if (i == maxbytes - 1) {
      if (b & 0x80) return rd_fail_at(r, start, "integer representation too long");
      /* Bits of the last byte beyond `bits` must be zero. */
      unsigned used = bits - 7 * i;
      if (used < 7 && (b >> used) != 0) return rd_fail_at(r, start, "integer too large");
      v |= (uint64_t)b << (7 * i);
      break;
    }
    v |= (uint64_t)(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) break;
  }
  *out = v;
  return true;
}

/* Signed LEB128 of at most `bits` (<= 64) bits, sign-extended. */
static inline bool rd_sleb(wasm_reader *r, unsigned bits, int64_t *out) {
  const uint8_t *start = r->p;
  const unsigned maxbytes = (bits + 6) / 7;
  uint64_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  for (unsigned i = 0;; i++) {
    if (r->p >= r->end) return rd_fail(r, WASM_MSG_EOF);
    b = *r->p++;
    if (i == maxbytes - 1) {
      if (b & 0x80) return rd_fail_at(r, start, "integer representation too long");
      /* The unused high bits of the last byte must all equal the sign bit
       * (bit `used - 1` of this byte). */
      unsigned used = bits - 7 * i;
      if (used < 7) {
        uint8_t rest = (uint8_t)((b & 0x7F) >> (used - 1)); /* sign bit and above */
        uint8_t all = (uint8_t)(0x7F >> (used - 1));
        if (rest != 0 && rest != all) return rd_fail_at(r, start, "integer too large");
      }
    }
    v |= (uint64_t)(b & 0x7F) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
  *out = (int64_t)v;
  return true;
}

static inline bool rd_u32(wasm_reader *r, uint32_t *out) {
  uint64_t v;
  if (!rd_uleb(r, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

static inline bool rd_s32(wasm_reader *r, int32_t *out) {
  int64_t v;
  if (!rd_sleb(r, 32, &v)) return false;
  *out = (int32_t)v;
  return true;
}

static inline bool rd_s64(wasm_reader *r, int64_t *out) { return rd_sleb(r, 64, out); }

static inline bool rd_fixed32(wasm_reader *r, uint32_t *out) {
  const uint8_t *b;
  if (!rd_bytes(r, 4, &b)) return false;
  *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return true;
}

static inline bool rd_fixed64(wasm_reader *r, uint64_t *out) {
  uint32_t lo, hi;
  if (!rd_fixed32(r, &lo) || !rd_fixed32(r, &hi)) return false;
  *out = (uint64_t)hi << 32 | lo;
  return true;
}

#endif /* TOVA_ENGINE_READER_H */
