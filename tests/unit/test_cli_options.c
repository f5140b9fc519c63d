/* SPDX-License-Identifier: GPL-2.0-only */
/* The options table: getopt tables and usage generated from one row per option. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "cli/options.h"

enum { O_PID = 1, O_FORCE, O_THRESHOLD, O_VERBOSE, O_HIDDEN, O_HELP };

static const struct cli_option opts[] = {
	{ "pid", 'p', O_PID, "PID", "profile this running process and every process it forks afterwards", 0 },
	{ "force", 0, O_FORCE, NULL, "compare anyway", 0 },
	{ "threshold", 0, O_THRESHOLD, "METRIC=WARN:CRIT",
	  "a warning at WARN percent worse, critical at CRIT percent worse; the metrics are requests_per_sec, "
	  "p50_ms, p99_ms, gil_wait_ms, gc_time_ms and ffi_overhead_ms, each with its own pair",
	  CLI_OPT_REPEAT },
	{ "verbose", 'v', O_VERBOSE, NULL, "more logging\non stderr", 0 },
	{ "secret", 0, O_HIDDEN, NULL, "not listed", CLI_OPT_HIDDEN },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

#define ARGV(...) ((char *[]){ "cmd", __VA_ARGS__, NULL })

static int count(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static void test_tables_generated(void **state)
{
	struct option lo[CLI_OPTIONS_MAX + 1];
	char so[64];

	assert_int_equal(cli_options_getopt(opts, 0, lo, CLI_OPTIONS_MAX + 1, so, sizeof(so)), 0);
	assert_string_equal(so, ":p:vh");
	assert_string_equal(lo[0].name, "pid");
	assert_int_equal(lo[0].has_arg, required_argument);
	assert_int_equal(lo[0].val, 'p');
	assert_int_equal(lo[1].has_arg, no_argument);
	assert_int_equal(lo[1].val, 256 + 1);
	assert_null(lo[6].name);
	assert_ptr_equal(cli_options_row(opts, 'p'), &opts[0]);
	assert_ptr_equal(cli_options_row(opts, 256 + 2), &opts[2]);
	assert_null(cli_options_row(opts, 'x'));
	assert_int_equal(cli_options_getopt(opts, CLI_STOP_AT_OPERAND, lo, CLI_OPTIONS_MAX + 1, so, sizeof(so)), 0);
	assert_string_equal(so, "+:p:vh");
	/* too small a table is refused, not overrun */
	assert_int_equal(cli_options_getopt(opts, 0, lo, 3, so, sizeof(so)), -EINVAL);
}

static void test_malformed_tables(void **state)
{
	static const struct cli_option dup_id[] = { { "a", 0, 1, NULL, "", 0 }, { "b", 0, 1, NULL, "", 0 }, {} };
	static const struct cli_option dup_short[] = { { "a", 'x', 1, NULL, "", 0 }, { "b", 'x', 2, NULL, "", 0 }, {} };
	static const struct cli_option zero_id[] = { { "a", 0, 0, NULL, "", 0 }, {} };
	static const struct cli_option reserved[] = { { "a", ':', 1, NULL, "", 0 }, {} };
	struct cli_parser p;

	assert_int_equal(cli_parser_init(&p, dup_id, 1, ARGV("x"), 0), -EINVAL);
	assert_int_equal(cli_parser_init(&p, dup_short, 1, ARGV("x"), 0), -EINVAL);
	assert_int_equal(cli_parser_init(&p, zero_id, 1, ARGV("x"), 0), -EINVAL);
	assert_int_equal(cli_parser_init(&p, reserved, 1, ARGV("x"), 0), -EINVAL);
}

static void test_parse(void **state)
{
	char **argv = ARGV("A", "-p", "42", "--threshold", "p99_ms=5:15", "--thresh=x=1:2", "-vv", "--force", "B");
	struct cli_parser p;
	char err[128];
	int ids[16], n = 0, id;
	const char *args[16];

	assert_int_equal(cli_parser_init(&p, opts, count(argv), argv, 0), 0);
	while ((id = cli_parser_next(&p, err, sizeof(err))) > 0) {
		args[n] = p.arg;
		ids[n++] = id;
	}
	assert_int_equal(id, 0);
	assert_int_equal(n, 6);
	assert_int_equal(ids[0], O_PID);
	assert_string_equal(args[0], "42");
	assert_int_equal(ids[1], O_THRESHOLD);
	assert_string_equal(args[1], "p99_ms=5:15");
	assert_int_equal(ids[2], O_THRESHOLD); /* an unambiguous prefix, and --opt=value */
	assert_string_equal(args[2], "x=1:2");
	assert_int_equal(ids[3], O_VERBOSE);
	assert_int_equal(ids[4], O_VERBOSE);
	assert_null(args[4]);
	assert_int_equal(ids[5], O_FORCE);
	/* GNU order: operands are moved after the options */
	assert_int_equal(count(argv) - p.operands, 2);
	assert_string_equal(argv[p.operands], "A");
	assert_string_equal(argv[p.operands + 1], "B");
}

