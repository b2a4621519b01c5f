/*
 * test_memory_pool.c: linear memories carved out of the slot pool
 * (src/platform/vslot.c, src/engine/memory.c).
 *
 *   - a reused slot reads as zero after its previous user dirtied it, both
 *     when it was zeroed by hand (warm) and when its pages went back to the OS
 *     (cold);
 *   - growing across slot sizes, and out of the pool into an own mapping,
 *     keeps the data and gives zero pages beyond it;
 *   - 100K one-page memories live at once (more than two kernel mappings
 *     each would allow under vm.max_map_count's default 65530), each
 *     instantiated from a module with a data segment;
 *   - freed pages really go back to the OS, also those a warm slot had
 *     zeroed by hand for a user that touched less of it (Linux: mincore);
 *   - freeing everything returns the pool to empty;
 *   - memories of 4 MiB and more ask for large pages (Linux), and a small
 *     memory reusing such a slot gets small pages again;
 *   - create/grow/free from several threads at once (also run under TSan).
 *
 * Every test leaves no memory alive, so the pool's live count must be back
 * to its value at the start (zero: this process creates memories nowhere
 * else).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>

#include "check.h"
#include "maps_count.h"
#include "engine/store.h" /* wasm_memory_grow, WASM_PAGE_SIZE */
#include "platform/platform.h"

static size_t pool_live(void) {
  tova_vslot_stats st;
  tova_vslot_stats_get(&st);
  return st.live;
}

/* Every byte zero (memcmp against a zero block: fast, also under TSan). */
static bool all_zero(const uint8_t *p, size_t n) {
  static const uint8_t zeros[4096];
  for (size_t at = 0; at < n; at += sizeof zeros) {
    size_t len = n - at < sizeof zeros ? n - at : sizeof zeros;
    if (memcmp(p + at, zeros, len) != 0) return false;
  }
  return true;
}

/* A store holding one memory of `pages` pages (no declared maximum). */
static tova_memory *new_memory(tova_store **s, uint32_t pages) {
  *s = tova_store_new(NULL);
  return *s ? tova_memory_new(*s, pages, 0, false) : NULL;
}

/* Dirty every byte of a memory, free it, take a new one of the same size:
 * same slot (the free stacks are LIFO and nothing else runs), all zero. */
static void reuse_is_zero(uint32_t pages) {
  tova_store *s;
  tova_memory *m = new_memory(&s, pages);
  CHECK(m != NULL);
  if (!m) return;
  uint64_t size;
  uint8_t *old = tova_memory_data(m, &size);
  memset(old, 0xAB, (size_t)size);
  tova_store_free(s);

  m = new_memory(&s, pages);
  CHECK(m != NULL);
  if (!m) return;
  uint8_t *data = tova_memory_data(m, &size);
  CHECK(data == old); /* the dirtied slot really was the one reused */
  CHECK_EQ_I64(size, (uint64_t)pages * WASM_PAGE_SIZE);
  CHECK(all_zero(data, (size_t)size));
  tova_store_free(s);
}

static void test_reuse_warm_and_cold(void) {
  reuse_is_zero(1); /* 64 KiB dirty: zeroed by hand, kept warm */
  reuse_is_zero(8); /* 512 KiB dirty: beyond the warm limit, discarded */

  /* More freed slots than the warm stack keeps: the rest go cold. Every one
   * of them must come back zero. */
  enum { N = 100 };
  tova_store *s[N];
  for (int i = 0; i < N; i++) {
    tova_memory *m = new_memory(&s[i], 1);
    CHECK(m != NULL);
    if (m) memset(tova_memory_data(m, NULL), 0xCD, WASM_PAGE_SIZE);
  }
  for (int i = 0; i < N; i++) tova_store_free(s[i]);
  int dirty = 0;
  for (int i = 0; i < N; i++) {
    tova_memory *m = new_memory(&s[i], 1);
    CHECK(m != NULL);
    if (m && !all_zero(tova_memory_data(m, NULL), WASM_PAGE_SIZE)) dirty++;
  }
  CHECK_EQ_I64(dirty, 0);
  for (int i = 0; i < N; i++) tova_store_free(s[i]);
  CHECK_EQ_I64(pool_live(), 0);
}

