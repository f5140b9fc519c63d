// SPDX-License-Identifier: GPL-2.0-only
/* FFI crossings: a uprobe and a uretprobe on each native function the user names (--ffi), whose
 * attach cookie is the function's index. Per call: the latency (corrected for the probes' own
 * cost), whether the GIL was held on entry or released during the call, and, for calls made
 * through libffi (ctypes, cffi), libffi's own share: ffi_call's entry to the body, and the
 * body's return to ffi_call's.
 *
 * The GIL, read in memory at the call's entry and return (no probe of its own): held on entry
 * when it is locked and its last holder's thread is this one; released during the call when it
 * was not held on entry (ctypes and cffi release it before every foreign call), when another
 * thread took it meanwhile (its switch_number moved), or, for libraries that can release it
 * themselves (C extensions: they import PyEval_SaveThread), when the thread called
 * PyEval_SaveThread (an entry uprobe, attached only for those).
 *
 * Nesting (a native function calling back into Python that calls native again) and recursion
 * keep a per-thread stack of open calls; a return that matches a deeper entry closes the calls
 * above it as unreturned (longjmp); a thread that exits takes its stack with it (task storage). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "ffi.h"
#include "hist.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_FFI_FUNCS);
	__type(key, __u32);
	__type(value, struct ffi_stat);
} ffi_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ffi_thread);
} ffi_threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ffi_correction);
} ffi_corr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FFI_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ffi_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct ffi_gil);
} ffi_gils SEC(".maps");

/* What the probes other than the functions' pairs cost (their cookies), ns: for the estimate. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ffi_cost SEC(".maps");

static __always_inline void add_cost(struct ffi_thread *t, __u64 ns)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&ffi_cost, &zero);

	t->cost_ns += ns;
	if (c)
		*c += ns;
}

/* 1: this thread holds its process's GIL, 0: it does not, -1: unknown. */
static __always_inline int gil_mine(__u64 *switch_no)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ffi_gil *g = bpf_map_lookup_elem(&ffi_gils, &tgid);
	struct { __u64 interval, last_holder; __s32 locked, pad; __u64 switch_number; } s;
	struct task_struct *task;
	__u64 id;

	if (!g || bpf_probe_read_user(&s, sizeof(s), (void *)g->addr))
		return -1;
	*switch_no = s.switch_number;
	if (!s.locked || !s.last_holder)
		return 0;
	if (bpf_probe_read_user(&id, sizeof(id), (void *)(s.last_holder + g->ts_thread_id)))
		return -1;
	task = bpf_get_current_task_btf();
	return id == task->thread.fsbase;
}

static __always_inline struct ffi_thread *thread(bool create)
{
	struct ffi_thread *t;

	t = bpf_task_storage_get(&ffi_threads, bpf_get_current_task_btf(), 0,
				 create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!t && create)
		count_idx(&ffi_drops, FFI_DROP_CTX);
	return t;
}

static __always_inline bool targeted(void)
{
	return is_target_tgid(bpf_get_current_pid_tgid() >> 32);
}

SEC("uprobe")
int BPF_KPROBE(ffi_enter)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx), d;
	struct ffi_thread *t;
	struct ffi_frame *f;
	__u64 now;

	if (!targeted() || !(t = thread(true)))
		return 0;
	count_hit(HIT_FFI_ENTER);
	now = bpf_ktime_get_ns();
	d = t->depth;
	if (d >= FFI_DEPTH) {
		count_idx(&ffi_drops, FFI_DROP_DEPTH);
		t->depth = d + 1; /* counted, so that its return pops nothing real */
		return 0;
	}
	f = &t->f[d & (FFI_DEPTH - 1)];
	f->id = id;
	f->save_seq = t->save_seq;
	f->nested_ns = t->cost_ns;
	f->held = gil_mine(&f->switch_no);
	f->ffi_in_ns = t->ffi_depth && t->ffi_call_ns ? now - t->ffi_call_ns : 0;
	t->ffi_call_ns = 0; /* one body per ffi_call: the first probed one */
	t->depth = d + 1;
	f->start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void close_frame(struct ffi_thread *t, struct ffi_frame *f, __u64 now, bool returned)
{
	__u32 zero = 0, id = f->id;
	struct ffi_correction *c = bpf_map_lookup_elem(&ffi_corr, &zero);
	struct ffi_stat *s = bpf_map_lookup_elem(&ffi_stats, &id);
	__u64 d = now - f->start_ns, fix = 0;

	if (!s)
		return;
	if (!returned) {
		__sync_fetch_and_add(&s->unreturned, 1);
		return;
	}
	if (c) { /* the pair's own cost, and that of the probes hit inside the call */
		fix = c->call_ns[id & (MAX_FFI_FUNCS - 1)] + (t->cost_ns - f->nested_ns);
		t->cost_ns += c->pair_ns[id & (MAX_FFI_FUNCS - 1)]; /* for the calls around this one */
	}
	d = d > fix ? d - fix : 0;
	__sync_fetch_and_add(&s->calls, 1);
	__sync_fetch_and_add(&s->total_ns, d);
	if (d > s->max_ns)
		s->max_ns = d; /* racy: a lost update under-reports by one call at most */
	hist_add(s->hist, d);
	{
		struct thread_ctx *tc = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
		struct req_acct *p = req_pend(tc);

		if (p) {
			p->ffi_calls++;
			if (f == &t->f[0]) /* outermost: nested calls' time is inside it */
				p->ffi_ns += d;
			req_slot_add(p->ffi, REQ_FFI_SLOTS, id, d, NULL);
		}
	}
	if (f->held < 0) {
		__sync_fetch_and_add(&s->gil_unknown_calls, 1);
	} else if (!f->held) {
		__sync_fetch_and_add(&s->gil_released_calls, 1);
	} else {
		__u64 sw = f->switch_no;

		__sync_fetch_and_add(&s->gil_held_calls, 1);
		if (t->save_seq != f->save_seq || gil_mine(&sw) < 0 || sw != f->switch_no)
			__sync_fetch_and_add(&s->gil_released_calls, 1);
	}
	if (f->ffi_in_ns) {
		/* raw: the loader subtracts the probes' share, calibrated through libffi itself */
		__sync_fetch_and_add(&s->overhead_ns, f->ffi_in_ns);
		__sync_fetch_and_add(&s->overhead_calls, 1);
		t->body_end_ns = now;
		t->body_id = id;
	}
}

