/*
 * validate_code.c: validation of one function body (spec section 3.3 and the
 * validation algorithm of the spec's appendix).
 *
 * An operand stack of value types (WASM_T_UNKNOWN after `unreachable` and
 * friends) and a control stack of frames, both on the heap: the depth of
 * nesting is controlled by the input, so nothing here recurses. Every
 * instruction does O(1) work except those whose immediates are themselves
 * proportional to input size (br_table targets, block arities), so the
 * whole pass is linear in the body size.
 */
#include <stdlib.h>
#include <string.h>

#include "instr.h"
#include "validate.h"

#define WASM_T_UNKNOWN 0 /* the bottom type of the stack-polymorphic part */

/* valtype_self[t] == t: lets a single value type be used as a 1-element
 * type vector without storing it anywhere. */
static const uint8_t valtype_self[256] = {
    [TOVA_I32] = TOVA_I32, [TOVA_I64] = TOVA_I64, [TOVA_F32] = TOVA_F32,
    [TOVA_F64] = TOVA_F64, [TOVA_FUNCREF] = TOVA_FUNCREF, [TOVA_EXTERNREF] = TOVA_EXTERNREF};

/* Numeric instructions 0x45..0xC4 without immediates: operand types (second
 * is 0 for unary operators) and the result type. */
typedef struct numsig {
  uint8_t in1, in2, out;
} numsig;

