/*
 * decode_segments.c: constant expressions and the element, code and data
 * sections (see decode.h for why reads are bounded by the input's end).
 *
 * Function bodies get a syntax-only scan here (every opcode known, immediates
 * well-formed, blocks properly nested and terminated) so that a malformed body
 * is reported as malformed even when an earlier part of the module is also
 * invalid, as the spec requires. Typing is done later by validate_code.c.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* Module-wide cap on declared locals, so that tiny bodies declaring many
 * locals cannot make the decoder allocate without bound. */
#define WASM_MAX_MODULE_LOCALS (1u << 26)

enum { BLOCK_PLAIN = 0, BLOCK_IF = 1, BLOCK_IF_ELSE = 2 };

typedef struct expr_summary {
  uint32_t ninstrs;         /* instructions before the final `end` */
  wasm_instr first;         /* the first of them */
  const uint8_t *nonconst;  /* first instruction not allowed in a constant expression */
} expr_summary;

static bool push_block(wasm_decoder *d, size_t depth, uint8_t kind) {
  if (depth >= d->blocks_cap) {
    size_t cap = d->blocks_cap ? d->blocks_cap * 2 : 64;
    uint8_t *nb = realloc(d->blocks, cap);
    if (!nb) {
      d->nomem = true;
      return rd_fail(&d->r, "out of memory");
    }
    d->blocks = nb;
    d->blocks_cap = cap;
  }
  d->blocks[depth] = kind;
  return true;
}

static bool is_const_instr(uint8_t op) {
  switch (op) {
    case WASM_OP_I32_CONST: case WASM_OP_I64_CONST: case WASM_OP_F32_CONST:
    case WASM_OP_F64_CONST: case WASM_OP_REF_NULL: case WASM_OP_REF_FUNC:
    case WASM_OP_GLOBAL_GET:
      return true;
    default:
      return false;
  }
}

/* Scan an expression up to and including the `end` that closes it. */
static bool scan_expr(wasm_decoder *d, expr_summary *sum) {
  wasm_reader *r = &d->r;
  size_t depth = 0;
  memset(sum, 0, sizeof *sum);
  for (;;) {
    wasm_instr in;
    if (!wasm_read_instr(r, &in)) return false;
    switch (in.op) {
      case WASM_OP_BLOCK: case WASM_OP_LOOP: case WASM_OP_IF:
        if (!push_block(d, depth, in.op == WASM_OP_IF ? BLOCK_IF : BLOCK_PLAIN)) return false;
        depth++;
        break;
      case WASM_OP_ELSE:
        /* Only the then-branch of an `if` may end with `else`. */
        if (depth == 0 || d->blocks[depth - 1] != BLOCK_IF)
          return rd_fail_at(r, in.at, "END opcode expected (else without if)");
        d->blocks[depth - 1] = BLOCK_IF_ELSE;
        break;
      case WASM_OP_END:
        if (depth == 0) return true;
        depth--;
        break;
      case WASM_OP_PREFIX_FC:
        if ((in.sub == WASM_FC_MEMORY_INIT || in.sub == WASM_FC_DATA_DROP) && !d->data_index_use)
          d->data_index_use = in.at;
        break;
      default:
        break;
    }
    if (sum->ninstrs == 0) sum->first = in;
    if (!sum->nonconst && !is_const_instr(in.op)) sum->nonconst = in.at;
    sum->ninstrs++;
  }
}