#if defined(__linux__)
/* Pages of [p, p+n) resident in RAM. */
static size_t resident_pages(const uint8_t *p, size_t n) {
  size_t page = tova_vmem_page_size(), count = n / page, res = 0;
  unsigned char *vec = malloc(count);
  if (!vec || mincore((void *)p, n, vec) != 0) abort();
  for (size_t i = 0; i < count; i++) res += vec[i] & 1;
  free(vec);
  return res;
}

static void test_freed_pages_leave_ram(void) {
  tova_vslot_trim(); /* no warm slots left over from the tests before */
  const size_t SLOT = (size_t)256 << 10;
  tova_vslot x;
  CHECK(tova_vslot_alloc(SLOT, &x));
  if (!x.base) return;
  uint8_t *xbase = x.base;
  memset(x.base, 1, SLOT);
  CHECK_EQ_I64(resident_pages(xbase, SLOT), SLOT / tova_vmem_page_size());
  tova_vslot_free(&x, SLOT); /* small enough to be kept warm: zeroed, resident */
  CHECK(tova_vslot_alloc(SLOT, &x));
  CHECK(x.base == xbase);
  CHECK(all_zero(x.base, SLOT));
  /* Fill the warm stack with other slots, so X's next free goes cold. */
  enum { OTHERS = 16 };
  tova_vslot others[OTHERS];
  for (int i = 0; i < OTHERS; i++) {
    CHECK(tova_vslot_alloc(SLOT, &others[i]));
    if (others[i].base) memset(others[i].base, 2, SLOT);
  }
  for (int i = 0; i < OTHERS; i++) tova_vslot_free(&others[i], SLOT);
  /* Its new user touched one page only, but the whole hand-zeroed part goes
   * back to the OS, not just that page. */
  x.base[0] = 3;
  tova_vslot_free(&x, 1);
  CHECK_EQ_I64(resident_pages(xbase, SLOT), 0);
  /* And trimming returns the warm ones too. */
  tova_vslot_trim();
  tova_vslot_stats st;
  tova_vslot_stats_get(&st);
  CHECK_EQ_I64(st.warm_bytes, 0);
  CHECK_EQ_I64(pool_live(), 0);
}
/* Transparent huge pages can be had by advice here (not "never"). */
static bool thp_by_advice(void) {
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f) return false;
  char line[128] = {0};
  bool ok = fgets(line, sizeof line, f) && (strstr(line, "[always]") || strstr(line, "[madvise]"));
  fclose(f);
  return ok;
}

/* A memory of 4 MiB or more asks for large pages: one touched byte makes its
 * whole 2 MiB page resident (mincore counts 512 small pages). A small memory
 * that takes the same slot afterwards is back on small pages, and reads
 * zero. */
static void test_large_memories_use_large_pages(void) {
  if (!thp_by_advice()) {
    printf("  (skipped: transparent huge pages are off on this machine)\n");
    return;
  }
  const size_t big = (size_t)8 << 20, huge = (size_t)2 << 20;
  tova_store *s;
  tova_memory *m = new_memory(&s, (uint32_t)(big / WASM_PAGE_SIZE));
  CHECK(m != NULL);
  if (!m) return;
  uint8_t *data = tova_memory_data(m, NULL);
  /* The slot is aligned to large pages; touch one byte in each. */
  size_t whole = 0;
  for (size_t at = 0; at < big; at += huge) {
    data[at + 100] = 1;
    if (resident_pages(data + at, huge) == huge / tova_vmem_page_size()) whole++;
  }
  /* The kernel may fail to find a free 2 MiB block now and then; all four
   * failing means the advice was not given. */
  CHECK(whole >= 1);
  tova_store_free(s);

  /* Same slot class (16 MiB), small user: ordinary pages, all zero. */
  s = tova_store_new(NULL);
  m = s ? tova_memory_new(s, 1, (uint32_t)(((size_t)16 << 20) / WASM_PAGE_SIZE), true) : NULL;
  CHECK(m != NULL);
  if (!m) return;
  uint8_t *small = tova_memory_data(m, NULL);
  CHECK(small == data); /* the slot just freed */
  CHECK(all_zero(small, WASM_PAGE_SIZE));
  small[300] = 1;
  CHECK(resident_pages(small, huge) < huge / tova_vmem_page_size());
  tova_store_free(s);
  reuse_is_zero((uint32_t)(big / WASM_PAGE_SIZE)); /* dirty large pages come back zero */
  CHECK_EQ_I64(pool_live(), 0);
}
#endif

