// SPDX-License-Identifier: GPL-2.0-only
/* Requests: server-side HTTP/1.x request boundaries from the kernel's socket tracepoints, with no
 * syscall tracepoint (those slow every syscall on the machine).
 *
 * sock:sock_recv_length and sock:sock_send_length fire inside sock_recvmsg/sock_sendmsg with the
 * struct sock and the byte count, only on socket I/O. A target thread's read of a TCP connection
 * that has no request yet, or whose request was answered, and whose first bytes are an HTTP
 * method and a space, begins a request: its first bytes (the request line) are copied from the
 * read's user buffer, found in the syscall's saved registers. The request's writes answer it; it
 * ends with the next request on the connection or when the server closes it
 * (sock:inet_sock_set_state), its latency being its first read to its last write.
 *
 * Attribution (bpf/request.h): at each read or write of a served connection, the thread's
 * pending account goes to a request, and the loader adds it up. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "net.bpf.h" /* net_on_send, net_on_request: the net probe's Nagle and accept-queue checks */
#include "gil.bpf.h" /* gil_ranges: a wake of a thread blocked on the GIL is a hand-off, not a cause */

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define MSG_PEEK 2
#define TCP_FIN_WAIT1 4
#define TCP_CLOSE 7
#define TCP_LAST_ACK 9
#define NR_READ 0
#define NR_WRITE 1
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 << 20); /* ~0.3 s of 6,000 requests/s at two records each: polled every 100 ms */
} req_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REQ_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} req_stats SEC(".maps");

/* Per-CPU scratch for a request line being read (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct req_start_ev);
} req_scratch SEC(".maps");

/* Per-CPU copy of a read's first REQ_SCAN bytes, searched for pipelined requests; twice the size
 * so that a request line read at any offset below REQ_SCAN stays inside it. */
struct scan_buf {
	char b[2 * REQ_SCAN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scan_buf);
} req_scan SEC(".maps");

/* thread_ctx.lent_new's bits: lent at its creation (its first wake of the creator is Thread.start's
 * handshake), and lent by a queue item it took (queue_get_ret: ends only at a hand-back or at the
 * next item, not at a wake). */
#define LENT_NEW 1
#define LENT_ITEM 2

/* queue.SimpleQueue items put by a thread working for an owner (concurrent.futures' _WorkItem,
 * run_in_executor's work): the item object's address, with its process, to that owner and the
 * putting thread; taken out when a thread gets the item. */
struct item_key {
	__u64 item;
	__u32 tgid;
	__u32 pad;
};

struct item_val {
	__u64 owner; /* 0: the putter worked for no single request */
	__u32 tid;   /* the putting thread */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct item_key);
	__type(value, struct item_val);
} queue_items SEC(".maps");

/* Coroutines whose task finished (REQ_EV_TASK_END), by address and process: a later step of a
 * coroutine at that address is a new task's (REQ_EV_TASK_NEW). Until then, work handed back
 * late for the finished task (a helper's account flushed after the task wrote and ended) is
 * still the finished task's. */
struct coro_key {
	__u64 coro;
	__u32 tgid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct coro_key);
	__type(value, __u8);
} ended_tasks SEC(".maps");

__u64 next_id; /* request ids, from 1 */
/* Set by the loader: the gil probe is on, so a CPython target's GIL address is known (a target
 * without one in gil_ranges is native: it has no GIL). Without it, wakes are not classified. */
const volatile bool gil_known = false;

#define stat(s) count_idx(&req_stats, (s))

/* The thread's pending account goes to `owner` (0: no request). */
static __always_inline void flush_tid(struct thread_ctx *tc, __u64 owner, __u32 tid)
{
	struct req_acct_ev *e;

	if (!tc->pend_any)
		return;
	/* Without a syscall or native-function slot filled (the slots fill in order), the record
	 * stops before the slots: 80 bytes instead of 464, for the GIL waits and samples alone. */
	if (!tc->pend.sys[0].count && !tc->pend.ffi[0].count) {
		e = bpf_ringbuf_reserve(&req_events, REQ_ACCT_EV_SHORT, 0);
		if (e) {
			e->kind = REQ_EV_ACCT;
			e->tid = tid;
			e->owner = owner;
			__builtin_memcpy(&e->a, &tc->pend, offsetof(struct req_acct, sys));
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		} else {
			stat(REQ_STAT_RING_FULL);
		}
		__builtin_memset(&tc->pend, 0, offsetof(struct req_acct, sys));
		tc->pend_any = 0;
		return;
	}
	e = bpf_ringbuf_reserve(&req_events, sizeof(*e), 0);
	if (e) {
		e->kind = REQ_EV_ACCT;
		e->tid = tid;
		e->owner = owner;
		__builtin_memcpy(&e->a, &tc->pend, sizeof(e->a));
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	} else {
		stat(REQ_STAT_RING_FULL);
	}
	__builtin_memset(&tc->pend, 0, sizeof(tc->pend));
	tc->pend_any = 0;
}

