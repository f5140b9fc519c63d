/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core.skel.h"
#include "syscalls.skel.h"
#include "python.skel.h"
#include <stdio.h>
#include "lib/log.h"
#include "inspect/procfs.h"
#include "inspect/elffile.h"
#include "core/probes.h"
#include "core/session.h"
#include "bpf/syscalls.h"
#include "bpf/python.h"

#define MAX_DYN_LINKS 64

struct session {
	struct core_bpf *core;
	struct syscalls_bpf *sys;
	struct python_bpf *py;
	struct bpf_link *links[MAX_DYN_LINKS]; /* per-binary uprobes and USDTs; owned here */
	int nlinks;
	int ncpus;
	int stats_fd; /* the kernel's BPF run-time statistics are on while it is open; < 0: refused */
};

static const char *const hit_names[HIT_MAX] = {
	[HIT_SYS_ENTER] = "tp_btf/sys_enter",
	[HIT_SYS_EXIT] = "tp_btf/sys_exit",
	[HIT_FORK] = "tp_btf/sched_process_fork",
	[HIT_EXIT] = "tp_btf/sched_process_exit",
	[HIT_SCHED_SWITCH] = "tp_btf/sched_switch",
	[HIT_GIL_TAKE] = "uprobe/take_gil",
	[HIT_GIL_TAKE_RET] = "uretprobe/take_gil",
	[HIT_GIL_DROP] = "uprobe/drop_gil",
	[HIT_GIL_DROP_RET] = "uretprobe/drop_gil",
	[HIT_GC_START] = "gc_start",
	[HIT_GC_DONE] = "gc_done",
	[HIT_GC_CHOICE] = "gc_choice",
	[HIT_STACK_SAMPLE] = "perf_event/cpu-clock",
	[HIT_GIL_STACK] = "gil_wait_stack",
	[HIT_FFI_ENTER] = "uprobe/ffi",
	[HIT_FFI_EXIT] = "uretprobe/ffi",
	[HIT_FFI_GIL] = "ffi_gil_state",
	[HIT_REQ_SOCK] = "tp_btf/sock_recv_length+sock_send_length",
	[HIT_REQ_STATE] = "tp_btf/inet_sock_set_state",
};

static const char *const drop_names[DROP_MAX] = {
	[DROP_THREAD_MAP_FULL] = "thread_map_full",
	[DROP_TARGET_MAP_FULL] = "target_map_full",
	[DROP_CTX_ALLOC] = "thread_ctx_alloc",
	[DROP_UNPAIRED_EXIT] = "unpaired_syscall_exit",
	[DROP_GIL_THREAD_FULL] = "gil_thread_map_full",
	[DROP_GC_THREAD_FULL] = "gc_thread_map_full",
};

const char *hit_name(enum probe_hit h)
{
	return h < HIT_MAX ? hit_names[h] : "?";
}

const char *drop_name(enum drop_reason d)
{
	return d < DROP_MAX ? drop_names[d] : "?";
}

/* Give obj's copies of the shared maps the core object's fds, before obj is loaded. */
static int share_maps(struct bpf_object *obj, struct core_bpf *core)
{
	struct bpf_map *shared[] = { core->maps.targets, core->maps.target_cfgs, core->maps.thread_ctxs,
				     core->maps.thread_names, core->maps.hits, core->maps.drops,
				     core->maps.conns, core->maps.net_sk, core->maps.net_stats,
				     core->maps.net_hists };
	int err;

	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, bpf_map__name(shared[i]));

		if (!m)
			continue;
		err = bpf_map__reuse_fd(m, bpf_map__fd(shared[i]));
		if (err) {
			log_err("sharing map %s: %s", bpf_map__name(shared[i]), strerror(-err));
			return err;
		}
	}
	return 0;
}

int session__share_maps(struct session *s, struct bpf_object *obj)
{
	struct bpf_map *m;
	int err = share_maps(obj, s->core);

	if (err)
		return err;
	/* the GIL of each CPython target, and the GIL-wait stacks' maps, kept by the python object */
	if (s->py) {
		struct bpf_map *pm;

		bpf_object__for_each_map(pm, s->py->obj) {
			const char *name = bpf_map__name(pm);

			if (strchr(name, '.') || !(m = bpf_object__find_map_by_name(obj, name)) ||
			    bpf_map__reuse_fd(m, bpf_map__fd(pm)) == 0)
				continue;
			/* the core maps are shared already: only a real failure is an error */
			if (bpf_map__fd(m) < 0) {
				err = -EINVAL;
				log_err("sharing map %s", name);
				return err;
			}
		}
	}
	return 0;
}

