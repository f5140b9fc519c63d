/* SPDX-License-Identifier: GPL-2.0-only */
/* One signal-handling pattern for the program: SIGINT/SIGTERM/SIGHUP set a flag that the run
 * loops (the recorder's, the load generator's, profile's and compare's) read; nothing else
 * happens in the handler. SIGPIPE is ignored. */
#ifndef BINDPROF_SIGNALS_H
#define BINDPROF_SIGNALS_H

#include <signal.h>

void signals_install(void);
/* The last stop signal received, 0 when none. */
int signals_pending(void);
/* The flag itself, for loops that poll it (the load engine). */
volatile sig_atomic_t *signals_pending_flag(void);

#endif
