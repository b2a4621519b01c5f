/*
 * jit.c: one module's LLVM IR -> optimised native code in an ORC LLJIT.
 *
 * Each tova_module with native code owns one LLJIT (its code lives as long as
 * the module: compile once per process, shared by every instance), to which
 * units of functions are added one after the other (tier.c chooses them); a
 * later unit calls the functions of earlier ones by name. The IR is
 * verified (a translator bug then costs speed, not correctness: the module
 * stays interpreted), optimised with the pipeline below (pipeline()) for the
 * host CPU (then widen.c's rewrite of address phis for the code generator)
 * and compiled here to a position-independent object, which the LLJIT links
 * (the runtime's helpers by symbol, defined by make_jit). The object is what
 * the on-disk cache keeps (cache.h): link.c looks a unit up there first and
 * links what it finds itself (objlink.h), or hands it to this LLJIT
 * (u->object) without running LLVM's optimiser or code generator.
 *
 * Quick units (jit.h `quick`: the quick tier, tier.c) go into a second
 * LLJIT of the module, compiled without IR passes (quick_passes) on a target machine at
 * code generation level 0, never cached; the optimised functions they call
 * are defined there by address (alias_optimised).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Object.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "engine/native/cache.h"
#include "engine/native/code_range.h"
#include "engine/native/jit.h"
#include "engine/native/perfmap.h"
#include "engine/native/preempt.h"
#include "engine/native/rt.h"
#include "engine/native/translate.h"
#include "engine/native/widen.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;

/* The host CPU's name and features, asked once (init_llvm): LLVM reads
 * them with CPUID, and each target machine made from the long features
 * string parses it again (SetImpliedBits was the top symbol of a profile of
 * many small units). */
static char *host_cpu, *host_features;

/* LLVM options every compile runs with (also part of the cache key).
 *
 * -indvars-widen-indvars=false: wasm32 addresses are i32 values zero-extended
 * to 64 bits, and i32 arithmetic wraps. Compilers for wasm32 (clang's loop
 * strength reduction) often count a loop's index up from a negative value
 * to 0 and add a static array's address to it, so the sum wraps. Widening
 * such an induction variable to i64 keeps that wrap as a mask (an `and`)
 * on every address in the loop, besides the add; an i32 induction variable
 * needs neither, since 32-bit operations on x86-64 and arm64 clear the upper
 * half for free. Measured (`BENCH_ONLY=saxpy bun bench/kernels.js`, and
 * interleaved runs with the option turned back on): saxpy, two static f32
 * arrays, warm 128 -> 82 ms (Bun 83); CoreMark best 24.6K -> 26.3K. */
static const char llvm_default_args[] = "-indvars-widen-indvars=false";

/* Appends the space-separated words of text (copied into buf) to argv. */
static int split_args(const char *text, char *buf, size_t cap, const char **argv, int argc, int max) {
  snprintf(buf, cap, "%s", text);
  char *save = NULL;
  for (char *tok = strtok_r(buf, " ", &save); tok && argc < max; tok = strtok_r(NULL, " ", &save))
    argv[argc++] = tok;
  return argc;
}

static void init_llvm(void) {
  init_ok = !LLVMInitializeNativeTarget() && !LLVMInitializeNativeAsmPrinter();
  wasm_native_preempt_init(); /* before any translation: it decides whether loops poll */
  static char ours[sizeof llvm_default_args], theirs[512];
  const char *argv[24] = {"tova"};
  int argc = split_args(llvm_default_args, ours, sizeof ours, argv, 1, 24);
  /* TOVA_NATIVE_LLVM_ARGS: more of LLVM's own options, for diagnosis (e.g.
   * "-time-passes"), space-separated; after ours, so they may override them. */
  const char *a = getenv("TOVA_NATIVE_LLVM_ARGS");
  if (a && *a) argc = split_args(a, theirs, sizeof theirs, argv, argc, 24);
  LLVMParseCommandLineOptions(argc, argv, NULL);
  host_cpu = LLVMGetHostCPUName();
  host_features = LLVMGetHostCPUFeatures();
}

