/* SPDX-License-Identifier: GPL-2.0-only */
/* Failed workloads: a workload whose success rate is below a threshold (default 99%), whose
 * answers are mostly 4xx/5xx, or that got no answer at all is `failed`, with its status classes.
 * And rates printed without rounding 99.97% up to 100%. */
#ifndef BINDPROF_WLHEALTH_H
#define BINDPROF_WLHEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define WL_MIN_SUCCESS_DEFAULT 0.99

struct wl_health {
	uint64_t attempts; /* total_requests: answered + failed, connect errors after the start
			    * included (older files: total + connect); requests cut at the end of a
			    * pass are none */
	uint64_t ok;       /* 2xx and 3xx answers */
	uint64_t s4xx, s5xx, connect, read, write, timeout;
	uint64_t never_sent; /* --rate slots never sent (every connection busy): failed requests */
	double success_rate; /* ok / attempts; NAN when attempts is 0 */
	bool failed;
	char reason[200];  /* why it failed; "" when not */
};

/* The health of one workload from its results object (profile or load JSON: throughput.
 * total_requests and successful_requests, errors.{connect, read, write, timeout, status_4xx,
 * status_5xx}). Connect errors count as failed attempts (a dead port is not a fast server).
 * failed when: no attempt or no answer; ok / attempts < min_success (0..1; <= 0: the default);
 * or 4xx + 5xx more than half of the attempts. 0; -EINVAL when results has no throughput;
 * -ENOENT when it has no throughput.total_requests (nothing to judge). */
int wl_health_of(const cJSON *results, double min_success, struct wl_health *h);
/* {failed, success_rate, attempts, status_classes: {"2xx_3xx", "4xx", "5xx", connect, read,
 * write, timeout, never_sent}, reason} */
cJSON *wl_health_json(const struct wl_health *h);

/* ok out of total as a percentage that never rounds a shortfall away: "100%" only when
 * ok == total, "0%" only when ok == 0, otherwise truncated (never rounded up) to 2 decimals, or
 * more when that would read 0 ("99.97%", 3 in a million "99.99%", 1 in 100000 "0.001%").
 * total 0: "n/a". */
void fmt_rate_pct(char *buf, int len, uint64_t ok, uint64_t total);

#endif
