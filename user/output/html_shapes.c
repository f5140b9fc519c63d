/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTML report's load shapes (see html_parts.h): SVG line charts of a workload's 1 s intervals
 * (results.intervals), of the burst's 1 s windows (results.burst.windows) with the burst and the
 * recovery marked, figure lists (dl) for the burst, the sustained pass's degradation and leak, the
 * ramp and the streams, and the mix as a table and bars. Every drawn line carries its values in
 * data-values (%.10g, "null" for a gap) and every figure its exact value in data-v (%.15g), so a
 * test can check the page against the JSON. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "lib/json.h"
#include "output/html_parts.h"

#define CW HTML_CW

static bool numv(const cJSON *o, const char *path, double *v)
{
	const cJSON *x = json_get(o, path);

	if (cJSON_IsNumber(x) && isfinite(x->valuedouble)) {
		*v = x->valuedouble;
		return true;
	}
	return false;
}

/* An axis end: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten at or beyond |v| (signed). */
static double nice(double v, bool up)
{
	static const double st[] = { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 };
	double a = fabs(v), p, m;

	if (!(a > 0))
		return 0;
	p = pow(10, floor(log10(a)));
	m = a / p;
	if ((v > 0) == up) {
		for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
			if (m <= st[i] + 1e-9)
				return copysign(p * st[i], v);
	} else {
		for (size_t i = sizeof(st) / sizeof(st[0]); i-- > 0;)
			if (m >= st[i] - 1e-9)
				return copysign(p * st[i], v);
	}
	return copysign(p * 10, v);
}

/* A plot area: x in [0, xmax] seconds, y in [lo, hi]. */
struct plot {
	double x0, x1, y0, y1, xmax, lo, hi;
};

static double px(const struct plot *p, double x)
{
	return p->x0 + (p->x1 - p->x0) * x / p->xmax;
}

static double py(const struct plot *p, double y)
{
	return p->y0 - (p->y0 - p->y1) * (y - p->lo) / (p->hi - p->lo);
}

/* A series of a chart: the key of its number in each element, its legend name, colour, dashes. */
struct ser {
	const char *key, *name, *colour;
	bool dashed;
};

/* A chart of the elements of arr (objects with a number at xkey, seconds, plus xoff) over
 * [0, xmax] s: one path per series (gaps where a value is null), y from lo (0 unless from_zero is
 * false: then the series' own low end) to the series' high end. *p gets the plot (for marks drawn
 * after); the caller closes the chart (chart_end). false (nothing drawn) when no series has 2
 * values. */
static bool chart_begin(FILE *f, const char *chart, const char *label, const cJSON *arr, const char *xkey, double xoff,
			double xmax, const struct ser *s, int ns, const char *unit, bool from_zero, double extra_hi,
			struct plot *p)
{
	double lo = INFINITY, hi = -INFINITY, v;
	const cJSON *e;
	int have = 0;

