/* convert.c: conversions and edge cases, all within defined behaviour and
 * with inputs read through volatile objects so that the conversions happen
 * at run time: float<->int at the edges of the target ranges (i32, u32, i64,
 * u64, from f32 and f64), u64/i64 -> f32 where converting through f64 would
 * round twice, f64 -> f32 ties and subnormals, subnormal arithmetic,
 * rint/round/trunc/floor/ceil/fmod/remainder/frexp/ldexp/modf, 64-bit
 * division by negative numbers and by constants, masked shifts, rotations,
 * popcount/clz/ctz/bswap builtins, strtoll/strtoull/strtod/strtof on tricky
 * strings (endptr offsets, ERANGE), sscanf, and many printf formats. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t h = 2166136261u;
static void mix(const char *s) { while (*s) h = (h ^ (unsigned char)*s++) * 16777619u; }
/* Prints and hashes one line. */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  mix(buf);
  fputs(buf, stdout);
}

static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static float from_fbits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static volatile double vd[] = {0.0, -0.0, 0.9999999999999999, -0.9999999999999999, 2147483647.9, -2147483648.9,
                               4294967295.9, 2147483648.0, 9223372036854774784.0, -9223372036854775808.0,
                               18446744073709549568.0, 1e15 + 0.5, -1e15 - 0.5, 4503599627370497.0, 123.456};
static volatile float vf[] = {0.0f, -0.99999994f, 16777215.0f, 2147483520.0f, -2147483648.0f, 4294967040.0f,
                              9223371487098961920.0f, 18446742974197923840.0f, 1.5f, -2.5f};
static volatile uint64_t vu[] = {0, 1, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull,
                                 0x8000008000000000ull, 0x8000008000000001ull, 0x0020000020000001ull,
                                 0x0020000020000000ull, 0x00200000A0000000ull, 0xFFFFFF7FFFFFFFFFull,
                                 0xFFFFFF8000000000ull, 0x000FFFFFFFFFFFFFull, 0x0020000000000003ull,
                                 0x1000000000000801ull, 0x7FFFFF4000000001ull};
static volatile uint32_t v32[] = {0, 1, 16777217, 16777219, 0x7FFFFFFF, 0x80000000u, 0x80000081u, 0xFFFFFFFFu,
                                  0xFFFFFF80u, 0x00FFFFFFu};

