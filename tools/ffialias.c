/* SPDX-License-Identifier: GPL-2.0-only */
/* ffialias N [MS]: after MS ms (default 300: so that a profiler started with it has attached, and
 * found libc in its maps), N calls of libc's
 * strtol and 2N of strtoll, one function under two names (with strtoq and strtoimax), through
 * volatile pointers; prints the sum. The ground truth of the FFI tests' alias case. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = 0, s = 0;
	long (*volatile l)(const char *, char **, int) = strtol;
	long long (*volatile ll)(const char *, char **, int) = strtoll;
	struct timespec d = { 0, 300000000 };

	long ms = 0;

	/* N and MS parsed by hand: atol would call strtol itself */
	for (const char *c = argc > 1 ? argv[1] : "200"; *c >= '0' && *c <= '9'; c++)
		n = 10 * n + (*c - '0');
	for (const char *c = argc > 2 ? argv[2] : "300"; *c >= '0' && *c <= '9'; c++)
		ms = 10 * ms + (*c - '0');
	d.tv_sec = ms / 1000;
	d.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&d, NULL);
	for (long i = 0; i < n; i++)
		s += l("12345", NULL, 10);
	for (long i = 0; i < 2 * n; i++)
		s += ll("12345", NULL, 10);
	printf("%ld\n", s);
	return 0;
}
