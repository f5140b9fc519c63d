// SPDX-License-Identifier: GPL-2.0-only
/* CPython: GIL waits (and, with the exact method, holds) and GC pauses.
 *
 * Cheap GIL method ("sched_switch+futex"): a tp_btf/sched_switch program sees a target thread
 * leave the CPU blocked in a futex wait whose address lies inside that process's GIL struct (its
 * mutexes and condition variables), and times it until the thread runs again. No uprobe, so the
 * eval loop's forced switches cost nothing extra; it works on stripped builds.
 *
 * Exact GIL method ("uprobe:take_gil"): uprobes on take_gil/drop_gil, where the build has the
 * symbols: wait = the take_gil call, hold = take_gil return to drop_gil. Opt-in: each hit costs
 * microseconds.
 *
 * GC: USDT python:gc__start/gc__done where the build has them, else a uprobe and uretprobe on
 * the collector function (gc_collect_main, collect). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "common.bpf.h"
#include "hist.bpf.h"
#include "stackcap.bpf.h"

const volatile bool gil_stacks = false; /* take GIL-wait stacks (bpf/stackcap.bpf.h) */
/* Set once the 3.13 generation-choice probe has fired: from then on an automatic entry of the
 * collector with no choice collected nothing, and is no pause of a thread or request. */
bool gc_choice_seen = false;

/* Per CPU: the totals are updated on the GIL hand-off path of every target thread; one shared
 * line would bounce between CPUs. The adds stay atomic (uncontended): the exact method's uprobe
 * programs run preemptibly, and two threads on one CPU could interleave a read-modify-write. The
 * loader sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gil_total);
} gil_totals SEC(".maps");

/* A slot per target thread, handed out at its first GIL event (thread_ctx.gil_slot): an array
 * look-up is inlined by the verifier, where a tid-keyed hash cost ~55 ns per GIL wake here. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct gil_thread);
} gil_threads SEC(".maps");

/* slots of gil_threads handed out (may pass MAX_THREADS: the rest dropped); 64-bit: clang 14 has
 * a fetch-and-add that returns its value only for 64-bit operands below BPF ISA v3 */
__u64 gil_slots = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GC_SLOTS);
	__type(key, __u32);
	__type(value, struct gc_gen_stat);
} gc_gens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct gc_thread);
} gc_threads SEC(".maps");

static __always_inline void max_update(__u64 *m, __u64 v)
{
	if (v > *m)
		*m = v; /* racy: a lost update under-reports by one event at most */
}

static __always_inline struct gil_total *gil_total(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&gil_totals, &zero);
}

/* Thread t's slot in gil_threads (tc: t's context), handed out on first use. NULL (and counted)
 * when the array is full. */
static __always_inline struct gil_thread *gil_thread_of(struct task_struct *t, struct thread_ctx *tc)
{
	bool fresh;
	struct gil_thread *g;

	if (!tc)
		return NULL;
	g = thread_slot(&tc->gil_slot, &gil_slots, &gil_threads, DROP_GIL_THREAD_FULL, &fresh);
	if (g && fresh) {
		g->tgid = t->tgid;
		bpf_probe_read_kernel_str(g->comm, sizeof(g->comm), t->comm);
		g->tid = t->pid; /* last: the reader skips a slot whose tid is still 0 */
	}
	return g;
}

/* The GIL range of process tgid: the main target's from the filter's array (no hash look-up),
 * another's from gil_ranges. NULL: not a CPython process, or its GIL not located yet. */
static __always_inline struct gil_range *gil_range_of(__u32 tgid)
{
	__u32 zero = 0;
	struct target_cfg *cfg = bpf_map_lookup_elem(&target_cfgs, &zero);

	if (cfg && cfg->main_tgid == tgid && cfg->gil.hi)
		return &cfg->gil;
	return bpf_map_lookup_elem(&gil_ranges, &tgid);
}

/* One finished wait: its length into the distribution. count: also count it (the exact method;
 * the cheap one counts a wait with its first off-CPU period). */
static __always_inline void gil_wait_done(struct gil_thread *g, __u64 ns, bool counted)
{
	struct gil_total *tot = gil_total();

	if (g && counted)
		g->waits++;
	if (!tot)
		return;
	if (counted)
		__sync_fetch_and_add(&tot->waits, 1);
	max_update(&tot->max_wait_ns, ns);
	hist_add(tot->hist, ns); /* atomic: the uprobe programs can be preempted */
}

/* Cheap method: a target thread's off-CPU period on the GIL begins at now (a block, or a
 * preemption in a hand-off). It belongs to the current wait unless the thread ran longer than
 * GIL_EPISODE_GAP_NS since the last such period ended; then that wait is over. */
