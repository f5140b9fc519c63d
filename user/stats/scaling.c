/* SPDX-License-Identifier: GPL-2.0-only */
/* Scaling analysis of a sweep: saturation point, highest rate under a p99 target, growth exponent
 * with a residual-bootstrap CI (methods and sources in stats/scaling.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/scaling.h"

const char *scaling_verdict_name(enum scaling_verdict v)
{
	switch (v) {
	case SCALING_SUBLINEAR: return "sub-linear";
	case SCALING_LINEAR: return "linear";
	case SCALING_SUPERLINEAR: return "super-linear";
	default: return "indeterminate";
	}
}

static double se_of(const double *se, int i)
{
	return se && isfinite(se[i]) && se[i] > 0 ? se[i] : 0;
}

int scaling_saturation(const double *y, const double *se, int n, double z, double min_gain, char *reason,
		       size_t len)
{
	if (n < 2) {
		snprintf(reason, len, "fewer than 2 points");
		return -1;
	}
	for (int i = 0; i < n - 1; i++) {
		int grows = 0;

		if (!isfinite(y[i]))
			continue;
		for (int j = i + 1; j < n && !grows; j++) {
			double gain = y[j] - y[i], noise = z * sqrt(se_of(se, i) * se_of(se, i) + se_of(se, j) * se_of(se, j));

			grows = isfinite(y[j]) && gain > noise && gain > min_gain * y[i];
		}
		if (!grows) {
			snprintf(reason, len, "no later point's throughput exceeds point %d's (%.1f) by more than its noise "
				 "(%.1f standard errors) and %.0f%%", i + 1, y[i], z, min_gain * 100);
			return i;
		}
	}
	snprintf(reason, len, "throughput still grows at the last point: saturation not reached");
	return -1;
}

int scaling_max_rate(const double *rate, const double *p99_ms, const double *achieved, const int *ok, int n,
		     double target_ms, char *reason, size_t len)
{
	int best = -1;

	for (int i = 0; i < n; i++) {
		const char *why = NULL;

		if (!isfinite(p99_ms[i]) || p99_ms[i] > target_ms)
			why = "its p99 exceeds the target";
		else if (!(achieved[i] >= 0.9 * rate[i]))
			why = "the app answered under 90% of the rate asked for";
		else if (ok && !ok[i])
			why = "the point failed (errors)";
		if (why) {
			if (best < 0)
				snprintf(reason, len, "even the lowest rate (%g/s) misses: %s", rate[i], why);
			else
				snprintf(reason, len, "the next rate (%g/s) misses: %s", rate[i], why);
			return best;
		}
		best = i;
	}
	if (best >= 0)
		snprintf(reason, len, "every rate swept meets the target (the highest may be higher)");
	else
		snprintf(reason, len, "no point");
	return best;
}

/* OLS slope of v on u (n points); its intercept in *a. NaN when u has no spread. */
static double ols(const double *u, const double *v, int n, double *a)
{
	double mu = 0, mv = 0, suu = 0, suv = 0;

	for (int i = 0; i < n; i++) {
		mu += u[i];
		mv += v[i];
	}
	mu /= n;
	mv /= n;
	for (int i = 0; i < n; i++) {
		suu += (u[i] - mu) * (u[i] - mu);
		suv += (u[i] - mu) * (v[i] - mv);
	}
	if (!(suu > 0)) {
		*a = NAN;
		return NAN;
	}
	*a = mv - suv / suu * mu;
	return suv / suu;
}

/* xorshift64*: deterministic, so that a CI is the same run after run */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void scaling_exponent(const double *x, const double *y, int n, double level, int iters, uint64_t seed, double band,
		      struct scaling_fit *out)
{
	double u[SCALING_MAX_POINTS], v[SCALING_MAX_POINTS], fit[SCALING_MAX_POINTS], r[SCALING_MAX_POINTS],
		vb[SCALING_MAX_POINTS];
	double a, mu = 0, suu = 0, ss_res = 0, ss_tot = 0, mv = 0, rmean = 0, *b = NULL;
	uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ull;
	int m = 0, k = 0;

	memset(out, 0, sizeof(*out));
	out->exponent = out->ci[0] = out->ci[1] = out->r2 = NAN;
	out->verdict = SCALING_INDETERMINATE;
	for (int i = 0; i < n && m < SCALING_MAX_POINTS; i++)
		if (isfinite(x[i]) && isfinite(y[i]) && x[i] > 0 && y[i] > 0) {
			u[m] = log(x[i]);
			v[m++] = log(y[i]);
		}
	out->n = m;
	if (m >= 2)
		out->exponent = ols(u, v, m, &a);
	if (m < SCALING_MIN_POINTS || !isfinite(out->exponent)) {
		snprintf(out->reason, sizeof(out->reason), "%d usable point%s (x > 0, y > 0): at least %d are needed", m,
			 m == 1 ? "" : "s", SCALING_MIN_POINTS);
		if (m >= SCALING_MIN_POINTS)
			snprintf(out->reason, sizeof(out->reason), "the swept variable does not vary");
		return;
	}
	for (int i = 0; i < m; i++) {
		mu += u[i] / m;
		mv += v[i] / m;
	}
	for (int i = 0; i < m; i++)
		suu += (u[i] - mu) * (u[i] - mu);
	/* leverage-adjusted residuals, centred */
	for (int i = 0; i < m; i++) {
		double h = 1.0 / m + (u[i] - mu) * (u[i] - mu) / suu, e;

		fit[i] = a + out->exponent * u[i];
		e = v[i] - fit[i];
		ss_res += e * e;
		ss_tot += (v[i] - mv) * (v[i] - mv);
		r[i] = h < 1 ? e / sqrt(1 - h) : 0;
		rmean += r[i] / m;
	}
	for (int i = 0; i < m; i++)
		r[i] -= rmean;
	out->r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 1;
	if (iters < 100)
		iters = 100;
	b = malloc(iters * sizeof(*b));
	if (!b) {
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return;
	}
	for (int it = 0; it < iters; it++) {
		double ab, sl;

		for (int i = 0; i < m; i++)
			vb[i] = fit[i] + r[rnd(&s) % m];
		sl = ols(u, vb, m, &ab);
		if (isfinite(sl))
			b[k++] = sl;
	}
	qsort(b, k, sizeof(*b), cmp_dbl);
	out->ci[0] = b[(int)floor((1 - level) / 2 * (k - 1))];
	out->ci[1] = b[(int)ceil((1 + level) / 2 * (k - 1))];
	free(b);
	if (out->ci[0] >= 1 - band && out->ci[1] <= 1 + band) {
		out->verdict = SCALING_LINEAR;
		snprintf(out->reason, sizeof(out->reason), "the %.0f%% interval [%.3f, %.3f] lies within %.2f of 1",
			 level * 100, out->ci[0], out->ci[1], band);
	} else if (out->ci[1] < 1) {
		out->verdict = SCALING_SUBLINEAR;
		snprintf(out->reason, sizeof(out->reason), "the %.0f%% interval [%.3f, %.3f] lies below 1", level * 100,
			 out->ci[0], out->ci[1]);
	} else if (out->ci[0] > 1) {
		out->verdict = SCALING_SUPERLINEAR;
		snprintf(out->reason, sizeof(out->reason), "the %.0f%% interval [%.3f, %.3f] lies above 1", level * 100,
			 out->ci[0], out->ci[1]);
	} else {
		snprintf(out->reason, sizeof(out->reason), "the %.0f%% interval [%.3f, %.3f] contains 1", level * 100,
			 out->ci[0], out->ci[1]);
	}
}
