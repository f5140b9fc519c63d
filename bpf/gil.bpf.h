/* SPDX-License-Identifier: GPL-2.0-only */
/* The GIL struct of each CPython target: kept by the python object, shared with the stacks
 * object (the loader hands it the python object's fd before load). */
#ifndef BINDPROF_GIL_BPF_H
#define BINDPROF_GIL_BPF_H

#include "python.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct gil_range);
} gil_ranges SEC(".maps");

#endif /* BINDPROF_GIL_BPF_H */
