/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <pthread.h>
#include <ctype.h>
#include <fcntl.h>
#include <unistd.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "inspect/cpython.h"
#include "inspect/elffile.h"
#include "inspect/runtime.h"

/* Where the GIL lives, per minor version (x86_64, default build; read off each pyenv build's DWARF).
 * 3.8 to 3.11: a struct inside _PyRuntime. 3.12 and later: one per interpreter, reached through
 * _PyRuntime.interpreters.main and that interpreter's ceval.gil pointer. */
static const struct layout {
	int minor;
	long runtime_gil;     /* offsetof(_PyRuntimeState, ceval.gil), or -1 */
	long runtime_main;    /* offsetof(_PyRuntimeState, interpreters.main), or -1 */
	long interp_gil_ptr;  /* offsetof(PyInterpreterState, ceval.gil), or -1 */
} layouts[] = {
	{ 8, 1152, -1, -1 },
	{ 9, 352, -1, -1 },
	{ 10, 352, -1, -1 },
	{ 11, 360, -1, -1 },
	{ 12, -1, 48, 384 },
	{ 13, -1, 640, 16 },
};

/* Where a thread's Python frames are, per minor version (x86_64, default build). Generated from
 * each interpreter's own headers by tests/pyoffsets.c (offsetof with Py_BUILD_CORE); the test
 * suite recompiles it against every interpreter present and compares with this table. */
static const struct frames_layout frames_layouts[] = {
	/* minor main head next thread_id frame cframe code back is_entry owner name file line ascii */
	{ 8, 40, 8, 8, 176, 24, -1, 32, 24, -1, -1, 112, 104, 40, 48 },
	{ 9, 40, 8, 8, 176, 24, -1, 32, 24, -1, -1, 112, 104, 40, 48 },
	{ 10, 40, 8, 8, 176, 24, -1, 32, 24, -1, -1, 112, 104, 40, 48 },
	{ 11, 48, 16, 8, 152, 56, 8, 32, 48, 68, -1, 120, 112, 72, 48 },
	{ 12, 48, 72, 8, 136, 56, 0, 0, 8, -1, 70, 120, 112, 68, 40 },
	{ 13, 640, 7344, 8, 152, 72, -1, 0, 8, -1, 70, 120, 112, 68, 40 },
};

const struct frames_layout *cpython_frames_layout(int minor)
{
	for (size_t i = 0; i < sizeof(frames_layouts) / sizeof(frames_layouts[0]); i++)
		if (frames_layouts[i].minor == minor)
			return &frames_layouts[i];
	return NULL;
}

static const struct layout *layout_for(int minor)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].minor == minor)
			return &layouts[i];
	return NULL;
}

bool cpython_supported(int minor)
{
	return layout_for(minor) != NULL;
}

const char *cpython_gc_symbol_hint(int minor)
{
	return minor >= 10 ? "gc_collect_main" : "collect";
}

struct dwarf_q {
	Dwarf_Addr addr;
	const char *param;
	int arg;
	long konst; /* the parameter's constant value in a GCC clone (DW_AT_const_value); -1: none */
};

/* x86_64 DWARF register numbers of the argument registers, in argument order. */
static const int arg_regs[] = { 5 /* rdi */, 4 /* rsi */, 1 /* rdx */, 2 /* rcx */, 8, 9 };

static int dwarf_func_cb(Dwarf_Die *fn, void *arg)
{
	struct dwarf_q *q = arg;
	Dwarf_Addr lo;
	Dwarf_Die child;

	if (dwarf_lowpc(fn, &lo) || lo != q->addr || dwarf_child(fn, &child))
		return DWARF_CB_OK;
	do {
		Dwarf_Attribute at;
		Dwarf_Op *ops;
		size_t nops;
		const char *name;

		Dwarf_Word v;

		if (dwarf_tag(&child) != DW_TAG_formal_parameter || !(name = dwarf_diename(&child)) ||
		    strcmp(name, q->param))
			continue;
		if (dwarf_attr_integrate(&child, DW_AT_const_value, &at) && !dwarf_formudata(&at, &v)) {
			q->konst = (long)v;
			return DWARF_CB_ABORT;
		}
		if (!dwarf_attr(&child, DW_AT_location, &at))
			continue;
		if (dwarf_getlocation_addr(&at, q->addr, &ops, &nops, 1) != 1 || nops != 1)
			continue;
		for (size_t i = 0; i < sizeof(arg_regs) / sizeof(arg_regs[0]); i++)
			if (ops[0].atom == (uint8_t)(DW_OP_reg0 + arg_regs[i]))
				q->arg = i + 1;
		return DWARF_CB_ABORT;
	} while (dwarf_siblingof(&child, &child) == 0);
	return DWARF_CB_OK;
}

