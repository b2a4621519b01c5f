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
 */
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
  *out = s;
}

void tova_vslot_trim(void) {
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