/* Byte i of the memory holds (i * 7 + i / 65536) & 0xFF over `bytes`. */
static void fill(uint8_t *p, size_t bytes) {
  for (size_t i = 0; i < bytes; i += 4093) p[i] = (uint8_t)(i * 7 + i / 65536);
}
static bool filled(const uint8_t *p, size_t bytes) {
  for (size_t i = 0; i < bytes; i += 4093)
    if (p[i] != (uint8_t)(i * 7 + i / 65536)) return false;
  return true;
}

static void test_growth_across_slots(void) {
  tova_store *s;
  tova_memory *m = new_memory(&s, 1);
  CHECK(m != NULL);
  if (!m) return;
  /* 1 -> 3 -> 20 -> 300 -> 1100 pages: 64 KiB, 256 KiB, 4 MiB and 64 MiB
   * slots, then past the largest slot into an own mapping (68.75 MiB). */
  static const uint32_t steps[] = {3, 20, 300, 1100};
  uint64_t size;
  uint8_t *data = tova_memory_data(m, &size);
  fill(data, (size_t)size);
  int moved = 0;
  for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
    uint64_t old_size = size;
    uint8_t *old = data;
    CHECK_EQ_I64(wasm_memory_grow(m, steps[k] - tova_memory_pages(m)), old_size / WASM_PAGE_SIZE);
    data = tova_memory_data(m, &size);
    CHECK_EQ_I64(size, (uint64_t)steps[k] * WASM_PAGE_SIZE);
    if (data != old) moved++;
    CHECK(filled(data, (size_t)old_size));                         /* kept */
    CHECK(all_zero(data + old_size, (size_t)(size - old_size)));   /* new pages */
    fill(data, (size_t)size);
  }
  CHECK(moved >= 3); /* it did cross slot sizes */
  CHECK_EQ_I64(pool_live(), 0); /* in its own mapping now: no slot held */
  tova_store_free(s);

  /* A declared maximum that fits a slot gets that slot at once: no move. */
  s = tova_store_new(NULL);
  m = tova_memory_new(s, 1, 16, true);
  CHECK(m != NULL);
  if (m) {
    data = tova_memory_data(m, NULL);
    data[5] = 9;
    CHECK_EQ_I64(wasm_memory_grow(m, 15), 1);
    CHECK(tova_memory_data(m, &size) == data);
    CHECK_EQ_I64(data[5], 9);
    CHECK(all_zero(data + WASM_PAGE_SIZE, (size_t)(size - WASM_PAGE_SIZE)));
  }
  tova_store_free(s);
  CHECK_EQ_I64(pool_live(), 0);
}

/* Instances of (module (memory 1) (data (i32.const 16) "tova")
 * (func (export "f") (result i32) (i32.load8_u (i32.const 16)))). */
static const uint8_t MEM1_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01,
    'f',  0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x41, 0x10, 0x2d, 0x00, 0x00, 0x0b,
    0x0b, 0x0a, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x04, 't',  'o',  'v',  'a'};

