/* SPDX-License-Identifier: GPL-2.0-only */
/* The repeats builder: one median rule (the mean of the two middle values for an even count), the
 * pass nearest the median reported, min and max, and its JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>
#include "stats/repeats.h"

static void test_odd_count(void **state)
{
	struct repeat_sample s[] = { { 300, 1, 2 }, { 100, 3, 4 }, { 200, 5, 6 } };
	struct repeats r;

	assert_int_equal(repeats_build(s, 3, &r), 0);
	assert_int_equal(r.count, 3);
	assert_true(r.median_rps == 200 && r.min_rps == 100 && r.max_rps == 300);
	assert_int_equal(r.pick, 2);
}

static void test_even_count_mean_of_middle(void **state)
{
	struct repeat_sample s[] = { { 100, 0, 0 }, { 400, 0, 0 }, { 210, 0, 0 }, { 300, 0, 0 } };
	struct repeats r;

	assert_int_equal(repeats_build(s, 4, &r), 0);
	assert_true(r.median_rps == 255); /* (210 + 300) / 2, not the lower middle 210 */
	assert_int_equal(r.pick, 2);      /* 210 is 45 away, 300 is 45 away: the first */
	s[1].rps = 300; /* 100 300 210 400: the middles are 300 (pass 1) and 210 (pass 2) */
	s[3].rps = 400;
	assert_int_equal(repeats_build(s, 4, &r), 0);
	assert_true(r.median_rps == 255);
	assert_int_equal(r.pick, 1);      /* the earlier of the two middle passes */
}

static void test_json_and_refusal(void **state)
{
	struct repeat_sample s[] = { { 10, 1.5, 9 }, { 20, 2.5, 8 } };
	struct repeats r;
	cJSON *j;

	assert_int_equal(repeats_build(s, 0, &r), -EINVAL);
	assert_int_equal(repeats_build(s, 2, &r), 0);
	j = repeats_json(&r, s, true);
	assert_int_equal(cJSON_GetObjectItem(j, "count")->valueint, 2);
	assert_true(cJSON_GetObjectItem(j, "median_requests_per_sec")->valuedouble == 15);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "interleaved")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "samples")), 2);
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "samples"), 1), "p50_ms")->valuedouble ==
		    2.5);
	cJSON_Delete(j);
	j = repeats_json(&r, s, false);
	assert_null(cJSON_GetObjectItem(j, "interleaved"));
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_odd_count),
		cmocka_unit_test(test_even_count_mean_of_middle),
		cmocka_unit_test(test_json_and_refusal),
	};

	return cmocka_run_group_tests_name("repeats", tests, NULL, NULL);
}
