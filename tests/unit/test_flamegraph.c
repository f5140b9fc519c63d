/* SPDX-License-Identifier: GPL-2.0-only */
/* The folded writer against a golden file (sorted lines, weights merged, "stack count"), and the
 * SVG writer's escaping and frame tree. */
#include <errno.h>
#include <math.h>
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
	/* follows the viewer's width; subtitle; legend; a palette per kind */
	assert_non_null(strstr(text, "width=\"100%\" onload=\"init()\" viewBox=\"0 0 1200 "));
	assert_non_null(strstr(text, "id=\"subtitle\" class=\"subtitle\" x=\"600.0\" y=\"44\">13 samples</text>"));
	assert_non_null(strstr(text, ">Python</text>"));
	assert_non_null(strstr(text, ">kernel</text>"));
	assert_non_null(strstr(text, "<title>[unknown] (2 samples, 15.38%)</title><rect x=\"1008.46\" y=\"104\" width=\"181.54\" height=\"15\" fill=\"rgb(215,215,215)\""));
	free(text);
	unlink(path);
	folded_free(&f);
}

static char *tmpfile_with(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/bindprof-fgin-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

/* The folded parser: repeated stacks add up, blank lines are skipped, a line without a count is
 * refused with its file and line number. */
static void test_folded_read(void **state)
{
	struct folded f;
	char err[256], *p = tmpfile_with("app;main;a 3\n\napp;main;b 2\napp;main;a 4\napp;x y (t.py:3) 1\n");

	folded_init(&f);
	assert_int_equal(folded_read(&f, p, err, sizeof(err)), 0);
	assert_int_equal(f.total, 10);
	assert_int_equal(f.m.n, 3);
	assert_int_equal(strmap_get(&f.m, "app;main;a")->val, 7);
	assert_int_equal(strmap_get(&f.m, "app;x y (t.py:3)")->val, 1);
	unlink(p);
	folded_free(&f);

	folded_init(&f);
	p = tmpfile_with("app;main;a 3\napp;main;b\n");
	assert_int_equal(folded_read(&f, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: not a folded line"));
	unlink(p);
	folded_free(&f);

	folded_init(&f);
	assert_int_equal(folded_read(&f, "/nonexistent/x.folded", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.folded"));
	folded_free(&f);
}

static void test_frame_kinds(void **state)
{
	assert_int_equal(flamegraph_frame_kind("all", 0), FG_ROOT);
	assert_int_equal(flamegraph_frame_kind("python3", 1), FG_PROCESS);
	assert_int_equal(flamegraph_frame_kind("handler (app.py:12)", 2), FG_PYTHON);
	assert_int_equal(flamegraph_frame_kind("do_syscall_64_[k]", 5), FG_KERNEL);
	assert_int_equal(flamegraph_frame_kind("[unknown]", 3), FG_UNKNOWN);
	assert_int_equal(flamegraph_frame_kind("PyEval_EvalFrameDefault", 3), FG_NATIVE);
	assert_int_equal(flamegraph_frame_kind("sum [libdemo.so]", 3), FG_NATIVE);
}

/* The differential graph: shares of each profile (base 10 samples: a 5, b 5; new 20: a 15, b 5):
 * a grew from 50% to 75% (+0.25), b shrank to 25% (-0.25); widths follow the new profile. */
static void test_diff(void **state)
{
	char path[] = "/tmp/bindprof-dsvg-XXXXXX", *text = NULL;
	struct folded base, now;
	struct fg_opts o = { .title = "d", .subtitle = "s", .unit = "samples", .base = &base };
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_true(fabs(flamegraph_delta(15, 20, 5, 10) - 0.25) < 1e-12);
	assert_true(fabs(flamegraph_delta(5, 20, 5, 10) + 0.25) < 1e-12);
	assert_true(fabs(flamegraph_delta(3, 20, 0, 0) - 0.15) < 1e-12);
	folded_init(&base);
	folded_init(&now);
	folded_add(&base, "app;a", 5);
	folded_add(&base, "app;b", 5);
	folded_add(&base, "app;gone", 2);
	folded_add(&now, "app;a", 15);
	folded_add(&now, "app;b", 5);
	assert_int_equal(flamegraph_write(&now, &o, path), 0);
	assert_int_equal(read_file(path, &text, NULL), 0);
	/* a: 15 of 20 now, 5 of 12 before: grew, the largest change, full red */
	assert_non_null(strstr(text, "data-n=\"15\" data-b=\"5\" data-d=\"2\"><title>a (15 samples, 75.00%; base 5, 41.67%; +33.33 points)</title>"
				     "<rect x=\"10.00\" y=\""));
	assert_non_null(strstr(text, "width=\"885.00\" height=\"15\" fill=\"rgb(250,60,60)\""));
	/* b: 25% now, 41.67% before: shrank, blue */
	assert_non_null(strstr(text, "<title>b (5 samples, 25.00%; base 5, 41.67%; -16.67 points)</title>"));
	assert_non_null(strstr(text, "width=\"295.00\" height=\"15\" fill=\"rgb(155,155,250)\""));
	/* a frame only in the base has no width in the new profile: not drawn */
	assert_null(strstr(text, "<title>gone"));
	assert_non_null(strstr(text, "grew (share of samples, vs base)"));
	assert_non_null(strstr(text, "data-total=\"20\" data-base-total=\"12\""));
	free(text);
	unlink(path);
	folded_free(&base);
	folded_free(&now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded_golden),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_folded_read),
		cmocka_unit_test(test_frame_kinds),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
