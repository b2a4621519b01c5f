/* spectest.h: the `spectest` host module the official test suite imports. */
#ifndef TOVA_CONF_SPECTEST_H
#define TOVA_CONF_SPECTEST_H

#include "tova.h"

/* Create its functions, table, memory and globals in s and define them in l
 * under module name "spectest". print_output: whether print* writes to stdout. */
tova_status spectest_define(tova_store *s, tova_linker *l, bool print_output);

#endif
