/*
 * chan_registry.h: the process-global table of channel handles.
 *
 * A handle (tova_chan_id) is an index into a table of slots. Ids start at 1
 * (0 is never a valid channel) and are never reused, so a stale handle can
 * never reach a newer channel by accident. The table is a fixed array of
 * pointers to segments of slots; a segment, once published, is never freed or
 * moved, so a slot's address is stable for the life of the process. Each
 * slot carries the channel's own mutex, which is what makes "unknown or
 * destroyed handle" safe: the slot (and its lock) outlives the channel it
 * guards, so looking up a handle concurrently with its channel being freed
 * finds the slot, takes its lock, and sees the tombstone.
 *
 * The hot path (every send and receive) is: one acquire load of the segment
 * pointer, then the slot's own mutex. No global lock.
 */
#ifndef TOVA_RT_CHAN_REGISTRY_H
#define TOVA_RT_CHAN_REGISTRY_H

#include "platform/platform.h"
#include "tova.h"

typedef struct tova_rt_chan tova_rt_chan;

enum {
  TOVA_RT_SLOT_UNBORN = 0, /* id handed out, channel not yet stored (or never) */
  TOVA_RT_SLOT_LIVE,       /* chan points at the channel */
  TOVA_RT_SLOT_TOMBSTONE   /* channel closed and drained, memory freed */
};

typedef struct tova_rt_chan_slot {
  tova_plat_mutex mu; /* the channel's lock; guards everything below and *chan */
  uint32_t state;
  tova_rt_chan *chan;
} tova_rt_chan_slot;

/* Reserve a fresh id; its slot is returned UNLOCKED in state UNBORN. The
 * caller stores the channel under the slot lock. TOVA_ERR_NOMEM when memory
 * or ids run out. */
tova_status tova_rt_chan_slot_new(tova_chan_id *id, tova_rt_chan_slot **slot);
/* The slot of id, LOCKED, or NULL if id was never handed out. The caller
 * still checks state (an UNBORN slot is also "not found"). */
tova_rt_chan_slot *tova_rt_chan_slot_lock(tova_chan_id id);

#endif /* TOVA_RT_CHAN_REGISTRY_H */
