/* forth.c: a small Forth: an outer interpreter (tokenizer, dictionary lookup
 * by name, number parsing with strtoll, compile and interpret states,
 * immediate words for IF ELSE THEN BEGIN WHILE REPEAT UNTIL DO LOOP +LOOP
 * RECURSE EXIT ." ( ), and an inner interpreter over threaded code: control
 * words in a switch, every other primitive called through a table of function
 * pointers. 64-bit cells kept unsigned (wrapping arithmetic is defined) and
 * converted to signed for comparisons, division and printing; byte-addressed
 * data space with unaligned cell access; errors abort a line and reset the
 * stacks. Runs a set of programs (recursion, loops, a sieve, string output)
 * and prints their output and instruction counts. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t cell;
typedef struct vm vm;
typedef void (*prim)(vm *);

enum kind { K_PRIM, K_COLON, K_VAR, K_CONST, K_CTRL };
enum ctrl { C_LIT, C_BRANCH, C_ZBRANCH, C_EXIT, C_DO, C_LOOP, C_PLOOP, C_I, C_J, C_DOTQ };

typedef struct {
  char name[24];
  enum kind kind;
  int immediate;
  prim fn;
  cell value; /* colon: code index; var: address; const: value; ctrl: enum ctrl */
} word;

struct vm {
  cell ds[128], rs[128];
  int sp, rp;
  word dict[160];
  int nwords;
  cell code[4096];
  int here_code;
  uint8_t mem[8192];
  cell here;
  char strings[2048];
  int nstrings;
  const char *err;
  char out[8192];
  int outn;
  long executed;
  int compiling, current;
  int cstack[32], csp; /* compile-time control stack */
};

static int64_t sgn(cell u) { return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1; }
static void fail(vm *m, const char *e) { if (!m->err) m->err = e; }
static void push(vm *m, cell v) { if (m->sp >= 128) fail(m, "stack overflow"); else m->ds[m->sp++] = v; }
static cell pop(vm *m) { if (m->sp <= 0) { fail(m, "stack underflow"); return 0; } return m->ds[--m->sp]; }
static void rpush(vm *m, cell v) { if (m->rp >= 128) fail(m, "return stack overflow"); else m->rs[m->rp++] = v; }
static cell rpop(vm *m) { if (m->rp <= 0) { fail(m, "return stack underflow"); return 0; } return m->rs[--m->rp]; }
static void emit_str(vm *m, const char *s, size_t n) {
  if (m->outn + n >= sizeof m->out) { fail(m, "output full"); return; }
  memcpy(m->out + m->outn, s, n);
  m->outn += (int)n;
}
static cell flag(int b) { return b ? ~(cell)0 : 0; }

