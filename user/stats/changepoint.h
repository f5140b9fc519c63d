/* SPDX-License-Identifier: GPL-2.0-only */
/* Step changes in a series of runs: E-divisive means (Matteson and James, "A nonparametric
 * approach for multiple change point analysis of multivariate data", JASA 2014; the method
 * MongoDB's CI uses on its performance history) with alpha = 1, by binary segmentation:
 *
 * - a split tau of x[0..n) scores Q = (tau (n - tau) / n) * (2 E|X - Y| - E|X - X'| - E|Y - Y'|),
 *   X the runs before tau, Y the runs from tau on (the energy distance of the two sides);
 * - the noise model is the series itself: the best split's Q is compared with the best Q of
 *   `permutations` random orderings of the same runs (a permutation test); the split stands when
 *   its p-value, (1 + orderings scoring at least as high) / (1 + permutations), is below alpha,
 *   and the two sides' means differ by at least min_change (relative, to keep sub-noise steps
 *   from tiny but consistent differences out);
 * - each side of a split that stands is searched again, so a series yields zero or more steps.
 *
 * Pure and deterministic (the orderings come from a fixed-seed generator): unit-tested on
 * synthetic series with known steps and on pure noise. */
#ifndef BINDPROF_CHANGEPOINT_H
#define BINDPROF_CHANGEPOINT_H

#include <stdint.h>

struct cp_opts {
	double alpha;      /* the permutation test's level (default 0.01) */
	int permutations;  /* orderings per test (default 499) */
	int min_size;      /* runs on each side of a step, at least (default 3) */
	double min_change; /* relative change of the means, at least (default 0.02: 2%) */
	uint64_t seed;     /* the orderings' generator seed (default 1) */
};

struct cp_step {
	int index;         /* the step's first run: x[index] is the first value after it */
	double before;     /* the mean of the segment before (up to the previous step) */
	double after;      /* the mean of the segment after (up to the next step) */
	double change;     /* (after - before) / |before| */
	double p;          /* the permutation test's p-value */
};

void cp_opts_default(struct cp_opts *o);

/* The steps of x[0..n), in index order, at most max into out. Returns how many, 0 when n is
 * below 2 * min_size, or -ENOMEM. */
int cp_detect(const double *x, int n, const struct cp_opts *o, struct cp_step *out, int max);

#endif
