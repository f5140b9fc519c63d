/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof report FILE.json [--format table|markdown]`: print any bindprof JSON for a person. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "probes/net.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/report.h"
#include "lib/json.h"
#include "stats/wlhealth.h"
#include "lib/log.h"
#include "output/document.h"

enum { O_FORMAT = 1, O_HELP };

static const struct cli_option report_options[] = {
	{ "format", 'f', O_FORMAT, "table|markdown", "table (the default) or markdown (also: md)", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

static const char report_about[] =
	"Print a bindprof JSON for a person: for record, the target, resources, GIL, GC, syscalls, overhead and "
	"warnings; for profile and load, throughput and latency per workload.";

struct fmt {
	bool md;
};

/* A figure of o at path times scale in fmt, or "-" when the file lacks it (absent or null: not
 * measured): a missing figure is never printed as 0. Up to 24 in one statement (rotating buffers). */
static const char *fig_scaled(const cJSON *o, const char *path, const char *fmt, double scale)
{
	static char buf[24][48];
	static unsigned next;
	char *b = buf[next++ % 24];
	const cJSON *v = json_get(o, path);

	if (cJSON_IsNumber(v))
		snprintf(b, 48, fmt, v->valuedouble * scale);
	else
		snprintf(b, 48, "-");
	return b;
}

static const char *fig(const cJSON *o, const char *path, const char *fmt)
{
	return fig_scaled(o, path, fmt, 1);
}

/* A table column of a row's object: the figure at path in fmt, or the string at path when fmt
 * is NULL ("-" for either when absent). */
struct col {
	const char *path, *fmt;
};

/* n cells of object o by its columns (fig's buffers: print them before the next row). */
static void cells_of(const char **cells, const cJSON *o, const struct col *cols, int n)
{
	for (int i = 0; i < n; i++)
		cells[i] = cols[i].fmt ? fig(o, cols[i].path, cols[i].fmt) : json_str_or(o, cols[i].path, "-");
}

static int report_option(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct report_opts *o = ctx;

	if (id == O_HELP) {
		o->help = true;
		return CLI_STOP;
	}
	if (strcmp(arg, "markdown") && strcmp(arg, "md") && strcmp(arg, "table")) {
		snprintf(err, errlen, "--format: unknown format '%s' (table, markdown)", arg);
		return -EINVAL;
	}
	o->markdown = strcmp(arg, "table");
	return 0;
}

int report_parse_opts(int argc, char **argv, struct report_opts *o, char *err, int errlen)
{
	int first;

	memset(o, 0, sizeof(*o));
	first = cli_parse(report_options, 0, argc, argv, report_option, o, err, errlen);
	if (first <= 0)
		return first;
	if (argc - first != 1) {
		snprintf(err, errlen, "give exactly one FILE.json");
		return -EINVAL;
	}
	o->path = argv[first];
	return 0;
}

void report_usage(FILE *f)
{
	cli_options_usage(f, "bindprof report", "FILE.json", report_options, report_about, NULL);
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

/* A header, then a row of n (<= 16) columns per element of items. */
static void table(const struct fmt *f, const char **hdr, const int *w, const struct col *cols, int n,
		  const cJSON *items)
{
	const char *cells[16];
	const cJSON *e;

	row(f, hdr, n, w);
	rule(f, n);
	cJSON_ArrayForEach(e, items) {
		cells_of(cells, e, cols, n);
		row(f, cells, n, w);
	}
}

static void print_syscalls(const struct fmt *f, const cJSON *sys)
{
	static const int w[] = { 20, 10, 8, 12, 10, 10, 10, 10 };
	const char *hdr[] = { "syscall", "count", "errors", "total_ms", "p50_us", "p90_us", "p99_us", "max_us" };
	static const struct col cols[] = { { "name", NULL },     { "count", "%.0f" },  { "errors", "%.0f" },
					   { "total_ms", "%.3f" }, { "p50_us", "%.1f" }, { "p90_us", "%.1f" },
					   { "p99_us", "%.1f" },   { "max_us", "%.1f" } };

	heading(f, "Syscalls");
	printf(f->md ? "%s calls, %s ms in total\n\n" : "  %s calls, %s ms in total\n",
	       fig(sys, "total_count", "%.0f"), fig(sys, "total_time_ms", "%.2f"));
	table(f, hdr, w, cols, 8, cJSON_GetObjectItem(sys, "by_syscall"));
}

static void print_gil(const struct fmt *f, const cJSON *g)
{
	static const int w[] = { 10, -16, 12, 12, 8 };
	const char *hdr[] = { "tid", "name", "wait_ms", "hold_ms", "waits" };
	static const struct col cols[] = { { "tid", "%.0f" }, { "name", NULL }, { "wait_ms", "%.1f" },
					   { "hold_ms", "%.1f" }, { "waits", "%.0f" } };

	heading(f, "GIL");
	printf(f->md ? "method `%s`: %s ms waited in %s waits (p50 %s us, p99 %s us, max %s us); "
		       "%s switches\n"
		     : "  method %s: %s ms waited in %s waits (p50 %s us, p99 %s us, max %s us); "
		       "%s switches\n",
	       json_str_or(g, "method", "-"), fig(g, "wait_ms_total", "%.1f"), fig(g, "waits", "%.0f"), fig(g, "wait_us.p50", "%.0f"),
	       fig(g, "wait_us.p99", "%.0f"), fig(g, "wait_us.max", "%.0f"), fig(g, "switches", "%.0f"));
	if (cJSON_IsNumber(json_get(g, "hold_ms_total")))
		printf(f->md ? "\nheld %s ms; contention %s%%\n" : "  held %s ms; contention %s%%\n",
		       fig(g, "hold_ms_total", "%.1f"), fig(g, "contention_percent", "%.1f"));
	if (f->md)
		printf("\n");
	table(f, hdr, w, cols, 5, cJSON_GetObjectItem(g, "threads"));
}

static void print_gc(const struct fmt *f, const cJSON *g)
{
	const cJSON *e;

	heading(f, "GC");
	printf(f->md ? "method `%s`: %s collections, %s ms paused (max %s ms, p50 %s us, p99 %s us)\n"
		     : "  method %s: %s collections, %s ms paused (max %s ms, p50 %s us, p99 %s us)\n",
	       json_str_or(g, "method", "-"), fig(g, "collections", "%.0f"), fig(g, "pause_ms_total", "%.2f"), fig(g, "pause_max_ms", "%.2f"),
	       fig(g, "pause_us.p50", "%.0f"), fig(g, "pause_us.p99", "%.0f"));
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(g, "by_generation")) {
		const cJSON *gen = cJSON_GetObjectItem(e, "generation");

		printf(f->md ? "- generation %s: %s collections, %s ms\n" : "    generation %s: %s collections, %s ms\n",
		       cJSON_IsNumber(gen) ? (gen->valueint == 0 ? "0" : gen->valueint == 1 ? "1" : "2") : "?",
		       fig(e, "collections", "%.0f"), fig(e, "pause_ms_total", "%.2f"));
	}
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
	static const struct col cols[] = {
		{ "count", "%.0f" },			       { "latency.p50_ms", "%.3f" },
		{ "latency.p99_ms", "%.3f" },		       { "per_request.gil_wait_us.mean", "%.1f" },
		{ "per_request.ffi_crossings.mean", "%.2f" }, { "per_request.ffi_time_us.mean", "%.1f" },
		{ "per_request.gc_pauses.mean", "%.3f" },     { "per_request.syscalls.p50", "%.0f" },
	};
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(req, "endpoints")) {
		char label[256];
		const char *cells[9] = { label };

		snprintf(label, sizeof(label), "%s%s", prefix, json_str_or(e, "endpoint", "-"));
		cells_of(cells + 1, e, cols, 8);
		row(f, cells, 9, req_w);
	}
}

static void load_line(const struct fmt *f, const char *label, const cJSON *r)
{
	static const struct col cols[] = { { "throughput.requests_per_sec", "%.1f" }, { "latency.median_ms", "%.3f" },
					   { "latency.p99_ms", "%.3f" },		  { "latency.max_ms", "%.3f" } };
	static const int w[] = { -30, 12, 10, 10, 10, 9, 14 };
	char e[32], g[32];
	const char *cells[7] = { label, NULL, NULL, NULL, NULL, e, g };

	cells_of(cells + 1, r, cols, 4);
	if (cJSON_IsNumber(json_get(r, "throughput.failed_requests")))
		snprintf(e, sizeof(e), "%.0f",
			 json_num_or(r, "throughput.failed_requests", 0) + json_num_or(r, "errors.connect", 0));
	else
		snprintf(e, sizeof(e), "-");
	if (cJSON_IsObject(json_get(r, "profiled_throughput")))
		snprintf(g, sizeof(g), "%s", fig(r, "profiled_throughput.requests_per_sec", "%.1f"));
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
	if (!strcmp(json_str_or(doc, "mode", "-"), "load")) {
		load_line(f, json_str_or(doc, "configuration.url", "-"), json_get(doc, "results"));
		return;
	}
	cJSON_ArrayForEach(s, json_get(doc, "suites")) cJSON_ArrayForEach(wl, cJSON_GetObjectItem(s, "workloads")) {
		char label[128];

		snprintf(label, sizeof(label), "%s/%s", json_str_or(s, "name", "-"), json_str_or(wl, "name", "-"));
		if (cJSON_IsObject(json_get(wl, "results")))
			load_line(f, label, json_get(wl, "results"));
	}
	{
		bool any = false;

		cJSON_ArrayForEach(s, json_get(doc, "suites")) cJSON_ArrayForEach(wl, cJSON_GetObjectItem(s, "workloads")) {
			char prefix[128];

			if (!cJSON_IsObject(json_get(wl, "results.profiling.requests")))
				continue;
			if (!any)
				requests_header(f);
			any = true;
			snprintf(prefix, sizeof(prefix), "%s/%s: ", json_str_or(s, "name", "-"), json_str_or(wl, "name", "-"));
			requests_rows(f, prefix, json_get(wl, "results.profiling.requests"));
		}
		if (any)
			printf("\n");
	}
	{
		/* truncated, never rounded up: 4 errors in 50000 read 99.99%, not 100% */
		double total = json_num_or(doc, "summary.total_requests", 0), rate = json_num_or(doc, "summary.overall_success_rate", NAN);
		char pct[32];

		if (isnan(rate))
			snprintf(pct, sizeof(pct), "-");
		else
			fmt_rate_pct(pct, sizeof(pct), (uint64_t)llround(rate * total), (uint64_t)total);
		printf(f->md ? "\n%s workloads, %s requests, %s req/s on average, %s successful\n"
			     : "  %s workloads, %s requests, %s req/s on average, %s successful\n",
		       fig(doc, "summary.total_workloads", "%.0f"), fig(doc, "summary.total_requests", "%.0f"),
		       fig(doc, "summary.avg_requests_per_sec", "%.1f"), pct);
	}
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	struct fmt f = { 0 };
	const cJSON *res, *sys, *w;
	char err[512];
	cJSON *doc;

	if (report_parse_opts(argc, argv, &o, err, sizeof(err))) {
		log_err("report: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		report_usage(stdout);
		return EXIT_OK;
	}
	f.md = o.markdown;
	doc = profile_read(o.path, err, sizeof(err));
	if (!doc) {
		log_err("report: %s", err);
		return EXIT_BADINPUT;
	}
	if (!cJSON_IsNumber(json_get(doc, "schema_version")) || !cJSON_IsString(json_get(doc, "mode"))) {
		log_err("report: '%s' is not a bindprof profile (no schema_version/mode)", o.path);
		cJSON_Delete(doc);
		return EXIT_BADINPUT;
	}
	printf(f.md ? "## bindprof %s profile%s\n\n" : "bindprof %s profile%s\n", json_str_or(doc, "mode", "-"),
	       cJSON_IsTrue(json_get(doc, "partial")) ? " (partial)" : "");
	if (cJSON_IsObject(json_get(doc, "metadata.target")))
		printf(f.md ? "- target: pid %s `%s` (%s %s)\n" : "  target: pid %s %s (%s %s)\n",
		       fig(doc, "metadata.target.pid", "%.0f"), json_str_or(doc, "metadata.target.cmdline", "-"),
		       json_str_or(doc, "metadata.target.runtime", "-"), json_str_or(doc, "metadata.target.runtime_version", "-"));
	printf(f.md ? "- host: %s, %s, %s cores, kernel %s\n" : "  host:   %s, %s, %s cores, kernel %s\n",
	       json_str_or(doc, "metadata.host.hostname", "-"), json_str_or(doc, "metadata.host.cpu_model", "-"),
	       fig(doc, "metadata.host.cpu_cores", "%.0f"), json_str_or(doc, "metadata.host.kernel", "-"));
	if (!strcmp(json_str_or(doc, "mode", "-"), "load") || !strcmp(json_str_or(doc, "mode", "-"), "profile"))
		print_runs(&f, doc);
	res = json_get(doc, "results");
	if (cJSON_IsObject(json_get(res, "resources.cpu")))
		printf(f.md ? "- cpu: avg %s%%, p95 %s%%, peak %s%%\n" : "  cpu:    avg %s%%, p95 %s%%, peak %s%%\n",
		       fig(res, "resources.cpu.avg_percent", "%.1f"), fig(res, "resources.cpu.p95_percent", "%.1f"),
		       fig(res, "resources.cpu.peak_percent", "%.1f"));
	if (cJSON_IsObject(json_get(res, "resources.memory")))
		printf(f.md ? "- memory: RSS avg %s MB, peak %s MB; USS peak %s MB\n"
			    : "  memory: RSS avg %s MB, peak %s MB; USS peak %s MB\n",
		       fig(res, "resources.memory.avg_mb", "%.1f"), fig(res, "resources.memory.peak_mb", "%.1f"),
		       fig(res, "resources.memory.uss_peak_mb", "%.1f"));
	if (cJSON_IsObject(json_get(res, "profiling.gil")))
		print_gil(&f, json_get(res, "profiling.gil"));
	if (cJSON_IsObject(json_get(res, "profiling.gc")))
		print_gc(&f, json_get(res, "profiling.gc"));
	sys = json_get(res, "profiling.syscalls");
	if (cJSON_IsObject(sys))
		print_syscalls(&f, sys);
	if (cJSON_IsObject(json_get(res, "profiling.requests"))) {
		const cJSON *ex = json_get(res, "profiling.requests.exemplars");

		requests_header(&f);
		requests_rows(&f, "", json_get(res, "profiling.requests"));
		if (cJSON_GetArraySize(ex))
			printf(f.md ? "\nslowest: %s in %s ms\n" : "  slowest: %s in %s ms\n",
			       json_str_or(cJSON_GetArrayItem(ex, 0), "endpoint", "-"), fig(cJSON_GetArrayItem(ex, 0), "latency_ms", "%.3f"));
	}
	if (cJSON_GetArraySize(json_get(res, "profiling.diagnoses"))) { /* net probe: record files */
		net_print_diagnoses(stdout, json_get(res, "profiling"), f.md ? "\n### Diagnoses\n" : "\nDiagnoses");
	}
	if (!strcmp(json_str_or(doc, "mode", "-"), "profile")) { /* and each profiled workload's */
		const cJSON *s, *wl;

		cJSON_ArrayForEach(s, json_get(doc, "suites")) cJSON_ArrayForEach(wl, cJSON_GetObjectItem(s, "workloads"))
			if (cJSON_GetArraySize(json_get(wl, "results.profiling.diagnoses"))) {
				char t[300];

				snprintf(t, sizeof(t), f.md ? "\n### Diagnoses: %s/%s\n" : "\nDiagnoses: %s/%s",
					 json_str_or(s, "name", "-"), json_str_or(wl, "name", "-"));
				net_print_diagnoses(stdout, json_get(wl, "results.profiling"), t);
			}
	}
	if (!cJSON_IsObject(json_get(res, "overhead")))
		; /* load and profile files: no probes of their own at the top level */
	else if (heading(&f, "Overhead"), cJSON_IsNumber(json_get(res, "overhead.estimated_cpu_ms")))
		printf(f.md ? "est. %s ms of probe CPU, %s%% of the target's CPU; %s lost events\n"
			    : "  est. %s ms of probe CPU, %s%% of the target's CPU; %s lost events\n",
		       fig(res, "overhead.estimated_cpu_ms", "%.2f"), fig(res, "overhead.estimated_percent", "%.2f"),
		       fig(res, "lost_events", "%.0f"));
	else
		printf(f.md ? "not estimated; %s lost events\n" : "  not estimated; %s lost events\n",
		       fig(res, "lost_events", "%.0f"));
	if (cJSON_GetArraySize(json_get(doc, "warnings"))) {
		heading(&f, "Warnings");
		cJSON_ArrayForEach(w, json_get(doc, "warnings"))
			printf(f.md ? "- **%s**: %s\n" : "  [%s] %s\n", json_str_or(w, "section", "-"), json_str_or(w, "message", "-"));
	}
	cJSON_Delete(doc);
	return EXIT_OK;
}
