/* bigint.c: arbitrary-precision unsigned integers on 32-bit limbs with 64-bit
 * intermediates: add/sub with carries and borrows, schoolbook multiplication,
 * Knuth's long division (normalisation shifts, quotient estimate and
 * add-back), decimal conversion both ways, shifts by arbitrary bit counts.
 * Workloads: 300!, Fibonacci numbers by iteration and by fast doubling, an
 * integer square root by Newton's method, gcd, Fermat tests by modular
 * exponentiation, Lucas-Lehmer tests of Mersenne numbers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint32_t *d; int n, cap; } big;

static void reserve(big *a, int n) {
  if (n <= a->cap) return;
  int cap = a->cap ? a->cap : 4;
  while (cap < n) cap *= 2;
  uint32_t *d = realloc(a->d, (size_t)cap * sizeof *d);
  if (!d) { fprintf(stderr, "out of memory\n"); exit(99); }
  a->d = d;
  a->cap = cap;
}
static void trim(big *a) { while (a->n > 0 && a->d[a->n - 1] == 0) a->n--; }
static void set_u64(big *a, uint64_t v) {
  reserve(a, 2);
  a->d[0] = (uint32_t)v;
  a->d[1] = (uint32_t)(v >> 32);
  a->n = 2;
  trim(a);
}
static void copy(big *dst, const big *src) {
  if (dst == src) return;
  reserve(dst, src->n);
  if (src->n) memcpy(dst->d, src->d, (size_t)src->n * sizeof *src->d);
  dst->n = src->n;
}
static void swap(big *a, big *b) { big t = *a; *a = *b; *b = t; }
static void release(big *a) { free(a->d); a->d = NULL; a->n = a->cap = 0; }
static int is_zero(const big *a) { return a->n == 0; }

static int cmp(const big *a, const big *b) {
  if (a->n != b->n) return a->n < b->n ? -1 : 1;
  for (int i = a->n - 1; i >= 0; i--)
    if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
  return 0;
}

/* r = a + b; r may be a or b. */
static void add(big *r, const big *a, const big *b) {
  if (a->n < b->n) { const big *t = a; a = b; b = t; }
  int an = a->n, bn = b->n;
  reserve(r, an + 1);
  uint64_t carry = 0;
  for (int i = 0; i < an; i++) {
    carry += (uint64_t)a->d[i] + (i < bn ? b->d[i] : 0);
    r->d[i] = (uint32_t)carry;
    carry >>= 32;
  }
  r->d[an] = (uint32_t)carry;
  r->n = an + 1;
  trim(r);
}
/* r = a - b, a >= b; r may be a or b. */
static void sub(big *r, const big *a, const big *b) {
  int an = a->n, bn = b->n;
  reserve(r, an);
  uint64_t borrow = 0;
  for (int i = 0; i < an; i++) {
    uint64_t t = (uint64_t)a->d[i] - (i < bn ? b->d[i] : 0) - borrow;
    r->d[i] = (uint32_t)t;
    borrow = t >> 63;
  }
  r->n = an;
  trim(r);
}
static void sub_small(big *a, uint32_t v) {
  for (int i = 0; v && i < a->n; i++) {
    uint32_t old = a->d[i];
    a->d[i] = old - v;
    v = old < v;
  }
  trim(a);
}
/* r = a * b; r may alias either. */
static void mul(big *r, const big *a, const big *b) {
  if (is_zero(a) || is_zero(b)) { r->n = 0; return; }
  big t = {0};
  reserve(&t, a->n + b->n);
  memset(t.d, 0, (size_t)(a->n + b->n) * sizeof *t.d);
  for (int i = 0; i < a->n; i++) {
    uint64_t carry = 0, ai = a->d[i];
    if (!ai) continue;
    for (int j = 0; j < b->n; j++) {
      carry += ai * b->d[j] + t.d[i + j];
      t.d[i + j] = (uint32_t)carry;
      carry >>= 32;
    }
    t.d[i + b->n] = (uint32_t)carry;
  }
  t.n = a->n + b->n;
  trim(&t);
  swap(r, &t);
  release(&t);
}
static void mul_small(big *a, uint32_t m, uint32_t addend) {
  uint64_t carry = addend;
  for (int i = 0; i < a->n; i++) {
    carry += (uint64_t)a->d[i] * m;
    a->d[i] = (uint32_t)carry;
    carry >>= 32;
  }
  if (carry) { reserve(a, a->n + 1); a->d[a->n++] = (uint32_t)carry; }
}
static uint32_t div_small(big *a, uint32_t dv) {
  uint64_t rem = 0;
  for (int i = a->n - 1; i >= 0; i--) {
    uint64_t cur = rem << 32 | a->d[i];
    a->d[i] = (uint32_t)(cur / dv);
    rem = cur % dv;
  }
  trim(a);
  return (uint32_t)rem;
}
static void shl(big *r, const big *a, unsigned bits) {
  int words = (int)(bits / 32), s = (int)(bits % 32), an = a->n;
  big t = {0};
  reserve(&t, an + words + 1);
  memset(t.d, 0, (size_t)(an + words + 1) * sizeof *t.d);
  for (int i = an - 1; i >= 0; i--) {
    uint64_t v = (uint64_t)a->d[i] << s;
    t.d[i + words + 1] |= (uint32_t)(v >> 32);
    t.d[i + words] |= (uint32_t)v;
  }
  t.n = an + words + 1;
  trim(&t);
  swap(r, &t);
  release(&t);
}
static void shr(big *r, const big *a, unsigned bits) {
  int words = (int)(bits / 32), s = (int)(bits % 32);
  if (words >= a->n) { r->n = 0; return; }
  int n = a->n - words;
  reserve(r, n);
  for (int i = 0; i < n; i++) {
    uint64_t v = a->d[i + words];
    if (i + words + 1 < a->n) v |= (uint64_t)a->d[i + words + 1] << 32;
    r->d[i] = (uint32_t)(v >> s);
  }
  r->n = n;
  trim(r);
}
static unsigned bit_length(const big *a) {
  if (is_zero(a)) return 0;
  return (unsigned)(a->n - 1) * 32 + (32 - (unsigned)__builtin_clz(a->d[a->n - 1]));
}
static void low_bits(big *r, const big *a, unsigned bits) {
  copy(r, a);
  int words = (int)(bits / 32), s = (int)(bits % 32);
  if (words >= r->n) return;
  r->d[words] &= s ? (uint32_t)((1ull << s) - 1) : 0;
  r->n = words + 1;
  trim(r);
}