static void conversions(void) {
  out("-- float to int\n");
  for (size_t i = 0; i < sizeof vd / sizeof vd[0]; i++) {
    double d = vd[i];
    char line[256];
    int n = snprintf(line, sizeof line, "%.17g:", d);
    if (d > -2147483649.0 && d < 2147483648.0) n += snprintf(line + n, sizeof line - (size_t)n, " i32 %" PRId32, (int32_t)d);
    if (d > -1.0 && d < 4294967296.0) n += snprintf(line + n, sizeof line - (size_t)n, " u32 %" PRIu32, (uint32_t)d);
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      n += snprintf(line + n, sizeof line - (size_t)n, " i64 %" PRId64, (int64_t)d);
    if (d > -1.0 && d < 18446744073709551616.0) n += snprintf(line + n, sizeof line - (size_t)n, " u64 %" PRIu64, (uint64_t)d);
    out("%s\n", line);
  }
  for (size_t i = 0; i < sizeof vf / sizeof vf[0]; i++) {
    float f = vf[i];
    out("%.9gf:", (double)f);
    if (f >= -2147483648.0f && f < 2147483648.0f) out(" i32 %" PRId32, (int32_t)f);
    if (f > -1.0f && f < 4294967296.0f) out(" u32 %" PRIu32, (uint32_t)f);
    if (f >= -9223372036854775808.0f && f < 9223372036854775808.0f) out(" i64 %" PRId64, (int64_t)f);
    if (f > -1.0f && f < 18446744073709551616.0f) out(" u64 %" PRIu64, (uint64_t)f);
    out("\n");
  }
  out("-- int to float\n");
  for (size_t i = 0; i < sizeof vu / sizeof vu[0]; i++) {
    uint64_t u = vu[i];
    int64_t s = u >> 63 ? (int64_t)(u & 0x7FFFFFFFFFFFFFFFull) - INT64_MAX - 1 : (int64_t)u;
    float fu = (float)u, fs = (float)s;
    double du = (double)u, ds = (double)s;
    out("%016" PRIx64 ": u->f32 %08" PRIx32 " u->f64 %016" PRIx64 " s(%" PRId64 ")->f32 %08" PRIx32 " ->f64 %016" PRIx64 "\n", u,
        fbits(fu), dbits(du), s, fbits(fs), dbits(ds));
    out("  %.9g %.17g %.9g %.17g\n", (double)fu, du, (double)fs, ds);
  }
  for (size_t i = 0; i < sizeof v32 / sizeof v32[0]; i++) {
    uint32_t u = v32[i];
    int32_t s = u >> 31 ? (int32_t)(u & 0x7FFFFFFF) - INT32_MAX - 1 : (int32_t)u;
    out("%08" PRIx32 ": u->f32 %.9g s(%" PRId32 ")->f32 %.9g u->f64 %.17g s->f64 %.17g\n", u, (double)(float)u, s,
        (double)(float)s, (double)u, (double)s);
  }
  out("-- f64 to f32\n");
  static volatile uint64_t narrow[] = {
      0x3FF0000010000000ull, /* 1 + 2^-24: a tie, to even */
      0x3FF0000010000001ull, /* just above the tie */
      0x3FF0000030000000ull, /* 1 + 3 * 2^-24: a tie, to even (up) */
      0x47EFFFFFF0000000ull, /* FLT_MAX + half an ulp: a tie, to infinity */
      0x47EFFFFFEFFFFFFFull, /* just below it */
      0x36A0000000000000ull, /* 2^-149, the smallest subnormal float */
      0x3690000000000000ull, /* 2^-150: a tie, to zero */
      0x3690000000000001ull, /* above: to 2^-149 */
      0x36A8000000000000ull, /* 1.5 * 2^-149: a tie, to 2^-148 */
      0x380FFFFFF0000000ull, /* just below FLT_MIN */
      0xC7F0000000000000ull, /* -2^128: -inf */
      0x7FF0000000000000ull, 0x0000000000000001ull, 0x8000000000000000ull,
  };
  for (size_t i = 0; i < sizeof narrow / sizeof narrow[0]; i++) {
    double d = from_bits(narrow[i]);
    float f = (float)d;
    out("%016" PRIx64 " -> %08" PRIx32 " (%.9g)\n", narrow[i], fbits(f), (double)f);
  }
  volatile float fw = from_fbits(0x00000003u);
  volatile double dw = from_bits(0x000FFFFFFFFFFFFFull);
  out("widen %.17g %.17g; subnormal arithmetic %.17g %.17g %.9g %.17g %.17g\n", (double)fw, dw, dw * 0.5, dw + dw,
      (double)(fw * 0.5f), DBL_MIN / 3.0, dw / 4503599627370496.0);
}