	for (int k = 0; k < ns; k++) {
		int c = 0;

		cJSON_ArrayForEach(e, arr) if (numv(e, s[k].key, &v)) {
			lo = fmin(lo, v);
			hi = fmax(hi, v);
			c++;
		}
		have += c >= 2;
	}
	if (!have || !(xmax > 0))
		return false;
	if (isfinite(extra_hi))
		hi = fmax(hi, extra_hi);
	*p = (struct plot){ .x0 = 70, .x1 = CW - 170, .y0 = 220, .y1 = 20, .xmax = xmax };
	p->lo = from_zero ? fmin(0, nice(lo, false)) : nice(lo - 0.05 * (hi - lo), false);
	p->hi = nice(hi + (from_zero ? 0.05 * hi : 0.05 * (hi - lo)), true);
	if (!(p->hi > p->lo))
		p->hi = p->lo + 1;
	fprintf(f, "<figure><svg class=\"chart\" data-chart=\"%s\" data-label=\"", chart);
	html_esc(f, label);
	fprintf(f, "\" viewBox=\"0 0 %.0f 260\" width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\">\n", CW);
	for (int i = 0; i <= 5; i++) {
		double y = p->lo + (p->hi - p->lo) * i / 5;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/><text x=\"%.1f\" "
			   "y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%.6g</text>\n",
			p->x0, py(p, y), p->x1, py(p, y), p->x0 - 4, py(p, y) + 4, y);
	}
	fprintf(f, "<text x=\"12\" y=\"%.1f\" class=\"ax\" transform=\"rotate(-90 12 %.1f)\" text-anchor=\"middle\">",
		(p->y0 + p->y1) / 2, (p->y0 + p->y1) / 2);
	html_esc(f, unit);
	fputs("</text>\n", f);
	{
		int step = xmax > 60 ? 10 * (int)ceil(xmax / 600) : xmax > 20 ? 5 : 1;

		for (int t = 0; t <= xmax + 1e-9; t += step)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">%d s</text>\n", px(p, t),
				p->y0 + 16, t);
	}
	for (int k = 0; k < ns; k++) {
		bool pen = false;
		int j = 0;

		fprintf(f, "<path class=\"series\" data-label=\"");
		html_esc(f, label);
		fprintf(f, "\" data-series=\"%s\" data-values=\"", s[k].key);
		cJSON_ArrayForEach(e, arr) {
			if (numv(e, s[k].key, &v))
				fprintf(f, "%s%.10g", j++ ? " " : "", v);
			else
				fprintf(f, "%snull", j++ ? " " : "");
		}
		fprintf(f, "\" data-points=\"%d\" stroke=\"%s\" fill=\"none\" stroke-width=\"2\"%s d=\"", j, s[k].colour,
			s[k].dashed ? " stroke-dasharray=\"5 3\"" : "");
		cJSON_ArrayForEach(e, arr) {
			double x;

			if (numv(e, s[k].key, &v) && numv(e, xkey, &x)) {
				fprintf(f, "%s%.1f %.1f", pen ? "L" : "M", px(p, x + xoff), py(p, v));
				pen = true;
			} else {
				pen = false;
			}
		}
		fputs("\"/>\n", f);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/><text class=\"ax\" x=\"%.1f\" "
			   "y=\"%.1f\">",
			p->x1 + 10, p->y1 + 16.0 * k, s[k].colour, p->x1 + 24, p->y1 + 16.0 * k + 9);
		html_esc(f, s[k].name);
		fputs("</text>\n", f);
	}
	return true;
}

static void chart_end(FILE *f, const char *caption)
{
	fputs("</svg><figcaption>", f);
	html_esc(f, caption);
	fputs("</figcaption></figure>\n", f);
}

/* A figure list: each field of o that is present, its label, its value formatted (fmt NULL: a
 * string) and its exact value in data-v (numbers) with data-key the field's path. */
struct fig {
	const char *label, *key, *fmt, *unit;
};

static void figures(FILE *f, const char *cls, const cJSON *o, const struct fig *fs, int n)
{
	fprintf(f, "<dl class=\"figures %s\">", cls);
	for (int i = 0; i < n; i++) {
		const cJSON *x = json_get(o, fs[i].key);
		double v;

		if (!x)
			continue;
		fputs("<dt>", f);
		html_esc(f, fs[i].label);
		fprintf(f, "</dt><dd data-key=\"%s\"", fs[i].key);
		if (fs[i].fmt && numv(o, fs[i].key, &v)) {
			fprintf(f, " data-v=\"%.15g\">", v);
			fprintf(f, fs[i].fmt, v);
			if (fs[i].unit)
				fprintf(f, " %s", fs[i].unit);
		} else if (cJSON_IsBool(x)) {
			fprintf(f, " data-v=\"%s\">%s", cJSON_IsTrue(x) ? "true" : "false", cJSON_IsTrue(x) ? "yes" : "no");
		} else if (cJSON_IsString(x)) {
			fputs(" data-v=\"", f);
			html_esc(f, x->valuestring);
			fputs("\">", f);
			html_esc(f, x->valuestring);
		} else {
			fputs(" data-v=\"null\">-", f); /* null: not measured (the reason is in the file) */
		}
		fputs("</dd>", f);
	}
	fputs("</dl>\n", f);
}

/* ---- the sections ---- */

