/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof report`: a bindprof JSON printed for a person. */
#ifndef BINDPROF_REPORT_H
#define BINDPROF_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct report_opts {
	const char *path; /* FILE.json */
	bool markdown;    /* --format markdown (or md); default table */
	bool help;
};

/* Parse report's argv (argv[0] is "report"); no side effects. 0, or -EINVAL with one line in err.
 * With --help, o->help is set and the rest is not checked. */
int report_parse_opts(int argc, char **argv, struct report_opts *o, char *err, int errlen);
/* report's usage, generated from its options table. */
void report_usage(FILE *f);

#endif