static void test_stop_at_operand(void **state)
{
	char **argv = ARGV("-v", "--", "python3", "-p", "x");
	char **argv2 = ARGV("-v", "python3", "-p", "x");
	struct cli_parser p;
	char err[128];

	assert_int_equal(cli_parser_init(&p, opts, count(argv), argv, CLI_STOP_AT_OPERAND), 0);
	assert_int_equal(cli_parser_next(&p, err, sizeof(err)), O_VERBOSE);
	assert_int_equal(cli_parser_next(&p, err, sizeof(err)), 0);
	assert_string_equal(argv[p.operands], "python3");
	/* a second parse in the same process starts afresh (optind reset) */
	assert_int_equal(cli_parser_init(&p, opts, count(argv2), argv2, CLI_STOP_AT_OPERAND), 0);
	assert_int_equal(cli_parser_next(&p, err, sizeof(err)), O_VERBOSE);
	assert_int_equal(cli_parser_next(&p, err, sizeof(err)), 0);
	assert_string_equal(argv2[p.operands], "python3");
	assert_string_equal(argv2[p.operands + 1], "-p");
}

static void expect_error(char **argv, const char *msg)
{
	struct cli_parser p;
	char err[128] = "";
	int id;

	assert_int_equal(cli_parser_init(&p, opts, count(argv), argv, 0), 0);
	while ((id = cli_parser_next(&p, err, sizeof(err))) > 0)
		;
	assert_int_equal(id, -EINVAL);
	assert_string_equal(err, msg);
}

static void test_errors(void **state)
{
	expect_error(ARGV("--bogus"), "unknown option '--bogus'");
	expect_error(ARGV("-x"), "unknown option '-x'");
	expect_error(ARGV("-vx"), "unknown option '-x'");
	expect_error(ARGV("-p"), "option '-p' needs a value");
	expect_error(ARGV("--pid"), "option '--pid' needs a value");
	expect_error(ARGV("--threshold"), "option '--threshold' needs a value");
	expect_error(ARGV("--force=yes"), "option '--force' takes no value");
	expect_error(ARGV("--verbose=2"), "option '--verbose' takes no value");
}

struct seen {
	int n, ids[8];
	const char *args[8];
};

static int record(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct seen *s = ctx;

	if (id == O_HIDDEN) {
		snprintf(err, errlen, "refused '%s'", "--secret");
		return -EINVAL;
	}
	s->args[s->n] = arg;
	s->ids[s->n++] = id;
	return id == O_HELP ? CLI_STOP : 0;
}

static void test_cli_parse_loop(void **state)
{
	char **argv = ARGV("-p", "7", "op", "--force");
	struct seen s = {};
	char err[128];

	assert_int_equal(cli_parse(opts, 0, count(argv), argv, record, &s, err, sizeof(err)), 4);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], O_PID);
	assert_string_equal(s.args[0], "7");
	assert_int_equal(s.ids[1], O_FORCE);
	assert_null(s.args[1]);
	assert_string_equal(argv[4], "op");
	/* help stops the parse: what follows is not looked at */
	memset(&s, 0, sizeof(s));
	assert_int_equal(cli_parse(opts, 0, 4, ARGV("-v", "-h", "--bogus"), record, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	/* the callback's refusal and getopt's both come back as -EINVAL with one line */
	assert_int_equal(cli_parse(opts, 0, 3, ARGV("-v", "--secret"), record, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "refused '--secret'");
	assert_int_equal(cli_parse(opts, 0, 2, ARGV("--pid"), record, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "option '--pid' needs a value");
}

__attribute__((noinline)) static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_options_usage(f, "bindprof diff", "BASE.json NEW.json", opts,
			  "Compare two bindprof files workload by workload. A change within both runs' spread "
			  "across repeats is noise, whatever its size, and is reported as unchanged.",
			  "Exit 0: no regression; 1: a critical one; 2: bad input.");
	fclose(f);
	return buf;
}

static void test_usage(void **state)
{
	char *u = usage_text(), *line, *save = NULL;
	int lines = 0;

	/* the synopsis: every listed option but --help, short form where there is one */
	assert_non_null(strstr(u, "usage: bindprof diff BASE.json NEW.json [-p PID] [--force] "
				  "[--threshold METRIC=WARN:CRIT]... [-v]\n"));
	assert_null(strstr(u, "[-h]"));
	assert_null(strstr(u, "secret"));
	/* each option listed with its help; both forms where there is a short one */
	assert_non_null(strstr(u, "\n  -p, --pid PID "));
	assert_non_null(strstr(u, "\n      --force "));
	assert_non_null(strstr(u, "\n  -h, --help "));
	assert_non_null(strstr(u, "Exit 0: no regression"));
	/* '\n' in a help breaks the line, the rest stays in the help column */
	assert_non_null(strstr(u, "more logging\n"));
	for (line = strtok_r(u, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= CLI_USAGE_WIDTH);
		lines++;
	}
	assert_true(lines >= 12);
	free(u);
}

static void test_usage_wraps_help_in_its_column(void **state)
{
	char *u = usage_text();
	const char *t = strstr(u, "--threshold METRIC=WARN:CRIT\n"), *next;

	/* the left column is wider than the help column: the help starts on the next line */
	assert_non_null(t);
	next = strchr(t, '\n') + 1;
	/* every continuation line of the help is indented to the same column */
	{
		size_t col = strspn(next, " ");

		assert_true(col > 10 && col <= 30);
		next = strchr(next, '\n') + 1;
		assert_int_equal(strspn(next, " "), col);
	}
	free(u);
}

static void test_wrap(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_wrap(f, "aaa bbb ccc ddd\n  eee fff ggg", 0, 2, 8);
	fclose(f);
	assert_string_equal(buf, "aaa bbb\n  ccc\n  ddd\n    eee\n    fff\n    ggg\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_generated),
		cmocka_unit_test(test_malformed_tables),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_stop_at_operand),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cli_parse_loop),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_usage_wraps_help_in_its_column),
		cmocka_unit_test(test_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
