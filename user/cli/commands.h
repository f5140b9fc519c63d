/* SPDX-License-Identifier: GPL-2.0-only */
/* The subcommands, one entry point each: argv[0] is the subcommand's name. */
#ifndef BINDPROF_COMMANDS_H
#define BINDPROF_COMMANDS_H

#include "lib/signals.h" /* signals_install, signals_pending: the commands use them */

int cmd_record(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_baseline(int argc, char **argv);

#endif
