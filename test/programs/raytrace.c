/* raytrace.c: a small recursive ray tracer: vectors as structs passed and
 * returned by value, sphere/plane/box intersection with sqrt, shadows,
 * mirror reflection and refraction (Schlick), a checkerboard from floor,
 * colours accumulated in float and geometry in double, 2x2 supersampling,
 * clamped float->int quantisation. The image is written as a binary PPM into
 * the data directory and summarised (hash, histogram, ASCII thumbnail).
 * Only exactly rounded operations touch the pixels: sin/cos place the
 * camera, and their results are rounded to a 2^-16 grid first. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define W 96
#define H 64
#define MAXDEPTH 5

typedef struct { double x, y, z; } vec;
typedef struct { float r, g, b; } rgb;

static vec v(double x, double y, double z) { vec r = {x, y, z}; return r; }
static vec add(vec a, vec b) { return v(a.x + b.x, a.y + b.y, a.z + b.z); }
static vec sub(vec a, vec b) { return v(a.x - b.x, a.y - b.y, a.z - b.z); }
static vec scale(vec a, double s) { return v(a.x * s, a.y * s, a.z * s); }
static double dot(vec a, vec b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static vec cross(vec a, vec b) { return v(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x); }
static vec norm(vec a) { return scale(a, 1.0 / sqrt(dot(a, a))); }
static rgb c3(float r, float g, float b) { rgb c = {r, g, b}; return c; }
static rgb cadd(rgb a, rgb b) { return c3(a.r + b.r, a.g + b.g, a.b + b.b); }
static rgb cmul(rgb a, rgb b) { return c3(a.r * b.r, a.g * b.g, a.b * b.b); }
static rgb cscale(rgb a, float s) { return c3(a.r * s, a.g * s, a.b * s); }
static double grid(double x) { return floor(x * 65536.0 + 0.5) / 65536.0; }
static double ipow(double b, int e) {
  double r = 1;
  while (e) { if (e & 1) r *= b; b *= b; e >>= 1; }
  return r;
}

enum shape { SPHERE, PLANE, BOX };
enum surface { DIFFUSE, CHECKER, MIRROR, GLASS };
typedef struct {
  enum shape shape;
  enum surface surface;
  vec p, q;       /* sphere: centre, (radius, 0, 0); plane: point, normal; box: min, max corner */
  rgb color;
  int shininess;
} object;

static object scene[8];
static int nobjects;
static struct { vec pos; rgb color; } lights[2];
static long rays, shadow_rays, hits[4];

typedef struct { double t; int obj; vec n; } hit;

static int intersect(vec o, vec d, int i, double *t, vec *n) {
  const object *ob = &scene[i];
  switch (ob->shape) {
    case SPHERE: {
      vec oc = sub(o, ob->p);
      double b = dot(oc, d), c = dot(oc, oc) - ob->q.x * ob->q.x, disc = b * b - c;
      if (disc < 0) return 0;
      double s = sqrt(disc), t0 = -b - s, t1 = -b + s;
      double tt = t0 > 1e-7 ? t0 : t1 > 1e-7 ? t1 : -1;
      if (tt < 0) return 0;
      *t = tt;
      *n = scale(sub(add(o, scale(d, tt)), ob->p), 1.0 / ob->q.x);
      return 1;
    }
    case PLANE: {
      double den = dot(d, ob->q);
      if (fabs(den) < 1e-12) return 0;
      double tt = dot(sub(ob->p, o), ob->q) / den;
      if (tt <= 1e-7) return 0;
      *t = tt;
      *n = ob->q;
      return 1;
    }
    case BOX: {
      double tmin = -1e30, tmax = 1e30;
      int axis = 0, sign = 0;
      const double oo[3] = {o.x, o.y, o.z}, dd[3] = {d.x, d.y, d.z};
      const double lo[3] = {ob->p.x, ob->p.y, ob->p.z}, hi[3] = {ob->q.x, ob->q.y, ob->q.z};
      for (int a = 0; a < 3; a++) {
        if (fabs(dd[a]) < 1e-12) {
          if (oo[a] < lo[a] || oo[a] > hi[a]) return 0;
          continue;
        }
        double t0 = (lo[a] - oo[a]) / dd[a], t1 = (hi[a] - oo[a]) / dd[a];
        int s = -1;
        if (t0 > t1) { double tmp = t0; t0 = t1; t1 = tmp; s = 1; }
        if (t0 > tmin) { tmin = t0; axis = a; sign = s; }
        if (t1 < tmax) tmax = t1;
        if (tmin > tmax) return 0;
      }
      if (tmax <= 1e-7) return 0;
      if (tmin <= 1e-7) return 0; /* inside the box: treat as a miss */
      *t = tmin;
      *n = v(axis == 0 ? sign : 0, axis == 1 ? sign : 0, axis == 2 ? sign : 0);
      return 1;
    }
  }
  return 0;
}

