/* error.c: status codes and error values shared by every layer. */
#include <stdarg.h>
#include <stdio.h>

#include "tova.h"

const char *tova_status_code(tova_status s) {
  switch (s) {
    case TOVA_OK: return "TOVA_OK";
    case TOVA_ERR_NOMEM: return "TOVA_NOMEM";
    case TOVA_ERR_BAD_ARGUMENT: return "TOVA_BAD_ARGUMENT";
    case TOVA_ERR_NOT_FOUND: return "TOVA_NOT_FOUND";
    case TOVA_ERR_INVALID_MODULE: return "TOVA_INVALID_MODULE";
    case TOVA_ERR_UNLINKABLE: return "TOVA_UNLINKABLE";
    case TOVA_ERR_TRAP: return "TOVA_TRAP";
    case TOVA_ERR_CLOSED: return "TOVA_CLOSED";
    case TOVA_ERR_FULL: return "TOVA_FULL";
    case TOVA_ERR_EMPTY: return "TOVA_EMPTY";
    case TOVA_ERR_CANCELLED: return "TOVA_CANCELLED";
    case TOVA_ERR_TIMEOUT: return "TOVA_TIMEOUT";
    case TOVA_ERR_UNSUPPORTED: return "TOVA_UNSUPPORTED";
    case TOVA_ERR_SHUTDOWN: return "TOVA_SHUTDOWN";
    case TOVA_ERR_DEADLOCK: return "TOVA_DEADLOCK";
    case TOVA_SUSPENDED: return "TOVA_SUSPENDED";
    case TOVA_PENDING: return "TOVA_PENDING";
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
