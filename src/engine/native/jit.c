/*
 * jit.c: one module's LLVM IR -> optimised native code in an ORC LLJIT.
 *
 * Each tova_module with native code owns one LLJIT (its code lives as long as
 * the module: compile once per process, shared by every instance), to which
 * units of functions are added one after the other (tier.c chooses them); a
 * later unit calls the functions of earlier ones by name. The IR is
 * verified (a translator bug then costs speed, not correctness: the module
 * stays interpreted), optimised with the default O2 pipeline for the host CPU,
 * and compiled eagerly by the lookups.
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
#include <llvm-c/Orc.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "engine/native/jit.h"
#include "engine/native/rt.h"
#include "engine/native/translate.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;

static void init_llvm(void) {
  init_ok = !LLVMInitializeNativeTarget() && !LLVMInitializeNativeAsmPrinter();
  /* TOVA_NATIVE_LLVM_ARGS: LLVM's own options, for diagnosis (e.g.
   * "-time-passes"), space-separated. */
  const char *a = getenv("TOVA_NATIVE_LLVM_ARGS");
  if (a && *a) {
    static char buf[512];
    const char *argv[16] = {"tova"};
    int argc = 1;
    snprintf(buf, sizeof buf, "%s", a);
    for (char *tok = strtok(buf, " "); tok && argc < 16; tok = strtok(NULL, " ")) argv[argc++] = tok;
    LLVMParseCommandLineOptions(argc, argv, NULL);
  }
}

static void take_error(LLVMErrorRef e, char *err, size_t errlen, const char *what) {
  char *msg = LLVMGetErrorMessage(e);
  snprintf(err, errlen, "%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
}

/* O2 for the host CPU (the same triple, CPU and features LLJIT generates for). */
static bool optimise(LLVMModuleRef mod, const char *triple, char *err, size_t errlen) {
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    snprintf(err, errlen, "target %s: %s", triple, msg ? msg : "?");
    LLVMDisposeMessage(msg);
    return false;
  }
  char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
  LLVMTargetMachineRef tm =
      LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelDefault,
                              LLVMRelocDefault, LLVMCodeModelJITDefault);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  if (!tm) {
    snprintf(err, errlen, "no target machine for %s", triple);
    return false;
  }
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  /* TOVA_NATIVE_PASSES overrides the pipeline (for measuring compile time). */
  const char *passes = getenv("TOVA_NATIVE_PASSES");
  LLVMErrorRef e = LLVMRunPasses(mod, passes && *passes ? passes : "default<O2>", tm, opts);
  LLVMDisposePassBuilderOptions(opts);
  LLVMDisposeTargetMachine(tm);
  if (e) {
    take_error(e, err, errlen, "passes");
    return false;
  }
  return true;
}

/* The LLJIT, for the host CPU at TOVA_NATIVE_CG (0-3, default 2). */
static LLVMOrcLLJITRef make_jit(char *err, size_t errlen) {
  LLVMOrcLLJITRef jit = NULL;
  LLVMOrcLLJITBuilderRef builder = NULL;
  const char *cg = getenv("TOVA_NATIVE_CG");
  if (cg && *cg >= '0' && *cg <= '3') {
    char *triple0 = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (!LLVMGetTargetFromTriple(triple0, &target, &msg)) {
      char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
      LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
          target, triple0, cpu, features, (LLVMCodeGenOptLevel)(*cg - '0'), LLVMRelocDefault,
          LLVMCodeModelJITDefault);
      LLVMDisposeMessage(cpu);
      LLVMDisposeMessage(features);
      if (tm) {
        builder = LLVMOrcCreateLLJITBuilder();
        LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(
            builder, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
      }
    }
    if (msg) LLVMDisposeMessage(msg);
    LLVMDisposeMessage(triple0);
  }
  LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit, builder);
  if (e) {
    take_error(e, err, errlen, "LLJIT");
    return NULL;
  }
  /* The helpers native code calls by name (rt.h), at their addresses. */
  size_t n = 0;
  while (wasm_native_helpers[n].name) n++;
  LLVMOrcCSymbolMapPair pairs[n];
  for (size_t i = 0; i < n; i++) {
    pairs[i].Name = LLVMOrcLLJITMangleAndIntern(jit, wasm_native_helpers[i].name);
    pairs[i].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)wasm_native_helpers[i].addr;
    pairs[i].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
    pairs[i].Sym.Flags.TargetFlags = 0;
  }
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

