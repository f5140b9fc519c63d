/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof diff`: regression verdicts between two bindprof JSON files. */
#ifndef BINDPROF_DIFF_H
#define BINDPROF_DIFF_H

#include <cjson/cJSON.h>

#include <stdbool.h>

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

/* [{suite, workload, requests_per_sec, baseline_requests_per_sec, ratio}] for every workload of
 * doc that base has too (profile --baseline); the same walk over the files as diff's. */
cJSON *diff_ratios(const cJSON *base, const cJSON *doc);

#endif
