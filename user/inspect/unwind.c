/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include "lib/strmap.h"
#include "inspect/unwind.h"
#include "lib/util.h"

#define NREGS 17

/* A module's function symbols sorted by address: libdw's own look-up is a linear scan. */
struct symtab {
	struct sym {
		uint64_t addr, size;
		const char *name; /* interned */
	} *s;
	size_t n;
};

struct unwinder;

struct uw_proc {
	struct unwinder *u;
	int pid;
	Dwfl *dwfl;
	Dwfl_Module *mods[256]; /* modules whose symbol table is built, most used first */
	struct symtab *tabs[256];
	int nmods;
	bool attached;
	uint64_t last_refresh_ns;
	uint64_t maps_hash; /* of /proc/PID/maps at the last report: unchanged, no report again */
	bool last_changed;  /* the last look at the maps found them changed (or was the first) */
	char exe[256];      /* /proc/PID/exe at the last report */
	/* pages of pcs that a look at unchanged maps did not explain, and when (refresh) */
	uint64_t unexplained[16], unexplained_ns[16];
	int next_unexplained;
	/* the sample being unwound */
	int tid;
	const uint64_t *regs;
	const uint8_t *stack;
	size_t len;
	uint64_t *pcs;
	int n, max;
	bool ended;         /* the callback stopped it: max frames, or pc 0 (a frame-pointer chain's end) */
	uint64_t oob_addr;  /* the last read outside the copy (0: none) */
};

struct unwinder {
	struct strmap procs; /* "pid" -> struct uw_proc */
	struct strmap names; /* interned strings */
	int debug;           /* BINDPROF_UNWIND_DEBUG: log incomplete unwinds */
	/* the next sample's pending uretprobes (unwinder_set_uretprobes) */
	uint64_t uret_tramp, uret_slot[32], uret_orig[32];
	int nuret;
	bool uret_used;      /* this sample's unwind restored one */
	uint64_t uret_samples;
};

#define URET_TRAMP_SIZE 4096 /* the [uprobes] page */

void unwinder_set_uretprobes(struct unwinder *u, uint64_t tramp, const uint64_t *slot, const uint64_t *orig, int n)
{
	if (n > (int)ARRAY_SIZE(u->uret_slot))
		n = ARRAY_SIZE(u->uret_slot);
	u->uret_tramp = n > 0 ? tramp : 0;
	u->nuret = n > 0 && tramp ? n : 0;
	for (int i = 0; i < u->nuret; i++) {
		u->uret_slot[i] = slot[i];
		u->uret_orig[i] = orig[i];
	}
}

uint64_t unwinder_uretprobe_samples(const struct unwinder *u)
{
	return u ? u->uret_samples : 0;
}

const char *unwind_result_name(int r)
{
	static const char *const names[UNWIND_RESULT_MAX] = {
		[UNWIND_COMPLETE] = "complete",
		[UNWIND_NO_STACK_COPY] = "no_stack_copy",
		[UNWIND_NO_PROCESS] = "process_gone",
		[UNWIND_NOT_ATTACHED] = "not_attached",
		[UNWIND_LEAF_UNMAPPED] = "leaf_unmapped",
		[UNWIND_RETURN_UNMAPPED] = "return_address_unmapped",
		[UNWIND_STACK_COPY_END] = "stack_copy_end",
		[UNWIND_NO_CFI] = "no_cfi",
	};

	return r >= 0 && r < UNWIND_RESULT_MAX && names[r] ? names[r] : "?";
}

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct uw_proc *p = arg;

	if (*thread_argp)
		return 0;
	*thread_argp = p;
	return p->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	*thread_argp = arg;
	return true;
}

/* Reads inside the copied stack only: the CFI of every frame addresses the stack. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct uw_proc *p = arg;
	uint64_t sp = p->regs[7];

	/* (no addr + 8 here: a garbage CFA near the top of the address space would wrap) */
	if (p->len < 8 || addr < sp || addr - sp > p->len - 8) {
		p->oob_addr = addr ? addr : 1;
		return false;
	}
	memcpy(result, p->stack + (addr - sp), 8);
	/* a return address a pending uretprobe replaced with its trampoline's: the one it replaced */
	if (p->u->nuret && *result >= p->u->uret_tramp && *result < p->u->uret_tramp + URET_TRAMP_SIZE) {
		for (int i = 0; i < p->u->nuret; i++)
			if (p->u->uret_slot[i] == addr) {
				*result = p->u->uret_orig[i];
				p->u->uret_used = true;
				break;
			}
	}
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct uw_proc *p = thread_arg;
	Dwarf_Word r[NREGS];

	for (int i = 0; i < NREGS; i++)
		r[i] = p->regs[i];
	return dwfl_thread_state_registers(thread, 0, NREGS, r);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

