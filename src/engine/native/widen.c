/*
 * widen.c: i32 phis used as addresses become i64 phis, after LLVM's
 * optimiser and before code generation (jit.c).
 *
 * Every memory access zero-extends its i32 address to index the memory
 * (translate.c, mem_at). On x86-64 that is free when the value was just
 * computed by a 32-bit instruction (which clears the upper half), but the
 * code generator only knows that within a block: a loop-carried value (a
 * pointer walking a list, an index or pointer stepping through an array) is
 * an i32 phi, and its zext becomes a `mov r32, r32` on every iteration, the
 * value held twice. So: a phi with such a zext among its users (or among
 * the users of one of its incoming values) is made an i64 phi of the
 * zero-extended incoming values (zext(phi(a, b)) == phi(zext a, zext b)),
 * each zext placed right after the value's definition, where it is free;
 * the i32 users take a trunc of the new phi (free: the low half of the
 * register). Likewise a zext of a value defined in another block moves next
 * to the definition. Every value stays exactly what it was, so this cannot
 * change what the code does. LLVM's InstCombine would fold it back (it
 * narrows phis of zexts), hence after the optimiser.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/native/widen.h"

/* A pointer-keyed open-addressing map: value -> its zero-extension. */
typedef struct zmap {
  LLVMValueRef *key, *val;
  size_t cap;
} zmap;

static size_t zslot(const zmap *z, LLVMValueRef k) {
  uint64_t h = ((uintptr_t)k >> 4) * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(h ^ (h >> 32)) & (z->cap - 1); /* the product's high bits too */
  while (z->key[i] && z->key[i] != k) i = (i + 1) & (z->cap - 1);
  return i;
}

static bool is_zext64(LLVMValueRef u, LLVMTypeRef i64) {
  return LLVMIsAZExtInst(u) && LLVMTypeOf(u) == i64;
}

/* The first place in bb after its phis. */
static void after_phis(LLVMBuilderRef b, LLVMBasicBlockRef bb) {
  LLVMValueRef i = LLVMGetFirstInstruction(bb);
  while (i && LLVMIsAPHINode(i)) i = LLVMGetNextInstruction(i);
  LLVMPositionBuilder(b, bb, i);
}

/* zext(v) where it costs nothing: right after v's definition. */
static LLVMValueRef zext_at_def(LLVMBuilderRef b, zmap *z, LLVMValueRef fn, LLVMValueRef v,
                                LLVMTypeRef i64) {
  if (LLVMIsAConstantInt(v)) return LLVMConstInt(i64, LLVMConstIntGetZExtValue(v), 0);
  size_t s = zslot(z, v);
  if (z->key[s]) return z->val[s];
  if (LLVMIsAArgument(v)) {
    after_phis(b, LLVMGetEntryBasicBlock(fn));
  } else if (LLVMIsAPHINode(v)) {
    after_phis(b, LLVMGetInstructionParent(v));
  } else {
    LLVMValueRef next = LLVMGetNextInstruction(v);
    LLVMPositionBuilder(b, LLVMGetInstructionParent(v), next);
  }
  z->key[s] = v;
  z->val[s] = LLVMBuildZExt(b, v, i64, "");
  return z->val[s];
}

/* Does x86-64 compute v with a 32-bit instruction, which zero-extends it
 * for nothing? (Not so for a call's result or a trunc: their upper half is
 * whatever was there.) */
static bool def32(LLVMValueRef v) {
  switch (LLVMGetInstructionOpcode(v)) {
    case LLVMAdd: case LLVMSub: case LLVMMul: case LLVMUDiv: case LLVMSDiv: case LLVMURem:
    case LLVMSRem: case LLVMShl: case LLVMLShr: case LLVMAShr: case LLVMAnd: case LLVMOr:
    case LLVMXor: case LLVMLoad: case LLVMSelect: case LLVMZExt:
      return true;
    default:
      return false;
  }
}

static bool has_zext64_user(LLVMValueRef v, LLVMTypeRef i64) {
  for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
    if (is_zext64(LLVMGetUser(u), i64)) return true;
  return false;
}

/* Is this phi worth widening: an i32 phi that is zero-extended (a pointer
 * or index used as an address), or one of whose incoming values is
 * (p = phi(p0, q); q = p + 1; ...mem[q]...: the loop carries q's zext in
 * the phi's register). Its incoming values must be instructions, arguments
 * or integer constants (not undef or poison, whose zext is no constant we
 * can write). */
static bool candidate(LLVMValueRef phi, LLVMTypeRef i32, LLVMTypeRef i64) {
  if (LLVMTypeOf(phi) != i32) return false;
  bool used = has_zext64_user(phi, i64);
  unsigned n = LLVMCountIncoming(phi);
  for (unsigned i = 0; i < n; i++) {
    LLVMValueRef v = LLVMGetIncomingValue(phi, i);
    if (!LLVMIsAInstruction(v) && !LLVMIsAArgument(v) && !LLVMIsAConstantInt(v)) return false;
    if (!used && LLVMIsAInstruction(v) && !LLVMIsAPHINode(v)) used = has_zext64_user(v, i64);
  }
  return used;
}

