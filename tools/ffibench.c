/* SPDX-License-Identifier: GPL-2.0-only */
/* ffibench N LIB:FUNC:SIG...: after 0.2 s (a profiler started with it has attached), for each
 * function in turn, N calls of FUNC in LIB (dlopen), and one line: the function, the thread CPU
 * time and the wall time per call, ns. The per-call inflation of --ffi is the difference with
 * and without the probes (scripts/bench/ffi.sh). SIG is the function's signature:
 *   z  unsigned long f(unsigned long, const void *, unsigned)   crc32, adler32 (64 bytes)
 *   d  double f(double)                                         sin, exp, floor
 *   m  int f(const void *, const void *, size_t)                CRYPTO_memcmp (32 bytes)
 *   c  void f(void *, size_t)                                   OPENSSL_cleanse (32 bytes)
 *   s  void *f(const void *, size_t, void *)                    SHA256 (64 bytes)
 *   l  long f(long, long)                                       ffitest_add
 *   v  void f(void)                                             ffitest_busy_50us */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench(const char *spec, long n)
{
	static unsigned char buf[64], out[64];
	char lib[4096], name[256];
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	void *h, *fn;
	char sig;
	double c0, w0, c1t, w1, sink = 0;

	if (!c2) {
		fprintf(stderr, "ffibench: %s: LIB:FUNC:SIG\n", spec);
		return 2;
	}
	snprintf(lib, sizeof(lib), "%.*s", (int)(c1 - spec), spec);
	snprintf(name, sizeof(name), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	sig = c2[1];
	if (!(h = dlopen(lib, RTLD_NOW)) || !(fn = dlsym(h, name))) {
		fprintf(stderr, "ffibench: %s\n", dlerror());
		return 2;
	}
	c0 = ns(CLOCK_THREAD_CPUTIME_ID);
	w0 = ns(CLOCK_MONOTONIC);
	for (long i = 0; i < n; i++) {
		switch (sig) {
		case 'z': sink += ((unsigned long (*)(unsigned long, const void *, unsigned))fn)(0, buf, 64); break;
		case 'd': sink += ((double (*)(double))fn)(0.5 + i * 1e-6); break;
		case 'm': sink += ((int (*)(const void *, const void *, size_t))fn)(buf, out, 32); break;
		case 'c': ((void (*)(void *, size_t))fn)(out, 32); break;
		case 's': ((void *(*)(const void *, size_t, void *))fn)(buf, 64, out); break;
		case 'l': sink += ((long (*)(long, long))fn)(i, 1); break;
		case 'v': ((void (*)(void))fn)(); break;
		default: fprintf(stderr, "ffibench: unknown SIG %c\n", sig); return 2;
		}
	}
	c1t = ns(CLOCK_THREAD_CPUTIME_ID);
	w1 = ns(CLOCK_MONOTONIC);
	printf("%s %.1f cpu_ns/call %.1f wall_ns/call (%g)\n", name, (c1t - c0) / n, (w1 - w0) / n, sink > 0 ? 1.0 : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec d = { 0, 200000000 };
	long n;

	if (argc < 3) {
		fprintf(stderr, "usage: ffibench N LIB:FUNC:SIG...\n");
		return 2;
	}
	n = atol(argv[1]);
	nanosleep(&d, NULL);
	for (int i = 2; i < argc; i++)
		if (bench(argv[i], n))
			return 2;
	return 0;
}
