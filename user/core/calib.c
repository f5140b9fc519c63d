/* SPDX-License-Identifier: GPL-2.0-only */
#include <sys/syscall.h>
#include <unistd.h>
#include "core/calib.h"
#include "lib/util.h"

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