static void take_error(LLVMErrorRef e, char *err, size_t errlen, const char *what) {
  char *msg = LLVMGetErrorMessage(e);
  snprintf(err, errlen, "%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
}

/* The code generation level: TOVA_NATIVE_CG (0-3), default 2; the quick
 * tier's, TOVA_NATIVE_QUICK_CG, default 0 (both for measurements). */
static LLVMCodeGenOptLevel cg_level(bool quick) {
  const char *cg = getenv(quick ? "TOVA_NATIVE_QUICK_CG" : "TOVA_NATIVE_CG");
  if (cg && *cg >= '0' && *cg <= '3') return (LLVMCodeGenOptLevel)(*cg - '0');
  return quick ? LLVMCodeGenLevelNone : LLVMCodeGenLevelDefault;
}

/* One target machine for every unit of the process, made on first use for
 * the host CPU (the triple LLJIT runs), position independent: its objects
 * are linked by the JIT anywhere in memory. Reused, because making one
 * (its subtarget built from the features string) cost more than optimising
 * and generating a small unit: bench/wasm's sieve (149 bytes), unit after
 * unit in one process, 2.6 + 4.9 ms of optimise + codegen with a machine
 * per unit. A target machine is not for two compiles at once: machine_lock
 * is held from the optimiser to the object (wasm_jit_add_unit). */
static pthread_mutex_t machine_lock = PTHREAD_MUTEX_INITIALIZER;
static LLVMTargetMachineRef machines[2]; /* [quick]: the quick tier's at level 0 */
static char machine_triples[2][128];

static LLVMTargetMachineRef host_machine(const char *triple, bool quick, char *err, size_t errlen) {
  LLVMTargetMachineRef *machine = &machines[quick];
  char *machine_triple = machine_triples[quick];
  if (*machine && strcmp(machine_triple, triple) == 0) return *machine;
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    snprintf(err, errlen, "target %s: %s", triple, msg ? msg : "?");
    LLVMDisposeMessage(msg);
    return NULL;
  }
  LLVMTargetMachineRef tm =
      LLVMCreateTargetMachine(target, triple, host_cpu, host_features, cg_level(quick),
                              LLVMRelocPIC, LLVMCodeModelSmall);
  if (!tm) {
    snprintf(err, errlen, "no target machine for %s", triple);
    return NULL;
  }
  if (*machine) LLVMDisposeTargetMachine(*machine); /* another triple: never on one host */
  *machine = tm;
  snprintf(machine_triple, sizeof machine_triples[0], "%s", triple);
  return tm;
}

/* The optimisation pipeline. Not LLVM's default<O2>: WebAssembly comes from
 * an optimising compiler (clang, rustc, Tova's), so what is left for LLVM is
 * mostly the translation's own redundancy (locals as allocas, the memory's
 * base and size reloaded, repeated address arithmetic) and then inlining
 * and loop-invariant code. These passes do that; the rest of O2 (its
 * vectorisers, unrolling, loop idioms, jump threading and the second round
 * of everything) took 80% of a unit's optimisation time and bought nothing
 * measurable. Measured here (TOVA_NATIVE_PASSES=default<O2> for the old
 * pipeline; docs/native-tier.md has the table): CoreMark's 16 KB unit
 * optimised in 117 ms instead of 420 (the whole compile 368 ms instead of
 * 669), and CoreMark 25.0-26.4K iterations/s against 24.1-25.3K in
 * interleaved runs; bench/kernels' module 2.2x faster to compile, its twelve
 * kernels and bench/wasm's within noise of O2's code (fib and vm faster,
 * sum_sq_mod ~5% slower). tailcallelim keeps fib's accumulator recursion
 * elimination (translate.c allow_self_tail_calls). reassociate folds sums
 * of many values into few: without it, test_native's wide3000 (3,000 i64
 * locals summed after a call) kept them all live across the call and the
 * register allocator took 20 s on that one function (27 ms with it, as
 * under O2).
 *
 * In two runs, the first ending with globaldce: an OSR entry's unit holds
 * copies of what its function calls (tier.c compile_osr), and whatever the
 * function calls only before its loops (a memcpy of its initial state) is
 * dead once the entry jumps to a loop header; without globaldce that dead
 * copy was optimised and code-generated for nothing (bench/kernels' nbody
 * entry: a 1.3 KB memcpy beside the 1 KB function, code generation 77 ->
 * 31-44 ms, `llc -time-passes` on the optimised unit). The functions flagged
 * for self-tail-call elimination are listed between the runs
 * (compile_unit): one pruned there was dead before anything was inlined, so
 * its missing self-call means nothing. globaldce ends the second run too,
 * for functions whose last call another pass removed.
 * TOVA_NATIVE_PASSES replaces both runs (for measurements). */
