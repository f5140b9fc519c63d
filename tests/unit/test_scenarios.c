/* SPDX-License-Identifier: GPL-2.0-only */
/* profile's scenarios (cli/scenarios.c): --sweep parsing, bodies of exact sizes, --workload's
 * selection, and the analysis of synthetic sweep points (Little's law saturation, the rate under a
 * p99 target). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "cli/scenarios.h"
#include "lib/json.h"

static void test_parse(void **state)
{
	struct sweep_spec sp;
	char err[256];

	assert_int_equal(sweep_parse("payload=64,256,1K,4K,16K,64K,256K,1M", &sp, err, sizeof(err)), 0);
	assert_int_equal(sp.var, SWEEP_PAYLOAD);
	assert_int_equal(sp.n, 8);
	assert_true(sp.v[2] == 1024 && sp.v[7] == 1048576);
	assert_int_equal(sweep_parse("concurrency=1,2,5,10,20,50,100", &sp, err, sizeof(err)), 0);
	assert_true(sp.var == SWEEP_CONCURRENCY && sp.n == 7 && sp.v[6] == 100);
	assert_int_equal(sweep_parse("rate=100,500.5", &sp, err, sizeof(err)), 0);
	assert_true(sp.v[1] == 500.5);
	assert_int_equal(sweep_parse("concurrency=1,2.5", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sweep_parse("concurrency=4,2", &sp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ascending"));
	assert_int_equal(sweep_parse("concurrency=4", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sweep_parse("payload=8,64", &sp, err, sizeof(err)), -EINVAL); /* under 12 B */
	assert_int_equal(sweep_parse("payload=1K,65M", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sweep_parse("threads=1,2", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sweep_parse("rate=0,2", &sp, err, sizeof(err)), -EINVAL);
	/* an empty value is refused, not skipped */
	assert_int_equal(sweep_parse("concurrency=1,,2", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sweep_parse("concurrency=1,2,", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sweep_parse("rate=,1,2", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sweep_parse("rate=", &sp, err, sizeof(err)), -EINVAL);
}

static void test_body(void **state)
{
	static const size_t sizes[] = { 12, 13, 64, 1024, 1048576 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *b = sweep_json_body(sizes[i]);
		cJSON *j;

		assert_non_null(b);
		assert_int_equal(strlen(b), sizes[i]);
		j = cJSON_Parse(b);
		assert_non_null(j); /* valid JSON */
		assert_int_equal(strlen(json_str_or(j, "data", "")), sizes[i] - 11); /* {"data":""} is 11 bytes */
		cJSON_Delete(j);
		free(b);
	}
	assert_null(sweep_json_body(11));
}

/* a point: value, requests/s, mean and p99 latency (ms), connections; NAN: absent */
static cJSON *point(double v, double rps, double mean_ms, double p99_ms, double conns, int rate)
{
	cJSON *p = cJSON_CreateObject(), *r = cJSON_AddObjectToObject(p, "results"), *t, *l, *iv;

	cJSON_AddNumberToObject(p, "value", v);
	t = cJSON_AddObjectToObject(r, "throughput");
	cJSON_AddNumberToObject(t, "requests_per_sec", rps);
	if (rate)
		cJSON_AddNumberToObject(t, "requested_rate", v);
	l = cJSON_AddObjectToObject(r, "latency");
	cJSON_AddNumberToObject(l, "mean_ms", mean_ms);
	cJSON_AddNumberToObject(l, "median_ms", mean_ms);
	cJSON_AddNumberToObject(l, "p99_ms", p99_ms);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(r, "generator"), "connections", conns);
	iv = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "steady"), "intervals_requests_per_sec");
	for (int i = 0; i < 3; i++) /* +-2% */
		cJSON_AddItemToArray(iv, cJSON_CreateNumber(rps * (1 + 0.02 * (i - 1))));
	return p;
}

static void test_saturation_by_littles_law(void **state)
{
	/* 4 workers x 10 ms; the generator's turnaround is 3 ms, so measured throughput keeps
	 * growing past 4 (4 / 13 ms = 308 -> 400 at 8), but N / R is flat from 4 on */
	cJSON *pts = cJSON_CreateArray(), *a;

	cJSON_AddItemToArray(pts, point(1, 1 / 0.013, 10, 11, 1, 0));
	cJSON_AddItemToArray(pts, point(2, 2 / 0.013, 10, 11, 2, 0));
	cJSON_AddItemToArray(pts, point(4, 4 / 0.013, 10, 11, 4, 0));
	cJSON_AddItemToArray(pts, point(8, 400, 20, 22, 8, 0));
	a = sweep_analysis_json(SWEEP_CONCURRENCY, pts, 0);
	assert_string_equal(json_str_or(a, "saturation.basis", ""), "littles_law");
	assert_true(json_num_or(a, "saturation.concurrency", 0) == 4);
	/* the turnaround it implies: N / X - R = 3 ms */
	assert_true(fabs(cJSON_GetArrayItem(json_get(a, "saturation.client_turnaround_ms"), 2)->valuedouble - 3) < 1e-6);
	/* 12 intervals - 4 = 8 degrees of freedom: a noise estimate, 2% */
	assert_true(fabs(json_num_or(a, "saturation.noise_cv", 0) - 0.02) < 1e-9);
	assert_true(json_num_or(a, "growth.requests_per_sec.exponent", 9) < 1);
	cJSON_Delete(a);
	cJSON_Delete(pts);
}

static void test_max_rate(void **state)
{
	cJSON *pts = cJSON_CreateArray(), *a;

	cJSON_AddItemToArray(pts, point(100, 100, 5, 12, 10, 1));
	cJSON_AddItemToArray(pts, point(200, 199, 5, 30, 10, 1));
	cJSON_AddItemToArray(pts, point(400, 300, 50, 900, 10, 1));
	a = sweep_analysis_json(SWEEP_RATE, pts, 50);
	assert_true(json_num_or(a, "max_rate_meeting_p99.rate", 0) == 200);
	assert_null(json_get(a, "saturation"));
	cJSON_Delete(a);
	a = sweep_analysis_json(SWEEP_RATE, pts, 0); /* no target */
	assert_true(cJSON_IsNull(json_get(a, "max_rate_meeting_p99.rate")));
	/* 3 points: too few for an exponent */
	assert_string_equal(json_str_or(a, "growth.latency_p99_ms.verdict", ""), "indeterminate");
	cJSON_Delete(a);
	cJSON_Delete(pts);
}

static void test_keep(void **state)
{
	struct suite_set set;
	char err[1024];

	assert_int_equal(suites_load("json-bodies,path-params", &set, err, sizeof(err)), 0);
	assert_int_equal(suites_keep(&set, "path-params/path-deep", 0, "--workload", err, sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.s[0].n, 1);
	assert_string_equal(set.s[0].w[0].name, "path-deep");
	suites_free(&set);
	assert_int_equal(suites_load("all", &set, err, sizeof(err)), 0);
	assert_int_equal(suites_keep(&set, NULL, 1, "--sweep payload", err, sizeof(err)), 0);
	assert_int_equal(set.n, 1); /* json-bodies only */
	assert_int_equal(set.s[0].n, 4);
	suites_free(&set);
	assert_int_equal(suites_load("forms", &set, err, sizeof(err)), 0);
	assert_int_equal(suites_keep(&set, "nope", 0, "--workload", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "forms/form-multipart"));
	suites_free(&set);
}

/* --output-dir: latest.json replaced only when it is a link (a FIFO or the user's file is refused) */
static void test_output_dir_latest(void **state)
{
	char dir[] = "/tmp/bindprof-odir-XXXXXX", p[4096], path[4096], html[4096], err[512];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(output_dir_prepare(dir, path, sizeof(path), html, sizeof(html), err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/latest.json", dir);
	assert_int_equal(symlink("profile-x.json", p), 0);
	assert_int_equal(output_dir_prepare(dir, path, sizeof(path), html, sizeof(html), err, sizeof(err)), 0);
	unlink(p);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(output_dir_prepare(dir, path, sizeof(path), html, sizeof(html), err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "latest.json' exists and is not a link"));
	unlink(p);
	snprintf(p, sizeof(p), "%s/latest.html", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(output_dir_prepare(dir, path, sizeof(path), html, sizeof(html), err, sizeof(err)), -EEXIST);
	rmdir(p);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse), cmocka_unit_test(test_body), cmocka_unit_test(test_saturation_by_littles_law),
		cmocka_unit_test(test_max_rate), cmocka_unit_test(test_keep), cmocka_unit_test(test_output_dir_latest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
