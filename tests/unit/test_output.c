/* SPDX-License-Identifier: GPL-2.0-only */
/* Syscall names, the JSON shapes of a syscall entry and the envelope, atomic writes, and runtime
 * version detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>
#include "stats/histogram.h"
#include "output/document.h"
#include "inspect/runtime.h"
#include "probes/syscall_names.h"
#include "probes/syscalls.h"
#include "lib/util.h"

static void test_syscall_names(void **state)
{
	FILE *f = popen("grep -cE '^#define __NR_[a-z0-9_]+ [0-9]+$' "
			"/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "r");
	unsigned named = 0, expected = 0, in_header = 0;

	assert_string_equal(syscall_name(0), "read");
	assert_string_equal(syscall_name(35), "nanosleep");
	assert_string_equal(syscall_name(81), "fchdir");
	assert_string_equal(syscall_name(110), "getppid");
	assert_string_equal(syscall_name(59), "execve");
	assert_null(syscall_name(100000));
	/* every number the header defines has its name in the table */
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u", &expected), 1);
	pclose(f);
	/* and the syscalls newer than the header that scripts/gen-syscalls.sh adds: 335, 451..462 */
	f = popen("grep -cE '^#define __NR_[a-z0-9_]+ (335|45[1-9]|46[0-2])$' "
		  "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u", &in_header), 1);
	pclose(f);
	for (unsigned i = 0; i < syscall_names_len; i++)
		named += syscall_names[i] != NULL;
	assert_int_equal(named, expected + 13 - in_header);
	assert_string_equal(syscall_name(335), "uretprobe");
	assert_string_equal(syscall_name(462), "mseal");
}

static void test_syscall_entry_json(void **state)
{
	struct syscall_stat *st = calloc(1, sizeof(*st));
	cJSON *j;

	/* 99 calls of 2 ms and one of 10 ms; 3 of them failed */
	st->count = 100;
	st->errors = 3;
	st->total_ns = 99 * 2000000ull + 10000000ull;
	st->max_ns = 10000000;
	st->hist[hist_slot(2000000)] = 99;
	st->hist[hist_slot(10000000)] = 1;
	j = syscall_stat_to_json("nanosleep", st);
	assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "nanosleep");
	assert_int_equal(cJSON_GetObjectItem(j, "count")->valueint, 100);
	assert_int_equal(cJSON_GetObjectItem(j, "errors")->valueint, 3);
	assert_true(cJSON_GetObjectItem(j, "total_ms")->valuedouble == 208.0);
	/* p50 and p99 fall in the 2 ms slot: within 1.6% of 2000 us */
	assert_true(cJSON_GetObjectItem(j, "p50_us")->valuedouble > 2000 * 0.984);
	assert_true(cJSON_GetObjectItem(j, "p50_us")->valuedouble < 2000 * 1.016);
	assert_true(cJSON_GetObjectItem(j, "p99_us")->valuedouble < 2000 * 1.016);
	assert_true(cJSON_GetObjectItem(j, "max_us")->valuedouble == 10000);
	cJSON_Delete(j);
	free(st);
}

static void test_envelope_and_atomic_write(void **state)
{
	char dir[] = "/tmp/bindprof-test-XXXXXX", path[256], *buf;
	cJSON *doc = profile_new("record"), *back, *w;

	assert_non_null(mkdtemp(dir));
	profile_warn(doc, "gil", "not measured: %s", "reason");
	profile_set_partial(doc, "interrupted");
	snprintf(path, sizeof(path), "%s/out.json", dir);
	assert_int_equal(profile_write(doc, path), 0);
	assert_int_equal(read_file(path, &buf, NULL), 0);
	back = cJSON_Parse(buf);
	assert_non_null(back);
	assert_int_equal(cJSON_GetObjectItem(back, "schema_version")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(back, "mode")->valuestring, "record");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(back, "partial")));
	assert_string_equal(cJSON_GetObjectItem(back, "partial_reason")->valuestring, "interrupted");
	w = cJSON_GetArrayItem(cJSON_GetObjectItem(back, "warnings"), 0);
	assert_string_equal(cJSON_GetObjectItem(w, "section")->valuestring, "gil");
	assert_string_equal(cJSON_GetObjectItem(w, "message")->valuestring, "not measured: reason");
	/* nothing but the file is left behind */
	snprintf(path, sizeof(path), "ls -A %s | wc -l", dir);
	{
		FILE *f = popen(path, "r");
		int n = -1;

		assert_int_equal(fscanf(f, "%d", &n), 1);
		pclose(f);
		assert_int_equal(n, 1);
	}
	/* a directory that does not exist: an error, not a half file */
	assert_true(profile_write(doc, "/nonexistent-dir/x.json") < 0);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	free(buf);
	cJSON_Delete(back);
	cJSON_Delete(doc);
}

