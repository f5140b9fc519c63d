// SPDX-License-Identifier: GPL-2.0-only
/* Syscall latency: per syscall count, errors, total time and a log-linear histogram; per thread
 * count and time. raw_syscalls entry and exit through BTF tracepoints, filtered on the target set
 * before any other map work. Opt-in: any syscall tracepoint slows every syscall on the machine. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "syscalls.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALL_NR);
	__type(key, __u32);
	__type(value, struct syscall_stat);
} syscall_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SYSCALL_NR);
	__type(key, __u32);
	__type(value, struct syscall_sum);
} syscall_sums SEC(".maps");

/* A slot per target thread, handed out at its first counted syscall (thread_ctx.sys_slot): an
 * array look-up is inlined by the verifier, where a tid-keyed hash cost ~55 ns per syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct thread_stat);
} thread_stats SEC(".maps");

/* slots of thread_stats handed out (may pass MAX_THREADS: the rest dropped); 64-bit: clang 14 has
 * a fetch-and-add that returns its value only for 64-bit operands below BPF ISA v3 */
__u64 thread_slots = 0;

/* New tasks' first returns from clone/fork/vfork/clone3 (see sys_exit): neither counted syscalls
 * nor syscalls in progress at attach, kept so that every exit hit is accounted for. */
__u64 new_task_returns = 0;

/* uretprobe syscalls of target threads (URETPROBE_NR): return probes' trampolines, counted apart
 * and in no syscall, thread or request figure (3 per probed FFI call, 30 of a request's 33). */
__u64 uretprobe_returns = 0;

/* The current thread's slot in thread_stats (tc: its context), handed out on its first syscall.
 * NULL (and counted) when the array is full. */
static __always_inline struct thread_stat *thread_stat_of(struct thread_ctx *tc, __u32 tgid, __u32 tid)
{
	bool fresh;
	struct thread_stat *t = thread_slot(&tc->sys_slot, &thread_slots, &thread_stats, DROP_THREAD_MAP_FULL, &fresh);

	if (t && fresh) {
		t->tgid = tgid;
		bpf_get_current_comm(t->comm, sizeof(t->comm));
		t->tid = tid; /* last: the reader skips a slot whose tid is still 0 */
	}
	return t;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct thread_ctx *tc;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_SYS_ENTER);
	tc = current_ctx();
	if (!tc)
		return 0;
	tc->sys_nr = id;
	tc->sys_start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid(), now, delta;
	__u32 tgid = id >> 32, tid = (__u32)id, nr, slot;
	struct syscall_stat *s;
	struct syscall_sum *sum;
	struct thread_stat *t;
	struct thread_ctx *tc;

	if (!is_target_tgid(tgid))
		return 0;
	count_hit(HIT_SYS_EXIT);
	now = bpf_ktime_get_ns();
	tc = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
	if (!tc || !tc->sys_start_ns) {
		/* A new task's first return from clone/fork/vfork/clone3 (0, in the child) has no
		 * entry in this task: not a syscall that began before the probes attached. */
		long cur = BPF_CORE_READ(regs, orig_ax);

		if (ret == 0 && (cur == CLONE_NR || cur == FORK_NR || cur == VFORK_NR || cur == CLONE3_NR)) {
			__sync_fetch_and_add(&new_task_returns, 1);
			return 0;
		}
		count_drop(DROP_UNPAIRED_EXIT);
		return 0;
	}
	delta = now - tc->sys_start_ns;
	nr = tc->sys_nr < MAX_SYSCALL_NR ? tc->sys_nr : MAX_SYSCALL_NR - 1;
	if (nr == URETPROBE_NR) {
		__sync_fetch_and_add(&uretprobe_returns, 1);
		tc->sys_start_ns = 0;
		return 0;
	}
	{
		struct req_acct *p = req_pend(tc);

		if (p && tc->op_ns >= tc->sys_start_ns) {
			/* the read or write of a served connection inside this syscall: the syscall
			 * belongs to that operation's request (from the request's start, for its
			 * first read) */
			__u64 sk = tc->req_sk;
			struct req_conn *c = bpf_map_lookup_elem(&conns, &sk);

			if (c && c->req_id == tc->request_id) {
				__u64 ns = now - (tc->op_new ? tc->op_ns : tc->sys_start_ns);

				c->op_syscalls++;
				c->op_sys_ns += ns;
				req_slot_add(c->op_sys, REQ_OP_SLOTS, nr, ns, &c->op_sys_other);
			}
		} else if (p) {
			p->syscalls++;
			p->sys_ns += delta;
			req_slot_add(p->sys, REQ_SYS_SLOTS, nr, delta, &p->sys_other);
		}
	}
	tc->sys_start_ns = 0;

	sum = bpf_map_lookup_elem(&syscall_sums, &nr);
	if (sum) {
		/* this CPU's: the adds stay atomic (a syscall tracepoint's program can be preempted
		 * by another task's on the same CPU), but nothing bounces between CPUs */
		__sync_fetch_and_add(&sum->count, 1);
		if (ret < 0 && ret >= -4095)
			__sync_fetch_and_add(&sum->errors, 1);
		__sync_fetch_and_add(&sum->total_ns, delta);
		if (delta > sum->max_ns)
			sum->max_ns = delta; /* racy max: a lost update can only under-report by one event */
	}
	s = bpf_map_lookup_elem(&syscall_stats, &nr);
	if (s) {
		slot = hist_slot(delta);
		barrier_var(slot); /* keep the bound check on the register that indexes */
		if (slot < HIST_SLOTS)
			__sync_fetch_and_add(&s->hist[slot], 1);
	}

	t = thread_stat_of(tc, tgid, tid);
	if (!t)
		return 0;
	if (ret == 0 && (nr == EXECVE_NR || nr == EXECVEAT_NR))
		bpf_get_current_comm(t->comm, sizeof(t->comm)); /* the new program's name */
	t->count++;	    /* only this thread writes its entry */
	t->total_ns += delta;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
