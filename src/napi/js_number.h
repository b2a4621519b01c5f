/* js_number.h: numbers in messages, printed as JavaScript prints them
 * (String(x): "NaN", "Infinity", "0.1", "1e+21", "-0" as "0"), never as C's
 * printf does ("nan", "inf", "0.10000000000000001"). Pure C: usable on any
 * thread. */
#ifndef TOVA_NAPI_JS_NUMBER_H
#define TOVA_NAPI_JS_NUMBER_H

#include <stddef.h>

/* Longest text: "-" + 17 digits + "." + "e-324"-style exponent, and more. */
#define TOVA_JS_NUMBER_MAX 32

/* Writes String(d) into buf (TOVA_JS_NUMBER_MAX bytes) and returns buf. */
const char *tova_js_number(double d, char buf[TOVA_JS_NUMBER_MAX]);

#endif /* TOVA_NAPI_JS_NUMBER_H */
