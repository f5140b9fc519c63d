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
/* Pending uretprobes read per sample (see stack_event.uret_*); the kernel allows 64 per thread. */
#define MAX_URETPROBES 16

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

/* Counters (per-CPU array stack_counts): samples sent, and lost for want of ring buffer room;
 * STK_MALLOC_CALLS: the target's malloc calls seen by the sampled-malloc uprobe (every one);
 * with --unwind kernel, the samples unwound in BPF and those that fell back to the stack copy
 * (unwound in user space), by reason (enum eh_fallback, counted at STK_FB + reason). */
enum { STK_SAMPLES, STK_LOST, STK_GIL_WAITS, STK_GIL_LOST, STK_MALLOC_CALLS, STK_KERNEL_UNWOUND, STK_FB,
       STK_MAX = STK_FB + 12 };

/* ---- In-kernel unwinding from .eh_frame (--unwind kernel) ----
 * Each executable file mapping's .eh_frame is turned, once per file, into a sorted array of rows
 * (user/inspect/ehtable.c): from row.pc (the file's virtual address, to the next row's pc) the
 * caller's frame is found by the row's rule. The rows of every file sit in one BPF array
 * (eh_rows), each file's at [first, first + count); a process's mappings (eh_procs, by tgid)
 * say which file covers a pc and its load bias. */
#define EH_MAX_ROWS (1 << 21)  /* rows of every loaded file (16 bytes each: 32 MiB of kernel memory) */
#define EH_MAX_MAPS 128        /* executable mappings per process with a table */
#define EH_MAX_FRAMES 128      /* native frames per sample (deeper: the copy fallback) */
#define EH_MAX_PAGES (1 << 18) /* page index entries of every loaded file (8 bytes each: 2 MiB) */
#define EH_PAGE_SHIFT 12       /* 4 KiB pages (256-byte ones measured no faster: cache misses, not steps) */

enum eh_cfa {
	EH_CFA_NONE = 0,   /* no FDE covers the pc (a gap between functions) */
	EH_CFA_RSP,        /* CFA = rsp + cfa_off */
	EH_CFA_RBP,        /* CFA = rbp + cfa_off */
	EH_CFA_PLT,        /* a PLT entry: CFA = rsp + cfa_off + 8 when (pc & 15) >= rbp_off */
	EH_CFA_END,        /* the return address is undefined: the outermost frame (_start, clone) */
	EH_CFA_EXPR,       /* a DWARF expression (unsupported) */
	EH_CFA_REG,        /* CFA from another register (stack realignment; unsupported) */
	EH_CFA_RA,         /* the return address is not at CFA - 8 (unsupported) */
	EH_CFA_RBP_RULE,   /* rbp is restored by a rule other than "unchanged" or "at CFA + n" */
	EH_CFA_SIGNAL,     /* a signal trampoline's frame (unsupported) */
};

enum eh_rbp {
	EH_RBP_SAME = 0,   /* rbp is unchanged in this frame */
	EH_RBP_AT,         /* the caller's rbp is saved at CFA + rbp_off */
};

struct eh_row {
	__u32 pc;          /* file virtual address the rule starts at */
	__s32 cfa_off;
	__s16 rbp_off;
	__u8 cfa;          /* enum eh_cfa */
	__u8 rbp;          /* enum eh_rbp */
	__u32 pad;         /* 16 bytes: a BPF array's element stride (values round up to 8 bytes),
			    * so that the loader can write rows through a mapping of the array */
};

struct eh_map {
	__u64 start, end;  /* the mapping's addresses [start, end) */
	__u64 bias;        /* pc - bias = the file's virtual address */
	__u32 first, count; /* its file's rows in eh_rows */
	/* A page index, so that a look-up searches one page's rows, not the file's: eh_pages[
	 * page_first + i] is the index (from first) of the last row at or below the address
	 * (page_base + i) << EH_PAGE_SHIFT, for i < npages. npages 0: none (search every row). */
	__u32 page_first, npages, page_base, pad;
};

struct eh_proc {
	__u32 n;           /* mappings, sorted by start */
	__u32 gen;         /* bumped by the loader at each rewrite */
	struct eh_map m[EH_MAX_MAPS];
};

/* Why a sample fell back to the stack copy (counted at STK_FB + reason; stack_event.unwind). */
enum eh_fallback {
	EH_FB_NONE = 0,
	EH_FB_NO_PROC,     /* no table for the process (yet) */
	EH_FB_NO_MAPPING,  /* a pc outside every mapping with a table (JIT, anonymous, a new library) */
	EH_FB_NO_ROW,      /* a pc no FDE covers */
	EH_FB_EXPR,        /* a CFA expression other than the PLT's */
	EH_FB_REG,         /* a CFA from another register than rsp or rbp */
	EH_FB_RA,          /* the return address not at CFA - 8, or rbp restored by another rule */
	EH_FB_SIGNAL,      /* a signal frame */
	EH_FB_READ,        /* a return address or saved rbp could not be read (not present) */
	EH_FB_BAD_CFA,     /* a CFA at or below the stack pointer (a wrong rule or a corrupt stack) */
	EH_FB_DEPTH,       /* more than EH_MAX_FRAMES frames */
	EH_FB_MAX,
};

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
	/* The thread's pending uretprobes (any tool's: a uprobe on a file covers every process that
	 * maps it): each replaced a return address on the stack with the uprobes trampoline's
	 * address (uret_tramp, the [uprobes] page), which unwinds nowhere. uret_slot[i]: where on the
	 * stack (the stack pointer at the probed function's entry), uret_orig[i]: the return address
	 * it replaced; most recent first. */
	__u64 uret_tramp;
	__u32 nuret;
	__u32 uret_pad;
	__u64 uret_slot[MAX_URETPROBES];
	__u64 uret_orig[MAX_URETPROBES];
	__u32 nupc;         /* --unwind kernel: native frames unwound in BPF, in upc (0: see stack) */
	__u32 unwind;       /* enum eh_fallback: why this sample carries the stack copy instead */
	__u64 upc[EH_MAX_FRAMES]; /* their pcs, leaf first: the leaf's pc, then return addresses */
	/* the stack copy: only in samples not unwound in BPF (a sample unwound in BPF is sent
	 * without it, offsetof(struct stack_event, stack) bytes) */
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
