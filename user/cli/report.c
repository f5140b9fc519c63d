/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof report FILE [--format table|markdown|html]`: print any bindprof JSON (record, load,
 * profile, compare, diff) for a person, every section that has data; html writes one
 * self-contained page with charts (output/html). A figure a file lacks (absent or null: not
 * measured) is printed as "-", never as 0. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/report.h"
#include "lib/json.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/validate.h"
#include "output/document.h"
#include "output/html.h"
#include "history/db.h"
#include "history/trend.h"
#include "output/table.h"
#include "stats/wlhealth.h"

enum { O_FORMAT = 1, O_OUT, O_TOP, O_HISTORY, O_HELP };

static const struct cli_option report_options[] = {
	{ "format", 'f', O_FORMAT, "table|markdown|html",
	  "table (the default), markdown (also: md), or html: one self-contained page with charts, written to "
	  "-o", 0 },
	{ "output", 'o', O_OUT, "FILE", "write there instead of stdout (needed for html)", 0 },
	{ "top", 'n', O_TOP, "N", "rows of the longer tables: stack frames, GIL threads, FFI functions, slowest requests (default 10)", 0 },
	{ "history", 0, O_HISTORY, "PATH|URL",
	  "html: draw the trend of the file's workloads from this history store (a SQLite file or "
	  "postgresql://...; default: ./.bindprof/history.db when it exists)", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

static const char report_about[] =
	"Print a bindprof JSON for a person: a record file's target, resources, GIL, GC, syscalls, top stack "
	"frames, FFI functions, requests per endpoint with their top FFI functions and syscalls, the slowest "
	"requests' breakdown, overhead and warnings; a load or profile file's throughput and latency per "
	"workload, repeats, --baseline ratios, then each workload's sections; a compare file's frameworks, "
	"ratios and significance; a diff file's verdicts. Columns are sized to their content; a long name is "
	"cut with an ellipsis.";

static int report_option(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct report_opts *o = ctx;
	char *end;
	long n;

	switch (id) {
	case O_HELP:
		o->help = true;
		return CLI_STOP;
	case O_OUT:
		o->output = arg;
		return 0;
	case O_HISTORY:
		o->history = arg;
		return 0;
	case O_TOP:
		n = strtol(arg, &end, 10);
		if (end == arg || *end || n < 1 || n > 10000) {
			snprintf(err, errlen, "--top: '%s' is not a number of rows (1..10000)", arg);
			return -EINVAL;
		}
		o->top = (int)n;
		return 0;
	}
	if (!strcmp(arg, "html")) {
		o->html = true;
		o->markdown = false;
		return 0;
	}
	if (strcmp(arg, "markdown") && strcmp(arg, "md") && strcmp(arg, "table")) {
		snprintf(err, errlen, "--format: unknown format '%s' (table, markdown, html)", arg);
		return -EINVAL;
	}
	o->html = false;
	o->markdown = strcmp(arg, "table");
	return 0;
}

int report_parse_opts(int argc, char **argv, struct report_opts *o, char *err, int errlen)
{
	int first;

	memset(o, 0, sizeof(*o));
	o->top = 10;
	first = cli_parse(report_options, 0, argc, argv, report_option, o, err, errlen);
	if (first <= 0)
		return first;
	if (argc - first != 1) {
		snprintf(err, errlen, "give exactly one FILE.json");
		return -EINVAL;
	}
	if (o->html && !o->output) {
		snprintf(err, errlen, "--format html writes a file: give -o FILE.html");
		return -EINVAL;
	}
	o->path = argv[first];
	return 0;
}

void report_usage(FILE *f)
{
	cli_options_usage(f, "bindprof report", "FILE.json", report_options, report_about, NULL);
}

/* ---- printing ---- */

struct rep {
	FILE *f;
	bool md;
	int top;
};

static void heading(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void heading(struct rep *r, const char *fmt, ...)
{
	va_list ap;

	fputs(r->md ? "\n### " : "\n", r->f);
	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
	fputc('\n', r->f);
}

/* One line of prose: "- ..." in markdown, indented in a table report. */
static void line(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct rep *r, const char *fmt, ...)
{
	va_list ap;

	fputs(r->md ? "- " : "  ", r->f);
	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
	fputc('\n', r->f);
}

/* A figure of o at path times scale in fmt, or "-" when the file lacks it. Up to 32 in one
 * statement (rotating buffers). */
static const char *figs(const cJSON *o, const char *path, const char *fmt, double scale)
{
	static char buf[32][64];
	static unsigned next;
	char *b = buf[next++ % 32];
	const cJSON *v = json_get(o, path);

	if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
		snprintf(b, 64, fmt, v->valuedouble * scale);
	else if (cJSON_IsBool(v))
		snprintf(b, 64, "%s", cJSON_IsTrue(v) ? "yes" : "no");
	else
		snprintf(b, 64, "-");
	return b;
}

static const char *fig(const cJSON *o, const char *path, const char *fmt)
{
	return figs(o, path, fmt, 1);
}

static bool has(const cJSON *o, const char *path)
{
	const cJSON *v = json_get(o, path);

	return v && !cJSON_IsNull(v);
}

/* A column of a table built from an array of objects: the number at path in fmt
), or the string at path when fmt is NULL. */
struct colspec {
	const char *hdr, *path, *fmt;
};

static void print_table(struct rep *r, struct table *t)
{
	fputc('\n', r->f);
	table_print(t, r->f, r->md, "  ");
	table_free(t);
}

/* A table of the first max (0: all) objects of arr by the columns. Prints "(none)" when empty. */
static void table_of(struct rep *r, const cJSON *arr, const struct colspec *c, int n, int max)
{
	const char *hdr[TABLE_MAX_COLS], *cells[TABLE_MAX_COLS];
	char align[TABLE_MAX_COLS + 1] = { 0 };
	const cJSON *e;
	struct table t;
	int rows = 0;

	for (int i = 0; i < n; i++) {
		hdr[i] = c[i].hdr;
		align[i] = c[i].fmt ? 'r' : 'l';
	}
	table_init(&t, n, hdr, align);
	cJSON_ArrayForEach(e, arr) {
		if (max && rows >= max)
			break;
		for (int i = 0; i < n; i++)
			cells[i] = c[i].fmt ? fig(e, c[i].path, c[i].fmt)
					    : json_str_or(e, c[i].path, "-");
		table_add(&t, cells);
		rows++;
	}
	if (!rows) {
		table_free(&t);
		line(r, "(none)");
		return;
	}
	print_table(r, &t);
	if (max && cJSON_GetArraySize(arr) > max)
		line(r, "... and %d more rows (--top N shows more)", cJSON_GetArraySize(arr) - max);
}

/* ---- a results object's sections ---- */

static void print_resources(struct rep *r, const cJSON *res)
{
	if (cJSON_IsObject(json_get(res, "resources.cpu")))
		line(r, "cpu: avg %s%%, p95 %s%%, peak %s%% (of one core)", fig(res, "resources.cpu.avg_percent", "%.1f"),
		     fig(res, "resources.cpu.p95_percent", "%.1f"), fig(res, "resources.cpu.peak_percent", "%.1f"));
	if (cJSON_IsObject(json_get(res, "resources.memory")))
		line(r, "memory: RSS avg %s MB, peak %s MB; USS peak %s MB", fig(res, "resources.memory.avg_mb", "%.1f"),
		     fig(res, "resources.memory.peak_mb", "%.1f"), fig(res, "resources.memory.uss_peak_mb", "%.1f"));
}

static int by_desc_key(const void *a, const void *b, const char *key)
{
	double x = json_num_or(*(const cJSON *const *)a, key, -1), y = json_num_or(*(const cJSON *const *)b, key, -1);

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_wait_ms(const void *a, const void *b)
{
	return by_desc_key(a, b, "wait_ms");
}

/* A copy of arr sorted by cmp (the caller deletes it); NULL when arr is not an array. */
static cJSON *sorted_copy(const cJSON *arr, int (*cmp)(const void *, const void *))
{
	int n = cJSON_GetArraySize(arr), k = 0;
	const cJSON **v = n > 0 ? calloc(n, sizeof(*v)) : NULL;
	cJSON *out = cJSON_CreateArray();
	const cJSON *e;

	if (!out || (n > 0 && !v)) {
		free(v);
		cJSON_Delete(out);
		return NULL;
	}
	cJSON_ArrayForEach(e, arr) v[k++] = e;
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp);
	for (int i = 0; i < k; i++)
		cJSON_AddItemToArray(out, cJSON_Duplicate(v[i], true));
	free(v);
	return out;
}

static void print_gil(struct rep *r, const cJSON *g)
{
	cJSON *threads = sorted_copy(cJSON_GetObjectItem(g, "threads"), by_wait_ms);
	static const struct colspec cols[] = {
		{ "tid", "tid", "%.0f" },	 { "thread", "name", NULL },	   { "wait ms", "wait_ms", "%.1f" },
		{ "hold ms", "hold_ms", "%.1f" }, { "waits", "waits", "%.0f" },
	};

	heading(r, "GIL");
	line(r, "method %s: wait ms (sum over threads) %s in %s waits (p50 %s us, p99 %s us, max %s us); %s switches",
	     json_str_or(g, "method", "-"), fig(g, "wait_ms_total", "%.1f"), fig(g, "waits", "%.0f"),
	     fig(g, "wait_us.p50", "%.0f"), fig(g, "wait_us.p99", "%.0f"), fig(g, "wait_us.max", "%.0f"),
	     fig(g, "switches", "%.0f"));
	if (has(g, "hold_ms_total"))
		line(r, "hold ms (sum over threads) %s; contention %s%%", fig(g, "hold_ms_total", "%.1f"),
		     fig(g, "contention_percent", "%.1f"));
	table_of(r, threads, cols, 5, r->top); /* the threads that waited longest first */
	cJSON_Delete(threads);
}

static void print_gc(struct rep *r, const cJSON *g)
{
	static const struct colspec cols[] = {
		{ "generation", "generation", "%.0f" },
		{ "collections", "collections", "%.0f" },
		{ "pause ms", "pause_ms_total", "%.2f" },
	};

	heading(r, "GC");
	line(r, "method %s: %s collections, %s ms paused (max %s ms, p50 %s us, p99 %s us)", json_str_or(g, "method", "-"),
	     fig(g, "collections", "%.0f"), fig(g, "pause_ms_total", "%.2f"), fig(g, "pause_max_ms", "%.2f"),
	     fig(g, "pause_us.p50", "%.0f"), fig(g, "pause_us.p99", "%.0f"));
	if (cJSON_GetArraySize(cJSON_GetObjectItem(g, "by_generation")))
		table_of(r, cJSON_GetObjectItem(g, "by_generation"), cols, 3, 0);
}

static void print_syscalls(struct rep *r, const cJSON *sys)
{
	static const struct colspec cols[] = {
		{ "syscall", "name", NULL },	 { "count", "count", "%.0f" },	  { "errors", "errors", "%.0f" },
		{ "total ms", "total_ms", "%.3f" }, { "p50 us", "p50_us", "%.1f" }, { "p90 us", "p90_us", "%.1f" },
		{ "p99 us", "p99_us", "%.1f" },	 { "max us", "max_us", "%.1f" },
	};

	heading(r, "Syscalls");
	line(r, "%s calls, %s ms in total (sum over threads)", fig(sys, "total_count", "%.0f"),
	     fig(sys, "total_time_ms", "%.2f"));
	table_of(r, cJSON_GetObjectItem(sys, "by_syscall"), cols, 8, 0); /* all: a few dozen at most */
}

static void print_stacks(struct rep *r, const cJSON *st)
{
	static const struct colspec self[] = {
		{ "frame (self)", "frame", NULL },
		{ "samples", "samples", "%.0f" },
		{ "%", "percent", "%.1f" },
	}, total[] = {
		{ "frame (total: with callees)", "frame", NULL },
		{ "samples", "samples", "%.0f" },
		{ "%", "percent", "%.1f" },
	}, gself[] = {
		{ "frame waiting for the GIL (self)", "frame", NULL },
		{ "wait us", "wait_us", "%.0f" },
		{ "%", "percent", "%.1f" },
	};
	const cJSON *g = cJSON_GetObjectItem(st, "gil_wait");

	heading(r, "Top stack frames (on-CPU samples)");
	line(r, "%s samples at %s Hz per CPU, %s lost; Python %s%%, native %s%%, kernel %s%% of the samples",
	     fig(st, "samples", "%.0f"), fig(st, "frequency_hz", "%.0f"), fig(st, "lost", "%.0f"),
	     fig(st, "share_percent.python", "%.1f"), fig(st, "share_percent.native", "%.1f"),
	     fig(st, "share_percent.kernel", "%.1f"));
	if (cJSON_IsString(json_get(st, "folded_path")))
		line(r, "folded: %s%s%s", json_str_or(st, "folded_path", "-"), has(st, "svg_path") ? "; flamegraph: " : "",
		     json_str_or(st, "svg_path", ""));
	table_of(r, cJSON_GetObjectItem(st, "top_self"), self, 3, r->top);
	table_of(r, cJSON_GetObjectItem(st, "top_total"), total, 3, r->top);
	if (cJSON_IsObject(g) && cJSON_GetArraySize(cJSON_GetObjectItem(g, "top_self"))) {
		line(r, "GIL-wait stacks: %s, %s ms waited (sum over threads)", fig(g, "stacks", "%.0f"),
		     fig(g, "wait_ms", "%.1f"));
		table_of(r, cJSON_GetObjectItem(g, "top_self"), gself, 3, r->top);
	}
}

static void print_ffi(struct rep *r, const cJSON *ffi)
{
	static const struct colspec fns[] = {
		{ "function", "symbol", NULL },	      { "library", "library", NULL },
		{ "python name", "python_name", NULL }, { "calls", "calls", "%.0f" },
		{ "total ms", "total_ms", "%.3f" },     { "mean us", "mean_us", "%.2f" },
		{ "p50 us", "p50_us", "%.2f" },	      { "p99 us", "p99_us", "%.2f" },
		{ "GIL released", "gil_released_calls", "%.0f" },
	}, libs[] = {
		{ "library", "library", NULL },
		{ "samples", "samples", "%.0f" },
		{ "% of samples", "percent", "%.1f" },
	};
	const cJSON *fa = cJSON_GetObjectItem(ffi, "functions");

	heading(r, "FFI (native calls from Python)");
	if (cJSON_IsArray(fa)) {
		line(r, "%s calls, %s ms inside them (sum over threads); probe overhead %s ms", fig(ffi, "calls", "%.0f"),
		     fig(ffi, "total_ms", "%.3f"), fig(ffi, "overhead_ms", "%.3f"));
		table_of(r, fa, fns, 9, r->top);
		if (cJSON_GetArraySize(cJSON_GetObjectItem(ffi, "unattached"))) {
			static const struct colspec ua[] = { { "not probed", "spec", NULL }, { "why", "reason", NULL } };

			table_of(r, cJSON_GetObjectItem(ffi, "unattached"), ua, 2, 0);
		}
	} else {
		line(r, "calls not counted: %s", json_str_or(ffi, "calls_reason", "-"));
		if (cJSON_GetArraySize(cJSON_GetObjectItem(ffi, "libraries")))
			table_of(r, cJSON_GetObjectItem(ffi, "libraries"), libs, 3, r->top);
	}
}

/* "name 12, other 3" from a top_ffi / top_syscalls array: key (symbol or name), calls. */
static void top_names(const cJSON *arr, const char *key, char *out, size_t len)
{
	const cJSON *e;
	size_t n = 0;
	int k = 0;

	snprintf(out, len, "-");
	cJSON_ArrayForEach(e, arr) {
		if (k++ == 3 || n >= len)
			break;
		n += snprintf(out + n, len - n, "%s%s %s", k > 1 ? ", " : "", json_str_or(e, key, "?"),
			      fig(e, "calls", "%.0f"));
	}
}

static void print_requests(struct rep *r, const cJSON *req)
{
	static const char *const hdr[] = { "endpoint", "count", "p50 ms", "p99 ms", "GIL wait us", "FFI calls",
					   "FFI us", "syscalls", "top FFI (calls)", "top syscalls (calls)" };
	static const struct colspec ex[] = {
		{ "slowest requests", "endpoint", NULL },
		{ "ms", "latency_ms", "%.3f" },
		{ "tid", "tid", "%.0f" },
		{ "GIL wait us", "breakdown.gil_wait_us", "%.0f" },
		{ "GIL hold us", "breakdown.gil_hold_us", "%.0f" },
		{ "FFI calls", "breakdown.ffi_crossings", "%.0f" },
		{ "FFI us", "breakdown.ffi_time_us", "%.0f" },
		{ "GC us", "breakdown.gc_time_us", "%.0f" },
		{ "syscalls", "breakdown.syscalls", "%.0f" },
		{ "syscall us", "breakdown.syscall_time_us", "%.0f" },
		{ "CPU samples", "breakdown.cpu_samples", "%.0f" },
	};
	const cJSON *e;
	struct table t;

	if (!cJSON_GetArraySize(cJSON_GetObjectItem(req, "endpoints")) && json_num_or(req, "count", 0) == 0) {
		heading(r, "Requests");
		line(r, "no HTTP request seen on the target's sockets (not a server, or no load ran)");
		return;
	}
	heading(r, "Requests per endpoint (server side; per request means, syscalls p50)");
	line(r, "%s requests (%s incomplete, %s closed unanswered), method %s", fig(req, "count", "%.0f"),
	     fig(req, "incomplete", "%.0f"), fig(req, "closed_unanswered", "%.0f"), json_str_or(req, "method", "-"));
	if (!cJSON_GetArraySize(cJSON_GetObjectItem(req, "endpoints")))
		return;
	table_init(&t, 10, hdr, "lrrrrrrrll");
	table_limit(&t, 0, 40);
	table_limit(&t, 8, 36);
	table_limit(&t, 9, 36);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(req, "endpoints")) {
		char tf[256], ts[256];
		const char *cells[10] = { json_str_or(e, "endpoint", "-"),
					  fig(e, "count", "%.0f"),
					  fig(e, "latency.p50_ms", "%.3f"),
					  fig(e, "latency.p99_ms", "%.3f"),
					  fig(e, "per_request.gil_wait_us.mean", "%.1f"),
					  fig(e, "per_request.ffi_crossings.mean", "%.2f"),
					  fig(e, "per_request.ffi_time_us.mean", "%.1f"),
					  fig(e, "per_request.syscalls.p50", "%.0f"),
					  tf,
					  ts };

		top_names(cJSON_GetObjectItem(e, "top_ffi"), "symbol", tf, sizeof(tf));
		top_names(cJSON_GetObjectItem(e, "top_syscalls"), "name", ts, sizeof(ts));
		table_add(&t, cells);
	}
	print_table(r, &t);
	if (cJSON_GetArraySize(cJSON_GetObjectItem(req, "exemplars"))) {
		heading(r, "Slowest requests: where their time went");
		table_of(r, cJSON_GetObjectItem(req, "exemplars"), ex, 11, r->top);
	}
	if (cJSON_IsObject(cJSON_GetObjectItem(req, "outside_requests")))
		line(r, "outside any request: GIL wait %s us, GC %s us, %s CPU samples",
		     fig(req, "outside_requests.gil_wait_us", "%.0f"), fig(req, "outside_requests.gc_time_us", "%.0f"),
		     fig(req, "outside_requests.cpu_samples", "%.0f"));
}

static void print_overhead(struct rep *r, const cJSON *res)
{
	heading(r, "Overhead");
	if (has(res, "overhead.estimated_cpu_ms"))
		line(r, "est. %s ms of probe CPU, %s%% of the target's CPU; %s probes attached; %s lost events",
		     fig(res, "overhead.estimated_cpu_ms", "%.2f"), fig(res, "overhead.estimated_percent", "%.2f"),
		     fig(res, "overhead.probes_attached", "%.0f"), fig(res, "lost_events", "%.0f"));
	else
		line(r, "not estimated; %s lost events", fig(res, "lost_events", "%.0f"));
}

static void print_repeats(struct rep *r, const cJSON *rep)
{
	static const struct colspec cols[] = {
		{ "repeat", "index", "%.0f" },
		{ "req/s", "requests_per_sec", "%.1f" },
		{ "p50 ms", "p50_ms", "%.3f" },
		{ "p99 ms", "p99_ms", "%.3f" },
	};
	const cJSON *s = cJSON_GetObjectItem(rep, "samples");
	cJSON *e;
	cJSON *copy = cJSON_Duplicate(s, true);
	int i = 1;

	line(r, "repeats: %s, req/s median %s (min %s, max %s)", fig(rep, "count", "%.0f"),
	     fig(rep, "median_requests_per_sec", "%.1f"), fig(rep, "min_requests_per_sec", "%.1f"),
	     fig(rep, "max_requests_per_sec", "%.1f"));
	if (cJSON_GetArraySize(copy) > 1) {
		cJSON_ArrayForEach(e, copy)
			if (cJSON_IsObject(e))
				cJSON_AddNumberToObject(e, "index", i++);
		table_of(r, copy, cols, 4, 0);
	}
	cJSON_Delete(copy);
}

/* The net probe's profiling.diagnoses[] (docs/network.md): name, summary, cost, fix. */
static void print_diagnoses(struct rep *r, const cJSON *list)
{
	const cJSON *d;

	heading(r, "Diagnoses");
	cJSON_ArrayForEach(d, list) {
		line(r, "%s: %s", json_str_or(d, "name", "-"), json_str_or(d, "summary", "-"));
		if (has(d, "estimated_cost_ms"))
			line(r, "estimated cost %s ms (%s)", fig(d, "estimated_cost_ms", "%.0f"),
			     json_str_or(d, "cost_method", "-"));
		line(r, "fix: %s", json_str_or(d, "fix", "-"));
	}
}

/* profiling.latency_decomposition (docs/network.md): a, b, c per endpoint, and the exemplars. */
static void print_split(struct rep *r, const cJSON *dec)
{
	static const struct colspec eps[] = {
		{ "endpoint", "endpoint", NULL },
		{ "count", "count", "%.0f" },
		{ "before 1st read p50", "before_first_read_ms.p50", "%.3f" },
		{ "p99", "before_first_read_ms.p99", "%.3f" },
		{ "server p50", "server_ms.p50", "%.3f" },
		{ "p99", "server_ms.p99", "%.3f" },
		{ "off-CPU not GIL p50", "server_off_cpu_not_gil_ms.p50", "%.3f" },
		{ "after last write p50", "after_last_write_ms.p50", "%.3f" },
		{ "p99", "after_last_write_ms.p99", "%.3f" },
	};
	static const struct colspec ex[] = {
		{ "slowest matched", "endpoint", NULL },
		{ "client ms", "client_ms", "%.3f" },
		{ "before 1st read", "before_first_read_ms", "%.3f" },
		{ "server", "server_ms", "%.3f" },
		{ "after last write", "after_last_write_ms", "%.3f" },
		{ "on CPU", "server_on_cpu_ms", "%.3f" },
		{ "GIL wait", "server_gil_wait_ms", "%.3f" },
		{ "port", "client_port", "%.0f" },
		{ "order", "order_on_connection", "%.0f" },
	};

	heading(r, "Where the client's time went (ms)");
	line(r, "%s of %s client requests matched with the server's (%s unmatched)", fig(dec, "matched", "%.0f"),
	     fig(dec, "client_requests", "%.0f"), fig(dec, "unmatched", "%.0f"));
	table_of(r, cJSON_GetObjectItem(dec, "endpoints"), eps, 9, 0);
	table_of(r, cJSON_GetObjectItem(dec, "exemplars"), ex, 9, 0);
}

/* Every section of one results object that has data. */
/* profile's load shapes, mixed suites and event streams (cli/shapes.h): results.ramp_up, burst,
 * sustained, streaming (SSE or WebSocket), mix[], page_faults (the --page-faults pass) and
 * malloc_sites (--malloc-sample), when the file has them. */
static void print_shapes(struct rep *r, const cJSON *res)
{
	const cJSON *ru = cJSON_GetObjectItem(res, "ramp_up"), *b = cJSON_GetObjectItem(res, "burst");
	const cJSON *su = cJSON_GetObjectItem(res, "sustained"), *st = cJSON_GetObjectItem(res, "streaming");
	const cJSON *mix = cJSON_GetObjectItem(res, "mix"), *pf = cJSON_GetObjectItem(res, "page_faults"), *x;
	const cJSON *ms = cJSON_GetObjectItem(res, "malloc_sites");

	if (!cJSON_IsObject(ru) && !cJSON_IsObject(b) && !cJSON_IsObject(su) && !cJSON_IsObject(st) &&
	    !cJSON_IsArray(mix) && !cJSON_IsObject(pf) && !cJSON_IsObject(ms))
		return;
	heading(r, "Load shape");
	if (cJSON_IsObject(ru))
		line(r, "ramp-up: 0 to %s req/s over %s s: %s of %s requests sent (%s scheduled, %s never sent)",
		     fig(ru, "to_rate", "%g"), fig(ru, "secs", "%g"), fig(ru, "sent_requests", "%.0f"),
		     fig(ru, "expected_requests", "%.0f"), fig(ru, "scheduled", "%.0f"), fig(ru, "missed_slots", "%.0f"));
	if (cJSON_IsObject(b))
		line(r, "burst: %s req/s, %s req/s from %s s to %s s; p99 before %s ms, during %s ms; recovery %s s: %s",
		     fig(b, "base_rps", "%g"), fig(b, "peak_rps", "%g"), fig(b, "starts_at_s", "%g"), fig(b, "ends_at_s", "%g"),
		     fig(b, "baseline_p99_ms", "%.3f"), fig(b, "peak_p99_ms", "%.3f"), fig(b, "recovery_secs", "%.1f"),
		     json_str_or(b, "reason", "-"));
	if ((x = json_get(su, "degradation")))
		line(r, "sustained: %s: %s", json_str_or(x, "verdict", "-"), json_str_or(x, "reason", "-"));
	if ((x = json_get(su, "memory.leak")))
		line(r, "memory (%s): %s: %s", json_str_or(x, "series", "-"), json_str_or(x, "verdict", "-"),
		     json_str_or(x, "reason", "-"));
	if (cJSON_IsObject(st) && !strcmp(json_str_or(st, "kind", ""), "websocket"))
		line(r, "websocket (%s): %s of %s connections upgraded, handshake p50 %s ms; first message p50 %s ms; "
		     "round trip p50 %s ms, p99 %s ms; %s messages sent, %s received, %s/s (%s errors)",
		     json_str_or(st, "mode", "-"), fig(st, "upgraded", "%.0f"), fig(st, "connections", "%.0f"),
		     fig(st, "handshake_ms.median_ms", "%.2f"), fig(st, "time_to_first_message_ms.median_ms", "%.2f"),
		     fig(st, "round_trip_ms.median_ms", "%.3f"), fig(st, "round_trip_ms.p99_ms", "%.3f"),
		     fig(st, "messages_sent", "%.0f"), fig(st, "messages_received", "%.0f"),
		     fig(st, "messages_per_sec", "%.1f"), fig(st, "errors", "%.0f"));
	else if (cJSON_IsObject(st))
		line(r, "event stream (%s): first event p50 %s ms, p99 %s ms; %s events, %s events/s over %s connections "
		     "(%s streams, %s errors)", json_str_or(st, "kind", "-"),
		     fig(st, "time_to_first_event_ms.median_ms", "%.1f"), fig(st, "time_to_first_event_ms.p99_ms", "%.1f"),
		     fig(st, "events", "%.0f"), fig(st, "events_per_sec", "%.1f"), fig(st, "connections", "%.0f"),
		     fig(st, "streams", "%.0f"), fig(st, "errors", "%.0f"));
	if (cJSON_IsArray(mix)) {
		static const struct colspec cols[] = {
			{ "request", "name", NULL },         { "method", "method", NULL },
			{ "path", "path", NULL },            { "weight", "weight", "%g" },
			{ "expected share", "expected_share", "%.3f" }, { "sent", "sent", "%.0f" },
			{ "sent share", "sent_share", "%.3f" }, { "answered", "answered", "%.0f" },
		};

		line(r, "mixed suite: each request's weight, expected and sent share (the reported pass)");
		table_of(r, mix, cols, 8, 0);
	}
	if (cJSON_IsObject(pf))
		line(r, "page faults (--page-faults pass): %s over %s requests (%s lost); folded: %s; flamegraph: %s",
		     fig(pf, "samples", "%.0f"), fig(pf, "requests", "%.0f"), fig(pf, "lost", "%.0f"),
		     json_str_or(pf, "folded_path", "-"), json_str_or(pf, "svg_path", "-"));
	if (cJSON_IsObject(ms))
		line(r, "malloc (--malloc-sample pass): %s calls, %s sampled (1 in %s) over %s requests (%s lost); folded: "
		     "%s; flamegraph: %s",
		     fig(ms, "malloc_calls", "%.0f"), fig(ms, "samples", "%.0f"), fig(ms, "malloc_every", "%.0f"),
		     fig(ms, "requests", "%.0f"), fig(ms, "lost", "%.0f"), json_str_or(ms, "folded_path", "-"),
		     json_str_or(ms, "svg_path", "-"));
}

static void print_results(struct rep *r, const cJSON *res)
{
	const cJSON *p = cJSON_GetObjectItem(res, "profiling");

	print_resources(r, res);
	if (cJSON_IsObject(cJSON_GetObjectItem(res, "repeats")))
		print_repeats(r, cJSON_GetObjectItem(res, "repeats"));
	print_shapes(r, res);
	if (cJSON_IsObject(cJSON_GetObjectItem(p, "gil")))
		print_gil(r, cJSON_GetObjectItem(p, "gil"));
	if (cJSON_IsObject(cJSON_GetObjectItem(p, "gc")))
		print_gc(r, cJSON_GetObjectItem(p, "gc"));
	if (cJSON_IsObject(cJSON_GetObjectItem(p, "syscalls")))
		print_syscalls(r, cJSON_GetObjectItem(p, "syscalls"));
	if (cJSON_IsObject(cJSON_GetObjectItem(p, "stacks")))
		print_stacks(r, cJSON_GetObjectItem(p, "stacks"));
	if (cJSON_IsObject(cJSON_GetObjectItem(p, "ffi")))
		print_ffi(r, cJSON_GetObjectItem(p, "ffi"));
	if (cJSON_IsObject(cJSON_GetObjectItem(p, "requests")))
		print_requests(r, cJSON_GetObjectItem(p, "requests"));
	if (cJSON_GetArraySize(cJSON_GetObjectItem(p, "diagnoses")))
		print_diagnoses(r, cJSON_GetObjectItem(p, "diagnoses"));
	if (cJSON_IsObject(cJSON_GetObjectItem(p, "latency_decomposition")))
		print_split(r, cJSON_GetObjectItem(p, "latency_decomposition"));
	else if (cJSON_IsObject(cJSON_GetObjectItem(res, "latency_decomposition"))) /* load --split-with */
		print_split(r, cJSON_GetObjectItem(res, "latency_decomposition"));
	if (cJSON_IsObject(cJSON_GetObjectItem(res, "overhead")))
		print_overhead(r, res);
}

/* ---- the kinds of file ---- */

static void load_row(struct table *t, const char *label, const cJSON *res)
{
	char errors[32];
	struct wl_health h;
	const char *cells[8] = { label,
				 fig(res, "throughput.requests_per_sec", "%.1f"),
				 fig(res, "latency.median_ms", "%.3f"),
				 fig(res, "latency.p99_ms", "%.3f"),
				 fig(res, "latency.max_ms", "%.3f"),
				 errors,
				 fig(res, "profiled_throughput.requests_per_sec", "%.1f"),
				 fig(res, "repeats.count", "%.0f") };

	/* failed attempts, connect errors counted once (stats/wlhealth.h) */
	if (has(res, "throughput.failed_requests") && !wl_health_of(res, 0, &h))
		snprintf(errors, sizeof(errors), "%llu", (unsigned long long)(h.attempts - h.ok));
	else
		snprintf(errors, sizeof(errors), "-");
	table_add(t, cells);
}

static const char *const load_hdr[] = { "workload", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "profiled r/s",
					"repeats" };

static void print_load(struct rep *r, const cJSON *doc)
{
	const cJSON *res = cJSON_GetObjectItem(doc, "results");
	struct table t;

	heading(r, "Throughput and latency");
	table_init(&t, 8, load_hdr, "lrrrrrrr");
	load_row(&t, json_str_or(doc, "configuration.url", "load"), res);
	print_table(r, &t);
	print_results(r, res);
}

/* --sweep (cli/scenarios.h): a row per point, then the scaling analysis. */
static void print_sweep(struct rep *r, const cJSON *sw)
{
	static const char *const hdr[] = { "value", "req/s", "p50 ms", "p99 ms", "errors", "memory MB" };
	const char *var = json_str_or(sw, "variable", "-");
	const cJSON *p, *g, *a = cJSON_GetObjectItem(sw, "analysis");
	struct table t;

	heading(r, "Sweep of %s (%s): one clean pass per point", var, json_str_or(sw, "unit", "-"));
	table_init(&t, 6, hdr, "rrrrrr");
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(sw, "points")) {
		const cJSON *res = cJSON_GetObjectItem(p, "results");
		const char *cells[6] = { fig(p, "value", "%g"), fig(res, "throughput.requests_per_sec", "%.1f"),
					 fig(res, "latency.median_ms", "%.3f"), fig(res, "latency.p99_ms", "%.3f"),
					 fig(res, "throughput.failed_requests", "%.0f"),
					 has(res, "resources.memory.uss_peak_mb") ? fig(res, "resources.memory.uss_peak_mb", "%.1f")
										 : fig(res, "resources.memory.peak_mb", "%.1f") };

		table_add(&t, cells);
	}
	print_table(r, &t);
	if (cJSON_IsObject(cJSON_GetObjectItem(a, "saturation")))
		line(r, "saturation: %s connections (%s): %s", fig(a, "saturation.concurrency", "%g"),
		     json_str_or(a, "saturation.basis", "-"), json_str_or(a, "saturation.reason", "-"));
	if (cJSON_IsObject(cJSON_GetObjectItem(a, "max_rate_meeting_p99")) && !has(a, "max_rate_meeting_p99.target_ms"))
		line(r, "highest rate meeting a p99 target: - (%s)", json_str_or(a, "max_rate_meeting_p99.reason", "-"));
	else if (cJSON_IsObject(cJSON_GetObjectItem(a, "max_rate_meeting_p99")))
		line(r, "highest rate with p99 <= %s ms: %s req/s (%s)", fig(a, "max_rate_meeting_p99.target_ms", "%g"),
		     fig(a, "max_rate_meeting_p99.rate", "%g"), json_str_or(a, "max_rate_meeting_p99.reason", "-"));
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(a, "growth"))
		line(r, "growth of %s with %s: exponent %s, 95%% CI [%s, %s], %s (%s)", g->string, var,
		     fig(g, "exponent", "%.3f"), figs(cJSON_GetArrayItem(cJSON_GetObjectItem(g, "ci95"), 0), "", "%.3f", 1),
		     figs(cJSON_GetArrayItem(cJSON_GetObjectItem(g, "ci95"), 1), "", "%.3f", 1), json_str_or(g, "verdict", "-"),
		     json_str_or(g, "reason", "-"));
}

static void print_profile(struct rep *r, const cJSON *doc)
{
	const cJSON *s, *w, *cmp = cJSON_GetObjectItem(doc, "comparison");
	struct table t;
	int failed = 0;

	heading(r, "Throughput and latency per workload (the median clean pass)");
	table_init(&t, 8, load_hdr, "lrrrrrrr");
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "suites")) cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads")) {
		char label[256];

		snprintf(label, sizeof(label), "%s/%s", json_str_or(s, "name", "-"), json_str_or(w, "name", "-"));
		if (cJSON_IsObject(cJSON_GetObjectItem(w, "results")))
			load_row(&t, label, cJSON_GetObjectItem(w, "results"));
		else
			failed++;
	}
	print_table(r, &t);
	{
		/* truncated, never rounded up: 4 errors in 50000 read 99.99%, not 100% */
		double all = json_num_or(doc, "summary.total_requests", 0),
		       rate = json_num_or(doc, "summary.overall_success_rate", NAN);
		char pct[32];

		if (isnan(rate))
			snprintf(pct, sizeof(pct), "-");
		else
			fmt_rate_pct(pct, sizeof(pct), (uint64_t)llround(rate * all), (uint64_t)all);
		line(r, "%s workloads (%d without results), %s requests, %s req/s on average, %s successful",
		     fig(doc, "summary.total_workloads", "%.0f"), failed, fig(doc, "summary.total_requests", "%.0f"),
		     fig(doc, "summary.avg_requests_per_sec", "%.1f"), pct);
	}
	if (cJSON_IsObject(cmp)) {
		static const struct colspec cols[] = {
			{ "suite", "suite", NULL },
			{ "workload", "workload", NULL },
			{ "req/s", "requests_per_sec", "%.1f" },
			{ "baseline req/s", "baseline_requests_per_sec", "%.1f" },
			{ "ratio", "ratio", "%.3f" },
		};

		heading(r, "Against the baseline %s", json_str_or(cmp, "baseline", "-"));
		table_of(r, cJSON_GetObjectItem(cmp, "workloads"), cols, 5, 0);
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "suites")) cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads")) {
		const cJSON *res = cJSON_GetObjectItem(w, "results");

		fprintf(r->f, r->md ? "\n## Workload %s/%s (%s %s)\n" : "\n== workload %s/%s (%s %s) ==\n",
			json_str_or(s, "name", "-"), json_str_or(w, "name", "-"), json_str_or(w, "endpoint.method", ""),
			json_str_or(w, "endpoint.path", ""));
		if (cJSON_IsObject(cJSON_GetObjectItem(w, "sweep")))
			print_sweep(r, cJSON_GetObjectItem(w, "sweep"));
		if (!cJSON_IsObject(res)) {
			line(r, "no results: %s", json_str_or(w, "error", "the workload failed"));
			continue;
		}
		print_results(r, res);
	}
}

static void print_compare(struct rep *r, const cJSON *doc)
{
	static const struct colspec fw[] = { { "framework", "name", NULL }, { "file", "file", NULL } };
	const cJSON *fws = cJSON_GetObjectItem(doc, "frameworks"), *e, *f;
	const char *hdr[TABLE_MAX_COLS];
	char align[TABLE_MAX_COLS + 1] = { 0 }, names[8][128];
	int nf = 0, nc;
	struct table t;

	heading(r, "Frameworks");
	table_of(r, fws, fw, 2, 0);
	cJSON_ArrayForEach(f, fws) {
		if (nf == 8)
			break;
		snprintf(names[nf++], sizeof(names[0]), "%s", json_str_or(f, "name", "?"));
	}
	heading(r, "Requests per second (median of the repeats) and significance (Mann-Whitney U)");
	hdr[0] = "workload";
	for (int i = 0; i < nf; i++)
		hdr[1 + i] = names[i];
	nc = 1 + nf;
	hdr[nc++] = "winner";
	hdr[nc++] = "ratio";
	hdr[nc++] = "ratio CI"; /* its level in the cell: compare's interval is 90% from 3 repeats */
	hdr[nc++] = "p-value";
	hdr[nc++] = "significant";
	hdr[nc++] = "failed"; /* a framework whose workload failed (mostly 4xx/5xx): its rate counts errors */
	for (int i = 0; i < nc; i++)
		align[i] = i == 0 || i == nf + 1 || i == nc - 1 ? 'l' : 'r';
	table_init(&t, nc, hdr, align);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "results")) {
		const char *cells[TABLE_MAX_COLS];
		const cJSON *sig = json_get(e, "comparison.statistical_significance"), *fl;
		char label[256], ci[64], failed[512] = "";
		int k = 0;

		snprintf(label, sizeof(label), "%s/%s", json_str_or(e, "suite", "-"), json_str_or(e, "workload", "-"));
		cells[k++] = label;
		for (int i = 0; i < nf; i++) {
			const cJSON *fr = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "frameworks"), names[i]);

			cells[k++] = fig(fr, "requests_per_sec", "%.1f");
		}
		cells[k++] = json_str_or(e, "comparison.winner", "-");
		cells[k++] = fig(sig, "ratio_of_medians", "%.3f");
		if (has(sig, "ci_low") && has(sig, "ci_high"))
			snprintf(ci, sizeof(ci), has(sig, "confidence") ? "%.3f..%.3f (%.0f%%)" : "%.3f..%.3f",
				 json_num_or(sig, "ci_low", 0), json_num_or(sig, "ci_high", 0),
				 100 * json_num_or(sig, "confidence", 0));
		else
			snprintf(ci, sizeof(ci), "-");
		cells[k++] = ci;
		cells[k++] = fig(sig, "p_value", "%.4f");
		cells[k++] = fig(sig, "significant", "%.0f");
		cJSON_ArrayForEach(fl, cJSON_GetObjectItem(e, "failed"))
			if (cJSON_IsString(fl) && strlen(failed) + strlen(fl->valuestring) + 3 < sizeof(failed))
				snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed), "%s%s", *failed ? ", " : "",
					 fl->valuestring);
		cells[k++] = *failed ? failed : "-";
		table_add(&t, cells);
	}
	print_table(r, &t);
	line(r, "overall winner %s; %s of %s workloads significant; average gain %s%%",
	     json_str_or(doc, "summary.overall_winner", "-"), fig(doc, "summary.significant_workloads", "%.0f"),
	     fig(doc, "summary.workloads", "%.0f"), fig(doc, "summary.average_performance_gain_percent", "%.1f"));
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "results")) {
		const cJSON *ratios = json_get(e, "comparison.performance_ratios"), *q;

		cJSON_ArrayForEach(q, ratios)
			if (cJSON_IsNumber(q))
				line(r, "%s/%s: %s = %.3f", json_str_or(e, "suite", "-"), json_str_or(e, "workload", "-"),
				     q->string, q->valuedouble);
	}
}

/* A diff's verdicts (diff -o): a row per workload and metric, then the summary. */
static void print_diff(struct rep *r, const cJSON *doc)
{
	static const char *const hdr[] = { "workload", "metric", "base", "new", "change %", "p-value", "verdict", "why" };
	const cJSON *w, *m;
	struct table t;

	line(r, "base: %s (%s); new: %s (%s)", json_str_or(doc, "base.file", "-"), json_str_or(doc, "base.commit", "-"),
	     json_str_or(doc, "new.file", "-"), json_str_or(doc, "new.commit", "-"));
	heading(r, "Verdicts");
	table_init(&t, 8, hdr, "llrrrrll");
	table_limit(&t, 7, 40);
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(doc, "workloads")) {
		if (!cJSON_GetArraySize(cJSON_GetObjectItem(w, "metrics"))) {
			const char *cells[8] = { json_str_or(w, "workload", "-"), "-", "-", "-", "-", "-",
						 json_str_or(w, "status", "-"), NULL };

			table_add(&t, cells);
			continue;
		}
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(w, "metrics")) {
			const char *cells[8] = { json_str_or(w, "workload", "-"), json_str_or(m, "metric", "-"),
						 fig(m, "base.median", "%.4g"),	  fig(m, "new.median", "%.4g"),
						 fig(m, "change_percent", "%+.1f"), fig(m, "p_value", "%.4f"),
						 json_str_or(m, "verdict", "-"),	  json_str_or(m, "reason", "-") };

			table_add(&t, cells);
		}
	}
	print_table(r, &t);
	line(r, "worst: %s; %s improved, %s unchanged, %s regressed (%s critical), %s not gated, %s missing; exit %s",
	     json_str_or(doc, "summary.worst", "-"), fig(doc, "summary.improved", "%.0f"),
	     fig(doc, "summary.unchanged", "%.0f"), fig(doc, "summary.regressed", "%.0f"),
	     fig(doc, "summary.regressed_critical", "%.0f"), fig(doc, "summary.not_gated", "%.0f"),
	     fig(doc, "summary.missing", "%.0f"), fig(doc, "summary.exit_status", "%.0f"));
}

/* Any other file (a diff's verdicts, and kinds to come): every array of objects at the top level
 * or one level down, as a table of its scalar members (up to TABLE_MAX_COLS). */
static void print_generic(struct rep *r, const cJSON *doc, const char *where, int depth)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, doc) {
		if (!m->string || !strcmp(m->string, "warnings") || !strcmp(m->string, "metadata"))
			continue;
		if (cJSON_IsArray(m) && cJSON_IsObject(cJSON_GetArrayItem(m, 0))) {
			struct colspec c[TABLE_MAX_COLS];
			char keys[TABLE_MAX_COLS][64];
			const cJSON *e, *k;
			int n = 0;

			cJSON_ArrayForEach(e, m) cJSON_ArrayForEach(k, e) {
				bool dup = false;

				if (!(cJSON_IsString(k) || cJSON_IsNumber(k) || cJSON_IsBool(k) || cJSON_IsNull(k)))
					continue;
				for (int i = 0; i < n; i++)
					dup |= !strcmp(keys[i], k->string);
				if (dup || n == TABLE_MAX_COLS)
					continue;
				snprintf(keys[n], sizeof(keys[n]), "%s", k->string);
				c[n] = (struct colspec){ keys[n], keys[n], cJSON_IsString(k) ? NULL : "%.4g" };
				n++;
			}
			heading(r, "%s%s%s", where, *where ? "." : "", m->string);
			if (n)
				table_of(r, m, c, n, 0);
		} else if (cJSON_IsObject(m) && depth == 0) {
			const cJSON *k;

			print_generic(r, m, m->string, 1);
			cJSON_ArrayForEach(k, m)
				if (cJSON_IsNumber(k) || cJSON_IsString(k))
					line(r, "%s.%s: %s", m->string, k->string,
					     cJSON_IsString(k) ? k->valuestring : fig(m, k->string, "%.6g"));
		}
	}
}

static void print_header(struct rep *r, const cJSON *doc, const char *path)
{
	const char *mode = json_str_or(doc, "mode", "-");
	const char *partial = json_str_or(doc, "partial_reason", NULL);

	/* "bindprof record", "bindprof profile": the mode once */
	if (cJSON_IsTrue(json_get(doc, "partial")))
		fprintf(r->f, r->md ? "## bindprof %s (partial: %s)\n\n" : "bindprof %s (partial: %s)\n", mode,
			partial ? partial : "-");
	else
		fprintf(r->f, r->md ? "## bindprof %s\n\n" : "bindprof %s\n", mode);
	line(r, "file: %s", path);
	if (cJSON_IsObject(json_get(doc, "metadata.target")))
		line(r, "target: pid %s %s (%s %s)", fig(doc, "metadata.target.pid", "%.0f"),
		     json_str_or(doc, "metadata.target.cmdline", "-"), json_str_or(doc, "metadata.target.runtime", "-"),
		     json_str_or(doc, "metadata.target.runtime_version", "-"));
	if (has(doc, "configuration.measured_secs"))
		line(r, "measured: %s s", fig(doc, "configuration.measured_secs", "%.2f"));
	if (cJSON_IsObject(json_get(doc, "metadata.host")))
		line(r, "host: %s, %s, %s cores, kernel %s", json_str_or(doc, "metadata.host.hostname", "-"),
		     json_str_or(doc, "metadata.host.cpu_model", "-"), fig(doc, "metadata.host.cpu_cores", "%.0f"),
		     json_str_or(doc, "metadata.host.kernel", "-"));
	if (has(doc, "metadata.timestamp"))
		line(r, "time: %s%s%s", json_str_or(doc, "metadata.timestamp", "-"),
		     has(doc, "metadata.git_commit") ? ", commit " : "", json_str_or(doc, "metadata.git_commit", ""));
}

static void print_warnings(struct rep *r, const cJSON *doc)
{
	const cJSON *w;

	if (!cJSON_GetArraySize(cJSON_GetObjectItem(doc, "warnings")))
		return;
	heading(r, "Warnings");
	/* each once, with how many times the file has it */
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(doc, "warnings")) {
		const cJSON *p;
		int before = 0, times = 0;
		bool seen = false;

		cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "warnings")) {
			bool same = !strcmp(json_str_or(p, "section", ""), json_str_or(w, "section", "")) &&
				    !strcmp(json_str_or(p, "message", ""), json_str_or(w, "message", ""));

			if (p == w)
				seen = true;
			else if (same && !seen)
				before++;
			times += same;
		}
		if (before)
			continue;
		if (times > 1)
			line(r, "[%s] %s (%d times)", json_str_or(w, "section", "-"), json_str_or(w, "message", "-"), times);
		else
			line(r, "[%s] %s", json_str_or(w, "section", "-"), json_str_or(w, "message", "-"));
	}
}

void report_print(FILE *f, const cJSON *doc, const char *path, bool markdown, int top)
{
	struct rep r = { .f = f, .md = markdown, .top = top > 0 ? top : 10 };
	const char *mode = json_str_or(doc, "mode", "-");

	print_header(&r, doc, path);
	if (!strcmp(mode, "profile"))
		print_profile(&r, doc);
	else if (!strcmp(mode, "load"))
		print_load(&r, doc);
	else if (!strcmp(mode, "compare"))
		print_compare(&r, doc);
	else if (!strcmp(mode, "diff"))
		print_diff(&r, doc);
	else if (cJSON_IsObject(cJSON_GetObjectItem(doc, "results")) && !strcmp(mode, "record"))
		print_results(&r, cJSON_GetObjectItem(doc, "results"));
	else
		print_generic(&r, doc, "", 0);
	print_warnings(&r, doc);
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	char err[1024];
	cJSON *doc;
	FILE *out = stdout;
	struct file_out fo;
	int rc = EXIT_OK;

	if (report_parse_opts(argc, argv, &o, err, sizeof(err))) {
		log_err("report: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		report_usage(stdout);
		return EXIT_OK;
	}
	{
		size_t n = strlen(o.path);

		if (n > 7 && !strcmp(o.path + n - 7, ".folded")) {
			log_err("report: %s is a folded stacks file: draw it with bindprof flamegraph %s", o.path, o.path);
			return EXIT_BADINPUT;
		}
	}
	if (o.output && validate_output_path("-o", o.output, err, sizeof(err))) {
		log_err("report: %s", err);
		return EXIT_BADINPUT;
	}
	doc = profile_read(o.path, err, sizeof(err));
	if (!doc) {
		log_err("report: %s", err);
		return EXIT_BADINPUT;
	}
	/* diff -o's verdicts carry a mode, no schema_version */
	if ((!cJSON_IsNumber(json_get(doc, "schema_version")) && strcmp(json_str_or(doc, "mode", ""), "diff")) ||
	    !cJSON_IsString(json_get(doc, "mode"))) {
		log_err("report: '%s' is not a bindprof file (no schema_version/mode)", o.path);
		cJSON_Delete(doc);
		return EXIT_BADINPUT;
	}
	/* names and labels read from the file are data: a control character (an ESC in a workload's
	 * name) is printed as \xNN, never sent to the terminal */
	if (json_escape_controls(doc)) {
		log_err("report: out of memory");
		cJSON_Delete(doc);
		return EXIT_ENV;
	}
	if (o.html) {
		char dir[PATH_MAX];
		struct history_points ps;
		int h = history_trend_load(o.history, &ps, err, sizeof(err));

		if (h < 0) {
			log_err("report: --history: %s", err);
			cJSON_Delete(doc);
			return h == -EIO || h == -ENOMEM ? EXIT_ENV : EXIT_BADINPUT;
		}
		snprintf(dir, sizeof(dir), "%s", o.path);
		if (html_report_write_trend(doc, o.path, dirname(dir), o.output, h > 0 ? &ps : NULL,
					    o.history ? o.history : DB_DEFAULT_PATH, 20, err, sizeof(err))) {
			log_err("report: %s", err);
			rc = EXIT_BADINPUT;
		} else {
			printf("wrote %s\n", o.output);
		}
		history_points_free(&ps);
		cJSON_Delete(doc);
		return rc;
	}
	if (o.output) { /* the atomic writer: whole or not at all, never over a device or FIFO */
		int e = file_out_open(&fo, o.output, err, sizeof(err));

		if (e) {
			log_err("report: %s", err);
			cJSON_Delete(doc);
			return e == -EINVAL || e == -EISDIR || e == -ENOENT ? EXIT_BADINPUT : EXIT_ENV;
		}
		out = fo.f;
	}
	report_print(out, doc, o.path, o.markdown, o.top);
	if (o.output && file_out_commit(&fo, err, sizeof(err))) {
		log_err("report: %s", err);
		rc = EXIT_ENV;
	}
	cJSON_Delete(doc);
	return rc;
}