#define SIMPLIFY "sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg"
#define PRUNE_PASSES "function(" SIMPLIFY "),globaldce"
#define MAIN_PASSES                                                                                 \
  "cgscc(inline),"                                                                                  \
  "function(sroa,early-cse,reassociate,instcombine<no-verify-fixpoint>,simplifycfg,tailcallelim,"   \
  "loop-mssa(licm,loop-rotate),gvn,instcombine<no-verify-fixpoint>,simplifycfg),globaldce"

/* TOVA_NATIVE_PASSES, or NULL for the default two runs. */
static const char *passes_override(void) {
  const char *passes = getenv("TOVA_NATIVE_PASSES");
  return passes && *passes ? passes : NULL;
}

/* The quick tier's passes (jit.h): none. TOVA_NATIVE_QUICK_PASSES sets
 * some (measurements). The translation keeps each local in an alloca, and
 * level-0 code generation (fast instruction selection and register
 * allocation) gives each a stack slot: a load or store per use. Promoted
 * to SSA values (mem2reg), the locals become phis at every loop header,
 * all of them at an OSR entry's headers (where the entry's values from the
 * frame meet the loop's), and the fast register allocator moves every phi
 * through memory on every edge: a C program's main, entered at its loops,
 * ran 6x slower than without (test/programs-style sieve and hash loops in
 * a 15 KB main: 3.9 s against 0.67 s per 40M iterations, the interpreter
 * 1.9, optimised code 0.39; `TOVA_TIER=osr TOVA_NATIVE_QUICK=only`,
 * 2026-12-04). Elsewhere no worse (CoreMark under TOVA_TIER=osr with quick
 * code only 14.3K against 13.3K; the default tier on test/programs within
 * noise, sorting 108 against 124 ms), and it compiles faster (optimise 0
 * against 8-18 ms per unit). Code generation at level 1 (greedy register
 * allocation) made that main's loops 6x faster too, but cost 7x the
 * compile time, as much as the optimised tier's. */
static const char *quick_passes(void) {
  const char *passes = getenv("TOVA_NATIVE_QUICK_PASSES");
  return passes && *passes ? passes : NULL;
}

/* The whole pipeline as text (the cache key). */
static const char *pipeline(void) {
  const char *over = passes_override();
  return over ? over : PRUNE_PASSES "," MAIN_PASSES;
}

/* What the code depends on besides the module (the cache key's `target`). */
static void target_text(const char *triple, char *out, size_t cap) {
  unsigned major = 0, minor = 0, patch = 0;
  LLVMGetVersion(&major, &minor, &patch);
  snprintf(out, cap, "llvm %u.%u.%u|%s|%s|%s|cg %d|passes %s|args %s|%s", major, minor, patch, triple,
           host_cpu, host_features, (int)cg_level(false), pipeline(), llvm_default_args,
           wasm_native_preempt_active() ? "signalled" : "polls");
}

/* passes for the host CPU. */
static bool optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm, const char *passes, char *err,
                     size_t errlen) {
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(mod, passes, tm, opts);
  LLVMDisposePassBuilderOptions(opts);
  if (e) {
    take_error(e, err, errlen, "passes");
    return false;
  }
  return true;
}

