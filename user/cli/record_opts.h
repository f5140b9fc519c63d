/* SPDX-License-Identifier: GPL-2.0-only */
/* Command-line options of `bindprof record`, parsed without side effects (unit-tested). */
#ifndef BINDPROF_RECORD_OPTS_H
#define BINDPROF_RECORD_OPTS_H

#include <stdbool.h>

struct record_opts {
	int pid;               /* -p; 0 when a command is given */
	char **cmd;            /* -- CMD ARGS...; NULL with -p */
	double duration;       /* -d seconds; 0: until Ctrl-C or the target's exit */
	const char *output;    /* -o; default bindprof.json */
	unsigned probes;       /* mask of enum probe_id */
	bool follow_children;  /* default true; --no-children */
	bool gil_exact;        /* --gil-method exact, or --probes all without --gil-method */
	int verbose;           /* -v */
	const char *folded;    /* --folded FILE */
	const char *svg;       /* --svg FILE */
	int freq;              /* -F HZ, default 99 */
	bool no_gil_stacks;    /* --gil-stacks off: no stack per GIL wait */
	const char *ffi[16];   /* --ffi LIB[:GLOB], repeatable */
	int nffi;
	int exemplars;         /* --exemplars N: slowest requests kept, default 5 */
	bool help;
};

/* Parse argv (argv[0] is "record"). 0 on success; -EINVAL with a one-line message in err. */
int record_opts_parse(int argc, char **argv, struct record_opts *o, char *err, int errlen);
extern const char record_usage[];

#endif
