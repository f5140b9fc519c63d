/* SPDX-License-Identifier: GPL-2.0-only */
/* FFI crossings, user side: resolving --ffi specs to functions, attaching a uprobe pair to each
 * (cookie = the function's index), the probes' self-calibration, late loads, and the report. */
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <link.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <x86_64-linux-gnu/ffi.h>
#include "core/guardian.h"
#include "inspect/cpython.h"
#include "inspect/procfs.h"
#include "inspect/elffile.h"
#include "bpf/ffi.h"
#include "probes/ffi.h"
#include "ffi.skel.h"
#include "inspect/ffisyms.h"
#include "stats/histogram.h"
#include "lib/log.h"
#include "output/document.h"
#include "inspect/heapmeth.h"
#include "lib/util.h"


#define MAX_PER_SPEC 128
#define CALIB_ID (MAX_FFI_FUNCS - 1)

struct spec {
	char text[512];
	char lib[PATH_MAX];
	char glob[256];
	bool is_path;
	char path[PATH_MAX]; /* resolved file; "" while unresolved */
	int nfuncs;
	bool done;        /* resolved: attached (whatever could be), or failed for good */
	int nunattached;  /* matching functions the kernel refused at every place tried */
	char status[1024];
	/* an extension with no static method table (PyO3 builds its PyMethodDefs at import): its
	 * methods are looked for in the targets' memory at each poll (inspect/heapmeth.h) */
	bool heap_wait;
	char heap_mod[64];     /* the module's name (its PyInit_NAME) */
	uint64_t heap_since;   /* first looked for, ns (now_ns) */
	unsigned heap_scans;
	uint64_t heap_bytes;   /* read by the last scan */
};

#define HEAP_WAIT_NS 30000000000ull /* how long methods are looked for after the library is found */

struct func {
	int spec;
	char path[PATH_MAX];
	struct ffi_fn fn;
	struct ffi_place place; /* where its entry probe is */
	char impl[128];         /* an IFUNC's implementation, probed instead of its resolver; "" */
	bool emulated; /* the kernel emulates the probed instruction: the cheaper correction */
};

/* A matching function that could not be attached, and why. */
struct unattached {
	int spec;
	char lib[256];
	char name[160];
	char why[512];
};
#define MAX_UNATTACHED 64

struct ffi {
	struct session *sess;
	struct ffi_bpf *skel;
	struct spec specs[MAX_FFI_SPECS];
	int nspecs;
	struct func funcs[MAX_FFI_FUNCS];
	int nfuncs;
	struct unattached unatt[MAX_UNATTACHED];
	int nunatt;
	struct bpf_link *links[2 * MAX_FFI_FUNCS + 64];
	int nlinks;
	char gil_elfs[8][PATH_MAX]; /* the targets' interpreters */
	bool gil_probed[8];         /* their PyEval_SaveThread is probed */
	int ngil;
	bool need_save;             /* a probed library imports PyEval_SaveThread: it can release the GIL */
	int done_pids[MAX_TARGETS]; /* processes whose GIL is located (ffi_gils) */
	int ndone_pids;
	struct { int pid; unsigned poll; } notpy[64]; /* seen as not CPython (yet: a command before
						       * its exec, libpython not mapped yet) */
	int nnotpy;
	unsigned polls;
	char ffi_lib[4][PATH_MAX];  /* libffi copies probed (Debian's, a wheel's bundled one...) */
	int nffi_lib;
	char bind_lib[8][PATH_MAX]; /* binding modules looked at (_ctypes, _cffi_backend) */
	bool bind_ok[8];            /* their call entry is probed */
	int nbind_lib;
	bool ld_probed;
	char ld_path[PATH_MAX];      /* the loader probed at _dl_debug_state */
	uint64_t r_debug_vaddr;      /* its _r_debug */
	bool guardian;               /* the guardian runs: targets may be stopped */
	int guarded[MAX_TARGETS];    /* pids registered with it and in ffi_guard */
	int nguarded;
	struct ring_buffer *rb;
	pthread_t th;
	bool th_started;
	volatile int stop;
	pthread_mutex_t lock;
	double call_ns, call_em_ns, hit_ns; /* the calibration */
	double bound_ns, bound_em_ns; /* the spread of one call's correction, per kind (10-90%, half) */
	double pair_ns, pair_em_ns; /* a pair's whole cost (thread CPU), single-stepped / emulated */
	double over_zero_ns;        /* what the probes add to one libffi call's measured marshalling; < 0: none */
	double bind_zero_ns;        /* what they add to one binding call's Python-side share; < 0: none */
	int stops;                  /* loads that stopped a target */
	int test_hold_ms;           /* BINDPROF_FFI_TEST_HOLD_MS: a test hook, holds each stop longer */
	bool entry_only;            /* BINDPROF_FFI_ENTRY_ONLY: every probe at the entry (benchmarks) */
	struct { int pid; uint64_t ns; } stopped[16]; /* recently stopped: continued again by each poll */
	struct { int pid; uint64_t ns; } seen_t[16]; /* found stopped by a poll with no event yet: since when */
	int nstopped;
};


int ffi_spec_add(const char **specs, int *n, int max, const char *spec, char *err, int errlen)
{
	if (ffi_spec_check(spec, err, errlen))
		return -EINVAL;
	if (*n == max) {
		snprintf(err, errlen, "--ffi: at most %d", max);
		return -EINVAL;
	}
	specs[(*n)++] = spec;
	return 0;
}

int ffi_spec_check(const char *spec, char *err, int errlen)
{
	const char *colon = strrchr(spec, ':');

	if (!*spec || colon == spec) {
		snprintf(err, errlen, "--ffi: empty library in '%s' (LIB[:GLOB])", spec);
		return -EINVAL;
	}
	if (colon && !colon[1]) {
		snprintf(err, errlen, "--ffi: empty GLOB in '%s' (LIB[:GLOB])", spec);
		return -EINVAL;
	}
	if (strlen(spec) >= 500) {
		snprintf(err, errlen, "--ffi: '%.40s...' is too long", spec);
		return -EINVAL;
	}
	{ /* a path must be a regular file: libelf's open of a FIFO would wait for a writer forever */
		char lib[512];
		struct stat st;

		snprintf(lib, sizeof(lib), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
		if (strchr(lib, '/') && !stat(lib, &st) && !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "--ffi: '%s' is %s: give a shared library file", lib,
				 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
				 S_ISCHR(st.st_mode) ? "a character device" : S_ISBLK(st.st_mode) ? "a block device" :
				 "not a regular file");
			return -EINVAL;
		}
	}
	return 0;
}

static void set_corrections(struct ffi *f);
static void probe_save_thread(struct ffi *f);

static int attach_pair(struct ffi *f, struct bpf_program *enter, struct bpf_program *exit, const char *path,
		       uint64_t offset, uint64_t cookie, int pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = cookie);
	struct bpf_link *a, *b;

	if (f->nlinks + 2 > (int)ARRAY_SIZE(f->links))
		return -E2BIG;
	a = bpf_program__attach_uprobe_opts(enter, pid, path, offset, &o);
	if (!a)
		return -errno;
	if (!exit) {
		f->links[f->nlinks++] = a;
		return 0;
	}
	o.retprobe = true;
	b = bpf_program__attach_uprobe_opts(exit, pid, path, offset, &o);
	if (!b) {
		int e = -errno;

		bpf_link__destroy(a);
		return e;
	}
	f->links[f->nlinks++] = a;
	f->links[f->nlinks++] = b;
	return 0;
}

/* The probed function at vaddr in path, or -1. */
static int probed_already(struct ffi *f, const char *path, uint64_t vaddr)
{
	for (int i = 0; i < f->nfuncs; i++)
		if (f->funcs[i].fn.vaddr == vaddr && !strcmp(f->funcs[i].path, path))
			return i;
	return -1;
}

static void add_unattached(struct ffi *f, int spec, const char *path, const struct ffi_fn *fn, const char *why)
{
	struct unattached *u;

	f->specs[spec].nunattached++;
	if (f->nunatt == MAX_UNATTACHED)
		return;
	u = &f->unatt[f->nunatt++];
	u->spec = spec;
	snprintf(u->lib, sizeof(u->lib), "%s", basename((char *)path));
	snprintf(u->name, sizeof(u->name), "%s", ffi_fn_name(fn));
	snprintf(u->why, sizeof(u->why), "%.*s", (int)sizeof(u->why) - 1, why);
	log_warn("--ffi %s: %s is not probed: %s", f->specs[spec].text, u->name, why);
}

