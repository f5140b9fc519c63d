/* SPDX-License-Identifier: GPL-2.0-only */
#include <signal.h>
#include "lib/signals.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

void signals_install(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int signals_pending(void)
{
	return stop_signal;
}

volatile sig_atomic_t *signals_pending_flag(void)
{
	return &stop_signal;
}