static const numsig numeric_sigs[0xC5] = {
    [0x45] = {TOVA_I32, 0, TOVA_I32},
    [0x46] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x47] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x48] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x49] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x4A] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x4B] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x4C] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x4D] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x4E] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x4F] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x50] = {TOVA_I64, 0, TOVA_I32},
    [0x51] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x52] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x53] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x54] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x55] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x56] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x57] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x58] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x59] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x5A] = {TOVA_I64, TOVA_I64, TOVA_I32},
    [0x5B] = {TOVA_F32, TOVA_F32, TOVA_I32},
    [0x5C] = {TOVA_F32, TOVA_F32, TOVA_I32},
    [0x5D] = {TOVA_F32, TOVA_F32, TOVA_I32},
    [0x5E] = {TOVA_F32, TOVA_F32, TOVA_I32},
    [0x5F] = {TOVA_F32, TOVA_F32, TOVA_I32},
    [0x60] = {TOVA_F32, TOVA_F32, TOVA_I32},
    [0x61] = {TOVA_F64, TOVA_F64, TOVA_I32},
    [0x62] = {TOVA_F64, TOVA_F64, TOVA_I32},
    [0x63] = {TOVA_F64, TOVA_F64, TOVA_I32},
    [0x64] = {TOVA_F64, TOVA_F64, TOVA_I32},
    [0x65] = {TOVA_F64, TOVA_F64, TOVA_I32},
    [0x66] = {TOVA_F64, TOVA_F64, TOVA_I32},
    [0x67] = {TOVA_I32, 0, TOVA_I32},
    [0x68] = {TOVA_I32, 0, TOVA_I32},
    [0x69] = {TOVA_I32, 0, TOVA_I32},
    [0x6A] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x6B] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x6C] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x6D] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x6E] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x6F] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x70] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x71] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x72] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x73] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x74] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x75] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x76] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x77] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x78] = {TOVA_I32, TOVA_I32, TOVA_I32},
    [0x79] = {TOVA_I64, 0, TOVA_I64},
    [0x7A] = {TOVA_I64, 0, TOVA_I64},
    [0x7B] = {TOVA_I64, 0, TOVA_I64},
    [0x7C] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x7D] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x7E] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x7F] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x80] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x81] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x82] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x83] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x84] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x85] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x86] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x87] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x88] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x89] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x8A] = {TOVA_I64, TOVA_I64, TOVA_I64},
    [0x8B] = {TOVA_F32, 0, TOVA_F32},
    [0x8C] = {TOVA_F32, 0, TOVA_F32},
    [0x8D] = {TOVA_F32, 0, TOVA_F32},
    [0x8E] = {TOVA_F32, 0, TOVA_F32},
    [0x8F] = {TOVA_F32, 0, TOVA_F32},
    [0x90] = {TOVA_F32, 0, TOVA_F32},
    [0x91] = {TOVA_F32, 0, TOVA_F32},
    [0x92] = {TOVA_F32, TOVA_F32, TOVA_F32},
    [0x93] = {TOVA_F32, TOVA_F32, TOVA_F32},
    [0x94] = {TOVA_F32, TOVA_F32, TOVA_F32},
    [0x95] = {TOVA_F32, TOVA_F32, TOVA_F32},
    [0x96] = {TOVA_F32, TOVA_F32, TOVA_F32},
    [0x97] = {TOVA_F32, TOVA_F32, TOVA_F32},
    [0x98] = {TOVA_F32, TOVA_F32, TOVA_F32},
    [0x99] = {TOVA_F64, 0, TOVA_F64},
    [0x9A] = {TOVA_F64, 0, TOVA_F64},
    [0x9B] = {TOVA_F64, 0, TOVA_F64},
    [0x9C] = {TOVA_F64, 0, TOVA_F64},
    [0x9D] = {TOVA_F64, 0, TOVA_F64},
    [0x9E] = {TOVA_F64, 0, TOVA_F64},
    [0x9F] = {TOVA_F64, 0, TOVA_F64},
    [0xA0] = {TOVA_F64, TOVA_F64, TOVA_F64},
    [0xA1] = {TOVA_F64, TOVA_F64, TOVA_F64},
    [0xA2] = {TOVA_F64, TOVA_F64, TOVA_F64},
    [0xA3] = {TOVA_F64, TOVA_F64, TOVA_F64},
    [0xA4] = {TOVA_F64, TOVA_F64, TOVA_F64},
    [0xA5] = {TOVA_F64, TOVA_F64, TOVA_F64},
    [0xA6] = {TOVA_F64, TOVA_F64, TOVA_F64},
    [0xA7] = {TOVA_I64, 0, TOVA_I32},
    [0xA8] = {TOVA_F32, 0, TOVA_I32},
    [0xA9] = {TOVA_F32, 0, TOVA_I32},
    [0xAA] = {TOVA_F64, 0, TOVA_I32},
    [0xAB] = {TOVA_F64, 0, TOVA_I32},
    [0xAC] = {TOVA_I32, 0, TOVA_I64},
    [0xAD] = {TOVA_I32, 0, TOVA_I64},
    [0xAE] = {TOVA_F32, 0, TOVA_I64},
    [0xAF] = {TOVA_F32, 0, TOVA_I64},
    [0xB0] = {TOVA_F64, 0, TOVA_I64},
    [0xB1] = {TOVA_F64, 0, TOVA_I64},
    [0xB2] = {TOVA_I32, 0, TOVA_F32},
    [0xB3] = {TOVA_I32, 0, TOVA_F32},
    [0xB4] = {TOVA_I64, 0, TOVA_F32},
    [0xB5] = {TOVA_I64, 0, TOVA_F32},
    [0xB6] = {TOVA_F64, 0, TOVA_F32},
    [0xB7] = {TOVA_I32, 0, TOVA_F64},
    [0xB8] = {TOVA_I32, 0, TOVA_F64},
    [0xB9] = {TOVA_I64, 0, TOVA_F64},
    [0xBA] = {TOVA_I64, 0, TOVA_F64},
    [0xBB] = {TOVA_F32, 0, TOVA_F64},
    [0xBC] = {TOVA_F32, 0, TOVA_I32},
    [0xBD] = {TOVA_F64, 0, TOVA_I64},
    [0xBE] = {TOVA_I32, 0, TOVA_F32},
    [0xBF] = {TOVA_I64, 0, TOVA_F64},
    [0xC0] = {TOVA_I32, 0, TOVA_I32},
    [0xC1] = {TOVA_I32, 0, TOVA_I32},
    [0xC2] = {TOVA_I64, 0, TOVA_I64},
    [0xC3] = {TOVA_I64, 0, TOVA_I64},
    [0xC4] = {TOVA_I64, 0, TOVA_I64},
};

