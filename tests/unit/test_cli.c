/* SPDX-License-Identifier: GPL-2.0-only */
/* Argument parsing of `record`, `profile`, `compare` and --probes: every bad input is refused with
 * a message; the usage is printed from the tables within 100 columns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/probes.h"
#include "cli/compare.h"
#include "cli/options.h"
#include "cli/profile.h"
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


/* Regression: "syscalls" contains "all"; only the word all turns on the exact GIL method. */
static void test_probes_all_is_a_word(void **state)
{
	struct record_opts o;
	struct profile_opts po;
	char err[256];

	assert_int_equal(parse(ARGV("-p", "1", "--probes", "syscalls,gil"), &o, err), 0);
	assert_int_equal(o.probes, PROBE_BIT(PROBE_SYSCALLS) | PROBE_BIT(PROBE_GIL));
	assert_false(o.gil_exact);
	assert_int_equal(parse(ARGV("-p", "1", "--probes", "gil,all"), &o, err), 0);
	assert_int_equal(o.probes, PROBES_ALL);
	assert_true(o.gil_exact);
	assert_int_equal(parse(ARGV("-p", "1", "--probes", "all", "--gil-method", "cheap"), &o, err), 0);
	assert_false(o.gil_exact);
	assert_false(probes_names_all("syscalls"));
	assert_false(probes_names_all("alls,gil"));
	assert_false(probes_names_all(""));
	assert_true(probes_names_all("all"));
	assert_true(probes_names_all("syscalls,all"));
	/* profile: the same rule */
	assert_int_equal(profile_opts_parse(6, (char *[]){ "profile", "--url", "http://127.0.0.1:1", "-p", "1",
							  "--probes", NULL }, &po, err, 256), -EINVAL);
	assert_int_equal(profile_opts_parse(7, (char *[]){ "profile", "--url", "http://127.0.0.1:1", "-p", "1",
							  "--probes", "syscalls,gil", NULL }, &po, err, 256), 0);
	assert_false(po.probes_all);
	assert_int_equal(po.probes, PROBE_BIT(PROBE_SYSCALLS) | PROBE_BIT(PROBE_GIL));
}

#define PARGV(...) ((char *[]){ "profile", __VA_ARGS__, NULL })

static int pparse(char **argv, struct profile_opts *o, char *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return profile_opts_parse(argc, argv, o, err, 256);
}

static void test_profile_parse(void **state)
{
	struct profile_opts o;
	char err[256];

	assert_int_equal(pparse(PARGV("--url", "http://127.0.0.1:8000", "--app-cmd", "app"), &o, err), 0);
	assert_string_equal(o.suite, "all");
	assert_true(o.duration == 10 && o.warmup == 3);
	assert_int_equal(o.concurrency, 50);
	assert_int_equal(o.repeats, 1);
	assert_int_equal(o.probes, PROBES_DEFAULT); /* record's default set: one definition */
	assert_int_equal(o.gil_method, -1);
	assert_string_equal(o.output, "bindprof-profile.json");
	assert_int_equal(pparse(PARGV("--url", "u", "-p", "7", "--probes", "none", "--repeats", "3", "-t", "99",
				      "--concurrency", "4", "--warmup", "0", "--ffi", "libz.so.1", "--format", "table",
				      "--gil-method", "exact", "-o", "x.json"),
			       &o, err),
			 0);
	assert_int_equal(o.pid, 7);
	assert_int_equal(o.probes, 0);
	assert_int_equal(o.repeats, 3);
	assert_int_equal(o.threads, 4); /* at most one per connection */
	assert_true(o.warmup == 0);
	assert_int_equal(o.nffi, 1);
	assert_true(o.table);
	assert_int_equal(o.gil_method, 1);
	assert_int_equal(pparse(PARGV("--help"), &o, err), 0);
	assert_true(o.help);
}