static __always_inline void flush(struct thread_ctx *tc, __u64 owner)
{
	flush_tid(tc, owner, (__u32)bpf_get_current_pid_tgid());
}

/* A task wrote or read request `req` (or, req 0, its coroutine finished): user space gives the
 * task's held accounts to that request. */
static __always_inline void task_event(__u32 kind, __u64 task, __u64 req)
{
	struct req_bind_ev *e = bpf_ringbuf_reserve(&req_events, sizeof(*e), 0);

	if (!e) {
		stat(REQ_STAT_RING_FULL);
		return;
	}
	e->kind = kind;
	e->pad = 0;
	e->task = REQ_TASK_BIT | task;
	e->req = req;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

static __always_inline void end_request(struct req_conn *c, __u32 reason)
{
	struct req_end_ev *e;

	if (!c->req_id)
		return;
	e = bpf_ringbuf_reserve(&req_events, sizeof(*e), 0);
	if (!e) {
		stat(REQ_STAT_RING_FULL);
		return;
	}
	e->kind = REQ_EV_END;
	e->reason = reason;
	e->id = c->req_id;
	e->start_ns = c->start_ns;
	e->end_ns = c->sends ? c->last_send_ns : 0;
	e->bytes_in = c->bytes_in;
	e->bytes_out = c->bytes_out;
	e->sends = c->sends;
	e->op_syscalls = c->op_syscalls;
	e->op_sys_other = c->op_sys_other;
	e->pad = 0;
	e->op_sys_ns = c->op_sys_ns;
	__builtin_memcpy(e->op_sys, c->op_sys, sizeof(e->op_sys));
	e->oncpu_ns = c->sends ? c->oncpu_ns : REQ_CPU_UNKNOWN;
	e->read_span_ns = c->last_read_ns > c->start_ns ? c->last_read_ns - c->start_ns : 0;
	e->gap_max_ns = c->gap_max_ns;
	e->gaps = c->gaps;
	e->stalls = c->stalls;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* The connection's ports and peer address, into a request's start (to match it with the client's
 * request: docs/network.md). */
static __always_inline void conn_ids(struct req_start_ev *ev, const struct sock *sk)
{
	/* sk is the tracepoint's BTF pointer: direct loads, no helper call */
	ev->lport = sk->__sk_common.skc_num;
	ev->rport = __builtin_bswap16(sk->__sk_common.skc_dport);
	if (sk->__sk_common.skc_family == AF_INET6) {
		__builtin_memcpy(ev->raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
	} else {
		__u32 a = sk->__sk_common.skc_daddr;

		__builtin_memset(ev->raddr, 0, 10);
		ev->raddr[10] = 0xff;
		ev->raddr[11] = 0xff;
		__builtin_memcpy(&ev->raddr[12], &a, 4);
	}
}

/* The current thread's CPU time so far (ns): the scheduler's sum_exec_runtime, brought up to date
 * at every context switch and tick (so behind by less than a tick for a running thread). */
static __always_inline __u64 thread_cpu_ns(void)
{
	return bpf_get_current_task_btf()->se.sum_exec_runtime;
}

/* The thread's operation at `now` on connection `key`, of request `id` (began it: `first`). */
static __always_inline void set_op(struct thread_ctx *tc, __u64 id, __u64 key, __u64 now, bool first)
{
	tc->request_id = id;
	tc->req_sk = key;
	tc->op_ns = now;
	tc->op_new = first;
	tc->lent_owner = 0; /* a thread that serves a connection works for its own requests */
	if (tc->task)
		task_event(REQ_EV_BIND, tc->task, id);
}

/* The request a read hands the thread's pending account to: that of the thread's previous
 * operation while it is unanswered, else none (the account is the time between requests). */
static __always_inline __u64 read_owner(struct thread_ctx *tc)
{
	struct req_conn *pc;
	__u64 sk = tc->req_sk;

	if (!tc->request_id || !sk)
		return 0;
	pc = bpf_map_lookup_elem(&conns, &sk);
	return pc && pc->req_id == tc->request_id && !pc->sends ? tc->request_id : 0;
}

/* Whom the thread works for now, for an account handed over at a read (or at its exit): the
 * asyncio task whose step it runs, else the owner it was lent to by a wake, else the request of
 * its previous operation while unanswered, else none. */
static __always_inline __u64 cur_owner(struct thread_ctx *tc)
{
	if (tc->task)
		return REQ_TASK_BIT | tc->task;
	if (tc->lent_owner)
		return tc->lent_owner;
	return read_owner(tc);
}

/* The user buffer a read filled or a write sent from, from the syscall's saved registers (the
 * first buffer of a vector or message); 0 if unknown. */
static __always_inline __u64 syscall_buffer(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct user_msghdr mh;
	struct iovec iov;

	if (!regs)
		return 0;
	switch (regs->orig_ax) {
	case NR_READ:
	case NR_RECVFROM:
	case NR_WRITE:
	case NR_SENDTO:
		return regs->si;
	case NR_READV:
	case NR_WRITEV:
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)regs->si))
			return 0;
		return (__u64)iov.iov_base;
	case NR_RECVMSG:
	case NR_SENDMSG:
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)regs->si) ||
		    bpf_probe_read_user(&iov, sizeof(iov), mh.msg_iov))
			return 0;
		return (__u64)iov.iov_base;
	}
	return 0;
}

