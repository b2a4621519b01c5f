/* sorting.c: sorting and searching: the C library's qsort and bsearch with
 * comparators through function pointers (ints, u64 descending, doubles with
 * -0.0, strings, multi-key structs), and hand-written generic (void *, element
 * size) merge sort, heap sort and Shell sort, an introsort on ints, LSD radix
 * sort on u64 keys, a branchless sorting network, quickselect, inversion
 * counting, a stable sort checked for stability, top-k with a binary heap.
 * Every result is cross-checked against the others and hashed. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 6000

typedef int (*cmpfn)(const void *, const void *);

static uint64_t seed = 0x243F6A8885A308D3ull;
static uint64_t next(void) {
  seed ^= seed >> 12;
  seed ^= seed << 25;
  seed ^= seed >> 27;
  return seed * 2685821657736338717ull;
}

static uint32_t h32 = 2166136261u;
static void hash_bytes(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h32 = (h32 ^ b[i]) * 16777619u;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}
static int cmp_int_desc(const void *a, const void *b) { return cmp_int(b, a); }
static int cmp_u64_desc(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x < y) - (x > y);
}
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  if (x < y) return -1;
  if (x > y) return 1;
  /* -0.0 before +0.0 so that the order is total */
  int sx = (1.0 / x) < 0, sy = (1.0 / y) < 0;
  return sy - sx;
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct {
  char name[12];
  int16_t dept;
  uint8_t grade;
  int32_t salary;
  int index;
} employee;
static int cmp_emp_key(const void *a, const void *b) {
  const employee *x = a, *y = b;
  if (x->dept != y->dept) return x->dept < y->dept ? -1 : 1;
  if (x->grade != y->grade) return x->grade > y->grade ? -1 : 1;
  return 0;
}
static int cmp_emp_total(const void *a, const void *b) {
  int c = cmp_emp_key(a, b);
  if (c) return c;
  const employee *x = a, *y = b;
  return (x->index > y->index) - (x->index < y->index);
}

static void swap_bytes(void *a, void *b, size_t size) {
  unsigned char *p = a, *q = b;
  while (size--) { unsigned char t = *p; *p++ = *q; *q++ = t; }
}

/* Stable top-down merge sort, generic. */
static long merge_compares;
static void msort_rec(char *base, char *tmp, size_t n, size_t size, cmpfn cmp) {
  if (n < 2) return;
  size_t h = n / 2;
  msort_rec(base, tmp, h, size, cmp);
  msort_rec(base + h * size, tmp, n - h, size, cmp);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) {
    merge_compares++;
    if (cmp(base + j * size, base + i * size) < 0) memcpy(tmp + k++ * size, base + j++ * size, size);
    else memcpy(tmp + k++ * size, base + i++ * size, size);
  }
  memcpy(tmp + k * size, base + i * size, (h - i) * size);
  k += h - i;
  memcpy(tmp + k * size, base + j * size, (n - j) * size);
  memcpy(base, tmp, n * size);
}
static void merge_sort(void *base, size_t n, size_t size, cmpfn cmp) {
  char *tmp = malloc(n * size + 1);
  msort_rec(base, tmp, n, size, cmp);
  free(tmp);
}

static void sift_down(char *b, size_t root, size_t n, size_t size, cmpfn cmp) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && cmp(b + child * size, b + (child + 1) * size) < 0) child++;
    if (cmp(b + root * size, b + child * size) >= 0) return;
    swap_bytes(b + root * size, b + child * size, size);
    root = child;
  }
}
static void heap_sort(void *base, size_t n, size_t size, cmpfn cmp) {
  char *b = base;
  for (size_t i = n / 2; i-- > 0;) sift_down(b, i, n, size, cmp);
  for (size_t end = n; end-- > 1;) {
    swap_bytes(b, b + end * size, size);
    sift_down(b, 0, end, size, cmp);
  }
}

static void shell_sort(void *base, size_t n, size_t size, cmpfn cmp) {
  static const size_t gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
  char *b = base, *t = malloc(size);
  for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
    size_t gap = gaps[g];
    for (size_t i = gap; i < n; i++) {
      memcpy(t, b + i * size, size);
      size_t j = i;
      while (j >= gap && cmp(b + (j - gap) * size, t) > 0) {
        memcpy(b + j * size, b + (j - gap) * size, size);
        j -= gap;
      }
      memcpy(b + j * size, t, size);
    }
  }
  free(t);
}