static void intervals(FILE *f, const char *label, const cJSON *iv)
{
	static const struct ser rq[] = { { "requests", "requests/s", "#4e79a7", false },
					 { "errors", "errors/s", "#e15759", false } },
				lat[] = { { "p50_ms", "p50", "#59a14f", false }, { "p99_ms", "p99", "#f28e2b", true } },
				cpu[] = { { "cpu_percent", "CPU %", "#b07aa1", false } },
				mem[] = { { "rss_mb", "RSS", "#4e79a7", false },
					  { "pss_mb", "PSS", "#76b7b2", true },
					  { "uss_mb", "USS", "#e15759", false } };
	static const struct hcol cols[] = {
		{ "t s", "t_s", "%.0f" },	  { "requests", "requests", "%.0f" },  { "errors", "errors", "%.0f" },
		{ "p50 ms", "p50_ms", "%.3f" },	  { "p99 ms", "p99_ms", "%.3f" },      { "CPU %", "cpu_percent", "%.1f" },
		{ "RSS MB", "rss_mb", "%.2f" },	  { "USS MB", "uss_mb", "%.2f" },      { "PSS MB", "pss_mb", "%.2f" },
	};
	int n = cJSON_GetArraySize(iv);
	struct plot p;

	if (n < 1)
		return;
	fputs("<h4>Per 1 s interval</h4>\n", f);
	if (chart_begin(f, "iv-requests", label, iv, "t_s", 0.5, n, rq, 2, "per second", true, NAN, &p))
		chart_end(f, "Requests answered (blue) and failed (red) in each 1 s interval of the reported clean pass "
			     "(the load generator's counts; a request belongs to the interval it ended in).");
	if (chart_begin(f, "iv-latency", label, iv, "t_s", 0.5, n, lat, 2, "ms", true, NAN, &p))
		chart_end(f, "p50 (solid) and p99 (dashed) latency of the requests that ended in each 1 s interval "
			     "(the load generator's per-interval histograms, within 3.2%).");
	if (chart_begin(f, "iv-cpu", label, iv, "t_s", 0.5, n, cpu, 1, "% of one core", true, NAN, &p))
		chart_end(f, "The target's CPU in each interval (its process tree's user + system ticks from "
			     "/proc/PID/stat, per second of wall time; 100% is one core).");
	if (chart_begin(f, "iv-memory", label, iv, "t_s", 0.5, n, mem, 3, "MB", false, NAN, &p))
		chart_end(f, "The target's memory at the end of each interval: RSS (resident pages), PSS (shared "
			     "pages divided among their sharers) and USS (private pages only), summed over its process "
			     "tree from /proc/PID/smaps_rollup and status.");
	if (n < 2)
		fputs("<p class=\"none\">One interval only: no line drawn.</p>\n", f);
	html_table_of(f, "intervals", iv, cols, 9);
}

static void burst(FILE *f, const char *label, const cJSON *b)
{
	static const struct ser w[] = { { "p99_ms", "p99 of the 1 s window", "#e15759", false },
					{ "requests", "requests in it", "#4e79a7", true } };
	static const struct fig fs[] = {
		{ "base rate", "base_rps", "%.0f", "requests/s" },
		{ "peak rate", "peak_rps", "%.0f", "requests/s" },
		{ "burst from", "starts_at_s", "%.2f", "s" },
		{ "burst to", "ends_at_s", "%.2f", "s" },
		{ "p99 before the burst", "baseline_p99_ms", "%.3f", "ms" },
		{ "highest p99 of a window", "peak_p99_ms", "%.3f", "ms" },
		{ "recovered", "recovered", NULL, NULL },
		{ "recovery time", "recovery_secs", "%.2f", "s" },
		{ "step of the windows", "resolution_secs", "%.2f", "s" },
		{ "tolerance", "tolerance_percent", "%.0f", "%" },
		{ "verdict", "reason", NULL, NULL },
	};
	const cJSON *wa = cJSON_GetObjectItem(b, "windows"), *last = cJSON_GetArrayItem(wa, cJSON_GetArraySize(wa) - 1);
	double s0, s1, base, rec, xmax = 0, t;
	struct plot p;

	fputs("<h4>Burst</h4>\n", f);
	figures(f, "burst", b, fs, sizeof(fs) / sizeof(fs[0]));
	if (numv(last, "t_s", &t))
		xmax = ceil(t + 1);
	/* p99 only on the chart's scale: the requests line is in data-values; a second unit would need
	 * a second axis */
	if (!numv(b, "baseline_p99_ms", &base))
		base = NAN;
	if (!chart_begin(f, "burst", label, wa, "t_s", 0, xmax, w, 1, "p99 ms", true, 1.1 * base, &p))
		return;
	if (numv(b, "starts_at_s", &s0) && numv(b, "ends_at_s", &s1))
		fprintf(f, "<rect class=\"burst-window\" data-from=\"%.15g\" data-to=\"%.15g\" x=\"%.1f\" y=\"%.1f\" "
			   "width=\"%.1f\" height=\"%.1f\" fill=\"#f28e2b\" fill-opacity=\"0.15\"><title>the burst: %.2f..%.2f s"
			   "</title></rect>\n",
			s0, s1, px(&p, s0), p.y1, px(&p, s1) - px(&p, s0), p.y0 - p.y1, s0, s1);
	if (isfinite(base))
		fprintf(f, "<line class=\"burst-level\" data-v=\"%.15g\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			   "stroke=\"#59a14f\" stroke-dasharray=\"4 3\"><title>p99 before the burst + 10%%: %.3f ms</title></line>\n",
			1.1 * base, p.x0, py(&p, 1.1 * base), p.x1, py(&p, 1.1 * base), 1.1 * base);
	if (numv(b, "ends_at_s", &s1) && numv(b, "recovery_secs", &rec))
		fprintf(f, "<line class=\"burst-recovery\" data-at=\"%.15g\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			   "stroke=\"#222\" stroke-width=\"1.5\"><title>recovered %.2f s after the burst</title></line>\n",
			s1 + rec, px(&p, s1 + rec), p.y1, px(&p, s1 + rec), p.y0, rec);
	chart_end(f, "p99 of the requests that ended in each 1 s window, one window per step, drawn at its start "
		     "(results.burst.windows); shaded: the burst; dashed: p99 before the burst plus 10%; the vertical "
		     "line: the recovery, the first window after the burst whose p99 is back within that level.");
}

