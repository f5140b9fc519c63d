/* SPDX-License-Identifier: GPL-2.0-only */
/* CPython probes (GIL waits and holds, GC pauses): what bpf/python.bpf.c and the loader share. */
#ifndef BINDPROF_PYTHON_H
#define BINDPROF_PYTHON_H

#include "hist.h"
#include "common.h"

#define NR_FUTEX 202
/* Blocks on the GIL less than this apart belong to one wait: take_gil's timed waits wake every
 * switch interval (5 ms) to ask for a drop, and go straight back to sleep. */
#define GIL_EPISODE_GAP_NS 50000
/* Offset of `int locked` in struct _gil_runtime_state, 3.8 to 3.13 (GIL_OFF_LOCKED of
 * user/inspect/cpython.h, checked at build time in user/probes/python.c). */
#define GIL_LOCKED_OFF 16
#define GIL_LAST_HOLDER_OFF 8 /* PyThreadState *last_holder (GIL_OFF_LAST_HOLDER) */
#define GC_GENERATIONS 3 /* slot 3 counts collections of an unknown generation */
/* Slot 4: entries with GENERATION_AUTO (-1, CPython 3.13's automatic collections) whose chosen
 * generation never became known: with the chooser probe attached, the collector found nothing
 * due and did not collect; without it, collections of an unknown generation. */
#define GC_SLOT_AUTO 4
#define GC_SLOTS 5

/* struct gil_range (the GIL struct of one process): bpf/common.h, beside the target filter. */

struct gil_total {
	__u64 waits;       /* wait episodes (cheap) or blocking take_gil calls (exact) */
	__u64 wait_ns;
	__u64 blocks;      /* futex blocks on the GIL */
	__u64 hold_ns;     /* exact method only */
	__u64 acquisitions;/* exact method: take_gil returns */
	__u64 preempted_ns;/* of wait_ns: waiting threads preempted in a GIL hand-off (runnable) */
	__u64 max_wait_ns;
	__u64 hist[HIST_SLOTS]; /* single waits */
};

/* One thread's GIL figures: gil_threads is an array, a slot per thread handed out at its first
 * GIL event (thread_ctx.gil_slot); gil_slots counts the slots handed out. */
struct gil_thread {
	__u32 tgid;
	__u32 tid;
	__u64 waits, wait_ns, hold_ns;
	char comm[TASK_COMM_LEN];
};

struct gc_gen_stat {
	__u64 collections;
	__u64 pause_ns;
	__u64 max_ns;
	__u64 hist[HIST_SLOTS];
};

struct gc_thread {
	__u32 tgid;
	__u32 pad;
	__u64 collections, pause_ns;
	char comm[TASK_COMM_LEN];
};

#endif /* BINDPROF_PYTHON_H */
