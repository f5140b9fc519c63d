/* SPDX-License-Identifier: GPL-2.0-only */
/* Steady state of a load pass: does its throughput trend over the pass? An ordinary least-squares
 * line through the pass's per-interval throughputs, a t-based CI of its slope (optionally widened
 * for lag-1 autocorrelation), and a stated largest change over the pass. */
#ifndef BINDPROF_STEADY_H
#define BINDPROF_STEADY_H

#include <stdbool.h>

enum steady_state { STEADY, NOT_STEADY, STEADY_UNKNOWN };

struct steady_result {
	enum steady_state state;
	int n;                   /* intervals used */
	double mean;             /* mean of the series (its units, e.g. requests/s) */
	double slope;            /* OLS slope, units per second */
	double slope_ci[2];      /* its CI (conf), widened for autocorrelation when asked */
	double change_pct;       /* slope x pass length / mean x 100: the trend's change over the pass */
	double change_ci_pct[2]; /* the same for the CI's ends */
	double r1;               /* lag-1 autocorrelation of the residuals */
	double n_eff;            /* effective sample size used for the CI */
	char reason[200];
};

/* "steady", "not-steady", "unknown" */
const char *steady_name(enum steady_state s);

/* y[0..n): one value per interval of interval_s seconds (e.g. the requests completed in each 1 s
 * interval). NOT_STEADY when the slope's CI at conf (e.g. 0.95) excludes 0 and the fitted change
 * over the pass, |slope| x n x interval_s / mean, exceeds max_change_pct (percent). With ar1 and
 * 20 or more intervals, a positive lag-1 autocorrelation r of the residuals widens the CI:
 * SE x sqrt((1 + r) / (1 - r)), t with n_eff - 2 degrees of freedom, n_eff = n (1 - r) / (1 + r)
 * (Santer et al. 2000, J. Geophys. Res. 105(D6), "Statistical significance of trends ..."); with
 * fewer, r mostly measures a curved trend's misfit, and no correction is made. Fewer than 5
 * intervals, or a mean <= 0: STEADY_UNKNOWN (nothing to judge), with the reason. */
void steady_check(const double *y, int n, double interval_s, double max_change_pct, double conf, bool ar1,
		  struct steady_result *out);

/* The t quantile t with P(|T| > t) = 1 - conf for df degrees of freedom (bisection on the
 * two-sided p of stats/stats.h). */
double steady_t_quantile(double conf, double df);

#endif