bool wasm_jit_add_unit(wasm_jit *j, const tova_module *m, const bool *unit, const bool *done,
                       const bool *poll_entry, bool internal, const void **entries, bool (*stop)(void), char *err,
                       size_t errlen) {
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
  if (!j->jit && !(j->jit = make_jit(err, errlen))) return false;
  LLVMOrcLLJITRef jit = j->jit;

  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  LLVMContextRef cx = LLVMOrcThreadSafeContextGetContext(tsc);
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("tova", cx);
  const char *triple = LLVMOrcLLJITGetTripleString(jit);
  LLVMSetTarget(mod, triple);
  LLVMSetDataLayout(mod, LLVMOrcLLJITGetDataLayoutStr(jit));

  if (timing) t1 = now_ms();
  bool ok = wasm_native_translate(m, unit, done, poll_entry, internal, cx, mod, err, errlen);
  char *vmsg = NULL;
  if (ok && LLVMVerifyModule(mod, LLVMReturnStatusAction, &vmsg)) {
    snprintf(err, errlen, "invalid IR: %.200s", vmsg ? vmsg : "?");
    ok = false;
  }
  if (vmsg) LLVMDisposeMessage(vmsg);
  if (ok && getenv("TOVA_NATIVE_DUMP")) LLVMDumpModule(mod);
  if (ok && stopped(stop, err, errlen)) ok = false;
  if (timing) t2 = now_ms();
  if (ok) ok = optimise(mod, triple, err, errlen);
  if (timing) t3 = now_ms();
  if (ok && getenv("TOVA_NATIVE_DUMP")) LLVMDumpModule(mod);
  if (ok && stopped(stop, err, errlen)) ok = false;
  if (!ok) {
    LLVMDisposeModule(mod);
    LLVMOrcDisposeThreadSafeContext(tsc);
    return false;
  }
  LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
  LLVMOrcDisposeThreadSafeContext(tsc); /* the module keeps the context alive */
  LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModule(jit, LLVMOrcLLJITGetMainJITDylib(jit), tsm);
  if (e) {
    LLVMOrcDisposeThreadSafeModule(tsm);
    take_error(e, err, errlen, "add module");
    return false;
  }
  /* The first lookup generates the unit's machine code (all of it). */
  for (uint32_t d = 0; d < ndefs; d++) {
    if (!unit[d]) continue;
    char name[32];
    snprintf(name, sizeof name, WASM_NATIVE_ENTRY_FMT, d);
    LLVMOrcExecutorAddress addr = 0;
    e = LLVMOrcLLJITLookup(jit, &addr, name);
    if (e) {
      take_error(e, err, errlen, "lookup");
      return false;
    }
    entries[d] = (const void *)(uintptr_t)addr;
  }
  if (timing) {
    size_t bytes = 0;
    for (uint32_t d = 0; d < ndefs; d++) bytes += unit[d] ? m->func_defs[d].body_len : 0;
    fprintf(stderr,
            "tova native: unit of %zu bytes: jit %.1f ms, translate %.1f, optimise %.1f, "
            "codegen %.1f\n",
            bytes, t1 - t0, t2 - t1, t3 - t2, now_ms() - t3);
  }
  return true;
}

void wasm_jit_free(wasm_jit *j) {
  if (j->jit) {
    LLVMErrorRef e = LLVMOrcDisposeLLJIT((LLVMOrcLLJITRef)j->jit);
    if (e) LLVMConsumeError(e);
  }
  memset(j, 0, sizeof *j);
}