/* An IFUNC's implementation, as this process's loader resolves it (same machine, same CPU
 * features: the same choice as the target's, unless the target's GLIBC_TUNABLES differ). Only
 * for a library bindprof has loaded itself (libc, libm, libz...): loading another one here would
 * run its constructors. 0 with *impl filled, or -ENOENT with why. */
static int resolve_ifunc(const char *path, const struct ffi_fn *fn, struct ffi_fn *impl, char *why, size_t len)
{
	void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD), *a;
	struct link_map *lm = NULL;
	char bare[128];
	int e;

	snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(fn->symbol, "@"), fn->symbol);
	if (!h) {
		snprintf(why, len, "an IFUNC (its implementation is chosen when the library loads), in a library "
			 "bindprof does not load itself: name the implementation instead (LIB:GLOB on its symbol)");
		return -ENOENT;
	}
	a = dlsym(h, bare);
	if (!a || dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm) {
		dlclose(h);
		snprintf(why, len, "an IFUNC whose implementation could not be resolved: %s", dlerror());
		return -ENOENT;
	}
	e = ffi_elf_at(path, (uint64_t)((uintptr_t)a - lm->l_addr), impl);
	dlclose(h);
	if (e) {
		snprintf(why, len, "an IFUNC resolved outside the file's code: %s", strerror(-e));
		return e;
	}
	return 0;
}

/* One function: its entry probe at the best place the kernel accepts (ffi_fn.places: an emulated
 * instruction before any branch, the entry, the next safe instruction boundaries). 0, or a
 * negative errno with why filled. */
static int attach_fn(struct ffi *f, int spec, const char *path, const struct ffi_fn *fn, char *why, size_t len)
{
	struct func *fu = &f->funcs[f->nfuncs];
	struct ffi_place entry = { .offset = fn->offset, .kind = FFI_PROBE_STEPPED };
	struct ffi_fn impl;
	const struct ffi_place *pl;
	int n, e = -ENOENT;
	char tried[384] = "";

	fu->impl[0] = '\0';
	if (fn->ifunc) {
		/* the resolver runs once, at relocation: the calls go to the implementation */
		if ((e = resolve_ifunc(path, fn, &impl, why, len)))
			return e;
		if (impl.symbol[0])
			snprintf(fu->impl, sizeof(fu->impl), "%s", impl.symbol);
		else
			snprintf(fu->impl, sizeof(fu->impl), "0x%llx (no symbol)", (unsigned long long)impl.vaddr);
		snprintf(impl.symbol, sizeof(impl.symbol), "%s", fn->symbol);
		snprintf(impl.aliases, sizeof(impl.aliases), "%s", fn->aliases);
		snprintf(impl.pyname, sizeof(impl.pyname), "%s", fn->pyname);
		impl.exported = fn->exported;
		fn = &impl;
	}
	entry.offset = fn->offset;
	pl = fn->nplaces ? fn->places : &entry;
	n = fn->nplaces ? fn->nplaces : 1;
	/* BINDPROF_FFI_ENTRY_ONLY (a benchmark's knob, scripts/bench/ffi.sh): the entry, whatever it is */
	if (f->entry_only && fn->nplaces) {
		for (int k = 0; k < fn->nplaces; k++)
			if (!fn->places[k].delta) {
				pl = &fn->places[k];
				n = 1;
			}
	}

	for (int k = 0; k < n; k++) {
		size_t t = strlen(tried);

		if (pl[k].kind == FFI_PROBE_REFUSED) {
			e = -524;
			snprintf(tried + t, sizeof(tried) - t, "%s+%u '%s': the kernel cannot probe this instruction "
				 "(a lock or segment prefix: error 524)", t ? "; " : "", pl[k].delta, pl[k].insn);
			continue;
		}
		e = attach_pair(f, f->skel->progs.ffi_enter, f->skel->progs.ffi_exit, path, pl[k].offset, f->nfuncs, -1);
		if (!e) {
			fu->spec = spec;
			fu->fn = *fn;
			fu->place = pl[k];
			fu->emulated = pl[k].kind == FFI_PROBE_EMULATED;
			snprintf(fu->path, sizeof(fu->path), "%s", path);
			f->nfuncs++;
			return 0;
		}
		/* the kernel refuses the instruction (ENOTSUPP, 524: lock prefix and a few others) or
		 * the place: the next one; anything else is not about the place */
		snprintf(tried + t, sizeof(tried) - t, "%s+%u '%s': %s", t ? "; " : "", pl[k].delta,
			 pl[k].insn[0] ? pl[k].insn : "?", e == -524 ? "the kernel cannot probe this instruction (error 524)"
								  : strerror(-e));
		if (e != -524 && e != -EINVAL)
			break;
	}
	snprintf(why, len, "%s%s%s", tried,
		 n < 2 && fn->place_note[0] ? "; no later place is safe: " : n < 2 ? "; no later place is safe" : "",
		 n < 2 ? fn->place_note : "");
	return e;
}


/* A library with probed functions that imports PyEval_SaveThread (an extension releasing the GIL
 * around its calls): the GIL-release probe is wanted too. PATH: the library's file. */
static void probe_save_if_imported(struct ffi *f, const char *path)
{
	struct elf_file *ef = elf_file__open(path);

	if (ef && elf_file__imports(ef, "PyEval_SaveThread")) {
		f->need_save = true;
		probe_save_thread(f);
	}
	elf_file__close(ef);
}

/* Attach every function of spec i in path, each at the best place the kernel accepts; one that
 * cannot be attached anywhere is listed with its reason, and the others are probed. 0, or a
 * negative errno with the spec's status set (no function matches, or too many). */
static int attach_spec(struct ffi *f, int i, const char *path)
{
	struct spec *sp = &f->specs[i];
	struct ffi_fn *fns = calloc(MAX_PER_SPEC, sizeof(*fns));
	char err[512];
	int n, total, ok = 0, shared = 0, first_other = -1;

	if (!fns)
		return -ENOMEM;
	sp->done = true; /* whatever happens: a library is resolved once */
	snprintf(sp->path, sizeof(sp->path), "%s", path);
	n = ffi_elf_functions(path, sp->glob[0] ? sp->glob : NULL, fns, MAX_PER_SPEC, &total, err, sizeof(err));
	if (n < 0) {
		snprintf(sp->status, sizeof(sp->status), "%s", err);
		free(fns);
		return n;
	}
	{
		bool tables = false;

		for (int k = 0; k < n; k++)
			tables |= fns[k].pyname[0] != '\0';
		if (!tables && sp->glob[0] && !total) {
			/* the GLOB matched nothing: does the file have a static table at all? */
			int all, m = ffi_elf_functions(path, NULL, fns, MAX_PER_SPEC, &all, err, sizeof(err));

			for (int k = 0; k < m; k++)
				tables |= fns[k].pyname[0] != '\0';
		}
		/* no static method table: an extension whose table is built at import (PyO3) */
		if (!tables && (!sp->glob[0] || !total) && !sp->heap_wait && !sp->heap_since &&
		    !heapmeth_module(path, sp->heap_mod, sizeof(sp->heap_mod))) {
			sp->heap_wait = true;
			sp->heap_since = now_ns();
			if (!total) {
				char mod[sizeof(sp->heap_mod)];

				memcpy(mod, sp->heap_mod, sizeof(mod));
				snprintf(sp->status, sizeof(sp->status), "%.700s: no static method table; looking for the "
					 "methods of module '%s' in the targets' memory (tables built at import)", path, mod);
				free(fns);
				return 0;
			}
		}
	}
	if (!total || total > MAX_PER_SPEC || f->nfuncs + total > CALIB_ID) {
		if (!total)
			snprintf(sp->status, sizeof(sp->status), "%s: no function matches '%s'", path,
				 sp->glob[0] ? sp->glob : "(exported functions)");
		else
			snprintf(sp->status, sizeof(sp->status),
				 "%s: %d functions match; at most %d are probed (each costs ~1 to ~13 us per call): "
				 "narrow it with LIB:GLOB", path, total, total > MAX_PER_SPEC ? MAX_PER_SPEC : CALIB_ID - f->nfuncs);
		free(fns);
		return -E2BIG;
	}
	for (int k = 0; k < n; k++) {
		char why[768];

		int other = probed_already(f, path, fns[k].vaddr);

		if (other >= 0) {
			/* matched by another spec too (perhaps by another alias): counted once, there */
			ok++, shared++;
			if (first_other < 0)
				first_other = other;
			continue;
		}
		if (attach_fn(f, i, path, &fns[k], why, sizeof(why)))
			add_unattached(f, i, path, &fns[k], why);
		else
			ok++, sp->nfuncs++;
	}
	set_corrections(f);
	if (sp->nunattached)
		snprintf(sp->status, sizeof(sp->status), "probed %d of %d functions; %d could not be attached (see unattached)",
			 ok, n, sp->nunattached);
	else if (shared) {
		char other[sizeof(sp->text) + sizeof(fns->symbol) + sizeof(fns->aliases) + 32];
		const struct func *fo = &f->funcs[first_other];

		snprintf(other, sizeof(other), "--ffi %s, and reported there as %s (aliases: %s)", f->specs[fo->spec].text,
			 fo->fn.symbol, fo->fn.aliases[0] ? fo->fn.aliases : "none");
		snprintf(sp->status, sizeof(sp->status), "probed; %d of its functions %s also matched by %.900s", shared,
			 shared > 1 ? "are" : "is", other);
	}
	else
		snprintf(sp->status, sizeof(sp->status), "probed");
	log_debug("ffi: %d of %d functions of %s", ok, n, path);
	if (ok)
		probe_save_if_imported(f, path);
	free(fns);
	return 0;
}

