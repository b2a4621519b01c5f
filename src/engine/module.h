/*
 * module.h: the in-memory form of a decoded WebAssembly module.
 *
 * Produced by the decoder (decode.c), checked by the validator (validate.c),
 * given internal code by the compiler (compile.c), and read by instantiation
 * (instance.c) and the interpreter (interp.c). Once tova_module_compile returns
 * it is immutable and shared between threads; only `refcount` changes.
 *
 * Index spaces follow the spec: imported functions/tables/memories/globals come
 * first, then the module's own definitions.
 */
#ifndef TOVA_ENGINE_MODULE_H
#define TOVA_ENGINE_MODULE_H

#include <stdatomic.h>

#include "tova.h"

/* Limits as decoded. Memory limits are in pages, table limits in elements. */
typedef struct wasm_limits {
  uint32_t min;
  uint32_t max;
  bool has_max;
} wasm_limits;

typedef struct wasm_tabletype {
  uint8_t elem; /* TOVA_FUNCREF or TOVA_EXTERNREF */
  wasm_limits limits;
} wasm_tabletype;

typedef struct wasm_globaltype {
  uint8_t type; /* tova_valtype */
  bool mutable_;
} wasm_globaltype;

/* A constant expression: exactly one of these instructions followed by `end`
 * (WebAssembly 2.0 has no extended constant expressions). */
typedef enum wasm_const_kind {
  WASM_CONST_VALUE,      /* i32/i64/f32/f64.const: `value` holds the bits */
  WASM_CONST_REF_NULL,   /* ref.null: `type` holds the reftype */
  WASM_CONST_REF_FUNC,   /* ref.func `index` */
  WASM_CONST_GLOBAL_GET, /* global.get `index` (an imported global in 2.0) */
  /* Not a valid 2.0 constant expression. Found by the decoder, reported by the
   * validator: `index` is WASM_CONST_ERR_*, `value.raw` the byte offset. */
  WASM_CONST_INVALID
} wasm_const_kind;

#define WASM_CONST_ERR_NOT_CONST 0 /* a non-constant instruction: "constant expression required" */
#define WASM_CONST_ERR_ARITY 1     /* not exactly one value: "type mismatch" */

typedef struct wasm_constexpr {
  uint8_t kind; /* wasm_const_kind */
  uint8_t type; /* result type */
  uint32_t index;
  tova_val value;
} wasm_constexpr;

typedef struct wasm_import {
  const char *module; /* points into wasm_module.bytes; not NUL-terminated */
  uint32_t module_len;
  const char *name;
  uint32_t name_len;
  uint8_t kind; /* tova_extern_kind */
  union {
    uint32_t type_index; /* FUNC */
    wasm_tabletype table;
    wasm_limits memory;
    wasm_globaltype global;
  } desc;
} wasm_import;

typedef struct wasm_export {
  const char *name; /* points into bytes; not NUL-terminated; unique */
  uint32_t name_len;
  uint8_t kind; /* tova_extern_kind */
  /* tova_module_export_is_stateless's answer once asked (0: not yet, 1:
   * yes, 2: no), read and written with __atomic builtins (stateless.c). */
  uint8_t stateless;
  uint32_t index;
} wasm_export;

typedef struct wasm_global_def {
  wasm_globaltype type;
  wasm_constexpr init;
} wasm_global_def;

typedef enum wasm_segment_mode {
  WASM_SEG_ACTIVE = 0,
  WASM_SEG_PASSIVE = 1,
  WASM_SEG_DECLARATIVE = 2
} wasm_segment_mode;

typedef struct wasm_elem_segment {
  uint8_t mode;   /* wasm_segment_mode */
  uint8_t elem;   /* reftype */
  uint32_t table; /* active only */
  wasm_constexpr offset; /* active only, i32 */
  uint32_t count;
  wasm_constexpr *items; /* count items: ref.null / ref.func / global.get */
} wasm_elem_segment;

typedef struct wasm_data_segment {
  uint8_t mode;    /* ACTIVE or PASSIVE */
  uint32_t memory; /* active only */
  wasm_constexpr offset;
  const uint8_t *bytes; /* points into wasm_module.bytes */
  uint32_t len;
} wasm_data_segment;

/* Compiled form of one function body; owned by the compiler (compile.h). */
typedef struct wasm_code wasm_code;

