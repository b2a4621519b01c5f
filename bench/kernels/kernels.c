/*
 * C kernels for bench/kernels.js: code that no other benchmark here
 * contains, built by clang for wasm32 (and by gcc natively, with
 * kernels_main.c) and run as it comes out of the compiler, to judge the
 * engine on compiled code in general rather than on the kernels it was tuned
 * with. Each exported function takes a size and returns a checksum that every
 * engine must agree on. Kept small and self-contained: no libc beyond what
 * clang inlines (memcpy), state in static arrays.
 */
#include <stdint.h>

#if defined(__wasm__)
#define EXPORT(n) __attribute__((export_name(#n)))
#else
#define EXPORT(n)
#endif

static uint8_t heap[16 << 20];

/* nbody: the five-planet simulation (f64, structs in memory, sqrt). */
typedef struct { double x, y, z, vx, vy, vz, m; } Body;
static Body bodies[5];
static void nb_init(void) {
  const double PI = 3.141592653589793, SM = 4 * PI * PI, DPY = 365.24;
  Body b[5] = {
    {0,0,0,0,0,0,SM},
    {4.84143144246472090e+00,-1.16032004402742839e+00,-1.03622044471123109e-01,1.66007664274403694e-03*DPY,7.69901118419740425e-03*DPY,-6.90460016972063023e-05*DPY,9.54791938424326609e-04*SM},
    {8.34336671824457987e+00,4.12479856412430479e+00,-4.03523417114321381e-01,-2.76742510726862411e-03*DPY,4.99852801234917238e-03*DPY,2.30417297573763929e-05*DPY,2.85885980666130812e-04*SM},
    {1.28943695621391310e+01,-1.51111514016986312e+01,-2.23307578892655734e-01,2.96460137564761618e-03*DPY,2.37847173959480950e-03*DPY,-2.96589568540237556e-05*DPY,4.36624404335156298e-05*SM},
    {1.53796971148509165e+01,-2.59193146099879641e+01,1.79258772950371181e-01,2.68067772490389322e-03*DPY,1.62824170038242295e-03*DPY,-9.51592254519715870e-05*DPY,5.15138902046611451e-05*SM}};
  for (int i = 0; i < 5; i++) bodies[i] = b[i];
}
EXPORT(nbody) double nbody(int steps) {
  nb_init();
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < 5; i++) {
      Body *a = &bodies[i];
      for (int j = i + 1; j < 5; j++) {
        Body *b = &bodies[j];
        double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
        double d2 = dx*dx + dy*dy + dz*dz;
        double mag = 0.01 / (d2 * __builtin_sqrt(d2));
        a->vx -= dx * b->m * mag; a->vy -= dy * b->m * mag; a->vz -= dz * b->m * mag;
        b->vx += dx * a->m * mag; b->vy += dy * a->m * mag; b->vz += dz * a->m * mag;
      }
    }
    for (int i = 0; i < 5; i++) { Body *a = &bodies[i]; a->x += 0.01*a->vx; a->y += 0.01*a->vy; a->z += 0.01*a->vz; }
  }
  return bodies[1].x + bodies[2].y;
}

/* spectral: spectral norm (f64 division in a small called function). */
static double A(int i, int j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }
static void mulAv(int n, const double *v, double *av) { for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < n; j++) s += A(i, j) * v[j]; av[i] = s; } }
static void mulAtv(int n, const double *v, double *atv) { for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < n; j++) s += A(j, i) * v[j]; atv[i] = s; } }
EXPORT(spectral) double spectral(int n) {
  double *u = (double *)heap, *v = u + n, *t = v + n;
  for (int i = 0; i < n; i++) u[i] = 1;
  for (int i = 0; i < 10; i++) { mulAv(n, u, t); mulAtv(n, t, v); mulAv(n, v, t); mulAtv(n, t, u); }
  double vBv = 0, vv = 0;
  for (int i = 0; i < n; i++) { vBv += u[i] * v[i]; vv += v[i] * v[i]; }
  return __builtin_sqrt(vBv / vv);
}

