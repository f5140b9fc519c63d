/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof report`: a bindprof JSON printed for a person. */
#ifndef BINDPROF_REPORT_H
#define BINDPROF_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

struct report_opts {
	const char *path;   /* FILE.json */
	const char *output; /* -o FILE, or NULL: stdout */
	bool markdown;      /* --format markdown (or md); default table */
	bool html;          /* --format html (needs -o) */
	int top;            /* rows of the longer tables (default 10) */
	const char *history; /* --history STORE (html's trend section), or NULL: the default store if it exists */
	bool help;
};

/* Parse report's argv (argv[0] is "report"); no side effects. 0, or -EINVAL with one line in err.
 * With --help, o->help is set and the rest is not checked. */
int report_parse_opts(int argc, char **argv, struct report_opts *o, char *err, int errlen);
/* report's usage, generated from its options table. */
void report_usage(FILE *f);
/* Every section of a bindprof document (any mode) that has data, as text tables or markdown, to
 * f; path is the file's name for the header; top: rows of the longer tables. */
void report_print(FILE *f, const cJSON *doc, const char *path, bool markdown, int top);

#endif
