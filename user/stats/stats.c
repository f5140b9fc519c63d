/* SPDX-License-Identifier: GPL-2.0-only */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/util.h"
#include "stats/stats.h"

double stats_median(const double *v, int n)
{
	double *s, m;

	if (n <= 0)
		return NAN;
	s = malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double_asc);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* counts[u] = number of arrangements of na and nb values with U = u, by the recurrence
 * f(na, nb, u) = f(na - 1, nb, u - nb) + f(na, nb - 1, u). */
static double *mw_counts(int na, int nb)
{
	int umax = na * nb;
	double *prev = NULL, *cur = NULL, *table;

	/* table[i][j][u] is big; build row by row over i with arrays for every j */
	table = calloc((size_t)(na + 1) * (nb + 1) * (umax + 1), sizeof(*table));
	if (!table)
		return NULL;
#define T(i, j, u) table[((size_t)(i) * (nb + 1) + (j)) * (umax + 1) + (u)]
	for (int i = 0; i <= na; i++)
		for (int j = 0; j <= nb; j++)
			for (int u = 0; u <= i * j; u++) {
				if (i == 0 || j == 0) {
					T(i, j, u) = u == 0;
					continue;
				}
				T(i, j, u) = (u >= j ? T(i - 1, j, u - j) : 0) + T(i, j - 1, u);
			}
	cur = malloc((umax + 1) * sizeof(*cur));
	if (cur)
		for (int u = 0; u <= umax; u++)
			cur[u] = T(na, nb, u);
#undef T
	free(table);
	(void)prev;
	return cur;
}

static double exact_two_sided(int na, int nb, double u)
{
	double *c = mw_counts(na, nb), total = 0, tail = 0, ulo;
	int umax = na * nb;

	if (!c)
		return NAN;
	for (int k = 0; k <= umax; k++)
		total += c[k];
	ulo = u < umax - u ? u : umax - u; /* the distribution is symmetric */
	for (int k = 0; k <= (int)floor(ulo + 1e-9); k++)
		tail += c[k];
	free(c);
	tail = 2 * tail / total;
	return tail > 1 ? 1 : tail;
}

double stats_mann_whitney_min_p(int na, int nb)
{
	return exact_two_sided(na, nb, 0);
}

double stats_mann_whitney(const double *a, int na, const double *b, int nb, double *u_out)
{
	int n = na + nb, ties = 0;
	struct r {
		double v;
		int g;
		double rank;
	} *all = malloc(n * sizeof(*all));
	double ra = 0, u, tie_term = 0, mu, sigma, z;

	if (!all || na < 1 || nb < 1) {
		free(all);
		return NAN;
	}
	for (int i = 0; i < na; i++)
		all[i] = (struct r){ a[i], 0, 0 };
	for (int i = 0; i < nb; i++)
		all[na + i] = (struct r){ b[i], 1, 0 };
	/* sort by value (insertion sort: samples are small) */
	for (int i = 1; i < n; i++) {
		struct r x = all[i];
		int j = i - 1;

		while (j >= 0 && all[j].v > x.v) {
			all[j + 1] = all[j];
			j--;
		}
		all[j + 1] = x;
	}
	for (int i = 0; i < n;) {
		int j = i;

		while (j + 1 < n && all[j + 1].v == all[i].v)
			j++;
		for (int k = i; k <= j; k++)
			all[k].rank = (i + j) / 2.0 + 1;
		if (j > i) {
			double t = j - i + 1;

			ties = 1;
			tie_term += t * t * t - t;
		}
		i = j + 1;
	}
	for (int i = 0; i < n; i++)
		if (all[i].g == 0)
			ra += all[i].rank;
	free(all);
	u = ra - na * (na + 1) / 2.0;
	if (u_out)
		*u_out = u;
	if (!ties && na * nb <= 400)
		return exact_two_sided(na, nb, u);
	mu = na * nb / 2.0;
	sigma = sqrt(na * nb / 12.0 * ((n + 1) - tie_term / ((double)n * (n - 1))));
	if (sigma == 0)
		return 1;
	z = (fabs(u - mu) - 0.5) / sigma; /* continuity correction */
	if (z < 0)
		z = 0;
	return erfc(z / sqrt(2));
}

#define TINY 1e-300

/* One term of the modified Lentz method: updates c and d and returns the factor for h. */
static double lentz_step(double aa, double *c, double *d)
{
	*d = 1 + aa * *d;
	if (fabs(*d) < TINY)
		*d = TINY;
	*c = 1 + aa / *c;
	if (fabs(*c) < TINY)
		*c = TINY;
	*d = 1 / *d;
	return *d * *c;
}

/* Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
static double betacf(double a, double b, double x)
{
	const double eps = 1e-15, tiny = TINY;
	double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap, h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 500; m++) {
		int m2 = 2 * m;
		double del;

		h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
		del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

static double ibeta(double a, double b, double x)
{
	double bt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x));
	if (x < (a + 1) / (a + b + 2))
		return bt * betacf(a, b, x) / a;
	return 1 - bt * betacf(b, a, 1 - x) / b;
}

double stats_t_two_sided_p(double t, double df)
{
	return ibeta(df / 2, 0.5, df / (df + t * t));
}

double stats_welch(const double *a, int na, const double *b, int nb, double *t_out, double *df_out)
{
	double ma = 0, mb = 0, va = 0, vb = 0, se2, t, df;

	if (na < 2 || nb < 2)
		return NAN;
	for (int i = 0; i < na; i++)
		ma += a[i] / na;
	for (int i = 0; i < nb; i++)
		mb += b[i] / nb;
	for (int i = 0; i < na; i++)
		va += (a[i] - ma) * (a[i] - ma) / (na - 1);
	for (int i = 0; i < nb; i++)
		vb += (b[i] - mb) * (b[i] - mb) / (nb - 1);
	se2 = va / na + vb / nb;
	if (se2 == 0)
		return ma == mb ? 1 : 0;
	t = (ma - mb) / sqrt(se2);
	df = se2 * se2 / ((va / na) * (va / na) / (na - 1) + (vb / nb) * (vb / nb) / (nb - 1));
	if (t_out)
		*t_out = t;
	if (df_out)
		*df_out = df;
	return stats_t_two_sided_p(t, df);
}

/* xorshift64*: a small deterministic generator, so that a CI is the same run after run */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

void stats_bootstrap_ratio_ci(const double *a, int na, const double *b, int nb, double level, int iters,
			      uint64_t seed, double *lo, double *hi)
{
	double *ra = malloc(na * sizeof(*ra)), *rb = malloc(nb * sizeof(*rb)), *ratios = malloc(iters * sizeof(*ratios));
	uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ull;
	int k = 0;

	*lo = *hi = NAN;
	if (!ra || !rb || !ratios || na < 1 || nb < 1)
		goto out;
	for (int it = 0; it < iters; it++) {
		double mb;

		for (int i = 0; i < na; i++)
			ra[i] = a[rnd(&s) % na];
		for (int i = 0; i < nb; i++)
			rb[i] = b[rnd(&s) % nb];
		mb = stats_median(rb, nb);
		if (mb != 0)
			ratios[k++] = stats_median(ra, na) / mb;
	}
	if (!k)
		goto out;
	qsort(ratios, k, sizeof(*ratios), cmp_double_asc);
	*lo = ratios[(int)floor((1 - level) / 2 * (k - 1))];
	*hi = ratios[(int)ceil((1 + level) / 2 * (k - 1))];
out:
	free(ra);
	free(rb);
	free(ratios);
}