static void sustained(FILE *f, const cJSON *s)
{
	static const struct fig deg[] = {
		{ "verdict", "degradation.verdict", NULL, NULL },
		{ "intervals compared (first, last)", "degradation.intervals_compared", "%.0f", NULL },
		{ "throughput, first intervals", "degradation.throughput_first_rps", "%.1f", "requests/s" },
		{ "throughput, last intervals", "degradation.throughput_last_rps", "%.1f", "requests/s" },
		{ "throughput change", "degradation.throughput_change_percent", "%+.1f", "%" },
		{ "its 95% CI, low", "degradation.throughput_change_ci_low", "%+.1f", "%" },
		{ "its 95% CI, high", "degradation.throughput_change_ci_high", "%+.1f", "%" },
		{ "p99, first intervals", "degradation.p99_first_ms", "%.3f", "ms" },
		{ "p99, last intervals", "degradation.p99_last_ms", "%.3f", "ms" },
		{ "p99 change", "degradation.p99_change_percent", "%+.1f", "%" },
		{ "its 95% CI, low", "degradation.p99_change_ci_low", "%+.1f", "%" },
		{ "its 95% CI, high", "degradation.p99_change_ci_high", "%+.1f", "%" },
		{ "why", "degradation.reason", NULL, NULL },
	}, leak[] = {
		{ "verdict", "memory.leak.verdict", NULL, NULL },
		{ "series", "memory.leak.series", NULL, NULL },
		{ "slope", "memory.leak.slope_mb_per_hour", "%.1f", "MB/h" },
		{ "95% CI, low", "memory.leak.ci_low_mb_per_hour", "%.1f", "MB/h" },
		{ "95% CI, high", "memory.leak.ci_high_mb_per_hour", "%.1f", "MB/h" },
		{ "the CI from", "memory.leak.ci_from", NULL, NULL },
		{ "samples", "memory.leak.samples", "%.0f", NULL },
		{ "lag-1 autocorrelation", "memory.leak.lag1_autocorrelation", "%.3f", NULL },
		{ "effective samples", "memory.leak.effective_samples", "%.1f", NULL },
		{ "span", "memory.leak.span_secs", "%.1f", "s" },
		{ "mean", "memory.leak.mean_mb", "%.2f", "MB" },
		{ "why", "memory.leak.reason", NULL, NULL },
		{ "method", "memory.leak.method", NULL, NULL },
	};

	fputs("<h4>Sustained load: degradation</h4>\n", f);
	figures(f, "degradation", s, deg, sizeof(deg) / sizeof(deg[0]));
	fputs("<h4>Sustained load: memory leak</h4>\n", f);
	figures(f, "leak", s, leak, sizeof(leak) / sizeof(leak[0]));
}

