/* SPDX-License-Identifier: GPL-2.0-only */
/* The gate between two bindprof runs (diff, and compare's input checks): which runs may be
 * compared at all (host, load configuration, host load, saturation), and per workload and metric
 * a verdict by the one significance procedure (stats/verdict.h), the error rate and status
 * classes, failed workloads, workloads missing on one side, and targets. The result is one JSON
 * document (diff -o), printed as a table or as a markdown report. */
#ifndef BINDPROF_GATE_H
#define BINDPROF_GATE_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "stats/perftarget.h"
#include "stats/verdict.h"

enum gate_metric {
	GM_RPS,          /* requests_per_sec: repeats' samples */
	GM_P50,          /* p50_ms: repeats' samples */
	GM_P99,          /* p99_ms: repeats' samples */
	GM_ERROR_RATE,   /* error_rate: failed attempts / attempts, the reported pass (counts, not a test) */
	GM_CPU_PER_REQ,  /* cpu_per_request_ms: the app's CPU time / requests */
	GM_USS_PEAK,     /* uss_peak_mb */
	GM_GIL_PER_REQ,  /* gil_wait_us_per_request: the profiled pass's GIL wait / its requests */
	GM_GC_PER_REQ,   /* gc_time_us_per_request */
	GM_FFI_PER_REQ,  /* ffi_time_us_per_request */
	GATE_NMETRICS
};

enum gate_fail_on { GATE_FAIL_REGRESSED, GATE_FAIL_CRITICAL };

/* --noise-rule: auto picks VD_BAND_ESTIMATE when every compared workload's repeats on both sides
 * come from interleaved rounds (compare --frameworks: drift between the runs is inside the
 * repeats), else VD_BAND_INTERVAL (sequential runs: drift between them is in no repeat's spread,
 * so the CI's end itself must clear the band). */
enum { GATE_NOISE_AUTO = 0, GATE_NOISE_ESTIMATE = VD_BAND_ESTIMATE + 1, GATE_NOISE_INTERVAL = VD_BAND_INTERVAL + 1 };

#define GATE_MAX_TARGETS 64

struct gate_opts {
	struct vd_rule rules[GATE_NMETRICS]; /* defaults from gate_opts_init; --threshold, --gate */
	struct vd_opts vd;
	int noise_rule;                      /* GATE_NOISE_AUTO (default), or a VD_BAND_* + 1 (--noise-rule) */
	enum gate_fail_on fail_on;           /* default: any regression fails */
	bool fail_missing;                   /* --fail-on missing: a workload on one side only fails */
	bool force;                          /* compare runs that the input checks refuse */
	double min_success;                  /* a workload below this success rate is failed (0.99) */
	double error_pp;                     /* error rate up by more than this (percentage points) regresses (1) */
	struct ptarget targets[GATE_MAX_TARGETS];
	int ntargets;
};

/* Defaults: requests_per_sec, p50_ms, p99_ms at a 10% minimum effect and 25% critical;
 * cpu_per_request_ms 15% / 30% and uss_peak_mb 10% / 25% (the resource thresholds the gateway
 * harness uses); the per-request profiling metrics 10% / 25%; fail on any regression; 99%
 * success; 1 percentage point of error rate. */
void gate_opts_init(struct gate_opts *o);
/* The metric's name ("requests_per_sec", ...); gate_metric_find: its index or -1. */
const char *gate_metric_name(enum gate_metric m);
int gate_metric_find(const char *name);
/* "METRIC=MIN:CRIT" (minimum effect and critical change, percent) into o. 0 or -EINVAL. */
int gate_parse_threshold(struct gate_opts *o, const char *s, char *err, int errlen);
/* "METRIC" or "all": gate the metric even on fewer than 3 samples a side. 0 or -EINVAL. */
int gate_parse_explicit(struct gate_opts *o, const char *s, char *err, int errlen);

/* The input checks, in order: the host (hostname, cpu_model, cpu_cores, memory_gb, kernel), the
 * load configuration (closed loop against --rate, rate, concurrency, duration, probe set), the
 * host load recorded during the passes (a results.host_load or metadata.host_load object whose
 * "high" is true), a saturated load generator. A host or configuration figure that neither file
 * records is not a difference; one that only one file records is. The first failing one is one line in err, naming
 * the difference; -EINVAL. With o->force every check is skipped. */
int gate_inputs_ok(const cJSON *base, const cJSON *new_, const struct gate_opts *o, char *err, int errlen);

/* A clean pass's gated figures beyond throughput and latency, added to its repeats sample smp
 * from the pass's results object: cpu_per_request_ms (the app tree's CPU time / requests),
 * uss_peak_mb, error_rate (failed attempts, connect errors included, over attempts) and
 * host_others_percent (the other processes' CPU share during the pass), and "steady": false when
 * the pass's steady.state is "not-steady" (true when "steady"). Absent figures are left out. */
void gate_sample_extras(cJSON *smp, const cJSON *pass);

/* The verdicts document of new against base (paths for the record):
 * {mode: "diff", base: {file, commit, timestamp, host}, new: {...}, configuration: {...},
 *  workloads: [{workload, status: compared|missing|new, health: {base, new},
 *               metrics: [{metric, verdict, reason, base: {median, ci, ...}, new, change_percent,
 *                          ratio_ci, p_value, noise_band_percent}]}],
 *  targets: [{target, workload, value, level, pass, reason}],
 *  summary: {improved, unchanged, regressed, regressed_critical, not_gated, missing, new,
 *            failed_workloads, targets_failed, targets_missed_critical, worst, exit_status, line}}
 * Never NULL except out of memory. */
cJSON *gate_run(const cJSON *base, const cJSON *new_, const struct gate_opts *o, const char *base_path,
		const char *new_path);
/* The exit status the document calls for: 1 (a regression per fail_on, a failed workload new on
 * the candidate side, a missing workload with fail_missing, a target missed at its critical
 * level) or 0. */
int gate_exit_status(const cJSON *verdicts);
/* The table: one line per workload and metric ("workload metric base new change verdict
 * reason"), then the missing/new workloads, the targets, and the summary line. */
void gate_print(FILE *f, const cJSON *verdicts);
/* The markdown report: title with the outcome (✅/⚠️/❌), date, both commits, host, the summary
 * line, significant changes first, then every other row, the resource table, the targets. */
void gate_markdown(FILE *f, const cJSON *verdicts);

#endif