/* "GET /", "POST /", ...: an upper-case token of 3 to 7 letters, a space, then '/' or '*' or an
 * absolute URI's scheme (a proxy request). */
static __always_inline bool is_request_line(const char *h, __u32 len)
{
	int i;

	if (len < 5)
		return false;
#pragma unroll
	for (i = 0; i < 8; i++) {
		char ch = h[i];

		if (ch == ' ')
			break;
		if (ch < 'A' || ch > 'Z')
			return false;
	}
	if (i < 3 || i > 7 || i + 1 >= len)
		return false;
	return h[i + 1] == '/' || h[i + 1] == '*' || h[i + 1] == 'h';
}

/* Where "\r\n\r\n" ends the headers and a request line follows: the offsets of pipelined requests
 * in the scan buffer (bpf_loop's callback, one position per call). */
struct scan_ctx {
	__u32 n;
	__u32 found;
	__u32 off[REQ_PIPE];
};

/* Eight positions per call: one 8-byte load, and the eight 4-byte windows only where one of those
 * bytes is a '\r' (a window of "\r\n\r\n" starts with one): a request's headers and body have a
 * few, so most calls end after the load and one word test. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static long scan_cb(__u32 i, struct scan_ctx *x)
{
	struct scan_buf *sb;
	__u32 zero = 0, base = (i * 8) & (REQ_SCAN - 1);
	__u64 w, v;

	if (x->found >= REQ_PIPE || base + 4 >= x->n)
		return 1;
	sb = bpf_map_lookup_elem(&req_scan, &zero);
	if (!sb)
		return 1;
	w = *(__u64 *)(sb->b + base);
	v = w ^ (0x0d * ONES);
	if (!((v - ONES) & ~v & HIGHS))
		return 0; /* no '\r' among the eight bytes */
#pragma unroll
	for (int k = 0; k < 8; k++) {
		__u32 pos = base + k;

		if (pos + 4 >= x->n)
			return 1;
		if (*(__u32 *)(sb->b + pos) != 0x0a0d0a0d) /* "\r\n\r\n" */
			continue;
		if (is_request_line(sb->b + (pos & (REQ_SCAN - 1)) + 4, x->n - (pos + 4)))
			x->off[x->found++ & (REQ_PIPE - 1)] = pos + 4;
		if (x->found >= REQ_PIPE)
			return 1;
	}
	return 0;
}

/* Queue a pipelined request (its first bytes at h, len of them) behind the connection's current
 * one, and send its start. */
static __always_inline void enqueue(struct req_conn *c, const struct sock *sk, const char *h, __u32 len,
				    __u64 pt, __u64 now)
{
	struct req_start_ev *ev;
	__u32 n = c->npipe;
	__u64 id;

	if (n >= REQ_PIPE) {
		stat(REQ_STAT_PIPE_FULL);
		return;
	}
	id = __sync_fetch_and_add(&next_id, 1) + 1;
	c->pipe_id[n & (REQ_PIPE - 1)] = id;
	c->pipe_start[n & (REQ_PIPE - 1)] = now;
	c->npipe = n + 1;
	ev = bpf_ringbuf_reserve(&req_events, sizeof(*ev), 0);
	if (!ev) {
		stat(REQ_STAT_RING_FULL);
		return;
	}
	if (bpf_probe_read_kernel(ev->head, REQ_HEAD, h))
		__builtin_memset(ev->head, 0, REQ_HEAD);
	ev->kind = REQ_EV_START;
	ev->tgid = pt >> 32;
	ev->tid = (__u32)pt;
	ev->len = len < REQ_HEAD ? len : REQ_HEAD;
	ev->id = id;
	ev->start_ns = now;
	ev->seq = ++c->nstarted;
	conn_ids(ev, sk);
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	stat(REQ_STAT_STARTED);
	stat(REQ_STAT_PIPELINED);
}