int session__open(const struct session_opts *opts, struct session **out)
{
	struct session *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	/* Programs' run time, for the self-estimate and the stacks' own cost (two clock reads per
	 * program run); a kernel that refuses leaves the estimate to the hit counts. */
	s->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		err = s->ncpus ? s->ncpus : -EINVAL;
		goto cleanup;
	}
	s->core = core_bpf__open();
	if (!s->core) {
		err = -errno;
		log_err("opening the core BPF object: %s", strerror(-err));
		goto cleanup;
	}
	s->core->rodata->follow_children = opts->follow_children;
	err = core_bpf__load(s->core);
	if (err) {
		log_err("loading the core BPF object: %s", strerror(-err));
		goto cleanup;
	}
	err = core_bpf__attach(s->core);
	if (err) {
		log_err("attaching sched_process_fork/exit: %s", strerror(-err));
		goto cleanup;
	}
	log_debug("attached core: tp_btf/sched_process_fork, tp_btf/sched_process_exit");

	if (opts->probes & PROBE_BIT(PROBE_SYSCALLS)) {
		s->sys = syscalls_bpf__open();
		if (!s->sys) {
			err = -errno;
			log_err("opening the syscalls BPF object: %s", strerror(-err));
			goto cleanup;
		}
		err = share_maps(s->sys->obj, s->core);
		if (err)
			goto cleanup;
		err = syscalls_bpf__load(s->sys);
		if (err) {
			log_err("loading the syscalls BPF object: %s", strerror(-err));
			goto cleanup;
		}
		err = syscalls_bpf__attach(s->sys);
		if (err) {
			log_err("attaching raw_syscalls sys_enter/sys_exit: %s", strerror(-err));
			goto cleanup;
		}
		log_debug("attached syscalls: tp_btf/sys_enter, tp_btf/sys_exit");
	}
	if (opts->probes & (PROBE_BIT(PROBE_GIL) | PROBE_BIT(PROBE_GC))) {
		bool gil = opts->probes & PROBE_BIT(PROBE_GIL);

		s->py = python_bpf__open();
		if (!s->py) {
			err = -errno;
			log_err("opening the python BPF object: %s", strerror(-err));
			goto cleanup;
		}
		s->py->rodata->gil_stacks = gil && opts->gil_stacks;
		if (opts->stacks_hz > 0)
			s->py->rodata->gil_interval_ns = 1000000000ull / opts->stacks_hz;
		if (!(gil && opts->gil_stacks) && !(opts->probes & PROBE_BIT(PROBE_STACKS))) {
			/* no stacks at all: small ring buffers (the stacks object shares these maps, so
			 * they keep their size whenever it samples) */
			bpf_map__set_max_entries(s->py->maps.stack_events, 4096);
			bpf_map__set_max_entries(s->py->maps.gil_done_events, 4096);
		} else {
			/* about half a second of samples at the rate asked, every CPU busy (a sample with
			 * its user stack copy is ~17 KiB): 2 MiB at 99 Hz on 2 CPUs; the object's size (4
			 * MiB) at most. Its pages are mapped twice in bindprof (the consumer's wrap-around
			 * view), so each MiB saved is 2 MiB of RSS. */
			size_t want = (size_t)(opts->stacks_hz > 0 ? opts->stacks_hz : 99) * s->ncpus * (17u << 10) / 2;
			size_t max = bpf_map__max_entries(s->py->maps.stack_events), sz = 256u << 10;

			while (sz < want && sz < max)
				sz <<= 1;
			bpf_map__set_max_entries(s->py->maps.stack_events, sz < max ? sz : max);
		}
		bpf_program__set_autoload(s->py->progs.gil_switch, gil);
		bpf_program__set_autoload(s->py->progs.gil_fork, gil);
		bpf_program__set_autoload(s->py->progs.gil_exit, gil && opts->gil_stacks);
		bpf_program__set_autoload(s->py->progs.gil_flush, gil && opts->gil_stacks);
		bpf_program__set_autoload(s->py->progs.take_gil_enter, gil && opts->gil_exact);
		bpf_program__set_autoload(s->py->progs.take_gil_exit, gil && opts->gil_exact);
		bpf_program__set_autoload(s->py->progs.drop_gil_enter, gil && opts->gil_exact);
		bpf_program__set_autoload(s->py->progs.drop_gil_exit, gil && opts->gil_exact);
		if (!(opts->probes & PROBE_BIT(PROBE_GC))) {
			bpf_program__set_autoload(s->py->progs.gc_start_usdt, false);
			bpf_program__set_autoload(s->py->progs.gc_done_usdt, false);
			/* gc_enter/gc_exit stay: they time the uprobe calibration */
		}
		err = share_maps(s->py->obj, s->core);
		if (err)
			goto cleanup;
		err = python_bpf__load(s->py);
		if (err) {
			log_err("loading the python BPF object: %s", strerror(-err));
			goto cleanup;
		}
		if (gil) {
			/* The tracepoints only; uprobes and USDTs attach per binary, later. */
			s->py->links.gil_switch = bpf_program__attach(s->py->progs.gil_switch);
			if (!s->py->links.gil_switch) {
				err = -errno;
				log_err("attaching tp_btf/sched_switch: %s", strerror(-err));
				goto cleanup;
			}
			s->py->links.gil_fork = bpf_program__attach(s->py->progs.gil_fork);
			if (!s->py->links.gil_fork) {
				err = -errno;
				log_err("attaching tp_btf/sched_process_fork: %s", strerror(-err));
				goto cleanup;
			}
			if (opts->gil_stacks && !(s->py->links.gil_exit = bpf_program__attach(s->py->progs.gil_exit))) {
				err = -errno;
				log_err("attaching tp_btf/sched_process_exit: %s", strerror(-err));
				goto cleanup;
			}
			log_debug("attached gil: tp_btf/sched_switch");
		}
	}
	*out = s;
	return 0;