/* A pair on one exported function of a file (ffi_call), or an entry probe alone (exit NULL), at
 * the best place the kernel accepts; the cookie is what each of its hits adds to a measured call
 * around it, by the kind of instruction probed. */
static int attach_named(struct ffi *f, const char *path, const char *name, struct bpf_program *enter,
			struct bpf_program *exit)
{
	struct ffi_fn fn;
	char err[256];
	int total, n = ffi_elf_functions(path, name, &fn, 1, &total, err, sizeof(err)), e = -ENOENT;

	if (n <= 0)
		return n ? n : -ENOENT;
	if (!fn.nplaces) {
		fn.places[0] = (struct ffi_place){ .offset = fn.offset, .kind = FFI_PROBE_STEPPED };
		fn.nplaces = 1;
	}
	for (int k = 0; k < fn.nplaces && e; k++) {
		uint64_t cost;

		if (fn.places[k].kind == FFI_PROBE_REFUSED)
			continue;
		cost = (uint64_t)((fn.places[k].kind == FFI_PROBE_EMULATED ? f->pair_em_ns : f->pair_ns) / 2);

		e = attach_pair(f, enter, exit, path, fn.places[k].offset, cost, -1);
		if (e && e != -524 && e != -EINVAL)
			break;
	}
	return e;
}

/* PyEval_SaveThread is probed only when a probed library can call it: a C extension. Calls
 * through ctypes and cffi are entered with the GIL already released, which the function probes
 * read in memory; a plain library cannot release it. PyEval_SaveThread runs at every blocking
 * call of the server (socket I/O, sleeps, locks), so the probe is not free. */
static void probe_save_thread(struct ffi *f)
{
	for (int i = 0; f->need_save && i < f->ngil; i++) {
		if (f->gil_probed[i])
			continue;
		f->gil_probed[i] = true;
		if (attach_named(f, f->gil_elfs[i], "PyEval_SaveThread", f->skel->progs.save_thread, NULL))
			log_debug("ffi: no probe on PyEval_SaveThread in %s", f->gil_elfs[i]);
	}
}

static void probe_interpreter(struct ffi *f, const char *elf)
{
	for (int i = 0; i < f->ngil; i++)
		if (!strcmp(f->gil_elfs[i], elf))
			return;
	if (f->ngil == (int)ARRAY_SIZE(f->gil_elfs))
		return;
	snprintf(f->gil_elfs[f->ngil++], PATH_MAX, "%s", elf);
	probe_save_thread(f);
}

static bool pid_done(struct ffi *f, int pid)
{
	for (int i = 0; i < f->ndone_pids; i++)
		if (f->done_pids[i] == pid)
			return true;
	return false;
}

/* Find a process's interpreter (its PyEval_SaveThread, for C extensions) and tell the probes
 * where its GIL is, once it has one; a process is inspected until then, and not after. */
static void inspect_pid(struct ffi *f, int pid)
{
	const struct frames_layout *l;
	struct cpython_target t;
	struct ffi_gil g;
	__u32 k = pid;

	bool seen = false;

	if (pid_done(f, pid) || f->ndone_pids == MAX_TARGETS)
		return;
	/* not CPython so far: looked at again at every poll for its first 2 s, then once a second */
	for (int i = 0; i < f->nnotpy && i < 64; i++)
		if (f->notpy[i].pid == pid) {
			seen = true;
			if (f->polls - f->notpy[i].poll > 20 && f->polls % 10)
				return;
		}
	if (cpython_inspect("/proc", pid, &t) || !t.minor || !(l = cpython_frames_layout(t.minor)) ||
	    l->ts_thread_id < 0) {
		if (!seen) {
			f->notpy[f->nnotpy % 64].pid = pid;
			f->notpy[f->nnotpy++ % 64].poll = f->polls;
		}
		return;
	}
	probe_interpreter(f, t.elf);
	if (cpython_resolve_gil(&t))
		return; /* not initialized yet: the next poll tries again */
	g.addr = t.gil_addr;
	g.ts_thread_id = l->ts_thread_id;
	if (!bpf_map__update_elem(f->skel->maps.ffi_gils, &k, sizeof(k), &g, sizeof(g), BPF_ANY))
		f->done_pids[f->ndone_pids++] = pid;
}

/* libffi: each copy found in a target's maps (Debian's, a wheel's bundled one), and bindprof's own. */
static void probe_libffi(struct ffi *f, const char *path)
{
	for (int i = 0; i < f->nffi_lib; i++)
		if (!strcmp(f->ffi_lib[i], path))
			return;
	if (f->nffi_lib == (int)ARRAY_SIZE(f->ffi_lib) || access(path, R_OK))
		return;
	if (!attach_named(f, path, "ffi_call", f->skel->progs.ffi_call_enter, f->skel->progs.ffi_call_exit))
		snprintf(f->ffi_lib[f->nffi_lib++], PATH_MAX, "%s", path);
}

static bool pending(struct ffi *f);
static void guard_pid(struct ffi *f, int pid, uint64_t ld_start);

/* A binding module (ctypes' _ctypes, cffi's _cffi_backend): a probe pair on its call entry, the
 * tp_call of its function-pointer type, found through the type's name (symbols or not). */
static void probe_binding(struct ffi *f, const char *path, const char *base)
{
	static const char *const names[] = { "_ctypes.CFuncPtr", "_ctypes.PyCFuncPtr", "_cffi_backend._CDataBase",
					     "_cffi_backend.CData" };
	struct ffi_fn fn;
	int k = f->nbind_lib, e = -ENOENT;

	for (int i = 0; i < f->nbind_lib; i++)
		if (!strcmp(f->bind_lib[i], path))
			return;
	if (k == (int)ARRAY_SIZE(f->bind_lib))
		return;
	snprintf(f->bind_lib[f->nbind_lib++], PATH_MAX, "%s", path);
	for (size_t i = 0; i < ARRAY_SIZE(names) && e; i++)
		if (!strncmp(base, names[i], strcspn(names[i], ".")))
			e = ffi_type_call(path, names[i], &fn);
	if (e) {
		log_debug("ffi: no call entry found in %s", path);
		return;
	}
	for (int p = 0; p < fn.nplaces && !f->bind_ok[k]; p++) {
		uint64_t cost = (uint64_t)((fn.places[p].kind == FFI_PROBE_EMULATED ? f->pair_em_ns : f->pair_ns) / 2);

		if (fn.places[p].kind != FFI_PROBE_REFUSED &&
		    !attach_pair(f, f->skel->progs.binding_enter, f->skel->progs.binding_exit, path, fn.places[p].offset,
				 cost, -1))
			f->bind_ok[k] = true;
	}
	log_debug("ffi: %s's call entry at 0x%llx %s", path, (unsigned long long)fn.vaddr,
		  f->bind_ok[k] ? "probed" : "not probed");
}

/* Look at one process's mapped files for specs named by file name, libffi and its interpreter. */
static void scan_pid(struct ffi *f, int pid)
{
	char path[64], line[PATH_MAX + 256], last[PATH_MAX] = "";
	uint64_t ld_start = 0;
	FILE *m;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (!(m = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), m)) {
		char *file = strchr(line, '/'), *base;
		unsigned long long lo, off;

		if (!file)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (!ld_start && f->ld_path[0] && !strcmp(file, f->ld_path) &&
		    sscanf(line, "%llx-%*x %*s %llx", &lo, &off) == 2 && !off)
			ld_start = lo;
		if (!strcmp(file, last) || strstr(file, " (deleted)"))
			continue;
		snprintf(last, sizeof(last), "%s", file);
		base = strrchr(file, '/') + 1;
		if (!strncmp(base, "libffi", 6) && strstr(base, ".so"))
			probe_libffi(f, file);
		if ((!strncmp(base, "_ctypes.", 8) || !strncmp(base, "_cffi_backend.", 14)) && strstr(base, ".so"))
			probe_binding(f, file, base);
		for (int i = 0; i < f->nspecs; i++) {
			struct spec *sp = &f->specs[i];
			size_t n = strlen(sp->lib);

			/* the name, or its start up to a version or ABI tag: libz.so.1, _cffi_backend */
			if (sp->is_path || sp->done || strncmp(base, sp->lib, n) || (base[n] && base[n] != '.'))
				continue;
			attach_spec(f, i, file);
		}
	}
	fclose(m);
	if (pending(f))
		guard_pid(f, pid, ld_start);
	inspect_pid(f, pid);
}