static void test_100k_live_then_empty(void) {
  enum { N = 100000 };
  tova_error err = {0};
  tova_module *mod = NULL;
  CHECK_EQ_I64(tova_module_compile(MEM1_WASM, sizeof MEM1_WASM, &mod, &err), TOVA_OK);
  if (!mod) return;
  tova_store **stores = calloc(N, sizeof *stores);
  uint8_t **bases = calloc(N, sizeof *bases);
  if (!stores || !bases) abort();
  /* Counted as growth: sanitizers and loaded libraries (LLVM) map plenty of
   * their own. */
  long maps_before = kernel_mappings();
  int made = 0, wrong = 0;
  for (int i = 0; i < N; i++) {
    tova_instance *inst = NULL;
    stores[i] = tova_store_new(NULL);
    if (!stores[i] || tova_instance_new(stores[i], mod, NULL, 0, &inst, &err) != TOVA_OK) {
      fprintf(stderr, "instance %d: %s\n", i, err.message);
      break;
    }
    made++;
    uint8_t *data = tova_memory_data(inst->mem0, NULL);
    bases[i] = data;
    if (memcmp(data + 16, "tova", 4) != 0 || data[0] != 0) wrong++;
    data[20] = (uint8_t)i; /* each instance's own byte: no two share a slot */
  }
  CHECK_EQ_I64(made, N);
  CHECK_EQ_I64(wrong, 0);
  CHECK_EQ_I64(pool_live(), made);
  long maps = kernel_mappings();
  if (maps >= 0 && maps_before >= 0) CHECK(maps - maps_before < 1000); /* was 2 per memory: 200K */
  int clobbered = 0;
  for (int i = 0; i < made; i++) clobbered += bases[i][20] != (uint8_t)i;
  CHECK_EQ_I64(clobbered, 0);
  for (int i = 0; i < made; i++) tova_store_free(stores[i]);
  free(stores);
  free(bases);
  tova_module_release(mod);

  tova_vslot_stats st;
  tova_vslot_stats_get(&st);
  CHECK_EQ_I64(st.live, 0);
  CHECK(st.cached >= (size_t)made); /* kept for reuse... */
  tova_vslot_trim();
  tova_vslot_stats_get(&st);
  CHECK_EQ_I64(st.live, 0); /* ...until trimmed: then the pool is empty */
  CHECK_EQ_I64(st.cached, 0);
  CHECK_EQ_I64(st.warm_bytes, 0);
  CHECK_EQ_I64(st.reserved_bytes, 0);
  CHECK_EQ_I64(st.mappings, 0);

  /* And it starts again from empty. */
  tova_store *s;
  tova_memory *m = new_memory(&s, 1);
  CHECK(m != NULL && all_zero(tova_memory_data(m, NULL), WASM_PAGE_SIZE));
  tova_store_free(s);
  tova_vslot_trim();
}

/* Each thread: create memories of 1, 2 or 5 pages, check they are zero,
 * dirty them with its own pattern, sometimes grow them (across slot sizes),
 * check the pattern survived, free. A slot handed to two users at once or
 * handed out dirty shows up as a wrong byte. */
enum { THREADS = 4, ROUNDS = TEST_HEAVY(600) };

typedef struct worker {
  int id;
  int bad;
} worker;

static void *churn(void *arg) {
  worker *w = arg;
  uint32_t seed = (uint32_t)w->id * 2654435761u + 1;
  tova_store *held[4] = {0};
  tova_memory *mems[4] = {0};
  for (int r = 0; r < ROUNDS; r++) {
    int k = r % 4;
    if (held[k]) {
      uint64_t size;
      uint8_t *data = tova_memory_data(mems[k], &size);
      for (size_t i = 0; i < size; i += 4096) w->bad += data[i] != (uint8_t)(w->id + 1);
      tova_store_free(held[k]);
      held[k] = NULL;
    }
    seed = seed * 1103515245u + 12345u;
    static const uint32_t sizes[] = {1, 2, 5};
    uint32_t pages = sizes[(seed >> 16) % 3];
    tova_memory *m = new_memory(&held[k], pages);
    if (!m) {
      w->bad++;
      continue;
    }
    uint64_t size;
    uint8_t *data = tova_memory_data(m, &size);
    w->bad += !all_zero(data, (size_t)size);
    memset(data, w->id + 1, (size_t)size);
    if ((seed >> 20) % 4 == 0) {
      uint32_t old = tova_memory_pages(m);
      w->bad += wasm_memory_grow(m, 6) != old;
      data = tova_memory_data(m, &size);
      for (size_t i = 0; i < (size_t)old * WASM_PAGE_SIZE; i += 4096)
        w->bad += data[i] != (uint8_t)(w->id + 1);
      w->bad += !all_zero(data + (size_t)old * WASM_PAGE_SIZE, 6u * WASM_PAGE_SIZE);
      memset(data, w->id + 1, (size_t)size);
    }
    mems[k] = m;
  }
  for (int k = 0; k < 4; k++) tova_store_free(held[k]);
  return NULL;
}

