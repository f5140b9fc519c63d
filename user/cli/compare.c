/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof compare RUN1.json RUN2.json ...`: frameworks side by side from existing profile files,
 * per workload: throughput and latency per framework, ratios, and whether the difference is
 * significant (exact Mann-Whitney U on the repeats, bootstrap CI of the ratio of medians outside a
 * noise band). No winner is declared from noise. With --frameworks, the rounds are profile runs
 * made in-process (profile_run on an options struct), interleaved. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/compare.h"
#include "output/html.h"
#include "cli/options.h"
#include "cli/profile.h"
#include "core/guardian.h"
#include "inspect/metadata.h"
#include "lib/log.h"
#include "output/reader.h"
#include "stats/stats.h"
#include "lib/util.h"
#include "lib/file.h"     /* harden: atomic --report */
#include "lib/validate.h" /* harden: output paths up front */
#include "load/appmanifest.h"
#include "output/document.h"
#include "stats/gate.h"
#include "stats/repeats.h"
#include "stats/wlhealth.h"
#include "stats/stats.h"

#define MAX_SAMPLES COMPARE_MAX_ROUNDS

enum {
	C_NOISE = PO_MAX_ID + 1, C_REPORT, C_HTML, C_FRAMEWORKS, C_APPS, C_ROUNDS, C_FORCE, C_PROFILE_ALL,
};

/* compare's own options, then profile's load and probe options (their ids are profile's: the
 * values go straight into the rounds' struct profile_opts). */
const struct cli_option compare_options[] = {
	{ "frameworks", 0, C_FRAMEWORKS, "A,B[,C...]", "run these apps, each DIR/NAME/bindprof-app.json", 0 },
	{ "apps", 0, C_APPS, "DIR", "the apps' directory (with --frameworks)", 0 },
	{ "repeats", 0, C_ROUNDS, "K", "interleaved rounds per framework (default 9; with --frameworks)", 0 },
	{ "suite", 0, PO_SUITE, "S", "as profile's (with --frameworks, as the options below)", 0 },
	{ "duration", 0, PO_DURATION, "S", "as profile's", 0 },
	{ "warmup", 0, PO_WARMUP, "S", "as profile's", 0 },
	{ "concurrency", 0, PO_CONCURRENCY, "N", "as profile's", 0 },
	{ "threads", 't', PO_THREADS, "N", "as profile's", 0 },
	{ "rate", 0, PO_RATE, "RPS", "as profile's", 0 },
	{ "probes", 0, PO_PROBES, "LIST", "the first round's probes, as profile's (default gil,gc,ffi,requests,stacks)", 0 },
	{ "ready-timeout", 0, PO_READY_TIMEOUT, "S", "as profile's", 0 },
	{ "ffi", 0, PO_FFI, "LIB[:GLOB]", "as profile's", CLI_OPT_REPEAT },
	{ "noise", 0, C_NOISE, "PCT", "the minimum effect: a smaller difference names no winner (default 2); the noise "
	  "band itself comes from the repeats' own spread", 0 },
	{ "profile-all", 0, C_PROFILE_ALL, NULL, "a profiled pass in every round, not only the first (with "
	  "--frameworks): the per-request GIL wait, GC and FFI time get one sample a round, so diff gates them "
	  "from 3 rounds on; about doubles the run time", 0 },
	{ "force", 0, C_FORCE, NULL, "compare result files from different hosts, load configurations, under high "
	  "host load or with a saturated load generator; with --frameworks, compare rounds run under high host "
	  "load", 0 },
	{ "output", 'o', PO_OUTPUT, "FILE", "the compare JSON (default bindprof-compare.json with --frameworks)", 0 },
	{ "report", 0, C_REPORT, "FILE.md", "a markdown report", 0 },
	{ "html", 0, C_HTML, "FILE.html", "also write the comparison as a self-contained HTML page with charts (needs the "
	  "compare JSON: -o, or --frameworks' default)", 0 },
	{ "help", 'h', PO_HELP, NULL, "this help", 0 },
	{},
};

void compare_usage(FILE *f)
{
	cli_options_usage(f, "bindprof compare", "[RUN1.json RUN2.json [RUN3.json...]]",
			  compare_options,
			  "Compare frameworks (or builds) workload by workload. With --frameworks, each is an app in "
			  "DIR/NAME/bindprof-app.json (name, version, language, runtime, start, port, health_path); "
			  "its start command runs in DIR/NAME with PORT set. The rounds are interleaved, K of them, "
			  "in alternating order (A B, B A, ...): each round is one profile run per framework, the "
			  "first round profiled, the others clean. Each framework's merged profile is written next "
			  "to -o (FILE.NAME.json). The winner of a workload is named only when the difference is "
			  "significant by diff's procedure (docs/CI.md): the Mann-Whitney confidence interval of the "
			  "ratio over the repeats outside the noise band of the runs' own spread, and at least the "
			  "minimum effect (--noise); a failed workload (success below 99%, mostly 4xx/5xx) never "
			  "wins. Result files go through diff's input checks (hosts, load configuration, host load, "
			  "saturation) unless --force.",
			  NULL);
}

static int compare_opt(struct compare_opts *o, int id, const char *arg, char *err, int errlen)
{
	long l;

	switch (id) {
	case C_NOISE:
		if (parse_seconds(arg, 100, &o->noise)) {
			snprintf(err, errlen, "--noise: invalid percent '%s'", arg);
			return -EINVAL;
		}
		return 0;
	case PO_OUTPUT: o->output = arg; return 0;
	case C_REPORT: o->report = arg; return 0;
	case C_HTML: o->html = arg; return 0;
	case C_FRAMEWORKS: o->frameworks = arg; return 0;
	case C_APPS: o->apps = arg; return 0;
	case C_FORCE: o->force = true; return 0;
	case C_PROFILE_ALL: o->profile_all = true; return 0;
	case PO_HELP: o->help = true; return 0;
	case C_ROUNDS:
		if (parse_long(arg, 1, 1000, &l)) {
			snprintf(err, errlen, "--repeats: invalid number '%s'", arg);
			return -EINVAL;
		}
		o->rounds = (int)l;
		o->rounds_given = true;
		return 0;
	}
	o->load_given = true;
	return profile_opt_apply(&o->prof, id, arg, err, errlen);
}

int compare_opts_parse(int argc, char **argv, struct compare_opts *o, char *err, int errlen)
{
	struct cli_parser p;
	int id;

	memset(o, 0, sizeof(*o));
	profile_opts_defaults(&o->prof);
	o->noise = 2;
	o->rounds = 9;
	if (cli_parser_init(&p, compare_options, argc, argv, 0))
		return -EINVAL;
	while ((id = cli_parser_next(&p, err, errlen)) > 0)
		if (compare_opt(o, id, p.arg, err, errlen))
			return -EINVAL;
	if (id < 0)
		return -EINVAL;
	if (o->help)
		return 0;
	o->files = (const char *const *)argv + p.operands;
	o->nfiles = argc - p.operands;
	if (o->prof.threads > o->prof.concurrency)
		o->prof.threads = o->prof.concurrency;
	if (o->frameworks || o->apps) {
		if (!o->frameworks || !o->apps) {
			snprintf(err, errlen, "--frameworks and --apps go together (the apps DIR/NAME/%s)", APP_MANIFEST);
			return -EINVAL;
		}
		if (o->nfiles) {
			snprintf(err, errlen, "give either --frameworks with --apps or result files, not both ('%s')",
				 o->files[0]);
			return -EINVAL;
		}
		if (o->rounds > MAX_SAMPLES) {
			snprintf(err, errlen, "--repeats: at most %d", MAX_SAMPLES);
			return -EINVAL;
		}
		return 0;
	}
	if (o->profile_all) {
		snprintf(err, errlen, "--profile-all applies to --frameworks runs only");
		return -EINVAL;
	}
	if (o->load_given || o->rounds_given) {
		snprintf(err, errlen, "--suite, --repeats and the load options apply to --frameworks runs only");
		return -EINVAL;
	}
	if (o->nfiles < 2 || o->nfiles > COMPARE_MAX_RUNS) {
		snprintf(err, errlen, "give 2 to %d profile files, or --frameworks A,B --apps DIR", COMPARE_MAX_RUNS);
		return -EINVAL;
	}
	return 0;
}

/* ---- the comparison of loaded profile documents ---- */

struct run {
	const char *path;
	char name[128];
	cJSON *doc;
	const cJSON *manifest; /* --frameworks: the app's manifest, echoed in the output */
};

static int samples_of(const cJSON *res, double *out)
{
	const cJSON *s;
	int n = 0;

	cJSON_ArrayForEach(s, profile_get(res, "repeats.samples")) {
		const cJSON *v = cJSON_GetObjectItem(s, "requests_per_sec");

		if (cJSON_IsNumber(v) && n < MAX_SAMPLES)
			out[n++] = v->valuedouble;
	}
	if (!n && cJSON_IsNumber(profile_get(res, "throughput.requests_per_sec")))
		out[n++] = profile_get(res, "throughput.requests_per_sec")->valuedouble;
	return n;
}

static const cJSON *find_workload(const cJSON *doc, const char *suite, const char *name)
{
	const cJSON *s, *w;

	cJSON_ArrayForEach(s, profile_get(doc, "suites")) {
		if (!cJSON_IsString(cJSON_GetObjectItem(s, "name")) || strcmp(cJSON_GetObjectItem(s, "name")->valuestring, suite))
			continue;
		cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads"))
			if (cJSON_IsString(cJSON_GetObjectItem(w, "name")) &&
			    !strcmp(cJSON_GetObjectItem(w, "name")->valuestring, name) &&
			    cJSON_IsObject(cJSON_GetObjectItem(w, "results")))
				return cJSON_GetObjectItem(w, "results");
	}
	return NULL;
}

static void run_name(struct run *r, const char *path)
{
	const cJSON *fwn = profile_get(r->doc, "metadata.framework");
	char tmp[4096];

	if (cJSON_IsString(fwn) && *fwn->valuestring) {
		snprintf(r->name, sizeof(r->name), "%s", fwn->valuestring);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(r->name, sizeof(r->name), "%s", basename(tmp));
}

/* One workload across the runs: the figures and the test between the two fastest. */
struct cmp_row {
	const char *suite, *workload;
	const cJSON *res[COMPARE_MAX_RUNS];
	double med[COMPARE_MAX_RUNS];
	int ns[COMPARE_MAX_RUNS];
	int best, second;
	double p, u, lo, hi, ratio, minp;
	bool significant;
	bool failed[COMPARE_MAX_RUNS]; /* a failed workload (stats/wlhealth.h) is never a winner */
	char reason[200];              /* the verdict's reason (stats/verdict.h) */
	double conf, band;             /* the ratio CI's coverage; the noise band (percent) */
};

/* The row of workload suite/name, or false when a run lacks it. */
static bool compute_row(struct run *runs, int nruns, double noise, const char *sn, const char *wn, struct cmp_row *r)
{
	static double smp[COMPARE_MAX_RUNS][MAX_SAMPLES];

	memset(r, 0, sizeof(*r));
	r->suite = sn;
	r->workload = wn;
	for (int i = 0; i < nruns; i++) {
		r->res[i] = find_workload(runs[i].doc, sn, wn);
		r->ns[i] = r->res[i] ? samples_of(r->res[i], smp[i]) : 0;
		if (!r->ns[i])
			return false;
		r->med[i] = stats_median(smp[i], r->ns[i]);
		{
			struct wl_health h;

			r->failed[i] = !wl_health_of(r->res[i], 0, &h) && h.failed;
		}
	}
	/* the fastest workload that did not fail, against the next fastest */
	r->best = -1;
	for (int i = 0; i < nruns; i++)
		if (!r->failed[i] && (r->best < 0 || r->med[i] > r->med[r->best]))
			r->best = i;
	if (r->best < 0)
		r->best = 0;
	r->second = -1;
	for (int i = 0; i < nruns; i++)
		if (i != r->best && (r->second < 0 || r->med[i] > r->med[r->second]))
			r->second = i;
	{
		/* the one procedure of diff (stats/verdict.h): the best as "new" against the second;
		 * --noise is the minimum effect, the noise band comes from the repeats' own spread */
		struct vd_rule rule = { "requests_per_sec", true, noise, INFINITY, false };
		struct vd_result vr;

		vd_compare(&rule, smp[r->second], r->ns[r->second], smp[r->best], r->ns[r->best], NULL, &vr);
		r->p = vr.p_value;
		r->lo = vr.ratio_ci[0];
		r->hi = vr.ratio_ci[1];
		r->minp = vr.min_p;
		r->conf = vr.ratio_ci_level;
		r->band = vr.noise_pct;
		r->significant = !r->failed[r->best] && vr.verdict == VD_IMPROVED;
		snprintf(r->reason, sizeof(r->reason), "%s", r->failed[r->best] ? "every run's workload failed" : vr.reason);
	}
	r->ratio = r->med[r->best] / r->med[r->second];
	return true;
}

/* Every workload of the first run that all runs have. *rows allocated; how many. */
static int compute_rows(struct run *runs, int nruns, double noise, struct cmp_row **rows)
{
	const cJSON *s0, *w0;
	int n = 0, cap = 0;

	*rows = NULL;
	cJSON_ArrayForEach(s0, profile_get(runs[0].doc, "suites"))
	cJSON_ArrayForEach(w0, cJSON_GetObjectItem(s0, "workloads")) {
		const cJSON *sn = cJSON_GetObjectItem(s0, "name"), *wn = cJSON_GetObjectItem(w0, "name");

		if (!cJSON_IsString(sn) || !cJSON_IsString(wn))
			continue;
		if (n == cap) {
			struct cmp_row *g = realloc(*rows, (cap = cap ? 2 * cap : 16) * sizeof(**rows));

			if (!g)
				return n;
			*rows = g;
		}
		if (compute_row(runs, nruns, noise, sn->valuestring, wn->valuestring, &(*rows)[n]))
			n++;
	}
	return n;
}

static const char *verdict_word(const struct cmp_row *r)
{
	return r->significant ? "significant" : r->ns[r->best] < VD_MIN_SAMPLES || r->ns[r->second] < VD_MIN_SAMPLES
								    ? "too few repeats" : "within noise";
}

/* The verdict column: the word, then the frameworks whose workload failed, with the first one's
 * reason (a framework answering every request 404 printed its 4132 req/s as "within noise" beside
 * the other's, the failure only in the JSON's `failed`). Returns a static buffer (one row at a time). */
static const char *verdict(const struct cmp_row *r, const struct run *runs, int nruns)
{
	static char buf[512];
	int nf = 0;

	/* a failed side leaves nothing to compare: its rate counts errors */
	snprintf(buf, sizeof(buf), "%s", r->failed[r->best] || r->failed[r->second] ? "not compared" : verdict_word(r));
	for (int i = 0; i < nruns; i++) {
		struct wl_health h;

		if (!r->failed[i])
			continue;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", nf++ ? ", " : "; failed: ", runs[i].name);
		if (nf == 1 && !wl_health_of(r->res[i], 0, &h) && h.reason[0])
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ": %s", h.reason);
	}
	return buf;
}

static cJSON *row_json(const struct cmp_row *r, const struct run *runs, int nruns, double noise)
{
	cJSON *wr = cJSON_CreateObject(), *per, *cmp, *ratios, *sig;

	cJSON_AddStringToObject(wr, "suite", r->suite);
	cJSON_AddStringToObject(wr, "workload", r->workload);
	per = cJSON_AddObjectToObject(wr, "frameworks");
	for (int i = 0; i < nruns; i++) {
		cJSON *f = cJSON_AddObjectToObject(per, runs[i].name);
		const cJSON *p50 = profile_get(r->res[i], "latency.median_ms"), *p99 = profile_get(r->res[i], "latency.p99_ms");

		cJSON_AddNumberToObject(f, "requests_per_sec", r->med[i]);
		cJSON_AddNumberToObject(f, "repeats", r->ns[i]);
		if (cJSON_IsNumber(p50))
			cJSON_AddNumberToObject(f, "p50_ms", p50->valuedouble);
		if (cJSON_IsNumber(p99))
			cJSON_AddNumberToObject(f, "p99_ms", p99->valuedouble);
	}
	cmp = cJSON_AddObjectToObject(wr, "comparison");
	if (r->significant)
		cJSON_AddStringToObject(cmp, "winner", runs[r->best].name);
	else
		cJSON_AddNullToObject(cmp, "winner");
	ratios = cJSON_AddObjectToObject(cmp, "performance_ratios");
	for (int i = 0; i < nruns; i++)
		for (int j = 0; j < nruns; j++) {
			char key[300];

			if (i == j)
				continue;
			snprintf(key, sizeof(key), "%s_vs_%s", runs[i].name, runs[j].name);
			cJSON_AddNumberToObject(ratios, key, r->med[i] / r->med[j]);
		}
	sig = cJSON_AddObjectToObject(cmp, "statistical_significance");
	cJSON_AddStringToObject(sig, "test", "mann-whitney-u");
	cJSON_AddStringToObject(sig, "between", runs[r->best].name);
	cJSON_AddStringToObject(sig, "and", runs[r->second].name);
	cJSON_AddNumberToObject(sig, "p_value", r->p);
	cJSON_AddBoolToObject(sig, "significant", r->significant);
	cJSON_AddNumberToObject(sig, "ratio_of_medians", r->ratio);
	cJSON_AddNumberToObject(sig, "ci_low", r->lo);
	cJSON_AddNumberToObject(sig, "ci_high", r->hi);
	if (isfinite(r->conf))
		cJSON_AddNumberToObject(sig, "confidence", r->conf);
	else
		cJSON_AddNullToObject(sig, "confidence");
	if (isfinite(r->band))
		cJSON_AddNumberToObject(sig, "noise_band_percent", r->band);
	else
		cJSON_AddNullToObject(sig, "noise_band_percent");
	cJSON_AddNumberToObject(sig, "min_effect_percent", noise);
	cJSON_AddStringToObject(sig, "note", r->reason);
	{
		cJSON *fl = cJSON_AddArrayToObject(wr, "failed");

		for (int i = 0; i < nruns; i++)
			if (r->failed[i])
				cJSON_AddItemToArray(fl, cJSON_CreateString(runs[i].name));
	}
	return wr;
}

/* Workloads won per run, and the overall winner (most won; -1 when none won). */
static int tally(const struct cmp_row *rows, int n, int nruns, int *won, int *nsig, double *gain_sum)
{
	int top = -1;

	*nsig = 0;
	*gain_sum = 0;
	memset(won, 0, nruns * sizeof(*won));
	for (int k = 0; k < n; k++)
		if (rows[k].significant) {
			won[rows[k].best]++;
			(*nsig)++;
			*gain_sum += (rows[k].ratio - 1) * 100;
		}
	for (int i = 0; i < nruns; i++)
		if (won[i] && (top < 0 || won[i] > won[top]))
			top = i;
	return top;
}

static cJSON *summary_json(const struct cmp_row *rows, int n, const struct run *runs, int nruns)
{
	cJSON *sum = cJSON_CreateObject(), *wonj;
	int won[COMPARE_MAX_RUNS], nsig, top;
	double gain;

	top = tally(rows, n, nruns, won, &nsig, &gain);
	if (top >= 0)
		cJSON_AddStringToObject(sum, "overall_winner", runs[top].name);
	else
		cJSON_AddNullToObject(sum, "overall_winner");
	cJSON_AddNumberToObject(sum, "workloads", n);
	cJSON_AddNumberToObject(sum, "significant_workloads", nsig);
	if (nsig)
		cJSON_AddNumberToObject(sum, "average_performance_gain_percent", gain / nsig);
	else
		cJSON_AddNullToObject(sum, "average_performance_gain_percent");
	wonj = cJSON_AddObjectToObject(sum, "workloads_won");
	for (int i = 0; i < nruns; i++)
		cJSON_AddNumberToObject(wonj, runs[i].name, won[i]);
	return sum;
}

static void summary_line(FILE *f, const struct cmp_row *rows, int n, const struct run *runs, int nruns)
{
	int won[COMPARE_MAX_RUNS], nsig, top;
	double gain;

	top = tally(rows, n, nruns, won, &nsig, &gain);
	fprintf(f, "%d workloads, %d with a significant winner; overall winner: %s\n", n, nsig,
		top >= 0 ? runs[top].name : "none");
}

static void print_table(const struct cmp_row *rows, int n, const struct run *runs, int nruns)
{
	printf("%-30s", "workload");
	for (int i = 0; i < nruns; i++)
		printf(" %14.14s", runs[i].name);
	printf("  %-14s %8s %8s  %s\n", "winner", "ratio", "p", "verdict");
	for (int k = 0; k < n; k++) {
		const struct cmp_row *r = &rows[k];

		printf("%-30s", r->workload);
		for (int i = 0; i < nruns; i++)
			printf(" %14.1f", r->med[i]);
		printf("  %-14.14s %8.3f %8.4f  %s\n", r->significant ? runs[r->best].name : "-", r->ratio, r->p,
		       verdict(r, runs, nruns));
	}
	summary_line(stdout, rows, n, runs, nruns);
}

static int write_markdown(const char *path, const struct cmp_row *rows, int n, const struct run *runs, int nruns)
{
	struct file_out fo; /* harden: atomic, every write checked; a full disk is exit 3 */
	char ferr[PATH_MAX + 128];
	FILE *md;

	if (file_out_open(&fo, path, ferr, sizeof(ferr))) {
		log_err("compare: --report: %s", ferr);
		return EXIT_BADINPUT;
	}
	md = fo.f;
	for (int k = 0; k < n; k++) {
		const struct cmp_row *r = &rows[k];

		fprintf(md, "%s| %s/%s | %s | %.3f | %.4f | [%.3f, %.3f] | %s |\n",
			k ? "" : "| workload | winner | ratio | p | 90% CI | verdict |\n|:---|:---|---:|---:|:---|:---|\n",
			r->suite, r->workload, r->significant ? runs[r->best].name : "-", r->ratio, r->p, r->lo, r->hi,
			r->significant ? "**significant**" : verdict(r, runs, nruns));
	}
	fputc('\n', md);
	summary_line(md, rows, n, runs, nruns);
	if (file_out_commit(&fo, ferr, sizeof(ferr))) {
		log_err("compare: --report: %s", ferr);
		return EXIT_ENV;
	}
	return EXIT_OK;
}

static cJSON *compare_doc(const struct cmp_row *rows, int n, const struct run *runs, int nruns, double noise,
			  cJSON *cfg, const char *partial)
{
	cJSON *out = profile_new("compare"), *fw, *results;

	cJSON_AddItemToObject(out, "metadata", metadata_to_json(NULL, NULL));
	fw = cJSON_AddArrayToObject(out, "frameworks");
	for (int i = 0; i < nruns; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", runs[i].name);
		cJSON_AddStringToObject(f, "file", runs[i].path);
		if (runs[i].manifest)
			cJSON_AddItemToObject(f, "app", cJSON_Duplicate(runs[i].manifest, true));
		cJSON_AddItemToArray(fw, f);
	}
	if (partial)
		profile_set_partial(out, partial);
	cJSON_AddNumberToObject(cfg, "min_effect_percent", noise);
	cJSON_AddStringToObject(cfg, "test", "mann-whitney-u");
	cJSON_AddItemToObject(out, "configuration", cfg);
	results = cJSON_AddArrayToObject(out, "results");
	for (int k = 0; k < n; k++)
		cJSON_AddItemToArray(results, row_json(&rows[k], runs, nruns, noise));
	cJSON_AddItemToObject(out, "summary", summary_json(rows, n, runs, nruns));
	return out;
}

/* The comparison of loaded profile docs, workload by workload: the rows computed once, then the
 * table, the markdown report and the compare JSON printed from them. cfg: the configuration
 * object (taken). */
static int compare_runs(struct run *runs, int nruns, double noise, cJSON *cfg, const char *partial,
			const char *output, const char *report)
{
	struct cmp_row *rows = NULL;
	int n = compute_rows(runs, nruns, noise, &rows), ret = EXIT_OK, e;
	cJSON *out = compare_doc(rows, n, runs, nruns, noise, cfg, partial);

	print_table(rows, n, runs, nruns);
	if (report)
		ret = write_markdown(report, rows, n, runs, nruns);
	if (!ret && !n) {
		log_err("compare: the runs have no workload in common");
		ret = EXIT_BADINPUT;
	}
	if (!ret && output && (e = profile_write(out, output))) {
		log_err("compare: writing '%s': %s", output, strerror(-e));
		ret = exit_of_write_error(e);
	}
	/* a framework whose workload failed (mostly 4xx/5xx) was not compared: a CI must not read the
	 * comparison as passed (it exited 0 with every answer of one framework a 404) */
	for (int i = 0; !ret && i < n; i++)
		for (int k = 0; k < nruns; k++)
			if (rows[i].failed[k]) {
				log_err("compare: %s failed %s/%s (no winner named; the reason is in the table and the "
					"JSON's `failed`)", runs[k].name, rows[i].suite, rows[i].workload);
				ret = EXIT_TARGET;
				break;
			}
	cJSON_Delete(out);
	free(rows);
	return ret;
}

/* ---- compare --frameworks A,B --apps DIR: every app's profile, in-process, interleaved ---- */

struct fw {
	struct app_manifest m;
	char path[4096 + 160];                      /* its merged profile: OUT.NAME.json */
	struct profile_result rounds[MAX_SAMPLES];
	int nr;
};

static int load_manifests(const struct compare_opts *co, struct fw *fw, int *n)
{
	char list[4096], *save, *tok, err[600], abs[PATH_MAX];

	*n = 0;
	snprintf(list, sizeof(list), "%s", co->frameworks);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct app_manifest *m = &fw[*n].m;

		if (*n == COMPARE_MAX_RUNS) {
			log_err("compare: --frameworks: at most %d", COMPARE_MAX_RUNS);
			return EXIT_BADINPUT;
		}
		if (app_manifest_load(co->apps, tok, m, err, sizeof(err))) {
			log_err("compare: %s", err);
			return EXIT_BADINPUT;
		}
		for (int i = 0; i < *n; i++)
			if (!strcmp(fw[i].m.label, m->label)) {
				log_err("compare: --frameworks: '%s' is given twice", m->label);
				return EXIT_BADINPUT;
			}
		(*n)++;
	}
	if (*n < 2) {
		log_err("compare: --frameworks: give at least two (A,B)");
		return EXIT_BADINPUT;
	}
	for (int i = 0; i < *n; i++) {
		if (!realpath(fw[i].m.dir, abs)) {
			log_err("compare: %s: %s", fw[i].m.dir, strerror(errno));
			return EXIT_BADINPUT;
		}
		snprintf(fw[i].m.dir, sizeof(fw[i].m.dir), "%s", abs);
	}
	return EXIT_OK;
}

/* Each framework's merged profile OUT.NAME.json (OUT without .json, made absolute) and the log. */
static void output_paths(const char *output, struct fw *fw, int n, char *log_path, size_t len)
{
	char abs_out[4096], *dot;

	if (output[0] != '/' && getcwd(abs_out, sizeof(abs_out)))
		snprintf(abs_out + strlen(abs_out), sizeof(abs_out) - strlen(abs_out), "/%s", output);
	else
		snprintf(abs_out, sizeof(abs_out), "%s", output);
	for (int i = 0; i < n; i++) {
		snprintf(fw[i].path, sizeof(fw[i].path), "%s", abs_out);
		dot = strrchr(fw[i].path, '.');
		if (dot && !strcmp(dot, ".json") && !strchr(dot, '/'))
			*dot = '\0';
		snprintf(fw[i].path + strlen(fw[i].path), sizeof(fw[i].path) - strlen(fw[i].path), ".%s.json", fw[i].m.label);
	}
	snprintf(log_path, len, "%.4000s.log", abs_out);
	unlink(log_path);
}

/* One round of one framework: profile_run on the app, its cwd the app's directory, its output in
 * compare's log. Round 0 is the profiled one; later rounds are clean passes only. The round's
 * result is kept when it has a document (also when interrupted). An exit status. */
static int run_round(const struct compare_opts *co, struct fw *f, int round, const char *log_path)
{
	struct profile_opts po = co->prof;
	char url[64];
	FILE *log = fopen(log_path, "a");
	int st;

	if (log) {
		fprintf(log, "==== %s, round %d: the app's output ====\n", f->m.label, round + 1);
		fclose(log);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->m.port);
	po.url = url;
	po.app_cmd = f->m.start;
	po.pid = 0;
	po.health_path = f->m.health_path;
	po.framework = f->m.label;
	po.repeats = 1;
	po.single_pass = false;
	po.table = false;
	po.quiet = true;
	po.allow_errors = true; /* a failed workload is compare's to judge: never a winner */
	po.output = NULL;
	po.files_base = f->path; /* its folded stacks: OUT.NAME.SUITE.WORKLOAD.folded */
	po.baseline = NULL;
	po.app_dir = f->m.dir;
	po.app_port = f->m.port;
	po.app_log = log_path;
	if (round > 0 && !co->profile_all)
		po.probes = 0;
	st = profile_run(&po, &f->rounds[f->nr]);
	if (f->rounds[f->nr].doc)
		f->nr++;
	return st;
}

static cJSON *manifest_json(const struct app_manifest *m)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "name", m->name);
	cJSON_AddStringToObject(j, "version", m->version);
	cJSON_AddStringToObject(j, "language", m->language);
	cJSON_AddStringToObject(j, "runtime", m->runtime);
	cJSON_AddStringToObject(j, "start", m->start);
	cJSON_AddNumberToObject(j, "port", m->port);
	cJSON_AddStringToObject(j, "health_path", m->health_path);
	cJSON_AddStringToObject(j, "dir", m->dir);
	return j;
}

/* Workload wi across the rounds: its results object, from the round whose clean pass is nearest
 * the median, with round 0's profiled sections and the rounds' repeats. NULL when no round has it. */
static cJSON *merge_workload(struct fw *f, int wi)
{
	static const char *const sections[] = { "profiling", "overhead", "lost_events", "profiled_throughput" };
	struct repeat_sample smp[MAX_SAMPLES];
	const cJSON *src[MAX_SAMPLES], *r0 = wi < f->rounds[0].nw ? f->rounds[0].w[wi].results : NULL;
	struct repeats rep;
	cJSON *pick;
	int k = 0;

	for (int r = 0; r < f->nr; r++) {
		const struct profile_workload *w = wi < f->rounds[r].nw ? &f->rounds[r].w[wi] : NULL;

		if (w && w->n > 0 && w->results) {
			smp[k] = w->samples[0];
			src[k++] = w->results;
		}
	}
	if (!k || repeats_build(smp, k, &rep))
		return NULL;
	pick = cJSON_Duplicate(src[rep.pick], true);
	for (size_t s = 0; r0 && src[rep.pick] != r0 && s < ARRAY_SIZE(sections); s++)
		if (cJSON_GetObjectItem(r0, sections[s]))
			cJSON_ReplaceItemInObject(pick, sections[s], cJSON_Duplicate(cJSON_GetObjectItem(r0, sections[s]), true));
	cJSON_DeleteItemFromObject(pick, "repeats");
	cJSON_AddItemToObject(pick, "repeats", repeats_json(&rep, smp, true));
	{
		/* each round's CPU per request, USS, error rate and others' CPU share, for diff */
		cJSON *x;
		int i = 0;

		cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(pick, "repeats"), "samples")) {
			if (i < k)
				gate_sample_extras(x, src[i]);
			i++;
		}
	}
	return pick;
}

/* One framework's rounds folded into one profile document (round 0's, taken): each round's clean
 * pass is one repeat. */
static cJSON *merge_rounds(struct fw *f)
{
	cJSON *doc = f->rounds[0].doc, *s, *w, *cfg;
	int wi = 0;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "suites"))
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads")) {
		cJSON *merged = merge_workload(f, wi);

		if (merged) {
			cJSON_ReplaceItemInObject(w, "results", merged);
			f->rounds[0].w[wi].results = merged;
		}
		wi++;
	}
	f->rounds[0].doc = NULL;
	cfg = cJSON_GetObjectItem(doc, "configuration");
	if (cfg) {
		cJSON_ReplaceItemInObject(cfg, "repeats", cJSON_CreateNumber(f->nr));
		cJSON_AddStringToObject(cfg, "repeats_method", "interleaved rounds of bindprof compare --frameworks "
							       "(alternating order), one clean pass each; profiled in round 1");
	}
	return doc;
}

/* Interleaved and counterbalanced, A B C, C B A, A B C, ...: drift on the machine falls on every
 * framework alike, and none always runs first or right after another's load. An exit status;
 * *partial set when a signal stopped the rounds. */
static int run_rounds(const struct compare_opts *co, struct fw *fw, int n, const char *log_path, const char **partial)
{
	double t0 = now_ns() / 1e9;
	int done = 0, total = co->rounds * n;

	for (int r = 0; r < co->rounds && !*partial; r++) {
		for (int j = 0; j < n; j++) {
			int i = r % 2 ? n - 1 - j : j, st;

			/* the estimate: the runs done so far, each a whole profile run (app start, every
			 * workload's warmup, passes and profiled pass, stop), times the runs left */
			if (done)
				printf("compare: round %d/%d: %s (run %d of %d; about %.0f s left)\n", r + 1, co->rounds,
				       fw[i].m.label, done + 1, total, (now_ns() / 1e9 - t0) / done * (total - done));
			else
				printf("compare: round %d/%d: %s (run 1 of %d)\n", r + 1, co->rounds, fw[i].m.label, total);
			fflush(stdout);
			done++;
			st = run_round(co, &fw[i], r, log_path);
			if (signals_pending()) {
				*partial = "interrupted"; /* what the interrupted round measured is kept */
				break;
			}
			if (st) {
				log_err("compare: %s, round %d: profile failed (status %d); the app's output is in %s",
					fw[i].m.label, r + 1, st, log_path);
				return st == EXIT_BADINPUT ? EXIT_BADINPUT : EXIT_TARGET;
			}
		}
	}
	return EXIT_OK;
}

/* The configuration of the comparison, from the first framework's merged profile. */
static cJSON *apps_config(const struct compare_opts *co, const cJSON *doc0, int rounds)
{
	static const char *const keep[] = { "duration_secs", "warmup_secs", "concurrency", "threads", "rate", "suite", "probes" };
	cJSON *cfg = cJSON_CreateObject(), *p0 = cJSON_GetObjectItem(doc0, "configuration");

	for (size_t f = 0; p0 && f < ARRAY_SIZE(keep); f++)
		if (cJSON_GetObjectItem(p0, keep[f]))
			cJSON_AddItemToObject(cfg, keep[f], cJSON_Duplicate(cJSON_GetObjectItem(p0, keep[f]), true));
	if (!cJSON_GetObjectItem(cfg, "duration_secs"))
		cJSON_AddNullToObject(cfg, "duration_secs");
	if (!cJSON_GetObjectItem(cfg, "probes"))
		cJSON_AddArrayToObject(cfg, "probes");
	cJSON_AddNumberToObject(cfg, "repeats", rounds);
	cJSON_AddStringToObject(cfg, "order", "interleaved, alternating (A B, B A, ...)");
	cJSON_AddStringToObject(cfg, "apps", co->apps);
	return cfg;
}

/* The rounds of f during which some workload's clean pass ran under high host load (its
 * results.host_load.high, recorded by profile from /proc); why: the first one's reason. */
static int rounds_high(const struct fw *f, char *why, size_t len)
{
	int k = 0;

	why[0] = '\0';
	for (int r = 0; r < f->nr; r++) {
		bool high = false;

		for (int wi = 0; wi < f->rounds[r].nw && !high; wi++) {
			const cJSON *hl = profile_get(f->rounds[r].w[wi].results, "host_load");

			high = cJSON_IsTrue(cJSON_GetObjectItem(hl, "high"));
			if (high && !why[0] && cJSON_IsString(cJSON_GetObjectItem(hl, "reason")))
				snprintf(why, len, "round %d: %s", r + 1, cJSON_GetObjectItem(hl, "reason")->valuestring);
		}
		k += high;
	}
	return k;
}

/* Merge each framework's rounds, write its profile, and fill runs[]: a framework some of whose
 * rounds ran under high host load is warned about, on stderr and in its file. An exit status. */
static int merge_frameworks(struct fw *fw, int n, const char *partial, struct run *runs, cJSON **manifests)
{
	for (int i = 0; i < n; i++) {
		char why[400];
		int e, high;

		if (!fw[i].nr)
			continue;
		high = rounds_high(&fw[i], why, sizeof(why));
		runs[i].doc = merge_rounds(&fw[i]);
		if (high) {
			log_warn("compare: %s: %d of %d rounds ran under high host load (%s)", fw[i].m.label, high,
				 fw[i].nr, why);
			profile_warn(runs[i].doc, "host_load", "%d of %d rounds ran under high host load (%s)", high,
				     fw[i].nr, why);
		}
		if (partial)
			profile_set_partial(runs[i].doc, partial);
		runs[i].path = fw[i].path;
		snprintf(runs[i].name, sizeof(runs[i].name), "%s", fw[i].m.label);
		manifests[i] = manifest_json(&fw[i].m);
		runs[i].manifest = manifests[i];
		if ((e = profile_write(runs[i].doc, fw[i].path))) {
			log_err("compare: writing '%s': %s", fw[i].path, strerror(-e));
			return exit_of_write_error(e);
		}
	}
	return EXIT_OK;
}

/* The merged rounds through diff's input checks (host load and saturation: the host and the
 * configuration are the same by construction), unless --force. EXIT_OK, or EXIT_ENV: the host was
 * too busy for a verdict (the per-framework files are written). */
static int rounds_comparable(const struct compare_opts *co, struct run *runs, int n)
{
	struct gate_opts g;
	char err[600];

	gate_opts_init(&g);
	g.force = co->force;
	for (int i = 1; i < n; i++)
		if (gate_inputs_ok(runs[0].doc, runs[i].doc, &g, err, sizeof(err))) {
			log_err("compare: %s and %s: %s (the per-framework files %s and %s are written)", runs[0].name,
				runs[i].name, err, runs[0].path, runs[i].path);
			return EXIT_ENV;
		}
	return EXIT_OK;
}

static int compare_apps(const struct compare_opts *co)
{
	const char *output = co->output ? co->output : "bindprof-compare.json", *partial = NULL;
	struct fw *fw = calloc(COMPARE_MAX_RUNS, sizeof(*fw));
	struct run runs[COMPARE_MAX_RUNS] = {};
	cJSON *manifests[COMPARE_MAX_RUNS] = {};
	char log_path[4096 + 16];
	int n = 0, missing = 0, ret;

	if (!fw)
		return EXIT_ENV;
	if ((ret = load_manifests(co, fw, &n)))
		goto out;
	output_paths(output, fw, n, log_path, sizeof(log_path));
	signals_install();
	if ((ret = run_rounds(co, fw, n, log_path, &partial)) || (ret = merge_frameworks(fw, n, partial, runs, manifests)))
		goto out;
	for (int i = 0; i < n; i++)
		missing += !fw[i].nr;
	if (missing) {
		log_err("compare: interrupted before every framework had run once; the per-framework files "
			"written hold what was measured");
		ret = EXIT_INTERRUPTED;
		goto out;
	}
	if (!partial && (ret = rounds_comparable(co, runs, n)))
		goto out; /* an interrupted comparison is partial already: it says so, and exits 130 */
	ret = compare_runs(runs, n, co->noise, apps_config(co, runs[0].doc, fw[0].nr), partial, output, co->report);
	if (partial && (ret == EXIT_OK || ret == EXIT_REGRESSION)) {
		log_err("compare: interrupted: %s and the per-framework files hold what was measured (partial)", output);
		ret = EXIT_INTERRUPTED;
	}
out:
	for (int i = 0; i < n; i++) {
		for (int r = 0; r < fw[i].nr; r++)
			profile_result_free(&fw[i].rounds[r]);
		cJSON_Delete(manifests[i]);
		cJSON_Delete(runs[i].doc);
	}
	free(fw);
	return ret;
}

/* ---- compare RUN1.json RUN2.json ... ---- */

static int compare_files(const struct compare_opts *co)
{
	struct run runs[COMPARE_MAX_RUNS] = {};
	char err[512];
	int nruns = 0, ret = EXIT_BADINPUT;
	cJSON *cfg;

	for (int i = 0; i < co->nfiles; i++) {
		struct run *r = &runs[nruns];
		const cJSON *mode;

		r->path = co->files[i];
		r->doc = profile_read(r->path, err, sizeof(err));
		if (!r->doc) {
			log_err("compare: %s", err);
			goto out;
		}
		nruns++;
		mode = profile_get(r->doc, "mode");
		if (!cJSON_IsString(mode) || strcmp(mode->valuestring, "profile")) {
			log_err("compare: '%s' is not a profile file (mode \"profile\")", r->path);
			goto out;
		}
		if (profile_doc_validate(r->doc, err, sizeof(err))) {
			log_err("compare: '%s': %s", r->path, err);
			goto out;
		}
		run_name(r, r->path);
		/* two files with one name (a/run.json, b/run.json): the path as given, then a number */
		for (int j = 0; j < nruns - 1; j++)
			if (!strcmp(runs[j].name, r->name)) {
				snprintf(r->name, sizeof(r->name), "%s", r->path);
				for (int k = 0; k < nruns - 1; k++)
					if (!strcmp(runs[k].name, r->name))
						snprintf(r->name, sizeof(r->name), "%.100s#%d", r->path, nruns);
				break;
			}
	}
	if (!co->force) {
		/* the input checks of diff: hosts, load configuration, host load, saturation */
		struct gate_opts g;

		gate_opts_init(&g);
		for (int i = 1; i < nruns; i++)
			if (gate_inputs_ok(runs[0].doc, runs[i].doc, &g, err, sizeof(err))) {
				log_err("compare: '%s' and '%s': %s", runs[0].path, runs[i].path, err);
				goto out;
			}
	}
	cfg = cJSON_CreateObject();
	cJSON_AddNullToObject(cfg, "duration_secs"); /* the runs' own files have theirs */
	cJSON_AddArrayToObject(cfg, "probes");
	ret = compare_runs(runs, nruns, co->noise, cfg, NULL, co->output, co->report);
out:
	for (int i = 0; i < nruns; i++)
		cJSON_Delete(runs[i].doc);
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_opts co;
	char err[512];
	int ret;

	if (compare_opts_parse(argc, argv, &co, err, sizeof(err))) {
		log_err("compare: %s", err);
		return EXIT_BADINPUT;
	}
	if (co.help) {
		compare_usage(stdout);
		return EXIT_OK;
	}
	/* harden: output paths checked before any file is read or app run */
	if ((co.output && validate_output_path("-o", co.output, err, sizeof(err))) ||
	    (co.report && validate_output_path("--report", co.report, err, sizeof(err))) ||
	    (co.html && validate_output_path("--html", co.html, err, sizeof(err)))) {
		log_err("compare: %s", err);
		return EXIT_BADINPUT;
	}
	if (co.html && !co.output && !co.frameworks) {
		log_err("compare: --html is made from the compare JSON: give -o FILE.json too");
		return EXIT_BADINPUT;
	}
	if (!co.frameworks) {
		ret = compare_files(&co);
	} else {
		guardian_start(); /* the apps die with compare, however it ends */
		ret = compare_apps(&co);
		guardian_stop();
	}
	if (co.html && (ret == EXIT_OK || ret == EXIT_REGRESSION)) {
		const char *json = co.output ? co.output : "bindprof-compare.json";
		cJSON *doc = profile_read(json, err, sizeof(err));
		char dir[4096], *slash;

		snprintf(dir, sizeof(dir), "%s", json);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (!doc || html_report_write(doc, json, slash ? dir : NULL, co.html, err, sizeof(err))) {
			log_err("compare: --html: %s", err);
			ret = EXIT_ENV;
		}
		cJSON_Delete(doc);
	}
	return ret;
}
