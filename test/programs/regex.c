/* regex.c: a backtracking regular-expression engine: a recursive-descent
 * pattern parser into a node pool, matching by continuation passing (linked
 * continuations on the C stack, deep recursion), greedy and lazy counted
 * repetition, captures restored on backtracking, backreferences, classes as
 * 256-bit sets filled through a table of predicate function pointers, a step
 * budget against catastrophic patterns, search / find-all / substitute
 * dispatched through a table of function pointers, over built-in lines and
 * the lines of standard input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ntype { N_CHAR, N_ANY, N_SET, N_BOL, N_EOL, N_WORDB, N_NWORDB, N_GROUP, N_ALT, N_CAT, N_REP, N_BACKREF, N_EMPTY };

typedef struct node {
  enum ntype type;
  int c, group, min, max, greedy;
  uint8_t set[32];
  struct node *a, *b;
} node;

typedef struct {
  node *root;
  int ngroups, icase;
  const char *err;
} regex;

#define MAXNODES 512
static node pool[MAXNODES];
static int npool;

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_word(int c) { return is_digit(c) || is_alpha(c) || c == '_'; }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_punct(int c) { return c > 32 && c < 127 && !is_word(c); }
static int lower(int c) { return is_upper(c) ? c + 32 : c; }

/* Class escapes: letter -> predicate (upper case letter negates). */
static const struct { char letter; int (*pred)(int); } class_table[] = {
    {'d', is_digit}, {'w', is_word}, {'s', is_space}, {'a', is_alpha}, {'u', is_upper}, {'p', is_punct},
};

static node *mk(enum ntype t) {
  if (npool == MAXNODES) { fprintf(stderr, "node pool exhausted\n"); exit(97); }
  node *n = &pool[npool++];
  memset(n, 0, sizeof *n);
  n->type = t;
  return n;
}
static void set_add(uint8_t *s, int c) { s[(unsigned char)c >> 3] |= (uint8_t)(1u << (c & 7)); }
static int set_has(const uint8_t *s, int c) { return s[(unsigned char)c >> 3] >> (c & 7) & 1; }
static int add_class_escape(uint8_t *s, char e) {
  for (size_t i = 0; i < sizeof class_table / sizeof class_table[0]; i++) {
    int neg = e == class_table[i].letter - 32;
    if (e != class_table[i].letter && !neg) continue;
    for (int c = 0; c < 256; c++)
      if (class_table[i].pred(c) != neg) set_add(s, c);
    return 1;
  }
  return 0;
}

typedef struct { const char *p; regex *re; } pstate;
static node *parse_alt(pstate *ps);

static int escape_char(char e) {
  switch (e) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    default: return (unsigned char)e;
  }
}