typedef struct ctl_frame {
  uint8_t op;          /* WASM_OP_BLOCK/LOOP/IF/ELSE, or WASM_OP_CALL for the function */
  bool unreachable;    /* rest of the block is stack-polymorphic */
  uint32_t height;     /* operand stack height at entry */
  uint32_t nparams, nresults;
  const uint8_t *params, *results;
  uint64_t stamp;      /* last br_table that checked this label (dedupe) */
} ctl_frame;

typedef struct validator {
  const tova_module *m;
  wasm_reader r;
  uint8_t *vals;
  uint32_t nvals, vals_cap;
  ctl_frame *ctls;
  uint32_t nctls, ctls_cap;
  bool nomem;
  /* The function being validated. */
  const tova_functype *type;
  const wasm_func_def *def;
} validator;

static bool fail(validator *v, const uint8_t *at, const char *msg) {
  return rd_fail_at(&v->r, at, msg);
}

static bool nomem(validator *v) {
  v->nomem = true;
  return rd_fail(&v->r, "out of memory");
}

static bool push_val(validator *v, uint8_t t) {
  if (v->nvals == v->vals_cap) {
    uint32_t cap = v->vals_cap ? v->vals_cap * 2 : 256;
    if (cap < v->vals_cap) return nomem(v);
    uint8_t *nv = realloc(v->vals, cap);
    if (!nv) return nomem(v);
    v->vals = nv;
    v->vals_cap = cap;
  }
  v->vals[v->nvals++] = t;
  return true;
}

/* Pop any value; *out is WASM_T_UNKNOWN below an unreachable point. */
static bool pop_any(validator *v, const uint8_t *at, uint8_t *out) {
  ctl_frame *f = &v->ctls[v->nctls - 1];
  if (v->nvals == f->height) {
    if (f->unreachable) {
      *out = WASM_T_UNKNOWN;
      return true;
    }
    return fail(v, at, "type mismatch (operand stack empty)");
  }
  *out = v->vals[--v->nvals];
  return true;
}

static bool pop_expect(validator *v, const uint8_t *at, uint8_t expect, uint8_t *out) {
  uint8_t t = 0;
  if (!pop_any(v, at, &t)) return false;
  if (t != expect && t != WASM_T_UNKNOWN && expect != WASM_T_UNKNOWN)
    return fail(v, at, "type mismatch");
  if (out) *out = t == WASM_T_UNKNOWN ? expect : t;
  return true;
}

static bool pop_vals(validator *v, const uint8_t *at, uint32_t n, const uint8_t *types) {
  for (uint32_t i = n; i-- > 0;)
    if (!pop_expect(v, at, types[i], NULL)) return false;
  return true;
}

static bool push_vals(validator *v, uint32_t n, const uint8_t *types) {
  for (uint32_t i = 0; i < n; i++)
    if (!push_val(v, types[i])) return false;
  return true;
}

static bool push_ctl(validator *v, uint8_t op, uint32_t np, const uint8_t *p, uint32_t nr,
                     const uint8_t *res) {
  if (v->nctls == v->ctls_cap) {
    uint32_t cap = v->ctls_cap ? v->ctls_cap * 2 : 64;
    if (cap < v->ctls_cap) return nomem(v);
    ctl_frame *nc = realloc(v->ctls, (size_t)cap * sizeof *nc);
    if (!nc) return nomem(v);
    v->ctls = nc;
    v->ctls_cap = cap;
  }
  ctl_frame *f = &v->ctls[v->nctls++];
  f->op = op;
  f->unreachable = false;
  f->height = v->nvals;
  f->nparams = np;
  f->params = p;
  f->nresults = nr;
  f->results = res;
  f->stamp = 0;
  return push_vals(v, np, p);
}

