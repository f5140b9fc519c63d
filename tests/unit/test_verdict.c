/* SPDX-License-Identifier: GPL-2.0-only */
/* The gates' significance procedure (stats/verdict.c) against published values and against its
 * own error rates on synthetic repeats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stats/stats.h"
#include "stats/verdict.h"

#define NEAR(x, want, tol) assert_true(fabs((x) - (want)) <= (tol))

static const struct vd_rule rps_rule = { "requests_per_sec", true, 10, 25, false };
static const struct vd_rule p99_rule = { "p99_ms", false, 10, 25, false };

static void test_median_ci_table(void **state)
{
	/* The 95% distribution-free CI of the median, [x(k), x(n-k+1)], as tabulated by Campbell and
	 * Gardner (BMJ 1988, "Calculating confidence intervals for some non-parametric analyses",
	 * table 1) for n = 6..20, and n = 5 where no interval reaches 95% ([x(1), x(5)]: 93.75%). */
	static const struct {
		int n, k;
		double cov;
	} t[] = {
		{ 5, 1, 0.9375 },   { 6, 1, 0.96875 },  { 7, 1, 0.984375 }, { 8, 1, 0.9921875 }, { 9, 2, 0.9609 },
		{ 10, 2, 0.9785 },  { 11, 2, 0.9883 },  { 12, 3, 0.9614 },  { 13, 3, 0.9775 },	 { 14, 3, 0.9871 },
		{ 15, 4, 0.9648 },  { 16, 4, 0.9787 },  { 17, 5, 0.9510 },  { 18, 5, 0.9691 },	 { 19, 5, 0.9808 },
		{ 20, 6, 0.9586 },
	};
	double cov, v[20], lo, hi;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(vd_median_ci_rank(t[i].n, 0.95, &cov), t[i].k);
		NEAR(cov, t[i].cov, 1e-4);
	}
	assert_int_equal(vd_median_ci_rank(1, 0.95, &cov), 0);
	/* on data, unsorted: n = 12 -> the 3rd and 10th smallest */
	for (int i = 0; i < 12; i++)
		v[i] = (i * 7) % 12 + 1; /* a permutation of 1..12 */
	vd_median_ci(v, 12, 0.95, &lo, &hi, &cov);
	NEAR(lo, 3, 0);
	NEAR(hi, 10, 0);
}

/* a and b with exactly U(a) = u and no ties: b = 1..nb, a's values placed between them */
static void with_u(int na, int nb, int u, double *a, double *b)
{
	for (int j = 0; j < nb; j++)
		b[j] = j + 1;
	for (int i = 0; i < na; i++) {
		int c = u > nb ? nb : u; /* b values below a[i] */

		u -= c;
		a[i] = c + 0.5 + 0.001 * i;
	}
}

static void test_mann_whitney_critical_values(void **state)
{
	/* Two-tailed 5% critical values of U (reject when U <= the value), as in the standard tables
	 * (e.g. Siegel and Castellan, Nonparametric Statistics, table J; any Mann-Whitney U table):
	 * U = crit gives p <= 0.05, U = crit + 1 gives p > 0.05, with the exact null distribution. */
	static const int t[][3] = { { 4, 4, 0 }, { 5, 5, 2 },	{ 6, 6, 5 },  { 7, 7, 8 },  { 8, 8, 13 }, { 9, 9, 17 },
				    { 10, 10, 23 }, { 5, 10, 8 }, { 6, 8, 8 }, { 3, 7, 1 }, { 4, 9, 4 } };
	double a[20], b[20], u;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(vd_mw_critical(t[i][0], t[i][1], 0.05, NULL), t[i][2]);
		with_u(t[i][0], t[i][1], t[i][2], a, b);
		assert_true(stats_mann_whitney(a, t[i][0], b, t[i][1], &u) <= 0.05);
		NEAR(u, t[i][2], 1e-9);
		with_u(t[i][0], t[i][1], t[i][2] + 1, a, b);
		assert_true(stats_mann_whitney(a, t[i][0], b, t[i][1], &u) > 0.05);
	}
}

