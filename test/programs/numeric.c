/* numeric.c: floating-point arithmetic at full precision, where every
 * operation is exactly rounded (+ - * / sqrt) so that results must agree to
 * the last bit: error-free transformations (TwoSum, Veltkamp split, Dekker's
 * TwoProduct) that break if a multiply and an add are fused or reassociated,
 * compensated dot products and Horner evaluation of an ill-conditioned
 * polynomial, Kahan and pairwise summation, a 5-body leapfrog simulation, LU
 * decomposition with partial pivoting, chaotic maps in float and double that
 * amplify any rounding difference, Mandelbrot escape counts. Inputs come
 * through volatile objects so that the compiler cannot fold the work away. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile double vone = 1.0, vthree_nine = 3.9, vtenth = 0.1;
static volatile float vf_r = 3.7f, vf_x = 0.3f;

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t hash = 2166136261u;
static void note(double d) {
  uint64_t u = bits(d);
  for (int i = 0; i < 8; i++) hash = (hash ^ (uint8_t)(u >> (8 * i))) * 16777619u;
}

/* ---- error-free transformations ---- */
static void two_sum(double a, double b, double *s, double *e) {
  double x = a + b, z = x - a;
  *s = x;
  *e = (a - (x - z)) + (b - z);
}
static void split(double a, double *hi, double *lo) {
  double c = 134217729.0 * a; /* 2^27 + 1 */
  double h = c - (c - a);
  *hi = h;
  *lo = a - h;
}
static void two_prod(double a, double b, double *p, double *e) {
  double ah, al, bh, bl;
  double x = a * b;
  split(a, &ah, &al);
  split(b, &bh, &bl);
  *p = x;
  *e = al * bl - (((x - ah * bh) - al * bh) - ah * bl);
}
static double dot2(const double *x, const double *y, int n) {
  double p, s, h, r, q;
  two_prod(x[0], y[0], &p, &s);
  for (int i = 1; i < n; i++) {
    two_prod(x[i], y[i], &h, &r);
    two_sum(p, h, &p, &q);
    s += q + r;
  }
  return p + s;
}
static double horner(const double *c, int n, double x) {
  double r = c[n];
  for (int i = n - 1; i >= 0; i--) r = r * x + c[i];
  return r;
}
static double comp_horner(const double *c, int n, double x) {
  double r = c[n], err = 0;
  for (int i = n - 1; i >= 0; i--) {
    double p, pe, s, se;
    two_prod(r, x, &p, &pe);
    two_sum(p, c[i], &s, &se);
    r = s;
    err = err * x + (pe + se);
  }
  return r + err;
}

static double pairwise(const double *a, int n) {
  if (n <= 8) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i];
    return s;
  }
  return pairwise(a, n / 2) + pairwise(a + n / 2, n - n / 2);
}

/* ---- n-body ---- */
typedef struct { double x, y, z, vx, vy, vz, m; } body;
static double energy(const body *b, int n) {
  double e = 0;
  for (int i = 0; i < n; i++) {
    e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    for (int j = i + 1; j < n; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      e -= b[i].m * b[j].m / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}
static void step(body *b, int n, double dt) {
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * sqrt(d2));
      b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
      b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
    }
  for (int i = 0; i < n; i++) { b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz; }
}

/* ---- LU with partial pivoting ---- */
#define NM 24
static int lu(double a[NM][NM], int perm[NM], double *det) {
  *det = 1;
  for (int i = 0; i < NM; i++) perm[i] = i;
  for (int k = 0; k < NM; k++) {
    int p = k;
    for (int i = k + 1; i < NM; i++) if (fabs(a[i][k]) > fabs(a[p][k])) p = i;
    if (a[p][k] == 0) return 0;
    if (p != k) {
      double tmp[NM];
      memcpy(tmp, a[p], sizeof tmp); memcpy(a[p], a[k], sizeof tmp); memcpy(a[k], tmp, sizeof tmp);
      int t = perm[p]; perm[p] = perm[k]; perm[k] = t;
      *det = -*det;
    }
    *det *= a[k][k];
    for (int i = k + 1; i < NM; i++) {
      double f = a[i][k] / a[k][k];
      a[i][k] = f;
      for (int j = k + 1; j < NM; j++) a[i][j] -= f * a[k][j];
    }
  }
  return 1;
}
static void lu_solve(double a[NM][NM], const int perm[NM], const double *b, double *x) {
  double y[NM];
  for (int i = 0; i < NM; i++) {
    double s = b[perm[i]];
    for (int j = 0; j < i; j++) s -= a[i][j] * y[j];
    y[i] = s;
  }
  for (int i = NM - 1; i >= 0; i--) {
    double s = y[i];
    for (int j = i + 1; j < NM; j++) s -= a[i][j] * x[j];
    x[i] = s / a[i][i];
  }
}

