/* SPDX-License-Identifier: GPL-2.0-only */
/* The verdicts of the load shapes (profile --burst, --sustained): a burst's recovery time, a long
 * pass's degradation from its first to its last intervals, and a memory leak slope with an
 * autocorrelation-corrected confidence interval. */
#ifndef BINDPROF_LOADSHAPE_H
#define BINDPROF_LOADSHAPE_H

#include <stdbool.h>

/* ---- leak slope ---- */

enum leak_verdict { LEAK, NO_LEAK, LEAK_INCONCLUSIVE };

struct leak_result {
	enum leak_verdict verdict;
	int n;                 /* samples used */
	int lag;               /* Newey-West truncation lag L */
	double slope_mb_h;     /* OLS slope, MB per hour */
	double ci_mb_h[2];     /* its CI at conf: the wider of hac_ci_mb_h and ar1_ci_mb_h */
	double hac_ci_mb_h[2]; /* Newey-West (HAC) standard error */
	double ar1_ci_mb_h[2]; /* AR(1) effective sample size */
	bool ci_from_ar1;      /* ci_mb_h is the AR(1) one */
	double r1, n_eff;      /* the residuals' lag-1 autocorrelation (clamped to 0..0.95), n_eff */
	double ols_ci_mb_h[2]; /* the plain OLS CI (i.i.d. errors), for comparison */
	double span_s;         /* seconds from the first sample to the last */
	double mean_mb;
	double min_growth_mb;  /* what the run must grow by to count: max(1 MB, 1% of the mean) */
	char reason[240];
};

/* "leak", "no-leak", "inconclusive" */
const char *leak_name(enum leak_verdict v);

/* t_s[0..n): sample times (seconds), mb[0..n): memory (MB). The ordinary least-squares slope of mb
 * on t, and its CI at conf (e.g. 0.95), the wider of two autocorrelation corrections:
 * - the Newey-West heteroskedasticity-and-autocorrelation consistent variance (Newey & West 1987,
 *   Econometrica 55(3) 703-708): Bartlett weights 1 - l/(L+1) on the residual-weighted
 *   autocovariances up to lag L = floor(4 (n/100)^(2/9)) (the rule of Newey & West 1994, Rev.
 *   Econ. Stud. 61(4)), t with n - 2 degrees of freedom;
 * - the AR(1) effective sample size (Santer et al. 2000, J. Geophys. Res. 105(D6)), as
 *   stats/steady.h's.
 * Memory sampled once a second is strongly autocorrelated (an allocator's arenas grow in steps),
 * and the i.i.d. OLS interval is far too narrow; it is kept beside them (ols_ci_mb_h).
 * Verdict: LEAK when the CI's lower end, over the run's span, grows more than min_growth_mb
 * (max(1 MB, 1% of the mean)); NO_LEAK when the CI's upper end grows less than that over the span;
 * LEAK_INCONCLUSIVE otherwise, and with fewer than 10 samples. */
void leak_check(const double *t_s, const double *mb, int n, double conf, struct leak_result *out);

/* ---- degradation over a sustained pass ---- */

enum degrade_verdict { DEGRADED, NOT_DEGRADED, DEGRADE_INCONCLUSIVE };

struct degrade_result {
	enum degrade_verdict verdict;
	int k;                       /* intervals in each of the first and the last group */
	double rps_first, rps_last;  /* means of the groups' requests/s */
	double rps_change_pct, rps_change_ci_pct[2];
	double p99_first_ms, p99_last_ms; /* means of the groups' interval p99s */
	double p99_change_pct, p99_change_ci_pct[2];
	char reason[300];
};

/* "degraded", "not-degraded", "inconclusive" */
const char *degrade_name(enum degrade_verdict v);

/* rps[0..n) and p99_ms[0..n): one value per interval. The first and the last k = max(3, n/5)
 * intervals are compared: the change of the mean, in percent of the first group's, with a Welch
 * t interval at conf (the difference's CI over the first mean; stats/stats.h's Welch df).
 * DEGRADED when throughput fell or p99 rose by more than max_change_pct with the CI excluding 0;
 * NOT_DEGRADED when both CIs lie within +-max_change_pct; DEGRADE_INCONCLUSIVE otherwise, and with
 * fewer than 6 intervals. */
void degrade_check(const double *rps, const double *p99_ms, int n, double max_change_pct, double conf,
		   struct degrade_result *out);

/* ---- burst recovery ---- */

struct recovery_result {
	bool recovered;
	double baseline_p99_ms;  /* p99 of the requests that ended before the burst */
	double recovery_s;       /* burst end to the start of the first window back within 10%;
				  * NAN when never */
	double peak_p99_ms;      /* the highest window p99 from the burst's end on */
	double resolution_s;     /* the sub-interval step */
	char reason[240];
};

/* The recovery of a burst from the p99 of sliding windows: p99_win_ms[i] is the p99 of the requests
 * that ended in [i step, i step + window) (NAN when the window has none). The recovery time is from
 * burst_end_s to the start of the first window starting at or after it whose p99 is within
 * tolerance (0.10: 10%) of baseline_p99_ms; resolution: step. */
void burst_recovery(const double *p99_win_ms, int n, double step_s, double burst_end_s, double baseline_p99_ms,
		    double tolerance, struct recovery_result *out);

#endif