static __always_inline void gil_episode(struct thread_ctx *tc, struct task_struct *prev, __u64 now)
{
	if (!tc->gil_wake_ns || now - tc->gil_wake_ns > GIL_EPISODE_GAP_NS) {
		if (tc->gil_ep_ns)
			gil_wait_done(gil_thread_of(prev, tc), tc->gil_ep_ns, false);
		tc->gil_ep_ns = 0;
	}
}

/* Whether thread `t` is the GIL's holder: the GIL is locked and its last_holder's thread id
 * (pthread_self(), the thread's fs base on x86_64) is t's. Read in t's own memory (t is current).
 * Unknown (no layout, a failed read): counted as the holder. */
static __always_inline bool gil_held_by(struct task_struct *t, const struct gil_range *r, __u64 holder)
{
	__u64 tid = 0;

	if (!r->ts_thread_id || !holder ||
	    bpf_probe_read_user(&tid, sizeof(tid), (void *)(holder + r->ts_thread_id)))
		return true;
	return tid == t->thread.fsbase;
}

/* A target thread leaves the CPU runnable (preempted) in the middle of a GIL hand-off: at a futex
 * call on its GIL (the wake-up of the next holder in drop_gil, which makes the woken thread
 * preempt the waker on a busy CPU; or, inside take_gil's condition wait, the wake-up of a thread
 * queued on the GIL's mutex) while it does not hold the GIL. It is waiting: it gave the GIL up and
 * will take it back, or it is queueing for it. A holder preempted while waking a waiter (the GIL
 * is locked, and last_holder is this thread) is holding. Only runnable switches of target threads
 * that were in a futex call reach the look-ups. */
static __always_inline void gil_preempted(struct task_struct *prev, struct pt_regs *regs, __u32 tgid)
{
	struct thread_ctx *tc;
	struct gil_range *r;
	/* last_holder (8 bytes) and locked (an int) are neighbours: one read for both */
	struct { __u64 holder; int locked; int pad; } st;

	_Static_assert(GIL_LOCKED_OFF == GIL_LAST_HOLDER_OFF + 8, "last_holder, then locked");
	if (!(r = gil_range_of(tgid)) || regs->di < r->lo || regs->di >= r->hi)
		return;
	/* prev is the current task here: its memory is readable; a failed read counts as held */
	if (bpf_probe_read_user(&st, 12, (void *)(r->lo + GIL_LAST_HOLDER_OFF)) ||
	    (st.locked && gil_held_by(prev, r, st.holder)))
		return;
	tc = bpf_task_storage_get(&thread_ctxs, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tc) {
		count_drop(DROP_CTX_ALLOC);
		return;
	}
	tc->gil_block_ns = bpf_ktime_get_ns();
	tc->gil_cheap = !r->exact;
	tc->gil_pre = 1;
	if (tc->take_ns || tc->drop_ns)
		tc->take_blocked |= 1; /* exact: a wait preempted in a hand-off is a wait, as a block is */
	if (gil_stacks)
		gil_stack_block(prev, regs, tgid, tc, tc->gil_block_ns); /* a wait has a stack either way */
	if (!r->exact)
		gil_episode(tc, prev, tc->gil_block_ns);
}

/* Whether a task is in (or last entered the kernel through) a futex call: the syscall number of
 * the frame at the top of its kernel stack. A task that left the CPU inside a futex call comes
 * back inside it (its frame does not change while it is off the CPU), so this one load is the
 * common path's whole filter on both sides of a switch. */
static __always_inline struct pt_regs *futex_regs(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	return regs && regs->orig_ax == NR_FUTEX ? regs : NULL;
}

/* The common path (measured by scripts/bench/progcost.sh against an empty program on the same
 * hook): a switch whose threads are not targets costs the two tgid checks; one that involves a
 * target thread outside a futex call adds a hit count and one frame read per target side (35 ns
 * over the first, measured with in-program clock reads). Only a target thread leaving or
 * re-entering the CPU inside a futex call reaches a task-storage look-up; the GIL range of the
 * main target comes from the filter's array and per-thread figures from an array slot (no hash
 * look-up on the hand-off path). */
