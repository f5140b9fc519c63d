/* SPDX-License-Identifier: GPL-2.0-only */
/* Hardening (docs/failure.md): bounded reads (regular files only, size caps), the atomic writer
 * (a full disk leaves no file), control characters refused on the wire, up-front validation of
 * numbers, PIDs, output paths and files, and the parsers' regressions found by fuzzing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "cli/diff.h"
#include "lib/file.h"
#include "lib/util.h"
#include "lib/validate.h"
#include "load/appmanifest.h"
#include "load/httpcheck.h"
#include "load/httpresp.h"
#include "load/suites.h"

static char tmpdir[256];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bindprof-harden-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static double elapsed(struct timespec a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

static void test_read_regular_and_caps(void **state)
{
	char path[512], err[1024], *buf;
	size_t len;

	put("ok.json", "{\"a\":1}", path, sizeof(path));
	assert_int_equal(file_read_bounded(path, 7, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "{\"a\":1}");
	free(buf);
	/* one byte over the cap: refused before reading, the message gives size and cap */
	assert_int_equal(file_read_bounded(path, 6, &buf, &len, err, sizeof(err)), -EFBIG);
	assert_null(buf);
	assert_non_null(strstr(err, "is 7 bytes, over the 6 bytes limit"));
	/* a missing file: errno and the path */
	assert_int_equal(file_read_bounded("/nonexistent/x.json", 100, &buf, NULL, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot read '/nonexistent/x.json': No such file or directory");
	/* the env override, in MiB; nonsense is ignored */
	setenv("BINDPROF_MAX_PROFILE_MB", "2", 1);
	assert_int_equal(file_cap(FILE_PROFILE), 2ul << 20);
	setenv("BINDPROF_MAX_PROFILE_MB", " 2", 1);
	assert_int_equal(file_cap(FILE_PROFILE), FILE_CAP_PROFILE);
	setenv("BINDPROF_MAX_PROFILE_MB", "nan", 1);
	assert_int_equal(file_cap(FILE_PROFILE), FILE_CAP_PROFILE);
	unsetenv("BINDPROF_MAX_PROFILE_MB");
	assert_int_equal(file_cap(FILE_PROFILE), 64ul << 20);
	assert_int_equal(file_cap(FILE_BODY), 64ul << 20);
}

static void test_read_refuses_non_regular(void **state)
{
	char fifo[512], err[1024], *buf;
	struct timespec t0;

	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* no writer: a blocking open would hang forever */
	assert_int_equal(file_read_bounded(fifo, 1 << 20, &buf, NULL, err, sizeof(err)), -EINVAL);
	assert_true(elapsed(t0) < 1.0);
	assert_non_null(strstr(err, "is a FIFO: only regular files are read"));
	assert_int_equal(file_read_bounded(tmpdir, 1 << 20, &buf, NULL, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "is a directory"));
	assert_int_equal(file_read_bounded("/dev/zero", 1 << 20, &buf, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'/dev/zero' is a character device: only regular files are read");
}

static void test_atomic_writer(void **state)
{
	struct file_out o;
	char path[512], err[1024], *buf;
	struct stat st;

	put("out.md", "old\n", path, sizeof(path));
	/* abort: the destination keeps its old content, no temporary file is left */
	assert_int_equal(file_out_open(&o, path, err, sizeof(err)), 0);
	fprintf(o.f, "new\n");
	file_out_abort(&o);
	assert_int_equal(file_read_bounded(path, 100, &buf, NULL, err, sizeof(err)), 0);
	assert_string_equal(buf, "old\n");
	free(buf);
	/* commit: replaced whole */
	assert_int_equal(file_out_open(&o, path, err, sizeof(err)), 0);
	for (int i = 0; i < 10000; i++)
		fprintf(o.f, "line %d\n", i);
	assert_int_equal(file_out_commit(&o, err, sizeof(err)), 0);
	assert_null(o.f);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 98890); /* 10 x 7 + 90 x 8 + 900 x 9 + 9000 x 10 bytes */
	/* a directory, or a device, is never a destination */
	assert_int_equal(file_out_open(&o, tmpdir, err, sizeof(err)), -EISDIR);
	assert_int_equal(file_out_open(&o, "/dev/null", err, sizeof(err)), -EINVAL);
	assert_int_equal(file_out_open(&o, "/nonexistent/x.md", err, sizeof(err)), -ENOENT);
}

/* A 64 KiB tmpfs filled up: the writer fails with ENOSPC and leaves no file at all. Root only. */
static void test_atomic_writer_full_disk(void **state)
{
	char mnt[512], path[600], fill[600], err[1024], chunk[4096];
	struct file_out o;
	struct stat st;
	int fd, e;

	snprintf(mnt, sizeof(mnt), "%s/full", tmpdir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k")) {
		skip(); /* not root: tests/integration/test_hardening.py covers it through the CLI */
		return;
	}
	snprintf(fill, sizeof(fill), "%s/fill", mnt);
	fd = open(fill, O_WRONLY | O_CREAT, 0600);
	memset(chunk, 'x', sizeof(chunk));
	while (write(fd, chunk, sizeof(chunk)) > 0)
		;
	close(fd);
	snprintf(path, sizeof(path), "%s/report.md", mnt);
	assert_int_equal(file_out_open(&o, path, err, sizeof(err)), 0);
	for (int i = 0; i < 100; i++)
		fwrite(chunk, 1, sizeof(chunk), o.f);
	e = file_out_commit(&o, err, sizeof(err));
	{ /* write_file_atomic: one fwrite of a buffer larger than stdio's (glibc's direct-write path,
	   * which crashed when the cookie's write returned -1) */
		size_t big = 256u << 10;
		char *data = malloc(big), p2[700];
		int e2;

		assert_non_null(data);
		memset(data, 'y', big);
		snprintf(p2, sizeof(p2), "%s/big.json", mnt);
		e2 = write_file_atomic(p2, data, big);
		free(data);
		assert_int_equal(e2, -ENOSPC);
		assert_int_not_equal(stat(p2, &st), 0);
	}
	umount2(mnt, MNT_DETACH);
	assert_int_equal(e, -ENOSPC);
	assert_non_null(strstr(err, "No space left on device"));
	assert_int_not_equal(stat(path, &st), 0); /* no 0-byte or truncated file */
}

/* A character device or FIFO (made here, never a real one) is never replaced by the writers:
 * write_file_atomic and file_out_open refuse it and leave it as it was; validate_output_path too.
 * (bindprof load -o /dev/full once renamed a regular file over the device.) */
static void test_nonregular_destinations_kept(void **state)
{
	char cdev[512], ff[512], err[1024];
	struct file_out o;
	struct stat st;

	(void)state;
	snprintf(ff, sizeof(ff), "%s/a.fifo", tmpdir);
	assert_int_equal(mkfifo(ff, 0600), 0);
	assert_int_equal(write_file_atomic(ff, "x", 1), -EINVAL);
	assert_int_equal(file_out_open(&o, ff, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a FIFO"));
	assert_int_equal(validate_output_path("-o", ff, err, sizeof(err)), -EINVAL);
	assert_int_equal(stat(ff, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(write_file_atomic(tmpdir, "x", 1), -EISDIR);
	snprintf(cdev, sizeof(cdev), "%s/null.cdev", tmpdir);
	if (mknod(cdev, S_IFCHR | 0666, makedev(1, 3))) {
		skip(); /* not root: no device node here */
		return;
	}
	assert_int_equal(write_file_atomic(cdev, "x", 1), -EINVAL);
	assert_int_equal(file_out_open(&o, cdev, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a character device"));
	assert_int_equal(validate_output_path("-o", cdev, err, sizeof(err)), -EINVAL);
	assert_int_equal(stat(cdev, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	unlink(cdev);
	unlink(ff);
}

/* The caps' environment overrides: a whole number of MiB from 1 to 65536, anything else refused */
static void test_cap_overrides_checked(void **state)
{
	static const char *const bad[] = { "nan", "-1", "0", "1e99", "abc", " 2", "2 ", "65537", "99999999999999999999" };
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("BINDPROF_MAX_BODY_MB", bad[i], 1);
		assert_int_equal(file_caps_check(err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "BINDPROF_MAX_BODY_MB"));
		assert_int_equal(file_cap(FILE_BODY), FILE_CAP_BODY);
	}
	setenv("BINDPROF_MAX_BODY_MB", "3", 1);
	assert_int_equal(file_caps_check(err, sizeof(err)), 0);
	assert_int_equal(file_cap(FILE_BODY), 3ul << 20);
	setenv("BINDPROF_MAX_BODY_MB", "", 1); /* empty: unset */
	assert_int_equal(file_caps_check(err, sizeof(err)), 0);
	unsetenv("BINDPROF_MAX_BODY_MB");
	assert_int_equal(file_caps_check(err, sizeof(err)), 0);
}

static void test_httpcheck(void **state)
{
	char err[256];

	assert_int_equal(httpcheck_path("path", "/items/42?x=1", err, sizeof(err)), 0);
	assert_int_equal(httpcheck_path("path", "/a\r\nX-Evil: 1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "path: a control character (0x0d) at byte 2 of the path: refused, it would inject "
				 "into the request");
	assert_int_equal(httpcheck_path("path", "/a b", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_path("path", "/a\x7f", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_method("-m", "GET", err, sizeof(err)), 0);
	assert_int_equal(httpcheck_method("-m", "GET /x HTTP/1.1\r\n", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_method("-m", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_header_line("-H", "X-A: b\tc", err, sizeof(err)), 0);
	assert_int_equal(httpcheck_header_line("-H", "X-A: b\r\nX-Evil: 1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "-H: a control character (0x0d) at byte 2 of the header value: refused, it would "
				 "inject into the request");
	assert_int_equal(httpcheck_header_line("-H", "X\nA: b", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_header_line("-H", "X A: b", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_header_line("-H", ": b", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_header_line("-H", "nocolon", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_header_value("v", "a\x01", err, sizeof(err)), -EINVAL);
	assert_int_equal(httpcheck_url("--url", "http://127.0.0.1:8000/a?b=1", err, sizeof(err)), 0);
	assert_int_equal(httpcheck_url("--url", "http://127.0.0.1:8000/a\r\nX-Evil: 1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--url: a control character (0x0d) at byte 23 of the URL: refused, it would inject "
				 "into the request");
	assert_int_equal(httpcheck_url("--url", "http://127.0.0.1:8000/a b", err, sizeof(err)), -EINVAL);
}

static void test_suite_refusals(void **state)
{
	char dir[512], err[1024];
	struct suite s;

	/* CR/LF in a path, a header name, a header value, a content type */
	assert_int_equal(suite_parse_json("{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"method\":\"GET\","
					  "\"path\":\"/a\\r\\nX-Evil: 1\"}]}",
					  "f.json", tmpdir, &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "f.json: workloads[0].path: a control character (0x0d) at byte 2 of the path: "
				 "refused, it would inject into the request");
	assert_int_equal(suite_parse_json("{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"method\":\"GET\","
					  "\"path\":\"/\",\"headers\":{\"A\\r\\nB\":\"v\"}}]}",
					  "f.json", tmpdir, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "of the header name"));
	assert_int_equal(suite_parse_json("{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"method\":\"GET\","
					  "\"path\":\"/\",\"headers\":{\"A\":\"v\\nX: y\"}}]}",
					  "f.json", tmpdir, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "of the header value"));
	assert_int_equal(suite_parse_json("{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"method\":\"POST\","
					  "\"path\":\"/\",\"content_type\":\"a/b\\r\\nX: 1\"}]}",
					  "f.json", tmpdir, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "workloads[0].content_type: a control character"));
	/* body_file: ../../dev/zero climbing from DIR/a/b (past / whatever DIR's depth) is /dev/zero:
	 * refused at once, not read forever */
	snprintf(dir, sizeof(dir), "%s/a", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/a/b", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(suite_parse_json("{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"method\":\"POST\","
					  "\"path\":\"/\",\"body_file\":\"../../../../../../../../../dev/zero\"}]}",
					  "f.json", dir, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "f.json: workloads[0].body_file: '"));
	assert_non_null(strstr(err, "/dev/zero' is a character device: only regular files are read"));
	/* a clean suite still parses */
	assert_int_equal(suite_parse_json("{\"name\":\"s\",\"workloads\":[{\"name\":\"w\",\"method\":\"GET\","
					  "\"path\":\"/x\",\"headers\":{\"X-A\":\"b\\tc\"}}]}",
					  "f.json", tmpdir, &s, err, sizeof(err)),
			 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.w[0].headers[0], "X-A: b\tc");
	suite_free(&s);
}

static void test_suite_fifo_refused(void **state)
{
	char fifo[512], err[1024];
	struct suite_set set;
	struct timespec t0;

	snprintf(fifo, sizeof(fifo), "%s/suite.json", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(suites_load(fifo, &set, err, sizeof(err)), -EINVAL);
	assert_true(elapsed(t0) < 1.0);
	assert_non_null(strstr(err, "--suite: '"));
	assert_non_null(strstr(err, "is a FIFO"));
}

static void test_manifest_port_range(void **state)
{
	static const char *const bad[] = { "1e10", "-1e300", "1e400", "8000.5", "65536", "0", "-1", "\"80\"", "2147483648" };
	char text[512], err[256];
	struct app_manifest m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"name\":\"a\",\"version\":\"1\",\"language\":\"l\",\"runtime\":\"r\","
					     "\"start\":\"s\",\"health_path\":\"/\",\"port\":%s}", bad[i]);
		memset(&m, 0, sizeof(m));
		assert_int_equal(app_manifest_parse(text, "m.json", &m, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, "m.json: field \"port\" must be an integer from 1 to 65535");
	}
	snprintf(text, sizeof(text), "{\"name\":\"a\",\"version\":\"1\",\"language\":\"l\",\"runtime\":\"r\","
				     "\"start\":\"s\",\"health_path\":\"/\",\"port\":65535}");
	assert_int_equal(app_manifest_parse(text, "m.json", &m, err, sizeof(err)), 0);
	assert_int_equal(m.port, 65535);
}

static void test_httpresp_status_range(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	static const char two[] = "HTTP/1.1 20\n\r\nhello"; /* found by fuzz_httpresp */
	static const char big[] = "HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n";
	struct httpresp r;

	httpresp_init(&r);
	assert_int_equal(httpresp_feed(&r, ok, sizeof(ok) - 1), (long)sizeof(ok) - 1);
	assert_true(r.complete);
	assert_int_equal(r.status, 200);
	httpresp_init(&r);
	assert_int_equal(httpresp_feed(&r, two, sizeof(two) - 1), -1);
	httpresp_init(&r);
	assert_int_equal(httpresp_feed(&r, big, sizeof(big) - 1), -1);
}

static void test_finite_numbers_and_thresholds(void **state)
{
	static const char *const bad[] = { "nan", "inf", "-inf", "NaN", "", " 1", "1 ", "1e999", "0x", "abc" };
	struct gate_opts o;
	static const char *const bad_thr[] = { "p99_ms=nan:nan", "p99_ms=inf:inf", "p99_ms=:", "p99_ms=:5",
					       "p99_ms=5:", "p99_ms=1:nan", "p99_ms=-1:5", "p99_ms=1:2:3" };
	char err[256];
	double v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(parse_finite_double(bad[i], &v), 0);
	assert_int_equal(parse_finite_double("2.5", &v), 0);
	assert_true(v == 2.5);
	assert_int_equal(parse_finite_double("-0.25", &v), 0);
	assert_true(v == -0.25);
	gate_opts_init(&o);
	for (size_t i = 0; i < sizeof(bad_thr) / sizeof(bad_thr[0]); i++) {
		assert_int_equal(gate_parse_threshold(&o, bad_thr[i], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad_thr[i]));
		/* the gate is not changed */
		assert_true(o.rules[GM_P99].min_effect_pct == 10 && o.rules[GM_P99].crit_pct == 25);
	}
	assert_int_equal(gate_parse_threshold(&o, "p99_ms=5:15", err, sizeof(err)), 0);
	assert_true(o.rules[GM_P99].min_effect_pct == 5 && o.rules[GM_P99].crit_pct == 15);
}

static void test_pids(void **state)
{
	static const char *const bad[] = { " 12", "12 ", "+12", "-12", "0", "4194305", "99999999999", "", "1e3", "0x10" };
	char err[256], warn[256], root[512], path[600];
	int pid;
	FILE *f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_pid_strict("-p", bad[i], &pid, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "-p: invalid PID"));
	}
	assert_int_equal(parse_pid_strict("-p", "4194304", &pid, err, sizeof(err)), 0);
	assert_int_equal(pid, 4194304);
	/* bindprof itself (this process's /proc/self/exe) */
	assert_int_equal(validate_pid_target("/proc", "-p", getpid(), err, sizeof(err), warn, sizeof(warn)), -EINVAL);
	assert_non_null(strstr(err, "that is bindprof itself"));
	/* a fake /proc: pid 2 a kernel thread (PF_KTHREAD in the flags), pid 1 init, pid 7 a plain process */
	snprintf(root, sizeof(root), "%s/proc", tmpdir);
	mkdir(root, 0700);
	for (int p = 1; p <= 7; p += 1) {
		if (p != 1 && p != 2 && p != 7)
			continue;
		snprintf(path, sizeof(path), "%s/%d", root, p);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/%d/stat", root, p);
		f = fopen(path, "w");
		fprintf(f, "%d (%s) S 0 0 0 0 -1 %u 0 0 0 0\n", p, p == 1 ? "systemd" : p == 2 ? "kthreadd" : "py (x) y",
			p == 2 ? 0x208040u : 0x400100u);
		fclose(f);
	}
	assert_int_equal(validate_pid_target(root, "-p", 2, err, sizeof(err), warn, sizeof(warn)), -EINVAL);
	assert_string_equal(err, "-p 2: 'kthreadd' is a kernel thread: it has no user space to profile");
	assert_int_equal(validate_pid_target(root, "-p", 1, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_non_null(strstr(warn, "-p 1: 'systemd' is the init process"));
	assert_int_equal(validate_pid_target(root, "-p", 7, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_string_equal(warn, "");
	assert_int_equal(validate_pid_target(root, "-p", 8, err, sizeof(err), warn, sizeof(warn)), -ESRCH);
	assert_string_equal(err, "-p: no such process: 8");
	/* the real kthreadd, when this machine's pid namespace shows it */
	if (!access("/proc/2/stat", R_OK) && access("/proc/2/exe", F_OK) && errno == ENOENT) {
		assert_int_equal(validate_pid_target("/proc", "-p", 2, err, sizeof(err), warn, sizeof(warn)), -EINVAL);
		assert_non_null(strstr(err, "is a kernel thread"));
	}
}

static void test_output_paths(void **state)
{
	char err[512], path[600];

	assert_int_equal(validate_output_path("-o", tmpdir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a directory: give a file name"));
	assert_int_equal(validate_output_path("-o", "/tmp/", err, sizeof(err)), -EINVAL);
	assert_int_equal(validate_output_path("--svg", "/nonexistent/x.svg", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "--svg: cannot write '/nonexistent/x.svg': directory '/nonexistent' does not exist");
	assert_int_equal(validate_output_path("-o", "/dev/null", err, sizeof(err)), -EINVAL);
	assert_int_equal(validate_output_path("-o", "", err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/new.json", tmpdir);
	assert_int_equal(validate_output_path("-o", path, err, sizeof(err)), 0);
	assert_int_not_equal(access(path, F_OK), 0); /* the check creates nothing that stays */
	assert_int_equal(validate_output_path("-o", "rel.json", err, sizeof(err)), 0);
}

static void test_options(void **state)
{
	char err[512], path[600];

	assert_int_equal(validate_gil_method("--gil-method", "exact", err, sizeof(err)), 0);
	assert_int_equal(validate_gil_method("--gil-method", "bogus", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--gil-method: unknown method 'bogus' (cheap, exact)");
	assert_int_equal(validate_app_cmd("--app-cmd", "/nonexistent --port 1", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "--app-cmd: '/nonexistent' is not an executable file (it does not exist)");
	assert_int_equal(validate_app_cmd("--app-cmd", "no-such-command-bindprof x", err, sizeof(err)), -ENOENT);
	assert_int_equal(validate_app_cmd("--app-cmd", "sleep 1", err, sizeof(err)), 0);
	assert_int_equal(validate_app_cmd("--app-cmd", "  /bin/sh -c true", err, sizeof(err)), 0);
	assert_int_equal(validate_app_cmd("--app-cmd", "PORT=1 python3 app.py", err, sizeof(err)), 0);
	put("notexec.sh", "echo\n", path, sizeof(path));
	chmod(path, 0644);
	assert_int_equal(validate_app_cmd("--app-cmd", path, err, sizeof(err)), -ENOENT);
	assert_int_equal(validate_app_cmd("--app-cmd", tmpdir, err, sizeof(err)), -ENOENT); /* a directory */
	assert_int_equal(validate_app_cmd("--app-cmd", "", err, sizeof(err)), -EINVAL);
	/* --baseline: missing, empty, malformed, not a profile, a nameless suite or workload */
	assert_int_equal(validate_baseline_file("--baseline", "/nonexistent.json", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--baseline: cannot read '/nonexistent.json': No such file or directory");
	put("empty.json", "", path, sizeof(path));
	assert_int_equal(validate_baseline_file("--baseline", path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not valid JSON"));
	put("bad.json", "{\"mode\":", path, sizeof(path));
	assert_int_equal(validate_baseline_file("--baseline", path, err, sizeof(err)), -EINVAL);
	put("rec.json", "{\"mode\":\"record\"}", path, sizeof(path));
	assert_int_equal(validate_baseline_file("--baseline", path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a bindprof profile document"));
	put("ns.json", "{\"mode\":\"profile\",\"suites\":[{\"workloads\":[{\"name\":\"w\",\"results\":{}}]}]}", path,
	    sizeof(path));
	assert_int_equal(validate_baseline_file("--baseline", path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "suites[0].name"));
	put("nw.json", "{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":5},{\"name\":\"w\"}]}]}",
	    path, sizeof(path));
	assert_int_equal(validate_baseline_file("--baseline", path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "suites[0].workloads[0].name"));
	put("ok.json", "{\"mode\":\"profile\",\"suites\":[{\"name\":\"s\",\"workloads\":[{\"name\":\"w\"}]}]}", path,
	    sizeof(path));
	assert_int_equal(validate_baseline_file("--baseline", path, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_regular_and_caps),
		cmocka_unit_test(test_read_refuses_non_regular),
		cmocka_unit_test(test_atomic_writer),
		cmocka_unit_test(test_atomic_writer_full_disk),
		cmocka_unit_test(test_nonregular_destinations_kept),
		cmocka_unit_test(test_cap_overrides_checked),
		cmocka_unit_test(test_httpcheck),
		cmocka_unit_test(test_suite_refusals),
		cmocka_unit_test(test_suite_fifo_refused),
		cmocka_unit_test(test_manifest_port_range),
		cmocka_unit_test(test_httpresp_status_range),
		cmocka_unit_test(test_finite_numbers_and_thresholds),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_output_paths),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
