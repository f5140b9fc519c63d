/* SPDX-License-Identifier: GPL-2.0-only */
/* Method tables built at run time (inspect/heapmeth.h), searched in this test's own memory: a
 * malloc'd PyMethodDef-shaped array whose functions are in this executable is found, with each
 * function's file address and name; entries with a non-identifier name or bad flags are not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <cmocka.h>
#include "inspect/heapmeth.h"

struct def {
	const char *name;
	void *meth;
	int flags;
	const char *doc;
};

__attribute__((noinline)) int heapmeth_fixture_a(int x)
{
	return x + 1;
}

__attribute__((noinline)) int heapmeth_fixture_b(int x)
{
	return x * 3;
}

static void test_scan_self(void **state)
{
	char exe[PATH_MAX], line[PATH_MAX + 128];
	struct def *t = calloc(5, sizeof(*t));
	struct heap_method hm[16];
	uint64_t scanned = 0, base = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *good = strdup("spin_it"), *bad = strdup("not a name");
	FILE *m;
	int found;

	assert_true(n > 0);
	exe[n] = '\0';
	t[0] = (struct def){ good, (void *)heapmeth_fixture_a, 0x4, NULL };            /* METH_NOARGS */
	t[1] = (struct def){ "add", (void *)heapmeth_fixture_b, 0x80 | 0x2, NULL };    /* FASTCALL|KEYWORDS */
	t[2] = (struct def){ bad, (void *)heapmeth_fixture_a, 0x1, NULL };             /* not an identifier */
	t[3] = (struct def){ "flags", (void *)heapmeth_fixture_b, 0x4000, NULL };      /* not METH_* bits */
	found = heapmeth_scan(getpid(), exe, hm, 16, &scanned);
	assert_true(scanned > 0);
	/* the file address of a function: its address less the mapping of offset 0 */
	m = fopen("/proc/self/maps", "r");
	assert_non_null(m);
	while (fgets(line, sizeof(line), m)) {
		unsigned long long lo, off;

		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, exe) && sscanf(line, "%llx-%*x %*s %llx", &lo, &off) == 2 && !off) {
			base = lo;
			break;
		}
	}
	fclose(m);
	assert_true(base);
	{
		bool a = false, b = false;

		for (int i = 0; i < found; i++) {
			if (hm[i].vaddr == (uint64_t)(uintptr_t)heapmeth_fixture_a - base) {
				assert_string_equal(hm[i].name, "spin_it");
				a = true;
			}
			if (hm[i].vaddr == (uint64_t)(uintptr_t)heapmeth_fixture_b - base) {
				assert_string_equal(hm[i].name, "add");
				b = true;
			}
			assert_string_not_equal(hm[i].name, "flags");
		}
#if defined(__SANITIZE_ADDRESS__)
		/* ASan's allocator is not malloc's [heap], and its shadow memory (anonymous, terabytes
		 * reserved) uses up the bytes a scan reads: only the absence of memory errors is checked */
		(void)a, (void)b;
#else
		assert_true(a && b);
#endif
	}
	assert_int_equal(heapmeth_scan(getpid(), "/nonexistent/lib.so", hm, 16, &scanned), -ENOENT);
	free(t);
	free(good);
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
