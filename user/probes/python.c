/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "inspect/cpython.h"
#include "inspect/elffile.h"
#include "stats/histogram.h"
#include "lib/log.h"
#include "output/document.h"
#include "probes/python.h"
#include "bpf/python.h"
#include "lib/util.h"

_Static_assert(GIL_LOCKED_OFF == GIL_OFF_LOCKED && GIL_LAST_HOLDER_OFF == GIL_OFF_LAST_HOLDER,
	       "the BPF side reads the GIL's locked and last_holder fields here");

#define MAX_PROCS 256
#define MAX_ELFS 16

struct pyproc {
	int pid;
	bool python;       /* inspected and found to be CPython */
	bool gil_ok;       /* GIL located and handed to BPF */
	int gil_err;       /* last resolution error */
	struct cpython_target t;
	uint64_t sw_first, sw_last;
	bool sw_have;
};

struct pyelf {
	char path[PATH_MAX];
	bool gc_ok, exact_ok;
	bool gc_auto;      /* the collector takes GENERATION_AUTO (3.13): its choice is probed */
	bool gc_choice_ok; /* ... and the probe on its choice is attached */
	int gc_err, exact_err;
	char gc_method[96];
};

struct pytrack {
	struct session *s;
	struct pytrack_opts o;
	struct pyproc procs[MAX_PROCS];
	int nprocs;
	struct pyelf elfs[MAX_ELFS];
	int nelfs;
	uint64_t t0;
	double first_attach_ms; /* from the first poll to the per-binary probes; < 0: never */
	int unsupported_minor;
};

struct pytrack *pytrack__new(struct session *s, const struct pytrack_opts *o)
{
	struct pytrack *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	pt->s = s;
	pt->o = *o;
	pt->first_attach_ms = -1;
	return pt;
}

/* The GIL totals, summed over the CPUs (the map is per CPU: no atomics on the hand-off path). */
static int read_gil_total(int fd, struct gil_total *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct gil_total *v;
	__u32 zero = 0;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, v)) {
		free(v);
		return -errno;
	}
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpu; c++) {
		out->waits += v[c].waits;
		out->wait_ns += v[c].wait_ns;
		out->blocks += v[c].blocks;
		out->hold_ns += v[c].hold_ns;
		out->acquisitions += v[c].acquisitions;
		out->preempted_ns += v[c].preempted_ns;
		if (v[c].max_wait_ns > out->max_wait_ns)
			out->max_wait_ns = v[c].max_wait_ns;
		for (unsigned i = 0; i < HIST_SLOTS; i++)
			out->hist[i] += v[c].hist[i];
	}
	free(v);
	return 0;
}

void pytrack__free(struct pytrack *pt)
{
	free(pt);
}

static struct pyproc *proc_of(struct pytrack *pt, int pid, bool add)
{
	for (int i = 0; i < pt->nprocs; i++)
		if (pt->procs[i].pid == pid)
			return &pt->procs[i];
	if (!add || pt->nprocs == MAX_PROCS)
		return NULL;
	memset(&pt->procs[pt->nprocs], 0, sizeof(pt->procs[0]));
	pt->procs[pt->nprocs].pid = pid;
	return &pt->procs[pt->nprocs++];
}

/* CPython 3.13's collector takes GENERATION_AUTO for automatic collections: probe the function
 * it calls with the generation it chose (invoke_gc_callback, or a GCC clone of it). 0 or -errno. */
static int attach_gc_choice(struct pytrack *pt, int pid, const char *elf)
{
	struct elf_file *f = elf_file__open(elf);
	char name[64] = "invoke_gc_callback";
	GElf_Sym sym;
	int arg, err;

	if (!f)
		return -errno;
	err = elf_file__symbol(f, name, &sym);
	if (err)
		err = elf_file__symbol_prefix(f, "invoke_gc_callback.", &sym, name, sizeof(name));
	elf_file__close(f);
	if (err)
		return err;
	/* invoke_gc_callback(tstate, phase, generation, ...): the third unless DWARF says else */
	arg = dwarf_param_arg(elf, sym.st_value, "generation");
	if (arg < 1 || arg > 3)
		arg = 3;
	err = session__attach_gc_choice(pt->s, pid, elf, name, arg);
	if (!err)
		log_debug("gc: generation choice from %s (argument %d)", name, arg);
	return err;
}

