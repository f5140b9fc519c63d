/* SPDX-License-Identifier: GPL-2.0-only */
/* The load shapes' verdicts (stats/loadshape.c) and the rate shape's schedule (load/loadgen.c):
 * the Newey-West slope against an independent sandwich-form computation, the leak verdicts on
 * synthetic memory series (a leak, a flat wandering series), the degradation of a pass that slows
 * down, a burst's recovery, and the exact slot count of a ramp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include "load/loadgen.h"
#include "stats/loadshape.h"

#define NEAR(x, want, tol) assert_true(fabs((x) - (want)) <= (tol))

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static double unif(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return ((rs * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(void)
{
	double u = unif(), v = unif();

	return sqrt(-2 * log(u > 1e-300 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static void test_newey_west_reference(void **state)
{
	/* the sandwich form (X'X)^-1 S (X'X)^-1 with Bartlett weights, L = 2 for n = 12, computed
	 * apart (matrix form, in Python): slope 0.3244755, HAC SE 0.0146828 (per second) */
	static const double y[] = { 10.0, 10.4, 10.1, 10.9, 11.3, 11.0, 11.8, 12.4, 12.1, 12.9, 13.5, 13.2 };
	double t[12];
	struct leak_result r;

	for (int i = 0; i < 12; i++)
		t[i] = i;
	leak_check(t, y, 12, 0.95, &r);
	assert_int_equal(r.lag, 2);
	NEAR(r.slope_mb_h / 3600, 0.3244755, 1e-6);
	/* t(0.975, 10) = 2.228139 */
	NEAR((r.hac_ci_mb_h[1] - r.slope_mb_h) / 3600 / 2.228139, 0.0146828, 1e-6);
	assert_true(r.ci_mb_h[1] >= r.hac_ci_mb_h[1] && r.ci_mb_h[1] >= r.ar1_ci_mb_h[1]);
}

static void test_leak_verdicts(void **state)
{
	double t[600], mb[600];
	struct leak_result r;
	int leaks = 0, noleak = 0;

	/* 10 minutes at 1 Hz growing 36 MB/h (0.01 MB/s) under allocator noise of 0.5 MB */
	for (int i = 0; i < 600; i++) {
		t[i] = i;
		mb[i] = 100 + 0.01 * i + 0.5 * gauss();
	}
	leak_check(t, mb, 600, 0.95, &r);
	assert_int_equal(r.verdict, LEAK);
	NEAR(r.slope_mb_h, 36, 36 * 0.1);
	assert_true(r.ci_mb_h[0] < 36 && r.ci_mb_h[1] > 36);
	/* flat but wandering (AR(1), phi 0.95, steps of 0.2 MB): OLS's i.i.d. interval calls a slope
	 * often; Newey-West's far less often, and never a leak of the run's 1 MB */
	for (int trial = 0; trial < 200; trial++) {
		double e = 0;

		for (int i = 0; i < 120; i++) {
			e = 0.95 * e + 0.2 * gauss();
			t[i] = i;
			mb[i] = 50 + e;
		}
		leak_check(t, mb, 120, 0.95, &r);
		leaks += r.verdict == LEAK;
		noleak += r.ols_ci_mb_h[0] > 0 || r.ols_ci_mb_h[1] < 0;
		noleak -= r.ci_mb_h[0] > 0 || r.ci_mb_h[1] < 0;
	}
	print_message("AR(1) 0.95, no trend: %d leaks; OLS excluded 0 in %d more trials than the corrected CI\n",
		      leaks, noleak);
	assert_true(leaks <= 4); /* under 2% */
	assert_true(noleak > 20);
	/* too few */
	leak_check(t, mb, 5, 0.95, &r);
	assert_int_equal(r.verdict, LEAK_INCONCLUSIVE);
	/* no slope, no interval: NaN (null), not [0, 0] */
	assert_true(isnan(r.hac_ci_mb_h[0]) && isnan(r.hac_ci_mb_h[1]));
	assert_true(isnan(r.ar1_ci_mb_h[0]) && isnan(r.ar1_ci_mb_h[1]));
}

