/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof diff BASE.json NEW.json`: per workload and metric, the change and a verdict by the one
 * significance procedure (stats/verdict.h) over the runs' repeats: improved, unchanged, regressed,
 * regressed-critical, not-gated (too few samples), missing or new (a workload on one side only);
 * failed workloads and the error rate; targets. The input checks (host, load configuration, host
 * load, saturation) refuse what cannot be compared unless --force. stats/gate.c does the work;
 * this file is the command line. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli/commands.h"
#include "cli/diff.h"
#include "output/html.h"
#include "cli/options.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/validate.h" /* harden: output path up front */
#include "output/document.h"
#include "output/reader.h"
#include "stats/gate.h"

enum { O_THRESHOLD = 1, O_GATE, O_FAIL_ON, O_MIN_SUCCESS, O_TARGET, O_TARGETS, O_FORCE, O_REPORT, O_OUTPUT, O_HTML, O_HELP,
       O_NOISE_RULE, O_NOISE_K };

static const struct cli_option diff_options[] = {
	{ "threshold", 0, O_THRESHOLD, "METRIC=MIN:CRIT",
	  "a metric's minimum effect (a significant change smaller than MIN percent is not a regression) and its "
	  "critical change (defaults: 10:25; cpu_per_request_ms 15:30); repeatable", CLI_OPT_REPEAT },
	{ "gate", 0, O_GATE, "METRIC|all",
	  "gate the metric even with fewer than 3 samples a side (one profiled pass: the per-request profiling "
	  "metrics); repeatable", CLI_OPT_REPEAT },
	{ "fail-on", 0, O_FAIL_ON, "regressed|critical|missing",
	  "regressed (the default): any regression exits 1; critical: only a critical one; missing: also a "
	  "workload of the base run missing from the new one; repeatable", CLI_OPT_REPEAT },
	{ "min-success", 0, O_MIN_SUCCESS, "PCT",
	  "a workload answering fewer than PCT percent of its requests successfully is failed (default 99)", 0 },
	{ "target", 0, O_TARGET, "[WORKLOAD:]METRIC<=VALUE",
	  "an absolute target on the new run (<=, <, >=, >), e.g. 'p99_ms<=10', 'json:requests_per_sec>=5000', "
	  "'gil_wait_us.p50<=200'; a miss exits 1; repeatable", CLI_OPT_REPEAT },
	{ "targets", 0, O_TARGETS, "FILE",
	  "targets with three levels a line: [WORKLOAD:]METRIC OP TARGET ACCEPTABLE CRITICAL; a miss beyond "
	  "CRITICAL exits 1", 0 },
	{ "noise-rule", 0, O_NOISE_RULE, "auto|estimate|interval",
	  "what must lie beyond the noise band: the median change, with a CI that excludes no change (estimate), "
	  "or the CI's near end itself (interval: stricter, less power); auto (the default): estimate when both "
	  "runs' repeats are interleaved rounds of compare --frameworks, interval for runs made one after the "
	  "other; docs/CI.md", 0 },
	{ "noise-k", 0, O_NOISE_K, "K",
	  "the noise band is K x sqrt(2) x the runs' robust spread (default 1)", 0 },
	{ "force", 0, O_FORCE, NULL,
	  "compare runs from different hosts, load configurations or under high host load, or with a "
	  "saturated load generator", 0 },
	{ "report", 0, O_REPORT, "FILE.md", "also write a markdown report (for a pull request comment)", 0 },
	{ "output", 'o', O_OUTPUT, "FILE.json", "also write the verdicts as JSON", 0 },
	{ "html", 0, O_HTML, "FILE.html", "also write the verdicts as a self-contained HTML page", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

static const char diff_about[] =
	"Compare two bindprof files (profile, load or record) workload by workload: requests_per_sec, p50_ms, "
	"p99_ms, cpu_per_request_ms, uss_peak_mb (from each clean pass), the per-request GIL wait, GC and FFI "
	"time (from the profiled pass), and the error rate. A change is a regression when the confidence "
	"interval of new/base over the repeats (Mann-Whitney) lies beyond the runs' own noise band and the "
	"change reaches the metric's minimum effect; with fewer than 3 repeats a side a metric is reported, "
	"not gated. See docs/CI.md.";
static const char diff_epilogue[] =
	"Exit 0: no regression; 1: a regression (per --fail-on), a workload failed in the new run, a missing "
	"workload with --fail-on missing, or a target missed; 2: bad input, or runs that cannot be compared "
	"(without --force).";

/* requests/s of a results object; NAN when absent or null (the reader checked the types) */
static double rps_of(const cJSON *res)
{
	return json_num_or(res, "throughput.requests_per_sec", NAN);
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
		a = rps_of(nw[i].results);
		r = rps_of(b->results);
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

int diff_parse_opts(int argc, char **argv, struct diff_opts *o, char *err, int errlen)
{
	struct cli_parser p;
	bool fail_critical = false, fail_regressed = false;
	int id, n;

	memset(o, 0, sizeof(*o));
	gate_opts_init(&o->gate);
	if (cli_parser_init(&p, diff_options, argc, argv, 0)) {
		snprintf(err, errlen, "internal error: diff's options table");
		return -EINVAL;
	}
	while ((id = cli_parser_next(&p, err, errlen)) > 0) {
		switch (id) {
		case O_THRESHOLD:
			if (gate_parse_threshold(&o->gate, p.arg, err, errlen))
				return -EINVAL;
			break;
		case O_GATE:
			if (gate_parse_explicit(&o->gate, p.arg, err, errlen))
				return -EINVAL;
			break;
		case O_FAIL_ON:
			/* "warning" is the name the regressed verdict had before */
			if (!strcmp(p.arg, "regressed") || !strcmp(p.arg, "warning")) {
				fail_regressed = true;
			} else if (!strcmp(p.arg, "critical")) {
				fail_critical = true;
			} else if (!strcmp(p.arg, "missing")) {
				o->gate.fail_missing = true;
			} else {
				snprintf(err, errlen, "--fail-on: '%s' is not regressed, critical or missing", p.arg);
				return -EINVAL;
			}
			break;
		case O_MIN_SUCCESS: {
			char *end;
			double v;

			errno = 0;
			v = strtod(p.arg, &end);
			if (errno || end == p.arg || *end || !isfinite(v) || v < 0 || v > 100) {
				snprintf(err, errlen, "--min-success: '%s' is not a percentage (0-100)", p.arg);
				return -EINVAL;
			}
			o->gate.min_success = v / 100;
			break;
		}
		case O_TARGET:
			if (o->gate.ntargets == GATE_MAX_TARGETS) {
				snprintf(err, errlen, "--target: at most %d targets", GATE_MAX_TARGETS);
				return -EINVAL;
			}
			if (ptarget_parse(p.arg, &o->gate.targets[o->gate.ntargets], err, errlen))
				return -EINVAL;
			o->gate.ntargets++;
			break;
		case O_TARGETS:
			n = ptarget_load_file(p.arg, o->gate.targets + o->gate.ntargets, GATE_MAX_TARGETS - o->gate.ntargets,
					      err, errlen);
			if (n < 0) {
				char why[512];

				snprintf(why, sizeof(why), "%s", err);
				snprintf(err, errlen, "--targets: %s", why);
				return -EINVAL;
			}
			o->gate.ntargets += n;
			break;
		case O_FORCE:
			o->gate.force = true;
			break;
		case O_NOISE_RULE:
			if (strcmp(p.arg, "auto") && strcmp(p.arg, "estimate") && strcmp(p.arg, "interval")) {
				snprintf(err, errlen, "--noise-rule: '%s' is not auto, estimate or interval", p.arg);
				return -EINVAL;
			}
			o->gate.noise_rule = !strcmp(p.arg, "auto") ? GATE_NOISE_AUTO
					     : !strcmp(p.arg, "interval") ? GATE_NOISE_INTERVAL : GATE_NOISE_ESTIMATE;
			break;
		case O_NOISE_K:
			if (parse_seconds(p.arg, 100, &o->gate.vd.noise_k) || o->gate.vd.noise_k <= 0) {
				snprintf(err, errlen, "--noise-k: '%s' is not a number above 0", p.arg);
				return -EINVAL;
			}
			break;
		case O_REPORT:
			o->report = p.arg;
			break;
		case O_OUTPUT:
			o->output = p.arg;
			break;
		case O_HTML:
			o->html = p.arg;
			break;
		case O_HELP:
			o->help = true;
			return 0;
		}
	}
	if (id < 0)
		return -EINVAL;
	if (fail_critical && fail_regressed) {
		snprintf(err, errlen, "--fail-on: regressed and critical exclude each other");
		return -EINVAL;
	}
	o->gate.fail_on = fail_critical ? GATE_FAIL_CRITICAL : GATE_FAIL_REGRESSED;
	if (argc - p.operands != 2) {
		snprintf(err, errlen, "give BASE.json and NEW.json");
		return -EINVAL;
	}
	o->base = argv[p.operands];
	o->new_ = argv[p.operands + 1];
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
	if (cJSON_IsTrue(cJSON_GetObjectItem(*doc, "partial"))) {
		/* an interrupted run's figures: compared as they are, but said */
		const cJSON *why = cJSON_GetObjectItem(*doc, "partial_reason");

		log_warn("diff: %s is a partial run (%s): its figures cover less than the run asked for", path,
			 cJSON_IsString(why) ? why->valuestring : "partial");
	}
	return 0;
}

/* A text, written whole (temporary file, then rename). 0 or -errno. */
static int write_text(const char *path, const char *text)
{
	return write_file_atomic(path, text, strlen(text));
}

int cmd_diff(int argc, char **argv)
{
	static struct doc_workload bw[PROFILE_DOC_MAX_WORKLOADS], nw[PROFILE_DOC_MAX_WORKLOADS];
	static struct diff_opts o;
	char err[512];
	cJSON *base = NULL, *new_ = NULL, *v = NULL;
	const cJSON *w;
	int nb, nn, ret = EXIT_BADINPUT, e, compared = 0;

	if (diff_parse_opts(argc, argv, &o, err, sizeof(err))) {
		log_err("diff: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		diff_usage(stdout);
		return EXIT_OK;
	}
	if ((o.report && validate_output_path("--report", o.report, err, sizeof(err))) ||
	    (o.output && validate_output_path("-o", o.output, err, sizeof(err))) ||
	    (o.html && validate_output_path("--html", o.html, err, sizeof(err)))) { /* harden: up front */
		log_err("diff: %s", err);
		return EXIT_BADINPUT;
	}
	if (load_run(o.base, &base, bw, &nb, err, sizeof(err)) || load_run(o.new_, &new_, nw, &nn, err, sizeof(err)) ||
	    gate_inputs_ok(base, new_, &o.gate, err, sizeof(err))) {
		log_err("diff: %s", err);
		goto out;
	}
	v = gate_run(base, new_, &o.gate, o.base, o.new_);
	if (!v) {
		log_err("diff: out of memory");
		goto out;
	}
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(v, "workloads"))
		compared += !strcmp(json_str_or(w, "status", ""), "compared");
	gate_print(stdout, v);
	if (o.output && (e = profile_write(v, o.output))) {
		log_err("diff: -o: cannot write '%s': %s", o.output, strerror(-e));
		ret = EXIT_ENV;
		goto out;
	}
	if (o.html && (e = html_report_write(v, o.output ? o.output : "diff", NULL, o.html, err, sizeof(err)))) {
		log_err("diff: --html: %s", err);
		ret = EXIT_ENV;
		goto out;
	}
	if (o.report) {
		char *md = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&md, &len);

		if (!mf) {
			log_err("diff: --report: out of memory");
			goto out;
		}
		gate_markdown(mf, v);
		fclose(mf);
		e = write_text(o.report, md);
		free(md);
		if (e) {
			log_err("diff: --report: cannot write '%s': %s", o.report, strerror(-e));
			ret = EXIT_ENV; /* harden: a full disk is the environment, not bad input */
			goto out;
		}
	}
	if (!compared) {
		log_err("diff: %s and %s have no workload in common", o.base, o.new_);
		goto out;
	}
	ret = gate_exit_status(v) ? EXIT_REGRESSION : EXIT_OK;
out:
	cJSON_Delete(v);
	cJSON_Delete(base);
	cJSON_Delete(new_);
	return ret;
}
