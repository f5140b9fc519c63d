/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof diff`: regression verdicts between two bindprof JSON files. */
#ifndef BINDPROF_DIFF_H
#define BINDPROF_DIFF_H

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stdio.h>

enum verdict { V_IMPROVED, V_UNCHANGED, V_WARNING, V_CRITICAL };

struct metric_rule {
	const char *name;     /* "requests_per_sec", "p50_ms", ... */
	bool higher_better;
	double warn, crit;    /* percent */
};

/* The verdict for a change from base to new (> 0 values), given the rule and, when known, the
 * base's and the new run's spread across repeats ([lo, hi] each; lo > hi: unknown). A change whose
 * ranges overlap is noise: unchanged. Sets *pct to the signed percent change. */
enum verdict diff_verdict(const struct metric_rule *r, double base, double new_, double blo, double bhi,
			  double nlo, double nhi, double *pct);
const char *verdict_name(enum verdict v);
/* "p99_ms=5:15" -> the rule's warn and crit for that metric, in rules[]. 0 or -EINVAL. */
int diff_parse_threshold(const char *s, struct metric_rule *rules, int n, char *err, int errlen);

#define DIFF_NMETRICS 6 /* requests_per_sec, p50_ms, p99_ms, gil_wait_ms, gc_time_ms, ffi_overhead_ms */

struct diff_opts {
	struct metric_rule rules[DIFF_NMETRICS]; /* the defaults (10% warning, 25% critical), --threshold's */
	const char *base, *new_;                 /* the two files */
	const char *report;                      /* --report FILE.md, or NULL */
	bool force, fail_warn, help;
};

/* Parse diff's argv (argv[0] is "diff"); no side effects. 0, or -EINVAL with one line in err.
 * With --help, o->help is set and the rest is not checked. */
int diff_parse_opts(int argc, char **argv, struct diff_opts *o, char *err, int errlen);
/* diff's usage, generated from its options table. */
void diff_usage(FILE *f);

/* [{suite, workload, requests_per_sec, baseline_requests_per_sec, ratio}] for every workload of
 * doc that base has too (profile --baseline); the same walk over the files as diff's
 * (output/reader.h). A file that does not pass the reader's checks gives no rows: validate it
 * first with profile_doc_validate() to say why. */
cJSON *diff_ratios(const cJSON *base, const cJSON *doc);

#endif
