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
#include <bpf/bpf_core_read.h>
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

static __always_inline __u64 run_delay(void)
{
	return BPF_CORE_READ(bpf_get_current_task_btf(), sched_info.run_delay);
}

/* A window's duration, less the time the thread waited for a CPU in it. */
static __always_inline __u64 on_cpu(__u64 t0, __u64 t1, __u64 rd0, __u64 rd1)
{
	__u64 d = t1 - t0, w = rd1 - rd0;

	return w < d ? d - w : 0;
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
	f->ffi_in_ns = 0;
	if (t->ffi_depth && t->ffi_call_ns) { /* called through ffi_call: never 0 then */
		f->ffi_in_ns = on_cpu(t->ffi_call_ns, now, t->ffi_call_rd, run_delay());
		if (!f->ffi_in_ns)
			f->ffi_in_ns = 1;
	}
	t->ffi_call_ns = 0; /* one body per ffi_call: the first probed one */
	t->depth = d + 1;
	f->run_delay = BPF_CORE_READ(bpf_get_current_task_btf(), sched_info.run_delay);
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
	{
		__u64 rd = BPF_CORE_READ(bpf_get_current_task_btf(), sched_info.run_delay) - f->run_delay;

		__sync_fetch_and_add(&s->cpu_wait_ns, rd < d ? rd : d);
	}
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
		t->body_end_rd = run_delay();
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
	t->ffi_call_rd = run_delay();
	t->ffi_call_ns = bpf_ktime_get_ns();
	if (t->bind_depth == 1 && t->bind_start_ns && !t->bind_pre_ns) {
		t->bind_pre_ns = on_cpu(t->bind_start_ns, t->ffi_call_ns, t->bind_start_rd, t->ffi_call_rd);
		if (!t->bind_pre_ns)
			t->bind_pre_ns = 1;
		t->bind_fix_ns += bpf_get_attach_cookie(ctx);
	}
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
	if (t->bind_depth == 1 && t->bind_pre_ns && !t->bind_ret_ns) {
		t->bind_ret_ns = now;
		t->bind_ret_rd = run_delay();
		t->bind_body = t->body_id;
		t->bind_fix_ns += bpf_get_attach_cookie(ctx);
	}
	if (t->body_id < 0 || !t->body_end_ns)
		return 0;
	id = t->body_id;
	s = bpf_map_lookup_elem(&ffi_stats, &id);
	if (s)
		__sync_fetch_and_add(&s->overhead_ns, on_cpu(t->body_end_ns, now, t->body_end_rd, run_delay()));
	t->body_id = -1;
	t->body_end_ns = 0;
	return 0;
}

/* The binding's call entry (ctypes' PyCFuncPtr_call, cffi's cdata_call: a type's tp_call): its
 * Python-side share is from here to ffi_call, and from ffi_call's return back to here. The
 * cookie is the probe's own cost, ns. */
SEC("uprobe")
int BPF_KPROBE(binding_enter)
{
	struct ffi_thread *t;

	if (!targeted() || !(t = thread(true)))
		return 0;
	count_hit(HIT_FFI_ENTER);
	add_cost(t, bpf_get_attach_cookie(ctx));
	if (t->bind_depth++)
		return 0; /* a callback's call: the outermost one is measured */
	t->bind_pre_ns = t->bind_ret_ns = 0;
	t->bind_body = -1;
	t->bind_fix_ns = bpf_get_attach_cookie(ctx);
	t->bind_start_rd = run_delay();
	t->bind_start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(binding_exit)
{
	__u64 now = bpf_ktime_get_ns(), d;
	struct ffi_thread *t;
	struct ffi_stat *s;
	__u32 id;

	if (!targeted() || !(t = thread(false)))
		return 0;
	count_hit(HIT_FFI_EXIT);
	add_cost(t, bpf_get_attach_cookie(ctx));
	if (!t->bind_depth || --t->bind_depth)
		return 0;
	if (!t->bind_start_ns || !t->bind_pre_ns || !t->bind_ret_ns || t->bind_body < 0)
		goto out;
	id = t->bind_body;
	s = bpf_map_lookup_elem(&ffi_stats, &id);
	/* raw: the loader subtracts the probes' share, calibrated the same way (binding zero) */
	d = t->bind_pre_ns + on_cpu(t->bind_ret_ns, now, t->bind_ret_rd, run_delay());
	if (s) {
		__sync_fetch_and_add(&s->binding_ns, d);
		__sync_fetch_and_add(&s->binding_calls, 1);
	}
out:
	t->bind_start_ns = 0;
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

/* Late loads: while a --ffi library named by file name is not found yet, a dynamic load in a
 * guarded target that brings an object whose file name matches a pending spec stops the target
 * (SIGSTOP) at the loader's debugger hook, _dl_debug_state with r_state RT_CONSISTENT: the new
 * objects are mapped, not yet relocated nor initialized. User space attaches to them and
 * continues it (SIGCONT). A load that brings nothing that matches does not stop it.
 *
 * The new objects: at RT_ADD, the walk records the object before the list's tail (glibc has
 * appended the first new object by then); at the next RT_CONSISTENT, the objects after it are the
 * new ones (glibc appends them to the base namespace's list). */
volatile __u32 ffi_pending;
/* bindprof's own task (its main thread), from a hit of its calibration probes: once it exits,
 * nothing is stopped any more (the guardian's SIGCONT then always comes after the last stop) */
volatile __u64 ffi_owner_task;
volatile __u32 ffi_owner_tgid;
/* the loader's _dl_debug_state and _r_debug, as link-time addresses in its file */
volatile __u64 ffi_dl_state_vaddr, ffi_r_debug_vaddr;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} dl_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct ffi_guard);
} ffi_guard SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ffi_pend_names);
} ffi_pend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FFI_DL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ffi_dl SEC(".maps");

