/* lz.c: an LZ77 compressor with hash chains (several search depths) and its
 * decompressor (overlapping copies, bounds-checked against corrupt input),
 * then a canonical Huffman coder over the compressed bytes (a 64-bit bit
 * buffer, variable shift counts), CRC-32 and Adler-32 checksums, and the
 * compressed stream written to and read back from the data directory.
 * Byte loads and stores, unaligned 32-bit loads through memcpy, shifts,
 * masks and tight loops with several exits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HBITS 14
#define WSIZE 65536
#define WMASK (WSIZE - 1)
#define MINMATCH 4

static uint32_t crc_table[256];
static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}
static uint32_t adler32(const uint8_t *p, size_t n) {
  uint32_t a = 1, b = 0;
  for (size_t i = 0; i < n; i++) {
    a = (a + p[i]) % 65521u;
    b = (b + a) % 65521u;
  }
  return b << 16 | a;
}

static uint32_t rs = 2463534242u;
static uint32_t xr(void) { rs ^= rs << 13; rs ^= rs >> 17; rs ^= rs << 5; return rs; }

static size_t make_data(uint8_t *d, int kind, size_t n) {
  static const char *words[] = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
                                "compression", "window", "match", "literal", "offset", "of", "a", "and"};
  size_t i = 0;
  switch (kind) {
    case 0: /* text */
      while (i + 16 < n) {
        const char *w = words[xr() % 16];
        size_t l = strlen(w);
        memcpy(d + i, w, l);
        i += l;
        uint32_t r = xr() % 20;
        d[i++] = r == 0 ? '.' : r == 1 ? ',' : r == 2 ? '\n' : ' ';
        if (r == 3) i += (size_t)sprintf((char *)d + i, "%u ", xr() % 1000);
      }
      break;
    case 1: /* records: little-endian fields that change slowly */
      for (uint32_t rec = 0; i + 12 <= n; rec++) {
        uint32_t f[3] = {rec, 1000000u + rec * 3u, (rec * 2654435761u) >> 28};
        for (int k = 0; k < 3; k++)
          for (int b = 0; b < 4; b++) d[i++] = (uint8_t)(f[k] >> (8 * b));
      }
      break;
    case 2: /* runs and short periods: overlapping matches */
      while (i < n) {
        uint32_t len = 1 + xr() % 300, period = 1 + xr() % 5;
        uint8_t pat[5];
        for (uint32_t k = 0; k < period; k++) pat[k] = (uint8_t)xr();
        for (uint32_t k = 0; k < len && i < n; k++) d[i++] = pat[k % period];
      }
      break;
    default: /* noise */
      while (i < n) d[i++] = (uint8_t)(xr() >> 11);
  }
  while (i < n) d[i++] = 'x';
  return n;
}

static uint32_t read32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint32_t hash4(const uint8_t *p) { return (read32(p) * 2654435761u) >> (32 - HBITS); }

static size_t put_len(uint8_t *out, size_t o, size_t len) {
  while (len >= 255) { out[o++] = 255; len -= 255; }
  out[o++] = (uint8_t)len;
  return o;
}

static int32_t head[1 << HBITS];
static int32_t prevpos[WSIZE];

