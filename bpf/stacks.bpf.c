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
 * With kernel_unwind (record --unwind kernel), the native frames are unwound here instead, from
 * tables the loader builds from each file's .eh_frame (bpf/stacks.h: struct eh_row), and the
 * sample goes out without the stack copy and without waking the loader; a sample whose frames
 * need a rule those tables do not hold takes the copy as before, counted by reason.
 *
 * GIL-wait stacks are taken the same way (bpf/stackcap.bpf.h) by the gil probe's own
 * tp_btf/sched_switch program (bpf/python.bpf.c), so that a switch runs one program, not two. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "stackcap.bpf.h"

/* ---- --unwind kernel: native frames from .eh_frame tables (bpf/stacks.h, user/inspect/ehtable.c) ---- */

const volatile bool kernel_unwind = false;

/* Sized by the loader: 1 entry each unless --unwind kernel. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EH_MAX_ROWS);
	__uint(map_flags, BPF_F_MMAPABLE); /* the loader writes a file's rows through a mapping */
	__type(key, __u32);
	__type(value, struct eh_row);
} eh_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EH_MAX_PAGES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64); /* a row index; 8 bytes: the array's element stride */
} eh_pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct eh_proc);
} eh_procs SEC(".maps");

/* One sample's walk, per CPU (the bpf_loop callback's state). */
struct eh_walk {
	__u64 pc, sp, bp;
	__u32 pid, n, reason, done;
	struct eh_map cur; /* the mapping of the last frame (cur.end 0: none): most frames share it */
	__u64 upc[EH_MAX_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct eh_walk);
} eh_walks SEC(".maps");

static __always_inline long eh_fail(struct eh_walk *w, __u32 reason)
{
	w->reason = reason;
	return 1;
}

/* One frame: the row for w->pc, then the caller's pc, sp and rbp. 1 stops the loop. */
static long eh_step(__u32 i, void *unused)
{
	__u32 zero = 0, lo, hi, idx;
	struct eh_walk *w = bpf_map_lookup_elem(&eh_walks, &zero);
	struct eh_proc *pr;
	struct eh_map *m = NULL;
	struct eh_row *r;
	__u64 pc, vpc, cfa, ra = 0, bp;

	if (!w)
		return 1;
	pc = w->pc;
	if (pc >= w->cur.start && pc < w->cur.end) {
		m = &w->cur;
	} else {
		pr = bpf_map_lookup_elem(&eh_procs, &w->pid);
		if (!pr)
			return eh_fail(w, EH_FB_NO_PROC);
		/* the mapping: binary search over the sorted starts */
		lo = 0;
		hi = pr->n < EH_MAX_MAPS ? pr->n : EH_MAX_MAPS;
		for (int k = 0; k < 8 && lo < hi; k++) {
			__u32 mid = ((lo + hi) / 2) & (EH_MAX_MAPS - 1);
			struct eh_map *mm = &pr->m[mid];

			if (pc < mm->start) {
				hi = mid;
			} else if (pc >= mm->end) {
				lo = mid + 1;
			} else {
				m = mm;
				break;
			}
		}
		if (!m || !m->count)
			return eh_fail(w, EH_FB_NO_MAPPING);
		w->cur = *m;
		m = &w->cur;
	}
	/* a return address is after its call: the call's row is the one before it */
	vpc = pc - m->bias - (w->n ? 1 : 0);
	if (vpc > 0xffffffffull)
		return eh_fail(w, EH_FB_NO_ROW);
	lo = 0;
	hi = m->count;
	/* the page index narrows the search to the rows of vpc's page */
	{
		__u32 pg = (__u32)(vpc >> EH_PAGE_SHIFT) - m->page_base;

		if ((vpc >> EH_PAGE_SHIFT) >= m->page_base && pg < m->npages) {
			__u32 k = m->page_first + pg, k2 = k + 1;
			__u64 *a = bpf_map_lookup_elem(&eh_pages, &k);

			if (a && *a < m->count)
				lo = *a;
			if (pg + 1 < m->npages) {
				__u64 *b = bpf_map_lookup_elem(&eh_pages, &k2);

				if (b && *b + 1 <= m->count && *b + 1 > lo)
					hi = *b + 1;
			}
		}
	}
	lo += m->first;
	hi += m->first;
	/* the last row at or below vpc: rows[lo].pc <= vpc < rows[hi].pc (rows[lo] is checked at the
	 * end: one row fewer to fetch per frame) */
	for (int k = 0; k < 22 && hi - lo > 1; k++) {
		__u32 mid = lo + (hi - lo) / 2;

		r = bpf_map_lookup_elem(&eh_rows, &mid);
		if (!r)
			return eh_fail(w, EH_FB_NO_ROW);
		if (r->pc <= vpc)
			lo = mid;
		else
			hi = mid;
	}
	idx = lo;
	r = bpf_map_lookup_elem(&eh_rows, &idx);
	if (!r || r->pc > vpc)
		return eh_fail(w, EH_FB_NO_ROW);
	switch (r->cfa) {
	case EH_CFA_RSP:
		cfa = w->sp + (__s64)r->cfa_off;
		break;
	case EH_CFA_RBP:
		cfa = w->bp + (__s64)r->cfa_off;
		break;
	case EH_CFA_PLT:
		cfa = w->sp + (__s64)r->cfa_off + ((pc & 15) >= (__u64)r->rbp_off ? 8 : 0);
		break;
	case EH_CFA_END:
		if (w->n < EH_MAX_FRAMES)
			w->upc[w->n & (EH_MAX_FRAMES - 1)] = pc;
		w->n++;
		w->done = 1;
		return 1;
	case EH_CFA_NONE:
		return eh_fail(w, EH_FB_NO_ROW);
	case EH_CFA_REG:
		return eh_fail(w, EH_FB_REG);
	case EH_CFA_RA:
	case EH_CFA_RBP_RULE:
		return eh_fail(w, EH_FB_RA);
	case EH_CFA_SIGNAL:
		return eh_fail(w, EH_FB_SIGNAL);
	default:
		return eh_fail(w, EH_FB_EXPR);
	}
	if (cfa <= w->sp)
		return eh_fail(w, EH_FB_BAD_CFA);
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8)))
		return eh_fail(w, EH_FB_READ);
	bp = w->bp;
	if (r->rbp == EH_RBP_AT && bpf_probe_read_user(&bp, sizeof(bp), (void *)(cfa + (__s64)r->rbp_off)))
		return eh_fail(w, EH_FB_READ);
	if (w->n >= EH_MAX_FRAMES)
		return eh_fail(w, EH_FB_DEPTH);
	w->upc[w->n & (EH_MAX_FRAMES - 1)] = pc;
	w->n++;
	if (!ra) {
		w->done = 1;
		return 1;
	}
	w->pc = ra;
	w->sp = cfa;
	w->bp = bp;
	return 0;
}

