/* SPDX-License-Identifier: GPL-2.0-only */
/* Steady state (stats/steady.c): the OLS slope and its CI against a published fit, and synthetic
 * passes that slow down, stay flat, drift a little, or wander (autocorrelated). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include "stats/steady.h"

#define NEAR(x, want, tol) assert_true(fabs((x) - (want)) <= (tol))

static void test_t_quantile(void **state)
{
	/* t table: 2.262157 (9 df), 2.228139 (10), 12.706205 (1), 95% two-sided */
	NEAR(steady_t_quantile(0.95, 9), 2.262157, 1e-5);
	NEAR(steady_t_quantile(0.95, 10), 2.228139, 1e-5);
	NEAR(steady_t_quantile(0.95, 1), 12.706205, 1e-4);
}

static void test_anscombe(void **state)
{
	/* Anscombe's quartet, set I (Anscombe 1973), ordered by x = 4..14: slope 0.5001, standard
	 * error 0.1179 (the published fit: y = 3.00 + 0.500 x, t = 4.24 on 9 df) */
	static const double y[] = { 4.26, 5.68, 7.24, 4.82, 6.95, 8.81, 8.04, 8.33, 10.84, 7.58, 9.96 };
	struct steady_result r;

	steady_check(y, 11, 1, 10, 0.95, false, &r);
	NEAR(r.slope, 0.5001, 1e-4);
	NEAR((r.slope_ci[1] - r.slope) / 2.262157, 0.1179, 1e-4);
	NEAR(r.mean, 7.5009, 1e-4);
	assert_int_equal(r.state, NOT_STEADY); /* it rises 73% over the "pass" */
}

static uint64_t rs = 0x2545F4914F6CDD1Dull;
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

static void test_synthetic(void **state)
{
	double y[30];
	struct steady_result r;
	int flagged_flat = 0, flagged_drift = 0, flagged_slow = 0;

	for (int trial = 0; trial < 200; trial++) {
		/* a server that slows down by 30% over a 20 s pass, 3% noise a second */
		for (int i = 0; i < 20; i++)
			y[i] = 1000 * (1 - 0.3 * i / 20.0) * (1 + 0.03 * gauss());
		steady_check(y, 20, 1, 10, 0.95, true, &r);
		flagged_slow += r.state == NOT_STEADY;
		/* flat */
		for (int i = 0; i < 20; i++)
			y[i] = 1000 * (1 + 0.03 * gauss());
		steady_check(y, 20, 1, 10, 0.95, true, &r);
		flagged_flat += r.state == NOT_STEADY;
		/* a real but small drift: 4% over the pass, under the stated 10% */
		for (int i = 0; i < 20; i++)
			y[i] = 1000 * (1 - 0.04 * i / 20.0) * (1 + 0.005 * gauss());
		steady_check(y, 20, 1, 10, 0.95, true, &r);
		flagged_drift += r.state == NOT_STEADY;
	}
	assert_int_equal(flagged_slow, 200);
	assert_int_equal(flagged_flat, 0);
	assert_int_equal(flagged_drift, 0);
	/* the reason names the fall */
	for (int i = 0; i < 20; i++)
		y[i] = 1000 - 15 * i;
	steady_check(y, 20, 1, 10, 0.95, false, &r);
	assert_int_equal(r.state, NOT_STEADY);
	NEAR(r.change_pct, -100 * 15 * 20 / (1000 - 15 * 9.5), 1e-9);
	assert_non_null(strstr(r.reason, "fell"));
	/* too short */
	steady_check(y, 4, 1, 10, 0.95, false, &r);
	assert_int_equal(r.state, STEADY_UNKNOWN);
}

static void test_autocorrelation(void **state)
{
	/* a wandering series (AR(1), phi 0.9) with no trend: the plain t CI calls it a trend far
	 * more often than 5%; the autocorrelation-corrected one far less often */
	double y[30];
	struct steady_result r;
	int plain = 0, corrected = 0;

	for (int trial = 0; trial < 400; trial++) {
		double e = 0;

		for (int i = 0; i < 30; i++) {
			e = 0.9 * e + 0.04 * gauss();
			y[i] = 1000 * (1 + e);
		}
		steady_check(y, 30, 1, 0, 0.95, false, &r);
		plain += r.state == NOT_STEADY;
		steady_check(y, 30, 1, 0, 0.95, true, &r);
		corrected += r.state == NOT_STEADY;
		assert_true(r.r1 > -1 && r.r1 < 1);
	}
	print_message("AR(1) 0.9, no trend: plain %d/400, corrected %d/400 flagged\n", plain, corrected);
	assert_true(plain > 100);
	assert_true(corrected < plain / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t_quantile),
		cmocka_unit_test(test_anscombe),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_autocorrelation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
