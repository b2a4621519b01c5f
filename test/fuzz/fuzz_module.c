/*
 * fuzz_module.c: libFuzzer harness for decode + validate + compile, and for
 * instantiation of whatever compiles (modules without imports only, so no
 * host objects are needed). Any crash, sanitizer report, leak or hang is a bug.
 *
 *   CC=clang cmake -S . -B build-fuzz -DTOVA_BUILD_FUZZ=ON -DTOVA_BUILD_ADDON=OFF \
 *     -DTOVA_SANITIZE=address,undefined -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link
 * (fuzzer-no-link instruments the library itself for coverage feedback; seed
 * the corpus with the spec tests' .wasm files)
 *   cmake --build build-fuzz --target fuzz_module && ./build-fuzz/fuzz_module -max_len=4096
 */
#include <stddef.h>
#include <stdint.h>

#include "engine/module.h"
#include "tova.h"

/* Keep the fuzzer's memory bounded: a module may ask for up to 64 pages. */
static const tova_store_config fuzz_store_config = {.max_memory_pages = 64, .max_table_elems = 4096};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tova_error err;
  tova_module *m = NULL;
  if (tova_module_compile(data, size, &m, &err) != TOVA_OK) return 0;
  /* Exercise the info API on every compiled module. */
  uint32_t nexports = tova_module_export_count(m);
  for (uint32_t i = 0; i < nexports; i++) {
    tova_export_info info;
    tova_module_export_at(m, i, &info);
  }
  /* A start function may loop forever (valid WebAssembly that nothing here
   * could interrupt), so only modules without one are instantiated; that
   * still runs every segment initialisation. */
  if (tova_module_import_count(m) == 0 && !m->has_start) {
    tova_store *s = tova_store_new(&fuzz_store_config);
    if (s) {
      tova_instance *inst = NULL;
      /* Traps in segment initialisation are fine, only crashes are not. */
      (void)tova_instance_new(s, m, NULL, 0, &inst, &err);
      tova_store_free(s);
    }
  }
  tova_module_release(m);
  return 0;
}
