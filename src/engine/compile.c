/*
 * compile.c: validated WebAssembly bodies -> internal code (format: compile.h).
 *
 * One pass per body. The compiler keeps a compile-time model of the operand
 * stack where each entry says where its value lives:
 *   HOME   in its own stack slot (nlocals + position),
 *   LOCAL  still in local slot L (local.get emits nothing),
 *   CONST  a known constant (i32.const etc. emit nothing yet).
 * An instruction names the slots of its inputs directly; constants become the
 * immediate of an `_I` form when the op has one, otherwise they are written to
 * their home slot first ("materialised"). Results go to the home slot.
 *
 * Rules that keep the lazy entries correct:
 *   - before local.set/tee L, every pending LOCAL(L) entry is materialised
 *     (it must keep the old value);
 *   - at every control instruction (block, loop, if, else, end, br*, call,
 *     return) all entries are materialised, so at labels and calls every value
 *     is in its home slot and branches only have to move values between home
 *     slots.
 * Fusions: `op; local.set L` rewrites op's destination to L; `cmp; br_if` and
 * `cmp; if` become one compare-and-branch instruction; `L = x + k` followed by
 * a branch on L becomes one ADDI_BR (loop counters; x - k is compiled as
 * x + (-k) so both fit); a store of a constant uses a store-immediate form;
 * `i32.load(8_u); [i32.eqz]; br_if/if` tests memory directly (BR_LD*); a shift
 * by a constant whose result is an operand of the next add/sub/and/or/xor is
 * folded into it (<OP>_<SHIFT>, e.g. `acc ^ (acc >> 13)`); division by a
 * constant that cannot trap uses a check-free _I form. Loop bodies ending in
 * a step: a constant byte store right before it joins it (ST8I_ADD(I)_BR,
 * `mem[j] = 1; j += i; br_if j < n`), as does an i32.add into a local before
 * an ADDI step (ADD32_ADDI_BR, `acc += x; i++; br_if i < n`); the eqz of a
 * just-loaded byte is one LD8U_EQZ (still a BR_LD8U_EQZ when branched on).
 * One peephole window serves every fusion: the last few instructions emitted
 * since the last label (c->win, newest first). A fusion reads its first
 * instruction's op and operands from the code itself (the operand layouts of
 * iops.h), takes it back and emits the combined one. So fusions are only done
 * when the first op is the very last thing emitted (or the one before, for
 * the loop-body forms) and no label lies between (a label means another path
 * may deliver the value). An instruction's result may be redirected or folded
 * only if it went to the home slot of the entry being consumed (see
 * last_result_into): that is how a value "just computed" is recognised.
 * Loops: a loop whose first instruction is `br_if <exit>` (a while loop) gets
 * that test duplicated, inverted, at each `br` back to it, so an iteration
 * runs one branch instead of two. After a body is compiled, a BR to a BR is
 * threaded to the final target and a BR to a return becomes the return.
 *
 * Unreachable code (after br, br_table, return, unreachable) is skipped up to
 * the matching else/end: it can never run, and validation already typed it.
 */
#include <stdlib.h>
#include <string.h>

#include "common/assert.h"
#include "engine/compile.h"
#include "engine/instr.h"

/* The enum-order arithmetic below (a family's base op plus a comparison,
 * shift or op index; an _I form a fixed distance from its slot form), checked
 * against iops.h. */
#define IOP_FAMILY_OF_10(first, last) \
  _Static_assert(WASM_IOP_##last - WASM_IOP_##first == 9, #first " .. " #last " are contiguous")
IOP_FAMILY_OF_10(I32_EQ, I32_GE_U);
IOP_FAMILY_OF_10(I32_EQ_I, I32_GE_U_I);
IOP_FAMILY_OF_10(I64_EQ, I64_GE_U);
IOP_FAMILY_OF_10(I64_EQ_I, I64_GE_U_I);
IOP_FAMILY_OF_10(BR_I32_EQ, BR_I32_GE_U);
IOP_FAMILY_OF_10(BR_I32_EQ_I, BR_I32_GE_U_I);
IOP_FAMILY_OF_10(BR_I64_EQ, BR_I64_GE_U);
IOP_FAMILY_OF_10(BR_I64_EQ_I, BR_I64_GE_U_I);
IOP_FAMILY_OF_10(ST8I_ADD_BR_I32_EQ, ST8I_ADD_BR_I32_GE_U);
IOP_FAMILY_OF_10(ST8I_ADDI_BR_I32_EQ, ST8I_ADDI_BR_I32_GE_U);
IOP_FAMILY_OF_10(ADD32_ADDI_BR_I32_EQ, ADD32_ADDI_BR_I32_GE_U);
/* emit_addi_branch: base + (imm ? 10 : 0) + cmp */
IOP_FAMILY_OF_10(ADDI_BR_I32_EQ, ADDI_BR_I32_GE_U);
IOP_FAMILY_OF_10(ADDI_BR_I64_EQ, ADDI_BR_I64_GE_U);
IOP_FAMILY_OF_10(ADD_BR_I32_EQ, ADD_BR_I32_GE_U);
IOP_FAMILY_OF_10(ADD_BR_I64_EQ, ADD_BR_I64_GE_U);
_Static_assert(WASM_IOP_ADDI_BR_I32_EQ_I == WASM_IOP_ADDI_BR_I32_EQ + 10, "ADDI_BR _I forms");
_Static_assert(WASM_IOP_ADDI_BR_I64_EQ_I == WASM_IOP_ADDI_BR_I64_EQ + 10, "ADDI_BR _I forms");
_Static_assert(WASM_IOP_ADD_BR_I32_EQ_I == WASM_IOP_ADD_BR_I32_EQ + 10, "ADD_BR _I forms");
_Static_assert(WASM_IOP_ADD_BR_I64_EQ_I == WASM_IOP_ADD_BR_I64_EQ + 10, "ADD_BR _I forms");
/* emit_cond_jump: a load test's EQZ form is its NEZ form + 1 */
_Static_assert(WASM_IOP_BR_LD8U_EQZ == WASM_IOP_BR_LD8U_NEZ + 1, "BR_LD8U EQZ after NEZ");
_Static_assert(WASM_IOP_BR_LD32_EQZ == WASM_IOP_BR_LD32_NEZ + 1, "BR_LD32 EQZ after NEZ");
/* binary: <OP>_<SHIFT> = base + shift * 5 + op (ADD SUB AND OR XOR) */
_Static_assert(WASM_IOP_I32_XOR_SHR_U == WASM_IOP_I32_ADD_SHL + 2 * 5 + 4, "I32 shifted forms");
_Static_assert(WASM_IOP_I32_ADD_SHR_S == WASM_IOP_I32_ADD_SHL + 5, "I32 shifted forms");
_Static_assert(WASM_IOP_I64_XOR_SHR_U == WASM_IOP_I64_ADD_SHL + 2 * 5 + 4, "I64 shifted forms");
_Static_assert(WASM_IOP_I64_ADD_SHR_S == WASM_IOP_I64_ADD_SHL + 5, "I64 shifted forms");
_Static_assert(WASM_IOP_I32_SUB_SHL == WASM_IOP_I32_ADD_SHL + 1 && WASM_IOP_I32_XOR_SHL == WASM_IOP_I32_ADD_SHL + 4,
               "shifted forms ordered ADD SUB AND OR XOR");

enum { SV_HOME, SV_LOCAL, SV_CONST };

typedef struct sv {
  uint8_t kind;
  uint32_t local;
  uint64_t value;
} sv;

/* A branch condition, possibly a fused comparison. */
enum { COND_SLOT, COND_CMP, COND_EQZ, COND_LOAD, COND_FCMP, COND_MASK };
typedef struct cond {
  uint8_t kind;
  bool w64, imm; /* COND_FCMP: w64 is f64, imm a constant's bits in b;
                    COND_MASK (i32 a & b, b the mask): imm is "taken when
                    zero" */
  uint16_t idx; /* comparison index in WASM_CMP_LIST order (COND_FCMP:
                   WASM_FBR_LIST's); COND_LOAD: the BR_LD*_NEZ op, and imm
                   means "taken when zero" instead */
  uint64_t a, b; /* COND_LOAD: address slot, memarg offset */
} cond;

enum { CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF };

typedef struct ctl {
  uint8_t kind;
  bool dead;        /* the whole construct is in unreachable code: nothing emitted */
  bool unreachable; /* the rest of the current arm is unreachable */
  bool has_else;
  uint32_t height;  /* stack height below the block's parameters */
  uint32_t nparams, nresults;
  uint32_t start;   /* loop: first cell of the body */
  int32_t patches;  /* forward branches to the end: list in c->patch */
  int32_t else_patch;
  /* loop whose first instruction is `br_if <outer label>` on a condition of
   * locals/constants (a while loop): `br` back to it is emitted as the inverted
   * test jumping straight into the body, saving one dispatch per iteration. */
  bool head_valid;
  bool counted;         /* starts with a LOOP_HEAD (compile.h), moved after a head test */
  uint32_t head_end;    /* first cell after the head test (its LOOP_HEAD when counted) */
  uint32_t head_target; /* index in c->cs of the exit label */
  cond head_cond;
} ctl;

typedef struct patch {
  uint32_t at;   /* cell holding the offset */
  uint32_t base; /* first cell of the branching instruction */
  int32_t next;
} patch;

enum { WIN = 3 }; /* the deepest fusion takes back two instructions, plus one revived */

typedef struct compiler {
  const tova_module *m;
  const void *const *h; /* handler addresses */
  wasm_cell *code;
  uint32_t len, cap;
  sv *vs;
  uint32_t nvs, vcap;
  ctl *cs;
  uint32_t ncs, ccap;
  patch *patch;
  uint32_t npatch, pcap;
  uint32_t nlocals;
  uint32_t max_height;
  bool oom;
  const wasm_loop_counters *lc; /* LOOP_HEADs wanted (compile.h), or NULL */
  uint32_t def;                 /* the body being compiled */
  uint32_t nloops;              /* its `loop` instructions read so far */
  /* The peephole window: the last instructions emitted since the last label,
   * newest first (win[0] is the last one). Every fusion reads what it needs
   * from these instructions themselves (op, operands), as Lua's
   * previousinstruction() does. A label empties the window: another path
   * may arrive there, so nothing before it may be fused with what follows.
   * Taking an instruction back pops it, and the one before is last again. */
  struct win { uint32_t at; wasm_iop op; } win[WIN];
  uint32_t nwin;
  /* Unconditional BRs, for jump threading once all labels are bound, each
   * with the COPY that falls into it (or NO_FUSE). */
  struct jump { uint32_t br, copy; } *brs;
  uint32_t nbrs, brcap;
  uint32_t last_copy_start, last_copy_end;
  /* The body's import calls (wasm_code.import_calls), and the byte offset of
   * the instruction being compiled. */
  uint32_t *icalls;
  uint32_t nicalls, icap;
  /* The body's calls of defined functions and call_indirects
   * (wasm_code.call_sites). */
  uint32_t *csites;
  uint32_t ncsites, cscap;
  uint32_t instr_at;
} compiler;

#define NO_FUSE UINT32_MAX

/* ---------------- emission ---------------- */

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return true;
  uint32_t ncap = *cap ? *cap * 2 : 64;
  while (ncap < need) ncap *= 2;
  void *np = realloc(*p, (size_t)ncap * elem);
  if (!np) return false;
  *p = np;
  *cap = ncap;
  return true;
}

