/* SPDX-License-Identifier: GPL-2.0-only */
/* The app manifest of compare --frameworks: a valid one parses whole; each kind of bad one is
 * refused with a message naming the file and the field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "load/appmanifest.h"

static const char good[] = "{\"name\": \"flask-app\", \"version\": \"3.0.2\", \"language\": \"python\","
			   " \"runtime\": \"cpython-3.11\", \"start\": \"gunicorn -b 127.0.0.1:8001 app:app\","
			   " \"port\": 8001, \"health_path\": \"/health\"}";

static void test_valid(void **state)
{
	struct app_manifest m = {};
	char err[256] = "";

	assert_int_equal(app_manifest_parse(good, "a/bindprof-app.json", &m, err, sizeof(err)), 0);
	assert_string_equal(m.name, "flask-app");
	assert_string_equal(m.version, "3.0.2");
	assert_string_equal(m.runtime, "cpython-3.11");
	assert_string_equal(m.start, "gunicorn -b 127.0.0.1:8001 app:app");
	assert_string_equal(m.health_path, "/health");
	assert_int_equal(m.port, 8001);
}

static void expect_error(const char *text, const char *msg)
{
	struct app_manifest m = {};
	char err[256] = "";

	assert_int_equal(app_manifest_parse(text, "x/bindprof-app.json", &m, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("error '%s' lacks '%s'", err, msg);
	assert_non_null(strstr(err, "x/bindprof-app.json: "));
}

static void test_invalid(void **state)
{
	char buf[1024];

	expect_error("{\"name\": \"a\",", "malformed JSON");
	expect_error("[1, 2]", "must be a JSON object");
	expect_error("{\"version\": \"1\"}", "missing field \"name\"");
	/* each field in turn: removed, then of the wrong type */
	for (const char *const *f = (const char *const[]){ "version", "language", "runtime", "start", "health_path", NULL };
	     *f; f++) {
		char key[64], *p, *end;

		snprintf(buf, sizeof(buf), "%s", good);
		snprintf(key, sizeof(key), "\"%s\": ", *f);
		p = strstr(buf, key);
		assert_non_null(p);
		end = strchr(p + strlen(key) + 1, '"') + 1; /* past the value's closing quote */
		memmove(p + strlen(key), "7", 1);
		memmove(p + strlen(key) + 1, end, strlen(end) + 1);
		snprintf(key, sizeof(key), "field \"%s\" must be a non-empty string", *f);
		expect_error(buf, key);
	}
	expect_error("{\"name\": \"a b\", \"version\": \"1\", \"language\": \"l\", \"runtime\": \"r\", \"start\": \"s\","
		     " \"port\": 1, \"health_path\": \"/\"}", "letters, digits");
	expect_error("{\"name\": \"a\", \"version\": \"1\", \"language\": \"l\", \"runtime\": \"r\", \"start\": \"s\","
		     " \"port\": 1, \"health_path\": \"health\"}", "must start with '/'");
	expect_error("{\"name\": \"a\", \"version\": \"1\", \"language\": \"l\", \"runtime\": \"r\", \"start\": \"s\","
		     " \"health_path\": \"/\"}", "missing field \"port\"");
	for (const char *const *p = (const char *const[]){ "0", "65536", "80.5", "\"80\"", NULL }; *p; p++) {
		snprintf(buf, sizeof(buf), "{\"name\": \"a\", \"version\": \"1\", \"language\": \"l\", \"runtime\": \"r\","
			 " \"start\": \"s\", \"port\": %s, \"health_path\": \"/\"}", *p);
		expect_error(buf, "\"port\" must be an integer from 1 to 65535");
	}
}

static void test_load_missing(void **state)
{
	struct app_manifest m;
	char err[512];

	assert_int_equal(app_manifest_load("/nonexistent", "app", &m, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/app/bindprof-app.json: cannot read the app manifest"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
