/*
 * emit.c: a module's functions compiled by copy-and-patch (stencil.h).
 *
 * Once per module, right after its bodies were compiled and before anything
 * runs them: every function's instructions are laid out, one stencil each,
 * in one mapping of the module's own; holes are patched; the mapping
 * becomes read-execute (it is never writable and executable at once); and
 * only then are the functions' cells rewritten to enter it (JIT_AT). Until
 * that last step the cells are untouched, so a function the tier refuses
 * (a hole its value does not fit, code that ends in a compiled instruction)
 * runs in the interpreter exactly as without the tier.
 *
 * Layout of the mapping: the stencils' read-only data, the shared exits
 * (cancel, the traps), then per function its code and its pool (8-byte
 * constants the code reads relative to its own address).
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under strict C11 */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* MAP_ANON is hidden under plain _POSIX_C_SOURCE */
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/assert.h"
#include "platform/platform.h"
#include "engine/compile.h"
#include "engine/module.h"
#include "engine/stencil/stencil_internal.h"

/* ---- which op a handler is (the cells name handlers, not ops) ---- */
typedef struct handler_op {
  const void *h;
  int op;
} handler_op;
static handler_op by_handler[WASM_IOP_COUNT];
static const void *const *handlers; /* the interpreter's, set with by_handler */
static pthread_once_t by_handler_once = PTHREAD_ONCE_INIT;

static int cmp_handler(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const handler_op *)a)->h, y = (uintptr_t)((const handler_op *)b)->h;
  return x < y ? -1 : x > y;
}
static void sort_handlers(void) {
  const void *const *h = wasm_interp_handlers();
  handlers = h;
  for (int k = 0; k < WASM_IOP_COUNT; k++) by_handler[k] = (handler_op){h[k], k};
  qsort(by_handler, WASM_IOP_COUNT, sizeof *by_handler, cmp_handler);
}
static int op_of(const void *h) {
  handler_op key = {h, 0};
  const handler_op *f = bsearch(&key, by_handler, WASM_IOP_COUNT, sizeof *by_handler, cmp_handler);
  return f ? f->op : -1;
}

/* ---- one function ---- */
typedef struct instr {
  uint32_t at;  /* first cell */
  uint32_t n;   /* cells */
  int op;
  const wasm_stencil *st;
  uint8_t reads;  /* the operand it reads from acc (0: none): entered only by falling in */
  bool writes;    /* it passes its result on in acc */
  uint32_t code_at; /* offset of its code in the function's code */
  uint32_t pool_at; /* its first pool entry (index) */
  uint32_t npool;
} instr;

/* One function's layout. The instruction array is scratch, reused from one
 * function to the next (a module's functions are planned one at a time). */
typedef struct fn_plan {
  instr *in;
  uint32_t nin, cap;
  uint32_t code_len, npool;
  uint8_t *target; /* a bit per cell: some branch lands there */
  uint32_t target_cap;
  uint32_t passed; /* values passed in acc */
} fn_plan;

/* The pool of an instruction: its stencil's (stencil_internal.h, numbered
 * by library.c). A call's return address (WASM_HOLE_RET) takes three
 * entries: the address of the next two, which are a cell pair JIT_AT <code
 * of the next instruction> the call's frame returns to (clang makes a
 * symbol's own address an absolute 32-bit immediate, which a pool entry's
 * address does not fit; its value it reads relative to the code), so that
 * the return (interpreted or compiled) goes straight on in compiled code
 * even when the next instruction is itself one that keeps its handler
 * (another call). */
static uint32_t table_len(const instr *in, const wasm_cell *cells) {
  return in->op == WASM_IOP_BR_TABLE ? (uint32_t)cells[in->at + 2].u : 0;
}

/* Slot operands must fit the machine's slot field (reloc.c); a stencil
 * whose slot does not fit is not used (the interpreter runs that
 * instruction). */
