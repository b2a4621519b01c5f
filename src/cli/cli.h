/* cli.h: pieces of the `tova` command-line tool. The CLI is a client of the
 * public API only (include/tova.h); it sees nothing of src/. */
#ifndef TOVA_CLI_H
#define TOVA_CLI_H

#include <stdio.h>

#include "tova.h"

#define TOVA_CLI_VERSION "0.1.0"

/* Modules larger than this are refused before reading (WebAssembly's own
 * limits make a valid module of this size implausible). */
#define CLI_MAX_MODULE_BYTES ((size_t)1 << 30)

/* Subcommands; return the process exit code. */
int cli_run(int argc, char **argv);      /* tova run [OPTIONS] FILE.wasm [ARGS...] */
int cli_validate(int argc, char **argv); /* tova validate FILE.wasm */
int cli_compile(int argc, char **argv);  /* tova compile FILE.wasm... */

/* Read a module file: only a regular file of at most CLI_MAX_MODULE_BYTES.
 * On failure returns NULL and prints why (directory, device, too large,
 * I/O error) on stderr, naming the path. */
unsigned char *cli_read_module(const char *path, size_t *len);

/* Parse a command-line argument as a value of `type`: the one parser for
 * every type. Integers: optional sign, decimal or 0x-hex digits, signed or
 * the unsigned form of the same bits; floats: decimal or hex, nan, inf; refs:
 * "null". No whitespace anywhere, nothing after the number. */
bool cli_parse_value(const char *text, uint8_t type, tova_val *out);
/* Print a value the way `wasmtime run --invoke` does (integers signed
 * decimal, floats shortest round-trip without exponent). */
void cli_print_value(FILE *to, uint8_t type, tova_val v);

/* A watchdog that interrupts an execution (and a WASI sleep) after ms
 * milliseconds; if the program does not stop within a grace period (blocked
 * in a host read), the process exits with status CLI_EXIT_TIMEOUT. */
#define CLI_EXIT_TIMEOUT 124 /* as timeout(1) */
typedef struct cli_watchdog cli_watchdog;
cli_watchdog *cli_watchdog_start(uint64_t ms, tova_exec *e, tova_wasi *w);
/* Stop the watchdog; true if it fired. */
bool cli_watchdog_stop(cli_watchdog *d);

#endif
