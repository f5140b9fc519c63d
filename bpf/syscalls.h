/* SPDX-License-Identifier: GPL-2.0-only */
/* Syscall latency probe: what bpf/syscalls.bpf.c and user/probes/syscalls.c share. */
#ifndef BINDPROF_SYSCALLS_H
#define BINDPROF_SYSCALLS_H

#include "hist.h"
#include "common.h"

#define MAX_SYSCALL_NR 512 /* x86_64 numbers are < 512; anything else lands in the last slot */

/* x86_64 numbers of execve/execveat: a thread's name changes when they succeed. */
#define EXECVE_NR 59
#define EXECVEAT_NR 322

/* x86_64 numbers of the calls that create a task: the new task's first return from one of them
 * (0 in the child) has no entry of its own, and is not a syscall in progress at attach time. */
#define CLONE_NR 56
#define FORK_NR 57
#define VFORK_NR 58
#define CLONE3_NR 435

/* x86_64 number of uretprobe (Linux 6.11+): the kernel's return path of a uretprobe, made by the
 * trampoline of any tool's (bindprof's own too) return probe, not by the target's code. */
#define URETPROBE_NR 335

/* Per syscall: count, errors, time and max are kept per CPU (struct syscall_sum, summed by the
 * loader: no cache line bouncing between CPUs on every syscall), the histogram in one shared
 * array (its slots spread the adds). The loader hands them over together as a syscall_stat. */
struct syscall_stat {
	__u64 count;
	__u64 errors; /* returns in [-4095, -1] */
	__u64 total_ns;
	__u64 max_ns;
	__u64 hist[HIST_SLOTS];
};

struct syscall_sum {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;
};

/* One thread's syscalls: thread_stats is an array, a slot per thread handed out at its first
 * counted syscall (thread_ctx.sys_slot); thread_slots counts the slots handed out. */
struct thread_stat {
	__u32 tgid;
	__u32 tid;
	__u64 count;
	__u64 total_ns;
	char comm[TASK_COMM_LEN];
};

#endif /* BINDPROF_SYSCALLS_H */
