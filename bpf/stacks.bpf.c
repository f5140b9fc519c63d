// SPDX-License-Identifier: GPL-2.0-only
/* CPU stack samples and GIL-wait stacks.
 *
 * A perf_event program on the software cpu-clock event, one per CPU, samples every thread of the
 * target set. It sends the interrupted user registers and a copy of the top of the user stack, so
 * that user space can unwind binaries built without frame pointers from their .eh_frame, the
 * kernel stack, and the Python frames of the thread: code object addresses, leaf
 * first, read from the thread's PyThreadState (found in the main interpreter's thread list by
 * pthread_self(), i.e. the thread's fs base).
 *
 * GIL-wait stacks are taken the same way (bpf/stackcap.bpf.h) by the gil probe's own
 * tp_btf/sched_switch program (bpf/python.bpf.c), so that a switch runs one program, not two. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "stackcap.bpf.h"

SEC("perf_event")
int sample_cpu(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct stack_event *e;
	struct pt_regs *ur;

	if (!is_target_tgid(task->tgid) || task->flags & 0x00200000 /* PF_KTHREAD */)
		return 0;
	e = new_event(STACK_CPU, task);
	if (!e) {
		count(STK_LOST);
		return 0;
	}
	count(STK_SAMPLES);
	count_hit(HIT_STACK_SAMPLE);
	{
		struct req_acct *p = req_pend(bpf_task_storage_get(&thread_ctxs, task, 0, 0));

		if (p)
			p->samples++;
	}
	/* The user registers: saved at the top of the kernel stack on every entry from user mode
	 * (this interrupt's, or the syscall's the thread is in). In the kernel, its stack too. */
	ur = (struct pt_regs *)bpf_task_pt_regs(task);
	{
		long n = bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0);

		e->nkernel = n > 0 ? (__u64)n / 8 : 0;
	}
	if (ur)
		copy_user(e, ur, task);
	else
		e->user_len = 0;
	walk_python(e, task);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Sampled malloc call sites (profile --malloc-sample N): a uprobe on the target's libc malloc,
 * attached per target process by the loader. Every call is counted (STK_MALLOC_CALLS); each call
 * is sampled with probability 1/malloc_every (bpf_get_prandom_u32), its thread's stack taken as
 * the cpu-clock samples' are. Random, not every Nth call: a server repeats the same sequence of
 * allocations per request, and a countdown would sample the same positions of it forever. */
const volatile __u64 malloc_every = 0;

SEC("uprobe")
int BPF_KPROBE(sample_malloc)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct stack_event *e;
	if (!malloc_every || !is_target_tgid(task->tgid))
		return 0;
	count(STK_MALLOC_CALLS);
	if (bpf_get_prandom_u32() % malloc_every)
		return 0;
	e = new_event(STACK_CPU, task);
	if (!e) {
		count(STK_LOST);
		return 0;
	}
	count(STK_SAMPLES);
	copy_user(e, ctx, task); /* a uprobe's registers are the caller's, at malloc's first instruction */
	walk_python(e, task);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
