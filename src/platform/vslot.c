/*
 * vslot.c: the slot pool declared in platform.h.
 *
 * One class per slot size (64 KiB, 256 KiB, ... 64 MiB). A class owns a few
 * large lazily-mapped chunks (tova_vmem_map_lazy: readable and writable, no
 * RAM until touched) and carves slots out of the newest one with a bump
 * pointer; freed slots go on LIFO stacks, so the warm path of an alloc is a
 * short critical section and no system call. A chunk is one kernel mapping
 * however many slots it holds, and slots have no inaccessible guard between
 * them: users must bounds-check (the interpreter checks every access against
 * the memory's size).
 *
 * A freed slot is made clean one of two ways before anyone can take it:
 *   - cold: its dirty prefix is returned to the OS (tova_vmem_discard). That
 *     costs a system call now and a page fault per page the next user
 *     touches: about 4-5 us for a one-page memory on the machines we measure
 *     on, which alone would cap a create/free cycle near 200K/s.
 *   - warm: a small dirty prefix (<= WARM_MAX_DIRTY) is zeroed by hand and the
 *     pages stay resident, so the next user takes a clean slot with no system
 *     call and no page fault (about 1 us for 64 KiB; nothing at all when the
 *     user reports nothing dirty, as memory.c does for code that cannot
 *     store). What the warm stack keeps resident is bounded per class
 *     (WARM_MAX_BYTES), as an allocator bounds its dirty-page cache;
 *     everything beyond that goes cold, and tova_vslot_trim turns every warm
 *     slot cold.
 *
 * Invariants, per class, under its mutex:
 *   - every slot ever carved is live, on the warm stack, on the cold stack,
 *     or being cleaned for the warm stack (warm_pending);
 *   - cold_cap >= live + nwarm + warm_pending + ncold, so a free never needs
 *     to allocate;
 *   - every byte of a slot on either stack reads as zero: a slot is never
 *     handed out dirty. This rests on the user's report: nothing beyond the
 *     `dirty` prefix it passes to tova_vslot_free may be nonzero (memory.c
 *     keeps that true, see `written` in engine/store.h);
 *   - warm_bytes (the resident prefixes of slots on the warm stack or being
 *     cleaned for it) <= WARM_MAX_BYTES.
 * Cleaning runs outside the mutex: it is the slow part.
 *
 * Per-thread magazines (the smallest class only: the one-page memories of
 * tasks, made and freed by the million on the workers). A thread keeps up to
 * MAG_SLOTS clean slots of its own and takes from, and gives back to, them
 * without the class mutex, which both workers otherwise take twice per task;
 * an empty magazine takes MAG_BATCH slots from the class at once, and a slot
 * freed into a full one goes to the class as it would without magazines.
 * Each magazine has a spin lock that only its owner
 * takes, except tova_vslot_trim and tova_vslot_stats_get, which reach every
 * magazine through the registry (mags, under mags_mu); a thread's magazine
 * goes back to the class when the thread exits. For the class, a slot in a
 * magazine counts as live (handed out); stats count it as cached. Every slot
 * in a magazine reads as zero; its resident bytes are bounded by
 * MAG_SLOTS * 64 KiB per thread.
 * Lock order: mags_mu, then a magazine's lock; the class mutex is never
 * taken while a magazine lock is held.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"

#define NCLASSES 6 /* 64 KiB * 4^k, k = 0..5: up to TOVA_VSLOT_MAX_BYTES */
/* Address space per chunk: large enough that 100K small slots make a few
 * dozen mappings, small enough to be granted under a modest ulimit -v. */
#define CHUNK_BYTES ((size_t)256 << 20)
#define MIN_SLOTS_PER_CHUNK 8
/* The warm stack: zeroed by hand, resident. See above. */
#define WARM_MAX_DIRTY ((size_t)256 << 10)
#define WARM_MAX_BYTES ((size_t)2 << 20)
#define WARM_MAX_SLOTS (WARM_MAX_BYTES / TOVA_VSLOT_MIN_BYTES)

typedef struct vslot_chunk {
  struct vslot_chunk *next;
  uint8_t *base;
  size_t bytes;
} vslot_chunk;

typedef struct warm_slot {
  uint8_t *base;
  size_t resident; /* leading bytes that may be resident (all zero) */
} warm_slot;

typedef struct vslot_class {
  tova_plat_mutex lock;
  warm_slot warm[WARM_MAX_SLOTS]; /* LIFO: the most recently used first */
  size_t nwarm, warm_pending, warm_bytes;
  uint8_t **cold; /* LIFO stack of discarded slots */
  size_t ncold, cold_cap;
  vslot_chunk *chunks; /* newest first; slots are carved from the newest */
  size_t carved;       /* bytes of the newest chunk carved into slots */
  size_t live;
} vslot_class;

