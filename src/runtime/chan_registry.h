/*
 * chan_registry.h: the process-global table of channel handles.
 *
 * A handle (tova_chan_id) is a slot index (low ID_INDEX_BITS bits) plus that
 * slot's generation (the ID_GEN_BITS above). Ids fit in 31 bits, so they are
 * non-negative as an i32 in WebAssembly (where -1 means failure). Slots are reused: when a channel
 * is closed and drained its buffer is freed and its slot goes back to a free
 * list with the generation advanced, so the old id no longer matches and
 * every operation on it gives TOVA_ERR_CLOSED (a generation the slot has
 * already passed) or TOVA_ERR_NOT_FOUND (never handed out); it never reaches
 * the slot's next channel. So ids never run out, and a channel that is
 * closed, drained and dropped costs nothing but its slot on the free list.
 *
 * Generations wrap after 2^ID_GEN_BITS reuses of a slot, and the free list
 * is a FIFO that only hands a slot out again once FREE_RESERVE other slots
 * are free (until then fresh slots are used). So an old id can only alias a
 * newer channel after at least FREE_RESERVE * 2^ID_GEN_BITS (2^26, about 67
 * million) channels have been closed after it, and then only if it lands on
 * its own slot's exact generation. At most 2^ID_INDEX_BITS - 1 channels are
 * open at once (TOVA_ERR_NOMEM beyond).
 *
 * The table is a fixed array of pointers to segments of slots; a segment,
 * once published, is never freed or moved, so a slot's address is stable for
 * the life of the process. Each slot carries the channel's own mutex, which
 * is what makes "unknown, stale or destroyed handle" safe: the slot (and its
 * lock) outlives every channel it guards, so looking up a handle
 * concurrently with its channel being freed finds the slot, takes its lock,
 * and sees a generation that no longer matches.
 *
 * The hot path (every send and receive) is: one acquire load of the segment
 * pointer, then the slot's own mutex. The free-list lock is taken only by
 * create and by the close/receive that frees a channel.
 */
#ifndef TOVA_RT_CHAN_REGISTRY_H
#define TOVA_RT_CHAN_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"
#include "tova.h"

#define TOVA_RT_ID_INDEX_BITS 21u
#define TOVA_RT_ID_GEN_BITS 10u


/* A FIFO of parked waiters (chan_internal.h has its operations). */
typedef struct waitq {
  tova_chan_waiter *head, *tail;
} waitq;

typedef int64_t chan_elem;

/* A channel: a ring buffer and its two wait queues. It lives inside its
 * registry slot (below), not in memory of its own. */
typedef struct tova_rt_chan {
  /* Written by every buffered send and receive: in the slot's first cache
   * line, with the lock (see tova_rt_chan_slot). */
  uint32_t head; /* index of the oldest element */
  uint32_t len;  /* buffered elements */
  uint32_t cap;   /* capacity as created */
  uint32_t alloc; /* allocated ring slots, <= cap */
  chan_elem *buf;
  bool closed;
  waitq sendq, recvq;
} tova_rt_chan;

enum {
  TOVA_RT_SLOT_FREE = 0, /* no channel; the current generation not handed out */
  TOVA_RT_SLOT_UNBORN,   /* id handed out, channel not yet stored */
  TOVA_RT_SLOT_LIVE      /* chan points at the channel */
};

/* Readiness hints (tova_rt_chan_slot.ready): what an operation would do
 * right now without parking, as of the last unlock. */
enum {
  TOVA_RT_READY_RECV = 1u, /* a value buffered, a parked sender, or closed */
  TOVA_RT_READY_SEND = 2u  /* room, a parked receiver, or closed */
};

/* A slot has a cache line of its own: channels made one after the other
 * (a select's, a pipeline's) are used by different cores at once, and two
 * slots sharing a line would make each lock operation on one a miss on the
 * other's core. */
#define TOVA_RT_SLOT_ALIGN 64

typedef struct tova_rt_chan_slot {
  _Alignas(TOVA_RT_SLOT_ALIGN) tova_plat_spinlock mu; /* the channel's lock (short, never held across a wait);
                          * guards everything below but next_free and ready */
  /* Hint for lock-free peeks (select's fast path): written under mu at every
   * unlock, read without it, so it may be stale by the time it is used; a
   * reader acts on it only after taking mu and checking for real. */
  _Atomic uint32_t ready;
  uint32_t state;
  uint32_t gen;       /* times this slot was released; its id carries the low bits */
  tova_rt_chan *chan; /* &body while LIVE, else NULL */
  /* The channel itself. A send or receive on a buffered channel writes the
   * lock, the ready hint and the ring's head/len, all in this first cache
   * line, so one line (plus the element's) moves between the cores of a
   * producer and a consumer per operation, not two: on the 2-core machines
   * we measure on, a line costs 60-190 ns to cross. */
  tova_rt_chan body;
  uint32_t next_free; /* free-list link (index), guarded by the free-list lock */
  uint32_t index;     /* this slot's index: immutable */
} tova_rt_chan_slot;
_Static_assert(offsetof(tova_rt_chan_slot, body) + offsetof(tova_rt_chan, len) + sizeof(uint32_t) <=
                   TOVA_RT_SLOT_ALIGN,
               "the ring indices share the lock's cache line");