cleanup:
	session__free(s);
	return err;
}

static int keep_link(struct session *s, struct bpf_link *l, const char *what, const char *elf)
{
	int err;

	if (!l) {
		err = -errno;
		log_debug("attaching %s to %s: %s", what, elf, strerror(-err));
		return err;
	}
	if (s->nlinks == MAX_DYN_LINKS) {
		bpf_link__destroy(l);
		return -E2BIG;
	}
	s->links[s->nlinks++] = l;
	log_debug("attached %s to %s", what, elf);
	return 0;
}

static struct bpf_link *uprobe(struct bpf_program *prog, bool ret, int pid, const char *elf,
			       const char *func)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .retprobe = ret);

	return bpf_program__attach_uprobe_opts(prog, pid, elf, 0, &o);
}

int session__attach_gc_func(struct session *s, int pid, const char *elf, const char *func, int gen_arg,
			    long gen_const)
{
	struct bpf_program *enter = gen_arg == 1 ? s->py->progs.gc_enter1 : s->py->progs.gc_enter;
	int err;

	if (gen_arg == 0 && gen_const >= 0) {
		/* a clone for one generation: the generation is the attachment's cookie */
		LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .bpf_cookie = (__u64)gen_const);

		err = keep_link(s, bpf_program__attach_uprobe_opts(s->py->progs.gc_enter_const, pid, elf, 0, &o),
				"uprobe gc", elf);
	} else {
		err = keep_link(s, uprobe(enter, false, pid, elf, func), "uprobe gc", elf);
	}
	if (!err)
		err = keep_link(s, uprobe(s->py->progs.gc_exit, true, pid, elf, func), "uretprobe gc", elf);
	return err;
}

int session__attach_gc_choice(struct session *s, int pid, const char *elf, const char *func, int gen_arg)
{
	struct bpf_program *p;

	if (!s->py)
		return -ENOTSUP;
	p = gen_arg == 1 ? s->py->progs.gc_choice1 : gen_arg == 2 ? s->py->progs.gc_choice2 : s->py->progs.gc_choice3;
	return keep_link(s, uprobe(p, false, pid, elf, func), "uprobe gc choice", elf);
}

