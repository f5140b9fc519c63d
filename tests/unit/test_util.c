/* SPDX-License-Identifier: GPL-2.0-only */
/* lib/util: bounded whole-file reads, the comparator and the thread-CPU clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "lib/util.h"

static void test_read_regular_and_proc(void **state)
{
	char path[] = "/tmp/bindprof-util-XXXXXX", *buf;
	size_t len;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	assert_int_equal(read_file(path, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "hello\n");
	free(buf);
	/* the cap: at the limit is fine, one byte over is refused */
	assert_int_equal(read_file_max(path, 6, &buf, &len), 0);
	free(buf);
	assert_int_equal(read_file_max(path, 5, &buf, &len), -EFBIG);
	unlink(path);
	/* /proc files are regular with st_size 0: read whole */
	assert_int_equal(read_file("/proc/self/status", &buf, &len), 0);
	assert_non_null(strstr(buf, "VmRSS"));
	assert_true(len > 100);
	free(buf);
}

static void test_refuses_what_never_ends(void **state)
{
	char dir[] = "/tmp/bindprof-util-XXXXXX", fifo[64], *buf = NULL;
	uint64_t t0;

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* a FIFO with no writer hung report/diff/compare forever; now refused at once */
	t0 = now_ns();
	assert_int_equal(read_file(fifo, &buf, NULL), -EINVAL);
	assert_true(now_ns() - t0 < 1000000000ull);
	/* /dev/zero (a suite's body_file) grew memory without limit */
	assert_int_equal(read_file("/dev/zero", &buf, NULL), -EINVAL);
	assert_int_equal(read_file(dir, &buf, NULL), -EISDIR);
	assert_int_equal(read_file("/nonexistent/x", &buf, NULL), -ENOENT);
	assert_null(buf);
	unlink(fifo);
	rmdir(dir);
}

static void test_cmp_double_asc(void **state)
{
	double v[] = { 3, -1, 2.5, 1e9, -1e-9, 0 };

	qsort(v, 6, sizeof(v[0]), cmp_double_asc);
	for (int i = 1; i < 6; i++)
		assert_true(v[i - 1] <= v[i]);
	assert_true(v[0] == -1 && v[5] == 1e9);
	assert_int_equal(cmp_double_asc(&v[2], &v[2]), 0);
}

static void test_thread_cpu_clock(void **state)
{
	double t0 = thread_cpu_ns(), t1, t2;
	volatile double x = 0;
	uint64_t w0 = now_ns();

	/* it counts this thread's CPU: a busy loop of >= 20 ms of CPU shows as >= 20 ms ... */
	while (thread_cpu_ns() - t0 < 20e6)
		x += 1;
	t1 = thread_cpu_ns();
	assert_true(t1 - t0 >= 20e6);
	/* ... never more than the wall time it took (one thread uses one CPU at most) */
	assert_true(t1 - t0 <= (double)(now_ns() - w0) + 1e6);
	/* and a sleep adds (almost) nothing: not a wall clock */
	usleep(50000);
	t2 = thread_cpu_ns();
	assert_true(t2 - t1 < 10e6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_regular_and_proc),
		cmocka_unit_test(test_refuses_what_never_ends),
		cmocka_unit_test(test_cmp_double_asc),
		cmocka_unit_test(test_thread_cpu_clock),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