static node *parse_atom(pstate *ps) {
  char c = *ps->p++;
  node *n;
  switch (c) {
    case '(': {
      int capture = 1;
      if (ps->p[0] == '?' && ps->p[1] == ':') { capture = 0; ps->p += 2; }
      int g = capture ? ++ps->re->ngroups : 0;
      node *inner = parse_alt(ps);
      if (!inner) return NULL;
      if (*ps->p != ')') { ps->re->err = "missing )"; return NULL; }
      ps->p++;
      if (!capture) return inner;
      n = mk(N_GROUP);
      n->group = g;
      n->a = inner;
      return n;
    }
    case '[': {
      n = mk(N_SET);
      int neg = *ps->p == '^';
      if (neg) ps->p++;
      int first = 1;
      while (*ps->p && (*ps->p != ']' || first)) {
        first = 0;
        int lo = (unsigned char)*ps->p++;
        if (lo == '\\') {
          char e = *ps->p++;
          if (!e) break;
          if (add_class_escape(n->set, e)) continue;
          lo = escape_char(e);
        }
        if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
          int hi = (unsigned char)ps->p[1];
          ps->p += 2;
          if (hi < lo) { ps->re->err = "bad range"; return NULL; }
          for (int k = lo; k <= hi; k++) set_add(n->set, k);
        } else {
          set_add(n->set, lo);
        }
      }
      if (*ps->p != ']') { ps->re->err = "missing ]"; return NULL; }
      ps->p++;
      if (ps->re->icase)
        for (int k = 'a'; k <= 'z'; k++)
          if (set_has(n->set, k) || set_has(n->set, k - 32)) { set_add(n->set, k); set_add(n->set, k - 32); }
      if (neg) for (int k = 0; k < 32; k++) n->set[k] = (uint8_t)~n->set[k];
      return n;
    }
    case '.': return mk(N_ANY);
    case '^': return mk(N_BOL);
    case '$': return mk(N_EOL);
    case '\\': {
      char e = *ps->p++;
      if (!e) { ps->re->err = "trailing backslash"; return NULL; }
      if (e == 'b') return mk(N_WORDB);
      if (e == 'B') return mk(N_NWORDB);
      if (e >= '1' && e <= '9') {
        n = mk(N_BACKREF);
        n->group = e - '0';
        if (n->group > ps->re->ngroups) { ps->re->err = "backreference to an unknown group"; return NULL; }
        return n;
      }
      n = mk(N_SET);
      if (add_class_escape(n->set, e)) return n;
      n->type = N_CHAR;
      n->c = escape_char(e);
      return n;
    }
    case '*': case '+': case '?': case '{':
      ps->re->err = "nothing to repeat";
      return NULL;
    default:
      n = mk(N_CHAR);
      n->c = (unsigned char)c;
      if (ps->re->icase) n->c = lower(n->c);
      return n;
  }
}

static node *parse_rep(pstate *ps) {
  node *atom = parse_atom(ps);
  if (!atom) return NULL;
  for (;;) {
    int min, max;
    char c = *ps->p;
    if (c == '*') { min = 0; max = 1 << 30; }
    else if (c == '+') { min = 1; max = 1 << 30; }
    else if (c == '?') { min = 0; max = 1; }
    else if (c == '{' && is_digit(ps->p[1])) {
      char *end;
      min = (int)strtol(ps->p + 1, &end, 10);
      max = min;
      if (*end == ',') max = is_digit(end[1]) ? (int)strtol(end + 1, &end, 10) : (end++, 1 << 30);
      if (*end != '}' || max < min) { ps->re->err = "bad {m,n}"; return NULL; }
      ps->p = end;
    } else {
      return atom;
    }
    ps->p++;
    node *r = mk(N_REP);
    r->min = min;
    r->max = max;
    r->greedy = 1;
    if (*ps->p == '?') { r->greedy = 0; ps->p++; }
    r->a = atom;
    atom = r;
  }
}

static node *parse_cat(pstate *ps) {
  node *left = NULL;
  while (*ps->p && *ps->p != '|' && *ps->p != ')') {
    node *r = parse_rep(ps);
    if (!r) return NULL;
    if (!left) { left = r; continue; }
    node *c = mk(N_CAT);
    c->a = left;
    c->b = r;
    left = c;
  }
  return left ? left : mk(N_EMPTY);
}

static node *parse_alt(pstate *ps) {
  node *left = parse_cat(ps);
  while (left && *ps->p == '|') {
    ps->p++;
    node *right = parse_cat(ps);
    if (!right) return NULL;
    node *a = mk(N_ALT);
    a->a = left;
    a->b = right;
    left = a;
  }
  return left;
}

static regex compile(const char *pat) {
  regex re = {NULL, 0, 0, NULL};
  npool = 0;
  if (!strncmp(pat, "(?i)", 4)) { re.icase = 1; pat += 4; }
  pstate ps = {pat, &re};
  re.root = parse_alt(&ps);
  if (re.root && *ps.p) re.err = "unbalanced )";
  if (re.ngroups > 9) re.err = "too many groups";
  if (re.err) re.root = NULL;
  return re;
}