static void libm_exact(void) {
  out("-- exact libm\n");
  static volatile double xs[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996, 4503599627370495.5, -0.0, 1e300, -7.25};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i], ip;
    int e;
    double fr = frexp(x, &e), fp = modf(x, &ip);
    out("%.17g: rint %g round %g trunc %g floor %g ceil %g nearbyint %g lround %s frexp %.17g*2^%d modf %g+%g\n", x,
        rint(x), round(x), trunc(x), floor(x), ceil(x), nearbyint(x),
        fabs(x) < 1e18 ? (llround(x) % 2 ? "odd" : "even") : "-", fr, e, ip, fp);
  }
  static volatile float fs[] = {0.5f, 2.5f, -3.5f, 8388607.5f, -0.25f};
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
    float f = fs[i];
    out("%.9g: rintf %g roundf %g truncf %g floorf %g ceilf %g sqrtf %.9g\n", (double)f, (double)rintf(f),
        (double)roundf(f), (double)truncf(f), (double)floorf(f), (double)ceilf(f), (double)sqrtf(fabsf(f)));
  }
  volatile double a = 10.5, b = 3.25, c = -7.0, z = 0.0;
  out("fmod %.17g %.17g remainder %.17g %.17g ldexp %.17g %.17g scalbn %g ilogb %d %d\n", fmod(a, b), fmod(c, b),
      remainder(a, b), remainder(c, 2.0), ldexp(a, -1074), ldexp(0.75, 1024), scalbn(1.0, -1075), ilogb(a),
      ilogb(DBL_MIN / 8));
  out("copysign %g %g fabs(-0) %g nextafter %.17g %.17g sqrt %.17g %.17g\n", copysign(2.0, -z), copysign(2.0, z),
      fabs(-z), nextafter(a, 0.0), nextafter(z, 1.0), sqrt(a), sqrt(2e-320));
  out("fmin %g fmax %g isnan(sqrt(-7)) %d isinf %d isfinite %d\n", fmin(a, b), fmax(c, z), isnan(sqrt(c)) != 0,
      isinf(a / z) != 0, isfinite(a / 3) != 0);
}

static void integers(void) {
  out("-- integers\n");
  static volatile int64_t nums[] = {7, -7, 9223372036854775807ll, -9223372036854775807ll - 1, 1000000007, -1, 0, 123456789012345ll};
  static volatile int64_t dens[] = {2, -2, 3, -3, 1000000007, -9223372036854775807ll - 1, 7, -1};
  uint64_t acc = 0;
  for (size_t i = 0; i < 8; i++)
    for (size_t j = 0; j < 8; j++) {
      int64_t n = nums[i], d = dens[j];
      if (d == -1 && n == INT64_MIN) continue;
      int64_t q = n / d, r = n % d;
      acc = acc * 31 + (uint64_t)q + (uint64_t)r * 7;
      if (i < 2 || j == 5) out("%" PRId64 " / %" PRId64 " = %" PRId64 " rem %" PRId64 "\n", n, d, q, r);
    }
  out("div table hash %016" PRIx64 "\n", acc);
  /* Division by constants (multiply-high sequences) and by powers of two. */
  uint64_t c1 = 0;
  for (int32_t x = -100000; x <= 100000; x += 37) {
    int64_t y = (int64_t)x * 99991;
    c1 = c1 * 3 + (uint64_t)(x / 3 + x % 3 + x / 7 + x % 7 + x / 10 + x / 16 + x % 16 + x / -8);
    c1 = c1 * 3 + (uint64_t)(y / 1000000007 + y % 1000000007 + y / 1024 + y % 1024);
    c1 += (uint64_t)((uint32_t)x / 10u + (uint32_t)x % 1000u) + (uint64_t)y / 12345u;
  }
  out("const div hash %016" PRIx64 "\n", c1);
  /* Shifts with masked counts, rotations. */
  static volatile uint32_t sv = 0x80000001u;
  static volatile uint64_t sv64 = 0xF00000000000000Full;
  uint64_t sh = 0;
  for (unsigned n = 0; n < 80; n += 3) {
    uint32_t x = sv;
    uint64_t y = sv64;
    uint32_t rl = (x << (n & 31)) | (x >> (-n & 31));
    uint64_t rr = (y >> (n & 63)) | (y << (-n & 63));
    sh = sh * 17 + (x << (n & 31)) + (x >> (n & 31)) + (y << (n & 63)) + (y >> (n & 63)) + rl + rr;
    if (n % 21 == 0) out("n=%u: shl %08" PRIx32 " rotl %08" PRIx32 " rotr64 %016" PRIx64 "\n", n, x << (n & 31), rl, rr);
  }
  out("shift hash %016" PRIx64 "\n", sh);
  static volatile uint64_t bits[] = {1, 0x80000000u, 0xFFFFFFFFFFFFFFFFull, 0x0123456789ABCDEFull, 0x8000000000000000ull, 0x00F0F0F000000000ull};
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
    uint64_t b = bits[i];
    uint32_t lo = (uint32_t)b;
    out("%016" PRIx64 ": pop %d/%d clz %d ctz %d clz32 %d ctz32 %d bswap %016" PRIx64 " bswap32 %08" PRIx32 "\n", b,
        __builtin_popcountll(b), __builtin_popcount(lo), __builtin_clzll(b), __builtin_ctzll(b),
        lo ? __builtin_clz(lo) : 32, lo ? __builtin_ctz(lo) : 32, __builtin_bswap64(b), __builtin_bswap32(lo));
  }
  volatile int64_t m1 = -1;
  volatile uint64_t u1 = 1;
  volatile int32_t i32m = INT32_MIN;
  out("mixed compares %d %d %d; unsigned wrap %" PRIu32 " %" PRIu64 " %u; abs %" PRId64 " %" PRIu32 "\n",
      m1 < (int64_t)u1, (uint64_t)m1 < u1, (uint32_t)i32m > 0x7FFFFFFFu, (uint32_t)(0u - (uint32_t)u1), 0 - u1,
      (unsigned)(uint16_t)(65535u + (unsigned)u1), -(int64_t)i32m, 0u - (uint32_t)i32m);
}