int session__attach_gc(struct session *s, int pid, const char *elf, bool usdt, const char *func)
{
	int err;

	if (!s->py)
		return -ENOTSUP;
	if (usdt) {
		err = keep_link(s, bpf_program__attach_usdt(s->py->progs.gc_start_usdt, pid, elf, "python",
							  "gc__start", NULL),
				"usdt:python:gc__start", elf);
		if (!err)
			err = keep_link(s, bpf_program__attach_usdt(s->py->progs.gc_done_usdt, pid, elf,
								  "python", "gc__done", NULL),
					"usdt:python:gc__done", elf);
		return err;
	}
	return session__attach_gc_func(s, pid, elf, func, 2, -1);
}

int session__attach_gil_exact(struct session *s, int pid, const char *elf)
{
	/* GCC's clones of take_gil (3.8: take_gil.constprop.0, for PyEval_RestoreThread and thread
	 * start-up) take the GIL too; the programs read no arguments, so they fit every clone */
	static const char *const clones[] = { "take_gil.constprop.0", "take_gil.constprop.1" };
	bool has_clone[sizeof(clones) / sizeof(clones[0])] = { false };
	struct elf_file *ef;
	int err;

	if (!s->py)
		return -ENOTSUP;
	/* only the clones the file has: libbpf would print "failed to find symbol" for the others */
	if ((ef = elf_file__open(elf))) {
		GElf_Sym sym;

		for (size_t i = 0; i < sizeof(clones) / sizeof(clones[0]); i++)
			has_clone[i] = !elf_file__symbol(ef, clones[i], &sym);
		elf_file__close(ef);
	}
	err = keep_link(s, uprobe(s->py->progs.take_gil_enter, false, pid, elf, "take_gil"), "uprobe take_gil", elf);
	if (!err)
		err = keep_link(s, uprobe(s->py->progs.take_gil_exit, true, pid, elf, "take_gil"),
				"uretprobe take_gil", elf);
	if (!err)
		err = keep_link(s, uprobe(s->py->progs.drop_gil_enter, false, pid, elf, "drop_gil"),
				"uprobe drop_gil", elf);
	if (!err)
		err = keep_link(s, uprobe(s->py->progs.drop_gil_exit, true, pid, elf, "drop_gil"),
				"uretprobe drop_gil", elf);
	for (size_t i = 0; !err && i < sizeof(clones) / sizeof(clones[0]); i++) {
		struct bpf_link *l;

		if (!has_clone[i])
			continue; /* no such clone in this build */
		l = uprobe(s->py->progs.take_gil_enter, false, pid, elf, clones[i]);
		if (!l)
			continue; /* no such clone in this build */
		err = keep_link(s, l, "uprobe take_gil clone", elf);
		if (!err)
			err = keep_link(s, uprobe(s->py->progs.take_gil_exit, true, pid, elf, clones[i]),
					"uretprobe take_gil clone", elf);
	}
	return err;
}

static int read_cfg(struct session *s, struct target_cfg *cfg);
static int write_cfg(struct session *s, const struct target_cfg *cfg);

/* Every target's range goes into gil_ranges; the main target's also into the filter's array,
 * where the sched_switch program reads it without a hash look-up. */
int session__set_gil_range(struct session *s, int tgid, uint64_t lo, uint64_t hi, bool exact,
			   unsigned ts_thread_id)
{
	struct gil_range r = { .lo = lo, .hi = hi, .exact = exact, .ts_thread_id = ts_thread_id };
	struct target_cfg cfg;
	__u32 k = tgid;
	int err;

	if (!s->py)
		return -ENOTSUP;
	if (bpf_map_update_elem(bpf_map__fd(s->py->maps.gil_ranges), &k, &r, BPF_ANY))
		return -errno;
	if ((err = read_cfg(s, &cfg)))
		return err;
	if (cfg.main_tgid != (__u32)tgid)
		return 0;
	cfg.gil = r;
	return write_cfg(s, &cfg);
}

int session__nr_dyn_links(struct session *s)
{
	return s->nlinks;
}

void session__drop_dyn_links(struct session *s, int keep)
{
	while (s->nlinks > keep)
		bpf_link__destroy(s->links[--s->nlinks]);
}