/* ---- matcher ---- */
enum kkind { K_NODE, K_REP, K_GROUP_END };
typedef struct cont { enum kkind kind; const node *n; int count, start; const struct cont *next; } cont;

static const char *subj;
static int slen, icase, match_end, caps[20];
static long steps, budget;

static int m(const node *n, int i, const cont *k);
static int rep(const node *n, int count, int i, const cont *k);

static int run(const cont *k, int i) {
  if (!k) { match_end = i; return 1; }
  switch (k->kind) {
    case K_NODE: return m(k->n, i, k->next);
    case K_REP:
      if (i == k->start && k->count > k->n->min) return 0; /* an empty iteration proves nothing */
      return rep(k->n, k->count, i, k->next);
    case K_GROUP_END: {
      int g = k->n->group, old = caps[2 * g + 1];
      caps[2 * g + 1] = i;
      if (run(k->next, i)) return 1;
      caps[2 * g + 1] = old;
      return 0;
    }
  }
  return 0;
}

static int rep(const node *n, int count, int i, const cont *k) {
  cont c = {K_REP, n, count + 1, i, k};
  if (n->greedy) {
    if (count < n->max && m(n->a, i, &c)) return 1;
    return count >= n->min && run(k, i);
  }
  if (count >= n->min && run(k, i)) return 1;
  return count < n->max && m(n->a, i, &c);
}

static int wordat(int i) { return i >= 0 && i < slen && is_word((unsigned char)subj[i]); }

static int m(const node *n, int i, const cont *k) {
  if (++steps > budget) return 0;
  switch (n->type) {
    case N_CHAR: {
      if (i >= slen) return 0;
      int c = (unsigned char)subj[i];
      return (icase ? lower(c) : c) == n->c && run(k, i + 1);
    }
    case N_ANY: return i < slen && subj[i] != '\n' && run(k, i + 1);
    case N_SET: return i < slen && set_has(n->set, (unsigned char)subj[i]) && run(k, i + 1);
    case N_BOL: return i == 0 && run(k, i);
    case N_EOL: return i == slen && run(k, i);
    case N_WORDB: return wordat(i - 1) != wordat(i) && run(k, i);
    case N_NWORDB: return wordat(i - 1) == wordat(i) && run(k, i);
    case N_EMPTY: return run(k, i);
    case N_CAT: { cont c = {K_NODE, n->b, 0, 0, k}; return m(n->a, i, &c); }
    case N_ALT: return m(n->a, i, k) || m(n->b, i, k);
    case N_REP: return rep(n, 0, i, k);
    case N_GROUP: {
      int g = n->group, old = caps[2 * g];
      caps[2 * g] = i;
      cont c = {K_GROUP_END, n, 0, 0, k};
      if (m(n->a, i, &c)) return 1;
      caps[2 * g] = old;
      return 0;
    }
    case N_BACKREF: {
      int s = caps[2 * n->group], e = caps[2 * n->group + 1];
      if (s < 0 || e < 0) return 0;
      int len = e - s;
      if (i + len > slen) return 0;
      for (int j = 0; j < len; j++) {
        int a = (unsigned char)subj[s + j], b = (unsigned char)subj[i + j];
        if (icase ? lower(a) != lower(b) : a != b) return 0;
      }
      return run(k, i + len);
    }
  }
  return 0;
}

/* Leftmost match at or after `from`; returns its start or -1 (-2: budget). */
static int search(const regex *re, const char *s, int len, int from) {
  subj = s;
  slen = len;
  icase = re->icase;
  for (int st = from; st <= len; st++) {
    for (int g = 0; g < 20; g++) caps[g] = -1;
    if (m(re->root, st, NULL)) {
      caps[0] = st;
      caps[1] = match_end;
      return st;
    }
    if (steps > budget) return -2;
  }
  return -1;
}

static uint32_t hash = 2166136261u;
static void mix(const char *s, int n) { for (int i = 0; i < n; i++) hash = (hash ^ (unsigned char)s[i]) * 16777619u; }
static void mixi(int v) { char b[16]; mix(b, snprintf(b, sizeof b, "%d;", v)); }

