/* SPDX-License-Identifier: GPL-2.0-only */
/* ffiload: dynamic loads in a loop, for the FFI tests of late loads (tests/integration/test_ffi.py).
 *   ffiload SECONDS PERIOD_US [--then LIB:SYMBOL:N] LIB...
 * For SECONDS (0: until killed), loads each LIB in turn (dlopen RTLD_NOW), calls its first
 * function found among atom_inc, ffitest_add, and unloads it (dlclose), PERIOD_US microseconds
 * apart (0: as fast as it can: a storm). Then, with --then, loads LIB once and calls SYMBOL (a
 * long (long, long) function) N times. At the end it prints one JSON line: the load/unload
 * cycles, the seconds they took, and how many SIGCONTs it received (each stop by a profiler
 * ends with one: its own count of the times it was stopped and continued). */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t conts;

static void on_cont(int sig)
{
	(void)sig;
	conts++;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs, t0, t1;
	long period, cycles = 0, then_n = 0, sum = 0;
	char then_lib[4096] = "", then_sym[256] = "";
	struct sigaction sa = { .sa_handler = on_cont, .sa_flags = SA_RESTART };
	int first = 3;

	if (argc < 4) {
		fprintf(stderr, "usage: ffiload SECONDS PERIOD_US [--then LIB:SYMBOL:N] LIB...\n");
		return 2;
	}
	secs = atof(argv[1]);
	period = atol(argv[2]);
	if (!strcmp(argv[3], "--then") && argc > 5) {
		char *a = argv[4], *c1 = strchr(a, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2) {
			fprintf(stderr, "ffiload: --then LIB:SYMBOL:N\n");
			return 2;
		}
		snprintf(then_lib, sizeof(then_lib), "%.*s", (int)(c1 - a), a);
		snprintf(then_sym, sizeof(then_sym), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		then_n = atol(c2 + 1);
		first = 5;
	}
	sigaction(SIGCONT, &sa, NULL);
	t0 = mono();
	while (!secs || mono() - t0 < secs) {
		for (int i = first; i < argc; i++) {
			void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
			void (*inc)(void);
			long (*add)(long, long);

			if (!h) {
				fprintf(stderr, "ffiload: %s\n", dlerror());
				return 2;
			}
			if ((inc = (void (*)(void))dlsym(h, "atom_inc")))
				inc();
			else if ((add = (long (*)(long, long))dlsym(h, "ffitest_add")))
				sum += add(1, 2);
			dlclose(h);
			cycles++;
			if (period) {
				struct timespec d = { period / 1000000, (period % 1000000) * 1000 };

				nanosleep(&d, NULL);
			}
		}
	}
	t1 = mono();
	if (then_n) {
		void *h = dlopen(then_lib, RTLD_NOW);
		long (*f)(long, long) = h ? (long (*)(long, long))dlsym(h, then_sym) : NULL;

		if (!f) {
			fprintf(stderr, "ffiload: %s\n", dlerror());
			return 2;
		}
		for (long i = 0; i < then_n; i++)
			sum += f(i, 1);
	}
	printf("{\"cycles\": %ld, \"seconds\": %.3f, \"sigconts\": %d, \"sum\": %ld}\n", cycles, t1 - t0, (int)conts, sum);
	return 0;
}