static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out, int max_chain, long *probes) {
  for (size_t i = 0; i < (1u << HBITS); i++) head[i] = -1;
  size_t o = 0, anchor = 0, i = 0;
  *probes = 0;
  while (i + MINMATCH <= n) {
    uint32_t h = hash4(in + i);
    int32_t cand = head[h];
    size_t best_len = 0, best_off = 0;
    for (int chain = 0; cand >= 0 && chain < max_chain; chain++) {
      size_t off = i - (size_t)cand;
      if (off > 65535) break;
      (*probes)++;
      if (read32(in + cand) == read32(in + i)) {
        size_t l = MINMATCH;
        while (i + l < n && in[cand + l] == in[i + l]) l++;
        if (l > best_len) { best_len = l; best_off = off; if (i + l == n) break; }
      }
      int32_t nx = prevpos[cand & WMASK];
      if (nx >= cand) break;
      cand = nx;
    }
    prevpos[i & WMASK] = head[h];
    head[h] = (int32_t)i;
    if (best_len < MINMATCH) { i++; continue; }
    size_t lit = i - anchor, ml = best_len - MINMATCH;
    out[o++] = (uint8_t)((lit < 15 ? lit : 15) << 4 | (ml < 15 ? ml : 15));
    if (lit >= 15) o = put_len(out, o, lit - 15);
    memcpy(out + o, in + anchor, lit);
    o += lit;
    out[o++] = (uint8_t)best_off;
    out[o++] = (uint8_t)(best_off >> 8);
    if (ml >= 15) o = put_len(out, o, ml - 15);
    /* Insert the positions the match covers into the chains. */
    for (size_t k = i + 1; k < i + best_len && k + MINMATCH <= n; k++) {
      uint32_t hk = hash4(in + k);
      prevpos[k & WMASK] = head[hk];
      head[hk] = (int32_t)k;
    }
    i += best_len;
    anchor = i;
  }
  size_t lit = n - anchor;
  out[o++] = (uint8_t)((lit < 15 ? lit : 15) << 4);
  if (lit >= 15) o = put_len(out, o, lit - 15);
  memcpy(out + o, in + anchor, lit);
  return o + lit;
}

/* Returns the decompressed size, or a negative error code. */
static long lz_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  size_t ip = 0, op = 0;
  for (;;) {
    if (ip >= n) return -1;
    uint8_t tok = in[ip++];
    size_t lit = tok >> 4, ml = tok & 15;
    if (lit == 15) {
      uint8_t b;
      do { if (ip >= n) return -2; b = in[ip++]; lit += b; } while (b == 255);
    }
    if (lit > n - ip || lit > cap - op) return -3;
    memcpy(out + op, in + ip, lit);
    ip += lit;
    op += lit;
    if (ip == n) return (long)op;
    if (n - ip < 2) return -4;
    size_t off = in[ip] | (size_t)in[ip + 1] << 8;
    ip += 2;
    if (off == 0 || off > op) return -5;
    if (ml == 15) {
      uint8_t b;
      do { if (ip >= n) return -6; b = in[ip++]; ml += b; } while (b == 255);
    }
    ml += MINMATCH;
    if (ml > cap - op) return -7;
    uint8_t *dst = out + op;
    const uint8_t *src = dst - off;
    if (off >= ml) memcpy(dst, src, ml);
    else for (size_t k = 0; k < ml; k++) dst[k] = src[k];
    op += ml;
  }
}

/* ---- canonical Huffman over bytes ---- */
typedef struct { uint64_t acc; int bits; uint8_t *p; size_t n; } bitw;
static void put_bits(bitw *w, uint32_t v, int n) {
  w->acc |= (uint64_t)v << w->bits;
  w->bits += n;
  while (w->bits >= 8) { w->p[w->n++] = (uint8_t)w->acc; w->acc >>= 8; w->bits -= 8; }
}

static int build_lengths(const uint32_t *freq, uint8_t *len) {
  uint64_t f[512];
  int parent[512], alive[512], nodes = 256;
  uint32_t scaled[256];
  for (int i = 0; i < 256; i++) scaled[i] = freq[i];
  for (int attempt = 0;; attempt++) {
    for (int i = 0; i < 256; i++) { f[i] = scaled[i]; alive[i] = scaled[i] != 0; parent[i] = -1; }
    nodes = 256;
    for (;;) {
      int a = -1, b = -1;
      for (int i = 0; i < nodes; i++) {
        if (!alive[i]) continue;
        if (a < 0 || f[i] < f[a]) { b = a; a = i; }
        else if (b < 0 || f[i] < f[b]) b = i;
      }
      if (b < 0) break;
      f[nodes] = f[a] + f[b];
      alive[nodes] = 1; parent[nodes] = -1;
      alive[a] = alive[b] = 0;
      parent[a] = parent[b] = nodes;
      nodes++;
    }
    int maxlen = 0;
    for (int i = 0; i < 256; i++) {
      int l = 0;
      if (scaled[i]) for (int k = i; parent[k] >= 0; k = parent[k]) l++;
      if (scaled[i] && l == 0) l = 1;
      len[i] = (uint8_t)l;
      if (l > maxlen) maxlen = l;
    }
    if (maxlen <= 15) return attempt;
    for (int i = 0; i < 256; i++) if (scaled[i]) scaled[i] = (scaled[i] >> 1) | 1;
  }
}