SEC("tp_btf/sched_switch")
int BPF_PROG(gil_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct thread_ctx *tc;
	struct pt_regs *regs;
	struct gil_range *r;
	__u32 tgid = prev->tgid, ntgid = next->tgid;
	bool pt = is_target_tgid(tgid), nt = is_target_tgid(ntgid);
	__u64 now = 0;

	if (!pt && !nt)
		return 0;
	count_hit(HIT_SCHED_SWITCH); /* one hit per run for a target thread (either side) */

	/* A target thread leaves the CPU blocked (not preempted) in a futex wait on its GIL. The
	 * syscall is checked before the GIL range is looked up: most blocks are reads and polls. */
	if (!pt || !(regs = futex_regs(prev))) {
		/* not ours, or not in a futex call */
	} else if (preempt || !prev_state) {
		gil_preempted(prev, regs, tgid);
	} else if ((r = gil_range_of(tgid)) && regs->di >= r->lo && regs->di < r->hi) {
		tc = bpf_task_storage_get(&thread_ctxs, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (tc) {
			now = bpf_ktime_get_ns();
			tc->gil_block_ns = now;
			tc->gil_cheap = !r->exact; /* for the wake-up: no second look-up */
			tc->gil_pre = 0;
			if (gil_stacks)
				gil_stack_block(prev, regs, tgid, tc, now);
			if (tc->take_ns || tc->drop_ns)
				tc->take_blocked |= 1;
			if (!r->exact) {
				struct gil_total *tot = gil_total();

				if (tot)
					__sync_fetch_and_add(&tot->blocks, 1);
				gil_episode(tc, prev, now);
			}
		} else {
			count_drop(DROP_CTX_ALLOC);
		}
	}

	/* A target thread that blocked on the GIL (or was preempted in a hand-off) runs again: it
	 * left inside a futex call, so it comes back inside one; any other skips the look-up. */
	if (nt) {
		tc = futex_regs(next) ? bpf_task_storage_get(&thread_ctxs, next, 0, 0) : NULL;
		if (tc && tc->gil_block_ns) {
			struct gil_total *tot = gil_total();
			__u64 d;

			if (!now)
				now = bpf_ktime_get_ns();
			d = now - tc->gil_block_ns;
			if (gil_stacks && tc->gil_cheap)
				gil_stack_wake(next, tc, d); /* exact: in exact_wait_add */
			tc->gil_block_ns = 0;
			if (tc->gil_pre && tot)
				__sync_fetch_and_add(&tot->preempted_ns, d);
			tc->gil_wake_ns = now;
			if (tc->gil_cheap) {
				struct gil_thread *g = gil_thread_of(next, tc);
				struct req_acct *p = req_pend(tc);

				/* a wait is counted with its first time: a thread's (and a request's) wait
				 * time never comes without a wait, even when its last one stays open */
				bool first = !tc->gil_ep_ns;

				if (p) {
					p->gil_wait_ns += d;
					p->gil_waits += first;
				}
				tc->gil_ep_ns += d ? d : 1;
				if (g) {
					g->wait_ns += d;
					g->waits += first;
				}
				if (tot) {
					__sync_fetch_and_add(&tot->wait_ns, d);
					if (first)
						__sync_fetch_and_add(&tot->waits, 1);
				}
			}
		}
	}
	return 0;
}

/* When the session detaches: each live target thread's GIL waits that no stack counted yet go
 * out under none (run once by the loader as a task iterator), so that the GIL-wait stacks add
 * up to the probe's total. */
SEC("iter/task")
int gil_flush(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct thread_ctx *tc;

	if (!t || !gil_stacks || !is_target_tgid(t->tgid))
		return 0;
	tc = bpf_task_storage_get(&thread_ctxs, t, 0, 0);
	if (tc)
		gil_stack_exit(t, tc);
	return 0;
}

/* Forked children of a CPython target share its GIL address until they exec. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(gil_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct gil_range *r;

	if (ptgid == ctgid || !(r = gil_range_of(ptgid)))
		return 0;
	bpf_map_update_elem(&gil_ranges, &ctgid, r, BPF_ANY);
	return 0;
}

/* Exact method. A thread waits from its drop_gil call (the eval loop's forced drops give the GIL
 * up only to take it back at once; drop_gil itself then waits for another thread to take it, and
 * may sit preempted on a busy CPU) to the return of take_gil; it holds from that return to its
 * next drop_gil. A voluntary release (I/O, sleep) is timed as its drop_gil call only, which is
 * microseconds unless a drop request makes it wait for the switch. */
static __always_inline void exact_wait_add(struct task_struct *task, struct thread_ctx *tc, __u64 d)
{
	struct gil_thread *g = gil_thread_of(task, tc);
	struct gil_total *tot = gil_total();
	struct req_acct *p = req_pend(tc);

	if (g)
		g->wait_ns += d;
	if (tot)
		__sync_fetch_and_add(&tot->wait_ns, d);
	if (p)
		p->gil_wait_ns += d;
	if (gil_stacks)
		gil_stack_wake(task, tc, d); /* the stack taken at a block inside the call, if any */
}

/* A target thread ends: its GIL waits that got no stack of their own go out under none. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(gil_exit, struct task_struct *t)
{
	struct thread_ctx *tc;

	if (!gil_stacks || !is_target_tgid(t->tgid))
		return 0;
	tc = bpf_task_storage_get(&thread_ctxs, t, 0, 0);
	if (tc)
		gil_stack_exit(t, tc);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(take_gil_enter)
{
	struct thread_ctx *tc;
	__u64 now;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_GIL_TAKE);
	tc = current_ctx();
	if (!tc)
		return 0;
	now = bpf_ktime_get_ns();
	tc->take_ns = now;
	/* one wait with the drop_gil just before it (the forced switch), else a new one; that
	 * drop_gil, if it was a wait of its own (counted when it returned), goes into the
	 * distribution alone */
	if (!tc->drop_end_ns || now - tc->drop_end_ns > GIL_EPISODE_GAP_NS) {
		if (tc->drop_end_ns && (tc->take_blocked & 2))
			gil_wait_done(gil_thread_of(bpf_get_current_task_btf(), tc), tc->drop_wait_ns, false);
		tc->drop_wait_ns = 0;
		tc->take_blocked = 0;
	}
	tc->drop_end_ns = 0;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(take_gil_exit)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_ctx *tc;
	struct gil_total *tot;
	__u64 now, d;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_GIL_TAKE_RET);
	tc = bpf_task_storage_get(&thread_ctxs, task, 0, 0);
	if (!tc || !tc->take_ns)
		return 0;
	now = bpf_ktime_get_ns();
	d = now - tc->take_ns;
	tc->take_ns = 0;
	tc->hold_ns = now;
	exact_wait_add(task, tc, d); /* an uncontended take costs well under a microsecond */
	tot = gil_total();
	if (tot)
		__sync_fetch_and_add(&tot->acquisitions, 1);
	/* a wait: it blocked, or was preempted in a hand-off, or lasted 50 us (preempted outside a
	 * futex call, on a busy CPU); a take that did none of these is the call's own cost */
	if (tc->take_blocked || d + tc->drop_wait_ns >= GIL_EPISODE_GAP_NS) {
		struct req_acct *p = req_pend(tc);
		bool counted = tc->take_blocked & 2; /* at its drop_gil's return */

		gil_wait_done(gil_thread_of(task, tc), d + tc->drop_wait_ns, !counted);
		if (p && !counted)
			p->gil_waits++;
	}
	tc->drop_wait_ns = 0;
	tc->take_blocked = 0;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(drop_gil_enter)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_ctx *tc;
	struct gil_thread *g;
	struct gil_total *tot;
	__u64 now, d;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_GIL_DROP);
	tc = current_ctx();
	if (!tc)
		return 0;
	now = bpf_ktime_get_ns();
	tc->drop_ns = now;
	tc->take_blocked = 0;
	if (!tc->hold_ns)
		return 0;
	d = now - tc->hold_ns;
	tc->hold_ns = 0;
	g = gil_thread_of(task, tc);
	tot = gil_total();
	if (g)
		g->hold_ns += d;
	if (tot)
		__sync_fetch_and_add(&tot->hold_ns, d);
	{
		struct req_acct *p = req_pend(tc);

		if (p)
			p->gil_hold_ns += d;
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(drop_gil_exit)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_ctx *tc;
	__u64 now, d;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_GIL_DROP_RET);
	tc = bpf_task_storage_get(&thread_ctxs, task, 0, 0);
	if (!tc || !tc->drop_ns)
		return 0;
	now = bpf_ktime_get_ns();
	d = now - tc->drop_ns;
	tc->drop_ns = 0;
	tc->drop_wait_ns = d;
	tc->drop_end_ns = now;
	exact_wait_add(task, tc, d);
	/* a drop_gil that blocked, was preempted in the hand-off or lasted 50 us (a drop request
	 * made it wait for the switch) is a wait, counted now: the thread may end without another
	 * take_gil (bit 2 of take_blocked: counted; the take_gil that follows within 50 us is the
	 * same wait) */
	if ((tc->take_blocked & 1) || d >= GIL_EPISODE_GAP_NS) {
		struct gil_thread *g = gil_thread_of(task, tc);
		struct gil_total *tot = gil_total();
		struct req_acct *p = req_pend(tc);

		if (g)
			g->waits++;
		if (tot)
			__sync_fetch_and_add(&tot->waits, 1);
		if (p)
			p->gil_waits++;
		tc->take_blocked |= 2;
	}
	return 0;
}

