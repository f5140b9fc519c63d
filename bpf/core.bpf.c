// SPDX-License-Identifier: GPL-2.0-only
/* The core object: owns the shared maps and keeps the target set current as targets fork and exit.
 * Both tracepoints fire only on process creation and exit, so they cost nothing per request. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "net.bpf.h" /* the net probe's shared maps (created here, shared by session.c) */

/* Set by the loader: follow children forked by targets (the default) or not (--no-children). */
const volatile bool follow_children = true;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;

	if (!follow_children || ptgid == ctgid)
		return 0; /* a new thread of a target is covered by its tgid already */
	if (!is_target_tgid(ptgid))
		return 0;
	count_hit(HIT_FORK);
	if (add_target_tgid(ctgid) && !is_target_tgid(ctgid))
		count_drop(DROP_TARGET_MAP_FULL);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid, tid = p->pid;
	struct thread_name name;

	if (!is_target_tgid(tgid))
		return 0;
	count_hit(HIT_EXIT);
	/* p is current here: its final name */
	bpf_get_current_comm(name.comm, sizeof(name.comm));
	bpf_map_update_elem(&thread_names, &tid, &name, BPF_ANY);
	/* The loader removes tgids whose processes are gone; leaving them here until then lets the
	 * last threads of a dying process still be measured. Task storage frees itself. */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