static void test_degradation(void **state)
{
	double rps[30], p99[30];
	struct degrade_result r;

	for (int i = 0; i < 30; i++) { /* throughput falls 1000 -> 700, p99 rises 10 -> 20 ms */
		rps[i] = 1000 - 10 * i + 5 * gauss();
		p99[i] = 10 + i / 3.0 + 0.2 * gauss();
	}
	degrade_check(rps, p99, 30, 10, 0.95, &r);
	assert_int_equal(r.verdict, DEGRADED);
	assert_int_equal(r.k, 6);
	NEAR(r.rps_change_pct, -24.4, 2); /* means of 0..5 and 24..29: 975 and 735 */
	for (int i = 0; i < 30; i++) {
		rps[i] = 1000 + 5 * gauss();
		p99[i] = 10 + 0.2 * gauss();
	}
	degrade_check(rps, p99, 30, 10, 0.95, &r);
	assert_int_equal(r.verdict, NOT_DEGRADED);
	degrade_check(rps, p99, 4, 10, 0.95, &r);
	assert_int_equal(r.verdict, DEGRADE_INCONCLUSIVE);
}

static void test_recovery(void **state)
{
	/* windows every 0.1 s: 10 ms before, 500 ms from 2.0 to 3.4, 10.5 ms (within 10%) after */
	double p99[60];
	struct recovery_result r;

	for (int i = 0; i < 60; i++)
		p99[i] = i < 20 ? 10 : i < 35 ? 500 : 10.5;
	burst_recovery(p99, 60, 0.1, 3.0, 10, 0.10, &r);
	assert_true(r.recovered);
	NEAR(r.recovery_s, 0.5, 1e-9);
	NEAR(r.peak_p99_ms, 500, 1e-9);
	for (int i = 35; i < 60; i++)
		p99[i] = 12;
	burst_recovery(p99, 60, 0.1, 3.0, 10, 0.10, &r);
	assert_false(r.recovered);
	assert_true(isnan(r.recovery_s));
}

static void test_rate_shape(void **state)
{
	/* 0 -> 100/s over 2 s, then 100/s: N(t) = 25 t^2 up to 2 s (100 requests), then 100 + 100 (t - 2) */
	struct rate_shape s = { .n = 1, .secs = { 2 }, .r0 = { 0 }, .r1 = { 100 } };
	int in_ramp = 0;

	NEAR(rate_shape_slot_s(&s, 0), 0, 1e-12);
	NEAR(rate_shape_slot_s(&s, 25), 1, 1e-9);
	NEAR(rate_shape_slot_s(&s, 99), sqrt(99 / 25.0), 1e-9);
	NEAR(rate_shape_slot_s(&s, 100), 2, 1e-9);
	NEAR(rate_shape_slot_s(&s, 150), 2.5, 1e-9);
	for (uint64_t j = 0; j < 1000; j++) {
		double t = rate_shape_slot_s(&s, j);

		in_ramp += t < 2;
		if (j)
			assert_true(t > rate_shape_slot_s(&s, j - 1));
	}
	assert_int_equal(in_ramp, 100); /* R S / 2 exactly */
	/* a burst: 10/s for 2 s, 100/s for 1 s, 10/s: 20 + 100 slots before 3 s */
	{
		struct rate_shape b = { .n = 3, .secs = { 2, 1, 5 }, .r0 = { 10, 100, 10 }, .r1 = { 10, 100, 10 } };

		NEAR(rate_shape_slot_s(&b, 20), 2, 1e-9);
		NEAR(rate_shape_slot_s(&b, 70), 2.5, 1e-9);
		NEAR(rate_shape_slot_s(&b, 125), 3.5, 1e-9);
	}
	/* a rate that ends at 0: no slot after */
	{
		struct rate_shape d = { .n = 1, .secs = { 2 }, .r0 = { 100 }, .r1 = { 0 } };

		NEAR(rate_shape_slot_s(&d, 99), 2 - sqrt(2 * 1.0 / 50), 1e-6);
		assert_true(isinf(rate_shape_slot_s(&d, 100)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newey_west_reference),
		cmocka_unit_test(test_leak_verdicts),
		cmocka_unit_test(test_degradation),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_rate_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
