/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc parsing on fixture files, host metadata parsing, and series statistics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "inspect/metadata.h"
#include "inspect/procfs.h"
#include "core/resources.h"
#include "lib/util.h"

static const char *fixtures(void)
{
	const char *f = getenv("BINDPROF_FIXTURES");

	return f ? f : "tests/fixtures";
}

static char *fixture_path(const char *rel)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", fixtures(), rel);
	return buf;
}

static void test_stat_with_odd_comm(void **state)
{
	struct proc_stat st;

	assert_int_equal(procfs_read_stat(fixture_path("proc"), 1234, &st), 0);
	assert_string_equal(st.comm, "my (odd) proc");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.utime, 150);
	assert_int_equal(st.stime, 50);
	assert_int_equal(st.starttime, 98765);
	assert_int_equal(procfs_parse_stat("garbage", &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("1 (x) S 1 2 three", &st), -EINVAL);
}

static void test_memory(void **state)
{
	uint64_t kb;

	assert_int_equal(procfs_read_rss_kb(fixture_path("proc"), 1234, &kb), 0);
	assert_int_equal(kb, 18432);
	/* USS = Private_Clean + Private_Dirty + Private_Hugetlb */
	assert_int_equal(procfs_read_uss_kb(fixture_path("proc"), 1234, &kb), 0);
	assert_int_equal(kb, 2048 + 8192);
	assert_int_equal(procfs_parse_status_kb("VmRSS:\tabc kB\n", "VmRSS", &kb), -EINVAL);
	assert_int_equal(procfs_parse_status_kb("VmRSSX: 5 kB\n", "VmRSS", &kb), -ENOENT);
	assert_int_equal(procfs_read_rss_kb(fixture_path("proc"), 99999, &kb), -ENOENT);
}

