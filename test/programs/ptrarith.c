/* ptrarith.c: pointer arithmetic over arrays and structs, the address
 * computations compiled C is made of (base + index * size, field offsets,
 * 2-D arrays, pointer differences, walking backwards). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct point { int32_t x, y; } point;
typedef struct rec {
  char tag;
  int64_t id;
  double weight;
  point pts[3];
  uint16_t flags;
} rec;

static rec recs[37];
static int32_t grid[17][23];
static uint8_t bytes[1000];

static int64_t sum_fields(const rec *r, size_t n) {
  int64_t s = 0;
  for (const rec *p = r; p < r + n; p++) {
    s += p->id * 3 + p->tag + p->flags;
    for (int k = 0; k < 3; k++) s += p->pts[k].x - 2 * p->pts[k].y;
  }
  return s;
}

/* A volatile index defeats constant folding: the address is computed at run time. */
static int32_t pick(const int32_t *base, volatile int i, int stride) { return base[i * stride + 1]; }

int main(void) {
  for (int i = 0; i < 37; i++) {
    recs[i].tag = (char)('a' + i % 26);
    recs[i].id = (int64_t)i * 1000003 - 500;
    recs[i].weight = i * 0.25;
    for (int k = 0; k < 3; k++) recs[i].pts[k] = (point){i + k, i * k - 7};
    recs[i].flags = (uint16_t)(i * 977);
  }
  printf("sizeof rec %zu, offsetof id %zu weight %zu pts %zu flags %zu\n", sizeof(rec),
         offsetof(rec, id), offsetof(rec, weight), offsetof(rec, pts), offsetof(rec, flags));
  printf("sum %lld\n", (long long)sum_fields(recs, 37));
  printf("sum of the odd half %lld\n", (long long)sum_fields(recs + 1, 18));

  for (int r = 0; r < 17; r++)
    for (int c = 0; c < 23; c++) grid[r][c] = r * 100 + c;
  int64_t diag = 0;
  for (int i = 0; i < 17; i++) diag += *(*(grid + i) + i);
  printf("diagonal %lld\n", (long long)diag);
  int32_t *flat = &grid[0][0];
  int64_t strided = 0;
  for (volatile int i = 0; i < 17 * 23 / 5 - 1; i++) strided += pick(flat, i, 5);
  printf("strided %lld\n", (long long)strided);
  printf("pointer difference %td, %td\n", &grid[16][22] - &grid[0][0], (char *)&recs[36] - (char *)&recs[0]);

  for (int i = 0; i < 1000; i++) bytes[i] = (uint8_t)(i * 7 + 3);
  uint32_t h = 2166136261u;
  for (uint8_t *p = bytes + 999; p >= bytes; p--) h = (h ^ *p) * 16777619u;
  printf("fnv backwards %08x\n", h);
  /* Unaligned and mixed-width loads through memcpy-free casts of byte offsets. */
  uint32_t acc = 0;
  for (int i = 0; i + 4 <= 1000; i += 3) {
    uint32_t v = (uint32_t)bytes[i] | (uint32_t)bytes[i + 1] << 8 | (uint32_t)bytes[i + 2] << 16 |
                 (uint32_t)bytes[i + 3] << 24;
    acc = acc * 31 + v;
  }
  printf("words %u\n", acc);
  /* The address arithmetic of issue 7: a base plus an index times the element size. */
  volatile int idx = 3;
  int32_t base_plus = 1024 + (idx << 2);
  printf("1024 + (3 << 2) = %d\n", base_plus);
  int ok = base_plus == 1036;
  return ok ? (int)(h & 0x3f) : 99;
}
