/* json.c: recursive-descent JSON parser (see json.h). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const char *p, *end, *start;
  char *err;
  size_t errlen;
  int depth;
} parser;

static bool fail(parser *ps, const char *what) {
  if (ps->err && !ps->err[0])
    snprintf(ps->err, ps->errlen, "JSON: %s at byte %zu", what, (size_t)(ps->p - ps->start));
  return false;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static bool parse_value(parser *ps, json_value *out);

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(parser *ps, unsigned *out) {
  if (ps->end - ps->p < 4) return fail(ps, "short \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(ps->p[i]);
    if (h < 0) return fail(ps, "bad \\u escape");
    v = v * 16 + (unsigned)h;
  }
  ps->p += 4;
  *out = v;
  return true;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static bool parse_string(parser *ps, char **out, size_t *outlen) {
  ps->p++; /* opening quote */
  /* Escapes never expand: \uXXXX (6 bytes) gives at most 3 bytes, a pair (12) 4. */
  const char *q = ps->p;
  while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
  if (q >= ps->end) return fail(ps, "unterminated string");
  char *buf = malloc((size_t)(q - ps->p) + 1);
  if (!buf) return fail(ps, "out of memory");
  size_t n = 0;
  while (*ps->p != '"') {
    char c = *ps->p++;
    if (c != '\\') {
      buf[n++] = c;
      continue;
    }
    char e = *ps->p++;
    switch (e) {
      case '"': buf[n++] = '"'; break;
      case '\\': buf[n++] = '\\'; break;
      case '/': buf[n++] = '/'; break;
      case 'b': buf[n++] = '\b'; break;
      case 'f': buf[n++] = '\f'; break;
      case 'n': buf[n++] = '\n'; break;
      case 'r': buf[n++] = '\r'; break;
      case 't': buf[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (!read_hex4(ps, &cp)) { free(buf); return false; }
        if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
          const char *save = ps->p;
          unsigned lo;
          ps->p += 2;
          if (read_hex4(ps, &lo) && lo >= 0xDC00 && lo < 0xE000)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          else
            ps->p = save; /* lone surrogate: encode as is (WTF-8) */
        }
        n += put_utf8(buf + n, cp);
        break;
      }
      default:
        free(buf);
        return fail(ps, "bad escape");
    }
  }
  ps->p++; /* closing quote */
  buf[n] = '\0';
  *out = buf;
  *outlen = n;
  return true;
}

static bool parse_items(parser *ps, json_value *out, bool object) {
  char close = object ? '}' : ']';
  ps->p++;
  size_t cap = 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) { ps->p++; return true; }
  for (;;) {
    if (out->count == cap) {
      cap = cap ? cap * 2 : 8;
      json_value *items = realloc(out->items, cap * sizeof *items);
      if (!items) return fail(ps, "out of memory");
      out->items = items;
      if (object) {
        json_value *keys = realloc(out->keys, cap * sizeof *keys);
        if (!keys) return fail(ps, "out of memory");
        out->keys = keys;
      }
    }
    json_value *item = &out->items[out->count];
    memset(item, 0, sizeof *item);
    if (object) {
      json_value *key = &out->keys[out->count];
      memset(key, 0, sizeof *key);
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a key");
      key->type = JSON_STRING;
      if (!parse_string(ps, &key->str, &key->len)) return false;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') { out->count++; return fail(ps, "expected ':'"); }
      ps->p++;
    }
    out->count++;
    if (!parse_value(ps, item)) return false;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
    if (ps->p < ps->end && *ps->p == close) { ps->p++; return true; }
    return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static bool parse_value(parser *ps, json_value *out) {
  if (++ps->depth > 200) return fail(ps, "nesting too deep");
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, "unexpected end");
  bool ok;
  char c = *ps->p;
  if (c == '{') {
    out->type = JSON_OBJECT;
    ok = parse_items(ps, out, true);
  } else if (c == '[') {
    out->type = JSON_ARRAY;
    ok = parse_items(ps, out, false);
  } else if (c == '"') {
    out->type = JSON_STRING;
    ok = parse_string(ps, &out->str, &out->len);
  } else if (ps->end - ps->p >= 4 && memcmp(ps->p, "true", 4) == 0) {
    out->type = JSON_BOOL, out->boolean = true, ps->p += 4, ok = true;
  } else if (ps->end - ps->p >= 5 && memcmp(ps->p, "false", 5) == 0) {
    out->type = JSON_BOOL, ps->p += 5, ok = true;
  } else if (ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
    out->type = JSON_NULL, ps->p += 4, ok = true;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char tmp[64];
    size_t n = 0;
    while (ps->p < ps->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", *ps->p)) tmp[n++] = *ps->p++;
    tmp[n] = '\0';
    char *endp;
    out->type = JSON_NUMBER;
    out->number = strtod(tmp, &endp);
    ok = *endp == '\0' || fail(ps, "bad number");
  } else {
    ok = fail(ps, "unexpected character");
  }
  ps->depth--;
  return ok;
}

json_value *json_parse(const char *text, size_t len, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  parser ps = {text, text + len, text, err, errlen, 0};
  json_value *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  if (!parse_value(&ps, v)) {
    json_free(v);
    return NULL;
  }
  skip_ws(&ps);
  if (ps.p != ps.end) {
    fail(&ps, "trailing characters");
    json_free(v);
    return NULL;
  }
  return v;
}

static void free_inner(json_value *v) {
  free(v->str);
  for (size_t i = 0; i < v->count; i++) {
    free_inner(&v->items[i]);
    if (v->keys) free_inner(&v->keys[i]);
  }
  free(v->items);
  free(v->keys);
}

void json_free(json_value *v) {
  if (!v) return;
  free_inner(v);
  free(v);
}

const json_value *json_get(const json_value *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  size_t n = strlen(key);
  for (size_t i = 0; i < obj->count; i++)
    if (obj->keys[i].len == n && memcmp(obj->keys[i].str, key, n) == 0) return &obj->items[i];
  return NULL;
}

const char *json_get_str(const json_value *obj, const char *key) {
  const json_value *v = json_get(obj, key);
  return v && v->type == JSON_STRING ? v->str : NULL;
}