#define CLASS_INIT {.lock = {PTHREAD_MUTEX_INITIALIZER}}
static vslot_class classes[NCLASSES] = {CLASS_INIT, CLASS_INIT, CLASS_INIT,
                                        CLASS_INIT, CLASS_INIT, CLASS_INIT};

static size_t class_bytes(int c) { return TOVA_VSLOT_MIN_BYTES << (2 * c); }

#define MAG_SLOTS 16
#define MAG_BATCH (MAG_SLOTS / 2) /* slots a refill takes from the class at once */

typedef struct vslot_mag {
  tova_plat_spinlock lock; /* its owner's; trim and stats (see above) */
  uint32_t n;
  warm_slot s[MAG_SLOTS]; /* clean; LIFO */
  struct vslot_mag *next, *prev;
} vslot_mag;

static tova_plat_mutex mags_mu = {PTHREAD_MUTEX_INITIALIZER};
static vslot_mag *mags; /* every thread's magazine, under mags_mu */
static TOVA_TLS vslot_mag *my_mag;
static pthread_key_t mag_key;
static pthread_once_t mag_once = PTHREAD_ONCE_INIT;
static bool mag_key_ok;

static void mag_return(warm_slot *ws, uint32_t n);
static void mag_exit(void *p);

static void mag_key_init(void) { mag_key_ok = pthread_key_create(&mag_key, mag_exit) == 0; }

/* This thread's magazine, made on first use; NULL if it cannot be (no
 * memory, no key): the thread then uses the class directly. */
static vslot_mag *mag_mine(void) {
  if (my_mag) return my_mag;
  pthread_once(&mag_once, mag_key_init);
  if (!mag_key_ok) return NULL;
  vslot_mag *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  tova_plat_spin_init(&g->lock);
  if (pthread_setspecific(mag_key, g) != 0) {
    free(g);
    return NULL;
  }
  tova_plat_mutex_lock(&mags_mu);
  g->next = mags;
  if (mags) mags->prev = g;
  mags = g;
  tova_plat_mutex_unlock(&mags_mu);
  my_mag = g;
  return g;
}

/* Thread exit (the key's destructor, on the exiting thread): the magazine's
 * slots go back to the class. */
static void mag_exit(void *p) {
  vslot_mag *g = p;
  my_mag = NULL;
  tova_plat_mutex_lock(&mags_mu);
  if (g->prev) g->prev->next = g->next;
  else mags = g->next;
  if (g->next) g->next->prev = g->prev;
  tova_plat_mutex_unlock(&mags_mu);
  /* Unlisted: no trim or stats can reach it any more. */
  mag_return(g->s, g->n);
  free(g);
}

static int class_of(size_t bytes) {
  for (int c = 0; c < NCLASSES; c++)
    if (bytes <= class_bytes(c)) return c;
  return -1;
}

/* Map a new chunk for slots of slot_bytes, halving the request while the OS
 * refuses, down to a single slot. Called with the class locked. */
static bool add_chunk(vslot_class *k, size_t slot_bytes) {
  size_t bytes = slot_bytes * MIN_SLOTS_PER_CHUNK;
  if (bytes < CHUNK_BYTES) bytes = CHUNK_BYTES;
  vslot_chunk *ch = malloc(sizeof *ch);
  if (!ch) return false;
  uint8_t *base = NULL;
  while (!(base = tova_vmem_map_lazy(bytes)) && bytes > slot_bytes) bytes /= 2;
  if (!base) {
    free(ch);
    return false;
  }
  ch->base = base;
  ch->bytes = bytes / slot_bytes * slot_bytes;
  ch->next = k->chunks;
  k->chunks = ch;
  k->carved = 0;
  return true;
}

/* Keep room on the cold stack for every carved slot (see the invariants). */
static bool reserve_cold(vslot_class *k, size_t total) {
  if (total <= k->cold_cap) return true;
  size_t cap = k->cold_cap ? k->cold_cap * 2 : 64;
  while (cap < total) cap *= 2;
  uint8_t **stack = realloc(k->cold, cap * sizeof *stack);
  if (!stack) return false;
  k->cold = stack;
  k->cold_cap = cap;
  return true;
}

static size_t carved_slots(const vslot_class *k) {
  return k->live + k->nwarm + k->warm_pending + k->ncold;
}

