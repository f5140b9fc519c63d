/* SPDX-License-Identifier: GPL-2.0-only */
/* profile's load shapes and memory checks: --ramp-up (a linear rate ramp before the measured
 * pass), --burst BASE:PEAK:SECS (the recovery time of p99 after a burst), --sustained DURATION (a
 * long pass: degradation from its first to its last intervals and a memory leak slope), and
 * --page-faults (a profiled pass sampling page faults). Every clean pass keeps 1 s intervals:
 * requests, errors, p50, p99 (the load generator's per-interval histograms), the app's CPU, RSS,
 * USS and PSS (its process tree's /proc, sampled once a second). */
#ifndef BINDPROF_CLI_SHAPES_H
#define BINDPROF_CLI_SHAPES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "load/loadgen.h"

struct profile_shape_opts {
	double ramp_up;          /* --ramp-up S: seconds of a ramp from 0 to --rate; 0 none */
	double burst_base, burst_peak, burst_secs; /* --burst BASE:PEAK:SECS; secs 0: none */
	double sustained;        /* --sustained DURATION: the clean passes' length; 0 none */
	bool page_faults;        /* --page-faults: a profiled pass on the page-faults event */
	unsigned long malloc_every; /* --malloc-sample N: a profiled pass sampling 1 malloc call in N; 0 none */
};

/* One option of the table (PO_RAMP_UP, PO_BURST, PO_SUSTAINED, PO_PAGE_FAULTS, PO_MALLOC_SAMPLE) into o. 0, or
 * -EINVAL with one line in err. */
int shape_opt_apply(struct profile_shape_opts *o, int id, const char *arg, char *err, int errlen);
/* The options together: 0 or -EINVAL with one line (--ramp-up needs --rate; --burst and --rate
 * are exclusive; a burst needs 4 s of the pass besides itself). duration: the clean passes'. */
int shape_opts_check(const struct profile_shape_opts *o, double rate, double duration, char *err, int errlen);

/* The pass's length with these options: --sustained's, else duration. */
double shape_pass_secs(const struct profile_shape_opts *o, double duration);

/* ---- the app's resources once a second ---- */

struct shape_series {
	int n, cap;
	double *t_s, *cpu_pct, *rss_mb, *uss_mb, *pss_mb; /* NAN where not read */
	uint64_t last_ticks, last_ns, t0_ns;
	long hz;
};

/* A sample of the app's process tree pids[0..n) at now_ns: CPU (% of one core since the previous
 * sample, from /proc/PID/stat), RSS (status), USS and PSS (smaps_rollup: Private_* and Pss). */
void shape_series_sample(struct shape_series *s, const int *pids, int n, uint64_t now_ns);
void shape_series_free(struct shape_series *s);

/* ---- the JSON of a pass ---- */

/* The burst's rate shape for a pass of secs: BASE until the burst's start (shape_burst_start),
 * PEAK for SECS, BASE to the end. */
void shape_burst_rate(const struct profile_shape_opts *o, double secs, struct rate_shape *rs);
double shape_burst_start(const struct profile_shape_opts *o, double secs);
/* A ramp from 0 to rate over o->ramp_up seconds. */
void shape_ramp_rate(const struct profile_shape_opts *o, double rate, struct rate_shape *rs);

/* The pass's 1 s intervals: [{"t_s","requests","errors","requests_per_sec","p50_ms","p99_ms",
 * "cpu_percent","rss_mb","uss_mb","pss_mb"}...] over the window of secs, from the load result's
 * per-interval counts (of any length dividing 1 s) and the series (sample k+1 closes interval k). */
cJSON *shape_intervals_json(const struct load_result *lr, const struct shape_series *ser, double secs);
/* The requests/s of each whole second of the window (at most max of them) into out: the count that
 * ended in it. The number written (0 without per-interval counts). */
int shape_interval_rates(const struct load_result *lr, double secs, double *out, int max);
/* profile --burst: {"base_rps","peak_rps","secs","starts_at_s","ends_at_s","baseline_p99_ms",
 * "peak_p99_ms","recovered","recovery_secs","resolution_secs","window_secs","reason","windows":[...]} */
cJSON *shape_burst_json(const struct profile_shape_opts *o, const struct load_result *lr, double secs);
/* profile --sustained: {"degradation":{...},"memory":{"leak":{...}}} from the intervals' throughput
 * and p99 and the series' USS (RSS when USS could not be read, said in "series"). */
cJSON *shape_sustained_json(const struct load_result *lr, const struct shape_series *ser, double secs);
/* The ramp's request count: {"secs","to_rate","expected_requests","sent_requests","scheduled"} */
cJSON *shape_ramp_json(const struct profile_shape_opts *o, double rate, const struct load_result *lr);

/* ---- event streams ---- */

/* A Server-Sent Events pass in the load engine's terms (load/sse.h): each stream is a request,
 * its latency the time to its first event (lat), ok the streams that got one, read_err the
 * errors; *streaming gets {"connections","streams","streams_with_event","events",
 * "events_per_sec","events_per_sec_per_connection","time_to_first_event_ms":{...},"errors"}.
 * 0 or a negative errno. */
int shape_sse_pass(const struct load_opts *lo, struct load_result *r, cJSON **streaming, volatile sig_atomic_t *stop);

struct workload;
/* A WebSocket pass (load/ws.h) of workload w (its "websocket" mode, messages, message_bytes):
 * echo, each answered message is a request of the load result (lat its round trip, ok the
 * answered ones; per-interval counts with lo->interval_s); receive, each connection (lat its time to the first message); read_err the
 * errors. *streaming gets {"kind":"websocket","mode","connections","upgraded","messages_sent",
 * "messages_received","messages_per_sec",...,"handshake_ms","time_to_first_message_ms",
 * "round_trip_ms"} (a distribution null when nothing was measured). 0 or a negative errno. */
int shape_ws_pass(const struct load_opts *lo, const struct workload *w, struct load_result *r, cJSON **streaming,
		  volatile sig_atomic_t *stop);

/* One line per shape result of a workload's results (burst, sustained, ramp, streaming), e.g.
 * "  api/list: burst: p99 back within 10% 1.3 s after the burst (820 ms at its peak)". Nothing
 * when it has none. */
void shape_print(FILE *f, const char *label, const cJSON *results);

/* ---- mixed suites ---- */

struct suite;
struct workload;

/* A mixed suite as one workload: name "mixed" (the suite's own name when custom), category
 * "mixed", method "MIXED", path "*", and its requests with their weights in *reqs (n of them,
 * pointing into the suite's workloads; free *reqs). 0 or -ENOMEM. */
int shape_mix_of(const struct suite *s, struct workload *w, struct load_req **reqs);
/* results.mix: [{"name","method","path","weight","expected_share","sent","answered","sent_share"}] */
cJSON *shape_mix_json(const struct suite *s, const struct load_result *lr);

#endif