struct unwinder *unwinder_new(void)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (u) {
		const char *d = getenv("BINDPROF_UNWIND_DEBUG");

		strmap_init(&u->procs);
		strmap_init(&u->names);
		u->debug = d && *d && strcmp(d, "0");
	}
	return u;
}

static void proc_free(struct uw_proc *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nmods; i++) {
		free(p->tabs[i]->s);
		free(p->tabs[i]);
	}
	if (p->dwfl)
		dwfl_end(p->dwfl);
	free(p);
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->procs.cap; i++)
		if (u->procs.e[i].key)
			proc_free(u->procs.e[i].ptr);
	strmap_free(&u->procs);
	strmap_free(&u->names);
	free(u);
}

void unwinder_forget(struct unwinder *u, int pid)
{
	char key[16];
	struct strmap_entry *e;

	snprintf(key, sizeof(key), "%d", pid);
	e = strmap_find(&u->procs, key);
	if (e && e->ptr) {
		proc_free(e->ptr);
		e->ptr = NULL;
	}
}

void unwinder_exec(struct unwinder *u, int pid, const char *exe)
{
	char key[16];
	struct strmap_entry *e;
	struct uw_proc *p;

	snprintf(key, sizeof(key), "%d", pid);
	e = strmap_find(&u->procs, key);
	p = e ? e->ptr : NULL;
	if (p && strcmp(p->exe, exe))
		unwinder_forget(u, pid);
}

/* The module holding pc, or NULL. libdw's look-up can answer a module whose range does not hold
 * pc (seen: a library mapped after the last report, taken for the one mapped before it, whose
 * `_fini` then named every sample in it), so the range is checked. */
static Dwfl_Module *module_at(struct uw_proc *p, uint64_t pc)
{
	Dwfl_Module *m = dwfl_addrmodule(p->dwfl, pc);
	Dwarf_Addr low, high;

	if (!m || !dwfl_module_info(m, NULL, &low, &high, NULL, NULL, NULL, NULL) || pc < low || pc >= high)
		return NULL;
	return m;
}

/* FNV-1a, 64 bits */
static uint64_t hash_bytes(const char *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)b[i]) * 0x100000001b3ull;
	return h;
}

static int collect_module(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	struct uw_proc *p = arg;

	/* a symbol table whose module is still in the list is kept (marked in its pointer's low bit) */
	for (int i = 0; i < p->nmods; i++)
		if (p->mods[i] == m)
			p->tabs[i] = (struct symtab *)((uintptr_t)p->tabs[i] | 1);
	return DWARF_CB_OK;
}

/* Report the process's modules again from its maps: the whole list (dwfl_report_begin), so that
 * modules no longer mapped (the image before an exec, a dlclose'd library) are dropped and
 * libdw's address look-up table is built again from scratch. dwfl_report_begin_add kept both:
 * its look-up table, split again around each new module, then answered the wrong module or none
 * for some addresses. Unchanged modules (same name and range) keep their ELF and CFI. Nothing is
 * done when the maps cannot be read (the process is gone: what is known stays) or have not
 * changed since the last report. 0, or a positive errno. */
