/* SPDX-License-Identifier: GPL-2.0-only */
/* bindprof: a low-overhead eBPF profiler for servers whose requests cross between an interpreter
 * and native code. This file only dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/file.h"
#include "lib/log.h"

static const char usage[] =
	"usage: bindprof COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  record      attach to a process or start one, measure, write the profile JSON\n"
	"  load        drive HTTP load at a loopback URL (like wrk), report throughput and latency\n"
	"  profile     start an app, run every workload of a suite against it, clean and profiled\n"
	"  diff        regression verdicts between two runs (exit 1 on a regression; see --fail-on)\n"
	"  baseline    a pinned baseline run per host: check a run against it, save one with no regression\n"
	"  compare     frameworks side by side (profile files, or starts them: --frameworks), significance\n"
	"  report      print any bindprof JSON for a person (table or markdown)\n"
	"  flamegraph  draw folded stacks as an SVG flamegraph; --diff BASE NEW: coloured by change\n"
	"  doctor      what this kernel supports, and how a target would be probed\n"
	"  export      stacks of a run as pprof (Pyroscope, Parca, go tool pprof) or speedscope files\n"
	"  history     store runs' metrics (SQLite or PostgreSQL), show trends, find step changes\n"
	"\n"
	"Every command takes --help (or: bindprof help COMMAND). bindprof --version prints the version.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "record", cmd_record },
	{ "load", cmd_load },
	{ "profile", cmd_profile },
	{ "diff", cmd_diff },
	{ "compare", cmd_compare },
	{ "baseline", cmd_baseline },
	{ "report", cmd_report },
	{ "doctor", cmd_doctor },
	{ "export", cmd_export },
	{ "history", cmd_history },
	{ "flamegraph", cmd_flamegraph },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_BADINPUT;
	}
	if (!strcmp(argv[1], "help") && argc >= 3) {
		/* `bindprof help CMD`: that command's own --help */
		char *args[] = { argv[2], "--help", NULL };

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[2], commands[i].name))
				return commands[i].fn(2, args);
		log_err("help: unknown command '%s' (record, load, profile, diff, baseline, compare, report, flamegraph, "
			"doctor, export, history)", argv[2]);
		return EXIT_BADINPUT;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("bindprof %s\n", BINDPROF_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			char err[256];

			/* the input caps' environment overrides: a bad one is refused, never ignored */
			if (file_caps_check(err, sizeof(err))) {
				log_err("%s: %s", argv[1], err);
				return EXIT_BADINPUT;
			}
			return commands[i].fn(argc - 1, argv + 1);
		}
	log_err("unknown command '%s' (record, load, profile, diff, baseline, compare, report, flamegraph, doctor, export, history; see bindprof --help)", argv[1]);
	return EXIT_BADINPUT;
}
