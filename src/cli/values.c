/*
 * values.c: command-line text <-> WebAssembly values for `tova run`.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Integers: [+-] then decimal digits or 0x and hex digits; "42", "-5",
 * "0x2a", or the unsigned form "4294967295" of the same bits. A leading 0 is
 * decimal, not octal. Written by hand rather than with strtoull so that the
 * rules are the same for every width (strtoull skips leading whitespace and
 * accepts "-1" as 2^64-1). */
static bool parse_int(const char *s, int bits, uint64_t *out) {
  bool neg = *s == '-';
  if (*s == '-' || *s == '+') s++;
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (!*s) return false;
  uint64_t limit = bits == 32 ? UINT32_MAX : UINT64_MAX; /* largest magnitude */
  if (neg) limit = bits == 32 ? (uint64_t)1 << 31 : (uint64_t)1 << 63;
  uint64_t v = 0;
  for (; *s; s++) {
    unsigned d;
    if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
    else return false;
    if (v > (limit - d) / base) return false;
    v = v * base + d;
  }
  *out = neg ? (uint64_t)0 - v : v;
  return true;
}

/* Floats: strtod's syntax minus its leading whitespace. */
static bool parse_float(const char *s, double *out) {
  char *end;
  *out = strtod(s, &end);
  return *end == '\0';
}

bool cli_parse_value(const char *text, uint8_t type, tova_val *out) {
  out->raw = 0;
  /* One rule for every type: no whitespace anywhere, not empty. */
  if (!*text) return false;
  for (const char *p = text; *p; p++)
    if (isspace((unsigned char)*p)) return false;
  uint64_t u;
  double d;
  switch (type) {
    case TOVA_I32:
      if (!parse_int(text, 32, &u)) return false;
      out->i32 = (int32_t)(uint32_t)u;
      return true;
    case TOVA_I64:
      if (!parse_int(text, 64, &u)) return false;
      out->i64 = (int64_t)u;
      return true;
    case TOVA_F32: {
      /* Parsed as float directly: rounding through double could round twice. */
      char *end;
      float f = strtof(text, &end);
      if (*end) return false;
      memcpy(&out->f32_bits, &f, sizeof f);
      return true;
    }
    case TOVA_F64:
      if (!parse_float(text, &d)) return false;
      memcpy(&out->f64_bits, &d, sizeof d);
      return true;
    case TOVA_FUNCREF:
    case TOVA_EXTERNREF:
      return strcmp(text, "null") == 0; /* only null can be written on a command line */
  }
  return false;
}

/* Shortest decimal digits that read back as the same float, then written
 * without an exponent (as Rust's Display, which wasmtime uses, does). */
static void print_float(FILE *to, double v, bool single) {
  if (isnan(v)) { fputs("NaN", to); return; }
  if (isinf(v)) { fputs(v < 0 ? "-inf" : "inf", to); return; }
  char buf[64];
  int max_digits = single ? 9 : 17;
  for (int p = 1; p <= max_digits; p++) {
    snprintf(buf, sizeof buf, "%.*e", p - 1, v);
    bool same = single ? (float)strtod(buf, NULL) == (float)v : strtod(buf, NULL) == v;
    if (same) break;
  }
  /* buf is [-]d[.ddd]e[+-]X: collect the digits and the exponent. */
  const char *s = buf;
  if (*s == '-') { fputc('-', to); s++; }
  char digits[32];
  int n = 0;
  for (; *s && *s != 'e'; s++)
    if (*s != '.') digits[n++] = *s;
  int exp = atoi(s + 1);
  while (n > 1 && digits[n - 1] == '0') n--; /* trailing zeros of the mantissa */
  digits[n] = '\0';
  int point = exp + 1; /* digits before the decimal point */
  if (point <= 0) {
    fputs("0.", to);
    for (int i = 0; i < -point; i++) fputc('0', to);
    fputs(digits, to);
  } else if (point >= n) {
    fputs(digits, to);
    for (int i = n; i < point; i++) fputc('0', to);
  } else {
    fprintf(to, "%.*s.%s", point, digits, digits + point);
  }
}

void cli_print_value(FILE *to, uint8_t type, tova_val v) {
  switch (type) {
    case TOVA_I32: fprintf(to, "%" PRId32, v.i32); break;
    case TOVA_I64: fprintf(to, "%" PRId64, v.i64); break;
    case TOVA_F32: {
      float f;
      memcpy(&f, &v.f32_bits, sizeof f);
      print_float(to, f, true);
      break;
    }
    case TOVA_F64: {
      double d;
      memcpy(&d, &v.f64_bits, sizeof d);
      print_float(to, d, false);
      break;
    }
    case TOVA_FUNCREF:
    case TOVA_EXTERNREF:
      fputs(v.ref ? "ref" : "null", to);
      break;
    default:
      fputs("?", to);
  }
  fputc('\n', to);
}