static int report(struct uw_proc *p)
{
	char path[64], *buf = NULL;
	size_t len = 0;
	uint64_t h;
	int err;

	p->last_refresh_ns = now_ns();
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	p->last_changed = false;
	{
		char link[64];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/exe", p->pid);
		n = readlink(link, p->exe, sizeof(p->exe) - 1);
		p->exe[n > 0 ? n : 0] = '\0';
	}
	if (read_file(path, &buf, &len) || !len) {
		free(buf);
		return ESRCH;
	}
	h = hash_bytes(buf, len);
	free(buf);
	p->last_changed = h != p->maps_hash;
	if (!p->last_changed)
		return 0;
	dwfl_report_begin(p->dwfl);
	err = dwfl_linux_proc_report(p->dwfl, p->pid);
	dwfl_report_end(p->dwfl, NULL, NULL);
	if (err) {
		p->last_changed = false;
		return err;
	}
	p->maps_hash = h;
	/* drop the symbol tables of modules that are gone (a later module may reuse the address) */
	dwfl_getmodules(p->dwfl, collect_module, p, 0);
	for (int i = 0; i < p->nmods;) {
		if ((uintptr_t)p->tabs[i] & 1) {
			p->tabs[i] = (struct symtab *)((uintptr_t)p->tabs[i] & ~(uintptr_t)1);
			i++;
			continue;
		}
		free(p->tabs[i]->s);
		free(p->tabs[i]);
		memmove(&p->mods[i], &p->mods[i + 1], (p->nmods - i - 1) * sizeof(p->mods[0]));
		memmove(&p->tabs[i], &p->tabs[i + 1], (p->nmods - i - 1) * sizeof(p->tabs[0]));
		p->nmods--;
	}
	return 0;
}

/* A pc fell outside every known module: look at the maps again, unless a look in the last 20 ms
 * found them unchanged while this pc's page was already unexplained (JIT code, a trampoline in
 * anonymous memory: no look will explain it). A rate limit over all pcs lost the first ~10
 * samples of C programs beside other suites: a look for a sample of the image before the exec
 * (unexplained) then held back the look that would have found libc, mapped just after.
 * Whether the maps changed. */
static bool refresh(struct uw_proc *p, uint64_t pc)
{
	uint64_t page = pc >> 12, now = now_ns();
	int err;

	for (int i = 0; i < (int)ARRAY_SIZE(p->unexplained); i++)
		if (p->unexplained[i] == page && now - p->unexplained_ns[i] < 20000000ull) {
			if (p->u->debug)
				fprintf(stderr, "bindprof unwind: pid %d: maps not read again for %#llx (unexplained %.1f ms ago)\n",
					p->pid, (unsigned long long)pc, (now - p->unexplained_ns[i]) / 1e6);
			return false;
		}
	err = report(p);
	if (p->u->debug)
		fprintf(stderr, "bindprof unwind: pid %d: maps read again for %#llx: %s\n", p->pid, (unsigned long long)pc,
			err ? strerror(err) : p->last_changed ? "changed" : "unchanged");
	if (!err && p->last_changed) {
		memset(p->unexplained, 0, sizeof(p->unexplained));
		return true;
	}
	p->unexplained[p->next_unexplained] = page;
	p->unexplained_ns[p->next_unexplained] = now;
	p->next_unexplained = (p->next_unexplained + 1) % ARRAY_SIZE(p->unexplained);
	return false;
}

static struct uw_proc *proc_get(struct unwinder *u, int pid)
{
	char key[16];
	struct strmap_entry *e;
	struct uw_proc *p;
	uint64_t now = now_ns();

	snprintf(key, sizeof(key), "%d", pid);
	e = strmap_get(&u->procs, key);
	if (!e)
		return NULL;
	p = e->ptr;
	if (p && p->attached)
		return p;
	/* Not attached (first seen in the middle of its exec, with too little mapped): a fresh Dwfl,
	 * at most every 20 ms (libdw's attach state cannot be retried). Never made, or forgotten
	 * (an exec): right away (a 20 ms wait after an exec lost ~10 samples of every C program
	 * beside other suites, those read after it exited; a process gone fails the maps' read). */
	if (p && now - e->val < 20000000ull)
		return p;
	e->val = now;
	proc_free(p);
	e->ptr = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->u = u;
	p->dwfl = dwfl_begin(&proc_callbacks);
	if (!p->dwfl || report(p)) {
		proc_free(p);
		return NULL;
	}
	p->attached = dwfl_attach_state(p->dwfl, NULL, pid, &thread_callbacks, p);
	e->ptr = p;
	return p;
}

void unwinder_prepare(struct unwinder *u, int pid)
{
	proc_get(u, pid);
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct uw_proc *p = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (!pc) { /* the end of a frame-pointer chain */
		p->ended = true;
		return DWARF_CB_ABORT;
	}
	p->pcs[p->n++] = activation ? pc : pc - 1;
	if (p->n < p->max)
		return DWARF_CB_OK;
	p->ended = true;
	return DWARF_CB_ABORT;
}

