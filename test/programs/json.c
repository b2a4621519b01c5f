/* json.c: a recursive-descent JSON parser and two serializers (compact
 * ASCII-only with \u escapes and surrogate pairs, and indented raw UTF-8)
 * over a pseudo-random document: tagged unions on the heap, growable arrays,
 * byte-at-a-time scanning with a big switch, UTF-8 encode/decode, numbers
 * printed with %.17g and parsed back with strtod, deep recursion, structural
 * comparison (doubles by their bits), error reporting with positions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
  jtype type;
  double num;
  char *str;             /* J_STR: raw UTF-8 bytes (may contain NUL) */
  size_t len;            /* J_STR: byte length; J_ARR/J_OBJ: element count */
  size_t cap;
  struct jval **items;   /* J_ARR: elements; J_OBJ: values */
  struct jval **keys;    /* J_OBJ: keys (J_STR values) */
} jval;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static jval *jnew(jtype t) {
  jval *v = calloc(1, sizeof *v);
  if (!v) { fprintf(stderr, "out of memory\n"); exit(99); }
  v->type = t;
  return v;
}
static void jfree(jval *v) {
  if (!v) return;
  for (size_t i = 0; i < v->len && (v->type == J_ARR || v->type == J_OBJ); i++) {
    jfree(v->items[i]);
    if (v->type == J_OBJ) jfree(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->str);
  free(v);
}
static void jpush(jval *c, jval *key, jval *item) {
  if (c->len == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 2;
    c->items = realloc(c->items, c->cap * sizeof *c->items);
    if (c->type == J_OBJ) c->keys = realloc(c->keys, c->cap * sizeof *c->keys);
  }
  c->items[c->len] = item;
  if (c->type == J_OBJ) c->keys[c->len] = key;
  c->len++;
}

/* ---- growable output buffer ---- */
typedef struct { char *p; size_t n, cap; } buf;
static void bput(buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    while (b->n + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 256;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void bputc(buf *b, char c) { bput(b, &c, 1); }

static size_t utf8_encode(uint32_t cp, char *out) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 63)); return 2; }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | (cp >> 6 & 63));
    out[2] = (char)(0x80 | (cp & 63)); return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | (cp >> 12 & 63));
  out[2] = (char)(0x80 | (cp >> 6 & 63)); out[3] = (char)(0x80 | (cp & 63)); return 4;
}
/* Decodes one well-formed UTF-8 sequence (the generator makes only those). */
static uint32_t utf8_decode(const unsigned char *s, size_t *used) {
  if (s[0] < 0x80) { *used = 1; return s[0]; }
  if (s[0] < 0xE0) { *used = 2; return (uint32_t)(s[0] & 31) << 6 | (s[1] & 63); }
  if (s[0] < 0xF0) { *used = 3; return (uint32_t)(s[0] & 15) << 12 | (uint32_t)(s[1] & 63) << 6 | (s[2] & 63); }
  *used = 4;
  return (uint32_t)(s[0] & 7) << 18 | (uint32_t)(s[1] & 63) << 12 | (uint32_t)(s[2] & 63) << 6 | (s[3] & 63);
}

static void put_string(buf *b, const char *s, size_t len, int ascii) {
  static const char hex[] = "0123456789abcdef";
  bputc(b, '"');
  for (size_t i = 0; i < len;) {
    unsigned char c = (unsigned char)s[i];
    char esc[12];
    switch (c) {
      case '"': bput(b, "\\\"", 2); i++; continue;
      case '\\': bput(b, "\\\\", 2); i++; continue;
      case '\b': bput(b, "\\b", 2); i++; continue;
      case '\f': bput(b, "\\f", 2); i++; continue;
      case '\n': bput(b, "\\n", 2); i++; continue;
      case '\r': bput(b, "\\r", 2); i++; continue;
      case '\t': bput(b, "\\t", 2); i++; continue;
      case '/': if (ascii) { bput(b, "\\/", 2); i++; continue; } break;
      default: break;
    }
    if (c < 0x20) {
      esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
      esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
      bput(b, esc, 6); i++;
    } else if (c < 0x80 || !ascii) {
      bputc(b, (char)c); i++;
    } else {
      size_t used;
      uint32_t cp = utf8_decode((const unsigned char *)s + i, &used);
      i += used;
      uint32_t units[2];
      int nu = 0;
      if (cp >= 0x10000) {
        cp -= 0x10000;
        units[nu++] = 0xD800 | (cp >> 10);
        units[nu++] = 0xDC00 | (cp & 0x3FF);
      } else {
        units[nu++] = cp;
      }
      for (int k = 0; k < nu; k++) {
        snprintf(esc, sizeof esc, "\\u%04X", (unsigned)units[k]);
        bput(b, esc, 6);
      }
    }
  }
  bputc(b, '"');
}

