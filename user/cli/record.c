/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof record`: the command line over the recording engine (core/recorder.h): attach,
 * measure until the duration ends, Ctrl-C or the target's exit, write the profile whole, print a
 * summary. Probes are detached on every exit path. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/export.h"
#include "cli/record_opts.h"
#include "core/guardian.h"
#include "core/follow.h"
#include "core/recorder.h"
#include "inspect/procfs.h"
#include "probes/net.h"
#include "lib/log.h"
#include "output/document.h"
#include "lib/json.h"
#include "lib/validate.h" /* harden: up-front checks */

static int output_dir_writable(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	return access(dirname(buf), W_OK) ? -errno : 0;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* requests: count, endpoints, the slowest endpoint (by p99) and its largest per-request cost. */
static void summary_requests(const cJSON *rq)
{
	static const struct {
		const char *path, *name;
	} costs[] = {
		{ "per_request.gil_wait_us.mean", "GIL wait" },
		{ "per_request.ffi_time_us.mean", "FFI" },
		{ "per_request.gc_time_us.mean", "GC" },
		{ "per_request.syscall_time_us.mean", "syscalls" },
	};
	const cJSON *e, *slow = NULL;
	int n = 0;

	if (!cJSON_IsObject(rq))
		return;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(rq, "endpoints")) {
		n++;
		if (!slow || json_num_or(e, "latency.p99_ms", 0) > json_num_or(slow, "latency.p99_ms", 0))
			slow = e;
	}
	if (!n) {
		printf("  requests: none seen on the target's sockets\n");
		return;
	}
	/* the slowest endpoint's own count: with 2 requests its "p99" is their max (a /stats endpoint hit
	 * twice was named the slowest of 4708 requests) */
	printf("  requests: %.0f in %d endpoint%s; slowest %s p99 %.3f ms over %.0f request%s", num(rq, "count"), n,
	       n == 1 ? "" : "s", json_str_or(slow, "endpoint", "?"), json_num_or(slow, "latency.p99_ms", 0),
	       json_num_or(slow, "count", 0), json_num_or(slow, "count", 0) == 1 ? "" : "s");
	{
		int best = -1;
		double bv = 0;

		for (int i = 0; i < (int)(sizeof(costs) / sizeof(costs[0])); i++) {
			const cJSON *v = json_get(slow, costs[i].path);

			if (cJSON_IsNumber(v) && v->valuedouble > bv) {
				bv = v->valuedouble;
				best = i;
			}
		}
		if (best >= 0)
			printf(", its largest cost %s %.1f us per request", costs[best].name, bv);
	}
	printf("\n");
}

/* ffi: probed calls and the top function, or the sampled libraries' top share. */
static void summary_ffi(const cJSON *ffi)
{
	const cJSON *fa = cJSON_GetObjectItem(ffi, "functions"), *e, *top = NULL;

	if (!cJSON_IsObject(ffi))
		return;
	if (cJSON_IsArray(fa)) {
		cJSON_ArrayForEach(e, fa)
			if (!top || num(e, "total_ms") > num(top, "total_ms"))
				top = e;
		printf("  ffi: %.0f calls, %.1f ms", num(ffi, "calls"), num(ffi, "total_ms"));
		if (top)
			printf("; top %s (%s) %.0f calls, %.1f ms, mean %.1f us", json_str_or(top, "symbol", "?"),
			       json_str_or(top, "library", "?"), num(top, "calls"), num(top, "total_ms"), num(top, "mean_us"));
		/* The mean is wall time: on a loaded machine the run-queue wait inside the calls can be most
		 * of it (a 1.2 us crc32 showed "mean 8.0 us"), so say how much and the figures without it. */
		if (top && num(top, "cpu_wait_ms") > 0.1 * num(top, "total_ms"))
			printf(" (%.1f ms of it waiting on a run queue: mean %.1f us without, p50 %.1f us)",
			       num(top, "cpu_wait_ms"), num(top, "mean_excl_cpu_wait_us"), num(top, "p50_us"));
		printf("\n");
		return;
	}
	top = cJSON_GetArrayItem(cJSON_GetObjectItem(ffi, "libraries"), 0);
	if (top)
		printf("  ffi (sampled, no --ffi): top native library %s, %.1f%% of the samples\n",
		       json_str_or(top, "library", "?"), num(top, "percent"));
}

/* The files written besides the JSON. */
static void summary_files(const cJSON *stk, const char *output)
{
	const char *paths[] = { json_str_or(stk, "folded_path", NULL), json_str_or(stk, "svg_path", NULL),
				json_str_or(stk, "gil_wait.folded_path", NULL), json_str_or(stk, "gil_wait.svg_path", NULL) };
	bool any = false;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (!paths[i] || !*paths[i])
			continue;
		printf("%s %s", any ? "," : "  files:", paths[i]);
		any = true;
	}
	if (any)
		printf("\n");
}

/* Every warning, once, one line each. */
static void summary_warnings(const cJSON *warnings)
{
	const cJSON *w, *p;
	int i = 0;

	cJSON_ArrayForEach(w, warnings) {
		bool dup = false;
		int j = 0;

		cJSON_ArrayForEach(p, warnings) {
			if (j++ >= i)
				break;
			dup |= !strcmp(json_str_or(p, "message", ""), json_str_or(w, "message", "")) &&
			       !strcmp(json_str_or(p, "section", ""), json_str_or(w, "section", ""));
		}
		i++;
		if (!dup)
			printf("  warning [%s]: %s\n", json_str_or(w, "section", "-"), json_str_or(w, "message", "-"));
	}
}

/* --no-children on a process that has children (a pre-fork server's master): their requests, samples
 * and CPU are in no figure, which a summary of "requests: none" does not say. Reads
 * /proc/PID/task/TID/children of every thread (kernel 3.5+, CONFIG_PROC_CHILDREN); prints nothing
 * when the file cannot be read or the process has no child. */
static void summary_children_left_out(const cJSON *doc, int pid)
{
	char path[64], line[4096], pids[64] = "";
	int n = 0;
	FILE *f;
	DIR *d;
	struct dirent *de;

	if (!cJSON_IsFalse(json_get(doc, "configuration.follow_children")) || pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(line, sizeof(line), "/proc/%d/task/%.16s/children", pid, de->d_name);
		if (!(f = fopen(line, "r")))
			continue;
		if (fgets(line, sizeof(line), f))
			for (char *t = strtok(line, " \n"); t; t = strtok(NULL, " \n")) {
				if (n < 3 && strlen(pids) + strlen(t) + 2 < sizeof(pids))
					snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), "%s%s", n ? ", " : "", t);
				n++;
			}
		fclose(f);
	}
	closedir(d);
	if (n)
		printf("  note: pid %d has %d child process%s (%s%s) that --no-children left out: their requests, "
		       "samples and CPU are in no figure above\n", pid, n, n == 1 ? "" : "es", pids, n > 3 ? ", ..." : "");
}

static void print_summary(const cJSON *doc, const struct recorder_result *r, const char *output)
{
	const cJSON *res = cJSON_GetObjectItem(doc, "results");
	const cJSON *sys = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "profiling"), "syscalls");
	const cJSON *rs = cJSON_GetObjectItem(res, "resources"), *ov = cJSON_GetObjectItem(res, "overhead");
	const cJSON *cpu = cJSON_GetObjectItem(rs, "cpu"), *mem = cJSON_GetObjectItem(rs, "memory"), *e;
	int shown = 0;

	printf("bindprof: pid %d (%s%s%s), %.2f s%s; wrote %s\n", r->pid,
	       r->runtime ? r->runtime : "unknown runtime", r->version[0] ? " " : "",
	       r->version, r->elapsed, r->partial ? " [partial]" : "", output);
	if (cJSON_IsObject(sys)) {
		printf("  syscalls: %.0f calls, %.1f ms", num(sys, "total_count"), num(sys, "total_time_ms"));
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(sys, "by_syscall")) {
			if (shown++ == 5)
				break;
			printf("%s %s %.0f (p50 %.1f us, p99 %.1f us)", shown == 1 ? "; top:" : ",",
			       cJSON_GetObjectItem(e, "name")->valuestring, num(e, "count"), num(e, "p50_us"),
			       num(e, "p99_us"));
		}
		printf("\n");
	}
	{
		const cJSON *prof = cJSON_GetObjectItem(res, "profiling");
		const cJSON *gil = cJSON_GetObjectItem(prof, "gil"), *gc = cJSON_GetObjectItem(prof, "gc");

		if (cJSON_IsObject(gil))
			printf("  gil (%s): %.1f ms waited in %.0f waits, %.0f switches%s\n",
			       cJSON_GetObjectItem(gil, "method")->valuestring, num(gil, "wait_ms_total"),
			       num(gil, "waits"), num(gil, "switches"),
			       cJSON_IsNumber(cJSON_GetObjectItem(gil, "contention_percent")) ? "" : "; hold: exact method only");
		if (cJSON_IsNumber(cJSON_GetObjectItem(gil, "contention_percent")))
			printf("       held %.1f ms, contention %.1f%%\n", num(gil, "hold_ms_total"),
			       num(gil, "contention_percent"));
		if (cJSON_IsObject(gc))
			printf("  gc (%s): %.0f collections, %.2f ms paused, max %.2f ms\n",
			       cJSON_GetObjectItem(gc, "method")->valuestring, num(gc, "collections"),
			       num(gc, "pause_ms_total"), num(gc, "pause_max_ms"));
	}
	{
		const cJSON *stk = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "profiling"), "stacks");
		const cJSON *sh = cJSON_GetObjectItem(stk, "share_percent");
		const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(stk, "top_self"), 0);

		if (cJSON_IsObject(stk)) {
			printf("  stacks: %.0f samples at %.0f Hz (python %.1f%%, native %.1f%%, kernel %.1f%%)",
			       num(stk, "samples"), num(stk, "frequency_hz"), num(sh, "python"), num(sh, "native"),
			       num(sh, "kernel"));
			if (top)
				printf("; top self: %s %.1f%%", cJSON_GetObjectItem(top, "frame")->valuestring,
				       num(top, "percent"));
			printf("\n");
		}
	}
	if (cJSON_IsObject(cpu) && cJSON_IsObject(mem))
		printf("  resources: cpu avg %.1f%% peak %.1f%%, rss avg %.1f MB peak %.1f MB\n",
		       num(cpu, "avg_percent"), num(cpu, "peak_percent"), num(mem, "avg_mb"),
		       num(mem, "peak_mb"));
	summary_requests(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "profiling"), "requests"));
	summary_ffi(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "profiling"), "ffi"));
	if (cJSON_IsNumber(cJSON_GetObjectItem(ov, "estimated_cpu_ms"))) {
		double pct = num(ov, "estimated_percent"), probe = num(ov, "estimated_cpu_ms");
		double target = pct > 0 ? probe * 100 / pct : 0;

		/* a share of almost nothing says nothing: under 10 ms of target CPU, give the two figures */
		if (pct > 0 && target >= 10)
			printf("  overhead: est. %.1f ms of probe CPU (%.2f%% of the target's CPU)\n", probe, pct);
		else
			printf("  overhead: est. %.1f ms of probe CPU; the target used %s of CPU, too little for a "
			       "share\n", probe, pct > 0 ? "under 10 ms" : "none measured");
	}
	printf("  lost events: %.0f\n", num(res, "lost_events"));
	net_print_diagnoses(stdout, cJSON_GetObjectItem(res, "profiling"), "  diagnoses:"); /* net probe */
	follow__print_summary(NULL, res);
	summary_children_left_out(doc, r->pid);
	summary_files(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "profiling"), "stacks"), output);
	summary_warnings(cJSON_GetObjectItem(doc, "warnings"));
}

/* Checks that need no privilege, before any: bad input is reported as such. */
static int check_input(const struct record_opts *o)
{
	int e;

	/* harden: every output path, and the -p target, checked before anything is attached */
	{
		char err[512], warn[256];

		if (validate_output_path("-o", o->output, err, sizeof(err)) ||
		    (o->folded && validate_output_path("--folded", o->folded, err, sizeof(err))) ||
		    (o->svg && validate_output_path("--svg", o->svg, err, sizeof(err))) ||
		    (o->pprof && validate_output_path("--pprof", o->pprof, err, sizeof(err))) ||
		    (o->speedscope && validate_output_path("--speedscope", o->speedscope, err, sizeof(err))) ||
		    (o->requests_log && validate_output_path("--requests-log", o->requests_log, err, sizeof(err))) ||
		    (o->pid && validate_pid_target("/proc", "-p", o->pid, err, sizeof(err), warn, sizeof(warn)))) {
			log_err("record: %s", err);
			return EXIT_BADINPUT;
		}
		if (o->pid && warn[0])
			log_warn("record: %s", warn);
	}
	/* end harden */
	if ((e = output_dir_writable(o->output))) {
		log_err("record: -o: cannot write '%s': %s", o->output, strerror(-e));
		return EXIT_BADINPUT;
	}
	if (o->pid && !procfs_alive("/proc", o->pid)) {
		log_err("record: -p: no such process: %d", o->pid);
		return EXIT_BADINPUT;
	}
	return EXIT_OK;
}

/* Open, start, run, stop, write: the engine's steps, one cleanup path. */
static int record_run(const struct record_opts *o)
{
	struct recorder *rec = NULL;
	cJSON *doc = NULL;
	char err[512];
	int ret, e;

	if ((ret = recorder_open(o, &rec, err, sizeof(err))) || (ret = recorder_start(rec, err, sizeof(err)))) {
		/* the environment's messages stand alone, as doctor prints them */
		log_err(!strncmp(err, "this kernel", 11) || !strncmp(err, "missing privileges", 18) ? "%s" : "record: %s",
			err);
		goto out;
	}
	if (!o->cmd)
		log_info("recording pid %d%s; Ctrl-C to stop", o->pid, o->duration ? "" : " until it exits");
	recorder_run(rec, NULL);
	recorder_stop(rec, signals_pending());
	doc = recorder_document(rec);
	if ((e = profile_write(doc, o->output))) {
		log_err("record: writing '%s': %s", o->output, strerror(-e));
		ret = exit_of_write_error(e);
		goto out;
	}
	print_summary(doc, recorder_result(rec), o->output);
	if ((o->pprof || o->speedscope) && (e = export_doc(doc, NULL, o->pprof, o->speedscope, err, sizeof(err)))) {
		log_err("record: export: %s", err);
		ret = EXIT_BADINPUT;
		goto out;
	}
	if (o->pprof || o->speedscope)
		printf("  export:%s%s%s%s\n", o->pprof ? " pprof " : "", o->pprof ? o->pprof : "",
		       o->speedscope ? " speedscope " : "", o->speedscope ? o->speedscope : "");
out:
	cJSON_Delete(doc);
	recorder_free(rec);
	return ret;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	char err[512];
	int ret;

	if (record_opts_parse(argc, argv, &o, err, sizeof(err))) {
		log_err("record: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		record_usage(stdout);
		return EXIT_OK;
	}
	log_verbosity = o.verbose;
	log_setup_libbpf();
	if ((ret = check_input(&o)))
		return ret;
	/* a command started here dies with bindprof, even by SIGKILL (the probes die with its fds) */
	guardian_start();
	signals_install();
	ret = record_run(&o);
	guardian_stop();
	return ret;
}
