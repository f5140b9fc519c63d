// SPDX-License-Identifier: GPL-2.0-only
/* The floor for the syscall probe's cost: the same two BTF tracepoints with programs that only
 * compare the tgid and return; and sched_switch likewise for the gil probe. Used by scripts/bench
 * (tools/probe_floor), never by bindprof. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 targ_tgid;

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/* The floor for the gil probe: sched_switch with a program that only compares tgids. */
SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return prev->tgid == targ_tgid || next->tgid == targ_tgid;
}

/* The floor for stack sampling: a perf_event program that only compares the tgid. */
SEC("perf_event")
int floor_sample(void *ctx)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/* The floor for a uprobe pair (ffi, the exact GIL method): programs that only compare the tgid. */
SEC("uprobe")
int floor_uprobe(void *ctx)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

SEC("uretprobe")
int floor_uretprobe(void *ctx)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/* The floor for the requests probe: the three socket tracepoints, programs that compare the tgid. */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(floor_recv, struct sock *sk, int ret, int flags)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(floor_send, struct sock *sk, int ret, int flags)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_state, const struct sock *sk, const int oldstate, const int newstate)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

char LICENSE[] SEC("license") = "GPL";
