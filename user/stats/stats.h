/* SPDX-License-Identifier: GPL-2.0-only */
/* Statistics for comparing runs: Mann-Whitney U (exact for small samples), Welch's t-test, and a
 * bootstrap confidence interval of the ratio of medians. Written here, unit-tested against
 * published values. */
#ifndef BINDPROF_STATS_H
#define BINDPROF_STATS_H

#include <stdint.h>

double stats_median(const double *v, int n);

/* Two-sided p-value of the Mann-Whitney U test of a against b (exact null distribution when
 * there are no ties and n_a * n_b <= 400, else the normal approximation with a tie correction).
 * *u gets U of a. */
double stats_mann_whitney(const double *a, int na, const double *b, int nb, double *u);
/* The smallest two-sided p-value the exact test can give for these sizes. */
double stats_mann_whitney_min_p(int na, int nb);
/* Two-sided p-value of Welch's t-test; *t and *df get the statistic and its degrees of freedom. */
double stats_welch(const double *a, int na, const double *b, int nb, double *t, double *df);
/* Two-sided p-value for Student's t with df degrees of freedom. */
double stats_t_two_sided_p(double t, double df);
/* Percentile bootstrap CI (level e.g. 0.95) of median(a) / median(b), iters resamples, seed. */
void stats_bootstrap_ratio_ci(const double *a, int na, const double *b, int nb, double level, int iters,
			      uint64_t seed, double *lo, double *hi);

#endif
