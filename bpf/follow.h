/* SPDX-License-Identifier: GPL-2.0-only */
/* Following processes: what bpf/follow.bpf.c sends when a target execs a file it has not seen. */
#ifndef BINDPROF_FOLLOW_H
#define BINDPROF_FOLLOW_H

#include "common.h"

/* A file, as the kernel names it: the superblock's device (kernel encoding, MAJOR << 20 | MINOR)
 * and the inode number. */
struct exe_key {
	__u64 dev;
	__u64 ino;
};

struct exec_event {
	__u32 pid;       /* tgid of the process that exec'd */
	__u32 held;      /* 1: stopped (SIGSTOP) until the loader has looked at it */
	__u64 ns;        /* bpf_ktime_get_ns() at the exec */
	struct exe_key exe;
	__u8 comm[TASK_COMM_LEN];
};

/* Counters (per-CPU array follow_counts). */
enum {
	FOL_EXECS,      /* execs by targets */
	FOL_UNKNOWN,    /* of a file not yet in exe_known: sent to the loader */
	FOL_HELD,       /* ... and stopped until the loader released them */
	FOL_LOST,       /* not sent: the ring buffer was full (not held either) */
	FOL_HOLD_FAIL,  /* bpf_send_signal failed: sent, not held */
	FOL_MAX
};

#endif
