/*
 * main.c: the `tova` command-line tool.
 *
 *   tova run [OPTIONS] FILE.wasm [ARGS...]          run a WASI command (_start)
 *   tova run [OPTIONS] FILE.wasm --invoke NAME ARGS  call a function, print its results
 *   tova validate FILE.wasm                         check a module, print "ok" or the error
 *   tova version                                    print the version
 *   tova --help                                     this text
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The end of `tova run`: a short program (tens of milliseconds) often ends
 * while the compiler thread is still loading LLVM's library, and exit()
 * would wait for that load (tova_native_loading): up to ~20 ms added to a
 * 20 ms program. The run has freed what it made and nothing else of the
 * process needs a destructor, so stdio is flushed and the process ends at
 * once. */
static int run_done(int rc) {
  if (tova_native_loading()) {
    const char *dbg = getenv("TOVA_NATIVE_DEBUG"); /* the engine's own exit line is not printed then */
    if (dbg && *dbg && strcmp(dbg, "0") != 0)
      fputs("tova native: exit: the backend was still loading, not waited for\n", stderr);
    fflush(NULL);
    _exit(rc); /* (a sanitizer's leak check does not run on this path) */
  }
  return rc;
}

static void usage(FILE *to) {
  fputs("usage: tova <command> [arguments]\n"
        "\n"
        "commands:\n"
        "  run [OPTIONS] FILE.wasm [ARGS...]\n"
        "      Run a WASI command: call its _start export with ARGS as its arguments.\n"
        "      The exit status is the program's (proc_exit), 0 if _start returns.\n"
        "      A trap prints its message on stderr and exits with status 1.\n"
        "  run [OPTIONS] FILE.wasm --invoke NAME [ARGS...]\n"
        "      Call the exported function NAME with ARGS parsed by its parameter types\n"
        "      (integers in decimal or 0x hex, floats like 1.5, nan, inf) and print each\n"
        "      result on its own line. WASI imports are available here too.\n"
        "    options (before FILE.wasm):\n"
        "      --dir HOST[::GUEST]  let the program reach directory HOST as GUEST\n"
        "                           (default GUEST = HOST); nothing else is reachable\n"
        "      --env KEY=VALUE      set an environment variable (none are inherited)\n"
        "      --timeout MS         stop the program after MS milliseconds (exit 124)\n"
        "      --max-memory MIB     limit each linear memory to MIB MiB (default 1024);\n"
        "                           memory.grow beyond it fails as the spec allows\n"
        "      --tier T             execution tier: interp, native (compile before\n"
        "                           running), tiered or auto (the default: start\n"
        "                           interpreted, hot code native); overrides TOVA_TIER\n"
        "      --invoke NAME        as above\n"
        "  compile FILE.wasm...\n"
        "      Compile each module's functions to native code now, into the code cache\n"
        "      (TOVA_CACHE_DIR, else the user's cache directory), so that its later runs\n"
        "      are native from their first call, without compiling anything.\n"
        "  validate FILE.wasm\n"
        "      Decode and validate FILE.wasm; print \"ok\" or the error (exit status 1).\n"
        "  version, --version\n"
        "      Print the version.\n"
        "  --help\n"
        "      Print this text.\n",
        to);
}

int cli_validate(int argc, char **argv) {
  if (argc != 1) {
    fputs("usage: tova validate FILE.wasm\n", stderr);
    return 2;
  }
  size_t len;
  unsigned char *bytes = cli_read_module(argv[0], &len);
  if (!bytes) return 1;
  tova_error err = {0};
  tova_status st = tova_module_validate(bytes, len, &err);
  free(bytes);
  if (st != TOVA_OK) {
    printf("%s: %s\n", tova_status_code(st), err.message);
    return 1;
  }
  puts("ok");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  /* Compiled code is kept in the user's cache directory, so that a program
   * run again links its code instead of compiling it (tova.h; TOVA_CACHE_DIR
   * overrides, empty for none). */
  tova_set_code_cache(TOVA_CODE_CACHE_USER, NULL);
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    char info[160];
    tova_runtime_info(info, sizeof info);
    printf("tova %s\n%s\n", TOVA_CLI_VERSION, info);
    return 0;
  }
  if (!strcmp(cmd, "run")) return run_done(cli_run(argc - 2, argv + 2));
  if (!strcmp(cmd, "validate")) return cli_validate(argc - 2, argv + 2);
  if (!strcmp(cmd, "compile")) return cli_compile(argc - 2, argv + 2);
  fprintf(stderr, "tova: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 2;
}
