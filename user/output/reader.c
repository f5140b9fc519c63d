/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/json.h"
#include "output/reader.h"

int profile_results_validate(const cJSON *res, const char *where, char *err, int errlen)
{
	static const char *const objects[] = { "throughput", "latency", "profiling", "repeats", "generator" };
	static const char *const numbers[] = { "throughput.requests_per_sec",	   "latency.median_ms",
					       "latency.p99_ms",		   "profiling.gil.wait_ms_total",
					       "profiling.gc.pause_ms_total",	   "profiling.python.ffi_overhead_ms" };
	static const char *const sample_numbers[] = { "requests_per_sec", "p50_ms", "p99_ms" };
	char at[128];
	const cJSON *o, *samples = NULL, *s;
	double d;
	bool b;
	int i = 0;

	snprintf(at, sizeof(at), "%s%sresults", where ? where : "", where && *where ? "." : "");
	if (json_obj(res, at, "", 0, &o, err, errlen) < 0)
		return -EINVAL;
	for (size_t k = 0; k < sizeof(objects) / sizeof(objects[0]); k++)
		if (json_obj(res, at, objects[k], JSON_OPTIONAL, &o, err, errlen) < 0)
			return -EINVAL;
	for (size_t k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++) {
		d = 0;
		if (json_num(res, at, numbers[k], JSON_OPTIONAL, &d, err, errlen) < 0)
			return -EINVAL;
		if (d < 0) { /* rates, latencies and times: a negative one is a corrupt file, not a change */
			snprintf(err, errlen, "%s.%s: %g, a negative figure", at, numbers[k], d);
			return -EINVAL;
		}
	}
	if (json_bool(res, at, "generator.saturated", JSON_OPTIONAL, &b, err, errlen) < 0 ||
	    json_arr(res, at, "repeats.samples", JSON_OPTIONAL, &samples, err, errlen) < 0)
		return -EINVAL;
	cJSON_ArrayForEach(s, samples) {
		char sat[160];

		snprintf(sat, sizeof(sat), "%s.repeats.samples[%d]", at, i++);
		if (json_obj(s, sat, "", 0, &o, err, errlen) < 0)
			return -EINVAL;
		for (size_t k = 0; k < sizeof(sample_numbers) / sizeof(sample_numbers[0]); k++) {
			d = 0;
			if (json_num(s, sat, sample_numbers[k], JSON_OPTIONAL, &d, err, errlen) < 0)
				return -EINVAL;
			if (d < 0) {
				snprintf(err, errlen, "%s.%s: %g, a negative figure", sat, sample_numbers[k], d);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Fill *w (when out is given) for a workload; -EINVAL when there are already max. */
static int add(struct doc_workload *out, int n, int max, const char *suite, const char *name, const char *where,
	       const cJSON *res, char *err, int errlen)
{
	struct doc_workload *w;

	if (n >= max) {
		snprintf(err, errlen, "more than %d workloads", max);
		return -EINVAL;
	}
	if (!out)
		return 0;
	w = &out[n];
	w->suite = suite;
	w->name = name;
	if (*where)
		snprintf(w->label, sizeof(w->label), "%s/%s", suite, name);
	else
		snprintf(w->label, sizeof(w->label), "%s", name);
	snprintf(w->where, sizeof(w->where), "%s", where);
	w->results = res;
	return 0;
}

int profile_doc_workloads(const cJSON *doc, struct doc_workload *out, int max, char *err, int errlen)
{
	const cJSON *suites, *s, *workloads, *w, *res, *o;
	const char *mode, *sname, *wname;
	int n = 0, si = 0;

	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "the file is %s, not a bindprof object", json_type_name(doc));
		return -EINVAL;
	}
	if (json_str(doc, NULL, "mode", 0, &mode, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(mode, "profile")) {
		int r = json_obj(doc, NULL, "results", JSON_OPTIONAL, &res, err, errlen);

		if (r <= 0)
			return r; /* -EINVAL: of another type; 0: no results at all */
		if (profile_results_validate(res, "", err, errlen) ||
		    add(out, n, max, mode, mode, "", res, err, errlen))
			return -EINVAL;
		return 1;
	}
	if (json_arr(doc, NULL, "suites", 0, &suites, err, errlen) < 0)
		return -EINVAL;
	cJSON_ArrayForEach(s, suites) {
		char sat[32], wat[64];
		int wi = 0;

		snprintf(sat, sizeof(sat), "suites[%d]", si++);
		if (json_obj(s, sat, "", 0, &o, err, errlen) < 0)
			return -EINVAL;
		if (json_str(s, sat, "name", 0, &sname, err, errlen) < 0 ||
		    json_arr(s, sat, "workloads", 0, &workloads, err, errlen) < 0)
			return -EINVAL;
		cJSON_ArrayForEach(w, workloads) {
			snprintf(wat, sizeof(wat), "%s.workloads[%d]", sat, wi++);
			if (json_obj(w, wat, "", 0, &o, err, errlen) < 0)
				return -EINVAL;
			if (json_str(w, wat, "name", 0, &wname, err, errlen) < 0)
				return -EINVAL;
			res = json_get(w, "results");
			if (!res || cJSON_IsNull(res))
				continue; /* a workload that failed: no results to read */
			if (profile_results_validate(res, wat, err, errlen) ||
			    add(out, n, max, sname, wname, wat, res, err, errlen))
				return -EINVAL;
			n++;
		}
	}
	return n;
}

int profile_doc_validate(const cJSON *doc, char *err, int errlen)
{
	int n = profile_doc_workloads(doc, NULL, 1 << 30, err, errlen);

	return n < 0 ? n : 0;
}
