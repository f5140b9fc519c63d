/* SPDX-License-Identifier: GPL-2.0-only */
/* The harness scenarios of `bindprof profile` that sit around the passes: sweeps (one run of a
 * workload per value of concurrency, rate or payload size, and the scaling analysis of the points),
 * --list, --workload and --output-dir. */
#ifndef BINDPROF_CLI_SCENARIOS_H
#define BINDPROF_CLI_SCENARIOS_H

#include <stddef.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "load/suites.h"
#include "stats/scaling.h"

enum sweep_var { SWEEP_NONE, SWEEP_CONCURRENCY, SWEEP_RATE, SWEEP_PAYLOAD };

#define SWEEP_MIN_PAYLOAD 12               /* bytes: {"data":"a"} */
#define SWEEP_MAX_PAYLOAD (64u << 20)      /* bytes */

struct sweep_spec {
	enum sweep_var var;
	double v[SCALING_MAX_POINTS]; /* the values in the order given (strictly ascending) */
	int n;
};

/* "concurrency", "rate", "payload" */
const char *sweep_var_name(enum sweep_var v);

/* VAR=V1,V2,...: concurrency (connections, 1..100000), rate (requests/s > 0) or payload (bytes, with
 * an optional K or M suffix of 1024 and 1048576 bytes: 64,256,1K,1M; 12 B .. 64 MiB). 2 to
 * SCALING_MAX_POINTS values, strictly ascending. 0, or -EINVAL with one line in err. */
int sweep_parse(const char *arg, struct sweep_spec *sp, char *err, int errlen);

/* The scaling analysis of a sweep's points (an array of {"value": x, "results": {...}} objects, the
 * results as a workload's: throughput, latency, resources, steady): an object with
 *   growth: the log-log exponent of throughput, p50, p99 and peak memory (USS where measured, else
 *     RSS) against the swept variable (stats/scaling.h: exponent, 95% residual-bootstrap CI, verdict);
 *   saturation (concurrency sweeps): the concurrency past which throughput stops growing (closed
 *     loop: the throughput by Little's law, connections / mean latency, which leaves out the load
 *     generator's own turnaround between an answer and its next request; open loop: the measured
 *     throughput): a gain
 *     counts when it exceeds 2 standard errors (each point's: its throughput x the coefficient of
 *     variation of the 1 s interval throughputs pooled over the points / sqrt(its intervals), with
 *     8 or more pooled degrees of freedom; else none) and 10%;
 *   max_rate_meeting_p99 (rate sweeps): the highest rate whose p99 meets p99_target_ms (<= 0: none
 *     given, null with the reason).
 * Points without results are left out of the fits. */
cJSON *sweep_analysis_json(enum sweep_var var, const cJSON *points, double p99_target_ms);

/* profile's terminal summary of a workload's sweep (label "SUITE/WORKLOAD"): a line per point
 * (value, req/s, p99 ms) and the analysis' saturation or highest rate. */
void sweep_print_summary(FILE *f, const char *label, const cJSON *sw);

/* A JSON request body of exactly n bytes (n >= SWEEP_MIN_PAYLOAD): {"data":"abc..."}; malloc'd,
 * NUL-terminated. NULL when out of memory. */
char *sweep_json_body(size_t n);

/* A JSON workload, one a payload sweep can resize: a body and a content type naming json. */
int workload_is_json(const struct workload *w);

/* Keep the workloads of set named name (NAME or SUITE/NAME; NULL: all) and, with json_only, only
 * JSON ones (workload_is_json); drop the suites left empty. 0, or -EINVAL with one line naming the
 * workloads there are when none is left. */
int suites_keep(struct suite_set *set, const char *name, int json_only, const char *why, char *err, size_t errlen);

/* --list: the suites of spec (as --suite) and their workloads, one line each, to f. 0, or -EINVAL
 * with one line in err. */
int scenarios_list(FILE *f, const char *spec, char *err, size_t errlen);

/* --output-dir DIR: create DIR (and its parents) and pick the run's file, DIR/profile-YYYYmmdd-HHMMSS.json
 * in UTC (with -2, -3... when taken). path gets it, html the .html beside it. 0 or -errno with one
 * line in err; -EEXIST when DIR/latest.json or latest.html exists and is not a symbolic link. */
int output_dir_prepare(const char *dir, char *path, size_t plen, char *html, size_t hlen, char *err, size_t errlen);

/* DIR/latest.json (and DIR/latest.html when html is set) as symbolic links to the run's files,
 * replaced atomically (a new link renamed over the old). 0 or -errno. */
int output_dir_link_latest(const char *dir, const char *path, const char *html);

#endif