bool tova_vslot_alloc(size_t bytes, tova_vslot *out) {
  out->base = NULL;
  out->bytes = out->resident = 0;
  int c = class_of(bytes);
  if (c < 0) return false;
  size_t slot_bytes = class_bytes(c);
  vslot_class *k = &classes[c];
  uint8_t *p = NULL;
  size_t resident = 0;
  vslot_mag *g = c == 0 ? mag_mine() : NULL;
  if (g) {
    tova_plat_spin_lock(&g->lock);
    if (!g->n) {
      /* Empty: refill MAG_BATCH from the class's stacks, one mutex. */
      tova_plat_spin_unlock(&g->lock);
      warm_slot got[MAG_BATCH];
      uint32_t m = 0;
      tova_plat_mutex_lock(&k->lock);
      while (m < MAG_BATCH && k->nwarm) {
        got[m] = k->warm[--k->nwarm];
        k->warm_bytes -= got[m++].resident;
      }
      while (m < MAG_BATCH && k->ncold) got[m++] = (warm_slot){k->cold[--k->ncold], 0};
      k->live += m;
      tova_plat_mutex_unlock(&k->lock);
      tova_plat_spin_lock(&g->lock);
      /* Trim may have emptied it meanwhile, never filled it: room for all. */
      for (uint32_t i = 0; i < m; i++) g->s[g->n++] = got[m - 1 - i];
    }
    if (g->n) {
      warm_slot w = g->s[--g->n];
      tova_plat_spin_unlock(&g->lock);
      out->base = w.base;
      out->bytes = slot_bytes;
      out->resident = w.resident;
      return true;
    }
    tova_plat_spin_unlock(&g->lock);
    /* The class had none cached: carve one below. */
  }
  tova_plat_mutex_lock(&k->lock);
  if (k->nwarm) {
    warm_slot *w = &k->warm[--k->nwarm];
    k->warm_bytes -= w->resident;
    p = w->base;
    resident = w->resident;
  } else if (k->ncold) {
    p = k->cold[--k->ncold];
  } else if (reserve_cold(k, carved_slots(k) + 1)) {
    if ((k->chunks && k->carved + slot_bytes <= k->chunks->bytes) || add_chunk(k, slot_bytes)) {
      p = k->chunks->base + k->carved;
      k->carved += slot_bytes;
    }
  }
  if (p) k->live++;
  tova_plat_mutex_unlock(&k->lock);
  if (!p) return false;
  out->base = p;
  out->bytes = slot_bytes;
  out->resident = resident;
  return true;
}

void tova_vslot_free(tova_vslot *slot, size_t dirty) {
  if (!slot || !slot->base) return;
  int c = class_of(slot->bytes);
  if (c < 0) return; /* not one of ours: nothing sensible to do */
  size_t page = tova_vmem_page_size();
  if (dirty > slot->bytes) dirty = slot->bytes;
  dirty = (dirty + page - 1) / page * page;
  /* What may be resident after cleaning: the dirty part, and what the slot
   * already held resident (zero) when it was handed out. Only the dirty part
   * needs zeroing; the resident part is what the warm bound counts and what
   * going cold gives back to the OS. */
  size_t resident = dirty > slot->resident ? dirty : slot->resident;
  if (resident > slot->bytes) resident = slot->bytes;
  vslot_class *k = &classes[c];
  uint8_t *base = slot->base;
  slot->base = NULL;
  slot->bytes = slot->resident = 0;

  if (c == 0) {
    /* Into this thread's magazine while it has room (only its owner fills
     * it, so room seen now is room after cleaning). A full magazine leaves
     * the slot to the class below: a burst of frees is not zeroed by hand
     * only to be returned to the OS. */
    vslot_mag *g = mag_mine();
    bool room = false;
    if (g) {
      tova_plat_spin_lock(&g->lock);
      room = g->n < MAG_SLOTS;
      tova_plat_spin_unlock(&g->lock);
    }
    if (room) {
      if (dirty) memset(base, 0, dirty); /* now clean: resident, all zero */
      tova_plat_spin_lock(&g->lock);
      g->s[g->n++] = (warm_slot){base, resident};
      tova_plat_spin_unlock(&g->lock);
      return;
    }
  }
  bool warm = false;
  if (resident <= WARM_MAX_DIRTY) {
    tova_plat_mutex_lock(&k->lock);
    warm = k->nwarm + k->warm_pending < WARM_MAX_SLOTS &&
           k->warm_bytes + resident <= WARM_MAX_BYTES;
    if (warm && !dirty) {
      /* Already clean (its user wrote nothing): straight onto the stack. */
      k->warm_bytes += resident;
      k->live--;
      k->warm[k->nwarm++] = (warm_slot){base, resident};
      tova_plat_mutex_unlock(&k->lock);
      return;
    }
    if (warm) {
      k->warm_pending++;
      k->warm_bytes += resident;
      k->live--;
    }
    tova_plat_mutex_unlock(&k->lock);
  }
  if (warm) {
    if (dirty) memset(base, 0, dirty);
    tova_plat_mutex_lock(&k->lock);
    k->warm_pending--;
    k->warm[k->nwarm++] = (warm_slot){base, resident};
    tova_plat_mutex_unlock(&k->lock);
    return;
  }
  tova_vmem_discard(base, resident);
  tova_plat_mutex_lock(&k->lock);
  k->cold[k->ncold++] = base;
  k->live--;
  tova_plat_mutex_unlock(&k->lock);
}