SEC("uretprobe")
int BPF_KRETPROBE(ffi_exit)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx), d;
	struct ffi_thread *t;
	__u64 now = bpf_ktime_get_ns();

	if (!targeted() || !(t = thread(false)))
		return 0;
	count_hit(HIT_FFI_EXIT);
	d = t->depth;
	if (!d)
		return 0; /* entered before the probes attached */
	if (d > FFI_DEPTH) {
		t->depth = d - 1;
		return 0;
	}
	/* The matching entry is the innermost with this id; the ones above it never returned. */
	for (int i = 0; i < FFI_DEPTH; i++) {
		struct ffi_frame *f;

		if (!d)
			break;
		d--;
		f = &t->f[d & (FFI_DEPTH - 1)];
		if (f->id == id) {
			close_frame(t, f, now, true);
			break;
		}
		close_frame(t, f, now, false);
	}
	t->depth = d;
	return 0;
}

/* libffi: the binding layer's way into the body (ctypes, cffi ABI mode). */
SEC("uprobe")
int BPF_KPROBE(ffi_call_enter)
{
	struct ffi_thread *t;

	if (!targeted() || !(t = thread(true)))
		return 0;
	count_hit(HIT_FFI_ENTER);
	add_cost(t, bpf_get_attach_cookie(ctx));
	t->ffi_depth++;
	t->body_id = -1;
	t->ffi_call_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(ffi_call_exit)
{
	__u64 now = bpf_ktime_get_ns();
	struct ffi_thread *t;
	struct ffi_stat *s;
	__u32 id;

	if (!targeted() || !(t = thread(false)))
		return 0;
	count_hit(HIT_FFI_EXIT);
	add_cost(t, bpf_get_attach_cookie(ctx));
	if (t->ffi_depth)
		t->ffi_depth--;
	t->ffi_call_ns = 0;
	if (t->body_id < 0 || !t->body_end_ns)
		return 0;
	id = t->body_id;
	s = bpf_map_lookup_elem(&ffi_stats, &id);
	if (s)
		__sync_fetch_and_add(&s->overhead_ns, now - t->body_end_ns);
	t->body_id = -1;
	t->body_end_ns = 0;
	return 0;
}

/* A release of the GIL (Py_BEGIN_ALLOW_THREADS), inside a probed call or not: only the count
 * moves, and a call compares it at its return. */
SEC("uprobe")
int BPF_KPROBE(save_thread)
{
	struct ffi_thread *t;

	if (!targeted() || !(t = thread(false)))
		return 0;
	count_hit(HIT_FFI_GIL);
	add_cost(t, bpf_get_attach_cookie(ctx));
	t->save_seq++;
	return 0;
}

/* Late loads: while a --ffi library named by file name is not found yet, each dynamic load in a
 * target stops it (SIGSTOP) at the loader's debugger hook, and tells user space, which attaches
 * to what the load brought and continues it (SIGCONT). */
volatile __u32 ffi_pending;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} dl_events SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(dl_state)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (!ffi_pending || !is_target_tgid(pid))
		return 0;
	/* The stop first, then the event: user space's SIGCONT must come after the SIGSTOP (a
	 * SIGCONT discards a pending stop; a stop sent after it would never be undone). */
	if (bpf_send_signal(19 /* SIGSTOP */))
		return 0;
	bpf_ringbuf_output(&dl_events, &pid, sizeof(pid), 0);
	return 0; /* no room for the event: the loader's poll continues it (ffi__poll) */
}

char LICENSE[] SEC("license") = "GPL";