/* A zext of a value computed in another block (a loop's pointer stepped at
 * the top of the body, used further down) is not free either: each one
 * becomes the zext right after the definition, where it is (def32). */
static void hoist_zexts(LLVMBuilderRef b, zmap *z, LLVMValueRef fn, LLVMTypeRef i64) {
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
    LLVMValueRef i = LLVMGetFirstInstruction(bb);
    while (i) {
      LLVMValueRef next = LLVMGetNextInstruction(i);
      if (is_zext64(i, i64)) {
        LLVMValueRef x = LLVMGetOperand(i, 0);
        if (LLVMIsAInstruction(x) && def32(x) && LLVMGetInstructionParent(x) != bb) {
          LLVMValueRef w = zext_at_def(b, z, fn, x, i64);
          if (w != i) {
            LLVMReplaceAllUsesWith(i, w);
            LLVMInstructionEraseFromParent(i);
          }
        }
      }
      i = next;
    }
  }
}

static void widen_function(LLVMContextRef cx, LLVMBuilderRef b, LLVMValueRef fn) {
  LLVMTypeRef i32 = LLVMInt32TypeInContext(cx), i64 = LLVMInt64TypeInContext(cx);
  size_t n = 0, cap = 0, nin = 0, nzext = 0;
  LLVMValueRef *old = NULL;
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
    for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
      nzext += is_zext64(i, i64);
      if (!LLVMIsAPHINode(i) || !candidate(i, i32, i64)) continue;
      if (n == cap) {
        size_t nc = cap ? cap * 2 : 16;
        LLVMValueRef *o = realloc(old, nc * sizeof *o);
        if (!o) goto done; /* the function stays as it is: still correct */
        old = o;
        cap = nc;
      }
      old[n++] = i;
      nin += LLVMCountIncoming(i);
    }
  }
  if (n == 0 && nzext == 0) goto done;
  /* Candidate phi -> its i64 phi goes in the same map as value -> zext: a
   * widened phi's zext is the new phi itself. Each entry is a phi, an
   * incoming value or a zext's operand: at most n + nin + nzext. */
  zmap z = {0};
  z.cap = 16;
  while (z.cap < 2 * (n + nin + nzext)) z.cap *= 2;
  z.key = calloc(z.cap, sizeof *z.key);
  z.val = calloc(z.cap, sizeof *z.val);
  LLVMValueRef *wide = malloc((n ? n : 1) * sizeof *wide);
  if (!z.key || !z.val || !wide) {
    free(z.key);
    free(z.val);
    free(wide);
    goto done;
  }
  for (size_t k = 0; k < n; k++) {
    LLVMPositionBuilderBefore(b, old[k]);
    wide[k] = LLVMBuildPhi(b, i64, "");
    size_t s = zslot(&z, old[k]);
    z.key[s] = old[k];
    z.val[s] = wide[k];
  }
  for (size_t k = 0; k < n; k++) {
    unsigned ni = LLVMCountIncoming(old[k]);
    for (unsigned i = 0; i < ni; i++) {
      LLVMValueRef v = zext_at_def(b, &z, fn, LLVMGetIncomingValue(old[k], i), i64);
      LLVMBasicBlockRef from = LLVMGetIncomingBlock(old[k], i);
      LLVMAddIncoming(wide[k], &v, &from, 1);
    }
  }
  /* The zexts of an old phi are the new phi; its other users (i32 ones,
   * and the old phis, erased below) take the low half. */
  for (size_t k = 0; k < n; k++) {
    LLVMUseRef u = LLVMGetFirstUse(old[k]);
    while (u) {
      LLVMValueRef user = LLVMGetUser(u);
      u = LLVMGetNextUse(u);
      if (is_zext64(user, i64)) {
        LLVMReplaceAllUsesWith(user, wide[k]);
        LLVMInstructionEraseFromParent(user);
      }
    }
  }
  hoist_zexts(b, &z, fn, i64);
  LLVMValueRef *lo = malloc((n ? n : 1) * sizeof *lo);
  for (size_t k = 0; k < n && lo; k++) {
    after_phis(b, LLVMGetInstructionParent(old[k]));
    lo[k] = LLVMBuildTrunc(b, wide[k], i32, "");
    LLVMReplaceAllUsesWith(old[k], lo[k]);
  }
  if (lo) {
    for (size_t k = 0; k < n; k++) LLVMInstructionEraseFromParent(old[k]);
    /* A trunc only the old phis used is dead now. */
    for (size_t k = 0; k < n; k++)
      if (!LLVMGetFirstUse(lo[k])) LLVMInstructionEraseFromParent(lo[k]);
  } else {
    /* Out of memory half-way: the zexts already read the new phis, the
     * other users still the old ones; both hold the same values. */
  }
  free(lo);
  free(wide);
  free(z.key);
  free(z.val);
done:
  free(old);
}

void wasm_native_widen_addresses(LLVMModuleRef mod) {
  LLVMContextRef cx = LLVMGetModuleContext(mod);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(cx);
  for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
    if (LLVMCountBasicBlocks(fn)) widen_function(cx, b, fn);
  LLVMDisposeBuilder(b);
}