static bool pending(struct ffi *f)
{
	for (int i = 0; i < f->nspecs; i++)
		if (!f->specs[i].done)
			return true;
	return false;
}

/* Stop guarding every pid: nothing will stop them any more. */
static void unguard_all(struct ffi *f)
{
	/* a stop whose event was lost: continued before the guardian forgets it */
	for (int i = 0; i < (f->nstopped < 16 ? f->nstopped : 16); i++)
		if (now_ns() - f->stopped[i].ns < 2000000000ull)
			kill(f->stopped[i].pid, SIGCONT);
	for (int i = 0; i < f->nguarded; i++) {
		__u32 k = f->guarded[i];

		bpf_map__delete_elem(f->skel->maps.ffi_guard, &k, sizeof(k), 0);
		guardian_forget_cont(f->guarded[i]);
	}
	f->nguarded = 0;
}

static void set_pending(struct ffi *f)
{
	bool p = pending(f);

	/* the names still pending, for the load filter */
	{
		static struct ffi_pend_names pn;
		__u32 zero = 0;
		int k = 0;

		memset(&pn, 0, sizeof(pn));
		for (int i = 0; i < f->nspecs && k < FFI_MAX_PEND; i++) {
			if (f->specs[i].is_path || f->specs[i].done)
				continue;
			snprintf(pn.n[k].name, sizeof(pn.n[k].name), "%s", basename(f->specs[i].lib));
			pn.n[k].len = strlen(pn.n[k].name);
			pn.n[k++].on = 1;
		}
		bpf_map__update_elem(f->skel->maps.ffi_pend, &zero, sizeof(zero), &pn, sizeof(pn), BPF_ANY);
	}
	f->skel->bss->ffi_pending = p && f->guardian;
	if (!p)
		unguard_all(f);
}

/* A target that a load may stop: registered with the guardian first (which continues it if
 * bindprof dies), then told to the BPF side (ld_start: the start of the loader's first mapping in
 * its maps; 0 if none: not stoppable). The BPF side finds r_debug from the probe's address, so
 * an exec needs nothing here. */
static void guard_pid(struct ffi *f, int pid, uint64_t ld_start)
{
	struct ffi_guard g = { .prev_state = FFI_RT_UNKNOWN };
	__u32 k = pid;

	if (!f->guardian || !f->ld_probed || !ld_start)
		return; /* a static program, or another loader: its loads are found by polling */
	for (int i = 0; i < f->nguarded; i++)
		if (f->guarded[i] == pid)
			return;
	if (f->nguarded == MAX_TARGETS || guardian_cont_on_exit(pid))
		return;
	if (bpf_map__update_elem(f->skel->maps.ffi_guard, &k, sizeof(k), &g, sizeof(g), BPF_ANY)) {
		guardian_forget_cont(pid);
		return;
	}
	f->guarded[f->nguarded++] = pid;
	log_debug("ffi: pid %d guarded", pid);
}

struct dl_event {
	__u32 pid;
};

static int on_dl(void *ctx, void *data, size_t size)
{
	struct ffi *f = ctx;
	const struct dl_event *ev = data;

	if (size < sizeof(*ev))
		return 0;
	pthread_mutex_lock(&f->lock);
	scan_pid(f, ev->pid);
	set_pending(f);
	f->stops++;
	f->stopped[f->nstopped % 16].pid = ev->pid;
	f->stopped[f->nstopped % 16].ns = now_ns();
	f->nstopped++;
	pthread_mutex_unlock(&f->lock);
	if (f->test_hold_ms) /* the tests' way to kill bindprof while a target is stopped */
		usleep(f->test_hold_ms * 1000);
	kill(ev->pid, SIGCONT);
	return 0;
}

static void *dl_thread(void *arg)
{
	struct ffi *f = arg;

	while (!f->stop)
		ring_buffer__poll(f->rb, 50);
	return NULL;
}

/* Spec i's methods in pid's memory (an extension whose PyMethodDefs are built at import): once
 * found, every one the GLOB selects (by "module.name" or name) is attached. Looked for at every
 * poll for 3 s after the library was found, then once a second, for HEAP_WAIT_NS. */
static void heap_poll_spec(struct ffi *f, int i, int pid)
{
	struct spec *sp = &f->specs[i];
	struct heap_method hm[MAX_PER_SPEC];
	uint64_t age = now_ns() - sp->heap_since;
	int n, ok = 0, matched = 0;
	bool stopped = false, forget = false;
	char path[PATH_MAX], mod[sizeof(sp->heap_mod)], glob[sizeof(sp->glob)];

	if (!sp->heap_wait || (age > 3000000000ull && f->polls % 10))
		return;
	memcpy(path, sp->path, sizeof(path));
	memcpy(mod, sp->heap_mod, sizeof(mod));
	memcpy(glob, sp->glob, sizeof(glob));
	n = heapmeth_scan(pid, path, hm, MAX_PER_SPEC, &sp->heap_bytes);
	if (n == -ENOENT) { /* not mapped in pid (yet: a LIB given as a path, before the import) */
		if (!sp->heap_scans)
			sp->heap_since = now_ns(); /* the wait starts when a target maps it */
		return;
	}
	sp->heap_scans++;
	if (n <= 0) {
		if (age > HEAP_WAIT_NS) {
			sp->heap_wait = false;
			snprintf(sp->status, sizeof(sp->status), "%.600s: no function matches '%.200s' (no static method table, "
				 "and no method of module '%s' found in memory in %u scans over %.0f s)", path,
				 glob[0] ? glob : "(exported functions)", mod, sp->heap_scans, age / 1e9);
		}
		return;
	}
	sp->heap_wait = false;
	/* attaching takes from ms to seconds on a busy machine (uprobe registration): the target is
	 * stopped meanwhile, so that no call after the methods were found is missed. Only with the
	 * guardian, which continues it should bindprof die; a pid it guards already stays guarded. */
	{
		bool guarded = false;

		for (int k = 0; k < f->nguarded; k++)
			guarded |= f->guarded[k] == pid;
		stopped = f->guardian && (guarded || !guardian_cont_on_exit(pid)) && !kill(pid, SIGSTOP);
		if (stopped && !guarded)
			forget = true;
	}
	for (int k = 0; k < n; k++) {
		struct ffi_fn fn;
		char py[160], why[768];

		snprintf(py, sizeof(py), "%s.%s", mod, hm[k].name);
		if (glob[0] && fnmatch(glob, py, 0) && fnmatch(glob, hm[k].name, 0))
			continue;
		matched++;
		if (probed_already(f, path, hm[k].vaddr) >= 0) {
			ok++;
			continue;
		}
		if (f->nfuncs >= CALIB_ID || ffi_elf_at(path, hm[k].vaddr, &fn))
			continue;
		snprintf(fn.pyname, sizeof(fn.pyname), "%s", py);
		if (attach_fn(f, i, path, &fn, why, sizeof(why)))
			add_unattached(f, i, path, &fn, why);
		else
			ok++, sp->nfuncs++;
	}
	set_corrections(f);
	if (stopped) {
		kill(pid, SIGCONT);
		if (forget)
			guardian_forget_cont(pid);
	}
	if (!matched)
		snprintf(sp->status, sizeof(sp->status), "%.600s: no function matches '%.200s' (%d methods of module '%s' "
			 "found in memory, built at import)", path, glob, n, mod);
	else
		snprintf(sp->status, sizeof(sp->status), "probed %d of %d methods found in pid %d's memory (the module "
			 "builds its method table at import: found %.1f s after its library was, %u scans); calls "
			 "made before that are not counted", ok, matched, pid, age / 1e9, sp->heap_scans);
	log_debug("ffi: %s: %d methods in pid %d's memory (%llu bytes read), %d match, %d probed", path, n, pid,
		  (unsigned long long)sp->heap_bytes, matched, ok);
	if (ok)
		probe_save_if_imported(f, path);
}

