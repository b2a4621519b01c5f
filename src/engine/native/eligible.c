/*
 * eligible.c: which functions may run as native code (the rule of native.h,
 * kept in this one place), and which may leave it (wasm_native_may_leave).
 *
 * Native frames live on the C stack, so native code cannot park in a host
 * call (a channel operation, sleep or select) and resume there. What it can
 * do is leave: when an import parks, or is a WebAssembly function of another
 * instance, each native call from the import's caller down to the entry
 * writes its locals and operand stack into the interpreter frame it would
 * have had, and its frame record, and the interpreter continues the
 * innermost from there (rt.h wasm_native_leave, wasm_native_leave_frame).
 * So imports keep nothing interpreted, and a function is NOT eligible only
 * when it
 *   - does call_indirect through a table that is not CLOSED (below), or
 *   - calls, directly or through call_indirect, a function of its module that
 *     is not eligible (fixed point below).
 * Everything else (arithmetic, memory, globals, tables, calls of imports and
 * of eligible functions) is eligible. In Tova terms: a producer loop that
 * calls chan_send runs native, and so do the pure function it calls per
 * value and the function that calls the producer loop.
 *
 * A table is closed when only this module's own functions can ever be in it:
 * it is neither imported nor exported (no one else can write it), no
 * instruction stores a computed reference into it (table.set, table.grow,
 * table.fill, or table.copy into it), and every element segment holds only
 * ref.func of defined functions or ref.null (table.init may copy any segment
 * into it). A call_indirect through a closed table can then only reach the
 * segments' functions of its type (others trap), so it counts as calls to
 * those (one edge to its type's group node: native.h wasm_native_callgraph).
 * This is what a C program's function pointers look like (wasm-ld
 * does not export the table by default).
 */
#include <stdlib.h>

#include "engine/exec.h"
#include "engine/instr.h"
#include "engine/native/native.h"

static bool push_callee(uint32_t **callees, uint32_t *ncallees, uint32_t *cap, uint32_t def) {
  if (*ncallees == *cap) {
    uint32_t nc = *cap ? *cap * 2 : 16;
    uint32_t *p = realloc(*callees, nc * sizeof *p);
    if (!p) return false;
    *callees = p;
    *cap = nc;
  }
  (*callees)[(*ncallees)++] = def;
  return true;
}

/* Which tables are closed (see the top of this file), and the defined
 * functions the element segments name (targets[0..*ntargets), defined
 * indices, duplicates possible). */
static void closed_tables(const tova_module *m, bool *closed, uint32_t **targets,
                          uint32_t *ntargets, uint32_t *tcap) {
  for (uint32_t t = 0; t < m->ntables; t++) closed[t] = t >= m->nimported_tables;
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].kind == TOVA_EXTERN_TABLE && m->exports[i].index < m->ntables)
      closed[m->exports[i].index] = false;
  bool segments_ok = true;
  for (uint32_t i = 0; i < m->nelems && segments_ok; i++) {
    const wasm_elem_segment *es = &m->elems[i];
    for (uint32_t k = 0; k < es->count; k++) {
      const wasm_constexpr *ce = &es->items[k];
      if (ce->kind == WASM_CONST_REF_NULL) continue;
      if (ce->kind != WASM_CONST_REF_FUNC || ce->index < m->nimported_funcs ||
          !push_callee(targets, ntargets, tcap, ce->index - m->nimported_funcs)) {
        segments_ok = false;
        break;
      }
    }
  }
  if (!segments_ok)
    for (uint32_t t = 0; t < m->ntables; t++) closed[t] = false;
  /* Instructions that store computed references. */
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  for (uint32_t d = 0; d < ndefs; d++) {
    const wasm_func_def *fd = &m->func_defs[d];
    wasm_reader r;
    wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
    wasm_instr in;
    while (!rd_eof(&r)) {
      if (!wasm_read_instr(&r, &in)) {
        for (uint32_t t = 0; t < m->ntables; t++) closed[t] = false;
        return;
      }
      if (in.op == WASM_OP_TABLE_SET && in.a < m->ntables) closed[in.a] = false;
      if (in.op == WASM_OP_PREFIX_FC &&
          (in.sub == WASM_FC_TABLE_GROW || in.sub == WASM_FC_TABLE_FILL ||
           in.sub == WASM_FC_TABLE_COPY) &&
          in.a < m->ntables)
        closed[in.a] = false;
    }
  }
}

/* The call graph's group nodes. A call_indirect through a closed table may
 * reach every segment function of its type, so it counts as calls to
 * those; but as edges from each caller to each of them it would hold
 * callers x targets edges (a program with 3,000 functions of one type in
 * its table and a call through it in each: 9M edges, and every walk of
 * the graph as long). So each type (up to equality) that some segment
 * function has is one node, after the defined functions: its edges are
 * those functions, and a call_indirect of that type is one edge to it. */
