/*
 * jit.c: one module's LLVM IR -> optimised native code in an ORC LLJIT.
 *
 * Each tova_module with native code owns one LLJIT (its code lives as long as
 * the module: compile once per process, shared by every instance), to which
 * units of functions are added one after the other (tier.c chooses them); a
 * later unit calls the functions of earlier ones by name. The IR is
 * verified (a translator bug then costs speed, not correctness: the module
 * stays interpreted), optimised with the default O2 pipeline for the host CPU
 * and compiled here to a position-independent object, which the LLJIT links
 * (the runtime's helpers by symbol, defined by make_jit). The object is what
 * the on-disk cache keeps (cache.h): a unit found there is linked without
 * running LLVM's optimiser or code generator at all.
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

#include "engine/native/cache.h"
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

/* The code generation level: TOVA_NATIVE_CG (0-3), default 2. */
static LLVMCodeGenOptLevel cg_level(void) {
  const char *cg = getenv("TOVA_NATIVE_CG");
  return cg && *cg >= '0' && *cg <= '3' ? (LLVMCodeGenOptLevel)(*cg - '0') : LLVMCodeGenLevelDefault;
}

/* A target machine for the host CPU (the triple LLJIT runs), position
 * independent: its objects are linked by the JIT anywhere in memory. */
static LLVMTargetMachineRef host_machine(const char *triple, char *err, size_t errlen) {
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    snprintf(err, errlen, "target %s: %s", triple, msg ? msg : "?");
    LLVMDisposeMessage(msg);
    return NULL;
  }
  char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, features, cg_level(),
                                                    LLVMRelocPIC, LLVMCodeModelSmall);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  if (!tm) snprintf(err, errlen, "no target machine for %s", triple);
  return tm;
}

/* What the code depends on besides the module (the cache key's `target`). */
static void target_text(const char *triple, char *out, size_t cap) {
  unsigned major = 0, minor = 0, patch = 0;
  LLVMGetVersion(&major, &minor, &patch);
  char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
  const char *passes = getenv("TOVA_NATIVE_PASSES");
  snprintf(out, cap, "llvm %u.%u.%u|%s|%s|%s|cg %d|passes %s", major, minor, patch, triple, cpu,
           features, (int)cg_level(), passes ? passes : "");
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
}

/* O2 for the host CPU. */
static bool optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm, char *err, size_t errlen) {
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  /* TOVA_NATIVE_PASSES overrides the pipeline (for measuring compile time). */
  const char *passes = getenv("TOVA_NATIVE_PASSES");
  LLVMErrorRef e = LLVMRunPasses(mod, passes && *passes ? passes : "default<O2>", tm, opts);
  LLVMDisposePassBuilderOptions(opts);
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

/* Translate, verify, optimise and generate the unit's object code (*out). */
static bool compile_unit(wasm_jit *j, const tova_module *m, const bool *unit, const bool *done,
                         const bool *poll_entry, bool internal, const char *triple,
                         bool (*stop)(void), LLVMMemoryBufferRef *out, bool timing, double *t1,
                         double *t2, double *t3, char *err, size_t errlen) {
  LLVMContextRef cx = LLVMContextCreate();
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("tova", cx);
  LLVMSetTarget(mod, triple);
  LLVMSetDataLayout(mod, LLVMOrcLLJITGetDataLayoutStr((LLVMOrcLLJITRef)j->jit));
  if (timing) *t1 = now_ms();
  bool ok = wasm_native_translate(m, unit, done, poll_entry, internal, cx, mod, err, errlen);
  char *vmsg = NULL;
  if (ok && LLVMVerifyModule(mod, LLVMReturnStatusAction, &vmsg)) {
    snprintf(err, errlen, "invalid IR: %.200s", vmsg ? vmsg : "?");
    ok = false;
  }
  if (vmsg) LLVMDisposeMessage(vmsg);
  if (ok && getenv("TOVA_NATIVE_DUMP")) LLVMDumpModule(mod);
  if (ok && stopped(stop, err, errlen)) ok = false;
  if (timing) *t2 = now_ms();
  LLVMTargetMachineRef tm = ok ? host_machine(triple, err, errlen) : NULL;
  ok = tm && optimise(mod, tm, err, errlen);
  if (timing) *t3 = now_ms();
  if (ok && getenv("TOVA_NATIVE_DUMP")) LLVMDumpModule(mod);
  if (ok && stopped(stop, err, errlen)) ok = false;
  char *msg = NULL;
  if (ok && LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, out)) {
    snprintf(err, errlen, "code generation: %.200s", msg ? msg : "?");
    ok = false;
  }
  if (msg) LLVMDisposeMessage(msg);
  if (tm) LLVMDisposeTargetMachine(tm);
  LLVMDisposeModule(mod);
  LLVMContextDispose(cx);
  return ok;
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

  const char *triple = LLVMOrcLLJITGetTripleString(jit);

  /* The unit's object: from the cache, or compiled (and then cached). */
  wasm_native_cache_key key;
  bool cached = wasm_native_cache_dir() != NULL;
  if (cached) {
    char target[4096];
    target_text(triple, target, sizeof target);
    wasm_native_cache_key_of(m, unit, done, poll_entry, internal, target, &key);
  }
  size_t obj_size = 0;
  uint8_t *obj = cached ? wasm_native_cache_load(&key, &obj_size) : NULL;
  LLVMMemoryBufferRef buf = NULL;
  bool hit = obj != NULL;
  if (hit) {
    buf = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)obj, obj_size, "tova-cached-unit");
    free(obj);
    if (timing) t1 = t2 = t3 = now_ms();
  } else if (!compile_unit(j, m, unit, done, poll_entry, internal, triple, stop, &buf, timing, &t1, &t2,
                           &t3, err, errlen)) {
    return false;
  } else if (cached) {
    wasm_native_cache_store(&key, (const uint8_t *)LLVMGetBufferStart(buf), LLVMGetBufferSize(buf));
  }
  LLVMErrorRef e = LLVMOrcLLJITAddObjectFile(jit, LLVMOrcLLJITGetMainJITDylib(jit), buf);
  if (e) {
    take_error(e, err, errlen, "add object");
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
    if (hit)
      fprintf(stderr, "tova native: unit of %zu bytes: from the cache, linked in %.1f ms\n", bytes,
              now_ms() - t0);
    else
      fprintf(stderr,
              "tova native: unit of %zu bytes: jit %.1f ms, translate %.1f, optimise %.1f, "
              "codegen and link %.1f\n",
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
