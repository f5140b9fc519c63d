/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTML report. Charts are SVG drawn here (no chart library, nothing fetched); each chart and
 * each mark carries its figures in data- attributes (data-chart, data-label, data-v...) so that a
 * test can check what is drawn against the JSON. Tables sort on a click on their header (a few
 * lines of inline script). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/json.h"
#include "lib/util.h"
#include "output/document.h"
#include "output/flamegraph.h"
#include "output/html.h"
#include "output/html_parts.h"
#include "history/trend.h"
#include "stats/stats.h"

#define CW HTML_CW /* chart width, user units */
#define MAXW 256 /* workloads drawn */

const char *const html_palette[10] = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
				       "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };
#define palette html_palette
#define NPAL (int)(sizeof(html_palette) / sizeof(html_palette[0]))

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static bool num(const cJSON *o, const char *path, double *v)
{
	const cJSON *x = json_get(o, path);

	if (cJSON_IsNumber(x) && isfinite(x->valuedouble)) {
		*v = x->valuedouble;
		return true;
	}
	return false;
}

/* A workload: its label and results. */
struct wl {
	char label[256];
	const cJSON *res;
};

static int workloads(const cJSON *doc, struct wl *w, int max)
{
	const char *mode = json_str_or(doc, "mode", "");
	const cJSON *s, *x;
	int n = 0;

	if (!strcmp(mode, "profile")) {
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "suites")) cJSON_ArrayForEach(x, cJSON_GetObjectItem(s, "workloads")) {
			if (n == max || !cJSON_IsObject(cJSON_GetObjectItem(x, "results")))
				continue;
			snprintf(w[n].label, sizeof(w[n].label), "%s/%s", json_str_or(s, "name", "-"),
				 json_str_or(x, "name", "-"));
			w[n++].res = cJSON_GetObjectItem(x, "results");
		}
	} else if (cJSON_IsObject(cJSON_GetObjectItem(doc, "results"))) {
		snprintf(w[0].label, sizeof(w[0].label), "%s", mode);
		w[n++].res = cJSON_GetObjectItem(doc, "results");
	}
	return n;
}

/* "nice" axis top: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, >= v. */
static double nice_top(double v)
{
	double p, m;

	if (!(v > 0))
		return 1;
	p = pow(10, floor(log10(v)));
	m = v / p;
	static const double steps[] = { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (m <= steps[i] + 1e-9)
			return p * steps[i];
	return p * 10;
}

static void chart_open(FILE *f, const char *name, double h, const char *caption)
{
	fprintf(f, "<figure><svg class=\"chart\" data-chart=\"%s\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
		   "xmlns=\"http://www.w3.org/2000/svg\">\n", name, CW, h);
	(void)caption;
}

static void chart_close(FILE *f, const char *caption)
{
	fputs("</svg><figcaption>", f);
	esc(f, caption);
	fputs("</figcaption></figure>\n", f);
}

/* The legend's row ROW at the right of a chart whose plot ends at X1 (top Y1): a 10x10 swatch in
 * COLOUR, then LABEL (escaped). */
static void legend_row(FILE *f, const char *label, const char *colour, double x1, double y1, int row)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/><text class=\"ax\" x=\"%.1f\" y=\"%.1f\">",
		x1 + 10, y1 + 16.0 * row, colour, x1 + 24, y1 + 16.0 * row + 9);
	esc(f, label);
	fputs("</text>\n", f);
}

/* A time axis under a plot from X0 to X1 (baseline Y0): 0..MAXN seconds, every second, or every
 * 5 s past 20. */
static void x_axis_seconds(FILE *f, int maxn, double x0, double x1, double y0)
{
	for (int s = 0; s <= maxn; s += maxn > 20 ? 5 : 1) {
		double x = x0 + (x1 - x0) * s / maxn;

		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">%d s</text>\n", x, y0 + 16, s);
	}
}

/* The y axis of a vertical chart: 5 gridlines from 0 to top, x0..x1, y0 (bottom)..y1 (top). */
static void y_axis(FILE *f, double top, double x0, double x1, double y0, double y1, const char *unit)
{
	for (int i = 0; i <= 5; i++) {
		double y = y0 - (y0 - y1) * i / 5;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%g</text>\n",
			x0, y, x1, y, x0 - 4, y + 4, top * i / 5);
	}
	fprintf(f, "<text x=\"12\" y=\"%.1f\" class=\"ax\" transform=\"rotate(-90 12 %.1f)\" text-anchor=\"middle\">",
		(y0 + y1) / 2, (y0 + y1) / 2);
	esc(f, unit);
	fputs("</text>\n", f);
}

/* ---- throughput with whiskers ---- */

struct bar {
	const char *group;  /* workload */
	const char *series; /* framework, or NULL */
	double v, lo, hi;   /* lo/hi NAN: no whisker */
	int n;              /* repeats */
};

/* The 95% bootstrap CI of the median of a workload's repeats (>= 3); else NAN. */
static void repeats_ci(const cJSON *res, double *lo, double *hi, int *n)
{
	double v[512];
	const cJSON *e;
	int k = 0;

	*lo = *hi = NAN;
	cJSON_ArrayForEach(e, json_get(res, "repeats.samples")) {
		if (k < 512 && num(e, "requests_per_sec", &v[k]))
			k++;
	}
	*n = k;
	if (k >= 3) {
		double one = 1;

		stats_bootstrap_ratio_ci(v, k, &one, 1, 0.95, 2000, 42, lo, hi);
	}
}

static void bars_chart(FILE *f, const struct bar *b, int n, int nseries, const char *const *series, const char *caption)
{
	double top = 0, x0 = 70, x1 = CW - 10, y0 = 250, y1 = 20, slot;
	int ngroups = nseries ? n / nseries : n, per = nseries ? nseries : 1;

	for (int i = 0; i < n; i++)
		top = fmax(top, isnan(b[i].hi) ? b[i].v : fmax(b[i].v, b[i].hi));
	top = nice_top(top * 1.05);
	chart_open(f, "throughput", 330, caption);
	y_axis(f, top, x0, x1, y0, y1, "requests/s");
	slot = (x1 - x0) / (ngroups ? ngroups : 1);
	for (int i = 0; i < n; i++) {
		int g = i / per, s = i % per;
		double bw = slot * 0.8 / per, x = x0 + slot * g + slot * 0.1 + bw * s, h = (y0 - y1) * b[i].v / top;

		fprintf(f, "<rect class=\"bar\" data-label=\"");
		esc(f, b[i].group);
		fprintf(f, "\" data-series=\"");
		esc(f, b[i].series ? b[i].series : "");
		fprintf(f, "\" data-v=\"%.10g\" data-n=\"%d\"", b[i].v, b[i].n);
		if (!isnan(b[i].lo))
			fprintf(f, " data-lo=\"%.10g\" data-hi=\"%.10g\"", b[i].lo, b[i].hi);
		fprintf(f, " x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", x, y0 - h, bw, h,
			palette[s % NPAL]);
		esc(f, b[i].group);
		if (b[i].series)
			fprintf(f, " %s", b[i].series);
		fprintf(f, ": %.1f req/s", b[i].v);
		if (!isnan(b[i].lo))
			fprintf(f, " (95%% CI %.1f..%.1f, %d repeats)", b[i].lo, b[i].hi, b[i].n);
		fputs("</title></rect>\n", f);
		if (!isnan(b[i].lo)) {
			double cx = x + bw / 2, ylo = y0 - (y0 - y1) * b[i].lo / top, yhi = y0 - (y0 - y1) * b[i].hi / top;

			fprintf(f, "<path class=\"whisker\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\"/>\n", cx, ylo,
				yhi, cx - 5, ylo, cx + 5, cx - 5, yhi, cx + 5);
		}
		if (s == 0) {
			double cx = x0 + slot * g + slot / 2;

			fprintf(f, "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" transform=\"rotate(-30 %.1f %.1f)\">",
				cx, y0 + 14, cx, y0 + 14);
			esc(f, b[i].group);
			fputs("</text>\n", f);
		}
	}
	for (int s = 0; nseries > 1 && s < nseries; s++) {
		fprintf(f, "<rect x=\"%.1f\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/><text class=\"ax\" x=\"%.1f\" y=\"13\">",
			x0 + 10 + 150 * s, palette[s % NPAL], x0 + 24 + 150 * s);
		esc(f, series[s]);
		fputs("</text>\n", f);
	}
	chart_close(f, caption);
}

