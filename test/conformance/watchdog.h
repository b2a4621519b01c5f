/* watchdog.h: interrupts an execution that runs longer than a deadline, so a
 * runaway test cannot hang the conformance run. */
#ifndef TOVA_CONF_WATCHDOG_H
#define TOVA_CONF_WATCHDOG_H

#include "tova.h"

typedef struct watchdog watchdog;

watchdog *watchdog_start(void);
void watchdog_stop(watchdog *w);
/* Interrupt e if it still runs `seconds` from now (until watchdog_disarm). */
void watchdog_arm(watchdog *w, tova_exec *e, unsigned seconds);
/* Returns true if the watchdog fired since it was armed. */
bool watchdog_disarm(watchdog *w);

#endif