static void emit_u(compiler *c, uint64_t v) {
  if (c->oom) return;
  if (!grow((void **)&c->code, &c->cap, c->len + 1, sizeof(wasm_cell))) {
    c->oom = true;
    return;
  }
  c->code[c->len++].u = v;
}

/* Starts an instruction; returns the index of its first cell. */
static uint32_t emit_op(compiler *c, wasm_iop op) {
  uint32_t at = c->len;
  c->last_copy_end = NO_FUSE;
  if (c->oom) return at;
  if (!grow((void **)&c->code, &c->cap, c->len + 1, sizeof(wasm_cell))) {
    c->oom = true;
    return at;
  }
  c->code[c->len++].h = c->h[op];
  memmove(&c->win[1], &c->win[0], sizeof c->win[0] * (WIN - 1));
  c->win[0] = (struct win){at, op};
  if (c->nwin < WIN) c->nwin++;
  return at;
}

/* The k-th last instruction since the last label (0: the last one), or NULL. */
static const struct win *last_instr(const compiler *c, uint32_t k) {
  return !c->oom && k < c->nwin ? &c->win[k] : NULL;
}

/* Operand cell i (1-based) of a windowed instruction. */
static uint64_t operand(const compiler *c, const struct win *w, uint32_t i) {
  return c->code[w->at + i].u;
}

/* Remove the last instruction (a fusion re-emits it combined). */
static void take_back(compiler *c) {
  TOVA_ASSERT(c->nwin > 0 && c->win[0].at + wasm_code_instr_cells(c->code, c->win[0].at) == c->len);
  c->len = c->win[0].at;
  memmove(&c->win[0], &c->win[1], sizeof c->win[0] * (WIN - 1));
  c->nwin--;
}

/* An unconditional BR with its offset still to set (last cell). */
static uint32_t emit_jump(compiler *c) {
  uint32_t copy = c->last_copy_end == c->len ? c->last_copy_start : NO_FUSE;
  uint32_t start = emit_op(c, WASM_IOP_BR);
  emit_u(c, 0);
  if (!grow((void **)&c->brs, &c->brcap, c->nbrs + 1, sizeof(struct jump))) c->oom = true;
  else c->brs[c->nbrs++] = (struct jump){start, copy};
  return start;
}

static void emit_copy(compiler *c, uint64_t d, uint64_t s) {
  uint32_t start = emit_op(c, WASM_IOP_COPY);
  emit_u(c, d);
  emit_u(c, s);
  c->last_copy_start = start;
  c->last_copy_end = c->len;
}

/* Once every label is bound: a BR to a return becomes the return, a BR to a BR
 * jumps straight to the final target. Saves dispatches on common paths (the
 * then-arm of an if at the end of a function). */
static void thread_jumps(compiler *c) {
  const void *br = c->h[WASM_IOP_BR], *r0 = c->h[WASM_IOP_RETURN0], *r1 = c->h[WASM_IOP_RETURN1];
  for (uint32_t i = 0; i < c->nbrs; i++) {
    uint32_t p = c->brs[i].br, copy = c->brs[i].copy;
    for (int hops = 0; hops < 8; hops++) {
      uint32_t t = (uint32_t)((int64_t)p + c->code[p + 1].i);
      if (t == p || c->code[t].h != br) break;
      uint32_t t2 = (uint32_t)((int64_t)t + c->code[t + 1].i);
      c->code[p + 1].i = (int64_t)t2 - (int64_t)p;
    }
    uint32_t t = (uint32_t)((int64_t)p + c->code[p + 1].i);
    if (c->code[t].h == r1) {
      c->code[p] = c->code[t];
      c->code[p + 1] = c->code[t + 1];
      /* `COPY d s; BR -> RETURN1 d` is `RETURN1 s` (the frame dies anyway). */
      if (copy != NO_FUSE && c->code[copy + 1].u == c->code[p + 1].u) {
        c->code[copy].h = r1;
        c->code[copy + 1].u = c->code[copy + 2].u;
        /* the COPY's third cell is left over: a 1-cell op that never runs,
         * so the body stays a sequence of whole instructions */
        c->code[copy + 2].h = c->h[WASM_IOP_UNREACHABLE];
      }
    } else if (c->code[t].h == r0) {
      c->code[p] = c->code[t];
      c->code[p + 1].h = c->h[WASM_IOP_UNREACHABLE]; /* the BR's offset cell: never runs */
    }
  }
}

static void set_off(compiler *c, uint32_t at, uint32_t base, uint32_t target) {
  if (c->oom) return;
  c->code[at].i = (int64_t)target - (int64_t)base;
}

/* A label is bound here: nothing emitted before may be fused with what follows. */
static void mark_label(compiler *c) { c->nwin = 0; }

static void add_patch(compiler *c, int32_t *list, uint32_t at, uint32_t base) {
  if (!grow((void **)&c->patch, &c->pcap, c->npatch + 1, sizeof(patch))) {
    c->oom = true;
    return;
  }
  c->patch[c->npatch] = (patch){at, base, *list};
  *list = (int32_t)c->npatch++;
}

static void bind_list(compiler *c, int32_t list) {
  if (list < 0) return; /* nobody jumps here: not a label */
  for (int32_t i = list; i >= 0; i = c->patch[i].next)
    set_off(c, c->patch[i].at, c->patch[i].base, c->len);
  mark_label(c);
}

/* ---------------- the value stack model ---------------- */

static uint64_t home(const compiler *c, uint32_t pos) { return (uint64_t)c->nlocals + pos; }

static void push(compiler *c, sv v) {
  if (!grow((void **)&c->vs, &c->vcap, c->nvs + 1, sizeof(sv))) {
    c->oom = true;
    return;
  }
  c->vs[c->nvs++] = v;
  if (c->nvs > c->max_height) c->max_height = c->nvs;
}

/* Push a result computed into its home slot; returns that slot. */
static uint64_t push_home(compiler *c) {
  push(c, (sv){SV_HOME, 0, 0});
  return home(c, c->nvs - 1);
}

static void materialize(compiler *c, uint32_t pos) {
  sv *v = &c->vs[pos];
  if (v->kind == SV_LOCAL) {
    emit_copy(c, home(c, pos), v->local);
  } else if (v->kind == SV_CONST) {
    emit_op(c, WASM_IOP_CONST);
    emit_u(c, home(c, pos));
    emit_u(c, v->value);
  }
  v->kind = SV_HOME;
}

static void materialize_all(compiler *c) {
  for (uint32_t i = 0; i < c->nvs; i++)
    if (c->vs[i].kind != SV_HOME) materialize(c, i);
}

/* The rule for labels and calls (header comment): every value in its home slot. */
static inline bool all_home(const compiler *c) {
  for (uint32_t i = 0; i < c->nvs; i++)
    if (c->vs[i].kind != SV_HOME) return false;
  return true;
}

static void materialize_local(compiler *c, uint32_t local, uint32_t below) {
  for (uint32_t i = 0; i < below; i++)
    if (c->vs[i].kind == SV_LOCAL && c->vs[i].local == local) materialize(c, i);
}

/* Pop an operand and return the slot holding it. */
static uint64_t pop_slot(compiler *c) {
  TOVA_ASSERT(c->nvs > 0); /* validated code never pops an empty stack */
  uint32_t pos = c->nvs - 1;
  sv *v = &c->vs[pos];
  uint64_t slot;
  if (v->kind == SV_LOCAL) slot = v->local;
  else {
    if (v->kind == SV_CONST) materialize(c, pos);
    slot = home(c, pos);
  }
  c->nvs--;
  return slot;
}

static bool top_is_const(const compiler *c) { return c->nvs && c->vs[c->nvs - 1].kind == SV_CONST; }
static bool below_top_is_const(const compiler *c) { return c->nvs >= 2 && c->vs[c->nvs - 2].kind == SV_CONST; }
/* A constant left operand under a value that is none (c OP x). */
static bool left_is_const(const compiler *c) { return !top_is_const(c) && below_top_is_const(c); }

/* Pops a constant address; with offset, the access's effective address,
 * added in 64 bits (beyond 4 GB it traps, never wraps). */
static uint64_t pop_const_address(compiler *c, uint32_t offset) {
  return (uint64_t)(uint32_t)c->vs[--c->nvs].value + offset;
}

/* The last instruction, if it computed the value of stack position pos into
 * pos's home slot (its first operand is a destination, iops.h): its result
 * can be redirected, or the instruction folded into the one consuming it. */
static const struct win *last_result_into(const compiler *c, uint32_t pos) {
  const struct win *w = last_instr(c, 0);
  if (!w || pos >= c->nvs || c->vs[pos].kind != SV_HOME) return NULL;
  if (!wasm_iop_shape_of(w->op)->dest1) return NULL;
  return operand(c, w, 1) == home(c, pos) ? w : NULL;
}

/* ---------------- plain instruction shapes ---------------- */

static void unary(compiler *c, wasm_iop op) {
  uint64_t a = pop_slot(c);
  uint64_t d = push_home(c);
  emit_op(c, op);
  emit_u(c, d);
  emit_u(c, a);
}

/* Division and remainder by a constant use their _I form only when the
 * constant cannot trap (0, or -1 for the signed ones: INT_MIN / -1). */
static bool divisor_ok(wasm_iop op, uint64_t k, bool w64) {
  bool sign = op == WASM_IOP_I32_DIV_S || op == WASM_IOP_I32_REM_S ||
              op == WASM_IOP_I64_DIV_S || op == WASM_IOP_I64_REM_S;
  bool div = sign || op == WASM_IOP_I32_DIV_U || op == WASM_IOP_I32_REM_U ||
             op == WASM_IOP_I64_DIV_U || op == WASM_IOP_I64_REM_U;
  if (!div) return true;
  if (!w64) k = (uint32_t)k;
  if (k == 0) return false;
  return !sign || k != (w64 ? UINT64_MAX : (uint64_t)UINT32_MAX);
}

/* Index of op among ADD, SUB, AND, OR, XOR of width w64 (the shifted-operand
 * families of compile.h), or -1. */
static int shifted_family(wasm_iop op, bool w64) {
  static const wasm_iop o32[5] = {WASM_IOP_I32_ADD, WASM_IOP_I32_SUB, WASM_IOP_I32_AND,
                                  WASM_IOP_I32_OR, WASM_IOP_I32_XOR};
  static const wasm_iop o64[5] = {WASM_IOP_I64_ADD, WASM_IOP_I64_SUB, WASM_IOP_I64_AND,
                                  WASM_IOP_I64_OR, WASM_IOP_I64_XOR};
  for (int i = 0; i < 5; i++)
    if (op == (w64 ? o64 : o32)[i]) return i;
  return -1;
}