/* Unwind the user stack of the sampled thread from its registers: 0 (frames in the per-CPU
 * walk), or the enum eh_fallback reason it stopped for. */
static __always_inline __u32 eh_unwind(__u32 tgid, struct pt_regs *ur, struct eh_walk **out)
{
	__u32 zero = 0;
	struct eh_walk *w = bpf_map_lookup_elem(&eh_walks, &zero);

	if (!w)
		return EH_FB_NO_PROC;
	*out = w;
	w->pc = ur->ip;
	w->sp = ur->sp;
	w->bp = ur->bp;
	w->pid = tgid;
	w->n = 0;
	w->reason = 0;
	w->done = 0;
	w->cur.start = w->cur.end = 0;
	if (!bpf_map_lookup_elem(&eh_procs, &tgid))
		return EH_FB_NO_PROC;
	bpf_loop(EH_MAX_FRAMES + 1, eh_step, NULL, 0);
	if (w->reason)
		return w->reason;
	return w->done ? 0 : EH_FB_DEPTH;
}

SEC("perf_event")
int sample_cpu(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct stack_event *e;
	struct pt_regs *ur;
	__u32 reason = 0;

	if (!is_target_tgid(task->tgid) || task->flags & 0x00200000 /* PF_KTHREAD */)
		return 0;
	/* The user registers: saved at the top of the kernel stack on every entry from user mode
	 * (this interrupt's, or the syscall's the thread is in). */
	ur = (struct pt_regs *)bpf_task_pt_regs(task);
	if (kernel_unwind && ur) {
		struct eh_walk *w = NULL;

		reason = eh_unwind(task->tgid, ur, &w);
		if (!reason && w) {
			/* unwound here: the event goes without its stack copy */
			e = bpf_ringbuf_reserve(&stack_events, offsetof(struct stack_event, stack), 0);
			if (!e) {
				count(STK_LOST);
				return 0;
			}
			init_event(e, STACK_CPU, task);
			count(STK_SAMPLES);
			count(STK_KERNEL_UNWOUND);
			count_hit(HIT_STACK_SAMPLE);
			{
				struct req_acct *p = req_pend(bpf_task_storage_get(&thread_ctxs, task, 0, 0));

				if (p)
					p->samples++;
			}
			e->regs[6] = ur->bp;
			e->regs[7] = ur->sp;
			e->regs[16] = ur->ip;
			e->nupc = w->n < EH_MAX_FRAMES ? w->n : EH_MAX_FRAMES;
			bpf_probe_read_kernel(e->upc, sizeof(e->upc), w->upc);
			{
				long n = bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0);

				e->nkernel = n > 0 ? (__u64)n / 8 : 0;
			}
			walk_python(e, task);
			/* No wakeup of the consumer per sample (a self-IPI: ~8 us of this program's 12 on
			 * this VM): it drains the ring every 20 ms, and is woken when 256 KiB are waiting */
			bpf_ringbuf_submit(e, bpf_ringbuf_query(&stack_events, BPF_RB_AVAIL_DATA) >= (256 << 10) ?
						      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
			return 0;
		}
		count(STK_FB + (reason < EH_FB_MAX ? reason : 0));
	}
	e = new_event(STACK_CPU, task);
	if (!e) {
		count(STK_LOST);
		return 0;
	}
	e->unwind = reason;
	count(STK_SAMPLES);
	count_hit(HIT_STACK_SAMPLE);
	{
		struct req_acct *p = req_pend(bpf_task_storage_get(&thread_ctxs, task, 0, 0));

		if (p)
			p->samples++;
	}
	/* In the kernel, its stack too. */
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