static int closest(vec o, vec d, hit *h) {
  h->t = 1e30;
  h->obj = -1;
  for (int i = 0; i < nobjects; i++) {
    double t;
    vec n;
    if (intersect(o, d, i, &t, &n) && t < h->t) { h->t = t; h->obj = i; h->n = n; }
  }
  return h->obj >= 0;
}

static rgb sky(vec d) {
  float k = (float)(0.5 * (d.y + 1.0));
  return cadd(cscale(c3(1.0f, 1.0f, 1.0f), 1.0f - k), cscale(c3(0.35f, 0.55f, 1.0f), k));
}

static rgb trace(vec o, vec d, int depth) {
  rays++;
  hit h;
  if (!closest(o, d, &h)) return sky(d);
  const object *ob = &scene[h.obj];
  hits[ob->surface]++;
  vec p = add(o, scale(d, h.t));
  vec n = h.n;
  int inside = dot(n, d) > 0;
  if (inside) n = scale(n, -1);
  if (ob->surface == MIRROR && depth < MAXDEPTH) {
    vec r = sub(d, scale(n, 2 * dot(d, n)));
    return cmul(ob->color, trace(add(p, scale(n, 1e-6)), r, depth + 1));
  }
  if (ob->surface == GLASS && depth < MAXDEPTH) {
    double eta = inside ? 1.5 : 1.0 / 1.5, cosi = -dot(d, n);
    double k = 1 - eta * eta * (1 - cosi * cosi);
    vec r = sub(d, scale(n, 2 * dot(d, n)));
    rgb refl = trace(add(p, scale(n, 1e-6)), r, depth + 1);
    if (k < 0) return refl;
    double r0 = (1 - 1.5) / (1 + 1.5);
    r0 *= r0;
    double fres = r0 + (1 - r0) * ipow(1 - cosi, 5);
    vec tdir = add(scale(d, eta), scale(n, eta * cosi - sqrt(k)));
    rgb refr = trace(sub(p, scale(n, 1e-6)), norm(tdir), depth + 1);
    return cadd(cscale(refl, (float)fres), cmul(ob->color, cscale(refr, (float)(1 - fres))));
  }
  rgb base = ob->color;
  if (ob->surface == CHECKER) {
    /* fmod is exact; no conversion to an integer that could overflow far away. */
    if (fmod(floor(p.x * 0.75) + floor(p.z * 0.75), 2.0) != 0) base = c3(0.15f, 0.15f, 0.18f);
  }
  rgb out = cscale(base, 0.08f);
  for (int l = 0; l < 2; l++) {
    vec tl = sub(lights[l].pos, p);
    double dist = sqrt(dot(tl, tl));
    vec ld = scale(tl, 1.0 / dist);
    double lam = dot(n, ld);
    if (lam <= 0) continue;
    shadow_rays++;
    hit sh;
    if (closest(add(p, scale(n, 1e-6)), ld, &sh) && sh.t < dist) continue;
    out = cadd(out, cscale(cmul(base, lights[l].color), (float)lam));
    if (ob->shininess) {
      vec hv = norm(sub(ld, d));
      double spec = dot(n, hv);
      if (spec > 0) out = cadd(out, cscale(lights[l].color, (float)ipow(spec, ob->shininess)));
    }
  }
  return out;
}

static int quant(float c) {
  if (!(c > 0)) return 0;
  if (c >= 1) return 255;
  return (int)(sqrtf(c) * 255.0f + 0.5f); /* gamma 2 */
}

