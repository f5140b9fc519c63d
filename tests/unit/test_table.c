/* SPDX-License-Identifier: GPL-2.0-only */
/* The table printer: columns sized to content, long text cut with an ellipsis so that columns
 * stay aligned (the per-endpoint table that had a 129-column header and 157-column rows),
 * figures right-aligned, markdown escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "output/table.h"

static char *render(const struct table *t, bool md)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	assert_non_null(f);
	table_print(t, f, md, "  ");
	fclose(f);
	return p;
}

static void test_cut(void **state)
{
	char b[64];

	assert_string_equal(table_cut("abcdef", 6, b, sizeof(b)), "abcdef");
	assert_string_equal(table_cut("abcdefg", 6, b, sizeof(b)), "abcde\u2026");
	assert_int_equal(table_width("abcde\u2026"), 6);
	/* a multi-byte character is never split */
	assert_string_equal(table_cut("\u00e9\u00e9\u00e9\u00e9", 3, b, sizeof(b)), "\u00e9\u00e9\u2026");
	assert_string_equal(table_cut("abc", 0, b, sizeof(b)), "abc");
}

/* The per-endpoint table of issue 20: a 129-column header ("endpoint" padded to a 100-character
 * path) and rows up to 157 columns. Now every line ends at the same column and each figure's
 * last digit sits under its header's last letter. */
static void test_endpoint_129(void **state)
{
	static const char *const hdr[] = { "endpoint", "count", "p50 ms", "p99 ms", "GIL us", "FFI", "FFI us", "GC",
					   "syscalls" };
	char longep[160], *text, *line, *save = NULL;
	struct table t;
	int widths[8], nl = 0, header_len = 0;

	memset(longep, 'x', sizeof(longep));
	memcpy(longep, "GET /api/v1/organisations/{id}/", 31);
	longep[129] = '\0';
	table_init(&t, 9, hdr, "lrrrrrrrr");
	table_add(&t, (const char *const[]){ "GET /hello", "5216", "0.095", "3.637", "12.3", "-", "-", "0.000", "2" });
	table_add(&t, (const char *const[]){ longep, "17", "10.500", "120.250", "1234.5", "2.00", "15.5", "0.125", "11" });
	text = render(&t, false);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), nl++) {
		int len = table_width(line);

		assert_true(len < 129); /* was 129 (header) and 157 (rows) */
		if (!nl)
			header_len = len;
		else
			assert_int_equal(len, header_len); /* every row as long as the header: aligned */
		widths[nl] = len;
		if (nl == 2) {
			/* the long endpoint cut to 48 characters, its ellipsis the last */
			assert_memory_equal(line + 2, "GET /api/v1/organisations/{id}/xxxxxxxxxxxxxxxx\u2026", 47 + 3);
			assert_non_null(strstr(line, "\u2026     17  10.500  120.250  1234.5  2.00    15.5  0.125        11"));
		}
		if (nl == 0)
			assert_string_equal(line, "  endpoint                                          count  p50 ms   p99 ms  GIL us"
						  "   FFI  FFI us     GC  syscalls");
		if (nl == 1)
			assert_string_equal(line, "  GET /hello                                         5216   0.095    3.637    12.3"
						  "     -       -  0.000         2");
	}
	assert_int_equal(nl, 3);
	assert_int_equal(widths[0], 2 + 48 + 2 + 5 + 2 + 6 + 2 + 7 + 2 + 6 + 2 + 4 + 2 + 6 + 2 + 5 + 2 + 8);
	free(text);

	/* markdown keeps the name whole, escapes '|' */
	table_add(&t, (const char *const[]){ "GET /a|b", NULL, "1", "2", "3", "4", "5", "6", "7" });
	text = render(&t, true);
	assert_non_null(strstr(text, "| endpoint | count | p50 ms |"));
	assert_non_null(strstr(text, "|:---|---:|---:|"));
	assert_non_null(strstr(text, longep));
	assert_non_null(strstr(text, "| GET /a\\|b | - | 1 |"));
	free(text);
	table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_endpoint_129),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
