/* SPDX-License-Identifier: GPL-2.0-only */
/* FFI crossings: what bpf/ffi.bpf.c and the loader share. */
#ifndef BINDPROF_FFI_PROBE_H
#define BINDPROF_FFI_PROBE_H

#include "hist.h"
#include "common.h"

#define MAX_FFI_FUNCS 256
#define FFI_DEPTH 16     /* nested probed calls per thread (recursion, callbacks) */

/* Per probed function (the uprobe's attach cookie is its index). Times are corrected for the
 * probes' own cost: the calibrated inflation of one measured call, and the hits of calls nested
 * inside it. */
struct ffi_stat {
	__u64 calls;
	__u64 total_ns;
	__u64 max_ns;
	__u64 gil_held_calls;     /* the GIL was held by the calling thread on entry */
	__u64 gil_released_calls; /* it was not held on entry, or was released during the call */
	__u64 gil_unknown_calls;  /* the GIL's state could not be read (not CPython, not yet found) */
	__u64 overhead_ns;        /* libffi's share, raw: ffi_call entry to the body, and back */
	__u64 overhead_calls;
	__u64 unreturned;         /* entries whose return was never seen (longjmp, thread exit) */
	__u64 binding_ns;         /* the binding's Python-side share, raw: its call entry (ctypes'
				   * PyCFuncPtr_call, cffi's cdata_call) to ffi_call, and ffi_call's
				   * return to its own (argument and result conversion) */
	__u64 binding_calls;
	__u64 cpu_wait_ns;        /* time the calling thread waited on a run queue during the calls
				   * (task sched_info.run_delay): in total_ns, reported apart */
	__u64 hist[HIST_SLOTS];
};

struct ffi_frame {
	__u32 id;
	__u32 save_seq;  /* the thread's PyEval_SaveThread count on entry */
	__u64 start_ns;
	__u64 nested_ns; /* the thread's probe cost so far, on entry */
	__u64 ffi_in_ns; /* libffi's marshalling before the body (0: not called through ffi_call) */
	__u64 switch_no; /* the GIL's switch_number on entry */
	__u64 run_delay; /* the thread's sched_info.run_delay on entry */
	__s8 held;       /* the GIL was held by this thread on entry: 1, 0, -1 unknown */
	__u8 pad[7];
};

/* Where a target's GIL is, for reading its state in the function probes: the GIL struct
 * (interval, last_holder, locked, switch_number: the same first 32 bytes in 3.8 to 3.13) and
 * PyThreadState.thread_id (pthread_self(), the thread's fsbase on x86_64). */
struct ffi_gil {
	__u64 addr;
	__u64 ts_thread_id;
};

struct ffi_thread {
	__u32 depth;
	__u32 save_seq;    /* PyEval_SaveThread calls: a release of the GIL */
	__u32 pad0;
	__u32 ffi_depth;   /* inside ffi_call */
	__u64 cost_ns;     /* what this thread's probe hits cost so far (nested-cost correction) */
	__u64 ffi_call_ns; /* the current ffi_call's entry */
	__u64 body_end_ns; /* the last probed body's return inside ffi_call */
	__s32 body_id;     /* that body's function, for the return overhead; -1: none */
	__u32 bind_depth;  /* inside a binding's call entry (ctypes, cffi) */
	__u64 bind_start_ns; /* the outermost binding call's entry; 0: none */
	__u64 bind_pre_ns; /* its entry to its first ffi_call */
	__u64 bind_ret_ns; /* that ffi_call's return */
	__u64 bind_fix_ns; /* the probes' own cost inside the two windows */
	__s32 bind_body;   /* the probed body that ffi_call ran; -1: none */
	__u32 pad;
	/* the thread's run-queue wait (sched_info.run_delay) at those points: a window's wait for a
	 * CPU is taken out of it (a probe's return to user space is a place to be preempted) */
	__u64 ffi_call_rd, body_end_rd, bind_start_rd, bind_ret_rd;
	struct ffi_frame f[FFI_DEPTH];
};

/* The probes' own cost, from the loader's calibration (ns): subtracted from each measurement.
 * What a pair adds to one measured call depends on the function's first instruction: the
 * kernel emulates a few (push, nop, jmp...) and single-steps the others out of line, a second
 * trap after the entry program has taken its timestamp. */
struct ffi_correction {
	__u64 call_ns[MAX_FFI_FUNCS]; /* per function: what its pair adds to its own measured call */
	__u64 pair_ns[MAX_FFI_FUNCS]; /* per function: what its pair adds to a call around it */
};
/* The other probes (ffi_call, PyEval_SaveThread) carry their cost, ns, as their attach cookie. */

/* Late loads (a --ffi library named by file name, not found yet). Per guarded target: what the
 * walk of its loader's link_map list (from _r_debug: the base namespace) saw at the last RT_ADD. Only a process in this map is ever stopped: the loader
 * puts it there after registering it with the guardian, which continues it if bindprof dies. */
struct ffi_guard {
	__u64 r_debug;    /* unused (r_debug is found from the probe's address) */
	__u64 tail;       /* the list's last link_map at the last RT_ADD (0: unknown) */
	__u32 prev_state; /* r_state at the previous call of _dl_debug_state; FFI_RT_UNKNOWN at first */
	__u32 pad;
};
#define FFI_RT_UNKNOWN 3
#define FFI_NAME_LEN 64
#define FFI_MAX_PEND 16

/* A pending spec's library file name: a loaded object whose file name starts with it, followed
 * by the end or a '.', matches (libz.so matches libz.so.1). */
struct ffi_pend_name {
	char name[FFI_NAME_LEN];
	__u32 len;
	__u32 on; /* still pending */
};
struct ffi_pend_names {
	struct ffi_pend_name n[FFI_MAX_PEND];
};

enum ffi_dl_count {
	FFI_DL_CALLS = 0,  /* _dl_debug_state calls in targets while a spec was pending */
	FFI_DL_STOPS,      /* loads that stopped a target (a new object matched a pending name) */
	FFI_DL_NOMATCH,    /* loads that brought no matching object: not stopped */
	FFI_DL_UNGUARDED,  /* calls in a target not registered yet (a new child): not stopped */
	FFI_DL_BOUND,      /* the list walk reached its bound: stopped, to be safe */
	FFI_DL_OWNER_EXIT, /* bindprof was exiting: not stopped */
	FFI_DL_MAX,
};

enum ffi_drop {
	FFI_DROP_DEPTH = 0, /* nesting deeper than FFI_DEPTH */
	FFI_DROP_CTX,       /* no per-thread state */
	FFI_DROP_MAX,
};

#endif /* BINDPROF_FFI_PROBE_H */
