/* SPDX-License-Identifier: GPL-2.0-only */
/* Maps and helpers shared by every bindprof BPF object.
 *
 * Each object that includes this header declares the same maps; the loader creates them once, in
 * the core object, and hands the same fds to every other object (bpf_map__reuse_fd) before load,
 * so the target set, the per-thread context and the counters are one set of maps. */
#ifndef BINDPROF_COMMON_BPF_H
#define BINDPROF_COMMON_BPF_H

#include "common.h"

/* tgid -> 1 for every process being profiled (the target and, unless --no-children, its
 * descendants, added by the core object's fork program). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct target_cfg);
} target_cfgs SEC(".maps");

/* Per-thread context in task-local storage: freed by the kernel when the thread exits, so the map
 * never fills with the dead. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_ctx);
} thread_ctxs SEC(".maps");

/* tid -> the thread's name when it exited (names change after a thread's first event, and a dead
 * thread's /proc entry is gone). LRU: old entries make room, never a failed insert. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct thread_name);
} thread_names SEC(".maps");

/* Served connections (struct sock address -> its current request): the requests probe's, read by
 * the syscalls probe for the syscall around a request's own reads and writes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_CONNS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct req_conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HIT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void count_idx(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		(*v)++; /* per-CPU: no atomics needed */
}

#define count_hit(h) count_idx(&hits, (h))
#define count_drop(d) count_idx(&drops, (d))

/* A thread's slot in a per-thread array map (the GIL's and the syscalls' figures): *tc_slot (in the
 * thread's context) holds 1 + its slot, 0 before its first use, ~0 once the array was full; *next
 * is the map's count of slots handed out (64-bit: clang 14 returns a fetch-and-add's value only
 * for 64-bit operands below BPF ISA v3). An array look-up is inlined by the verifier, where a
 * tid-keyed hash cost ~55 ns. Returns the element (*fresh set when just handed out: the caller
 * fills it, its tid last), or NULL with `drop` counted when the array is full. */
static __always_inline void *thread_slot(__u32 *tc_slot, __u64 *next, void *map, __u32 drop, bool *fresh)
{
	void *v;
	__u32 slot;

	*fresh = false;
	if (*tc_slot) {
		slot = *tc_slot - 1;
		v = bpf_map_lookup_elem(map, &slot);
		if (!v)
			count_drop(drop);
		return v;
	}
	slot = (__u32)__sync_fetch_and_add(next, 1);
	v = bpf_map_lookup_elem(map, &slot);
	if (!v) {
		*tc_slot = ~0u; /* full: this thread's later events are dropped too */
		count_drop(drop);
		return NULL;
	}
	*tc_slot = slot + 1; /* only this thread reads its context */
	*fresh = true;
	return v;
}

static __always_inline bool is_target_tgid(__u32 tgid)
{
	__u32 zero = 0;
	struct target_cfg *cfg = bpf_map_lookup_elem(&target_cfgs, &zero);

	if (cfg) {
		if (cfg->main_tgid == tgid)
			return true;
		if (!cfg->others)
			return false;
	}
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* Add a tgid found by a probe (a forked child) to the target set. 0 or negative errno. */
static __always_inline long add_target_tgid(__u32 tgid)
{
	__u32 zero = 0, one = 1;
	struct target_cfg *cfg = bpf_map_lookup_elem(&target_cfgs, &zero);
	long err = bpf_map_update_elem(&targets, &tgid, &one, BPF_NOEXIST);

	if (cfg && !err)
		cfg->others = 1;
	return err;
}

/* The current thread's context, created on first use. NULL (and counted) if it cannot be. */
static __always_inline struct thread_ctx *current_ctx(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_ctx *ctx;

	ctx = bpf_task_storage_get(&thread_ctxs, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ctx)
		count_drop(DROP_CTX_ALLOC);
	return ctx;
}

/* Per-request attribution (bpf/request.h): the thread's pending account when the requests probe
 * is on, else NULL. */
static __always_inline struct req_acct *req_pend(struct thread_ctx *tc)
{
	__u32 zero = 0;
	struct target_cfg *cfg = bpf_map_lookup_elem(&target_cfgs, &zero);

	if (!tc || !cfg || !cfg->requests)
		return NULL;
	tc->pend_any = 1;
	return &tc->pend;
}

/* Count one event of `key` in a slot table; a full table counts it in *other. */
static __always_inline void req_slot_add(struct req_slot *s, int n, __u32 key, __u64 ns, __u32 *other)
{
#pragma unroll
	for (int i = 0; i < n; i++) {
		if (s[i].count && s[i].key != key)
			continue;
		s[i].key = key;
		s[i].count++;
		s[i].ns += ns;
		return;
	}
	if (other)
		(*other)++;
}

#endif /* BINDPROF_COMMON_BPF_H */