static void test_cmdline_and_comm(void **state)
{
	char buf[256];

	assert_int_equal(procfs_read_cmdline(fixture_path("proc"), 1234, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "python3 -m http.server");
	assert_int_equal(procfs_read_comm(fixture_path("proc"), 1234, 1235, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "worker-1");
	assert_int_equal(procfs_alive(fixture_path("proc"), 1234), 1);
	assert_int_equal(procfs_alive(fixture_path("proc"), 4321), 0);
}

/* Out of descriptors (a profile run at ulimit -n 64): /proc/PID/stat cannot be opened, and a live
 * process must not read as gone (profile said "the app exited" of a running server). */
static void test_alive_without_descriptors(void **state)
{
	struct rlimit rl, low;
	int fds[64], n = 0;
	pid_t child = fork();

	if (!child)
		_exit(0);
	assert_true(child > 0);
	waitpid(child, NULL, 0); /* reaped: a pid that no longer exists */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	low = rl;
	low.rlim_cur = 32;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < 64 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	assert_true(n < 64 && errno == EMFILE);
	assert_int_equal(procfs_alive("/proc", getpid()), 1);
	assert_int_equal(procfs_alive("/proc", child), 0);
	while (n--)
		close(fds[n]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(procfs_alive("/proc", getpid()), 1);
}

static void test_mapped_lib(void **state)
{
	char path[PATH_MAX];

	/* the live copy, not the deleted one mapped first */
	assert_int_equal(procfs_find_mapped_lib(fixture_path("proc"), 1234, "libffi.so", path, sizeof(path)), 0);
	assert_string_equal(path, "/usr/lib/x86_64-linux-gnu/libffi.so.8.1.2");
	assert_int_equal(procfs_find_mapped_lib(fixture_path("proc"), 1234, "libz.so.1", path, sizeof(path)), 0);
	assert_string_equal(path, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
	assert_int_equal(procfs_find_mapped_lib(fixture_path("proc"), 1234, "libssl.so", path, sizeof(path)), -ENOENT);
	assert_int_equal(procfs_find_mapped_lib(fixture_path("proc"), 1234, "libffi.so", path, 10), -ENAMETOOLONG);
	assert_int_equal(procfs_find_mapped_lib(fixture_path("proc"), 99999, "libffi.so", path, sizeof(path)), -ENOENT);
	/* a wheel's bundled copy, and names that only look alike */
	assert_int_equal(procfs_parse_mapped_lib("7f00-7f01 r-xp 0 fe:01 1 /venv/lib/cffi.libs/libffi-9c61262e.so.8.1.0\n",
						 "libffi.so", path, sizeof(path)),
			 0);
	assert_string_equal(path, "/venv/lib/cffi.libs/libffi-9c61262e.so.8.1.0");
	assert_int_equal(procfs_lib_name_matches("libffi.so", "libffi.so"), 1);
	assert_int_equal(procfs_lib_name_matches("libffi.so.7", "libffi.so"), 1);
	assert_int_equal(procfs_lib_name_matches("libffiX.so.8", "libffi.so"), 0);
	assert_int_equal(procfs_lib_name_matches("libffi-.so.8", "libffi.so"), 0);
	assert_int_equal(procfs_lib_name_matches("libffi-3.a", "libffi.so"), 0);
	assert_int_equal(procfs_lib_name_matches("libffi.sox", "libffi.so"), 0);
	assert_int_equal(procfs_lib_name_matches("libz.so.1.2.13", "libz.so.1"), 1);
	assert_int_equal(procfs_lib_name_matches("libz.so.12", "libz.so.1"), 0);
	assert_int_equal(procfs_lib_name_matches("x", ""), 0);
	assert_int_equal(procfs_parse_mapped_lib("", "libffi.so", path, sizeof(path)), -ENOENT);
	assert_int_equal(procfs_parse_mapped_lib("7f00-7f01 rw-p 0 00:00 0 [heap]", "libffi.so", path, sizeof(path)),
			 -ENOENT);
}

static void test_mapped_lib_live(void **state)
{
	char path[PATH_MAX];

	/* this test process maps libc: found from the real /proc too */
	assert_int_equal(procfs_find_mapped_lib("/proc", getpid(), "libc.so", path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/libc.so"));
	assert_int_equal(access(path, R_OK), 0);
}

static void test_host_fields(void **state)
{
	char *buf, out[256];

	assert_int_equal(read_file(fixture_path("proc/cpuinfo"), &buf, NULL), 0);
	assert_int_equal(cpuinfo_model(buf, out, sizeof(out)), 0);
	assert_string_equal(out, "AMD EPYC 7B13 64-Core Processor");
	free(buf);
	assert_int_equal(read_file(fixture_path("os-release"), &buf, NULL), 0);
	assert_int_equal(os_release_name(buf, out, sizeof(out)), 0);
	assert_string_equal(out, "Debian GNU/Linux 12 (bookworm)");
	free(buf);
	assert_int_equal(cpuinfo_model("processor : 0\n", out, sizeof(out)), -ENOENT);
}

static void test_host_json_from_fixture(void **state)
{
	cJSON *h = host_to_json(fixture_path("proc"));

	assert_string_equal(cJSON_GetObjectItem(h, "cpu_model")->valuestring,
			    "AMD EPYC 7B13 64-Core Processor");
	/* 24601328 kB = 23.46 GiB, rounded to 0.1 */
	assert_true(cJSON_GetObjectItem(h, "memory_gb")->valuedouble == 23.5);
	cJSON_Delete(h);
}

static void test_series_stats(void **state)
{
	double v[20];
	struct series_stats s;

	for (int i = 0; i < 20; i++)
		v[19 - i] = i + 1; /* 20..1, unsorted input */
	series_stats(v, 20, &s);
	assert_int_equal(s.n, 20);
	assert_true(s.avg == 10.5);
	assert_true(s.peak == 20);
	assert_true(s.p95 == 19); /* nearest rank: ceil(0.95 * 20) = 19th value */
	series_stats(v, 0, &s);
	assert_int_equal(s.n, 0);
}

static void test_resources_on_fixture(void **state)
{
	struct resources *r = resources__new(fixture_path("proc"));
	int pids[] = { 1234, 5555 /* absent: skipped */ };
	cJSON *j;

	resources__sample(r, pids, 2, true);
	resources__sample(r, pids, 2, true);
	j = resources__to_json(r);
	/* the fixture does not change: no CPU used, RSS 18 MB, USS 10 MB */
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "cpu"), "avg_percent")->valuedouble == 0);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "memory"), "peak_mb")->valuedouble == 18);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "memory"), "uss_peak_mb")->valuedouble == 10);
	cJSON_Delete(j);
	resources__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_with_odd_comm),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_cmdline_and_comm),
		cmocka_unit_test(test_mapped_lib),
		cmocka_unit_test(test_mapped_lib_live),
		cmocka_unit_test(test_host_fields),
		cmocka_unit_test(test_host_json_from_fixture),
		cmocka_unit_test(test_series_stats),
		cmocka_unit_test(test_alive_without_descriptors),
		cmocka_unit_test(test_resources_on_fixture),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
