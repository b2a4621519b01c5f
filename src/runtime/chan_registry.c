/* chan_registry.c: the process-global table of channel handles (design in
 * chan_registry.h). */
#include <stdatomic.h>
#include <stdlib.h>

#include "runtime/chan_registry.h"

#define SEG_BITS 10u
#define SEG_SIZE (1u << SEG_BITS)
#define SEG_COUNT 65536u /* 64M ids over the life of the process */
#define ID_LIMIT (SEG_COUNT * SEG_SIZE)

/* Segments are created on demand and published with a release CAS after
 * their mutexes are initialised; readers use acquire loads. They are never
 * freed: they stay reachable from this array, so leak checkers stay quiet. */
static _Atomic(tova_rt_chan_slot *) segments[SEG_COUNT];
static _Atomic uint32_t next_id = 1;

static tova_rt_chan_slot *segment_get_or_make(uint32_t si) {
  tova_rt_chan_slot *seg = atomic_load_explicit(&segments[si], memory_order_acquire);
  if (seg) return seg;
  tova_rt_chan_slot *fresh = calloc(SEG_SIZE, sizeof *fresh);
  if (!fresh) return NULL;
  for (uint32_t i = 0; i < SEG_SIZE; i++) {
    if (!tova_plat_mutex_init(&fresh[i].mu)) {
      while (i--) tova_plat_mutex_destroy(&fresh[i].mu);
      free(fresh);
      return NULL;
    }
  }
  tova_rt_chan_slot *expected = NULL;
  if (atomic_compare_exchange_strong_explicit(&segments[si], &expected, fresh,
                                              memory_order_acq_rel, memory_order_acquire))
    return fresh;
  /* Another thread published this segment first: use theirs. */
  for (uint32_t i = 0; i < SEG_SIZE; i++) tova_plat_mutex_destroy(&fresh[i].mu);
  free(fresh);
  return expected;
}

tova_status tova_rt_chan_slot_new(tova_chan_id *id, tova_rt_chan_slot **slot) {
  /* CAS loop rather than fetch_add so the counter stops at the limit
   * instead of wrapping around to ids already in use. */
  uint32_t n = atomic_load(&next_id);
  do {
    if (n >= ID_LIMIT) return TOVA_ERR_NOMEM;
  } while (!atomic_compare_exchange_weak(&next_id, &n, n + 1));
  tova_rt_chan_slot *seg = segment_get_or_make(n >> SEG_BITS);
  if (!seg) return TOVA_ERR_NOMEM; /* this id stays UNBORN: "not found" forever */
  *id = n;
  *slot = &seg[n & (SEG_SIZE - 1)];
  return TOVA_OK;
}

tova_rt_chan_slot *tova_rt_chan_slot_lock(tova_chan_id id) {
  if (id == 0 || id >= ID_LIMIT) return NULL;
  tova_rt_chan_slot *seg = atomic_load_explicit(&segments[id >> SEG_BITS], memory_order_acquire);
  if (!seg) return NULL;
  tova_rt_chan_slot *s = &seg[id & (SEG_SIZE - 1)];
  tova_plat_mutex_lock(&s->mu);
  return s;
}
