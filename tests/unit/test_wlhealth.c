/* SPDX-License-Identifier: GPL-2.0-only */
/* Failed workloads and exact rates (stats/wlhealth.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "stats/wlhealth.h"

static void test_fmt_rate(void **state)
{
	char b[32];

	fmt_rate_pct(b, sizeof(b), 9997, 10000);
	assert_string_equal(b, "99.97%");
	fmt_rate_pct(b, sizeof(b), 49996, 50000); /* make demo's 4 read errors: not "100%" */
	assert_string_equal(b, "99.99%");
	fmt_rate_pct(b, sizeof(b), 999997, 1000000); /* truncated, never rounded up */
	assert_string_equal(b, "99.99%");
	fmt_rate_pct(b, sizeof(b), 9999999, 10000000); /* one failure in 10 million */
	assert_string_equal(b, "99.99%");
	fmt_rate_pct(b, sizeof(b), 9999, 10000);
	assert_string_equal(b, "99.99%");
	fmt_rate_pct(b, sizeof(b), 99999, 100000); /* 99.999 truncated to 2 decimals is 99.99 */
	assert_string_equal(b, "99.99%");
	fmt_rate_pct(b, sizeof(b), 10000, 10000);
	assert_string_equal(b, "100%");
	fmt_rate_pct(b, sizeof(b), 1, 100000);
	assert_string_equal(b, "0.001%");
	fmt_rate_pct(b, sizeof(b), 0, 100);
	assert_string_equal(b, "0%");
	fmt_rate_pct(b, sizeof(b), 2, 3);
	assert_string_equal(b, "66.66%");
	fmt_rate_pct(b, sizeof(b), 0, 0);
	assert_string_equal(b, "n/a");
}

static cJSON *results(int total, int ok, int s4, int s5, int conn, int rd)
{
	char j[512];

	snprintf(j, sizeof(j),
		 "{\"throughput\":{\"total_requests\":%d,\"successful_requests\":%d},\"errors\":{\"connect\":%d,"
		 "\"read\":%d,\"write\":0,\"timeout\":0,\"status_4xx\":%d,\"status_5xx\":%d}}",
		 total, ok, conn, rd, s4, s5);
	return cJSON_Parse(j);
}

static void test_health(void **state)
{
	struct wl_health h;
	cJSON *r;

	/* all 404 (the /items/{id} suite path): failed, named as mostly 4xx */
	r = results(8772, 0, 8772, 0, 0, 0);
	assert_int_equal(wl_health_of(r, 0, &h), 0);
	assert_true(h.failed);
	assert_non_null(strstr(h.reason, "8772 4xx"));
	cJSON_Delete(r);
	/* 100% 5xx at the same speed */
	r = results(5000, 0, 0, 5000, 0, 0);
	wl_health_of(r, 0, &h);
	assert_true(h.failed);
	assert_true(h.success_rate == 0);
	cJSON_Delete(r);
	/* 60% 5xx: mostly errors */
	r = results(1000, 400, 0, 600, 0, 0);
	wl_health_of(r, 0, &h);
	assert_true(h.failed);
	assert_non_null(strstr(h.reason, "mostly error answers"));
	cJSON_Delete(r);
	/* 98.5%: below the default 99% */
	r = results(1000, 985, 10, 5, 0, 0);
	wl_health_of(r, 0, &h);
	assert_true(h.failed);
	assert_non_null(strstr(h.reason, "98.50% is below 99%"));
	/* ... and fine at a 98% threshold */
	wl_health_of(r, 0.98, &h);
	assert_false(h.failed);
	cJSON_Delete(r);
	/* 4 read errors in 50000: healthy, and its rate is not 100% */
	r = results(50000, 49996, 0, 0, 0, 4);
	wl_health_of(r, 0, &h);
	assert_false(h.failed);
	assert_true(h.success_rate < 1);
	assert_int_equal(h.read, 4);
	cJSON_Delete(r);
	/* a dead port: connect errors only, 0 requests answered */
	r = results(0, 0, 0, 0, 1234, 0);
	wl_health_of(r, 0, &h);
	assert_true(h.failed);
	assert_int_equal(h.attempts, 1234);
	assert_non_null(strstr(h.reason, "1234 connect"));
	{
		cJSON *j = wl_health_json(&h);

		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "failed")));
		assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status_classes"), "connect")->valueint, 1234);
		cJSON_Delete(j);
	}
	cJSON_Delete(r);
	/* --rate slots never sent (every connection busy, as api/mixed at 100/s on a starved host:
	 * 275 answered of 300): the reason names them, status_classes counts them */
	r = cJSON_Parse("{\"throughput\":{\"total_requests\":300,\"successful_requests\":275},\"errors\":"
			"{\"connect\":0,\"read\":0,\"write\":0,\"timeout\":0,\"never_sent\":25,"
			"\"status_4xx\":0,\"status_5xx\":0}}");
	wl_health_of(r, 0.99, &h);
	assert_true(h.failed);
	assert_int_equal(h.attempts, 300);
	assert_int_equal(h.never_sent, 25);
	assert_non_null(strstr(h.reason, "25 never sent"));
	{
		cJSON *j = wl_health_json(&h);

		assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status_classes"), "never_sent")->valueint, 25);
		cJSON_Delete(j);
	}
	cJSON_Delete(r);
	/* connect errors counted once: a new file's total (990 ok + 10 connect) already holds them,
	 * an older file's (990 ok, connect apart) does not: both 1000 attempts, 99.00% */
	r = results(1000, 990, 0, 0, 10, 0);
	wl_health_of(r, 0, &h);
	assert_int_equal(h.attempts, 1000);
	assert_false(h.failed);
	cJSON_Delete(r);
	r = results(990, 990, 0, 0, 10, 0);
	wl_health_of(r, 0, &h);
	assert_int_equal(h.attempts, 1000);
	cJSON_Delete(r);
	/* nothing at all */
	r = results(0, 0, 0, 0, 0, 0);
	wl_health_of(r, 0, &h);
	assert_true(h.failed);
	cJSON_Delete(r);
	/* no throughput object: bad input; no request counts: nothing to judge */
	r = cJSON_Parse("{}");
	assert_int_equal(wl_health_of(r, 0, &h), -22);
	cJSON_Delete(r);
	r = cJSON_Parse("{\"throughput\":{\"requests_per_sec\":100}}");
	assert_int_equal(wl_health_of(r, 0, &h), -2);
	cJSON_Delete(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_rate),
		cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
