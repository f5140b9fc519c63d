/* SPDX-License-Identifier: GPL-2.0-only */
/* Scaling analysis (stats/scaling.c): growth exponents of synthetic sweeps with known exponents and
 * multiplicative noise, their bootstrap CIs and verdicts; the saturation point of a plateau; the
 * highest rate under a p99 target. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include "stats/scaling.h"

#define NEAR(x, want, tol) assert_true(fabs((x) - (want)) <= (tol))

static const double X[] = { 1, 2, 5, 10, 20, 50, 100 };

/* y = 3 x^k times a fixed multiplicative noise of +-sd (a deterministic pattern, not random) */
static void synth(double k, double sd, double *y)
{
	static const double e[] = { 1, -1, 0.5, -0.5, 1, -1, 0 };

	for (int i = 0; i < 7; i++)
		y[i] = 3 * pow(X[i], k) * exp(sd * e[i]);
}

static void test_exact_exponents(void **state)
{
	static const double ks[] = { 0.5, 1.0, 2.0 };
	static const enum scaling_verdict want[] = { SCALING_SUBLINEAR, SCALING_LINEAR, SCALING_SUPERLINEAR };
	double y[7];
	struct scaling_fit f;

	for (int i = 0; i < 3; i++) {
		synth(ks[i], 0, y);
		scaling_exponent(X, y, 7, 0.95, 2000, 1, 0.1, &f);
		NEAR(f.exponent, ks[i], 1e-9);
		NEAR(f.ci[0], ks[i], 1e-9);
		NEAR(f.ci[1], ks[i], 1e-9);
		NEAR(f.r2, 1, 1e-9);
		assert_int_equal(f.verdict, want[i]);
		assert_int_equal(f.n, 7);
	}
}

static void test_noisy_exponents(void **state)
{
	static const double ks[] = { 0.3, 1.0, 1.8 };
	static const enum scaling_verdict want[] = { SCALING_SUBLINEAR, SCALING_LINEAR, SCALING_SUPERLINEAR };
	double y[7];
	struct scaling_fit f;

	for (int i = 0; i < 3; i++) {
		synth(ks[i], 0.05, y); /* +-5% */
		scaling_exponent(X, y, 7, 0.95, 2000, 7, 0.1, &f);
		/* the truth inside the CI, the CI narrow enough for a verdict */
		assert_true(f.ci[0] <= ks[i] && ks[i] <= f.ci[1]);
		NEAR(f.exponent, ks[i], 0.05);
		assert_true(f.ci[1] - f.ci[0] < 0.15);
		assert_int_equal(f.verdict, want[i]);
	}
}

static void test_indeterminate(void **state)
{
	double y[7];
	struct scaling_fit f;

	/* an exponent of 1.1 with +-40% noise: the CI straddles 1 and leaves the band */
	synth(1.1, 0.4, y);
	scaling_exponent(X, y, 7, 0.95, 2000, 3, 0.1, &f);
	assert_true(f.ci[0] < 1 && f.ci[1] > 1.1);
	assert_int_equal(f.verdict, SCALING_INDETERMINATE);
	assert_non_null(strstr(f.reason, "contains 1"));
	/* too few points: 3 */
	synth(2, 0, y);
	scaling_exponent(X, y, 3, 0.95, 2000, 3, 0.1, &f);
	assert_int_equal(f.verdict, SCALING_INDETERMINATE);
	NEAR(f.exponent, 2, 1e-9); /* the fit is there, the CI is not */
	assert_true(isnan(f.ci[0]));
	/* zeros and NaN dropped: 7 points with 4 unusable leave 3 */
	synth(2, 0, y);
	y[0] = 0;
	y[1] = NAN;
	y[2] = -1;
	y[3] = 0;
	scaling_exponent(X, y, 7, 0.95, 2000, 3, 0.1, &f);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.verdict, SCALING_INDETERMINATE);
	assert_string_equal(scaling_verdict_name(f.verdict), "indeterminate");
}

static void test_same_ci_each_run(void **state)
{
	double y[7];
	struct scaling_fit a, b;

	synth(0.7, 0.1, y);
	scaling_exponent(X, y, 7, 0.95, 1000, 42, 0.1, &a);
	scaling_exponent(X, y, 7, 0.95, 1000, 42, 0.1, &b);
	assert_true(a.ci[0] == b.ci[0] && a.ci[1] == b.ci[1]);
}

static void test_saturation(void **state)
{
	/* 4 workers x 10 ms: 100, 200, 400 from 4 connections on */
	static const double y[] = { 98, 196, 390, 399, 401, 395 };
	static const double se[] = { 2, 3, 5, 5, 5, 6 };
	static const double grow[] = { 100, 200, 300, 400 };
	char why[256];

	assert_int_equal(scaling_saturation(y, se, 6, 2, 0.10, why, sizeof(why)), 2);
	assert_int_equal(scaling_saturation(y, NULL, 6, 2, 0.10, why, sizeof(why)), 2);
	/* still growing at the end: not reached */
	assert_int_equal(scaling_saturation(grow, NULL, 4, 2, 0.10, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not reached"));
	/* a 12% gain inside a noisy point's 2 standard errors is no growth */
	{
		static const double y2[] = { 100, 200, 224 };
		static const double se2[] = { 1, 10, 10 };

		assert_int_equal(scaling_saturation(y2, se2, 3, 2, 0.10, why, sizeof(why)), 1);
		assert_int_equal(scaling_saturation(y2, NULL, 3, 2, 0.10, why, sizeof(why)), -1);
	}
	assert_int_equal(scaling_saturation(y, se, 1, 2, 0.10, why, sizeof(why)), -1);
}

static void test_max_rate(void **state)
{
	static const double rate[] = { 100, 200, 400, 800 };
	static const double p99[] = { 12, 13, 40, 900 };
	static const double got[] = { 100, 200, 398, 420 };
	static const int ok[] = { 1, 1, 1, 1 };
	static const double p99b[] = { 12, 60, 13, 900 };
	char why[256];

	assert_int_equal(scaling_max_rate(rate, p99, got, ok, 4, 20, why, sizeof(why)), 1);
	assert_int_equal(scaling_max_rate(rate, p99, got, ok, 4, 50, why, sizeof(why)), 2);
	assert_int_equal(scaling_max_rate(rate, p99, got, NULL, 4, 1000, why, sizeof(why)), 2); /* 420 < 90% of 800 */
	assert_int_equal(scaling_max_rate(rate, p99, got, ok, 4, 5, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "lowest"));
	/* a miss ends the run: the 400/s point meeting it again does not count */
	assert_int_equal(scaling_max_rate(rate, p99b, got, ok, 4, 20, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_exponents), cmocka_unit_test(test_noisy_exponents),
		cmocka_unit_test(test_indeterminate),   cmocka_unit_test(test_same_ci_each_run),
		cmocka_unit_test(test_saturation),      cmocka_unit_test(test_max_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