static bool operands_fit(const wasm_stencil *st, const wasm_cell *cells, uint32_t ncells, uint32_t at,
                         uint32_t n) {
  for (uint32_t r = 0; r < st->nrelocs; r++) {
    const wasm_st_reloc *rl = &st->relocs[r];
    if (rl->hole != WASM_HOLE_SLOT && rl->hole != WASM_HOLE_U && rl->hole != WASM_HOLE_TARGET &&
        rl->hole != WASM_HOLE_CELL && rl->hole != WASM_HOLE_IMM)
      continue;
    if (rl->k >= n) return false; /* a stencil naming an operand its op lacks */
    if (rl->hole == WASM_HOLE_SLOT && cells[at + rl->k].u >= wasm_st_max_slot_bytes / 8) return false;
    /* an immediate: the value itself as clang may assume a symbol's address
     * is (below 2 GB), and with the addend, what the field holds */
    if (rl->hole == WASM_HOLE_IMM &&
        (cells[at + rl->k].u > INT32_MAX ||
         !wasm_st_abs_fits(rl->type, cells[at + rl->k].u + (uint64_t)(int64_t)rl->addend)))
      return false;
    if (rl->hole == WASM_HOLE_TARGET) {
      int64_t t = (int64_t)at + cells[at + rl->k].i;
      if (t < 0 || t >= (int64_t)ncells) return false; /* and an instruction's start: wasm_code_check */
    }
  }
  return true;
}

/* Whether environment variable `name` says "off" (or "0"). */
static bool env_off(const char *name) {
  const char *v = getenv(name);
  return v && (!strcmp(v, "off") || !strcmp(v, "0"));
}

/* Whether stencil st can be instruction `in`'s: it exists and its operands
 * fit their holes. */
static bool fits(const wasm_stencil *st, const wasm_cell *cells, uint32_t ncells, const instr *in) {
  return st->code && st->usable && operands_fit(st, cells, ncells, in->at, in->n);
}

static bool is_target(const fn_plan *p, uint32_t cell) { return p->target[cell / 8] >> (cell % 8) & 1; }

/* Values passed in acc (stencils.c): instruction i-1 computes a slot that
 * instruction i reads, and i is reached only by falling through from i-1
 * (no branch lands on it, and its cells keep their handler: emit_module),
 * so i-1 may use its W variant and i read that operand from acc (or, a
 * float, from facc). The slot is written all the same: nothing else ever
 * depends on acc. */
static void pass_values(const wasm_st_library *lib, const wasm_cell *cells, uint32_t ncells, fn_plan *p) {
  static int off = -1; /* TOVA_STENCIL_ACC=off: every value through its slot (measurements) */
  if (__atomic_load_n(&off, __ATOMIC_RELAXED) < 0) __atomic_store_n(&off, env_off("TOVA_STENCIL_ACC"), __ATOMIC_RELAXED);
  if (__atomic_load_n(&off, __ATOMIC_RELAXED)) return;
  for (uint32_t i = 1; i < p->nin; i++) {
    instr *prev = &p->in[i - 1], *cur = &p->in[i];
    if (prev->st != wasm_st_op(lib, prev->op) && !prev->reads) continue; /* an exit, or a call/return... */
    if (!wasm_iop_shape_of(prev->op)->dest1 || !prev->st->continues || is_target(p, cur->at)) continue;
    if (cur->st != wasm_st_op(lib, cur->op)) continue;
    uint64_t d = cells[prev->at + 1].u;
    unsigned k = 1;
    while (k < cur->n && k <= 3 && !((wasm_iop_shape_of(cur->op)->src >> k & 1) && cells[cur->at + k].u == d)) k++;
    if (k >= cur->n || k > 3) continue;
    /* An integer result goes on in acc, a float one in facc (stencils.c
     * END): the reader must take operand k from that register only. */
    if (!lib->kind_known[prev->op] || !lib->kind_known[cur->op]) continue;
    bool reads_f = lib->float_reads[cur->op] >> k & 1, reads_i = lib->int_reads[cur->op] >> k & 1;
    if (lib->float_result[prev->op] ? !reads_f || reads_i : reads_f) continue;
    int pv = wasm_st_variant(true, prev->reads), cv = wasm_st_variant(false, k);
    if (pv < 0 || cv < 0) continue;
    const wasm_stencil *pst = wasm_st_variant_of(lib, pv, prev->op), *cst = wasm_st_variant_of(lib, cv, cur->op);
    if (!fits(pst, cells, ncells, prev) || !pst->continues || pst->leaves_at_self || !fits(cst, cells, ncells, cur))
      continue;
    prev->st = pst;
    prev->writes = true;
    cur->st = cst;
    cur->reads = (uint8_t)k;
    p->passed++;
  }
}

