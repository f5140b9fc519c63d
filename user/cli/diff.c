/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof diff BASE.json NEW.json`: for each workload and metric, the change and a verdict
 * (improved, unchanged, regressed-warning, regressed-critical); exit 1 on a critical regression
 * (or on a warning with --fail-on warning). Runs from different hosts, or with a saturated load
 * generator, are refused unless --force. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli/commands.h"
#include "cli/diff.h"
#include "lib/log.h"
#include "output/document.h"
#include "lib/util.h"
#include "lib/validate.h" /* harden: threshold parsing, output path */
#include "lib/file.h"     /* harden: atomic --report */

static const char diff_usage[] =
	"usage: bindprof diff BASE.json NEW.json [--threshold METRIC=WARN:CRIT]... [--fail-on warning|critical]\n"
	"                     [--force] [--report FILE.md]\n"
	"\n"
	"Compare two bindprof files (profile, load or record) workload by workload. Metrics:\n"
	"requests_per_sec, p50_ms, p99_ms, gil_wait_ms, gc_time_ms, ffi_overhead_ms. Default thresholds:\n"
	"10%% for a warning, 25%% critical. A change within both runs' spread across repeats is noise.\n"
	"Exit 0: no regression; 1: a critical one (or a warning with --fail-on warning); 2: bad input.\n";

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
	char name[64];
	double w, c;

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(name)) {
		snprintf(err, errlen, "--threshold: '%s' is not METRIC=WARN:CRIT", s);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
	/* harden: both finite (nan, inf, "" refused), 0 <= WARN <= CRIT */
	if (parse_threshold_pair(s, eq + 1, &w, &c, err, (size_t)errlen))
		return -EINVAL;
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

static const cJSON *get(const cJSON *o, const char *path)
{
	return profile_get(o, path);
}

/* metric value of a results object; NAN when absent or null */
static double metric(const cJSON *res, int m)
{
	static const char *const paths[] = { "throughput.requests_per_sec", "latency.median_ms", "latency.p99_ms",
					     "profiling.gil.wait_ms_total", "profiling.gc.pause_ms_total",
					     "profiling.python.ffi_overhead_ms" };
	const cJSON *v = get(res, paths[m]);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
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
	cJSON_ArrayForEach(s, get(res, "repeats.samples")) {
		const cJSON *v = cJSON_GetObjectItem(s, keys[m]);

		if (!cJSON_IsNumber(v))
			continue;
		if (!n || v->valuedouble < *lo)
			*lo = v->valuedouble;
		if (!n || v->valuedouble > *hi)
			*hi = v->valuedouble;
		n++;
	}
	if (n < 2) {
		*lo = 1;
		*hi = 0;
	}
}

struct wl {
	char name[256];
	char suite[128], workload[128];
	const cJSON *res;
};

static int workloads(const cJSON *doc, struct wl *out, int max)
{
	const char *mode = cJSON_IsString(get(doc, "mode")) ? get(doc, "mode")->valuestring : "";
	const cJSON *s, *w;
	int n = 0;

	if (!strcmp(mode, "profile")) {
		cJSON_ArrayForEach(s, get(doc, "suites")) cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads")) {
			if (n == max || !cJSON_IsObject(get(w, "results")))
				continue;
			snprintf(out[n].suite, sizeof(out[n].suite), "%s", get(s, "name")->valuestring);
			snprintf(out[n].workload, sizeof(out[n].workload), "%s", get(w, "name")->valuestring);
			snprintf(out[n].name, sizeof(out[n].name), "%s/%s", out[n].suite, out[n].workload);
			out[n++].res = get(w, "results");
		}
	} else if (cJSON_IsObject(get(doc, "results"))) {
		snprintf(out[0].name, sizeof(out[0].name), "%s", mode);
		snprintf(out[0].suite, sizeof(out[0].suite), "%s", mode);
		snprintf(out[0].workload, sizeof(out[0].workload), "%s", mode);
		out[n++].res = get(doc, "results");
	}
	return n;
}

cJSON *diff_ratios(const cJSON *base, const cJSON *doc)
{
	static struct wl bw[512], nw[512]; /* large: not on the stack */
	int nb = workloads(base, bw, 512), nn = workloads(doc, nw, 512);
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < nn; i++) {
		for (int j = 0; j < nb; j++) {
			double a, b;
			cJSON *c;

			if (strcmp(bw[j].name, nw[i].name))
				continue;
			a = metric(nw[i].res, 0);
			b = metric(bw[j].res, 0);
			c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "suite", nw[i].suite);
			cJSON_AddStringToObject(c, "workload", nw[i].workload);
			cJSON_AddNumberToObject(c, "requests_per_sec", isnan(a) ? 0 : a);
			cJSON_AddNumberToObject(c, "baseline_requests_per_sec", isnan(b) ? 0 : b);
			if (!isnan(a) && !isnan(b) && b > 0)
				cJSON_AddNumberToObject(c, "ratio", a / b);
			else
				cJSON_AddNullToObject(c, "ratio");
			cJSON_AddItemToArray(arr, c);
			break;
		}
	}
	return arr;
}

static bool saturated(const cJSON *doc)
{
	static struct wl w[512];
	int n = workloads(doc, w, 512);

	for (int i = 0; i < n; i++)
		if (cJSON_IsTrue(get(w[i].res, "generator.saturated")))
			return true;
	return false;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "threshold", required_argument, NULL, 'T' }, { "fail-on", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },	       { "report", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },	       {},
	};
	struct metric_rule rules[] = {
		{ "requests_per_sec", true, 10, 25 }, { "p50_ms", false, 10, 25 },     { "p99_ms", false, 10, 25 },
		{ "gil_wait_ms", false, 10, 25 },     { "gc_time_ms", false, 10, 25 }, { "ffi_overhead_ms", false, 10, 25 },
	};
	const int nrules = sizeof(rules) / sizeof(rules[0]);
	static const char *const host_keys[] = { "hostname", "cpu_model", "cpu_cores", "memory_gb", "kernel" };
	static struct wl bw[512], nw[512]; /* large: not on the stack */
	char err[512], *md = NULL;
	size_t mdlen = 0;
	FILE *mf = NULL;
	const char *report = NULL;
	bool force = false, fail_warn = false;
	cJSON *base, *new_;
	int ch, nb, nn, counts[4] = {}, ret;
	enum verdict worst = V_IMPROVED;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 'T':
			if (diff_parse_threshold(optarg, rules, nrules, err, sizeof(err))) {
				log_err("diff: %s", err);
				return EXIT_BADINPUT;
			}
			break;
		case 'f':
			if (strcmp(optarg, "warning") && strcmp(optarg, "critical")) {
				log_err("diff: --fail-on: '%s' is not warning or critical", optarg);
				return EXIT_BADINPUT;
			}
			fail_warn = !strcmp(optarg, "warning");
			break;
		case 'F':
			force = true;
			break;
		case 'r':
			report = optarg;
			break;
		case 'h':
			printf(diff_usage);
			return EXIT_OK;
		default:
			cli_getopt_error(ch, argv, err, sizeof(err));
			log_err("diff: %s", err);
			return EXIT_BADINPUT;
		}
	}
	if (argc - optind != 2) {
		log_err("diff: give BASE.json and NEW.json");
		return EXIT_BADINPUT;
	}
	if (report && validate_output_path("--report", report, err, sizeof(err))) { /* harden: up front */
		log_err("diff: %s", err);
		return EXIT_BADINPUT;
	}
	base = profile_read(argv[optind], err, sizeof(err));
	if (!base) {
		log_err("diff: %s", err);
		return EXIT_BADINPUT;
	}
	new_ = profile_read(argv[optind + 1], err, sizeof(err));
	if (!new_) {
		log_err("diff: %s", err);
		cJSON_Delete(base);
		return EXIT_BADINPUT;
	}
	ret = EXIT_BADINPUT;
	if (!force) {
		for (size_t k = 0; k < sizeof(host_keys) / sizeof(host_keys[0]); k++) {
			char path[64];
			char *a, *b;
			bool same;

			snprintf(path, sizeof(path), "metadata.host.%s", host_keys[k]);
			a = cJSON_PrintUnformatted(get(base, path));
			b = cJSON_PrintUnformatted(get(new_, path));
			same = a && b && !strcmp(a, b);
			if (!same)
				log_err("diff: the runs come from different hosts (%s: %s vs %s); compare runs from one "
					"host, or give --force", host_keys[k], a ? a : "none", b ? b : "none");
			free(a);
			free(b);
			if (!same)
				goto out;
		}
		if (saturated(base) || saturated(new_)) {
			log_err("diff: a run's load generator was saturated, so its figures are the generator's "
				"limit; give --force to compare anyway");
			goto out;
		}
	}
	nb = workloads(base, bw, 512);
	nn = workloads(new_, nw, 512);
	if (!nb || !nn) {
		log_err("diff: no workload results in %s", !nb ? argv[optind] : argv[optind + 1]);
		goto out;
	}
	if (report)
		mf = open_memstream(&md, &mdlen);
	printf("%-32s %-18s %14s %14s %9s  %s\n", "workload", "metric", "base", "new", "change", "verdict");
	if (mf)
		fprintf(mf, "| workload | metric | base | new | change | verdict |\n|:---|:---|---:|---:|---:|:---|\n");
	for (int i = 0; i < nn; i++) {
		const cJSON *b = NULL;

		for (int j = 0; j < nb && !b; j++)
			if (!strcmp(bw[j].name, nw[i].name))
				b = bw[j].res;
		if (!b)
			continue;
		for (int m = 0; m < nrules; m++) {
			double bv = metric(b, m), nv = metric(nw[i].res, m), blo, bhi, nlo, nhi, pct;
			enum verdict v;

			if (isnan(bv) || isnan(nv) || bv <= 0)
				continue;
			spread(b, m, &blo, &bhi);
			spread(nw[i].res, m, &nlo, &nhi);
			v = diff_verdict(&rules[m], bv, nv, blo, bhi, nlo, nhi, &pct);
			counts[v]++;
			if (v > worst)
				worst = v;
			printf("%-32s %-18s %14.3f %14.3f %+8.1f%%  %s\n", nw[i].name, rules[m].name, bv, nv, pct,
			       verdict_name(v));
			if (mf)
				fprintf(mf, "| %s | %s | %.3f | %.3f | %+.1f%% | %s%s%s |\n", nw[i].name, rules[m].name, bv,
					nv, pct, v >= V_WARNING ? "**" : "", verdict_name(v), v >= V_WARNING ? "**" : "");
		}
	}
	if (!(counts[0] + counts[1] + counts[2] + counts[3])) {
		log_err("diff: %s and %s have no workload and metric in common", argv[optind], argv[optind + 1]);
		goto out;
	}
	printf("%d improved, %d unchanged, %d regressed-warning, %d regressed-critical\n", counts[V_IMPROVED],
	       counts[V_UNCHANGED], counts[V_WARNING], counts[V_CRITICAL]);
	if (mf) {
		struct file_out fo; /* harden: atomic, every write checked; a full disk is exit 3 */
		char ferr[PATH_MAX + 128];
		FILE *out;

		fclose(mf);
		mf = NULL;
		if (file_out_open(&fo, report, ferr, sizeof(ferr))) {
			log_err("diff: --report: %s", ferr);
			goto out;
		}
		out = fo.f;
		fprintf(out, "## bindprof diff: %s\n\n%d improved, %d unchanged, %d regressed-warning, %d "
			     "regressed-critical (`%s` -> `%s`)\n\n%s",
			worst == V_CRITICAL ? "critical regression" : worst == V_WARNING ? "regression warning"
										: "no regression",
			counts[V_IMPROVED], counts[V_UNCHANGED], counts[V_WARNING], counts[V_CRITICAL], argv[optind],
			argv[optind + 1], md);
		if (file_out_commit(&fo, ferr, sizeof(ferr))) {
			log_err("diff: --report: %s", ferr);
			ret = EXIT_ENV;
			goto out;
		}
	}
	ret = worst == V_CRITICAL || (fail_warn && worst == V_WARNING) ? EXIT_REGRESSION : EXIT_OK;
out:
	if (mf)
		fclose(mf);
	free(md);
	cJSON_Delete(base);
	cJSON_Delete(new_);
	return ret;
}