/* Pop the top frame after checking its results are exactly on the stack. */
static bool pop_ctl(validator *v, const uint8_t *at, ctl_frame *out) {
  ctl_frame *f = &v->ctls[v->nctls - 1];
  if (!pop_vals(v, at, f->nresults, f->results)) return false;
  if (v->nvals != f->height) return fail(v, at, "type mismatch (values remain at end of block)");
  *out = *f;
  v->nctls--;
  return true;
}

static void set_unreachable(validator *v) {
  ctl_frame *f = &v->ctls[v->nctls - 1];
  v->nvals = f->height;
  f->unreachable = true;
}

/* Types a branch to frame `f` carries: a loop's parameters, else results. */
static uint32_t label_arity(const ctl_frame *f) {
  return f->op == WASM_OP_LOOP ? f->nparams : f->nresults;
}
static const uint8_t *label_types(const ctl_frame *f) {
  return f->op == WASM_OP_LOOP ? f->params : f->results;
}

static bool get_label(validator *v, const uint8_t *at, uint32_t depth, ctl_frame **out) {
  if (depth >= v->nctls) return rd_failf(&v->r, at, "unknown label %u", depth);
  *out = &v->ctls[v->nctls - 1 - depth];
  return true;
}

static bool block_type(validator *v, const wasm_instr *in, uint32_t *np, const uint8_t **p,
                       uint32_t *nr, const uint8_t **res) {
  switch (in->bt_kind) {
    case WASM_BT_EMPTY:
      *np = *nr = 0;
      *p = *res = NULL;
      return true;
    case WASM_BT_VALUE:
      *np = 0;
      *p = NULL;
      *nr = 1;
      *res = &valtype_self[in->bt_value];
      return true;
    default:
      if (in->bt_index >= v->m->ntypes)
        return rd_failf(&v->r, in->at, "unknown type %u", in->bt_index);
      const tova_functype *ft = &v->m->types[in->bt_index];
      *np = ft->nparams;
      *p = ft->params;
      *nr = ft->nresults;
      *res = ft->results;
      return true;
  }
}

static bool local_type(validator *v, const wasm_instr *in, uint8_t *t) {
  uint64_t idx = in->a;
  if (idx < v->type->nparams) {
    *t = v->type->params[idx];
    return true;
  }
  idx -= v->type->nparams;
  if (idx < v->def->nlocals) {
    *t = v->def->local_types[idx];
    return true;
  }
  return rd_failf(&v->r, in->at, "unknown local %u", in->a);
}

static bool need_memory(validator *v, const uint8_t *at) {
  if (v->m->nmemories == 0) return fail(v, at, "unknown memory 0");
  return true;
}

static bool need_table(validator *v, const uint8_t *at, uint32_t idx, uint8_t *elem) {
  if (idx >= v->m->ntables) return rd_failf(&v->r, at, "unknown table %u", idx);
  *elem = v->m->tables[idx].elem;
  return true;
}

static bool need_data(validator *v, const uint8_t *at, uint32_t idx) {
  /* The data count section announces the segments; without it (allowed when
   * the module has no data section) the count is that of the data section. */
  uint32_t n = v->m->has_data_count ? v->m->data_count : v->m->ndatas;
  if (idx >= n)
    return rd_failf(&v->r, at, "unknown data segment %u", idx);
  return true;
}

static bool need_elem(validator *v, const uint8_t *at, uint32_t idx, uint8_t *elem) {
  if (idx >= v->m->nelems) return rd_failf(&v->r, at, "unknown elem segment %u", idx);
  *elem = v->m->elems[idx].elem;
  return true;
}

/* Pop three i32 operands (bulk memory and table instructions). */
static bool pop_i32x3(validator *v, const uint8_t *at) {
  return pop_expect(v, at, TOVA_I32, NULL) && pop_expect(v, at, TOVA_I32, NULL) &&
         pop_expect(v, at, TOVA_I32, NULL);
}

static bool unop(validator *v, const uint8_t *at, uint8_t in, uint8_t out) {
  return pop_expect(v, at, in, NULL) && push_val(v, out);
}

