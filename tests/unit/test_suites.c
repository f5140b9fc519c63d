/* SPDX-License-Identifier: GPL-2.0-only */
/* Workload suites: the built-in ones, and custom JSON suites, valid and each kind of malformed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "load/suites.h"

static void test_builtin(void **state)
{
	struct suite_set set;
	char err[256];

	assert_int_equal(suites_load("all", &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 4);
	assert_string_equal(set.s[0].name, "json-bodies");
	assert_int_equal(set.s[0].n, 4);
	/* the harness's payload sizes: 86 B, ~1.5 KB, ~15 KB, ~150 KB, each valid JSON */
	assert_int_equal(set.s[0].w[0].body_len, 86);
	assert_int_equal(strlen(set.s[0].w[0].body), 86);
	assert_int_equal(set.s[0].w[1].body_len, 1536);
	assert_int_equal(set.s[0].w[3].body_len, 153600);
	assert_string_equal(set.s[0].w[0].method, "POST");
	assert_string_equal(set.s[0].w[0].headers[0], "Content-Type: application/json");
	assert_int_equal(set.s[1].n, 4); /* path-params: simple, multiple, deep, typed */
	assert_int_equal(set.s[2].n, 3); /* query-params: few, medium, many */
	assert_int_equal(set.s[3].n, 2); /* forms: urlencoded, multipart */
	suites_free(&set);
	assert_int_equal(suites_load("forms,path-params", &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.s[1].w[3].name, "path-typed");
	suites_free(&set);
	/* every built-in suite and mixed in one list; a suite named twice, or all in a list, refused */
	assert_int_equal(suites_load("json-bodies,path-params,query-params,forms,mixed", &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 5);
	assert_string_equal(set.s[4].name, "mixed");
	suites_free(&set);
	assert_int_equal(suites_load("forms,forms", &set, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--suite: 'forms' named twice");
	assert_int_equal(suites_load("forms,all", &set, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--suite: 'all' stands alone, not in a list");
	assert_int_equal(suites_load("streaming", &set, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--suite: unknown suite 'streaming' (json-bodies, path-params, query-params, "
				 "forms, mixed, all, or a .json file)");
}

static void test_custom_valid(void **state)
{
	struct suite s;
	char err[256];
	const char *text = "{\"name\": \"api-crud\", \"description\": \"CRUD\", \"workloads\": ["
			   "{\"name\": \"list\", \"method\": \"GET\", \"path\": \"/items?page=1\", \"category\": \"query-params\"},"
			   "{\"name\": \"create\", \"method\": \"POST\", \"path\": \"/items\", \"content_type\": "
			   "\"application/json\", \"body\": {\"a\": 1}, \"headers\": {\"X-Trace\": \"1\"}}]}";

	assert_int_equal(suite_parse_json(text, "s.json", ".", &s, err, sizeof(err)), 0);
	assert_string_equal(s.name, "api-crud");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.w[0].category, "query-params");
	assert_string_equal(s.w[1].body, "{\"a\":1}");
	assert_int_equal(s.w[1].nheaders, 2);
	assert_string_equal(s.w[1].headers[1], "X-Trace: 1");
	suite_free(&s);
}

static void test_custom_malformed(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "{", "s.json: not valid JSON" },
		{ "[]", "s.json: the suite: must be a JSON object" },
		{ "{\"workloads\": []}", "s.json: name: a non-empty string is required" },
		{ "{\"name\": \"x\"}", "s.json: workloads: a non-empty array is required" },
		{ "{\"name\": \"x\", \"workloads\": [1]}", "s.json: workloads[0]: must be an object" },
		{ "{\"name\": \"x\", \"workloads\": [{\"method\": \"GET\", \"path\": \"/\"}]}",
		  "s.json: workloads[0].name: a non-empty string is required" },
		{ "{\"name\": \"x\", \"workloads\": [{\"name\": \"a\", \"method\": \"GET\", \"path\": \"/\"},"
		  "{\"name\": \"b\", \"method\": \"FETCH\", \"path\": \"/\"}]}",
		  "s.json: workloads[1].method: must be GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS" },
		{ "{\"name\": \"x\", \"workloads\": [{\"name\": \"a\", \"method\": \"GET\", \"path\": \"items\"}]}",
		  "s.json: workloads[0].path: a string starting with '/' is required" },
		{ "{\"name\": \"x\", \"workloads\": [{\"name\": \"a\", \"method\": \"POST\", \"path\": \"/\", "
		  "\"body\": \"{}\", \"body_file\": \"b.json\"}]}",
		  "s.json: workloads[0].body_file: give body or body_file, not both" },
		{ "{\"name\": \"x\", \"workloads\": [{\"name\": \"a\", \"method\": \"POST\", \"path\": \"/\", "
		  "\"body_file\": \"missing.json\"}]}",
		  "s.json: workloads[0].body_file: cannot read '/nonexistent/missing.json': No such file or directory" },
		{ "{\"name\": \"x\", \"workloads\": [{\"name\": \"a\", \"method\": \"GET\", \"path\": \"/\", "
		  "\"headers\": [\"X: 1\"]}]}",
		  "s.json: workloads[0].headers: must be an object of strings" },
		/* two workloads of one name would share their results' name and folded file */
		{ "{\"name\": \"x\", \"workloads\": [{\"name\": \"a\", \"method\": \"GET\", \"path\": \"/\"},"
		  "{\"name\": \"a\", \"method\": \"GET\", \"path\": \"/b\"}]}",
		  "s.json: workloads[1].name: a second workload named 'a'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct suite s;
		char err[256] = "";

		assert_int_equal(suite_parse_json(cases[i].text, "s.json", "/nonexistent", &s, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

static void test_mixed(void **state)
{
	struct suite_set set;
	struct suite s;
	char err[256];
	double wsum = 0;

	assert_int_equal(suites_load("mixed", &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_true(set.s[0].mixed);
	assert_int_equal(set.s[0].n, 13); /* every workload of the four */
	for (int i = 0; i < set.s[0].n; i++)
		wsum += set.s[0].w[i].weight;
	assert_true(wsum > 28.2 && wsum < 28.3); /* 7 GETs x 3 + 2 + 2 + 1 + 0.25 + 2 forms */
	assert_int_equal(set.s[0].w[3].body_len, 153600);
	suites_free(&set);
	/* custom: mode mixed with weights; a weight without it, a bad mode, a bad weight */
	assert_int_equal(suite_parse_json("{\"name\":\"m\",\"mode\":\"mixed\",\"workloads\":[{\"name\":\"a\","
					  "\"method\":\"GET\",\"path\":\"/a\",\"weight\":3},{\"name\":\"b\","
					  "\"method\":\"GET\",\"path\":\"/b\"}]}", "s.json", ".", &s, err, sizeof(err)), 0);
	assert_true(s.mixed);
	assert_true(s.w[0].weight == 3 && s.w[1].weight == 1);
	suite_free(&s);
	assert_int_equal(suite_parse_json("{\"name\":\"m\",\"workloads\":[{\"name\":\"a\",\"method\":\"GET\","
					  "\"path\":\"/a\",\"weight\":3}]}", "s.json", ".", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "s.json: workloads[0].weight: a weight needs \"mode\": \"mixed\"");
	assert_int_equal(suite_parse_json("{\"name\":\"m\",\"mode\":\"all\",\"workloads\":[{\"name\":\"a\","
					  "\"method\":\"GET\",\"path\":\"/a\"}]}", "s.json", ".", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "s.json: mode: \"mixed\" or \"separate\" (the default)");
	assert_int_equal(suite_parse_json("{\"name\":\"m\",\"mode\":\"mixed\",\"workloads\":[{\"name\":\"a\","
					  "\"method\":\"GET\",\"path\":\"/a\",\"weight\":0}]}", "s.json", ".", &s, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "s.json: workloads[0].weight: a number > 0 (at most 1e6) is required");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_custom_valid),
		cmocka_unit_test(test_custom_malformed),
		cmocka_unit_test(test_mixed),
	};

	return cmocka_run_group_tests_name("suites", tests, NULL, NULL);
}
