/* SPDX-License-Identifier: GPL-2.0-only */
/* Diagnostics to stderr, one module for the whole program. Data goes to stdout or -o files. */
#ifndef BINDPROF_LOG_H
#define BINDPROF_LOG_H

#include <errno.h>

#include <stdbool.h>

extern int log_verbosity; /* 0 quiet, 1 -v */

void log_setup_libbpf(void);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit statuses shared by every command (README "Commands"). */
enum exit_status {
	EXIT_OK = 0,
	EXIT_REGRESSION = 1,
	EXIT_BADINPUT = 2,
	EXIT_ENV = 3,
	EXIT_TARGET = 4,
	EXIT_INTERRUPTED = 130, /* 128 + SIGINT: profile and compare, stopped by a signal */
};

/* The exit status of an output that could not be written (e a negative errno): a full or failing
 * disk is the environment's (EXIT_ENV), anything else (a path that cannot be written) bad input. */
static inline int exit_of_write_error(int e)
{
	return e == -ENOSPC || e == -EDQUOT || e == -EIO || e == -EFBIG || e == -EROFS ? EXIT_ENV : EXIT_BADINPUT;
}

#endif
