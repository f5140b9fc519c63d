/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "lib/log.h"

int log_verbosity;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "bindprof: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define DEFINE_LOG(name, prefix, min)                  \
	void name(const char *fmt, ...)                \
	{                                              \
		va_list ap;                            \
		if (log_verbosity < (min))             \
			return;                        \
		va_start(ap, fmt);                     \
		vlog(prefix, fmt, ap);                 \
		va_end(ap);                            \
	}

DEFINE_LOG(log_err, "error: ", 0)
DEFINE_LOG(log_warn, "warning: ", 0)
DEFINE_LOG(log_info, "", 0)
DEFINE_LOG(log_debug, "debug: ", 1)

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's own lines (its warnings too) only with -v: bindprof reports what failed itself */
	(void)level;
	if (log_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
