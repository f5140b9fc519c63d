/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
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

	if (t->gc_nfuncs == (int)(sizeof(t->gc_funcs) / sizeof(t->gc_funcs[0])))
		return;
	g = &t->gc_funcs[t->gc_nfuncs++];
	snprintf(g->name, sizeof(g->name), "%s", name);
	/* The generation is the second argument of every version's collector; GCC's clones may
	 * move it, and DWARF says where. */
	g->gen_arg = dwarf_param_arg(path, vaddr, "generation");
	g->gen_const = dwarf_param_const(path, vaddr, "generation");
	if (g->gen_const >= 0)
		g->gen_arg = 0; /* a clone for one generation (3.8's collect.constprop.0: 2) */
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

int cpython_inspect_file(const char *path, struct cpython_target *t)
{
	struct runtime_info ri;
	struct elf_file *f;
	GElf_Sym sym;

	memset(t, 0, sizeof(*t));
	if (runtime_detect_elf(path, &ri) || strcmp(ri.name, "cpython"))
		return -ENOENT;
	f = elf_file__open(path);
	if (!f)
		return -errno;
	if (elf_file__symbol(f, "_PyRuntime", &sym)) {
		elf_file__close(f);
		return -ENOENT;
	}
	snprintf(t->elf, sizeof(t->elf), "%s", path);
	snprintf(t->version, sizeof(t->version), "%s", ri.version);
	t->minor = parse_minor(ri.version);
	fill_from_elf(f, path, t);
	elf_file__close(f);
	return 0;
}

/* The libpython3.X.so an executable links against: its DT_NEEDED entry, searched in its
 * DT_RUNPATH/DT_RPATH ($ORIGIN expanded) and the standard directories. */
static int needed_libpython(const char *exe, char *out, size_t outlen)
{
	static const char *const std_dirs[] = { "/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib",
						"/lib/x86_64-linux-gnu", "/lib" };
	char needed[256] = "", runpath[1024] = "", origin[1024];
	struct elf_file *f = elf_file__open(exe);
	Elf_Scn *scn = NULL;
	Elf *elf;

	if (!f)
		return -errno;
	elf = elf_file__elf(f);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *v;

			if (!gelf_getdyn(d, i, &dyn))
				continue;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
				continue;
			v = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
			if (!v)
				continue;
			if (dyn.d_tag == DT_NEEDED && !strncmp(v, "libpython3", 10))
				snprintf(needed, sizeof(needed), "%s", v);
			else if (dyn.d_tag != DT_NEEDED)
				snprintf(runpath, sizeof(runpath), "%s", v);
		}
	}
	elf_file__close(f);
	if (!needed[0])
		return -ENOENT;
	snprintf(origin, sizeof(origin), "%s", exe);
	*strrchr(origin, '/') = '\0';
	for (char *dir = strtok(runpath, ":"); dir; dir = strtok(NULL, ":")) {
		int n = !strncmp(dir, "$ORIGIN", 7) ? snprintf(out, outlen, "%s%s/%s", origin, dir + 7, needed)
						     : snprintf(out, outlen, "%s/%s", dir, needed);

		if (n > 0 && (size_t)n < outlen && !access(out, R_OK))
			return 0;
	}
	for (size_t i = 0; i < sizeof(std_dirs) / sizeof(std_dirs[0]); i++) {
		snprintf(out, outlen, "%s/%s", std_dirs[i], needed);
		if (!access(out, R_OK))
			return 0;
	}
	return -ENOENT;
}

int cpython_inspect_exe(const char *exe, struct cpython_target *t)
{
	char lib[PATH_MAX];

	if (!strchr(exe, '/'))
		return -EINVAL;
	if (!cpython_inspect_file(exe, t))
		return 0;
	if (needed_libpython(exe, lib, sizeof(lib)))
		return -ENOENT;
	return cpython_inspect_file(lib, t);
}

int cpython_inspect(const char *root, int pid, struct cpython_target *t)
{
	char path[PATH_MAX], line[PATH_MAX + 256], found[PATH_MAX] = "";
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
	 * libpython3.X.so of a shared one. */
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long lo, off;
		char *file = strchr(line, '/');

		if (!file || sscanf(line, "%llx-%*x %*s %llx", &lo, &off) != 2 || off != 0)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (!strcmp(file, found))
			continue;
		if (cpython_inspect_file(file, t) == 0) {
			snprintf(found, sizeof(found), "%s", file);
			start = lo;
			break;
		}
	}
	fclose(maps);
	if (!found[0]) {
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