/* ---- latency CDF from the histogram buckets ---- */

/* A histogram bucket [slot, count] of two non-negative numbers (anything else is skipped). */
static bool bucket(const cJSON *e, long *slot, double *count)
{
	const cJSON *a = cJSON_GetArrayItem(e, 0), *b = cJSON_GetArrayItem(e, 1);

	if (!cJSON_IsArray(e) || !cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !(a->valuedouble >= 0) ||
	    a->valuedouble > 1e6 || !(b->valuedouble >= 0) || !isfinite(b->valuedouble))
		return false;
	*slot = (long)a->valuedouble;
	*count = b->valuedouble;
	return true;
}

/* The bucket of slot s: [lo, lo + width) ns (the schema's log-linear layout). */
static void slot_range(long s, double *lo, double *width)
{
	if (s < 2048) {
		*lo = s;
		*width = 1;
	} else {
		int e = (int)(s / 1024) + 9;

		*lo = ldexp((double)(s % 1024 + 1024), e - 10);
		*width = ldexp(1, e - 10);
	}
}

static void cdf_chart(FILE *f, const struct wl *w, int n)
{
	double lo_ms = INFINITY, hi_ms = 0, x0 = 70, x1 = CW - 170, y0 = 260, y1 = 20;
	int drawn = 0;

	for (int i = 0; i < n; i++) {
		const cJSON *b = json_get(w[i].res, "latency.histogram.buckets"), *e;

		cJSON_ArrayForEach(e, b) {
			double lo, wd, c;
			long sl;

			if (!bucket(e, &sl, &c))
				continue;
			slot_range(sl, &lo, &wd);
			lo_ms = fmin(lo_ms, lo / 1e6);
			hi_ms = fmax(hi_ms, (lo + wd) / 1e6);
		}
	}
	if (!(hi_ms > 0)) {
		fputs("<p class=\"none\">No latency histograms in this file.</p>\n", f);
		return;
	}
	lo_ms = pow(10, floor(log10(fmax(lo_ms, 1e-4))));
	hi_ms = pow(10, ceil(log10(hi_ms)));
	chart_open(f, "latency-cdf", 300, "");
	for (double d = lo_ms; d <= hi_ms * 1.0001; d *= 10) {
		double x = x0 + (x1 - x0) * log10(d / lo_ms) / log10(hi_ms / lo_ms);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">%g ms</text>\n",
			x, y0, x, y1, x, y0 + 16, d);
	}
	for (int i = 0; i <= 4; i++) {
		double y = y0 - (y0 - y1) * i / 4;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%.2f</text>\n",
			x0, y, x1, y, x0 - 4, y + 4, i / 4.0);
	}
	for (int i = 0; i < n; i++) {
		const cJSON *b = json_get(w[i].res, "latency.histogram.buckets"), *e;
		double total = 0, cum = 0, p50 = NAN, p99 = NAN;
		bool first = true;

		cJSON_ArrayForEach(e, b) {
			long sl;
			double c;

			if (bucket(e, &sl, &c))
				total += c;
		}
		if (!(total > 0))
			continue;
		fprintf(f, "<path class=\"cdf\" data-label=\"");
		esc(f, w[i].label);
		fprintf(f, "\" stroke=\"%s\" d=\"", palette[i % NPAL]);
		cJSON_ArrayForEach(e, b) {
			double lo, wd, x, c;
			long sl;

			if (!bucket(e, &sl, &c))
				continue;
			slot_range(sl, &lo, &wd);
			/* nearest rank: the first bucket whose cumulative count reaches q * total */
			if (isnan(p50) && cum + c >= 0.5 * total)
				p50 = (lo + wd / 2) / 1e6;
			if (isnan(p99) && cum + c >= 0.99 * total)
				p99 = (lo + wd / 2) / 1e6;
			x = x0 + (x1 - x0) * log10(fmax(lo / 1e6, lo_ms) / lo_ms) / log10(hi_ms / lo_ms);
			fprintf(f, "%s%.1f %.1f", first ? "M" : "L", x, y0 - (y0 - y1) * cum / total);
			cum += c;
			x = x0 + (x1 - x0) * log10(fmin((lo + wd) / 1e6, hi_ms) / lo_ms) / log10(hi_ms / lo_ms);
			fprintf(f, "L%.1f %.1f", x, y0 - (y0 - y1) * cum / total);
			first = false;
		}
		fprintf(f, "\" data-count=\"%.0f\" data-p50-ms=\"%.10g\" data-p99-ms=\"%.10g\"><title>", total, p50, p99);
		esc(f, w[i].label);
		fprintf(f, ": %.0f requests, p50 %.3f ms, p99 %.3f ms</title></path>\n", total, p50, p99);
		legend_row(f, w[i].label, palette[i % NPAL], x1, y1, drawn++);
	}
	chart_close(f, "Latency CDF per workload (client side, from the histogram buckets; log scale): the share of "
		       "requests that took at most x.");
}

/* ---- where request time goes, per endpoint ---- */

static const struct {
	const char *name, *path, *colour;
} segs[] = {
	{ "GIL wait", "per_request.gil_wait_us.mean", "#e15759" },
	{ "FFI (native calls)", "per_request.ffi_time_us.mean", "#f28e2b" },
	{ "GC pauses", "per_request.gc_time_us.mean", "#b07aa1" },
};
/* Syscall time overlaps the parts above: a GIL wait blocks in futex, native calls and GC make
 * syscalls. Stacked, it counted those twice and shrank "the rest"; it is drawn as its own thin bar. */
#define SYSCALL_PATH "per_request.syscall_time_us.mean"
#define SYSCALL_COLOUR "#4e79a7"
#define NSEG (int)(sizeof(segs) / sizeof(segs[0]))