/* A target stopped by a load whose event was lost (ring buffer full) is continued, but only once
 * a poll has found it stopped for STUCK_NS: an event still queued for the ring buffer's thread
 * means the probes are about to attach, and continuing it first would lose the library's first
 * calls (72 of 20,000 were lost this way on a busy machine). */
#define STUCK_NS 500000000ull

static void cont_if_stuck(struct ffi *f, int pid)
{
	char path[64], *st = NULL, *c;
	bool stopped;
	int slot = -1, freeslot = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stopped = !read_file(path, &st, NULL) && (c = strrchr(st, ')')) && c[1] == ' ' && c[2] == 'T';
	free(st);
	for (int i = 0; i < 16; i++) {
		if (f->seen_t[i].pid == pid)
			slot = i;
		else if (!f->seen_t[i].pid && freeslot < 0)
			freeslot = i;
	}
	if (!stopped) {
		if (slot >= 0)
			f->seen_t[slot].pid = 0;
		return;
	}
	if (slot < 0 && freeslot >= 0) { /* first seen stopped: wait for its event */
		f->seen_t[freeslot].pid = pid;
		f->seen_t[freeslot].ns = now_ns();
		return;
	}
	if (slot < 0 || now_ns() - f->seen_t[slot].ns >= STUCK_NS) { /* no slot left: never risk a stuck target */
		kill(pid, SIGCONT);
		if (slot >= 0)
			f->seen_t[slot].pid = 0;
	}
}

void ffi__poll(struct ffi *f, const int *pids, int n)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	/* A process's maps are read at every poll while a library named by file name is still
	 * missing or the process is new, else once a second (a later libffi copy): reading them,
	 * and the interpreter's symbols, at every poll cost more CPU than the probes themselves. */
	f->polls++;
	for (int i = 0; i < n; i++) {
		if (pending(f) || !pid_done(f, pids[i]) || f->polls % 10 == 0)
			scan_pid(f, pids[i]);
	}
	for (int k = 0; k < f->nspecs; k++)
		for (int i = 0; i < n && f->specs[k].heap_wait; i++)
			heap_poll_spec(f, k, pids[i]);
	set_pending(f);
	/* A belt to the ring buffer's braces: whatever a load stopped lately is continued again
	 * (a lost event would leave it stopped; SIGCONT to a running process does nothing). */
	for (int i = 0; i < (f->nstopped < 16 ? f->nstopped : 16); i++)
		if (now_ns() - f->stopped[i].ns < 2000000000ull)
			kill(f->stopped[i].pid, SIGCONT);
	if (f->skel->bss->ffi_pending)
		for (int i = 0; i < n; i++)
			cont_if_stuck(f, pids[i]);
	pthread_mutex_unlock(&f->lock);
}

/* A command about to run: the libraries it needs at load time (its DT_NEEDED entries, found in
 * the system's library directories) that a pending spec names are probed now, by path: they
 * are mapped before the command's first instruction, before any poll could see them. */
static void preattach_needed(struct ffi *f, const char *exe)
{
	static const char *const dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib",
					     "/lib" };
	struct elf_file *ef = elf_file__open(exe);
	Elf_Scn *scn = NULL;
	Elf *e;

	if (!ef)
		return;
	e = elf_file__elf(ef);
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !(d = elf_getdata(scn, NULL)) || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *name;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_NEEDED ||
			    !(name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val)))
				continue;
			for (int k = 0; k < f->nspecs; k++) {
				struct spec *sp = &f->specs[k];
				size_t n = strlen(sp->lib);
				char path[PATH_MAX], real[PATH_MAX];

				if (sp->is_path || sp->done || strncmp(name, sp->lib, n) || (name[n] && name[n] != '.'))
					continue;
				for (size_t j = 0; j < ARRAY_SIZE(dirs); j++) {
					snprintf(path, sizeof(path), "%s/%s", dirs[j], name);
					if (!access(path, R_OK) && realpath(path, real)) {
						attach_spec(f, k, real);
						break;
					}
				}
			}
		}
	}
	elf_file__close(ef);
}

void ffi__preattach(struct ffi *f, const char *exe)
{
	struct cpython_target t;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	preattach_needed(f, exe);
	set_pending(f);
	pthread_mutex_unlock(&f->lock);
	if (!cpython_inspect_exe(exe, &t) && t.minor)
		probe_interpreter(f, t.elf);
}

static double time_calls(int (*fn)(int), int n)
{
	volatile int sink = 0;
	double t0 = thread_cpu_ns();

	for (int i = 0; i < n; i++)
		sink += fn(i);
	return (thread_cpu_ns() - t0) / n;
}

/* Two empty functions for the calibration: the first instruction of one the kernel emulates
 * (push), of the other it single-steps out of line (mov). In assembly: what the compiler makes
 * of an empty function may start with either. */
__asm__(".text\n.globl bindprof_calib_push\n.type bindprof_calib_push,@function\n"
	"bindprof_calib_push:\n\tpush %rbp\n\tmov %edi,%eax\n\tpop %rbp\n\tret\n"
	".size bindprof_calib_push, .-bindprof_calib_push\n"
	".globl bindprof_calib_mov\n.type bindprof_calib_mov,@function\n"
	"bindprof_calib_mov:\n\tmov %edi,%eax\n\tret\n"
	".size bindprof_calib_mov, .-bindprof_calib_mov\n");
int bindprof_calib_push(int x);
int bindprof_calib_mov(int x);

/* Called once by bindprof's main thread with a probe on it: the BPF side learns which task is
 * bindprof's, to stop nothing once it exits. */
__attribute__((noinline)) void bindprof_ffi_owner(void)
{
	asm volatile("");
}

static void mark_owner(struct ffi *f)
{
	struct ffi_fn ff;
	char err[256];
	int total;
	struct bpf_link *l;

	if (ffi_elf_functions("/proc/self/exe", "bindprof_ffi_owner", &ff, 1, &total, err, sizeof(err)) != 1)
		return;
	f->skel->bss->ffi_owner_tgid = getpid();
	l = bpf_program__attach_uprobe_opts(f->skel->progs.owner_mark, getpid(), "/proc/self/exe", ff.offset, NULL);
	if (!l)
		return;
	bindprof_ffi_owner();
	bpf_link__destroy(l);
}

static int calibrate_one(struct ffi *f, const char *sym, int (*fn)(int), double *call_ns, double *hit_ns,
			 double *bound_ns)
{
	struct ffi_fn ff;
	struct ffi_stat st;
	static __u64 all[HIST_SLOTS];
	__u64 all_max = 0;
	char err[256];
	int total, n = 2000, keep = f->nlinks, k = CALIB_ID, nmeds = 0;
	double base = 1e18, with = 1e18, meds[5];

	if (ffi_elf_functions("/proc/self/exe", sym, &ff, 1, &total, err, sizeof(err)) != 1)
		return -ENOENT;
	for (int r = 0; r < 3; r++) {
		double t = time_calls(fn, n);

		if (t < base)
			base = t;
	}
	if (attach_pair(f, f->skel->progs.ffi_enter, f->skel->progs.ffi_exit, "/proc/self/exe", ff.offset, k, getpid()))
		return -EINVAL;
	session__add_target(f->sess, getpid());
	/* five rounds; the median of their medians: one round can meet a slow spell */
	for (int r = 0; r < 5; r++) {
		double t;

		memset(&st, 0, sizeof(st));
		bpf_map__update_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), BPF_ANY);
		t = time_calls(fn, n);
		if (t < with)
			with = t;
		if (bpf_map__lookup_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), 0) || !st.calls)
			break;
		meds[nmeds++] = hist_quantile(st.hist, HIST_SLOTS, 0.5, st.max_ns);
		if (r) /* the first round pays for setting the probes up */
			for (unsigned i = 0; i < HIST_SLOTS; i++)
				all[i] += st.hist[i];
		if (r && st.max_ns > all_max)
			all_max = st.max_ns;
	}
	session__remove_target(f->sess, getpid());
	while (f->nlinks > keep)
		bpf_link__destroy(f->links[--f->nlinks]);
	if (!nmeds)
		return -EIO;
	*hit_ns = with > base ? (with - base) / 2 : 0;
	/* medians: the first calls pay for setting the probes up */
	for (int i = 1; i < nmeds; i++)
		for (int j = i; j > 0 && meds[j] < meds[j - 1]; j--) {
			double t = meds[j];

			meds[j] = meds[j - 1];
			meds[j - 1] = t;
		}
	*call_ns = meds[nmeds / 2];
	/* one call's error: half the 10-90% spread of what the pair added to the empty function */
	if (hist_total(all, HIST_SLOTS)) {
		double lo = hist_quantile(all, HIST_SLOTS, 0.1, all_max), hi = hist_quantile(all, HIST_SLOTS, 0.9, all_max);

		*bound_ns = (hi - lo) / 2;
	}
	memset(all, 0, sizeof(all));
	memset(&st, 0, sizeof(st));
	bpf_map__update_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), BPF_ANY);
	return 0;
}