/* Give clean slots of class 0 from a magazine back to the class: onto its
 * warm stack while the bound allows, else returned to the OS (cold). */
static void mag_return(warm_slot *ws, uint32_t n) {
  vslot_class *k = &classes[0];
  uint32_t i = 0;
  tova_plat_mutex_lock(&k->lock);
  for (; i < n && k->nwarm + k->warm_pending < WARM_MAX_SLOTS &&
         k->warm_bytes + ws[i].resident <= WARM_MAX_BYTES;
       i++) {
    k->warm_bytes += ws[i].resident;
    k->warm[k->nwarm++] = ws[i];
    k->live--;
  }
  tova_plat_mutex_unlock(&k->lock);
  if (i == n) return;
  for (uint32_t j = i; j < n; j++) tova_vmem_discard(ws[j].base, ws[j].resident);
  tova_plat_mutex_lock(&k->lock);
  for (; i < n; i++) {
    k->cold[k->ncold++] = ws[i].base;
    k->live--;
  }
  tova_plat_mutex_unlock(&k->lock);
}

void tova_vslot_stats_get(tova_vslot_stats *out) {
  tova_vslot_stats s = {0, 0, 0, 0, 0};
  for (int c = 0; c < NCLASSES; c++) {
    vslot_class *k = &classes[c];
    tova_plat_mutex_lock(&k->lock);
    s.live += k->live;
    s.cached += k->nwarm + k->warm_pending + k->ncold;
    s.warm_bytes += k->warm_bytes;
    for (vslot_chunk *ch = k->chunks; ch; ch = ch->next) {
      s.reserved_bytes += ch->bytes;
      s.mappings++;
    }
    tova_plat_mutex_unlock(&k->lock);
  }
  /* Slots in magazines: live for their class, cached for the caller. */
  tova_plat_mutex_lock(&mags_mu);
  for (vslot_mag *g = mags; g; g = g->next) {
    tova_plat_spin_lock(&g->lock);
    s.live -= g->n;
    s.cached += g->n;
    for (uint32_t i = 0; i < g->n; i++) s.warm_bytes += g->s[i].resident;
    tova_plat_spin_unlock(&g->lock);
  }
  tova_plat_mutex_unlock(&mags_mu);
  *out = s;
}

void tova_vslot_trim(void) {
  /* Every thread's magazine first: its slots go back to their class. */
  tova_plat_mutex_lock(&mags_mu);
  for (vslot_mag *g = mags; g; g = g->next) {
    warm_slot taken[MAG_SLOTS];
    tova_plat_spin_lock(&g->lock);
    uint32_t n = g->n;
    memcpy(taken, g->s, n * sizeof taken[0]);
    g->n = 0;
    tova_plat_spin_unlock(&g->lock);
    mag_return(taken, n);
  }
  tova_plat_mutex_unlock(&mags_mu);
  for (int c = 0; c < NCLASSES; c++) {
    vslot_class *k = &classes[c];
    tova_plat_mutex_lock(&k->lock);
    /* Warm slots go cold: their pages go back to the OS. The discard runs
     * under the lock here; trimming is rare and not on anyone's fast path. */
    while (k->nwarm) {
      warm_slot *w = &k->warm[--k->nwarm];
      tova_vmem_discard(w->base, w->resident);
      k->warm_bytes -= w->resident;
      k->cold[k->ncold++] = w->base;
    }
    if (k->live == 0 && k->warm_pending == 0) {
      while (k->chunks) {
        vslot_chunk *ch = k->chunks;
        k->chunks = ch->next;
        tova_vmem_release(ch->base, ch->bytes);
        free(ch);
      }
      free(k->cold);
      k->cold = NULL;
      k->ncold = k->cold_cap = 0;
      k->carved = 0;
    }
    tova_plat_mutex_unlock(&k->lock);
  }
}
