/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof doctor`: what this kernel supports, and how a target would be probed. */
#ifndef BINDPROF_DOCTOR_H
#define BINDPROF_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

struct doctor_opts {
	int pid;     /* -p PID; 0: none */
	int verbose; /* -v, counted */
	bool help;
};

/* Parse doctor's argv (argv[0] is "doctor"); no side effects. 0, or -EINVAL with one line in err.
 * With --help, o->help is set and the rest is not checked. */
int doctor_parse_opts(int argc, char **argv, struct doctor_opts *o, char *err, int errlen);
/* doctor's usage, generated from its options table. */
void doctor_usage(FILE *f);

#endif