static bool br_table(validator *v, const wasm_instr *in, uint64_t stamp) {
  const uint8_t *at = in->at;
  if (!pop_expect(v, at, TOVA_I32, NULL)) return false;
  ctl_frame *def = NULL;
  if (!get_label(v, at, in->a, &def)) return false;
  uint32_t arity = label_arity(def);
  wasm_reader tr;
  wasm_reader_init(&tr, v->r.base, in->targets, v->r.end);
  for (uint32_t i = 0; i < in->ntargets; i++) {
    uint32_t depth;
    if (!rd_u32(&tr, &depth)) return fail(v, at, "malformed br_table");
    ctl_frame *f = NULL;
    if (!get_label(v, at, depth, &f)) return false;
    if (label_arity(f) != arity) return fail(v, at, "type mismatch (br_table arities differ)");
    /* Checking the same label twice changes nothing: do it once per br_table. */
    if (f->stamp == stamp) continue;
    f->stamp = stamp;
    uint32_t n = label_arity(f);
    const uint8_t *types = label_types(f);
    /* Pop and push back what was popped (unknown stays unknown). */
    uint8_t popped_small[16];
    uint8_t *popped = n <= 16 ? popped_small : malloc(n);
    if (!popped) return nomem(v);
    bool ok = true;
    for (uint32_t k = n; ok && k-- > 0;) {
      uint8_t t = 0;
      ok = pop_any(v, at, &t);
      if (ok && t != types[k] && t != WASM_T_UNKNOWN) ok = fail(v, at, "type mismatch");
      if (ok) popped[k] = t;
    }
    for (uint32_t k = 0; ok && k < n; k++) ok = push_val(v, popped[k]);
    if (popped != popped_small) free(popped);
    if (!ok) return false;
  }
  if (!pop_vals(v, at, arity, label_types(def))) return false;
  set_unreachable(v);
  return true;
}

static bool fc_instr(validator *v, const wasm_instr *in) {
  const uint8_t *at = in->at;
  uint8_t e1 = 0, e2 = 0;
  switch (in->sub) {
    case WASM_FC_I32_TRUNC_SAT_F32_S: case WASM_FC_I32_TRUNC_SAT_F32_U:
      return unop(v, at, TOVA_F32, TOVA_I32);
    case WASM_FC_I32_TRUNC_SAT_F64_S: case WASM_FC_I32_TRUNC_SAT_F64_U:
      return unop(v, at, TOVA_F64, TOVA_I32);
    case WASM_FC_I64_TRUNC_SAT_F32_S: case WASM_FC_I64_TRUNC_SAT_F32_U:
      return unop(v, at, TOVA_F32, TOVA_I64);
    case WASM_FC_I64_TRUNC_SAT_F64_S: case WASM_FC_I64_TRUNC_SAT_F64_U:
      return unop(v, at, TOVA_F64, TOVA_I64);
    case WASM_FC_MEMORY_INIT:
      return need_memory(v, at) && need_data(v, at, in->a) && pop_i32x3(v, at);
    case WASM_FC_DATA_DROP:
      return need_data(v, at, in->a);
    case WASM_FC_MEMORY_COPY:
    case WASM_FC_MEMORY_FILL:
      return need_memory(v, at) && pop_i32x3(v, at);
    case WASM_FC_TABLE_INIT:
      if (!need_table(v, at, in->b, &e1) || !need_elem(v, at, in->a, &e2)) return false;
      if (e1 != e2) return fail(v, at, "type mismatch (element and table types differ)");
      return pop_i32x3(v, at);
    case WASM_FC_ELEM_DROP:
      return need_elem(v, at, in->a, &e1);
    case WASM_FC_TABLE_COPY:
      if (!need_table(v, at, in->a, &e1) || !need_table(v, at, in->b, &e2)) return false;
      if (e1 != e2) return fail(v, at, "type mismatch (table types differ)");
      return pop_i32x3(v, at);
    case WASM_FC_TABLE_GROW:
      if (!need_table(v, at, in->a, &e1)) return false;
      return pop_expect(v, at, TOVA_I32, NULL) && pop_expect(v, at, e1, NULL) &&
             push_val(v, TOVA_I32);
    case WASM_FC_TABLE_SIZE:
      return need_table(v, at, in->a, &e1) && push_val(v, TOVA_I32);
    case WASM_FC_TABLE_FILL:
      if (!need_table(v, at, in->a, &e1)) return false;
      return pop_expect(v, at, TOVA_I32, NULL) && pop_expect(v, at, e1, NULL) &&
             pop_expect(v, at, TOVA_I32, NULL);
    default:
      return fail(v, at, "illegal opcode");
  }
}

