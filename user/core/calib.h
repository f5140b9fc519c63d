/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-hit probe cost, calibrated at start-up on this kernel by bindprof's own process. */
#ifndef BINDPROF_CALIB_H
#define BINDPROF_CALIB_H

#define CALIB_LOOPS 50000
#define CALIB_REPEATS 3

/* CPU time (ns, this thread's, user + kernel) per getppid() syscall: the fastest of
 * CALIB_REPEATS loops of CALIB_LOOPS calls. */
double calib_syscall_ns(void);

#endif