typedef struct wasm_func_def {
  uint32_t type_index;
  uint32_t nlocals;       /* declared locals, not counting parameters */
  uint8_t *local_types;   /* nlocals entries */
  const uint8_t *body;    /* instruction bytes (after the local declarations) */
  uint32_t body_len;      /* up to and including the final `end` */
  uint32_t body_offset;   /* byte offset of `body` in the module, for messages */
  wasm_code *code;        /* set by the compiler; NULL after validate-only */
} wasm_func_def;

struct tova_module {
  atomic_uint refcount;

  uint8_t *bytes; /* private copy of the binary; names and bodies point into it */
  size_t len;

  uint32_t ntypes;
  tova_functype *types; /* param/result arrays allocated with the module */

  uint32_t nimports;
  wasm_import *imports;

  /* Function index space: func_types[i] is the type index of function i. */
  uint32_t nfuncs;           /* imported + defined */
  uint32_t nimported_funcs;
  uint32_t *func_types;
  wasm_func_def *func_defs;  /* nfuncs - nimported_funcs entries */

  uint32_t ntables;          /* imported + defined */
  uint32_t nimported_tables;
  wasm_tabletype *tables;

  uint32_t nmemories;        /* imported + defined; at most 1 in 2.0 */
  uint32_t nimported_memories;
  wasm_limits *memories;

  uint32_t nglobals;         /* imported + defined */
  uint32_t nimported_globals;
  wasm_globaltype *global_types; /* all globals */
  wasm_global_def *global_defs;  /* defined ones: nglobals - nimported_globals */

  uint32_t nexports;
  wasm_export *exports;
  /* Export names hashed for O(1) lookup by name (wasm_module_find_export):
   * open addressing, linear probing, export indices or UINT32_MAX when free.
   * Built by wasm_validate (which rejects duplicates while building it);
   * NULL before that, and then lookups scan. export_cap is a power of two
   * >= 2 * nexports, so a probe always ends at a free slot. */
  size_t export_cap;
  uint32_t *export_slots;

  bool has_start;
  uint32_t start;

  uint32_t nelems;
  wasm_elem_segment *elems;

  bool has_data_count;
  uint32_t data_count;
  uint32_t ndatas;
  wasm_data_segment *datas;

  /* Functions that may be referenced by ref.func inside bodies (C.refs). */
  uint8_t *func_declared; /* nfuncs flags */

  /* Native tier hook: its state for this module (src/engine/native), or NULL. */
  void *native;
  /* The stencil tier's code for the module's functions (stencil/emit.c), or
   * NULL: one read-execute mapping, unmapped with the module. */
  void *stencil_code;
  size_t stencil_code_len;
  uint32_t stencil_passed; /* values its code passes in a register (stencils.c acc) */
  /* Compiled with loop counters (compile.h LOOP_HEAD: the tiered modes),
   * which move every later cell: native code holds offsets into the cells
   * (where it leaves for the interpreter), so the cache keys it. */
  bool loop_counters;
  /* The on-disk cache's digest of bytes (native/cache.c), computed once,
   * when first needed, under the native tier's compile lock. */
  uint8_t cache_digest[16];
  bool cache_digest_known;
};

/* Decoder: binary -> module (no body validation). Allocates *out with
 * refcount 1. Errors: TOVA_ERR_INVALID_MODULE "section S at offset N: rule". */
tova_status wasm_decode(const uint8_t *bytes, size_t len, tova_module **out, tova_error *err);
/* Validator: module-level rules and every function body. */
tova_status wasm_validate(tova_module *m, tova_error *err);
/* Compiler: every function body -> internal code (compile.c). Runs after
 * wasm_validate, so it may assume the bodies are valid. */
struct wasm_loop_counters; /* compile.h */
tova_status wasm_compile(tova_module *m, const struct wasm_loop_counters *lc, tova_error *err);
void wasm_code_free(wasm_code *code);
/* Frees everything the module owns (called when refcount drops to 0). */
void wasm_module_free(tova_module *m);
/* The export named name[0..len) (exact bytes: a NUL is just a byte), or NULL. */
const wasm_export *wasm_module_find_export(const tova_module *m, const char *name, size_t len);
/* Hash of an export name, for export_slots. */
uint64_t wasm_export_name_hash(const char *name, size_t len);

static inline const tova_functype *wasm_func_type(const tova_module *m, uint32_t func_index) {
  return &m->types[m->func_types[func_index]];
}

#endif /* TOVA_ENGINE_MODULE_H */
