/*
 * compile_dump.c: walking compiled code by the op definitions of iops.h: the
 * dump (for reading what a body turned into, and for the tests that check a
 * fusion fired) and the code checker (run on every body in Debug builds).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compile.h"

static const char *const iop_names[WASM_IOP_COUNT] = {
#define WASM_IOP_NAME(name, cells, operands) #name,
    WASM_IOP_LIST(WASM_IOP_NAME)
#undef WASM_IOP_NAME
};
static const uint8_t iop_cells[WASM_IOP_COUNT] = {
#define WASM_IOP_CELLS(name, cells, operands) cells,
    WASM_IOP_LIST(WASM_IOP_CELLS)
#undef WASM_IOP_CELLS
};
static const char *const iop_operands[WASM_IOP_COUNT] = {
#define WASM_IOP_OPERANDS(name, cells, operands) operands,
    WASM_IOP_LIST(WASM_IOP_OPERANDS)
#undef WASM_IOP_OPERANDS
};

const char *wasm_iop_name(int op) { return iop_names[op]; }
uint32_t wasm_iop_cells(int op) { return iop_cells[op]; }
const char *wasm_iop_operands(int op) { return iop_operands[op]; }

/* The op whose handler is h, or -1. */
static int op_of(const void *h) {
  const void *const *handlers = wasm_interp_handlers();
  for (int k = 0; k < WASM_IOP_COUNT; k++)
    if (handlers[k] == h) return k;
  return -1;
}

uint32_t wasm_code_instr_cells(const wasm_cell *code, uint32_t at) {
  int op = op_of(code[at].h);
  if (op < 0) return 0;
  if (op == WASM_IOP_BR_TABLE) return 3 + (uint32_t)code[at + 2].u + 1;
  return iop_cells[op];
}

/* The k-th word (0-based) of an operand string, copied to out; the last
 * word repeats for variable-length ops ("off..."). */
static void operand_word(const char *ops, unsigned k, char *out, size_t n) {
  const char *p = ops;
  const char *last = ops;
  size_t lastlen = 0;
  for (unsigned i = 0;; i++) {
    while (*p == ' ') p++;
    if (!*p) break;
    const char *w = p;
    while (*p && *p != ' ') p++;
    last = w, lastlen = (size_t)(p - w);
    if (i == k) break;
  }
  if (lastlen >= 3 && !strncmp(last + lastlen - 3, "...", 3)) lastlen -= 3;
  if (lastlen >= n) lastlen = n - 1;
  memcpy(out, last, lastlen);
  out[lastlen] = 0;
}

static wasm_iop_shape shapes[WASM_IOP_COUNT];
static pthread_once_t shapes_once = PTHREAD_ONCE_INIT;

static void read_shapes(void) {
  static const char *const src_words[] = {"a", "b", "c", "x", "y", "s", "v", "src"};
  for (int op = 0; op < WASM_IOP_COUNT; op++) {
    wasm_iop_shape *sh = &shapes[op];
    uint32_t cells = iop_cells[op] ? iop_cells[op] : 4; /* BR_TABLE: a n off... */
    for (unsigned k = 1; k < cells && k < 32; k++) {
      char w[16];
      operand_word(iop_operands[op], k - 1, w, sizeof w);
      if (!strcmp(w, "off")) sh->off |= 1u << k;
      if (k == 1 && !strcmp(w, "d")) sh->dest1 = true;
      for (size_t j = 0; j < sizeof src_words / sizeof *src_words; j++)
        if (!strcmp(w, src_words[j])) sh->src |= 1u << k;
    }
  }
}

const wasm_iop_shape *wasm_iop_shape_of(int op) {
  pthread_once(&shapes_once, read_shapes);
  return &shapes[op];
}

void wasm_code_dump(const wasm_code *code, FILE *out) {
  fprintf(out, "func %u: %u params, %u locals, %u results, %u frame slots, %u cells\n",
          code->func_index, code->nparams, code->nlocals, code->nresults, code->frame_slots,
          code->ncells);
  uint32_t i = 0;
  while (i < code->ncells) {
    int op = op_of(code->cells[i].h);
    uint32_t n = wasm_code_instr_cells(code->cells, i);
    if (op < 0 || n == 0 || i + n > code->ncells) { /* not code: print the rest raw */
      fprintf(out, "  %4u ?", i);
      for (; i < code->ncells; i++) fprintf(out, " %lld", (long long)code->cells[i].i);
      fprintf(out, "\n");
      return;
    }
    fprintf(out, "  %4u %s", i, iop_names[op]);
    for (uint32_t k = 1; k < n; k++) {
      char w[16];
      operand_word(iop_operands[op], k - 1, w, sizeof w);
      if (!strcmp(w, "code")) fprintf(out, " code=%p", code->cells[i + k].p);
      else if (!strcmp(w, "off")) fprintf(out, " ->%lld", (long long)i + code->cells[i + k].i);
      else fprintf(out, " %s=%lld", w, (long long)code->cells[i + k].i);
    }
    fprintf(out, "\n");
    i += n;
  }
}

const char *wasm_code_check(const wasm_cell *cells, uint32_t ncells) {
  /* Pass 1: instruction starts. Pass 2: every offset lands on one. Small
   * bodies use the stack bitmap; larger ones a heap one. */
  uint8_t small[512];
  size_t nbytes = ((size_t)ncells + 8) / 8;
  uint8_t *starts = nbytes <= sizeof small ? small : calloc(nbytes, 1);
  if (!starts) return NULL; /* cannot check: not an error of the code */
  memset(starts, 0, nbytes <= sizeof small ? sizeof small : 0);
  const char *bad = NULL;
  uint32_t i = 0;
  while (i < ncells && !bad) {
    uint32_t n = wasm_code_instr_cells(cells, i);
    if (n == 0) bad = "a cell where an instruction starts is not a handler";
    else if (n > ncells - i) bad = "the last instruction runs past the end";
    else {
      starts[i / 8] |= (uint8_t)(1u << (i % 8));
      i += n;
    }
  }
  for (i = 0; i < ncells && !bad;) {
    int op = op_of(cells[i].h);
    uint32_t n = wasm_code_instr_cells(cells, i);
    for (uint32_t k = 1; k < n; k++) {
      char w[16];
      operand_word(iop_operands[op], k - 1, w, sizeof w);
      if (strcmp(w, "off") != 0) continue;
      int64_t t = (int64_t)i + cells[i + k].i;
      if (t < 0 || t >= (int64_t)ncells || !(starts[t / 8] & (1u << (t % 8)))) {
        bad = "a branch offset does not land on an instruction";
        break;
      }
    }
    i += n;
  }
  if (starts != small) free(starts);
  return bad;
}
