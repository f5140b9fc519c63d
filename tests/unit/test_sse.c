/* SPDX-License-Identifier: GPL-2.0-only */
/* The event-stream parser (load/sse.c) against the WHATWG EventSource rules: LF, CRLF and CR line
 * ends, comments, events without data, a field named data without a colon, input cut anywhere. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "load/sse.h"

static uint64_t all(const char *s)
{
	struct sse_parser p = { 0 };

	return sse_parse(&p, s, strlen(s));
}

static void test_events(void **state)
{
	assert_int_equal(all("data: a\n\n"), 1);
	assert_int_equal(all("data: a\r\n\r\n"), 1);
	assert_int_equal(all("data: a\r\r"), 1);
	assert_int_equal(all("data: a\ndata: b\n\n"), 1); /* two data lines, one event */
	assert_int_equal(all(": comment\n\n"), 0);        /* no data: nothing dispatched */
	assert_int_equal(all("event: x\nid: 3\n\n"), 0);
	assert_int_equal(all("data\n\n"), 1);             /* the field with no colon: empty data */
	assert_int_equal(all("data:\n\n"), 1);
	assert_int_equal(all("datum: a\n\n"), 0);
	assert_int_equal(all("data: a\n\ndata: b\n\n\n\n"), 2); /* extra blank lines dispatch nothing */
	assert_int_equal(all("data: a\n"), 0);            /* not yet ended */
}

static void test_split(void **state)
{
	/* the same stream fed one byte at a time, and cut in the middle of a CRLF */
	static const char s[] = ": hi\r\ndata: 1\r\n\r\nevent: e\ndata: 2\n\ndata: 3\r\r";
	struct sse_parser p = { 0 };
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(s) - 1; i++)
		n += sse_parse(&p, s + i, 1);
	assert_int_equal(n, 3);
	memset(&p, 0, sizeof(p));
	n = sse_parse(&p, "data: 1\r", 8);
	n += sse_parse(&p, "\n\r\n", 3);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
