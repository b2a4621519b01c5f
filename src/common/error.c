/* error.c: status codes and error values shared by every layer. */
#include <stdarg.h>
#include <stdio.h>

#include "tova.h"

const char *tova_status_code(tova_status s) {
  switch (s) {
#define TOVA_STATUS_CASE(name, code, meaning) \
  case name:                                  \
    return code;
    TOVA_STATUS_MAP(TOVA_STATUS_CASE)
#undef TOVA_STATUS_CASE
  }
  return "TOVA_UNKNOWN";
}

tova_status tova_error_set(tova_error *err, tova_status status, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->status = status;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return status;
}
