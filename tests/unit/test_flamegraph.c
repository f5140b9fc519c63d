/* SPDX-License-Identifier: GPL-2.0-only */
/* The folded writer against a golden file (sorted lines, weights merged, "stack count"), and the
 * SVG writer's escaping and frame tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "output/flamegraph.h"
#include "lib/util.h"

static const char golden[] = "app;main;a;b;burn 7\n"
			     "app;main;a;c;burn 3\n"
			     "app;main;read_[k] 1\n"
			     "app;main;x<y>&\"z\" (t.py:1);[unknown] 2\n";

static void fill(struct folded *f)
{
	folded_init(f);
	folded_add(f, "app;main;a;c;burn", 1);
	folded_add(f, "app;main;read_[k]", 1);
	folded_add(f, "app;main;a;b;burn", 4);
	folded_add(f, "app;main;x<y>&\"z\" (t.py:1);[unknown]", 2);
	folded_add(f, "app;main;a;c;burn", 2);
	folded_add(f, "app;main;a;b;burn", 3);
}

static void test_folded_golden(void **state)
{
	char path[] = "/tmp/bindprof-folded-XXXXXX", *text = NULL;
	struct folded f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	fill(&f);
	assert_int_equal(f.total, 13);
	assert_int_equal(folded_write(&f, path), 0);
	assert_int_equal(read_file(path, &text, NULL), 0);
	assert_string_equal(text, golden);
	free(text);
	unlink(path);
	folded_free(&f);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_svg(void **state)
{
	char path[] = "/tmp/bindprof-svg-XXXXXX", *text = NULL;
	struct folded f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	fill(&f);
	assert_int_equal(flamegraph_write_svg(&f, path, "t <&>", "samples"), 0);
	assert_int_equal(read_file(path, &text, NULL), 0);
	/* frames: all, app, main, a, b, burn, c, burn, x.., [unknown], read_[k] */
	assert_int_equal(count(text, "<g class=\"f\""), 11);
	assert_non_null(strstr(text, "data-n=\"13\" data-d=\"0\"><title>all (13 samples, 100.00%)</title>"));
	assert_non_null(strstr(text, "<title>x&lt;y&gt;&amp;&quot;z&quot; (t.py:1) (2 samples, 15.38%)</title>"));
	assert_non_null(strstr(text, ">t &lt;&amp;&gt;</text>"));
	assert_null(strstr(text, "x<y>"));
	assert_int_equal(count(text, "<![CDATA["), 1);
	free(text);
	unlink(path);
	folded_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded_golden),
		cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