int session__python_fds(struct session *s, struct python_fds *fds)
{
	if (!s->py)
		return -ENOTSUP;
	fds->gil_totals = bpf_map__fd(s->py->maps.gil_totals);
	fds->gil_threads = bpf_map__fd(s->py->maps.gil_threads);
	fds->gc_gens = bpf_map__fd(s->py->maps.gc_gens);
	fds->gc_threads = bpf_map__fd(s->py->maps.gc_threads);
	return 0;
}

/* The GIL waits of live target threads that no GIL-wait stack counted yet go to the stacks'
 * ring buffer under "[no stack]" (bpf/python.bpf.c's task iterator gil_flush, run once, after
 * the gil programs are detached: the probe's totals are final then). */
static void gil_flush(struct session *s)
{
	struct bpf_link *l;
	char buf[64];
	int fd;

	if (!s->py || !bpf_program__fd(s->py->progs.gil_flush) || bpf_program__fd(s->py->progs.gil_flush) < 0)
		return;
	l = bpf_program__attach_iter(s->py->progs.gil_flush, NULL);
	if (!l) {
		log_debug("GIL-wait stacks: the task iterator did not attach: %s", strerror(errno));
		return;
	}
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	} else {
		log_debug("GIL-wait stacks: the task iterator did not run: %s", strerror(errno));
	}
	bpf_link__destroy(l);
}

void session__detach(struct session *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	s->nlinks = 0;
	if (s->py) {
		python_bpf__detach(s->py);
		gil_flush(s);
	}
	if (s->sys)
		syscalls_bpf__detach(s->sys);
	if (s->core)
		core_bpf__detach(s->core);
}

void session__free(struct session *s)
{
	if (!s)
		return;
	/* The per-binary links first, then __destroy detaches each skeleton link once and closes
	 * the object's fds. */
	for (int i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	python_bpf__destroy(s->py);
	syscalls_bpf__destroy(s->sys);
	core_bpf__destroy(s->core);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	free(s);
}

bool session__bpf_stats(struct session *s)
{
	return s && s->stats_fd >= 0;
}

static int read_cfg(struct session *s, struct target_cfg *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(bpf_map__fd(s->core->maps.target_cfgs), &zero, cfg) ? -errno : 0;
}

static int write_cfg(struct session *s, const struct target_cfg *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(s->core->maps.target_cfgs), &zero, cfg, BPF_ANY) ? -errno : 0;
}

/* The first target becomes the filter's fast-path tgid; any other turns on the hash look-up. Every
 * target is in the hash too, so that the set can be listed. */
int session__add_target(struct session *s, int tgid)
{
	struct target_cfg cfg;
	__u32 k = tgid, v = 1;
	int err;

	if (bpf_map_update_elem(bpf_map__fd(s->core->maps.targets), &k, &v, BPF_ANY))
		return -errno;
	if ((err = read_cfg(s, &cfg)))
		return err;
	if (!cfg.main_tgid)
		cfg.main_tgid = tgid;
	else if (cfg.main_tgid != (__u32)tgid)
		cfg.others = 1;
	return write_cfg(s, &cfg);
}

int session__set_requests(struct session *s, bool on)
{
	struct target_cfg cfg;
	int err;

	if ((err = read_cfg(s, &cfg)))
		return err;
	cfg.requests = on;
	return write_cfg(s, &cfg);
}

int session__remove_target(struct session *s, int tgid)
{
	struct target_cfg cfg;
	__u32 k = tgid;
	int err;

	if ((err = read_cfg(s, &cfg)))
		return err;
	if (cfg.main_tgid == (__u32)tgid) {
		cfg.main_tgid = 0;
		memset(&cfg.gil, 0, sizeof(cfg.gil));
		if ((err = write_cfg(s, &cfg)))
			return err;
	}
	return bpf_map_delete_elem(bpf_map__fd(s->core->maps.targets), &k) ? -errno : 0;
}

/* The fast path: while no tgid but the main one was ever added (target_cfg.others, set by the
 * loader and by the fork program), the set is that tgid: one array look-up. Walking the hash costs
 * a scan of its 4,096 buckets per call (htab_map_get_next_key), and the modules ask every tick. */
