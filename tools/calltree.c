/* SPDX-License-Identifier: GPL-2.0-only */
/* A native program with a known call tree for the stack tests: main -> a -> b burns 70% of its
 * CPU, main -> a -> c burns 30% (the same loop, 7 and 3 units per round). Built twice: with and
 * without frame pointers (build/tools/calltree, build/tools/calltree-nofp).
 * usage: calltree SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static __attribute__((noinline)) void burn(int units)
{
	unsigned long x = sink;

	for (long i = 0; i < units * 200000L; i++) {
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		asm volatile("" : "+r"(x));
	}
	sink = x;
}

__attribute__((noinline)) void b(void)
{
	burn(7);
	asm volatile("");
}

__attribute__((noinline)) void c(void)
{
	burn(3);
	asm volatile("");
}

__attribute__((noinline)) void a(void)
{
	b();
	c();
	asm volatile("");
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		a();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	printf("%lu\n", sink);
	return 0;
}