static void indent(buf *b, int depth) { for (int i = 0; i < depth; i++) bput(b, "  ", 2); }

static void serialize(buf *b, const jval *v, int pretty, int depth) {
  char tmp[40];
  switch (v->type) {
    case J_NULL: bput(b, "null", 4); break;
    case J_FALSE: bput(b, "false", 5); break;
    case J_TRUE: bput(b, "true", 4); break;
    case J_NUM: bput(b, tmp, (size_t)snprintf(tmp, sizeof tmp, "%.17g", v->num)); break;
    case J_STR: put_string(b, v->str, v->len, !pretty); break;
    case J_ARR:
    case J_OBJ: {
      int obj = v->type == J_OBJ;
      bputc(b, obj ? '{' : '[');
      for (size_t i = 0; i < v->len; i++) {
        if (i) bputc(b, ',');
        if (pretty) { bputc(b, '\n'); indent(b, depth + 1); }
        if (obj) {
          serialize(b, v->keys[i], pretty, depth + 1);
          bput(b, pretty ? ": " : ":", pretty ? 2 : 1);
        }
        serialize(b, v->items[i], pretty, depth + 1);
      }
      if (pretty && v->len) { bputc(b, '\n'); indent(b, depth); }
      bputc(b, obj ? '}' : ']');
      break;
    }
  }
}

/* ---- parser ---- */
typedef struct { const char *s, *p; const char *err; int depth; } parser;

static void skip_ws(parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r') ps->p++;
}
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
static int read_hex4(parser *ps, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(ps->p[i]);
    if (h < 0) { ps->err = "bad \\u escape"; return 0; }
    v = v << 4 | (uint32_t)h;
  }
  ps->p += 4;
  *out = v;
  return 1;
}

static jval *parse_value(parser *ps);

static jval *parse_string(parser *ps) {
  buf b = {0};
  ps->p++; /* opening quote */
  for (;;) {
    unsigned char c = (unsigned char)*ps->p;
    if (c == '"') { ps->p++; break; }
    if (c == 0) { ps->err = "unterminated string"; free(b.p); return NULL; }
    if (c < 0x20) { ps->err = "control character in string"; free(b.p); return NULL; }
    if (c != '\\') { bputc(&b, (char)c); ps->p++; continue; }
    ps->p++;
    char e = *ps->p++;
    switch (e) {
      case '"': bputc(&b, '"'); break;
      case '\\': bputc(&b, '\\'); break;
      case '/': bputc(&b, '/'); break;
      case 'b': bputc(&b, '\b'); break;
      case 'f': bputc(&b, '\f'); break;
      case 'n': bputc(&b, '\n'); break;
      case 'r': bputc(&b, '\r'); break;
      case 't': bputc(&b, '\t'); break;
      case 'u': {
        uint32_t cp, lo;
        if (!read_hex4(ps, &cp)) { free(b.p); return NULL; }
        if (cp >= 0xD800 && cp < 0xDC00) {
          if (ps->p[0] != '\\' || ps->p[1] != 'u') { ps->err = "lone high surrogate"; free(b.p); return NULL; }
          ps->p += 2;
          if (!read_hex4(ps, &lo)) { free(b.p); return NULL; }
          if (lo < 0xDC00 || lo > 0xDFFF) { ps->err = "bad low surrogate"; free(b.p); return NULL; }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          ps->err = "lone low surrogate"; free(b.p); return NULL;
        }
        char enc[4];
        bput(&b, enc, utf8_encode(cp, enc));
        break;
      }
      default: ps->err = "bad escape"; free(b.p); return NULL;
    }
  }
  jval *v = jnew(J_STR);
  if (!b.p) bput(&b, "", 0);
  v->str = b.p;
  v->len = b.n;
  return v;
}