/* An absolute symbol of jit's: code at addr, callable by name. */
static LLVMOrcCSymbolMapPair code_symbol(LLVMOrcLLJITRef jit, const char *name, LLVMOrcExecutorAddress addr) {
  LLVMOrcCSymbolMapPair pair;
  pair.Name = LLVMOrcLLJITMangleAndIntern(jit, name);
  pair.Sym.Address = addr;
  pair.Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
  pair.Sym.Flags.TargetFlags = 0;
  return pair;
}

/* The LLJIT that links a module's units (their code is generated by
 * compile_unit, at TOVA_NATIVE_CG), with the runtime's helpers defined. */
static LLVMOrcLLJITRef make_jit(char *err, size_t errlen) {
  LLVMOrcLLJITRef jit = NULL;
  LLVMOrcLLJITBuilderRef builder = NULL;
  LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit, builder);
  if (e) {
    take_error(e, err, errlen, "LLJIT");
    return NULL;
  }
  /* The helpers native code calls by name (rt.h), at their addresses. */
  const wasm_native_helper *helpers = wasm_native_helper_list();
  size_t n = 0;
  while (helpers[n].name) n++;
  LLVMOrcCSymbolMapPair pairs[n];
  for (size_t i = 0; i < n; i++)
    pairs[i] = code_symbol(jit, helpers[i].name, (LLVMOrcExecutorAddress)(uintptr_t)helpers[i].addr);
  LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, n);
  e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jit), mu);
  if (e) {
    take_error(e, err, errlen, "helper symbols");
    LLVMErrorRef d = LLVMOrcDisposeLLJIT(jit);
    if (d) LLVMConsumeError(d);
    return NULL;
  }
  return jit;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool stopped(bool (*stop)(void), char *err, size_t errlen) {
  if (!stop || !stop()) return false;
  snprintf(err, errlen, "abandoned (shutting down)");
  return true;
}

/* After optimising: the defined functions that may let self-calls become
 * loops (WASM_NATIVE_SELF_TAIL_ATTR, set by the translator) but no longer
 * call themselves get keep[def] set; true when there is any. The rule that
 * lets a self-call become a loop (translate.c) counts on one real self-call
 * remaining, so that a recursion without a base case still exhausts the
 * stack. A function that is gone (inlined everywhere: it no longer
 * recursed) counts as one: the flagged functions are listed before the
 * optimiser runs (`flagged`, by index, ndefs entries). */
static bool self_calls_lost(LLVMModuleRef mod, const bool *flagged, uint32_t ndefs, bool *keep) {
  bool any = false;
  for (uint32_t d = 0; d < ndefs; d++) {
    if (!flagged[d]) continue;
    char name[32];
    snprintf(name, sizeof name, WASM_NATIVE_FUNC_FMT, d);
    LLVMValueRef f = LLVMGetNamedFunction(mod, name);
    bool kept = false;
    for (LLVMBasicBlockRef bb = f ? LLVMGetFirstBasicBlock(f) : NULL; bb && !kept;
         bb = LLVMGetNextBasicBlock(bb))
      for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in && !kept; in = LLVMGetNextInstruction(in))
        kept = LLVMIsACallInst(in) && LLVMGetCalledValue(in) == f;
    if (!kept) keep[d] = any = true;
  }
  return any;
}

/* Which defined functions carry WASM_NATIVE_SELF_TAIL_ATTR (flagged[def]);
 * true when any does. Only the unit's own functions can: the module's. */
static bool self_tail_flagged(LLVMModuleRef mod, uint32_t ndefs, bool *flagged) {
  static const char attr[] = WASM_NATIVE_SELF_TAIL_ATTR;
  bool any = false;
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
    unsigned d;
    if (!LLVMGetStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, attr, sizeof attr - 1) ||
        sscanf(LLVMGetValueName(f), WASM_NATIVE_FUNC_FMT, &d) != 1 || d >= ndefs)
      continue;
    flagged[d] = any = true;
  }
  return any;
}

/* Translate, verify, optimise and generate the unit's object code (*out).
 * keep_calls (may be NULL): see WASM_NATIVE_SELF_TAIL_ATTR (translate.h);
 * when the optimised code breaks that rule for some functions, the unit is
 * compiled again with their calls kept. */
