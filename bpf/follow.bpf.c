// SPDX-License-Identifier: GPL-2.0-only
/* Following processes through exec. When a target execs a file the loader has not looked at yet,
 * the program stops the process (SIGSTOP, delivered before it returns to user space, so before
 * the new program's first instruction) and tells the loader, which inspects the file, attaches
 * the interpreter's probes by path if it is CPython, records its verdict in exe_known and sends
 * SIGCONT. Files with a verdict are not stopped again: the cost is one round trip per distinct
 * file, not per exec. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "follow.h"

#define SIGSTOP 19

/* Set by the loader: hold unknown execs until looked at (else only report them). */
const volatile bool hold_execs = true;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} exec_events SEC(".maps");

/* Files the loader has looked at: value 1 when CPython (probes attached by path), 0 when not. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct exe_key);
	__type(value, __u8);
} exe_known SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FOL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} follow_counts SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(follow_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exe_key k = {};
	struct exec_event *e;
	struct inode *ino;

	if (!is_target_tgid(p->tgid))
		return 0;
	count_idx(&follow_counts, FOL_EXECS);
	/* the path's inode, as stat(2) on the path sees it (not an overlay's lower inode) */
	ino = BPF_CORE_READ(bprm, file, f_path.dentry, d_inode);
	k.ino = BPF_CORE_READ(ino, i_ino);
	k.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	if (bpf_map_lookup_elem(&exe_known, &k))
		return 0;
	count_idx(&follow_counts, FOL_UNKNOWN);
	e = bpf_ringbuf_reserve(&exec_events, sizeof(*e), 0);
	if (!e) {
		count_idx(&follow_counts, FOL_LOST);
		return 0;
	}
	e->pid = p->tgid;
	e->ns = bpf_ktime_get_ns();
	e->exe = k;
	e->held = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (hold_execs) {
		if (!bpf_send_signal(SIGSTOP)) {
			e->held = 1;
			count_idx(&follow_counts, FOL_HELD);
		} else {
			count_idx(&follow_counts, FOL_HOLD_FAIL);
		}
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
