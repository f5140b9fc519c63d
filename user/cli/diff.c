/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof diff BASE.json NEW.json`: for each workload and metric, the change and a verdict
 * (improved, unchanged, regressed-warning, regressed-critical); exit 1 on a critical regression
 * (or on a warning with --fail-on warning). Runs from different hosts, or with a saturated load
 * generator, are refused unless --force. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli/commands.h"
#include "cli/diff.h"
#include "cli/options.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/validate.h" /* harden: output path up front */
#include "output/document.h"
#include "output/reader.h"

enum { O_THRESHOLD = 1, O_FAIL_ON, O_FORCE, O_REPORT, O_HELP };

static const struct cli_option diff_options[] = {
	{ "threshold", 0, O_THRESHOLD, "METRIC=WARN:CRIT",
	  "a regression warning at WARN percent worse, critical at CRIT percent worse, for one metric "
	  "(default 10:25 for each); repeatable", CLI_OPT_REPEAT },
	{ "fail-on", 0, O_FAIL_ON, "warning|critical", "the verdict that exits 1 (default critical)", 0 },
	{ "force", 0, O_FORCE, NULL, "compare runs from different hosts, or with a saturated load generator", 0 },
	{ "report", 0, O_REPORT, "FILE.md", "also write the table as markdown (for a pull request comment)", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

static const char diff_about[] =
	"Compare two bindprof files (profile, load or record) workload by workload. Metrics: requests_per_sec, "
	"p50_ms, p99_ms, gil_wait_ms, gc_time_ms, ffi_overhead_ms. A change within both runs' spread across "
	"repeats is noise.";
static const char diff_epilogue[] =
	"Exit 0: no regression; 1: a critical one (or a warning with --fail-on warning); 2: bad input.";

static const struct metric_rule default_rules[DIFF_NMETRICS] = {
	{ "requests_per_sec", true, 10, 25 }, { "p50_ms", false, 10, 25 },     { "p99_ms", false, 10, 25 },
	{ "gil_wait_ms", false, 10, 25 },     { "gc_time_ms", false, 10, 25 }, { "ffi_overhead_ms", false, 10, 25 },
};

const char *verdict_name(enum verdict v)
{
	static const char *const n[] = { "improved", "unchanged", "regressed-warning", "regressed-critical" };

	return n[v];
}

enum verdict diff_verdict(const struct metric_rule *r, double base, double new_, double blo, double bhi,
			  double nlo, double nhi, double *pct)
{
	double worse;

	*pct = base != 0 ? 100.0 * (new_ - base) / base : 0;
	worse = r->higher_better ? -*pct : *pct; /* > 0: a regression */
	if (blo <= bhi && nlo <= nhi && nlo <= bhi && blo <= nhi)
		return V_UNCHANGED; /* the runs' own spreads overlap: noise */
	if (worse >= r->crit)
		return V_CRITICAL;
	if (worse >= r->warn)
		return V_WARNING;
	if (-worse >= r->warn)
		return V_IMPROVED;
	return V_UNCHANGED;
}

int diff_parse_threshold(const char *s, struct metric_rule *rules, int n, char *err, int errlen)
{
	const char *eq = strchr(s, '=');
	char name[64], *end;
	const char *num;
	double w, c;

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(name)) {
		snprintf(err, errlen, "--threshold: '%s' is not METRIC=WARN:CRIT", s);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
	errno = 0;
	w = strtod(eq + 1, &end);
	if (errno || end == eq + 1 || *end != ':' || !isfinite(w) || w < 0) {
		snprintf(err, errlen, "--threshold: '%s' is not METRIC=WARN:CRIT", s);
		return -EINVAL;
	}
	num = end + 1;
	c = strtod(num, &end);
	if (errno || end == num || *end || !isfinite(c) || c < w) {
		snprintf(err, errlen, "--threshold: '%s': CRIT must be a number >= WARN", s);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (!strcmp(rules[i].name, name)) {
			rules[i].warn = w;
			rules[i].crit = c;
			return 0;
		}
	}
	snprintf(err, errlen, "--threshold: unknown metric '%s' (requests_per_sec, p50_ms, p99_ms, gil_wait_ms, "
		 "gc_time_ms, ffi_overhead_ms)", name);
	return -EINVAL;
}


/* metric value of a results object; NAN when absent or null (the reader checked the types) */
static double metric(const cJSON *res, int m)
{
	static const char *const paths[DIFF_NMETRICS] = { "throughput.requests_per_sec", "latency.median_ms",
							  "latency.p99_ms",		 "profiling.gil.wait_ms_total",
							  "profiling.gc.pause_ms_total", "profiling.python.ffi_overhead_ms" };

	return json_num_or(res, paths[m], NAN);
}

/* the spread of a metric across repeats, from repeats.samples (rps, p50, p99 only) */
static void spread(const cJSON *res, int m, double *lo, double *hi)
{
	static const char *const keys[] = { "requests_per_sec", "p50_ms", "p99_ms" };
	const cJSON *s;
	int n = 0;

	*lo = 1;
	*hi = 0; /* unknown */
	if (m > 2)
		return;
	cJSON_ArrayForEach(s, json_get(res, "repeats.samples")) {
		double v = json_num_or(s, keys[m], NAN);

		if (isnan(v))
			continue;
		if (!n || v < *lo)
			*lo = v;
		if (!n || v > *hi)
			*hi = v;
		n++;
	}
	if (n < 2) {
		*lo = 1;
		*hi = 0;
	}
}

/* The row of base matching w by suite/workload label, or NULL. */
static const struct doc_workload *match(const struct doc_workload *base, int nb,
					    const struct doc_workload *w)
{
	for (int j = 0; j < nb; j++)
		if (!strcmp(base[j].label, w->label))
			return &base[j];
	return NULL;
}

cJSON *diff_ratios(const cJSON *base, const cJSON *doc)
{
	static struct doc_workload bw[PROFILE_DOC_MAX_WORKLOADS], nw[PROFILE_DOC_MAX_WORKLOADS];
	char err[256];
	int nb = profile_doc_workloads(base, bw, PROFILE_DOC_MAX_WORKLOADS, err, sizeof(err));
	int nn = profile_doc_workloads(doc, nw, PROFILE_DOC_MAX_WORKLOADS, err, sizeof(err));
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < nn && nb > 0; i++) {
		const struct doc_workload *b = match(bw, nb, &nw[i]);
		double a, r;
		cJSON *c;

		if (!b)
			continue;
		a = metric(nw[i].results, 0);
		r = metric(b->results, 0);
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "suite", nw[i].suite);
		cJSON_AddStringToObject(c, "workload", nw[i].name);
		cJSON_AddNumberToObject(c, "requests_per_sec", isnan(a) ? 0 : a);
		cJSON_AddNumberToObject(c, "baseline_requests_per_sec", isnan(r) ? 0 : r);
		if (!isnan(a) && !isnan(r) && r > 0)
			cJSON_AddNumberToObject(c, "ratio", a / r);
		else
			cJSON_AddNullToObject(c, "ratio");
		cJSON_AddItemToArray(arr, c);
	}
	return arr;
}

static int diff_option(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct diff_opts *o = ctx;

	switch (id) {
	case O_THRESHOLD:
		return diff_parse_threshold(arg, o->rules, DIFF_NMETRICS, err, errlen);
	case O_FAIL_ON:
		if (strcmp(arg, "warning") && strcmp(arg, "critical")) {
			snprintf(err, errlen, "--fail-on: '%s' is not warning or critical", arg);
			return -EINVAL;
		}
		o->fail_warn = !strcmp(arg, "warning");
		return 0;
	case O_FORCE:
		o->force = true;
		return 0;
	case O_REPORT:
		o->report = arg;
		return 0;
	default: /* O_HELP */
		o->help = true;
		return CLI_STOP;
	}
}

int diff_parse_opts(int argc, char **argv, struct diff_opts *o, char *err, int errlen)
{
	int first;

	memset(o, 0, sizeof(*o));
	memcpy(o->rules, default_rules, sizeof(o->rules));
	first = cli_parse(diff_options, 0, argc, argv, diff_option, o, err, errlen);
	if (first <= 0)
		return first;
	if (argc - first != 2) {
		snprintf(err, errlen, "give BASE.json and NEW.json");
		return -EINVAL;
	}
	o->base = argv[first];
	o->new_ = argv[first + 1];
	return 0;
}

void diff_usage(FILE *f)
{
	cli_options_usage(f, "bindprof diff", "BASE.json NEW.json", diff_options, diff_about, diff_epilogue);
}

/* A run's file, read and its workloads listed and checked. 0, or -EINVAL with err. */
static int load_run(const char *path, cJSON **doc, struct doc_workload *w, int *n, char *err, int errlen)
{
	char why[384];

	*doc = profile_read(path, err, errlen);
	if (!*doc)
		return -EINVAL;
	*n = profile_doc_workloads(*doc, w, PROFILE_DOC_MAX_WORKLOADS, why, sizeof(why));
	if (*n < 0) {
		snprintf(err, errlen, "'%s': %s", path, why);
		return -EINVAL;
	}
	if (!*n) {
		snprintf(err, errlen, "no workload results in %s", path);
		return -EINVAL;
	}
	return 0;
}

/* Runs that --force would be needed for: other hosts, a saturated generator. 0 or -EINVAL. */
static int comparable(const cJSON *base, const struct doc_workload *bw, int nb, const cJSON *new_,
		      const struct doc_workload *nw, int nn, char *err, int errlen)
{
	static const char *const host_keys[] = { "hostname", "cpu_model", "cpu_cores", "memory_gb", "kernel" };
	bool saturated = false;

	for (size_t k = 0; k < sizeof(host_keys) / sizeof(host_keys[0]); k++) {
		char path[64], *a, *b;
		bool same;

		snprintf(path, sizeof(path), "metadata.host.%s", host_keys[k]);
		a = cJSON_PrintUnformatted(json_get(base, path));
		b = cJSON_PrintUnformatted(json_get(new_, path));
		same = a && b && !strcmp(a, b);
		if (!same)
			snprintf(err, errlen, "the runs come from different hosts (%s: %s vs %s); compare runs from one "
				 "host, or give --force", host_keys[k], a ? a : "none", b ? b : "none");
		free(a);
		free(b);
		if (!same)
			return -EINVAL;
	}
	for (int i = 0; i < nb; i++)
		saturated |= cJSON_IsTrue(json_get(bw[i].results, "generator.saturated"));
	for (int i = 0; i < nn; i++)
		saturated |= cJSON_IsTrue(json_get(nw[i].results, "generator.saturated"));
	if (saturated) {
		snprintf(err, errlen, "a run's load generator was saturated, so its figures are the generator's "
			 "limit; give --force to compare anyway");
		return -EINVAL;
	}
	return 0;
}

/* The table on stdout (and its markdown rows in md, when given); counts[] per verdict; the worst. */
static enum verdict verdict_table(const struct diff_opts *o, const struct doc_workload *bw, int nb,
				  const struct doc_workload *nw, int nn, FILE *md, int counts[4])
{
	enum verdict worst = V_IMPROVED;

	printf("%-32s %-18s %14s %14s %9s  %s\n", "workload", "metric", "base", "new", "change", "verdict");
	if (md)
		fprintf(md, "| workload | metric | base | new | change | verdict |\n|:---|:---|---:|---:|---:|:---|\n");
	for (int i = 0; i < nn; i++) {
		const struct doc_workload *b = match(bw, nb, &nw[i]);

		for (int m = 0; b && m < DIFF_NMETRICS; m++) {
			double bv = metric(b->results, m), nv = metric(nw[i].results, m), blo, bhi, nlo, nhi, pct;
			enum verdict v;

			if (isnan(bv) || isnan(nv) || bv <= 0)
				continue;
			spread(b->results, m, &blo, &bhi);
			spread(nw[i].results, m, &nlo, &nhi);
			v = diff_verdict(&o->rules[m], bv, nv, blo, bhi, nlo, nhi, &pct);
			counts[v]++;
			if (v > worst)
				worst = v;
			printf("%-32s %-18s %14.3f %14.3f %+8.1f%%  %s\n", nw[i].label, o->rules[m].name, bv, nv, pct,
			       verdict_name(v));
			if (md)
				fprintf(md, "| %s | %s | %.3f | %.3f | %+.1f%% | %s%s%s |\n", nw[i].label, o->rules[m].name,
					bv, nv, pct, v >= V_WARNING ? "**" : "", verdict_name(v), v >= V_WARNING ? "**" : "");
		}
	}
	return worst;
}

/* The markdown report, written whole (temporary file, then rename). 0 or -errno. */
static int write_report(const struct diff_opts *o, enum verdict worst, const int counts[4], const char *rows)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int e;

	if (!f)
		return -ENOMEM;
	fprintf(f, "## bindprof diff: %s\n\n%d improved, %d unchanged, %d regressed-warning, %d "
		   "regressed-critical (`%s` -> `%s`)\n\n%s",
		worst == V_CRITICAL ? "critical regression" : worst == V_WARNING ? "regression warning" : "no regression",
		counts[V_IMPROVED], counts[V_UNCHANGED], counts[V_WARNING], counts[V_CRITICAL], o->base, o->new_, rows);
	if (fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	e = write_file_atomic(o->report, text, len);
	free(text);
	return e;
}

int cmd_diff(int argc, char **argv)
{
	static struct doc_workload bw[PROFILE_DOC_MAX_WORKLOADS], nw[PROFILE_DOC_MAX_WORKLOADS];
	struct diff_opts o;
	char err[512], *md = NULL;
	size_t mdlen = 0;
	FILE *mf = NULL;
	cJSON *base = NULL, *new_ = NULL;
	int nb, nn, counts[4] = {}, ret = EXIT_BADINPUT, e;
	enum verdict worst;

	if (diff_parse_opts(argc, argv, &o, err, sizeof(err))) {
		log_err("diff: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		diff_usage(stdout);
		return EXIT_OK;
	}
	if (o.report && validate_output_path("--report", o.report, err, sizeof(err))) { /* harden: up front */
		log_err("diff: %s", err);
		return EXIT_BADINPUT;
	}
	if (load_run(o.base, &base, bw, &nb, err, sizeof(err)) || load_run(o.new_, &new_, nw, &nn, err, sizeof(err)) ||
	    (!o.force && comparable(base, bw, nb, new_, nw, nn, err, sizeof(err)))) {
		log_err("diff: %s", err);
		goto out;
	}
	if (o.report && !(mf = open_memstream(&md, &mdlen))) {
		log_err("diff: --report: out of memory");
		goto out;
	}
	worst = verdict_table(&o, bw, nb, nw, nn, mf, counts);
	if (!(counts[0] + counts[1] + counts[2] + counts[3])) {
		log_err("diff: %s and %s have no workload and metric in common", o.base, o.new_);
		goto out;
	}
	printf("%d improved, %d unchanged, %d regressed-warning, %d regressed-critical\n", counts[V_IMPROVED],
	       counts[V_UNCHANGED], counts[V_WARNING], counts[V_CRITICAL]);
	if (mf) {
		fclose(mf);
		mf = NULL;
		e = write_report(&o, worst, counts, md);
		if (e) {
			log_err("diff: --report: cannot write '%s': %s", o.report, strerror(-e));
			ret = EXIT_ENV; /* harden: a full disk is the environment, not bad input */
			goto out;
		}
	}
	ret = worst == V_CRITICAL || (o.fail_warn && worst == V_WARNING) ? EXIT_REGRESSION : EXIT_OK;
out:
	if (mf)
		fclose(mf);
	free(md);
	cJSON_Delete(base);
	cJSON_Delete(new_);
	return ret;
}