static bool memop(validator *v, const wasm_instr *in) {
  const uint8_t *at = in->at;
  if (!need_memory(v, at)) return false;
  int natural = wasm_memop_natural_align(in->op);
  if ((int)in->align > natural) return fail(v, at, "alignment must not be larger than natural");
  uint8_t t = 0;
  switch (in->op) {
    case WASM_OP_I32_LOAD: case WASM_OP_I32_LOAD8_S: case WASM_OP_I32_LOAD8_U:
    case WASM_OP_I32_LOAD16_S: case WASM_OP_I32_LOAD16_U:
      return unop(v, at, TOVA_I32, TOVA_I32);
    case WASM_OP_I64_LOAD: case WASM_OP_I64_LOAD8_S: case WASM_OP_I64_LOAD8_U:
    case WASM_OP_I64_LOAD16_S: case WASM_OP_I64_LOAD16_U: case WASM_OP_I64_LOAD32_S:
    case WASM_OP_I64_LOAD32_U:
      return unop(v, at, TOVA_I32, TOVA_I64);
    case WASM_OP_F32_LOAD: return unop(v, at, TOVA_I32, TOVA_F32);
    case WASM_OP_F64_LOAD: return unop(v, at, TOVA_I32, TOVA_F64);
    case WASM_OP_I32_STORE: case WASM_OP_I32_STORE8: case WASM_OP_I32_STORE16: t = TOVA_I32; break;
    case WASM_OP_I64_STORE: case WASM_OP_I64_STORE8: case WASM_OP_I64_STORE16:
    case WASM_OP_I64_STORE32: t = TOVA_I64; break;
    case WASM_OP_F32_STORE: t = TOVA_F32; break;
    default: t = TOVA_F64; break;
  }
  return pop_expect(v, at, t, NULL) && pop_expect(v, at, TOVA_I32, NULL);
}