/* Pipelined requests in a read of ret bytes at user address buf: those after the end of a
 * request's headers (and, with at_start, the one the read begins with) are queued on c. */
static __always_inline void pipeline(struct req_conn *c, const struct sock *sk, __u64 buf, __u32 ret, bool at_start,
				     __u64 pt, __u64 now)
{
	struct scan_ctx x = {};
	struct scan_buf *sb;
	__u32 zero = 0, n = ret < REQ_SCAN ? ret : REQ_SCAN;

	sb = bpf_map_lookup_elem(&req_scan, &zero);
	if (!sb || !buf || bpf_probe_read_user(sb->b, n & (2 * REQ_SCAN - 1), (void *)buf))
		return;
	if (at_start)
		enqueue(c, sk, sb->b, n, pt, now);
	if (n <= 4)
		return;
	x.n = n;
	bpf_loop((n - 4 + 7) / 8, scan_cb, &x, 0);
#pragma unroll
	for (int j = 0; j < REQ_PIPE; j++) {
		__u32 off = x.off[j] & (REQ_SCAN - 1);

		if (j >= x.found)
			break;
		enqueue(c, sk, sb->b + off, n - off, pt, now);
	}
}

/* The next pipelined request becomes the connection's current one (the previous one ended). */
static __always_inline void next_from_pipe(struct req_conn *c)
{
	__u64 id = c->pipe_id[0], st = c->pipe_start[0];

#pragma unroll
	for (int j = 0; j < REQ_PIPE - 1; j++) {
		c->pipe_id[j] = c->pipe_id[j + 1];
		c->pipe_start[j] = c->pipe_start[j + 1];
	}
	c->npipe--;
	c->req_id = id;
	c->start_ns = st;
	c->last_send_ns = 0;
	c->bytes_in = 0;
	c->bytes_out = 0;
	c->sends = 0;
	c->op_sys_ns = 0;
	c->op_syscalls = 0;
	c->op_sys_other = 0;
	__builtin_memset(c->op_sys, 0, sizeof(c->op_sys));
	/* read with the one before it: no CPU time, read span or pauses of its own */
	c->seq++;
	c->cpu_tid = 0;
	c->oncpu_ns = REQ_CPU_UNKNOWN;
	c->last_read_ns = st;
	c->gap_max_ns = 0;
	c->gaps = 0;
	c->stalls = 0;
	c->read_between = 0;
}

/* The connection closed with pipelined requests still queued: each ends unanswered. */
static __always_inline void end_queued(struct req_conn *c)
{
#pragma unroll
	for (int j = 0; j < REQ_PIPE; j++) {
		struct req_end_ev *e;

		if (j >= c->npipe)
			break;
		e = bpf_ringbuf_reserve(&req_events, sizeof(*e), 0);
		if (!e) {
			stat(REQ_STAT_RING_FULL);
			continue;
		}
		__builtin_memset(e, 0, sizeof(*e));
		e->kind = REQ_EV_END;
		e->reason = REQ_END_CLOSE;
		e->id = c->pipe_id[j];
		e->start_ns = c->pipe_start[j];
		e->oncpu_ns = REQ_CPU_UNKNOWN;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
	c->npipe = 0;
}

/* The woken thread p is blocked on its process's GIL (a futex wait inside the GIL struct): the
 * wake is a GIL hand-off, which says nothing about whom p works for. */
static __always_inline bool gil_handoff(struct task_struct *p, const struct gil_range *r)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);

	return regs && regs->orig_ax == NR_FUTEX && regs->di >= r->lo && regs->di < r->hi;
}

/* The lent thread (tc, tid) stops working for its owner: what it measured since it was lent is
 * the owner's. */
