/* SPDX-License-Identifier: GPL-2.0-only */
/* ffidirect N: N direct calls of libffitest's ffitest_add through a function pointer (dlopen),
 * printing the nanoseconds per call: the baseline the FFI tests compare a binding's overhead with. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, s = 0;
	void *h = dlopen(argc > 2 ? argv[2] : "build/tools/libffitest.so", RTLD_NOW);
	long (*add)(long, long) = h ? (long (*)(long, long))dlsym(h, "ffitest_add") : NULL;
	struct timespec a, b;

	if (!add) {
		fprintf(stderr, "ffidirect: %s\n", dlerror());
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		s += add(i, 1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f ns/call (sum %ld)\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n, s);
	return 0;
}
