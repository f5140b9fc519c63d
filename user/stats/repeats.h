/* SPDX-License-Identifier: GPL-2.0-only */
/* The `repeats` object of a workload's results: the clean passes' figures and the pass reported
 * as the workload's (profile's --repeats, compare's interleaved rounds). One median rule for the
 * program: stats_median's (for an even count, the mean of the two middle values). */
#ifndef BINDPROF_REPEATS_H
#define BINDPROF_REPEATS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

/* One clean pass: requests/s, p50 and p99 latency (ms; 0 when nothing was answered). */
struct repeat_sample {
	double rps, p50_ms, p99_ms;
};

struct repeats {
	int count;
	double median_rps, min_rps, max_rps;
	int pick; /* the pass reported: the one whose requests/s is nearest the median, the first on a
		   * tie (for an even count, the earlier of the two middle passes) */
};

/* From n >= 1 samples. 0, or -EINVAL when n < 1. */
int repeats_build(const struct repeat_sample *s, int n, struct repeats *out);
/* {"count", "median_requests_per_sec", "min_requests_per_sec", "max_requests_per_sec",
 *  ["interleaved": true,] "samples": [{"requests_per_sec", "p50_ms", "p99_ms"}]} */
cJSON *repeats_json(const struct repeats *r, const struct repeat_sample *s, bool interleaved);

#endif
