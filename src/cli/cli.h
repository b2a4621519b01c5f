/* cli.h: pieces of the `tova` command-line tool. */
#ifndef TOVA_CLI_H
#define TOVA_CLI_H

#include <stdio.h>

#include "tova.h"

#define TOVA_CLI_VERSION "0.1.0"

/* Subcommands; return the process exit code. */
int cli_run(int argc, char **argv);      /* tova run FILE.wasm [--invoke NAME [ARGS...]] */
int cli_validate(int argc, char **argv); /* tova validate FILE.wasm */

/* Read a whole file; NULL (errno set) on failure. */
unsigned char *cli_read_file(const char *path, size_t *len);

/* Parse a command-line argument as a value of `type` (decimal integers,
 * signed or unsigned; decimal/hex floats, nan, inf; "null" for references). */
bool cli_parse_value(const char *text, uint8_t type, tova_val *out);
/* Print a value the way `wasmtime run --invoke` does (integers signed
 * decimal, floats shortest round-trip without exponent). */
void cli_print_value(FILE *to, uint8_t type, tova_val v);

#endif
