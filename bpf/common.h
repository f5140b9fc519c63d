/* SPDX-License-Identifier: GPL-2.0-only */
/* What every BPF program and the loader share: probe ids, drop reasons, per-thread context. */
#ifndef BINDPROF_COMMON_H
#define BINDPROF_COMMON_H

#define TASK_COMM_LEN 16
#define MAX_TARGETS 4096
#define MAX_THREADS 16384

#include "requests.h"

/* The GIL struct of one CPython process: [lo, hi); exact: its take_gil/drop_gil uprobes are
 * attached, so the sched_switch program leaves the waits to them (a stripped interpreter keeps the
 * cheap method even when the exact one was asked for). */
struct gil_range {
	__u64 lo, hi;
	__u32 exact;
	__u32 ts_thread_id; /* offset of PyThreadState.thread_id (pthread_self()); 0: unknown */
};

/* The fast path of the target filter, in a one-entry array (lookups are inlined by the verifier):
 * most runs profile one process, so compare its tgid before touching the targets hash. The main
 * target's GIL range is kept here too (the gil_ranges hash holds every target's): a hash look-up
 * costs ~55 ns on the GIL's hand-off path, this one a load from the line the filter just read. */
struct target_cfg {
	__u32 main_tgid; /* 0: none */
	__u32 others;    /* non-zero once any other tgid is in the targets hash */
	__u32 requests;  /* the requests probe is on: every probe adds to the thread's pending account */
	__u32 pad;
	struct gil_range gil; /* main_tgid's GIL; hi == 0: not located (yet) */
};

/* Probe types counted in the `hits` per-CPU array (overhead accounting). */
enum probe_hit {
	HIT_SYS_ENTER = 0,
	HIT_SYS_EXIT,
	HIT_FORK,
	HIT_EXIT,
	HIT_SCHED_SWITCH,  /* sched_switch events involving a target thread */
	HIT_GIL_TAKE,      /* exact method: uprobe take_gil */
	HIT_GIL_TAKE_RET,  /* exact method: uretprobe take_gil */
	HIT_GIL_DROP,      /* exact method: uprobe drop_gil */
	HIT_GIL_DROP_RET,  /* exact method: uretprobe drop_gil */
	HIT_GC_START,      /* USDT gc__start or uprobe on the collector */
	HIT_GC_DONE,       /* USDT gc__done or uretprobe on the collector */
	HIT_GC_CHOICE,     /* 3.13: uprobe on the collector's start callback (the chosen generation) */
	HIT_STACK_SAMPLE,  /* perf_event cpu-clock samples of a target thread */
	HIT_GIL_STACK,     /* GIL-wait stacks sent (stacks' sched_switch program) */
	HIT_FFI_ENTER,     /* uprobes on probed native functions and ffi_call */
	HIT_FFI_EXIT,      /* their uretprobes */
	HIT_FFI_GIL,       /* PyEval_SaveThread / PyEval_RestoreThread (with --ffi) */
	HIT_REQ_SOCK,      /* sock_recv_length / sock_send_length of a target thread */
	HIT_REQ_STATE,     /* inet_sock_set_state of a served connection */
	HIT_MAX,
};

/* Reasons an event was dropped, counted in the `drops` per-CPU array. Silent loss is a bug. */
enum drop_reason {
	DROP_THREAD_MAP_FULL = 0, /* per-thread stats map had no room for a new thread */
	DROP_TARGET_MAP_FULL,     /* a forked child could not be added to the target set */
	DROP_CTX_ALLOC,           /* per-thread context storage could not be created */
	DROP_UNPAIRED_EXIT,       /* a syscall exit without its entry (began before attach) */
	DROP_GIL_THREAD_FULL,     /* per-thread GIL map had no room */
	DROP_GC_THREAD_FULL,      /* per-thread GC map had no room */
	DROP_MAX,
};

/* Per-thread context: one per target thread, in task-local storage shared by every probe object.
 * Each feature owns its fields; the request currently served lives here too, so every metric can
 * be attributed to it without retrofitting. */
struct thread_ctx {
	__u64 sys_start_ns; /* 0: not inside a traced syscall */
	__u32 sys_nr;
	__u32 sys_slot;     /* syscalls: 1 + this thread's slot in thread_stats; 0: none yet */
	__u64 request_id; /* 0: no request being served (set by the requests probe) */
	/* gil (bpf/python.bpf.c) */
	__u64 gil_block_ns;  /* blocked in a futex wait on the GIL since; 0: not */
	__u64 gil_wake_ns;   /* last woke from such a wait */
	__u64 gil_ep_ns;     /* blocked time of the current wait episode */
	__u64 take_ns;       /* exact method: inside take_gil since; 0: not */
	__u64 hold_ns;       /* exact method: holding the GIL since; 0: not */
	__u32 take_blocked;  /* exact method: 1: this wait blocked or was preempted; 2: counted at drop_gil */
	/* gc */
	__u32 gc_gen;
	__u64 gc_start_ns;   /* inside a collection since; 0: not */
	__u32 gil_cheap;     /* the blocked-on GIL's process is timed by the cheap method */
	__u32 gil_pre;       /* gil_block_ns marks a preemption in a GIL hand-off, not a block */
	__u32 gil_slot;      /* 1 + this thread's slot in gil_threads; 0: none yet; ~0: the array was full */
	__u32 gil_pad;
	__u64 drop_ns;       /* exact method: inside drop_gil since; 0: not */
	__u64 drop_end_ns;   /* exact method: the last drop_gil returned at */
	__u64 drop_wait_ns;  /* exact method: and lasted (the forced switch before a take_gil) */
	/* GIL-wait stacks (bpf/stackcap.bpf.h): the current wait's stack (0: not taken), and the
	 * waits since the thread's last stack that had none */
	__u64 gil_stk_cookie;
	__u64 gil_unsampled_ns;
	/* requests (bpf/request.h): request_id is the request of the thread's last read or write of
	 * a served connection (req_sk), at op_ns */
	__u64 req_sk;
	__u64 op_ns;
	__u32 op_new;        /* that read began the request: its syscall counts from op_ns */
	__u32 pend_any;      /* pend holds something */
	struct req_acct pend;
	/* requests across threads and tasks (bpf/requests.bpf.c): a helper thread (one that never
	 * read or wrote a served connection) woken by a thread working for an owner works for it
	 * (lent_owner: a request id, or REQ_TASK_BIT | a task's coroutine) until it wakes its lender
	 * (lent_by, a tid) back or is woken again; task: the coroutine whose step the thread runs
	 * (asyncio, the outermost PyIter_Send/_PyGen_Send), task_depth: that call's nesting */
	__u64 lent_owner;
	__u64 task;
	__u32 lent_by;
	__u32 task_depth;
	__u32 multiplex;     /* serves several connections at once (an event loop): never lent, and a
			      * helper's wake of it says nothing about which request it hands back to */
	__u32 lent_new;      /* lent at its creation: its first wake of the creator is the thread start's
			      * handshake (Python's Thread.start waits for it), not a hand-back */
};

struct thread_name {
	char comm[TASK_COMM_LEN];
};

#endif /* BINDPROF_COMMON_H */
