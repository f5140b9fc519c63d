/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof diff`: regression verdicts between two bindprof JSON files, by the gate of
 * stats/gate.h (the one significance procedure of stats/verdict.h). */
#ifndef BINDPROF_DIFF_H
#define BINDPROF_DIFF_H

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stdio.h>
#include "stats/gate.h"

struct diff_opts {
	struct gate_opts gate;  /* thresholds, --gate, --fail-on, --min-success, targets, --force */
	const char *base, *new_; /* the two files */
	const char *report;      /* --report FILE.md, or NULL */
	const char *output;      /* -o FILE.json (the verdicts document), or NULL */
	const char *html;        /* --html FILE.html (the verdicts as a page, output/html), or NULL */
	bool help;
};

/* Parse diff's argv (argv[0] is "diff"); no side effects but reading a --targets file. 0, or
 * -EINVAL with one line in err. With --help, o->help is set and the rest is not checked. */
int diff_parse_opts(int argc, char **argv, struct diff_opts *o, char *err, int errlen);
/* diff's usage, generated from its options table. */
void diff_usage(FILE *f);

/* [{suite, workload, requests_per_sec, baseline_requests_per_sec, ratio}] for every workload of
 * doc that base has too (profile --baseline); the same walk over the files as diff's
 * (output/reader.h). A file that does not pass the reader's checks gives no rows: validate it
 * first with profile_doc_validate() to say why. */
cJSON *diff_ratios(const cJSON *base, const cJSON *doc);

#endif
