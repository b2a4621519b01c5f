/*
 * store.h: runtime objects of the engine (functions, tables, memories,
 * globals, instances) and the store that owns them.
 *
 * Written by instantiation (instance.c, store.c, memory.c, table.c) and read on
 * the interpreter's hot path (interp.c), so layouts favour the interpreter:
 * the instance keeps flat arrays of pointers it indexes directly.
 */
#ifndef TOVA_ENGINE_STORE_H
#define TOVA_ENGINE_STORE_H

#include "module.h"

#define WASM_PAGE_SIZE 65536u
#define WASM_DEFAULT_MAX_PAGES 65536u        /* 4 GiB (all a 32-bit memory can address), mapped lazily */
#define WASM_DEFAULT_MAX_TABLE 10000000u

/* A host function's optional fast entry, for calls from interpreted code:
 * it reads the arguments from slots[0 .. nparams) and either completes the
 * call (its one result, if any, in slots[0] in the interpreter's
 * representation: an i32 zero-extended) and returns true, or returns false
 * having had no effect, and the interpreter then makes the full call
 * (tova_host_fn, with a tova_host_call: may trap, suspend, grow memory).
 * A fast entry never traps, suspends, re-enters the engine nor touches
 * linear memory or tables, which is what lets the interpreter skip the
 * call context and the memory reload. The model: a channel send that finds
 * room in the buffer (the common case of every message) needs none of that;
 * one that must park takes the full call. */
typedef bool (*wasm_host_fast_fn)(void *userdata, uint64_t *slots);

/* A function: either defined in an instance (host == NULL, code its body)
 * or a host function (host != NULL, fast its optional fast entry). */
struct tova_func {
  const tova_functype *type;
  tova_instance *instance; /* defining instance; NULL for host functions */
  uint32_t index;          /* index in the defining module's function space */
  union {
    wasm_code *code;         /* defined functions: the compiled body */
    wasm_host_fast_fn fast;  /* host functions: fast entry or NULL */
  };
  tova_host_fn host;
  void *host_userdata;
};

/* Table elements are references: tova_func* for funcref, host pointer for
 * externref; NULL is ref.null. */
struct tova_table {
  uint8_t elem; /* TOVA_FUNCREF / TOVA_EXTERNREF */
  uint32_t size;
  uint32_t max; /* effective maximum (declared max, clamped by the store limit) */
  bool has_max;
  void **elems;
};

/* Linear memory. `base` stays valid until the next grow of this memory; the
 * interpreter reloads base/size after every call and memory.grow. Pages beyond
 * `size` are never touched; memory is mapped lazily (untouched zero pages cost
 * no RAM). */
struct tova_memory {
  uint8_t *base;
  uint64_t size;     /* bytes = pages * WASM_PAGE_SIZE */
  uint32_t pages;
  uint32_t max_pages; /* effective maximum */
  bool has_max;
  /* What may be nonzero, so that a pooled home is cleaned only where it may
   * be dirty when it is released (memory.c). Invariant: every byte beyond
   * the first `dirty` bytes is zero unless `written`, and `written` is set
   * BEFORE anything other than a data segment can write: an entry into
   * WebAssembly code that may write this memory (wasm_code.may_write_memory:
   * tova_exec_call, a call across instances in the interpreter), and every
   * hand-out of a writable pointer (tova_memory_data). Data segments raise
   * `dirty` instead. Once set, `written` stays set until the memory dies. */
  bool written;
  uint64_t dirty;    /* bytes at base that data segments may have made nonzero */
  uint64_t reserved; /* bytes of address space reserved at base */
};

struct tova_global {
  uint8_t type; /* tova_valtype */
  bool mutable_;
  tova_val value;
};

