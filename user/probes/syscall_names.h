/* SPDX-License-Identifier: GPL-2.0-only */
/* Syscall names by number, generated at build time from asm/unistd_64.h (scripts/gen-syscalls.sh). */
#ifndef BINDPROF_SYSCALL_NAMES_H
#define BINDPROF_SYSCALL_NAMES_H

#include <stddef.h>

extern const char *const syscall_names[];
extern const unsigned syscall_names_len;

/* The name of syscall nr, or NULL when the table has none. */
static inline const char *syscall_name(unsigned nr)
{
	return nr < syscall_names_len ? syscall_names[nr] : NULL;
}

#endif