static void build_scene(void) {
  object objs[] = {
      {PLANE, CHECKER, {0, -1, 0}, {0, 1, 0}, {0.9f, 0.9f, 0.85f}, 0},
      {SPHERE, DIFFUSE, {-2.2, 0, 5}, {1, 0, 0}, {0.9f, 0.2f, 0.2f}, 40},
      {SPHERE, MIRROR, {0.3, 0.2, 6.5}, {1.2, 0, 0}, {0.85f, 0.85f, 0.9f}, 0},
      {SPHERE, GLASS, {1.6, -0.35, 3.8}, {0.65, 0, 0}, {0.95f, 1.0f, 0.95f}, 0},
      {BOX, DIFFUSE, {-0.9, -1, 3.2}, {-0.2, -0.3, 3.9}, {0.2f, 0.7f, 0.3f}, 12},
      {SPHERE, DIFFUSE, {3.5, 1.5, 9}, {1.5, 0, 0}, {0.3f, 0.4f, 0.9f}, 80},
  };
  nobjects = (int)(sizeof objs / sizeof objs[0]);
  memcpy(scene, objs, sizeof objs);
  lights[0].pos = v(-5, 6, 0);
  lights[0].color = c3(0.8f, 0.8f, 0.75f);
  lights[1].pos = v(4, 3, 1);
  lights[1].color = c3(0.35f, 0.3f, 0.4f);
}

int main(int argc, char **argv) {
  build_scene();
  static uint8_t img[H][W][3];
  /* Camera on a circle around the scene; libm only places it, snapped to a grid. */
  double ang = 0.12;
  vec eye = v(grid(sin(ang) * -3.0), grid(0.6 + cos(ang * 3) * 0.2), grid(-cos(ang) * 1.0));
  vec target = v(0, 0, 5);
  vec fwd = norm(sub(target, eye)), right = norm(cross(v(0, 1, 0), fwd)), up = cross(fwd, right);
  printf("eye %.6f %.6f %.6f\n", eye.x, eye.y, eye.z);
  double fov = 0.5;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      rgb acc = c3(0, 0, 0);
      for (int sy = 0; sy < 2; sy++)
        for (int sx = 0; sx < 2; sx++) {
          double u = ((x + 0.25 + 0.5 * sx) / W * 2 - 1) * fov * W / H;
          double w = (1 - (y + 0.25 + 0.5 * sy) / H * 2) * fov;
          vec d = norm(add(fwd, add(scale(right, u), scale(up, w))));
          acc = cadd(acc, trace(eye, d, 0));
        }
      acc = cscale(acc, 0.25f);
      img[y][x][0] = (uint8_t)quant(acc.r);
      img[y][x][1] = (uint8_t)quant(acc.g);
      img[y][x][2] = (uint8_t)quant(acc.b);
    }

  uint32_t h = 2166136261u;
  long hist[8] = {0}, sum[3] = {0};
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++) {
        h = (h ^ img[y][x][c]) * 16777619u;
        sum[c] += img[y][x][c];
        if (c == 1) hist[img[y][x][c] >> 5]++;
      }
  printf("rays %ld shadow %ld hits diffuse %ld checker %ld mirror %ld glass %ld\n", rays, shadow_rays, hits[0],
         hits[1], hits[2], hits[3]);
  printf("image hash %08x mean %ld %ld %ld\n", h, sum[0] / (W * H), sum[1] / (W * H), sum[2] / (W * H));
  printf("green histogram");
  for (int i = 0; i < 8; i++) printf(" %ld", hist[i]);
  printf("\n");
  static const int probes[][2] = {{0, 0}, {48, 32}, {20, 40}, {60, 30}, {80, 50}, {95, 63}, {30, 20}, {70, 45}};
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    const uint8_t *px = img[probes[i][1]][probes[i][0]];
    printf("px(%d,%d)=%d,%d,%d%s", probes[i][0], probes[i][1], px[0], px[1], px[2], i % 4 == 3 ? "\n" : " ");
  }
  static const char ramp[] = " .:-=+*#%@";
  for (int y = 0; y < H; y += 4) {
    char line[W / 2 + 1];
    for (int x = 0; x < W; x += 2) {
      int lum = 0;
      for (int dy = 0; dy < 4; dy++)
        for (int dx = 0; dx < 2; dx++) {
          const uint8_t *px = img[y + dy][x + dx];
          lum += 2 * px[0] + 5 * px[1] + px[2];
        }
      line[x / 2] = ramp[lum * 10 / (8 * 8 * 255 + 1)];
    }
    line[W / 2] = 0;
    printf("|%s|\n", line);
  }
  char path[512];
  snprintf(path, sizeof path, "%s/render.ppm", argc > 1 ? argv[1] : ".");
  FILE *f = fopen(path, "wb");
  if (f) {
    fprintf(f, "P6\n%d %d\n255\n", W, H);
    fwrite(img, 1, sizeof img, f);
    fclose(f);
  }
  return (int)(h % 63) + 1;
}