static void test_shift_ci(void **state)
{
	/* 3 against 3: no U reaches 5% (the smallest two-sided p is 0.1), so the interval is the
	 * widest one, [min(new) - max(base), max(new) - min(base)], with coverage 1 - 2/20 = 0.9 */
	static const double b[] = { 100, 98, 103 }, n[] = { 70, 72, 69 };
	/* 5 against 5: C = 2, [d(3), d(23)] of the 25 differences, coverage 1 - 2 * 4/252 */
	static const double b5[] = { 1, 2, 3, 4, 5 }, n5[] = { 11, 12, 13, 14, 15 };
	double est, lo, hi, cov;

	assert_int_equal(vd_mw_critical(3, 3, 0.05, &cov), -1);
	vd_shift_ci(b, 3, n, 3, 0.05, &est, &lo, &hi, &cov);
	NEAR(lo, 69 - 103, 0);
	NEAR(hi, 72 - 98, 0);
	NEAR(est, -30, 0); /* median of the 9 differences */
	NEAR(cov, 0.9, 1e-12);
	vd_shift_ci(b5, 5, n5, 5, 0.05, &est, &lo, &hi, &cov);
	/* differences 6..14, counts 1 2 3 4 5 4 3 2 1: d(3) = 7, d(23) = 13 */
	NEAR(lo, 7, 0);
	NEAR(hi, 13, 0);
	NEAR(est, 10, 0);
	NEAR(cov, 1 - 8.0 / 252, 1e-12);
	/* large samples: the normal approximation, 20 and 25 (U table: 20 x 20 -> 127; 25 x 25 at 5%%
	 * two-sided: 211) within one of the exact value */
	assert_true(abs(vd_mw_critical(25, 25, 0.05, NULL) - 211) <= 1);
}

static void test_bootstrap_three_against_three(void **state)
{
	/* With 3 values a side, a resample's median is the sample's smallest with probability
	 * P(at least 2 of 3 draws are it) = 7/27 > 2.5%: the 95% percentile CI of the ratio of
	 * medians is exactly [min(a)/max(b), max(a)/min(b)], whatever the seed. */
	static const double a[] = { 70, 72, 69 }, b[] = { 100, 98, 103 };
	double lo, hi, lo2, hi2;

	stats_bootstrap_ratio_ci(a, 3, b, 3, 0.95, 4000, 1, &lo, &hi);
	NEAR(lo, 69.0 / 103, 1e-12);
	NEAR(hi, 72.0 / 98, 1e-12);
	/* a fixed seed: the same interval run after run */
	stats_bootstrap_ratio_ci(a, 3, b, 3, 0.95, 4000, 1, &lo2, &hi2);
	NEAR(lo2, lo, 0);
	NEAR(hi2, hi, 0);
}

static void test_thirty_percent_every_repeat(void **state)
{
	/* the case: throughput -30% in every repeat, ranges not overlapping (3 repeats) */
	static const double base[] = { 1000, 1040, 960 }, new_[] = { 700, 728, 672 };
	struct vd_result r;

	vd_compare(&rps_rule, base, 3, new_, 3, NULL, &r);
	assert_int_equal(r.verdict, VD_REGRESSED_CRITICAL);
	NEAR(r.change_pct, -30, 1e-9);
	assert_true(strstr(r.reason, "-30.0%") != NULL);
	/* p99 +40% in every repeat */
	{
		static const double b99[] = { 10, 10.5, 9.6, 10.2, 9.9 }, n99[] = { 14, 14.7, 13.4, 14.3, 13.9 };

		vd_compare(&p99_rule, b99, 5, n99, 5, NULL, &r);
		assert_int_equal(r.verdict, VD_REGRESSED_CRITICAL);
		assert_true(r.p_value < 0.05);
	}
}