/* Reserve an id; its slot is returned UNLOCKED in state UNBORN. The caller
 * stores the channel under the slot lock. TOVA_ERR_NOMEM when memory runs out
 * or 2^ID_INDEX_BITS - 1 channels are open. */
tova_status tova_rt_chan_slot_new(tova_chan_id *id, tova_rt_chan_slot **slot);
/* The slot of id, LOCKED, when id is its current generation; else NULL and
 * *why = TOVA_ERR_CLOSED (the id's channel has been freed) or
 * TOVA_ERR_NOT_FOUND (never handed out). The caller still checks state (an
 * UNBORN slot is also "not found"). */
/* The table itself (chan_registry.c), so the lookup below inlines into every
 * channel operation: segments of TOVA_RT_SEG_SIZE slots, published once. */
#define TOVA_RT_SEG_BITS 10u
#define TOVA_RT_SEG_SIZE (1u << TOVA_RT_SEG_BITS)
#define TOVA_RT_ID_INDEX_MASK ((1u << TOVA_RT_ID_INDEX_BITS) - 1u)
#define TOVA_RT_ID_GEN_MASK ((1u << TOVA_RT_ID_GEN_BITS) - 1u)
extern _Atomic(tova_rt_chan_slot *) tova_rt_chan_segments[];

/* The locked slot s did not hold id's channel (generation gen): unlock it,
 * return NULL and say why (CLOSED: its channel is gone; NOT_FOUND). */
tova_rt_chan_slot *tova_rt_chan_slot_miss(tova_rt_chan_slot *s, uint32_t gen, tova_status *why);

/* Look id up and lock its slot. Returns the slot locked (its generation
 * matches and it holds a channel: LIVE), or NULL with *why set (NOT_FOUND:
 * never handed out, or handed out and not yet created; CLOSED: a channel
 * freed since). */
static inline tova_rt_chan_slot *tova_rt_chan_slot_lock(tova_chan_id id, tova_status *why) {
  uint32_t index = id & TOVA_RT_ID_INDEX_MASK, gen = id >> TOVA_RT_ID_INDEX_BITS;
  tova_rt_chan_slot *seg = NULL;
  /* Index 0 and generations beyond the mask are never handed out. */
  if (index != 0 && gen <= TOVA_RT_ID_GEN_MASK)
    seg = atomic_load_explicit(&tova_rt_chan_segments[index >> TOVA_RT_SEG_BITS], memory_order_acquire);
  if (!seg) {
    *why = TOVA_ERR_NOT_FOUND;
    return NULL;
  }
  tova_rt_chan_slot *s = &seg[index & (TOVA_RT_SEG_SIZE - 1)];
  tova_plat_spin_lock(&s->mu);
  if ((s->gen & TOVA_RT_ID_GEN_MASK) == gen && s->state == TOVA_RT_SLOT_LIVE) return s;
  return tova_rt_chan_slot_miss(s, gen, why);
}
/* Called with s LOCKED, its channel already freed: advance the generation and
 * put the slot on the free list. s stays locked (the caller unlocks). */
void tova_rt_chan_slot_release(tova_rt_chan_slot *s);

/* The readiness hint of id's slot, read without its lock (may be stale, or
 * belong to the slot's next channel); both bits when the slot does not exist.
 * Inline: select reads it for every case it tries. */
static inline uint32_t tova_rt_chan_ready_hint(tova_chan_id id) {
  uint32_t index = id & TOVA_RT_ID_INDEX_MASK;
  tova_rt_chan_slot *seg =
      atomic_load_explicit(&tova_rt_chan_segments[index >> TOVA_RT_SEG_BITS], memory_order_acquire);
  if (!seg) return TOVA_RT_READY_RECV | TOVA_RT_READY_SEND;
  return atomic_load_explicit(&seg[index & (TOVA_RT_SEG_SIZE - 1)].ready, memory_order_relaxed);
}

static inline void tova_rt_slot_lock(tova_rt_chan_slot *s) { tova_plat_spin_lock(&s->mu); }
static inline void tova_rt_slot_unlock(tova_rt_chan_slot *s) { tova_plat_spin_unlock(&s->mu); }

#endif /* TOVA_RT_CHAN_REGISTRY_H */