/* Lays a function out; false: the tier leaves it alone. */
static bool plan(const wasm_st_library *lib, const wasm_code *code, fn_plan *p) {
  const wasm_cell *cells = code->cells;
  uint32_t ncells = code->ncells;
  p->nin = p->code_len = p->npool = p->passed = 0;
  if (!ncells) return false;
  uint32_t tbytes = ncells / 8 + 1;
  if (tbytes > p->target_cap) {
    uint8_t *grown = realloc(p->target, tbytes);
    if (!grown) return false;
    p->target = grown;
    p->target_cap = tbytes;
  }
  memset(p->target, 0, tbytes);
  /* The instructions, each with its plain stencil or the exit. */
  uint32_t at = 0;
  while (at < ncells) {
    int op = op_of(cells[at].h);
    if (op < 0) return false;
    uint32_t n = wasm_iop_cells(op);
    if (op == WASM_IOP_BR_TABLE) n = at + 2 < ncells && cells[at + 2].u < ncells ? 3 + (uint32_t)cells[at + 2].u + 1 : 0;
    if (n == 0 || n > ncells - at) return false;
    if (p->nin == p->cap) {
      uint32_t cap = p->cap ? p->cap * 2 : 256;
      instr *grown = realloc(p->in, sizeof *p->in * cap);
      if (!grown) return false;
      p->in = grown;
      p->cap = cap;
    }
    instr *in = &p->in[p->nin++];
    *in = (instr){.at = at, .n = n, .op = op};
    const wasm_stencil *st = wasm_st_op(lib, op);
    in->st = fits(st, cells, ncells, in) ? st : &lib->special[WASM_ST_EXIT];
    /* Where branches land (an offset that lands nowhere is refused by
     * operands_fit or code_at_cell). */
    uint32_t offs = wasm_iop_shape_of(op)->off;
    for (uint32_t k = 1; k < n; k++) {
      bool off = op == WASM_IOP_BR_TABLE ? k >= 3 : (k < 32 && (offs >> k & 1));
      /* (only an offset is added to `at`: other operands are any 64-bit
       * value, an i64 constant among them) */
      int64_t o = cells[at + k].i;
      if (!off || o < -(int64_t)ncells || o > (int64_t)ncells) continue;
      int64_t t = (int64_t)at + o;
      if (t >= 0 && t < (int64_t)ncells) p->target[t / 8] |= (uint8_t)(1u << (t % 8));
    }
    at += n;
  }
  pass_values(lib, cells, ncells, p);
  /* The layout. */
  uint32_t code_len = 0, npool = 0;
  bool any = false;
  for (uint32_t i = 0; i < p->nin; i++) {
    instr *in = &p->in[i];
    const wasm_stencil *st = in->st;
    any |= !st->leaves_at_self && st != &lib->special[WASM_ST_EXIT];
    /* The last instruction must not continue past the end. */
    if (in->at + in->n == ncells && st->continues) return false;
    in->code_at = code_len;
    in->pool_at = npool;
    in->npool = wasm_st_pool_len(st, table_len(in, cells));
    code_len += st->body_len;
    npool += in->npool;
    if (code_len > (1u << 30)) return false;
  }
  p->code_len = code_len;
  p->npool = npool;
  return any;
}

/* The code offset of the instruction starting at cell t, or UINT32_MAX. */
static uint32_t code_at_cell(const fn_plan *p, uint32_t t) {
  uint32_t lo = 0, hi = p->nin;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (p->in[mid].at == t) return p->in[mid].code_at;
    if (p->in[mid].at < t) lo = mid + 1;
    else hi = mid;
  }
  return UINT32_MAX;
}