static struct dwarf_q dwarf_param(const char *path, uint64_t vaddr, const char *param)
{
	struct dwarf_q q = { .addr = vaddr, .param = param, .konst = -1 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Dwarf_Die cu;
	Dwarf *dw;

	if (fd < 0)
		return q;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (dw && dwarf_addrdie(dw, vaddr, &cu))
		dwarf_getfuncs(&cu, dwarf_func_cb, &q, 0);
	if (dw)
		dwarf_end(dw);
	close(fd);
	return q;
}

int dwarf_param_arg(const char *path, uint64_t vaddr, const char *param)
{
	return dwarf_param(path, vaddr, param).arg;
}

long dwarf_param_const(const char *path, uint64_t vaddr, const char *param)
{
	return dwarf_param(path, vaddr, param).konst;
}

static void add_gc_func(struct cpython_target *t, const char *path, const char *name, uint64_t vaddr)
{
	struct gc_func *g;
	bool clone;

	if (t->gc_nfuncs == (int)(sizeof(t->gc_funcs) / sizeof(t->gc_funcs[0])))
		return;
	g = &t->gc_funcs[t->gc_nfuncs++];
	snprintf(g->name, sizeof(g->name), "%s", name);
	/* The generation is the second argument of every version's collector; GCC's clones (a
	 * suffixed name: .constprop.N, .isra.N) may move it, or fix it (3.8's collect.constprop.0
	 * is generation 2's), and DWARF says where. Reading DWARF costs tens of milliseconds (while
	 * a process may be held at its exec): clones only. */
	clone = strchr(name, '.') || t->minor < 8;
	g->gen_arg = clone ? dwarf_param_arg(path, vaddr, "generation") : 2;
	g->gen_const = clone ? dwarf_param_const(path, vaddr, "generation") : -1;
	if (g->gen_const >= 0)
		g->gen_arg = 0;
	else if (g->gen_arg != 1 && g->gen_arg != 2)
		g->gen_arg = 2;
}

static void fill_from_elf(struct elf_file *f, const char *path, struct cpython_target *t)
{
	const char *want = cpython_gc_symbol_hint(t->minor);
	GElf_Sym sym;

	t->usdt_gc = elf_file__has_usdt(f, "python", "gc__start") && elf_file__has_usdt(f, "python", "gc__done");
	t->has_take_gil = !elf_file__symbol(f, "take_gil", &sym) && !elf_file__symbol(f, "drop_gil", &sym);
	t->gc_nfuncs = 0;
	if (!elf_file__symbol(f, want, &sym)) {
		add_gc_func(t, path, want, sym.st_value);
	} else if (t->minor < 10) {
		/* 3.8 builds may have only GCC's clones of collect(): probe each. */
		char name[64], prefix[64];

		for (int i = 0; i < 4; i++) {
			snprintf(prefix, sizeof(prefix), "collect.constprop.%d", i);
			if (!elf_file__symbol_prefix(f, prefix, &sym, name, sizeof(name)) && !strcmp(name, prefix))
				add_gc_func(t, path, name, sym.st_value);
		}
	}
}

static int parse_minor(const char *version)
{
	return strncmp(version, "3.", 2) ? 0 : atoi(version + 2);
}

/* The CPython files found so far, by identity, and the name each was given: one file reached by
 * several paths (its path here, /proc/PID/root/..., /proc/PID/map_files/...) gets one name, so
 * that its probes attach once. */
#define MAX_NAMED 32
static struct named {
	dev_t dev;
	ino_t ino;
	char name[PATH_MAX];
} named[MAX_NAMED];
static int nnamed;
static pthread_mutex_t named_lock = PTHREAD_MUTEX_INITIALIZER;

/* "/proc/N/root/usr/bin/x" -> N and "/usr/bin/x"; 0 when path is not of that form. */
static int split_proc_root(const char *path, const char **rest)
{
	char *end;
	long pid;

	if (strncmp(path, "/proc/", 6) || !isdigit((unsigned char)path[6]))
		return 0;
	pid = strtol(path + 6, &end, 10);
	if (strncmp(end, "/root/", 6))
		return 0;
	*rest = end + 5;
	return (int)pid;
}

static bool same_file(const char *path, const struct stat *st)
{
	struct stat o;

	return path && path[0] == '/' && !stat(path, &o) && o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

/* The name of the file at `access` (a path that works from here): the one it got before, else
 * ns_path (its path in its process's mount namespace) when that is the same file here, else
 * /proc/PID/root + ns_path when that is, else access itself. */
static void canonical_name(const char *access, const char *ns_path, int pid, char *out, size_t size)
{
	char alt[PATH_MAX + 64];
	struct stat st;

	snprintf(out, size, "%s", access);
	if (stat(access, &st))
		return;
	pthread_mutex_lock(&named_lock);
	for (int i = 0; i < nnamed; i++)
		if (named[i].dev == st.st_dev && named[i].ino == st.st_ino) {
			snprintf(out, size, "%s", named[i].name);
			pthread_mutex_unlock(&named_lock);
			return;
		}
	if (same_file(ns_path, &st)) {
		snprintf(out, size, "%s", ns_path);
	} else if (pid > 0 && ns_path && ns_path[0] == '/') {
		snprintf(alt, sizeof(alt), "/proc/%d/root%s", pid, ns_path);
		if (same_file(alt, &st) && strlen(alt) < size)
			memcpy(out, alt, strlen(alt) + 1);
	}
	if (nnamed < MAX_NAMED) {
		named[nnamed].dev = st.st_dev;
		named[nnamed].ino = st.st_ino;
		snprintf(named[nnamed].name, sizeof(named[nnamed].name), "%s", out);
		nnamed++;
	}
	pthread_mutex_unlock(&named_lock);
}

/* Inspect the file at `access`; ns_path and pid (may be NULL and 0) name it in its process. */
static int inspect_file_as(const char *access, const char *ns_path, int pid, struct cpython_target *t)
{
	struct runtime_info ri;
	struct elf_file *f;
	GElf_Sym sym;

	memset(t, 0, sizeof(*t));
	if (runtime_detect_elf(access, &ri) || strcmp(ri.name, "cpython"))
		return -ENOENT;
	f = elf_file__open(access);
	if (!f)
		return -errno;
	if (elf_file__symbol(f, "_PyRuntime", &sym)) {
		elf_file__close(f);
		return -ENOENT;
	}
	canonical_name(access, ns_path, pid, t->elf, sizeof(t->elf));
	snprintf(t->version, sizeof(t->version), "%s", ri.version);
	t->minor = parse_minor(ri.version);
	fill_from_elf(f, access, t);
	elf_file__close(f);
	return 0;
}

int cpython_inspect_file(const char *path, struct cpython_target *t)
{
	const char *rest = NULL;
	int pid = split_proc_root(path, &rest);

	return inspect_file_as(path, pid ? rest : path, pid, t);
}

/* One DT_NEEDED library of exe, searched as the dynamic loader does: DT_RPATH (when there is no
 * DT_RUNPATH), the process's LD_LIBRARY_PATH (pid > 0: read from /proc/PID/environ), DT_RUNPATH
 * ($ORIGIN expanded), then the standard directories; every directory under root ("" or
 * /proc/PID/root). 0 and out set when found. */
static int find_needed(const char *needed, const char *rpath, const char *runpath, const char *origin,
		       const char *root, int pid, char *out, size_t outlen)
{
	static const char *const std_dirs[] = { "/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib",
						"/lib/x86_64-linux-gnu", "/lib", "/usr/lib64", "/lib64" };
	char env[8192], llp[4096] = "", lists[3][4096];

	if (pid > 0) {
		char path[64];
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/environ", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, env, sizeof(env) - 1) : -1;
		if (fd >= 0)
			close(fd);
		for (ssize_t i = 0; n > 0 && i < n; i += strlen(env + i) + 1) {
			env[n] = '\0';
			if (!strncmp(env + i, "LD_LIBRARY_PATH=", 16)) {
				snprintf(llp, sizeof(llp), "%.4000s", env + i + 16);
				break;
			}
		}
	}
	snprintf(lists[0], sizeof(lists[0]), "%.4000s", runpath[0] ? "" : rpath);
	snprintf(lists[1], sizeof(lists[1]), "%.4000s", llp);
	snprintf(lists[2], sizeof(lists[2]), "%.4000s", runpath);
	for (int l = 0; l < 3; l++) {
		char *save = NULL;

		for (char *dir = strtok_r(lists[l], ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			int n = !strncmp(dir, "$ORIGIN", 7) ? snprintf(out, outlen, "%s%s/%s", origin, dir + 7, needed)
							     : snprintf(out, outlen, "%s%s/%s", root, dir, needed);

			if (n > 0 && (size_t)n < outlen && !access(out, R_OK))
				return 0;
		}
	}
	for (size_t i = 0; i < sizeof(std_dirs) / sizeof(std_dirs[0]); i++) {
		int n = snprintf(out, outlen, "%s%s/%s", root, std_dirs[i], needed);

		if (n > 0 && (size_t)n < outlen && !access(out, R_OK))
			return 0;
	}
	return -ENOENT;
}

struct dyn_paths {
	char needed[32][256], rpath[1024], runpath[1024];
	int nneeded;
};

static int collect_dyn(void *ctx, int64_t tag, const char *v)
{
	struct dyn_paths *dp = ctx;

	if (tag == DT_NEEDED && dp->nneeded < 32)
		snprintf(dp->needed[dp->nneeded++], sizeof(dp->needed[0]), "%s", v);
	else if (tag == DT_RUNPATH)
		snprintf(dp->runpath, sizeof(dp->runpath), "%s", v);
	else if (tag == DT_RPATH)
		snprintf(dp->rpath, sizeof(dp->rpath), "%s", v);
	return 0;
}

/* The CPython library an executable links against, whatever its name: each DT_NEEDED entry,
 * found as the loader would (find_needed), inspected by content. 0 and t filled when one is. */
static int needed_cpython(const char *exe, struct cpython_target *t)
{
	struct dyn_paths dp = { .nneeded = 0 };
	char origin[1024], root[64], lib[PATH_MAX];
	struct elf_file *f = elf_file__open(exe);
	const char *rest;
	int pid;

	if (!f)
		return -errno;
	elf_dyn_strings(elf_file__elf(f), collect_dyn, &dp);
	elf_file__close(f);
	snprintf(origin, sizeof(origin), "%s", exe);
	*strrchr(origin, '/') = '\0';
	/* an exe under /proc/PID/root: its libraries are under the same root */
	pid = split_proc_root(exe, &rest);
	snprintf(root, sizeof(root), "%.*s", pid ? (int)(rest - exe) : 0, exe);
	for (int i = 0; i < dp.nneeded; i++) {
		/* the C runtime and the loader are never the interpreter: not worth a look */
		if (!strncmp(dp.needed[i], "libc.so", 7) || !strncmp(dp.needed[i], "libm.so", 7) ||
		    !strncmp(dp.needed[i], "ld-linux", 8))
			continue;
		if (!find_needed(dp.needed[i], dp.rpath, dp.runpath, origin, root, pid, lib, sizeof(lib)) &&
		    !cpython_inspect_file(lib, t))
			return 0;
	}
	return -ENOENT;
}

int cpython_inspect_exe(const char *exe, struct cpython_target *t)
{
	if (!strchr(exe, '/'))
		return -EINVAL;
	if (!cpython_inspect_file(exe, t))
		return 0;
	return needed_cpython(exe, t);
}

int cpython_inspect(const char *root, int pid, struct cpython_target *t)
{
	char path[PATH_MAX], line[PATH_MAX + 256], found[PATH_MAX] = "", access_path[PATH_MAX];
	uint64_t start = 0, base;
	struct elf_file *f;
	GElf_Sym sym;
	FILE *maps;
	int err;

	snprintf(path, sizeof(path), "%s/%d/maps", root, pid);
	maps = fopen(path, "re");
	if (!maps)
		return -errno;
	/* The first file mapped at offset 0 that defines _PyRuntime: the exe of a static build, or
	 * libpython3.X.so of a shared one, whatever its name. Each is read through
	 * /proc/PID/map_files (the very file mapped, in whatever mount namespace it lives). */
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long lo, hi, off;
		char *file = strchr(line, '/');

		if (!file || sscanf(line, "%llx-%llx %*s %llx", &lo, &hi, &off) != 3 || off != 0)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (!strcmp(file, found))
			continue;
		snprintf(access_path, sizeof(access_path), "%s/%d/map_files/%llx-%llx", root, pid, lo, hi);
		if (inspect_file_as(access_path, file, pid, t) == 0) {
			snprintf(found, sizeof(found), "%s", access_path);
			start = lo;
			break;
		}
		snprintf(found, sizeof(found), "%s", file); /* its other mappings: not again */
	}
	fclose(maps);
	if (!start) {
		memset(t, 0, sizeof(*t));
		t->pid = pid;
		return 0; /* not CPython */
	}
	t->pid = pid;
	f = elf_file__open(found);
	if (!f)
		return -errno;
	err = elf_file__base_vaddr(f, &base);
	if (!err)
		err = elf_file__symbol(f, "_PyRuntime", &sym);
	if (!err) {
		t->bias = elf_file__is_exec(f) ? 0 : start - base;
		t->runtime_addr = sym.st_value + t->bias;
		if (!elf_file__symbol(f, "PyCode_Type", &sym))
			t->code_type_addr = sym.st_value + t->bias;
	}
	elf_file__close(f);
	return err;
}

static int read_mem(int pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int cpython_resolve_gil(struct cpython_target *t)
{
	const struct layout *l = layout_for(t->minor);
	uint64_t gil, interp = 0, interval = 0;
	uint32_t locked = 2;
	int err;

	if (!l || !t->runtime_addr)
		return -ENOTSUP;
	if (l->runtime_gil >= 0) {
		gil = t->runtime_addr + l->runtime_gil;
	} else {
		if ((err = read_mem(t->pid, t->runtime_addr + l->runtime_main, &interp, 8)))
			return err;
		if (!interp)
			return -EAGAIN; /* no main interpreter yet */
		if ((err = read_mem(t->pid, interp + l->interp_gil_ptr, &gil, 8)))
			return err;
		if (!gil)
			return -EAGAIN;
	}
	if ((err = read_mem(t->pid, gil + GIL_OFF_INTERVAL, &interval, 8)) ||
	    (err = read_mem(t->pid, gil + GIL_OFF_LOCKED, &locked, 4)))
		return err;
	if (interval == 0)
		return -EAGAIN; /* the GIL is not created yet */
	/* A wrong layout reads garbage: the switch interval is 5000 us by default, and any value a
	 * program can set is 1 us..some seconds; locked is 0 or 1. */
	if (interval > 10000000 || locked > 1)
		return -EPROTO;
	t->gil_addr = gil;
	return 0;
}

int cpython_read_switch_number(const struct cpython_target *t, uint64_t *n)
{
	if (!t->gil_addr)
		return -EAGAIN;
	return read_mem(t->pid, t->gil_addr + GIL_OFF_SWITCH_NUMBER, n, 8);
}

int cpython_read_mem(int pid, uint64_t addr, void *buf, size_t len)
{
	return read_mem(pid, addr, buf, len);
}

int cpython_thread_list(const struct cpython_target *t, uint64_t *head_addr)
{
	const struct frames_layout *l = cpython_frames_layout(t->minor);
	uint64_t interp = 0, head = 0;
	int err;

	if (!l || !t->runtime_addr)
		return -ENOTSUP;
	if ((err = read_mem(t->pid, t->runtime_addr + l->runtime_main, &interp, 8)))
		return err;
	if (!interp)
		return -EAGAIN;
	/* a wrong layout reads garbage: the list's head must be a readable thread state whose
	 * interp field... is not in every version's first words, so check the head is readable */
	if ((err = read_mem(t->pid, interp + l->interp_head, &head, 8)))
		return err;
	if (!head)
		return -EAGAIN;
	*head_addr = interp + l->interp_head;
	return 0;
}
