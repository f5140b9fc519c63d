/* SPDX-License-Identifier: GPL-2.0 */
/* What every BPF program and the loader share: probe ids, drop reasons, per-thread context. */
#ifndef BINDPROF_COMMON_H
#define BINDPROF_COMMON_H

#define TASK_COMM_LEN 16
#define MAX_TARGETS 4096
#define MAX_THREADS 16384

/* The fast path of the target filter, in a one-entry array (lookups are inlined by the verifier):
 * most runs profile one process, so compare its tgid before touching the targets hash. */
struct target_cfg {
	__u32 main_tgid; /* 0: none */
	__u32 others;    /* non-zero once any other tgid is in the targets hash */
};

/* Probe types counted in the `hits` per-CPU array (overhead accounting). */
enum probe_hit {
	HIT_SYS_ENTER = 0,
	HIT_SYS_EXIT,
	HIT_FORK,
	HIT_EXIT,
	HIT_MAX,
};

/* Reasons an event was dropped, counted in the `drops` per-CPU array. Silent loss is a bug. */
enum drop_reason {
	DROP_THREAD_MAP_FULL = 0, /* per-thread stats map had no room for a new thread */
	DROP_TARGET_MAP_FULL,     /* a forked child could not be added to the target set */
	DROP_CTX_ALLOC,           /* per-thread context storage could not be created */
	DROP_UNPAIRED_EXIT,       /* a syscall exit without its entry (began before attach) */
	DROP_MAX,
};

/* Per-thread context: one per target thread, in task-local storage shared by every probe object.
 * Each feature owns its fields; the request currently served lives here too, so every metric can
 * be attributed to it without retrofitting. */
struct thread_ctx {
	__u64 sys_start_ns; /* 0: not inside a traced syscall */
	__u32 sys_nr;
	__u32 pad;
	__u64 request_id; /* 0: no request being served (set by the requests probe) */
};

struct thread_name {
	char comm[TASK_COMM_LEN];
};

#endif /* BINDPROF_COMMON_H */
