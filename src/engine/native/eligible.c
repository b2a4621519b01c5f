/*
 * eligible.c: which functions may run as native code (the rule of native.h,
 * kept in this one place).
 *
 * Native frames live on the C stack, so native code can never park in a host
 * call. A function is therefore NOT eligible when it
 *   - calls an imported function (it may be a suspending host import such as a
 *     channel operation, sleep or select; we cannot know which are not),
 *   - does call_indirect (the table may hold such an import), or
 *   - calls a function of its module that is not eligible (fixed point below).
 * Everything else (arithmetic, memory, globals, tables, direct calls among
 * eligible functions) is eligible.
 */
#include <stdlib.h>

#include "engine/instr.h"
#include "engine/native/native.h"

/* Scan one body: *bad when it calls an import or does call_indirect; the
 * module's own callees go to callees[0..*ncallees). */
static void scan_body(const tova_module *m, const wasm_func_def *fd, bool *bad, uint32_t **callees,
                      uint32_t *ncallees, uint32_t *cap) {
  wasm_reader r;
  wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
  wasm_instr in;
  while (!rd_eof(&r)) {
    if (!wasm_read_instr(&r, &in)) { /* cannot happen after validation: stay interpreted */
      *bad = true;
      return;
    }
    if (in.op == WASM_OP_CALL_INDIRECT) *bad = true;
    if (in.op == WASM_OP_CALL) {
      if (in.a < m->nimported_funcs) {
        *bad = true;
      } else {
        if (*ncallees == *cap) {
          uint32_t nc = *cap ? *cap * 2 : 16;
          uint32_t *p = realloc(*callees, nc * sizeof *p);
          if (!p) {
            *bad = true;
            return;
          }
          *callees = p;
          *cap = nc;
        }
        (*callees)[(*ncallees)++] = in.a - m->nimported_funcs;
      }
    }
  }
}

void wasm_native_eligible(const tova_module *m, bool *out) {
  uint32_t n = m->nfuncs - m->nimported_funcs;
  /* Call edges as one flat array: callees of function i at [start[i], start[i+1]). */
  uint32_t *start = calloc((size_t)n + 1, sizeof *start);
  uint32_t *edges = NULL, nedges = 0, cap = 0;
  if (!start) {
    for (uint32_t i = 0; i < n; i++) out[i] = false;
    return;
  }
  for (uint32_t i = 0; i < n; i++) {
    bool bad = false;
    start[i] = nedges;
    scan_body(m, &m->func_defs[i], &bad, &edges, &nedges, &cap);
    out[i] = !bad;
  }
  start[n] = nedges;
  /* Fixed point: a caller of an ineligible function is ineligible. Each pass
   * is linear; at most n passes change anything. */
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t i = 0; i < n; i++) {
      if (!out[i]) continue;
      for (uint32_t k = start[i]; k < start[i + 1]; k++) {
        if (!out[edges[k]]) {
          out[i] = false;
          changed = true;
          break;
        }
      }
    }
  }
  free(edges);
  free(start);
}