/* The probes' own cost on this kernel: per hit, from the thread CPU time of an empty function of
 * bindprof's own with and without the pair; per measured call, from what the pair itself reports
 * for that empty function, once for each kind of first instruction. */
static int calibrate(struct ffi *f)
{
	static struct ffi_correction c;
	double h1, h2;
	__u32 z = 0;
	int e;

	memset(&c, 0, sizeof(c));
	bpf_map__update_elem(f->skel->maps.ffi_corr, &z, sizeof(z), &c, sizeof(c), BPF_ANY);
	if ((e = calibrate_one(f, "bindprof_calib_mov", bindprof_calib_mov, &f->call_ns, &h1, &f->bound_ns)) ||
	    (e = calibrate_one(f, "bindprof_calib_push", bindprof_calib_push, &f->call_em_ns, &h2, &f->bound_em_ns)))
		return e;
	f->hit_ns = h1;
	f->pair_ns = 2 * h1;
	f->pair_em_ns = 2 * h2;
	log_debug("ffi: calibrated %.0f +- %.0f ns (single-stepped) / %.0f +- %.0f ns (emulated) per measured call, "
		  "%.0f ns per hit", f->call_ns, f->bound_ns, f->call_em_ns, f->bound_em_ns, f->hit_ns);
	return 0;
}

/* The correction of every function attached so far, into the map the probes read. */
static void set_corrections(struct ffi *f)
{
	static struct ffi_correction c;
	__u32 z = 0;

	memset(&c, 0, sizeof(c));
	for (int i = 0; i < f->nfuncs; i++) {
		c.call_ns[i] = (__u64)(f->funcs[i].emulated ? f->call_em_ns : f->call_ns);
		c.pair_ns[i] = (__u64)(f->funcs[i].emulated ? f->pair_em_ns : f->pair_ns);
	}
	bpf_map__update_elem(f->skel->maps.ffi_corr, &z, sizeof(z), &c, sizeof(c), BPF_ANY);
}

/* The libffi share's zero: bindprof's own empty function called through libffi's ffi_call with
 * the probes on, whose measured marshalling is the probes' cost plus libffi's for one int. */
/* The binding calibration's outer function: what a binding's call entry is to ffi_call. Its
 * entry is a push (in assembly), like ctypes' and cffi's: the kind the binding probes get. */
static ffi_cif calib_cif;
int bindprof_calib_outer(int a);
__asm__(".text\n.globl bindprof_calib_outer\n.type bindprof_calib_outer,@function\n"
	"bindprof_calib_outer:\n\tpush %rbx\n\tcall bindprof_calib_outer_c\n\tpop %rbx\n\tret\n"
	".size bindprof_calib_outer, .-bindprof_calib_outer\n");
__attribute__((noinline, used)) int bindprof_calib_outer_c(int a)
{
	ffi_arg ret;
	void *av[1] = { &a };

	ffi_call(&calib_cif, FFI_FN(bindprof_calib_push), &ret, av);
	return (int)ret;
}

static void calibrate_overhead(struct ffi *f)
{
	struct ffi_fn ff, fo;
	char err[256];
	int total, keep = f->nlinks, k = CALIB_ID;
	ffi_type *args[1] = { &ffi_type_sint };
	double best = -1, bbest = -1;
	bool outer;

	f->over_zero_ns = f->bind_zero_ns = -1;
	if (!f->nffi_lib || ffi_prep_cif(&calib_cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint, args) != FFI_OK ||
	    ffi_elf_functions("/proc/self/exe", "bindprof_calib_push", &ff, 1, &total, err, sizeof(err)) != 1 ||
	    attach_pair(f, f->skel->progs.ffi_enter, f->skel->progs.ffi_exit, "/proc/self/exe", ff.offset, k, getpid()))
		return;
	/* the binding's pair on the outer function, at the place and cost a binding's would have */
	outer = ffi_elf_functions("/proc/self/exe", "bindprof_calib_outer", &fo, 1, &total, err, sizeof(err)) == 1 &&
		fo.nplaces && fo.places[0].kind != FFI_PROBE_REFUSED &&
		!attach_pair(f, f->skel->progs.binding_enter, f->skel->progs.binding_exit, "/proc/self/exe",
			     fo.places[0].offset,
			     (uint64_t)((fo.places[0].kind == FFI_PROBE_EMULATED ? f->pair_em_ns : f->pair_ns) / 2),
			     getpid());
	session__add_target(f->sess, getpid());
	for (int r = 0; r < 3; r++) {
		struct ffi_stat st = {};

		bpf_map__update_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), BPF_ANY);
		for (int i = 0; i < 1000; i++)
			bindprof_calib_outer(i);
		if (!bpf_map__lookup_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), 0) && st.overhead_calls) {
			double m = (double)st.overhead_ns / st.overhead_calls;

			if (best < 0 || m < best)
				best = m;
			if (st.binding_calls) {
				m = (double)st.binding_ns / st.binding_calls;
				if (bbest < 0 || m < bbest)
					bbest = m;
			}
		}
	}
	session__remove_target(f->sess, getpid());
	while (f->nlinks > keep)
		bpf_link__destroy(f->links[--f->nlinks]);
	{
		struct ffi_stat st = {};

		bpf_map__update_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), BPF_ANY);
	}
	f->over_zero_ns = best;
	f->bind_zero_ns = outer ? bbest : -1;
	log_debug("ffi: libffi share's zero: %.0f ns; the binding share's zero: %.0f ns", best, f->bind_zero_ns);
}

struct ffi *ffi__new(struct session *s, const char *const *specs, int n, int *status, char *err, int errlen)
{
	struct ffi *f = calloc(1, sizeof(*f));
	const char *ld = "/lib64/ld-linux-x86-64.so.2";
	int e;

	*status = EXIT_ENV; /* loading, calibrating: the environment's; a spec below: bad input */
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->sess = s;
	pthread_mutex_init(&f->lock, NULL);
	f->entry_only = getenv("BINDPROF_FFI_ENTRY_ONLY") && *getenv("BINDPROF_FFI_ENTRY_ONLY") == '1';
	if (getenv("BINDPROF_FFI_TEST_HOLD_MS"))
		f->test_hold_ms = atoi(getenv("BINDPROF_FFI_TEST_HOLD_MS"));
	for (int i = 0; i < n && i < MAX_FFI_SPECS; i++) {
		struct spec *sp = &f->specs[f->nspecs++];
		const char *colon = strrchr(specs[i], ':');

		snprintf(sp->text, sizeof(sp->text), "%s", specs[i]);
		snprintf(sp->lib, sizeof(sp->lib), "%.*s", colon ? (int)(colon - specs[i]) : (int)strlen(specs[i]), specs[i]);
		if (colon)
			snprintf(sp->glob, sizeof(sp->glob), "%s", colon + 1);
		sp->is_path = strchr(sp->lib, '/') != NULL;
		snprintf(sp->status, sizeof(sp->status), "not loaded by the target (yet)");
	}
	f->skel = ffi_bpf__open();
	if (!f->skel) {
		snprintf(err, errlen, "opening the ffi BPF object: %s", strerror(errno));
		goto fail;
	}
	if ((e = session__share_maps(s, f->skel->obj)) || (e = ffi_bpf__load(f->skel))) {
		snprintf(err, errlen, "loading the ffi BPF object: %s", strerror(-e));
		goto fail;
	}
	if ((e = calibrate(f))) {
		snprintf(err, errlen, "calibrating the ffi probes: %s", strerror(-e));
		goto fail;
	}
	for (int i = 0; i < f->nspecs; i++) {
		struct spec *sp = &f->specs[i];
		char real[PATH_MAX];

		if (!sp->is_path)
			continue;
		if (!realpath(sp->lib, real)) {
			snprintf(err, errlen, "--ffi %s: cannot read '%s': %s", sp->text, sp->lib, strerror(errno));
			*status = EXIT_BADINPUT;
			goto fail;
		}
		if (attach_spec(f, i, real)) {
			snprintf(err, errlen, "--ffi %s: %s", sp->text, sp->status);
			*status = EXIT_BADINPUT;
			goto fail;
		}
	}
	/* the libffi bindprof itself runs (the libffi share's calibration calls through it); a
	 * target's own copies are found in its maps (scan_pid) */
	{
		char self_ffi[PATH_MAX];

		if (!procfs_find_mapped_lib("/proc", getpid(), "libffi.so", self_ffi, sizeof(self_ffi)))
			probe_libffi(f, self_ffi);
	}
	calibrate_overhead(f);
	/* late loads of libraries named by file name: a load that can match stops the target, if
	 * the guardian runs to continue it should bindprof die */
	if (pending(f)) {
		struct elf_file *ef;
		GElf_Sym rd;
		struct bpf_link *l;

		if (!guardian_start()) /* a no-op if the command started it */
			f->guardian = true;
		else
			log_warn("--ffi: no guardian process: loads do not stop the targets, and a library named by "
				 "file name is attached when a poll finds it (its first calls may be missed)");
		mark_owner(f);
		if (realpath(ld, f->ld_path) && (ef = elf_file__open(f->ld_path))) {
			GElf_Sym ds;

			if (!elf_file__symbol(ef, "_r_debug", &rd) && !elf_file__symbol(ef, "_dl_debug_state", &ds)) {
				f->r_debug_vaddr = rd.st_value;
				f->skel->bss->ffi_r_debug_vaddr = rd.st_value;
				f->skel->bss->ffi_dl_state_vaddr = ds.st_value;
			}
			elf_file__close(ef);
		}
		if (f->guardian && f->r_debug_vaddr) {
			l = bpf_program__attach_uprobe_opts(f->skel->progs.dl_state, -1, f->ld_path, 0,
							   &(struct bpf_uprobe_opts){ .sz = sizeof(struct bpf_uprobe_opts),
										      .func_name = "_dl_debug_state" });
			if (l) {
				f->links[f->nlinks++] = l;
				f->ld_probed = true;
			} else {
				log_debug("ffi: no probe on %s:_dl_debug_state: %s", f->ld_path, strerror(errno));
			}
		}
		f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.dl_events), on_dl, f, NULL);
		if (f->rb && !pthread_create(&f->th, NULL, dl_thread, f))
			f->th_started = true;
		set_pending(f);
	}
	return f;
