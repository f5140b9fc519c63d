/* SPDX-License-Identifier: GPL-2.0-only */
/* Steady state of a pass: see steady.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "stats/stats.h"
#include "stats/steady.h"

const char *steady_name(enum steady_state s)
{
	return s == STEADY ? "steady" : s == NOT_STEADY ? "not-steady" : "unknown";
}

double steady_t_quantile(double conf, double df)
{
	double lo = 0, hi = 1e6, target = 1 - conf;

	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (stats_t_two_sided_p(mid, df) > target)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void steady_check(const double *y, int n, double interval_s, double max_change_pct, double conf, bool ar1,
		  struct steady_result *out)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, mx, my, b, a, sse = 0, se, t, df, num = 0, den = 0, span;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->slope = out->slope_ci[0] = out->slope_ci[1] = out->change_pct = NAN;
	out->change_ci_pct[0] = out->change_ci_pct[1] = out->r1 = out->n_eff = out->mean = NAN;
	out->state = STEADY_UNKNOWN;
	if (n < 5 || interval_s <= 0) {
		snprintf(out->reason, sizeof(out->reason), "%d intervals: too few to judge a trend (5 or more)", n);
		return;
	}
	for (int i = 0; i < n; i++) {
		double x = i * interval_s;

		sx += x;
		sy += y[i];
	}
	mx = sx / n;
	my = sy / n;
	out->mean = my;
	if (my <= 0) {
		snprintf(out->reason, sizeof(out->reason), "mean %.3g: nothing to judge", my);
		return;
	}
	for (int i = 0; i < n; i++) {
		double dx = i * interval_s - mx;

		sxx += dx * dx;
		sxy += dx * (y[i] - my);
	}
	b = sxy / sxx;
	a = my - b * mx;
	for (int i = 0; i < n; i++) {
		double e = y[i] - (a + b * i * interval_s), e1 = i ? y[i - 1] - (a + b * (i - 1) * interval_s) : 0;

		sse += e * e;
		if (i)
			num += e * e1;
		den += e * e;
	}
	out->r1 = den > 0 ? num / den : 0;
	se = sqrt(sse / (n - 2) / sxx);
	df = n - 2;
	out->n_eff = n;
	/* lag-1 autocorrelation from fewer than 20 residuals is mostly the line's misfit (a curved
	 * decline): no correction below that */
	if (ar1 && out->r1 > 0 && n >= 20) {
		double r = out->r1 < 0.95 ? out->r1 : 0.95;

		out->n_eff = n * (1 - r) / (1 + r);
		if (out->n_eff < 3)
			out->n_eff = 3;
		se *= sqrt((1 + r) / (1 - r));
		df = out->n_eff - 2;
	}
	t = steady_t_quantile(conf, df);
	out->slope = b;
	out->slope_ci[0] = b - t * se;
	out->slope_ci[1] = b + t * se;
	span = n * interval_s;
	out->change_pct = 100 * b * span / my;
	out->change_ci_pct[0] = 100 * out->slope_ci[0] * span / my;
	out->change_ci_pct[1] = 100 * out->slope_ci[1] * span / my;
	if ((out->slope_ci[0] > 0 || out->slope_ci[1] < 0) && fabs(out->change_pct) > max_change_pct) {
		out->state = NOT_STEADY;
		snprintf(out->reason, sizeof(out->reason),
			 "throughput %s over the pass: the fitted trend is %+.1f%% of its mean (slope CI %+.1f%%..%+.1f%% "
			 "excludes 0; beyond %.0f%%)", b < 0 ? "fell" : "rose", out->change_pct, out->change_ci_pct[0],
			 out->change_ci_pct[1], max_change_pct);
	} else {
		out->state = STEADY;
		snprintf(out->reason, sizeof(out->reason), "trend %+.1f%% over the pass (CI %+.1f%%..%+.1f%%)",
			 out->change_pct, out->change_ci_pct[0], out->change_ci_pct[1]);
	}
}