static void test_profile_bad_inputs(void **state)
{
	const struct {
		char **argv;
		const char *msg;
	} cases[] = {
		{ PARGV("--app-cmd", "x"), "--url is required (the app's base URL, e.g. http://127.0.0.1:8000)" },
		{ PARGV("--url", "u"), "give the app as --app-cmd CMD or -p PID (one of them)" },
		{ PARGV("--url", "u", "-p", "1", "--app-cmd", "x"), "give the app as --app-cmd CMD or -p PID (one of them)" },
		{ PARGV("--url", "u", "-p", "1", "--repeats", "0"), "--repeats: invalid number '0'" },
		{ PARGV("--url", "u", "-p", "1", "--duration", "-1"), "--duration: invalid value '-1' (> 0)" },
		{ PARGV("--url", "u", "-p", "1", "--warmup", "nan"), "--warmup: invalid value 'nan' (seconds >= 0)" },
		{ PARGV("--url", "u", "-p", "1", "--probes", "gil,x"),
		  "--probes: unknown probe 'x' (syscalls,gil,gc,ffi,requests,stacks,all,none)" },
		{ PARGV("--url", "u", "-p", "1", "--gil-method", "fast"), "--gil-method: unknown method 'fast' (cheap, exact)" },
		{ PARGV("--url", "u", "-p", "1", "--health-path", "x"), "--health-path: 'x' is not a path (it starts with '/')" },
		{ PARGV("--url", "u", "-p", "1", "--format", "pdf"), "--format: unknown format 'pdf' (json, table)" },
		{ PARGV("--url", "u", "-p", "1", "stray"), "unexpected argument 'stray'" },
		{ PARGV("--url", "u", "-p", "1", "--bogus"), "unknown option '--bogus'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct profile_opts o;
		char err[256] = "";

		assert_int_equal(pparse(cases[i].argv, &o, err), -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

#define CARGV(...) ((char *[]){ "compare", __VA_ARGS__, NULL })

static int cparse(char **argv, struct compare_opts *o, char *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return compare_opts_parse(argc, argv, o, err, 256);
}

static void test_compare_parse(void **state)
{
	struct compare_opts o;
	char err[256] = "";

	assert_int_equal(cparse(CARGV("a.json", "b.json", "--noise", "5", "--report", "r.md"), &o, err), 0);
	assert_int_equal(o.nfiles, 2);
	assert_string_equal(o.files[1], "b.json");
	assert_true(o.noise == 5);
	assert_null(o.output);
	/* the load options go straight into the rounds' profile options */
	assert_int_equal(cparse(CARGV("--frameworks", "a,b", "--apps", "d", "--repeats", "7", "--suite", "mini",
				      "--duration", "2", "--concurrency", "8", "-t", "2", "--probes", "gil",
				      "--ffi", "libz.so.1"),
			       &o, err),
			 0);
	assert_int_equal(o.rounds, 7);
	assert_string_equal(o.prof.suite, "mini");
	assert_true(o.prof.duration == 2);
	assert_int_equal(o.prof.concurrency, 8);
	assert_int_equal(o.prof.threads, 2);
	assert_int_equal(o.prof.probes, PROBE_BIT(PROBE_GIL));
	assert_int_equal(o.prof.nffi, 1);
	assert_int_equal(cparse(CARGV("--frameworks", "a,b", "--apps", "d"), &o, err), 0);
	assert_int_equal(o.rounds, 9);
	assert_int_equal(o.prof.probes, PROBES_DEFAULT);
}

static void test_compare_bad_inputs(void **state)
{
	const struct {
		char **argv;
		const char *msg;
	} cases[] = {
		{ CARGV("a.json"), "give 2 to 16 profile files, or --frameworks A,B --apps DIR" },
		{ CARGV("a.json", "b.json", "--suite", "x"), "--suite, --repeats and the load options apply to --frameworks runs only" },
		{ CARGV("a.json", "b.json", "--repeats", "3"), "--suite, --repeats and the load options apply to --frameworks runs only" },
		{ CARGV("--frameworks", "a,b"), "--frameworks and --apps go together (the apps DIR/NAME/bindprof-app.json)" },
		{ CARGV("--frameworks", "a,b", "--apps", "d", "x.json"),
		  "give either --frameworks with --apps or result files, not both ('x.json')" },
		{ CARGV("--frameworks", "a,b", "--apps", "d", "--repeats", "300"), "--repeats: at most 256" },
		{ CARGV("a.json", "b.json", "--noise", "x"), "--noise: invalid percent 'x'" },
		{ CARGV("--frameworks", "a,b", "--apps", "d", "--duration", "0"), "--duration: invalid value '0' (> 0)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct compare_opts o;
		char err[256] = "";

		assert_int_equal(cparse(cases[i].argv, &o, err), -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

/* Every usage line within 100 columns, every option of the table listed once. */
static void check_usage(void (*usage)(FILE *), const struct cli_option *opts)
{
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	usage(f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_in_range(strlen(line), 0, 100);
	free(buf);
	for (const struct cli_option *o = opts; o->name; o++) {
		char want[64];

		f = open_memstream(&buf, &len);
		usage(f);
		fclose(f);
		snprintf(want, sizeof(want), "--%s", o->name);
		assert_non_null(strstr(buf, want));
		free(buf);
	}
}

static void test_usages_from_tables(void **state)
{
	check_usage(record_usage, record_options);
	check_usage(profile_usage, profile_options);
	check_usage(compare_usage, compare_options);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_and_defaults),
		cmocka_unit_test(test_command_keeps_its_flags),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_probes_parse),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_probes_all_is_a_word),
		cmocka_unit_test(test_profile_parse),
		cmocka_unit_test(test_profile_bad_inputs),
		cmocka_unit_test(test_compare_parse),
		cmocka_unit_test(test_compare_bad_inputs),
		cmocka_unit_test(test_usages_from_tables),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
