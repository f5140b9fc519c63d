/* SPDX-License-Identifier: GPL-2.0-only */
/* The stacks probe: on-CPU stack samples (perf_event cpu-clock at -F HZ) of every target thread,
 * unwound and symbolized in user space with the Python frames interleaved, and GIL-wait stacks
 * weighted by the wait; folded files, an SVG flamegraph and the profile's stacks section. */
#ifndef BINDPROF_STACKS_USER_H
#define BINDPROF_STACKS_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "core/session.h"

struct stacks;

struct stacks_opts {
	int freq;            /* samples per second per CPU (-F) */
	bool gil_wait;       /* GIL-wait stacks (needs the gil probe's GIL locations) */
	const char *folded;  /* --folded FILE, or NULL */
	const char *svg;     /* --svg FILE, or NULL */
	bool page_faults;    /* sample the page-faults software event (every fault: where memory is
			      * touched for the first time) instead of cpu-clock; user frames only */
	bool kernel_unwind;  /* --unwind kernel: CPU samples' native frames unwound in BPF from
			      * .eh_frame tables (user/inspect/ehtable.h); a sample whose rules BPF
			      * cannot follow falls back to the stack copy and DWARF in user space */
	unsigned long malloc_every; /* > 0: instead of cpu-clock, a uprobe on each target process's libc
				     * malloc sends the stack of a call with probability 1/malloc_every
				     * (attached as processes are polled); 0: off */
};

/* Load and attach (one perf event per CPU). NULL with errno set on failure (logged). */
struct stacks *stacks__new(struct session *s, const struct stacks_opts *o);
/* New processes among the targets: find their Python thread lists. Called every tick. */
void stacks__poll(struct stacks *st, const int *pids, int n);
/* Stop sampling, then unwind what is still queued. */
void stacks__stop(struct stacks *st);
/* How a request id (bpf/stacks.h: stack_event.request_id) names its endpoint ("GET /path"; NULL:
 * unknown), for the labelled stacks written at the report (the requests probe's, when it runs). */
void stacks__set_request_names(struct stacks *st, const char *(*name)(void *ctx, uint64_t request), void *ctx);
/* profiling.stacks (and warnings into doc); writes the folded and SVG files, and next to the
 * folded ones their labelled twins (FILE.labels.EXT, FILE.gil-wait.labels.EXT: the same weights
 * per thread id, thread name, request and endpoint: what the pprof and speedscope exports
 * carry), and lists the native modules sampled with their GNU build-ids (stacks.mappings). */
void stacks__report(struct stacks *st, cJSON *doc, cJSON *prof);
/* profiling.ffi without --ffi: each native library's share of the CPU samples (the leaf-most
 * frame outside the interpreter, libc and the loader), and why there are no call counts. */
void stacks__ffi_sampled(struct stacks *st, cJSON *prof);
/* CPU time of the stack programs in the kernel, ms (BPF run-time statistics); < 0: unknown. */
double stacks__bpf_cpu_ms(struct stacks *st);
void stacks__free(struct stacks *st);

#endif
