/* SPDX-License-Identifier: GPL-2.0-only */
/* The load shapes' verdicts: see loadshape.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "stats/loadshape.h"
#include "stats/steady.h"

const char *leak_name(enum leak_verdict v)
{
	return v == LEAK ? "leak" : v == NO_LEAK ? "no-leak" : "inconclusive";
}

const char *degrade_name(enum degrade_verdict v)
{
	return v == DEGRADED ? "degraded" : v == NOT_DEGRADED ? "not-degraded" : "inconclusive";
}

void leak_check(const double *t_s, const double *mb, int n, double conf, struct leak_result *out)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, b, a, sse = 0, s_hac = 0, se_hac, se_ols, tq, growth_lo, growth_hi;
	int L;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->verdict = LEAK_INCONCLUSIVE;
	out->slope_mb_h = out->ci_mb_h[0] = out->ci_mb_h[1] = out->ols_ci_mb_h[0] = out->ols_ci_mb_h[1] = NAN;
	/* no interval without a slope: NaN (null in JSON), never a [0, 0] that reads as certainty */
	out->hac_ci_mb_h[0] = out->hac_ci_mb_h[1] = out->ar1_ci_mb_h[0] = out->ar1_ci_mb_h[1] = NAN;
	out->span_s = out->mean_mb = out->min_growth_mb = NAN;
	if (n < 10) {
		snprintf(out->reason, sizeof(out->reason), "%d memory samples: too few for a slope (10 or more)", n);
		return;
	}
	for (int i = 0; i < n; i++) {
		mx += t_s[i] / n;
		my += mb[i] / n;
	}
	for (int i = 0; i < n; i++) {
		sxx += (t_s[i] - mx) * (t_s[i] - mx);
		sxy += (t_s[i] - mx) * (mb[i] - my);
	}
	out->span_s = t_s[n - 1] - t_s[0];
	out->mean_mb = my;
	if (sxx <= 0 || out->span_s <= 0) {
		snprintf(out->reason, sizeof(out->reason), "the samples span no time");
		return;
	}
	b = sxy / sxx;
	a = my - b * mx;
	/* Newey-West: Var(b) = S / sxx^2, S = sum_l w_l sum_t x_t e_t x_{t-l} e_{t-l} (both sides for
	 * l > 0), x centred, Bartlett w_l = 1 - l / (L + 1) */
	L = (int)floor(4 * pow(n / 100.0, 2.0 / 9.0));
	out->lag = L;
	for (int l = 0; l <= L; l++) {
		double g = 0, wl = 1 - (double)l / (L + 1);

		for (int i = l; i < n; i++) {
			double ei = mb[i] - (a + b * t_s[i]), ej = mb[i - l] - (a + b * t_s[i - l]);

			g += (t_s[i] - mx) * ei * (t_s[i - l] - mx) * ej;
		}
		s_hac += l ? 2 * wl * g : g;
	}
	for (int i = 0; i < n; i++) {
		double e = mb[i] - (a + b * t_s[i]);

		sse += e * e;
	}
	/* the HAC sum with the small-sample factor n / (n - 2), as the OLS variance's */
	se_hac = sqrt(fmax(s_hac, 0) * n / (n - 2)) / sxx;
	se_ols = sqrt(sse / (n - 2) / sxx);
	tq = steady_t_quantile(conf, n - 2);
	out->slope_mb_h = b * 3600;
	out->ols_ci_mb_h[0] = (b - tq * se_ols) * 3600;
	out->ols_ci_mb_h[1] = (b + tq * se_ols) * 3600;
	/* the AR(1) effective-sample-size interval (Santer et al. 2000): OLS's SE x sqrt((1+r)/(1-r)),
	 * t on n_eff - 2 df, n_eff = n (1-r)/(1+r), r the residuals' lag-1 autocorrelation */
	{
		double num = 0, den = 0, r, neff, half_ar, half_hac = tq * se_hac;

		for (int i = 0; i < n; i++) {
			double e = mb[i] - (a + b * t_s[i]);

			den += e * e;
			if (i)
				num += e * (mb[i - 1] - (a + b * t_s[i - 1]));
		}
		r = den > 0 ? num / den : 0;
		r = r < 0 ? 0 : r > 0.95 ? 0.95 : r;
		out->r1 = r;
		neff = n * (1 - r) / (1 + r);
		out->n_eff = neff < 3 ? 3 : neff;
		half_ar = steady_t_quantile(conf, out->n_eff - 2) * se_ols * sqrt((1 + r) / (1 - r));
		out->hac_ci_mb_h[0] = (b - half_hac) * 3600;
		out->hac_ci_mb_h[1] = (b + half_hac) * 3600;
		out->ar1_ci_mb_h[0] = (b - half_ar) * 3600;
		out->ar1_ci_mb_h[1] = (b + half_ar) * 3600;
		/* the wider of the two: either alone is known to undercover a strongly autocorrelated
		 * series in a short run (Newey-West with its small lag most) */
		out->ci_from_ar1 = half_ar > half_hac;
		out->ci_mb_h[0] = (b - fmax(half_ar, half_hac)) * 3600;
		out->ci_mb_h[1] = (b + fmax(half_ar, half_hac)) * 3600;
	}
	out->min_growth_mb = fmax(1.0, 0.01 * my);
	growth_lo = out->ci_mb_h[0] / 3600 * out->span_s;
	growth_hi = out->ci_mb_h[1] / 3600 * out->span_s;
	if (growth_lo > out->min_growth_mb) {
		out->verdict = LEAK;
		snprintf(out->reason, sizeof(out->reason),
			 "memory grew %.1f MB/h (CI %.1f..%.1f): at least %.2f MB over the %.0f s run, beyond %.2f MB",
			 out->slope_mb_h, out->ci_mb_h[0], out->ci_mb_h[1], growth_lo, out->span_s, out->min_growth_mb);
	} else if (growth_hi < out->min_growth_mb) {
		out->verdict = NO_LEAK;
		snprintf(out->reason, sizeof(out->reason),
			 "slope %.1f MB/h (CI %.1f..%.1f): at most %.2f MB over the %.0f s run, below %.2f MB",
			 out->slope_mb_h, out->ci_mb_h[0], out->ci_mb_h[1], growth_hi, out->span_s, out->min_growth_mb);
	} else {
		snprintf(out->reason, sizeof(out->reason),
			 "slope %.1f MB/h (CI %.1f..%.1f): the run's growth is %.2f..%.2f MB, across the %.2f MB that "
			 "counts; a longer run narrows it", out->slope_mb_h, out->ci_mb_h[0], out->ci_mb_h[1], growth_lo,
			 growth_hi, out->min_growth_mb);
	}
}