static void test_overlapping_ranges_seven_repeats(void **state)
{
	/* 7 repeats, one slow pass on the base side and one fast on the new: the min..max ranges
	 * overlap (the old rule read this -21.6% as unchanged), but every other pass moved. */
	static const double base[] = { 1000, 1010, 990, 1005, 995, 1020, 880 };
	static const double new_[] = { 780, 788, 772, 784, 776, 796, 900 };
	struct vd_result r;

	vd_compare(&rps_rule, base, 7, new_, 7, NULL, &r);
	NEAR(r.change_pct, -21.6, 0.05);
	assert_int_equal(r.verdict, VD_REGRESSED);
	assert_true(r.p_value < 0.05);
	assert_true(r.ratio_ci[1] < 0.9);
}

static void test_not_gated_and_explicit(void **state)
{
	static const double b1[] = { 100 }, n1[] = { 170 }, b2[] = { 100, 101 }, n2[] = { 170, 171 };
	struct vd_rule explicit_rule = p99_rule;
	struct vd_result r;

	vd_compare(&p99_rule, b1, 1, n1, 1, NULL, &r);
	assert_int_equal(r.verdict, VD_NOT_GATED);
	assert_string_equal(r.reason, "not-gated: one sample");
	NEAR(r.change_pct, 70, 1e-9);
	vd_compare(&p99_rule, b2, 2, n2, 2, NULL, &r);
	assert_int_equal(r.verdict, VD_NOT_GATED);
	explicit_rule.gate_explicit = true;
	vd_compare(&explicit_rule, b1, 1, n1, 1, NULL, &r);
	assert_int_equal(r.verdict, VD_REGRESSED_CRITICAL);
	/* missing and new */
	vd_compare(&p99_rule, b2, 2, NULL, 0, NULL, &r);
	assert_int_equal(r.verdict, VD_MISSING);
	vd_compare(&p99_rule, NULL, 0, n2, 2, NULL, &r);
	assert_int_equal(r.verdict, VD_NEW);
	assert_string_equal(vd_name(VD_NOT_GATED), "not-gated");
	assert_string_equal(vd_name(VD_REGRESSED_CRITICAL), "regressed-critical");
}

static void test_noise_band_from_spread(void **state)
{
	/* -12% with passes that differ by ~15% among themselves: the band (the runs' own spread)
	 * is wider than the change, so it is noise, and the reason says so */
	static const double base[] = { 1000, 850, 1150, 900, 1100 }, new_[] = { 880, 748, 1012, 792, 968 };
	static const double tb[] = { 1000, 1002, 998, 1001, 999 }, tn[] = { 880, 882, 878, 881, 879 };
	struct vd_result r;

	vd_compare(&rps_rule, base, 5, new_, 5, NULL, &r);
	assert_int_equal(r.verdict, VD_UNCHANGED);
	assert_true(r.noise_pct > 12);
	assert_true(strstr(r.reason, "noise") || strstr(r.reason, "not significant"));
	/* the same -12% with tight passes: regressed */
	vd_compare(&rps_rule, tb, 5, tn, 5, NULL, &r);
	assert_int_equal(r.verdict, VD_REGRESSED);
	assert_true(r.noise_pct < 1); /* passes 0.1% apart */
	/* below the minimum effect: unchanged however tight */
	{
		static const double n5[] = { 950, 952, 948, 951, 949 };

		vd_compare(&rps_rule, tb, 5, n5, 5, NULL, &r);
		assert_int_equal(r.verdict, VD_UNCHANGED);
		assert_true(strstr(r.reason, "minimum effect") != NULL);
	}
}

