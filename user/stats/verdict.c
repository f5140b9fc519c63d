/* SPDX-License-Identifier: GPL-2.0-only */
/* The gates' significance procedure: see verdict.h for the steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/stats.h"
#include "stats/verdict.h"

const char *vd_name(enum vd_verdict v)
{
	static const char *const n[] = { "improved", "unchanged", "regressed", "regressed-critical",
					 "not-gated", "missing", "new" };

	return (unsigned)v < sizeof(n) / sizeof(n[0]) ? n[v] : "?";
}

bool vd_is_regression(enum vd_verdict v)
{
	return v == VD_REGRESSED || v == VD_REGRESSED_CRITICAL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* P(Bin(n, 1/2) <= k), by the sum of binomial coefficients in logs (n up to thousands) */
static double binom_half_cdf(int n, int k)
{
	double s = 0;

	for (int i = 0; i <= k && i <= n; i++)
		s += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) - n * log(2.0));
	return s > 1 ? 1 : s;
}

int vd_median_ci_rank(int n, double conf, double *coverage)
{
	int k = 1;

	if (n < 2) {
		if (coverage)
			*coverage = NAN;
		return 0;
	}
	/* the largest k with 1 - 2 P(Bin <= k - 1) >= conf; at least 1 */
	while (k + 1 <= (n + 1) / 2 && 1 - 2 * binom_half_cdf(n, k) >= conf)
		k++;
	if (coverage)
		*coverage = 1 - 2 * binom_half_cdf(n, k - 1);
	return k;
}

void vd_median_ci(const double *v, int n, double conf, double *lo, double *hi, double *coverage)
{
	int k = vd_median_ci_rank(n, conf, coverage);
	double *s;

	*lo = *hi = NAN;
	if (!k || !(s = malloc(n * sizeof(*s))))
		return;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	*lo = s[k - 1];
	*hi = s[n - k];
	free(s);
}

double vd_robust_cv(const double *v, int n)
{
	double med, *d, mad;

	if (n < 2)
		return 0;
	med = stats_median(v, n);
	if (med == 0 || isnan(med) || !(d = malloc(n * sizeof(*d))))
		return 0;
	for (int i = 0; i < n; i++)
		d[i] = fabs(v[i] - med);
	mad = stats_median(d, n);
	free(d);
	return 1.4826 * mad / fabs(med);
}

/* Exact null distribution of U for sizes na, nb (no ties): counts[u], u = 0..na*nb, by counting
 * the subsets of na ranks out of na+nb with each rank sum (a knapsack over the ranks). NULL on
 * allocation failure. */
static double *mw_null_counts(int na, int nb)
{
	int n = na + nb, smax = n * (n + 1) / 2, umax = na * nb;
	double *dp = calloc((size_t)(na + 1) * (smax + 1), sizeof(*dp)), *c;

	if (!dp)
		return NULL;
#define DP(i, s) dp[(size_t)(i) * (smax + 1) + (s)]
	DP(0, 0) = 1;
	for (int r = 1; r <= n; r++)
		for (int i = (r < na ? r : na); i >= 1; i--)
			for (int s = smax; s >= r; s--)
				DP(i, s) += DP(i - 1, s - r);
	c = calloc(umax + 1, sizeof(*c));
	if (c)
		for (int u = 0; u <= umax; u++)
			c[u] = DP(na, u + na * (na + 1) / 2);
#undef DP
	free(dp);
	return c;
}

