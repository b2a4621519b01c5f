/* hashmap.c: hash tables that grow the heap (and so the wasm memory) while
 * hot loops run: an open-addressing Robin Hood table of u64 -> u64 (rehash on
 * growth, backward-shift deletion, probe-length statistics), a chained string
 * table whose nodes live in an arena of malloc'ed chunks (word counts of a
 * generated text, top entries by a total order), a bit-array sieve in a large
 * calloc'ed block, and repeated big allocate / touch / free cycles. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}
static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) { printf("out of memory (%zu bytes)\n", n); exit(99); }
  return p;
}

/* ---- Robin Hood table ---- */
typedef struct { uint64_t key, value; uint32_t dist; uint32_t used; } slot;
typedef struct { slot *slots; size_t cap, count; unsigned grows; uint64_t probes; } rhmap;

static void rh_insert(rhmap *m, uint64_t key, uint64_t value);
static void rh_grow(rhmap *m) {
  slot *old = m->slots;
  size_t oldcap = m->cap;
  m->cap = oldcap ? oldcap * 2 : 16;
  m->slots = xmalloc(m->cap * sizeof *m->slots);
  memset(m->slots, 0, m->cap * sizeof *m->slots);
  m->count = 0;
  m->grows++;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i].used) rh_insert(m, old[i].key, old[i].value);
  free(old);
}
static void rh_insert(rhmap *m, uint64_t key, uint64_t value) {
  if ((m->count + 1) * 8 > m->cap * 7) rh_grow(m);
  size_t mask = m->cap - 1, i = mix64(key) & mask;
  slot cur = {key, value, 0, 1};
  for (;;) {
    m->probes++;
    slot *s = &m->slots[i];
    if (!s->used) { *s = cur; m->count++; return; }
    if (s->key == cur.key) { s->value = cur.value; return; }
    if (s->dist < cur.dist) { slot t = *s; *s = cur; cur = t; }
    cur.dist++;
    i = (i + 1) & mask;
  }
}
static slot *rh_find(rhmap *m, uint64_t key) {
  if (!m->cap) return NULL;
  size_t mask = m->cap - 1, i = mix64(key) & mask;
  for (uint32_t d = 0;; d++) {
    m->probes++;
    slot *s = &m->slots[i];
    if (!s->used || s->dist < d) return NULL;
    if (s->key == key) return s;
    i = (i + 1) & mask;
  }
}
static int rh_erase(rhmap *m, uint64_t key) {
  slot *s = rh_find(m, key);
  if (!s) return 0;
  size_t mask = m->cap - 1, i = (size_t)(s - m->slots);
  for (;;) {
    size_t n = (i + 1) & mask;
    if (!m->slots[n].used || m->slots[n].dist == 0) { m->slots[i].used = 0; break; }
    m->slots[i] = m->slots[n];
    m->slots[i].dist--;
    i = n;
  }
  m->count--;
  return 1;
}

