/* SPDX-License-Identifier: GPL-2.0-only */
/* Taking a stack sample in BPF: the user registers and a copy of the top of the user stack, the
 * Python frames of the thread, into the stack_events ring buffer (bpf/stack_event.h). Used by
 * the stacks object's perf_event sampler and by the python object's sched_switch program for
 * GIL-wait stacks; the loader makes both use one set of these maps. */
#ifndef BINDPROF_STACKCAP_BPF_H
#define BINDPROF_STACKCAP_BPF_H

#include "gil.bpf.h"
#include "stacks.h"

/* At most one GIL-wait stack per process per interval (1/HZ): a busy server waits thousands of
 * times a second, and copying and unwinding every stack would cost more than it tells. */
const volatile __u64 gil_interval_ns = 10101010;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* a power of two; ~1.2 s of 99 Hz samples on 2 CPUs (17 KiB each) */
} stack_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} gil_done_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct py_layout);
} py_layouts SEC(".maps");

/* tgid -> when its last GIL-wait stack was taken */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u64);
} gil_last_stack SEC(".maps");




struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STK_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stack_counts SEC(".maps");

static __always_inline __u64 rd(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* The frame walk's state, per CPU: a bpf_loop callback keeps the verifier's work small. */
struct py_walk {
	struct py_layout l;
	__u64 f;
	__u32 n, status;
	__u64 entry[2];
	__u64 py[MAX_PY_FRAMES];
	__u64 tag[MAX_PY_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_walk);
} py_walks SEC(".maps");

/* The slot of Python frame k (leaf first): the leaf-most PY_LEAF_KEEP in order, the rest in a
 * ring over the upper slots, so that the root-most frames are the ones kept. */
static __always_inline __u32 py_slot(__u32 k)
{
	if (k < PY_LEAF_KEEP)
		return k;
	return PY_LEAF_KEEP + ((k - PY_LEAF_KEEP) & (MAX_PY_FRAMES - PY_LEAF_KEEP - 1));
}

static __always_inline void py_mark_entry(struct py_walk *w, __u32 slot, bool on)
{
	__u64 bit = 1ull << (slot & 63);
	__u64 *word = slot & 64 ? &w->entry[1] : &w->entry[0]; /* a constant offset each */

	if (on)
		*word |= bit;
	else
		*word &= ~bit;
}

static long py_step(__u32 i, void *unused)
{
	__u32 zero = 0, n, slot;
	struct py_walk *w = bpf_map_lookup_elem(&py_walks, &zero);
	__u64 f, code;

	if (!w || !(f = w->f))
		return 1;
	code = rd(f + w->l.fr_code);
	w->f = rd(f + w->l.fr_back);
	n = w->n;
	if (w->l.fr_owner >= 0) {
		__u8 owner = 0;

		bpf_probe_read_user(&owner, 1, (void *)(f + w->l.fr_owner));
		if (owner == FRAME_OWNED_BY_CSTACK) {
			/* the shim under an eval-loop call's first frame: that frame is an entry */
			if (n > 0)
				py_mark_entry(w, py_slot(n - 1), true);
			return 0;
		}
	}
	slot = py_slot(n) & (MAX_PY_FRAMES - 1);
	w->py[slot] = code;
	{
		__u64 ptrs[2] = {};

		bpf_probe_read_user(ptrs, sizeof(ptrs), (void *)(code + w->l.co_ptrs));
		w->tag[slot] = ptrs[0] ^ (ptrs[1] * 0x9E3779B97F4A7C15ull);
	}
	py_mark_entry(w, slot, false); /* a ring slot is reused */
	if (w->l.fr_is_entry >= 0) {
		__u8 entry = 0;

		bpf_probe_read_user(&entry, 1, (void *)(f + w->l.fr_is_entry));
		if (entry)
			py_mark_entry(w, slot, true);
	}
	w->n = n + 1;
	return 0;
}

/* The Python frames of a thread, leaf first. */
static __always_inline void walk_python(struct stack_event *e, struct task_struct *task)
{
	struct py_layout *l = bpf_map_lookup_elem(&py_layouts, &e->pid);
	__u32 zero = 0;
	struct py_walk *w = bpf_map_lookup_elem(&py_walks, &zero);
	__u64 fsbase, ts, f;

	if (!l || !l->tstate_head_addr || !w) {
		e->py_status = PY_NOT_PYTHON;
		return;
	}
	fsbase = BPF_CORE_READ(task, thread.fsbase);
	ts = rd(l->tstate_head_addr);
	for (int i = 0; i < MAX_PY_THREADS && ts; i++) {
		if (rd(ts + l->ts_thread_id) == fsbase)
			break;
		ts = rd(ts + l->ts_next);
	}
	if (!ts || rd(ts + l->ts_thread_id) != fsbase) {
		e->py_status = PY_NO_THREAD_STATE;
		return;
	}
	f = rd(ts + l->ts_frame);
	if (l->cframe_current >= 0 && f)
		f = rd(f + l->cframe_current);
	w->l = *l;
	w->f = f;
	w->n = 0;
	w->status = PY_WALKED;
	w->entry[0] = w->entry[1] = 0;
	bpf_loop(PY_WALK_STEPS, py_step, NULL, 0);
	e->py_depth = w->n;
	e->npy = w->n < MAX_PY_FRAMES ? w->n : MAX_PY_FRAMES;
	if (w->f)
		e->py_status = PY_ROOT_LOST; /* frames left after PY_WALK_STEPS */
	else if (w->n > MAX_PY_FRAMES)
		e->py_status = PY_TRUNCATED;
	else
		e->py_status = w->status;
	e->py_entry[0] = w->entry[0];
	e->py_entry[1] = w->entry[1];
	bpf_probe_read_kernel(e->py, sizeof(e->py), w->py);
	bpf_probe_read_kernel(e->py_tag, sizeof(e->py_tag), w->tag);
}

/* The thread's pending uretprobes (stack_event.uret_*): the return addresses the uprobes
 * trampoline stands in for on its stack, read from task->utask's return instances. */
static __always_inline void read_uretprobes(struct stack_event *e, struct task_struct *task)
{
	struct return_instance *ri;
	__u32 n = 0;

	e->nuret = 0;
	e->uret_tramp = 0;
	if (!bpf_core_field_exists(task->utask))
		return;
	ri = BPF_CORE_READ(task, utask, return_instances);
	if (!ri)
		return;
	e->uret_tramp = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
	for (int i = 0; i < MAX_URETPROBES && ri; i++) {
		e->uret_slot[i] = BPF_CORE_READ(ri, stack);
		e->uret_orig[i] = BPF_CORE_READ(ri, orig_ret_vaddr);
		ri = BPF_CORE_READ(ri, next);
		n++;
	}
	e->nuret = n;
}

static __always_inline void copy_user(struct stack_event *e, struct pt_regs *r, struct task_struct *task)
{
	__u64 sp = r->sp, len = STACK_COPY, end;

	e->regs[0] = r->ax;
	e->regs[1] = r->dx;
	e->regs[2] = r->cx;
	e->regs[3] = r->bx;
	e->regs[4] = r->si;
	e->regs[5] = r->di;
	e->regs[6] = r->bp;
	e->regs[7] = sp;
	e->regs[8] = r->r8;
	e->regs[9] = r->r9;
	e->regs[10] = r->r10;
	e->regs[11] = r->r11;
	e->regs[12] = r->r12;
	e->regs[13] = r->r13;
	e->regs[14] = r->r14;
	e->regs[15] = r->r15;
	e->regs[16] = r->ip;
	/* The main thread's stack ends just above its environment strings: never read past it.
	 * (A thread's stack has its thread control block above it, mapped.) */
	if (task->pid == task->tgid) {
		end = BPF_CORE_READ(task, mm, env_end);
		if (end > sp && end - sp < len)
			len = end - sp;
	}
	if (len > STACK_COPY)
		len = STACK_COPY;
	/* Then smaller copies: a page in the range may not be present (the read cannot fault it in). */
	if (!bpf_probe_read_user(e->stack, len, (void *)sp))
		e->user_len = len;
	else if (!bpf_probe_read_user(e->stack, STACK_COPY / 2, (void *)sp))
		e->user_len = STACK_COPY / 2;
	else if (!bpf_probe_read_user(e->stack, STACK_COPY / 4, (void *)sp))
		e->user_len = STACK_COPY / 4;
	else if (!bpf_probe_read_user(e->stack, STACK_COPY / 8, (void *)sp))
		e->user_len = STACK_COPY / 8;
	else if (!bpf_probe_read_user(e->stack, 512, (void *)sp))
		e->user_len = 512;
	else
		e->user_len = 0;
	read_uretprobes(e, task);
}

static __always_inline void count(__u32 i)
{
	count_idx(&stack_counts, i);
}

/* The request a sample of task falls in: the thread's current request (its last read or write
 * of a served connection) while that request is not answered yet; 0 otherwise. The requests
 * probe hands work after the first write to the request only at a later write: such samples
 * (between the writes of a multi-write response) read 0 here. */
static __always_inline __u64 sample_request(struct task_struct *task)
{
	struct thread_ctx *tc = bpf_task_storage_get(&thread_ctxs, task, 0, 0);
	struct req_conn *c;
	__u64 sk;

	if (!tc || !tc->request_id || !tc->req_sk)
		return 0;
	sk = tc->req_sk;
	c = bpf_map_lookup_elem(&conns, &sk);
	if (!c || c->req_id != tc->request_id || c->sends)
		return 0;
	return tc->request_id;
}

/* A reserved event's header (all but regs, the stack copy and what the walks fill). */
static __always_inline void init_event(struct stack_event *e, __u32 kind, struct task_struct *task)
{
	e->kind = kind;
	e->pid = task->tgid;
	e->tid = task->pid;
	e->nkernel = 0;
	e->cookie = 0;
	e->request_id = sample_request(task);
	e->npy = 0;
	e->py_depth = 0;
	e->py_status = 0;
	e->py_entry[0] = e->py_entry[1] = 0;
	e->nupc = 0;
	e->unwind = 0;
	e->user_len = 0;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
}

/* A whole event (with room for the stack copy), its header set; NULL when the ring is full. */
static __always_inline struct stack_event *new_event(__u32 kind, struct task_struct *task)
{
	struct stack_event *e = bpf_ringbuf_reserve(&stack_events, sizeof(*e), 0);

	if (e)
		init_event(e, kind, task);
	return e;
}

/* GIL-wait stacks. A target thread (prev, its saved user registers regs, its context tc) leaves
 * the CPU blocked on its GIL at `now`: take its stack, at most one per process per
 * gil_interval_ns. The wait's start is the gil probe's tc->gil_block_ns. */
static __always_inline void gil_stack_block(struct task_struct *prev, struct pt_regs *regs, __u32 tgid,
					    struct thread_ctx *tc, __u64 now)
{
	__u64 *last;

	/* the exact method weighs a stack when take_gil/drop_gil returns: a second block inside the
	 * same call keeps the first one's stack */
	if (tc->gil_stk_cookie)
		return;
	last = bpf_map_lookup_elem(&gil_last_stack, &tgid);
	if (!last) {
		__u64 zero = 0;

		bpf_map_update_elem(&gil_last_stack, &tgid, &zero, BPF_NOEXIST);
		last = bpf_map_lookup_elem(&gil_last_stack, &tgid);
	}
	if (last && now - *last >= gil_interval_ns) {
		struct stack_event *e = new_event(STACK_GIL_WAIT, prev);

		*last = now; /* racy across CPUs: at worst two stacks in one interval */
		if (e) {
			tc->gil_stk_cookie = ((__u64)prev->pid << 32) | (now & 0xffffffff);
			e->cookie = tc->gil_stk_cookie;
			copy_user(e, regs, prev);
			walk_python(e, prev);
			bpf_ringbuf_submit(e, 0);
			count(STK_GIL_WAITS);
			count_hit(HIT_GIL_STACK);
		} else {
			count(STK_GIL_LOST);
		}
	}
}

/* A target thread's wait of wait_ns is over (cheap method: it ran again after a block or a
 * preemption on its GIL; exact: take_gil or drop_gil returned). The waits without a stack since
 * its last one count with the next one that has one, and at the thread's end with none
 * (gil_stack_exit): the weights add up to the whole wait, the stacks are a sample. */
static __always_inline void gil_stack_wake(struct task_struct *t, struct thread_ctx *tc, __u64 wait_ns)
{
	if (tc->gil_stk_cookie) {
		struct gil_wait_done d = { .cookie = tc->gil_stk_cookie, .weight_ns = wait_ns + tc->gil_unsampled_ns,
					   .pid = t->tgid, .tid = t->pid };

		tc->gil_unsampled_ns = 0;
		tc->gil_stk_cookie = 0;
		if (bpf_ringbuf_output(&gil_done_events, &d, sizeof(d), 0))
			count(STK_GIL_LOST);
	} else {
		tc->gil_unsampled_ns += wait_ns;
	}
}

/* Thread t ends: its waits that no stack counted go out with cookie 0. */
static __always_inline void gil_stack_exit(struct task_struct *t, struct thread_ctx *tc)
{
	struct gil_wait_done d = { .cookie = 0, .weight_ns = tc->gil_unsampled_ns, .pid = t->tgid, .tid = t->pid };

	if (!d.weight_ns)
		return;
	tc->gil_unsampled_ns = 0;
	if (bpf_ringbuf_output(&gil_done_events, &d, sizeof(d), 0))
		count(STK_GIL_LOST);
}

#endif /* BINDPROF_STACKCAP_BPF_H */