static void mix(FILE *f, const char *label, const cJSON *m)
{
	static const struct hcol cols[] = {
		{ "name", "name", NULL },		  { "method", "method", NULL },
		{ "path", "path", NULL },		  { "weight", "weight", "%g" },
		{ "expected share", "expected_share", "%.4f" }, { "sent", "sent", "%.0f" },
		{ "answered", "answered", "%.0f" },	  { "sent share", "sent_share", "%.4f" },
	};
	const cJSON *e;
	double x0 = 260, x1 = CW - 20, y = 24;
	int n = cJSON_GetArraySize(m);

	fputs("<h4>Mix: each request's share</h4>\n", f);
	fprintf(f, "<figure><svg class=\"chart\" data-chart=\"mix\" data-label=\"");
	html_esc(f, label);
	fprintf(f, "\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\">\n", CW,
		40 + 40.0 * n);
	for (int i = 0; i <= 4; i++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"16\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/><text x=\"%.1f\" y=\"12\" "
			   "class=\"ax\" text-anchor=\"middle\">%d%%</text>\n",
			x0 + (x1 - x0) * i / 4, x0 + (x1 - x0) * i / 4, 24 + 40.0 * n, x0 + (x1 - x0) * i / 4, 25 * i);
	cJSON_ArrayForEach(e, m) {
		double ex = 0, got = NAN;

		numv(e, "expected_share", &ex);
		if (!numv(e, "sent_share", &got))
			got = NAN;
		fputs("<g class=\"mix-row\" data-name=\"", f);
		html_esc(f, json_str_or(e, "name", "-"));
		fprintf(f, "\" data-expected=\"%.15g\" data-sent-share=\"%.15g\"><text class=\"ax\" x=\"%.1f\" y=\"%.1f\" "
			   "text-anchor=\"end\">",
			ex, got, x0 - 6, y + 14);
		html_esc(f, json_str_or(e, "method", ""));
		fputs(" ", f);
		html_esc(f, json_str_or(e, "path", ""));
		fprintf(f, "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"12\" fill=\"#bab0ac\"><title>weight's "
			   "share %.2f%%</title></rect>",
			x0, y, (x1 - x0) * ex, 100 * ex);
		if (isfinite(got))
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"12\" fill=\"#4e79a7\"><title>sent share "
				   "%.2f%%</title></rect>",
				x0, y + 14, (x1 - x0) * got, 100 * got);
		fputs("</g>\n", f);
		y += 40;
	}
	chart_end(f, "Each request of the mix: the share its weight asks for (grey) and the share of the requests "
		     "sent that it had (blue).");
	html_table_of(f, "mix", m, cols, 8);
}

/* A latency distribution of a stream (an object with median_ms) as one table row. */
static void stream_latencies(FILE *f, const cJSON *st)
{
	static const struct hcol cols[] = {
		{ "time", "__name", NULL },	   { "count", "histogram.count", "%.0f" }, { "min ms", "min_ms", "%.3f" },
		{ "p50 ms", "median_ms", "%.3f" }, { "p90 ms", "p90_ms", "%.3f" },	   { "p99 ms", "p99_ms", "%.3f" },
		{ "max ms", "max_ms", "%.3f" },
	};
	cJSON *rows = cJSON_CreateArray();
	const cJSON *x;

	cJSON_ArrayForEach(x, st) if (cJSON_IsObject(x) && cJSON_GetObjectItem(x, "median_ms")) {
		cJSON *r = cJSON_Duplicate(x, true);

		cJSON_AddStringToObject(r, "__name", x->string);
		cJSON_AddItemToArray(rows, r);
	}
	html_table_of(f, "stream-latency", rows, cols, 7);
	cJSON_Delete(rows);
}