/* ---- chained string table with an arena ---- */
typedef struct snode { struct snode *next; uint32_t hash, count; char word[]; } snode;
typedef struct { char *chunk; size_t used, size; size_t chunks, strbytes; void **list; size_t nlist; } arena;
static void *arena_alloc(arena *a, size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (!a->chunk || a->used + n > a->size) {
    a->size = n > 65536 ? n : 65536;
    a->chunk = xmalloc(a->size);
    a->list = realloc(a->list, (a->nlist + 1) * sizeof *a->list);
    a->list[a->nlist++] = a->chunk;
    a->used = 0;
    a->chunks++;
  }
  void *p = a->chunk + a->used;
  a->used += n;
  return p;
}
typedef struct { snode **buckets; size_t nb, count; arena ar; } stable;
static uint32_t fnv1a(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}
static void st_add(stable *t, const char *w, size_t n) {
  uint32_t h = fnv1a(w, n);
  if (t->count >= t->nb) {
    size_t nb = t->nb ? t->nb * 4 : 64;
    snode **b = calloc(nb, sizeof *b);
    for (size_t i = 0; i < t->nb; i++)
      for (snode *e = t->buckets[i], *next; e; e = next) {
        next = e->next;
        e->next = b[e->hash & (nb - 1)];
        b[e->hash & (nb - 1)] = e;
      }
    free(t->buckets);
    t->buckets = b;
    t->nb = nb;
  }
  snode **head = &t->buckets[h & (t->nb - 1)];
  for (snode *e = *head; e; e = e->next)
    if (e->hash == h && strncmp(e->word, w, n) == 0 && e->word[n] == 0) { e->count++; return; }
  snode *e = arena_alloc(&t->ar, sizeof *e + n + 1);
  e->hash = h;
  e->count = 1;
  memcpy(e->word, w, n);
  e->word[n] = 0;
  t->ar.strbytes += n + 1; /* pointer sizes differ between targets: only count the strings */
  e->next = *head;
  *head = e;
  t->count++;
}
static int by_count(const void *a, const void *b) {
  const snode *x = *(snode *const *)a, *y = *(snode *const *)b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

int main(void) {
  /* Robin Hood: insert, look up, erase a third, reinsert. */
  rhmap m = {0};
  const uint64_t N = 200000;
  for (uint64_t i = 0; i < N; i++) rh_insert(&m, i * 0x9E3779B97F4A7C15ull, i);
  printf("rh: %zu entries, cap %zu, %u grows, %" PRIu64 " insert probes\n", m.count, m.cap, m.grows, m.probes);
  uint32_t hist[8] = {0}, maxd = 0;
  for (size_t i = 0; i < m.cap; i++)
    if (m.slots[i].used) {
      uint32_t d = m.slots[i].dist;
      hist[d < 7 ? d : 7]++;
      if (d > maxd) maxd = d;
    }
  printf("rh: displacement histogram %u %u %u %u %u %u %u %u+, max %u\n", hist[0], hist[1], hist[2], hist[3], hist[4],
         hist[5], hist[6], hist[7], maxd);
  m.probes = 0;
  uint64_t found = 0, sum = 0;
  for (uint64_t i = 0; i < 2 * N; i++) {
    slot *s = rh_find(&m, i * 0x9E3779B97F4A7C15ull);
    if (s) { found++; sum += s->value; }
  }
  printf("rh: found %" PRIu64 " sum %" PRIu64 " probes %" PRIu64 "\n", found, sum, m.probes);
  uint64_t erased = 0;
  for (uint64_t i = 0; i < N; i += 3) erased += (uint64_t)rh_erase(&m, i * 0x9E3779B97F4A7C15ull);
  erased += (uint64_t)rh_erase(&m, 12345); /* absent */
  uint64_t check = 0;
  int invariant = 1;
  for (size_t i = 0; i < m.cap; i++) {
    if (!m.slots[i].used) continue;
    size_t home = mix64(m.slots[i].key) & (m.cap - 1);
    invariant &= ((i - home) & (m.cap - 1)) == m.slots[i].dist;
    check += m.slots[i].value * (m.slots[i].key | 1);
  }
  printf("rh: erased %" PRIu64 ", %zu left, invariant %s, check %016" PRIx64 "\n", erased, m.count,
         invariant ? "holds" : "BROKEN", check);
  for (uint64_t i = 0; i < N; i += 3) rh_insert(&m, i * 0x9E3779B97F4A7C15ull, i + 1);
  found = sum = 0;
  for (uint64_t i = 0; i < N; i++) {
    slot *s = rh_find(&m, i * 0x9E3779B97F4A7C15ull);
    if (s) { found++; sum += s->value; }
  }
  printf("rh: after reinsert %zu entries, found %" PRIu64 " sum %" PRIu64 "\n", m.count, found, sum);
  free(m.slots);

  /* Word counts over generated text. */
  static const char *syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "qua", "er"};
  stable t = {0};
  uint64_t r = 1;
  size_t words = 0;
  char w[32];
  for (int i = 0; i < 150000; i++) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    int nsyl = 1 + (int)((r >> 60) % 4);
    size_t n = 0;
    for (int k = 0; k < nsyl; k++) {
      /* skewed choice: low syllable indexes are more frequent */
      uint32_t pick = (uint32_t)(r >> (8 * k + 3)) & 0xFF;
      const char *s = syl[(pick * pick * 12) >> 16];
      size_t l = strlen(s);
      memcpy(w + n, s, l);
      n += l;
    }
    st_add(&t, w, n);
    words++;
  }
  snode **all = xmalloc(t.count * sizeof *all);
  size_t k = 0, longest = 0;
  for (size_t i = 0; i < t.nb; i++)
    for (snode *e = t.buckets[i]; e; e = e->next) {
      all[k++] = e;
      size_t len = 0;
      for (snode *f = e; f; f = f->next) len++;
      if (len > longest) longest = len;
    }
  qsort(all, k, sizeof *all, by_count);
  printf("words: %zu tokens, %zu distinct, %zu buckets, longest chain %zu, %zu string bytes in the arena\n", words,
         t.count, t.nb, longest, t.ar.strbytes);
  printf("top:");
  for (size_t i = 0; i < 8 && i < k; i++) printf(" %s=%u", all[i]->word, all[i]->count);
  printf("\nrarest: %s=%u %s=%u\n", all[k - 1]->word, all[k - 1]->count, all[k - 2]->word, all[k - 2]->count);
  uint32_t wh = 0;
  for (size_t i = 0; i < k; i++) wh = wh * 31 + all[i]->hash + all[i]->count;
  free(all);
  for (size_t i = 0; i < t.ar.nlist; i++) free(t.ar.list[i]);
  free(t.ar.list);
  free(t.buckets);

  /* A sieve in a bit array. */
  const uint32_t LIMIT = 6000000;
  uint64_t *bits = calloc(LIMIT / 64 + 1, sizeof *bits);
  for (uint32_t i = 3; (uint64_t)i * i < LIMIT; i += 2)
    if (!(bits[i >> 6] >> (i & 63) & 1))
      for (uint32_t j = i * i; j < LIMIT; j += 2 * i) bits[j >> 6] |= 1ull << (j & 63);
  uint32_t primes = 1, last = 2, twins = 0, prev = 2;
  for (uint32_t i = 3; i < LIMIT; i += 2)
    if (!(bits[i >> 6] >> (i & 63) & 1)) {
      primes++;
      if (i - prev == 2) twins++;
      prev = last = i;
    }
  printf("sieve: %u primes below %u, largest %u, %u twin pairs\n", primes, LIMIT, last, twins);
  free(bits);

  /* Allocate, touch and free blocks of growing size; memory only grows. */
  uint64_t touch = 0;
  for (int round = 0; round < 6; round++) {
    size_t n = ((size_t)1 << 20) * (size_t)(round + 1) * 3;
    uint8_t *p = xmalloc(n);
    for (size_t i = 0; i < n; i += 4093) p[i] = (uint8_t)(i >> 7);
    p[n - 1] = (uint8_t)round;
    for (size_t i = 0; i < n; i += 4093) touch += p[i];
    touch = touch * 3 + p[n - 1];
    uint8_t *q = realloc(p, n / 3);
    touch += q[(n / 3 - 1) / 4093 * 4093]; /* a byte written above */
    free(q);
  }
  printf("touch %" PRIu64 "\n", touch);
  return (int)((wh ^ (uint32_t)check ^ primes ^ (uint32_t)touch) % 63) + 1;
}
