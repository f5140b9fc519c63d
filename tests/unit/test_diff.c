/* SPDX-License-Identifier: GPL-2.0-only */
/* diff's options: thresholds, --gate, --fail-on, targets (the verdicts themselves are tested in
 * test_verdict.c and test_gate.c). */
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

#define ARGV(...) ((char *[]){ "diff", __VA_ARGS__, NULL })

static int parse(char **argv, struct diff_opts *o, char *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return diff_parse_opts(argc, argv, o, err, 256);
}

static void test_thresholds(void **state)
{
	struct diff_opts o;
	char err[256];

	assert_int_equal(parse(ARGV("a", "b", "--threshold", "p99_ms=5:15"), &o, err), 0);
	assert_true(o.gate.rules[GM_P99].min_effect_pct == 5 && o.gate.rules[GM_P99].crit_pct == 15);
	assert_true(o.gate.rules[GM_RPS].min_effect_pct == 10 && o.gate.rules[GM_RPS].crit_pct == 25);
	assert_true(o.gate.rules[GM_CPU_PER_REQ].min_effect_pct == 15 && o.gate.rules[GM_CPU_PER_REQ].crit_pct == 30);
	assert_int_equal(parse(ARGV("a", "b", "--threshold", "p99_ms=5"), &o, err), -EINVAL);
	assert_string_equal(err, "--threshold: 'p99_ms=5' is not METRIC=MIN:CRIT");
	assert_int_equal(parse(ARGV("a", "b", "--threshold", "p99_ms=20:10"), &o, err), -EINVAL);
	assert_string_equal(err, "--threshold: 'p99_ms=20:10': CRIT must be a number >= MIN");
	assert_int_equal(parse(ARGV("a", "b", "--threshold", "p42=1:2"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "unknown metric 'p42'"));
	/* the old names of the profiling metrics map to their per-request forms */
	assert_int_equal(parse(ARGV("a", "b", "--threshold", "gil_wait_ms=20:40"), &o, err), 0);
	assert_true(o.gate.rules[GM_GIL_PER_REQ].min_effect_pct == 20);
}

static void test_threshold_not_finite(void **state)
{
	static const char *const bad[] = { "p99_ms=nan:nan", "p99_ms=inf:inf", "p99_ms=5:inf", "p99_ms=:",
					   "p99_ms=:5", "p99_ms=5:", "p99_ms=-1:5", "p99_ms=nan:5" };
	struct diff_opts o;
	char err[256];

	/* each of these silently turned the gate off before: refused */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(ARGV("a", "b", "--threshold", (char *)bad[i]), &o, err), -EINVAL);
		assert_non_null(strstr(err, "--threshold"));
	}
}

static void test_parse_opts(void **state)
{
	struct diff_opts o;
	char err[256];

	assert_int_equal(parse(ARGV("a.json", "b.json"), &o, err), 0);
	assert_string_equal(o.base, "a.json");
	assert_string_equal(o.new_, "b.json");
	assert_false(o.gate.force || o.gate.fail_missing || o.help);
	assert_int_equal(o.gate.fail_on, GATE_FAIL_REGRESSED);
	assert_null(o.report);
	assert_null(o.output);
	assert_true(o.gate.min_success == 0.99);
	assert_int_equal(parse(ARGV("--threshold", "p99_ms=5:7", "a", "--force", "--fail-on", "critical", "b",
				    "--report", "r.md", "--threshold=p50_ms=1:2", "-o", "v.json", "--fail-on", "missing",
				    "--gate", "gil_wait_us_per_request", "--min-success", "99.5", "--target",
				    "json:requests_per_sec>=5000", "--target", "p99_ms<10"),
			       &o, err),
			 0);
	assert_true(o.gate.rules[GM_P99].min_effect_pct == 5 && o.gate.rules[GM_P99].crit_pct == 7);
	assert_true(o.gate.rules[GM_P50].min_effect_pct == 1 && o.gate.rules[GM_P50].crit_pct == 2);
	assert_true(o.gate.force && o.gate.fail_missing && o.gate.fail_on == GATE_FAIL_CRITICAL);
	assert_true(o.gate.rules[GM_GIL_PER_REQ].gate_explicit && !o.gate.rules[GM_RPS].gate_explicit);
	assert_true(fabs(o.gate.min_success - 0.995) < 1e-12);
	assert_int_equal(o.gate.ntargets, 2);
	assert_string_equal(o.gate.targets[0].workload, "json");
	assert_int_equal(o.gate.targets[1].op, PT_LT);
	assert_string_equal(o.report, "r.md");
	assert_string_equal(o.output, "v.json");
	assert_string_equal(o.base, "a");
	assert_string_equal(o.new_, "b");
	/* the old name of the regressed verdict */
	assert_int_equal(parse(ARGV("a", "b", "--fail-on", "warning"), &o, err), 0);
	assert_int_equal(o.gate.fail_on, GATE_FAIL_REGRESSED);
	assert_int_equal(parse(ARGV("-h"), &o, err), 0);
	assert_true(o.help);
	/* refusals, one line each */
	assert_int_equal(parse(ARGV("a"), &o, err), -EINVAL);
	assert_string_equal(err, "give BASE.json and NEW.json");
	assert_int_equal(parse(ARGV("a", "b", "c"), &o, err), -EINVAL);
	assert_int_equal(parse(ARGV("a", "b", "--fail-on", "sometimes"), &o, err), -EINVAL);
	assert_string_equal(err, "--fail-on: 'sometimes' is not regressed, critical or missing");
	assert_int_equal(parse(ARGV("a", "b", "--fail-on", "critical", "--fail-on", "regressed"), &o, err), -EINVAL);
	assert_int_equal(parse(ARGV("a", "b", "--bogus"), &o, err), -EINVAL);
	assert_string_equal(err, "unknown option '--bogus'");
	assert_int_equal(parse(ARGV("a", "b", "--report"), &o, err), -EINVAL);
	assert_string_equal(err, "option '--report' needs a value");
	assert_int_equal(parse(ARGV("a", "b", "--gate", "nope"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "--gate: unknown metric 'nope'"));
	assert_int_equal(parse(ARGV("a", "b", "--min-success", "101"), &o, err), -EINVAL);
	assert_int_equal(parse(ARGV("a", "b", "--target", "p99_ms"), &o, err), -EINVAL);
	assert_int_equal(parse(ARGV("a", "b", "--targets", "/nonexistent/t.txt"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "--targets: cannot read '/nonexistent/t.txt': No such file"));
}

static void test_usage_from_table(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	diff_usage(f);
	fclose(f);
	assert_non_null(strstr(buf, "usage: bindprof diff BASE.json NEW.json [--threshold METRIC=MIN:CRIT]..."));
	assert_non_null(strstr(buf, "--fail-on regressed|critical|missing"));
	assert_non_null(strstr(buf, "--report FILE.md"));
	assert_non_null(strstr(buf, "Exit 0: no regression"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_threshold_not_finite),
		cmocka_unit_test(test_parse_opts),
		cmocka_unit_test(test_usage_from_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
