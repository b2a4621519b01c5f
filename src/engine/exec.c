/*
 * exec.c: the public execution API (tova_exec_*) and host-call helpers.
 *
 * The interpreter loop itself is interp.c; this file sets up the outermost
 * frame, converts between tova_val arrays and stack slots, turns the loop's
 * outcome into a status + tova_error, and implements suspend/resume.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/assert.h"
#include "engine/exec.h"
#ifdef TOVA_HAVE_NATIVE
#include "engine/native/preempt.h"
#endif

/* The default budget: at least the depth V8 and JavaScriptCore allow (10K-50K
 * frames, about 100K values on one operand stack), with room to spare. Only
 * a budget: the arrays start small (inline, exec.h) and double as a call
 * gets deeper. */
#define DEFAULT_STACK_BYTES ((size_t)64 << 20)
/* What an idle execution may keep on the heap once trimmed: an execution
 * cached for the next task keeps arrays this small rather than allocating
 * them again for every task whose function needs more than the inline room. */
#define TRIM_SLOTS 32u
#define TRIM_FRAMES 4u

/* glibc hands out chunks of 16k + 8 usable bytes, so a struct of that size
 * wastes nothing (checked on 64-bit targets, where the sizes are known). */
_Static_assert(sizeof(void *) != 8 || sizeof(struct tova_exec) % 16 == 8,
               "tova_exec: resize EXEC_INLINE_SLOTS so the struct fills its malloc chunk");

static uint32_t clamp_u32(size_t n) { return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n; }

tova_exec *tova_exec_new(size_t max_stack_bytes) {
  if (max_stack_bytes == 0) max_stack_bytes = DEFAULT_STACK_BYTES;
  tova_exec *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  /* Half of the budget for value slots, half for frame records; never less
   * than the inline arrays (they cost nothing more). */
  e->stack_max = clamp_u32(max_stack_bytes / 2 / sizeof(uint64_t));
  e->frames_max = clamp_u32(max_stack_bytes / 2 / sizeof(wasm_frame));
  if (e->stack_max < 64) e->stack_max = 64;
  if (e->frames_max < 4) e->frames_max = 4;
  e->stack = e->inline_slots;
  e->stack_cap = EXEC_INLINE_SLOTS;
  e->frames = e->inline_frames;
  e->frames_cap = EXEC_INLINE_FRAMES;
  atomic_init(&e->interrupt, 0);
  return e;
}

void tova_exec_free(tova_exec *e) {
  if (!e) return;
  if (e->stack != e->inline_slots) free(e->stack);
  if (e->frames != e->inline_frames) free(e->frames);
  free(e->trap_text);
  free(e);
}

void tova_exec_set_userdata(tova_exec *e, void *userdata) {
  if (e) e->userdata = userdata;
}
void *tova_exec_userdata(const tova_exec *e) { return e ? e->userdata : NULL; }

void tova_exec_interrupt(tova_exec *e) {
  if (!e) return;
#ifdef TOVA_HAVE_NATIVE
  /* Sequentially consistent: the flag is set before native_thread is read,
   * as the entry to native code publishes native_thread before it reads the
   * flag; one of the two sees the other (preempt.h). */
  atomic_store(&e->interrupt, 1);
  wasm_native_preempt_kick(e);
#else
  atomic_store_explicit(&e->interrupt, 1, memory_order_relaxed);
#endif
}

void tova_exec_clear_interrupt(tova_exec *e) {
  if (e) atomic_store_explicit(&e->interrupt, 0, memory_order_relaxed);
}

bool tova_exec_interrupted(const tova_exec *e) {
  return e && atomic_load_explicit(&((tova_exec *)e)->interrupt, memory_order_relaxed) != 0;
}

/* Resize a heap array, or move an inline one to the heap (realloc cannot
 * take the inline array). `used` bytes are kept. NULL when out of memory
 * (the old array is still valid then). */
static void *resize_array(void *arr, const void *inline_arr, size_t used, size_t bytes) {
  if (arr != inline_arr) return realloc(arr, bytes);
  void *p = malloc(bytes);
  if (p) memcpy(p, arr, used < bytes ? used : bytes);
  return p;
}