static void parsing(void) {
  out("-- strto*\n");
  static const char *ints[] = {"  -0x1Fz", "0777", "0x", "9223372036854775807", "9223372036854775808",
                               "-9223372036854775809", "18446744073709551615", "18446744073709551616", "-1",
                               "+42abc", "   ", "-0", "1e5"};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    char *end;
    errno = 0;
    long long s = strtoll(ints[i], &end, 0);
    int e1 = errno == ERANGE;
    long off1 = (long)(end - ints[i]);
    errno = 0;
    unsigned long long u = strtoull(ints[i], &end, 0);
    int e2 = errno == ERANGE;
    out("\"%s\": ll %lld%s +%ld, ull %llu%s +%ld\n", ints[i], s, e1 ? " ERANGE" : "", off1, u, e2 ? " ERANGE" : "",
        (long)(end - ints[i]));
  }
  static const struct { const char *s; int base; } based[] = {{"zz", 36}, {"Zz9", 36}, {"101102", 2}, {"-7fffffff", 16}, {"777", 8}, {"12", 3}};
  for (size_t i = 0; i < sizeof based / sizeof based[0]; i++) {
    char *end;
    long v = strtol(based[i].s, &end, based[i].base);
    out("strtol(\"%s\", %d) = %ld +%ld\n", based[i].s, based[i].base, v, (long)(end - based[i].s));
  }
  static const char *fl[] = {"0.1", "  +.5e+2x", "1e-400", "2.4703282292062328e-324", "2.4703282292062327e-324",
                             "1.7976931348623157e308", "1.7976931348623159e308", "0x1.8p3", "-0x.1p-2", "inf",
                             "-Infinity", "nan", "1e", "-.e1", "4.9406564584124654e-324", "2.2250738585072011e-308",
                             "123456789012345678901234567890", "0.000000000000000000000000000001e30"};
  for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
    char *end, *endf;
    errno = 0;
    double d = strtod(fl[i], &end);
    /* glibc and musl disagree about ERANGE for subnormal results: only
     * overflow and underflow to zero are reported. */
    int ed = errno == ERANGE && (d == 0 || isinf(d));
    errno = 0;
    float f = strtof(fl[i], &endf);
    int ef = errno == ERANGE && (f == 0 || isinf(f));
    if (isnan(d)) out("\"%s\": nan +%ld, f nan +%ld\n", fl[i], (long)(end - fl[i]), (long)(endf - fl[i]));
    else
      out("\"%s\": %.17g (%016" PRIx64 ")%s +%ld, f %.9g (%08" PRIx32 ")%s\n", fl[i], d, dbits(d), ed ? " ERANGE" : "",
          (long)(end - fl[i]), (double)f, fbits(f), ef ? " ERANGE" : "");
  }
  int a = 0, n = 0;
  unsigned x = 0;
  float f = 0;
  char word[16] = "", rest[16] = "";
  int got = sscanf("  -17 0x2A 3.25e1 hello [abc]def", "%d %x %f %15s [%15[a-c]]%n", &a, &x, &f, word, rest, &n);
  out("sscanf %d: %d %u %.9g %s %s %d\n", got, a, x, (double)f, word, rest, n);
}