/* xorshift64* and Box-Muller: normal deviates for the simulations */
static uint64_t rs = 88172645463325252ull;
static double unif(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return ((rs * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}
static double gauss(void)
{
	double u1 = unif(), u2 = unif();

	return sqrt(-2 * log(u1 > 1e-300 ? u1 : 1e-300)) * cos(2 * M_PI * u2);
}

/* the share of trials (of ntr) whose verdict is a regression, for n repeats a side with a
 * relative spread cv and a true ratio new/base */
static double regression_rate_rule(int n, double cv, double ratio, int ntr, int rule)
{
	struct vd_opts o = { .band_rule = rule };
	double b[32], nw[32];
	int fail = 0;

	for (int t = 0; t < ntr; t++) {
		struct vd_result r;

		for (int i = 0; i < n; i++) {
			b[i] = 1000 * (1 + cv * gauss());
			nw[i] = 1000 * ratio * (1 + cv * gauss());
		}
		vd_compare(&rps_rule, b, n, nw, n, &o, &r);
		fail += vd_is_regression(r.verdict);
	}
	return (double)fail / ntr;
}

static double regression_rate(int n, double cv, double ratio, int ntr)
{
	return regression_rate_rule(n, cv, ratio, ntr, VD_BAND_ESTIMATE);
}

static void test_band_rules_on_a_busy_host(void **state)
{
	/* passes 15% apart (the spread measured on this VM with a load average of 30): a 30% CPU
	 * regression (throughput / 1.3) with 9 repeats. The CI end had to clear the band (interval
	 * rule): caught far less often than when the median change clears it and the CI excludes 1
	 * (estimate rule, the default); A/A stays under 1 in 20 with either. */
	double fp_e = regression_rate_rule(9, 0.15, 1.0, 400, VD_BAND_ESTIMATE);
	double fp_i = regression_rate_rule(9, 0.15, 1.0, 400, VD_BAND_INTERVAL);
	double pw_e = regression_rate_rule(9, 0.15, 1 / 1.3, 400, VD_BAND_ESTIMATE);
	double pw_i = regression_rate_rule(9, 0.15, 1 / 1.3, 400, VD_BAND_INTERVAL);
	double pw5 = regression_rate_rule(5, 0.15, 1 / 1.3, 400, VD_BAND_ESTIMATE);

	print_message("cv 15%%, n 9: A/A estimate %.3f interval %.3f; -23%% estimate %.3f interval %.3f; n 5 estimate %.3f\n",
		      fp_e, fp_i, pw_e, pw_i, pw5);
	assert_true(fp_e < 0.05 && fp_i < 0.05);
	assert_true(pw_e > pw_i);
}

static void test_error_rates(void **state)
{
	/* A/A with passes 5% apart: failing verdicts well under 1 in 20 at every repeat count; a
	 * 23% throughput drop (30% more CPU a request) caught in at least 19 of 20 from 5 repeats;
	 * and more repeats never lose power (a 15% drop). */
	double prev = 0;

	for (int n = 3; n <= 9; n += 2) {
		double fp = regression_rate(n, 0.05, 1.0, 400), pw = regression_rate(n, 0.05, 1 / 1.3, 200),
		       p15 = regression_rate(n, 0.05, 0.85, 200);

		print_message("n=%d: A/A %.3f, -23%% %.3f, -15%% %.3f\n", n, fp, pw, p15);
		assert_true(fp < 0.05);
		if (n >= 5)
			assert_true(pw >= 0.95);
		assert_true(p15 >= prev - 0.03);
		prev = p15;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_ci_table),
		cmocka_unit_test(test_band_rules_on_a_busy_host),
		cmocka_unit_test(test_mann_whitney_critical_values),
		cmocka_unit_test(test_shift_ci),
		cmocka_unit_test(test_bootstrap_three_against_three),
		cmocka_unit_test(test_thirty_percent_every_repeat),
		cmocka_unit_test(test_overlapping_ranges_seven_repeats),
		cmocka_unit_test(test_not_gated_and_explicit),
		cmocka_unit_test(test_noise_band_from_spread),
		cmocka_unit_test(test_error_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