/* Per-binary probes: once per interpreter file. */
static void attach_elf(struct pytrack *pt, const struct cpython_target *t, int pid)
{
	int probe_pid = pt->o.follow_children ? -1 : pid;
	struct pyelf *e = NULL;

	for (int i = 0; i < pt->nelfs; i++)
		if (!strcmp(pt->elfs[i].path, t->elf))
			return;
	if (pt->nelfs == MAX_ELFS)
		return;
	e = &pt->elfs[pt->nelfs++];
	snprintf(e->path, sizeof(e->path), "%s", t->elf);
	if (pt->o.gc) {
		if (t->usdt_gc) {
			e->gc_err = session__attach_gc(pt->s, probe_pid, t->elf, true, NULL);
			snprintf(e->gc_method, sizeof(e->gc_method), "usdt:gc__start");
		} else if (t->gc_nfuncs) {
			for (int i = 0; i < t->gc_nfuncs && !e->gc_err; i++)
				e->gc_err = session__attach_gc_func(pt->s, probe_pid, t->elf, t->gc_funcs[i].name,
								    t->gc_funcs[i].gen_arg, t->gc_funcs[i].gen_const);
			snprintf(e->gc_method, sizeof(e->gc_method), "uprobe:%s", t->gc_funcs[0].name);
			if (!e->gc_err && t->minor >= 13) {
				e->gc_auto = true;
				e->gc_choice_ok = !attach_gc_choice(pt, probe_pid, t->elf);
			}
		} else {
			e->gc_err = -ENOENT;
		}
		e->gc_ok = !e->gc_err;
	}
	if (pt->o.gil && pt->o.gil_exact) {
		e->exact_err = t->has_take_gil ? session__attach_gil_exact(pt->s, probe_pid, t->elf) : -ENOENT;
		e->exact_ok = !e->exact_err;
	}
	if (pt->first_attach_ms < 0)
		pt->first_attach_ms = (now_ns() - pt->t0) / 1e6;
}

int pytrack__preattach(struct pytrack *pt, const char *exe, int pid)
{
	struct cpython_target t;

	if (!pt->t0)
		pt->t0 = now_ns();
	struct pyproc *p;

	if (cpython_inspect_exe(exe, &t))
		return -ENOENT;
	bool first = pt->first_attach_ms < 0; /* this call attaches the first probes */

	attach_elf(pt, &t, pid);
	if (first && pt->first_attach_ms > 0)
		pt->first_attach_ms = 0; /* before that process ran: nothing of it was missed */
	/* Known to be CPython even if it exits before the first poll; its load address (and so
	 * its GIL) is read once it runs. */
	p = proc_of(pt, pid, true);
	if (p) {
		p->python = true;
		p->t = t;
		p->t.pid = pid;
		p->t.runtime_addr = 0;
	}
	log_debug("pre-attached the CPython probes to %s before %s runs", t.elf, exe);
	return 0;
}

