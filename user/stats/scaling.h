/* SPDX-License-Identifier: GPL-2.0-only */
/* Scaling analysis of a sweep (`profile --sweep`): where throughput saturates as concurrency grows,
 * the highest request rate whose p99 meets a target, and the log-log growth exponent of a figure
 * (latency, memory, throughput) against the swept variable with a bootstrap confidence interval and
 * a verdict. Pure functions on arrays: the points are given in the sweep's order (x ascending). */
#ifndef BINDPROF_SCALING_H
#define BINDPROF_SCALING_H

#include <stddef.h>
#include <stdint.h>

#define SCALING_MIN_POINTS 4   /* fewest usable points for an exponent (2 residual degrees of freedom) */
#define SCALING_MAX_POINTS 64  /* most points of one sweep */

/* The saturation point of a concurrency sweep: the index of the first point i past which throughput
 * stops growing, i.e. no later point j has a significant gain over it. A gain y[j] - y[i] is
 * significant when it exceeds both z x sqrt(se[i]^2 + se[j]^2) (its noise: se are the standard
 * errors of each point's throughput, NaN or NULL when unknown) and min_gain x y[i] (a relative floor,
 * e.g. 0.10: a busy host moves a pass's throughput by a few percent however long it runs).
 * x ascending, n points. Returns the index, or -1 with a reason in `reason` when the throughput still
 * grows at the last point (saturation not reached) or there are fewer than 2 points. */
int scaling_saturation(const double *y, const double *se, int n, double z, double min_gain, char *reason,
		       size_t len);

/* The highest rate meeting a p99 target: the last point of the leading run of points (rates
 * ascending) whose p99_ms <= target_ms, whose achieved throughput is at least 90% of the rate asked
 * for (the app kept up), and which did not fail (ok[i] != 0; NULL: all ok). A later point that meets
 * the target again after a miss does not count: a sustainable rate is one below which every rate
 * was sustained. Returns the index, or -1 with a reason when even the first point misses. */
int scaling_max_rate(const double *rate, const double *p99_ms, const double *achieved, const int *ok, int n,
		     double target_ms, char *reason, size_t len);

enum scaling_verdict { SCALING_SUBLINEAR, SCALING_LINEAR, SCALING_SUPERLINEAR, SCALING_INDETERMINATE };

/* "sub-linear", "linear", "super-linear", "indeterminate" */
const char *scaling_verdict_name(enum scaling_verdict v);

struct scaling_fit {
	int n;                 /* points used (x > 0, y > 0, finite) */
	double exponent;       /* b of log y = a + b log x, by ordinary least squares; NaN with < 2 points */
	double ci[2];          /* its bootstrap CI at `level`; NaN when n < SCALING_MIN_POINTS */
	double r2;             /* coefficient of determination of the log-log fit */
	enum scaling_verdict verdict;
	char reason[200];
};

/* The growth exponent of y against x: y ~ x^b, b the OLS slope of log y on log x. Its CI: a
 * residual bootstrap of the regression (Efron & Tibshirani 1993, "An Introduction to the Bootstrap",
 * ch. 9.4; Davison & Hinkley 1997, "Bootstrap Methods and their Application", Algorithm 6.1, with
 * the leverage-adjusted, centred residuals r_i = e_i / sqrt(1 - h_ii) of their section 6.2.3):
 * iters resamples of the fitted values plus residuals drawn with replacement, the percentile
 * interval of the refitted slopes at level (e.g. 0.95), from a fixed seed (the same CI run after
 * run). Verdict against 1 with an equivalence band `band` (e.g. 0.1, after Schuirmann's two
 * one-sided tests, 1987): linear when the CI lies inside [1 - band, 1 + band]; else sub-linear when
 * it lies below 1, super-linear when above 1; indeterminate when it contains 1 (and is not inside
 * the band) or with fewer than SCALING_MIN_POINTS usable points. */
void scaling_exponent(const double *x, const double *y, int n, double level, int iters, uint64_t seed, double band,
		      struct scaling_fit *out);

#endif