int main(void) {
  /* Dot product of an ill-conditioned pair: naive vs compensated. */
  double x[6] = {1e16 * vone, 1.0, -1e16, 3.0, 1e-3, -2.0}, y[6] = {1.0, 1.0, 1.0, 1e-8, 7.0, 0.5 * vone};
  double naive = 0;
  for (int i = 0; i < 6; i++) naive += x[i] * y[i];
  double p, e;
  two_prod(vthree_nine, vtenth, &p, &e);
  printf("two_prod(3.9, 0.1) = %.17g + %.17g\n", p, e);
  two_sum(1e16 * vone, 1.0, &p, &e);
  printf("two_sum(1e16, 1) = %.17g + %.17g\n", p, e);
  printf("dot: naive %.17g compensated %.17g\n", naive, dot2(x, y, 6));
  note(dot2(x, y, 6));

  /* (x - 1)^9 expanded, near x = 1: Horner loses every digit, the compensated one does not. */
  static const double c9[10] = {-1, 9, -36, 84, -126, 126, -84, 36, -9, 1};
  for (int k = 0; k < 4; k++) {
    double t = vone + (k - 1.5) * 1.25e-3;
    double plain = horner(c9, 9, t), comp = comp_horner(c9, 9, t);
    printf("(x-1)^9 at %.17g: horner %.17g compensated %.17g\n", t, plain, comp);
    note(plain);
    note(comp);
  }

  /* Summation of 1/k^2 and of alternating terms, four ways. */
  static double terms[100000];
  double s_naive = 0, s_kahan = 0, comp = 0, s_rev = 0;
  for (int k = 1; k <= 100000; k++) terms[k - 1] = vone / ((double)k * k) * (k % 2 ? 1 : -0.999);
  for (int k = 0; k < 100000; k++) {
    s_naive += terms[k];
    double yk = terms[k] - comp, tk = s_kahan + yk;
    comp = (tk - s_kahan) - yk;
    s_kahan = tk;
  }
  for (int k = 99999; k >= 0; k--) s_rev += terms[k];
  double s_pair = pairwise(terms, 100000);
  printf("sums: naive %.17g kahan %.17g reverse %.17g pairwise %.17g\n", s_naive, s_kahan, s_rev, s_pair);
  note(s_naive); note(s_kahan); note(s_rev); note(s_pair);

  /* Five bodies, leapfrog. */
  const double pi = 3.141592653589793, days = 365.24, sm = 4 * pi * pi;
  body b[5] = {
      {0, 0, 0, 0, 0, 0, sm},
      {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03 * days,
       7.69901118419740425e-03 * days, -6.90460016972063023e-05 * days, 9.54791938424326609e-04 * sm},
      {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03 * days,
       4.99852801234917238e-03 * days, 2.30417297573763929e-05 * days, 2.85885980666130812e-04 * sm},
      {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03 * days,
       2.37847173959480950e-03 * days, -2.96589568540237556e-05 * days, 4.36624404335156298e-05 * sm},
      {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03 * days,
       1.62824170038242295e-03 * days, -9.51592254519715870e-05 * days, 5.15138902046611451e-05 * sm},
  };
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < 5; i++) { px += b[i].vx * b[i].m; py += b[i].vy * b[i].m; pz += b[i].vz * b[i].m; }
  b[0].vx = -px / sm * vone; b[0].vy = -py / sm; b[0].vz = -pz / sm;
  double e0 = energy(b, 5);
  for (int s = 0; s < 20000; s++) step(b, 5, 0.01 * vone);
  double e1 = energy(b, 5);
  printf("nbody energy %.17g -> %.17g, jupiter at %.17g %.17g\n", e0, e1, b[1].x, b[1].y);
  note(e0); note(e1); note(b[4].z);

  /* LU: a diagonally weighted matrix, its determinant, a solve and its residual. */
  static double a[NM][NM], orig[NM][NM];
  int perm[NM];
  uint32_t r = 12345;
  for (int i = 0; i < NM; i++)
    for (int j = 0; j < NM; j++) {
      r = r * 1664525u + 1013904223u;
      orig[i][j] = a[i][j] = ((double)(r >> 8) / 16777216.0 - 0.5) * vone + (i == j ? 2.0 : 0.0);
    }
  double det, rhs[NM], sol[NM];
  for (int i = 0; i < NM; i++) rhs[i] = i * vtenth - 1;
  int ok = lu(a, perm, &det);
  lu_solve(a, perm, rhs, sol);
  double resid = 0;
  for (int i = 0; i < NM; i++) {
    double s = -rhs[i];
    for (int j = 0; j < NM; j++) s += orig[i][j] * sol[j];
    resid = fmax(resid, fabs(s));
  }
  printf("lu %s: det %.17g x0 %.17g x%d %.17g residual %.3e perm", ok ? "ok" : "singular", det, sol[0], NM - 1,
         sol[NM - 1], resid);
  for (int i = 0; i < 6; i++) printf(" %d", perm[i]);
  printf("\n");
  note(det); note(sol[0]); note(sol[NM - 1]);

  /* Chaotic maps: any difference in rounding is amplified to the first digit. */
  double lx = 0.5 * vone;
  float fx = vf_x;
  for (int i = 1; i <= 3000; i++) {
    lx = vthree_nine * lx * (1 - lx);
    fx = vf_r * fx * (1.0f - fx);
    if (i == 100 || i == 1000 || i == 3000) printf("logistic %d: %.17g %.9g\n", i, lx, (double)fx);
  }
  note(lx); note(fx);
  /* Henon map in float with a division and a sqrt in the loop. */
  float hx = 0.1f * vf_x, hy = 0.0f, acc = 0.0f;
  for (int i = 0; i < 5000; i++) {
    float nx = 1.0f - 1.4f * hx * hx + hy;
    hy = 0.3f * hx;
    hx = nx;
    acc += sqrtf(hx * hx + hy * hy) / (1.0f + (float)(i % 7));
  }
  printf("henon %.9g %.9g acc %.9g\n", (double)hx, (double)hy, (double)acc);
  note(hx); note(acc);

  /* Newton for cube roots, and a Mandelbrot grid. */
  double cr = 0;
  for (int k = 1; k <= 2000; k++) {
    double v = k * 0.37 * vone, g = v > 1 ? v / 3 : 1;
    for (int it = 0; it < 60; it++) {
      double ng = g - (g * g * g - v) / (3 * g * g);
      if (ng == g) break;
      g = ng;
    }
    cr += g;
  }
  printf("cube roots sum %.17g\n", cr);
  note(cr);
  long total = 0, inside = 0;
  for (int py2 = 0; py2 < 60; py2++)
    for (int px2 = 0; px2 < 90; px2++) {
      double c_re = -2.2 + px2 * (3.0 / 90) * vone, c_im = -1.2 + py2 * (2.4 / 60), zr = 0, zi = 0;
      int it = 0;
      while (it < 500 && zr * zr + zi * zi <= 4) {
        double t = zr * zr - zi * zi + c_re;
        zi = 2 * zr * zi + c_im;
        zr = t;
        it++;
      }
      total += it;
      inside += it == 500;
    }
  printf("mandelbrot %ld iterations, %ld inside\n", total, inside);
  hash ^= (uint32_t)total;
  printf("hash %08x\n", hash);
  return (int)(hash % 63) + 1;
}