void pytrack__poll(struct pytrack *pt, const int *pids, int n)
{
	if (!pt->t0)
		pt->t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct pyproc *p = proc_of(pt, pids[i], false);

		if (!p) {
			p = proc_of(pt, pids[i], true);
			if (!p)
				continue;
			if (cpython_inspect("/proc", pids[i], &p->t) || !p->t.minor) {
				/* Not (yet) CPython: a held or just-exec'd child may still be loading, so
				 * look again at the next poll. */
				pt->nprocs--;
				continue;
			}
			p->python = true;
			if (!cpython_supported(p->t.minor))
				pt->unsupported_minor = p->t.minor;
			attach_elf(pt, &p->t, p->pid);
			log_debug("pid %d: cpython %s in %s", p->pid, p->t.version, p->t.elf);
		}
		if (!p->t.runtime_addr) {
			/* pre-attached before it ran: now read where the interpreter was loaded */
			struct cpython_target t;

			if (!cpython_inspect("/proc", pids[i], &t) && t.minor)
				p->t = t;
		}
		if (pt->o.gil && !p->gil_ok && cpython_supported(p->t.minor) && p->t.runtime_addr) {
			p->gil_err = cpython_resolve_gil(&p->t);
			if (!p->gil_err) {
				const struct frames_layout *fl = cpython_frames_layout(p->t.minor);
				bool exact = false;

				for (int k = 0; k < pt->nelfs; k++)
					if (!strcmp(pt->elfs[k].path, p->t.elf))
						exact = pt->elfs[k].exact_ok;
				session__set_gil_range(pt->s, p->pid, p->t.gil_addr, p->t.gil_addr + GIL_STRUCT_SIZE,
						       exact, fl && fl->ts_thread_id > 0 ? fl->ts_thread_id : 0);
				p->gil_ok = true;
				log_debug("pid %d: GIL at %#llx", p->pid, (unsigned long long)p->t.gil_addr);
			}
		}
		if (p->gil_ok) {
			uint64_t sw;

			if (!cpython_read_switch_number(&p->t, &sw)) {
				if (!p->sw_have)
					p->sw_first = sw;
				p->sw_last = sw;
				p->sw_have = true;
			}
		}
	}
}

static double q_us(const __u64 *hist, double q, __u64 max)
{
	return hist_quantile(hist, HIST_SLOTS, q, max) / 1e3;
}

/* gil: the gil probe's per-thread array, a slot per thread (a slot with no tid yet is being
 * filled in; an all-zero one has had nothing since the last reset); else the GC's tid-keyed hash. */
static cJSON *threads_json(int fd, bool gil, bool hold_known, struct session *s)
{
	cJSON *arr = cJSON_CreateArray();
	__u32 key, *prev = NULL, next;

	if (gil) {
		for (__u32 slot = 0, n = session__gil_slots(s); slot < n; slot++) {
			struct gil_thread g;
			cJSON *t;

			if (bpf_map_lookup_elem(fd, &slot, &g) || !g.tid || !(g.waits || g.wait_ns || g.hold_ns))
				continue;
			t = session__thread_json(s, g.tgid, g.tid, g.comm);
			cJSON_AddNumberToObject(t, "wait_ms", g.wait_ns / 1e6);
			if (hold_known)
				cJSON_AddNumberToObject(t, "hold_ms", g.hold_ns / 1e6);
			else
				cJSON_AddNullToObject(t, "hold_ms");
			cJSON_AddNumberToObject(t, "waits", g.waits);
			cJSON_AddItemToArray(arr, t);
		}
		return arr;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		cJSON *t;

		{
			struct gc_thread g;

			if (bpf_map_lookup_elem(fd, &next, &g))
				goto skip;
			t = session__thread_json(s, g.tgid, next, g.comm);
			cJSON_AddNumberToObject(t, "collections", g.collections);
			cJSON_AddNumberToObject(t, "pause_ms", g.pause_ns / 1e6);
		}
		cJSON_AddItemToArray(arr, t);
		key = next;
		prev = &key;
		continue;
skip:
		key = next;
		prev = &key;
	}
	return arr;
}

static int count_python(const struct pytrack *pt, int *gil_ok)
{
	int n = 0;

	*gil_ok = 0;
	for (int i = 0; i < pt->nprocs; i++) {
		n += pt->procs[i].python;
		*gil_ok += pt->procs[i].gil_ok;
	}
	return n;
}

static const char *gc_method(const struct pytrack *pt)
{
	for (int i = 0; i < pt->nelfs; i++)
		if (pt->elfs[i].gc_ok)
			return pt->elfs[i].gc_method;
	return NULL;
}

/* What the three sections share: the figures of the python summary (< 0: not measured). */
struct py_figures {
	double gil_wait_ms, contention, gc_ms, gc_n;
};

/* profiling.gil from the GIL totals and per-thread map, with its warnings; NULL when the GIL
 * was never measured. Sets f->gil_wait_ms and f->contention. */