typedef void (*action)(const regex *, const char *, const char *);

static void act_test(const regex *re, const char *line, const char *arg) {
  (void)arg;
  int len = (int)strlen(line);
  int st = search(re, line, len, 0);
  mixi(st);
  if (st == -2) { printf("    gave up after %ld steps\n", steps); return; }
  if (st < 0) return;
  printf("    match [%d,%d) \"%.*s\"", caps[0], caps[1], caps[1] - caps[0], line + caps[0]);
  for (int g = 1; g <= re->ngroups; g++) {
    if (caps[2 * g] < 0 || caps[2 * g + 1] < 0) printf(" %d:-", g);
    else printf(" %d:\"%.*s\"", g, caps[2 * g + 1] - caps[2 * g], line + caps[2 * g]);
    mixi(caps[2 * g]);
    mixi(caps[2 * g + 1]);
  }
  printf("\n");
}

static void act_findall(const regex *re, const char *line, const char *arg) {
  (void)arg;
  int len = (int)strlen(line), from = 0, count = 0;
  printf("    all:");
  while (from <= len) {
    int st = search(re, line, len, from);
    if (st < 0) break;
    printf(" \"%.*s\"", caps[1] - st, line + st);
    mix(line + st, caps[1] - st);
    count++;
    from = caps[1] > st ? caps[1] : st + 1;
  }
  printf(" (%d)\n", count);
}

static void act_replace(const regex *re, const char *line, const char *tmpl) {
  char out[2048];
  int len = (int)strlen(line), from = 0, o = 0;
  while (from <= len && o < 900) {
    int st = search(re, line, len, from);
    if (st < 0) break;
    int saved[20];
    memcpy(saved, caps, sizeof saved);
    memcpy(out + o, line + from, (size_t)(st - from));
    o += st - from;
    for (const char *t = tmpl; *t && o < 1000; t++) {
      if (*t == '\\' && t[1] >= '0' && t[1] <= '9') {
        int g = *++t - '0';
        if (saved[2 * g] >= 0 && saved[2 * g + 1] >= 0) {
          int l = saved[2 * g + 1] - saved[2 * g];
          if (o + l > 1000) break;
          memcpy(out + o, line + saved[2 * g], (size_t)l);
          o += l;
        }
      } else {
        out[o++] = *t;
      }
    }
    if (saved[1] == st) {
      if (st < len) out[o++] = line[st];
      from = st + 1;
    } else {
      from = saved[1];
    }
  }
  if (from < len) { memcpy(out + o, line + from, (size_t)(len - from)); o += len - from; }
  out[o] = 0;
  mix(out, o);
  printf("    -> \"%s\"\n", out);
}

static const action actions[] = {act_test, act_findall, act_replace};