/* fannkuch: permutation flips (small int arrays, short inner loops). */
EXPORT(fannkuch) int fannkuch(int n) {
  int perm[16], perm1[16], count[16], maxflips = 0, checksum = 0, r = n, permcount = 0;
  for (int i = 0; i < n; i++) perm1[i] = i;
  for (;;) {
    while (r != 1) { count[r - 1] = r; r--; }
    for (int i = 0; i < n; i++) perm[i] = perm1[i];
    int flips = 0, k;
    while ((k = perm[0]) != 0) {
      int k2 = (k + 1) >> 1;
      for (int i = 0; i < k2; i++) { int t = perm[i]; perm[i] = perm[k - i]; perm[k - i] = t; }
      flips++;
    }
    if (flips > maxflips) maxflips = flips;
    checksum += (permcount % 2 == 0) ? flips : -flips;
    for (;;) {
      if (r == n) return checksum * 100 + maxflips;
      int p0 = perm1[0];
      for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
      perm1[r] = p0;
      count[r]--;
      if (count[r] > 0) break;
      r++;
    }
    permcount++;
  }
}

/* mandel: Mandelbrot escape counts (f64, a data-dependent exit). */
EXPORT(mandel) int mandel(int n) {
  int count = 0;
  for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) {
    double cr = 2.0 * x / n - 1.5, ci = 2.0 * y / n - 1.0, zr = 0, zi = 0;
    int i = 0;
    for (; i < 50; i++) { double t = zr*zr - zi*zi + cr; zi = 2*zr*zi + ci; zr = t; if (zr*zr + zi*zi > 4.0) break; }
    count += i;
  }
  return count;
}

/* sha: SHA-256 compression rounds over a buffer (i32 rotates, a table). */
static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static const uint32_t K[64] = {
0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};
EXPORT(sha) uint32_t sha(int blocks) {
  uint32_t h[8] = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
  for (int i = 0; i < 4096; i++) heap[i] = (uint8_t)(i * 31 + 7);
  for (int bl = 0; bl < blocks; bl++) {
    const uint8_t *p = heap + (bl & 63) * 64;
    uint32_t w[64];
    for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4*i] << 24 | (uint32_t)p[4*i+1] << 16 | (uint32_t)p[4*i+2] << 8 | p[4*i+3];
    for (int i = 16; i < 64; i++) { uint32_t s0 = rotr(w[i-15],7)^rotr(w[i-15],18)^(w[i-15]>>3), s1 = rotr(w[i-2],17)^rotr(w[i-2],19)^(w[i-2]>>10); w[i] = w[i-16]+s0+w[i-7]+s1; }
    uint32_t a=h[0],b=h[1],c=h[2],d=h[3],e=h[4],f=h[5],g=h[6],hh=h[7];
    for (int i = 0; i < 64; i++) {
      uint32_t S1 = rotr(e,6)^rotr(e,11)^rotr(e,25), ch = (e&f)^(~e&g), t1 = hh+S1+ch+K[i]+w[i];
      uint32_t S0 = rotr(a,2)^rotr(a,13)^rotr(a,22), mj = (a&b)^(a&c)^(b&c), t2 = S0+mj;
      hh=g; g=f; f=e; e=d+t1; d=c; c=b; b=a; a=t1+t2;
    }
    h[0]+=a;h[1]+=b;h[2]+=c;h[3]+=d;h[4]+=e;h[5]+=f;h[6]+=g;h[7]+=hh;
  }
  return h[0] ^ h[7];
}

/* qsort: quicksort of pseudo-random ints (recursion, memory swaps). */
static uint32_t rng;
static uint32_t xs(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static void qs(int *a, int lo, int hi) {
  while (lo < hi) {
    int p = a[(lo + hi) >> 1], i = lo, j = hi;
    while (i <= j) { while (a[i] < p) i++; while (a[j] > p) j--; if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; } }
    if (j - lo < hi - i) { qs(a, lo, j); lo = i; } else { qs(a, i, hi); hi = j; }
  }
}
EXPORT(qsort) int qsort_k(int n) {
  int *a = (int *)heap; rng = 12345;
  for (int i = 0; i < n; i++) a[i] = (int)(xs() % 1000000);
  qs(a, 0, n - 1);
  int h = 0; for (int i = 0; i < n; i += 97) h = h * 31 + a[i];
  return h;
}

