/* SPDX-License-Identifier: GPL-2.0-only */
/* The exporters' reading of folded frames (output/stackset.h): every kind of frame bindprof's
 * folded lines hold, and the ones that look alike. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "output/stackset.h"

static void test_frames(void **state)
{
	struct ss_frame f;

	ss_parse_frame("python3", true, &f);
	assert_int_equal(f.kind, SF_PROCESS);
	assert_string_equal(f.name, "python3");

	ss_parse_frame("handle (app.py:42)", false, &f);
	assert_int_equal(f.kind, SF_PYTHON);
	assert_string_equal(f.name, "handle");
	assert_string_equal(f.file, "app.py");
	assert_int_equal(f.line, 42);
	assert_null(f.module);

	ss_parse_frame("_find_and_load (<frozen importlib._bootstrap>:1165)", false, &f);
	assert_int_equal(f.kind, SF_PYTHON);
	assert_string_equal(f.name, "_find_and_load");
	assert_string_equal(f.file, "<frozen importlib._bootstrap>");
	assert_int_equal(f.line, 1165);

	ss_parse_frame("PyCFuncPtr_call [_ctypes.cpython-311-x86_64-linux-gnu.so]", false, &f);
	assert_int_equal(f.kind, SF_NATIVE);
	assert_string_equal(f.name, "PyCFuncPtr_call");
	assert_string_equal(f.module, "_ctypes.cpython-311-x86_64-linux-gnu.so");

	ss_parse_frame("crc32 [?]", false, &f); /* the module was unknown */
	assert_int_equal(f.kind, SF_NATIVE);
	assert_string_equal(f.name, "crc32");
	assert_null(f.module);

	ss_parse_frame("do_sys_poll_[k]", false, &f);
	assert_int_equal(f.kind, SF_KERNEL);
	assert_string_equal(f.name, "do_sys_poll");
	assert_string_equal(f.module, "[kernel]");

	ss_parse_frame("[unknown]", false, &f);
	assert_int_equal(f.kind, SF_NATIVE);
	assert_string_equal(f.name, "[unknown]");
	assert_null(f.module);

	/* look-alikes: C++ signatures and a parenthesis without a line are native */
	ss_parse_frame("ns::f(int, char)", false, &f);
	assert_int_equal(f.kind, SF_NATIVE);
	assert_string_equal(f.name, "ns::f(int, char)");
	ss_parse_frame("g (anonymous namespace:x)", false, &f);
	assert_int_equal(f.kind, SF_NATIVE);
	ss_parse_frame("take_gil", false, &f);
	assert_int_equal(f.kind, SF_NATIVE);
	assert_null(f.file);
}

static void test_folded_file(void **state)
{
	char path[] = "/tmp/bindprof-stackset-XXXXXX", err[256];
	struct stackset s;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("p;a (x.py:1) 3\np;a (x.py:1);b 4\n\np;c d 5\n", f);
	fclose(f);
	stackset_init(&s);
	assert_int_equal(stackset_from_folded(&s, path, 99, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.total[SS_CPU], 12);
	assert_int_equal(s.total[SS_GIL], 0);
	assert_string_equal(s.st[2].line, "p;c d");
	stackset_free(&s);
	f = fopen(path, "w");
	fputs("p;a 3\np;b x\n", f);
	fclose(f);
	stackset_init(&s);
	assert_int_equal(stackset_from_folded(&s, path, 0, err, sizeof(err)), -22);
	assert_non_null(strstr(err, ":2: not a folded line"));
	stackset_free(&s);
	/* counts whose sum would wrap: refused, not a total of 4 */
	f = fopen(path, "w");
	fputs("a;b 18446744073709551615\na;b 5\n", f);
	fclose(f);
	stackset_init(&s);
	assert_int_equal(stackset_from_folded(&s, path, 0, err, sizeof(err)), -22);
	assert_non_null(strstr(err, ":1: the count makes the file's total pass"));
	stackset_free(&s);
	f = fopen(path, "w");
	fputs("a;b 9223372036854775807\na;c 1\n", f);
	fclose(f);
	stackset_init(&s);
	assert_int_equal(stackset_from_folded(&s, path, 0, err, sizeof(err)), -22);
	assert_non_null(strstr(err, ":2: the count makes"));
	stackset_free(&s);
	unlink(path);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A record document naming a folded file, its labelled twin and the mappings: the labelled
 * stacks replace the folded ones (same totals); a twin whose total differs is not used. */
static void test_labelled_doc(void **state)
{
	char dir[] = "/tmp/bindprof-stackset-XXXXXX", fp[300], lp[300], js[1200], err[256];
	struct stackset s;
	cJSON *doc;

	assert_non_null(mkdtemp(dir));
	snprintf(fp, sizeof(fp), "%s/r.folded", dir);
	snprintf(lp, sizeof(lp), "%s/r.labels.folded", dir);
	put(fp, "p;a 5\np;b 2\n");
	put(lp, "11\thot\t0\t\tp;a 4\n12\tcold\t7\tGET /x\tp;a 1\n12\tcold\t0\t\tp;b 2\n");
	snprintf(js, sizeof(js), "{\"mode\":\"record\",\"results\":{\"profiling\":{\"stacks\":{\"frequency_hz\":99,"
		 "\"folded_path\":\"%s\",\"labelled_path\":\"%s\",\"mappings\":[{\"module\":\"libz.so.1\","
		 "\"path\":\"/lib/libz.so.1\",\"build_id\":\"ab12\"}]}}}}", fp, lp);
	assert_non_null(doc = cJSON_Parse(js));
	stackset_init(&s);
	assert_int_equal(stackset_from_doc(&s, doc, dir, err, sizeof(err)), 0);
	assert_true(s.labelled);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.total[SS_CPU], 7);
	assert_int_equal(s.st[0].tid, 11);
	assert_string_equal(s.st[0].thread, "hot");
	assert_int_equal(s.st[0].request, 0);
	assert_null(s.st[0].req_endpoint);
	assert_int_equal(s.st[1].request, 7);
	assert_string_equal(s.st[1].req_endpoint, "GET /x");
	assert_string_equal(s.st[1].line, "p;a");
	assert_string_equal(stackset_mapping(&s, "libz.so.1")->build_id, "ab12");
	assert_null(stackset_mapping(&s, "libc.so.6"));
	stackset_free(&s);
	/* not the folded file's twin (its total differs): the folded stacks, unlabelled */
	put(lp, "11\thot\t0\t\tp;a 4\n");
	stackset_init(&s);
	assert_int_equal(stackset_from_doc(&s, doc, dir, err, sizeof(err)), 0);
	assert_false(s.labelled);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.total[SS_CPU], 7);
	assert_int_equal(s.st[0].tid, 0);
	stackset_free(&s);
	cJSON_Delete(doc);
	unlink(fp);
	unlink(lp);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_folded_file),
		cmocka_unit_test(test_labelled_doc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