fail:
	ffi__free(f);
	return NULL;
}

void ffi__free(struct ffi *f)
{
	if (!f)
		return;
	/* nothing stops a target from here on; the loads already stopped are continued */
	if (f->skel && f->skel->bss)
		f->skel->bss->ffi_pending = 0;
	if (f->th_started) {
		f->stop = 1;
		pthread_join(f->th, NULL);
		ring_buffer__consume(f->rb);
	}
	/* every stop seen is continued by now (on_dl); the guardian lets the targets go */
	if (f->skel)
		unguard_all(f);
	for (int i = 0; i < f->nlinks; i++)
		bpf_link__destroy(f->links[i]);
	ring_buffer__free(f->rb);
	ffi_bpf__destroy(f->skel);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

double ffi__hit_ns(struct ffi *f)
{
	return f->hit_ns;
}

double ffi__estimated_ms(struct ffi *f)
{
	int ncpu = libbpf_num_possible_cpus();
	double ns = 0;
	__u32 zero = 0;

	if (ncpu > 0) {
		__u64 v[ncpu];

		if (!bpf_map__lookup_elem(f->skel->maps.ffi_cost, &zero, sizeof(zero), v, sizeof(v), 0))
			for (int i = 0; i < ncpu; i++)
				ns += v[i];
	}
	for (int i = 0; i < f->nfuncs; i++) {
		struct ffi_stat st;
		__u32 k = i;

		if (!bpf_map__lookup_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), 0))
			ns += (st.calls + st.unreturned) * (f->funcs[i].emulated ? f->pair_em_ns : f->pair_ns);
	}
	return ns / 1e6;
}

int ffi__func_info(struct ffi *f, int id, const char **lib, const char **sym, const char **pyname)
{
	if (!f || id < 0 || id >= f->nfuncs)
		return -1;
	*lib = basename(f->funcs[id].path);
	*sym = ffi_fn_name(&f->funcs[id].fn);
	*pyname = f->funcs[id].fn.pyname;
	return 0;
}
/* A share of a function's calls (libffi's "overhead", the binding layer's "binding"): its total
 * less the probes' own cost measured at start-up (zero_ns per call, < 0 when not calibrated), as
 * NAME_ms, NAME_per_call_us and NAME_calls in j, or nulls. Adds the ms to *sum_ms; true when added. */
static bool add_share(cJSON *j, const char *name, double total_ns, uint64_t calls, double zero_ns, double *sum_ms)
{
	char k[64];
	double ns;

	if (!calls || zero_ns < 0) {
		snprintf(k, sizeof(k), "%s_ms", name);
		cJSON_AddNullToObject(j, k);
		snprintf(k, sizeof(k), "%s_per_call_us", name);
		cJSON_AddNullToObject(j, k);
		return false;
	}
	ns = total_ns - zero_ns * calls;
	if (ns < 0)
		ns = 0;
	snprintf(k, sizeof(k), "%s_ms", name);
	cJSON_AddNumberToObject(j, k, ns / 1e6);
	snprintf(k, sizeof(k), "%s_per_call_us", name);
	cJSON_AddNumberToObject(j, k, ns / 1e3 / calls);
	snprintf(k, sizeof(k), "%s_calls", name);
	cJSON_AddNumberToObject(j, k, calls);
	*sum_ms += ns / 1e6;
	return true;
}


