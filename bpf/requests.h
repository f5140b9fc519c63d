/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-request attribution: what the requests probe (bpf/requests.bpf.c), the other probes and the
 * loader share.
 *
 * Every probe adds what it measures to the current thread's pending account (thread_ctx.pend).
 * The requests probe, at each read or write of a served connection by that thread, hands the
 * pending account to a request: a write's to the request it answers (the work that produced the
 * response), a read's to the request of the thread's previous operation if that request has not
 * been answered yet, else to no request (the time between requests). The account is sent to the
 * loader, which sums accounts per request. */
#ifndef BINDPROF_REQUEST_H
#define BINDPROF_REQUEST_H

#define REQ_HEAD 128      /* first bytes of a request kept: the request line */
#define REQ_SYS_SLOTS 16  /* distinct syscalls counted per account; more go to sys_other */
#define REQ_FFI_SLOTS 8   /* distinct probed native functions per account */
#define REQ_OP_SLOTS 4    /* distinct syscalls around a request's own reads and writes */
#define MAX_CONNS 65536
#define REQ_PIPE 4        /* pipelined requests queued on a connection behind the one being answered */
#define REQ_SCAN 4096     /* bytes of a read searched for pipelined requests (more: not searched) */

struct req_slot {
	__u32 key;   /* syscall number or FFI function index */
	__u32 count; /* 0: free */
	__u64 ns;
};

struct req_acct {
	__u64 gil_wait_ns;
	__u64 gil_hold_ns;  /* exact GIL method only */
	__u64 ffi_ns;       /* outermost probed calls, corrected for the probes' cost */
	__u64 gc_ns;
	__u64 sys_ns;
	__u32 gil_waits;
	__u32 ffi_calls;    /* every probed call, nested ones too */
	__u32 gc_pauses;
	__u32 syscalls;
	__u32 samples;      /* CPU stack samples */
	__u32 sys_other;    /* syscalls beyond the slots: counted in syscalls, not by name */
	struct req_slot sys[REQ_SYS_SLOTS];
	struct req_slot ffi[REQ_FFI_SLOTS];
};

/* One served connection (keyed by its struct sock). */
struct req_conn {
	__u64 req_id;       /* its current request; 0: none yet */
	__u64 start_ns;     /* that request's first read */
	__u64 last_send_ns; /* its last write so far */
	__u64 bytes_in;
	__u64 bytes_out;
	__u32 sends;        /* writes of the current request; > 0: answered */
	__u32 tgid;
	/* the syscalls around the request's own reads and writes (from its start, for the first
	 * read): added here by the syscalls probe at their exit */
	__u64 op_sys_ns;
	__u32 op_syscalls;
	__u32 op_sys_other;
	struct req_slot op_sys[REQ_OP_SLOTS];
	/* pipelined requests read before the current one was answered, oldest first: each becomes
	 * the current one at the first write that begins a response ("HTTP/") once the current one
	 * has been answered */
	__u64 pipe_id[REQ_PIPE];
	__u64 pipe_start[REQ_PIPE];
	__u32 npipe;
	__u32 nstarted;     /* requests begun on the connection so far (the next one's order - 1) */
	/* where the client's time goes (docs/network.md): the current request's order on the
	 * connection, the reading thread's CPU time at its first read, its last read before the
	 * response, the longest pause between two writes of the response after a short write with no
	 * read between, and its writes left waiting for the client's receive window */
	__u32 seq;
	__u32 cpu_tid;      /* the thread of the first read; another thread's write: CPU unknown */
	__u64 cpu0_ns;      /* that thread's sum_exec_runtime at the first read */
	__u64 oncpu_ns;     /* at the last write, minus cpu0_ns; REQ_CPU_UNKNOWN: not one thread */
	__u64 last_read_ns; /* the last read before the first write */
	__u64 gap_max_ns;
	__u32 last_send_len;
	__u16 gaps;         /* pauses >= REQ_GAP_NS after a write shorter than a segment */
	__u8 read_between;  /* a read since the last write */
	__u8 pad8;
	__u32 stalls;       /* writes that left bytes unsent the peer's window had no room for */
	__u32 pad32;
};

#define REQ_CPU_UNKNOWN (~0ull)
#define REQ_GAP_NS 40000000ull /* a delayed ACK's length: a pause between writes counted */

enum req_ev_kind {
	REQ_EV_START = 1,
	REQ_EV_ACCT,
	REQ_EV_END,
	REQ_EV_BIND,     /* a task wrote or read a served connection: its held accounts are that request's */
	REQ_EV_TASK_END, /* a task's coroutine finished: its held accounts go to its last request */
	REQ_EV_TASK_NEW, /* a step of a coroutine at a finished one's address: a new task from now on */
};