/* q = a / b, rem = a % b (Knuth, algorithm D). q or rem may be NULL. */
static void divmod(big *q, big *rem, const big *a, const big *b) {
  if (is_zero(b)) { fprintf(stderr, "division by zero\n"); exit(98); }
  if (cmp(a, b) < 0) {
    if (rem) copy(rem, a);
    if (q) q->n = 0;
    return;
  }
  if (b->n == 1) {
    big t = {0};
    copy(&t, a);
    uint32_t r = div_small(&t, b->d[0]);
    if (rem) set_u64(rem, r);
    if (q) swap(q, &t);
    release(&t);
    return;
  }
  int n = b->n, m = a->n - b->n;
  int s = __builtin_clz(b->d[n - 1]);
  uint32_t *vn = malloc((size_t)n * sizeof *vn), *un = malloc((size_t)(a->n + 1) * sizeof *un);
  uint32_t *qd = calloc((size_t)m + 1, sizeof *qd);
  for (int i = n - 1; i > 0; i--)
    vn[i] = s ? b->d[i] << s | b->d[i - 1] >> (32 - s) : b->d[i];
  vn[0] = b->d[0] << s;
  un[a->n] = s ? a->d[a->n - 1] >> (32 - s) : 0;
  for (int i = a->n - 1; i > 0; i--)
    un[i] = s ? a->d[i] << s | a->d[i - 1] >> (32 - s) : a->d[i];
  un[0] = a->d[0] << s;
  const uint64_t B = 1ull << 32;
  for (int j = m; j >= 0; j--) {
    uint64_t num = (uint64_t)un[j + n] << 32 | un[j + n - 1];
    uint64_t qhat = num / vn[n - 1], rhat = num % vn[n - 1];
    while (qhat >= B || qhat * vn[n - 2] > (rhat << 32 | un[j + n - 2])) {
      qhat--;
      rhat += vn[n - 1];
      if (rhat >= B) break;
    }
    uint64_t borrow = 0, carry = 0;
    for (int i = 0; i < n; i++) {
      uint64_t p = qhat * vn[i] + carry;
      carry = p >> 32;
      uint64_t t = (uint64_t)un[i + j] - (uint32_t)p - borrow;
      un[i + j] = (uint32_t)t;
      borrow = t >> 63;
    }
    uint64_t t = (uint64_t)un[j + n] - carry - borrow;
    un[j + n] = (uint32_t)t;
    if (t >> 63) {
      qhat--;
      uint64_t c = 0;
      for (int i = 0; i < n; i++) {
        c += (uint64_t)un[i + j] + vn[i];
        un[i + j] = (uint32_t)c;
        c >>= 32;
      }
      un[j + n] += (uint32_t)c;
    }
    qd[j] = (uint32_t)qhat;
  }
  if (rem) {
    reserve(rem, n);
    for (int i = 0; i < n; i++)
      rem->d[i] = s ? un[i] >> s | un[i + 1] << (32 - s) : un[i];
    rem->n = n;
    trim(rem);
  }
  if (q) {
    reserve(q, m + 1);
    memcpy(q->d, qd, (size_t)(m + 1) * sizeof *qd);
    q->n = m + 1;
    trim(q);
  }
  free(vn); free(un); free(qd);
}