/* GC. */
static __always_inline int gc_begin(long gen)
{
	struct thread_ctx *tc;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_GC_START);
	tc = current_ctx();
	if (!tc)
		return 0;
	tc->gc_start_ns = bpf_ktime_get_ns();
	if (gen >= 0 && gen < GC_GENERATIONS)
		tc->gc_gen = gen;
	else
		tc->gc_gen = gen == -1 ? GC_SLOT_AUTO : GC_GENERATIONS;
	return 0;
}

/* CPython 3.13 enters its collector (gc_collect_main) with GENERATION_AUTO (-1) for automatic
 * collections and picks the generation inside (gc_select_generation); it then calls its "start"
 * callback function (invoke_gc_callback, whether or not gc.callbacks has entries) with the
 * generation it picked, and later the "stop" one with the same. */
static __always_inline int gc_choice(long gen)
{
	struct thread_ctx *tc;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_GC_CHOICE);
	tc = bpf_task_storage_get(&thread_ctxs, bpf_get_current_task_btf(), 0, 0);
	if (tc && tc->gc_start_ns && tc->gc_gen == GC_SLOT_AUTO && gen >= 0 && gen < GC_GENERATIONS)
		tc->gc_gen = gen;
	gc_choice_seen = true;
	return 0;
}

static __always_inline int gc_end(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_ctx *tc;
	struct gc_gen_stat *s;
	struct gc_thread *t;
	__u32 tid, gen;
	__u64 d;

	if (!is_target_tgid(bpf_get_current_pid_tgid() >> 32))
		return 0;
	count_hit(HIT_GC_DONE);
	tc = bpf_task_storage_get(&thread_ctxs, task, 0, 0);
	if (!tc || !tc->gc_start_ns)
		return 0;
	d = bpf_ktime_get_ns() - tc->gc_start_ns;
	tc->gc_start_ns = 0;
	gen = tc->gc_gen;
	s = bpf_map_lookup_elem(&gc_gens, &gen);
	if (s) {
		__sync_fetch_and_add(&s->collections, 1);
		__sync_fetch_and_add(&s->pause_ns, d);
		max_update(&s->max_ns, d);
		hist_add(s->hist, d);
	}
	if (gen == GC_SLOT_AUTO && gc_choice_seen)
		return 0; /* nothing was collected */
	{
		struct req_acct *p = req_pend(tc);

		if (p) {
			p->gc_pauses++;
			p->gc_ns += d;
		}
	}
	tid = (__u32)bpf_get_current_pid_tgid();
	t = bpf_map_lookup_elem(&gc_threads, &tid);
	if (!t) {
		struct gc_thread init = { .tgid = bpf_get_current_pid_tgid() >> 32 };

		bpf_get_current_comm(init.comm, sizeof(init.comm));
		bpf_map_update_elem(&gc_threads, &tid, &init, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&gc_threads, &tid);
		if (!t) {
			count_drop(DROP_GC_THREAD_FULL);
			return 0;
		}
	}
	t->collections++;
	t->pause_ns += d;
	return 0;
}

