/* SPDX-License-Identifier: GPL-2.0-only */
/* The one validating reader of bindprof files for diff, compare and profile --baseline: it walks
 * the suites and workloads of a profile file (or the single "results" of a load or record file)
 * and checks, through lib/json.h, every field those commands read. A missing or ill-typed field
 * is one line naming where it is ("suites[0].workloads[1].name: a number, not a string"); the
 * callers exit 2 with it. */
#ifndef BINDPROF_READER_H
#define BINDPROF_READER_H

#include <cjson/cJSON.h>

#define PROFILE_DOC_MAX_WORKLOADS 512

struct doc_workload {
	const char *suite;    /* the suite's name; the file's mode for a load or record file */
	const char *name;     /* the workload's name; the file's mode for a load or record file */
	char label[256];      /* "suite/workload", or the mode */
	char where[64];       /* "suites[0].workloads[1]", or "" for a top-level results */
	const cJSON *results; /* the workload's results object (points into the document) */
};

/* Check a results object as the readers use it: throughput, latency, profiling, repeats and
 * generator are objects when present; the figures read (requests_per_sec, median_ms, p99_ms, the
 * GIL, GC and FFI totals, the repeats' samples) are finite numbers when present; a sample is an
 * object. 0, or -EINVAL with "WHERE.results.PATH: ..." in err. */
int profile_results_validate(const cJSON *res, const char *where, char *err, int errlen);

/* The workloads that have results, in document order, validated. In a profile file (mode
 * "profile"): every suite is an object with a string name and a workloads array; every workload
 * an object with a string name; a workload whose results are absent or null (it failed) is left
 * out; any other results must be an object that passes profile_results_validate. Any other mode:
 * the top-level results object, when there is one, as one workload named after the mode.
 * Returns how many (0..max), or -EINVAL with one line in err (also when there are more than max). */
int profile_doc_workloads(const cJSON *doc, struct doc_workload *out, int max, char *err, int errlen);

/* profile_doc_workloads's checks alone (no list kept). 0 or -EINVAL with err. */
int profile_doc_validate(const cJSON *doc, char *err, int errlen);

#endif
