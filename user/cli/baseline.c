/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof baseline save|check RUN.json`: a pinned baseline run per host identity. check diffs
 * the host's baseline against RUN (bindprof diff, every option of diff); save pins RUN as the
 * host's baseline, but only when it does not regress against the one pinned now (the first run of
 * a host is pinned as it is), as a benchmarking harness's update-baseline step does. The files:
 * DIR/KEY.json, the previous one kept as DIR/KEY.previous.json; KEY is the host's name and a hash
 * of its identity (hostname, cpu_model, cpu_cores, memory_gb, kernel: what diff compares to refuse
 * runs from different hosts), so a kernel upgrade or another machine starts a new baseline. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "cli/commands.h"
#include "cli/options.h"
#include "lib/log.h"
#include "lib/util.h"
#include "output/document.h"
#include "output/reader.h"

#define BASELINE_DIR_DEFAULT "bindprof-baselines"
#define BASELINE_MAX_ARGS 256

enum { B_DIR = 1, B_FORCE, B_HELP };

static const struct cli_option save_options[] = {
	{ "dir", 0, B_DIR, "DIR", "where the baselines are kept, one file per host (default " BASELINE_DIR_DEFAULT ")", 0 },
	{ "replace", 0, B_FORCE, NULL, "pin RUN without comparing it (after an accepted change)", 0 },
	{ "help", 'h', B_HELP, NULL, "this help", 0 },
	{},
};

static const struct cli_option check_options[] = {
	{ "dir", 0, B_DIR, "DIR", "where the baselines are kept, one file per host (default " BASELINE_DIR_DEFAULT ")", 0 },
	{ "help", 'h', B_HELP, NULL, "this help", 0 },
	{},
};

static const char baseline_epilogue[] =
	"Every other option is diff's (--threshold, --gate, --fail-on, --target, --targets, --force, --report, -o, "
	"--html: bindprof diff --help). Exit 0: no regression (save: pinned); 1: a regression against the "
	"host's baseline (save: not pinned); 2: bad input, no baseline for this host (check), or runs that "
	"cannot be compared; 4: RUN's target failed (the app exited during the run, or a workload failed): "
	"never pinned.";

static const char baseline_usage[] =
	"usage: bindprof baseline save RUN.json [OPTIONS] | check RUN.json [OPTIONS]\n"
	"\n"
	"A pinned baseline run per host: check diffs it against RUN; save pins RUN when it does not regress.\n"
	"bindprof baseline save --help and bindprof baseline check --help list the options.\n";

struct bl_args {
	bool save, replace, help;
	const char *run, *dir;
	int nd;
	char *diff[BASELINE_MAX_ARGS]; /* "diff", BASE, RUN, then diff's own options */
};

/* KEY: the hostname (letters, digits, '.', '_', '-' kept; others '_') and a 32-bit FNV-1a hash of
 * the identity fields as printed JSON. 0, or -EINVAL when RUN records no host. */
static int host_key(const cJSON *doc, char *key, size_t len)
{
	static const char *const keys[] = { "hostname", "cpu_model", "cpu_cores", "memory_gb", "kernel" };
	const cJSON *host = profile_get(doc, "metadata.host"), *hn = cJSON_GetObjectItem(host, "hostname");
	uint32_t h = 2166136261u;
	char name[64];
	size_t i;

	if (!cJSON_IsObject(host) || !cJSON_IsString(hn) || !hn->valuestring[0])
		return -EINVAL;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char *v = cJSON_PrintUnformatted(cJSON_GetObjectItem(host, keys[k]));

		for (const char *p = v ? v : "null"; ; p++) {
			h = (h ^ (uint8_t)*p) * 16777619u;
			if (!*p)
				break;
		}
		free(v);
	}
	for (i = 0; hn->valuestring[i] && i < sizeof(name) - 1; i++) {
		char c = hn->valuestring[i];

		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
				  c == '_' || c == '-' ? c : '_';
	}
	name[i] = '\0';
	snprintf(key, len, "%s-%08x", name, h);
	return 0;
}

/* The run's target failed: the app exited during it (partial, target_exited), or a workload
 * failed (summary.failed_workloads > 0). why: the sentence. */
static bool target_failed(const cJSON *doc, char *why, size_t len)
{
	const cJSON *reason = cJSON_GetObjectItem(doc, "partial_reason");
	const cJSON *failed = profile_get(doc, "summary.failed_workloads");

	if (cJSON_IsTrue(cJSON_GetObjectItem(doc, "partial")) && cJSON_IsString(reason) &&
	    !strcmp(reason->valuestring, "target_exited")) {
		snprintf(why, len, "the app exited during the run (partial: target_exited)");
		return true;
	}
	if (cJSON_IsNumber(failed) && failed->valuedouble > 0) {
		snprintf(why, len, "%d workload(s) failed in it (summary.failed_workloads)", (int)failed->valuedouble);
		return true;
	}
	return false;
}

/* argv: "baseline", SUB, RUN.json, options. Baseline's own options out, diff's into a->diff. 0, or
 * -EINVAL with err. */
static int parse_args(int argc, char **argv, struct bl_args *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->dir = BASELINE_DIR_DEFAULT;
	a->save = !strcmp(argv[1], "save");
	a->diff[a->nd++] = "diff";
	a->diff[a->nd++] = NULL; /* the baseline's path, once known */
	for (int i = 2; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			a->help = true;
			return 0;
		} else if (!strcmp(s, "--dir") || !strncmp(s, "--dir=", 6)) {
			a->dir = s[5] == '=' ? s + 6 : i + 1 < argc ? argv[++i] : NULL;
			if (!a->dir || !*a->dir) {
				snprintf(err, errlen, "--dir needs a directory");
				return -EINVAL;
			}
		} else if (a->save && !strcmp(s, "--replace")) {
			a->replace = true;
		} else if (i == 2 && s[0] != '-') {
			a->run = s;
			a->diff[a->nd++] = (char *)s;
		} else if (a->nd < BASELINE_MAX_ARGS - 1) {
			a->diff[a->nd++] = argv[i];
		} else {
			snprintf(err, errlen, "at most %d arguments", BASELINE_MAX_ARGS - 4);
			return -EINVAL;
		}
	}
	if (!a->run) {
		snprintf(err, errlen, "give RUN.json right after %s (bindprof baseline %s RUN.json [OPTIONS])", argv[1],
			 argv[1]);
		return -EINVAL;
	}
	{
		struct stat st;

		/* a --dir that exists must be a directory: bad input, before any diff */
		if (!stat(a->dir, &st) && !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "--dir: '%s' exists and is not a directory", a->dir);
			return -EINVAL;
		}
	}
	return 0;
}

/* RUN copied whole to DIR/KEY.json (DIR made when absent), the old one to DIR/KEY.previous.json. */
static int pin(const struct bl_args *a, const char *path, const char *prev)
{
	char *text = NULL;
	size_t len = 0;
	int e;

	if (mkdir(a->dir, 0755) && errno != EEXIST) {
		log_err("baseline: cannot make '%s': %s", a->dir, strerror(errno));
		return EXIT_ENV;
	}
	if ((e = read_file(a->run, &text, &len))) {
		log_err("baseline: cannot read '%s': %s", a->run, strerror(-e));
		return EXIT_BADINPUT;
	}
	if (access(path, F_OK) == 0 && rename(path, prev)) {
		log_err("baseline: cannot keep the previous baseline as '%s': %s", prev, strerror(errno));
		free(text);
		return EXIT_ENV;
	}
	e = write_file_atomic(path, text, len);
	free(text);
	if (e) {
		log_err("baseline: cannot write '%s': %s", path, strerror(-e));
		return EXIT_ENV;
	}
	return EXIT_OK;
}

static void sub_usage(const struct bl_args *a)
{
	cli_options_usage(stdout, a->save ? "bindprof baseline save" : "bindprof baseline check", "RUN.json",
			  a->save ? save_options : check_options,
			  a->save ? "Pin RUN.json as this host's baseline: the first run of a host as it is, later ones "
				    "only when bindprof diff finds no regression against the baseline pinned now (the "
				    "table is printed; the old baseline is kept as KEY.previous.json). The host is "
				    "RUN's metadata.host (hostname, cpu_model, cpu_cores, memory_gb, kernel)."
				  : "Diff this host's baseline (pinned by baseline save) against RUN.json: bindprof diff "
				    "BASELINE RUN.json with the options given.",
			  baseline_epilogue);
}

/* The host's baseline against RUN through cmd_diff; then save pins on no regression. */
static int save_or_check(struct bl_args *a, const char *key)
{
	char path[4096], prev[4096 + 16];
	bool have;
	int st;

	snprintf(path, sizeof(path), "%s/%s.json", a->dir, key);
	snprintf(prev, sizeof(prev), "%s/%s.previous.json", a->dir, key);
	have = access(path, F_OK) == 0;
	if (!have && !a->save) {
		log_err("baseline: no baseline for this host (%s) in %s: pin one with bindprof baseline save %s", key,
			a->dir, a->run);
		return EXIT_BADINPUT;
	}
	if (a->save && (!have || a->replace)) {
		st = pin(a, path, prev);
		if (!st)
			printf("baseline: pinned %s as %s (%s)\n", a->run, path, have ? "--replace" : "the host's first");
		return st;
	}
	a->diff[1] = path;
	a->diff[a->nd] = NULL;
	st = cmd_diff(a->nd, a->diff);
	if (!a->save)
		return st;
	if (st == EXIT_REGRESSION)
		log_err("baseline: not pinned: %s regresses against %s (--replace pins it anyway)", a->run, path);
	else if (st != EXIT_OK)
		log_err("baseline: not pinned: %s could not be compared with %s (above)", a->run, path);
	if (st != EXIT_OK)
		return st;
	if (!(st = pin(a, path, prev)))
		printf("baseline: pinned %s as %s (no regression against the previous one, kept as %s)\n", a->run, path,
		       prev);
	return st;
}

int cmd_baseline(int argc, char **argv)
{
	struct bl_args a;
	char err[512], key[128];
	cJSON *doc;

	if (argc < 2 || (strcmp(argv[1], "save") && strcmp(argv[1], "check"))) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			fputs(baseline_usage, stdout);
			return EXIT_OK;
		}
		log_err("baseline: give save or check (bindprof baseline save|check RUN.json)");
		return EXIT_BADINPUT;
	}
	if (parse_args(argc, argv, &a, err, sizeof(err))) {
		log_err("baseline: %s", err);
		return EXIT_BADINPUT;
	}
	if (a.help) {
		sub_usage(&a);
		return EXIT_OK;
	}
	doc = profile_read(a.run, err, sizeof(err));
	if (!doc) {
		log_err("baseline: %s", err);
		return EXIT_BADINPUT;
	}
	if (host_key(doc, key, sizeof(key))) {
		log_err("baseline: '%s' records no host (metadata.host.hostname): a baseline is kept per host", a.run);
		cJSON_Delete(doc);
		return EXIT_BADINPUT;
	}
	if (a.save && cJSON_IsTrue(cJSON_GetObjectItem(doc, "partial")) && !target_failed(doc, err, sizeof(err))) {
		log_err("baseline: '%s' is partial (%s): a partial run is never pinned", a.run,
			cJSON_IsString(cJSON_GetObjectItem(doc, "partial_reason"))
				? cJSON_GetObjectItem(doc, "partial_reason")->valuestring : "no reason");
		cJSON_Delete(doc);
		return EXIT_BADINPUT;
	}
	if (target_failed(doc, err, sizeof(err))) {
		log_err("baseline: %s: the target failed: %s; %s", a.run, err, a.save ? "not pinned" : "not compared");
		cJSON_Delete(doc);
		return EXIT_TARGET;
	}
	cJSON_Delete(doc);
	return save_or_check(&a, key);
}