static void streaming(FILE *f, const cJSON *st)
{
	static const struct fig fs[] = {
		{ "kind", "kind", NULL, NULL },
		{ "mode", "mode", NULL, NULL },
		{ "connections", "connections", "%.0f", NULL },
		{ "messages per connection (0: until the end)", "messages_per_connection", "%.0f", NULL },
		{ "message size", "message_bytes", "%.0f", "bytes" },
		{ "streams", "streams", "%.0f", NULL },
		{ "streams with an event", "streams_with_event", "%.0f", NULL },
		{ "events", "events", "%.0f", NULL },
		{ "events per second", "events_per_sec", "%.1f", NULL },
		{ "per connection", "events_per_sec_per_connection", "%.1f", "events/s" },
		{ "connections upgraded", "upgraded", "%.0f", NULL },
		{ "connections that got a message", "connections_with_message", "%.0f", NULL },
		{ "messages sent", "messages_sent", "%.0f", NULL },
		{ "messages received", "messages_received", "%.0f", NULL },
		{ "messages per second", "messages_per_sec", "%.1f", NULL },
		{ "per connection", "messages_per_sec_per_connection", "%.1f", "messages/s" },
		{ "unanswered at the end", "unanswered", "%.0f", NULL },
		{ "answers not the message sent", "mismatched", "%.0f", NULL },
		{ "seconds", "elapsed_secs", "%.3f", "s" },
		{ "errors", "errors", "%.0f", NULL },
	};

	fputs("<h4>Stream</h4>\n", f);
	figures(f, "streaming", st, fs, sizeof(fs) / sizeof(fs[0]));
	stream_latencies(f, st);
}

void html_shapes(FILE *f, const char *label, const cJSON *res)
{
	static const struct fig rfs[] = {
		{ "over", "secs", "%.1f", "s" },
		{ "to", "to_rate", "%.0f", "requests/s" },
		{ "expected requests", "expected_requests", "%.0f", NULL },
		{ "slots scheduled", "scheduled", "%.0f", NULL },
		{ "requests sent", "sent_requests", "%.0f", NULL },
		{ "slots missed", "missed_slots", "%.0f", NULL },
	};
	static const struct fig pfs[] = {
		{ "event", "event", NULL, NULL },
		{ "malloc calls (every one)", "malloc_calls", "%.0f", NULL },
		{ "each sampled with probability 1 in", "malloc_every", "%.0f", NULL },
		{ "samples", "samples", "%.0f", NULL },
		{ "lost", "lost", "%.0f", NULL },
		{ "requests in the pass", "requests", "%.0f", NULL },
		{ "folded stacks", "folded_path", NULL, NULL },
		{ "flamegraph", "svg_path", NULL, NULL },
	};
	const cJSON *iv = cJSON_GetObjectItem(res, "intervals"), *b = cJSON_GetObjectItem(res, "burst"),
		    *s = cJSON_GetObjectItem(res, "sustained"), *r = cJSON_GetObjectItem(res, "ramp_up"),
		    *m = cJSON_GetObjectItem(res, "mix"), *st = cJSON_GetObjectItem(res, "streaming"),
		    *pf = cJSON_GetObjectItem(res, "page_faults"), *ms = cJSON_GetObjectItem(res, "malloc_sites");

	if (cJSON_GetArraySize(iv) < 1 && !b && !s && !r && !cJSON_GetArraySize(m) && !st && !pf && !ms)
		return;
	fputs("<section class=\"shapes\" data-label=\"", f);
	html_esc(f, label);
	fputs("\"><h3>", f);
	html_esc(f, label);
	fputs("</h3>\n", f);
	if (cJSON_IsObject(r)) {
		fputs("<h4>Ramp-up (before the measured pass)</h4>\n", f);
		figures(f, "ramp", r, rfs, sizeof(rfs) / sizeof(rfs[0]));
	}
	if (cJSON_IsObject(b))
		burst(f, label, b);
	if (cJSON_IsObject(s))
		sustained(f, s);
	if (cJSON_IsArray(m) && cJSON_GetArraySize(m))
		mix(f, label, m);
	if (cJSON_IsObject(st))
		streaming(f, st);
	if (cJSON_IsObject(pf)) {
		fputs("<h4>Page faults (--page-faults pass: where memory is touched first)</h4>\n", f);
		figures(f, "pagefaults", pf, pfs, sizeof(pfs) / sizeof(pfs[0]));
	}
	if (cJSON_IsObject(ms)) {
		fputs("<h4>Sampled malloc calls (--malloc-sample pass)</h4>\n", f);
		figures(f, "malloc", ms, pfs, sizeof(pfs) / sizeof(pfs[0]));
	}
	if (cJSON_IsArray(iv))
		intervals(f, label, iv);
	fputs("</section>\n", f);
}