static bool compile_unit(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, const char *triple,
                         LLVMMemoryBufferRef *out, bool timing, double *t1, double *t2, double *t3, char *err,
                         size_t errlen, bool *keep_calls) {
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  LLVMContextRef cx = LLVMContextCreate();
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("tova", cx);
  LLVMSetTarget(mod, triple);
  LLVMSetDataLayout(mod, LLVMOrcLLJITGetDataLayoutStr((LLVMOrcLLJITRef)(u->quick ? j->quick_jit : j->jit)));
  if (timing) *t1 = now_ms();
  bool ok = wasm_native_translate(m, u->unit, u->done, u->poll_entry, u->internal, keep_calls, u->osr,
                                  u->interp, u->may_leave, u->closed_tables, u->wrappers, u->quick, cx, mod, err, errlen);
  bool *flagged = ok ? calloc((size_t)ndefs + 1, sizeof *flagged) : NULL;
  if (ok && !flagged) {
    snprintf(err, errlen, "out of memory");
    ok = false;
  }
  /* The quick tier runs no passes (quick_passes): no tailcallelim to turn
   * self-calls into loops, so they are kept from the start (keep_calls all
   * set by the caller). */
  const char *over = u->quick ? NULL : passes_override();
  /* Listed before an override (any pass of which may inline), else between
   * the default's two runs (see PRUNE_PASSES). */
  bool any_flagged = ok && over && self_tail_flagged(mod, ndefs, flagged);
  char *vmsg = NULL;
  if (ok && LLVMVerifyModule(mod, LLVMReturnStatusAction, &vmsg)) {
    snprintf(err, errlen, "invalid IR: %.200s", vmsg ? vmsg : "?");
    ok = false;
  }
  if (vmsg) LLVMDisposeMessage(vmsg);
  vmsg = NULL;
  if (ok && getenv("TOVA_NATIVE_DUMP")) LLVMDumpModule(mod);
  if (ok && stopped(u->stop, err, errlen)) ok = false;
  if (timing) *t2 = now_ms();
  LLVMTargetMachineRef tm = ok ? host_machine(triple, u->quick, err, errlen) : NULL;
  const char *passes = u->quick ? quick_passes() : over ? over : PRUNE_PASSES;
  ok = tm && (!passes || optimise(mod, tm, passes, err, errlen));
  if (ok && !over && !u->quick) {
    any_flagged = self_tail_flagged(mod, ndefs, flagged);
    ok = optimise(mod, tm, MAIN_PASSES, err, errlen);
  }
  /* After the optimiser, which would narrow the phis back (widen.c); its
   * result verified like the translator's. */
  if (ok) {
    wasm_native_widen_addresses(mod);
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &vmsg)) {
      snprintf(err, errlen, "invalid IR after widening: %.200s", vmsg ? vmsg : "?");
      ok = false;
    }
    if (vmsg) LLVMDisposeMessage(vmsg);
  }
  if (ok && any_flagged) {
    /* Each retry keeps the calls of at least one more flagged function, so
     * this ends: by the last, no function is flagged. */
    bool *keep = keep_calls ? keep_calls : calloc((size_t)ndefs + 1, sizeof *keep);
    if (!keep) {
      snprintf(err, errlen, "out of memory");
      ok = false;
    } else if (self_calls_lost(mod, flagged, ndefs, keep)) {
      free(flagged);
      LLVMDisposeModule(mod);
      LLVMContextDispose(cx);
      ok = compile_unit(j, m, u, triple, out, timing, t1, t2, t3, err, errlen, keep);
      if (keep != keep_calls) free(keep);
      return ok;
    }
    if (keep != keep_calls) free(keep);
  }
  free(flagged);
  if (timing) *t3 = now_ms();
  if (ok && getenv("TOVA_NATIVE_DUMP")) LLVMDumpModule(mod);
  if (ok && stopped(u->stop, err, errlen)) ok = false;
  char *msg = NULL;
  if (ok && LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, out)) {
    snprintf(err, errlen, "code generation: %.200s", msg ? msg : "?");
    ok = false;
  }
  if (msg) LLVMDisposeMessage(msg);
  LLVMDisposeModule(mod);
  LLVMContextDispose(cx);
  return ok;
}

