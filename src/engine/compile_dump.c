/*
 * compile_dump.c: print a function's internal code (for debugging the
 * compiler and for reading what a body turned into). Operands are printed as
 * raw cells; their meaning per op is documented in compile.h / interp.c.
 */
#include <stdio.h>

#include "engine/compile.h"

static const char *const iop_names[WASM_IOP_COUNT] = {
#define WASM_IOP_NAME(name) #name,
    WASM_IOP_LIST(WASM_IOP_NAME)
#undef WASM_IOP_NAME
};

void wasm_code_dump(const wasm_code *code, FILE *out) {
  const void *const *h = wasm_interp_handlers();
  fprintf(out, "func %u: %u params, %u locals, %u results, %u frame slots, %u cells\n",
          code->func_index, code->nparams, code->nlocals, code->nresults, code->frame_slots,
          code->ncells);
  for (uint32_t i = 0; i < code->ncells; i++) {
    int op = -1;
    for (int k = 0; k < WASM_IOP_COUNT; k++)
      if (code->cells[i].h == h[k]) op = k;
    if (op >= 0) fprintf(out, "\n  %4u %s", i, iop_names[op]);
    else fprintf(out, " %lld", (long long)code->cells[i].i);
  }
  fprintf(out, "\n");
}