/* If the last instruction emitted is a shift by a constant into the home slot
 * of stack position pos, returns its index (0 SHL, 1 SHR_S, 2 SHR_U), else -1. */
static int last_shift_into(const compiler *c, uint32_t pos, bool w64) {
  const struct win *w = last_result_into(c, pos);
  if (!w) return -1;
  static const wasm_iop s32[3] = {WASM_IOP_I32_SHL_I, WASM_IOP_I32_SHR_S_I, WASM_IOP_I32_SHR_U_I};
  static const wasm_iop s64[3] = {WASM_IOP_I64_SHL_I, WASM_IOP_I64_SHR_S_I, WASM_IOP_I64_SHR_U_I};
  for (int i = 0; i < 3; i++)
    if (w->op == (w64 ? s64 : s32)[i]) return i;
  return -1;
}

/* The form of op taking constant k as its LEFT operand, or -1: c - x and
 * c / x reversed (negation, reciprocals), and c OP x for a commutative OP
 * as x OP c (op_i), a float constant only when it is no NaN (of two NaNs,
 * which one a sum returns depends on their order). */
static int left_const_form(wasm_iop op, int op_i, uint64_t k) {
  switch (op) {
    case WASM_IOP_I32_SUB: return WASM_IOP_I32_RSUB_I;
    case WASM_IOP_I64_SUB: return WASM_IOP_I64_RSUB_I;
    case WASM_IOP_F32_SUB: return WASM_IOP_F32_RSUB_I;
    case WASM_IOP_F32_DIV: return WASM_IOP_F32_RDIV_I;
    case WASM_IOP_F64_SUB: return WASM_IOP_F64_RSUB_I;
    case WASM_IOP_F64_DIV: return WASM_IOP_F64_RDIV_I;
    case WASM_IOP_I32_ADD: case WASM_IOP_I32_MUL: case WASM_IOP_I32_AND: case WASM_IOP_I32_OR:
    case WASM_IOP_I32_XOR: case WASM_IOP_I64_ADD: case WASM_IOP_I64_MUL: case WASM_IOP_I64_AND:
    case WASM_IOP_I64_OR: case WASM_IOP_I64_XOR:
      return op_i;
    case WASM_IOP_F32_ADD: case WASM_IOP_F32_MUL: return (k & 0x7fffffffu) > 0x7f800000u ? -1 : op_i;
    case WASM_IOP_F64_ADD: case WASM_IOP_F64_MUL:
      return (k & 0x7fffffffffffffffull) > 0x7ff0000000000000ull ? -1 : op_i;
    default: return -1;
  }
}

/* Binary op; op_i (or -1) is its constant-right-operand form. */
static void binary(compiler *c, wasm_iop op, int op_i, bool w64) {
  uint64_t a = 0, b;
  bool imm = false;
  int left = left_is_const(c) ? left_const_form(op, op_i, c->vs[c->nvs - 2].value) : -1;
  if (left >= 0) { /* c OP x: the constant is then no instruction of its own */
    a = pop_slot(c);
    b = c->vs[--c->nvs].value;
    if (!w64) b = (uint32_t)b;
    op_i = left;
    imm = true;
  } else if (op_i >= 0 && top_is_const(c) && divisor_ok(op, c->vs[c->nvs - 1].value, w64)) {
    b = c->vs[--c->nvs].value;
    if (!w64) b = (uint32_t)b;
    imm = true;
    /* x - k is x + (-k): one form for loop-step fusion to recognise */
    if (op == WASM_IOP_I32_SUB || op == WASM_IOP_I64_SUB) {
      op_i = w64 ? WASM_IOP_I64_ADD_I : WASM_IOP_I32_ADD_I;
      b = w64 ? (uint64_t)0 - b : (uint32_t)(0u - (uint32_t)b);
    }
  } else {
    /* `x OP (s SHIFT k)`: when the shift was the last thing emitted and its
     * result (a home slot, dead after this op) is an operand, the shift is
     * folded into this op, which reads s directly. */
    int fam = shifted_family(op, w64);
    uint32_t pb = c->nvs - 1;
    int sh = -1;
    bool shift_left = false;
    if (fam >= 0 && c->nvs >= 2 && c->vs[pb].kind != SV_CONST) {
      sh = c->vs[pb].kind == SV_HOME ? last_shift_into(c, pb, w64) : -1;
      if (sh < 0 && fam != 1 && c->vs[pb - 1].kind == SV_HOME) { /* SUB is not commutative */
        sh = last_shift_into(c, pb - 1, w64);
        shift_left = sh >= 0;
      }
    }
    if (sh >= 0) {
      /* Take the shift back BEFORE popping the other operand: popping a
       * constant materialises it, and that code must stay (it is emitted
       * in the shift's place; it cannot clobber the shift's source, which is
       * a local or the home slot of the shift's own position). */
      const struct win *w = last_instr(c, 0); /* SHIFT_I d s k */
      uint64_t src = operand(c, w, 2), k = operand(c, w, 3);
      take_back(c);
      uint64_t other;
      if (shift_left) {
        other = pop_slot(c); /* the right operand, above the shift's result */
        c->nvs--;            /* the shift's result: no longer written */
      } else {
        c->nvs--;
        other = pop_slot(c); /* the left operand, below the shift's result */
      }
      uint64_t d = push_home(c);
      emit_op(c, (wasm_iop)((w64 ? WASM_IOP_I64_ADD_SHL : WASM_IOP_I32_ADD_SHL) + sh * 5 + fam));
      emit_u(c, d);
      emit_u(c, other);
      emit_u(c, src);
      emit_u(c, k);
      return;
    }
    b = pop_slot(c);
  }
  if (left < 0) a = pop_slot(c);
  uint64_t d = push_home(c);
  emit_op(c, imm ? (wasm_iop)op_i : op);
  emit_u(c, d);
  emit_u(c, a);
  emit_u(c, b);
}

/* A comparison into a new home slot: op, or op_i with the constant operand
 * as its immediate when there is one, on the right or (left: the caller
 * mirrored the comparison) on the left. */
static void emit_compare(compiler *c, bool w64, bool left, wasm_iop op, wasm_iop op_i) {
  bool imm = left || top_is_const(c);
  uint64_t a = left ? pop_slot(c) : 0, b;
  if (imm) {
    b = c->vs[--c->nvs].value;
    if (!w64) b = (uint32_t)b;
  } else {
    b = pop_slot(c);
  }
  if (!left) a = pop_slot(c);
  uint64_t d = push_home(c);
  emit_op(c, imm ? op_i : op);
  emit_u(c, d);
  emit_u(c, a);
  emit_u(c, b);
}

/* Integer comparison idx (WASM_CMP_LIST order); remembered for branch fusion. */
static void compare(compiler *c, bool w64, unsigned idx) {
  /* c CMP x is x CMP' c, CMP' the mirrored comparison (WASM_CMP_LIST order) */
  static const uint8_t mirror[10] = {0, 1, 4, 5, 2, 3, 8, 9, 6, 7};
  bool left = left_is_const(c);
  if (left) idx = mirror[idx];
  emit_compare(c, w64, left, (wasm_iop)((w64 ? WASM_IOP_I64_EQ : WASM_IOP_I32_EQ) + idx),
               (wasm_iop)((w64 ? WASM_IOP_I64_EQ_I : WASM_IOP_I32_EQ_I) + idx));
}

/* Float comparison idx (WASM_FCMP_LIST order); remembered for branch
 * fusion. A constant operand, left or right, is an immediate (c CMP x is
 * x CMP' c exactly, NaNs included); any constant, a NaN too: a comparison
 * returns no NaN whose bits could depend on the order. */
static void fcompare(compiler *c, bool w64, unsigned idx) {
  static const uint8_t mirror[6] = {0, 1, 3, 2, 5, 4};
  bool left = left_is_const(c);
  if (left) idx = mirror[idx];
  emit_compare(c, w64, left, (wasm_iop)((w64 ? WASM_IOP_F64_EQ : WASM_IOP_F32_EQ) + idx),
               (wasm_iop)((w64 ? WASM_IOP_F64_EQ_I : WASM_IOP_F32_EQ_I) + idx));
}
_Static_assert(WASM_IOP_F32_GE == WASM_IOP_F32_EQ + 5 && WASM_IOP_F32_GE_I == WASM_IOP_F32_EQ_I + 5 &&
                   WASM_IOP_F64_GE == WASM_IOP_F64_EQ + 5 && WASM_IOP_F64_GE_I == WASM_IOP_F64_EQ_I + 5 &&
                   WASM_IOP_F32_EQ_I == WASM_IOP_F32_EQ + 6 && WASM_IOP_F64_EQ_I == WASM_IOP_F64_EQ + 6,
               "fcompare, cond_of_last: float comparisons in WASM_FCMP_LIST order, _I forms six after");
_Static_assert(WASM_IOP_BR_F32_NGE == WASM_IOP_BR_F32_EQ + 9 && WASM_IOP_BR_F32_NGE_I == WASM_IOP_BR_F32_EQ_I + 9 &&
                   WASM_IOP_BR_F64_NGE == WASM_IOP_BR_F64_EQ + 9 && WASM_IOP_BR_F64_NGE_I == WASM_IOP_BR_F64_EQ_I + 9,
               "emit_cond_jump: float branches in WASM_FBR_LIST order");

static void eqz(compiler *c, bool w64) {
  const struct win *ld = w64 ? NULL : last_result_into(c, c->nvs - 1);
  uint64_t a = pop_slot(c);
  if (ld && ld->op == WASM_IOP_I32_LOAD8_U) {
    /* eqz of a byte just loaded into its home slot: one LD8U_EQZ. A branch on
     * it still becomes BR_LD8U_EQZ (the condition is the load test). */
    uint64_t addr = operand(c, ld, 2), off = operand(c, ld, 3);
    take_back(c);
    uint64_t d = push_home(c);
    emit_op(c, WASM_IOP_LD8U_EQZ);
    emit_u(c, d), emit_u(c, addr), emit_u(c, off);
    return;
  }
  uint64_t d = push_home(c);
  emit_op(c, w64 ? WASM_IOP_I64_EQZ : WASM_IOP_I32_EQZ);
  emit_u(c, d);
  emit_u(c, a);
}