bool wasm_decode_constexpr(wasm_decoder *d, wasm_constexpr *out) {
  const uint8_t *at = d->r.p;
  expr_summary sum;
  if (!scan_expr(d, &sum)) return false;
  memset(out, 0, sizeof *out);
  if (sum.nonconst || sum.ninstrs != 1) {
    out->kind = WASM_CONST_INVALID;
    out->index = sum.nonconst ? WASM_CONST_ERR_NOT_CONST : WASM_CONST_ERR_ARITY;
    out->value.raw = (uint64_t)((sum.nonconst ? sum.nonconst : at) - d->r.base);
    return true;
  }
  const wasm_instr *in = &sum.first;
  switch (in->op) {
    case WASM_OP_I32_CONST:
      out->kind = WASM_CONST_VALUE;
      out->type = TOVA_I32;
      out->value.i32 = (int32_t)(uint32_t)in->value;
      break;
    case WASM_OP_I64_CONST:
      out->kind = WASM_CONST_VALUE;
      out->type = TOVA_I64;
      out->value.i64 = (int64_t)in->value;
      break;
    case WASM_OP_F32_CONST:
      out->kind = WASM_CONST_VALUE;
      out->type = TOVA_F32;
      out->value.f32_bits = (uint32_t)in->value;
      break;
    case WASM_OP_F64_CONST:
      out->kind = WASM_CONST_VALUE;
      out->type = TOVA_F64;
      out->value.f64_bits = in->value;
      break;
    case WASM_OP_REF_NULL:
      out->kind = WASM_CONST_REF_NULL;
      out->type = in->type;
      break;
    case WASM_OP_REF_FUNC:
      out->kind = WASM_CONST_REF_FUNC;
      out->type = TOVA_FUNCREF;
      out->index = in->a;
      break;
    case WASM_OP_GLOBAL_GET:
      out->kind = WASM_CONST_GLOBAL_GET;
      out->type = 0; /* the global's type, filled in by the validator */
      out->index = in->a;
      break;
  }
  return true;
}

bool wasm_decode_elem_section(wasm_decoder *d) {
  tova_module *m = d->m;
  wasm_reader *r = &d->r;
  uint32_t n;
  if (!wasm_decode_count(d, &n, 1)) return false;
  if (!(m->elems = wasm_decoder_alloc(d, n, sizeof *m->elems))) return false;
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++) {
    wasm_elem_segment *e = &m->elems[i];
    const uint8_t *at = r->p;
    uint32_t flags;
    if (!rd_u32(r, &flags)) return false;
    if (flags > 7) return rd_fail_at(r, at, "malformed elements segment kind");
    /* bit 0: passive/declarative; bit 1: explicit table (active) or
     * declarative; bit 2: items are expressions with an explicit type. */
    bool active = !(flags & 1);
    e->mode = active ? WASM_SEG_ACTIVE : (flags & 2) ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
    e->elem = TOVA_FUNCREF;
    if (active && (flags & 2) && !rd_u32(r, &e->table)) return false;
    if (active && !wasm_decode_constexpr(d, &e->offset)) return false;
    bool exprs = flags & 4;
    if (flags & 3) { /* kinds 1, 2, 3, 5, 6, 7 give the element type */
      if (exprs) {
        if (!wasm_read_reftype(r, &e->elem)) return false;
      } else {
        const uint8_t *kat = r->p;
        uint8_t kind;
        if (!rd_byte(r, &kind)) return false;
        if (kind != 0x00) return rd_fail_at(r, kat, "malformed element kind");
      }
    }
    uint32_t count;
    if (!wasm_decode_count(d, &count, 1)) return false;
    if (!(e->items = wasm_decoder_alloc(d, count, sizeof *e->items))) return false;
    e->count = count;
    for (uint32_t k = 0; k < count; k++) {
      if (exprs) {
        if (!wasm_decode_constexpr(d, &e->items[k])) return false;
      } else {
        e->items[k].kind = WASM_CONST_REF_FUNC;
        e->items[k].type = TOVA_FUNCREF;
        if (!rd_u32(r, &e->items[k].index)) return false;
      }
    }
  }
  return true;
}