/* Records where unit object `obj` landed, so that the preemption signal
 * recognises its code. */
static bool register_code(wasm_jit *j, LLVMOrcLLJITRef jit, LLVMMemoryBufferRef obj, const char *entry) {
  char *msg = NULL;
  LLVMBinaryRef bin = LLVMCreateBinary(obj, NULL, &msg);
  if (!bin) {
    LLVMDisposeMessage(msg);
    return false;
  }
  uintptr_t start;
  size_t size;
  bool ok = wasm_native_code_range(jit, bin, entry, &start, &size);
  LLVMDisposeBinary(bin);
  if (!ok) return false;
  if (j->nranges == j->cap_ranges) {
    uint32_t cap = j->cap_ranges ? j->cap_ranges * 2 : 4;
    uint32_t *r = realloc(j->ranges, cap * sizeof *r);
    if (!r) return false;
    j->ranges = r;
    j->cap_ranges = cap;
  }
  if (!wasm_native_preempt_add_code(start, size, &j->ranges[j->nranges])) return false;
  j->nranges++;
  return true;
}

/* The function of a unit our own linker linked (jit.h `linked`), or 0.
 * (Reads objlink.h's structures: its functions are the host's, which the
 * split backend cannot call.) */
static uintptr_t linked_function(const wasm_jit *j, const char *name) {
  for (uint32_t i = 0; i < j->nlinked; i++)
    for (uint32_t k = 0; k < j->linked[i]->nsyms; k++)
      if (j->linked[i]->syms[k].global && strcmp(j->linked[i]->syms[k].name, name) == 0)
        return j->linked[i]->syms[k].addr;
  return 0;
}

/* Tells the optimised LLJIT where the functions of the units linked
 * without it are (absolute symbols), so that its units may call them. */
static bool tell_linked(wasm_jit *j, LLVMOrcLLJITRef jit, char *err, size_t errlen) {
  static const char prefix[] = WASM_NATIVE_FUNC_PREFIX;
  for (; j->told < j->nlinked; j->told++) {
    const wasm_objlink_code *c = j->linked[j->told];
    for (uint32_t i = 0; i < c->nsyms; i++) {
      if (!c->syms[i].global || strncmp(c->syms[i].name, prefix, sizeof prefix - 1) != 0) continue;
      LLVMOrcCSymbolMapPair pair = code_symbol(jit, c->syms[i].name, (LLVMOrcExecutorAddress)c->syms[i].addr);
      LLVMErrorRef e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jit), LLVMOrcAbsoluteSymbols(&pair, 1));
      if (e) {
        take_error(e, err, errlen, "a linked unit's function");
        return false;
      }
    }
  }
  return true;
}

/* Defines, in the quick JIT, each optimised function quick code calls that
 * it has no symbol for yet: an absolute symbol at the address the
 * optimised JIT gave that function (it is linkable: external there). */
static bool alias_optimised(wasm_jit *j, uint32_t ndefs, const bool *wanted, char *err, size_t errlen) {
  if (!wanted) return true;
  if (!j->aliased && !(j->aliased = calloc((size_t)ndefs + 1, sizeof *j->aliased))) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  LLVMOrcLLJITRef quick = j->quick_jit, opt = j->jit;
  for (uint32_t d = 0; d < ndefs; d++) {
    if (!wanted[d] || j->aliased[d]) continue;
    char name[32];
    snprintf(name, sizeof name, WASM_NATIVE_FUNC_FMT, d);
    LLVMOrcExecutorAddress addr = linked_function(j, name);
    LLVMErrorRef e = !addr && opt ? LLVMOrcLLJITLookup(opt, &addr, name) : NULL;
    if (e || !addr) {
      if (e) take_error(e, err, errlen, "optimised callee");
      else snprintf(err, errlen, "optimised callee %s: no code", name);
      return false;
    }
    LLVMOrcCSymbolMapPair pair = code_symbol(quick, name, addr);
    e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(quick), LLVMOrcAbsoluteSymbols(&pair, 1));
    if (e) {
      take_error(e, err, errlen, "optimised callee");
      return false;
    }
    j->aliased[d] = true;
  }
  return true;
}

