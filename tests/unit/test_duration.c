/* SPDX-License-Identifier: GPL-2.0-only */
/* lib/duration: durations with units, as wrk takes them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "lib/duration.h"

static void test_units(void **state)
{
	double s;

	(void)state;
	assert_int_equal(parse_duration("10", 100, &s), 0);
	assert_true(s == 10);
	assert_int_equal(parse_duration("10s", 100, &s), 0);
	assert_true(s == 10);
	assert_int_equal(parse_duration("500ms", 100, &s), 0);
	assert_true(s == 0.5);
	assert_int_equal(parse_duration("2m", 1000, &s), 0);
	assert_true(s == 120);
	assert_int_equal(parse_duration("1h", 86400, &s), 0);
	assert_true(s == 3600);
	assert_int_equal(parse_duration("1.5s", 100, &s), 0);
	assert_true(s == 1.5);
	assert_int_equal(parse_duration("250us", 100, &s), 0);
	assert_true(s > 0.000249 && s < 0.000251);
}

static void test_refusals(void **state)
{
	double s = 7;

	(void)state;
	assert_int_equal(parse_duration("", 100, &s), -EINVAL);
	assert_int_equal(parse_duration("2x", 100, &s), -EINVAL);
	assert_int_equal(parse_duration("1e3", 1e9, &s), -EINVAL);
	assert_int_equal(parse_duration("0x10", 1e9, &s), -EINVAL);
	assert_int_equal(parse_duration("s", 100, &s), -EINVAL);
	assert_int_equal(parse_duration("inf", 100, &s), -EINVAL);
	assert_int_equal(parse_duration("-1s", 100, &s), -ERANGE);
	assert_int_equal(parse_duration("0ms", 100, &s), -ERANGE);
	assert_int_equal(parse_duration("25h", 86400, &s), -ERANGE);
	assert_true(s == 7); /* untouched on refusal */
}

static void test_format(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(duration_format(10, b, sizeof(b)), "10s");
	assert_string_equal(duration_format(0.5, b, sizeof(b)), "500ms");
	assert_string_equal(duration_format(120, b, sizeof(b)), "2m");
	assert_string_equal(duration_format(90, b, sizeof(b)), "90s");
	assert_string_equal(duration_format(7200, b, sizeof(b)), "2h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