SEC("usdt")
int BPF_USDT(gc_start_usdt, int gen)
{
	return gc_begin(gen);
}

SEC("usdt")
int BPF_USDT(gc_done_usdt, long collected)
{
	return gc_end();
}

/* The collector's second argument is the generation in every supported version. */
SEC("uprobe")
int BPF_KPROBE(gc_enter, void *state, long gen)
{
	return gc_begin((int)gen);
}

/* GCC's clones of the collector may take the generation first (3.8's collect.constprop.N). */
SEC("uprobe")
int BPF_KPROBE(gc_enter1, long gen)
{
	return gc_begin((int)gen);
}

/* A clone of the collector for one generation (3.8's collect.constprop.0 collects generation 2):
 * the loader passes that generation as the attachment's cookie. */
SEC("uprobe")
int BPF_KPROBE(gc_enter_const)
{
	return gc_begin((long)bpf_get_attach_cookie(ctx));
}

/* The chooser's generation argument, by register (DWARF says which). */
SEC("uprobe")
int BPF_KPROBE(gc_choice1, long gen)
{
	return gc_choice((int)gen);
}

SEC("uprobe")
int BPF_KPROBE(gc_choice2, void *a, long gen)
{
	return gc_choice((int)gen);
}

SEC("uprobe")
int BPF_KPROBE(gc_choice3, void *a, void *b, long gen)
{
	return gc_choice((int)gen);
}

SEC("uretprobe")
int BPF_KRETPROBE(gc_exit)
{
	return gc_end();
}

char LICENSE[] SEC("license") = "GPL";
