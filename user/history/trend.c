/* SPDX-License-Identifier: GPL-2.0-only */
#include <math.h>
#include "history/trend.h"

static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

void history_trend_svg(FILE *f, const struct history_points *ps, size_t from, size_t end)
{
	const double W = 640, H = 200, L = 70, R = 10, T = 30, B = 30;
	const struct history_point *p0 = &ps->p[from];
	size_t n = end - from;
	double lo, hi;

	if (!n)
		return;
	lo = hi = p0->value;
	for (size_t k = from; k < end; k++) {
		lo = ps->p[k].value < lo ? ps->p[k].value : lo;
		hi = ps->p[k].value > hi ? ps->p[k].value : hi;
	}
	if (hi == lo) {
		hi += fabs(hi) * 0.01 + 1e-9;
		lo -= fabs(lo) * 0.01 + 1e-9;
	}
	fprintf(f, "<svg class=\"series\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		   "data-workload=\"", W, H);
	xml_text(f, p0->workload);
	fputs("\" data-metric=\"", f);
	xml_text(f, p0->metric);
	fputs("\" data-host=\"", f);
	xml_text(f, p0->host);
	fprintf(f, "\" data-min=\"%.17g\" data-max=\"%.17g\">\n<text x=\"%.0f\" y=\"16\">", lo, hi, L);
	xml_text(f, p0->workload);
	fputs("  ", f);
	xml_text(f, p0->metric);
	fputs("  (host ", f);
	xml_text(f, p0->host);
	if (*p0->framework) {
		fputs(", framework ", f);
		xml_text(f, p0->framework);
	}
	fprintf(f, ")</text>\n<line class=\"ax\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
		   "<line class=\"ax\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
		L, T, L, H - B, L, H - B, W - R, H - B);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.4g</text><text x=\"%.0f\" y=\"%.0f\" "
		   "text-anchor=\"end\">%.4g</text>\n", L - 4, T + 4, hi, L - 4, H - B, lo);
	fputs("<polyline class=\"line\" points=\"", f);
	for (size_t k = from; k < end; k++) {
		double x = L + (n > 1 ? (W - L - R) * (k - from) / (n - 1) : (W - L - R) / 2);
		double y = (H - B) - (H - B - T) * (ps->p[k].value - lo) / (hi - lo);

		fprintf(f, "%s%.2f,%.2f", k > from ? " " : "", x, y);
	}
	fputs("\"/>\n", f);
	for (size_t k = from; k < end; k++) {
		double x = L + (n > 1 ? (W - L - R) * (k - from) / (n - 1) : (W - L - R) / 2);
		double y = (H - B) - (H - B - T) * (ps->p[k].value - lo) / (hi - lo);

		fprintf(f, "<circle class=\"pt\" cx=\"%.2f\" cy=\"%.2f\" r=\"3\" data-run=\"%ld\" "
			   "data-value=\"%.17g\"><title>run %ld, ", x, y, ps->p[k].run, ps->p[k].value, ps->p[k].run);
		xml_text(f, ps->p[k].run_at);
		fprintf(f, ", commit %.10s: %.6g</title></circle>\n", *ps->p[k].commit ? ps->p[k].commit : "-",
			ps->p[k].value);
	}
	fputs("</svg>\n", f);
}
