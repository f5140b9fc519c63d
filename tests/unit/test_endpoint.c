/* SPDX-License-Identifier: GPL-2.0-only */
/* Endpoint normalization: request lines to the grouped endpoint names, exact strings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "load/endpoint.h"

static const char *norm(const char *line, size_t len)
{
	static char out[256];

	if (endpoint_normalize(line, len ? len : strlen(line), out, sizeof(out)))
		return "(not a request)";
	return out;
}

static void test_ids_uuids_hex_and_query(void **state)
{
	assert_string_equal(norm("GET /items/42 HTTP/1.1\r\nHost: x\r\n", 0), "GET /items/{id}");
	assert_string_equal(norm("GET /items/42?verbose=1&x=2 HTTP/1.1\r\n", 0), "GET /items/{id}");
	assert_string_equal(norm("POST /json/large HTTP/1.1\r\n", 0), "POST /json/large");
	assert_string_equal(norm("GET /u/123e4567-e89b-12d3-a456-426614174000/posts/7 HTTP/1.1\r\n", 0),
			    "GET /u/{uuid}/posts/{id}");
	assert_string_equal(norm("GET /blob/0123456789abcdef0123 HTTP/1.1\r\n", 0), "GET /blob/{hex}");
	/* words of hex letters only, and short hex, stay */
	assert_string_equal(norm("GET /deadbeefcafebabe/abc1 HTTP/1.1\r\n", 0), "GET /deadbeefcafebabe/abc1");
	assert_string_equal(norm("GET / HTTP/1.1\r\n", 0), "GET /");
	assert_string_equal(norm("GET /a/#frag HTTP/1.1\r\n", 0), "GET /a/");
	assert_string_equal(norm("DELETE /v2/items/9/ HTTP/1.1\r\n", 0), "DELETE /v2/items/{id}/");
	assert_string_equal(norm("OPTIONS * HTTP/1.1\r\n", 0), "OPTIONS *");
	assert_string_equal(norm("GET http://example.com:8080/items/5?q HTTP/1.1\r\n", 0), "GET /items/{id}");
	assert_string_equal(norm("GET /x12 HTTP/1.0\r\n", 0), "GET /x12");
	assert_string_equal(norm("GET /typed/42/3.14/true/-7 HTTP/1.1\r\n", 0), "GET /typed/{id}/{num}/true/{num}");
	assert_string_equal(norm("GET /v1.2/x HTTP/1.1\r\n", 0), "GET /v1.2/x");
	assert_string_equal(norm("GET /nan/inf/-/. HTTP/1.1\r\n", 0), "GET /nan/inf/-/.");
}

static void test_cut_short_and_not_requests(void **state)
{
	const char *line = "GET /static/assets/abcdefgh/some-long-file-name.js HTTP/1.1";

	/* cut inside the last segment: that partial segment is dropped */
	assert_string_equal(norm(line, 30), "GET /static/assets/abcdefgh/...");
	/* cut right after the path: still whole */
	assert_string_equal(norm("GET /a/b ", 9), "GET /a/b");
	assert_string_equal(norm("HTTP/1.1 200 OK\r\n", 0), "(not a request)");
	assert_string_equal(norm("get / HTTP/1.1", 0), "(not a request)");
	assert_string_equal(norm("\x16\x03\x01\x02\x00", 5), "(not a request)");
	assert_string_equal(norm("GET", 0), "(not a request)");
	assert_string_equal(norm("GET  HTTP/1.1", 0), "(not a request)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_uuids_hex_and_query),
		cmocka_unit_test(test_cut_short_and_not_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