static char *to_dec(const big *a) {
  big t = {0};
  copy(&t, a);
  size_t cap = (size_t)a->n * 10 + 2, len = 0;
  char *s = malloc(cap);
  do {
    uint32_t chunk = div_small(&t, 1000000000u);
    for (int k = 0; k < 9; k++) {
      s[len++] = (char)('0' + chunk % 10);
      chunk /= 10;
      if (is_zero(&t) && chunk == 0) break;
    }
  } while (!is_zero(&t));
  s[len] = 0;
  for (size_t i = 0; i < len / 2; i++) { char c = s[i]; s[i] = s[len - 1 - i]; s[len - 1 - i] = c; }
  release(&t);
  return s;
}
static void from_dec(big *a, const char *s) {
  a->n = 0;
  while (*s) {
    uint32_t chunk = 0, scale = 1;
    for (int k = 0; k < 9 && *s; k++, s++) { chunk = chunk * 10 + (uint32_t)(*s - '0'); scale *= 10; }
    if (is_zero(a)) { set_u64(a, chunk); continue; }
    mul_small(a, scale, chunk);
  }
}

static void report(const char *name, const big *a) {
  char *s = to_dec(a);
  size_t len = strlen(s);
  unsigned sum = 0, zeros = 0;
  for (size_t i = 0; i < len; i++) sum += (unsigned)(s[i] - '0');
  while (zeros < len && s[len - 1 - zeros] == '0') zeros++;
  printf("%s: %zu digits, %u bits, digit sum %u, trailing zeros %u, %.20s...%s\n", name, len, bit_length(a), sum,
         zeros, s, len > 20 ? s + len - 20 : s);
  free(s);
}

static void powmod(big *r, const big *base, const big *e, const big *m) {
  big acc = {0}, b = {0};
  set_u64(&acc, 1);
  divmod(NULL, &b, base, m);
  for (int i = (int)bit_length(e) - 1; i >= 0; i--) {
    mul(&acc, &acc, &acc);
    divmod(NULL, &acc, &acc, m);
    if (e->d[i / 32] >> (i % 32) & 1) {
      mul(&acc, &acc, &b);
      divmod(NULL, &acc, &acc, m);
    }
  }
  swap(r, &acc);
  release(&acc); release(&b);
}

static void fib_doubling(big *fk, big *fk1, unsigned n) {
  /* (F(k), F(k+1)) from the top bit of n down. */
  big a = {0}, b = {0}, t = {0}, u = {0};
  set_u64(&a, 0);
  set_u64(&b, 1);
  for (int i = 31 - __builtin_clz(n | 1); i >= 0; i--) {
    shl(&t, &b, 1);
    sub(&t, &t, &a);
    mul(&t, &t, &a);           /* F(2k) = F(k) (2F(k+1) - F(k)) */
    mul(&u, &a, &a);
    mul(&a, &b, &b);
    add(&u, &u, &a);           /* F(2k+1) = F(k)^2 + F(k+1)^2 */
    if (n >> i & 1) { add(&b, &t, &u); swap(&a, &u); }
    else { swap(&a, &t); swap(&b, &u); }
  }
  swap(fk, &a); swap(fk1, &b);
  release(&a); release(&b); release(&t); release(&u);
}