static jval *parse_number(parser *ps) {
  const char *start = ps->p, *q = ps->p;
  if (*q == '-') q++;
  if (*q == '0') q++;
  else if (*q >= '1' && *q <= '9') while (*q >= '0' && *q <= '9') q++;
  else { ps->err = "bad number"; return NULL; }
  if (*q == '.') {
    q++;
    if (!(*q >= '0' && *q <= '9')) { ps->err = "digit expected after '.'"; return NULL; }
    while (*q >= '0' && *q <= '9') q++;
  }
  if (*q == 'e' || *q == 'E') {
    q++;
    if (*q == '+' || *q == '-') q++;
    if (!(*q >= '0' && *q <= '9')) { ps->err = "digit expected in exponent"; return NULL; }
    while (*q >= '0' && *q <= '9') q++;
  }
  char tmp[64];
  size_t n = (size_t)(q - start);
  if (n >= sizeof tmp) { ps->err = "number too long"; return NULL; }
  memcpy(tmp, start, n);
  tmp[n] = 0;
  jval *v = jnew(J_NUM);
  v->num = strtod(tmp, NULL);
  ps->p = q;
  return v;
}

static jval *parse_container(parser *ps, int obj) {
  if (++ps->depth > 200) { ps->err = "too deep"; return NULL; }
  jval *c = jnew(obj ? J_OBJ : J_ARR);
  ps->p++;
  skip_ws(ps);
  char close = obj ? '}' : ']';
  if (*ps->p == close) { ps->p++; ps->depth--; return c; }
  for (;;) {
    jval *key = NULL;
    skip_ws(ps);
    if (obj) {
      if (*ps->p != '"') { ps->err = "key expected"; jfree(c); return NULL; }
      if (!(key = parse_string(ps))) { jfree(c); return NULL; }
      skip_ws(ps);
      if (*ps->p != ':') { ps->err = "':' expected"; jfree(key); jfree(c); return NULL; }
      ps->p++;
    }
    jval *item = parse_value(ps);
    if (!item) { jfree(key); jfree(c); return NULL; }
    jpush(c, key, item);
    skip_ws(ps);
    if (*ps->p == ',') { ps->p++; continue; }
    if (*ps->p == close) { ps->p++; break; }
    ps->err = obj ? "',' or '}' expected" : "',' or ']' expected";
    jfree(c);
    return NULL;
  }
  ps->depth--;
  return c;
}

static jval *parse_value(parser *ps) {
  skip_ws(ps);
  switch (*ps->p) {
    case '{': return parse_container(ps, 1);
    case '[': return parse_container(ps, 0);
    case '"': return parse_string(ps);
    case 't': if (!strncmp(ps->p, "true", 4)) { ps->p += 4; return jnew(J_TRUE); } break;
    case 'f': if (!strncmp(ps->p, "false", 5)) { ps->p += 5; return jnew(J_FALSE); } break;
    case 'n': if (!strncmp(ps->p, "null", 4)) { ps->p += 4; return jnew(J_NULL); } break;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return parse_number(ps);
    case 0: ps->err = "unexpected end"; return NULL;
    default: break;
  }
  ps->err = "unexpected character";
  return NULL;
}

static jval *parse(const char *s, const char **err, long *pos) {
  parser ps = {s, s, NULL, 0};
  jval *v = parse_value(&ps);
  if (v) {
    skip_ws(&ps);
    if (*ps.p) { ps.err = "trailing garbage"; jfree(v); v = NULL; }
  }
  *err = ps.err;
  *pos = (long)(ps.p - s);
  return v;
}

