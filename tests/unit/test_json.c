/* SPDX-License-Identifier: GPL-2.0-only */
/* The one JSON accessor (lib/json.h) and the profile reader behind diff, compare and
 * profile --baseline (output/reader.h): every ill-formed input is one line, never a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <cmocka.h>
#include "cli/diff.h"
#include "lib/json.h"
#include "output/reader.h"

static void test_paths_and_types(void **state)
{
	cJSON *d = cJSON_Parse("{\"a\":{\"b\":{\"c\":2.5,\"s\":\"x\",\"n\":null,\"t\":true,\"arr\":[1]}},\"k\":7}");
	double v = -1;
	const char *s = NULL;
	const cJSON *o = NULL;
	bool b = false;
	char err[128];

	assert_non_null(d);
	assert_int_equal(json_num(d, NULL, "a.b.c", 0, &v, err, sizeof(err)), 1);
	assert_true(v == 2.5);
	assert_int_equal(json_str(d, "", "a.b.s", 0, &s, err, sizeof(err)), 1);
	assert_string_equal(s, "x");
	assert_int_equal(json_obj(d, NULL, "a.b", 0, &o, err, sizeof(err)), 1);
	assert_int_equal(json_arr(o, NULL, "arr", 0, &o, err, sizeof(err)), 1);
	assert_int_equal(json_bool(d, NULL, "a.b.t", 0, &b, err, sizeof(err)), 1);
	assert_true(b);
	/* missing: an error naming where, or 0 when optional (the output untouched) */
	v = 42;
	assert_int_equal(json_num(d, "top", "a.b.zz", 0, &v, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "top.a.b.zz: missing (a number expected)");
	assert_int_equal(json_num(d, NULL, "a.b.zz", JSON_OPTIONAL, &v, err, sizeof(err)), 0);
	assert_true(v == 42);
	/* null is missing */
	assert_int_equal(json_num(d, NULL, "a.b.n", 0, &v, err, sizeof(err)), -ENOENT);
	assert_int_equal(json_num(d, NULL, "a.b.n", JSON_OPTIONAL, &v, err, sizeof(err)), 0);
	/* the wrong type is an error even when optional */
	assert_int_equal(json_num(d, NULL, "a.b.s", JSON_OPTIONAL, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "a.b.s: a string, not a number");
	assert_int_equal(json_str(d, "x[3]", "k", 0, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x[3].k: a number, not a string");
	/* a path through a non-object is absent, not a crash */
	assert_null(json_get(d, "k.x.y"));
	assert_null(json_get(d, "a.b.arr.0"));
	assert_null(json_get(NULL, "a"));
	/* lenient readers */
	assert_true(json_num_or(d, "a.b.c", 0) == 2.5);
	assert_true(isnan(json_num_or(d, "a.b.s", NAN)));
	assert_string_equal(json_str_or(d, "a.b.c", "-"), "-");
	assert_string_equal(json_str_or(d, "a.b.s", "-"), "x");
	/* err may be NULL */
	assert_int_equal(json_num(d, NULL, "nope", 0, &v, NULL, 0), -ENOENT);
	cJSON_Delete(d);
}

static void test_long_key(void **state)
{
	char path[300];

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	cJSON *d = cJSON_CreateObject();

	cJSON_AddNumberToObject(d, path, 1);
	assert_null(json_get(d, path)); /* longer than a key may be: no match, no overflow */
	cJSON_Delete(d);
}

/* the reader's verdict on a document: the number of workloads, or -EINVAL with err */
static int read_doc(const char *text, struct doc_workload *w, char *err)
{
	cJSON *d = cJSON_Parse(text);
	int n;

	assert_non_null(d);
	n = profile_doc_workloads(d, w, 8, err, 256);
	if (n >= 0 || strncmp(err, "more than", 9)) { /* validate has no room limit */
		char err2[256];

		assert_int_equal(profile_doc_validate(d, err2, 256), n < 0 ? n : 0);
	}
	cJSON_Delete(d);
	return n;
}

static void expect_bad(const char *text, const char *msg)
{
	struct doc_workload w[8];
	char err[256] = "";

	assert_int_equal(read_doc(text, w, err), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_crashes_of_issue_18(void **state)
{
	/* compare F F crashed: a suite with no name */
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"workloads\":[{\"name\":\"w\",\"results\":{}}]}]}",
		   "suites[0].name: missing (a string expected)");
	/* compare F F crashed: a workload whose name is a number */
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":5},{\"name\":\"w\"}]}]}",
		   "suites[0].workloads[0].name: a number, not a string");
	/* diff F F --force crashed: a workload with results and no name */
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"results\":{}}]}]}",
		   "suites[0].workloads[0].name: missing (a string expected)");
}

static void test_reader_refusals(void **state)
{
	expect_bad("[1]", "the file is an array, not a bindprof object");
	expect_bad("{\"suites\":[]}", "mode: missing (a string expected)");
	expect_bad("{\"mode\":\"profile\"}", "suites: missing (an array expected)");
	expect_bad("{\"mode\":\"profile\",\"suites\":[3]}", "suites[0]: a number, not an object");
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\"}]}", "suites[0].workloads: missing (an array expected)");
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[\"w\"]}]}",
		   "suites[0].workloads[0]: a string, not an object");
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"results\":[]}]}]}",
		   "suites[0].workloads[0].results: an array, not an object");
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"results\":"
		   "{\"latency\":{\"p99_ms\":\"9\"}}}]}]}",
		   "suites[0].workloads[0].results.latency.p99_ms: a string, not a number");
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"results\":"
		   "{\"throughput\":5}}]}]}",
		   "suites[0].workloads[0].results.throughput: a number, not an object");
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"results\":"
		   "{\"repeats\":{\"samples\":[{\"requests_per_sec\":1},{\"p50_ms\":true}]}}}]}]}",
		   "suites[0].workloads[0].results.repeats.samples[1].p50_ms: true or false, not a number");
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"results\":"
		   "{\"generator\":{\"saturated\":1}}}]}]}",
		   "suites[0].workloads[0].results.generator.saturated: a number, not true or false");
	expect_bad("{\"mode\":\"load\",\"results\":7}", "results: a number, not an object");
	/* a figure cJSON reads as infinity, and a negative rate: invalid input, not diffed */
	expect_bad("{\"mode\":\"load\",\"results\":{\"latency\":{\"p99_ms\":1e999}}}",
		   "results.latency.p99_ms: not a finite number");
	expect_bad("{\"mode\":\"load\",\"results\":{\"throughput\":{\"requests_per_sec\":-1000}}}",
		   "results.throughput.requests_per_sec: -1000, a negative figure");
	expect_bad("{\"mode\":\"load\",\"results\":{\"repeats\":{\"samples\":[{\"requests_per_sec\":-1000}]}}}",
		   "results.repeats.samples[0].requests_per_sec: -1000, a negative figure");
	expect_bad("{\"mode\":\"load\",\"results\":{\"latency\":{\"median_ms\":[]}}}",
		   "results.latency.median_ms: an array, not a number");
	/* more workloads than the caller has room for: said, not truncated silently */
	expect_bad("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"1\",\"results\":{}},"
		   "{\"name\":\"2\",\"results\":{}},{\"name\":\"3\",\"results\":{}},{\"name\":\"4\",\"results\":{}},"
		   "{\"name\":\"5\",\"results\":{}},{\"name\":\"6\",\"results\":{}},{\"name\":\"7\",\"results\":{}},"
		   "{\"name\":\"8\",\"results\":{}},{\"name\":\"9\",\"results\":{}}]}]}",
		   "more than 8 workloads");
}

