/* floats.c: float and double arithmetic and their printing with printf:
 * exactly rounded operations (+ - * / sqrt, conversions) printed in full,
 * and library functions printed to fewer digits (libm may differ by an ulp). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  double d = 0;
  float f = 0;
  for (int i = 1; i <= 1000; i++) {
    d += 1.0 / i;
    f += 1.0f / (float)i;
  }
  printf("harmonic %.17g %.9g\n", d, (double)f);
  printf("%f %e %g %.3f %10.4f|%-10.2e|\n", d, d, d, -d, d, d);
  printf("sqrt %.17g %.9g\n", sqrt(2.0), (double)sqrtf(2.0f));
  printf("tiny %g %g %.17g\n", DBL_MIN, DBL_TRUE_MIN, DBL_EPSILON);
  printf("big %g %.0f %e\n", DBL_MAX, 1e22, FLT_MAX);
  printf("special %f %f %f %g\n", INFINITY, -INFINITY, NAN, -0.0);
  printf("rounding %.0f %.0f %.0f %.0f %.1f %.2f\n", 0.5, 1.5, 2.5, -2.5, 0.05, 2.675);
  printf("conv %d %d %lld %u %d\n", (int)3.99, (int)-3.99, (long long)1e18, (unsigned)4e9,
         (int)(float)16777217);
  printf("parse %.17g %.17g %.9g\n", strtod("0.1", NULL), atof("1e-310"), (double)strtof("3.4e38", NULL));
  double m = 1.0;
  for (int i = 0; i < 60; i++) m = m * 1.1 - 0.05;
  printf("recurrence %.17g\n", m);
  float fm = 1.0f;
  for (int i = 0; i < 60; i++) fm = fm * 1.1f - 0.05f;
  printf("recurrence f %.9g\n", (double)fm);
  printf("libm %.12g %.12g %.12g %.12g %.12g %.12g\n", sin(1.0), cos(2.0), exp(3.5), log(10.0),
         pow(2.5, 3.7), atan2(1.0, -2.0));
  printf("fmod %.17g %.17g floor %g ceil %g trunc %g round %g\n", fmod(10.5, 3.2), fmod(-7.0, 2.5),
         floor(-2.5), ceil(-2.5), trunc(-2.7), round(2.5));
  printf("minmax %g %g copysign %g nextafter %.17g\n", fmin(NAN, 1.0), fmax(-3.0, 2.0),
         copysign(3.0, -0.0), nextafter(1.0, 2.0));
  double mat[8][8], inv = 0;
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) mat[i][j] = 1.0 / (i + j + 1);
  for (int i = 0; i < 8; i++) inv += mat[i][i] * mat[7 - i][i];
  printf("hilbert %.17g\n", inv);
  return (int)(d * 10) % 64;
}