static void test_runtime_version(void **state)
{
	static const char table[] = "3.1\0" "3.11x\0" "3.11\0" "3.8.18\0" "3.11.2\0" "3.13.0rc1\0";
	char out[32];

	assert_int_equal(runtime_find_version(table, sizeof(table), "3.11", out, sizeof(out)), 0);
	assert_string_equal(out, "3.11.2");
	assert_int_equal(runtime_find_version(table, sizeof(table), NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "3.8.18");
	assert_int_equal(runtime_find_version(table, sizeof(table), "3.13", out, sizeof(out)), 0);
	assert_string_equal(out, "3.13.0rc1");
	assert_int_equal(runtime_find_version(table, sizeof(table), "3.9", out, sizeof(out)), -ENOENT);
}

static void test_runtime_of_real_elves(void **state)
{
	struct runtime_info ri;
	char path[512];
	int checked = 0;
	FILE *f;

	/* This test binary is native. */
	assert_int_equal(runtime_detect_elf("/proc/self/exe", &ri), 0);
	assert_string_equal(ri.name, "native");
	/* Debian's stripped interpreter: version from its own .rodata, checked against itself. */
	if (access("/usr/bin/python3.11", X_OK) == 0) {
		char want[32] = "";

		f = popen("/usr/bin/python3.11 -c 'import platform; print(platform.python_version())'", "r");
		assert_non_null(fgets(want, sizeof(want), f));
		pclose(f);
		want[strcspn(want, "\n")] = '\0';
		assert_int_equal(runtime_detect_elf("/usr/bin/python3.11", &ri), 0);
		assert_string_equal(ri.name, "cpython");
		assert_string_equal(ri.version, want);
	}
	/* Every pyenv interpreter present: its libpython's version against the interpreter's own
	 * answer. Absent versions are named on stderr, not failed. */
	f = popen("for d in $(pyenv root 2>/dev/null)/versions/3.*; do "
		  "l=$(ls $d/lib/libpython3*.so.1.0 2>/dev/null | head -1); [ -n \"$l\" ] || continue; "
		  "echo \"$l $($d/bin/python3 -c 'import platform; print(platform.python_version())')\"; "
		  "done", "r");
	while (f && fgets(path, sizeof(path), f)) {
		char lib[256], want[32];

		assert_int_equal(sscanf(path, "%255s %31s", lib, want), 2);
		assert_int_equal(runtime_detect_elf(lib, &ri), 0);
		assert_string_equal(ri.name, "cpython");
		assert_string_equal(ri.version, want);
		checked++;
	}
	if (f)
		pclose(f);
	if (!checked)
		fprintf(stderr, "note: no pyenv interpreters found; only Debian's python3.11 was checked\n");
}

static void test_version_hex(void **state)
{
	char out[32];

	runtime_version_from_hex(0x030C01F0, out, sizeof(out));
	assert_string_equal(out, "3.12.1");
	runtime_version_from_hex(0x030D00C1, out, sizeof(out));
	assert_string_equal(out, "3.13.0rc1");
	runtime_version_from_hex(0x030B00A4, out, sizeof(out));
	assert_string_equal(out, "3.11.0a4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_names),
		cmocka_unit_test(test_syscall_entry_json),
		cmocka_unit_test(test_envelope_and_atomic_write),
		cmocka_unit_test(test_runtime_version),
		cmocka_unit_test(test_runtime_of_real_elves),
		cmocka_unit_test(test_version_hex),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
