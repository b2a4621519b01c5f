/*
 * compile.c: `tova compile FILE.wasm...`: compiles modules ahead of their
 * runs (tova_module_precompile), into the code cache the later `tova run`
 * of the same files links at once.
 */
#include <stdlib.h>

#include "cli.h"

int cli_compile(int argc, char **argv) {
  if (argc < 1) {
    fputs("usage: tova compile FILE.wasm...\n", stderr);
    return 2;
  }
  /* The default policy's layout (the one runs link); TOVA_TIER=native or
   * interp in the environment would compile for another. */
  tova_set_tier(TOVA_TIER_AUTO);
  int rc = 0;
  for (int i = 0; i < argc; i++) {
    size_t len;
    unsigned char *bytes = cli_read_module(argv[i], &len);
    if (!bytes) {
      rc = 1;
      continue;
    }
    tova_module *m = NULL;
    tova_error err = {0};
    uint32_t units = 0;
    tova_status st = tova_module_compile(bytes, len, &m, &err);
    free(bytes);
    if (st == TOVA_OK) st = tova_module_precompile(m, &units, &err);
    if (m) tova_module_release(m);
    if (st != TOVA_OK) {
      fprintf(stderr, "tova compile: %s: %s: %s\n", argv[i], tova_status_code(st), err.message);
      rc = 1;
      continue;
    }
    printf("%s: %u unit%s of native code in the code cache\n", argv[i], units, units == 1 ? "" : "s");
  }
  return rc;
}