static void canonical(const uint8_t *len, uint32_t *code, int *count, int *symbols) {
  int next[17] = {0};
  for (int l = 0; l <= 16; l++) count[l] = 0;
  for (int i = 0; i < 256; i++) count[len[i]]++;
  count[0] = 0;
  uint32_t c = 0;
  for (int l = 1; l <= 16; l++) { c = (c + (uint32_t)count[l - 1]) << 1; next[l] = (int)c; }
  int k = 0;
  for (int l = 1; l <= 16; l++)
    for (int i = 0; i < 256; i++) if (len[i] == l) symbols[k++] = i;
  for (int i = 0; i < 256; i++) {
    if (!len[i]) continue;
    /* Bit-reverse so that the stream can be read LSB first. */
    uint32_t v = (uint32_t)next[len[i]]++, r = 0;
    for (int b = 0; b < len[i]; b++) r |= ((v >> b) & 1) << (len[i] - 1 - b);
    code[i] = r;
  }
}

static size_t huff_encode(const uint8_t *in, size_t n, const uint8_t *len, const uint32_t *code, uint8_t *out) {
  bitw w = {0, 0, out, 0};
  for (size_t i = 0; i < n; i++) put_bits(&w, code[in[i]], len[in[i]]);
  if (w.bits) put_bits(&w, 0, 8 - w.bits);
  return w.n;
}

static long huff_decode(const uint8_t *in, size_t n, const int *count, const int *symbols, uint8_t *out, size_t want) {
  uint64_t acc = 0;
  int bits = 0;
  size_t ip = 0;
  for (size_t o = 0; o < want; o++) {
    int code = 0, first = 0, index = 0;
    for (int l = 1;; l++) {
      if (bits == 0) {
        if (ip >= n) return -1;
        acc = in[ip++];
        bits = 8;
      }
      code |= (int)(acc & 1);
      acc >>= 1;
      bits--;
      if (l > 16) return -2;
      if (code - count[l] < first) { out[o] = (uint8_t)symbols[index + (code - first)]; break; }
      index += count[l];
      first = (first + count[l]) << 1;
      code <<= 1;
    }
  }
  return (long)want;
}