/* One instruction. Sets *done when the function's final `end` was seen. */
static bool step(validator *v, const wasm_instr *in, uint64_t stamp, bool *done) {
  const tova_module *m = v->m;
  const uint8_t *at = in->at;
  uint8_t t = 0, t1 = 0, t2 = 0;
  uint32_t np = 0, nr = 0;
  const uint8_t *p = NULL, *res = NULL;
  ctl_frame *f = NULL, popped;
  switch (in->op) {
    case WASM_OP_UNREACHABLE:
      set_unreachable(v);
      return true;
    case WASM_OP_NOP:
      return true;
    case WASM_OP_BLOCK:
    case WASM_OP_LOOP:
      return block_type(v, in, &np, &p, &nr, &res) && pop_vals(v, at, np, p) &&
             push_ctl(v, in->op, np, p, nr, res);
    case WASM_OP_IF:
      return block_type(v, in, &np, &p, &nr, &res) && pop_expect(v, at, TOVA_I32, NULL) &&
             pop_vals(v, at, np, p) && push_ctl(v, in->op, np, p, nr, res);
    case WASM_OP_ELSE:
      if (v->ctls[v->nctls - 1].op != WASM_OP_IF) return fail(v, at, "else without matching if");
      if (!pop_ctl(v, at, &popped)) return false;
      return push_ctl(v, WASM_OP_ELSE, popped.nparams, popped.params, popped.nresults,
                      popped.results);
    case WASM_OP_END:
      if (!pop_ctl(v, at, &popped)) return false;
      /* An `if` without `else` has an implicit empty else: params must equal results. */
      if (popped.op == WASM_OP_IF) {
        if (popped.nparams != popped.nresults ||
            (popped.nparams && memcmp(popped.params, popped.results, popped.nparams) != 0))
          return fail(v, at, "type mismatch (if without else must leave its inputs)");
      }
      if (v->nctls == 0) {
        *done = true;
        return true;
      }
      return push_vals(v, popped.nresults, popped.results);
    case WASM_OP_BR:
      if (!get_label(v, at, in->a, &f)) return false;
      if (!pop_vals(v, at, label_arity(f), label_types(f))) return false;
      set_unreachable(v);
      return true;
    case WASM_OP_BR_IF:
      if (!get_label(v, at, in->a, &f)) return false;
      return pop_expect(v, at, TOVA_I32, NULL) && pop_vals(v, at, label_arity(f), label_types(f)) &&
             push_vals(v, label_arity(f), label_types(f));
    case WASM_OP_BR_TABLE:
      return br_table(v, in, stamp);
    case WASM_OP_RETURN:
      if (!pop_vals(v, at, v->type->nresults, v->type->results)) return false;
      set_unreachable(v);
      return true;
    case WASM_OP_CALL: {
      if (in->a >= m->nfuncs) return rd_failf(&v->r, at, "unknown function %u", in->a);
      const tova_functype *ft = wasm_func_type(m, in->a);
      return pop_vals(v, at, ft->nparams, ft->params) && push_vals(v, ft->nresults, ft->results);
    }
    case WASM_OP_CALL_INDIRECT: {
      if (!need_table(v, at, in->b, &t)) return false;
      if (t != TOVA_FUNCREF) return fail(v, at, "type mismatch (call_indirect needs a funcref table)");
      if (in->a >= m->ntypes) return rd_failf(&v->r, at, "unknown type %u", in->a);
      const tova_functype *ft = &m->types[in->a];
      return pop_expect(v, at, TOVA_I32, NULL) && pop_vals(v, at, ft->nparams, ft->params) &&
             push_vals(v, ft->nresults, ft->results);
    }
    case WASM_OP_DROP:
      return pop_any(v, at, &t);
    case WASM_OP_SELECT:
      if (!pop_expect(v, at, TOVA_I32, NULL) || !pop_any(v, at, &t1) || !pop_any(v, at, &t2))
        return false;
      /* Untyped select only works on numeric types. */
      if (wasm_is_reftype(t1) || wasm_is_reftype(t2))
        return fail(v, at, "type mismatch (select without type on references)");
      if (t1 != t2 && t1 != WASM_T_UNKNOWN && t2 != WASM_T_UNKNOWN)
        return fail(v, at, "type mismatch");
      return push_val(v, t1 == WASM_T_UNKNOWN ? t2 : t1);
    case WASM_OP_SELECT_T:
      if (in->b != 1) return fail(v, at, "invalid result arity");
      return pop_expect(v, at, TOVA_I32, NULL) && pop_expect(v, at, in->type, NULL) &&
             pop_expect(v, at, in->type, NULL) && push_val(v, in->type);
    case WASM_OP_LOCAL_GET:
      return local_type(v, in, &t) && push_val(v, t);
    case WASM_OP_LOCAL_SET:
      return local_type(v, in, &t) && pop_expect(v, at, t, NULL);
    case WASM_OP_LOCAL_TEE:
      return local_type(v, in, &t) && pop_expect(v, at, t, NULL) && push_val(v, t);
    case WASM_OP_GLOBAL_GET:
      if (in->a >= m->nglobals) return rd_failf(&v->r, at, "unknown global %u", in->a);
      return push_val(v, m->global_types[in->a].type);
    case WASM_OP_GLOBAL_SET:
      if (in->a >= m->nglobals) return rd_failf(&v->r, at, "unknown global %u", in->a);
      if (!m->global_types[in->a].mutable_) return fail(v, at, "global is immutable");
      return pop_expect(v, at, m->global_types[in->a].type, NULL);
    case WASM_OP_TABLE_GET:
      return need_table(v, at, in->a, &t) && unop(v, at, TOVA_I32, t);
    case WASM_OP_TABLE_SET:
      return need_table(v, at, in->a, &t) && pop_expect(v, at, t, NULL) &&
             pop_expect(v, at, TOVA_I32, NULL);
    case WASM_OP_MEMORY_SIZE:
      return need_memory(v, at) && push_val(v, TOVA_I32);
    case WASM_OP_MEMORY_GROW:
      return need_memory(v, at) && unop(v, at, TOVA_I32, TOVA_I32);
    case WASM_OP_I32_CONST: return push_val(v, TOVA_I32);
    case WASM_OP_I64_CONST: return push_val(v, TOVA_I64);
    case WASM_OP_F32_CONST: return push_val(v, TOVA_F32);
    case WASM_OP_F64_CONST: return push_val(v, TOVA_F64);
    case WASM_OP_REF_NULL:
      return push_val(v, in->type);
    case WASM_OP_REF_IS_NULL:
      if (!pop_any(v, at, &t)) return false;
      if (t != WASM_T_UNKNOWN && !wasm_is_reftype(t))
        return fail(v, at, "type mismatch (ref.is_null needs a reference)");
      return push_val(v, TOVA_I32);
    case WASM_OP_REF_FUNC:
      if (in->a >= m->nfuncs) return rd_failf(&v->r, at, "unknown function %u", in->a);
      if (!m->func_declared[in->a]) return fail(v, at, "undeclared function reference");
      return push_val(v, TOVA_FUNCREF);
    case WASM_OP_PREFIX_FC:
      return fc_instr(v, in);
    default:
      if (in->op >= WASM_OP_I32_LOAD && in->op <= WASM_OP_I64_STORE32) return memop(v, in);
      if (in->op >= WASM_OP_I32_EQZ && in->op <= WASM_OP_I64_EXTEND32_S) {
        const numsig *s = &numeric_sigs[in->op];
        if (s->in2 && !pop_expect(v, at, s->in2, NULL)) return false;
        return pop_expect(v, at, s->in1, NULL) && push_val(v, s->out);
      }
      return fail(v, at, "illegal opcode");
  }
}

