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
#include "commands.h"
#include "log.h"
#include "metadata.h"
#include "profile.h"
#include "stats.h"
#include "util.h"

#define MAX_RUNS 16
#define MAX_SAMPLES 256

static const char compare_usage[] =
	"usage: bindprof compare RUN1.json RUN2.json [RUN3.json...] [--noise PCT] [-o FILE.json] [--report FILE.md]\n"
	"\n"
	"Compare profile files of several frameworks (or builds) workload by workload. The winner of a\n"
	"workload is named only when the difference is significant: Mann-Whitney U p < 0.05 over the\n"
	"repeats (profile --repeats K) and the 95%% bootstrap CI of the ratio of medians outside the\n"
	"noise band (default 2%%).\n";

struct run {
	const char *path;
	char name[128];
	cJSON *doc;
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

int cmd_compare(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "noise", required_argument, NULL, 'N' }, { "output", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{},
	};
	struct run runs[MAX_RUNS];
	const char *output = NULL, *report = NULL;
	double noise = 2;
	int ch, nruns = 0, won[MAX_RUNS] = {}, nworkloads = 0, nsig = 0;
	double gain_sum = 0;
	char err[512];
	cJSON *out = NULL, *results, *fw;
	FILE *md = NULL;
	const cJSON *s0, *w0;
	int ret = EXIT_BADINPUT;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", lo, NULL)) != -1) {
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
		case 'h': fputs(compare_usage, stdout); return EXIT_OK;
		default:
			cli_getopt_error(ch, argv, err, sizeof(err));
			log_err("compare: %s", err);
			return EXIT_BADINPUT;
		}
	}
	if (argc - optind < 2 || argc - optind > MAX_RUNS) {
		log_err("compare: give 2 to %d profile files (compare with --frameworks is not built yet)", MAX_RUNS);
		return EXIT_BADINPUT;
	}
	for (int i = optind; i < argc; i++) {
		struct run *r = &runs[nruns];
		const cJSON *fwn;

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
		fwn = profile_get(r->doc, "metadata.framework");
		if (cJSON_IsString(fwn) && *fwn->valuestring) {
			snprintf(r->name, sizeof(r->name), "%s", fwn->valuestring);
		} else {
			char tmp[4096];

			snprintf(tmp, sizeof(tmp), "%s", argv[i]);
			snprintf(r->name, sizeof(r->name), "%s", basename(tmp));
		}
	}
	out = profile_new("compare");
	cJSON_AddItemToObject(out, "metadata", metadata_to_json(NULL, NULL));
	fw = cJSON_AddArrayToObject(out, "frameworks");
	for (int i = 0; i < nruns; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", runs[i].name);
		cJSON_AddStringToObject(f, "file", runs[i].path);
		cJSON_AddItemToArray(fw, f);
	}
	{
		cJSON *cfg = cJSON_AddObjectToObject(out, "configuration");

		cJSON_AddNullToObject(cfg, "duration_secs"); /* the runs' own files have theirs */
		cJSON_AddArrayToObject(cfg, "probes");
		cJSON_AddNumberToObject(cfg, "noise_band_percent", noise);
		cJSON_AddStringToObject(cfg, "test", "mann-whitney-u");
	}
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
		log_err("compare: the files have no workload in common");
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
	for (int i = 0; i < nruns; i++)
		cJSON_Delete(runs[i].doc);
	return ret;
}
