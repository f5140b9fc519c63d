/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof report FILE.json [--format table|markdown]`: print any bindprof JSON for a person. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/log.h"
#include "output/document.h"

static const char report_usage[] =
	"usage: bindprof report FILE.json [--format table|markdown]\n"
	"\n"
	"Print a bindprof JSON for a person: for record, the target, resources, GIL, GC, syscalls,\n"
	"overhead and warnings; for profile and load, throughput and latency per workload.\n";

struct fmt {
	bool md;
};

static const cJSON *get(const cJSON *o, const char *path)
{
	return profile_get(o, path);
}

static double num(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

static void heading(const struct fmt *f, const char *h)
{
	printf(f->md ? "\n### %s\n\n" : "\n%s\n", h);
}

/* A negative width is a left-aligned (text) column. */
static bool widths_left(const int *widths, int i)
{
	return widths[i] < 0;
}

static void row(const struct fmt *f, const char *cells[], int n, const int *widths)
{
	for (int i = 0; i < n; i++) {
		if (f->md)
			printf("| %s ", cells[i]);
		else
			printf(i && !widths_left(widths, i) ? "  %*s" : "  %-*s", widths[i] < 0 ? -widths[i] : widths[i],
			       cells[i]);
	}
	printf(f->md ? "|\n" : "\n");
}

static void rule(const struct fmt *f, int n)
{
	if (!f->md)
		return;
	for (int i = 0; i < n; i++)
		printf(i ? "---:|" : "|:---|");
	printf("\n");
}

static void print_syscalls(const struct fmt *f, const cJSON *sys)
{
	static const int w[] = { 20, 10, 8, 12, 10, 10, 10, 10 };
	const char *hdr[] = { "syscall", "count", "errors", "total_ms", "p50_us", "p90_us", "p99_us", "max_us" };
	const cJSON *e;
	char b[7][32];
	const char *cells[8];

	heading(f, "Syscalls");
	printf(f->md ? "%.0f calls, %.2f ms in total\n\n" : "  %.0f calls, %.2f ms in total\n",
	       num(sys, "total_count"), num(sys, "total_time_ms"));
	row(f, hdr, 8, w);
	rule(f, 8);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(sys, "by_syscall")) {
		snprintf(b[0], 32, "%.0f", num(e, "count"));
		snprintf(b[1], 32, "%.0f", num(e, "errors"));
		snprintf(b[2], 32, "%.3f", num(e, "total_ms"));
		snprintf(b[3], 32, "%.1f", num(e, "p50_us"));
		snprintf(b[4], 32, "%.1f", num(e, "p90_us"));
		snprintf(b[5], 32, "%.1f", num(e, "p99_us"));
		snprintf(b[6], 32, "%.1f", num(e, "max_us"));
		cells[0] = str(e, "name");
		for (int i = 0; i < 7; i++)
			cells[i + 1] = b[i];
		row(f, cells, 8, w);
	}
}

static void print_gil(const struct fmt *f, const cJSON *g)
{
	static const int w[] = { 10, -16, 12, 12, 8 };
	const char *hdr[] = { "tid", "name", "wait_ms", "hold_ms", "waits" };
	const cJSON *t;

	heading(f, "GIL");
	printf(f->md ? "method `%s`: %.1f ms waited in %.0f waits (p50 %.0f us, p99 %.0f us, max %.0f us); "
		       "%.0f switches\n"
		     : "  method %s: %.1f ms waited in %.0f waits (p50 %.0f us, p99 %.0f us, max %.0f us); "
		       "%.0f switches\n",
	       str(g, "method"), num(g, "wait_ms_total"), num(g, "waits"), num(g, "wait_us.p50"),
	       num(g, "wait_us.p99"), num(g, "wait_us.max"), num(g, "switches"));
	if (cJSON_IsNumber(get(g, "hold_ms_total")))
		printf(f->md ? "\nheld %.1f ms; contention %.1f%%\n" : "  held %.1f ms; contention %.1f%%\n",
		       num(g, "hold_ms_total"), num(g, "contention_percent"));
	if (f->md)
		printf("\n");
	row(f, hdr, 5, w);
	rule(f, 5);
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "threads")) {
		char b[4][32];
		const char *cells[5];

		snprintf(b[0], 32, "%.0f", num(t, "tid"));
		snprintf(b[1], 32, "%.1f", num(t, "wait_ms"));
		if (cJSON_IsNumber(get(t, "hold_ms")))
			snprintf(b[2], 32, "%.1f", num(t, "hold_ms"));
		else
			snprintf(b[2], 32, "-");
		snprintf(b[3], 32, "%.0f", num(t, "waits"));
		cells[0] = b[0];
		cells[1] = str(t, "name");
		cells[2] = b[1];
		cells[3] = b[2];
		cells[4] = b[3];
		row(f, cells, 5, w);
	}
}

static void print_gc(const struct fmt *f, const cJSON *g)
{
	const cJSON *e;

	heading(f, "GC");
	printf(f->md ? "method `%s`: %.0f collections, %.2f ms paused (max %.2f ms, p50 %.0f us, p99 %.0f us)\n"
		     : "  method %s: %.0f collections, %.2f ms paused (max %.2f ms, p50 %.0f us, p99 %.0f us)\n",
	       str(g, "method"), num(g, "collections"), num(g, "pause_ms_total"), num(g, "pause_max_ms"),
	       num(g, "pause_us.p50"), num(g, "pause_us.p99"));
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(g, "by_generation")) {
		const cJSON *gen = cJSON_GetObjectItem(e, "generation");

		printf(f->md ? "- generation %s: %.0f collections, %.2f ms\n" : "    generation %s: %.0f collections, %.2f ms\n",
		       cJSON_IsNumber(gen) ? (gen->valueint == 0 ? "0" : gen->valueint == 1 ? "1" : "2") : "?",
		       num(e, "collections"), num(e, "pause_ms_total"));
	}
}

/* A per-request figure: "-" when its probe was off (null). */
static void metric(char *b, size_t n, const cJSON *e, const char *path, const char *fmt)
{
	const cJSON *v = get(e, path);

	if (cJSON_IsNumber(v))
		snprintf(b, n, fmt, v->valuedouble);
	else
		snprintf(b, n, "-");
}

static const int req_w[] = { -44, 8, 9, 9, 10, 6, 9, 7, 9 };
static const char *const req_hdr[] = { "endpoint", "count", "p50 ms", "p99 ms", "GIL us", "FFI", "FFI us", "GC",
				       "syscalls" };

static void requests_header(const struct fmt *f)
{
	heading(f, "Requests per endpoint (server side; per request: GIL wait, FFI crossings and time, GC pauses "
		   "as means, syscalls p50)");
	row(f, (const char **)req_hdr, 9, req_w);
	rule(f, 9);
}

static void requests_rows(const struct fmt *f, const char *prefix, const cJSON *req)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(req, "endpoints")) {
		char label[256], b[8][32];
		const char *cells[9] = { label };

		snprintf(label, sizeof(label), "%s%s", prefix, str(e, "endpoint"));
		snprintf(b[0], 32, "%.0f", num(e, "count"));
		metric(b[1], 32, e, "latency.p50_ms", "%.3f");
		metric(b[2], 32, e, "latency.p99_ms", "%.3f");
		metric(b[3], 32, e, "per_request.gil_wait_us.mean", "%.1f");
		metric(b[4], 32, e, "per_request.ffi_crossings.mean", "%.2f");
		metric(b[5], 32, e, "per_request.ffi_time_us.mean", "%.1f");
		metric(b[6], 32, e, "per_request.gc_pauses.mean", "%.3f");
		metric(b[7], 32, e, "per_request.syscalls.p50", "%.0f");
		for (int i = 0; i < 8; i++)
			cells[i + 1] = b[i];
		row(f, cells, 9, req_w);
	}
}

static void load_line(const struct fmt *f, const char *label, const cJSON *r)
{
	const cJSON *lat = get(r, "latency");
	char a[32], b[32], c[32], d[32], e[32], g[32];
	const char *cells[7] = { label, a, b, c, d, e, g };
	static const int w[] = { -30, 12, 10, 10, 10, 9, 14 };

	snprintf(a, sizeof(a), "%.1f", num(r, "throughput.requests_per_sec"));
	snprintf(b, sizeof(b), cJSON_IsObject(lat) ? "%.3f" : "-", num(r, "latency.median_ms"));
	snprintf(c, sizeof(c), cJSON_IsObject(lat) ? "%.3f" : "-", num(r, "latency.p99_ms"));
	snprintf(d, sizeof(d), cJSON_IsObject(lat) ? "%.3f" : "-", num(r, "latency.max_ms"));
	snprintf(e, sizeof(e), "%.0f", num(r, "throughput.failed_requests") + num(r, "errors.connect"));
	if (cJSON_IsObject(get(r, "profiled_throughput")))
		snprintf(g, sizeof(g), "%.1f", num(r, "profiled_throughput.requests_per_sec"));
	else
		snprintf(g, sizeof(g), "-");
	row(f, cells, 7, w);
}

static void print_runs(const struct fmt *f, const cJSON *doc)
{
	static const int w[] = { -30, 12, 10, 10, 10, 9, 14 };
	const char *hdr[] = { "workload", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "profiled r/s" };
	const cJSON *s, *wl;

	heading(f, "Throughput and latency");
	row(f, hdr, 7, w);
	rule(f, 7);
	if (!strcmp(str(doc, "mode"), "load")) {
		load_line(f, str(doc, "configuration.url"), get(doc, "results"));
		return;
	}
	cJSON_ArrayForEach(s, get(doc, "suites")) cJSON_ArrayForEach(wl, cJSON_GetObjectItem(s, "workloads")) {
		char label[128];

		snprintf(label, sizeof(label), "%s/%s", str(s, "name"), str(wl, "name"));
		if (cJSON_IsObject(get(wl, "results")))
			load_line(f, label, get(wl, "results"));
	}
	{
		bool any = false;

		cJSON_ArrayForEach(s, get(doc, "suites")) cJSON_ArrayForEach(wl, cJSON_GetObjectItem(s, "workloads")) {
			char prefix[128];

			if (!cJSON_IsObject(get(wl, "results.profiling.requests")))
				continue;
			if (!any)
				requests_header(f);
			any = true;
			snprintf(prefix, sizeof(prefix), "%s/%s: ", str(s, "name"), str(wl, "name"));
			requests_rows(f, prefix, get(wl, "results.profiling.requests"));
		}
		if (any)
			printf("\n");
	}
	printf(f->md ? "\n%.0f workloads, %.0f requests, %.1f req/s on average, %.0f%% successful\n"
		     : "  %.0f workloads, %.0f requests, %.1f req/s on average, %.0f%% successful\n",
	       num(doc, "summary.total_workloads"), num(doc, "summary.total_requests"),
	       num(doc, "summary.avg_requests_per_sec"), 100 * num(doc, "summary.overall_success_rate"));
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct fmt f = { 0 };
	const cJSON *res, *sys, *w;
	char err[512];
	cJSON *doc;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md")) {
				f.md = true;
			} else if (strcmp(optarg, "table")) {
				log_err("report: --format: unknown format '%s' (table, markdown)", optarg);
				return EXIT_BADINPUT;
			}
			break;
		case 'h':
			fputs(report_usage, stdout);
			return EXIT_OK;
		case ':':
			log_err("report: option '%s' needs a value", argv[optind - 1]);
			return EXIT_BADINPUT;
		default:
			log_err("report: unknown option '%s'", argv[optind - 1]);
			return EXIT_BADINPUT;
		}
	}
	if (optind != argc - 1) {
		log_err("report: give exactly one FILE.json");
		return EXIT_BADINPUT;
	}
	doc = profile_read(argv[optind], err, sizeof(err));
	if (!doc) {
		log_err("report: %s", err);
		return EXIT_BADINPUT;
	}
	if (!cJSON_IsNumber(get(doc, "schema_version")) || !cJSON_IsString(get(doc, "mode"))) {
		log_err("report: '%s' is not a bindprof profile (no schema_version/mode)", argv[optind]);
		cJSON_Delete(doc);
		return EXIT_BADINPUT;
	}
	printf(f.md ? "## bindprof %s profile%s\n\n" : "bindprof %s profile%s\n", str(doc, "mode"),
	       cJSON_IsTrue(get(doc, "partial")) ? " (partial)" : "");
	if (cJSON_IsObject(get(doc, "metadata.target")))
		printf(f.md ? "- target: pid %.0f `%s` (%s %s)\n" : "  target: pid %.0f %s (%s %s)\n",
		       num(doc, "metadata.target.pid"), str(doc, "metadata.target.cmdline"),
		       str(doc, "metadata.target.runtime"), str(doc, "metadata.target.runtime_version"));
	printf(f.md ? "- host: %s, %s, %.0f cores, kernel %s\n" : "  host:   %s, %s, %.0f cores, kernel %s\n",
	       str(doc, "metadata.host.hostname"), str(doc, "metadata.host.cpu_model"),
	       num(doc, "metadata.host.cpu_cores"), str(doc, "metadata.host.kernel"));
	if (!strcmp(str(doc, "mode"), "load") || !strcmp(str(doc, "mode"), "profile"))
		print_runs(&f, doc);
	res = get(doc, "results");
	if (cJSON_IsObject(get(res, "resources.cpu")))
		printf(f.md ? "- cpu: avg %.1f%%, p95 %.1f%%, peak %.1f%%\n" : "  cpu:    avg %.1f%%, p95 %.1f%%, peak %.1f%%\n",
		       num(res, "resources.cpu.avg_percent"), num(res, "resources.cpu.p95_percent"),
		       num(res, "resources.cpu.peak_percent"));
	if (cJSON_IsObject(get(res, "resources.memory")))
		printf(f.md ? "- memory: RSS avg %.1f MB, peak %.1f MB; USS peak %.1f MB\n"
			    : "  memory: RSS avg %.1f MB, peak %.1f MB; USS peak %.1f MB\n",
		       num(res, "resources.memory.avg_mb"), num(res, "resources.memory.peak_mb"),
		       num(res, "resources.memory.uss_peak_mb"));
	if (cJSON_IsObject(get(res, "profiling.gil")))
		print_gil(&f, get(res, "profiling.gil"));
	if (cJSON_IsObject(get(res, "profiling.gc")))
		print_gc(&f, get(res, "profiling.gc"));
	sys = get(res, "profiling.syscalls");
	if (cJSON_IsObject(sys))
		print_syscalls(&f, sys);
	if (cJSON_IsObject(get(res, "profiling.requests"))) {
		const cJSON *ex = get(res, "profiling.requests.exemplars");

		requests_header(&f);
		requests_rows(&f, "", get(res, "profiling.requests"));
		if (cJSON_GetArraySize(ex))
			printf(f.md ? "\nslowest: %s in %.3f ms\n" : "  slowest: %s in %.3f ms\n",
			       str(cJSON_GetArrayItem(ex, 0), "endpoint"), num(cJSON_GetArrayItem(ex, 0), "latency_ms"));
	}
	if (!cJSON_IsObject(get(res, "overhead")))
		; /* load and profile files: no probes of their own at the top level */
	else if (heading(&f, "Overhead"), cJSON_IsNumber(get(res, "overhead.estimated_cpu_ms")))
		printf(f.md ? "est. %.2f ms of probe CPU, %.2f%% of the target's CPU; %.0f lost events\n"
			    : "  est. %.2f ms of probe CPU, %.2f%% of the target's CPU; %.0f lost events\n",
		       num(res, "overhead.estimated_cpu_ms"), num(res, "overhead.estimated_percent"),
		       num(res, "lost_events"));
	else
		printf(f.md ? "not estimated; %.0f lost events\n" : "  not estimated; %.0f lost events\n",
		       num(res, "lost_events"));
	if (cJSON_GetArraySize(get(doc, "warnings"))) {
		heading(&f, "Warnings");
		cJSON_ArrayForEach(w, get(doc, "warnings"))
			printf(f.md ? "- **%s**: %s\n" : "  [%s] %s\n", str(w, "section"), str(w, "message"));
	}
	cJSON_Delete(doc);
	return EXIT_OK;
}