static void endpoints_chart(FILE *f, const struct wl *w, int n)
{
	const cJSON *e;
	double top = 0, x0 = 260, x1 = CW - 20, y = 30;
	int rows = 0;

	for (int i = 0; i < n; i++)
		cJSON_ArrayForEach(e, json_get(w[i].res, "profiling.requests.endpoints")) {
			double m;

			if (num(e, "latency.mean_ms", &m))
				top = fmax(top, m * 1000);
			rows++;
		}
	if (!rows) {
		fputs("<p class=\"none\">No per-request data in this file (the requests probe was off, or no request "
		      "was seen).</p>\n", f);
		return;
	}
	top = nice_top(top);
	chart_open(f, "endpoints", 50 + 26.0 * rows, "");
	for (int i = 0; i <= 5; i++) {
		double x = x0 + (x1 - x0) * i / 5;

		fprintf(f, "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			   "<text x=\"%.1f\" y=\"14\" class=\"ax\" text-anchor=\"middle\">%g us</text>\n",
			x, x, 30 + 26.0 * rows, x, top * i / 5);
	}
	for (int s = 0; s <= NSEG; s++)
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/><text class=\"ax\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
			10.0 + 130 * s, 36 + 26.0 * rows, s < NSEG ? segs[s].colour : "#bab0ac", 24.0 + 130 * s,
			45 + 26.0 * rows, s < NSEG ? segs[s].name : "the rest");
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"4\" fill=\"%s\"/><text class=\"ax\" x=\"%.1f\" "
		   "y=\"%.1f\">syscalls (thin bar: overlaps the others)</text>\n",
		10.0 + 130 * (NSEG + 1), 39 + 26.0 * rows, SYSCALL_COLOUR, 24.0 + 130 * (NSEG + 1), 45 + 26.0 * rows);
	for (int i = 0; i < n; i++)
		cJSON_ArrayForEach(e, json_get(w[i].res, "profiling.requests.endpoints")) {
			double mean = 0, x = x0, used = 0;
			char label[600];

			snprintf(label, sizeof(label), "%.200s%s%.300s", n > 1 ? w[i].label : "", n > 1 ? ": " : "",
				 json_str_or(e, "endpoint", "-"));
			num(e, "latency.mean_ms", &mean);
			mean *= 1000;
			fprintf(f, "<g class=\"endpoint\" data-label=\"");
			esc(f, label);
			fprintf(f, "\" data-mean-us=\"%.10g\"><text class=\"ax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", mean,
				x0 - 6, y + 14);
			esc(f, strlen(label) > 40 ? label + strlen(label) - 40 : label);
			fputs("</text>\n", f);
			for (int s = 0; s <= NSEG; s++) {
				double v;
				bool have = s < NSEG ? num(e, segs[s].path, &v) : true;

				if (s == NSEG)
					v = fmax(0, mean - used);
				if (!have)
					continue;
				used += v;
				fprintf(f, "<rect class=\"seg\" data-seg=\"%s\" data-v=\"%.10g\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
					   "height=\"18\" fill=\"%s\"><title>%s: %.1f us per request</title></rect>\n",
					s < NSEG ? segs[s].name : "the rest", v, x, y, (x1 - x0) * v / top,
					s < NSEG ? segs[s].colour : "#bab0ac", s < NSEG ? segs[s].name : "the rest", v);
				x += (x1 - x0) * v / top;
			}
			{
				double v;

				if (num(e, SYSCALL_PATH, &v))
					fprintf(f, "<rect class=\"overlap\" data-seg=\"syscalls\" data-v=\"%.10g\" x=\"%.1f\" "
						   "y=\"%.1f\" width=\"%.2f\" height=\"5\" fill=\"%s\"><title>syscalls: %.1f us per "
						   "request (overlaps the parts above: GIL waits block in futex, native calls and "
						   "GC make syscalls)</title></rect>\n",
						v, x0, y + 19, (x1 - x0) * fmin(v, top) / top, SYSCALL_COLOUR, v);
			}
			fputs("</g>\n", f);
			y += 26;
		}
	chart_close(f, "Where request time goes, per endpoint (server side, mean per request in microseconds): GIL "
		       "wait, time in probed native calls and GC pauses, stacked; the rest is the mean latency minus "
		       "those (Python, syscalls and other work). Syscall time is the thin bar under each: it overlaps "
		       "the others (GIL waits block in futex; native calls and GC make syscalls), so it is not "
		       "stacked. A part the file did not measure (its probe off) is left out.");
}

/* ---- GIL wait per thread ---- */

#define GIL_BARS 20 /* threads drawn per workload: the ones that waited longest */