/* ---- generator, comparison, statistics ---- */
static jval *gen_string(void) {
  static const uint32_t extra[] = {'"', '\\', '\n', '\t', '\b', '\f', '\r', '/', 1, 0x1F, 0,
                                   0xE9, 0x3B1, 0x20AC, 0xFFFD, 0x1F600, 0x10FFFF, 0x7FF, 0x800};
  buf b = {0};
  int n = (int)(rnd() % 13);
  bput(&b, "", 0);
  for (int i = 0; i < n; i++) {
    uint64_t r = rnd();
    char enc[4];
    if (r % 4) bputc(&b, (char)('a' + (r >> 8) % 26 - ((r >> 16) % 5 == 0 ? 32 : 0)));
    else bput(&b, enc, utf8_encode(extra[(r >> 8) % (sizeof extra / sizeof extra[0])], enc));
  }
  jval *v = jnew(J_STR);
  v->str = b.p;
  v->len = b.n;
  return v;
}
static double gen_number(void) {
  uint64_t r = rnd();
  switch (r % 6) {
    case 0: return (double)((int64_t)(r >> 8) % 2001 - 1000);
    case 1: return (double)(int64_t)((r >> 11) & ((1ull << 53) - 1)) * ((r >> 4) & 1 ? -1 : 1);
    case 2: { double m = (double)(rnd() >> 11) / 9007199254740992.0; return m * (double)((r >> 8) % 1000); }
    case 3: {
      double m = (double)(rnd() >> 11);
      int e = (int)((r >> 8) % 61) - 30;
      while (e > 0) { m *= 16; e--; }
      while (e < 0) { m /= 16; e++; }
      return (r >> 20) & 1 ? -m : m;
    }
    case 4: { static const double odd[] = {0.1, -0.0, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 1e21, 123456789012345680.0, 0.3};
              return odd[(r >> 8) % 8]; }
    default: return (double)((r >> 8) % 100) / 8.0;
  }
}
static jval *gen(int depth) {
  uint64_t r = rnd() % 10;
  if (depth >= 7 && r >= 7) r = r % 7;
  if (r < 1) return jnew(J_NULL);
  if (r < 2) return jnew((rnd() & 1) ? J_TRUE : J_FALSE);
  if (r < 4) { jval *v = jnew(J_NUM); v->num = gen_number(); return v; }
  if (r < 7) return gen_string();
  jval *c = jnew(r < 8 ? J_ARR : J_OBJ);
  int n = (int)(rnd() % (depth < 2 ? 9 : 6));
  for (int i = 0; i < n; i++) {
    jval *k = c->type == J_OBJ ? gen_string() : NULL;
    jpush(c, k, gen(depth + 1));
  }
  return c;
}

static int jequal(const jval *a, const jval *b) {
  if (a->type != b->type || a->len != b->len) return 0;
  switch (a->type) {
    case J_NUM: { uint64_t x, y; memcpy(&x, &a->num, 8); memcpy(&y, &b->num, 8); return x == y; }
    case J_STR: return memcmp(a->str, b->str, a->len) == 0;
    case J_ARR: case J_OBJ:
      for (size_t i = 0; i < a->len; i++) {
        if (a->type == J_OBJ && !jequal(a->keys[i], b->keys[i])) return 0;
        if (!jequal(a->items[i], b->items[i])) return 0;
      }
      return 1;
    default: return 1;
  }
}

typedef struct { long count[7]; int max_depth; double numsum; uint64_t strhash; long bytes; } stats;
static void walk(const jval *v, int depth, stats *st) {
  st->count[v->type]++;
  if (depth > st->max_depth) st->max_depth = depth;
  if (v->type == J_NUM) st->numsum += v->num;
  if (v->type == J_STR) {
    for (size_t i = 0; i < v->len; i++) st->strhash = (st->strhash ^ (unsigned char)v->str[i]) * 0x100000001B3ull;
    st->bytes += (long)v->len;
  }
  if (v->type == J_ARR || v->type == J_OBJ)
    for (size_t i = 0; i < v->len; i++) {
      if (v->type == J_OBJ) walk(v->keys[i], depth + 1, st);
      walk(v->items[i], depth + 1, st);
    }
}
static uint64_t fnv(const char *s, size_t n) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
  return h;
}