typedef struct {
  uint32_t *group_of; /* type index -> group, UINT32_MAX: none (such a call always traps) */
  uint32_t ngroups;
} groups;

static bool make_groups(const tova_module *m, const uint32_t *targets, uint32_t ntargets, groups *g) {
  g->ngroups = 0;
  g->group_of = malloc(((size_t)m->ntypes + 1) * sizeof *g->group_of);
  if (!g->group_of) return false;
  for (uint32_t t = 0; t < m->ntypes; t++) g->group_of[t] = UINT32_MAX;
  for (uint32_t k = 0; k < ntargets; k++) {
    uint32_t ti = m->func_defs[targets[k]].type_index;
    if (g->group_of[ti] != UINT32_MAX) continue;
    /* A new group for ti and every type equal to it. */
    for (uint32_t t = 0; t < m->ntypes; t++)
      if (g->group_of[t] == UINT32_MAX && wasm_functype_equal(&m->types[t], &m->types[ti]))
        g->group_of[t] = g->ngroups;
    g->ngroups++;
  }
  return true;
}

/* Adds edge v -> c unless v has it already (last[c] == v: v's edges are
 * pushed together). */
static bool push_edge(uint32_t **edges, uint32_t *nedges, uint32_t *cap, uint32_t *last, uint32_t v, uint32_t c) {
  if (last[c] == v) return true;
  last[c] = v;
  return push_callee(edges, nedges, cap, c);
}

/* Scan one body (defined function v): *bad when it does call_indirect
 * through an open table, *imports when it calls an import; its edges (the
 * module's own callees, and the groups of its call_indirects) pushed. */
static void scan_body(const tova_module *m, uint32_t v, const bool *closed, const groups *g, bool *bad,
                      bool *imports, uint32_t **edges, uint32_t *nedges, uint32_t *cap, uint32_t *last) {
  const wasm_func_def *fd = &m->func_defs[v];
  uint32_t n = m->nfuncs - m->nimported_funcs;
  wasm_reader r;
  wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
  wasm_instr in;
  while (!rd_eof(&r)) {
    if (!wasm_read_instr(&r, &in)) { /* cannot happen after validation: stay interpreted */
      *bad = true;
      return;
    }
    if (in.op == WASM_OP_CALL_INDIRECT) {
      if (in.b >= m->ntables || !closed[in.b]) {
        *bad = true;
        continue;
      }
      uint32_t grp = in.a < m->ntypes ? g->group_of[in.a] : UINT32_MAX;
      if (grp != UINT32_MAX && !push_edge(edges, nedges, cap, last, v, n + grp)) *bad = true;
    }
    if (in.op == WASM_OP_CALL) {
      if (in.a < m->nimported_funcs) *imports = true;
      else if (!push_edge(edges, nedges, cap, last, v, in.a - m->nimported_funcs)) *bad = true;
    }
  }
}

/* Fixed point over every node: out[v] becomes `to` when v has an edge to a
 * node whose out[] is `to` already. Each pass is linear; at most nnodes
 * passes change anything. */
static void spread(uint32_t nnodes, const uint32_t *start, const uint32_t *edges, bool *out, bool to) {
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t i = 0; i < nnodes; i++) {
      if (out[i] == to) continue;
      for (uint32_t k = start[i]; k < start[i + 1]; k++) {
        if (out[edges[k]] == to) {
          out[i] = to;
          changed = true;
          break;
        }
      }
    }
  }
}

