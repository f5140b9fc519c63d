/* SPDX-License-Identifier: GPL-2.0-only */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/util.h"
#include "lib/file.h"
#include "lib/validate.h"

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol would skip leading blanks and take a '+': a number is digits, with a '-' at most */
	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	/* digits (or a '.'), not strtod's blanks, signs, "inf", "nan" or hex */
	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.') || strpbrk(s, "xX"))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -EINVAL;
	if (v <= 0 || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cli_parse_pid(const char *s, int *pid, char *err, int errlen)
{
	/* harden: decimal digits only (strtol took " 12" and "+12") */
	return parse_pid_strict("-p", s, pid, err, (size_t)errlen);
}

int cli_getopt_error(int ch, char *const *argv, char *err, int errlen)
{
	if (ch == ':')
		snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
	else
		snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
	return -EINVAL;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int cmp_double_asc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int write_file_atomic(const char *path, const char *data, size_t len)
{
	/* lib/file.h's writer: a temporary file made with mkostemp (never a guessable name), and a
	 * destination that exists and is not a regular file (a device, a FIFO, a directory) refused
	 * (-EINVAL) rather than replaced by the rename */
	struct file_out o;
	char msg[256];
	int e;

	if ((e = file_out_open(&o, path, msg, sizeof(msg))))
		return e;
	if (len && fwrite(data, 1, len, o.f) != len) {
		/* the error is kept in the stream and returned by commit */
	}
	return file_out_commit(&o, msg, sizeof(msg));
}

char *str_escape_controls(const char *s)
{
	size_t n = 0, extra = 0;
	char *out, *q;

	for (; s && s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] == 0x7f)
			extra += 3;
	if (!(out = malloc(n + extra + 1)))
		return NULL;
	q = out;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			q += sprintf(q, "\\x%02x", *p);
		else
			*q++ = (char)*p;
	}
	*q = 0;
	return out;
}

int read_file_max(const char *path, size_t max, char **out, size_t *len)
{
	char msg[256]; /* the errno is the answer here; lib/file.h gives the message to those who print it */

	return file_read_bounded(path, max, out, len, msg, sizeof(msg));
}

int read_file(const char *path, char **out, size_t *len)
{
	return read_file_max(path, READ_FILE_MAX, out, len);
}