int main(int argc, char **argv) {
  crc_init();
  const size_t seg = 24000;
  const size_t total = 4 * seg;
  uint8_t *data = malloc(total), *comp = malloc(total + total / 8 + 64), *back = malloc(total + 16);
  uint8_t *huff = malloc(total * 2 + 64), *unhuff = malloc(total + total / 8 + 64);
  for (int k = 0; k < 4; k++) make_data(data + k * seg, k, seg);
  printf("data crc %08x adler %08x\n", crc32(data, total), adler32(data, total));
  static const char *kinds[] = {"text", "records", "runs", "noise"};
  uint32_t mix = 0;
  for (int k = 0; k < 4; k++) {
    const uint8_t *in = data + k * seg;
    for (int level = 1; level <= 64; level *= 8) {
      long probes;
      size_t c = lz_compress(in, seg, comp, level, &probes);
      long d = lz_decompress(comp, c, back, seg);
      int same = d == (long)seg && memcmp(back, in, seg) == 0;
      printf("%-7s chain %2d: %6zu -> %6zu crc %08x probes %7ld %s\n", kinds[k], level, seg, c,
             crc32(comp, c), probes, same ? "ok" : "MISMATCH");
      mix = mix * 31 + (uint32_t)c + (same ? 0 : 0x10000);
    }
  }

  /* The whole buffer at the deepest level, then Huffman on top of it. */
  long probes;
  size_t c = lz_compress(data, total, comp, 256, &probes);
  uint32_t freq[256] = {0};
  for (size_t i = 0; i < c; i++) freq[comp[i]]++;
  uint8_t len[256];
  uint32_t code[256] = {0};
  int count[17], symbols[256];
  int rescales = build_lengths(freq, len);
  canonical(len, code, count, symbols);
  size_t h = huff_encode(comp, c, len, code, huff);
  long hd = huff_decode(huff, h, count, symbols, unhuff, c);
  int hok = hd == (long)c && memcmp(unhuff, comp, c) == 0;
  long dd = lz_decompress(unhuff, c, back, total);
  int all_ok = hok && dd == (long)total && memcmp(back, data, total) == 0;
  printf("all: %zu -> lz %zu (probes %ld) -> huffman %zu bytes, rescales %d, %s\n", total, c, probes, h,
         rescales, all_ok ? "round trip ok" : "ROUND TRIP FAILED");
  printf("lengths:");
  for (int l = 1; l <= 16; l++) printf(" %d", count[l]);
  printf("\ncodes: 0:%u/%d 255:%u/%d 'e':%u/%d\n", code[0], len[0], code[255], len[255], code['e'], len['e']);

  /* Through a file in the data directory. */
  char path[512];
  snprintf(path, sizeof path, "%s/all.lzh", argc > 1 ? argv[1] : ".");
  FILE *f = fopen(path, "wb");
  if (!f) { printf("cannot create all.lzh\n"); return 90; }
  uint8_t hdr[8];
  for (int b = 0; b < 4; b++) { hdr[b] = (uint8_t)(c >> (8 * b)); hdr[4 + b] = (uint8_t)(crc32(data, total) >> (8 * b)); }
  fwrite(hdr, 1, 8, f);
  fwrite(len, 1, 256, f);
  fwrite(huff, 1, h, f);
  fclose(f);
  f = fopen(path, "rb");
  uint8_t *file = malloc(h + 264 + 16);
  size_t got = fread(file, 1, h + 264 + 16, f);
  fclose(f);
  size_t c2 = file[0] | (size_t)file[1] << 8 | (size_t)file[2] << 16 | (size_t)file[3] << 24;
  uint32_t crc2 = file[4] | (uint32_t)file[5] << 8 | (uint32_t)file[6] << 16 | (uint32_t)file[7] << 24;
  uint8_t len2[256];
  memcpy(len2, file + 8, 256);
  uint32_t code2[256] = {0};
  int count2[17], symbols2[256];
  canonical(len2, code2, count2, symbols2);
  long hd2 = huff_decode(file + 264, got - 264, count2, symbols2, unhuff, c2);
  long dd2 = hd2 == (long)c2 ? lz_decompress(unhuff, c2, back, total) : -100;
  printf("file: %zu bytes, decoded %ld, crc %s\n", got, dd2,
         dd2 == (long)total && crc32(back, total) == crc2 ? "matches" : "DIFFERS");

  /* Corrupt streams must be rejected, never read or written out of bounds. */
  size_t small = lz_compress(data, 3000, comp, 16, &probes);
  int rejected = 0, tried = 0;
  uint32_t codesum = 0, flipsum = 0;
  for (size_t cut = 1; cut < small; cut += 97) {
    long r = lz_decompress(comp, cut, back, 3000);
    if (r < 0) rejected++;
    tried++;
    codesum = codesum * 7 + (uint32_t)r;
  }
  for (int flip = 0; flip < 40; flip++) {
    uint8_t saved = comp[(size_t)flip * 37 % small];
    comp[(size_t)flip * 37 % small] ^= (uint8_t)(1u << (flip % 8));
    long r = lz_decompress(comp, small, back, 3000);
    flipsum = flipsum * 3 + (r < 0 ? (uint32_t)-r : crc32(back, (size_t)r) % 1000);
    comp[(size_t)flip * 37 % small] = saved;
  }
  printf("corrupt: %zu bytes, %d of %d truncations rejected, codes %08x, flips %08x\n", small, rejected, tried,
         codesum, flipsum);

  /* Fibonacci frequencies make a tree deeper than 15: the lengths get rescaled. */
  uint32_t fib[256] = {0};
  fib[0] = fib[1] = 1;
  for (int i = 2; i < 40; i++) fib[i] = fib[i - 1] + fib[i - 2];
  int rs2 = build_lengths(fib, len);
  canonical(len, code, count, symbols);
  printf("skewed: rescales %d, lengths", rs2);
  for (int i = 0; i < 40; i += 3) printf(" %d", len[i]);
  printf(", code[39] %u code[0] %u\n", code[39], code[0]);
  free(data); free(comp); free(back); free(huff); free(unhuff); free(file);
  return all_ok ? (int)((mix ^ (uint32_t)h) % 63) + 1 : 100;
}