int main(void) {
  uint32_t check = 0;
  big f = {0}, x = {0}, y = {0}, z = {0}, w = {0};

  set_u64(&f, 1);
  for (uint32_t i = 2; i <= 300; i++) mul_small(&f, i, 0);
  report("300!", &f);
  divmod(&x, &y, &f, &f);
  printf("300!/300! = %u rem %d\n", x.n ? x.d[0] : 0, y.n);
  for (uint32_t i = 300; i >= 2; i--) if (div_small(&f, i)) printf("unexpected remainder at %u\n", i);
  printf("unwound to %u (limbs %d)\n", f.d[0], f.n);

  set_u64(&x, 0);
  set_u64(&y, 1);
  for (int i = 0; i < 10000; i++) { add(&x, &x, &y); swap(&x, &y); }
  report("fib(10000)", &x);
  fib_doubling(&z, &w, 10000);
  printf("fast doubling agrees: %s, F(10001) %s\n", cmp(&x, &z) == 0 ? "yes" : "NO", cmp(&y, &w) == 0 ? "ok" : "WRONG");
  check += bit_length(&z);

  fib_doubling(&x, &w, 300);
  fib_doubling(&y, &w, 450);
  while (!is_zero(&y)) { divmod(NULL, &z, &x, &y); swap(&x, &y); swap(&y, &z); }
  fib_doubling(&z, &w, 150);
  char *g = to_dec(&x);
  printf("gcd(F300, F450) = %s (%s F150)\n", g, cmp(&x, &z) == 0 ? "==" : "!=");
  free(g);

  /* isqrt(2 * 10^600) by Newton: the first 301 digits of sqrt(2). */
  set_u64(&f, 2);
  for (int i = 0; i < 600; i++) mul_small(&f, 10, 0);
  set_u64(&x, 1);
  shl(&x, &x, bit_length(&f) / 2 + 1);
  int iters = 0;
  for (;;) {
    divmod(&y, NULL, &f, &x);
    add(&y, &y, &x);
    shr(&y, &y, 1);
    iters++;
    if (cmp(&y, &x) >= 0) break;
    swap(&x, &y);
  }
  mul(&y, &x, &x);
  sub(&z, &f, &y);
  report("isqrt(2e600)", &x);
  add(&w, &x, &x);
  set_u64(&y, 1);
  add(&w, &w, &y);
  printf("newton iterations %d, remainder bits %u, next square above: %s\n", iters, bit_length(&z),
         cmp(&w, &z) > 0 ? "yes" : "NO");

  /* Decimal round trip and a product. */
  const char *da = "31415926535897932384626433832795028841971693993751",
             *db = "27182818284590452353602874713526624977572470936999";
  from_dec(&x, da);
  from_dec(&y, db);
  char *sa = to_dec(&x);
  printf("round trip %s\n", strcmp(sa, da) == 0 ? "ok" : sa);
  free(sa);
  mul(&z, &x, &y);
  sa = to_dec(&z);
  printf("product %s\n", sa);
  free(sa);
  divmod(&w, &f, &z, &y);
  printf("product / b == a: %s, remainder %d limbs\n", cmp(&w, &x) == 0 ? "yes" : "NO", f.n);
  sub(&z, &z, &y);
  divmod(&w, &f, &z, &x);
  sa = to_dec(&f);
  printf("(ab - b) mod a = %.30s... (%zu digits)\n", sa, strlen(sa));
  free(sa);

  /* Fermat tests, base 3, of 10^30 + k and of two Mersenne numbers. */
  big three = {0}, one = {0}, n1 = {0};
  set_u64(&three, 3);
  set_u64(&one, 1);
  int probable = 0;
  for (uint32_t k = 1; k < 400; k += 2) {
    from_dec(&x, "1000000000000000000000000000000");
    set_u64(&y, k);
    add(&x, &x, &y);
    copy(&n1, &x);
    sub_small(&n1, 1);
    powmod(&z, &three, &n1, &x);
    if (cmp(&z, &one) == 0) { probable++; check = check * 31 + k; printf("10^30+%u ", k); }
  }
  printf("\n%d probable primes\n", probable);
  static const unsigned mers[] = {61, 67, 89, 101, 107, 127, 257, 521, 607};
  for (size_t i = 0; i < sizeof mers / sizeof mers[0]; i++) {
    unsigned p = mers[i];
    big M = {0}, s = {0}, t = {0};
    set_u64(&M, 1);
    shl(&M, &M, p);
    sub_small(&M, 1);
    /* Lucas-Lehmer: s = s^2 - 2 mod M, reduced with shifts and masks. */
    set_u64(&s, 4);
    for (unsigned k = 0; k < p - 2; k++) {
      mul(&s, &s, &s);
      add(&s, &s, &M);
      sub_small(&s, 2);
      while (bit_length(&s) > p) {
        shr(&t, &s, p);
        low_bits(&s, &s, p);
        add(&s, &s, &t);
      }
      if (cmp(&s, &M) == 0) s.n = 0;
    }
    int ll = is_zero(&s);
    int fermat = -1;
    if (p == 127 || p == 67 || p == 521) {
      copy(&n1, &M);
      sub_small(&n1, 1);
      powmod(&t, &three, &n1, &M);
      fermat = cmp(&t, &one) == 0;
    }
    printf("M%u: lucas-lehmer %s, fermat %d, residue low limb %08x\n", p, ll ? "prime" : "composite", fermat,
           s.n ? s.d[0] : 0);
    check = check * 7 + (unsigned)ll * p + (s.n ? s.d[0] : 0);
    release(&M); release(&s); release(&t);
  }
  printf("check %08x\n", check);
  release(&f); release(&x); release(&y); release(&z); release(&w);
  release(&three); release(&one); release(&n1);
  return (int)(check % 61) + 1;
}