static __always_inline void end_lend(struct thread_ctx *tc, __u32 tid)
{
	flush_tid(tc, tc->lent_owner, tid);
	tc->lent_owner = 0;
	tc->lent_by = 0;
	tc->lent_new = 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(req_recv, struct sock *sk, int ret, int flags)
{
	__u64 pt = bpf_get_current_pid_tgid(), key = (__u64)sk, now, buf;
	__u32 tgid = pt >> 32, zero = 0, len;
	struct task_struct *task;
	struct req_start_ev *e, *ev;
	struct thread_ctx *tc;
	struct req_conn *c;
	__u16 family;

	if (ret <= 0 || (flags & MSG_PEEK) || !is_target_tgid(tgid))
		return 0;
	count_hit(HIT_REQ_SOCK);
	tc = current_ctx();
	if (!tc)
		return 0;
	now = bpf_ktime_get_ns();
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || c->sends) {
		/* a request may begin here: look at its first bytes */
		task = bpf_get_current_task_btf();
		e = bpf_map_lookup_elem(&req_scratch, &zero);
		if (!e)
			return 0;
		buf = syscall_buffer(task);
		if (!buf) {
			if (!c)
				stat(REQ_STAT_NO_BUFFER);
			goto more;
		}
		len = ret < REQ_HEAD ? ret : REQ_HEAD;
		if (bpf_probe_read_user(e->head, REQ_HEAD, (void *)buf) &&
		    bpf_probe_read_user(e->head, len & (REQ_HEAD - 1) ? len & (REQ_HEAD - 1) : 1, (void *)buf))
			goto more;
		/* HTTP/2's connection preface, "PRI * HTTP/2.0", would pass for a request line */
		if (len >= 14 && e->head[0] == 'P' && e->head[1] == 'R' && e->head[2] == 'I' && e->head[3] == ' ' &&
		    e->head[4] == '*') {
			if (!c)
				stat(REQ_STAT_HTTP2);
			goto more;
		}
		if (!is_request_line(e->head, len)) {
			if (!c && e->head[0] == 0x16 && e->head[1] == 0x03)
				stat(REQ_STAT_TLS);
			goto more;
		}
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (family != AF_INET && family != AF_INET6) {
			if (family == AF_UNIX)
				stat(REQ_STAT_UNIX);
			return 0;
		}
		if (c && c->npipe) {
			/* pipelined requests still wait their turn: this one (and any behind it in
			 * the same read) queues after them */
			flush(tc, cur_owner(tc));
			pipeline(c, sk, buf, ret, true, pt, now);
			set_op(tc, c->req_id, key, now, false);
			return 0;
		}
		/* a new request: what the thread did since its last operation first */
		if (tc->req_sk && tc->req_sk != key && read_owner(tc))
			tc->multiplex = 1; /* a request begins while another connection's is unanswered */
		flush(tc, cur_owner(tc));
		if (c)
			end_request(c, REQ_END_NEXT);
		net_on_request(sk, now); /* net probe: accept-queue wait, Nagle hold (bpf/net.bpf.h) */
		{
			struct req_conn nc = {
				.req_id = __sync_fetch_and_add(&next_id, 1) + 1,
				.start_ns = now,
				.bytes_in = ret,
				.tgid = tgid,
				.nstarted = (c ? c->nstarted : 0) + 1,
				.cpu_tid = (__u32)pt,
				.cpu0_ns = thread_cpu_ns(),
				.last_read_ns = now,
			};

			/* a keep-alive connection's entry is rewritten in place (no map update) */
			if (c) {
				*c = nc;
			} else if (bpf_map_update_elem(&conns, &key, &nc, BPF_ANY) ||
				   !(c = bpf_map_lookup_elem(&conns, &key))) {
				stat(REQ_STAT_CONN_FULL);
				return 0;
			}
			ev = bpf_ringbuf_reserve(&req_events, sizeof(*ev), 0);
			if (ev) {
				__builtin_memcpy(ev->head, e->head, REQ_HEAD);
				ev->kind = REQ_EV_START;
				ev->tgid = tgid;
				ev->tid = (__u32)pt;
				ev->len = len;
				ev->id = nc.req_id;
				ev->start_ns = now;
				ev->seq = nc.nstarted;
				conn_ids(ev, sk);
				bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
			} else {
				stat(REQ_STAT_RING_FULL);
			}
			stat(REQ_STAT_STARTED);
			set_op(tc, nc.req_id, key, now, true);
			/* requests pipelined behind it in the same read */
			c->seq = nc.nstarted;
			if (ret >= 36) /* two of the shortest, "GET / HTTP/1.1\r\n\r\n" */
				pipeline(c, sk, buf, ret, false, pt, now);
		}
		return 0;
	}
more:
	if (!c)
		return 0;
	/* more of the connection's request (its headers, its body), or a request pipelined behind
	 * the unanswered one, read on its own */
	flush(tc, cur_owner(tc));
	if (!c->sends && c->bytes_in) {
		struct req_start_ev *h = bpf_map_lookup_elem(&req_scratch, &zero);
		__u64 b = syscall_buffer(bpf_get_current_task_btf());

		if (h && b && !bpf_probe_read_user(h->head, 16, (void *)b) &&
		    is_request_line(h->head, ret < 16 ? ret : 16)) {
			pipeline(c, sk, b, ret, true, pt, now);
			set_op(tc, c->req_id, key, now, false);
			return 0;
		}
	}
	if (!c->sends)
		c->last_read_ns = now; /* more of the request: the client is still sending it */
	else
		c->read_between = 1;
	c->bytes_in += ret;
	set_op(tc, c->req_id, key, now, false);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(req_send, struct sock *sk, int ret, int flags)
{
	struct tcp_sock *tp;
	__u64 key = (__u64)sk, now;
	struct thread_ctx *tc;
	struct req_conn *c;

	if (ret <= 0 || !is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_REQ_SOCK);
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c && ret == 1 && BPF_CORE_READ(sk, __sk_common.skc_family) == AF_UNIX) {
		/* a one-byte write to a unix socket: an event loop's self-pipe (asyncio's
		 * call_soon_threadsafe, how an executor hands a result back); a lent helper's work
		 * for its owner is over */
		tc = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
		if (tc && tc->lent_owner && !tc->req_sk) {
			end_lend(tc, (__u32)bpf_get_current_pid_tgid());
			stat(REQ_STAT_WAKE_BACK);
		}
		return 0;
	}
	if (!c || !c->req_id)
		return 0;
	tc = current_ctx();
	if (!tc)
		return 0;
	now = bpf_ktime_get_ns();
	if (c->npipe && c->sends) {
		/* a write that begins a response ("HTTP/") after the current request was answered
		 * answers the next pipelined one */
		char h[5] = {};
		__u64 b = syscall_buffer(bpf_get_current_task_btf());

		if (b && !bpf_probe_read_user(h, sizeof(h), (void *)b) && h[0] == 'H' && h[1] == 'T' &&
		    h[2] == 'T' && h[3] == 'P' && h[4] == '/') {
			end_request(c, REQ_END_NEXT);
			next_from_pipe(c);
		}
	}
	/* the work since the thread's last operation produced this response */
	flush(tc, c->req_id);
	tp = net_tcp(sk);
	net_on_send(sk, tp, now); /* net probe: a write Nagle's algorithm holds (bpf/net.bpf.h) */
	if (net_window_stalled(tp)) /* the client's receive window is closed on what is left */
		c->stalls++;
	if (c->sends && !c->read_between && now - c->last_send_ns >= REQ_GAP_NS &&
	    net_short_write(tp, c->last_send_len)) {
		/* a pause after a short write, no read between: the response's next write came late */
		c->gaps++;
		if (now - c->last_send_ns > c->gap_max_ns)
			c->gap_max_ns = now - c->last_send_ns;
	}
	c->oncpu_ns = c->cpu_tid == (__u32)bpf_get_current_pid_tgid() ? thread_cpu_ns() - c->cpu0_ns : REQ_CPU_UNKNOWN;
	c->read_between = 0;
	c->last_send_len = ret;
	c->sends++;
	c->last_send_ns = now;
	c->bytes_out += ret;
	set_op(tc, c->req_id, key, now, false);
	return 0;
}