/* The address of symbol `name` of jit into *out (false with the reason in
 * err). The unit's first lookup generates its machine code. */
static bool lookup_code(LLVMOrcLLJITRef jit, const char *name, const void **out, char *err, size_t errlen) {
  LLVMOrcExecutorAddress addr = 0;
  LLVMErrorRef e = LLVMOrcLLJITLookup(jit, &addr, name);
  if (e) {
    take_error(e, err, errlen, "lookup");
    return false;
  }
  *out = (const void *)(uintptr_t)addr;
  return true;
}

bool wasm_jit_add_unit(wasm_jit *j, const tova_module *m, const wasm_jit_unit *u, char *err, size_t errlen) {
  const bool *unit = u->unit, *osr = u->osr;
  bool wrappers = u->wrappers;
  const void **entries = u->entries, **osr_entries = u->osr_entries;
  pthread_once(&init_once, init_llvm);
  if (!init_ok) {
    snprintf(err, errlen, "LLVM has no native target");
    return false;
  }
  uint32_t ndefs = m->nfuncs - m->nimported_funcs;
  /* TOVA_NATIVE_DEBUG: where a unit's compile time goes (ms per phase). */
  const char *dbg = getenv("TOVA_NATIVE_DEBUG");
  bool timing = dbg && *dbg && strcmp(dbg, "0") != 0;
  double t0 = timing ? now_ms() : 0, t1 = 0, t2 = 0, t3 = 0;
  void **slot = u->quick ? &j->quick_jit : &j->jit;
  if (!*slot && !(*slot = make_jit(err, errlen))) return false;
  LLVMOrcLLJITRef jit = *slot;
  if (u->quick && !alias_optimised(j, ndefs, u->done_optimised, err, errlen)) return false;

  const char *triple = LLVMOrcLLJITGetTripleString(jit);

  /* The unit's object: from the cache (link.c found it), or compiled. */
  LLVMMemoryBufferRef buf = NULL;
  bool hit = u->object != NULL;
  if (hit) {
    buf = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)u->object, u->object_size, "tova-cached-unit");
    if (timing) t1 = t2 = t3 = now_ms();
  } else if (u->cache_only) {
    snprintf(err, errlen, "not in the cache");
    return false;
  } else {
    bool *keep = NULL; /* quick: every self-call kept (compile_unit) */
    if (u->quick && !(keep = malloc((size_t)ndefs + 1))) {
      snprintf(err, errlen, "out of memory");
      return false;
    }
    if (keep) memset(keep, 1, (size_t)ndefs + 1);
    pthread_mutex_lock(&machine_lock);
    bool made = compile_unit(j, m, u, triple, &buf, timing, &t1, &t2, &t3, err, errlen, keep);
    pthread_mutex_unlock(&machine_lock);
    free(keep);
    if (!made) return false;
  }
  double t4 = timing ? now_ms() : 0; /* the object is made: codegen ends, linking begins */
  if (!hit && u->cache_key)
    wasm_native_cache_store(u->cache_key, (const uint8_t *)LLVMGetBufferStart(buf), LLVMGetBufferSize(buf));
  if (!u->quick && !tell_linked(j, jit, err, errlen)) {
    LLVMDisposeMemoryBuffer(buf);
    return false;
  }
  /* The LLJIT takes the object; the code range (preempt.h) and the perf map
   * are read from a copy once it is linked. */
  bool signalled = wasm_native_preempt_active();
  LLVMMemoryBufferRef copy =
      signalled || wasm_native_perfmap_wanted()
          ? LLVMCreateMemoryBufferWithMemoryRangeCopy(LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), "unit")
          : NULL;
  LLVMErrorRef e = LLVMOrcLLJITAddObjectFile(jit, LLVMOrcLLJITGetMainJITDylib(jit), buf);
  if (e) {
    if (copy) LLVMDisposeMemoryBuffer(copy);
    take_error(e, err, errlen, "add object");
    return false;
  }
  /* The first lookup generates the unit's machine code (all of it). */
  char first[32] = "";
  for (uint32_t k = 0; k < 2 * ndefs; k++) {
    uint32_t d = k % ndefs;
    bool entry = k < ndefs; /* entry wrappers first, then OSR entries */
    if (entry ? !(wrappers && unit[d]) : !(osr && osr[d])) continue;
    char name[32];
    snprintf(name, sizeof name, entry ? WASM_NATIVE_ENTRY_FMT : WASM_NATIVE_OSR_FMT, d);
    if (!lookup_code(jit, name, &(entry ? entries : osr_entries)[d], err, errlen)) {
      if (copy) LLVMDisposeMemoryBuffer(copy);
      return false;
    }
    if (!first[0]) memcpy(first, name, sizeof name);
  }
  for (uint32_t d = 0; u->fns && !u->internal && d < ndefs; d++) {
    if (!unit[d]) continue;
    char name[32];
    snprintf(name, sizeof name, WASM_NATIVE_FUNC_FMT, d);
    if (!lookup_code(jit, name, &u->fns[d], err, errlen)) {
      if (copy) LLVMDisposeMemoryBuffer(copy);
      return false;
    }
  }
  if (copy) {
    bool ok = !signalled || (first[0] && register_code(j, jit, copy, first));
    if (ok && wasm_native_perfmap_wanted() && first[0]) wasm_native_perfmap_write(jit, copy, first);
    LLVMDisposeMemoryBuffer(copy);
    if (!ok) {
      /* Code the signal could not recognise would never stop: unused. */
      snprintf(err, errlen, "cannot register the unit's code for preemption");
      return false;
    }
  }
  if (timing) {
    size_t bytes = 0;
    for (uint32_t d = 0; d < ndefs; d++) /* its functions and copies, and its OSR entries' bodies */
      bytes += unit[d] || (osr && osr[d]) ? m->func_defs[d].body_len : 0;
    if (hit)
      fprintf(stderr, "tova native: unit of %zu bytes: from the cache, linked in %.1f ms\n", bytes,
              now_ms() - t0);
    else
      fprintf(stderr,
              "tova native: %sunit of %zu bytes: jit %.1f ms, translate %.1f, optimise %.1f, "
              "codegen %.1f, link %.1f\n",
              u->quick ? "quick " : "", bytes, t1 - t0, t2 - t1, t3 - t2, t4 - t3, now_ms() - t4);
  }
  return true;
}