static const uint8_t cmp_negate[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
/* WASM_FBR_LIST: EQ and NE negate each other, LT and NLT, ... */
static const uint8_t fcmp_negate[10] = {1, 0, 6, 7, 8, 9, 2, 3, 4, 5};

/* The condition instruction w computes into its destination: a comparison,
 * a mask test (i32.and with a constant), an eqz or an LD8U_EQZ (COND_SLOT
 * if none). */
static cond cond_of(const compiler *c, const struct win *w) {
  wasm_iop op = w->op;
  uint64_t a = operand(c, w, 2), b = wasm_iop_cells(op) > 3 ? operand(c, w, 3) : 0;
  if (op >= WASM_IOP_I32_EQ && op <= WASM_IOP_I32_GE_U_I) /* slot forms, then _I forms */
    return (cond){COND_CMP, false, op >= WASM_IOP_I32_EQ_I, (uint16_t)((op - WASM_IOP_I32_EQ) % 10), a, b};
  if (op >= WASM_IOP_I64_EQ && op <= WASM_IOP_I64_GE_U_I)
    return (cond){COND_CMP, true, op >= WASM_IOP_I64_EQ_I, (uint16_t)((op - WASM_IOP_I64_EQ) % 10), a, b};
  if (op >= WASM_IOP_F32_EQ && op <= WASM_IOP_F32_GE_I)
    return (cond){COND_FCMP, false, op >= WASM_IOP_F32_EQ_I, (uint16_t)((op - WASM_IOP_F32_EQ) % 6), a, b};
  if (op >= WASM_IOP_F64_EQ && op <= WASM_IOP_F64_GE_I)
    return (cond){COND_FCMP, true, op >= WASM_IOP_F64_EQ_I, (uint16_t)((op - WASM_IOP_F64_EQ) % 6), a, b};
  if (op == WASM_IOP_I32_AND_I) return (cond){COND_MASK, false, false, 0, a, b};
  if (op == WASM_IOP_I32_EQZ || op == WASM_IOP_I64_EQZ) return (cond){COND_EQZ, op == WASM_IOP_I64_EQZ, false, 0, a, 0};
  if (op == WASM_IOP_LD8U_EQZ) /* imm: taken when the byte is zero */
    return (cond){COND_LOAD, false, true, (uint16_t)WASM_IOP_BR_LD8U_NEZ, a, b};
  return (cond){COND_SLOT, false, false, 0, 0, 0};
}

/* The i32.eqz w, if it tests the result of the comparison or mask test
 * emitted right before it into a home slot (`f64.gt; i32.eqz; if`: clang
 * cannot invert a float comparison, NaNs being unordered; `x & m; i32.eqz`):
 * that instruction, whose negated condition the eqz is; NULL if not. */
static const struct win *eqz_of_cond(const compiler *c, const struct win *w) {
  const struct win *f = last_instr(c, 1);
  if (w->op != WASM_IOP_I32_EQZ || !f) return NULL;
  uint64_t a = operand(c, w, 2);
  if (a < c->nlocals || !wasm_iop_shape_of(f->op)->dest1 || operand(c, f, 1) != a)
    return NULL; /* a local has other readers */
  uint8_t kind = cond_of(c, f).kind;
  return kind == COND_CMP || kind == COND_FCMP || kind == COND_MASK ? f : NULL;
}

/* The condition the last instruction computed into the top entry's home, if
 * it is one (cond_of; an eqz of a comparison or a mask test: its negation,
 * the two instructions taken back by pop_cond), COND_SLOT if none. */
static cond cond_of_last(const compiler *c) {
  const struct win *w = last_result_into(c, c->nvs - 1);
  if (!w) return (cond){COND_SLOT, false, false, 0, 0, 0};
  const struct win *f = eqz_of_cond(c, w);
  if (!f) return cond_of(c, w);
  cond k = cond_of(c, f);
  if (k.kind == COND_CMP) k.idx = cmp_negate[k.idx];
  else if (k.kind == COND_FCMP) k.idx = fcmp_negate[k.idx];
  else k.imm = !k.imm; /* COND_MASK */
  return k;
}
_Static_assert(WASM_IOP_I32_EQ_I == WASM_IOP_I32_EQ + 10 && WASM_IOP_I64_EQ_I == WASM_IOP_I64_EQ + 10,
               "cond_of: _I compare forms follow the slot forms");
_Static_assert(WASM_IOP_BR_AND_EQZ_I == WASM_IOP_BR_AND_NEZ_I + 1, "emit_cond_jump: BR_AND_EQZ_I follows NEZ");

/* Pop a branch condition, taking back a just-emitted comparison to fuse it. */
static cond pop_cond(compiler *c) {
  cond k = cond_of_last(c);
  if (k.kind != COND_SLOT) {
    if (eqz_of_cond(c, last_instr(c, 0))) take_back(c); /* the eqz, then its condition */
    take_back(c);
    c->nvs--;
    return k;
  }
  return (cond){COND_SLOT, false, false, 0, pop_slot(c), 0};
}

/* Emit "jump if k (or !k)"; returns the instruction start, the offset is the
 * last cell written. */
static uint32_t emit_cond_jump(compiler *c, const cond *k, bool negate) {
  uint32_t start;
  switch (k->kind) {
    case COND_SLOT:
      start = emit_op(c, negate ? WASM_IOP_BR_EQZ : WASM_IOP_BR_NEZ);
      emit_u(c, k->a);
      break;
    case COND_EQZ: {
      wasm_iop op = k->w64 ? (negate ? WASM_IOP_BR_I64_NEZ : WASM_IOP_BR_I64_EQZ)
                           : (negate ? WASM_IOP_BR_NEZ : WASM_IOP_BR_EQZ);
      start = emit_op(c, op);
      emit_u(c, k->a);
      break;
    }
    case COND_MASK: /* NEZ and EQZ forms are adjacent: op + 1 tests zero */
      start = emit_op(c, (wasm_iop)(WASM_IOP_BR_AND_NEZ_I + (k->imm != negate ? 1 : 0)));
      emit_u(c, k->a);
      emit_u(c, k->b);
      break;
    case COND_LOAD: { /* NEZ and EQZ forms are adjacent: op + 1 tests zero */
      start = emit_op(c, (wasm_iop)(k->idx + (k->imm != negate ? 1 : 0)));
      emit_u(c, k->a);
      emit_u(c, k->b);
      break;
    }
    default: { /* COND_CMP, COND_FCMP */
      bool f = k->kind == COND_FCMP;
      unsigned idx = negate ? (f ? fcmp_negate : cmp_negate)[k->idx] : k->idx;
      wasm_iop base = f ? (k->w64 ? (k->imm ? WASM_IOP_BR_F64_EQ_I : WASM_IOP_BR_F64_EQ)
                                  : (k->imm ? WASM_IOP_BR_F32_EQ_I : WASM_IOP_BR_F32_EQ))
                        : (k->w64 ? (k->imm ? WASM_IOP_BR_I64_EQ_I : WASM_IOP_BR_I64_EQ)
                                  : (k->imm ? WASM_IOP_BR_I32_EQ_I : WASM_IOP_BR_I32_EQ));
      start = emit_op(c, (wasm_iop)(base + idx));
      emit_u(c, k->a);
      emit_u(c, k->b);
      break;
    }
  }
  emit_u(c, 0); /* offset, set by the caller */
  return start;
}

/* ---------------- branches ---------------- */

static uint32_t label_arity(const ctl *t) { return t->kind == CTL_LOOP ? t->nparams : t->nresults; }

/* Results are the top n entries, all in home slots. */
static void emit_return_from(compiler *c, uint32_t n) {
  uint64_t src = home(c, c->nvs - n);
  if (n == 0) emit_op(c, WASM_IOP_RETURN0);
  else if (n == 1) {
    emit_op(c, WASM_IOP_RETURN1);
    emit_u(c, src);
  } else {
    emit_op(c, WASM_IOP_RETURN);
    emit_u(c, src);
    emit_u(c, n);
  }
}

static bool needs_move(const compiler *c, const ctl *t) {
  uint32_t n = label_arity(t);
  return n && c->nvs - n != t->height;
}

static void emit_moves(compiler *c, const ctl *t) {
  uint32_t n = label_arity(t);
  for (uint32_t i = 0; i < n; i++) emit_copy(c, home(c, t->height + i), home(c, c->nvs - n + i));
}

/* Point the offset cell `at` of the instruction at `base` to label t. */
static void target(compiler *c, ctl *t, uint32_t at, uint32_t base) {
  if (t->kind == CTL_LOOP) set_off(c, at, base, t->start);
  else add_patch(c, &t->patches, at, base);
}

static bool emit_addi_branch(compiler *c, const cond *k, uint32_t *startp);

/* A branch on (the eqz of) a value just loaded into a home slot: take the load
 * back and test memory directly (the value has no other use: it was popped). */
static void fuse_load(compiler *c, cond *k) {
  const struct win *ld = last_instr(c, 0);
  if (!ld || (ld->op != WASM_IOP_I32_LOAD && ld->op != WASM_IOP_I32_LOAD8_U) ||
      (k->kind != COND_SLOT && k->kind != COND_EQZ) || k->w64)
    return;
  uint64_t dst = operand(c, ld, 1);
  if (k->a != dst || dst < c->nlocals) return; /* not the load's own home slot */
  uint64_t addr = operand(c, ld, 2), off = operand(c, ld, 3);
  wasm_iop op = ld->op == WASM_IOP_I32_LOAD8_U ? WASM_IOP_BR_LD8U_NEZ : WASM_IOP_BR_LD32_NEZ;
  take_back(c);
  bool eqz = k->kind == COND_EQZ;
  *k = (cond){COND_LOAD, false, eqz, (uint16_t)op, addr, off}; /* imm: tests zero */
}

/* Unconditional branch to t (stack materialised). */
static void emit_br(compiler *c, ctl *t) {
  TOVA_ASSERT(c->oom || all_home(c));
  if (t->kind == CTL_FUNC) {
    emit_return_from(c, t->nresults);
    return;
  }
  if (t->kind == CTL_LOOP && t->head_valid && t->nparams == 0) {
    /* Run the loop's head test here: stay in the loop -> jump past the test. */
    uint32_t s;
    cond neg = t->head_cond;
    if (neg.kind == COND_CMP) neg.idx = cmp_negate[neg.idx];
    if (neg.kind != COND_CMP || !emit_addi_branch(c, &neg, &s))
      s = emit_cond_jump(c, &t->head_cond, true);
    set_off(c, c->len - 1, s, t->head_end);
    ctl *exit = &c->cs[t->head_target];
    s = emit_jump(c);
    target(c, exit, c->len - 1, s);
    return;
  }
  emit_moves(c, t);
  uint32_t start = emit_jump(c);
  target(c, t, c->len - 1, start);
}

/* `l = src + imm` immediately followed by a branch on l: one instruction.
 * Emits it (jump if k) and returns its start, the offset is the last cell. */
static bool emit_addi_branch(compiler *c, const cond *k, uint32_t *startp) {
  /* the step: the last instruction is an add into a local (a `local.set`
   * redirected it there, see local_set) */
  const struct win *step = last_instr(c, 0);
  if (!step) return false;
  bool reg = step->op == WASM_IOP_I32_ADD || step->op == WASM_IOP_I64_ADD;
  bool w64 = step->op == WASM_IOP_I64_ADD || step->op == WASM_IOP_I64_ADD_I;
  if (!reg && step->op != WASM_IOP_I32_ADD_I && step->op != WASM_IOP_I64_ADD_I) return false;
  uint64_t l = operand(c, step, 1);
  if (l >= c->nlocals) return false;
  wasm_iop op;
  if (k->kind == COND_SLOT) {
    if (w64 || reg || k->a != l) return false;
    op = WASM_IOP_ADDI_BR_NEZ;
  } else if (k->kind == COND_CMP) {
    if (k->w64 != w64 || k->a != l) return false;
    wasm_iop base = reg ? (k->w64 ? WASM_IOP_ADD_BR_I64_EQ : WASM_IOP_ADD_BR_I32_EQ)
                        : (k->w64 ? WASM_IOP_ADDI_BR_I64_EQ : WASM_IOP_ADDI_BR_I32_EQ);
    op = (wasm_iop)(base + (k->imm ? 10 : 0) + k->idx);
  } else {
    return false;
  }
  uint64_t src = operand(c, step, 2), imm = operand(c, step, 3);
  /* The instruction before the step (nothing between, no label): a constant
   * byte store makes the whole loop body `mem[a] = v; l = src + x; br_if l
   * <cmp> b` one instruction; an i32.add into a local (`acc += x; i += k;
   * br_if i <cmp> b`) joins an ADDI step. */
  const struct win *before = last_instr(c, 1);
  bool slot_cmp = k->kind == COND_CMP && !k->imm && !k->w64;
  bool st = before && slot_cmp && before->op == WASM_IOP_I32_STORE8_I;
  bool ad = before && slot_cmp && !reg && before->op == WASM_IOP_I32_ADD &&
            operand(c, before, 1) < c->nlocals;
  uint64_t st_a = 0, st_v = 0, st_off = 0;
  if (st || ad) { /* a v offset (store) or d x y (add) */
    st_a = operand(c, before, 1), st_v = operand(c, before, 2), st_off = operand(c, before, 3);
    op = st ? (wasm_iop)((reg ? WASM_IOP_ST8I_ADD_BR_I32_EQ : WASM_IOP_ST8I_ADDI_BR_I32_EQ) + k->idx)
            : (wasm_iop)(WASM_IOP_ADD32_ADDI_BR_I32_EQ + k->idx);
  }
  take_back(c);
  if (st || ad) take_back(c);
  uint32_t start = emit_op(c, op);
  if (st || ad) emit_u(c, st_a), emit_u(c, st_v), emit_u(c, st_off);
  emit_u(c, l);
  emit_u(c, src);
  emit_u(c, imm);
  if (k->kind == COND_CMP) emit_u(c, k->b);
  emit_u(c, 0);
  *startp = start;
  return true;
}

/* A counted loop's head test (at loop->start + LOOP_HEAD's cells, branching
 * to t) and its LOOP_HEAD change places, so that the `br`s back, which run
 * the test themselves and jump past it, land on the counter. The counter
 * then sits after the test: a call continued natively from there runs the
 * test again, which only reads locals, constants or memory. */
static void count_after_head_test(compiler *c, ctl *loop, ctl *t) {
  if (c->oom) return;
  enum { LH = WASM_CELLS_LOOP_HEAD };
  uint32_t at = loop->start, n = c->len - at - LH; /* the test's cells */
  wasm_cell head[LH];
  memcpy(head, &c->code[at], sizeof head);
  memmove(&c->code[at], &c->code[at + LH], n * sizeof(wasm_cell));
  memcpy(&c->code[at + n], head, sizeof head);
  /* The test's offset, its last cell, is relative to its start: both moved. */
  if (t->kind == CTL_LOOP) {
    set_off(c, at + n - 1, at, t->start);
  } else { /* the patch target() just added to t's list */
    c->patch[t->patches].at -= LH;
    c->patch[t->patches].base -= LH;
  }
  mark_label(c); /* the window's positions moved */
}

static void emit_br_if(compiler *c, ctl *t, const cond *k) {
  if (t->kind != CTL_FUNC && !needs_move(c, t)) {
    uint32_t start;
    if (emit_addi_branch(c, k, &start)) {
      target(c, t, c->len - 1, start);
      return;
    }
    start = emit_cond_jump(c, k, false);
    target(c, t, c->len - 1, start);
    ctl *inner = &c->cs[c->ncs - 1];
    uint32_t body = inner->start + (inner->counted ? WASM_CELLS_LOOP_HEAD : 0);
    if (inner->kind == CTL_LOOP && inner != t && start == body && label_arity(t) == 0) {
      if (inner->counted) count_after_head_test(c, inner, t);
      inner->head_valid = true;
      inner->head_cond = *k;
      inner->head_end = c->len - (inner->counted ? WASM_CELLS_LOOP_HEAD : 0);
      inner->head_target = (uint32_t)(t - c->cs);
    }
    return;
  }
  /* Values must move (or return): jump over the move + branch when false. */
  uint32_t skip = emit_cond_jump(c, k, true);
  uint32_t skip_at = c->len - 1;
  emit_br(c, t);
  set_off(c, skip_at, skip, c->len);
  mark_label(c);
}

/* ---------------- control frames ---------------- */

static ctl *push_ctl(compiler *c, uint8_t kind, uint32_t nparams, uint32_t nresults) {
  if (!grow((void **)&c->cs, &c->ccap, c->ncs + 1, sizeof(ctl))) {
    c->oom = true;
    return NULL;
  }
  ctl *t = &c->cs[c->ncs++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->nparams = nparams;
  t->nresults = nresults;
  t->height = c->nvs - nparams;
  t->patches = -1;
  t->else_patch = -1;
  return t;
}

static void block_arity(const compiler *c, const wasm_instr *in, uint32_t *np, uint32_t *nr) {
  switch (in->bt_kind) {
    case WASM_BT_EMPTY: *np = 0, *nr = 0; break;
    case WASM_BT_VALUE: *np = 0, *nr = 1; break;
    default:
      *np = c->m->types[in->bt_index].nparams;
      *nr = c->m->types[in->bt_index].nresults;
  }
}

static void set_unreachable(compiler *c) {
  ctl *t = &c->cs[c->ncs - 1];
  t->unreachable = true;
  c->nvs = t->height;
  mark_label(c);
}

/* Pops the stack to the frame's height and pushes its n home results. */
static void reset_stack(compiler *c, const ctl *t, uint32_t n) {
  c->nvs = t->height;
  for (uint32_t i = 0; i < n; i++) push_home(c);
}

/* ---------------- calls ---------------- */

/* Records the call just emitted (wasm_code.call_sites): the cell after it
 * is where its caller goes on when the callee returns. */
static void note_call_site(compiler *c, uint64_t argbase) {
  if (argbase > UINT32_MAX ||
      !grow((void **)&c->csites, &c->cscap, c->ncsites + WASM_CALL_SITE_WORDS, sizeof *c->csites)) {
    c->oom = true;
    return;
  }
  c->csites[c->ncsites++] = c->instr_at;
  c->csites[c->ncsites++] = c->len;
  c->csites[c->ncsites++] = (uint32_t)argbase;
}

static void emit_call(compiler *c, uint32_t fidx) {
  const tova_functype *ft = wasm_func_type(c->m, fidx);
  materialize_all(c);
  TOVA_ASSERT(c->oom || all_home(c));
  uint64_t argbase = home(c, c->nvs - ft->nparams);
  /* the instruction that computed the last argument, if it was the last one */
  const struct win *last_arg = ft->nparams ? last_result_into(c, c->nvs - 1) : NULL;
  c->nvs -= ft->nparams;
  if (fidx >= c->m->nimported_funcs) {
    const void *code = c->m->func_defs[fidx - c->m->nimported_funcs].code;
    if (last_arg && (last_arg->op == WASM_IOP_I32_ADD_I || last_arg->op == WASM_IOP_I64_ADD_I)) {
      /* The last argument was just computed as x + k: do it in the call. */
      bool w64 = last_arg->op == WASM_IOP_I64_ADD_I;
      uint64_t d = operand(c, last_arg, 1), src = operand(c, last_arg, 2),
               imm = operand(c, last_arg, 3);
      take_back(c);
      emit_op(c, w64 ? WASM_IOP_CALL_ADDI64 : WASM_IOP_CALL_ADDI32);
      emit_u(c, argbase);
      emit_u(c, 0);
      if (!c->oom) c->code[c->len - 1].p = code;
      emit_u(c, d), emit_u(c, src), emit_u(c, imm);
    } else {
      emit_op(c, WASM_IOP_CALL);
      emit_u(c, argbase);
      emit_u(c, 0);
      if (!c->oom) c->code[c->len - 1].p = code;
    }
    note_call_site(c, argbase);
  } else {
    uint32_t at = emit_op(c, WASM_IOP_CALL_FUNC);
    emit_u(c, argbase);
    emit_u(c, fidx);
    if (argbase > UINT32_MAX ||
        !grow((void **)&c->icalls, &c->icap, c->nicalls + WASM_IMPORT_CALL_WORDS, sizeof *c->icalls))
      c->oom = true;
    else {
      c->icalls[c->nicalls++] = c->instr_at;
      c->icalls[c->nicalls++] = at;
      c->icalls[c->nicalls++] = (uint32_t)argbase;
    }
  }
  for (uint32_t i = 0; i < ft->nresults; i++) push_home(c);
  mark_label(c);
}

static void emit_call_indirect(compiler *c, uint32_t typeidx, uint32_t table) {
  const tova_functype *ft = &c->m->types[typeidx];
  uint64_t idx = pop_slot(c);
  materialize_all(c);
  TOVA_ASSERT(c->oom || all_home(c));
  uint64_t argbase = home(c, c->nvs - ft->nparams);
  c->nvs -= ft->nparams;
  emit_op(c, WASM_IOP_CALL_INDIRECT);
  emit_u(c, argbase);
  emit_u(c, idx);
  emit_u(c, typeidx);
  emit_u(c, table);
  note_call_site(c, argbase);
  for (uint32_t i = 0; i < ft->nresults; i++) push_home(c);
  mark_label(c);
}

/* ---------------- locals ---------------- */

static void local_set(compiler *c, uint32_t l, bool tee) {
  uint32_t top = c->nvs - 1;
  sv v = c->vs[top];
  if (v.kind == SV_LOCAL && v.local == l) { /* x = x */
    if (!tee) c->nvs--;
    return;
  }
  bool pending = false;
  for (uint32_t i = 0; i < top; i++)
    if (c->vs[i].kind == SV_LOCAL && c->vs[i].local == l) pending = true;
  const struct win *w = v.kind == SV_HOME && !pending ? last_result_into(c, top) : NULL;
  if (w) {
    /* The value was just computed: compute it straight into the local. (An
     * add into a local is what a loop step is made of: emit_addi_branch
     * finds it in the window.) */
    c->code[w->at + 1].u = l;
    if (tee) c->vs[top] = (sv){SV_LOCAL, l, 0};
    else c->nvs--;
    return;
  }
  if (pending) materialize_local(c, l, top);
  /* the rule for local.set/tee (header comment): no pending read of the old value */
  for (uint32_t i = 0; TOVA_DEBUG && i < top; i++)
    TOVA_ASSERT(c->vs[i].kind != SV_LOCAL || c->vs[i].local != l);
  if (v.kind == SV_CONST) {
    emit_op(c, WASM_IOP_CONST);
    emit_u(c, l);
    emit_u(c, v.value);
  } else {
    emit_op(c, WASM_IOP_COPY);
    emit_u(c, l);
    emit_u(c, v.kind == SV_LOCAL ? v.local : home(c, top));
  }
  if (!tee) c->nvs--;
  /* a tee keeps the entry as it is: the value is still where it was */
}

/* ---------------- one instruction ---------------- */

static wasm_iop load_op(uint8_t op) {
  switch (op) {
    case WASM_OP_I32_LOAD: return WASM_IOP_I32_LOAD;
    case WASM_OP_I64_LOAD: return WASM_IOP_I64_LOAD;
    case WASM_OP_F32_LOAD: return WASM_IOP_F32_LOAD;
    case WASM_OP_F64_LOAD: return WASM_IOP_F64_LOAD;
    case WASM_OP_I32_LOAD8_S: return WASM_IOP_I32_LOAD8_S;
    case WASM_OP_I32_LOAD8_U: return WASM_IOP_I32_LOAD8_U;
    case WASM_OP_I32_LOAD16_S: return WASM_IOP_I32_LOAD16_S;
    case WASM_OP_I32_LOAD16_U: return WASM_IOP_I32_LOAD16_U;
    case WASM_OP_I64_LOAD8_S: return WASM_IOP_I64_LOAD8_S;
    case WASM_OP_I64_LOAD8_U: return WASM_IOP_I64_LOAD8_U;
    case WASM_OP_I64_LOAD16_S: return WASM_IOP_I64_LOAD16_S;
    case WASM_OP_I64_LOAD16_U: return WASM_IOP_I64_LOAD16_U;
    case WASM_OP_I64_LOAD32_S: return WASM_IOP_I64_LOAD32_S;
    default: return WASM_IOP_I64_LOAD32_U;
  }
}

static wasm_iop store_op(uint8_t op) {
  switch (op) {
    case WASM_OP_I32_STORE: return WASM_IOP_I32_STORE;
    case WASM_OP_I64_STORE: return WASM_IOP_I64_STORE;
    case WASM_OP_F32_STORE: return WASM_IOP_F32_STORE;
    case WASM_OP_F64_STORE: return WASM_IOP_F64_STORE;
    case WASM_OP_I32_STORE8: return WASM_IOP_I32_STORE8;
    case WASM_OP_I32_STORE16: return WASM_IOP_I32_STORE16;
    case WASM_OP_I64_STORE8: return WASM_IOP_I64_STORE8;
    case WASM_OP_I64_STORE16: return WASM_IOP_I64_STORE16;
    default: return WASM_IOP_I64_STORE32;
  }
}

/* Same store with a constant value: only the width matters. */
static wasm_iop store_imm_op(uint8_t op) {
  switch (op) {
    case WASM_OP_I64_STORE: case WASM_OP_F64_STORE: return WASM_IOP_I64_STORE_I;
    case WASM_OP_I32_STORE8: case WASM_OP_I64_STORE8: return WASM_IOP_I32_STORE8_I;
    case WASM_OP_I32_STORE16: case WASM_OP_I64_STORE16: return WASM_IOP_I32_STORE16_I;
    default: return WASM_IOP_I32_STORE_I; /* i32.store, f32.store, i64.store32 */
  }
}

/* The _A forms are listed in the order of the forms they stand for. */
_Static_assert(WASM_IOP_F64_LOAD_A - WASM_IOP_I32_LOAD_A == WASM_IOP_F64_LOAD - WASM_IOP_I32_LOAD &&
                   WASM_IOP_I64_LOAD32_U_A - WASM_IOP_I32_LOAD_A == WASM_IOP_I64_LOAD32_U - WASM_IOP_I32_LOAD,
               "loads at a constant address: iops.h order");
_Static_assert(WASM_IOP_F64_STORE_A - WASM_IOP_I32_STORE_A == WASM_IOP_F64_STORE - WASM_IOP_I32_STORE &&
                   WASM_IOP_I64_STORE32_A - WASM_IOP_I32_STORE_A == WASM_IOP_I64_STORE32 - WASM_IOP_I32_STORE &&
                   WASM_IOP_I32_STORE16_I_A - WASM_IOP_I32_STORE_I_A ==
                       WASM_IOP_I32_STORE16_I - WASM_IOP_I32_STORE_I,
               "stores at a constant address: iops.h order");

/* Plain numeric opcodes (0x45..0xC4) that map one to one; 0 = not plain. */
static int numeric_op(uint8_t op, int *op_i, bool *w64, int *kind) {
  /* kind: 1 unary, 2 binary, 3 compare (idx in *op_i), 4 eqz, 5 nothing (reinterpret),
   * 6 float compare (idx in *op_i) */
  *op_i = -1;
  *w64 = false;
#define UN(o, io) case WASM_OP_##o: *kind = 1; return WASM_IOP_##io;
#define BI(o, io) case WASM_OP_##o: *kind = 2; return WASM_IOP_##io;
#define BII(o, io, w) case WASM_OP_##o: *kind = 2; *w64 = w; *op_i = WASM_IOP_##io##_I; return WASM_IOP_##io;
#define CM(o, w, i) case WASM_OP_##o: *kind = 3; *w64 = w; *op_i = i; return 0;
#define FC(o, w, i) case WASM_OP_##o: *kind = 6; *w64 = w; *op_i = i; return 0;
  switch (op) {
    case WASM_OP_I32_EQZ: *kind = 4; return 0;
    case WASM_OP_I64_EQZ: *kind = 4; *w64 = true; return 0;
    CM(I32_EQ, false, 0) CM(I32_NE, false, 1) CM(I32_LT_S, false, 2) CM(I32_LT_U, false, 3)
    CM(I32_GT_S, false, 4) CM(I32_GT_U, false, 5) CM(I32_LE_S, false, 6) CM(I32_LE_U, false, 7)
    CM(I32_GE_S, false, 8) CM(I32_GE_U, false, 9)
    CM(I64_EQ, true, 0) CM(I64_NE, true, 1) CM(I64_LT_S, true, 2) CM(I64_LT_U, true, 3)
    CM(I64_GT_S, true, 4) CM(I64_GT_U, true, 5) CM(I64_LE_S, true, 6) CM(I64_LE_U, true, 7)
    CM(I64_GE_S, true, 8) CM(I64_GE_U, true, 9)
    FC(F32_EQ, false, 0) FC(F32_NE, false, 1) FC(F32_LT, false, 2) FC(F32_GT, false, 3)
    FC(F32_LE, false, 4) FC(F32_GE, false, 5)
    FC(F64_EQ, true, 0) FC(F64_NE, true, 1) FC(F64_LT, true, 2) FC(F64_GT, true, 3)
    FC(F64_LE, true, 4) FC(F64_GE, true, 5)
    UN(I32_CLZ, I32_CLZ) UN(I32_CTZ, I32_CTZ) UN(I32_POPCNT, I32_POPCNT)
    BII(I32_ADD, I32_ADD, false) BII(I32_SUB, I32_SUB, false) BII(I32_MUL, I32_MUL, false)
    BII(I32_DIV_S, I32_DIV_S, false) BII(I32_DIV_U, I32_DIV_U, false)
    BII(I32_REM_S, I32_REM_S, false) BII(I32_REM_U, I32_REM_U, false)
    BII(I32_AND, I32_AND, false) BII(I32_OR, I32_OR, false) BII(I32_XOR, I32_XOR, false)
    BII(I32_SHL, I32_SHL, false) BII(I32_SHR_S, I32_SHR_S, false)
    BII(I32_SHR_U, I32_SHR_U, false) BII(I32_ROTL, I32_ROTL, false)
    BII(I32_ROTR, I32_ROTR, false)
    UN(I64_CLZ, I64_CLZ) UN(I64_CTZ, I64_CTZ) UN(I64_POPCNT, I64_POPCNT)
    BII(I64_ADD, I64_ADD, true) BII(I64_SUB, I64_SUB, true) BII(I64_MUL, I64_MUL, true)
    BII(I64_DIV_S, I64_DIV_S, true) BII(I64_DIV_U, I64_DIV_U, true)
    BII(I64_REM_S, I64_REM_S, true) BII(I64_REM_U, I64_REM_U, true)
    BII(I64_AND, I64_AND, true) BII(I64_OR, I64_OR, true) BII(I64_XOR, I64_XOR, true)
    BII(I64_SHL, I64_SHL, true) BII(I64_SHR_S, I64_SHR_S, true)
    BII(I64_SHR_U, I64_SHR_U, true) BII(I64_ROTL, I64_ROTL, true)
    BII(I64_ROTR, I64_ROTR, true)
    UN(F32_ABS, F32_ABS) UN(F32_NEG, F32_NEG) UN(F32_CEIL, F32_CEIL) UN(F32_FLOOR, F32_FLOOR)
    UN(F32_TRUNC, F32_TRUNC) UN(F32_NEAREST, F32_NEAREST) UN(F32_SQRT, F32_SQRT)
    BII(F32_ADD, F32_ADD, false) BII(F32_SUB, F32_SUB, false) BII(F32_MUL, F32_MUL, false)
    BII(F32_DIV, F32_DIV, false)
    BI(F32_MIN, F32_MIN) BI(F32_MAX, F32_MAX) BI(F32_COPYSIGN, F32_COPYSIGN)
    UN(F64_ABS, F64_ABS) UN(F64_NEG, F64_NEG) UN(F64_CEIL, F64_CEIL) UN(F64_FLOOR, F64_FLOOR)
    UN(F64_TRUNC, F64_TRUNC) UN(F64_NEAREST, F64_NEAREST) UN(F64_SQRT, F64_SQRT)
    BII(F64_ADD, F64_ADD, true) BII(F64_SUB, F64_SUB, true) BII(F64_MUL, F64_MUL, true)
    BII(F64_DIV, F64_DIV, true)
    BI(F64_MIN, F64_MIN) BI(F64_MAX, F64_MAX) BI(F64_COPYSIGN, F64_COPYSIGN)
    UN(I32_WRAP_I64, I32_WRAP_I64)
    UN(I32_TRUNC_F32_S, I32_TRUNC_F32_S) UN(I32_TRUNC_F32_U, I32_TRUNC_F32_U)
    UN(I32_TRUNC_F64_S, I32_TRUNC_F64_S) UN(I32_TRUNC_F64_U, I32_TRUNC_F64_U)
    UN(I64_EXTEND_I32_S, I64_EXTEND_I32_S) UN(I64_EXTEND_I32_U, I64_EXTEND_I32_U)
    UN(I64_TRUNC_F32_S, I64_TRUNC_F32_S) UN(I64_TRUNC_F32_U, I64_TRUNC_F32_U)
    UN(I64_TRUNC_F64_S, I64_TRUNC_F64_S) UN(I64_TRUNC_F64_U, I64_TRUNC_F64_U)
    UN(F32_CONVERT_I32_S, F32_CONVERT_I32_S) UN(F32_CONVERT_I32_U, F32_CONVERT_I32_U)
    UN(F32_CONVERT_I64_S, F32_CONVERT_I64_S) UN(F32_CONVERT_I64_U, F32_CONVERT_I64_U)
    UN(F32_DEMOTE_F64, F32_DEMOTE_F64)
    UN(F64_CONVERT_I32_S, F64_CONVERT_I32_S) UN(F64_CONVERT_I32_U, F64_CONVERT_I32_U)
    UN(F64_CONVERT_I64_S, F64_CONVERT_I64_S) UN(F64_CONVERT_I64_U, F64_CONVERT_I64_U)
    UN(F64_PROMOTE_F32, F64_PROMOTE_F32)
    UN(I32_EXTEND8_S, I32_EXTEND8_S) UN(I32_EXTEND16_S, I32_EXTEND16_S)
    UN(I64_EXTEND8_S, I64_EXTEND8_S) UN(I64_EXTEND16_S, I64_EXTEND16_S)
    UN(I64_EXTEND32_S, I64_EXTEND32_S)
    case WASM_OP_I32_REINTERPRET_F32: case WASM_OP_I64_REINTERPRET_F64:
    case WASM_OP_F32_REINTERPRET_I32: case WASM_OP_F64_REINTERPRET_I64:
      *kind = 5;
      return 0;
    default:
      *kind = 0;
      return 0;
  }
#undef UN
#undef BI
#undef BII
#undef CM
#undef FC
}

static void fc_instr(compiler *c, const wasm_instr *in) {
  static const wasm_iop sat[8] = {
      WASM_IOP_I32_TRUNC_SAT_F32_S, WASM_IOP_I32_TRUNC_SAT_F32_U, WASM_IOP_I32_TRUNC_SAT_F64_S,
      WASM_IOP_I32_TRUNC_SAT_F64_U, WASM_IOP_I64_TRUNC_SAT_F32_S, WASM_IOP_I64_TRUNC_SAT_F32_U,
      WASM_IOP_I64_TRUNC_SAT_F64_S, WASM_IOP_I64_TRUNC_SAT_F64_U};
  if (in->sub <= 7) {
    unary(c, sat[in->sub]);
    return;
  }
  uint64_t x, y, z, d;
  switch (in->sub) {
    case WASM_FC_MEMORY_INIT:
      z = pop_slot(c), y = pop_slot(c), x = pop_slot(c);
      emit_op(c, WASM_IOP_MEMORY_INIT);
      emit_u(c, in->a), emit_u(c, x), emit_u(c, y), emit_u(c, z);
      break;
    case WASM_FC_DATA_DROP:
      emit_op(c, WASM_IOP_DATA_DROP);
      emit_u(c, in->a);
      break;
    case WASM_FC_MEMORY_COPY:
    case WASM_FC_MEMORY_FILL:
      z = pop_slot(c), y = pop_slot(c), x = pop_slot(c);
      emit_op(c, in->sub == WASM_FC_MEMORY_COPY ? WASM_IOP_MEMORY_COPY : WASM_IOP_MEMORY_FILL);
      emit_u(c, x), emit_u(c, y), emit_u(c, z);
      break;
    case WASM_FC_TABLE_INIT:
      z = pop_slot(c), y = pop_slot(c), x = pop_slot(c);
      emit_op(c, WASM_IOP_TABLE_INIT);
      emit_u(c, in->a), emit_u(c, in->b), emit_u(c, x), emit_u(c, y), emit_u(c, z);
      break;
    case WASM_FC_ELEM_DROP:
      emit_op(c, WASM_IOP_ELEM_DROP);
      emit_u(c, in->a);
      break;
    case WASM_FC_TABLE_COPY:
      z = pop_slot(c), y = pop_slot(c), x = pop_slot(c);
      emit_op(c, WASM_IOP_TABLE_COPY);
      emit_u(c, in->a), emit_u(c, in->b), emit_u(c, x), emit_u(c, y), emit_u(c, z);
      break;
    case WASM_FC_TABLE_GROW:
      y = pop_slot(c), x = pop_slot(c); /* x = init value, y = delta */
      d = push_home(c);
      emit_op(c, WASM_IOP_TABLE_GROW);
      emit_u(c, d), emit_u(c, in->a), emit_u(c, x), emit_u(c, y);
      break;
    case WASM_FC_TABLE_SIZE:
      d = push_home(c);
      emit_op(c, WASM_IOP_TABLE_SIZE);
      emit_u(c, d), emit_u(c, in->a);
      break;
    case WASM_FC_TABLE_FILL:
      z = pop_slot(c), y = pop_slot(c), x = pop_slot(c); /* i, value, n */
      emit_op(c, WASM_IOP_TABLE_FILL);
      emit_u(c, in->a), emit_u(c, x), emit_u(c, y), emit_u(c, z);
      break;
  }
}

static void br_table(compiler *c, const wasm_instr *in) {
  uint64_t a = pop_slot(c);
  materialize_all(c);
  uint32_t n = in->ntargets;
  uint32_t *labels = malloc(sizeof(uint32_t) * ((size_t)n + 1));
  if (!labels) {
    c->oom = true;
    return;
  }
  wasm_reader r;
  wasm_reader_init(&r, in->targets, in->targets, in->targets + 5 * ((size_t)n + 1));
  for (uint32_t i = 0; i < n; i++) rd_u32(&r, &labels[i]);
  labels[n] = in->a;
  uint32_t start = emit_op(c, WASM_IOP_BR_TABLE);
  emit_u(c, a);
  emit_u(c, n);
  uint32_t first = c->len;
  for (uint32_t i = 0; i <= n; i++) emit_u(c, 0);
  /* Targets whose values must move (or that return) get a small
   * move-and-branch trampoline emitted after the table. */
  for (uint32_t i = 0; i <= n; i++) {
    ctl *t = &c->cs[c->ncs - 1 - labels[i]];
    if (t->kind == CTL_FUNC || needs_move(c, t)) {
      set_off(c, first + i, start, c->len);
      emit_br(c, t);
    } else {
      target(c, t, first + i, start);
    }
  }
  free(labels);
}

static void instr(compiler *c, const wasm_instr *in) {
  ctl *top = &c->cs[c->ncs - 1];
  uint32_t np, nr;
  if (top->unreachable) {
    /* Skip dead code, keeping track of its nesting. */
    switch (in->op) {
      case WASM_OP_BLOCK: case WASM_OP_LOOP: case WASM_OP_IF: {
        ctl *t = push_ctl(c, CTL_BLOCK, 0, 0);
        if (t) t->dead = t->unreachable = true;
        return;
      }
      case WASM_OP_ELSE: case WASM_OP_END: break;
      default: return;
    }
  }
  switch (in->op) {
    case WASM_OP_UNREACHABLE:
      emit_op(c, WASM_IOP_UNREACHABLE);
      set_unreachable(c);
      break;
    case WASM_OP_NOP:
      break;
    case WASM_OP_BLOCK:
      block_arity(c, in, &np, &nr);
      materialize_all(c);
      push_ctl(c, CTL_BLOCK, np, nr);
      break;
    case WASM_OP_LOOP: {
      block_arity(c, in, &np, &nr);
      materialize_all(c);
      ctl *t = push_ctl(c, CTL_LOOP, np, nr);
      if (t) t->start = c->len;
      if (t && c->lc && c->lc->want[c->def] && np == 0 && c->nvs == 0) {
        /* Back-edges land on the counter (compile.h LOOP_HEAD); a while
         * loop's head test moves in front of it (count_after_head_test). */
        t->counted = true;
        emit_op(c, WASM_IOP_LOOP_HEAD);
        emit_u(c, c->lc->first);
        emit_u(c, (uint64_t)c->def << 32 | (c->nloops - 1));
        emit_u(c, (uint64_t)(uintptr_t)c->lc->hook);
      }
      mark_label(c);
      break;
    }
    case WASM_OP_IF: {
      block_arity(c, in, &np, &nr);
      cond k = pop_cond(c);
      materialize_all(c);
      fuse_load(c, &k);
      uint32_t start = emit_cond_jump(c, &k, true);
      ctl *t = push_ctl(c, CTL_IF, np, nr);
      if (t) add_patch(c, &t->else_patch, c->len - 1, start);
      break;
    }
    case WASM_OP_ELSE: {
      if (top->dead) break;
      if (!top->unreachable) {
        materialize_all(c);
        uint32_t start = emit_jump(c);
        add_patch(c, &top->patches, c->len - 1, start);
      }
      bind_list(c, top->else_patch);
      top->else_patch = -1;
      top->has_else = true;
      top->unreachable = false;
      reset_stack(c, top, top->nparams);
      break;
    }
    case WASM_OP_END: {
      if (top->dead) {
        c->ncs--;
        break;
      }
      if (top->kind == CTL_FUNC) {
        if (!top->unreachable) {
          if (top->nresults == 1) {
            uint64_t src = pop_slot(c); /* may emit: before the op */
            emit_op(c, WASM_IOP_RETURN1);
            emit_u(c, src);
          } else {
            materialize_all(c);
            emit_return_from(c, top->nresults);
          }
        } else {
          emit_op(c, WASM_IOP_UNREACHABLE);
        }
        c->ncs--;
        break;
      }
      if (!top->unreachable) materialize_all(c);
      TOVA_ASSERT(c->oom || top->unreachable || all_home(c)); /* a label follows */
      bind_list(c, top->else_patch);
      bind_list(c, top->patches);
      ctl t = *top;
      c->ncs--;
      reset_stack(c, &t, t.nresults);
      break;
    }
    case WASM_OP_BR: {
      materialize_all(c);
      emit_br(c, &c->cs[c->ncs - 1 - in->a]);
      set_unreachable(c);
      break;
    }
    case WASM_OP_BR_IF: {
      cond k = pop_cond(c);
      materialize_all(c);
      fuse_load(c, &k);
      emit_br_if(c, &c->cs[c->ncs - 1 - in->a], &k);
      break;
    }
    case WASM_OP_BR_TABLE:
      br_table(c, in);
      set_unreachable(c);
      break;
    case WASM_OP_RETURN: {
      uint32_t n = c->cs[0].nresults;
      if (n == 1) {
        uint64_t src = pop_slot(c); /* may emit: before the op */
        emit_op(c, WASM_IOP_RETURN1);
        emit_u(c, src);
      } else {
        materialize_all(c);
        emit_return_from(c, n);
      }
      set_unreachable(c);
      break;
    }
    case WASM_OP_CALL:
      emit_call(c, in->a);
      break;
    case WASM_OP_CALL_INDIRECT:
      emit_call_indirect(c, in->a, in->b);
      break;
    case WASM_OP_DROP: {
      c->nvs--;
      break;
    }
    case WASM_OP_SELECT:
    case WASM_OP_SELECT_T: {
      uint64_t k = pop_slot(c), b = pop_slot(c), a = pop_slot(c);
      uint64_t d = push_home(c);
      emit_op(c, WASM_IOP_SELECT);
      emit_u(c, d), emit_u(c, k), emit_u(c, a), emit_u(c, b);
      break;
    }
    case WASM_OP_LOCAL_GET:
      push(c, (sv){SV_LOCAL, in->a, 0});
      break;
    case WASM_OP_LOCAL_SET:
      local_set(c, in->a, false);
      break;
    case WASM_OP_LOCAL_TEE:
      local_set(c, in->a, true);
      break;
    case WASM_OP_GLOBAL_GET: {
      uint64_t d = push_home(c);
      emit_op(c, WASM_IOP_GLOBAL_GET);
      emit_u(c, d), emit_u(c, in->a);
      break;
    }
    case WASM_OP_GLOBAL_SET: {
      uint64_t s = pop_slot(c);
      emit_op(c, WASM_IOP_GLOBAL_SET);
      emit_u(c, in->a), emit_u(c, s);
      break;
    }
    case WASM_OP_TABLE_GET: {
      uint64_t i = pop_slot(c);
      uint64_t d = push_home(c);
      emit_op(c, WASM_IOP_TABLE_GET);
      emit_u(c, d), emit_u(c, in->a), emit_u(c, i);
      break;
    }
    case WASM_OP_TABLE_SET: {
      uint64_t v = pop_slot(c), i = pop_slot(c);
      emit_op(c, WASM_IOP_TABLE_SET);
      emit_u(c, in->a), emit_u(c, i), emit_u(c, v);
      break;
    }
    case WASM_OP_I32_LOAD: case WASM_OP_I64_LOAD: case WASM_OP_F32_LOAD: case WASM_OP_F64_LOAD:
    case WASM_OP_I32_LOAD8_S: case WASM_OP_I32_LOAD8_U: case WASM_OP_I32_LOAD16_S:
    case WASM_OP_I32_LOAD16_U: case WASM_OP_I64_LOAD8_S: case WASM_OP_I64_LOAD8_U:
    case WASM_OP_I64_LOAD16_S: case WASM_OP_I64_LOAD16_U: case WASM_OP_I64_LOAD32_S:
    case WASM_OP_I64_LOAD32_U: {
      wasm_iop op = load_op(in->op);
      if (top_is_const(c)) { /* a constant address: the _A form (iops.h) */
        uint64_t ea = pop_const_address(c, in->offset);
        uint64_t d = push_home(c);
        emit_op(c, (wasm_iop)(WASM_IOP_I32_LOAD_A + (op - WASM_IOP_I32_LOAD)));
        emit_u(c, d), emit_u(c, ea);
        break;
      }
      uint64_t a = pop_slot(c);
      uint64_t d = push_home(c);
      emit_op(c, op);
      emit_u(c, d), emit_u(c, a), emit_u(c, in->offset);
      break;
    }
    case WASM_OP_I32_STORE: case WASM_OP_I64_STORE: case WASM_OP_F32_STORE:
    case WASM_OP_F64_STORE: case WASM_OP_I32_STORE8: case WASM_OP_I32_STORE16:
    case WASM_OP_I64_STORE8: case WASM_OP_I64_STORE16: case WASM_OP_I64_STORE32: {
      if (below_top_is_const(c)) { /* a constant address: the _A forms (iops.h) */
        bool imm = top_is_const(c);
        uint64_t v = imm ? c->vs[--c->nvs].value : pop_slot(c);
        uint64_t ea = pop_const_address(c, in->offset);
        emit_op(c, imm ? (wasm_iop)(WASM_IOP_I32_STORE_I_A + (store_imm_op(in->op) - WASM_IOP_I32_STORE_I))
                       : (wasm_iop)(WASM_IOP_I32_STORE_A + (store_op(in->op) - WASM_IOP_I32_STORE)));
        emit_u(c, v), emit_u(c, ea);
        break;
      }
      if (top_is_const(c)) { /* constant value: the _I form, no slot needed */
        uint64_t v = c->vs[--c->nvs].value;
        uint64_t a = pop_slot(c);
        emit_op(c, store_imm_op(in->op));
        emit_u(c, a), emit_u(c, v), emit_u(c, in->offset);
        break;
      }
      uint64_t v = pop_slot(c), a = pop_slot(c);
      emit_op(c, store_op(in->op));
      emit_u(c, a), emit_u(c, v), emit_u(c, in->offset);
      break;
    }
    case WASM_OP_MEMORY_SIZE: {
      uint64_t d = push_home(c);
      emit_op(c, WASM_IOP_MEMORY_SIZE);
      emit_u(c, d);
      break;
    }
    case WASM_OP_MEMORY_GROW: {
      uint64_t a = pop_slot(c);
      uint64_t d = push_home(c);
      emit_op(c, WASM_IOP_MEMORY_GROW);
      emit_u(c, d), emit_u(c, a);
      break;
    }
    case WASM_OP_I32_CONST:
      push(c, (sv){SV_CONST, 0, (uint32_t)in->value});
      break;
    case WASM_OP_I64_CONST: case WASM_OP_F32_CONST: case WASM_OP_F64_CONST:
      push(c, (sv){SV_CONST, 0, in->value});
      break;
    case WASM_OP_REF_NULL:
      push(c, (sv){SV_CONST, 0, 0});
      break;
    case WASM_OP_REF_IS_NULL:
      unary(c, WASM_IOP_REF_IS_NULL);
      break;
    case WASM_OP_REF_FUNC: {
      uint64_t d = push_home(c);
      emit_op(c, WASM_IOP_REF_FUNC);
      emit_u(c, d), emit_u(c, in->a);
      break;
    }
    case WASM_OP_PREFIX_FC:
      fc_instr(c, in);
      break;
    default: {
      int op_i, kind;
      bool w64;
      int op = numeric_op(in->op, &op_i, &w64, &kind);
      switch (kind) {
        case 1: unary(c, (wasm_iop)op); break;
        case 2: binary(c, (wasm_iop)op, op_i, w64); break;
        case 3: compare(c, w64, (unsigned)op_i); break;
        case 4: eqz(c, w64); break;
        case 6: fcompare(c, w64, (unsigned)op_i); break;
        default: break; /* reinterpret: same bits, nothing to do */
      }
    }
  }
}

static tova_status compile_body(compiler *c, uint32_t def, tova_error *err) {
  const tova_module *m = c->m;
  const wasm_func_def *fd = &m->func_defs[def];
  const tova_functype *ft = &m->types[fd->type_index];
  wasm_code *code = fd->code;
  c->len = 0;
  c->nvs = c->ncs = c->npatch = c->nbrs = 0;
  c->max_height = 0;
  c->oom = false;
  c->nwin = 0;
  c->nlocals = ft->nparams + fd->nlocals;
  c->def = def;
  c->nloops = 0;
  c->nicalls = 0;
  c->ncsites = 0;
  ctl *f = push_ctl(c, CTL_FUNC, 0, ft->nresults);
  if (!f) return tova_error_set(err, TOVA_ERR_NOMEM, "compile: out of memory");

  wasm_reader r;
  wasm_reader_init(&r, m->bytes, fd->body, fd->body + fd->body_len);
  while (c->ncs > 0 && !c->oom) {
    wasm_instr in;
    c->instr_at = (uint32_t)(r.p - m->bytes);
    if (!wasm_read_instr(&r, &in))
      return tova_error_set(err, TOVA_ERR_INVALID_MODULE,
                            "compile: function %u at offset %zu: %s", m->nimported_funcs + def,
                            r.error_at, r.error ? r.error : "bad instruction");
    c->nloops += in.op == WASM_OP_LOOP; /* dead ones too: LOOP_HEAD's ordinal */
    instr(c, &in);
  }
  if (c->oom) return tova_error_set(err, TOVA_ERR_NOMEM, "compile: out of memory");
  thread_jumps(c);
  /* The emitter agrees with iops.h: whole instructions, branches landing on them. */
  TOVA_ASSERT(wasm_code_check(c->code, c->len) == NULL);

  code->cells = malloc(sizeof(wasm_cell) * (c->len ? c->len : 1));
  if (!code->cells) return tova_error_set(err, TOVA_ERR_NOMEM, "compile: out of memory");
  memcpy(code->cells, c->code, sizeof(wasm_cell) * c->len);
  code->ncells = c->len;
  if (c->nicalls) {
    code->import_calls = malloc(sizeof *code->import_calls * c->nicalls);
    if (!code->import_calls) return tova_error_set(err, TOVA_ERR_NOMEM, "compile: out of memory");
    memcpy(code->import_calls, c->icalls, sizeof *code->import_calls * c->nicalls);
    code->nimport_calls = c->nicalls / WASM_IMPORT_CALL_WORDS;
  }
  if (c->ncsites) {
    code->call_sites = malloc(sizeof *code->call_sites * c->ncsites);
    if (!code->call_sites) return tova_error_set(err, TOVA_ERR_NOMEM, "compile: out of memory");
    memcpy(code->call_sites, c->csites, sizeof *code->call_sites * c->ncsites);
    code->ncall_sites = c->ncsites / WASM_CALL_SITE_WORDS;
  }
  code->nparams = ft->nparams;
  code->nlocals = c->nlocals;
  code->nresults = ft->nresults;
  /* +1: results of a call may extend past the last operand slot in use */
  uint64_t slots = (uint64_t)c->nlocals + c->max_height + ft->nresults + 1;
  if (slots > UINT32_MAX) return tova_error_set(err, TOVA_ERR_UNSUPPORTED, "compile: frame too large");
  code->frame_slots = (uint32_t)slots;
  code->func_index = m->nimported_funcs + def;
  return TOVA_OK;
}

tova_status wasm_compile(tova_module *m, const wasm_loop_counters *lc, tova_error *err) {
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  /* Every wasm_code exists before any body is compiled, so direct calls can
   * point at their callee's code whatever the order. */
  for (uint32_t i = 0; i < ndefs; i++) {
    m->func_defs[i].code = calloc(1, sizeof(wasm_code));
    if (!m->func_defs[i].code) return tova_error_set(err, TOVA_ERR_NOMEM, "compile: out of memory");
  }
  compiler c;
  memset(&c, 0, sizeof c);
  c.m = m;
  c.h = wasm_interp_handlers();
  c.lc = lc;
  tova_status st = TOVA_OK;
  for (uint32_t i = 0; i < ndefs && st == TOVA_OK; i++) st = compile_body(&c, i, err);
  if (st == TOVA_OK) wasm_find_memory_writers(m);
  free(c.code);
  free(c.vs);
  free(c.cs);
  free(c.patch);
  free(c.brs);
  free(c.icalls);
  free(c.csites);
  return st;
}

void wasm_code_free(wasm_code *code) {
  if (!code) return;
  free(code->import_calls);
  free(code->call_sites);
  free(code->cells);
  free(code);
}