void wasm_code_validator_free(wasm_code_validator *cv) {
  validator *v = (validator *)cv;
  if (!v) return;
  free(v->vals);
  free(v->ctls);
  free(v);
}

wasm_code_validator *wasm_code_validator_new(void) {
  return (wasm_code_validator *)calloc(1, sizeof(validator));
}

tova_status wasm_validate_function(wasm_code_validator *cv, const tova_module *m, uint32_t func_index,
                                   tova_error *err) {
  validator *v = (validator *)cv;
  const wasm_func_def *def = &m->func_defs[func_index - m->nimported_funcs];
  v->m = m;
  v->def = def;
  v->type = wasm_func_type(m, func_index);
  v->nvals = 0;
  v->nctls = 0;
  v->nomem = false;
  wasm_reader_init(&v->r, m->bytes, def->body, def->body + def->body_len);
  bool ok = push_ctl(v, WASM_OP_CALL, 0, NULL, v->type->nresults, v->type->results);
  bool done = false;
  uint64_t stamp = 0;
  while (ok && !done) {
    wasm_instr in;
    if (rd_eof(&v->r)) {
      ok = rd_fail(&v->r, "END opcode expected");
      break;
    }
    ok = wasm_read_instr(&v->r, &in) && step(v, &in, ++stamp, &done);
  }
  if (ok && !rd_eof(&v->r)) ok = rd_fail(&v->r, "unexpected bytes after the function's end");
  if (ok) return TOVA_OK;
  tova_status st = v->nomem ? TOVA_ERR_NOMEM : v->r.status;
  return tova_error_set(err, st, "function %u at offset %zu: %s", func_index, v->r.error_at,
                        v->r.error);
}