#define PATH_BUF 256
struct dl_scratch {
	char path[PATH_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dl_scratch);
} dl_scratch SEC(".maps");

#define LM_NAME 8  /* struct link_map: l_addr, l_name, l_ld, l_next, l_prev */
#define LM_NEXT 24
#define LM_PREV 32
#define RD_MAP 8   /* struct r_debug: r_version, r_map, r_brk, r_state, r_ldbase */
#define RD_STATE 24
#define WALK_MAX 1024
#define NEW_MAX 32

struct walk_ctx {
	__u64 lm;
	__u64 last;
};

static long walk_step(__u64 i, void *data)
{
	struct walk_ctx *w = data;
	__u64 next = 0;

	if (!w->lm)
		return 1;
	w->last = w->lm;
	if (bpf_probe_read_user(&next, sizeof(next), (void *)(w->lm + LM_NEXT)))
		next = 0;
	w->lm = next;
	return 0;
}

struct match_ctx {
	__u64 lm;
	int hit; /* 1 a match, 0 none so far */
};

struct name_ctx {
	int len;  /* the path's length */
	int base; /* where its file name starts */
	int hit;
};

static long base_step(__u64 i, void *data)
{
	struct name_ctx *c = data;
	__u32 zero = 0;
	struct dl_scratch *p = bpf_map_lookup_elem(&dl_scratch, &zero);

	if (!p || (int)i >= c->len)
		return 1;
	if (p->path[i & (PATH_BUF - 1)] == '/')
		c->base = (int)i + 1;
	return 0;
}

/* Pending name i against the file name in the scratch path. */
static long cmp_step(__u64 i, void *data)
{
	struct name_ctx *c = data;
	__u32 zero = 0;
	struct dl_scratch *p = bpf_map_lookup_elem(&dl_scratch, &zero);
	struct ffi_pend_names *all = bpf_map_lookup_elem(&ffi_pend, &zero);
	struct ffi_pend_name *pn;
	int base = c->base, n;
	char ch;

	if (!p || !all)
		return 1;
	pn = &all->n[i & (FFI_MAX_PEND - 1)];
	n = pn->len;
	if (!pn->on || n <= 0 || n >= FFI_NAME_LEN || base + n > c->len)
		return 0;
	for (int j = 0; j < FFI_NAME_LEN; j++) {
		if (j >= n)
			break;
		if (p->path[(base + j) & (PATH_BUF - 1)] != pn->name[j])
			return 0;
	}
	ch = base + n < c->len ? p->path[(base + n) & (PATH_BUF - 1)] : 0;
	if (ch == 0 || ch == '.') {
		c->hit = 1;
		return 1;
	}
	return 0;
}

/* Whether the file name of the path in the scratch buffer (len bytes) matches a pending name. */
static __always_inline int name_matches(int len)
{
	struct name_ctx c = { .len = len };

	bpf_loop(PATH_BUF, base_step, &c, 0);
	bpf_loop(FFI_MAX_PEND, cmp_step, &c, 0);
	return c.hit;
}

static long match_step(__u64 i, void *data)
{
	struct match_ctx *m = data;
	__u32 zero = 0;
	struct dl_scratch *p = bpf_map_lookup_elem(&dl_scratch, &zero);
	__u64 name = 0, next = 0;
	long len;

	if (!m->lm || !p)
		return 1;
	if (bpf_probe_read_user(&name, sizeof(name), (void *)(m->lm + LM_NAME)) ||
	    bpf_probe_read_user(&next, sizeof(next), (void *)(m->lm + LM_NEXT)))
		return 1;
	m->lm = next;
	if (!name)
		return 0;
	len = bpf_probe_read_user_str(p->path, sizeof(p->path), (void *)name);
	if (len <= 1) /* "": the main program */
		return 0;
	if (name_matches((int)len - 1)) {
		m->hit = 1;
		return 1;
	}
	return 0;
}