static int by_wait_desc(const void *a, const void *b)
{
	double x = json_num_or(*(const cJSON *const *)a, "wait_ms", -1), y = json_num_or(*(const cJSON *const *)b, "wait_ms", -1);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The threads of a workload sorted by wait, longest first, at most max (a malloc'd array). */
static int top_threads(const cJSON *res, const cJSON ***out, int max)
{
	const cJSON *arr = json_get(res, "profiling.gil.threads"), *e;
	int n = cJSON_GetArraySize(arr), k = 0;

	*out = n > 0 ? calloc(n, sizeof(**out)) : NULL;
	if (!*out)
		return 0;
	cJSON_ArrayForEach(e, arr) (*out)[k++] = e;
	qsort(*out, k, sizeof(**out), by_wait_desc);
	return k < max ? k : max;
}

static void gil_chart(FILE *f, const struct wl *w, int n)
{
	double top = 0, x0 = 260, x1 = CW - 20, y = 30;
	int rows = 0;

	int more = 0;

	for (int i = 0; i < n; i++) {
		const cJSON **t;
		int k = top_threads(w[i].res, &t, GIL_BARS);

		for (int j = 0; j < k; j++) {
			double v;

			if (num(t[j], "wait_ms", &v))
				top = fmax(top, v);
			rows++;
		}
		more += cJSON_GetArraySize(json_get(w[i].res, "profiling.gil.threads")) - k;
		free(t);
	}
	if (!rows) {
		fputs("<p class=\"none\">No GIL measurements in this file (not a CPython target, or the gil probe was "
		      "off).</p>\n", f);
		return;
	}
	top = nice_top(top);
	chart_open(f, "gil-threads", 40 + 22.0 * rows, "");
	for (int i = 0; i <= 5; i++) {
		double x = x0 + (x1 - x0) * i / 5;

		fprintf(f, "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			   "<text x=\"%.1f\" y=\"14\" class=\"ax\" text-anchor=\"middle\">%g ms</text>\n",
			x, x, 30 + 22.0 * rows, x, top * i / 5);
	}
	for (int i = 0; i < n; i++) {
		const cJSON **t;
		int k = top_threads(w[i].res, &t, GIL_BARS);

		for (int j = 0; j < k; j++) {
			const cJSON *e = t[j];
			double v = 0;
			char label[400];

			num(e, "wait_ms", &v);
			snprintf(label, sizeof(label), "%.200s%s%.100s %.0f", n > 1 ? w[i].label : "", n > 1 ? ": " : "",
				 json_str_or(e, "name", "?"), json_num_or(e, "tid", 0));
			fprintf(f, "<rect class=\"bar\" data-label=\"");
			esc(f, label);
			fprintf(f, "\" data-v=\"%.10g\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"16\" fill=\"%s\"><title>", v,
				x0, y, (x1 - x0) * v / top, palette[i % NPAL]);
			esc(f, label);
			fprintf(f, ": %.1f ms waiting for the GIL</title></rect><text class=\"ax\" x=\"%.1f\" y=\"%.1f\" "
				   "text-anchor=\"end\">",
				v, x0 - 6, y + 12);
			esc(f, label);
			fputs("</text>\n", f);
			y += 22;
		}
		free(t);
	}
	fprintf(f, "</svg><figcaption data-more=\"%d\">GIL wait per thread (ms over the profiled pass; each "
		   "thread's own sum), the %d that waited longest per workload", more, GIL_BARS);
	if (more)
		fprintf(f, "; %d more threads not drawn (in the tables)", more);
	fputs(".</figcaption></figure>\n", f);
}

/* ---- timeline ---- */

/* A number of interval i of a results.intervals array (key "p50_ms" or "p99_ms"); 0 when null. */
static double iv_at(const cJSON *e, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(e, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* p50 (solid) and p99 (dashed) of each 1 s interval of each workload's reported pass. */
static void latency_timeline(FILE *f, const struct wl *w, int n)
{
	static const char *const qs[2] = { "p50_ms", "p99_ms" };
	double top = 0, x0 = 70, x1 = CW - 170, y0 = 220, y1 = 20;
	int maxn = 0, drawn = 0;

	for (int i = 0; i < n; i++) {
		const cJSON *t = cJSON_GetObjectItem(w[i].res, "intervals"), *e;
		int k = cJSON_GetArraySize(t);

		if (k < 2)
			continue;
		maxn = k > maxn ? k : maxn;
		cJSON_ArrayForEach(e, t) top = fmax(top, iv_at(e, "p99_ms"));
	}
	if (maxn < 2) {
		fputs("<p class=\"none\">No per-interval latency to draw: the passes are shorter than two 1 s "
		      "intervals (or the file predates results.intervals).</p>\n", f);
		return;
	}
	top = nice_top(top * 1.05);
	chart_open(f, "timeline-latency", 260, "");
	y_axis(f, top, x0, x1, y0, y1, "ms");
	x_axis_seconds(f, maxn, x0, x1, y0);
	for (int i = 0; i < n; i++) {
		const cJSON *t = cJSON_GetObjectItem(w[i].res, "intervals"), *e;
		int k = cJSON_GetArraySize(t);

		if (k < 2)
			continue;
		for (int q = 0; q < 2; q++) {
			int j = 0;

			fprintf(f, "<path class=\"latline\" data-label=\"");
			esc(f, w[i].label);
			fprintf(f, "\" data-q=\"%s\" data-points=\"%d\" data-values=\"", q ? "p99" : "p50", k);
			cJSON_ArrayForEach(e, t) fprintf(f, "%s%.10g", j++ ? " " : "", iv_at(e, qs[q]));
			fprintf(f, "\" stroke=\"%s\"%s fill=\"none\" d=\"", palette[i % NPAL],
				q ? " stroke-dasharray=\"5 3\"" : "");
			j = 0;
			cJSON_ArrayForEach(e, t) {
				fprintf(f, "%s%.1f %.1f", j ? "L" : "M", x0 + (x1 - x0) * (j + 0.5) / maxn,
					y0 - (y0 - y1) * iv_at(e, qs[q]) / top);
				j++;
			}
			fputs("\"/>\n", f);
		}
		legend_row(f, w[i].label, palette[i % NPAL], x1, y1, drawn++);
	}
	chart_close(f, "Latency second by second over each workload's reported clean pass (results.intervals: "
		       "p50 solid, p99 dashed, of the requests completed in each 1 s interval of the window, from "
		       "their send or scheduled time; within 3.2%).");
}

/* The throughput of each workload's reported pass, second by second (results.steady's 1 s
 * intervals), a line per workload; then its latency, p50 and p99 of each 1 s interval
 * (results.intervals, kept by the load engine), two lines per workload. */
static void timeline(FILE *f, const struct wl *w, int n)
{
	double top = 0, x0 = 70, x1 = CW - 170, y0 = 220, y1 = 20;
	int maxn = 0, drawn = 0;

	for (int i = 0; i < n; i++) {
		const cJSON *t = json_get(w[i].res, "steady.intervals_requests_per_sec"), *e;
		int k = cJSON_GetArraySize(t);

		if (k < 2)
			continue;
		maxn = k > maxn ? k : maxn;
		cJSON_ArrayForEach(e, t) if (cJSON_IsNumber(e)) top = fmax(top, e->valuedouble);
	}
	if (maxn < 2) {
		fputs("<p class=\"none\">No per-interval data to draw: the file's passes are shorter than two of the "
		      "1 s intervals that results.steady counts (or the file predates them).</p>\n", f);
		return;
	}
	top = nice_top(top * 1.05);
	chart_open(f, "timeline", 260, "");
	y_axis(f, top, x0, x1, y0, y1, "requests/s");
	x_axis_seconds(f, maxn, x0, x1, y0);
	for (int i = 0; i < n; i++) {
		const cJSON *t = json_get(w[i].res, "steady.intervals_requests_per_sec"), *e;
		int k = cJSON_GetArraySize(t), j = 0;

		if (k < 2)
			continue;
		fprintf(f, "<path class=\"line\" data-label=\"");
		esc(f, w[i].label);
		fprintf(f, "\" data-points=\"%d\" data-values=\"", k);
		cJSON_ArrayForEach(e, t) fprintf(f, "%s%.10g", j++ ? " " : "", cJSON_IsNumber(e) ? e->valuedouble : 0);
		fprintf(f, "\" stroke=\"%s\" d=\"", palette[i % NPAL]);
		j = 0;
		cJSON_ArrayForEach(e, t) {
			/* each interval's throughput at its middle */
			fprintf(f, "%s%.1f %.1f", j ? "L" : "M", x0 + (x1 - x0) * (j + 0.5) / maxn,
				y0 - (y0 - y1) * (cJSON_IsNumber(e) ? e->valuedouble : 0) / top);
			j++;
		}
		fputs("\"/>\n", f);
		legend_row(f, w[i].label, palette[i % NPAL], x1, y1, drawn++);
	}
	chart_close(f, "Throughput second by second over each workload's reported clean pass (results.steady: "
		       "responses per 1 s interval).");
	latency_timeline(f, w, n);
}

/* ---- tables ---- */

static void html_table(FILE *f, const char *id, const cJSON *arr, const struct hcol *c, int n)
{
	const cJSON *e;

	if (!cJSON_GetArraySize(arr))
		return;
	fprintf(f, "<table class=\"sortable\" data-table=\"%s\"><thead><tr>", id);
	for (int i = 0; i < n; i++) {
		fprintf(f, "<th%s>", c[i].fmt ? " class=\"num\"" : "");
		esc(f, c[i].hdr);
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	cJSON_ArrayForEach(e, arr) {
		fputs("<tr>", f);
		for (int i = 0; i < n; i++) {
			double v;

			if (c[i].fmt && num(e, c[i].path, &v)) {
				fprintf(f, "<td class=\"num\" data-v=\"%.15g\">", v);
				fprintf(f, c[i].fmt, v);
			} else if (c[i].fmt) {
				fputs("<td class=\"num\">-", f);
			} else if (!strcmp(c[i].path, "verdict")) {
				fputs("<td class=\"v-", f);
				esc(f, json_str_or(e, c[i].path, "-"));
				fputs("\">", f);
				esc(f, json_str_or(e, c[i].path, "-"));
			} else {
				fputs("<td>", f);
				esc(f, json_str_or(e, c[i].path, "-"));
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

void html_esc(FILE *f, const char *s)
{
	esc(f, s);
}

void html_table_of(FILE *f, const char *id, const cJSON *arr, const struct hcol *c, int n)
{
	html_table(f, id, arr, c, n);
}

static void workload_tables(FILE *f, const struct wl *w)
{
	static const struct hcol ep[] = {
		{ "endpoint", "endpoint", NULL },
		{ "count", "count", "%.0f" },
		{ "p50 ms", "latency.p50_ms", "%.3f" },
		{ "p99 ms", "latency.p99_ms", "%.3f" },
		{ "GIL wait us", "per_request.gil_wait_us.mean", "%.1f" },
		{ "FFI calls", "per_request.ffi_crossings.mean", "%.2f" },
		{ "FFI us", "per_request.ffi_time_us.mean", "%.1f" },
		{ "GC us", "per_request.gc_time_us.mean", "%.1f" },
		{ "syscalls", "per_request.syscalls.p50", "%.0f" },
	}, ex[] = {
		{ "endpoint", "endpoint", NULL },
		{ "ms", "latency_ms", "%.3f" },
		{ "tid", "tid", "%.0f" },
		{ "GIL wait us", "breakdown.gil_wait_us", "%.0f" },
		{ "FFI calls", "breakdown.ffi_crossings", "%.0f" },
		{ "FFI us", "breakdown.ffi_time_us", "%.0f" },
		{ "GC us", "breakdown.gc_time_us", "%.0f" },
		{ "syscall us", "breakdown.syscall_time_us", "%.0f" },
		{ "CPU samples", "breakdown.cpu_samples", "%.0f" },
	}, top[] = {
		{ "frame (self)", "frame", NULL },
		{ "samples", "samples", "%.0f" },
		{ "%", "percent", "%.1f" },
	}, ffi[] = {
		{ "function", "symbol", NULL }, { "library", "library", NULL }, { "calls", "calls", "%.0f" },
		{ "total ms", "total_ms", "%.3f" }, { "mean us", "mean_us", "%.2f" }, { "p99 us", "p99_us", "%.2f" },
	}, libs[] = {
		{ "library", "library", NULL },
		{ "samples", "samples", "%.0f" },
		{ "% of samples", "percent", "%.1f" },
	}, sys[] = {
		{ "syscall", "name", NULL },	    { "count", "count", "%.0f" },   { "errors", "errors", "%.0f" },
		{ "total ms", "total_ms", "%.3f" }, { "p50 us", "p50_us", "%.1f" }, { "p99 us", "p99_us", "%.1f" },
	}, gil[] = {
		{ "tid", "tid", "%.0f" },
		{ "thread", "name", NULL },
		{ "wait ms", "wait_ms", "%.1f" },
		{ "waits", "waits", "%.0f" },
	}, split[] = {
		/* where the client's time went (profiling.latency_decomposition) */
		{ "endpoint", "endpoint", NULL },
		{ "matched", "count", "%.0f" },
		{ "before 1st read p50 ms", "before_first_read_ms.p50", "%.3f" },
		{ "p99 ms", "before_first_read_ms.p99", "%.3f" },
		{ "server p50 ms", "server_ms.p50", "%.3f" },
		{ "p99 ms", "server_ms.p99", "%.3f" },
		{ "off-CPU not GIL p50 ms", "server_off_cpu_not_gil_ms.p50", "%.3f" },
		{ "after last write p50 ms", "after_last_write_ms.p50", "%.3f" },
		{ "p99 ms", "after_last_write_ms.p99", "%.3f" },
	};
	const cJSON *p = cJSON_GetObjectItem(w->res, "profiling");

	fputs("<h3>", f);
	esc(f, w->label);
	fputs("</h3>\n", f);
	html_table(f, "endpoints", json_get(p, "requests.endpoints"), ep, 9);
	html_table(f, "exemplars", json_get(p, "requests.exemplars"), ex, 9);
	html_table(f, "latency-split", json_get(p, "latency_decomposition.endpoints"), split, 9);
	html_table(f, "gil-threads", json_get(p, "gil.threads"), gil, 4);
	html_table(f, "top-self", json_get(p, "stacks.top_self"), top, 3);
	if (cJSON_IsArray(json_get(p, "ffi.functions")))
		html_table(f, "ffi", json_get(p, "ffi.functions"), ffi, 6);
	else
		html_table(f, "ffi-libraries", json_get(p, "ffi.libraries"), libs, 3);
	html_table(f, "syscalls", json_get(p, "syscalls.by_syscall"), sys, 6);
}

/* ---- flamegraphs ---- */

/* The flamegraph of the folded file fp (relative: looked up in dir too), inline, titled label,
 * weights in unit (freq > 0: samples at that rate). true when drawn; a read error is shown. */
static bool one_flamegraph(FILE *f, const char *label, const char *fp, const char *dir, const char *unit, double freq,
			   const char *cls)
{
	struct fg_opts o = { .title = label, .unit = unit, .inline_svg = true };
	struct folded fo;
	char path[4096], err[512], sub[256], *svg;
	size_t len;
	bool drawn = false;

	if (fp[0] != '/' && access(fp, R_OK) && dir)
		snprintf(path, sizeof(path), "%s/%s", dir, fp);
	else
		snprintf(path, sizeof(path), "%s", fp);
	folded_init(&fo);
	if (folded_read(&fo, path, err, sizeof(err))) {
		fputs("<p class=\"none\">", f);
		esc(f, err);
		fputs("</p>\n", f);
		folded_free(&fo);
		return false;
	}
	flamegraph_subtitle(sub, sizeof(sub), fo.total, unit, freq, 0, 0);
	o.subtitle = sub;
	if (!flamegraph_svg(&fo, &o, &svg, &len)) {
		fprintf(f, "<div class=\"%s\" data-label=\"", cls);
		esc(f, label);
		fprintf(f, "\" data-total=\"%llu\">", (unsigned long long)fo.total);
		fwrite(svg, 1, len, f);
		fputs("</div>\n", f);
		free(svg);
		drawn = true;
	}
	folded_free(&fo);
	return drawn;
}

static void flamegraphs(FILE *f, const struct wl *w, int n, const char *dir)
{
	int drawn = 0;

	for (int i = 0; i < n; i++) {
		const char *fp = json_str_or(w[i].res, "profiling.stacks.folded_path", NULL);

		if (fp)
			drawn += one_flamegraph(f, w[i].label, fp, dir, "samples",
						json_num_or(w[i].res, "profiling.stacks.frequency_hz", 0), "fg");
	}
	if (!drawn)
		fputs("<p class=\"none\">No folded stacks in this file (the stacks probe was off).</p>\n", f);
}

/* ---- differential flamegraphs between two runs ---- */

static void resolve_path(const char *p, const char *dir, char *out, size_t len)
{
	if (p[0] != '/' && access(p, R_OK) && dir)
		snprintf(out, len, "%s/%s", dir, p);
	else
		snprintf(out, len, "%s", p);
}

static void dirname_of(const char *path, char *out, size_t len)
{
	char *slash;

	snprintf(out, len, "%s", path);
	slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(out, len, ".");
}

/* For each workload both documents have folded stacks for: the differential flamegraph of b
 * against a (frames sized by b, red where a frame's share grew since a). */
static void diff_flamegraphs(FILE *f, const cJSON *a, const cJSON *b, const char *adir, const char *bdir,
			     const char *aname, const char *bname)
{
	static struct wl wa[MAXW], wb[MAXW];
	int na = workloads(a, wa, MAXW), nb = workloads(b, wb, MAXW), drawn = 0;

	for (int j = 0; j < nb; j++)
		for (int i = 0; i < na; i++) {
			const char *fa = json_str_or(wa[i].res, "profiling.stacks.folded_path", NULL),
				   *fb = json_str_or(wb[j].res, "profiling.stacks.folded_path", NULL);
			struct folded base, now;
			char pa[4096], pb[4096], err[512], sub[512], title[600], *svg;
			struct fg_opts o = { .title = title, .subtitle = sub, .unit = "samples", .base = &base,
					     .inline_svg = true };
			size_t len;

			if (strcmp(wa[i].label, wb[j].label) || !fa || !fb)
				continue;
			resolve_path(fa, adir, pa, sizeof(pa));
			resolve_path(fb, bdir, pb, sizeof(pb));
			folded_init(&base);
			folded_init(&now);
			if (!folded_read(&base, pa, err, sizeof(err)) && !folded_read(&now, pb, err, sizeof(err))) {
				snprintf(title, sizeof(title), "%.200s: %.150s against %.150s", wb[j].label, bname, aname);
				snprintf(sub, sizeof(sub), "%llu samples; base %llu samples",
					 (unsigned long long)now.total, (unsigned long long)base.total);
				if (!flamegraph_svg(&now, &o, &svg, &len)) {
					fprintf(f, "<div class=\"fg diff\" data-label=\"");
					esc(f, wb[j].label);
					fprintf(f, "\" data-total=\"%llu\" data-base-total=\"%llu\">",
						(unsigned long long)now.total, (unsigned long long)base.total);
					fwrite(svg, 1, len, f);
					fputs("</div>\n", f);
					free(svg);
					drawn++;
				}
			} else {
				fputs("<p class=\"none\">", f);
				esc(f, err);
				fputs("</p>\n", f);
			}
			folded_free(&base);
			folded_free(&now);
		}
	if (!drawn)
		fputs("<p class=\"none\">No workload has folded stacks in both runs: no differential "
		      "flamegraph.</p>\n", f);
}

/* ---- compare and generic ---- */

static void generic_tables(FILE *f, const cJSON *doc, const char *where, int depth)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, doc) {
		if (!m->string || !strcmp(m->string, "warnings") || !strcmp(m->string, "metadata") ||
		    !strcmp(m->string, "suites"))
			continue;
		if (cJSON_IsArray(m) && cJSON_IsObject(cJSON_GetArrayItem(m, 0))) {
			struct hcol c[16];
			char keys[16][64];
			const cJSON *e, *k;
			int n = 0;

			cJSON_ArrayForEach(e, m) cJSON_ArrayForEach(k, e) {
				bool dup = false;

				if (!(cJSON_IsString(k) || cJSON_IsNumber(k) || cJSON_IsNull(k)))
					continue;
				for (int i = 0; i < n; i++)
					dup |= !strcmp(keys[i], k->string);
				if (dup || n == 16)
					continue;
				snprintf(keys[n], sizeof(keys[n]), "%s", k->string);
				c[n] = (struct hcol){ keys[n], keys[n], cJSON_IsString(k) ? NULL : "%.4g" };
				n++;
			}
			fputs("<h3>", f);
			esc(f, where);
			fputs(*where ? "." : "", f);
			esc(f, m->string);
			fputs("</h3>\n", f);
			html_table(f, m->string, m, c, n);
		} else if (cJSON_IsObject(m) && depth == 0) {
			generic_tables(f, m, m->string, 1);
		}
	}
}

static void compare_section(FILE *f, const cJSON *doc, const char *dir)
{
	const cJSON *fws = cJSON_GetObjectItem(doc, "frameworks"), *e, *fw;
	const char *names[8];
	struct bar b[MAXW];
	int nf = 0, n = 0;
	cJSON *docs[8] = { 0 };

	cJSON_ArrayForEach(fw, fws) {
		char err[256], path[4096];
		const char *file = json_str_or(fw, "file", NULL);

		if (nf == 8)
			break;
		names[nf] = json_str_or(fw, "name", "?");
		if (file) {
			if (file[0] != '/' && access(file, R_OK) && dir)
				snprintf(path, sizeof(path), "%s/%s", dir, file);
			else
				snprintf(path, sizeof(path), "%s", file);
			docs[nf] = profile_read(path, err, sizeof(err));
		}
		nf++;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "results")) {
		for (int i = 0; i < nf && n < MAXW; i++) {
			const cJSON *fr = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "frameworks"), names[i]);
			struct wl ws[MAXW];
			int k = docs[i] ? workloads(docs[i], ws, MAXW) : 0;

			b[n].group = json_str_or(e, "workload", "-");
			b[n].series = names[i];
			b[n].v = json_num_or(fr, "requests_per_sec", 0);
			b[n].lo = b[n].hi = NAN;
			b[n].n = (int)json_num_or(fr, "repeats", 0);
			for (int j = 0; j < k; j++) {
				char want[300];

				snprintf(want, sizeof(want), "%s/%s", json_str_or(e, "suite", ""), json_str_or(e, "workload", ""));
				if (!strcmp(ws[j].label, want)) {
					int nn;

					repeats_ci(ws[j].res, &b[n].lo, &b[n].hi, &nn);
				}
			}
			n++;
		}
	}
	fputs("<h2>Throughput per framework</h2>\n", f);
	bars_chart(f, b, n, nf, names,
		   "Requests per second per workload and framework (the median of the repeats); whiskers: the 95% "
		   "bootstrap CI of that median, from the framework's own file, where it has 3 or more repeats.");
	{
		static const struct hcol rc[] = {
			{ "suite", "suite", NULL },
			{ "workload", "workload", NULL },
			{ "winner", "comparison.winner", NULL },
			{ "ratio of medians", "comparison.statistical_significance.ratio_of_medians", "%.3f" },
			{ "CI low", "comparison.statistical_significance.ci_low", "%.3f" },
			{ "CI high", "comparison.statistical_significance.ci_high", "%.3f" },
			{ "p-value", "comparison.statistical_significance.p_value", "%.4f" },
			{ "note", "comparison.statistical_significance.note", NULL },
		};

		fputs("<h2>Significance</h2>\n", f);
		html_table(f, "compare", cJSON_GetObjectItem(doc, "results"), rc, 8);
	}
	if (nf >= 2 && docs[0] && docs[1]) {
		char da[4096], db[4096], pa[4096], pb[4096];
		const cJSON *f0 = cJSON_GetArrayItem(fws, 0), *f1 = cJSON_GetArrayItem(fws, 1);

		resolve_path(json_str_or(f0, "file", ""), dir, pa, sizeof(pa));
		resolve_path(json_str_or(f1, "file", ""), dir, pb, sizeof(pb));
		dirname_of(pa, da, sizeof(da));
		dirname_of(pb, db, sizeof(db));
		fputs("<h2>Differential flamegraphs</h2>\n<p>", f);
		esc(f, names[1]);
		fputs(" against ", f);
		esc(f, names[0]);
		fputs(": frames sized by ", f);
		esc(f, names[1]);
		fputs(", red where a frame's share of the samples is larger than in ", f);
		esc(f, names[0]);
		fputs(", blue where it is smaller.</p>\n", f);
		diff_flamegraphs(f, docs[0], docs[1], da, db, names[0], names[1]);
	}
	for (int i = 0; i < nf; i++)
		cJSON_Delete(docs[i]);
}

/* A diff's verdicts: a row per workload and metric, coloured by verdict. */
static void diff_section(FILE *f, const cJSON *doc)
{
	static const struct hcol vc[] = {
		{ "workload", "__workload", NULL },	{ "metric", "metric", NULL },
		{ "base", "base.median", "%.4g" },	{ "new", "new.median", "%.4g" },
		{ "change %", "change_percent", "%+.1f" }, { "p-value", "p_value", "%.4f" },
		{ "verdict", "verdict", NULL },		{ "why", "reason", NULL },
	};
	cJSON *arr = cJSON_CreateArray();
	const cJSON *w, *m;

	cJSON_ArrayForEach(w, cJSON_GetObjectItem(doc, "workloads")) cJSON_ArrayForEach(m, cJSON_GetObjectItem(w, "metrics")) {
		cJSON *row = cJSON_Duplicate(m, true);

		cJSON_AddStringToObject(row, "__workload", json_str_or(w, "workload", "-"));
		cJSON_AddItemToArray(arr, row);
	}
	fputs("<h2>Verdicts</h2>\n<p>", f);
	esc(f, json_str_or(doc, "base.file", "-"));
	fputs(" &rarr; ", f);
	esc(f, json_str_or(doc, "new.file", "-"));
	fprintf(f, ": worst <b>%s</b>, exit %.0f</p>\n", json_str_or(doc, "summary.worst", "-"),
		json_num_or(doc, "summary.exit_status", 0));
	html_table(f, "verdicts", arr, vc, 8);
	cJSON_Delete(arr);
	{
		const char *bf = json_str_or(doc, "base.file", NULL), *nf = json_str_or(doc, "new.file", NULL);
		char err[256], da[4096], dn[4096];
		cJSON *bd = bf ? profile_read(bf, err, sizeof(err)) : NULL, *nd = nf ? profile_read(nf, err, sizeof(err)) : NULL;

		fputs("<h2>Differential flamegraphs</h2>\n", f);
		if (bd && nd) {
			dirname_of(bf, da, sizeof(da));
			dirname_of(nf, dn, sizeof(dn));
			fputs("<p>The new run against the base: frames sized by the new run, red where a frame's share of "
			      "the samples grew, blue where it shrank.</p>\n", f);
			diff_flamegraphs(f, bd, nd, da, dn, bf, nf);
		} else {
			fputs("<p class=\"none\">The runs' files are not readable from here: no differential "
			      "flamegraph.</p>\n", f);
		}
		cJSON_Delete(bd);
		cJSON_Delete(nd);
	}
}

/* ---- the page ---- */

static const char style[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}"
	"h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}figure{margin:1em 0}"
	"figcaption{color:#555;font-size:.9em}svg.chart{background:#fcfcfc;border:1px solid #eee}"
	"svg.chart .grid{stroke:#e4e4e4}svg.chart .ax{font-size:11px;fill:#444}"
	"svg.chart path.cdf,svg.chart path.line,svg.chart path.latline{fill:none;stroke-width:2}svg.chart .whisker{stroke:#222;stroke-width:1.5;fill:none}"
	"table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{padding:2px 8px;border-bottom:1px solid #eee;"
	"text-align:left;max-width:28em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}"
	"th{cursor:pointer;background:#f4f4f4}td.v-regressed,td.v-regressed-critical{color:#b00;font-weight:bold}td.v-improved{color:#070}.num{text-align:right;font-variant-numeric:tabular-nums}"
	".none{color:#777;font-style:italic}.fg,.fg-memory{margin:1em 0;border:1px solid #eee}.warn{color:#a33}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#666}"
	"svg.series{display:block;margin:8px 0;background:#fcfcfc;border:1px solid #eee}"
	"svg.series .line{fill:none;stroke:#4e79a7;stroke-width:1.5}svg.series .pt{fill:#4e79a7}"
	"svg.series .ax{stroke:#999}svg.series text{font-size:11px}";

static const char script[] =
	"document.querySelectorAll('table.sortable').forEach(function(t){\n"
	" t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){\n"
	"  var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows),asc=th.dataset.sort!=='asc';\n"
	"  t.querySelectorAll('th').forEach(function(h){delete h.dataset.sort});th.dataset.sort=asc?'asc':'desc';\n"
	"  rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i],vx=x.dataset.v,vy=y.dataset.v;\n"
	"   var r=(vx!==undefined&&vy!==undefined)?(+vx)-(+vy):x.textContent.localeCompare(y.textContent);return asc?r:-r});\n"
	"  rows.forEach(function(r){tb.appendChild(r)});});});});\n"
	"document.body.dataset.ready='1';\n";

/* The stored trend of the file's workloads (history_trend_svg per series). */
static void trend_section(FILE *f, const struct wl *w, int n, const struct history_points *ps, const char *store,
			  long last)
{
	int drawn = 0;

	fputs("<h2>Trend (history)</h2>\n<figure class=\"trend\">", f);
	for (size_t i = 0, from, end; i < ps->n; i = end) {
		bool mine = false;

		/* a series' points are adjacent (history_load's order): its last `last` of them */
		for (end = i + 1; end < ps->n && !strcmp(ps->p[end].series, ps->p[i].series); end++)
			;
		from = end - i > (size_t)last ? end - (size_t)last : i;
		for (int k = 0; k < n && !mine; k++)
			mine = !strcmp(ps->p[i].workload, w[k].label);
		if (!mine)
			continue;
		history_trend_svg(f, ps, from, end);
		drawn++;
	}
	fputs("<figcaption>", f);
	if (drawn)
		fprintf(f, "The last %ld stored runs of each workload of this file (per host, configuration and "
			   "framework; requests per second and p99 latency), oldest first, from the history store ", last);
	else
		fputs("No stored run of this file's workloads in the history store ", f);
	esc(f, store);
	fputs(" (bindprof history add FILE.json stores a run).</figcaption></figure>\n", f);
}

static int write_page(const cJSON *doc, const char *path, const char *dir, const char *out,
		      const struct history_points *trend, const char *store, long last, char *err, int errlen);

/* ---- sweeps (profile --sweep): the swept variable against throughput and p99 ---- */

/* One chart per swept workload: x the swept value (log scale when the values span a factor of 4 or
 * more), throughput on the left axis (a solid line), p99 on the right one (dashed); each point a
 * circle with its figures in data attributes; then the scaling analysis as a table. */
static void sweep_chart(FILE *f, const char *label, const cJSON *sw)
{
	const char *var = json_str_or(sw, "variable", "-");
	double xs[64], rps[64], p99[64], xmin = INFINITY, xmax = 0, rtop = 0, ptop = 0;
	double x0 = 70, x1 = CW - 80, y0 = 260, y1 = 20;
	const cJSON *p, *g;
	char cap[512];
	int n = 0;
	bool logx;

	cJSON_ArrayForEach(p, cJSON_GetObjectItem(sw, "points")) {
		const cJSON *res = cJSON_GetObjectItem(p, "results");

		if (n == 64 || !num(p, "value", &xs[n]) || !(xs[n] > 0))
			continue;
		if (!num(res, "throughput.requests_per_sec", &rps[n]))
			rps[n] = NAN;
		if (!num(res, "latency.p99_ms", &p99[n]))
			p99[n] = NAN;
		xmin = fmin(xmin, xs[n]);
		xmax = fmax(xmax, xs[n]);
		if (isfinite(rps[n]))
			rtop = fmax(rtop, rps[n]);
		if (isfinite(p99[n]))
			ptop = fmax(ptop, p99[n]);
		n++;
	}
	if (!n)
		return;
	rtop = nice_top(rtop);
	ptop = nice_top(ptop);
	logx = xmax >= 4 * xmin;
	fprintf(f, "<h3>");
	esc(f, label);
	fprintf(f, ": sweep of %s</h3>\n", var);
	chart_open(f, "sweep", 300, "");
	fprintf(f, "<g class=\"sweep\" data-label=\"");
	esc(f, label);
	fprintf(f, "\" data-variable=\"%s\" data-points=\"%d\">\n", var, n);
	y_axis(f, rtop, x0, x1, y0, y1, "requests/s");
	for (int i = 0; i <= 5; i++)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\">%g</text>\n", x1 + 4, y0 - (y0 - y1) * i / 5 + 4,
			ptop * i / 5);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" transform=\"rotate(90 %.1f %.1f)\" "
		   "text-anchor=\"middle\">p99 ms</text>\n", CW - 12, (y0 + y1) / 2, CW - 12, (y0 + y1) / 2);
#define SX(v) (xmax > xmin ? x0 + (x1 - x0) * (logx ? log(v / xmin) / log(xmax / xmin) : (v - xmin) / (xmax - xmin)) \
			   : (x0 + x1) / 2)
	for (int i = 0; i < n; i++)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">%g</text>\n", SX(xs[i]), y0 + 16,
			xs[i]);
	for (int k = 0; k < 2; k++) {
		const double *v = k ? p99 : rps;
		double top = k ? ptop : rtop;
		bool first = true;

		fprintf(f, "<path class=\"sweep-%s\" fill=\"none\" stroke=\"%s\"%s d=\"", k ? "p99" : "rps", palette[k],
			k ? " stroke-dasharray=\"6 4\"" : "");
		for (int i = 0; i < n; i++)
			if (isfinite(v[i])) {
				fprintf(f, "%s%.1f %.1f", first ? "M" : "L", SX(xs[i]), y0 - (y0 - y1) * v[i] / top);
				first = false;
			}
		fputs("\"/>\n", f);
	}
	for (int i = 0; i < n; i++)
		fprintf(f, "<circle class=\"sweep-point\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" data-value=\"%.15g\" "
			   "data-rps=\"%.15g\" data-p99-ms=\"%.15g\"><title>%s %g: %.1f req/s, p99 %.3f ms</title></circle>\n",
			SX(xs[i]), isfinite(rps[i]) ? y0 - (y0 - y1) * rps[i] / rtop : y0, palette[0], xs[i], rps[i], p99[i], var,
			xs[i], rps[i], p99[i]);
#undef SX
	fputs("</g>\n", f);
	snprintf(cap, sizeof(cap), "Throughput (solid, left axis) and p99 latency (dashed, right axis) at each %s of the "
		 "sweep (one clean pass per point%s).", var, logx ? "; the x axis is logarithmic" : "");
	chart_close(f, cap);
	{
		const cJSON *a = cJSON_GetObjectItem(sw, "analysis");
		cJSON *rows = cJSON_CreateArray();
		static const struct hcol gc[] = {
			{ "figure", "__name", NULL }, { "exponent", "exponent", "%.3f" }, { "CI low", "__lo", "%.3f" },
			{ "CI high", "__hi", "%.3f" }, { "points", "points", "%.0f" }, { "verdict", "verdict", NULL },
			{ "reason", "reason", NULL },
		};

		cJSON_ArrayForEach(g, cJSON_GetObjectItem(a, "growth")) {
			cJSON *row = cJSON_Duplicate(g, true), *ci = cJSON_GetObjectItem(g, "ci95");

			cJSON_AddStringToObject(row, "__name", g->string);
			cJSON_AddItemToObject(row, "__lo", cJSON_Duplicate(cJSON_GetArrayItem(ci, 0), true));
			cJSON_AddItemToObject(row, "__hi", cJSON_Duplicate(cJSON_GetArrayItem(ci, 1), true));
			cJSON_AddItemToArray(rows, row);
		}
		fputs("<p>", f);
		if (cJSON_IsObject(cJSON_GetObjectItem(a, "saturation"))) {
			double c;

			if (num(a, "saturation.concurrency", &c))
				fprintf(f, "<span class=\"saturation\" data-concurrency=\"%g\">Saturation at %g connections</span>: ", c, c);
			else
				fputs("<span class=\"saturation\">No saturation point</span>: ", f);
			esc(f, json_str_or(a, "saturation.reason", ""));
		}
		if (cJSON_IsObject(cJSON_GetObjectItem(a, "max_rate_meeting_p99"))) {
			double v;

			if (num(a, "max_rate_meeting_p99.rate", &v))
				fprintf(f, "<span class=\"max-rate\" data-rate=\"%g\">Highest rate meeting the p99 target: %g/s</span>: ", v, v);
			else
				fputs("<span class=\"max-rate\">No rate meets the p99 target</span>: ", f);
			esc(f, json_str_or(a, "max_rate_meeting_p99.reason", ""));
		}
		fputs("</p>\n", f);
		html_table(f, "sweep-growth", rows, gc, 7);
		cJSON_Delete(rows);
	}
}

