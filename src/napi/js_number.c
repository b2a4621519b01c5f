/* js_number.c: String(x) for a double (ECMAScript Number::toString, radix
 * 10): the shortest digits that read back as the same double, then plain
 * notation for decimal exponents in [-6, 21) and d.ddde+N notation outside. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js_number.h"

/* Shortest significant digits of |d| (finite, non-zero) into digits (no
 * point, no trailing zeros) and the decimal exponent of the first digit. */
static int shortest_digits(double d, char digits[24], int *exp10) {
  char text[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(text, sizeof text, "%.*e", prec - 1, d);
    if (strtod(text, NULL) == d || prec == 17) break;
  }
  /* text is "D[.DDD]e[+-]XX": the point may be locale-specific, so keep
   * digits until the 'e'. */
  int n = 0;
  const char *p = text;
  for (; *p && *p != 'e'; p++) {
    if (*p >= '0' && *p <= '9') digits[n++] = *p;
  }
  while (n > 1 && digits[n - 1] == '0') n--;
  digits[n] = 0;
  *exp10 = *p == 'e' ? atoi(p + 1) : 0;
  return n;
}

const char *tova_js_number(double d, char buf[TOVA_JS_NUMBER_MAX]) {
  if (isnan(d)) return strcpy(buf, "NaN");
  if (isinf(d)) return strcpy(buf, d < 0 ? "-Infinity" : "Infinity");
  if (d == 0) return strcpy(buf, "0"); /* String(-0) is "0" too */
  char digits[24];
  int e;
  int k = shortest_digits(fabs(d), digits, &e);
  int n = e + 1; /* the point goes after n digits */
  char *o = buf;
  if (d < 0) *o++ = '-';
  if (k <= n && n <= 21) { /* integer: digits then zeros */
    memcpy(o, digits, (size_t)k);
    o += k;
    for (int i = k; i < n; i++) *o++ = '0';
  } else if (0 < n && n <= 21) { /* point inside the digits */
    memcpy(o, digits, (size_t)n);
    o += n;
    *o++ = '.';
    memcpy(o, digits + n, (size_t)(k - n));
    o += k - n;
  } else if (-6 < n && n <= 0) { /* 0.000ddd */
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -n; i++) *o++ = '0';
    memcpy(o, digits, (size_t)k);
    o += k;
  } else { /* d[.ddd]e+N / e-N */
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)(k - 1));
      o += k - 1;
    }
    o += snprintf(o, 8, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
  }
  *o = 0;
  return buf;
}