static __always_inline bool owner_exiting(void)
{
	struct task_struct *t = (struct task_struct *)ffi_owner_task;
	unsigned int flags = 0;

	if (!t)
		return false;
	if (bpf_probe_read_kernel(&flags, sizeof(flags), &t->flags))
		return true;
	return flags & 0x00000004; /* PF_EXITING */
}

SEC("uprobe")
int BPF_KPROBE(dl_state)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, state = 0;
	struct ffi_guard *g;
	__u64 rd;
	struct walk_ctx w = {};
	struct match_ctx m = {};
	__u64 head = 0;
	long n;

	if (!ffi_pending || !is_target_tgid(pid))
		return 0;
	count_idx(&ffi_dl, FFI_DL_CALLS);
	g = bpf_map_lookup_elem(&ffi_guard, &pid);
	if (!g) {
		count_idx(&ffi_dl, FFI_DL_UNGUARDED);
		return 0;
	}
	/* r_debug from where the probe hit: the loader's _dl_debug_state, whatever image the
	 * process runs now (an exec moves the loader) */
	rd = bpf_get_func_ip(ctx) - ffi_dl_state_vaddr + ffi_r_debug_vaddr;
	if (bpf_probe_read_user(&state, sizeof(state), (void *)(rd + RD_STATE)) ||
	    bpf_probe_read_user(&head, sizeof(head), (void *)(rd + RD_MAP)))
		return 0;
	if (state == 1) {
		/* RT_ADD: glibc (2.36) has already appended the first new object, the one dlopen
		 * names; its dependencies follow. Remember the object before it: the ones after it at
		 * RT_CONSISTENT are the new ones (one old object more if a loader announces before
		 * appending: harmless) */
		__u64 prev = 0;

		w.lm = head;
		n = bpf_loop(WALK_MAX, walk_step, &w, 0);
		if (w.lm || !w.last || bpf_probe_read_user(&prev, sizeof(prev), (void *)(w.last + LM_PREV)))
			prev = 0; /* not at the end within the bound, or unreadable: unknown */
		g->tail = prev;
		g->prev_state = 1;
		return 0;
	}
	if (state != 0) { /* RT_DELETE */
		g->prev_state = state;
		return 0;
	}
	if (g->prev_state == 2 || g->prev_state == 0) { /* a dlclose ended, or nothing was added */
		g->prev_state = 0;
		return 0;
	}
	/* RT_CONSISTENT after RT_ADD (or first seen): the objects after the tail are the new ones */
	m.lm = head;
	if (g->prev_state == 1 && g->tail && bpf_probe_read_user(&m.lm, sizeof(m.lm), (void *)(g->tail + LM_NEXT)))
		m.lm = head;
	else if (g->prev_state != 1 || !g->tail)
		m.lm = head;
	g->prev_state = 0;
	n = bpf_loop(g->tail ? NEW_MAX : WALK_MAX, match_step, &m, 0);
	if (!m.hit && m.lm) { /* more new objects than the bound: stop, to be safe */
		count_idx(&ffi_dl, FFI_DL_BOUND);
		m.hit = 1;
	}
	(void)n;
	if (!m.hit) {
		count_idx(&ffi_dl, FFI_DL_NOMATCH);
		return 0;
	}
	if (owner_exiting()) {
		count_idx(&ffi_dl, FFI_DL_OWNER_EXIT);
		return 0;
	}
	/* The stop first, then the event: user space's SIGCONT must come after the SIGSTOP (a
	 * SIGCONT discards a pending stop; a stop sent after it would never be undone). */
	if (bpf_send_signal(19 /* SIGSTOP */))
		return 0;
	count_idx(&ffi_dl, FFI_DL_STOPS);
	bpf_ringbuf_output(&dl_events, &pid, sizeof(pid), 0);
	return 0; /* no room for the event: the loader's poll continues it (ffi__poll) */
}

/* bindprof's own main thread, once: a hit of this probe (on one of its calibration functions). */
SEC("uprobe")
int BPF_KPROBE(owner_mark)
{
	__u64 id = bpf_get_current_pid_tgid();

	if ((__u32)(id >> 32) == ffi_owner_tgid && (__u32)id == ffi_owner_tgid)
		ffi_owner_task = (__u64)bpf_get_current_task();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
