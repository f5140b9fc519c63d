/* SPDX-License-Identifier: GPL-2.0-only */
/* Stack samples: what bpf/stacks.bpf.c sends and the loader unwinds. */
#ifndef BINDPROF_STACK_EVENT_H
#define BINDPROF_STACK_EVENT_H

#include "common.h"

/* Bytes of user stack copied from the stack pointer up, for unwinding from .eh_frame in user
 * space (perf's --call-graph dwarf copies 8 KiB by default; CPython's eval frames are large). */
#define STACK_COPY 16384
#define MAX_PY_FRAMES 128 /* Python frames kept per sample; a power of two (masked indexes) */
/* A deeper stack keeps its PY_LEAF_KEEP leaf-most frames in py[0, 64) and its root-most
 * MAX_PY_FRAMES - PY_LEAF_KEEP frames in py[64, 128), a ring there: frame k (k >= 64, leaf
 * first) is in slot 64 + ((k - 64) & 63). The frames between are dropped and counted. */
#define PY_LEAF_KEEP 64
/* At most this many frames (Python frames and 3.12+'s C-stack shims between them) are
 * visited per sample: a deeper stack loses its root (PY_ROOT_LOST). */
#define PY_WALK_STEPS 4096
#define MAX_PY_THREADS 64	/* thread states walked to find the sampled thread's */
#define KSTACK_DEPTH 64

enum stack_kind {
	STACK_CPU = 1,     /* an on-CPU sample (perf_event cpu-clock) */
	STACK_GIL_WAIT,    /* a thread blocking on the GIL; weighted later by STACK_GIL_DONE */
};

/* The end of a GIL wait whose stack was sent with cookie (its own small ring buffer). */
/* cookie 0: waits of thread tid (of process pid) that got no stack of their own and had no later
 * one to count with (the thread ended): the loader files them under "[no stack]". */
struct gil_wait_done {
	__u64 cookie;
	__u64 weight_ns;
	__u32 pid, tid;
};

/* Counters (per-CPU array stack_counts): samples sent, and lost for want of ring buffer room. */
/* STK_MALLOC_CALLS: the target's malloc calls seen by the sampled-malloc uprobe (every one). */
enum { STK_SAMPLES, STK_LOST, STK_GIL_WAITS, STK_GIL_LOST, STK_MALLOC_CALLS, STK_MAX };

/* x86_64 DWARF register numbers: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
#define NR_UREGS 17

/* How to find a thread's Python frames in one process (per tgid, from the loader). */
struct py_layout {
	__u64 tstate_head_addr; /* &interp->tstate_head (or threads.head) of the main interpreter */
	__u16 ts_next, ts_thread_id, ts_frame; /* PyThreadState: next, thread_id, frame/cframe/current_frame */
	__s16 cframe_current;   /* _PyCFrame.current_frame (3.11, 3.12); -1: ts_frame is the frame */
	__u16 fr_code, fr_back; /* frame: f_code/f_executable, f_back/previous */
	__s16 fr_is_entry;      /* 3.11: _PyInterpreterFrame.is_entry; -1: none */
	__s16 fr_owner;         /* 3.12+: _PyInterpreterFrame.owner; -1: none */
	__u16 co_ptrs;          /* PyCodeObject: co_filename and co_name, adjacent: the lower one */
	__u8 minor;
	__u8 pad[1];
};

#define FRAME_OWNED_BY_CSTACK 3

struct stack_event {
	__u32 kind;
	__u32 pid, tid;
	__u32 nkernel;      /* kernel frames in kstack, leaf first */
	__u64 cookie;       /* GIL waits: pairs STACK_GIL_WAIT with its struct gil_wait_done */
	__u64 request_id;   /* the request the thread is serving (read, not yet answered); 0: none */
	__u64 regs[NR_UREGS];
	__u32 user_len;     /* bytes of stack copied, from regs[7] (rsp) up */
	__u32 npy;          /* Python frames, leaf first */
	__u32 py_status;    /* 0: walked; PY_* otherwise */
	__u32 py_depth;     /* Python frames walked; > npy when the middle was dropped */
	__u64 py_entry[2];  /* bit i: frame i is the first one of an eval-loop call (3.11+) */
	__u64 py[MAX_PY_FRAMES]; /* code object addresses */
	__u64 py_tag[MAX_PY_FRAMES]; /* their co_filename and co_name pointers, mixed: a cached name
				      * is reused while the tag matches (an address can be reused) */
	__u8 comm[TASK_COMM_LEN];
	__u64 kstack[KSTACK_DEPTH];
	__u8 stack[STACK_COPY];
};

enum py_status {
	PY_WALKED = 0,
	PY_NOT_PYTHON,      /* no layout for the process (not CPython, or not initialized yet) */
	PY_NO_THREAD_STATE, /* the thread has no Python thread state (a native thread) */
	PY_TRUNCATED,       /* more than MAX_PY_FRAMES frames: the middle ones are dropped, the
			     * leaf-most and root-most kept (see PY_LEAF_KEEP) */
	PY_ROOT_LOST,       /* more than PY_WALK_STEPS frames: the walk stopped short of the root */
};

#endif /* BINDPROF_STACK_EVENT_H */
