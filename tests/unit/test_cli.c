/* SPDX-License-Identifier: GPL-2.0-only */
/* Argument parsing of `record` and --probes: every bad input is refused with a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "core/probes.h"
#include "cli/record_opts.h"
#include "lib/util.h"

#define ARGV(...) ((char *[]){ "record", __VA_ARGS__, NULL })
#define ARGC(a) ((int)(sizeof(a) / sizeof(char *)) - 1)

static int parse(char **argv, struct record_opts *o, char *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return record_opts_parse(argc, argv, o, err, 256);
}

static void test_pid_and_defaults(void **state)
{
	struct record_opts o;
	char err[256];

	assert_int_equal(parse(ARGV("-p", "42"), &o, err), 0);
	assert_int_equal(o.pid, 42);
	assert_null(o.cmd);
	assert_string_equal(o.output, "bindprof.json");
	assert_true(o.duration == 0);
	assert_int_equal(o.probes, PROBES_DEFAULT);
	assert_true(o.follow_children);
	assert_false(o.no_gil_stacks);
	assert_int_equal(parse(ARGV("-p", "42", "--gil-stacks", "off"), &o, err), 0);
	assert_true(o.no_gil_stacks);
}

static void test_command_keeps_its_flags(void **state)
{
	struct record_opts o;
	char err[256];

	assert_int_equal(parse(ARGV("-d", "2.5", "-o", "x.json", "--probes", "syscalls", "--no-children",
				    "--", "python3", "-c", "print(1)"),
			       &o, err),
			 0);
	assert_true(o.duration == 2.5);
	assert_string_equal(o.output, "x.json");
	assert_int_equal(o.probes, PROBE_BIT(PROBE_SYSCALLS));
	assert_false(o.follow_children);
	assert_string_equal(o.cmd[0], "python3");
	assert_string_equal(o.cmd[1], "-c");
	assert_string_equal(o.cmd[2], "print(1)");
	assert_null(o.cmd[3]);
}

static void test_bad_inputs(void **state)
{
	const struct {
		char **argv;
		const char *msg;
	} cases[] = {
		{ ARGV("-p", "abc"), "-p: invalid PID 'abc'" },
		{ ARGV("-p", "0"), "-p: invalid PID '0'" },
		{ ARGV("-p", "12x"), "-p: invalid PID '12x'" },
		{ ARGV("-p", "1", "-d", "-3"), "-d: invalid duration '-3' (seconds > 0)" },
		{ ARGV("-p", "1", "-d", "soon"), "-d: invalid duration 'soon' (seconds > 0)" },
		{ ARGV("-p", "1", "--probes", "gil,bogus"),
		  "--probes: unknown probe 'bogus' (syscalls,gil,gc,ffi,requests,stacks,all)" },
		{ ARGV("-p", "1", "--probes", "gil,"),
		  "--probes: unknown probe '' (syscalls,gil,gc,ffi,requests,stacks,all)" },
		{ ARGV("-p", "1", "--frobnicate"), "unknown option '--frobnicate'" },
		{ ARGV("-p", "1", "-d"), "option '-d' needs a value" },
		{ ARGV("-p", "1", "--", "true"), "-p and -- CMD are exclusive: give one target" },
		{ ARGV("-d", "1"), "no target: give -p PID or -- CMD ARGS..." },
		{ ARGV("-p", "1", "stray"), "unexpected argument 'stray' (a command goes after --)" },
		{ ARGV("-p", "1", "--gil-stacks", "maybe"), "--gil-stacks: 'maybe' is not on or off" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct record_opts o;
		char err[256] = "";

		assert_int_equal(parse(cases[i].argv, &o, err), -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

static void test_probes_parse(void **state)
{
	const char *bad;
	unsigned m;

	assert_int_equal(probes_parse("all", &m, &bad), 0);
	assert_int_equal(m, PROBES_ALL);
	assert_int_equal(probes_parse("gc,syscalls,gc", &m, &bad), 0);
	assert_int_equal(m, PROBE_BIT(PROBE_GC) | PROBE_BIT(PROBE_SYSCALLS));
	assert_int_equal(probes_parse("", &m, &bad), -EINVAL);
	assert_int_equal(probes_parse("Syscalls", &m, &bad), -EINVAL);
	assert_string_equal(bad, "Syscalls");
	assert_false(PROBES_DEFAULT & PROBE_BIT(PROBE_SYSCALLS)); /* syscalls is opt-in */
}

static void test_numbers(void **state)
{
	long l;
	double d;

	assert_int_equal(parse_long("123", 0, 1000, &l), 0);
	assert_int_equal(l, 123);
	assert_int_equal(parse_long("1001", 0, 1000, &l), -ERANGE);
	assert_int_equal(parse_long("99999999999999999999999", 0, 1000, &l), -ERANGE);
	assert_int_equal(parse_long("", 0, 10, &l), -EINVAL);
	assert_int_equal(parse_long(" 1", 0, 10, &l), -EINVAL); /* no leading blank (record -p ' 12') */
	assert_int_equal(parse_long("+1", 0, 10, &l), -EINVAL);
	assert_int_equal(parse_long("-1", -5, 10, &l), 0);
	assert_int_equal(l, -1);
	assert_int_equal(parse_long("-", -5, 10, &l), -EINVAL);
	assert_int_equal(parse_long("1 ", 0, 10, &l), -EINVAL);
	assert_int_equal(parse_seconds("0.25", 10, &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(parse_seconds("0", 10, &d), -ERANGE);
	assert_int_equal(parse_seconds("nan", 10, &d), -EINVAL);
	assert_int_equal(parse_seconds("11", 10, &d), -ERANGE);
	assert_int_equal(parse_seconds(" 1", 10, &d), -EINVAL);
	assert_int_equal(parse_seconds("inf", 10, &d), -EINVAL);
	assert_int_equal(parse_seconds(".5", 10, &d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_and_defaults),
		cmocka_unit_test(test_command_keeps_its_flags),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_probes_parse),
		cmocka_unit_test(test_numbers),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