bool wasm_native_callgraph(const tova_module *m, bool *out, bool *imports_out, uint32_t *nnodes_out,
                           uint32_t **start_out, uint32_t **edges_out, bool *closed_out) {
  uint32_t n = m->nfuncs - m->nimported_funcs;
  uint32_t *edges = NULL, nedges = 0, cap = 0;
  uint32_t *targets = NULL, ntargets = 0, tcap = 0;
  bool *closed = calloc((size_t)m->ntables + 1, sizeof *closed);
  groups g = {NULL, 0};
  uint32_t *start = NULL, *last = NULL;
  bool *elig = NULL, ok = false;
  *start_out = NULL;
  *edges_out = NULL;
  if (nnodes_out) *nnodes_out = n;
  if (closed) {
    closed_tables(m, closed, &targets, &ntargets, &tcap);
    ok = make_groups(m, targets, ntargets, &g);
  }
  uint32_t nnodes = n + g.ngroups;
  if (ok) {
    start = calloc((size_t)nnodes + 1, sizeof *start);
    last = malloc(((size_t)nnodes + 1) * sizeof *last);
    elig = calloc((size_t)nnodes + 1, sizeof *elig);
    ok = start && last && elig;
  }
  for (uint32_t i = 0; ok && i < nnodes; i++) last[i] = UINT32_MAX;
  for (uint32_t i = 0; ok && i < n; i++) {
    bool bad = false, imp = false;
    start[i] = nedges;
    scan_body(m, i, closed, &g, &bad, &imp, &edges, &nedges, &cap, last);
    elig[i] = !bad;
    if (imports_out) imports_out[i] = imp;
  }
  /* The groups' edges: their functions, each once. */
  for (uint32_t grp = 0; ok && grp < g.ngroups; grp++) {
    uint32_t v = n + grp;
    start[v] = nedges;
    elig[v] = true;
    for (uint32_t k = 0; k < ntargets; k++)
      if (g.group_of[m->func_defs[targets[k]].type_index] == grp && !push_edge(&edges, &nedges, &cap, last, v, targets[k]))
        ok = false;
  }
  if (ok) {
    start[nnodes] = nedges;
    /* A caller of an ineligible function is ineligible. */
    spread(nnodes, start, edges, elig, false);
    for (uint32_t i = 0; i < n; i++) out[i] = elig[i];
    if (nnodes_out) *nnodes_out = nnodes;
    *start_out = start;
    *edges_out = edges;
    for (uint32_t t = 0; closed_out && t < m->ntables; t++) closed_out[t] = closed[t];
  } else {
    for (uint32_t i = 0; i < n; i++) out[i] = false;
    free(start);
    free(edges);
  }
  free(g.group_of);
  free(last);
  free(elig);
  free(targets);
  free(closed);
  return ok;
}

void wasm_native_eligible(const tova_module *m, bool *out) {
  uint32_t *start, *edges;
  wasm_native_callgraph(m, out, NULL, NULL, &start, &edges, NULL);
  free(start);
  free(edges);
}

bool wasm_native_may_leave(uint32_t n, uint32_t nnodes, const uint32_t *start, const uint32_t *edges,
                              const bool *imports, bool *out) {
  bool *leave = calloc((size_t)nnodes + 1, sizeof *leave);
  if (!leave) return false;
  for (uint32_t i = 0; i < n; i++) leave[i] = imports[i];
  /* A caller of a function that may leave may. */
  spread(nnodes, start, edges, leave, true);
  for (uint32_t i = 0; i < n; i++) out[i] = leave[i];
  free(leave);
  return true;
}

/* Tarjan's strongly connected components, iteratively: out[v] is true when v
 * lies on a cycle (a self-call, or a component of two or more functions). */
void wasm_native_in_cycle(uint32_t n, const uint32_t *start, const uint32_t *edges, bool *out) {
  const uint32_t UNSEEN = UINT32_MAX;
  uint32_t *idx = malloc(((size_t)n + 1) * 5 * sizeof *idx);
  bool *on = calloc((size_t)n + 1, sizeof *on);
  for (uint32_t v = 0; v < n; v++) out[v] = false;
  if (!idx || !on) { /* out of memory: every function counts as recursive (it polls) */
    for (uint32_t v = 0; v < n; v++) out[v] = true;
    free(idx);
    free(on);
    return;
  }
  uint32_t *low = idx + n + 1, *stk = low + n + 1, *cs_v = stk + n + 1, *cs_k = cs_v + n + 1;
  uint32_t counter = 0, sp = 0;
  for (uint32_t v = 0; v < n; v++) idx[v] = UNSEEN;
  for (uint32_t r = 0; r < n; r++) {
    if (idx[r] != UNSEEN) continue;
    uint32_t csp = 0;
    idx[r] = low[r] = counter++;
    stk[sp++] = r;
    on[r] = true;
    cs_v[csp] = r;
    cs_k[csp++] = start[r];
    while (csp) {
      uint32_t v = cs_v[csp - 1];
      if (cs_k[csp - 1] < start[v + 1]) {
        uint32_t w = edges[cs_k[csp - 1]++];
        if (w == v) out[v] = true;
        if (idx[w] == UNSEEN) {
          idx[w] = low[w] = counter++;
          stk[sp++] = w;
          on[w] = true;
          cs_v[csp] = w;
          cs_k[csp++] = start[w];
        } else if (on[w] && idx[w] < low[v]) {
          low[v] = idx[w];
        }
        continue;
      }
      csp--;
      if (csp && low[v] < low[cs_v[csp - 1]]) low[cs_v[csp - 1]] = low[v];
      if (low[v] != idx[v]) continue;
      uint32_t first = sp; /* pop v's component */
      do first--; while (stk[first] != v);
      for (uint32_t k = first; k < sp; k++) {
        on[stk[k]] = false;
        if (sp - first > 1) out[stk[k]] = true;
      }
      sp = first;
    }
  }
  free(idx);
  free(on);
}