static void formats(void) {
  out("-- printf\n");
  volatile int i = -42, i300 = 300, i70000 = 70000; /* %hh and %h convert them to char and short */
  volatile unsigned u = 3000000000u;
  volatile long long ll = -9223372036854775807ll - 1;
  volatile double d = 1234.5678, tiny = 1e-5, big = 1e21, sub = 1e-320;
  out("[%d] [%i] [%u] [%x] [%X] [%o] [%#x] [%#o] [%#X]\n", i, i, u, u, u, u, u, u, 255u);
  out("[%+d] [% d] [%-8d] [%08d] [%+5.3d] [%.0d] [%5.0d] [%-+6d]\n", 5, 5, i, i, 7, 0, 0, 9);
  out("[%lld] [%llu] [%llx] [%zu] [%td] [%jd]\n", ll, (unsigned long long)ll, (unsigned long long)ll,
      sizeof(int64_t), (ptrdiff_t)-3, (intmax_t)ll);
  static char narrowing[] = "[%hhd] [%hhu] [%hd] [%hu]\n"; /* not a literal: no -Wformat about the int arguments */
  out(narrowing, i300, i300, i70000, i70000);
  out("[%f] [%.0f] [%#.0f] [%10.3f] [%-10.1f] [%+.2f] [%010.2f] [%.20f]\n", d, d, 3.0, d, d, -0.0, -d, 0.1);
  out("[%e] [%.0e] [%#.0e] [%E] [%.3e] [%12.4e] [%e] [%e]\n", d, d, d, tiny, 0.0, -d, sub, big);
  out("[%g] [%g] [%g] [%g] [%G] [%#g] [%.3g] [%.10g] [%g] [%g] [%.0g]\n", d, tiny, big, 100000.0, 1e-10, 1.5, d, d,
      0.0001, 123456789.0, 0.5);
  out("[%s] [%.3s] [%8s] [%-8s] [%c] [%3c] [%-3c] [%%] [%*d] [%-*d] [%.*f]\n", "str", "abcdef", "right", "left", 'x',
      'y', 'z', 6, 42, 6, 42, 3, 2.0 / 3.0);
  out("[%f] [%e] [%g] [%F] [%5.1f] [%-6g]\n", HUGE_VAL, -HUGE_VAL, HUGE_VAL, (double)INFINITY, -HUGE_VAL, HUGE_VAL);
  char small[8];
  int need = snprintf(small, sizeof small, "%d-%s", 1234567, "tail");
  out("snprintf truncated to \"%s\" needing %d\n", small, need);
  out("[%.17g] [%.17g] [%.17g] [%.17g] [%.16e]\n", DBL_MAX, DBL_MIN, DBL_TRUE_MIN, (double)FLT_MAX, 1.0 / 3.0);
}

int main(void) {
  conversions();
  libm_exact();
  integers();
  parsing();
  formats();
  printf("hash %08" PRIx32 "\n", h);
  return (int)(h % 63) + 1;
}