int session__targets(struct session *s, int *tgids, int max)
{
	int fd = bpf_map__fd(s->core->maps.targets), n = 0;
	struct target_cfg cfg;
	__u32 key, next;
	__u32 *prev = NULL;

	if (max > 0 && !read_cfg(s, &cfg) && !cfg.others) {
		if (!cfg.main_tgid)
			return 0;
		tgids[0] = cfg.main_tgid;
		return 1;
	}

	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		tgids[n++] = next;
		key = next;
		prev = &key;
	}
	return n;
}

static int read_percpu_sum(struct session *s, struct bpf_map *map, uint64_t *out, int n)
{
	uint64_t *vals = calloc(s->ncpus, sizeof(*vals));
	int fd = bpf_map__fd(map), err = 0;

	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < (__u32)n; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < s->ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
	return err;
}

int session__read_hits(struct session *s, uint64_t hits[HIT_MAX])
{
	return read_percpu_sum(s, s->core->maps.hits, hits, HIT_MAX);
}

int session__read_drops(struct session *s, uint64_t drops[DROP_MAX])
{
	return read_percpu_sum(s, s->core->maps.drops, drops, DROP_MAX);
}

static void zero_percpu(struct session *s, struct bpf_map *map, int n)
{
	uint64_t *vals = calloc(s->ncpus, sizeof(*vals));

	if (!vals)
		return;
	for (__u32 i = 0; i < (__u32)n; i++)
		bpf_map_update_elem(bpf_map__fd(map), &i, vals, BPF_ANY);
	free(vals);
}

void session__reset(struct session *s)
{
	zero_percpu(s, s->core->maps.hits, HIT_MAX);
	zero_percpu(s, s->core->maps.drops, DROP_MAX);
	if (s->sys) {
		struct syscall_stat *zero = calloc(1, sizeof(*zero));
		int fd = bpf_map__fd(s->sys->maps.thread_stats);
		__u32 key;

		struct syscall_sum *zsum = calloc(s->ncpus, sizeof(*zsum));

		if (zero && zsum) {
			for (__u32 i = 0; i < MAX_SYSCALL_NR; i++) {
				bpf_map_update_elem(bpf_map__fd(s->sys->maps.syscall_stats), &i, zero, BPF_ANY);
				bpf_map_update_elem(bpf_map__fd(s->sys->maps.syscall_sums), &i, zsum, BPF_ANY);
			}
		}
		free(zero);
		free(zsum);
		if (s->sys->bss)
			s->sys->bss->new_task_returns = 0; /* harden */
		/* the slots stay their threads' (their contexts hold them): zero the counts only */
		for (key = 0; key < session__thread_slots(s); key++) {
			struct thread_stat t;

			if (bpf_map_lookup_elem(fd, &key, &t) == 0) {
				t.count = t.total_ns = 0;
				bpf_map_update_elem(fd, &key, &t, BPF_ANY);
			}
		}
	}
	if (s->py) {
		int gfd = bpf_map__fd(s->py->maps.gil_threads), cfd = bpf_map__fd(s->py->maps.gc_threads);
		struct gc_gen_stat *zg = calloc(1, sizeof(*zg));
		struct gil_total *zt = calloc(s->ncpus, sizeof(*zt)); /* per CPU */
		__u32 key, zero = 0;

		while (bpf_map_get_next_key(cfd, NULL, &key) == 0)
			if (bpf_map_delete_elem(cfd, &key))
				break;
		/* gil_threads' slots stay their threads' (their contexts hold them): figures zeroed */
		for (key = 0; key < session__gil_slots(s); key++) {
			struct gil_thread g;

			if (bpf_map_lookup_elem(gfd, &key, &g) == 0) {
				g.waits = g.wait_ns = g.hold_ns = 0;
				bpf_map_update_elem(gfd, &key, &g, BPF_ANY);
			}
		}
		if (zg)
			for (__u32 g = 0; g < GC_SLOTS; g++)
				bpf_map_update_elem(bpf_map__fd(s->py->maps.gc_gens), &g, zg, BPF_ANY);
		if (zt)
			bpf_map_update_elem(bpf_map__fd(s->py->maps.gil_totals), &zero, zt, BPF_ANY);
		free(zg);
		free(zt);
	}
}

