/* SPDX-License-Identifier: GPL-2.0-only */
/* WebSocket: the upgrade's accept value (RFC 6455's own example) and the suite fields of a
 * "stream": "websocket" workload. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "load/suites.h"
#include "load/ws.h"

static void test_accept(void **state)
{
	char out[32];

	(void)state;
	/* RFC 6455, section 1.3 */
	ws_accept_of("dGhlIHNhbXBsZSBub25jZQ==", out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_suite_fields(void **state)
{
	struct suite s;
	char err[512];

	(void)state;
	assert_int_equal(suite_parse_json("{\"name\":\"w\",\"workloads\":[{\"name\":\"a\",\"method\":\"GET\",\"path\":\"/e\","
					  "\"stream\":\"websocket\",\"websocket\":{\"mode\":\"receive\",\"messages\":7,"
					  "\"message_bytes\":64}},{\"name\":\"b\",\"method\":\"GET\",\"path\":\"/e\","
					  "\"stream\":\"websocket\"}]}",
					  "f.json", ".", &s, err, sizeof(err)),
			 0);
	assert_true(s.w[0].ws && !s.w[0].sse && s.w[0].ws_receive);
	assert_int_equal(s.w[0].ws_messages, 7);
	assert_int_equal(s.w[0].ws_message_bytes, 64);
	/* the defaults: echo, until the pass ends, 32 bytes */
	assert_true(s.w[1].ws && !s.w[1].ws_receive);
	assert_int_equal(s.w[1].ws_messages, 0);
	assert_int_equal(s.w[1].ws_message_bytes, 32);
	suite_free(&s);
	assert_int_equal(suite_parse_json("{\"name\":\"w\",\"workloads\":[{\"name\":\"a\",\"method\":\"GET\",\"path\":\"/e\","
					  "\"stream\":\"websocket\",\"websocket\":{\"messages\":1.5}}]}",
					  "f.json", ".", &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "f.json: workloads[0].websocket.messages: "));
	assert_int_equal(suite_parse_json("{\"name\":\"w\",\"workloads\":[{\"name\":\"a\",\"method\":\"GET\",\"path\":\"/e\","
					  "\"stream\":\"sse\",\"websocket\":{}}]}",
					  "f.json", ".", &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "workloads[0].websocket: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_suite_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