/* ---- primitives ---- */
static void p_add(vm *m) { cell b = pop(m), a = pop(m); push(m, a + b); }
static void p_sub(vm *m) { cell b = pop(m), a = pop(m); push(m, a - b); }
static void p_mul(vm *m) { cell b = pop(m), a = pop(m); push(m, a * b); }
static void p_divmod(vm *m, int want_div) {
  int64_t b = sgn(pop(m)), a = sgn(pop(m));
  if (b == 0) { fail(m, "division by zero"); return; }
  if (a == INT64_MIN && b == -1) { push(m, want_div ? (cell)a : 0); return; }
  /* floored division, as Forth-83 */
  int64_t q = a / b, r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { q--; r += b; }
  push(m, (cell)(want_div ? q : r));
}
static void p_div(vm *m) { p_divmod(m, 1); }
static void p_mod(vm *m) { p_divmod(m, 0); }
static void p_negate(vm *m) { push(m, -pop(m)); }
static void p_abs(vm *m) { cell a = pop(m); push(m, sgn(a) < 0 ? -a : a); }
static void p_1plus(vm *m) { push(m, pop(m) + 1); }
static void p_1minus(vm *m) { push(m, pop(m) - 1); }
static void p_2div(vm *m) { cell a = pop(m); push(m, (a >> 1) | (a & ((cell)1 << 63))); }
static void p_and(vm *m) { cell b = pop(m); push(m, pop(m) & b); }
static void p_or(vm *m) { cell b = pop(m); push(m, pop(m) | b); }
static void p_xor(vm *m) { cell b = pop(m); push(m, pop(m) ^ b); }
static void p_lshift(vm *m) { cell n = pop(m), a = pop(m); push(m, n >= 64 ? 0 : a << n); }
static void p_rshift(vm *m) { cell n = pop(m), a = pop(m); push(m, n >= 64 ? 0 : a >> n); }
static void p_eq(vm *m) { cell b = pop(m); push(m, flag(pop(m) == b)); }
static void p_ne(vm *m) { cell b = pop(m); push(m, flag(pop(m) != b)); }
static void p_lt(vm *m) { int64_t b = sgn(pop(m)); push(m, flag(sgn(pop(m)) < b)); }
static void p_gt(vm *m) { int64_t b = sgn(pop(m)); push(m, flag(sgn(pop(m)) > b)); }
static void p_ge(vm *m) { int64_t b = sgn(pop(m)); push(m, flag(sgn(pop(m)) >= b)); }
static void p_ult(vm *m) { cell b = pop(m); push(m, flag(pop(m) < b)); }
static void p_0eq(vm *m) { push(m, flag(pop(m) == 0)); }
static void p_0lt(vm *m) { push(m, flag(sgn(pop(m)) < 0)); }
static void p_max(vm *m) { cell b = pop(m), a = pop(m); push(m, sgn(a) > sgn(b) ? a : b); }
static void p_min(vm *m) { cell b = pop(m), a = pop(m); push(m, sgn(a) < sgn(b) ? a : b); }
static void p_dup(vm *m) { cell a = pop(m); push(m, a); push(m, a); }
static void p_drop(vm *m) { pop(m); }
static void p_swap(vm *m) { cell b = pop(m), a = pop(m); push(m, b); push(m, a); }
static void p_over(vm *m) { cell b = pop(m), a = pop(m); push(m, a); push(m, b); push(m, a); }
static void p_rot(vm *m) { cell c = pop(m), b = pop(m), a = pop(m); push(m, b); push(m, c); push(m, a); }
static void p_tuck(vm *m) { cell b = pop(m), a = pop(m); push(m, b); push(m, a); push(m, b); }
static void p_nip(vm *m) { cell b = pop(m); pop(m); push(m, b); }
static void p_2dup(vm *m) { cell b = pop(m), a = pop(m); push(m, a); push(m, b); push(m, a); push(m, b); }
static void p_2drop(vm *m) { pop(m); pop(m); }
static void p_qdup(vm *m) { cell a = pop(m); push(m, a); if (a) push(m, a); }
static void p_depth(vm *m) { push(m, (cell)m->sp); }
static void p_tor(vm *m) { rpush(m, pop(m)); }
static void p_fromr(vm *m) { push(m, rpop(m)); }
static int addr_ok(vm *m, cell a, cell n) {
  if (a > sizeof m->mem || n > sizeof m->mem - a) { fail(m, "bad address"); return 0; }
  return 1;
}
static void p_fetch(vm *m) { cell a = pop(m), v = 0; if (addr_ok(m, a, 8)) memcpy(&v, m->mem + a, 8); push(m, v); }
static void p_store(vm *m) { cell a = pop(m), v = pop(m); if (addr_ok(m, a, 8)) memcpy(m->mem + a, &v, 8); }
static void p_pstore(vm *m) { cell a = pop(m), v = pop(m), o; if (addr_ok(m, a, 8)) { memcpy(&o, m->mem + a, 8); o += v; memcpy(m->mem + a, &o, 8); } }
static void p_cfetch(vm *m) { cell a = pop(m); push(m, addr_ok(m, a, 1) ? m->mem[a] : 0); }
static void p_cstore(vm *m) { cell a = pop(m), v = pop(m); if (addr_ok(m, a, 1)) m->mem[a] = (uint8_t)v; }
static void p_here(vm *m) { push(m, m->here); }
static void p_allot(vm *m) { cell n = pop(m); if (addr_ok(m, m->here, n)) m->here += n; }
static void p_comma(vm *m) { cell v = pop(m); if (addr_ok(m, m->here, 8)) { memcpy(m->mem + m->here, &v, 8); m->here += 8; } }
static void p_fill(vm *m) { cell c = pop(m), n = pop(m), a = pop(m); if (addr_ok(m, a, n)) memset(m->mem + a, (int)(c & 0xFF), (size_t)n); }
static void p_dot(vm *m) { char b[32]; int n = snprintf(b, sizeof b, "%" PRId64 " ", sgn(pop(m))); emit_str(m, b, (size_t)n); }
static void p_udot(vm *m) { char b[32]; int n = snprintf(b, sizeof b, "%" PRIu64 " ", pop(m)); emit_str(m, b, (size_t)n); }
static void p_hdot(vm *m) { char b[32]; int n = snprintf(b, sizeof b, "%" PRIx64 " ", pop(m)); emit_str(m, b, (size_t)n); }
static void p_dotr(vm *m) {
  char b[48];
  int64_t width = sgn(pop(m)), v = sgn(pop(m));
  if (width < 0 || width > 40) { fail(m, "bad width"); return; }
  emit_str(m, b, (size_t)snprintf(b, sizeof b, "%*" PRId64, (int)width, v));
}
static void p_emit(vm *m) { char c = (char)pop(m); emit_str(m, &c, 1); }
static void p_cr(vm *m) { emit_str(m, "\n", 1); }
static void p_space(vm *m) { emit_str(m, " ", 1); }
static void p_dots(vm *m) {
  char b[40];
  emit_str(m, b, (size_t)snprintf(b, sizeof b, "<%d> ", m->sp));
  for (int i = 0; i < m->sp; i++) emit_str(m, b, (size_t)snprintf(b, sizeof b, "%" PRId64 " ", sgn(m->ds[i])));
}