int session__syscall_stat(struct session *s, __u32 nr, struct syscall_stat *out)
{
	struct syscall_sum *v;

	if (!s->sys)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(s->sys->maps.syscall_stats), &nr, out))
		return -errno;
	v = calloc(s->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(s->sys->maps.syscall_sums), &nr, v)) {
		free(v);
		return -errno;
	}
	out->count = out->errors = out->total_ns = out->max_ns = 0;
	for (int c = 0; c < s->ncpus; c++) {
		out->count += v[c].count;
		out->errors += v[c].errors;
		out->total_ns += v[c].total_ns;
		if (v[c].max_ns > out->max_ns)
			out->max_ns = v[c].max_ns;
	}
	free(v);
	return 0;
}

/* harden: new tasks' first returns from clone (bpf/syscalls.bpf.c) */
uint64_t session__syscall_new_task_returns(struct session *s)
{
	return s->sys && s->sys->bss ? s->sys->bss->new_task_returns : 0;
}

uint64_t session__syscall_uretprobe_returns(struct session *s)
{
	return s->sys && s->sys->bss ? s->sys->bss->uretprobe_returns : 0;
}

/* The slots handed out, at most the array's size (the counter goes on past it when full). */
uint32_t session__thread_slots(struct session *s)
{
	uint64_t n = s && s->sys && s->sys->bss ? s->sys->bss->thread_slots : 0;

	return n < MAX_THREADS ? n : MAX_THREADS;
}

uint32_t session__gil_slots(struct session *s)
{
	uint64_t n = s && s->py && s->py->bss ? s->py->bss->gil_slots : 0;

	return n < MAX_THREADS ? n : MAX_THREADS;
}

int session__thread_stats_fd(struct session *s)
{
	return s->sys ? bpf_map__fd(s->sys->maps.thread_stats) : -1;
}

void session__thread_name(struct session *s, int tgid, int tid, const char *seen, char *buf,
			  size_t size)
{
	struct thread_name n;
	__u32 k = tid;

	if (!procfs_read_comm("/proc", tgid, tid, buf, size))
		return;
	if (!bpf_map_lookup_elem(bpf_map__fd(s->core->maps.thread_names), &k, &n)) {
		snprintf(buf, size, "%.*s", TASK_COMM_LEN, n.comm);
		return;
	}
	snprintf(buf, size, "%.*s", TASK_COMM_LEN, seen ? seen : "");
}

cJSON *session__thread_json(struct session *s, int tgid, int tid, const char *comm)
{
	char name[TASK_COMM_LEN + 1], seen[TASK_COMM_LEN + 1];
	cJSON *t = cJSON_CreateObject();

	snprintf(seen, sizeof(seen), "%.*s", TASK_COMM_LEN, comm);
	session__thread_name(s, tgid, tid, seen, name, sizeof(name));
	cJSON_AddNumberToObject(t, "tid", tid);
	cJSON_AddNumberToObject(t, "pid", tgid);
	cJSON_AddStringToObject(t, "name", name);
	return t;
}

int session__nr_links(struct session *s)
{
	return 2 + (s->sys ? 2 : 0) + (s->py && s->py->links.gil_switch ? 2 : 0) + s->nlinks;
}

double bpf_object_run_ms(struct bpf_object *obj, int prog_type, uint64_t *runs)
{
	struct bpf_program *p;
	double ms = 0;

	*runs = 0;
	if (!obj)
		return 0;
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		if (bpf_program__fd(p) < 0 || (int)bpf_program__type(p) != prog_type)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		ms += info.run_time_ns / 1e6;
		*runs += info.run_cnt;
	}
	return ms;
}

double session__tracing_run_ms(struct session *s, uint64_t *runs)
{
	uint64_t n = 0;
	double ms = 0;

	*runs = 0;
	if (s->core) {
		ms += bpf_object_run_ms(s->core->obj, BPF_PROG_TYPE_TRACING, &n);
		*runs += n;
	}
	if (s->py) {
		ms += bpf_object_run_ms(s->py->obj, BPF_PROG_TYPE_TRACING, &n);
		*runs += n;
	}
	return ms;
}
