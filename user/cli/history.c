/* SPDX-License-Identifier: GPL-2.0-only */
#include "cli/commands.h"
#include "lib/log.h"
int cmd_history(int argc, char **argv)
{
	log_err("history: not built yet");
	return EXIT_ENV;
}