/* Introsort on ints: median-of-three quicksort, heap sort past a depth limit,
 * insertion sort for short ranges. */
static int intro_fallbacks;
static void isort(int *a, int n) {
  for (int i = 1; i < n; i++) {
    int v = a[i], j = i;
    while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
    a[j] = v;
  }
}
static void introsort(int *a, int n, int depth) {
  while (n > 16) {
    if (depth-- == 0) { intro_fallbacks++; heap_sort(a, (size_t)n, sizeof *a, cmp_int); return; }
    int x = a[0], y = a[n / 2], z = a[n - 1];
    int pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
    int i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      int t = a[i]; a[i] = a[j]; a[j] = t;
      i++; j--;
    }
    if (j + 1 < n - j - 1) { introsort(a, j + 1, depth); a += j + 1; n -= j + 1; }
    else { introsort(a + j + 1, n - j - 1, depth); n = j + 1; }
  }
  isort(a, n);
}

static void radix_sort(uint64_t *a, size_t n) {
  uint64_t *tmp = malloc(n * sizeof *a);
  for (int shift = 0; shift < 64; shift += 8) {
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 0xFF) + 1]++;
    if (count[1] == n) continue; /* every digit zero: nothing moves */
    for (int d = 0; d < 256; d++) count[d + 1] += count[d];
    for (size_t i = 0; i < n; i++) tmp[count[(a[i] >> shift) & 0xFF]++] = a[i];
    memcpy(a, tmp, n * sizeof *a);
  }
  free(tmp);
}

/* Branchless 8-element sorting network (Batcher's odd-even merge). */
#define CSWAP(i, j) do { int32_t lo = v[i] < v[j] ? v[i] : v[j], hi = v[i] < v[j] ? v[j] : v[i]; v[i] = lo; v[j] = hi; } while (0)
static void network8(int32_t *v) {
  CSWAP(0, 1); CSWAP(2, 3); CSWAP(4, 5); CSWAP(6, 7);
  CSWAP(0, 2); CSWAP(1, 3); CSWAP(4, 6); CSWAP(5, 7);
  CSWAP(1, 2); CSWAP(5, 6);
  CSWAP(0, 4); CSWAP(1, 5); CSWAP(2, 6); CSWAP(3, 7);
  CSWAP(2, 4); CSWAP(3, 5);
  CSWAP(1, 2); CSWAP(3, 4); CSWAP(5, 6);
}

static int quickselect(int *a, int n, int k) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    int pivot = a[lo + (hi - lo) / 2], i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

static uint64_t inversions(int *a, int *tmp, int n) {
  if (n < 2) return 0;
  int h = n / 2;
  uint64_t inv = inversions(a, tmp, h) + inversions(a + h, tmp, n - h);
  int i = 0, j = h, k = 0;
  while (i < h && j < n) {
    if (a[j] < a[i]) { inv += (uint64_t)(h - i); tmp[k++] = a[j++]; }
    else tmp[k++] = a[i++];
  }
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, (size_t)n * sizeof *a);
  return inv;
}

typedef void (*sorter)(void *, size_t, size_t, cmpfn);
static const struct { const char *name; sorter fn; } sorters[] = {
    {"qsort", qsort}, {"merge", merge_sort}, {"heap", heap_sort}, {"shell", shell_sort},
};

