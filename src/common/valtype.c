/* valtype.c: names of value types, as the text format and the JS API spell them. */
#include "tova.h"

const char *tova_valtype_name(uint8_t type) {
  switch (type) {
    case TOVA_I32: return "i32";
    case TOVA_I64: return "i64";
    case TOVA_F32: return "f32";
    case TOVA_F64: return "f64";
    case TOVA_V128: return "v128";
    case TOVA_FUNCREF: return "funcref";
    case TOVA_EXTERNREF: return "externref";
  }
  return "unknown";
}