typedef struct arena {
  uint8_t *base;
  size_t len;
  uint8_t *rodata;
  uint8_t *shared[WASM_ST_NSPECIAL];
} arena;

/* Copies and patches a planned function at `out`; its pool follows the
 * code, 8-aligned. Returns false if a hole does not fit. */
static bool emit(const arena *a, const fn_plan *p, const wasm_cell *cells, uint32_t ncells, uint8_t *out) {
  uint64_t *pool = (uint64_t *)(out + ((p->code_len + 7u) & ~7u));
  for (uint32_t i = 0; i < p->nin; i++) {
    const instr *in = &p->in[i];
    const wasm_stencil *st = in->st;
    uint8_t *dst = out + in->code_at;
    /* acc is read only right after the instruction that wrote it, falling in */
    TOVA_ASSERT(!in->reads || (i > 0 && p->in[i - 1].writes && !is_target(p, in->at) &&
                               p->in[i - 1].code_at + p->in[i - 1].st->body_len == in->code_at));
    memcpy(dst, st->code, st->body_len);
    uint32_t table_n = table_len(in, cells);
    for (uint32_t r = 0; r < st->nrelocs; r++) {
      const wasm_st_reloc *rl = &st->relocs[r];
      if (rl->at >= st->body_len) continue; /* the dropped `jmp next` */
      uintptr_t s = 0;
      /* a pool hole: its entry (filled again, with the same value, by each
       * relocation of the same hole) */
      uint64_t *e = wasm_st_pool_hole(rl->hole) ? &pool[in->pool_at + wasm_st_reloc_slot(rl, table_n)] : NULL;
      switch (rl->hole) {
        case WASM_HOLE_SLOT: s = (uintptr_t)cells[in->at + rl->k].u * 8; break;
        case WASM_HOLE_IMM: s = (uintptr_t)cells[in->at + rl->k].u; break;
        case WASM_HOLE_U: e[0] = cells[in->at + rl->k].u; break;
        case WASM_HOLE_PC: e[0] = (uint64_t)(uintptr_t)&cells[in->at]; break;
        case WASM_HOLE_CELL: e[0] = (uint64_t)(uintptr_t)&cells[in->at + rl->k]; break;
        case WASM_HOLE_HANDLER:
          e[0] = (uint64_t)(uintptr_t)handlers[rl->k ? WASM_IOP_HOT_COUNT : WASM_IOP_JIT_AT];
          break;
        case WASM_HOLE_TABLE: /* &e[1], then the code of each target, the default last */
          e[0] = (uint64_t)(uintptr_t)&e[1];
          for (uint32_t k = 0; k <= table_n; k++) {
            uint32_t c = code_at_cell(p, (uint32_t)((int64_t)in->at + cells[in->at + 3 + k].i));
            if (c == UINT32_MAX) return false;
            e[1 + k] = (uint64_t)(uintptr_t)(out + c);
          }
          break;
        case WASM_HOLE_RET: /* &e[1], then JIT_AT <next instruction's code> as cells */
          if (in->at + in->n >= ncells || i + 1 >= p->nin) return false;
          e[0] = (uint64_t)(uintptr_t)&e[1];
          e[1] = (uint64_t)(uintptr_t)handlers[WASM_IOP_JIT_AT];
          e[2] = (uint64_t)(uintptr_t)(out + p->in[i + 1].code_at);
          break;
        case WASM_HOLE_TARGET: {
          uint32_t t = (uint32_t)((int64_t)in->at + cells[in->at + rl->k].i);
          uint32_t c = code_at_cell(p, t);
          if (c == UINT32_MAX) return false;
          s = (uintptr_t)(out + c);
          break;
        }
        case WASM_HOLE_NEXT: s = (uintptr_t)(dst + st->body_len); break;
        case WASM_HOLE_SHARED: s = (uintptr_t)a->shared[rl->k]; break;
        case WASM_HOLE_RODATA: s = (uintptr_t)(a->rodata + rl->data_at); break;
        default: return false;
      }
      if (e) s = (uintptr_t)e;
      if (!wasm_st_patch(dst + rl->at, rl->type, (uint64_t)s + (uint64_t)(int64_t)rl->addend)) return false;
    }
  }
  return true;
}