static cJSON *gil_report(struct pytrack *pt, cJSON *doc, const struct python_fds *fds, int ngil,
			 bool exact_ok, struct py_figures *f)
{
	bool exact = pt->o.gil_exact && exact_ok;
	struct gil_total *tot;
	uint64_t switches = 0;
	bool have_sw = false;
	cJSON *gil, *w;

	if (!ngil && !exact_ok) {
		int gerr = pt->nprocs ? pt->procs[0].gil_err : 0;

		if (gerr)
			profile_warn(doc, "gil", "the GIL of the target was never located (%s); the "
				     "interpreter may not have started", strerror(-gerr));
		else
			profile_warn(doc, "gil", "the target exited before its GIL could be located (it is "
				     "looked for every 100 ms)");
		return NULL;
	}
	if (pt->o.gil_exact && !exact_ok)
		profile_warn(doc, "gil", "the exact method needs take_gil/drop_gil symbols, which this "
			     "interpreter's build lacks (stripped); the cheap method was used");
	tot = calloc(1, sizeof(*tot));
	if (!tot || read_gil_total(fds->gil_totals, tot)) {
		free(tot);
		return NULL;
	}
	gil = cJSON_CreateObject();
	cJSON_AddStringToObject(gil, "method", exact ? "uprobe:take_gil" : "sched_switch+futex");
	cJSON_AddNumberToObject(gil, "wait_ms_total", tot->wait_ns / 1e6);
	/* the part of wait_ms_total that waiting threads spent preempted in a hand-off */
	cJSON_AddNumberToObject(gil, "wait_preempted_ms", tot->preempted_ns / 1e6);
	if (exact)
		cJSON_AddNumberToObject(gil, "hold_ms_total", tot->hold_ns / 1e6);
	else
		cJSON_AddNullToObject(gil, "hold_ms_total");
	cJSON_AddNumberToObject(gil, "waits", tot->waits);
	for (int i = 0; i < pt->nprocs; i++) {
		if (pt->procs[i].sw_have) {
			switches += pt->procs[i].sw_last - pt->procs[i].sw_first;
			have_sw = true;
		}
	}
	if (have_sw)
		cJSON_AddNumberToObject(gil, "switches", switches);
	else
		cJSON_AddNullToObject(gil, "switches");
	if (!exact)
		cJSON_AddNumberToObject(gil, "blocks", tot->blocks);
	else
		cJSON_AddNumberToObject(gil, "acquisitions", tot->acquisitions);
	w = cJSON_AddObjectToObject(gil, "wait_us");
	cJSON_AddNumberToObject(w, "p50", q_us(tot->hist, 0.5, tot->max_wait_ns));
	cJSON_AddNumberToObject(w, "p99", q_us(tot->hist, 0.99, tot->max_wait_ns));
	cJSON_AddNumberToObject(w, "max", tot->max_wait_ns / 1e3);
	f->gil_wait_ms = tot->wait_ns / 1e6;
	if (exact && tot->wait_ns + tot->hold_ns)
		f->contention = 100.0 * tot->wait_ns / (tot->wait_ns + tot->hold_ns);
	if (exact)
		cJSON_AddNumberToObject(gil, "contention_percent", f->contention < 0 ? 0 : f->contention);
	else
		cJSON_AddNullToObject(gil, "contention_percent");
	cJSON_AddItemToObject(gil, "threads", threads_json(fds->gil_threads, true, exact, pt->s));
	if (!exact)
		profile_warn(doc, "gil", "hold time and contention percent need the exact method "
			     "(--gil-method exact: uprobes on take_gil/drop_gil, costly); the cheap method "
			     "sees waits through the scheduler (blocks on the GIL, preemptions in a hand-off)");
	free(tot);
	return gil;
}

/* profiling.gc from the per-generation and per-thread maps, with its warnings; NULL when no GC
 * probe was attached. Sets f->gc_ms and f->gc_n. */
/* The entries of the collector with GENERATION_AUTO whose generation stayed unknown (map slot
 * GC_SLOT_AUTO): with the choice probed, they collected nothing (no generation was due, or a
 * collection was already running); else they are collections of an unknown generation. */
