/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF side of one run: loads the probe objects, shares their common maps, attaches, keeps the
 * target set, reads the shared counters and detaches. One session owns every link and object it
 * creates and destroys each once (session__free, on every exit path). */
#ifndef BINDPROF_SESSION_H
#define BINDPROF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <cjson/cJSON.h>
#include "bpf/common.h"

struct session;

struct session_opts {
	unsigned probes;       /* mask of enum probe_id; unimplemented ones are ignored here */
	bool follow_children;
	bool gil_exact;        /* load the take_gil/drop_gil uprobe programs */
	bool gil_stacks;       /* the gil probe takes GIL-wait stacks (for the stacks module) */
	int stacks_hz;         /* at most this many GIL-wait stacks per process per second */
};

struct python_fds {
	int gil_totals, gil_threads, gc_gens, gc_threads;
};

/* Open, load and attach. 0 or negative errno (-EPERM: privileges; -ENOENT: no BTF). */
int session__open(const struct session_opts *opts, struct session **out);
void session__free(struct session *s); /* detaches and closes everything; accepts NULL */
struct bpf_object;
/* Give another object (loaded by its own module, e.g. stacks) the session's shared maps, and every
 * map of the python object's of the same name (gil_ranges, the stack maps), when it is loaded.
 * Before that object's load. */
int session__share_maps(struct session *s, struct bpf_object *obj);
/* Detach every probe, keeping the maps readable. */
void session__detach(struct session *s);

int session__add_target(struct session *s, int tgid);
int session__remove_target(struct session *s, int tgid);
/* Up to max tgids of the target set; returns how many. */
int session__targets(struct session *s, int *tgids, int max);

/* Counters summed over CPUs. */
int session__read_hits(struct session *s, uint64_t hits[HIT_MAX]);
int session__read_drops(struct session *s, uint64_t drops[DROP_MAX]);
/* Every probe adds what it measures to its thread's pending request account (the requests
 * probe is on). */
int session__set_requests(struct session *s, bool on);
/* Zero every counter and statistic (after calibration). */
void session__reset(struct session *s);

/* One syscall's statistics, summed over CPUs. 0, or -ENOENT when the probe is not loaded. */
struct syscall_stat;
int session__syscall_stat(struct session *s, __u32 nr, struct syscall_stat *out);
/* New tasks' first returns from clone/fork/vfork/clone3 seen by the syscall probe (not syscalls
 * of their own, not in progress at attach); 0 when the probe is not loaded. */
uint64_t session__syscall_new_task_returns(struct session *s);
uint64_t session__syscall_uretprobe_returns(struct session *s); /* uretprobe syscalls of target threads, counted apart */
/* The syscall probe's per-thread array (struct thread_stat, a slot per thread); -1 when the probe
 * is not loaded. */
int session__thread_stats_fd(struct session *s);
/* How many of its slots are in use (0 when the probe is not loaded). */
uint32_t session__thread_slots(struct session *s);
/* How many slots of the gil probe's per-thread array (python_fds.gil_threads) are in use. */
uint32_t session__gil_slots(struct session *s);
/* A thread's name: live from /proc, else as it was when it exited, else `seen` (the name a probe
 * recorded at its first event). */
void session__thread_name(struct session *s, int tgid, int tid, const char *seen, char *buf,
			  size_t size);
/* CPython probes, per binary (pid -1: every process running elf, filtered on the target set). */
int session__attach_gc(struct session *s, int pid, const char *elf, bool usdt, const char *func);
/* A uprobe/uretprobe pair on a collector function whose generation is argument gen_arg (1, 2). */
/* CPython 3.13: a uprobe on the collector's callback function func, whose argument gen_arg
 * (1..3) is the generation the collector chose for a GENERATION_AUTO collection. 0 or -errno. */
int session__attach_gc_choice(struct session *s, int pid, const char *elf, const char *func, int gen_arg);
int session__attach_gc_func(struct session *s, int pid, const char *elf, const char *func, int gen_arg,
			    long gen_const);
int session__attach_gil_exact(struct session *s, int pid, const char *elf);
/* exact: the process's take_gil/drop_gil uprobes are attached (they time its waits);
 * ts_thread_id: offset of PyThreadState.thread_id in its version (0: unknown), for telling the
 * GIL's holder from its waiters. */
int session__set_gil_range(struct session *s, int tgid, uint64_t lo, uint64_t hi, bool exact,
			   unsigned ts_thread_id);
int session__python_fds(struct session *s, struct python_fds *fds);
/* Per-binary links attached so far, and destroying the ones after the first keep. */
int session__nr_dyn_links(struct session *s);
void session__drop_dyn_links(struct session *s, int keep);

/* {"tid", "pid", "name"} of a thread, the name as session__thread_name finds it (comm: the
 * TASK_COMM_LEN bytes a probe recorded). */
cJSON *session__thread_json(struct session *s, int tgid, int tid, const char *comm);
/* Number of attached BPF links. */
int session__nr_links(struct session *s);
/* Whether the kernel's BPF run-time statistics are on (the session turns them on for its life). */
bool session__bpf_stats(struct session *s);
/* The kernel's measured run time (ms) of obj's loaded programs of type prog_type (a
 * BPF_PROG_TYPE_*), while BPF statistics are on (bpf_enable_stats, or kernel.bpf_stats_enabled);
 * *runs gets their run count (0 when statistics were off). */
double bpf_object_run_ms(struct bpf_object *obj, int prog_type, uint64_t *runs);
/* The same over the session's own tracepoint programs (sched_switch, fork, exit; not the
 * syscall tracepoints, whose cost is mostly the kernel's slow path, not the program). */
double session__tracing_run_ms(struct session *s, uint64_t *runs);

const char *hit_name(enum probe_hit h);
const char *drop_name(enum drop_reason d);

#endif
