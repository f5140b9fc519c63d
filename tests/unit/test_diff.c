/* SPDX-License-Identifier: GPL-2.0-only */
/* diff's verdicts and thresholds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <cmocka.h>
#include "cli/diff.h"

static void test_verdicts(void **state)
{
	struct metric_rule rps = { "requests_per_sec", true, 10, 25 }, p99 = { "p99_ms", false, 10, 25 };
	double pct;

	assert_int_equal(diff_verdict(&rps, 1000, 700, 1, 0, 1, 0, &pct), V_CRITICAL);
	assert_true(fabs(pct + 30) < 1e-9);
	assert_int_equal(diff_verdict(&rps, 1000, 880, 1, 0, 1, 0, &pct), V_WARNING);
	assert_int_equal(diff_verdict(&rps, 1000, 950, 1, 0, 1, 0, &pct), V_UNCHANGED);
	assert_int_equal(diff_verdict(&rps, 1000, 1200, 1, 0, 1, 0, &pct), V_IMPROVED);
	/* lower is better for latency: +30% is critical, -30% improved */
	assert_int_equal(diff_verdict(&p99, 10, 13, 1, 0, 1, 0, &pct), V_CRITICAL);
	assert_int_equal(diff_verdict(&p99, 10, 7, 1, 0, 1, 0, &pct), V_IMPROVED);
	/* exactly at the threshold counts */
	assert_int_equal(diff_verdict(&p99, 10, 11, 1, 0, 1, 0, &pct), V_WARNING);
	/* a change inside both runs' spreads is noise */
	assert_int_equal(diff_verdict(&rps, 1000, 850, 800, 1200, 780, 1000, &pct), V_UNCHANGED);
	/* separated spreads keep the verdict */
	assert_int_equal(diff_verdict(&rps, 1000, 700, 990, 1010, 690, 710, &pct), V_CRITICAL);
}

static void test_thresholds(void **state)
{
	struct metric_rule rules[] = { { "requests_per_sec", true, 10, 25 }, { "p99_ms", false, 10, 25 } };
	char err[256];

	assert_int_equal(diff_parse_threshold("p99_ms=5:15", rules, 2, err, sizeof(err)), 0);
	assert_true(rules[1].warn == 5 && rules[1].crit == 15);
	assert_true(rules[0].warn == 10);
	assert_int_equal(diff_parse_threshold("p99_ms=5", rules, 2, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--threshold: 'p99_ms=5' is not METRIC=WARN:CRIT");
	assert_int_equal(diff_parse_threshold("p99_ms=20:10", rules, 2, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--threshold: 'p99_ms=20:10': CRIT must be a number >= WARN");
	assert_int_equal(diff_parse_threshold("p42=1:2", rules, 2, err, sizeof(err)), -EINVAL);
	assert_true(strstr(err, "unknown metric 'p42'") != NULL);
	assert_string_equal(verdict_name(V_CRITICAL), "regressed-critical");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_thresholds),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
