/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof compare`: its options, parsed without side effects (unit-tested). */
#ifndef BINDPROF_CLI_COMPARE_H
#define BINDPROF_CLI_COMPARE_H

#include <stdbool.h>
#include <stdio.h>
#include "cli/options.h"
#include "cli/profile.h"

#define COMPARE_MAX_RUNS 16
#define COMPARE_MAX_ROUNDS 256

struct compare_opts {
	const char *const *files;   /* RUN.json operands; nfiles of them */
	int nfiles;
	const char *frameworks, *apps, *output, *report;
	const char *html; /* --html FILE.html: the compare JSON as a page (output/html), or NULL */
	double noise;               /* percent, default 2 */
	int rounds;                 /* --repeats with --frameworks, default 9 */
	bool rounds_given, load_given;
	bool force;                 /* --force: skip the input checks (result files, and --frameworks' own rounds) */
	bool profile_all;           /* --profile-all: probes in every round, not only the first */
	struct profile_opts prof;   /* the rounds' options (--suite, --duration, ... go here) */
	bool help;
};

extern const struct cli_option compare_options[];
/* 0 (o->help set for --help) or -EINVAL with a one-line message in err. */
int compare_opts_parse(int argc, char **argv, struct compare_opts *o, char *err, int errlen);
void compare_usage(FILE *f);

#endif