static const struct { const char *name; prim fn; } prims[] = {
    {"+", p_add}, {"-", p_sub}, {"*", p_mul}, {"/", p_div}, {"mod", p_mod}, {"negate", p_negate},
    {"abs", p_abs}, {"1+", p_1plus}, {"1-", p_1minus}, {"2/", p_2div}, {"and", p_and}, {"or", p_or},
    {"xor", p_xor}, {"lshift", p_lshift}, {"rshift", p_rshift}, {"=", p_eq}, {"<>", p_ne}, {"<", p_lt},
    {">", p_gt}, {">=", p_ge}, {"u<", p_ult}, {"0=", p_0eq}, {"0<", p_0lt}, {"max", p_max}, {"min", p_min},
    {"dup", p_dup}, {"drop", p_drop}, {"swap", p_swap}, {"over", p_over}, {"rot", p_rot}, {"tuck", p_tuck},
    {"nip", p_nip}, {"2dup", p_2dup}, {"2drop", p_2drop}, {"?dup", p_qdup}, {"depth", p_depth}, {">r", p_tor},
    {"r>", p_fromr}, {"@", p_fetch}, {"!", p_store}, {"+!", p_pstore}, {"c@", p_cfetch}, {"c!", p_cstore},
    {"here", p_here}, {"allot", p_allot}, {",", p_comma}, {"fill", p_fill}, {".", p_dot}, {"u.", p_udot},
    {"h.", p_hdot}, {"emit", p_emit}, {"cr", p_cr}, {"space", p_space}, {".s", p_dots}, {".r", p_dotr},
};

static int add_word(vm *m, const char *name, enum kind k, cell value) {
  if (m->nwords == 160) { fail(m, "dictionary full"); return 0; }
  word *w = &m->dict[m->nwords];
  memset(w, 0, sizeof *w);
  snprintf(w->name, sizeof w->name, "%s", name);
  w->kind = k;
  w->value = value;
  return m->nwords++;
}
static int find(vm *m, const char *name) {
  for (int i = m->nwords - 1; i >= 0; i--)
    if (strcmp(m->dict[i].name, name) == 0) return i;
  return -1;
}
static void compile(vm *m, cell v) {
  if (m->here_code >= 4096) { fail(m, "code space full"); return; }
  m->code[m->here_code++] = v;
}
static int ctrl_xt[10];

