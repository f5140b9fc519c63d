/* SPDX-License-Identifier: GPL-2.0-only */
/* sysloop: a test target with a known ground truth of syscalls.
 *
 *   sysloop [--getppid N] [--sleeps M] [--sleep-us US] [--fail K] [--thread-getppid W]
 *           [--alloc-mb MB] [--spin-ms MS] [--wait-signal] [--linger-ms MS]
 *
 * Makes exactly N getppid() calls, M nanosleep() calls of US microseconds (raw syscalls, so glibc
 * does not turn them into clock_nanosleep), K fchdir(-1) calls that fail with EBADF, and, in a
 * thread named "worker", W more getppid() calls. --alloc-mb touches MB MiB of memory and keeps
 * it; --spin-ms burns MS ms of CPU in user space. With --wait-signal it first waits for SIGUSR1,
 * so a profiler can attach with -p before the work starts. Prints "ready <pid>" when waiting. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long getppid_n, sleeps, sleep_us = 2000, fails, thread_n, linger_ms, alloc_mb, spin_ms;
static int wait_signal;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void *worker(void *arg)
{
	/* named by itself, first: named by its creator after pthread_create, it could make its calls
	 * and exit before the rename (seen once: no thread named "worker" in a profile) */
	prctl(PR_SET_NAME, "worker");
	for (long i = 0; i < thread_n; i++)
		syscall(SYS_getppid);
	return arg;
}

static long arg_num(int argc, char **argv, int *i)
{
	char *end;
	long v;

	if (*i + 1 >= argc) {
		fprintf(stderr, "sysloop: %s needs a value\n", argv[*i]);
		exit(2);
	}
	v = strtol(argv[++*i], &end, 10);
	if (*end || v < 0) {
		fprintf(stderr, "sysloop: bad value '%s'\n", argv[*i]);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	double *slept;
	pthread_t th;
	sigset_t set;
	int sig;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--getppid"))
			getppid_n = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--sleeps"))
			sleeps = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--sleep-us"))
			sleep_us = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--fail"))
			fails = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--thread-getppid"))
			thread_n = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--alloc-mb"))
			alloc_mb = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--spin-ms"))
			spin_ms = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--linger-ms"))
			linger_ms = arg_num(argc, argv, &i);
		else if (!strcmp(argv[i], "--wait-signal"))
			wait_signal = 1;
		else {
			fprintf(stderr, "sysloop: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (wait_signal) {
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("ready %d\n", getpid());
		fflush(stdout);
		sigwait(&set, &sig);
	}
	{
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < getppid_n; i++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (getppid_n >= 100000) /* a benchmark-sized loop: report its cost per call */
			printf("getppid_ns %.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) /
							 getppid_n);
	}
	ts.tv_sec = sleep_us / 1000000;
	ts.tv_nsec = (sleep_us % 1000000) * 1000;
	/* The kernel's default 50 us timer slack would lengthen every sleep; ask for none. Each
	 * sleep is timed here too, so a test can compare the profiler's p50 with the truth. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	slept = calloc(sleeps ? sleeps : 1, sizeof(*slept));
	for (long i = 0; i < sleeps; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		syscall(SYS_nanosleep, &ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		slept[i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
	}
	if (sleeps) {
		double total = 0;

		for (long i = 0; i < sleeps; i++)
			total += slept[i];
		printf("nanosleep_total_us %.3f\n", total);
		qsort(slept, sleeps, sizeof(*slept), cmp_double);
		/* nearest-rank median, as the profiler computes it */
		printf("nanosleep_p50_us %.3f\n", slept[(sleeps + 1) / 2 - 1]);
		fflush(stdout);
	}
	free(slept);
	for (long i = 0; i < fails; i++)
		syscall(SYS_fchdir, -1);
	if (thread_n) {
		pthread_create(&th, NULL, worker, NULL);
		pthread_join(th, NULL);
	}
	if (alloc_mb) {
		char *mem = malloc(alloc_mb << 20);

		if (!mem)
			return 1;
		memset(mem, 0x5a, alloc_mb << 20); /* touched: resident and private */
		__asm__ volatile("" : : "r"(mem) : "memory");
	}
	if (spin_ms) {
		struct timespec a, b, wa, wb;
		volatile unsigned long x = 0;

		clock_gettime(CLOCK_MONOTONIC, &wa);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		do {
			for (int k = 0; k < 100000; k++)
				x += k;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < spin_ms);
		clock_gettime(CLOCK_MONOTONIC, &wb);
		/* the spin's wall time: its CPU share on a busy host is spin_ms over this */
		printf("spin_wall_ms %.1f\n", (wb.tv_sec - wa.tv_sec) * 1e3 + (wb.tv_nsec - wa.tv_nsec) / 1e6);
	}
	if (alloc_mb || spin_ms) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru); /* the CPU truth a profiler's sampling should match */
		printf("cpu_ms %.1f\n", (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
						 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
		fflush(stdout);
	}
	if (linger_ms) {
		ts.tv_sec = linger_ms / 1000;
		ts.tv_nsec = (linger_ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
	return 0;
}