struct tova_instance {
  tova_module *module; /* retained, unless module_borrowed */
  tova_store *store;
  /* module->nimported_funcs: the imported functions, set at instantiation
   * (calls to them go through here: interp's CALL_FUNC). */
  tova_func **funcs;
  /* The objects of defined functions (module->nfuncs - nimported_funcs,
   * function i at defined[i - nimported_funcs]), made on first use
   * (wasm_instance_func): exports, table elements, ref.func, the start
   * function. Calls inside the instance enter the code directly and never
   * need one, so most functions of a task never get one (48 bytes each), nor
   * the task this array (8 bytes a function) unless one is made. NULL until
   * then. */
  tova_func **defined;
  tova_table **tables;   /* module->ntables */
  tova_memory **memories;/* module->nmemories */
  tova_global **globals; /* module->nglobals */
  /* Dropped-segment flags: module->nelems for element segments (elem.drop,
   * and active/declarative ones after init), then module->ndatas for data
   * segments (wasm_elem_dropped / wasm_data_dropped). One pointer for both:
   * 8 bytes of every instance. */
  uint8_t *dropped;
  /* Cached for the interpreter: memory 0 if any. */
  tova_memory *mem0;
  uint32_t nimported_funcs; /* module->nimported_funcs, for wasm_instance_func */
  /* The creator keeps module alive for as long as this instance lives
   * (wasm_instance_new_borrowing): no reference of its own. */
  bool module_borrowed;
};

static inline uint8_t *wasm_elem_dropped(const tova_instance *inst) { return inst->dropped; }
static inline uint8_t *wasm_data_dropped(const tova_instance *inst) {
  return inst->dropped + inst->module->nelems;
}

/* The function object of function i of inst (made on first use: see
 * tova_instance.funcs). NULL only when the store is out of memory. Store
 * rule: one thread at a time, so no lock. */
tova_func *wasm_instance_func_make(tova_instance *inst, uint32_t i);
static inline tova_func *wasm_instance_func(tova_instance *inst, uint32_t i) {
  if (i < inst->nimported_funcs) return inst->funcs[i];
  tova_func *f = inst->defined ? inst->defined[i - inst->nimported_funcs] : NULL;
  return f ? f : wasm_instance_func_make(inst, i);
}

/* Function i of inst for a call made now (tova_exec_call keeps no pointer
 * to it): its object if it has one, else a temporary one written to *room,
 * recorded nowhere. A task calling its export this way makes no object for
 * it, 48 bytes of every parked task. */
tova_func *wasm_instance_func_for_call(tova_instance *inst, uint32_t i, tova_func *room);

/* Grow helpers shared by memory.grow/table.grow and the C API. Return the old
 * size, or -1 (as uint32_t 0xFFFFFFFF) when the grow is refused. */
uint32_t wasm_memory_grow(tova_memory *m, uint32_t delta_pages);

/* Code that may write memory m (NULL: none) is about to run: see `written`. */
static inline void wasm_memory_note_writer(tova_memory *m) {
  if (m && !m->written) m->written = true;
}
/* Bytes at the start of m that may be nonzero (what a release must clean). */
static inline uint64_t wasm_memory_dirty_bytes(const tova_memory *m) {
  return m->written ? m->size : m->dirty < m->size ? m->dirty : m->size;
}
uint32_t wasm_table_grow(tova_table *t, uint32_t delta, void *init);

/* The store's allocator for objects it owns (freed by tova_store_free, never
 * one by one): zero-filled, aligned for any type. */
void *wasm_store_alloc(tova_store *s, size_t size);
/* Same, with a destructor run on the object when the store is freed (for
 * objects that own more than their block: mappings, arrays). */
void *wasm_store_alloc_dtor(tova_store *s, size_t size, void (*dtor)(void *obj));
/* A store whose first inline_bytes of objects (at most 64 KiB) take no
 * allocation beyond the store's own: for a caller that knows what it will
 * put there, e.g. from wasm_store_used of a store that held the same. */
tova_store *wasm_store_new_sized(const tova_store_config *cfg, size_t inline_bytes);
/* Bytes handed out by the store so far (objects, their headers, alignment). */
size_t wasm_store_used(const tova_store *s);
/* Structural function type equality: call_indirect's check, an import's
 * type against what the module declares, shared signatures. */
bool wasm_functype_equal(const tova_functype *a, const tova_functype *b);
/* The process-wide shared copy of a short function type (never freed), or
 * NULL (too long, table full). tova_func_new_host finds its argument by
 * address when given such a copy. */
const tova_functype *wasm_functype_shared(const tova_functype *type);
/* The store's configured limits (defaults applied). */
uint32_t wasm_store_max_memory_pages(const tova_store *s);
uint32_t wasm_store_max_table_elems(const tova_store *s);

#endif /* TOVA_ENGINE_STORE_H */