/* The mean of a group, its variance / count. */
static void group(const double *v, int k, double *mean, double *var_n)
{
	double m = 0, s = 0;

	for (int i = 0; i < k; i++)
		m += v[i] / k;
	for (int i = 0; i < k; i++)
		s += (v[i] - m) * (v[i] - m) / (k - 1);
	*mean = m;
	*var_n = s / k;
}

/* The change from the first k to the last k in percent of the first mean, with its Welch CI. */
static void change(const double *v, int n, int k, double conf, double *first, double *last, double *pct,
		   double ci[2])
{
	double m1, m2, v1, v2, se, df, tq;

	group(v, k, &m1, &v1);
	group(v + n - k, k, &m2, &v2);
	*first = m1;
	*last = m2;
	se = sqrt(v1 + v2);
	df = v1 + v2 > 0 ? (v1 + v2) * (v1 + v2) / (v1 * v1 / (k - 1) + v2 * v2 / (k - 1)) : k - 1;
	tq = steady_t_quantile(conf, df);
	if (m1 <= 0) {
		*pct = ci[0] = ci[1] = NAN;
		return;
	}
	*pct = 100 * (m2 - m1) / m1;
	ci[0] = 100 * (m2 - m1 - tq * se) / m1;
	ci[1] = 100 * (m2 - m1 + tq * se) / m1;
}

void degrade_check(const double *rps, const double *p99_ms, int n, double max_change_pct, double conf,
		   struct degrade_result *out)
{
	bool thr_bad, lat_bad, thr_ok, lat_ok;