static bool gc_auto_probed(const struct pytrack *pt)
{
	bool any = false;

	for (int i = 0; i < pt->nelfs; i++) {
		if (pt->elfs[i].gc_auto && !pt->elfs[i].gc_choice_ok)
			return false;
		any |= pt->elfs[i].gc_auto;
	}
	return any;
}

/* profiling.gc from the per-generation and per-thread maps, with its warnings; NULL when no GC
 * probe was attached. Sets f->gc_ms and f->gc_n. */
static cJSON *gc_report(struct pytrack *pt, cJSON *doc, const struct python_fds *fds, struct py_figures *f)
{
	struct gc_gen_stat g[GC_SLOTS] = {};
	__u64 all[HIST_SLOTS] = {}, n = 0, ns = 0, max = 0, skipped = 0;
	cJSON *gc, *arr, *pu;

	if (!gc_method(pt)) {
		int err = pt->nelfs ? pt->elfs[0].gc_err : -ENOENT;

		profile_warn(doc, "gc", "no GC probe could be attached (%s): the interpreter has neither "
			     "USDT gc__start/gc__done notes nor a collector symbol", strerror(-err));
		return NULL;
	}
	for (__u32 i = 0; i < GC_SLOTS; i++)
		if (bpf_map_lookup_elem(fds->gc_gens, &i, &g[i]))
			memset(&g[i], 0, sizeof(g[i]));
	if (gc_auto_probed(pt)) {
		skipped = g[GC_SLOT_AUTO].collections;
	} else {
		/* unknown: filed with the other collections of an unknown generation */
		struct gc_gen_stat *u = &g[GC_GENERATIONS], *a = &g[GC_SLOT_AUTO];

		u->collections += a->collections;
		u->pause_ns += a->pause_ns;
		if (a->max_ns > u->max_ns)
			u->max_ns = a->max_ns;
		for (unsigned k = 0; k < HIST_SLOTS; k++)
			u->hist[k] += a->hist[k];
	}
	gc = cJSON_CreateObject();
	cJSON_AddStringToObject(gc, "method", gc_method(pt));
	arr = cJSON_CreateArray();
	for (__u32 i = 0; i <= GC_GENERATIONS; i++) {
		n += g[i].collections;
		ns += g[i].pause_ns;
		if (g[i].max_ns > max)
			max = g[i].max_ns;
		for (unsigned k = 0; k < HIST_SLOTS; k++)
			all[k] += g[i].hist[k];
		if (i < GC_GENERATIONS || g[i].collections) {
			cJSON *e = cJSON_CreateObject();

			if (i < GC_GENERATIONS)
				cJSON_AddNumberToObject(e, "generation", i);
			else
				cJSON_AddNullToObject(e, "generation");
			cJSON_AddNumberToObject(e, "collections", g[i].collections);
			cJSON_AddNumberToObject(e, "pause_ms_total", g[i].pause_ns / 1e6);
			cJSON_AddItemToArray(arr, e);
		}
	}
	if (g[GC_GENERATIONS].collections)
		profile_warn(doc, "gc", "%llu collections are of an unknown generation: the collector "
			     "was entered without one (3.13's GENERATION_AUTO, whose choice could not be "
			     "probed) or with a value outside 0..2",
			     (unsigned long long)g[GC_GENERATIONS].collections);
	cJSON_AddNumberToObject(gc, "collections", n);
	/* entries of the collector that collected nothing (3.13: no generation was due) */
	cJSON_AddNumberToObject(gc, "auto_skipped", skipped);
	cJSON_AddNumberToObject(gc, "pause_ms_total", ns / 1e6);
	cJSON_AddNumberToObject(gc, "pause_max_ms", max / 1e6);
	pu = cJSON_AddObjectToObject(gc, "pause_us");
	cJSON_AddNumberToObject(pu, "p50", q_us(all, 0.5, max));
	cJSON_AddNumberToObject(pu, "p99", q_us(all, 0.99, max));
	cJSON_AddItemToObject(gc, "by_generation", arr);
	cJSON_AddItemToObject(gc, "threads", threads_json(fds->gc_threads, false, false, pt->s));
	f->gc_ms = ns / 1e6;
	f->gc_n = n;
	if (pt->first_attach_ms > 150)
		profile_warn(doc, "gc", "the collector was probed %.0f ms into the run; collections "
			     "before that are not counted", pt->first_attach_ms);
	return gc;
}