static void test_reader_lists(void **state)
{
	struct doc_workload w[8];
	char err[256];
	/* a failed workload (results null or absent) is left out; labels say suite/workload */
	cJSON *d = cJSON_Parse("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"a\","
			       "\"results\":null},{\"name\":\"b\"},{\"name\":\"c\",\"results\":{\"throughput\":"
			       "{\"requests_per_sec\":10}}}]},{\"name\":\"t\",\"workloads\":[{\"name\":\"t\","
			       "\"results\":{}}]}]}");

	assert_int_equal(profile_doc_workloads(d, w, 8, err, sizeof(err)), 2);
	assert_string_equal(w[0].label, "s/c");
	assert_string_equal(w[0].suite, "s");
	assert_string_equal(w[0].name, "c");
	assert_string_equal(w[0].where, "suites[0].workloads[2]");
	assert_true(json_num_or(w[0].results, "throughput.requests_per_sec", 0) == 10);
	assert_string_equal(w[1].label, "t/t");
	cJSON_Delete(d);
	/* a load file: one workload named after the mode; none without results */
	d = cJSON_Parse("{\"mode\":\"load\",\"results\":{\"latency\":{\"p99_ms\":null}}}");
	assert_int_equal(profile_doc_workloads(d, w, 8, err, sizeof(err)), 1);
	assert_string_equal(w[0].label, "load");
	assert_string_equal(w[0].where, "");
	cJSON_Delete(d);
	assert_int_equal(read_doc("{\"mode\":\"record\"}", w, err), 0);
}

static void test_baseline_ratios_survive_bad_files(void **state)
{
	cJSON *good = cJSON_Parse("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\","
				  "\"results\":{\"throughput\":{\"requests_per_sec\":50}}}]}]}");
	cJSON *bad = cJSON_Parse("{\"mode\":\"profile\",\"suites\":[{\"workloads\":[{\"name\":\"w\",\"results\":{}}]}]}");
	cJSON *base = cJSON_Parse("{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\","
				  "\"results\":{\"throughput\":{\"requests_per_sec\":100}}}]}]}");
	cJSON *r;

	r = diff_ratios(base, good);
	assert_int_equal(cJSON_GetArraySize(r), 1);
	assert_true(json_num_or(cJSON_GetArrayItem(r, 0), "ratio", 0) == 0.5);
	cJSON_Delete(r);
	/* profile --baseline with a malformed baseline: no rows, no crash */
	r = diff_ratios(bad, good);
	assert_int_equal(cJSON_GetArraySize(r), 0);
	cJSON_Delete(r);
	r = diff_ratios(base, bad);
	assert_int_equal(cJSON_GetArraySize(r), 0);
	cJSON_Delete(r);
	cJSON_Delete(good);
	cJSON_Delete(bad);
	cJSON_Delete(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_and_types),
		cmocka_unit_test(test_long_key),
		cmocka_unit_test(test_crashes_of_issue_18),
		cmocka_unit_test(test_reader_refusals),
		cmocka_unit_test(test_reader_lists),
		cmocka_unit_test(test_baseline_ratios_survive_bad_files),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