/* One walk over the copy; how it ended (UNWIND_COMPLETE, _STACK_COPY_END or _NO_CFI). */
static int walk(struct uw_proc *p, const char **why)
{
	int r;

	p->n = 0;
	p->ended = false;
	p->oob_addr = 0;
	r = dwfl_getthread_frames(p->dwfl, p->tid, frame_cb, p);
	*why = NULL;
	if (!r || p->ended) /* 0: the outermost frame's CFI marks no return address */
		return UNWIND_COMPLETE;
	*why = dwfl_errmsg(-1);
	/* a read just above the copy (not a garbage address): the stack goes on past it */
	if (p->oob_addr >= p->regs[7] + p->len && p->oob_addr - p->regs[7] < (64u << 20))
		return UNWIND_STACK_COPY_END;
	return UNWIND_NO_CFI;
}

int unwinder_unwind(struct unwinder *u, int pid, int tid, const uint64_t *regs, const uint8_t *stack,
		    size_t len, uint64_t *pcs, int max, int *result)
{
	struct uw_proc *p = proc_get(u, pid);
	const char *why = NULL;
	int res, dummy;
	uint64_t r2[17];

	if (!result)
		result = &dummy;
	u->uret_used = false;
	/* In the trampoline itself (the probed function has returned to it): it returns to the most
	 * recent pending uretprobe's address, with the stack as it is */
	if (u->nuret && regs[16] >= u->uret_tramp && regs[16] < u->uret_tramp + URET_TRAMP_SIZE) {
		memcpy(r2, regs, sizeof(r2));
		r2[16] = u->uret_orig[0];
		regs = r2;
		u->uret_used = true;
	}
	if (!p || max <= 0) {
		*result = UNWIND_NO_PROCESS;
		if (u->debug)
			fprintf(stderr, "bindprof unwind: pid %d tid %d: %s\n", pid, tid, unwind_result_name(*result));
		return 0;
	}
	/* the leaf's module unknown: a library mapped since the last look */
	if (!module_at(p, regs[16]))
		refresh(p, regs[16]);
	if (!p->attached || !len) {
		pcs[0] = regs[16];
		*result = !p->attached ? UNWIND_NOT_ATTACHED : !module_at(p, regs[16]) ? UNWIND_LEAF_UNMAPPED
									    : UNWIND_NO_STACK_COPY;
		if (u->debug)
			fprintf(stderr, "bindprof unwind: pid %d tid %d: %s pc %#llx\n", pid, tid,
				unwind_result_name(*result), (unsigned long long)regs[16]);
		return 1;
	}
	p->tid = tid;
	p->regs = regs;
	p->stack = stack;
	p->len = len;
	p->pcs = pcs;
	p->max = max;
	res = walk(p, &why);
	/* It stopped at a pc outside every known module: a library mapped since (or the process was
	 * first seen in the middle of its exec). Look at its maps again, and unwind again. */
	if (p->n && !module_at(p, pcs[p->n - 1]) && refresh(p, pcs[p->n - 1]))
		res = walk(p, &why);
	if (!p->n) {
		pcs[p->n++] = regs[16];
		if (res == UNWIND_COMPLETE)
			res = UNWIND_NO_CFI;
	}
	if (!module_at(p, pcs[0]))
		res = UNWIND_LEAF_UNMAPPED;
	else if (res != UNWIND_COMPLETE && !module_at(p, pcs[p->n - 1]))
		res = UNWIND_RETURN_UNMAPPED;
	*result = res;
	u->uret_samples += u->uret_used;
	u->nuret = 0; /* this sample's only */
	if (u->debug && res != UNWIND_COMPLETE) {
		fprintf(stderr, "bindprof unwind: pid %d tid %d: %s (%s), %d frames, len %zu, sp %#llx, oob %#llx:", pid,
			tid, unwind_result_name(res), why ? why : "-", p->n, len, (unsigned long long)regs[7],
			(unsigned long long)p->oob_addr);
		for (int i = 0; i < p->n && i < 12; i++) {
			Dwfl_Module *m = module_at(p, pcs[i]), *lm = dwfl_addrmodule(p->dwfl, pcs[i]);
			const char *mn = m ? dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL) : "?";
			const char *sn = m ? dwfl_module_addrname(m, pcs[i]) : NULL;

			fprintf(stderr, " %#llx[%s:%s%s]", (unsigned long long)pcs[i], mn ? strrchr(mn, '/') ? strrchr(mn, '/') + 1 : mn : "-",
				sn ? sn : "-", lm != m ? " LOOKUP-MISMATCH" : "");
		}
		fputc('\n', stderr);
	}
	return p->n;
}

