/* chan_registry.c: the process-global table of channel handles (design in
 * chan_registry.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/chan_registry.h"

#define SEG_BITS TOVA_RT_SEG_BITS
#define SEG_SIZE TOVA_RT_SEG_SIZE
#define INDEX_LIMIT (1u << TOVA_RT_ID_INDEX_BITS)
#define INDEX_MASK TOVA_RT_ID_INDEX_MASK
#define SEG_COUNT (INDEX_LIMIT / SEG_SIZE)
#define GEN_MASK TOVA_RT_ID_GEN_MASK
_Static_assert(TOVA_RT_ID_INDEX_BITS + TOVA_RT_ID_GEN_BITS <= 31, "ids must stay non-negative as i32");
/* A slot is its channel: two cache lines, the first one hot (see the
 * header). Slots never share a line with another channel's. */
_Static_assert(sizeof(tova_rt_chan_slot) == 2 * TOVA_RT_SLOT_ALIGN, "a slot is two cache lines");
/* Free slots kept back before reuse (see the header: how long an old id stays
 * distinct). 2^16 slots of 128 bytes: 8 MiB at most, once that many
 * channels have been freed. */
#define FREE_RESERVE 65536u
#define NO_INDEX 0u /* index 0 is never handed out, so id 0 is never a channel */

/* Segments are created on demand and published with a release CAS after
 * their mutexes are initialised; readers use acquire loads. They are never
 * freed: they stay reachable from this array, so leak checkers stay quiet. */
_Atomic(tova_rt_chan_slot *) tova_rt_chan_segments[SEG_COUNT];
static _Atomic uint32_t next_index = 1; /* first index never handed out */

/* FIFO of free slot indices, linked through next_free. Lock order: a slot's
 * mutex, then free_mu (release runs under the slot lock); never the reverse. */
static tova_plat_mutex free_mu = {PTHREAD_MUTEX_INITIALIZER};
static uint32_t free_head = NO_INDEX, free_tail = NO_INDEX, free_count;

static tova_rt_chan_slot *segment_get_or_make(uint32_t si) {
  tova_rt_chan_slot *seg = atomic_load_explicit(&tova_rt_chan_segments[si], memory_order_acquire);
  if (seg) return seg;
  tova_rt_chan_slot *fresh = aligned_alloc(TOVA_RT_SLOT_ALIGN, SEG_SIZE * sizeof *fresh);
  if (!fresh) return NULL;
  memset(fresh, 0, SEG_SIZE * sizeof *fresh);
  for (uint32_t i = 0; i < SEG_SIZE; i++) {
    fresh[i].index = si * SEG_SIZE + i;
    tova_plat_spin_init(&fresh[i].mu);
  }
  tova_rt_chan_slot *expected = NULL;
  if (atomic_compare_exchange_strong_explicit(&tova_rt_chan_segments[si], &expected, fresh,
                                              memory_order_acq_rel, memory_order_acquire))
    return fresh;
  /* Another thread published this segment first: use theirs. */
  free(fresh);
  return expected;
}

/* The slot of a handed-out index (its segment exists). */
static tova_rt_chan_slot *slot_at(uint32_t index) {
  tova_rt_chan_slot *seg = atomic_load_explicit(&tova_rt_chan_segments[index >> SEG_BITS], memory_order_acquire);
  return &seg[index & (SEG_SIZE - 1)];
}

/* A free index to reuse, or NO_INDEX. With fresh indices left, only once
 * FREE_RESERVE slots are free; otherwise any free slot. */
static uint32_t pop_free(bool fresh_left) {
  tova_plat_mutex_lock(&free_mu);
  uint32_t index = NO_INDEX;
  if (free_count > 0 && (!fresh_left || free_count >= FREE_RESERVE)) {
    index = free_head;
    free_head = slot_at(index)->next_free;
    if (free_head == NO_INDEX) free_tail = NO_INDEX;
    free_count--;
  }
  tova_plat_mutex_unlock(&free_mu);
  return index;
}

/* A never used index, or NO_INDEX when all are taken. CAS loop rather than
 * fetch_add so the counter stops at the limit instead of wrapping. */
static uint32_t take_fresh(void) {
  uint32_t n = atomic_load(&next_index);
  do {
    if (n >= INDEX_LIMIT) return NO_INDEX;
  } while (!atomic_compare_exchange_weak(&next_index, &n, n + 1));
  return n;
}

tova_status tova_rt_chan_slot_new(tova_chan_id *id, tova_rt_chan_slot **slot) {
  uint32_t index = pop_free(atomic_load(&next_index) < INDEX_LIMIT);
  if (index == NO_INDEX) {
    index = take_fresh();
    if (index == NO_INDEX) index = pop_free(false); /* raced to the limit */
    if (index == NO_INDEX) return TOVA_ERR_NOMEM;    /* 2^21 - 1 channels open */
    /* A fresh index whose segment cannot be made stays unused for good:
     * lookups of it find no segment or a FREE slot ("not found"). */
    if (!segment_get_or_make(index >> SEG_BITS)) return TOVA_ERR_NOMEM;
  }
  tova_rt_chan_slot *s = slot_at(index);
  tova_rt_slot_lock(s);
  s->state = TOVA_RT_SLOT_UNBORN;
  *id = ((s->gen & GEN_MASK) << TOVA_RT_ID_INDEX_BITS) | index;
  tova_rt_slot_unlock(s);
  *slot = s;
  return TOVA_OK;
}

tova_rt_chan_slot *tova_rt_chan_slot_miss(tova_rt_chan_slot *s, uint32_t gen, tova_status *why) {
  /* A generation the slot has passed was handed out and its channel freed
   * (a slot is released only then). Once the counter has wrapped, every
   * generation has been handed out at least once. */
  *why = (s->gen & GEN_MASK) != gen && (s->gen > GEN_MASK || gen < s->gen) ? TOVA_ERR_CLOSED
                                                                          : TOVA_ERR_NOT_FOUND;
  tova_rt_slot_unlock(s);
  return NULL;
}

void tova_rt_chan_slot_release(tova_rt_chan_slot *s) {
  s->chan = NULL;
  s->state = TOVA_RT_SLOT_FREE;
  s->gen++; /* wraps after 2^32 releases; ids use the low bits anyway */
  tova_plat_mutex_lock(&free_mu);
  s->next_free = NO_INDEX;
  if (free_tail != NO_INDEX) slot_at(free_tail)->next_free = s->index;
  else free_head = s->index;
  free_tail = s->index;
  free_count++;
  tova_plat_mutex_unlock(&free_mu);
}