void tova_exec_trim(tova_exec *e) {
  if (!e || e->state != WASM_EXEC_IDLE) return;
  /* A deep call once must not make an idle (cached or parked-then-reused)
   * execution keep megabytes: heap arrays go back to the trim sizes. Idle
   * means no live slot or frame, so nothing needs to be kept. */
  if (e->stack != e->inline_slots && e->stack_cap > TRIM_SLOTS) {
    uint64_t *st = realloc(e->stack, TRIM_SLOTS * sizeof(uint64_t));
    if (st) {
      e->stack = st;
      e->stack_cap = TRIM_SLOTS;
    }
  }
  if (e->frames != e->inline_frames && e->frames_cap > TRIM_FRAMES) {
    wasm_frame *fr = realloc(e->frames, TRIM_FRAMES * sizeof(wasm_frame));
    if (fr) {
      e->frames = fr;
      e->frames_cap = TRIM_FRAMES;
    }
  }
}

void tova_exec_reset(tova_exec *e) {
  if (!e || e->state == WASM_EXEC_RUNNING) return; /* only a parked execution can be abandoned */
  e->state = WASM_EXEC_IDLE;
  e->nframes = 0;
}

bool wasm_exec_grow_stack(tova_exec *e, size_t need) {
  TOVA_ASSERT(e->stack != e->inline_slots || e->stack_cap == EXEC_INLINE_SLOTS);
  if (need <= e->stack_cap) return true;
  if (need > e->stack_max) return false;
  size_t cap = (size_t)e->stack_cap * 2;
  if (cap < need) cap = need;
  if (cap > e->stack_max) cap = e->stack_max;
  uint64_t *s = resize_array(e->stack, e->inline_slots, e->stack_cap * sizeof(uint64_t),
                             cap * sizeof(uint64_t));
  if (!s) return false;
  e->stack = s;
  e->stack_cap = (uint32_t)cap; /* <= stack_max */
  return true;
}

bool wasm_exec_grow_frames(tova_exec *e, size_t need) {
  TOVA_ASSERT(e->frames != e->inline_frames || e->frames_cap == EXEC_INLINE_FRAMES);
  if (need <= e->frames_cap) return true;
  if (need > e->frames_max) return false;
  size_t cap = (size_t)e->frames_cap * 2;
  if (cap < need) cap = need;
  if (cap > e->frames_max) cap = e->frames_max;
  wasm_frame *f = resize_array(e->frames, e->inline_frames, e->frames_cap * sizeof(wasm_frame),
                               cap * sizeof(wasm_frame));
  if (!f) return false;
  e->frames = f;
  e->frames_cap = (uint32_t)cap; /* <= frames_max */
  return true;
}

const char *wasm_exec_trap_printf(tova_exec *e, const char *plain, const char *fmt, ...) {
  if (!e->trap_text && !(e->trap_text = malloc(TOVA_ERROR_MAX))) return plain;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->trap_text, TOVA_ERROR_MAX, fmt, ap);
  va_end(ap);
  return e->trap_text;
}

tova_status tova_host_trap(tova_host_call *call, const char *message) {
  if (call && call->exec) {
    tova_exec *e = call->exec;
    e->trap_msg = wasm_exec_trap_printf(e, "host function trapped (out of memory for its message)",
                                        "%s", message ? message : "host function trapped");
  }
  return TOVA_ERR_TRAP;
}

tova_exec *tova_host_call_exec(tova_host_call *call) { return call ? call->exec : NULL; }
tova_instance *tova_host_call_instance(tova_host_call *call) {
  return call ? call->instance : NULL;
}

/* Turn the loop's outcome into the API's. */
static tova_status finish(tova_exec *e, tova_status st, tova_val *results, tova_error *err) {
  switch (st) {
    case TOVA_OK: {
      uint32_t n = e->entry_type->nresults;
      for (uint32_t i = 0; i < n; i++) results[i].raw = e->stack[i];
      e->state = WASM_EXEC_IDLE;
      if (err) {
        err->status = TOVA_OK;
        err->message[0] = 0;
      }
      return TOVA_OK;
    }
    case TOVA_SUSPENDED:
      return TOVA_SUSPENDED;
    case TOVA_ERR_CANCELLED:
      e->state = WASM_EXEC_IDLE;
      return tova_error_set(err, st, "cancelled");
    default:
      e->state = WASM_EXEC_IDLE;
      e->nframes = 0;
      return tova_error_set(err, st, "%s", e->trap_msg ? e->trap_msg : "execution failed");
  }
}

