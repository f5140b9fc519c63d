/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers with one job each: checked number parsing, clocks, whole-file writes. */
#ifndef BINDPROF_UTIL_H
#define BINDPROF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parse a whole decimal integer in [min, max]: digits with an optional leading '-', nothing else
 * (no blanks, no '+'). 0 or -EINVAL / -ERANGE. */
int parse_long(const char *s, long min, long max, long *out);
/* Parse seconds, fractional allowed ("2.5", ".5"), in (0, max]; decimal digits only (no blanks,
 * signs, inf, nan or hex). 0 or -EINVAL / -ERANGE. */
int parse_seconds(const char *s, double max, double *out);

/* A PID given as -p (1..4194304, the kernel's pid_max limit). 0, or -EINVAL with the message. */
int cli_parse_pid(const char *s, int *pid, char *err, int errlen);
/* The message for getopt_long's ':' (missing value) or '?' (unknown option) return; -EINVAL. */
int cli_getopt_error(int ch, char *const *argv, char *err, int errlen);

uint64_t now_ns(void);      /* CLOCK_MONOTONIC */
/* This thread's CPU time so far (CLOCK_THREAD_CPUTIME_ID), in nanoseconds: what a calibration loop
 * or a consumer thread costs, unaffected by other processes on a busy machine. */
double thread_cpu_ns(void);

/* qsort comparator for doubles, ascending. NaN compares equal to everything: keep NaN out. */
int cmp_double_asc(const void *a, const void *b);
double wall_time(void);     /* CLOCK_REALTIME, seconds */

/* Write data to path whole: a temporary file in the same directory, fsync, then rename
 * (lib/file.h's file_out_open/commit). 0 or a negative errno: -EISDIR or -EINVAL when path exists
 * and is a directory or another non-regular file (a device or FIFO is never replaced), else
 * the failed call's (ENOSPC...). */
int write_file_atomic(const char *path, const char *data, size_t len);
/* A malloc'd copy of s for printing data read from a file or store on a terminal: every byte below
 * 0x20 and 0x7f as the four characters \xNN (ESC as \x1b). NULL when out of memory. */
char *str_escape_controls(const char *s);
#define READ_FILE_MAX (256u << 20) /* read_file's cap: 256 MiB */
/* Read a whole regular file into a NUL-terminated malloc'd buffer (*len: its length, without the
 * NUL; len may be NULL). 0, or a negative errno: -EINVAL for anything but a regular file (a FIFO
 * is refused without waiting for a writer; /dev/zero without reading it), -EISDIR, -EFBIG over
 * max bytes, or open/read's. /proc files are regular files (of size 0): they read whole.
 * lib/file.h's file_read_bounded, without its message: one implementation. */
int read_file_max(const char *path, size_t max, char **out, size_t *len);
/* read_file_max with READ_FILE_MAX. */
int read_file(const char *path, char **out, size_t *len);

#endif