/* The load shapes of each workload (output/html_shapes.c), under one heading when any has one. */
static void shapes_section(FILE *f, const struct wl *w, int n, const char *dir)
{
	static const char *const keys[] = { "intervals", "burst", "sustained", "ramp_up", "mix", "streaming",
					    "page_faults", "malloc_sites" };
	bool any = false;

	for (int i = 0; i < n && !any; i++)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			any = any || cJSON_GetArraySize(cJSON_GetObjectItem(w[i].res, keys[k])) > 0;
	if (!any)
		return;
	fputs("<h2>Load shapes</h2>\n", f);
	for (int i = 0; i < n; i++) {
		const char *pf = json_str_or(w[i].res, "page_faults.folded_path", NULL),
			   *ms = json_str_or(w[i].res, "malloc_sites.folded_path", NULL);
		char title[400];

		html_shapes(f, w[i].label, w[i].res);
		/* the memory passes' flamegraphs (class fg-memory: not the on-CPU ones the page counts) */
		snprintf(title, sizeof(title), "%.300s: page faults (first touch of memory)", w[i].label);
		if (pf)
			one_flamegraph(f, title, pf, dir, "faults", 0, "fg-memory");
		snprintf(title, sizeof(title), "%.300s: sampled malloc calls (1 in %.0f)", w[i].label,
			 json_num_or(w[i].res, "malloc_sites.malloc_every", 0));
		if (ms)
			one_flamegraph(f, title, ms, dir, "calls", 0, "fg-memory");
	}
}