int main(void) {
  static int ints[N], work[N], ref[N], tmp[N];
  for (int i = 0; i < N; i++) ints[i] = (int)(next() % 20001) - 10000;

  /* Every generic sorter on ints, and on employees by a total order. */
  memcpy(ref, ints, sizeof ints);
  introsort(ref, N, 2 * 13);
  int ok = 1;
  for (size_t s = 0; s < sizeof sorters / sizeof sorters[0]; s++) {
    memcpy(work, ints, sizeof ints);
    merge_compares = 0;
    sorters[s].fn(work, N, sizeof *work, cmp_int);
    int same = memcmp(work, ref, sizeof ref) == 0;
    ok &= same;
    printf("%-5s ints: %s", sorters[s].name, same ? "agrees" : "DIFFERS");
    if (merge_compares) printf(" (%ld compares)", merge_compares);
    printf("\n");
  }
  hash_bytes(ref, sizeof ref);
  printf("ints min %d max %d median %d h %08x\n", ref[0], ref[N - 1], ref[N / 2], h32);
  memcpy(work, ints, sizeof ints);
  int med = quickselect(work, N, N / 2), q1 = quickselect(work, N, N / 4);
  printf("quickselect median %d q1 %d (sorted says %d %d)\n", med, q1, ref[N / 2], ref[N / 4]);
  memcpy(work, ints, sizeof ints);
  printf("inversions %" PRIu64 "\n", inversions(work, tmp, N));

  /* Adversarial inputs for the introsort: sorted, reversed, all equal, organ pipe. */
  for (int kind = 0; kind < 4; kind++) {
    for (int i = 0; i < N; i++)
      work[i] = kind == 0 ? i : kind == 1 ? N - i : kind == 2 ? 7 : (i < N / 2 ? i : N - i);
    memcpy(tmp, work, sizeof work);
    introsort(work, N, 2 * 13);
    qsort(tmp, N, sizeof *tmp, cmp_int);
    printf("introsort kind %d: %s", kind, memcmp(work, tmp, sizeof work) == 0 ? "ok" : "WRONG");
    hash_bytes(work, sizeof work);
    printf(" first %d last %d\n", work[0], work[N - 1]);
  }
  printf("introsort heap fallbacks %d\n", intro_fallbacks);

  /* u64: radix sort against qsort (descending, then reversed). */
  static uint64_t keys[N], keys2[N];
  for (int i = 0; i < N; i++) keys[i] = i % 5 == 0 ? next() >> (next() % 64) : next();
  keys[3] = 0;
  keys[4] = UINT64_MAX;
  memcpy(keys2, keys, sizeof keys);
  radix_sort(keys, N);
  qsort(keys2, N, sizeof *keys2, cmp_u64_desc);
  int rok = 1;
  for (int i = 0; i < N; i++) rok &= keys[i] == keys2[N - 1 - i];
  hash_bytes(keys, sizeof keys);
  printf("radix u64 %s: first %" PRIu64 " second %" PRIx64 " median %016" PRIx64 " last %" PRIx64 "\n",
         rok ? "agrees" : "DIFFERS", keys[0], keys[1], keys[N / 2], keys[N - 1]);
  ok &= rok;
  uint64_t probe_hits = 0;
  for (int i = 0; i < 2000; i++) {
    uint64_t k = i % 2 ? keys[(size_t)(next() % N)] : next();
    probe_hits += bsearch(&k, keys2, N, sizeof *keys2, cmp_u64_desc) != NULL;
  }
  printf("bsearch u64: %" PRIu64 " of 2000 found\n", probe_hits);

  /* doubles with ties, signed zeros and infinities. */
  static double ds[N], ds2[N];
  for (int i = 0; i < N; i++) {
    uint64_t r = next();
    ds[i] = r % 7 == 0 ? 0.0 : r % 7 == 1 ? -0.0 : (double)(int64_t)(r >> 40) / 1024.0 - 8192.0;
  }
  ds[10] = 1.0 / 0.0;
  ds[11] = -1.0 / 0.0;
  memcpy(ds2, ds, sizeof ds);
  qsort(ds, N, sizeof *ds, cmp_double);
  heap_sort(ds2, N, sizeof *ds2, cmp_double);
  int negz = 0;
  for (int i = 0; i < N; i++) negz += ds[i] == 0 && 1.0 / ds[i] < 0;
  hash_bytes(ds, sizeof ds);
  int firstzero = 0;
  while (ds[firstzero] != 0) firstzero++;
  printf("doubles %s: %g %g ... %.10g %.10g, -0.0 count %d, zeros from %d (%g then %g)\n",
         memcmp(ds, ds2, sizeof ds) == 0 ? "agree" : "DIFFER", ds[0], ds[1], ds[N - 2], ds[N - 1], negz, firstzero,
         ds[firstzero], ds[firstzero + negz]);

  /* strings */
  static char pool[N][10];
  static char *strs[N], *strs2[N];
  for (int i = 0; i < N; i++) {
    uint64_t r = next();
    int len = 1 + (int)(r % 8);
    for (int k = 0; k < len; k++) pool[i][k] = (char)('a' + (r >> (8 + 4 * k)) % 6);
    pool[i][len] = 0;
    strs[i] = strs2[i] = pool[i];
  }
  qsort(strs, N, sizeof *strs, cmp_str);
  shell_sort(strs2, N, sizeof *strs2, cmp_str);
  int sok = 1, dups = 0;
  for (int i = 0; i < N; i++) {
    sok &= strcmp(strs[i], strs2[i]) == 0;
    if (i && strcmp(strs[i], strs[i - 1]) == 0) dups++;
    hash_bytes(strs[i], strlen(strs[i]) + 1);
  }
  char *needle = "cab";
  char **found = bsearch(&needle, strs, N, sizeof *strs, cmp_str);
  printf("strings %s: first \"%s\" last \"%s\" dups %d, \"cab\" %s\n", sok ? "agree" : "DIFFER", strs[0],
         strs[N - 1], dups, found ? "found" : "absent");

  /* structs: the stable merge sort by key must equal qsort by key + index. */
  static employee emp[N], emp2[N];
  for (int i = 0; i < N; i++) {
    uint64_t r = next();
    memset(&emp[i], 0, sizeof emp[i]);
    snprintf(emp[i].name, sizeof emp[i].name, "e%05d", (int)(r % 100000));
    emp[i].dept = (int16_t)((int)((r >> 20) % 40) - 20);
    emp[i].grade = (uint8_t)(r >> 30) % 5;
    emp[i].salary = (int32_t)((r >> 33) % 200000);
    emp[i].index = i;
  }
  memcpy(emp2, emp, sizeof emp);
  merge_sort(emp, N, sizeof *emp, cmp_emp_key);
  qsort(emp2, N, sizeof *emp2, cmp_emp_total);
  int stable = 1;
  int64_t payroll = 0;
  for (int i = 0; i < N; i++) {
    stable &= emp[i].index == emp2[i].index;
    payroll += (int64_t)emp[i].salary * (i % 3 + 1);
    hash_bytes(&emp[i].index, sizeof emp[i].index);
  }
  printf("employees stable %s: first %s d%d g%u, last %s d%d g%u, payroll %" PRId64 "\n", stable ? "yes" : "NO",
         emp[0].name, emp[0].dept, emp[0].grade, emp[N - 1].name, emp[N - 1].dept, emp[N - 1].grade, payroll);

  /* Sorting networks against insertion sort, on many small arrays. */
  int net_ok = 1;
  uint32_t nh = 0;
  for (int t = 0; t < 3000; t++) {
    int32_t a[8], b[8];
    for (int i = 0; i < 8; i++) a[i] = b[i] = (int32_t)(next() % 21) - 10;
    network8(a);
    isort(b, 8);
    net_ok &= memcmp(a, b, sizeof a) == 0;
    nh = nh * 31 + (uint32_t)(a[0] + 3 * a[3] + 7 * a[7]);
  }
  printf("network8 %s %08x\n", net_ok ? "ok" : "WRONG", nh);

  /* Top 10 by a min-heap of size 10. */
  int heap[10], hn = 0;
  for (int i = 0; i < N; i++) {
    int x = ints[i];
    if (hn < 10) {
      int c = hn++;
      heap[c] = x;
      while (c && heap[(c - 1) / 2] > heap[c]) { int p = (c - 1) / 2, t = heap[p]; heap[p] = heap[c]; heap[c] = t; c = p; }
    } else if (x > heap[0]) {
      heap[0] = x;
      sift_down((char *)heap, 0, 10, sizeof *heap, cmp_int_desc);
    }
  }
  printf("top10:");
  qsort(heap, 10, sizeof *heap, cmp_int);
  for (int i = 0; i < 10; i++) printf(" %d", heap[i]);
  printf(" (sorted tail %d %d)\n", ref[N - 10], ref[N - 1]);
  printf("hash %08x\n", h32);
  return ok && sok && stable && net_ok ? (int)(h32 % 63) + 1 : 100;
}