void ffi__report(struct ffi *f, cJSON *doc, cJSON *prof)
{
	cJSON *o = cJSON_CreateObject(), *fa, *la, *c;
	uint64_t all_calls = 0;
	double all_ms = 0, all_over_ms = 0, all_bind_ms = 0;
	bool any_over = false, any_bind = false;

	/* detach first: nothing changes under the reads */
	for (int i = 0; i < f->nlinks; i++)
		bpf_link__destroy(f->links[i]);
	f->nlinks = 0;
	cJSON_AddStringToObject(o, "method", "uprobe+uretprobe on each function (--ffi); libffi's share from ffi_call");
	cJSON_AddStringToObject(o, "gil_method",
				f->need_save ? "the GIL's state read in memory at each call's entry and return, and a uprobe on "
					       "PyEval_SaveThread (a probed library imports it: it can release the GIL itself)"
					     : "the GIL's state read in memory at each call's entry and return (no probed "
					       "library imports PyEval_SaveThread, so none can release the GIL itself)");
	c = cJSON_AddObjectToObject(o, "correction");
	cJSON_AddNumberToObject(c, "per_call_ns", f->call_ns);
	cJSON_AddNumberToObject(c, "per_call_emulated_ns", f->call_em_ns);
	cJSON_AddNumberToObject(c, "per_nested_pair_ns", f->pair_ns);
	cJSON_AddNumberToObject(c, "per_nested_pair_emulated_ns", f->pair_em_ns);
	if (f->over_zero_ns >= 0)
		cJSON_AddNumberToObject(c, "libffi_share_zero_ns", f->over_zero_ns);
	else
		cJSON_AddNullToObject(c, "libffi_share_zero_ns");
	if (f->bind_zero_ns >= 0)
		cJSON_AddNumberToObject(c, "binding_share_zero_ns", f->bind_zero_ns);
	else
		cJSON_AddNullToObject(c, "binding_share_zero_ns");
	cJSON_AddNumberToObject(c, "error_bound_ns", f->bound_ns);
	cJSON_AddNumberToObject(c, "error_bound_emulated_ns", f->bound_em_ns);
	cJSON_AddStringToObject(c, "how", "calibrated at start-up on two empty functions of bindprof's own: what the "
					  "pair adds to one measured call (median) is subtracted from every call: "
					  "per_call_emulated_ns for a function whose probed instruction the kernel "
					  "emulates (push, nop, branches: the entry probe is put on one where one lies "
					  "before any branch, see probe.offset), per_call_ns for the others (single-"
					  "stepped out of line, a second trap); each probe hit inside a call (nested "
					  "probed calls, GIL probes) costs per_nested_pair_ns more. error_bound: half "
					  "the 10-90% spread of the pair's cost at start-up, the error of one call's "
					  "corrected time (a p50 over many calls is closer)");
	fa = cJSON_AddArrayToObject(o, "functions");
	for (int i = 0; i < f->nfuncs; i++) {
		struct ffi_stat st;
		__u32 k = i;
		cJSON *j;

		if (bpf_map__lookup_elem(f->skel->maps.ffi_stats, &k, sizeof(k), &st, sizeof(st), 0))
			continue;
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "library", basename(f->funcs[i].path));
		cJSON_AddStringToObject(j, "symbol", ffi_fn_name(&f->funcs[i].fn));
		if (f->funcs[i].fn.aliases[0])
			cJSON_AddStringToObject(j, "aliases", f->funcs[i].fn.aliases);
		else
			cJSON_AddNullToObject(j, "aliases");
		if (f->funcs[i].impl[0])
			cJSON_AddStringToObject(j, "ifunc_implementation", f->funcs[i].impl);
		if (f->funcs[i].fn.pyname[0])
			cJSON_AddStringToObject(j, "python_name", f->funcs[i].fn.pyname);
		else
			cJSON_AddNullToObject(j, "python_name");
		cJSON_AddNumberToObject(j, "calls", st.calls);
		cJSON_AddNumberToObject(j, "total_ms", st.total_ns / 1e6);
		cJSON_AddNumberToObject(j, "mean_us", st.calls ? st.total_ns / 1e3 / st.calls : 0);
		cJSON_AddNumberToObject(j, "cpu_wait_ms", st.cpu_wait_ns / 1e6);
		cJSON_AddNumberToObject(j, "mean_excl_cpu_wait_us",
					st.calls ? (st.total_ns - (st.cpu_wait_ns < st.total_ns ? st.cpu_wait_ns : st.total_ns)) /
							   1e3 / st.calls
						 : 0);
		cJSON_AddNumberToObject(j, "p50_us", hist_quantile(st.hist, HIST_SLOTS, 0.5, st.max_ns) / 1e3);
		cJSON_AddNumberToObject(j, "p99_us", hist_quantile(st.hist, HIST_SLOTS, 0.99, st.max_ns) / 1e3);
		cJSON_AddNumberToObject(j, "max_us", st.max_ns / 1e3);
		cJSON_AddNumberToObject(j, "gil_held_calls", st.gil_held_calls);
		cJSON_AddNumberToObject(j, "gil_released_calls", st.gil_released_calls);
		cJSON_AddNumberToObject(j, "gil_unknown_calls", st.gil_unknown_calls);
		any_over |= add_share(j, "overhead", st.overhead_ns, st.overhead_calls, f->over_zero_ns, &all_over_ms);
		any_bind |= add_share(j, "binding", st.binding_ns, st.binding_calls, f->bind_zero_ns, &all_bind_ms);
		cJSON_AddNumberToObject(j, "unreturned", st.unreturned);
		cJSON_AddNumberToObject(j, "correction_ns", f->funcs[i].emulated ? f->call_em_ns : f->call_ns);
		{
			const struct func *fu = &f->funcs[i];
			cJSON *p = cJSON_AddObjectToObject(j, "probe");

			cJSON_AddStringToObject(p, "kind", fu->emulated ? "emulated" : "single-stepped");
			cJSON_AddNumberToObject(p, "offset", fu->place.delta);
			cJSON_AddStringToObject(p, "instruction", fu->place.insn);
			cJSON_AddNumberToObject(p, "error_bound_us", (fu->emulated ? f->bound_em_ns : f->bound_ns) / 1e3);
			if (fu->fn.place_note[0] && !fu->emulated)
				cJSON_AddStringToObject(p, "note", fu->fn.place_note);
		}
		all_calls += st.calls;
		all_ms += st.total_ns / 1e6;
		cJSON_AddItemToArray(fa, j);
	}
	{
		cJSON *ua = cJSON_AddArrayToObject(o, "unattached");

		for (int i = 0; i < f->nunatt; i++) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddStringToObject(j, "spec", f->specs[f->unatt[i].spec].text);
			cJSON_AddStringToObject(j, "library", f->unatt[i].lib);
			cJSON_AddStringToObject(j, "symbol", f->unatt[i].name);
			cJSON_AddStringToObject(j, "reason", f->unatt[i].why);
			cJSON_AddItemToArray(ua, j);
			profile_warn(doc, "ffi", "--ffi %s: %s in %s is not probed (no figures for it): %s",
				     f->specs[f->unatt[i].spec].text, f->unatt[i].name, f->unatt[i].lib, f->unatt[i].why);
		}
	}
	cJSON_AddNumberToObject(o, "calls", all_calls);
	cJSON_AddNumberToObject(o, "total_ms", all_ms);
	if (any_over)
		cJSON_AddNumberToObject(o, "overhead_ms", all_over_ms);
	else
		cJSON_AddNullToObject(o, "overhead_ms");
	if (any_bind)
		cJSON_AddNumberToObject(o, "binding_ms", all_bind_ms);
	else
		cJSON_AddNullToObject(o, "binding_ms");
	{
		bool any_probed = false;

		for (int i = 0; i < f->nbind_lib; i++)
			any_probed |= f->bind_ok[i];
		cJSON_AddStringToObject(o, "binding_method",
					any_probed ? "the binding's Python-side share (argument and result conversion): "
						     "a probe pair on the call entry of ctypes (PyCFuncPtr_call) and cffi "
						     "(cdata_call), found as the tp_call of their function-pointer type "
						     "(by its name, in stripped modules too); from that entry to ffi_call, "
						     "and from ffi_call's return back, less the time waiting for a CPU in "
						     "those windows and the probes' own cost (binding_share_zero_ns, "
						     "calibrated at start-up on a function of bindprof's own that calls "
						     "ffi_call, probed the same way); the Python call's dispatch up to "
						     "tp_call is not in it"
							   : "no ctypes or cffi module was seen in a target: not measured");
	}
	cJSON_AddStringToObject(o, "overhead_method",
				f->nffi_lib ? "libffi's own marshalling: ffi_call's entry to the body's entry, and the "
						"body's return to ffi_call's (ctypes, cffi ABI mode), less what the "
						"probes add (libffi_share_zero_ns, calibrated through ffi_call on an "
						"empty function of bindprof's own, whose own marshalling it also "
						"removes: tens of ns). The Python-side conversion of ctypes/cffi "
						"arguments is binding_ms. C extensions have no such layer: null"
					      : "libffi not found: not measured");
	la = cJSON_AddArrayToObject(o, "libraries");
	for (int i = 0; i < f->nspecs; i++) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "spec", f->specs[i].text);
		if (f->specs[i].path[0])
			cJSON_AddStringToObject(j, "path", f->specs[i].path);
		else
			cJSON_AddNullToObject(j, "path");
		cJSON_AddNumberToObject(j, "functions", f->specs[i].nfuncs);
		cJSON_AddNumberToObject(j, "unattached", f->specs[i].nunattached);
		cJSON_AddStringToObject(j, "status", f->specs[i].status);
		cJSON_AddItemToArray(la, j);
		if (!f->specs[i].path[0] || (!f->specs[i].nfuncs && !f->specs[i].nunattached))
			profile_warn(doc, "ffi", "--ffi %s: %s", f->specs[i].text, f->specs[i].status);
	}
	cJSON_AddNumberToObject(o, "load_stops", f->stops);
	{
		int ncpu = libbpf_num_possible_cpus();
		cJSON *ld = cJSON_AddObjectToObject(o, "loads");
		static const char *const names[FFI_DL_MAX] = {
			[FFI_DL_CALLS] = "loader_calls",      [FFI_DL_STOPS] = "stopped",
			[FFI_DL_NOMATCH] = "not_stopped_no_match", [FFI_DL_UNGUARDED] = "not_stopped_unguarded",
			[FFI_DL_BOUND] = "stopped_walk_bound", [FFI_DL_OWNER_EXIT] = "not_stopped_bindprof_exiting",
		};

		for (__u32 k = 0; k < FFI_DL_MAX && ncpu > 0; k++) {
			__u64 v[ncpu], sum = 0;

			if (!bpf_map__lookup_elem(f->skel->maps.ffi_dl, &k, sizeof(k), v, sizeof(v), 0))
				for (int c = 0; c < ncpu; c++)
					sum += v[c];
			cJSON_AddNumberToObject(ld, names[k], sum);
		}
		cJSON_AddBoolToObject(ld, "guardian", f->guardian);
		cJSON_AddStringToObject(ld, "method",
					"while a library named by file name is pending, the loader's _dl_debug_state is "
					"probed; at RT_CONSISTENT the objects a load added (those after the list's tail "
					"at RT_ADD) are matched by file name against the pending specs, and only a match "
					"stops the target (SIGSTOP) until bindprof has attached and continued it. Only "
					"targets registered with the guardian process are ever stopped: it continues "
					"them if bindprof dies");
	}
	cJSON_AddItemToObject(prof, "ffi", o);
	{
		cJSON *py = cJSON_GetObjectItem(prof, "python");

		/* the binding layer's own time: libffi's share and the Python-side conversion */
		if (cJSON_IsObject(py) && (any_over || any_bind))
			cJSON_ReplaceItemInObject(py, "ffi_overhead_ms", cJSON_CreateNumber(all_over_ms + all_bind_ms));
	}
}
