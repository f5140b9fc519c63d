/* SPDX-License-Identifier: GPL-2.0-only */
/* The statistical tests against published values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>
#include "stats/stats.h"

#define NEAR(x, want, tol) assert_true(fabs((x) - (want)) <= (tol))

static void test_t_distribution(void **state)
{
	/* two-sided critical values of Student's t (any t table): p = 0.05 at these t */
	NEAR(stats_t_two_sided_p(2.228138852, 10), 0.05, 1e-6);
	NEAR(stats_t_two_sided_p(1.959963985, 1e7), 0.05, 1e-5);
	NEAR(stats_t_two_sided_p(12.70620474, 1), 0.05, 1e-6);
	NEAR(stats_t_two_sided_p(3.169272673, 10), 0.01, 1e-6);
	NEAR(stats_t_two_sided_p(0, 5), 1.0, 1e-12);
}

static void test_welch(void **state)
{
	/* Example 1 of Wikipedia's "Welch's t-test" article: t = -2.46, df = 24.9, p = 0.021 */
	static const double a[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4 };
	static const double b[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4 };
	double t, df, p = stats_welch(a, 15, b, 15, &t, &df);

	NEAR(t, -2.46, 0.01);
	NEAR(df, 24.9, 0.1);
	NEAR(p, 0.0211, 0.0005);
}

static void test_mann_whitney_exact(void **state)
{
	/* n = 5 and 5, complete separation: U = 0, exact two-sided p = 2 / C(10, 5) = 0.00794 */
	static const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	/* U = 2: P(U <= 2) = 4 / 252, two-sided 0.0317 (the 5% critical value of U for 5 and 5 is 2) */
	static const double c[] = { 1, 2, 3, 4, 7 }, d[] = { 5, 6, 8, 9, 10 };
	double u, p;

	p = stats_mann_whitney(a, 5, b, 5, &u);
	NEAR(u, 0, 1e-12);
	NEAR(p, 2.0 / 252, 1e-12);
	p = stats_mann_whitney(c, 5, d, 5, &u);
	NEAR(u, 2, 1e-12);
	NEAR(p, 8.0 / 252, 1e-12);
	/* too few repeats to ever reach 5%: 3 and 3 can do no better than 0.1 */
	NEAR(stats_mann_whitney_min_p(3, 3), 0.1, 1e-12);
	NEAR(stats_mann_whitney_min_p(4, 4), 2.0 / 70, 1e-12);
}

static void test_mann_whitney_normal_with_ties(void **state)
{
	/* ties force the normal approximation: identical samples give p = 1 */
	static const double a[] = { 5, 5, 5, 5 }, b[] = { 5, 5, 5, 5 };
	double u;

	NEAR(stats_mann_whitney(a, 4, b, 4, &u), 1.0, 1e-12);
}

static void test_bootstrap(void **state)
{
	static const double a[] = { 110, 111, 109, 112, 110 }, b[] = { 100, 101, 99, 100, 102 };
	double lo, hi, lo2, hi2;

	stats_bootstrap_ratio_ci(a, 5, b, 5, 0.95, 5000, 42, &lo, &hi);
	assert_true(lo <= 1.10 && hi >= 1.10 && lo > 1.05 && hi < 1.15); /* holds the true 1.10 */
	stats_bootstrap_ratio_ci(a, 5, b, 5, 0.95, 5000, 42, &lo2, &hi2);
	assert_true(lo == lo2 && hi == hi2); /* deterministic */
	NEAR(stats_median(a, 5), 110, 0);
	NEAR(stats_median(b, 4), 100, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t_distribution),
		cmocka_unit_test(test_welch),
		cmocka_unit_test(test_mann_whitney_exact),
		cmocka_unit_test(test_mann_whitney_normal_with_ties),
		cmocka_unit_test(test_bootstrap),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
