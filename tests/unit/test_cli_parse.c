/* SPDX-License-Identifier: GPL-2.0-only */
/* The parse functions of report and doctor, each on its own, from their options tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/doctor.h"
#include "cli/report.h"
#include "lib/util.h"

#define ARGV(...) ((char *[]){ "cmd", __VA_ARGS__, NULL })

static int argc_of(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static void test_report(void **state)
{
	struct report_opts o;
	char err[256];

	assert_int_equal(report_parse_opts(argc_of(ARGV("x.json")), ARGV("x.json"), &o, err, sizeof(err)), 0);
	assert_string_equal(o.path, "x.json");
	assert_false(o.markdown);
	assert_int_equal(report_parse_opts(4, ARGV("--format", "markdown", "x.json"), &o, err, sizeof(err)), 0);
	assert_true(o.markdown);
	assert_int_equal(report_parse_opts(3, ARGV("-fmd", "x.json"), &o, err, sizeof(err)), 0);
	assert_true(o.markdown);
	assert_int_equal(report_parse_opts(4, ARGV("x.json", "-f", "table"), &o, err, sizeof(err)), 0);
	assert_false(o.markdown);
	assert_int_equal(report_parse_opts(2, ARGV("--help"), &o, err, sizeof(err)), 0);
	assert_true(o.help);
	assert_int_equal(report_parse_opts(4, ARGV("--format", "html", "x.json"), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--format html writes a file: give -o FILE.html");
	assert_int_equal(report_parse_opts(6, ARGV("--format", "html", "-o", "x.html", "x.json"), &o, err, sizeof(err)), 0);
	assert_true(o.html);
	assert_string_equal(o.output, "x.html");
	assert_int_equal(report_parse_opts(4, ARGV("--format", "pdf", "x.json"), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--format: unknown format 'pdf' (table, markdown, html)");
	assert_int_equal(report_parse_opts(1, ARGV(NULL), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "give exactly one FILE.json");
	assert_int_equal(report_parse_opts(3, ARGV("a", "b"), &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(report_parse_opts(3, ARGV("x.json", "--format"), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "option '--format' needs a value");
	assert_int_equal(report_parse_opts(3, ARGV("x.json", "--bogus"), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown option '--bogus'");
}

static void test_doctor(void **state)
{
	struct doctor_opts o;
	char err[256];

	assert_int_equal(doctor_parse_opts(1, ARGV(NULL), &o, err, sizeof(err)), 0);
	assert_int_equal(o.pid, 0);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(doctor_parse_opts(4, ARGV("-p", "42", "-vv"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.pid, 42);
	assert_int_equal(o.verbose, 2);
	assert_int_equal(doctor_parse_opts(2, ARGV("--pid=7"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.pid, 7);
	assert_int_equal(doctor_parse_opts(3, ARGV("-p", "0"), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "-p: invalid PID '0'");
	assert_int_equal(doctor_parse_opts(3, ARGV("-p", " 12"), &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(doctor_parse_opts(3, ARGV("-p", "12x"), &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(doctor_parse_opts(2, ARGV("extra"), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unexpected argument 'extra'");
	assert_int_equal(doctor_parse_opts(2, ARGV("-p"), &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "option '-p' needs a value");
	assert_int_equal(doctor_parse_opts(2, ARGV("-h"), &o, err, sizeof(err)), 0);
	assert_true(o.help);
}

__attribute__((noinline)) static char *usage_of(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f);
	fclose(f);
	return buf;
}

static void test_usages(void **state)
{
	char *r = usage_of(report_usage), *d = usage_of(doctor_usage);

	assert_non_null(strstr(r, "usage: bindprof report FILE.json [-f table|markdown|html] [-o FILE] [-n N] [--history PATH|URL]\n"));
	assert_non_null(strstr(r, "  -f, --format table|markdown|html"));
	assert_non_null(strstr(d, "usage: bindprof doctor [-p PID] [-v]...\n"));
	assert_non_null(strstr(d, "  -p, --pid PID"));
	free(r);
	free(d);
}

static void test_report_never_prints_a_missing_figure_as_zero(void **state)
{
	char in[] = "/tmp/bindprof-report-XXXXXX", out[] = "/tmp/bindprof-report-out-XXXXXX", *text = NULL;
	int fi = mkstemp(in), fo = mkstemp(out), saved;
	static const char doc[] =
		"{\"schema_version\":1,\"mode\":\"record\",\"metadata\":{\"host\":{\"hostname\":\"h\"}},"
		"\"results\":{\"overhead\":{\"estimated_cpu_ms\":17.5,\"estimated_percent\":null},"
		"\"lost_events\":3,\"profiling\":{\"gil\":{\"method\":\"cheap\",\"wait_ms_total\":2.5}}}}";

	assert_true(fi >= 0 && fo >= 0);
	assert_int_equal(write(fi, doc, sizeof(doc) - 1), sizeof(doc) - 1);
	close(fi);
	fflush(stdout);
	saved = dup(1);
	dup2(fo, 1);
	assert_int_equal(cmd_report(2, (char *[]){ "report", in, NULL }), 0);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fo);
	assert_int_equal(read_file(out, &text, NULL), 0);
	/* measured figures as they are; unmeasured ones (null or absent) as "-", never 0 */
	assert_non_null(strstr(text, "est. 17.50 ms of probe CPU, -% of the target's CPU; - probes attached; 3 lost events"));
	assert_non_null(strstr(text, "method cheap: wait ms (sum over threads) 2.5 in - waits (p50 - us"));
	assert_non_null(strstr(text, "host: h, -, - cores"));
	free(text);
	unlink(in);
	unlink(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_doctor),
		cmocka_unit_test(test_usages),
		cmocka_unit_test(test_report_never_prints_a_missing_figure_as_zero),
	};

	return cmocka_run_group_tests_name("cli_parse", tests, NULL, NULL);
}