/* hash: open-addressing hash table inserts and lookups. */
EXPORT(hash) int hash_k(int n) {
  uint32_t *keys = (uint32_t *)heap; int cap = 1 << 20; int *vals = (int *)(heap + cap * 4);
  for (int i = 0; i < cap; i++) keys[i] = 0;
  rng = 777; int found = 0;
  for (int i = 0; i < n; i++) {
    uint32_t k = (xs() % (cap / 2)) + 1, h = (k * 2654435761u) & (cap - 1);
    while (keys[h] && keys[h] != k) h = (h + 1) & (cap - 1);
    if (keys[h] == k) { vals[h]++; found++; } else { keys[h] = k; vals[h] = 1; }
  }
  return found;
}

/* trees: binary trees built with a bump allocator and walked (pointers, recursion). */
typedef struct Node { struct Node *l, *r; } Node;
static uint8_t *bump;
static Node *mk(int d) { Node *n = (Node *)bump; bump += sizeof(Node); if (d > 0) { n->l = mk(d - 1); n->r = mk(d - 1); } else n->l = n->r = 0; return n; }
static int chk(Node *n) { return n->l ? 1 + chk(n->l) + chk(n->r) : 1; }
EXPORT(trees) int trees(int depth) {
  int total = 0;
  for (int d = 4; d <= depth; d += 2) {
    int iters = 1 << (depth - d + 4);
    for (int i = 0; i < iters; i++) { bump = heap; total += chk(mk(d)); }
  }
  return total;
}

/* vm: a bytecode interpreter's switch-dispatch loop, its stack in memory. */
EXPORT(vm) int vm(int n) {
  // program: acc = acc*3+i ; i++ ; if i<n loop ; with some stack ops
  static const uint8_t code[] = {0,1,2,3,4,5,6};
  int pc = 0, acc = 1, i = 0, sp = 0; int stack[16];
  for (;;) {
    switch (code[pc]) {
      case 0: stack[sp++] = acc; pc++; break;
      case 1: stack[sp++] = 3; pc++; break;
      case 2: sp--; stack[sp-1] *= stack[sp]; pc++; break;
      case 3: stack[sp-1] += i; pc++; break;
      case 4: acc = stack[--sp] ^ (acc >> 7); pc++; break;
      case 5: i++; pc++; break;
      case 6: if (i < n) pc = 0; else return acc; break;
    }
  }
}

/* modpow: modular exponentiation (i64 multiply and remainder). */
EXPORT(modpow) long long modpow(int n) {
  const unsigned long long M = 1000000007ull; unsigned long long s = 0;
  for (int i = 1; i <= n; i++) {
    unsigned long long b = (unsigned long long)i, e = 1000003, r = 1;
    while (e) { if (e & 1) r = r * b % M; b = b * b % M; e >>= 1; }
    s += r;
  }
  return (long long)s;
}

/* strwork: word counting over copied text (byte loads, memcpy). */
EXPORT(strwork) int strwork(int rounds) {
  char *buf = (char *)heap; int len = 1 << 16;
  for (int i = 0; i < len; i++) buf[i] = (i % 7 == 0) ? ' ' : (char)('a' + i % 26);
  int words = 0;
  for (int r = 0; r < rounds; r++) {
    __builtin_memcpy(buf + len, buf, len);
    for (int i = 1; i < 2 * len; i++) if (buf[i] != ' ' && buf[i-1] == ' ') words++;
    buf[r % len] = buf[(r * 7) % len];
  }
  return words;
}

/* saxpy: y = a*y + b*x over f32 arrays (a loop clang counts up to 0). */
EXPORT(saxpy) float saxpy(int rounds) {
  float *x = (float *)heap, *y = x + 4096;
  for (int i = 0; i < 4096; i++) { x[i] = (float)i * 0.001f; y[i] = 1.0f; }
  float s = 0;
  for (int r = 0; r < rounds; r++) { for (int i = 0; i < 4096; i++) y[i] = y[i] * 0.999f + 0.5f * x[i]; s += y[r & 4095]; }
  return s;
}
