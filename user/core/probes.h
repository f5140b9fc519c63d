/* SPDX-License-Identifier: GPL-2.0-only */
/* The probe names of --probes, and which of them this build implements. */
#ifndef BINDPROF_PROBES_H
#define BINDPROF_PROBES_H

#include <stdbool.h>

enum probe_id {
	PROBE_SYSCALLS = 0,
	PROBE_GIL,
	PROBE_GC,
	PROBE_FFI,
	PROBE_REQUESTS,
	PROBE_STACKS,
	PROBE_COUNT,
};

#define PROBE_BIT(p) (1u << (p))
/* The cheap default set (README "record"): everything but syscalls (and the exact, costly methods). */
#define PROBES_DEFAULT (PROBE_BIT(PROBE_GIL) | PROBE_BIT(PROBE_GC) | PROBE_BIT(PROBE_FFI) | \
			PROBE_BIT(PROBE_REQUESTS) | PROBE_BIT(PROBE_STACKS))
#define PROBES_ALL ((1u << PROBE_COUNT) - 1)

const char *probe_name(enum probe_id p);
/* Parse a comma list ("syscalls,gc" or "all") into a mask. 0, or -EINVAL with *bad set to the
 * offending word (static storage). */
int probes_parse(const char *list, unsigned *mask, const char **bad);
/* Whether the word "all" is one of the list's comma-separated items ("syscalls" is not "all"):
 * --probes all also turns on the costly methods (the exact GIL method), a list naming every
 * probe does not. */
bool probes_names_all(const char *list);

#endif