	memset(out, 0, sizeof(*out));
	out->verdict = DEGRADE_INCONCLUSIVE;
	out->rps_change_pct = out->p99_change_pct = NAN;
	out->rps_change_ci_pct[0] = out->rps_change_ci_pct[1] = out->p99_change_ci_pct[0] = out->p99_change_ci_pct[1] = NAN;
	if (n < 6) {
		snprintf(out->reason, sizeof(out->reason), "%d intervals: too few to compare the first and the last (6 or more)", n);
		return;
	}
	out->k = n / 5 > 3 ? n / 5 : 3;
	change(rps, n, out->k, conf, &out->rps_first, &out->rps_last, &out->rps_change_pct, out->rps_change_ci_pct);
	change(p99_ms, n, out->k, conf, &out->p99_first_ms, &out->p99_last_ms, &out->p99_change_pct, out->p99_change_ci_pct);
	if (!isfinite(out->rps_change_pct) || !isfinite(out->p99_change_pct)) {
		snprintf(out->reason, sizeof(out->reason), "the first intervals had no throughput or no latency");
		return;
	}
	thr_bad = out->rps_change_ci_pct[1] < 0 && out->rps_change_pct < -max_change_pct;
	lat_bad = out->p99_change_ci_pct[0] > 0 && out->p99_change_pct > max_change_pct;
	thr_ok = out->rps_change_ci_pct[0] > -max_change_pct && out->rps_change_ci_pct[1] < max_change_pct;
	lat_ok = out->p99_change_ci_pct[0] > -max_change_pct && out->p99_change_ci_pct[1] < max_change_pct;
	if (thr_bad || lat_bad)
		out->verdict = DEGRADED;
	else if (thr_ok && lat_ok)
		out->verdict = NOT_DEGRADED;
	snprintf(out->reason, sizeof(out->reason),
		 "first %d vs last %d intervals: throughput %+.1f%% (CI %+.1f..%+.1f), p99 %+.1f%% (CI %+.1f..%+.1f); %s",
		 out->k, out->k, out->rps_change_pct, out->rps_change_ci_pct[0], out->rps_change_ci_pct[1],
		 out->p99_change_pct, out->p99_change_ci_pct[0], out->p99_change_ci_pct[1],
		 out->verdict == DEGRADED ? "beyond the limit with the CI excluding 0"
		 : out->verdict == NOT_DEGRADED ? "both CIs within the limit"
						: "a CI crosses the limit");
}

void burst_recovery(const double *p99_win_ms, int n, double step_s, double burst_end_s, double baseline_p99_ms,
		    double tolerance, struct recovery_result *out)
{
	int first = (int)ceil(burst_end_s / step_s - 1e-9);

	memset(out, 0, sizeof(*out));
	out->baseline_p99_ms = baseline_p99_ms;
	out->recovery_s = NAN;
	out->resolution_s = step_s;
	out->peak_p99_ms = NAN;
	if (!(baseline_p99_ms > 0)) {
		snprintf(out->reason, sizeof(out->reason), "no latency before the burst: nothing to recover to");
		return;
	}
	for (int i = first; i < n; i++) {
		if (!isfinite(p99_win_ms[i]))
			continue;
		if (!isfinite(out->peak_p99_ms) || p99_win_ms[i] > out->peak_p99_ms)
			out->peak_p99_ms = p99_win_ms[i];
		if (!out->recovered && p99_win_ms[i] <= baseline_p99_ms * (1 + tolerance)) {
			out->recovered = true;
			out->recovery_s = i * step_s - burst_end_s;
			if (out->recovery_s < 0)
				out->recovery_s = 0;
		}
	}
	if (out->recovered)
		snprintf(out->reason, sizeof(out->reason),
			 "p99 back within %.0f%% of its %.3f ms before the burst %.1f s after the burst's end", 100 * tolerance,
			 baseline_p99_ms, out->recovery_s);
	else
		snprintf(out->reason, sizeof(out->reason),
			 "p99 never came back within %.0f%% of its %.3f ms before the burst in the pass", 100 * tolerance,
			 baseline_p99_ms);
}
