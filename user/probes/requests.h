/* SPDX-License-Identifier: GPL-2.0-only */
/* The requests probe, user side: server-side HTTP requests found by bpf/requests.bpf.c, every
 * other probe's measurements attributed to them, per endpoint distributions and the slowest
 * requests (profiling.requests). */
#ifndef BINDPROF_REQTRACK_H
#define BINDPROF_REQTRACK_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "probes/ffi.h"
#include "core/session.h"

struct reqtrack;

struct reqtrack_opts {
	bool gil, gil_exact, gc, syscalls, stacks, ffi; /* which probes feed the accounts */
	int stacks_hz;
	int exemplars;  /* the N slowest requests kept with their breakdown */
	bool no_tasks;  /* do not follow asyncio tasks (their uprobes: a pair per task step) */
};

/* Load and attach; NULL with errno set on failure (logged). */
struct reqtrack *reqtrack__new(struct session *s, const struct reqtrack_opts *o);
/* Read what the probe sent; fold requests that ended over a second ago. Every tick. */
void reqtrack__poll(struct reqtrack *r);
/* Detach, then read the rest (requests still open: answered, or incomplete). */
void reqtrack__stop(struct reqtrack *r);
/* profiling.requests (and python.handler_time_ms / serialization_time_ms); ffi names the
 * functions of the accounts (NULL without --ffi). */
void reqtrack__report(struct reqtrack *r, cJSON *doc, cJSON *prof, struct ffi *ffi);
void reqtrack__free(struct reqtrack *r);
/* The requests programs' measured run time (ms) and runs (0 when BPF statistics are off). */
double reqtrack__run_ms(struct reqtrack *r, uint64_t *runs);

#endif