void wasm_jit_free(wasm_jit *j) {
  /* link.c removed the code ranges first (preempt.h). */
  free(j->aliased);
  j->aliased = NULL;
  void *jits[2] = {j->quick_jit, j->jit}; /* quick code calls optimised code: gone together */
  for (int i = 0; i < 2; i++) {
    if (!jits[i]) continue;
    LLVMErrorRef e = LLVMOrcDisposeLLJIT((LLVMOrcLLJITRef)jits[i]);
    if (e) LLVMConsumeError(e);
  }
  j->jit = j->quick_jit = NULL;
}

bool wasm_jit_target_text(wasm_jit *j, char *out, size_t cap) {
  pthread_once(&init_once, init_llvm);
  char err[256];
  if (!init_ok || (!j->jit && !(j->jit = make_jit(err, sizeof err)))) return false;
  target_text(LLVMOrcLLJITGetTripleString(j->jit), out, cap);
  return true;
}

bool wasm_jit_lookup(wasm_jit *j, const char *name, uintptr_t *addr) {
  LLVMOrcExecutorAddress a = 0;
  LLVMErrorRef e = j->jit ? LLVMOrcLLJITLookup(j->jit, &a, name) : NULL;
  if (e) LLVMConsumeError(e);
  if (e || !a) return false;
  *addr = (uintptr_t)a;
  return true;
}
