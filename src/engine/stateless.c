/*
 * stateless.c: can calling an export change its instance, or reach outside
 * it? (tova_module_export_is_stateless)
 *
 * An instance's state is its memories, globals, tables and dropped segments.
 * A call that writes none of them and calls no import leaves the instance
 * exactly as instantiation made it, whatever it computes, traps included (a
 * trap undoes nothing because nothing was done). So when the module has no
 * start function either, N calls on one instance cannot be told from N calls
 * on N fresh instances: the runtime may then run many tasks of a batch on one
 * instance (src/napi/wasm.c, packed batches), which spares an instantiation
 * per task. Tova's `@wasm` functions, pure computations, are the case.
 *
 * The answer is conservative: call_indirect counts as a change (its callee
 * is only known at run time), as does every store, memory.grow/fill/copy/
 * init, data.drop, global.set, table.set/grow/fill/copy/init and elem.drop,
 * in the export's function or in any function it calls directly.
 */
#include <stdlib.h>

#include "engine/instr.h"
#include "engine/module.h"

/* Does this instruction change the instance or leave it? */
static bool changes_state(const tova_module *m, const wasm_instr *in) {
  switch (in->op) {
    case WASM_OP_I32_STORE: case WASM_OP_I64_STORE: case WASM_OP_F32_STORE: case WASM_OP_F64_STORE:
    case WASM_OP_I32_STORE8: case WASM_OP_I32_STORE16: case WASM_OP_I64_STORE8:
    case WASM_OP_I64_STORE16: case WASM_OP_I64_STORE32:
    case WASM_OP_MEMORY_GROW: case WASM_OP_GLOBAL_SET: case WASM_OP_TABLE_SET:
    case WASM_OP_CALL_INDIRECT:
      return true;
    case WASM_OP_CALL: return in->a < m->nimported_funcs;
    case WASM_OP_PREFIX_FC:
      switch (in->sub) {
        case WASM_FC_MEMORY_INIT: case WASM_FC_DATA_DROP: case WASM_FC_MEMORY_COPY:
        case WASM_FC_MEMORY_FILL: case WASM_FC_TABLE_INIT: case WASM_FC_ELEM_DROP:
        case WASM_FC_TABLE_COPY: case WASM_FC_TABLE_GROW: case WASM_FC_TABLE_FILL:
          return true;
        default: return false;
      }
    default: return false;
  }
}

/* The defined functions reachable from `root` by direct calls change
 * nothing. `seen` has a flag per defined function; `stack` room for all. */
static bool reachable_stateless(const tova_module *m, uint32_t root, bool *seen, uint32_t *stack) {
  uint32_t n = 0;
  stack[n++] = root;
  seen[root] = true;
  while (n > 0) {
    const wasm_func_def *fd = &m->func_defs[stack[--n]];
    wasm_reader r;
    wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
    wasm_instr in;
    while (!rd_eof(&r)) {
      if (!wasm_read_instr(&r, &in) || changes_state(m, &in)) return false;
      if (in.op != WASM_OP_CALL) continue;
      uint32_t d = in.a - m->nimported_funcs; /* changes_state refused imports */
      if (d >= m->nfuncs - m->nimported_funcs) return false;
      if (!seen[d]) {
        seen[d] = true;
        stack[n++] = d;
      }
    }
  }
  return true;
}

enum { STATELESS_UNKNOWN = 0, STATELESS_YES = 1, STATELESS_NO = 2 };

bool tova_module_export_is_stateless(tova_module *m, const char *name, size_t name_len) {
  if (!m || (!name && name_len)) return false;
  wasm_export *ex = (wasm_export *)wasm_module_find_export(m, name, name_len);
  if (!ex || ex->kind != TOVA_EXTERN_FUNC) return false;
  /* Computed once per export: racing threads compute the same answer. */
  uint8_t known = __atomic_load_n(&ex->stateless, __ATOMIC_RELAXED);
  if (known != STATELESS_UNKNOWN) return known == STATELESS_YES;
  bool yes = false;
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  if (!m->has_start && ex->index >= m->nimported_funcs && ex->index < m->nfuncs) {
    bool *seen = calloc((size_t)ndefs + 1, sizeof *seen);
    uint32_t *stack = malloc(((size_t)ndefs + 1) * sizeof *stack);
    if (!seen || !stack) {
      free(seen);
      free(stack);
      return false; /* out of memory: not known, asked again next time */
    }
    yes = reachable_stateless(m, ex->index - m->nimported_funcs, seen, stack);
    free(seen);
    free(stack);
  }
  __atomic_store_n(&ex->stateless, yes ? STATELESS_YES : STATELESS_NO, __ATOMIC_RELAXED);
  return yes;
}
