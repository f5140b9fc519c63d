/* SPDX-License-Identifier: GPL-2.0-only */
/* A stack set (output/stackset.h) as a gzipped pprof profile (perftools.profiles.Profile of
 * google/pprof's proto/profile.proto, encoded with libprotobuf-c from proto/profile.proto).
 *
 * Sample types, in order: samples/count (the on-CPU samples), cpu/nanoseconds (samples times the
 * sampling period 1e9/freq, only when every source's frequency is known), gil_wait/microseconds
 * (the GIL-wait stacks' weights). A CPU sample has its count, its nanoseconds and 0; a GIL-wait
 * sample 0, 0 and its microseconds: each column's sum is the matching folded total exactly.
 * Labels: process (the folded line's first frame), kind (cpu or gil_wait), and workload,
 * endpoint, host when the source has them; from the labelled stacks (stackset.h), thread (its
 * name), thread_id and request (numeric labels), request_endpoint (the request's endpoint), which
 * is also the endpoint label when the source has none (a record run). Frames: a Python
 * frame is a function with its file and first line (no mapping); a native frame is a function
 * with the mapping of its module when the folded line names it, with the module's GNU build-id
 * when the run listed it (stacks.mappings); a kernel frame has
 * the mapping [kernel.kallsyms]. time_nanos is the run's timestamp; duration_nanos a record run's
 * measured time (0 for a profile file, whose workloads each have their own). */
#ifndef BINDPROF_PPROF_H
#define BINDPROF_PPROF_H

#include "output/stackset.h"

/* Write s to path as a gzipped profile.proto, whole (temporary file, then rename). 0, or a
 * negative errno with one line in err. */
int pprof_write(const struct stackset *s, const char *path, char *err, int errlen);

#endif