static void test_concurrent_churn(void) {
  pthread_t th[THREADS];
  worker w[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker){i, 0};
    CHECK(pthread_create(&th[i], NULL, churn, &w[i]) == 0);
  }
  int bad = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    bad += w[i].bad;
  }
  CHECK_EQ_I64(bad, 0);
  CHECK_EQ_I64(pool_live(), 0);
}

/* Per-thread magazines (vslot.c): a thread's freed small slots stay with
 * it, counted as cached, all zero; trim from another thread empties them
 * while their thread lives; a thread's exit gives them back to the pool. */
typedef struct mag_worker {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int phase; /* 0 run, 1 freed and waiting, 2 go on, 3 done */
  uint8_t *first;
  int bad;
} mag_worker;

static void mag_wait(mag_worker *w, int phase) {
  pthread_mutex_lock(&w->mu);
  while (w->phase != phase) pthread_cond_wait(&w->cv, &w->mu);
  pthread_mutex_unlock(&w->mu);
}

static void mag_set(mag_worker *w, int phase) {
  pthread_mutex_lock(&w->mu);
  w->phase = phase;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

static void *mag_thread(void *arg) {
  mag_worker *w = arg;
  enum { K = 4 };
  tova_vslot v[K];
  for (int i = 0; i < K; i++) {
    if (!tova_vslot_alloc(TOVA_VSLOT_MIN_BYTES, &v[i])) w->bad++;
    else memset(v[i].base, 0x5a, 100);
  }
  w->first = v[K - 1].base;
  for (int i = 0; i < K; i++) tova_vslot_free(&v[i], 100);
  /* The last freed comes back first, from this thread's magazine, clean. */
  tova_vslot again;
  if (!tova_vslot_alloc(TOVA_VSLOT_MIN_BYTES, &again) || again.base != w->first ||
      !all_zero(again.base, TOVA_VSLOT_MIN_BYTES))
    w->bad++;
  if (again.base) tova_vslot_free(&again, 0);
  mag_set(w, 1);
  mag_wait(w, 2);
  /* After a trim by another thread: still a clean slot. */
  tova_vslot after;
  if (!tova_vslot_alloc(TOVA_VSLOT_MIN_BYTES, &after) || !all_zero(after.base, TOVA_VSLOT_MIN_BYTES))
    w->bad++;
  if (after.base) {
    after.base[7] = 1;
    tova_vslot_free(&after, 8);
  }
  return NULL;
}

static void test_thread_magazines(void) {
  tova_vslot_trim();
  mag_worker w = {.phase = 0};
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, mag_thread, &w) == 0);
  mag_wait(&w, 1);
  tova_vslot_stats st;
  tova_vslot_stats_get(&st);
  CHECK_EQ_I64(st.live, 0); /* in its magazine: not live... */
  CHECK(st.cached >= 4);    /* ...but kept */
  tova_vslot_trim();        /* reaches the living thread's magazine */
  tova_vslot_stats_get(&st);
  CHECK_EQ_I64(st.live, 0);
  CHECK_EQ_I64(st.cached, 0);
  CHECK_EQ_I64(st.mappings, 0);
  mag_set(&w, 2);
  pthread_join(th, NULL);
  CHECK_EQ_I64(w.bad, 0);
  /* Its exit gave its magazine back: nothing live, the slot cached. */
  tova_vslot_stats_get(&st);
  CHECK_EQ_I64(st.live, 0);
  CHECK(st.cached >= 1);
  tova_vslot_trim();
  tova_vslot_stats_get(&st);
  CHECK_EQ_I64(st.cached, 0);
  CHECK_EQ_I64(st.reserved_bytes, 0);
  pthread_mutex_destroy(&w.mu);
  pthread_cond_destroy(&w.cv);
}

int main(void) {
  RUN(test_reuse_warm_and_cold);
  RUN(test_growth_across_slots);
#if defined(__linux__)
  RUN(test_freed_pages_leave_ram);
  RUN(test_large_memories_use_large_pages);
#endif
  RUN(test_100k_live_then_empty);
  RUN(test_concurrent_churn);
  RUN(test_thread_magazines);
  return CHECK_DONE();
}
