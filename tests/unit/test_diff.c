/* SPDX-License-Identifier: GPL-2.0-only */
/* diff's verdicts and thresholds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

static void test_threshold_not_finite(void **state)
{
	struct metric_rule rules[] = { { "requests_per_sec", true, 10, 25 }, { "p99_ms", false, 10, 25 } };
	static const char *const bad[] = { "p99_ms=nan:nan", "p99_ms=inf:inf", "p99_ms=5:inf", "p99_ms=:",
					   "p99_ms=:5", "p99_ms=5:", "p99_ms=-1:5", "p99_ms=nan:5" };
	char err[256];

	/* each of these silently turned the gate off before: refused, the rule left as it was */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(diff_parse_threshold(bad[i], rules, 2, err, sizeof(err)), -EINVAL);
		assert_true(strstr(err, "--threshold") != NULL);
		assert_true(rules[1].warn == 10 && rules[1].crit == 25);
	}
}

#define ARGV(...) ((char *[]){ "diff", __VA_ARGS__, NULL })

static int parse(char **argv, struct diff_opts *o, char *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return diff_parse_opts(argc, argv, o, err, 256);
}

static void test_parse_opts(void **state)
{
	struct diff_opts o;
	char err[256];

	assert_int_equal(parse(ARGV("a.json", "b.json"), &o, err), 0);
	assert_string_equal(o.base, "a.json");
	assert_string_equal(o.new_, "b.json");
	assert_false(o.force || o.fail_warn || o.help);
	assert_null(o.report);
	assert_true(o.rules[0].warn == 10 && o.rules[0].crit == 25 && o.rules[0].higher_better);
	assert_string_equal(o.rules[5].name, "ffi_overhead_ms");
	assert_int_equal(parse(ARGV("--threshold", "p99_ms=5:7", "a", "--force", "--fail-on", "warning", "b",
				    "--report", "r.md", "--threshold=p50_ms=1:2"),
			       &o, err),
			 0);
	assert_true(o.rules[2].warn == 5 && o.rules[2].crit == 7);
	assert_true(o.rules[1].warn == 1 && o.rules[1].crit == 2);
	assert_true(o.force && o.fail_warn);
	assert_string_equal(o.report, "r.md");
	assert_string_equal(o.base, "a");
	assert_string_equal(o.new_, "b");
	assert_int_equal(parse(ARGV("-h"), &o, err), 0);
	assert_true(o.help);
	/* refusals, one line each */
	assert_int_equal(parse(ARGV("a"), &o, err), -EINVAL);
	assert_string_equal(err, "give BASE.json and NEW.json");
	assert_int_equal(parse(ARGV("a", "b", "c"), &o, err), -EINVAL);
	assert_int_equal(parse(ARGV("a", "b", "--fail-on", "sometimes"), &o, err), -EINVAL);
	assert_string_equal(err, "--fail-on: 'sometimes' is not warning or critical");
	assert_int_equal(parse(ARGV("a", "b", "--bogus"), &o, err), -EINVAL);
	assert_string_equal(err, "unknown option '--bogus'");
	assert_int_equal(parse(ARGV("a", "b", "--report"), &o, err), -EINVAL);
	assert_string_equal(err, "option '--report' needs a value");
	assert_int_equal(parse(ARGV("a", "b", "--threshold", "p99_ms=nan:nan"), &o, err), -EINVAL);
}

static void test_usage_from_table(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	diff_usage(f);
	fclose(f);
	assert_non_null(strstr(buf, "usage: bindprof diff BASE.json NEW.json [--threshold METRIC=WARN:CRIT]..."));
	assert_non_null(strstr(buf, "--fail-on warning|critical"));
	assert_non_null(strstr(buf, "--report FILE.md"));
	assert_non_null(strstr(buf, "Exit 0: no regression"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_threshold_not_finite),
		cmocka_unit_test(test_parse_opts),
		cmocka_unit_test(test_usage_from_table),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
