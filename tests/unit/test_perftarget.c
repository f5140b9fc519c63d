/* SPDX-License-Identifier: GPL-2.0-only */
/* Targets (stats/perftarget.c): parsing --target and thresholds files, the three levels, and
 * the metric lookup on a workload's results. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <cmocka.h>
#include "stats/perftarget.h"

#define NEAR(x, want, tol) assert_true(fabs((x) - (want)) <= (tol))

static void test_parse(void **state)
{
	struct ptarget t;
	char err[512], buf[300];

	assert_int_equal(ptarget_parse("p99_ms<=10", &t, err, sizeof(err)), 0);
	assert_string_equal(t.metric, "p99_ms");
	assert_string_equal(t.workload, "");
	assert_int_equal(t.op, PT_LE);
	NEAR(t.target, 10, 0);
	assert_int_equal(t.levels, 1);
	assert_int_equal(ptarget_parse("json-small:requests_per_sec>=5000", &t, err, sizeof(err)), 0);
	assert_string_equal(t.workload, "json-small");
	assert_string_equal(t.metric, "requests_per_sec");
	assert_int_equal(t.op, PT_GE);
	NEAR(t.target, 5000, 0);
	assert_int_equal(ptarget_parse(" gil_wait_us.p50 < 200.5 ", &t, err, sizeof(err)), 0);
	assert_string_equal(t.metric, "gil_wait_us.p50");
	assert_int_equal(t.op, PT_LT);
	NEAR(t.target, 200.5, 0);
	assert_int_equal(ptarget_parse("api/items-{id}:error_rate>0", &t, err, sizeof(err)), 0);
	assert_string_equal(t.workload, "api/items-{id}");
	assert_int_equal(t.op, PT_GT);
	ptarget_format(&t, buf, sizeof(buf));
	assert_string_equal(buf, "api/items-{id}:error_rate>0");
	/* bad input: one clear message each */
	assert_int_equal(ptarget_parse("p99_ms=10", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "OP one of"));
	assert_int_equal(ptarget_parse("p99_ms<=ten", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a number"));
	assert_int_equal(ptarget_parse("<=10", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "metric name"));
	assert_int_equal(ptarget_parse("p99 ms<=10", &t, err, sizeof(err)), -EINVAL);
	assert_int_equal(ptarget_parse("p99_ms<=10ms", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unexpected"));
	/* an unknown metric is refused when parsed, not reported as no-value later */
	assert_int_equal(ptarget_parse("foo<=5", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown metric 'foo'"));
	assert_int_equal(ptarget_parse("w:rps>=5", &t, err, sizeof(err)), -EINVAL);
	assert_false(pt_metric_known("foo"));
	assert_true(pt_metric_known("p999_ms") && pt_metric_known("error_rate") && pt_metric_known("cpu_per_request_ms"));
}

static void test_levels(void **state)
{
	/* the benchmarking guide's table row for p99 latency: < 10 ms target, < 50 acceptable,
	 * < 100 critical; and throughput: 5000 target, 2000 acceptable, 1000 critical */
	struct ptarget p99 = { "", "p99_ms", PT_LE, 10, 50, 100, 3 }, rps = { "", "requests_per_sec", PT_GE, 5000, 2000, 1000, 3 };
	struct ptarget one;
	struct pt_eval e;
	char err[256];

	ptarget_eval(&p99, 8, &e);
	assert_int_equal(e.level, PT_MET_TARGET);
	assert_true(e.pass);
	ptarget_eval(&p99, 10, &e);
	assert_int_equal(e.level, PT_MET_TARGET); /* <= includes the limit */
	ptarget_eval(&p99, 30, &e);
	assert_int_equal(e.level, PT_MET_ACCEPTABLE);
	assert_true(e.pass);
	ptarget_eval(&p99, 80, &e);
	assert_int_equal(e.level, PT_MISSED);
	assert_false(e.pass);
	ptarget_eval(&p99, 120, &e);
	assert_int_equal(e.level, PT_MISSED_CRITICAL);
	assert_non_null(strstr(e.reason, "missed-critical"));
	ptarget_eval(&rps, 6000, &e);
	assert_int_equal(e.level, PT_MET_TARGET);
	ptarget_eval(&rps, 1500, &e);
	assert_int_equal(e.level, PT_MISSED);
	ptarget_eval(&rps, 999, &e);
	assert_int_equal(e.level, PT_MISSED_CRITICAL);
	ptarget_eval(&rps, NAN, &e);
	assert_int_equal(e.level, PT_NO_VALUE);
	/* a single --target: its miss is the critical one */
	ptarget_parse("p99_ms<10", &one, err, sizeof(err));
	ptarget_eval(&one, 10, &e);
	assert_int_equal(e.level, PT_MISSED_CRITICAL);
	ptarget_eval(&one, 9.99, &e);
	assert_int_equal(e.level, PT_MET_TARGET);
	/* which workloads a target applies to */
	ptarget_parse("json-small:p99_ms<10", &one, err, sizeof(err));
	assert_true(ptarget_applies(&one, "basic", "json-small"));
	assert_false(ptarget_applies(&one, "basic", "json-large"));
	ptarget_parse("basic/json-large:p99_ms<10", &one, err, sizeof(err));
	assert_true(ptarget_applies(&one, "basic", "json-large"));
	assert_false(ptarget_applies(&one, "other", "json-large"));
}

static void test_file(void **state)
{
	char path[] = "/tmp/bindprof-targets-XXXXXX", err[512];
	struct ptarget t[8];
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# metric  op  target acceptable critical\n\n"
	      "p99_ms <= 10 50 100\n"
	      "requests_per_sec >= 5000 2000 1000   # the guide's throughput row, scaled\n"
	      "json-small:gil_wait_us.p50 <= 200 500 1000\n", f);
	fclose(f);
	assert_int_equal(ptarget_load_file(path, t, 8, err, sizeof(err)), 3);
	assert_string_equal(t[2].workload, "json-small");
	assert_string_equal(t[2].metric, "gil_wait_us.p50");
	NEAR(t[1].critical, 1000, 0);
	assert_int_equal(t[1].levels, 3);
	/* levels out of order: refused with the line number */
	f = fopen(path, "w");
	fputs("p99_ms <= 10 50 100\np50_ms <= 5 2 10\n", f);
	fclose(f);
	assert_int_equal(ptarget_load_file(path, t, 8, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: the levels must run"));
	f = fopen(path, "w");
	fputs("p99_ms <= 10 50\n", f);
	fclose(f);
	assert_int_equal(ptarget_load_file(path, t, 8, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1: three numbers"));
	unlink(path);
	assert_true(ptarget_load_file(path, t, 8, err, sizeof(err)) < 0);
}

static void test_metric_value(void **state)
{
	cJSON *res = cJSON_Parse(
		"{\"throughput\":{\"requests_per_sec\":5123.5,\"total_requests\":10000,\"success_rate\":0.9997},"
		"\"latency\":{\"median_ms\":0.8,\"p99_ms\":9.5,\"max_ms\":30},"
		"\"resources\":{\"cpu\":{\"total_cpu_ms\":2500},\"memory\":{\"peak_mb\":80,\"uss_peak_mb\":60}},"
		"\"profiling\":{\"requests\":{\"endpoints\":["
		"{\"endpoint\":\"GET /small\",\"count\":10,\"per_request\":{\"gil_wait_us\":{\"p50\":999}}},"
		"{\"endpoint\":\"GET /json\",\"count\":9990,\"per_request\":{\"gil_wait_us\":{\"p50\":150,\"mean\":170}}}]}}}");
	double v;

	assert_non_null(res);
	assert_int_equal(pt_metric_value(res, "requests_per_sec", &v), 0);
	NEAR(v, 5123.5, 0);
	assert_int_equal(pt_metric_value(res, "p50_ms", &v), 0);
	NEAR(v, 0.8, 0);
	assert_int_equal(pt_metric_value(res, "error_rate", &v), 0);
	NEAR(v, 0.0003, 1e-12);
	assert_int_equal(pt_metric_value(res, "cpu_per_request_ms", &v), 0);
	NEAR(v, 0.25, 1e-12);
	assert_int_equal(pt_metric_value(res, "uss_peak_mb", &v), 0);
	NEAR(v, 60, 0);
	assert_int_equal(pt_metric_value(res, "gil_wait_us.p50", &v), 0);
	NEAR(v, 150, 0); /* the endpoint with the most requests */
	assert_int_equal(pt_metric_value(res, "latency.max_ms", &v), 0);
	NEAR(v, 30, 0);
	assert_int_equal(pt_metric_value(res, "p95_ms", &v), -ENOENT);
	assert_true(isnan(v));
	assert_int_equal(pt_metric_value(res, "ffi_time_us.p50", &v), -ENOENT);
	cJSON_Delete(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_metric_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
