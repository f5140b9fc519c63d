/* SPDX-License-Identifier: GPL-2.0-only */
/* What `bindprof history` stores and reads (history/db.h is the database under it):
 *
 * - history_add_file: a profile, compare, load or record file as runs (one per file; one per
 *   framework of a compare file), each with its host identity, commit, framework, time and
 *   configuration, and every workload's metrics: each finite number of the workload's results
 *   object by dotted path (objects only; arrays are per-run detail);
 * - history_load: the stored values as series (a workload's metric on one host, configuration
 *   and framework), ordered by series then time. */
#ifndef BINDPROF_HISTORY_STORE_H
#define BINDPROF_HISTORY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include "history/db.h"

struct history_add_opts {
	const char *commit;    /* --commit; NULL: the file's git_commit, else git rev-parse HEAD here */
	const char *framework; /* --framework; NULL: the file's */
};

/* Store path's runs. *stored += the runs stored (0 when the same file, time, host and framework
 * was stored before), *metrics_n += their metrics. 0; 1 when nothing was stored with a warning
 * logged (a partial document, or every workload failed: failed workloads are never stored); -EINVAL
 * for a bad file (one line in err,
 * naming where: "suites[0].name: ..."); -EIO from the store; -ENOMEM. */
int history_add_file(struct db *db, const char *path, const struct history_add_opts *o, int *stored, int *metrics_n,
		     char *err, int errlen);

#define HISTORY_DEFAULT_METRICS 2
/* throughput.requests_per_sec, latency.p99_ms: what show and check look at by default */
extern const char *const history_default_metrics[HISTORY_DEFAULT_METRICS];

struct history_filter {
	const char *workload; /* NULL: all */
	const char *metric;   /* NULL: the default metrics; "all": every metric */
	const char *since;    /* "YYYY-MM-DDTHH:MM:SSZ" or NULL */
	const char *host;     /* NULL: all */
};

struct history_point {
	char *series; /* host_key, config_key, framework, workload, metric (0x1f between) */
	char *host, *framework, *workload, *metric, *run_at, *commit, *config_key; /* "" when NULL */
	long run;     /* the run's id */
	double value;
};

struct history_points {
	struct history_point *p;
	size_t n, cap;
	const struct history_filter *o;
};

/* The stored values that pass f, ordered by series, then time and run. 0 or -EIO with err. */
int history_load(struct db *db, const struct history_filter *f, struct history_points *ps, char *err, int errlen);
void history_points_free(struct history_points *ps);

/* The series that starts at i: returns its end (exclusive); *from is where its last `last`
 * points begin. */
size_t history_next_series(const struct history_points *ps, size_t i, size_t *from, long last);

/* Whether a larger value of metric is better: requests/s, success and throughput figures. */
bool history_higher_is_better(const char *metric);

#endif
