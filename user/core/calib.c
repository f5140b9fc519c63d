/* SPDX-License-Identifier: GPL-2.0-only */
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "core/calib.h"

static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

double calib_syscall_ns(void)
{
	double best = 0;

	for (int r = 0; r < CALIB_REPEATS; r++) {
		double t0 = thread_cpu_ns(), t;

		for (int i = 0; i < CALIB_LOOPS; i++)
			syscall(SYS_getppid);
		t = (thread_cpu_ns() - t0) / CALIB_LOOPS;
		if (r == 0 || t < best)
			best = t;
	}
	return best;
}