int main(void) {
  jval *root = jnew(J_ARR);
  for (int i = 0; i < 40; i++) jpush(root, NULL, gen(1));
  buf compact = {0}, pretty = {0};
  serialize(&compact, root, 0, 0);
  serialize(&pretty, root, 1, 0);
  stats st = {{0}, 0, 0, 0xCBF29CE484222325ull, 0};
  walk(root, 0, &st);
  printf("types null %ld false %ld true %ld num %ld str %ld arr %ld obj %ld depth %d\n", st.count[0],
         st.count[1], st.count[2], st.count[3], st.count[4], st.count[5], st.count[6], st.max_depth);
  printf("numsum %.17g strbytes %ld strhash %016llx\n", st.numsum, st.bytes, (unsigned long long)st.strhash);
  printf("compact %zu bytes fnv %016llx\n", compact.n, (unsigned long long)fnv(compact.p, compact.n));
  printf("pretty  %zu bytes fnv %016llx\n", pretty.n, (unsigned long long)fnv(pretty.p, pretty.n));
  printf("head %.100s\n", compact.p);

  int ok = 1;
  const char *err;
  long pos;
  for (int pass = 0; pass < 2; pass++) {
    buf *src = pass ? &pretty : &compact;
    jval *back = parse(src->p, &err, &pos);
    if (!back) { printf("reparse %d failed: %s at %ld\n", pass, err, pos); ok = 0; continue; }
    buf again = {0};
    serialize(&again, back, pass, 0);
    int same = jequal(root, back) && again.n == src->n && memcmp(again.p, src->p, src->n) == 0;
    printf("roundtrip %s: %s\n", pass ? "pretty" : "compact", same ? "identical" : "DIFFERENT");
    ok &= same;
    free(again.p);
    jfree(back);
  }

  static const char *docs[] = {
      "  {\"a\" : [1, 2.5e3, -0.125, true, false, null], \"b\\u00e9\": {\"c\": \"\\ud83d\\ude00\"}}  ",
      "[1, 2,]", "{\"x\" 1}", "[\"abc", "[01]", "[1.]", "[1e+]", "\"\\ud800x\"", "\"\\q\"",
      "[tru]", "{\"k\": [1, [2, [3, {\"d\": []}]]]} x", "-", "\"tab\there\"", "[[[[[[[[[[]]]]]]]]]]",
      "[1e400, -1e-400, 0.30000000000000004, 9007199254740993, 1E2, 0e0]",
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    jval *v = parse(docs[i], &err, &pos);
    if (!v) { printf("doc %zu: error '%s' at %ld\n", i, err, pos); continue; }
    buf out = {0};
    serialize(&out, v, 0, 0);
    printf("doc %zu: %s\n", i, out.p);
    free(out.p);
    jfree(v);
  }

  /* Deep nesting: built as text, checked against the parser's depth limit. */
  for (int depth = 120; depth <= 140; depth += 20) {
    buf deep = {0};
    for (int i = 0; i < depth; i++) bput(&deep, "[{\"k\":", i % 2 ? 6 : 1);
    bput(&deep, "0", 1);
    for (int i = depth - 1; i >= 0; i--) bput(&deep, i % 2 ? "}]" : "]", i % 2 ? 2 : 1);
    jval *v = parse(deep.p, &err, &pos);
    printf("deep %d: %s at %ld\n", depth, v ? "ok" : err, pos);
    jfree(v);
    free(deep.p);
  }

  uint64_t h = fnv(compact.p, compact.n) ^ fnv(pretty.p, pretty.n);
  free(compact.p);
  free(pretty.p);
  jfree(root);
  return ok ? (int)(h % 61) + 1 : 100;
}
