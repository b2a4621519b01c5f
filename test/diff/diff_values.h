/*
 * diff_values.h: the canonical forms both runners of the differential fuzzer
 * agree on (diff_run.c here, node_run.js in JavaScript: keep them in step).
 *
 *   - argument sets: set 0 is all zeros; set s >= 1 gives parameter i the
 *     entry (s * 7 + i * 3) % N of its type's table below. No NaN arguments:
 *     JavaScript may change a NaN's bits on the way in.
 *   - values: i32/i64 signed decimal, f32:xxxxxxxx / f64:xxxxxxxxxxxxxxxx by
 *     bits, and "nan" for every NaN (spec 4.3.3: an arithmetic NaN result may
 *     have any sign and payload, so engines legitimately differ there).
 *   - trap classes: the spec's messages mapped to a short class name, as
 *     coarse as needed for V8's messages to map to the same classes.
 *   - hash: 32-bit FNV-1a.
 */
#ifndef TOVA_TEST_DIFF_VALUES_H
#define TOVA_TEST_DIFF_VALUES_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tova.h"

enum { DIFF_ARG_SETS = 3 };

#define DIFF_FNV_INIT 2166136261u

static inline uint32_t diff_fnv1a(uint32_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static const int32_t diff_i32_table[] = {0,  1,      -1,     2,     3,          7,         8,
                                         31, 32,     100,    -100,  255,        256,       65535,
                                         65536, 1024, -2,    13,    2147483647, INT32_MIN};
static const int64_t diff_i64_table[] = {0,
                                         1,
                                         -1,
                                         2,
                                         7,
                                         63,
                                         64,
                                         255,
                                         65536,
                                         0xffffffffLL,
                                         0x100000000LL,
                                         -1000000,
                                         1234567890123LL,
                                         -2,
                                         INT64_MAX,
                                         INT64_MIN};
/* f32 bits: 0, -0, 1, -1, 0.5, 1.5, -2.5, 100, FLT_MAX, smallest subnormal,
 * inf, -inf, 2^31, -1e10 */
static const uint32_t diff_f32_table[] = {0x00000000, 0x80000000, 0x3f800000, 0xbf800000,
                                          0x3f000000, 0x3fc00000, 0xc0200000, 0x42c80000,
                                          0x7f7fffff, 0x00000001, 0x7f800000, 0xff800000,
                                          0x4f000000, 0xd01502f9};
/* f64 bits: 0, -0, 1, -1, 0.5, 1.5, -2.5, 100, DBL_MAX, smallest subnormal,
 * inf, -inf, 2^63, -1e10, 4294967296.5 */
static const uint64_t diff_f64_table[] = {
    0x0000000000000000ULL, 0x8000000000000000ULL, 0x3ff0000000000000ULL, 0xbff0000000000000ULL,
    0x3fe0000000000000ULL, 0x3ff8000000000000ULL, 0xc004000000000000ULL, 0x4059000000000000ULL,
    0x7fefffffffffffffULL, 0x0000000000000001ULL, 0x7ff0000000000000ULL, 0xfff0000000000000ULL,
    0x43e0000000000000ULL, 0xc202a05f20000000ULL, 0x41f0000000080000ULL};

#define DIFF_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static inline uint64_t diff_arg(uint8_t type, unsigned set, uint32_t i) {
  if (set == 0) return 0;
  size_t k = (size_t)set * 7 + (size_t)i * 3;
  switch (type) {
    case TOVA_I32: return (uint32_t)diff_i32_table[k % DIFF_COUNT(diff_i32_table)];
    case TOVA_I64: return (uint64_t)diff_i64_table[k % DIFF_COUNT(diff_i64_table)];
    case TOVA_F32: return diff_f32_table[k % DIFF_COUNT(diff_f32_table)];
    case TOVA_F64: return diff_f64_table[k % DIFF_COUNT(diff_f64_table)];
    default: return 0; /* references: null */
  }
}

static inline void diff_format_value(char *out, size_t n, uint8_t type, uint64_t raw) {
  switch (type) {
    case TOVA_I32: snprintf(out, n, "%" PRId32, (int32_t)(uint32_t)raw); break;
    case TOVA_I64: snprintf(out, n, "%" PRId64, (int64_t)raw); break;
    case TOVA_F32: {
      uint32_t b = (uint32_t)raw;
      if ((b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu)) snprintf(out, n, "nan");
      else snprintf(out, n, "f32:%08" PRIx32, b);
      break;
    }
    case TOVA_F64:
      if ((raw & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL && (raw & 0x000fffffffffffffULL))
        snprintf(out, n, "nan");
      else snprintf(out, n, "f64:%016" PRIx64, raw);
      break;
    default: snprintf(out, n, raw ? "ref" : "null"); break;
  }
}

/* The spec's trap message (what tova reports) -> class. */
static inline const char *diff_trap_class(const char *msg) {
  static const struct { const char *text, *cls; } map[] = {
      {"unreachable", "unreachable"},
      {"integer divide by zero", "div0"},
      /* One class for both: the spec says "integer overflow" for a division
       * overflow and an out-of-range truncation, "invalid conversion" for a
       * NaN truncation; V8 says "divide result unrepresentable" and "float
       * unrepresentable in integer range" (NaN or out of range alike). */
      {"integer overflow", "overflow"},
      {"invalid conversion to integer", "overflow"},
      {"out of bounds memory access", "mem"},
      {"undefined element", "table"},
      {"out of bounds table access", "table"},
      {"uninitialized element", "indirect"},
      {"indirect call type mismatch", "indirect"},
      {"call stack exhausted", "stack"},
  };
  for (size_t i = 0; i < DIFF_COUNT(map); i++)
    if (strstr(msg, map[i].text)) return map[i].cls;
  return "other";
}

#endif /* TOVA_TEST_DIFF_VALUES_H */