/* An account's owner with this bit set is a task (the rest: its coroutine's address), resolved in
 * user space at the task's next write or read of a served connection (REQ_EV_BIND). */
#define REQ_TASK_BIT (1ull << 63)

struct req_bind_ev {
	__u32 kind;
	__u32 pad;
	__u64 task;  /* REQ_TASK_BIT | coroutine */
	__u64 req;   /* the request it wrote or read (REQ_EV_BIND); 0 for REQ_EV_TASK_END */
};

enum req_end_reason {
	REQ_END_NEXT = 0, /* the next request on the connection began */
	REQ_END_CLOSE,    /* the server closed the connection */
};

struct req_start_ev {
	__u32 kind;
	__u32 tgid;
	__u32 tid;
	__u32 len;  /* bytes of head filled */
	__u64 id;
	__u64 start_ns;
	char head[REQ_HEAD];
	__u16 lport;    /* the connection's local (server) port, host order */
	__u16 rport;    /* its peer's (the client's) port */
	__u32 seq;      /* the request's order on its connection, from 1 */
	__u8 raddr[16]; /* the peer's address (IPv4 as ::ffff:a.b.c.d) */
};

struct req_acct_ev {
	__u32 kind;
	__u32 tid;
	__u64 owner;     /* the request the account belongs to; 0: outside any request */
	struct req_acct a;
};
/* An account without slots is sent this short (its slots are all empty). */
#define REQ_ACCT_EV_SHORT (offsetof(struct req_acct_ev, a) + offsetof(struct req_acct, sys))

struct req_end_ev {
	__u32 kind;
	__u32 reason;
	__u64 id;
	__u64 start_ns;
	__u64 end_ns;   /* the last write; 0: never answered */
	__u64 bytes_in;
	__u64 bytes_out;
	__u32 sends;
	__u32 op_syscalls;
	__u32 op_sys_other;
	__u32 pad;
	__u64 op_sys_ns;
	struct req_slot op_sys[REQ_OP_SLOTS];
	__u64 oncpu_ns;     /* the handling thread's CPU time, first read to last write (REQ_CPU_UNKNOWN) */
	__u64 read_span_ns; /* first read to the last read before the response */
	__u64 gap_max_ns;   /* the longest counted pause between two writes (req_conn.gap_max_ns) */
	__u32 gaps;
	__u32 stalls;
};

/* Requests the probe saw but could not parse, counted in the req_stats array. */
enum req_stat {
	REQ_STAT_STARTED = 0,
	REQ_STAT_TLS,          /* a new connection whose first bytes are a TLS handshake */
	REQ_STAT_HTTP2,        /* the HTTP/2 connection preface */
	REQ_STAT_UNIX,         /* an HTTP request read from a unix socket (not attributed) */
	REQ_STAT_NO_BUFFER,    /* a read whose user buffer could not be found (io_uring, recvmmsg) */
	REQ_STAT_RING_FULL,    /* events lost: the ring buffer was full */
	REQ_STAT_CONN_FULL,    /* the connection map was full */
	REQ_STAT_PIPELINED,    /* requests that arrived behind an unanswered one (pipelined) */
	REQ_STAT_PIPE_FULL,    /* pipelined requests beyond REQ_PIPE queued: not counted */
	REQ_STAT_EXIT_FLUSH,   /* accounts of exiting threads, handed over at their exit */
	REQ_STAT_WAKE_LENT,    /* wakes of a helper thread by a thread working for one owner: lent */
	REQ_STAT_WAKE_UNTIED,  /* wakes of a helper thread by a thread working for no single request */
	REQ_STAT_WAKE_BACK,    /* lendings ended by the helper waking its lender back */
	REQ_STAT_WAKE_RESULT,  /* a helper woke a thread waiting for its one unanswered request */
	REQ_STAT_WAKE_OTHER,   /* lendings ended by a wake from outside the process (a timeout) */
	REQ_STAT_WAKE_NOGIL,   /* wakes not classified: the GIL's address is unknown (gil probe off) */
	REQ_STAT_TASK_STEPS,   /* asyncio task steps seen (outermost coroutine sends) */
	REQ_STAT_ITEM_LENT,    /* queue.SimpleQueue items taken by a helper for the owner that put them */
	REQ_STAT_ITEM_UNTIED,  /* items taken whose putter worked for no single request (or unseen put) */
	REQ_STAT_ITEM_DONE,    /* item lendings ended at the helper's next get (no hand-back seen before) */
	REQ_STAT_MAX,
};

#endif /* BINDPROF_REQUEST_H */