/* Inner interpreter. */
static void execute(vm *m, int xt) {
  int base_rp = m->rp;
  int ip = -1;
  for (;;) {
    if (m->err) return;
    m->executed++;
    word *w = &m->dict[xt];
    switch (w->kind) {
      case K_PRIM: w->fn(m); break;
      case K_VAR: push(m, w->value); break;
      case K_CONST: push(m, w->value); break;
      case K_COLON:
        if (m->rp - base_rp > 100) { fail(m, "recursion too deep"); return; }
        rpush(m, (cell)ip);
        ip = (int)w->value;
        break;
      case K_CTRL:
        if (ip < 0 && w->value != C_I && w->value != C_J) { fail(m, "compile-only word"); return; }
        if ((w->value == C_I && m->rp < 1) || (w->value == C_J && m->rp < 3)) { fail(m, "no loop index"); return; }
        switch ((enum ctrl)w->value) {
          case C_LIT: push(m, m->code[ip++]); break;
          case C_BRANCH: ip = (int)m->code[ip]; break;
          case C_ZBRANCH: ip = pop(m) ? ip + 1 : (int)m->code[ip]; break;
          case C_EXIT: ip = (int)rpop(m); break;
          case C_DO: { cell start = pop(m), limit = pop(m); rpush(m, limit); rpush(m, start); break; }
          case C_LOOP:
          case C_PLOOP: {
            /* Leave when the index crosses the boundary between limit-1 and
             * limit: the sign of index-limit (wrapping) changes. */
            cell step = w->value == C_LOOP ? 1 : pop(m);
            if (m->rp < 2) { fail(m, "loop without do"); return; }
            cell idx = m->rs[m->rp - 1], lim = m->rs[m->rp - 2];
            cell before = idx - lim, after = before + step;
            if ((before ^ after) >> 63) { m->rp -= 2; ip++; }
            else { m->rs[m->rp - 1] = idx + step; ip = (int)m->code[ip]; }
            break;
          }
          case C_I: push(m, m->rs[m->rp - 1]); break;
          case C_J: push(m, m->rs[m->rp - 3]); break;
          case C_DOTQ: {
            cell off = m->code[ip++];
            emit_str(m, m->strings + off, strlen(m->strings + off));
            break;
          }
        }
        break;
    }
    if (ip < 0 || m->rp < base_rp) return;
    if (m->err) return;
    xt = (int)m->code[ip++];
  }
}