/* profiling.python: the summary figures (null where not measured). */
static void python_summary(cJSON *prof, const struct py_figures *f)
{
	cJSON *py = cJSON_AddObjectToObject(prof, "python");
#define NUM_OR_NULL(k, v) ((v) >= 0 ? (void)cJSON_AddNumberToObject(py, k, v) : (void)cJSON_AddNullToObject(py, k))
	NUM_OR_NULL("gil_wait_time_ms", f->gil_wait_ms);
	NUM_OR_NULL("gil_contention_percent", f->contention);
	cJSON_AddNullToObject(py, "ffi_overhead_ms");
	cJSON_AddNullToObject(py, "handler_time_ms");
	cJSON_AddNullToObject(py, "serialization_time_ms");
	NUM_OR_NULL("gc_collections", f->gc_n);
	NUM_OR_NULL("gc_time_ms", f->gc_ms);
#undef NUM_OR_NULL
}

static void add_or_null(cJSON *prof, const char *key, cJSON *v)
{
	if (v)
		cJSON_AddItemToObject(prof, key, v);
	else
		cJSON_AddNullToObject(prof, key);
}

void pytrack__report(struct pytrack *pt, cJSON *doc, cJSON *prof)
{
	struct py_figures f = { -1, -1, -1, -1 };
	struct python_fds fds;
	bool exact_ok = false;
	int npy, ngil;

	npy = count_python(pt, &ngil);
	for (int i = 0; i < pt->nelfs; i++)
		exact_ok |= pt->elfs[i].exact_ok;
	if (!npy || session__python_fds(pt->s, &fds)) {
		const char *why = "not a CPython process: no CPython interpreter (a file defining "
				  "_PyRuntime and Py_Initialize) is mapped in the target";
		if (pt->o.gil)
			profile_warn(doc, "gil", "%s", why);
		if (pt->o.gc)
			profile_warn(doc, "gc", "%s", why);
		cJSON_AddNullToObject(prof, "gil");
		cJSON_AddNullToObject(prof, "gc");
		cJSON_AddNullToObject(prof, "python");
		return;
	}
	if (pt->unsupported_minor)
		profile_warn(doc, "gil", "CPython 3.%d has no GIL layout table (3.8 to 3.13 do); its GIL "
			     "is not measured", pt->unsupported_minor);
	add_or_null(prof, "gil", pt->o.gil ? gil_report(pt, doc, &fds, ngil, exact_ok, &f) : NULL);
	add_or_null(prof, "gc", pt->o.gc ? gc_report(pt, doc, &fds, &f) : NULL);
	python_summary(prof, &f);
}

/* The uprobe calibration target: a real call the compiler cannot remove. */
__attribute__((noinline)) int bindprof_calib_target(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

static double time_calls(int n)
{
	volatile int sink = 0;
	double t0 = thread_cpu_ns();

	for (int i = 0; i < n; i++)
		sink += bindprof_calib_target(i);
	return (thread_cpu_ns() - t0) / n;
}

double pytrack__calibrate_uprobe(struct session *s)
{
	int keep = session__nr_dyn_links(s), n = 2000;
	double base = 1e18, with = 1e18;

	for (int r = 0; r < 3; r++) {
		double t = time_calls(n);

		if (t < base)
			base = t;
	}
	if (session__attach_gc(s, getpid(), "/proc/self/exe", false, "bindprof_calib_target"))
		return -1;
	session__add_target(s, getpid());
	for (int r = 0; r < 3; r++) {
		double t = time_calls(n);

		if (t < with)
			with = t;
	}
	session__remove_target(s, getpid());
	session__drop_dyn_links(s, keep);
	session__reset(s);
	return with > base ? (with - base) / 2 : 0; /* a uprobe and a uretprobe per call */
}