static tova_status call_host_top(tova_exec *e, tova_func *f, const tova_val *args,
                                 tova_val *results, tova_error *err) {
  tova_host_call call = {e, NULL};
  e->trap_msg = NULL;
  e->state = WASM_EXEC_RUNNING;
  tova_val dummy;
  tova_status st = f->host(&call, f->host_userdata, args ? args : &dummy,
                           results ? results : &dummy);
  if (st == TOVA_SUSPENDED) {
    e->state = WASM_EXEC_SUSPENDED_TOP;
    return st;
  }
  if (st == TOVA_OK) {
    e->state = WASM_EXEC_IDLE;
    return TOVA_OK;
  }
  return finish(e, st, results, err);
}

/* The interpreter's run; with the native tier, its thread is published in
 * e meanwhile, for the signal that stops native code (preempt.h). */
static tova_status run(tova_exec *e) {
#ifdef TOVA_HAVE_NATIVE
  uint32_t prev = wasm_native_preempt_publish(e);
  tova_status st = wasm_interp_run(e);
  wasm_native_preempt_unpublish(e, prev);
  return st;
#else
  return wasm_interp_run(e);
#endif
}

tova_status tova_exec_call(tova_exec *e, tova_func *f, const tova_val *args, tova_val *results,
                           tova_error *err) {
  if (!e || !f) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "exec_call: missing exec or func");
  if (e->state == WASM_EXEC_RUNNING)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "exec_call: this execution is already running (a host function may "
                          "not re-enter the exec that called it; use another tova_exec)");
  if (e->state != WASM_EXEC_IDLE)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "exec_call: this execution is suspended (resume or reset it first)");
  const tova_functype *ft = f->type;
  if ((ft->nparams && !args) || (ft->nresults && !results))
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT,
                          "exec_call: function takes %u arguments and gives %u results",
                          ft->nparams, ft->nresults);
  /* The interrupt flag is sticky (tova.h): an interrupt that arrived before
   * this call cancels it at its first back-edge or call. */
  e->entry_type = ft;
  if (f->host) return call_host_top(e, f, args, results, err);

  const wasm_code *c = f->code;
  if (!c) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "exec_call: function has no code");
  if (!wasm_exec_grow_stack(e, c->frame_slots) || e->frames_cap < 1)
    return tova_error_set(err, TOVA_ERR_TRAP, "call stack exhausted");
  for (uint32_t i = 0; i < c->nparams; i++) e->stack[i] = args[i].raw;
  for (uint32_t i = c->nparams; i < c->nlocals; i++) e->stack[i] = 0;
  e->frames[0] = (wasm_frame){NULL, 0, NULL};
  e->nframes = 1;
  e->pc = __atomic_load_n(&c->cells, __ATOMIC_ACQUIRE); /* native tier hook: see compile.h */
  e->fp_off = 0;
  e->inst = f->instance;
  if (c->may_write_memory) wasm_memory_note_writer(f->instance->mem0); /* store.h: `written` */
  e->state = WASM_EXEC_RUNNING;
  return finish(e, run(e), results, err);
}

tova_status tova_exec_resume(tova_exec *e, const tova_val *host_results, tova_val *results,
                             tova_error *err) {
  if (!e) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "exec_resume: missing exec");
  if (e->state == WASM_EXEC_SUSPENDED_TOP) {
    uint32_t n = e->entry_type->nresults;
    if (n && (!host_results || !results))
      return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "exec_resume: %u results expected", n);
    for (uint32_t i = 0; i < n; i++) results[i] = host_results[i];
    e->state = WASM_EXEC_IDLE;
    return TOVA_OK;
  }
  if (e->state != WASM_EXEC_SUSPENDED_WASM)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "exec_resume: execution is not suspended");
  uint32_t n = e->host_type->nresults;
  if (n && !host_results)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "exec_resume: %u host results expected", n);
  if (e->entry_type->nresults && !results)
    return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "exec_resume: missing results array");
  for (uint32_t i = 0; i < n; i++) e->stack[e->host_results_off + i] = host_results[i].raw;
  e->state = WASM_EXEC_RUNNING;
  e->resuming = true;
  return finish(e, run(e), results, err);
}
