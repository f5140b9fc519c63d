/* SPDX-License-Identifier: GPL-2.0-only */
/* libffitest: native functions of known cost for the FFI tests, called from Python through
 * ctypes, cffi and the ffiext C extension (tools/ffiext.c), and directly (tools/ffidirect.c).
 *   ffitest_add        a trivial add
 *   ffitest_busy_50us  a 50 us busy loop (CLOCK_MONOTONIC)
 *   ffitest_sleep_1ms  a 1 ms sleep (clock_nanosleep)
 *   ffitest_callback   calls cb(i) for i in 0..n-1: native -> Python -> native
 *   ffitest_empty10    an empty function of 10 arguments (the binding layer's ground truth)
 *   ffitest_c_empty10_ns(n)  n calls of it from C (through a volatile pointer): thread CPU ns
 *                      per call, the same call without a binding
 * By the instruction an entry uprobe lands on (the kernel emulates push, single-steps mov, sub):
 *   ffitest_add        lea: single-stepped
 *   ffitest_add_fp     the same add with a frame pointer: push %rbp, emulated (assembly)
 *   ffitest_busy_50us  push: emulated
 *   ffitest_busy_50us_stepped  sub %rsp (no place past it is safe), then ffitest_busy_50us:
 *                      single-stepped (assembly, so the compiler cannot change it) */
#include <stdint.h>
#include <time.h>

#define API __attribute__((visibility("default"), noinline))

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

API long ffitest_add(long a, long b)
{
	asm volatile("");
	return a + b;
}

API void ffitest_busy_50us(void)
{
	uint64_t end = mono_ns() + 50000;

	while (mono_ns() < end)
		asm volatile("");
}

API void ffitest_sleep_1ms(void)
{
	struct timespec ts = { 0, 1000000 };

	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

API void ffitest_empty10(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j)
{
	asm volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d), "r"(e), "r"(f), "r"(g), "r"(h), "r"(i), "r"(j));
}

API double ffitest_c_empty10_ns(long n)
{
	void (*volatile fn)(long, long, long, long, long, long, long, long, long, long) = ffitest_empty10;
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (long k = 0; k < n; k++)
		fn(k, 1, 2, 3, 4, 5, 6, 7, 8, 9);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}

API long ffitest_callback(long (*cb)(long), long n)
{
	long s = 0;

	for (long i = 0; i < n; i++)
		s += cb(i);
	return s;
}

__asm__(".text\n.globl ffitest_busy_50us_stepped\n.type ffitest_busy_50us_stepped,@function\n"
	"ffitest_busy_50us_stepped:\n\tsub $8, %rsp\n\tcall ffitest_busy_50us_local\n\tadd $8, %rsp\n\tret\n"
	".size ffitest_busy_50us_stepped, .-ffitest_busy_50us_stepped\n"
	".set ffitest_busy_50us_local, ffitest_busy_50us\n"
	".globl ffitest_add_fp\n.type ffitest_add_fp,@function\n"
	"ffitest_add_fp:\n\tpush %rbp\n\tmov %rsp, %rbp\n\tlea (%rdi,%rsi), %rax\n\tpop %rbp\n\tret\n"
	".size ffitest_add_fp, .-ffitest_add_fp\n");