bool wasm_decode_data_section(wasm_decoder *d) {
  tova_module *m = d->m;
  wasm_reader *r = &d->r;
  uint32_t n;
  if (!wasm_decode_count(d, &n, 1)) return false;
  if (!(m->datas = wasm_decoder_alloc(d, n, sizeof *m->datas))) return false;
  m->ndatas = n;
  d->has_data_section = true;
  for (uint32_t i = 0; i < n; i++) {
    wasm_data_segment *s = &m->datas[i];
    const uint8_t *at = r->p;
    uint32_t flags;
    if (!rd_u32(r, &flags)) return false;
    if (flags > 2) return rd_fail_at(r, at, "malformed data segment kind");
    s->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
    if (flags == 2 && !rd_u32(r, &s->memory)) return false;
    if (flags != 1 && !wasm_decode_constexpr(d, &s->offset)) return false;
    if (!rd_u32(r, &s->len)) return false;
    if (!rd_bytes(r, s->len, &s->bytes)) return false;
  }
  return true;
}

/* Local declarations: groups of (count, type). The total is checked before
 * anything is allocated, then the groups are read again to fill the array. */
static bool decode_locals(wasm_decoder *d, wasm_func_def *def, uint64_t *module_locals) {
  wasm_reader *r = &d->r;
  uint32_t ngroups;
  if (!wasm_decode_count(d, &ngroups, 1)) return false;
  const uint8_t *groups = r->p;
  uint64_t total = 0;
  for (uint32_t g = 0; g < ngroups; g++) {
    uint32_t c;
    uint8_t t;
    const uint8_t *at = r->p;
    if (!rd_u32(r, &c) || !wasm_read_valtype(r, &t)) return false;
    total += c;
    if (total > UINT32_MAX) return rd_fail_at(r, at, "too many locals");
  }
  if (total > WASM_MAX_LOCALS)
    return rd_failf(r, groups, "too many locals (%llu, implementation limit %u)",
                    (unsigned long long)total, WASM_MAX_LOCALS);
  *module_locals += total;
  if (*module_locals > WASM_MAX_MODULE_LOCALS)
    return rd_failf(r, groups, "too many locals in module (implementation limit %u)",
                    WASM_MAX_MODULE_LOCALS);
  if (!(def->local_types = wasm_decoder_alloc(d, total, 1))) return false;
  def->nlocals = (uint32_t)total;
  const uint8_t *end = r->p;
  r->p = groups;
  uint32_t k = 0;
  for (uint32_t g = 0; g < ngroups; g++) {
    uint32_t c = 0;
    uint8_t t = 0;
    rd_u32(r, &c); /* cannot fail: these bytes were read above */
    wasm_read_valtype(r, &t);
    memset(def->local_types + k, t, c);
    k += c;
  }
  r->p = end;
  return true;
}

bool wasm_decode_code_section(wasm_decoder *d) {
  tova_module *m = d->m;
  wasm_reader *r = &d->r;
  uint32_t n;
  if (!wasm_decode_count(d, &n, 1)) return false;
  d->has_code_section = true;
  d->ncode = n;
  uint64_t module_locals = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *at = r->p;
    uint32_t size;
    if (!rd_u32(r, &size)) return false;
    if (size > rd_left(r)) return rd_fail_at(r, at, WASM_MSG_EOF);
    const uint8_t *entry_end = r->p + size;
    /* With fewer functions than bodies the extra bodies are still checked
     * (the count mismatch is reported after the whole module is read). */
    wasm_func_def scratch;
    memset(&scratch, 0, sizeof scratch);
    wasm_func_def *def = i < d->ndefined_funcs ? &m->func_defs[i] : &scratch;
    d->in_body = true;
    d->func_index = m->nimported_funcs + i;
    bool ok = decode_locals(d, def, &module_locals);
    const uint8_t *body = r->p;
    expr_summary sum;
    ok = ok && scan_expr(d, &sum);
    free(scratch.local_types);
    if (!ok) return false;
    if (r->p != entry_end) return rd_fail_at(r, at, "section size mismatch (function body size)");
    d->in_body = false;
    def->body = body;
    def->body_len = (uint32_t)(entry_end - body);
    def->body_offset = (uint32_t)(body - r->base);
  }
  return true;
}