int main(void) {
  static char lines[64][256];
  static const char *builtin[] = {
      "The quick brown fox jumps over the lazy dog.",
      "Call 555-123-4567 or 555-987-6543 today",
      "contact: alice@example.com, bob@test.org; carol@nowhere.net",
      "<b>bold</b> and <i>italic</i> but <b>broken</i>",
      "aabababb abb babb",
      "color colour colr COLOUR",
      "pi is 3.14159, e is 2.71828 and 42 is 42.",
      "xxxxxxx x xx xxx",
      "foobarbaz foobaz",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "trailing spaces   ",
      "",
      "level noon kayak racecar stats tenet",
      "key=value, other = thing,last=1",
  };
  int nlines = 0;
  for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) strcpy(lines[nlines++], builtin[i]);
  while (nlines < 64 && fgets(lines[nlines], sizeof lines[0], stdin)) {
    lines[nlines][strcspn(lines[nlines], "\n")] = 0;
    nlines++;
  }
  static const struct { const char *pat; int act; const char *arg; } tests[] = {
      {"^[A-Z][a-z]+", 0, NULL},
      {"[0-9]+(\\.[0-9]+)?", 1, NULL},
      {"(\\w+)@(\\w+)\\.(com|org|net)", 0, NULL},
      {"(\\w+)@(\\w+)\\.(com|org|net)", 2, "<\\2:\\1>"},
      {"^$", 0, NULL},
      {"(a|b)*abb", 0, NULL},
      {"(?i)colou?r", 1, NULL},
      {"\\b(\\w)\\w*\\1\\b", 1, NULL},
      {"(?i)the", 1, NULL},
      {"x{2,3}", 1, NULL},
      {"<([a-z]+)>[^<]*</\\1>", 1, NULL},
      {"(\\d+)-(\\d+)-(\\d+)", 2, "(\\3/\\2/\\1)"},
      {"[^aeiou \\d\\p]{4,}", 1, NULL},
      {".*words.*", 0, NULL},
      {"(a*)*b", 0, NULL},
      {"\\s+$", 2, "|"},
      {"^(.*),(.*)$", 0, NULL},
      {"^(.*?),(.*)$", 0, NULL},
      {"(foo|foobar)(bar)?baz", 1, NULL},
      {"\\s*(\\w+)\\s*=\\s*(\\w+)", 2, "\\2<-\\1"},
      {"\\B\\w{2}\\b", 1, NULL},
      {"(?:ab|a)+?b", 1, NULL},
      {"[a-c-]+|x{2}?", 1, NULL},
      {"(((a)|b)+)", 0, NULL},
      {"\\w+", 2, "[\\0]"},
      {"a{3,}", 0, NULL},
      {"(?i)[A-C]{2}", 1, NULL},
      {"(x)(y", 0, NULL}, {"a**", 0, NULL}, {"[z-a]", 0, NULL}, {"\\2(a)", 0, NULL}, {"a)", 0, NULL},
  };
  long total_steps = 0;
  for (size_t t = 0; t < sizeof tests / sizeof tests[0]; t++) {
    regex re = compile(tests[t].pat);
    if (!re.root) {
      printf("/%s/: error: %s\n", tests[t].pat, re.err);
      mix(re.err, (int)strlen(re.err));
      continue;
    }
    int matched = 0, printed = 0;
    long pat_steps = 0;
    printf("/%s/ (%d nodes, %d groups)\n", tests[t].pat, npool, re.ngroups);
    for (int l = 0; l < nlines; l++) {
      steps = 0;
      budget = 200000;
      int len = (int)strlen(lines[l]);
      int st = search(&re, lines[l], len, 0);
      pat_steps += steps;
      if (st == -1) continue;
      matched++;
      if (printed++ < 3) {
        printf("  line %d:\n", l);
        steps = 0;
        actions[tests[t].act](&re, lines[l], tests[t].arg);
      }
    }
    printf("  %d lines matched, %ld steps\n", matched, pat_steps);
    total_steps += pat_steps;
    mixi(matched);
  }
  /* A long subject: deep recursion through a greedy star and backtracking. */
  static char longline[300];
  for (int i = 0; i < 299; i++) longline[i] = (char)('a' + (i * 7) % 26);
  longline[299] = 0;
  static const char *longpats[] = {"^(.*)(q.*z)(\\w{3,})$", "^(.*?)(q.*?z)(\\w*)$", "(\\w)(\\w)\\2\\1", "^(\\w+)+!"};
  for (int p = 0; p < 4; p++) {
    regex re = compile(longpats[p]);
    steps = 0;
    budget = p == 3 ? 400000 : 3000000;
    int st = search(&re, longline, p == 3 ? 40 : 299, 0);
    printf("long /%s/: start %d groups [%d,%d) [%d,%d) [%d,%d) steps %ld\n", longpats[p], st, caps[2], caps[3],
           caps[4], caps[5], caps[6], caps[7], steps);
    mixi(caps[3]);
    mixi(st);
  }
  printf("total steps %ld hash %08x\n", total_steps, hash);
  return (int)(hash % 63) + 1;
}