/* z with P(|Z| > z) = alpha, by bisection on erfc */
static double z_two_sided(double alpha)
{
	double lo = 0, hi = 40;

	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (erfc(mid / sqrt(2)) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

int vd_mw_critical(int na, int nb, double alpha, double *coverage)
{
	int umax = na * nb, crit = -1;

	if (na < 1 || nb < 1)
		return -1;
	if (umax <= 400) {
		double *c = mw_null_counts(na, nb), total = 0, cum = 0;

		if (!c)
			return -1;
		for (int u = 0; u <= umax; u++)
			total += c[u];
		for (int u = 0; u <= umax / 2; u++) {
			cum += c[u];
			if (2 * cum / total > alpha)
				break;
			crit = u;
		}
		if (coverage) {
			/* the interval [d(C+1), d(m-C)], C = max(crit, 0): 1 - 2 P(U <= C) */
			double tail = 0;

			for (int u = 0; u <= (crit < 0 ? 0 : crit); u++)
				tail += c[u];
			*coverage = 1 - 2 * tail / total;
		}
		free(c);
		return crit;
	}
	{
		/* the normal approximation (with continuity correction) beyond the exact range */
		double z = z_two_sided(alpha), mu = umax / 2.0, sd = sqrt(umax * (na + nb + 1) / 12.0);

		crit = (int)floor(mu - z * sd - 0.5);
		if (coverage)
			*coverage = 1 - alpha;
		return crit < -1 ? -1 : crit;
	}
}

static int cmp_d(const void *a, const void *b)
{
	return cmp_double(a, b);
}

void vd_shift_ci(const double *base, int nb, const double *new_, int nn, double alpha, double *est,
		 double *lo, double *hi, double *coverage)
{
	int m = nb * nn, crit, k;
	double *d = malloc((size_t)(m > 0 ? m : 1) * sizeof(*d)), cov = NAN;

	*est = *lo = *hi = NAN;
	if (coverage)
		*coverage = NAN;
	if (!d || nb < 1 || nn < 1) {
		free(d);
		return;
	}
	for (int i = 0; i < nn; i++)
		for (int j = 0; j < nb; j++)
			d[i * nb + j] = new_[i] - base[j];
	qsort(d, m, sizeof(*d), cmp_d);
	*est = m % 2 ? d[m / 2] : (d[m / 2 - 1] + d[m / 2]) / 2;
	crit = vd_mw_critical(nn, nb, alpha, &cov);
	k = crit < 0 ? 0 : crit; /* [d(C+1), d(m-C)] 1-based: d[k] .. d[m-1-k] */
	if (k > (m - 1) / 2)
		k = (m - 1) / 2;
	*lo = d[k];
	*hi = d[m - 1 - k];
	if (coverage)
		*coverage = cov;
	free(d);
}

/* 1.4826 x the MAD of both sides' log residuals about their own log medians (values > 0) */
static double pooled_log_spread(const double *b, int nb, const double *n, int nn)
{
	double *r = malloc((size_t)(nb + nn) * sizeof(*r)), mb, mn, mad;

	if (!r || nb + nn < 2) {
		free(r);
		return 0;
	}
	mb = log(stats_median(b, nb));
	mn = log(stats_median(n, nn));
	for (int i = 0; i < nb; i++)
		r[i] = fabs(log(b[i]) - mb);
	for (int i = 0; i < nn; i++)
		r[nb + i] = fabs(log(n[i]) - mn);
	mad = stats_median(r, nb + nn);
	free(r);
	return 1.4826 * mad;
}

static bool all_positive(const double *v, int n)
{
	for (int i = 0; i < n; i++)
		if (!(v[i] > 0))
			return false;
	return true;
}

/* pooled robust relative spread: the MAD of both sides' residuals about their own medians */
static double pooled_cv(const double *b, int nb, const double *n, int nn, double mb, double mn)
{
	double *r = malloc((size_t)(nb + nn) * sizeof(*r)), mad;

	if (!r || nb + nn < 2 || mb == 0) {
		free(r);
		return 0;
	}
	for (int i = 0; i < nb; i++)
		r[i] = fabs(b[i] - mb);
	for (int i = 0; i < nn; i++)
		r[nb + i] = fabs(n[i] - mn);
	mad = stats_median(r, nb + nn);
	free(r);
	return 1.4826 * mad / fabs(mb);
}

/* Step 6 on a result whose medians, band and ratio CI are set: up/down, the band's ends as
 * ratios. The verdict and its reason into out. */
static void decide(const struct vd_rule *r, struct vd_result *out, double worse, double up, double down, int rule)
{
	double ratio = out->new_median / out->base_median, lo = out->ratio_ci[0], hi = out->ratio_ci[1];
	bool interval = rule == VD_BAND_INTERVAL;
	/* what clears the band: the median change, or the CI's near end */
	bool above = (interval ? lo : ratio) > up && lo > 1, below = (interval ? hi : ratio) < down && hi < 1;
	bool sig_worse = worse >= r->min_effect_pct && (r->higher_better ? below : above);
	bool sig_better = -worse >= r->min_effect_pct && (r->higher_better ? above : below);
	const char *clears = interval ? "outside" : "excludes 1; the change beyond";

	if (sig_worse || sig_better) {
		out->verdict = sig_better ? VD_IMPROVED : worse >= r->crit_pct ? VD_REGRESSED_CRITICAL : VD_REGRESSED;
		snprintf(out->reason, sizeof(out->reason), "%+.1f%%: ratio CI [%.3f, %.3f] %s the %.1f%% noise band, p %.4f%s",
			 out->change_pct, lo, hi, clears, out->noise_pct, out->p_value,
			 out->verdict == VD_REGRESSED_CRITICAL ? "; beyond the critical threshold" : "");
		return;
	}
	out->verdict = VD_UNCHANGED;
	if (fabs(out->change_pct) < r->min_effect_pct)
		snprintf(out->reason, sizeof(out->reason), "%+.1f%% is below the %.1f%% minimum effect", out->change_pct,
			 r->min_effect_pct);
	else if (lo <= 1 && hi >= 1)
		snprintf(out->reason, sizeof(out->reason), "%+.1f%% not significant: ratio CI [%.3f, %.3f] contains 1 (p %.4f)",
			 out->change_pct, lo, hi, out->p_value);
	else if (interval)
		snprintf(out->reason, sizeof(out->reason), "%+.1f%% within noise: ratio CI [%.3f, %.3f] reaches into the "
			 "%.1f%% band (the runs' own spread)", out->change_pct, lo, hi, out->noise_pct);
	else
		snprintf(out->reason, sizeof(out->reason), "%+.1f%% within noise: inside the %.1f%% band (the runs' own "
			 "spread; ratio CI [%.3f, %.3f])", out->change_pct, out->noise_pct, lo, hi);
}

void vd_compare(const struct vd_rule *r, const double *base, int nb, const double *new_, int nn,
		const struct vd_opts *o, struct vd_result *out)
{
	double alpha = o && o->alpha > 0 ? o->alpha : 0.05, conf = o && o->confidence > 0 ? o->confidence : 0.95;
	double k = o && o->noise_k > 0 ? o->noise_k : 1, worse, band, u, est, lo = 0, hi = 0, cov = 0; /* an out-of-memory CI stays 0 */
	bool gated_small, logmode;
	double band_log = 0;

	memset(out, 0, sizeof(*out));
	out->nb = nb;
	out->nn = nn;
	out->base_median = out->new_median = out->change_pct = out->p_value = out->min_p = NAN;
	out->base_ci[0] = out->base_ci[1] = out->new_ci[0] = out->new_ci[1] = NAN;
	out->ratio_ci[0] = out->ratio_ci[1] = out->noise_pct = out->ratio_ci_level = NAN;
	out->base_ci_level = out->new_ci_level = NAN;
	if (nb <= 0 && nn <= 0) {
		out->verdict = VD_NOT_GATED;
		snprintf(out->reason, sizeof(out->reason), "not-gated: no sample on either side");
		return;
	}
	if (nb <= 0) {
		out->verdict = VD_NEW;
		out->new_median = stats_median(new_, nn);
		vd_median_ci(new_, nn, conf, &out->new_ci[0], &out->new_ci[1], &out->new_ci_level);
		snprintf(out->reason, sizeof(out->reason), "new: not in the base run");
		return;
	}
	out->base_median = stats_median(base, nb);
	vd_median_ci(base, nb, conf, &out->base_ci[0], &out->base_ci[1], &out->base_ci_level);
	if (nn <= 0) {
		out->verdict = VD_MISSING;
		snprintf(out->reason, sizeof(out->reason), "missing: not in the new run");
		return;
	}
	out->new_median = stats_median(new_, nn);
	vd_median_ci(new_, nn, conf, &out->new_ci[0], &out->new_ci[1], &out->new_ci_level);
	out->base_cv = vd_robust_cv(base, nb);
	out->new_cv = vd_robust_cv(new_, nn);
	if (out->base_median == 0) {
		out->verdict = VD_NOT_GATED;
		snprintf(out->reason, sizeof(out->reason), "not-gated: the base median is 0 (no relative change)");
		return;
	}
	out->change_pct = 100 * (out->new_median / out->base_median - 1);
	worse = r->higher_better ? -out->change_pct : out->change_pct; /* > 0: worse */
	logmode = all_positive(base, nb) && all_positive(new_, nn);
	if (logmode) {
		/* the spread of the logs: the band is a ratio, the same whichever side is the base */
		band_log = k * sqrt(2) * pooled_log_spread(base, nb, new_, nn);
		band = 100 * (exp(band_log) - 1);
	} else {
		band = k * 100 * sqrt(2) * pooled_cv(base, nb, new_, nn, out->base_median, out->new_median);
	}
	out->noise_pct = band;
	gated_small = nb < VD_MIN_SAMPLES || nn < VD_MIN_SAMPLES;
	if (gated_small && !r->gate_explicit) {
		int m = nb < nn ? nb : nn;

		out->verdict = VD_NOT_GATED;
		if (m == 1)
			snprintf(out->reason, sizeof(out->reason), "not-gated: one sample");
		else
			snprintf(out->reason, sizeof(out->reason), "not-gated: %d samples (at least %d a side gate)", m,
				 VD_MIN_SAMPLES);
		return;
	}
	if (gated_small) {
		/* gated explicitly on fewer samples than a test needs: the change against the band only */
		out->verdict = fabs(worse) < out->noise_pct || fabs(worse) < r->min_effect_pct ? VD_UNCHANGED
			       : worse < 0		   ? VD_IMPROVED
			       : worse >= r->crit_pct	   ? VD_REGRESSED_CRITICAL
							   : VD_REGRESSED;
		snprintf(out->reason, sizeof(out->reason),
			 "gated explicitly on %d and %d samples: %+.1f%% against the %.1f%% minimum effect and "
			 "a %.1f%% band, no test", nb, nn, out->change_pct, r->min_effect_pct, out->noise_pct);
		return;
	}
	out->p_value = stats_mann_whitney(new_, nn, base, nb, &u);
	out->min_p = stats_mann_whitney_min_p(nn, nb);
	if (all_positive(base, nb) && all_positive(new_, nn)) {
		/* a scale change: the shift of the logs, so the CI is of a ratio and never below 0 */
		double *lb = malloc(nb * sizeof(*lb)), *ln = malloc(nn * sizeof(*ln));

		if (lb && ln) {
			for (int i = 0; i < nb; i++)
				lb[i] = log(base[i]);
			for (int i = 0; i < nn; i++)
				ln[i] = log(new_[i]);
			vd_shift_ci(lb, nb, ln, nn, 2 * alpha, &est, &lo, &hi, &cov);
			out->ratio_ci[0] = exp(lo);
			out->ratio_ci[1] = exp(hi);
		}
		free(lb);
		free(ln);
	} else {
		vd_shift_ci(base, nb, new_, nn, 2 * alpha, &est, &lo, &hi, &cov);
		out->ratio_ci[0] = 1 + lo / out->base_median;
		out->ratio_ci[1] = 1 + hi / out->base_median;
	}
	out->ratio_ci_level = cov;
	decide(r, out, worse, logmode ? exp(band_log) : 1 + out->noise_pct / 100,
	       logmode ? exp(-band_log) : 1 - out->noise_pct / 100, o ? o->band_rule : VD_BAND_ESTIMATE);
}

static void num_or_null(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *side_json(double med, const double *ci, double level, int n)
{
	cJSON *s = cJSON_CreateObject(), *c;

	num_or_null(s, "median", med);
	c = cJSON_AddArrayToObject(s, "ci");
	for (int i = 0; i < 2; i++)
		cJSON_AddItemToArray(c, isfinite(ci[i]) ? cJSON_CreateNumber(ci[i]) : cJSON_CreateNull());
	num_or_null(s, "ci_level", level);
	cJSON_AddNumberToObject(s, "n", n);
	return s;
}

cJSON *vd_result_json(const struct vd_result *r)
{
	cJSON *o = cJSON_CreateObject(), *c;

	cJSON_AddStringToObject(o, "verdict", vd_name(r->verdict));
	cJSON_AddStringToObject(o, "reason", r->reason);
	cJSON_AddItemToObject(o, "base", side_json(r->base_median, r->base_ci, r->base_ci_level, r->nb));
	cJSON_AddItemToObject(o, "new", side_json(r->new_median, r->new_ci, r->new_ci_level, r->nn));
	num_or_null(o, "change_percent", r->change_pct);
	c = cJSON_AddArrayToObject(o, "ratio_ci");
	for (int i = 0; i < 2; i++)
		cJSON_AddItemToArray(c, isfinite(r->ratio_ci[i]) ? cJSON_CreateNumber(r->ratio_ci[i]) : cJSON_CreateNull());
	num_or_null(o, "ratio_ci_level", r->ratio_ci_level);
	num_or_null(o, "p_value", r->p_value);
	num_or_null(o, "noise_band_percent", r->noise_pct);
	return o;
}
