/* SPDX-License-Identifier: GPL-2.0-only */
/* Performance targets: `--target 'p99_ms<=10'`, `--target 'json-small:requests_per_sec>=5000'`,
 * per-request metrics (`gil_wait_us.p50<=200`), or a thresholds file with three levels per metric
 * (target, acceptable, critical), evaluated on a workload's results. */
#ifndef BINDPROF_PERFTARGET_H
#define BINDPROF_PERFTARGET_H

#include <stdbool.h>
#include <cjson/cJSON.h>

enum pt_op { PT_LE, PT_LT, PT_GE, PT_GT };

struct ptarget {
	char workload[128]; /* "" for every workload; else a workload name or SUITE/WORKLOAD */
	char metric[96];
	enum pt_op op;
	double target, acceptable, critical; /* one --target: the three are equal */
	int levels;                           /* 1 (--target) or 3 (thresholds file) */
};

enum pt_level {
	PT_MET_TARGET,     /* pass */
	PT_MET_ACCEPTABLE, /* pass, short of the target */
	PT_MISSED,         /* fail: beyond acceptable, within the critical limit */
	PT_MISSED_CRITICAL, /* fail: beyond the critical limit (a one-level target's miss) */
	PT_NO_VALUE,       /* the metric is absent or null in the results: not evaluated */
};

struct pt_eval {
	enum pt_level level;
	bool pass;
	double value;
	char reason[400];
};

/* "met-target", "met-acceptable", "missed", "missed-critical", "no-value" */
const char *pt_level_name(enum pt_level l);

/* "[WORKLOAD:]METRIC OP VALUE", OP one of <= < >= >, spaces allowed around OP. 0, or -EINVAL with
 * the message in err. */
int ptarget_parse(const char *s, struct ptarget *t, char *err, int errlen);
/* A thresholds file: one metric a line, "[WORKLOAD:]METRIC OP TARGET ACCEPTABLE CRITICAL"
 * (e.g. "p99_ms <= 10 50 100", "requests_per_sec >= 5000 2000 1000"), '#' comments and blank
 * lines ignored; the three levels must be in order for OP. Returns the count (<= max), or
 * -errno / -EINVAL with "FILE:LINE: ..." in err. */
int ptarget_load_file(const char *path, struct ptarget *out, int max, char *err, int errlen);
/* "p99_ms<=10" or "p99_ms <= 10 / 50 / 100" into buf. */
void ptarget_format(const struct ptarget *t, char *buf, int len);

/* Does the target apply to this workload (suite "s", workload "w")? "" applies to every one;
 * else "w" or "s/w". */
bool ptarget_applies(const struct ptarget *t, const char *suite, const char *workload);
/* The level of value v against t. */
void ptarget_eval(const struct ptarget *t, double v, struct pt_eval *e);

/* A metric's value in a workload's results object (profile JSON). Names:
 * requests_per_sec, p50_ms (latency.median_ms), p75/p90/p95/p99/p999_ms, max_ms, mean_ms,
 * success_rate, error_rate (1 - success_rate), cpu_per_request_ms (resources.cpu.total_cpu_ms /
 * throughput.total_requests), uss_peak_mb, rss_peak_mb; NAME.STAT for a per-request metric of the
 * requests probe (gil_wait_us.p50, ffi_time_us.mean, syscalls.p99, ...: the endpoint with the
 * most requests); else a dotted path under results. 0, or -ENOENT (absent or null). */
int pt_metric_value(const cJSON *results, const char *metric, double *v);
/* Is metric one of the names pt_metric_value knows? A name without a dot must be one of the named
 * metrics; a dotted name (NAME.STAT, or a path under results) is accepted, as only a document can
 * tell whether it is there. */
bool pt_metric_known(const char *metric);

#endif
