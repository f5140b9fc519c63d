/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof compare RUN1.json RUN2.json ...`: frameworks side by side from existing profile files,
 * per workload: throughput and latency per framework, ratios, and whether the difference is
 * significant (exact Mann-Whitney U on the repeats, bootstrap CI of the ratio of medians outside a
 * noise band). No winner is declared from noise. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>
#include "load/appmanifest.h"
#include "cli/commands.h"
#include "probes/ffi.h"
#include "lib/log.h"
#include "inspect/metadata.h"
#include "output/document.h"
#include "stats/gate.h"
#include "stats/stats.h"
#include "lib/util.h"

#define MAX_RUNS 16
#define MAX_SAMPLES 256

static const char compare_usage[] =
	"usage: bindprof compare RUN1.json RUN2.json [RUN3.json...] [--noise PCT] [-o FILE.json] [--report FILE.md]\n"
	"       bindprof compare --frameworks A,B[,C...] --apps DIR [--repeats K] [--suite S] [--duration S]\n"
	"                        [--warmup S] [--concurrency N] [-t N] [--rate RPS] [--probes LIST]\n"
	"                        [--ready-timeout S] [--ffi LIB[:GLOB]]... [--noise PCT] [-o FILE.json]\n"
	"                        [--report FILE.md]\n"
	"\n"
	"Compare frameworks (or builds) workload by workload. With --frameworks, each is an app in\n"
	"DIR/NAME/bindprof-app.json (name, version, language, runtime, start, port, health_path); its\n"
	"start command runs in DIR/NAME with PORT set. The rounds are interleaved (A B A B ...), K of them\n"
	"(default 5), in alternating order (A B, B A, ...): each round is one `bindprof profile` pass per\n"
	"framework, the first round profiled (--probes, default gil,gc,requests,stacks), the others clean.\n"
	"Each framework's merged profile is written next to -o (FILE.NAME.json; default\n"
	"bindprof-compare.json). The winner of a workload is named only when the difference is\n"
	"significant: Mann-Whitney U p < 0.05 over the repeats and the 95% bootstrap CI of the ratio of\n"
	"medians outside the noise band (default 2%).\n";

struct run {
	const char *path;
	char name[128];
	cJSON *doc;
	const cJSON *manifest; /* --frameworks: the app's manifest, echoed in the output */
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

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

/* The comparison of loaded profile docs, workload by workload: prints the table, writes the
 * compare JSON (output) and the markdown report. cfg: the configuration object (taken). */
static int compare_runs(struct run *runs, int nruns, double noise, cJSON *cfg, const char *partial,
			const char *output, const char *report)
{
	int won[MAX_RUNS] = {}, nworkloads = 0, nsig = 0;
	double gain_sum = 0;
	cJSON *out = NULL, *results, *fw;
	FILE *md = NULL;
	const cJSON *s0, *w0;
	int ret = EXIT_BADINPUT;

	out = profile_new("compare");
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
	cJSON_AddNumberToObject(cfg, "noise_band_percent", noise);
	cJSON_AddStringToObject(cfg, "test", "mann-whitney-u");
	cJSON_AddItemToObject(out, "configuration", cfg);
	results = cJSON_AddArrayToObject(out, "results");
	if (report && !(md = fopen(report, "w"))) {
		log_err("compare: --report: cannot write '%s'", report);
		goto out;
	}
	printf("%-30s", "workload");
	for (int i = 0; i < nruns; i++)
		printf(" %14.14s", runs[i].name);
	printf("  %-14s %8s %8s  %s\n", "winner", "ratio", "p", "verdict");
	cJSON_ArrayForEach(s0, profile_get(runs[0].doc, "suites"))
	cJSON_ArrayForEach(w0, cJSON_GetObjectItem(s0, "workloads")) {
		const char *sn = cJSON_GetObjectItem(s0, "name")->valuestring, *wn = cJSON_GetObjectItem(w0, "name")->valuestring;
		double smp[MAX_RUNS][MAX_SAMPLES], med[MAX_RUNS];
		int ns[MAX_RUNS], best = 0, second = -1;
		cJSON *wr, *per, *cmp, *ratios, *sig;
		double p, u, lo, hi, ratio, minp;
		bool all = true, significant;

		for (int i = 0; i < nruns && all; i++) {
			const cJSON *res = find_workload(runs[i].doc, sn, wn);

			ns[i] = res ? samples_of(res, smp[i]) : 0;
			all = ns[i] > 0;
			if (all)
				med[i] = stats_median(smp[i], ns[i]);
		}
		if (!all)
			continue;
		nworkloads++;
		for (int i = 1; i < nruns; i++)
			if (med[i] > med[best])
				best = i;
		for (int i = 0; i < nruns; i++)
			if (i != best && (second < 0 || med[i] > med[second]))
				second = i;
		p = stats_mann_whitney(smp[best], ns[best], smp[second], ns[second], &u);
		stats_bootstrap_ratio_ci(smp[best], ns[best], smp[second], ns[second], 0.95, 5000, 0x5eed, &lo, &hi);
		ratio = med[best] / med[second];
		minp = stats_mann_whitney_min_p(ns[best], ns[second]);
		significant = p < 0.05 && lo > 1 + noise / 100;
		wr = cJSON_CreateObject();
		cJSON_AddStringToObject(wr, "suite", sn);
		cJSON_AddStringToObject(wr, "workload", wn);
		per = cJSON_AddObjectToObject(wr, "frameworks");
		for (int i = 0; i < nruns; i++) {
			cJSON *f = cJSON_AddObjectToObject(per, runs[i].name);
			const cJSON *res = find_workload(runs[i].doc, sn, wn);

			cJSON_AddNumberToObject(f, "requests_per_sec", med[i]);
			cJSON_AddNumberToObject(f, "repeats", ns[i]);
			if (cJSON_IsNumber(profile_get(res, "latency.median_ms")))
				cJSON_AddNumberToObject(f, "p50_ms", profile_get(res, "latency.median_ms")->valuedouble);
			if (cJSON_IsNumber(profile_get(res, "latency.p99_ms")))
				cJSON_AddNumberToObject(f, "p99_ms", profile_get(res, "latency.p99_ms")->valuedouble);
		}
		cmp = cJSON_AddObjectToObject(wr, "comparison");
		if (significant) {
			cJSON_AddStringToObject(cmp, "winner", runs[best].name);
			won[best]++;
			nsig++;
			gain_sum += (ratio - 1) * 100;
		} else {
			cJSON_AddNullToObject(cmp, "winner");
		}
		ratios = cJSON_AddObjectToObject(cmp, "performance_ratios");
		for (int i = 0; i < nruns; i++)
			for (int j = 0; j < nruns; j++) {
				char key[300];

				if (i == j)
					continue;
				snprintf(key, sizeof(key), "%s_vs_%s", runs[i].name, runs[j].name);
				cJSON_AddNumberToObject(ratios, key, med[i] / med[j]);
			}
		sig = cJSON_AddObjectToObject(cmp, "statistical_significance");
		cJSON_AddStringToObject(sig, "test", "mann-whitney-u");
		cJSON_AddStringToObject(sig, "between", runs[best].name);
		cJSON_AddStringToObject(sig, "and", runs[second].name);
		cJSON_AddNumberToObject(sig, "p_value", p);
		cJSON_AddBoolToObject(sig, "significant", significant);
		cJSON_AddNumberToObject(sig, "ratio_of_medians", ratio);
		cJSON_AddNumberToObject(sig, "ci_low", lo);
		cJSON_AddNumberToObject(sig, "ci_high", hi);
		cJSON_AddNumberToObject(sig, "confidence", 0.95);
		cJSON_AddNumberToObject(sig, "noise_band_percent", noise);
		if (minp >= 0.05)
			cJSON_AddStringToObject(sig, "note", "too few repeats to ever reach p < 0.05 (the exact test's "
							     "smallest p for these sizes is above it): no winner can be named; "
							     "run profile --repeats 4 or more");
		printf("%-30s", cJSON_GetObjectItem(wr, "workload")->valuestring);
		for (int i = 0; i < nruns; i++)
			printf(" %14.1f", med[i]);
		printf("  %-14.14s %8.3f %8.4f  %s\n", significant ? runs[best].name : "-", ratio, p,
		       significant ? "significant" : minp >= 0.05 ? "too few repeats" : "within noise");
		if (md)
			fprintf(md, "%s| %s/%s | %s | %.3f | %.4f | [%.3f, %.3f] | %s |\n",
				cJSON_GetArraySize(results) ? "" : "| workload | winner | ratio | p | 95% CI | verdict |\n|:---|:---|---:|---:|:---|:---|\n",
				sn, wn, significant ? runs[best].name : "-", ratio, p, lo, hi,
				significant ? "**significant**" : minp >= 0.05 ? "too few repeats" : "within noise");
		cJSON_AddItemToArray(results, wr);
	}
	{
		cJSON *sum = cJSON_AddObjectToObject(out, "summary"), *wonj;
		int top = -1;

		for (int i = 0; i < nruns; i++)
			if (won[i] && (top < 0 || won[i] > won[top]))
				top = i;
		if (top >= 0)
			cJSON_AddStringToObject(sum, "overall_winner", runs[top].name);
		else
			cJSON_AddNullToObject(sum, "overall_winner");
		cJSON_AddNumberToObject(sum, "workloads", nworkloads);
		cJSON_AddNumberToObject(sum, "significant_workloads", nsig);
		if (nsig)
			cJSON_AddNumberToObject(sum, "average_performance_gain_percent", gain_sum / nsig);
		else
			cJSON_AddNullToObject(sum, "average_performance_gain_percent");
		wonj = cJSON_AddObjectToObject(sum, "workloads_won");
		for (int i = 0; i < nruns; i++)
			cJSON_AddNumberToObject(wonj, runs[i].name, won[i]);
		printf("%d workloads, %d with a significant winner; overall winner: %s\n", nworkloads, nsig,
		       top >= 0 ? runs[top].name : "none");
		if (md)
			fprintf(md, "\n%d workloads, %d with a significant winner; overall winner: %s\n", nworkloads, nsig,
				top >= 0 ? runs[top].name : "none");
	}
	if (!nworkloads) {
		log_err("compare: the runs have no workload in common");
		goto out;
	}
	if (output) {
		int e = profile_write(out, output);

		if (e) {
			log_err("compare: writing '%s': %s", output, strerror(-e));
			goto out;
		}
	}
	ret = EXIT_OK;
out:
	if (md)
		fclose(md);
	cJSON_Delete(out);
	return ret;
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

/* ---- compare --frameworks A,B --apps DIR: run every app's profile, interleaved ---- */

struct apps_opts {
	const char *frameworks, *apps;
	int repeats;
	const char *pass[32]; /* long option names (without "--") and values for `profile` */
	int npass;
};

/* One round of one framework: this binary's `profile` on the app, its cwd the app's directory.
 * Round 0 is the profiled one; later rounds are clean passes only (--probes none). */
static int run_profile_round(const struct apps_opts *ao, const struct app_manifest *m, int round,
			     const char *out, const char *log_path)
{
	char self[4096], url[64], port[16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *argv[64];
	bool probes_given = false;
	int a = 0, pid, st;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", m->port);
	snprintf(port, sizeof(port), "%d", m->port);
	argv[a++] = self;
	argv[a++] = "profile";
	argv[a++] = "--app-cmd";
	argv[a++] = m->start;
	argv[a++] = "--url";
	argv[a++] = url;
	argv[a++] = "--health-path";
	argv[a++] = m->health_path;
	argv[a++] = "--framework";
	argv[a++] = m->label;
	argv[a++] = "--repeats";
	argv[a++] = "1";
	argv[a++] = "--format";
	argv[a++] = "json";
	for (int i = 0; i < ao->npass; i += 2) {
		static char opt[32][64];

		if (!strcmp(ao->pass[i], "probes")) {
			probes_given = true;
			if (round > 0)
				continue;
		}
		snprintf(opt[i / 2], sizeof(opt[0]), "--%s", ao->pass[i]);
		argv[a++] = opt[i / 2];
		argv[a++] = ao->pass[i + 1];
	}
	if (round > 0 || !probes_given) {
		argv[a++] = "--probes";
		argv[a++] = round > 0 ? "none" : "gil,gc,requests,stacks";
	}
	argv[a++] = "-o";
	argv[a++] = out;
	argv[a] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (chdir(m->dir)) {
			fprintf(stderr, "compare: cannot enter %s: %s\n", m->dir, strerror(errno));
			_exit(EXIT_BADINPUT);
		}
		setenv("PORT", port, 1);
		execv(self, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* profile leaves the app's output in OUT.app.log: gather it into compare's one log */
static void append_app_log(const char *log_path, const char *round_out, const char *name, int round)
{
	char app_log[4096 + 128], *text = NULL;
	FILE *f;

	snprintf(app_log, sizeof(app_log), "%.4096s.app.log", round_out);
	if (read_file(app_log, &text, NULL))
		return;
	f = fopen(log_path, "a");
	if (f) {
		fprintf(f, "==== %s, round %d: the app's output ====\n%s", name, round, text);
		fclose(f);
	}
	free(text);
	unlink(app_log);
}

static cJSON *workload_results(cJSON *doc, const char *suite, const char *name)
{
	return (cJSON *)find_workload(doc, suite, name);
}

/* One framework's rounds folded into one profile doc: each round's clean pass is one repeat (the
 * reported figures are the median round's), the profiling sections are round 0's. Takes rounds[0]. */
static cJSON *merge_rounds(cJSON **rounds, int n)
{
	cJSON *doc = rounds[0], *s, *w;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "suites"))
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads")) {
		const char *sn = cJSON_GetObjectItem(s, "name")->valuestring, *wn = cJSON_GetObjectItem(w, "name")->valuestring;
		double rps[MAX_SAMPLES], sorted[MAX_SAMPLES], med;
		cJSON *res[MAX_SAMPLES], *pick, *rep, *samples;
		int k = 0, pi = 0;

		for (int r = 0; r < n && k < MAX_SAMPLES; r++) {
			const cJSON *v;

			res[k] = workload_results(rounds[r], sn, wn);
			v = profile_get(res[k], "throughput.requests_per_sec");
			if (!res[k] || !cJSON_IsNumber(v))
				continue;
			rps[k++] = v->valuedouble;
		}
		if (!k)
			continue;
		memcpy(sorted, rps, k * sizeof(*rps));
		med = stats_median(sorted, k);
		for (int i = 0; i < k; i++)
			if (fabs(rps[i] - med) < fabs(rps[pi] - med))
				pi = i;
		pick = cJSON_Duplicate(res[pi], true);
		/* the profiled pass's sections come from round 0 */
		if (res[0] == workload_results(doc, sn, wn))
			for (const char *const *f = (const char *const[]){ "profiling", "overhead", "lost_events",
									  "profiled_throughput", NULL };
			     *f; f++)
				if (cJSON_GetObjectItem(res[0], *f))
					cJSON_ReplaceItemInObject(pick, *f, cJSON_Duplicate(cJSON_GetObjectItem(res[0], *f), true));
		cJSON_DeleteItemFromObject(pick, "repeats");
		rep = cJSON_AddObjectToObject(pick, "repeats");
		cJSON_AddNumberToObject(rep, "count", k);
		cJSON_AddNumberToObject(rep, "median_requests_per_sec", med);
		qsort(sorted, k, sizeof(*sorted), cmp_dbl);
		cJSON_AddNumberToObject(rep, "min_requests_per_sec", sorted[0]);
		cJSON_AddNumberToObject(rep, "max_requests_per_sec", sorted[k - 1]);
		cJSON_AddBoolToObject(rep, "interleaved", true);
		samples = cJSON_AddArrayToObject(rep, "samples");
		for (int i = 0; i < k; i++) {
			cJSON *smp = cJSON_CreateObject();
			const cJSON *p50 = profile_get(res[i], "latency.median_ms"), *p99 = profile_get(res[i], "latency.p99_ms");

			cJSON_AddNumberToObject(smp, "requests_per_sec", rps[i]);
			cJSON_AddNumberToObject(smp, "p50_ms", cJSON_IsNumber(p50) ? p50->valuedouble : 0);
			cJSON_AddNumberToObject(smp, "p99_ms", cJSON_IsNumber(p99) ? p99->valuedouble : 0);
			gate_sample_extras(smp, res[i]);
			cJSON_AddItemToArray(samples, smp);
		}
		cJSON_ReplaceItemInObject(w, "results", pick);
	}
	{
		cJSON *cfg = cJSON_GetObjectItem(doc, "configuration");

		if (cfg) {
			cJSON_ReplaceItemInObject(cfg, "repeats", cJSON_CreateNumber(n));
			cJSON_AddStringToObject(cfg, "repeats_method", "interleaved rounds of bindprof compare --frameworks "
								       "(alternating order), one clean pass each; profiled in round 1");
		}
	}
	return doc;
}

static int compare_apps(const struct apps_opts *ao, double noise, const char *output, const char *report)
{
	struct app_manifest m[MAX_RUNS];
	struct run runs[MAX_RUNS];
	cJSON *manifests[MAX_RUNS] = {}, *rounds[MAX_RUNS][MAX_SAMPLES] = {};
	char list[4096], *save, *tok, err[600], path[MAX_RUNS][4096 + 32], log_path[4096 + 16];
	const char *partial = NULL;
	int n = 0, nr[MAX_RUNS] = {}, missing = 0, ret = EXIT_BADINPUT;

	snprintf(list, sizeof(list), "%s", ao->frameworks);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_RUNS) {
			log_err("compare: --frameworks: at most %d", MAX_RUNS);
			return EXIT_BADINPUT;
		}
		if (app_manifest_load(ao->apps, tok, &m[n], err, sizeof(err))) {
			log_err("compare: %s", err);
			return EXIT_BADINPUT;
		}
		for (int i = 0; i < n; i++)
			if (!strcmp(m[i].label, m[n].label)) {
				log_err("compare: --frameworks: '%s' is given twice", m[n].label);
				return EXIT_BADINPUT;
			}
		n++;
	}
	if (n < 2) {
		log_err("compare: --frameworks: give at least two (A,B)");
		return EXIT_BADINPUT;
	}
	if (ao->repeats > MAX_SAMPLES) {
		log_err("compare: --repeats: at most %d", MAX_SAMPLES);
		return EXIT_BADINPUT;
	}
	for (int i = 0; i < n; i++) {
		char abs[4096];

		if (!realpath(m[i].dir, abs)) {
			log_err("compare: %s: %s", m[i].dir, strerror(errno));
			return EXIT_BADINPUT;
		}
		snprintf(m[i].dir, sizeof(m[i].dir), "%s", abs);
	}
	{
		char abs_out[4096], *dot;

		if (output[0] != '/' && getcwd(abs_out, sizeof(abs_out)))
			snprintf(abs_out + strlen(abs_out), sizeof(abs_out) - strlen(abs_out), "/%s", output);
		else
			snprintf(abs_out, sizeof(abs_out), "%s", output);
		for (int i = 0; i < n; i++) {
			snprintf(path[i], sizeof(path[i]), "%s", abs_out);
			dot = strrchr(path[i], '.');
			if (dot && !strcmp(dot, ".json") && !strchr(dot, '/'))
				*dot = '\0';
			snprintf(path[i] + strlen(path[i]), sizeof(path[i]) - strlen(path[i]), ".%s.json", m[i].label);
		}
		snprintf(log_path, sizeof(log_path), "%s.log", abs_out);
		unlink(log_path);
	}
	signals_install();
	/* Interleaved and counterbalanced, A B C, C B A, A B C, ...: drift on the machine falls on every
	 * framework alike, and none always runs first or right after another's load. */
	for (int r = 0; r < ao->repeats && !partial; r++) {
		for (int j = 0; j < n; j++) {
			int i = r % 2 ? n - 1 - j : j;
			char round_out[4096 + 64 + 16];
			int st;

			printf("compare: round %d/%d: %s\n", r + 1, ao->repeats, m[i].label);
			fflush(stdout);
			snprintf(round_out, sizeof(round_out), "%.4128s.round%d", path[i], r + 1);
			st = run_profile_round(ao, &m[i], r, round_out, log_path);
			append_app_log(log_path, round_out, m[i].label, r + 1);
			if (signals_pending()) {
				/* profile wrote what its interrupted pass measured: keep it */
				partial = "interrupted";
				if ((rounds[i][nr[i]] = profile_read(round_out, err, sizeof(err))))
					nr[i]++;
				unlink(round_out);
				break;
			}
			if (st) {
				log_err("compare: %s, round %d: bindprof profile exited with status %d; its output is in %s",
					m[i].label, r + 1, st, log_path);
				ret = st == EXIT_BADINPUT ? EXIT_BADINPUT : EXIT_TARGET;
				goto out;
			}
			rounds[i][nr[i]] = profile_read(round_out, err, sizeof(err));
			unlink(round_out);
			if (!rounds[i][nr[i]]) {
				log_err("compare: %s", err);
				ret = EXIT_TARGET;
				goto out;
			}
			nr[i]++;
		}
	}
	memset(runs, 0, sizeof(runs));
	for (int i = 0; i < n; i++) {
		cJSON *doc;
		int e;

		if (!nr[i]) {
			missing++;
			continue;
		}
		doc = merge_rounds(rounds[i], nr[i]);
		rounds[i][0] = NULL;
		if (partial)
			profile_set_partial(doc, partial);
		runs[i].doc = doc;
		runs[i].path = path[i];
		snprintf(runs[i].name, sizeof(runs[i].name), "%s", m[i].label);
		manifests[i] = cJSON_CreateObject();
		cJSON_AddStringToObject(manifests[i], "name", m[i].name);
		cJSON_AddStringToObject(manifests[i], "version", m[i].version);
		cJSON_AddStringToObject(manifests[i], "language", m[i].language);
		cJSON_AddStringToObject(manifests[i], "runtime", m[i].runtime);
		cJSON_AddStringToObject(manifests[i], "start", m[i].start);
		cJSON_AddNumberToObject(manifests[i], "port", m[i].port);
		cJSON_AddStringToObject(manifests[i], "health_path", m[i].health_path);
		cJSON_AddStringToObject(manifests[i], "dir", m[i].dir);
		runs[i].manifest = manifests[i];
		if ((e = profile_write(doc, path[i]))) {
			log_err("compare: writing '%s': %s", path[i], strerror(-e));
			goto out;
		}
	}
	if (missing) {
		log_err("compare: interrupted before every framework had run once; the per-framework files "
			"written hold what was measured");
		ret = EXIT_OK;
		goto out;
	}
	{
		cJSON *cfg = cJSON_CreateObject(), *p0 = cJSON_GetObjectItem(runs[0].doc, "configuration");

		if (p0) {
			for (const char *const *f = (const char *const[]){ "duration_secs", "warmup_secs", "concurrency",
									  "threads", "rate", "suite", "probes", NULL };
			     *f; f++)
				if (cJSON_GetObjectItem(p0, *f))
					cJSON_AddItemToObject(cfg, *f, cJSON_Duplicate(cJSON_GetObjectItem(p0, *f), true));
		}
		if (!cJSON_GetObjectItem(cfg, "duration_secs"))
			cJSON_AddNullToObject(cfg, "duration_secs");
		if (!cJSON_GetObjectItem(cfg, "probes"))
			cJSON_AddArrayToObject(cfg, "probes");
		cJSON_AddNumberToObject(cfg, "repeats", nr[0]);
		cJSON_AddStringToObject(cfg, "order", "interleaved, alternating (A B, B A, ...)");
		cJSON_AddStringToObject(cfg, "apps", ao->apps);
		ret = compare_runs(runs, n, noise, cfg, partial, output, report);
	}
out:
	for (int i = 0; i < n; i++) {
		for (int r = 0; r < MAX_SAMPLES; r++)
			cJSON_Delete(rounds[i][r]);
		cJSON_Delete(manifests[i]);
		cJSON_Delete(runs[i].doc);
	}
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "noise", required_argument, NULL, 'N' }, { "output", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, 'r' }, { "frameworks", required_argument, NULL, 'f' },
		{ "apps", required_argument, NULL, 'A' },   { "help", no_argument, NULL, 'h' },
		/* passed through to each framework's `profile` */
		{ "suite", required_argument, NULL, 's' },  { "repeats", required_argument, NULL, 'k' },
		{ "duration", required_argument, NULL, 'd' }, { "warmup", required_argument, NULL, 'w' },
		{ "concurrency", required_argument, NULL, 'c' }, { "threads", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'R' },   { "probes", required_argument, NULL, 'P' },
		{ "ready-timeout", required_argument, NULL, 'T' }, { "ffi", required_argument, NULL, 'x' },
		{},
	};
	struct run runs[MAX_RUNS];
	struct apps_opts ao = { .repeats = 5 };
	const char *output = NULL, *report = NULL;
	double noise = 2;
	int ch, nruns = 0, ret = EXIT_BADINPUT;
	char err[512];

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:t:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'N': {
			double v;

			if (parse_seconds(optarg, 100, &v)) {
				log_err("compare: --noise: invalid percent '%s'", optarg);
				return EXIT_BADINPUT;
			}
			noise = v;
			break;
		}
		case 'o': output = optarg; break;
		case 'r': report = optarg; break;
		case 'f': ao.frameworks = optarg; break;
		case 'A': ao.apps = optarg; break;
		case 'k': {
			long l;

			if (parse_long(optarg, 1, 1000, &l)) {
				log_err("compare: --repeats: invalid number '%s'", optarg);
				return EXIT_BADINPUT;
			}
			ao.repeats = (int)l;
			break;
		}
		case 'x':
			if (ffi_spec_check(optarg, err, sizeof(err))) {
				log_err("compare: %s", err);
				return EXIT_BADINPUT;
			}
			/* passed to each framework's profile, whose profiled pass uses it */
			__attribute__((fallthrough));
		case 's': case 'd': case 'w': case 'c': case 't': case 'R': case 'P': case 'T':
			if (ao.npass + 2 >= (int)ARRAY_SIZE(ao.pass)) {
				log_err("compare: too many options");
				return EXIT_BADINPUT;
			}
			for (const struct option *op = lo; op->name; op++)
				if (op->val == ch)
					ao.pass[ao.npass] = op->name;
			ao.npass++;
			ao.pass[ao.npass++] = optarg;
			break;
		case 'h': fputs(compare_usage, stdout); return EXIT_OK;
		default:
			cli_getopt_error(ch, argv, err, sizeof(err));
			log_err("compare: %s", err);
			return EXIT_BADINPUT;
		}
	}
	if (ao.frameworks || ao.apps) {
		if (!ao.frameworks || !ao.apps) {
			log_err("compare: --frameworks and --apps go together (the apps DIR/NAME/%s)", APP_MANIFEST);
			return EXIT_BADINPUT;
		}
		if (optind < argc) {
			log_err("compare: give either --frameworks with --apps or result files, not both ('%s')", argv[optind]);
			return EXIT_BADINPUT;
		}
		return compare_apps(&ao, noise, output ? output : "bindprof-compare.json", report);
	}
	if (ao.npass || ao.repeats != 5) {
		log_err("compare: --suite, --repeats and the load options apply to --frameworks runs only");
		return EXIT_BADINPUT;
	}
	if (argc - optind < 2 || argc - optind > MAX_RUNS) {
		log_err("compare: give 2 to %d profile files, or --frameworks A,B --apps DIR", MAX_RUNS);
		return EXIT_BADINPUT;
	}
	memset(runs, 0, sizeof(runs));
	for (int i = optind; i < argc; i++) {
		struct run *r = &runs[nruns];

		r->path = argv[i];
		r->doc = profile_read(argv[i], err, sizeof(err));
		if (!r->doc) {
			log_err("compare: %s", err);
			goto out;
		}
		nruns++;
		if (!cJSON_IsString(profile_get(r->doc, "mode")) || strcmp(profile_get(r->doc, "mode")->valuestring, "profile")) {
			log_err("compare: '%s' is not a profile file (mode \"profile\")", argv[i]);
			goto out;
		}
		run_name(r, argv[i]);
	}
	{
		cJSON *cfg = cJSON_CreateObject();

		cJSON_AddNullToObject(cfg, "duration_secs"); /* the runs' own files have theirs */
		cJSON_AddArrayToObject(cfg, "probes");
		ret = compare_runs(runs, nruns, noise, cfg, NULL, output, report);
	}
out:
	for (int i = 0; i < nruns; i++)
		cJSON_Delete(runs[i].doc);
	return ret;
}