/* The server closes a connection: its request is over. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(req_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = (__u64)sk;
	struct req_conn *c;

	if (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK && newstate != TCP_CLOSE)
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	count_hit(HIT_REQ_STATE);
	end_request(c, REQ_END_CLOSE);
	end_queued(c);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

/* A target thread exits: what its probes measured since its last operation on a served
 * connection would go with its task storage; it goes to the request of that operation if still
 * unanswered, else outside any request (an executor or helper thread that never touches a
 * socket has all its account here). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(req_exit, struct task_struct *task)
{
	struct thread_ctx *tc;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	tc = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
	if (!tc || !tc->pend_any)
		return 0;
	flush(tc, cur_owner(tc));
	stat(REQ_STAT_EXIT_FLUSH);
	return 0;
}


/* Whom the current thread works for when it hands work to another thread: an event loop outside
 * any task works for no single request (0). */
static __always_inline __u64 handing_owner(struct thread_ctx *me)
{
	if (!me || (me->req_sk && me->multiplex && !me->task))
		return 0;
	return cur_owner(me);
}

/* Causality across threads. The current thread wakes p (a futex, eventfd or pipe wake, a new
 * thread). p a helper thread (it never read or wrote a served connection) now works for whom the
 * waker works for (cur_owner: a task, a lent owner, an unanswered request), until it wakes the
 * waker back or is woken again; a waker working for none: p's work is counted apart (outside).
 * The GIL's hand-offs are not causes and are skipped. The filter is the wakee's tgid: one
 * array look-up for every wake on the machine. */
