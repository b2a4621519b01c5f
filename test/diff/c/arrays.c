/* Pointer arithmetic over arrays and structs: the address arithmetic
 * (base + index * size) that compiled C is made of. */
#include <stdint.h>

typedef struct point { int32_t x, y; int64_t w; uint8_t tag; } point;

static point pts[64];
static int32_t grid[16][16];
static uint16_t shorts[100];

__attribute__((export_name("fill"))) int32_t fill(int32_t seed, int32_t n) {
  uint32_t s = (uint32_t)seed * 2654435761u + 1;
  if (n < 0) n = -n;
  n = n % 64;
  for (int i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    pts[i].x = (int32_t)(s >> 8) % 1000;
    pts[i].y = (int32_t)(s >> 3) % 777 - 300;
    pts[i].w = (int64_t)pts[i].x * pts[i].y * (int64_t)(i + 1);
    pts[i].tag = (uint8_t)(s >> 24);
  }
  int64_t acc = 0;
  for (int i = 0; i < n; i++) acc += pts[i].w ^ (pts[i].tag << (i & 7));
  return (int32_t)(acc ^ (acc >> 32));
}

__attribute__((export_name("matrix"))) int32_t matrix(int32_t a, int32_t b) {
  for (int i = 0; i < 16; i++)
    for (int j = 0; j < 16; j++) grid[i][j] = (i * a + j * b) ^ (i << 3) ^ (j >> 1);
  int32_t t = 0;
  for (int i = 0; i < 16; i++)
    for (int j = 0; j < 16; j++) t += grid[j][i] * (int32_t)(1 + ((i + j) & 3));
  return t;
}

__attribute__((export_name("shorts_sum"))) uint32_t shorts_sum(int32_t a, int32_t k) {
  for (int i = 0; i < 100; i++) shorts[i] = (uint16_t)(a * i + k);
  uint32_t sum = 0;
  uint16_t *p = shorts + 99;
  while (p >= shorts) sum = sum * 31 + *p--;
  return sum;
}

static int cmp(const point *a, const point *b) {
  if (a->x != b->x) return a->x < b->x ? -1 : 1;
  return a->y < b->y ? -1 : a->y > b->y;
}

__attribute__((export_name("sort"))) int32_t sort(int32_t seed, int32_t n) {
  fill(seed, n);
  if (n < 0) n = -n;
  n %= 64;
  for (int i = 1; i < n; i++) {
    point v = pts[i];
    int j = i - 1;
    while (j >= 0 && cmp(&pts[j], &v) > 0) { pts[j + 1] = pts[j]; j--; }
    pts[j + 1] = v;
  }
  int32_t h = 0;
  for (int i = 0; i < n; i++) h = h * 33 + pts[i].x + pts[i].y;
  return h;
}
