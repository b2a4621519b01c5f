/*
 * json.h: a small JSON reader for wast2json output (no dependency).
 *
 * parse -> tree of json_value; strings keep their length because JSON
 * "\u0000" escapes are legal and WebAssembly names may contain NUL.
 */
#ifndef TOVA_CONF_JSON_H
#define TOVA_CONF_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
  json_type type;
  bool boolean;
  double number;
  char *str; /* JSON_STRING: UTF-8, NUL-terminated, `len` bytes (may contain NUL) */
  size_t len;
  size_t count;        /* ARRAY/OBJECT: number of items */
  json_value *items;   /* ARRAY: values; OBJECT: values, keyed by `keys` */
  json_value *keys;    /* OBJECT: string keys */
};

/* Parse text[0..len). Returns NULL with a message in err (size errlen) on error. */
json_value *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(json_value *v);

/* Object member by key, or NULL. */
const json_value *json_get(const json_value *obj, const char *key);
/* String member by key, or NULL if absent or not a string. */
const char *json_get_str(const json_value *obj, const char *key);

#endif