static __always_inline int on_wake(struct task_struct *p, bool created)
{
	__u32 tgid = p->tgid, tid = p->pid;
	__u64 pt, owner;
	struct thread_ctx *me, *wt;
	struct gil_range *r;

	if (!is_target_tgid(tgid))
		return 0;
	pt = bpf_get_current_pid_tgid();
	wt = bpf_task_storage_get(&thread_ctxs, p, 0, 0);
	r = bpf_map_lookup_elem(&gil_ranges, &tgid);
	if ((pt >> 32) != tgid) {
		/* woken by the kernel (a timeout, a signal) or another process: a hand-off is over,
		 * unless this is the timeout of a wait for the GIL (take_gil waits 5 ms at a time) */
		if (wt && wt->lent_owner && !(wt->lent_new & LENT_ITEM) && !(r && gil_handoff(p, r))) {
			end_lend(wt, tid);
			stat(REQ_STAT_WAKE_OTHER);
		}
		return 0;
	}
	if (r) {
		if (gil_handoff(p, r))
			return 0;
	} else if (!gil_known) {
		stat(REQ_STAT_WAKE_NOGIL);
		return 0;
	}
	me = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
	if (me && me->lent_owner && me->lent_by == tid) {
		if (me->lent_new & LENT_NEW) {
			me->lent_new &= ~LENT_NEW; /* a new thread tells its creator it started */
			return 0;
		}
		/* a helper hands its result back to the thread that lent it */
		end_lend(me, (__u32)pt);
		stat(REQ_STAT_WAKE_BACK);
		return 0;
	}
	if (me && !me->req_sk && !(me->lent_new & LENT_ITEM) && wt && wt->req_sk && !wt->multiplex && !wt->task) {
		/* a helper wakes a thread that serves one connection at a time: if that thread waits
		 * for an unanswered request, the helper's work since its last hand-over was for it
		 * (a queue hands work over without a wake when the helper did not sleep in between) */
		owner = read_owner(wt);
		if (owner) {
			flush_tid(me, owner, (__u32)pt);
			me->lent_owner = 0;
			me->lent_by = 0;
			stat(REQ_STAT_WAKE_RESULT);
			return 0;
		}
	}
	if (wt && wt->req_sk)
		return 0; /* a thread that serves connections works for its own requests */
	if (wt && (wt->lent_new & LENT_ITEM))
		return 0; /* it runs a queue item put for its owner: a wake does not change whose */
	owner = handing_owner(me); /* an event loop outside any task: none */
	if (!wt) {
		if (!owner)
			return 0;
		wt = bpf_task_storage_get(&thread_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!wt) {
			count_drop(DROP_CTX_ALLOC);
			return 0;
		}
	}
	/* what p measured before belongs to its previous owner, or to none */
	flush_tid(wt, wt->lent_owner, tid);
	wt->lent_owner = owner;
	wt->lent_by = owner ? (__u32)pt : 0;
	wt->lent_new = owner && created ? LENT_NEW : 0;
	stat(owner ? REQ_STAT_WAKE_LENT : REQ_STAT_WAKE_UNTIED);
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(req_waking, struct task_struct *p)
{
	return on_wake(p, false);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(req_wakeup_new, struct task_struct *p)
{
	return on_wake(p, true);
}

/* Whether obj is a coroutine: its type's name is "coroutine" (PyVarObject's header, then
 * tp_name, in every CPython 3.8-3.13). */
static __always_inline bool is_coroutine(__u64 obj)
{
	__u64 type = 0, name = 0;
	char n[10] = {};

	if (bpf_probe_read_user(&type, sizeof(type), (void *)(obj + 8)) || !type ||
	    bpf_probe_read_user(&name, sizeof(name), (void *)(type + 24)) || !name ||
	    bpf_probe_read_user(n, sizeof(n), (void *)name))
		return false;
	return n[0] == 'c' && n[1] == 'o' && n[2] == 'r' && n[3] == 'o' && n[4] == 'u' && n[5] == 't' &&
	       n[6] == 'i' && n[7] == 'n' && n[8] == 'e' && n[9] == 0;
}

/* asyncio tasks. A task's step sends into its coroutine: PyIter_Send (3.10+) or _PyGen_Send
 * (3.8, 3.9), called by _asyncio's task_step through the interpreter's exported symbol; awaits
 * nested inside it may call it again (depth > 1). The outermost call with a coroutine is a step:
 * what the thread measured before it is the loop's own work (cur_owner), what it measures during
 * it is the task's, held in user space until the task writes or reads a served connection. */
SEC("uprobe")
int BPF_KPROBE(task_send, void *coro)
{
	struct thread_ctx *tc;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	tc = current_ctx();
	if (!tc)
		return 0;
	if (tc->task_depth++ || !is_coroutine((__u64)coro))
		return 0;
	stat(REQ_STAT_TASK_STEPS);
	tc->multiplex = 1; /* an event loop */
	flush(tc, cur_owner(tc));
	{
		struct coro_key k = { .coro = (__u64)coro, .tgid = bpf_get_current_pid_tgid() >> 32 };

		if (bpf_map_lookup_elem(&ended_tasks, &k)) {
			bpf_map_delete_elem(&ended_tasks, &k);
			task_event(REQ_EV_TASK_NEW, (__u64)coro, 0); /* before any of its own work */
		}
	}
	tc->task = (__u64)coro;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(task_send_ret, long ret)
{
	struct thread_ctx *tc;
	__u64 task;
	bool done;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	tc = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
	if (!tc || !tc->task_depth || --tc->task_depth || !tc->task)
		return 0;
	task = tc->task;
	flush(tc, REQ_TASK_BIT | task);
	tc->task = 0;
	/* the attachment's cookie, 1: _PyGen_Send (3.8/3.9) returns an object, NULL when the coroutine
	 * is done; 0: PyIter_Send (3.10+) returns PYGEN_RETURN 0, PYGEN_ERROR -1, PYGEN_NEXT 1 */
	done = bpf_get_attach_cookie(ctx) ? !ret : (int)ret <= 0;
	if (done) {
		struct coro_key k = { .coro = task, .tgid = bpf_get_current_pid_tgid() >> 32 };
		__u8 one = 1;

		task_event(REQ_EV_TASK_END, task, 0);
		bpf_map_update_elem(&ended_tasks, &k, &one, BPF_ANY);
	}
	return 0;
}

/* queue.SimpleQueue.put (the _queue module's method, found from its method table): the item is
 * the owner's, the current thread's (concurrent.futures.ThreadPoolExecutor.submit puts a
 * _WorkItem; run_in_executor submits from the task's step). The attachment's cookie: the method
 * takes its defining class (METH_METHOD), so the arguments' array is the third parameter. */
SEC("uprobe")
int BPF_KPROBE(queue_put, void *self, void *a1, void *a2)
{
	__u64 pt = bpf_get_current_pid_tgid(), item = 0;
	struct item_key k = {};
	struct item_val v = {};
	struct thread_ctx *me;

	if (!is_target_tgid(pt >> 32))
		return 0;
	if (bpf_probe_read_user(&item, sizeof(item), bpf_get_attach_cookie(ctx) ? a2 : a1) || !item)
		return 0;
	me = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
	k.item = item;
	k.tgid = pt >> 32;
	v.owner = handing_owner(me);
	v.tid = (__u32)pt;
	bpf_map_update_elem(&queue_items, &k, &v, BPF_ANY);
	return 0;
}

/* queue.SimpleQueue.get or get_nowait is called: a helper that ran an item is done with it (a
 * ThreadPoolExecutor worker loops back to its queue), whether or not it handed a result back
 * with a wake: a result set before the submitter added its done-callback (run_in_executor's
 * wrap_future) wakes no one, and its work must not wait for the helper's next item. */
SEC("uprobe")
int BPF_KPROBE(queue_get)
{
	struct thread_ctx *tc;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	tc = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
	if (!tc || !(tc->lent_new & LENT_ITEM) || tc->req_sk)
		return 0;
	if (tc->lent_owner)
		stat(REQ_STAT_ITEM_DONE);
	end_lend(tc, (__u32)bpf_get_current_pid_tgid());
	return 0;
}

/* queue.SimpleQueue.get returns an item: a helper (a thread that never served a connection) now
 * works for the item's owner, exactly, whatever woke it or did not (a worker that takes the next
 * item without sleeping): what it measured before is its previous owner's. The lending ends when
 * it hands back (wakes the putter, or writes an event loop's self-pipe) or calls get again. */
SEC("uretprobe")
int BPF_KRETPROBE(queue_get_ret, long ret)
{
	__u64 pt = bpf_get_current_pid_tgid(), owner = 0;
	struct item_key k = {};
	struct item_val *v;
	struct thread_ctx *tc;
	__u32 by = 0;

	if (!ret || !is_target_tgid(pt >> 32))
		return 0;
	k.item = ret;
	k.tgid = pt >> 32;
	v = bpf_map_lookup_elem(&queue_items, &k);
	if (v) {
		owner = v->owner;
		by = v->tid;
		bpf_map_delete_elem(&queue_items, &k);
	}
	tc = current_ctx();
	if (!tc || tc->req_sk)
		return 0; /* a thread that serves connections works for its own requests */
	flush_tid(tc, tc->lent_owner, (__u32)pt);
	tc->lent_owner = owner;
	tc->lent_by = owner ? by : 0;
	tc->lent_new = LENT_ITEM; /* untied too: no wake makes a guess of it */
	stat(owner ? REQ_STAT_ITEM_LENT : REQ_STAT_ITEM_UNTIED);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
