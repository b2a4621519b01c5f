/*
 * main.c: the `tova` command-line tool.
 *
 *   tova run FILE.wasm [--invoke NAME [ARGS...]]   run a function, print its results
 *   tova validate FILE.wasm                         check a module, print "ok" or the error
 *   tova version                                    print the version
 *   tova --help                                     this text
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *to) {
  fputs("usage: tova <command> [arguments]\n"
        "\n"
        "commands:\n"
        "  run FILE.wasm [--invoke NAME [ARGS...]]\n"
        "      Instantiate FILE.wasm (running its start function) and call the exported\n"
        "      function NAME (default: _start, if exported) with ARGS parsed by its\n"
        "      parameter types (integers in decimal, floats like 1.5, nan, inf).\n"
        "      Prints each result on its own line. A trap prints its message on stderr\n"
        "      and exits with status 1.\n"
        "  validate FILE.wasm\n"
        "      Decode and validate FILE.wasm; print \"ok\" or the error (exit status 1).\n"
        "  version\n"
        "      Print the version.\n"
        "  --help\n"
        "      Print this text.\n",
        to);
}

unsigned char *cli_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      unsigned char *b = realloc(buf, cap);
      if (!b) {
        free(buf);
        fclose(f);
        errno = ENOMEM;
        return NULL;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    errno = EIO;
    return NULL;
  }
  *len = n;
  return buf;
}

int cli_validate(int argc, char **argv) {
  if (argc != 1) {
    fputs("usage: tova validate FILE.wasm\n", stderr);
    return 2;
  }
  size_t len;
  unsigned char *bytes = cli_read_file(argv[0], &len);
  if (!bytes) {
    fprintf(stderr, "tova: cannot read %s: %s\n", argv[0], strerror(errno));
    return 1;
  }
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
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("tova %s\n", TOVA_CLI_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "run")) return cli_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "validate")) return cli_validate(argc - 2, argv + 2);
  fprintf(stderr, "tova: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 2;
}