static void sweep_section(FILE *f, const cJSON *doc)
{
	const cJSON *s, *w;
	bool any = false;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "suites")) cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads")) {
		char label[256];

		if (!cJSON_IsObject(cJSON_GetObjectItem(w, "sweep")))
			continue;
		if (!any)
			fputs("<h2>Sweeps</h2>\n", f);
		any = true;
		snprintf(label, sizeof(label), "%s/%s", json_str_or(s, "name", "-"), json_str_or(w, "name", "-"));
		sweep_chart(f, label, cJSON_GetObjectItem(w, "sweep"));
	}
}

int html_report_write(const cJSON *doc, const char *path, const char *dir, const char *out, char *err, int errlen)
{
	return write_page(doc, path, dir, out, NULL, NULL, 0, err, errlen);
}

int html_report_write_trend(const cJSON *doc, const char *path, const char *dir, const char *out,
			    const struct history_points *trend, const char *store, long last, char *err, int errlen)
{
	return write_page(doc, path, dir, out, trend, store, last, err, errlen);
}

static int write_page(const cJSON *doc, const char *path, const char *dir, const char *out,
		      const struct history_points *trend, const char *store, long last, char *err, int errlen)
{
	static struct wl w[MAXW];
	const char *mode = json_str_or(doc, "mode", "-");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const cJSON *e;
	int n, e2;

	if (!f) {
		snprintf(err, errlen, "html: %s", strerror(errno));
		return -errno;
	}
	n = workloads(doc, w, MAXW);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>bindprof ", f);
	esc(f, mode);
	fputs("</title><style>", f);
	fputs(style, f);
	fprintf(f, "</style></head><body data-mode=\"");
	esc(f, mode);
	fprintf(f, "\" data-workloads=\"%d\">\n<h1>bindprof %s%s</h1>\n<dl>", n, mode,
		cJSON_IsTrue(json_get(doc, "partial")) ? " (partial)" : "");
	fputs("<dt>file</dt><dd>", f);
	esc(f, path);
	fputs("</dd>", f);
	if (json_get(doc, "metadata.host.hostname")) {
		fputs("<dt>host</dt><dd>", f);
		esc(f, json_str_or(doc, "metadata.host.hostname", "-"));
		fputs(", ", f);
		esc(f, json_str_or(doc, "metadata.host.cpu_model", "-"));
		fprintf(f, ", %.0f cores, kernel ", json_num_or(doc, "metadata.host.cpu_cores", 0));
		esc(f, json_str_or(doc, "metadata.host.kernel", "-"));
		fputs("</dd>", f);
	}
	if (json_get(doc, "metadata.target.cmdline")) {
		fprintf(f, "<dt>target</dt><dd>pid %.0f ", json_num_or(doc, "metadata.target.pid", 0));
		esc(f, json_str_or(doc, "metadata.target.cmdline", "-"));
		fputs("</dd>", f);
	}
	if (json_get(doc, "metadata.timestamp")) {
		fputs("<dt>time</dt><dd>", f);
		esc(f, json_str_or(doc, "metadata.timestamp", "-"));
		fputs("</dd>", f);
	}
	fputs("</dl>\n", f);
	if (!strcmp(mode, "compare")) {
		compare_section(f, doc, dir);
	} else if (!strcmp(mode, "diff")) {
		diff_section(f, doc);
	} else if (n) {
		struct bar b[MAXW];

		for (int i = 0; i < n; i++) {
			b[i].group = w[i].label;
			b[i].series = NULL;
			b[i].v = json_num_or(w[i].res, "throughput.requests_per_sec", 0);
			repeats_ci(w[i].res, &b[i].lo, &b[i].hi, &b[i].n);
		}
		if (cJSON_IsObject(json_get(w[0].res, "throughput"))) {
			fputs("<h2>Throughput</h2>\n", f);
			bars_chart(f, b, n, 0, NULL,
				   "Requests per second per workload (the median clean pass); whiskers: the 95% bootstrap "
				   "CI of the median over the repeats, where there are 3 or more.");
			{
				static const struct hcol tc[] = {
					{ "req/s", "throughput.requests_per_sec", "%.1f" },
					{ "p50 ms", "latency.median_ms", "%.3f" },
					{ "p99 ms", "latency.p99_ms", "%.3f" },
					{ "max ms", "latency.max_ms", "%.3f" },
					{ "failed", "throughput.failed_requests", "%.0f" },
					{ "repeats", "repeats.count", "%.0f" },
				};
				cJSON *arr = cJSON_CreateArray();

				for (int i = 0; i < n; i++) {
					cJSON *row = cJSON_Duplicate(w[i].res, true);

					cJSON_AddStringToObject(row, "__workload", w[i].label);
					cJSON_AddItemToArray(arr, row);
				}
				{
					struct hcol all[7] = { { "workload", "__workload", NULL } };

					memcpy(all + 1, tc, sizeof(tc));
					html_table(f, "workloads", arr, all, 7);
				}
				cJSON_Delete(arr);
			}
			fputs("<h2>Latency</h2>\n", f);
			cdf_chart(f, w, n);
		}
		if (trend)
			trend_section(f, w, n, trend, store ? store : "", last > 0 ? last : 20);
		sweep_section(f, doc); /* profile --sweep */
		fputs("<h2>Timeline per pass</h2>\n", f);
		timeline(f, w, n);
		shapes_section(f, w, n, dir);
		fputs("<h2>Where request time goes</h2>\n", f);
		endpoints_chart(f, w, n);
		fputs("<h2>GIL wait per thread</h2>\n", f);
		gil_chart(f, w, n);
		fputs("<h2>Flamegraphs (on-CPU samples)</h2>\n", f);
		flamegraphs(f, w, n, dir);
		fputs("<h2>Tables</h2>\n", f);
		for (int i = 0; i < n; i++)
			workload_tables(f, &w[i]);
		if (cJSON_IsObject(cJSON_GetObjectItem(doc, "comparison"))) {
			static const struct hcol bc[] = {
				{ "suite", "suite", NULL },
				{ "workload", "workload", NULL },
				{ "req/s", "requests_per_sec", "%.1f" },
				{ "baseline req/s", "baseline_requests_per_sec", "%.1f" },
				{ "ratio", "ratio", "%.3f" },
			};

			fputs("<h2>Against the baseline</h2>\n", f);
			html_table(f, "baseline", json_get(doc, "comparison.workloads"), bc, 5);
		}
	} else {
		fputs("<h2>Contents</h2>\n", f);
		generic_tables(f, doc, "", 0);
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(doc, "warnings"))) {
		fputs("<h2>Warnings</h2><ul>\n", f);
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "warnings")) {
			fputs("<li class=\"warn\">[", f);
			esc(f, json_str_or(e, "section", "-"));
			fputs("] ", f);
			esc(f, json_str_or(e, "message", "-"));
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fprintf(f, "<script>%s</script>\n</body></html>\n", script);
	if (fclose(f)) {
		free(text);
		snprintf(err, errlen, "html: out of memory");
		return -ENOMEM;
	}
	e2 = write_file_atomic(out, text, len);
	free(text);
	if (e2)
		snprintf(err, errlen, "cannot write '%s': %s", out, strerror(-e2));
	return e2;
}