static size_t fn_bytes(const fn_plan *p) { return ((p->code_len + 7u) & ~(size_t)7u) + (size_t)p->npool * 8; }

/* TOVA_STENCIL=off (or 0) turns the tier off, read once. */
static int tier_enabled_flag = -1;
static bool tier_enabled(void) {
  int v = __atomic_load_n(&tier_enabled_flag, __ATOMIC_RELAXED);
  if (v < 0) {
    v = !env_off("TOVA_STENCIL");
    int unread = -1;
    if (!__atomic_compare_exchange_n(&tier_enabled_flag, &unread, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
      v = unread;
  }
  return v;
}

void wasm_stencil_set_enabled(bool on) {
  (void)tier_enabled(); /* read the environment first, so it cannot undo this later */
  __atomic_store_n(&tier_enabled_flag, on ? 1 : 0, __ATOMIC_RELAXED);
}

bool wasm_stencil_available(void) { return tier_enabled() && wasm_stencil_library() != NULL; }

static void debug_function(const wasm_st_library *lib, uint32_t func, const fn_plan *p, bool ops) {
  unsigned left = 0;
  for (uint32_t i = 0; i < p->nin; i++) left += p->in[i].st == &lib->special[WASM_ST_EXIT];
  fprintf(stderr,
          "tova stencils: function %u: %u instructions, %u bytes of code, %u values passed in a register, "
          "left to the interpreter: %u",
          func, p->nin, p->code_len, p->passed, left);
  for (uint32_t i = 0; i < p->nin; i++)
    if (p->in[i].st == &lib->special[WASM_ST_EXIT]) fprintf(stderr, " %s", wasm_stencil_op_name(p->in[i].op));
  fprintf(stderr, "\n");
  if (!ops) return;
  /* =ops: each instruction, ">" when its result goes on in a register,
   * "<k" when it reads operand k from one */
  for (uint32_t i = 0; i < p->nin; i++) {
    const instr *in = &p->in[i];
    fprintf(stderr, "  %s%s", wasm_stencil_op_name(in->op), in->writes ? ">" : "");
    if (in->reads) fprintf(stderr, "<%u", in->reads);
    fprintf(stderr, "%s", i + 1 == p->nin || (i + 1) % 8 == 0 ? "\n" : "");
  }
}

/* Where a compiled instruction's JIT_AT goes, once the code is executable. */
typedef struct cell_patch {
  wasm_cell *cell;
  const uint8_t *code;
} cell_patch;

void wasm_stencil_module(tova_module *m) {
  if (!tier_enabled()) return;
  const wasm_st_library *lib = wasm_stencil_library();
  if (!lib) return;
  pthread_once(&by_handler_once, sort_handlers);
  uint64_t t0 = tova_plat_monotonic_ns();
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  if (!ndefs) return;
  fn_plan p = {0};
  size_t *bytes = calloc(ndefs, sizeof *bytes); /* per function: code and pool, 0: left alone */
  cell_patch *patches = NULL;
  size_t npatches = 0, patch_cap = 0;
  uint32_t passed = 0;
  void *map = MAP_FAILED;
  if (!bytes) goto done;
  /* Pass 1: sizes. (Planning every function again in pass 2 is cheaper than
   * keeping the plans: that memory is touched once, and a 480 KB module's
   * 6 MB of plans cost more page faults than planning twice takes.) */
  size_t total = (lib->rodata_len + 63u) & ~(size_t)63u;
  size_t shared_at[WASM_ST_NSPECIAL] = {0};
  for (int i = WASM_ST_CANCEL; i < WASM_ST_NSPECIAL; i++) {
    shared_at[i] = total;
    total += lib->special[i].len;
  }
  total = (total + 15u) & ~(size_t)15u;
  size_t first_fn = total;
  for (uint32_t d = 0; d < ndefs; d++) {
    if (!plan(lib, m->func_defs[d].code, &p)) continue;
    bytes[d] = fn_bytes(&p);
    total += (bytes[d] + 15u) & ~(size_t)15u;
  }
  /* A module this big (tens of MB of wasm) would cost a second per compile
   * and as much memory as its data: the interpreter runs it as it is. */
  if (total == first_fn || total > wasm_st_max_code) goto done;
  /* Every page of it is written next: faulted in at once where the system
   * can (a page fault each cost more than the copying, measured on a 480 KB
   * module's 4 MB of code). */
  int populate = 0;
#ifdef MAP_POPULATE
  populate = MAP_POPULATE;
#endif
  map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
  if (map == MAP_FAILED) goto done;
  arena a = {0};
  a.base = map;
  a.rodata = a.base;
  memcpy(a.rodata, lib->rodata, lib->rodata_len);
  for (int i = WASM_ST_CANCEL; i < WASM_ST_NSPECIAL; i++) {
    a.shared[i] = a.base + shared_at[i];
    memcpy(a.shared[i], lib->special[i].code, lib->special[i].len);
  }
  /* TOVA_STENCIL_DEBUG=1: per function, how much of it runs as stencil code
   * and which instructions are left to the interpreter (=module: the
   * module's totals only; =ops: also each instruction, and which pass
   * their values in a register). */
  const char *dbg = getenv("TOVA_STENCIL_DEBUG");
  bool debug = dbg && *dbg && strcmp(dbg, "0"), debug_functions = debug && strcmp(dbg, "module");
  /* Pass 2: the same layouts again (plan is deterministic), emitted. */
  size_t at = first_fn;
  for (uint32_t d = 0; d < ndefs; d++) {
    if (!bytes[d]) continue;
    uint8_t *out = a.base + at;
    at += (bytes[d] + 15u) & ~(size_t)15u;
    wasm_code *code = m->func_defs[d].code;
    if (!plan(lib, code, &p) || fn_bytes(&p) != bytes[d] || !emit(&a, &p, code->cells, code->ncells, out)) {
      bytes[d] = 0;
      continue;
    }
    if (debug_functions) debug_function(lib, m->nimported_funcs + d, &p, !strcmp(dbg, "ops"));
    passed += p.passed;
    for (uint32_t i = 0; i < p.nin; i++) {
      const instr *in = &p.in[i];
      /* (an instruction that reads acc keeps its handler: entered from the
       * interpreter it would find anything there; the interpreter runs it) */
      if (in->st->leaves_at_self || in->n < 2 || in->reads) continue;
      if (npatches == patch_cap) {
        patch_cap = patch_cap ? patch_cap * 2 : 1024;
        cell_patch *grown = realloc(patches, sizeof *patches * patch_cap);
        if (!grown) goto unmap;
        patches = grown;
      }
      patches[npatches++] = (cell_patch){&code->cells[in->at], out + in->code_at};
    }
  }
  TOVA_ASSERT(at <= total);
  if (!npatches || mprotect(map, total, PROT_READ | PROT_EXEC) != 0) goto unmap;
  wasm_st_flush_code(map, total);
  /* The code is executable: now the cells may lead into it. */
  const void *jit_at = handlers[WASM_IOP_JIT_AT];
  for (size_t i = 0; i < npatches; i++) {
    /* only an instruction the interpreter never has to run itself, into
     * this module's code */
    TOVA_ASSERT(patches[i].code >= (const uint8_t *)map + first_fn && patches[i].code < (const uint8_t *)map + total);
    patches[i].cell[0].h = jit_at;
    patches[i].cell[1].p = patches[i].code;
  }
  m->stencil_code = map;
  m->stencil_code_len = total;
  m->stencil_passed = passed;
  map = MAP_FAILED;
  if (debug)
    fprintf(stderr,
            "tova stencils: module of %u functions: %zu bytes of code and pools, %u values passed in a "
            "register, %.2f ms\n",
            ndefs, total, passed, (double)(tova_plat_monotonic_ns() - t0) / 1e6);
unmap:
  if (map != MAP_FAILED) munmap(map, total);
done:
  free(p.in);
  free(p.target);
  free(patches);
  free(bytes);
}

void wasm_stencil_module_free(tova_module *m) {
  if (m->stencil_code) munmap(m->stencil_code, m->stencil_code_len);
  m->stencil_code = NULL;
}