static const char *next_token(const char **src, char *tok, size_t cap) {
  const char *s = *src;
  while (*s == ' ' || *s == '\n' || *s == '\t') s++;
  if (!*s) { *src = s; return NULL; }
  size_t n = 0;
  while (*s && *s != ' ' && *s != '\n' && *s != '\t') {
    if (n + 1 < cap) tok[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
    s++;
  }
  tok[n] = 0;
  *src = s;
  return tok;
}

static void cpush(vm *m, int v) { if (m->csp < 32) m->cstack[m->csp++] = v; else fail(m, "control nesting"); }
static int cpop(vm *m) { if (m->csp <= 0) { fail(m, "unbalanced control word"); return 0; } return m->cstack[--m->csp]; }

/* Compile-time words; returns 1 if tok was one. */
static int immediate(vm *m, const char *tok, const char **src) {
  if (!strcmp(tok, ";")) {
    if (m->csp) { fail(m, "unbalanced control word"); return 1; }
    compile(m, (cell)ctrl_xt[C_EXIT]);
    m->compiling = 0;
    return 1;
  }
  if (!strcmp(tok, "if")) { compile(m, (cell)ctrl_xt[C_ZBRANCH]); cpush(m, m->here_code); compile(m, 0); return 1; }
  if (!strcmp(tok, "else")) {
    int at = cpop(m);
    compile(m, (cell)ctrl_xt[C_BRANCH]); cpush(m, m->here_code); compile(m, 0);
    m->code[at] = (cell)m->here_code;
    return 1;
  }
  if (!strcmp(tok, "then")) { m->code[cpop(m)] = (cell)m->here_code; return 1; }
  if (!strcmp(tok, "begin")) { cpush(m, m->here_code); return 1; }
  if (!strcmp(tok, "until")) { compile(m, (cell)ctrl_xt[C_ZBRANCH]); compile(m, (cell)cpop(m)); return 1; }
  if (!strcmp(tok, "again")) { compile(m, (cell)ctrl_xt[C_BRANCH]); compile(m, (cell)cpop(m)); return 1; }
  if (!strcmp(tok, "while")) { compile(m, (cell)ctrl_xt[C_ZBRANCH]); cpush(m, m->here_code); compile(m, 0); return 1; }
  if (!strcmp(tok, "repeat")) {
    int fwd = cpop(m), back = cpop(m);
    compile(m, (cell)ctrl_xt[C_BRANCH]); compile(m, (cell)back);
    m->code[fwd] = (cell)m->here_code;
    return 1;
  }
  if (!strcmp(tok, "do")) { compile(m, (cell)ctrl_xt[C_DO]); cpush(m, m->here_code); return 1; }
  if (!strcmp(tok, "loop") || !strcmp(tok, "+loop")) {
    compile(m, (cell)ctrl_xt[tok[0] == '+' ? C_PLOOP : C_LOOP]);
    compile(m, (cell)cpop(m));
    return 1;
  }
  if (!strcmp(tok, "recurse")) { compile(m, (cell)m->current); return 1; }
  if (!strcmp(tok, "exit")) { compile(m, (cell)ctrl_xt[C_EXIT]); return 1; }
  if (!strcmp(tok, ".\"")) {
    const char *s = *src + 1, *e = strchr(s, '"');
    if (!e) { fail(m, "unterminated string"); *src += strlen(*src); return 1; }
    size_t n = (size_t)(e - s);
    if (m->nstrings + n + 1 > sizeof m->strings) { fail(m, "string space full"); return 1; }
    memcpy(m->strings + m->nstrings, s, n);
    m->strings[m->nstrings + n] = 0;
    compile(m, (cell)ctrl_xt[C_DOTQ]);
    compile(m, (cell)m->nstrings);
    m->nstrings += (int)n + 1;
    *src = e + 1;
    return 1;
  }
  return 0;
}

static void interpret(vm *m, const char *src) {
  char tok[64];
  m->err = NULL;
  while (!m->err && next_token(&src, tok, sizeof tok)) {
    if (!strcmp(tok, "(")) { const char *e = strchr(src, ')'); src = e ? e + 1 : src + strlen(src); continue; }
    if (!strcmp(tok, "\\")) { const char *e = strchr(src, '\n'); src = e ? e : src + strlen(src); continue; }
    if (!strcmp(tok, ":")) {
      if (!next_token(&src, tok, sizeof tok)) { fail(m, "name expected"); break; }
      m->current = add_word(m, tok, K_COLON, (cell)m->here_code);
      m->compiling = 1;
      m->csp = 0;
      continue;
    }
    if (!strcmp(tok, "variable") || !strcmp(tok, "constant") || !strcmp(tok, "create")) {
      char name[64];
      if (!next_token(&src, name, sizeof name)) { fail(m, "name expected"); break; }
      if (tok[0] == 'c' && tok[1] == 'o') add_word(m, name, K_CONST, pop(m));
      else {
        add_word(m, name, K_VAR, m->here);
        if (tok[0] == 'v' && addr_ok(m, m->here, 8)) { memset(m->mem + m->here, 0, 8); m->here += 8; }
      }
      continue;
    }
    if (m->compiling && immediate(m, tok, &src)) continue;
    int xt = find(m, tok);
    if (xt >= 0) {
      if (m->compiling) compile(m, (cell)xt);
      else execute(m, xt);
      continue;
    }
    if (!strcmp(tok, ".\"")) { /* interpreted ." prints at once */
      const char *s = src + 1, *e = strchr(s, '"');
      if (!e) { fail(m, "unterminated string"); break; }
      emit_str(m, s, (size_t)(e - s));
      src = e + 1;
      continue;
    }
    char *end;
    cell n = tok[0] == '-' ? (cell)strtoll(tok, &end, 0) : (cell)strtoull(tok, &end, 0);
    if (*end || end == tok) { fail(m, "unknown word"); printf("  [unknown word '%s']\n", tok); break; }
    if (m->compiling) { compile(m, (cell)ctrl_xt[C_LIT]); compile(m, n); }
    else push(m, n);
  }
  if (m->err) {
    printf("  error: %s (depth %d)\n", m->err, m->sp);
    if (m->compiling) { m->nwords--; m->compiling = 0; } /* forget the half-defined word */
    m->sp = m->rp = 0;
  }
}

int main(void) {
  static vm m;
  static const char *ctrl_names[] = {"(lit)", "(branch)", "(0branch)", "(exit)", "(do)", "(loop)", "(+loop)", "i", "j", "(.\")"};
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
    int xt = add_word(&m, prims[i].name, K_PRIM, 0);
    m.dict[xt].fn = prims[i].fn;
  }
  for (int c = 0; c < 10; c++) ctrl_xt[c] = add_word(&m, ctrl_names[c], K_CTRL, (cell)c);
  m.here = 16;
  static const char *program[] = {
      ": sq dup * ;  : cube dup sq * ;  7 sq . 5 cube . -3 cube . cr",
      ": fact ( n -- n! ) dup 2 < if drop 1 else dup 1- recurse * then ;  10 fact . 20 fact . 25 fact u. cr",
      ": fib dup 2 < if exit then dup 1- recurse swap 2 - recurse + ;  20 fib . cr",
      ": gcd begin dup while tuck mod repeat drop ;  1071 462 gcd . 832040 514229 gcd . cr",
      ": collatz 0 swap begin dup 1 <> while dup 1 and if 3 * 1+ else 2/ then swap 1+ swap repeat drop ;\n"
      "27 collatz . 97 collatz . 871 collatz . cr",
      "variable count\n"
      ": prime? dup 2 < if drop 0 exit then 2 begin 2dup dup * >= while 2dup mod 0= if 2drop 0 exit then 1+ repeat 2drop -1 ;\n"
      ": primes 0 count ! 0 do i prime? if 1 count +! then loop count @ ;  1000 primes . 5000 primes . cr",
      "create flags 2000 allot\n"
      ": sieve flags 2000 1 fill 0 2000 2 do flags i + c@ if 1+ i i * begin dup 2000 < while 0 over flags + c! i + repeat drop then loop ;\n"
      "sieve . cr",
      ": table 11 1 do 11 1 do i j * 4 .r loop cr loop ; table",
      ": stars 0 do 42 emit loop ; : tri 1+ 1 do i stars cr loop ;  5 tri",
      ": countdown 0 10 do i . -2 +loop ;  countdown cr",
      ": signs -7 2 / . -7 2 mod . 7 -2 / . 7 -2 mod . -7 2/ . 1 63 lshift dup . 1- . cr ; signs",
      "-9223372036854775807 1- dup . -1 / . 0x7fffffffffffffff 1+ u. 3 0 / .",
      "1 2 3 .s rot .s drop drop drop drop",
      ".\" hello, forth\" cr",
      ": greet .\" hi \" dup . .\" there\" cr ; 42 greet drop",
      ": deep 1+ recurse ; 0 deep",
      ": bad if 1 ; 2 bad",
      ": squares 10 0 do i dup * , loop ; squares here 80 - @ . here 8 - @ . 3 here 8 - +! here 8 - @ . cr",
      "i . 10 0 do",
      ": nested 3 0 do 3 0 do i j + . loop loop cr ; nested",
      ": ack over 0= if nip 1+ exit then dup 0= if drop 1- 1 recurse exit then over swap 1- recurse swap 1- swap recurse ;\n"
      "2 3 ack . 3 3 ack . cr",
      "0x8000000000000000 0< . 5 3 - 0< . -1 1 u< . 1 -1 u< . 255 4 rshift h. cr",
  };
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < sizeof program / sizeof program[0]; i++) {
    m.outn = 0;
    m.executed = 0;
    printf("%zu>\n", i);
    interpret(&m, program[i]);
    m.out[m.outn] = 0;
    printf("%s", m.out);
    if (m.outn && m.out[m.outn - 1] != '\n') printf("\n");
    printf("  (%ld executed, depth %d, words %d, code %d)\n", m.executed, m.sp, m.nwords, m.here_code);
    for (int k = 0; k < m.outn; k++) h = (h ^ (uint8_t)m.out[k]) * 16777619u;
    h = (h ^ (uint32_t)m.executed) * 16777619u;
  }
  printf("hash %08x\n", h);
  return (int)(h % 63) + 1;
}