static const char *intern(struct unwinder *u, const char *s)
{
	struct strmap_entry *e = strmap_get(&u->names, s);

	return e ? e->key : NULL;
}

static int by_sym_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

static const char *intern(struct unwinder *u, const char *s);

static struct symtab *symtab_build(struct unwinder *u, Dwfl_Module *m)
{
	struct symtab *t = calloc(1, sizeof(*t));
	int n = dwfl_module_getsymtab(m);

	if (!t)
		return NULL;
	if (n > 0 && (t->s = malloc(n * sizeof(*t->s)))) {
		for (int i = 1; i < n; i++) {
			GElf_Sym sym;
			GElf_Addr addr;
			const char *name = dwfl_module_getsym_info(m, i, &sym, &addr, NULL, NULL, NULL);
			int type = GELF_ST_TYPE(sym.st_info);
			char buf[512];

			if (!name || !*name || (type != STT_FUNC && type != STT_GNU_IFUNC) || !addr)
				continue;
			/* no symbol version: __libc_start_main@@GLIBC_2.34 */
			snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(name, "@"), name);
			t->s[t->n].addr = addr;
			t->s[t->n].size = sym.st_size;
			t->s[t->n].name = intern(u, buf);
			t->n++;
		}
		qsort(t->s, t->n, sizeof(*t->s), by_sym_addr);
	}
	return t;
}

static const char *symtab_lookup(struct unwinder *u, struct uw_proc *p, Dwfl_Module *m, uint64_t pc)
{
	struct symtab *t = NULL;
	size_t lo = 0, hi;
	int i;

	for (i = 0; i < p->nmods && p->mods[i] != m; i++)
		;
	if (i < p->nmods) {
		t = p->tabs[i];
		if (i) { /* move to the front: a few modules take most samples */
			Dwfl_Module *pm = p->mods[i];

			memmove(&p->mods[1], &p->mods[0], i * sizeof(p->mods[0]));
			memmove(&p->tabs[1], &p->tabs[0], i * sizeof(p->tabs[0]));
			p->mods[0] = pm;
			p->tabs[0] = t;
		}
	} else if (p->nmods < (int)ARRAY_SIZE(p->mods) && (t = symtab_build(u, m))) {
		p->mods[p->nmods] = m;
		p->tabs[p->nmods++] = t;
	}
	if (!t || !t->n || pc < t->s[0].addr)
		return NULL;
	hi = t->n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (t->s[mid].addr <= pc)
			lo = mid;
		else
			hi = mid;
	}
	/* a sized symbol must contain pc; aliases share an address, any of them will do */
	if (t->s[lo].size && pc >= t->s[lo].addr + t->s[lo].size)
		return NULL;
	return t->s[lo].name;
}

void unwinder_symbolize(struct unwinder *u, int pid, uint64_t pc, const char **func, const char **module)
{
	struct uw_proc *p = proc_get(u, pid);
	Dwfl_Module *m;
	const char *name, *file = NULL;

	*func = *module = NULL;
	if (!p)
		return;
	m = module_at(p, pc);
	if (!m && refresh(p, pc))
		m = module_at(p, pc);
	if (!m)
		return;
	name = symtab_lookup(u, p, m, pc);
	if (name)
		*func = name;
	dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	if (!file)
		file = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (file)
		*module = intern(u, file);
}

/* ---- kernel symbols ---- */

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *s;
	size_t n;
};

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

struct ksyms *ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	struct ksyms *k = calloc(1, sizeof(*k));
	size_t cap = 0;
	char line[512];

	if (!f || !k) {
		if (f)
			fclose(f);
		free(k);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (k->n == cap) {
			struct ksym *ns = realloc(k->s, (cap = cap ? cap * 2 : 65536) * sizeof(*ns));

			if (!ns)
				break;
			k->s = ns;
		}
		k->s[k->n].addr = addr;
		k->s[k->n++].name = strdup(name);
	}
	fclose(f);
	qsort(k->s, k->n, sizeof(*k->s), by_addr);
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->s[i].name);
	free(k->s);
	free(k);
}

const char *ksyms_lookup(const struct ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!k || !k->n || addr < k->s[0].addr)
		return NULL;
	hi = k->n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (k->s[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return k->s[lo].name;
}
