/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats/changepoint.h"

void cp_opts_default(struct cp_opts *o)
{
	o->alpha = 0.01;
	o->permutations = 499;
	o->min_size = 3;
	o->min_change = 0.02;
	o->seed = 1;
}

/* splitmix64: a small, well-mixed generator for the orderings. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The best split of y[0..n) (n >= 2 * m): its Q in *q, its index returned. d: n * n scratch.
 * O(n^2): the cross and within sums move by one row as tau moves by one. */
static int best_split(const double *y, int n, int m, double *d, double *q)
{
	double cross = 0, wl = 0, wr = 0, best = -1;
	int at = -1;

	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			d[i * n + j] = fabs(y[i] - y[j]);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			wr += d[i * n + j];
	/* tau = number of runs on the left; move run tau-1 from right to left */
	for (int tau = 1; tau <= n - m; tau++) {
		int k = tau - 1;
		double to_left = 0, to_right = 0;

		for (int i = 0; i < k; i++)
			to_left += d[k * n + i];
		for (int j = k + 1; j < n; j++)
			to_right += d[k * n + j];
		cross += to_right - to_left;
		wl += to_left;
		wr -= to_right;
		if (tau < m)
			continue;
		{
			double a = tau, b = n - tau;
			double e = 2 * cross / (a * b) - (a > 1 ? wl / (a * (a - 1) / 2) : 0) -
				   (b > 1 ? wr / (b * (b - 1) / 2) : 0);
			double s = a * b / n * e;

			if (s > best) {
				best = s;
				at = tau;
			}
		}
	}
	*q = best;
	return at;
}

static double mean(const double *x, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += x[i];
	return n ? s / n : 0;
}

struct ctx {
	const struct cp_opts *o;
	double *d, *perm;
	uint64_t rng;
	int splits[256];
	double ps[256];
	int nsplits;
};

/* Search x[lo..hi) for a step; recurse on both sides of one that stands. */
static void segment(struct ctx *c, const double *x, int lo, int hi)
{
	int n = hi - lo, m = c->o->min_size, at, ge = 0;
	double q, qp, p, before, after;

	if (n < 2 * m || c->nsplits >= 256)
		return;
	at = best_split(x + lo, n, m, c->d, &q);
	if (at < 0)
		return;
	memcpy(c->perm, x + lo, n * sizeof(*x));
	for (int r = 0; r < c->o->permutations; r++) {
		for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
			int j = (int)(next_rand(&c->rng) % (uint64_t)(i + 1));
			double t = c->perm[i];

			c->perm[i] = c->perm[j];
			c->perm[j] = t;
		}
		best_split(c->perm, n, m, c->d, &qp);
		ge += qp >= q;
	}
	p = (1.0 + ge) / (1.0 + c->o->permutations);
	before = mean(x + lo, at);
	after = mean(x + lo + at, n - at);
	if (p >= c->o->alpha || fabs(after - before) < c->o->min_change * fabs(before))
		return;
	c->splits[c->nsplits] = lo + at;
	c->ps[c->nsplits++] = p;
	segment(c, x, lo, lo + at);
	segment(c, x, lo + at, hi);
}

int cp_detect(const double *x, int n, const struct cp_opts *o, struct cp_step *out, int max)
{
	struct ctx c = { .o = o, .rng = o->seed };
	int k = 0;

	if (n < 2 * o->min_size || o->min_size < 1)
		return 0;
	c.d = malloc((size_t)n * n * sizeof(*c.d));
	c.perm = malloc(n * sizeof(*c.perm));
	if (!c.d || !c.perm) {
		free(c.d);
		free(c.perm);
		return -ENOMEM;
	}
	segment(&c, x, 0, n);
	/* in index order, with the means of the segments they separate */
	for (int i = 0; i < c.nsplits; i++)
		for (int j = i + 1; j < c.nsplits; j++)
			if (c.splits[j] < c.splits[i]) {
				int t = c.splits[i];
				double tp = c.ps[i];

				c.splits[i] = c.splits[j];
				c.ps[i] = c.ps[j];
				c.splits[j] = t;
				c.ps[j] = tp;
			}
	for (int i = 0; i < c.nsplits && k < max; i++) {
		int s = i ? c.splits[i - 1] : 0, e = i + 1 < c.nsplits ? c.splits[i + 1] : n;

		out[k].index = c.splits[i];
		out[k].before = mean(x + s, c.splits[i] - s);
		out[k].after = mean(x + c.splits[i], e - c.splits[i]);
		out[k].change = out[k].before ? (out[k].after - out[k].before) / fabs(out[k].before) : 0;
		out[k].p = c.ps[i];
		k++;
	}
	free(c.d);
	free(c.perm);
	return k;
}
