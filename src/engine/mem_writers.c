/*
 * mem_writers.c: which functions may write linear memory (wasm_code's
 * may_write_memory), found once per module after compiling.
 *
 * Why: a pooled memory must be zeroed before its slot is reused (vslot.c),
 * and zeroing a whole page per task costs more than running a short task.
 * A task whose entry (and start function) cannot write leaves nothing to
 * zero but its data segments. The flag is what the entry points test before
 * code runs (store.h: `written`).
 *
 * A function may write when it
 *   - stores (any store opcode) or runs memory.fill, memory.copy or
 *     memory.init (memory.grow only adds pages that are zero);
 *   - does call_indirect (any function a table may hold);
 *   - calls, directly, a function of the module that may write (fixed point).
 * A call of an imported function does not count: the write, if any, is
 * marked where it happens. A host function reaches memory only through
 * tova_memory_data, which marks it; a function of another instance (which
 * may share this memory) marks its own instance's memory when the
 * interpreter enters it (interp.c CALL_FUNC); native code calls no imports.
 * Over-approximation only costs a memset; under-approximation would hand out
 * a dirty memory, so every doubt answers "may write".
 */
#include <stdlib.h>

#include "engine/compile.h"
#include "engine/instr.h"

static bool writes_itself(const wasm_instr *in) {
  if (in->op >= WASM_OP_I32_STORE && in->op <= WASM_OP_I64_STORE32) return true;
  return in->op == WASM_OP_PREFIX_FC &&
         (in->sub == WASM_FC_MEMORY_FILL || in->sub == WASM_FC_MEMORY_COPY ||
          in->sub == WASM_FC_MEMORY_INIT);
}

/* Scan one body: true when it may write by itself (see the top); its direct
 * calls of the module's own functions go to (*edges)[*nedges..). */
static bool scan_body(const tova_module *m, const wasm_func_def *fd, uint32_t **edges,
                      uint32_t *nedges, uint32_t *cap) {
  wasm_reader r;
  wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
  wasm_instr in;
  bool writes = false;
  while (!rd_eof(&r) && !writes) {
    if (!wasm_read_instr(&r, &in)) return true; /* cannot happen after validation */
    if (writes_itself(&in) || in.op == WASM_OP_CALL_INDIRECT) {
      writes = true;
    } else if (in.op == WASM_OP_CALL && in.a >= m->nimported_funcs) {
      if (*nedges == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 64;
        uint32_t *p = realloc(*edges, nc * sizeof *p);
        if (!p) return true;
        *edges = p;
        *cap = nc;
      }
      (*edges)[(*nedges)++] = in.a - m->nimported_funcs;
    }
  }
  return writes;
}

void wasm_find_memory_writers(tova_module *m) {
  uint32_t n = m->nfuncs - m->nimported_funcs;
  uint32_t *start = malloc(((size_t)n + 1) * sizeof *start);
  uint32_t *edges = NULL, nedges = 0, cap = 0;
  for (uint32_t i = 0; i < n; i++) {
    wasm_code *c = m->func_defs[i].code;
    if (!start) {
      c->may_write_memory = true; /* out of memory: every doubt says "may write" */
      continue;
    }
    start[i] = nedges;
    c->may_write_memory = scan_body(m, &m->func_defs[i], &edges, &nedges, &cap);
  }
  if (start) {
    start[n] = nedges;
    /* A caller of a writer writes. Each pass is linear; at most n passes
     * change anything. */
    for (bool changed = true; changed;) {
      changed = false;
      for (uint32_t i = 0; i < n; i++) {
        wasm_code *c = m->func_defs[i].code;
        for (uint32_t k = start[i]; k < start[i + 1] && !c->may_write_memory; k++) {
          if (m->func_defs[edges[k]].code->may_write_memory) {
            c->may_write_memory = true;
            changed = true;
          }
        }
      }
    }
  }
  free(edges);
  free(start);
}
