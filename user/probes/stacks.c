/* SPDX-License-Identifier: GPL-2.0-only */
/* The stacks probe, user side: perf events per CPU, the ring buffer consumer (a thread that
 * unwinds, symbolizes and folds every sample as it arrives, while the process is still there to
 * be read), and the report. */
#include <errno.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <libgen.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "inspect/cpython.h"
#include "inspect/ehtable.h"
#include "inspect/elffile.h"
#include "output/flamegraph.h"
#include "lib/log.h"
#include "output/document.h"
#include "output/folded.h"
#include "bpf/stacks.h"
#include "probes/stacks.h"
#include "stacks.skel.h"
#include "lib/strmap.h"
#include "inspect/unwind.h"
#include "lib/util.h"

#define MAX_NATIVE 256
#define LINE_MAX_LEN 32768
#define TOP_N 15

struct stk_proc {
	int pid;
	bool settled;     /* walked, or known not to be */
	int minor;
	char version[32];
	char reason[160]; /* why Python frames are not walked; empty when they are */
	char comm[16];
	const struct frames_layout *fl;
	uint64_t code_type;  /* &PyCode_Type: a frame's code object is checked against it */
	int tries;
	char exe[256];    /* /proc/PID/exe when first seen: a change means it exec'd */
	/* --unwind kernel: its mappings are in eh_procs; eh_rescan: a sample fell back for want of
	 * a table (a library loaded since): read its maps again (at most once a second) */
	bool eh_loaded, eh_rescan;
	double eh_scanned, eh_interval; /* the last read, s; the least time to the next (50 ms, doubling to 1 s) */
	uint64_t seen_poll;             /* the last stacks__poll that listed it among the targets */
};

/* --unwind kernel: one executable file's rows in eh_rows (by build-id, else device:inode). */
struct ehmod {
	int err;               /* 0, or why it has no table (-errno of ehtable_build_*) */
	uint32_t first, count; /* its rows in eh_rows */
	uint32_t page_first, npages, page_base; /* its page index in eh_pages (struct eh_map) */
	struct { uint64_t off, vaddr, filesz; } load[8]; /* its PT_LOAD segments, for the bias */
	int nload;
};

struct stacks {
	struct session *sess;
	struct stacks_bpf *skel;
	struct stacks_opts o;
	struct bpf_link *links[512];
	int nlinks;
	int malloc_pids[64], nmalloc;   /* processes whose malloc has the sampling uprobe */
	int malloc_failed;              /* processes it could not be attached to */
	char malloc_err[256];           /* the last failure's reason */
	struct ring_buffer *rb;
	pthread_t th;
	bool th_started;
	volatile int stop;
	pthread_mutex_t lock;
	pthread_mutex_t eh_lock; /* --unwind kernel: the tables (eh_load_proc: poll and consumer) */
	struct unwinder *uw;
	struct ksyms *ks;
	struct folded cpu, gil;
	/* the same weights keyed "TID\tTHREAD\tREQUEST\t" + the folded line: the labels the exports
	 * carry (the folded files keep none) */
	struct folded lcpu, lgil;
	struct strmap mods;    /* native module's base name -> ptr: its path (the first one seen) */
	const char *(*ep_name)(void *ctx, uint64_t request); /* a request's endpoint, or NULL */
	void *ep_ctx;
	uint64_t cat[CAT_MAX];
	struct strmap procs;   /* "pid" -> struct stk_proc */
	struct strmap codes;   /* "pid:addr" -> ptr: "name (file:line)" */
	/* GIL waits: "cookie" -> ptr: the folded stack; or, when the wait's end came first (the two
	 * ring buffers are read in turn), val: NOSTACK_EARLY | its weight, ptr: the "[no stack]" line
	 * it falls back to */
	struct strmap pending;
	struct strmap libs;    /* native library -> CPU samples whose leaf-most native frame is in it */
	uint64_t samples, frames, py_samples, py_truncated, no_user, no_stack;
	uint64_t unwind[UNWIND_RESULT_MAX]; /* CPU samples with user registers, by how their unwind ended */
	int last_unwind;                    /* of the sample just folded; -1: no user registers */
	uint64_t py_dropped_frames, py_root_lost; /* of the truncated samples */
	unsigned py_max_depth;                    /* the deepest truncated sample's Python frames */
	uint64_t gil_stacks, gil_weighted, gil_wait_ns, gil_nostack_ns;
	double own_cpu_ms;
	char line[LINE_MAX_LEN];
	char lab[LINE_MAX_LEN + 128]; /* the sample's labelled line (lcpu, lgil) */
	char leaf_lib[256];    /* of the sample just folded: its leaf-most native library, or "" */
	/* --unwind kernel */
	struct strmap eh_files; /* "dev:inode" -> ptr: struct ehmod (shared with eh_ids) */
	struct strmap eh_ids;   /* build-id -> ptr: struct ehmod */
	uint32_t eh_used;       /* rows of eh_rows in use */
	uint32_t eh_pages_used; /* entries of eh_pages in use */
	uint64_t eh_rows_built, eh_mods, eh_mod_failed, eh_proc_loads, eh_cached;
	uint64_t polls;         /* stacks__poll calls: a process's eh_procs entry goes when unseen for 10 */
	double eh_build_ms;     /* CPU spent building and loading tables */
	uint64_t kernel_samples; /* CPU samples whose native frames came unwound from BPF */
};

/* ---- Python frames ---- */

static bool read_pystr(int pid, const struct frames_layout *fl, uint64_t obj, char *out, size_t len)
{
	uint8_t hdr[48];
	uint64_t n, data;
	uint32_t state;

	if (!obj || cpython_read_mem(pid, obj, hdr, sizeof(hdr)))
		return false;
	memcpy(&n, hdr + 16, 8);
	memcpy(&state, hdr + 32, 4);
	if (!(state & (1u << 5))) /* not compact */
		return false;
	if (state & (1u << 6)) { /* ASCII: the characters follow the header */
		data = obj + fl->ascii_size;
	} else { /* the UTF-8 copy, when the interpreter has made one */
		if (cpython_read_mem(pid, obj + fl->ascii_size + 8, &data, 8) || !data)
			return false;
		if (cpython_read_mem(pid, obj + fl->ascii_size, &n, 8))
			return false;
	}
	if (n >= len)
		n = len - 1;
	if (cpython_read_mem(pid, data, out, n))
		return false;
	out[n] = '\0';
	/* printable text only: anything else is not a name (a stale object, or a bad read) */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 32 || (unsigned char)out[i] == 127)
			return false;
	return true;
}

/* A resolved code object: its name, and the two pointers that identify it (an address is reused
 * once a code object is freed: a cached name is used only while they still match). */
struct code_name {
	uint64_t tag;
	char text[];
};

/* The name of the code object at code, as "name (file:first line)". tag: its co_filename and
 * co_name pointers, mixed, read by BPF at the sample: a cached name is reused while it matches
 * (a freed code object's address is reused), else read again through the process's memory. */
static const char *py_frame_name(struct stacks *st, struct stk_proc *p, uint64_t code, uint64_t tag)
{
	char key[48], name[256], file[512], buf[900];
	struct strmap_entry *e;
	uint64_t ptrs[2] = {}, name_ptr, file_ptr, type = 0, lo;
	struct code_name *cn;
	int line = 0;

	if (!p->fl)
		return "[unknown]";
	snprintf(key, sizeof(key), "%d:%llx", p->pid, (unsigned long long)code);
	e = strmap_get(&st->codes, key);
	if (!e)
		return "[unknown]";
	cn = e->ptr;
	if (cn && cn->tag == tag)
		return cn->text;
	lo = p->fl->co_filename < p->fl->co_name ? p->fl->co_filename : p->fl->co_name;
	if (cpython_read_mem(p->pid, code + lo, ptrs, sizeof(ptrs)))
		return "[unknown]";
	if ((ptrs[0] ^ (ptrs[1] * 0x9E3779B97F4A7C15ull)) != tag)
		return "[unknown]"; /* not the object the sample saw any more */
	file_ptr = ptrs[p->fl->co_filename == (long)lo ? 0 : 1];
	name_ptr = ptrs[p->fl->co_name == (long)lo ? 0 : 1];
	/* Still a code object? */
	if (p->code_type && (cpython_read_mem(p->pid, code + 8, &type, 8) || type != p->code_type))
		return "[unknown]";
	if (cpython_read_mem(p->pid, code + p->fl->co_firstlineno, &line, 4) ||
	    !read_pystr(p->pid, p->fl, name_ptr, name, sizeof(name)))
		return "[unknown]"; /* not cached: the process may be gone, or the object half-made */
	if (!read_pystr(p->pid, p->fl, file_ptr, file, sizeof(file)))
		snprintf(file, sizeof(file), "?");
	snprintf(buf, sizeof(buf), "%s (%s:%d)", name, basename(file), line);
	free(e->ptr);
	e->ptr = cn = malloc(sizeof(*cn) + strlen(buf) + 1);
	if (!cn)
		return "[unknown]";
	cn->tag = tag;
	strcpy(cn->text, buf);
	return cn->text;
}

static struct stk_proc *proc_of(struct stacks *st, int pid)
{
	char key[16];
	struct strmap_entry *e;

	snprintf(key, sizeof(key), "%d", pid);
	e = strmap_get(&st->procs, key);
	if (e && !e->ptr) {
		struct stk_proc *p = calloc(1, sizeof(*p));
		char path[64], *comm = NULL;

		if (!p)
			return NULL;
		p->pid = pid;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (!read_file(path, &comm, NULL)) {
			comm[strcspn(comm, "\n")] = '\0';
			snprintf(p->comm, sizeof(p->comm), "%s", comm);
		}
		free(comm);
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		if (readlink(path, p->exe, sizeof(p->exe) - 1) < 0)
			p->exe[0] = '\0';
		snprintf(p->reason, sizeof(p->reason), "not inspected yet");
		e->ptr = p;
	}
	return e ? e->ptr : NULL;
}

/* Find the process's Python thread list, once its interpreter has one. */
static void settle(struct stacks *st, struct stk_proc *p)
{
	struct cpython_target t;
	struct py_layout l = {};
	uint64_t head;
	int err;

	if (p->settled)
		return;
	if (cpython_inspect("/proc", p->pid, &t) || !t.minor) {
		/* the loader may not have mapped libpython yet: look again for a second */
		if (++p->tries >= 10) {
			p->settled = true;
			snprintf(p->reason, sizeof(p->reason), "not a CPython process: native frames only");
		}
		return;
	}
	p->minor = t.minor;
	p->code_type = t.code_type_addr;
	snprintf(p->version, sizeof(p->version), "%s", t.version);
	p->fl = cpython_frames_layout(t.minor);
	if (!p->fl) {
		p->settled = true;
		snprintf(p->reason, sizeof(p->reason), "CPython %s has no frame layout in bindprof (3.8 to 3.13): native frames only",
			 t.version);
		return;
	}
	if (!t.runtime_addr) {
		p->settled = true;
		snprintf(p->reason, sizeof(p->reason), "_PyRuntime not found in CPython %s: native frames only", t.version);
		return;
	}
	err = cpython_thread_list(&t, &head);
	if (err == -EAGAIN) {
		snprintf(p->reason, sizeof(p->reason), "the interpreter was not initialized yet");
		return; /* again at the next tick */
	}
	if (err) {
		p->settled = true;
		snprintf(p->reason, sizeof(p->reason), "cannot read the thread list of CPython %s (%s): native frames only",
			 t.version, strerror(-err));
		return;
	}
	l.tstate_head_addr = head;
	l.ts_next = p->fl->ts_next;
	l.ts_thread_id = p->fl->ts_thread_id;
	l.ts_frame = p->fl->ts_frame;
	l.cframe_current = p->fl->cframe_current;
	l.fr_code = p->fl->fr_code;
	l.fr_back = p->fl->fr_back;
	l.fr_is_entry = p->fl->fr_is_entry;
	l.fr_owner = p->fl->fr_owner;
	l.co_ptrs = p->fl->co_filename < p->fl->co_name ? p->fl->co_filename : p->fl->co_name;
	l.minor = t.minor;
	if (bpf_map__update_elem(st->skel->maps.py_layouts, &p->pid, sizeof(int), &l, sizeof(l), BPF_ANY)) {
		snprintf(p->reason, sizeof(p->reason), "the py_layouts map is full: native frames only");
	} else {
		p->reason[0] = '\0';
	}
	p->settled = true;
}

/* ---- --unwind kernel: unwind tables per file, mappings per process ---- */

/* The executable's vdso image (the kernel maps the same one into every process): its ELF. */
static Elf *vdso_elf(void)
{
	const unsigned char *img = (const void *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const void *)img;
	size_t size;

	if (!img || memcmp(img, ELFMAG, SELFMAG))
		return NULL;
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize; /* the section headers come last */
	if (size < sizeof(*eh) || size > (1 << 20))
		return NULL;
	elf_version(EV_CURRENT);
	return elf_memory((char *)img, size);
}

/* Write n elements of size sz at index first of an mmapable BPF array: through a shared mapping
 * of just those pages (unmapped after: they do not stay in bindprof's RSS), else by batch update.
 * 0 or -errno. */
static int eh_write(struct bpf_map *map, uint32_t first, const void *data, size_t n, size_t sz)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t off = (uint64_t)first * sz, start = off & ~(uint64_t)(pg - 1), len = off + n * sz - start;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), start);

	if (p != MAP_FAILED) {
		memcpy((char *)p + (off - start), data, n * sz);
		munmap(p, len);
		return 0;
	}
	{
		uint32_t *keys = malloc(n * sizeof(*keys));
		__u32 cnt = n;
		int err;

		if (!keys)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			keys[i] = first + i;
		err = bpf_map_update_batch(bpf_map__fd(map), keys, data, &cnt, NULL) ? -errno : 0;
		free(keys);
		return err;
	}
}

/* The page index of a file's rows (struct eh_map), into eh_pages; none when it is full. */
static void eh_page_index(struct stacks *st, struct ehmod *m, const struct ehtable *t)
{
	uint32_t base = t->rows[0].pc >> EH_PAGE_SHIFT, np = (t->rows[t->n - 1].pc >> EH_PAGE_SHIFT) - base + 2;
	uint64_t *idx;
	uint32_t j = 0;

	if (np > EH_MAX_PAGES - st->eh_pages_used)
		return;
	idx = malloc(np * sizeof(*idx));
	for (uint32_t i = 0; idx && i < np; i++) {
		uint64_t at = (uint64_t)(base + i) << EH_PAGE_SHIFT;

		while (j + 1 < t->n && t->rows[j + 1].pc <= at)
			j++;
		idx[i] = j;
	}
	if (idx && !eh_write(st->skel->maps.eh_pages, st->eh_pages_used, idx, np, sizeof(*idx))) {
		m->page_first = st->eh_pages_used;
		m->npages = np;
		m->page_base = base;
		st->eh_pages_used += np;
	}
	free(idx);
}

/* The table of one file (build it and load its rows into eh_rows the first time), or NULL when
 * it has none. path: where to open it; key: "dev:inode" or "[vdso]". cached_only: never build
 * (the ring consumer's call: a build takes up to hundreds of ms; the poll thread's builds it). */
static struct ehmod *ehmod_get(struct stacks *st, const char *path, const char *key, bool cached_only)
{
	struct strmap_entry *fe = strmap_get(&st->eh_files, key), *ie = NULL;
	struct ehmod *m;
	struct ehtable t = { 0 };
	struct elf_file *ef = NULL;
	Elf *elf;
	char id[130];
	double t0 = thread_cpu_ns();

	if (!fe)
		return NULL;
	if (fe->ptr)
		return ((struct ehmod *)fe->ptr)->err ? NULL : fe->ptr;
	if (!strcmp(key, "[vdso]")) {
		elf = vdso_elf();
		snprintf(id, sizeof(id), "[vdso]");
	} else {
		ef = elf_file__open(path);
		elf = ef ? elf_file__elf(ef) : NULL;
		if (!ef || elf_file__build_id(ef, id, sizeof(id)))
			id[0] = '\0';
	}
	if (id[0] && (ie = strmap_get(&st->eh_ids, id)) && ie->ptr) {
		fe->ptr = ie->ptr; /* the same file under another path or inode */
		elf_file__close(ef);
		return ((struct ehmod *)fe->ptr)->err ? NULL : fe->ptr;
	}
	if (cached_only && strcmp(id, "[vdso]") && (!id[0] || !ehtable_cached(id))) {
		if (ef)
			elf_file__close(ef);
		else if (elf)
			elf_end(elf);
		return NULL; /* left for the poll thread */
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		elf_file__close(ef);
		return NULL;
	}
	fe->ptr = m;
	if (ie)
		ie->ptr = m;
	/* built once per build-id, kept on disk for the next runs */
	if (elf && id[0] && strcmp(id, "[vdso]") && !ehtable_cache_load(id, &t)) {
		m->err = 0;
		st->eh_cached++;
	} else {
		m->err = elf ? ehtable_build_elf(elf, &t) : -ENOEXEC;
		if (!m->err && id[0] && strcmp(id, "[vdso]") && ehtable_cache_save(id, &t))
			log_debug("caching the unwind table of %s failed", path);
	}
	if (!m->err) {
		size_t nph;

		if (!elf_getphdrnum(elf, &nph))
			for (size_t i = 0; i < nph && m->nload < (int)ARRAY_SIZE(m->load); i++) {
				GElf_Phdr ph;

				if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
					m->load[m->nload].off = ph.p_offset;
					m->load[m->nload].vaddr = ph.p_vaddr;
					m->load[m->nload++].filesz = ph.p_filesz;
				}
			}
		if (t.n > EH_MAX_ROWS - st->eh_used) {
			m->err = -ENOSPC;
		} else {
			m->err = eh_write(st->skel->maps.eh_rows, st->eh_used, t.rows, t.n, sizeof(*t.rows));
			if (!m->err) {
				m->first = st->eh_used;
				m->count = t.n;
				st->eh_used += t.n;
				st->eh_rows_built += t.n;
				st->eh_mods++;
				eh_page_index(st, m, &t);
			}
		}
	}
	if (m->err) {
		st->eh_mod_failed++;
		log_debug("no unwind table for %s: %s", path, strerror(-m->err));
	}
	ehtable_free(&t);
	if (ef)
		elf_file__close(ef);
	else if (elf)
		elf_end(elf);
	st->eh_build_ms += (thread_cpu_ns() - t0) / 1e6;
	return m->err ? NULL : m;
}

static int by_start(const void *a, const void *b)
{
	const struct eh_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Read the process's executable mappings and give BPF their tables (eh_procs). */
static void eh_load_proc(struct stacks *st, struct stk_proc *p, bool cached_only)
{
	char path[64], line[1024];
	struct eh_proc *pr = calloc(1, sizeof(*pr));
	FILE *f;

	p->eh_scanned = (now_ns() / 1e9);
	p->eh_rescan = false;
	/* a starting process maps its libraries in its first moments: read again soon, then less often */
	p->eh_interval = p->eh_interval ? (p->eh_interval * 2 < 1.0 ? p->eh_interval * 2 : 1.0) : 0.05;
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	if (!pr)
		return;
	if (!(f = fopen(path, "re"))) {
		bpf_map__delete_elem(st->skel->maps.eh_procs, &p->pid, sizeof(int), 0);
		p->eh_loaded = true; /* gone */
		free(pr);
		return;
	}
	while (fgets(line, sizeof(line), f) && pr->n < EH_MAX_MAPS) {
		unsigned long long start, end, pgoff, ino;
		char perm[8], dev[16], file[256] = "", key[64], mf[96];
		struct ehmod *m;
		uint64_t bias;

		if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %255s", &start, &end, perm, &pgoff, dev, &ino, file) < 6 ||
		    perm[2] != 'x')
			continue;
		if (!strcmp(file, "[vdso]")) {
			snprintf(key, sizeof(key), "[vdso]");
		} else if (file[0] == '/' && ino) {
			snprintf(key, sizeof(key), "%s:%llu", dev, ino);
		} else {
			continue; /* anonymous (JIT) or a special mapping: the fallback's */
		}
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", p->pid, start, end);
		if (!(m = ehmod_get(st, mf, key, cached_only)))
			continue;
		bias = start - pgoff;
		for (int i = 0; i < m->nload; i++)
			if ((m->load[i].off & ~0xfffull) <= pgoff && pgoff < m->load[i].off + m->load[i].filesz) {
				bias = start - pgoff + m->load[i].off - m->load[i].vaddr;
				break;
			}
		pr->m[pr->n++] = (struct eh_map){ .start = start, .end = end, .bias = bias, .first = m->first,
						  .count = m->count, .page_first = m->page_first, .npages = m->npages,
						  .page_base = m->page_base };
	}
	fclose(f);
	qsort(pr->m, pr->n, sizeof(pr->m[0]), by_start);
	pr->gen = ++st->eh_proc_loads;
	if (bpf_map__update_elem(st->skel->maps.eh_procs, &p->pid, sizeof(int), pr, sizeof(*pr), BPF_ANY))
		log_debug("eh_procs: pid %d: %s", p->pid, strerror(errno));
	p->eh_loaded = true;
	free(pr);
}

/* --malloc-sample: the uprobe on process pid's libc malloc (the libc its maps name, through
 * /proc/PID/root), once per process. */
static void malloc_attach(struct stacks *st, int pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = "malloc");
	char path[64], lib[4096] = "", full[4200], *maps = NULL, *line, *save = NULL;
	struct bpf_link *l;

	for (int i = 0; i < st->nmalloc; i++)
		if (st->malloc_pids[i] == pid)
			return;
	if (st->nmalloc == (int)ARRAY_SIZE(st->malloc_pids) || st->nlinks == (int)ARRAY_SIZE(st->links))
		return;
	st->malloc_pids[st->nmalloc++] = pid; /* tried once, whatever the outcome */
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (read_file(path, &maps, NULL))
		goto fail;
	for (line = strtok_r(maps, "\n", &save); line && !lib[0]; line = strtok_r(NULL, "\n", &save)) {
		const char *f = strchr(line, '/'), *b = f ? strrchr(f, '/') + 1 : NULL;

		if (b && (!strncmp(b, "libc.so", 7) || !strncmp(b, "libc-", 5)))
			snprintf(lib, sizeof(lib), "%s", f);
	}
	free(maps);
	if (!lib[0]) {
		snprintf(st->malloc_err, sizeof(st->malloc_err), "process %d maps no libc (a static binary?)", pid);
		st->malloc_failed++;
		return;
	}
	snprintf(full, sizeof(full), "/proc/%d/root%s", pid, lib);
	l = bpf_program__attach_uprobe_opts(st->skel->progs.sample_malloc, pid, full, 0, &uo);
	if (!l) {
		snprintf(st->malloc_err, sizeof(st->malloc_err), "uprobe on malloc in %.160s of process %d: %s", lib, pid,
			 strerror(errno));
		st->malloc_failed++;
		return;
	}
	st->links[st->nlinks++] = l;
	log_debug("stacks: sampling 1 malloc call in %lu of process %d (%s)", st->o.malloc_every, pid, lib);
	return;
fail:
	snprintf(st->malloc_err, sizeof(st->malloc_err), "process %d: its maps are unreadable", pid);
	st->malloc_failed++;
}

void stacks__poll(struct stacks *st, const int *pids, int n)
{
	if (!st)
		return;
	st->polls++;
	if (st->o.kernel_unwind && st->polls % 10 == 0) {
		/* processes gone from the targets (exited) for 10 polls: their mappings leave eh_procs
		 * (1,024 entries), and come back if they are seen again */
		pthread_mutex_lock(&st->lock);
		pthread_mutex_lock(&st->eh_lock);
		for (size_t i = 0; i < st->procs.cap; i++) {
			struct stk_proc *q = st->procs.e[i].ptr;

			if (st->procs.e[i].key && q && q->eh_loaded && q->seen_poll + 10 < st->polls) {
				bpf_map__delete_elem(st->skel->maps.eh_procs, &q->pid, sizeof(int), 0);
				q->eh_loaded = false;
				q->eh_interval = 0;
			}
		}
		pthread_mutex_unlock(&st->eh_lock);
		pthread_mutex_unlock(&st->lock);
	}
	for (int i = 0; i < n && st->o.malloc_every && st->nlinks >= 0; i++)
		malloc_attach(st, pids[i]);
	for (int i = 0; i < n; i++) {
		struct stk_proc *p;

		pthread_mutex_lock(&st->lock);
		p = proc_of(st, pids[i]);
		if (p)
			p->seen_poll = st->polls;
		if (p) {
			char path[64], exe[256] = "", *comm = NULL;

			/* its name now (a first sample may have caught it in the middle of its exec) */
			snprintf(path, sizeof(path), "/proc/%d/comm", p->pid);
			if (!read_file(path, &comm, NULL)) {
				comm[strcspn(comm, "\n")] = '\0';
				snprintf(p->comm, sizeof(p->comm), "%s", comm);
			}
			free(comm);
			/* It exec'd since it was first seen: forget what was learnt of its old image. */
			snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
			if (readlink(path, exe, sizeof(exe) - 1) > 0 && strcmp(exe, p->exe)) {
				snprintf(p->exe, sizeof(p->exe), "%s", exe);
				unwinder_exec(st->uw, p->pid, exe);
				p->eh_loaded = false;
				p->eh_interval = 0;
				p->settled = false;
				p->fl = NULL;
				p->tries = 0;
			}
			unwinder_prepare(st->uw, p->pid);
		}
		pthread_mutex_unlock(&st->lock);
		if (p && !p->settled)
			settle(st, p); /* the consumer reads p->fl only once settled */
		if (p && st->o.kernel_unwind && (!p->eh_loaded || (p->eh_rescan && (now_ns() / 1e9) - p->eh_scanned >= p->eh_interval))) {
			pthread_mutex_lock(&st->eh_lock);
			eh_load_proc(st, p, false);
			pthread_mutex_unlock(&st->eh_lock);
		}
	}
}

/* ---- one sample ---- */

static bool is_interp_module(const char *path)
{
	const char *b;

	if (!path)
		return false;
	b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return !strncmp(b, "python3", 7) || !strncmp(b, "libpython3", 10);
}

/* The C library, the loader and the vdso: the interpreter's helpers when Python calls them. */
static bool is_system_module(const char *path)
{
	static const char *const sys[] = { "libc.so", "libm.so", "ld-linux", "libpthread.so", "libdl.so",
					   "linux-vdso", "[vdso]" };
	const char *b;

	if (!path)
		return false;
	b = strrchr(path, '/');
	b = b ? b + 1 : path;
	for (size_t i = 0; i < ARRAY_SIZE(sys); i++)
		if (!strncmp(b, sys[i], strlen(sys[i])))
			return true;
	return false;
}

static int fold_event(struct stacks *st, const struct stack_event *e)
{
	uint64_t pcs[MAX_NATIVE];
	struct nframe nat[MAX_NATIVE];
	const char *py[MAX_PY_FRAMES + 2], *kern[KSTACK_DEPTH];
	bool entry[MAX_PY_FRAMES + 2];
	struct stk_proc *p = proc_of(st, e->pid);
	struct stack_input in = { 0 };
	int nn = 0, cat;

	st->no_stack += e->regs[16] && !e->user_len && !e->nupc;
	st->last_unwind = -1;
	/* return addresses that another probe's (or bindprof's own) uretprobes replaced */
	unwinder_set_uretprobes(st->uw, e->uret_tramp, (const uint64_t *)e->uret_slot, (const uint64_t *)e->uret_orig,
				e->user_len && e->nuret <= MAX_URETPROBES ? (int)e->nuret : 0);
	if (e->nupc) {
		/* unwound in BPF (--unwind kernel): return addresses, made call sites as the DWARF
		 * unwinder's are (minus one), for all but the leaf */
		nn = e->nupc < MAX_NATIVE ? (int)e->nupc : MAX_NATIVE;
		for (int i = 0; i < nn && i < EH_MAX_FRAMES; i++)
			pcs[i] = i ? e->upc[i] - 1 : e->upc[i];
		st->kernel_samples += e->kind == STACK_CPU;
		st->last_unwind = UNWIND_COMPLETE; /* BPF sends only walks that reached the outermost frame */
	} else if (e->regs[16])
		nn = unwinder_unwind(st->uw, e->pid, e->tid, (const uint64_t *)e->regs, e->stack, e->user_len, pcs,
				     MAX_NATIVE, &st->last_unwind);
	else
		st->no_user++;
	for (int i = 0; i < nn; i++) {
		const char *fn, *mod;

		unwinder_symbolize(st->uw, e->pid, pcs[i], &fn, &mod);
		nat[i].name = fn;
		nat[i].module = !mod ? NULL : !strncmp(mod, "[vdso", 5) ? "vdso" : strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod;
		nat[i].kind = FK_NATIVE;
		if (is_interp_module(mod))
			nat[i].kind = fn && !strncmp(fn, "_PyEval_EvalFrameDefault", 24) ? FK_EVAL : FK_INTERP;
		else if (is_system_module(mod))
			nat[i].kind = FK_SYSTEM;
		if (mod && mod[0] == '/' && nat[i].module && st->mods.n < 512) {
			struct strmap_entry *me = strmap_get(&st->mods, nat[i].module);

			if (me && !me->ptr)
				me->ptr = strdup(mod); /* its build-id is read at the report */
		}
	}
	st->frames += nn;
	st->leaf_lib[0] = '\0';
	for (int i = 0; i < nn; i++)
		if (nat[i].kind == FK_NATIVE && nat[i].module) {
			snprintf(st->leaf_lib, sizeof(st->leaf_lib), "%s", nat[i].module);
			break;
		}
	if (p && p->settled && p->fl && e->py_status != PY_NOT_PYTHON) {
		unsigned nslots = e->npy < MAX_PY_FRAMES ? e->npy : MAX_PY_FRAMES;
		int order[MAX_PY_FRAMES + 1], n;

		/* a deep stack: its leaf-most and root-most frames, "[truncated]" between */
		n = stack_py_order(e->py_depth > nslots ? e->py_depth : nslots, nslots, PY_LEAF_KEEP, order);
		for (int i = 0; i < n; i++) {
			int k = order[i];

			py[i] = k < 0 ? PY_TRUNCATED_FRAME : py_frame_name(st, p, e->py[k], e->py_tag[k]);
			entry[i] = k >= 0 && ((e->py_entry[k >> 6] >> (k & 63)) & 1);
		}
		if (e->py_status == PY_ROOT_LOST && n < MAX_PY_FRAMES + 2) {
			py[n] = PY_TRUNCATED_FRAME; /* the root-most frames are missing */
			entry[n++] = false;
		}
		in.py = py;
		in.py_entry = entry;
		in.npy = n;
		in.py_minor = p->minor;
		st->py_samples += n > 0;
		if (e->py_status == PY_TRUNCATED || e->py_status == PY_ROOT_LOST) {
			st->py_truncated++;
			st->py_dropped_frames += e->py_depth - nslots;
			st->py_root_lost += e->py_status == PY_ROOT_LOST;
			if (e->py_depth > st->py_max_depth)
				st->py_max_depth = e->py_depth;
		}
	}
	for (unsigned i = 0; i < e->nkernel && i < KSTACK_DEPTH; i++)
		kern[i] = ksyms_lookup(st->ks, e->kstack[i]);
	in.process = p && p->comm[0] ? p->comm : (const char *)e->comm;
	in.native = nat;
	in.nnative = nn;
	in.kernel = kern;
	in.nkernel = e->nkernel < KSTACK_DEPTH ? e->nkernel : KSTACK_DEPTH;
	if (st->o.page_faults)
		in.nkernel = 0; /* the fault handler's frames: the same on every sample */
	cat = stack_fold(&in, st->line, sizeof(st->line));
	{
		char thread[TASK_COMM_LEN + 1];

		snprintf(thread, sizeof(thread), "%s", (const char *)e->comm);
		for (char *c = thread; *c; c++)
			if ((unsigned char)*c < 32)
				*c = '_';
		snprintf(st->lab, sizeof(st->lab), "%u\t%s\t%llu\t%s", e->tid, thread,
			 (unsigned long long)e->request_id, st->line);
	}
	return cat;
}

#define NOSTACK_EARLY (1ull << 63)

/* The folded line of a labelled one ("TID\tTHREAD\tREQUEST\t" + line). */
static const char *unlabel(const char *lab)
{
	for (int k = 0; k < 3 && lab; k++)
		if ((lab = strchr(lab, '\t')))
			lab++;
	return lab ? lab : "";
}

/* One GIL-wait stack's weight, ns (folded in microseconds: folded counts are integers); line is
 * the labelled one. */
static void gil_weigh(struct stacks *st, const char *line, uint64_t ns)
{
	folded_add(&st->gil, unlabel(line), (ns + 500) / 1000);
	folded_add(&st->lgil, line, (ns + 500) / 1000);
	st->gil_weighted++;
	st->gil_wait_ns += ns;
}

/* The (labelled) line of a process's GIL waits that have no stack: "<comm>;[no stack]". */
static char *nostack_line(struct stacks *st, uint32_t pid, uint32_t tid)
{
	char key[16], *line = NULL;
	struct strmap_entry *pe;
	const struct stk_proc *p;

	snprintf(key, sizeof(key), "%u", pid);
	pe = strmap_find(&st->procs, key);
	p = pe ? pe->ptr : NULL;
	if (p && p->comm[0]) {
		if (asprintf(&line, "%u\t\t0\t%s;[no stack]", tid, p->comm) < 0)
			line = NULL;
	} else if (asprintf(&line, "%u\t\t0\tpid %u;[no stack]", tid, pid) < 0) {
		line = NULL;
	}
	return line;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct stacks *st = ctx;
	const struct stack_event *e = data;
	int cat;

	/* an event unwound in BPF comes without its stack copy */
	if (size < offsetof(struct stack_event, stack) || (!e->nupc && size < sizeof(*e)))
		return 0;
	pthread_mutex_lock(&st->lock);
	if (st->o.kernel_unwind && (e->unwind == EH_FB_NO_PROC || e->unwind == EH_FB_NO_MAPPING)) {
		/* a process or library loaded since its maps were read: read them again */
		struct stk_proc *pp = proc_of(st, e->pid);

		if (pp) {
			pp->eh_rescan = true;
			/* at once when due (the poll tick may come 100 ms later, more on a busy host) */
			if (!pp->eh_loaded || (now_ns() / 1e9) - pp->eh_scanned >= pp->eh_interval) {
				pthread_mutex_lock(&st->eh_lock);
				eh_load_proc(st, pp, true);
				pthread_mutex_unlock(&st->eh_lock);
			}
		}
	}
	cat = fold_event(st, e);
	if (e->kind == STACK_CPU) {
		st->samples++;
		if (st->leaf_lib[0]) {
			struct strmap_entry *le = strmap_get(&st->libs, st->leaf_lib);

			if (le)
				le->val++;
		}
		st->cat[cat]++;
		if (st->last_unwind >= 0 && st->last_unwind < UNWIND_RESULT_MAX)
			st->unwind[st->last_unwind]++;
		folded_add(&st->cpu, st->line, 1);
		folded_add(&st->lcpu, st->lab, 1);
	} else if (e->kind == STACK_GIL_WAIT) {
		char key[24];
		struct strmap_entry *pe;

		snprintf(key, sizeof(key), "%llx", (unsigned long long)e->cookie);
		pe = strmap_get(&st->pending, key);
		if (pe && (pe->val & NOSTACK_EARLY)) {
			/* its wait ended before: weigh it now */
			gil_weigh(st, st->lab, pe->val & ~NOSTACK_EARLY);
			pe->val = 0;
			free(pe->ptr);
			pe->ptr = NULL;
		} else if (pe) {
			free(pe->ptr);
			pe->ptr = strdup(st->lab);
		}
		st->gil_stacks++;
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static int on_gil_done(void *ctx, void *data, size_t size)
{
	struct stacks *st = ctx;
	const struct gil_wait_done *d = data;
	struct strmap_entry *pe;
	char key[24];

	if (size < sizeof(*d))
		return 0;
	snprintf(key, sizeof(key), "%llx", (unsigned long long)d->cookie);
	pthread_mutex_lock(&st->lock);
	if (!d->cookie) {
		/* waits of an ended thread that no stack of its own counted */
		char *line = nostack_line(st, d->pid, d->tid);

		if (line) {
			gil_weigh(st, line, d->weight_ns);
			st->gil_nostack_ns += d->weight_ns;
		}
		free(line);
	} else if ((pe = strmap_get(&st->pending, key)) && pe->ptr && !(pe->val & NOSTACK_EARLY)) {
		gil_weigh(st, pe->ptr, d->weight_ns);
		free(pe->ptr);
		pe->ptr = NULL;
	} else if (pe && !pe->ptr) {
		/* the end came before its stack: kept until the stack comes (or to the report) */
		pe->val = NOSTACK_EARLY | d->weight_ns;
		pe->ptr = nostack_line(st, d->pid, d->tid);
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static void *consumer(void *arg)
{
	struct stacks *st = arg;
	double t0 = thread_cpu_ns();

	while (!st->stop) {
		/* --unwind kernel: samples unwound in BPF do not wake this thread (a wakeup costs
		 * more than their unwinding): drain them every 20 ms */
		ring_buffer__poll(st->rb, st->o.kernel_unwind ? 20 : 100);
		if (st->o.kernel_unwind)
			ring_buffer__consume(st->rb);
	}
	ring_buffer__consume(st->rb);
	st->own_cpu_ms = (thread_cpu_ns() - t0) / 1e6;
	return NULL;
}

/* ---- life cycle ---- */

struct stacks *stacks__new(struct session *s, const struct stacks_opts *o)
{
	struct stacks *st = calloc(1, sizeof(*st));
	int ncpu = libbpf_num_possible_cpus(), err, attached = 0;

	if (!st) {
		errno = ENOMEM;
		return NULL;
	}
	st->sess = s;
	st->o = *o;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->eh_lock, NULL);
	folded_init(&st->cpu);
	folded_init(&st->gil);
	folded_init(&st->lcpu);
	folded_init(&st->lgil);
	strmap_init(&st->mods);
	strmap_init(&st->procs);
	strmap_init(&st->codes);
	strmap_init(&st->pending);
	strmap_init(&st->libs);
	st->uw = unwinder_new();
	st->ks = ksyms_load();
	strmap_init(&st->eh_files);
	strmap_init(&st->eh_ids);
	st->skel = stacks_bpf__open();
	if (!st->skel) {
		err = -errno;
		log_err("opening the stacks BPF object: %s", strerror(-err));
		goto fail;
	}
	/* --unwind kernel: the tables' maps at their size (24 MiB of rows); else one entry each */
	st->skel->rodata->kernel_unwind = o->kernel_unwind;
	if (!o->kernel_unwind &&
	    (bpf_map__set_max_entries(st->skel->maps.eh_rows, 1) || bpf_map__set_max_entries(st->skel->maps.eh_procs, 1) ||
	     bpf_map__set_max_entries(st->skel->maps.eh_pages, 1))) {
		err = -errno;
		goto fail;
	}
	/* GIL-wait stacks come from the gil probe's sched_switch program (session_opts.gil_stacks),
	 * through the maps shared here */
	if ((err = session__share_maps(s, st->skel->obj)))
		goto fail;
	st->skel->rodata->malloc_every = o->malloc_every;
	if ((err = stacks_bpf__load(st->skel))) {
		log_err("loading the stacks BPF object: %s", strerror(-err));
		goto fail;
	}
	for (int cpu = 0; cpu < ncpu && cpu < (int)ARRAY_SIZE(st->links) && !o->malloc_every; cpu++) {
		struct perf_event_attr a = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(a),
			.freq = 1,
			.sample_freq = o->freq,
		};

		if (o->page_faults) { /* every page fault of the targets: a sample where it happened */
			a.config = PERF_COUNT_SW_PAGE_FAULTS;
			a.freq = 0;
			a.sample_period = 1;
		}
		int fd = syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *l;

		if (fd < 0)
			continue; /* an offline CPU */
		l = bpf_program__attach_perf_event(st->skel->progs.sample_cpu, fd);
		if (!l) {
			err = -errno;
			close(fd);
			log_err("attaching the stack sampler to CPU %d: %s", cpu, strerror(-err));
			goto fail;
		}
		st->links[st->nlinks++] = l;
		attached++;
	}
	if (o->malloc_every) { /* the targets now (before the load starts); later ones as they are polled */
		int pids[64], n = session__targets(s, pids, (int)ARRAY_SIZE(pids));

		for (int i = 0; i < n; i++)
			malloc_attach(st, pids[i]);
	}
	if (!attached && !o->malloc_every) {
		err = -ENODEV;
		log_err("perf_event_open(cpu-clock) failed on every CPU: %s", strerror(errno));
		goto fail;
	}
	st->rb = ring_buffer__new(bpf_map__fd(st->skel->maps.stack_events), on_event, st, NULL);
	if (!st->rb || ring_buffer__add(st->rb, bpf_map__fd(st->skel->maps.gil_done_events), on_gil_done, st)) {
		err = -errno;
		log_err("creating the stack ring buffer: %s", strerror(-err));
		goto fail;
	}
	if ((err = -pthread_create(&st->th, NULL, consumer, st)))
		goto fail;
	st->th_started = true;
	log_debug("attached stacks: perf_event cpu-clock at %d Hz on %d CPUs%s", o->freq, attached,
		  o->gil_wait ? ", GIL-wait stacks from the gil probe" : "");
	return st;
fail:
	stacks__free(st);
	errno = -err;
	return NULL;
}

void stacks__stop(struct stacks *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	st->nlinks = 0;
	if (st->th_started) {
		st->stop = 1;
		pthread_join(st->th, NULL);
		st->th_started = false;
	}
}

double stacks__bpf_cpu_ms(struct stacks *st)
{
	uint64_t runs;

	if (!st || !st->skel || !session__bpf_stats(st->sess))
		return -1;
	return bpf_object_run_ms(st->skel->obj, BPF_PROG_TYPE_PERF_EVENT, &runs);
}

void stacks__free(struct stacks *st)
{
	if (!st)
		return;
	stacks__stop(st);
	ring_buffer__free(st->rb);
	stacks_bpf__destroy(st->skel);
	for (size_t i = 0; i < st->procs.cap; i++)
		free(st->procs.e[i].ptr);
	for (size_t i = 0; i < st->codes.cap; i++)
		free(st->codes.e[i].ptr);
	for (size_t i = 0; i < st->pending.cap; i++)
		free(st->pending.e[i].ptr);
	strmap_free(&st->procs);
	strmap_free(&st->codes);
	strmap_free(&st->pending);
	strmap_free(&st->libs);
	folded_free(&st->cpu);
	folded_free(&st->gil);
	folded_free(&st->lcpu);
	folded_free(&st->lgil);
	for (size_t i = 0; i < st->mods.cap; i++)
		free(st->mods.e[i].ptr);
	strmap_free(&st->mods);
	for (size_t i = 0; i < st->eh_files.cap; i++) {
		struct ehmod *m = st->eh_files.e[i].ptr;

		if (!m)
			continue;
		for (size_t j = i + 1; j < st->eh_files.cap; j++) /* shared by build-id: free once */
			if (st->eh_files.e[j].ptr == m)
				st->eh_files.e[j].ptr = NULL;
		free(m);
	}
	strmap_free(&st->eh_files);
	strmap_free(&st->eh_ids);
	unwinder_free(st->uw);
	ksyms_free(st->ks);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->eh_lock);
	free(st);
}

/* ---- the report ---- */

struct topv {
	const char *frame;
	uint64_t n;
};

static int by_n(const void *a, const void *b)
{
	const struct topv *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->frame, y->frame);
}

/* Self (leaf) and total (anywhere in the stack, once per stack) weight per frame; the process
 * name (the first frame) is not a function and is left out. */
static void top_frames(const struct folded *f, const char *unit, cJSON *self_arr, cJSON *total_arr)
{
	struct strmap self, total;
	char *copy;

	strmap_init(&self);
	strmap_init(&total);
	for (size_t i = 0; i < f->m.cap; i++) {
		const struct strmap_entry *e = &f->m.e[i];
		struct strmap seen;
		char *tok, *save, *last = NULL;
		int k = 0;

		if (!e->key || !(copy = strdup(e->key)))
			continue;
		strmap_init(&seen);
		for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save), k++) {
			struct strmap_entry *t, *s;

			if (!k)
				continue;
			last = tok;
			s = strmap_get(&seen, tok);
			if (s && !s->val) {
				s->val = 1;
				if ((t = strmap_get(&total, tok)))
					t->val += e->val;
			}
		}
		if (last) {
			struct strmap_entry *s = strmap_get(&self, last);

			if (s)
				s->val += e->val;
		}
		strmap_free(&seen);
		free(copy);
	}
	for (int which = 0; which < 2; which++) {
		struct strmap *m = which ? &total : &self;
		struct topv *v = malloc((m->n ? m->n : 1) * sizeof(*v));
		size_t n = 0;

		if (!v)
			continue;
		for (size_t i = 0; i < m->cap; i++)
			if (m->e[i].key)
				v[n++] = (struct topv){ m->e[i].key, m->e[i].val };
		qsort(v, n, sizeof(*v), by_n);
		for (size_t i = 0; i < n && i < TOP_N; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "frame", v[i].frame);
			cJSON_AddNumberToObject(o, unit, v[i].n);
			cJSON_AddNumberToObject(o, "percent", f->total ? 100.0 * v[i].n / f->total : 0);
			cJSON_AddItemToArray(which ? total_arr : self_arr, o);
		}
		free(v);
	}
	strmap_free(&self);
	strmap_free(&total);
}

static char *sibling_path(const char *path, const char *insert)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t len = strlen(path) + strlen(insert) + 2;
	char *out = malloc(len);

	if (!out)
		return NULL;
	if (dot && (!slash || dot > slash))
		snprintf(out, len, "%.*s.%s%s", (int)(dot - path), path, insert, dot);
	else
		snprintf(out, len, "%s.%s", path, insert);
	return out;
}

void stacks__set_request_names(struct stacks *st, const char *(*name)(void *ctx, uint64_t request), void *ctx)
{
	if (!st)
		return;
	st->ep_name = name;
	st->ep_ctx = ctx;
}

/* The labelled stacks: "TID\tTHREAD\tREQUEST\tENDPOINT\tSTACK WEIGHT" lines, sorted (REQUEST 0
 * and ENDPOINT "": none). Their weights are the folded file's, split by label. 0 or -errno. */
static int write_labelled(struct stacks *st, const struct folded *lf, const char *path)
{
	struct strmap_entry **v = strmap_sorted(&lf->m);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int e;

	if (!m || (!v && lf->m.n)) {
		if (m)
			fclose(m);
		free(buf);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lf->m.n; i++) {
		const char *k = v[i]->key, *t1 = strchr(k, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		const char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL, *ep = NULL;
		unsigned long long req;

		if (!t3)
			continue;
		req = strtoull(t2 + 1, NULL, 10);
		if (req && st->ep_name)
			ep = st->ep_name(st->ep_ctx, req);
		fprintf(m, "%.*s\t", (int)(t3 - k), k);
		for (const char *c = ep ? ep : ""; *c; c++)
			fputc((unsigned char)*c < 32 ? '_' : *c, m);
		fprintf(m, "\t%s %llu\n", t3 + 1, (unsigned long long)v[i]->val);
	}
	free(v);
	if (fclose(m)) {
		free(buf);
		return -ENOMEM;
	}
	e = write_file_atomic(path, buf, len);
	free(buf);
	return e;
}

/* Name a written file in the document as key: its path, or null with a warning when writing it
 * failed (err: 0 or a negative errno; a NULL path, out of memory, is the empty string). */
static void written_path(cJSON *doc, cJSON *obj, const char *key, const char *path, int err)
{
	if (err) {
		profile_warn(doc, "stacks", "writing %s: %s", path, strerror(-err));
		cJSON_AddNullToObject(obj, key);
	} else {
		cJSON_AddStringToObject(obj, key, path ? path : "");
	}
}

/* stacks.mappings: every native module a sample went through, with its path and GNU build-id. */
static void report_mappings(struct stacks *st, cJSON *s)
{
	cJSON *arr = cJSON_AddArrayToObject(s, "mappings");
	struct strmap_entry **v = strmap_sorted(&st->mods);

	for (size_t i = 0; v && i < st->mods.n; i++) {
		cJSON *o;
		struct elf_file *ef;
		char hex[130];
		int e;

		if (!v[i]->ptr)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "module", v[i]->key);
		cJSON_AddStringToObject(o, "path", v[i]->ptr);
		ef = elf_file__open(v[i]->ptr);
		e = ef ? elf_file__build_id(ef, hex, sizeof(hex)) : -ENOEXEC;
		elf_file__close(ef);
		if (e)
			cJSON_AddNullToObject(o, "build_id");
		else
			cJSON_AddStringToObject(o, "build_id", hex);
		cJSON_AddItemToArray(arr, o);
	}
	free(v);
}

void stacks__ffi_sampled(struct stacks *st, cJSON *prof)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	struct strmap_entry **v = strmap_sorted(&st->libs);

	cJSON_AddStringToObject(o, "method", "sampled: each native library's share of the CPU samples (the "
					     "leaf-most frame outside the interpreter, libc and the loader)");
	cJSON_AddNullToObject(o, "calls");
	cJSON_AddStringToObject(o, "calls_reason", "counting calls needs a uprobe pair per function (~11 us per "
						   "call here): name the library with --ffi LIB[:GLOB]");
	arr = cJSON_AddArrayToObject(o, "libraries");
	for (size_t i = 0; v && i < st->libs.n; i++) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "library", v[i]->key);
		cJSON_AddNumberToObject(j, "samples", v[i]->val);
		cJSON_AddNumberToObject(j, "percent", st->samples ? 100.0 * v[i]->val / st->samples : 0);
		cJSON_AddItemToArray(arr, j);
	}
	free(v);
	cJSON_AddNumberToObject(o, "samples", st->samples);
	cJSON_AddItemToObject(prof, "ffi", o);
}

void stacks__report(struct stacks *st, cJSON *doc, cJSON *prof)
{
	cJSON *s = cJSON_CreateObject(), *share, *py, *procs, *walked, *g;
	uint64_t counts[STK_MAX] = {};
	int ncpu = libbpf_num_possible_cpus();
	double bpf_ms = stacks__bpf_cpu_ms(st);
	int e;

	/* What came after the consumer stopped (the gil probe runs until the session detaches):
	 * then the ends of waits whose stack never came go under "[no stack]". */
	if (st->rb && !st->th_started)
		ring_buffer__consume(st->rb);
	for (size_t i = 0; i < st->pending.cap; i++) {
		struct strmap_entry *pe = &st->pending.e[i];

		if (pe->key && (pe->val & NOSTACK_EARLY) && pe->ptr) {
			gil_weigh(st, pe->ptr, pe->val & ~NOSTACK_EARLY);
			st->gil_nostack_ns += pe->val & ~NOSTACK_EARLY;
			pe->val = 0;
		}
	}

	{
		__u64 *v = calloc(ncpu, sizeof(*v));

		for (__u32 k = 0; v && k < STK_MAX; k++)
			if (!bpf_map__lookup_elem(st->skel->maps.stack_counts, &k, sizeof(k), v, ncpu * sizeof(*v), 0))
				for (int c = 0; c < ncpu; c++)
					counts[k] += v[c];
		free(v);
	}
	cJSON_AddStringToObject(s, "method", st->o.malloc_every
		? "a uprobe on each target process's libc malloc: every call counted (malloc_calls), each sampled "
		  "with probability 1/malloc_every (bpf_get_prandom_u32), its stack unwound as the cpu-clock "
		  "samples' are; the leaf frame is malloc, its caller below it"
		: st->o.page_faults
		? "perf_event page-faults (software event, every fault) per CPU, target threads only; user "
		  "stacks unwound as the cpu-clock samples', kernel frames left out"
		: "perf_event cpu-clock per CPU, target threads only; user stacks unwound "
		  "in user space from .eh_frame/DWARF CFI (libdw, frame pointers as a "
		  "fallback) over a copy of the top 16 KiB of the stack; Python frames read "
		  "from the sampled thread's PyThreadState in BPF");
	if (st->o.kernel_unwind)
		cJSON_ReplaceItemInObject(s, "method", cJSON_CreateString(
			"perf_event cpu-clock per CPU, target threads only; user stacks unwound in BPF from "
			"compact tables built from each file's .eh_frame (CFA from rsp or rbp + n, return "
			"address at CFA - 8, rbp unchanged or saved at CFA + n; --unwind kernel), a sample "
			"with any other rule falling back to a copy of the top 16 KiB of the stack unwound "
			"in user space (libdw); Python frames read from the sampled thread's PyThreadState "
			"in BPF"));
	{
		static const char *const reasons[EH_FB_MAX] = {
			[EH_FB_NO_PROC] = "no_table_for_process", [EH_FB_NO_MAPPING] = "no_table_for_mapping",
			[EH_FB_NO_ROW] = "pc_without_fde", [EH_FB_EXPR] = "cfa_expression",
			[EH_FB_REG] = "cfa_other_register", [EH_FB_RA] = "return_address_or_rbp_rule",
			[EH_FB_SIGNAL] = "signal_frame", [EH_FB_READ] = "stack_read_failed",
			[EH_FB_BAD_CFA] = "cfa_not_above_sp", [EH_FB_DEPTH] = "too_deep",
		};
		cJSON *u = cJSON_AddObjectToObject(s, "unwind"), *fb;
		uint64_t nfb = 0;

		cJSON_AddStringToObject(u, "mode", st->o.kernel_unwind ? "kernel" : "dwarf");
		cJSON_AddNumberToObject(u, "kernel_unwound", counts[STK_KERNEL_UNWOUND]);
		fb = cJSON_AddObjectToObject(u, "fallbacks");
		for (int r = 1; r < EH_FB_MAX; r++) {
			cJSON_AddNumberToObject(fb, reasons[r], counts[STK_FB + r]);
			nfb += counts[STK_FB + r];
		}
		cJSON_AddNumberToObject(u, "fallback_samples", nfb);
		cJSON_AddNumberToObject(u, "tables", st->eh_mods);
		cJSON_AddNumberToObject(u, "table_failures", st->eh_mod_failed);
		cJSON_AddNumberToObject(u, "table_rows", st->eh_rows_built);
		cJSON_AddNumberToObject(u, "tables_from_cache", st->eh_cached);
		cJSON_AddNumberToObject(u, "table_build_ms", st->eh_build_ms);
	}
	cJSON_AddStringToObject(s, "event", st->o.malloc_every ? "malloc" : st->o.page_faults ? "page-faults" : "cpu-clock");
	if (st->o.malloc_every) {
		cJSON_AddNumberToObject(s, "malloc_every", st->o.malloc_every);
		cJSON_AddNumberToObject(s, "malloc_calls", counts[STK_MALLOC_CALLS]);
		cJSON_AddNumberToObject(s, "malloc_processes", st->nmalloc - st->malloc_failed);
		if (st->malloc_failed)
			profile_warn(doc, "stacks", "malloc sampling: %d process(es) without the uprobe: %s", st->malloc_failed,
				     st->malloc_err);
	}
	if (st->o.page_faults || st->o.malloc_every)
		cJSON_AddNullToObject(s, "frequency_hz");
	else
		cJSON_AddNumberToObject(s, "frequency_hz", st->o.freq);
	cJSON_AddNumberToObject(s, "samples", st->samples);
	cJSON_AddNumberToObject(s, "lost", counts[STK_LOST]);
	if (st->o.folded) {
		written_path(doc, s, "folded_path", st->o.folded, folded_write(&st->cpu, st->o.folded));
		{
			char *lp = sibling_path(st->o.folded, "labels");

			written_path(doc, s, "labelled_path", lp, lp ? write_labelled(st, &st->lcpu, lp) : 0);
			free(lp);
		}
	} else {
		cJSON_AddNullToObject(s, "folded_path");
	}
	if (st->o.svg) {
		char sub[256];
		struct fg_opts fo = { .title = st->o.malloc_every ? "bindprof: sampled malloc calls"
					       : st->o.page_faults ? "bindprof: page faults (first touch of memory)"
								: "bindprof: on-CPU stacks",
				      .subtitle = sub, .unit = st->o.malloc_every ? "calls" : st->o.page_faults ? "faults" : "samples" };

		flamegraph_subtitle(sub, sizeof(sub), st->cpu.total,
				    st->o.malloc_every ? "sampled calls" : st->o.page_faults ? "faults" : "samples",
				    st->o.page_faults || st->o.malloc_every ? 0 : st->o.freq, 0, 0);
		written_path(doc, s, "svg_path", st->o.svg, flamegraph_write(&st->cpu, &fo, st->o.svg));
	} else {
		cJSON_AddNullToObject(s, "svg_path");
	}
	share = cJSON_AddObjectToObject(s, "share_percent");
	for (int c = 0; c < CAT_MAX; c++)
		cJSON_AddNumberToObject(share, stack_category_name(c), st->samples ? 100.0 * st->cat[c] / st->samples : 0);
	top_frames(&st->cpu, "samples", cJSON_AddArrayToObject(s, "top_self"), cJSON_AddArrayToObject(s, "top_total"));
	report_mappings(st, s);
	cJSON_AddNumberToObject(s, "mean_native_frames", st->samples + st->gil_stacks ?
				(double)st->frames / (st->samples + st->gil_stacks) : 0);
	cJSON_AddNumberToObject(s, "samples_without_user_registers", st->no_user);
	cJSON_AddNumberToObject(s, "samples_without_stack_copy", st->no_stack);
	{
		/* how each CPU sample's native unwind ended: complete, or why it stopped (its frames up
		 * to there are kept, the rest of the stack is missing; a pc in no module is [unknown]) */
		cJSON *uf = cJSON_AddObjectToObject(s, "unwind_failures");
		uint64_t with = 0, failed = 0;
		char worst[64] = "";
		uint64_t wn = 0;

		for (int r = 0; r < UNWIND_RESULT_MAX; r++) {
			with += st->unwind[r];
			if (r == UNWIND_COMPLETE)
				continue;
			failed += st->unwind[r];
			cJSON_AddNumberToObject(uf, unwind_result_name(r), st->unwind[r]);
			if (st->unwind[r] > wn) {
				wn = st->unwind[r];
				snprintf(worst, sizeof(worst), "%s", unwind_result_name(r));
			}
		}
		cJSON_AddNumberToObject(s, "samples_unwound", with);
		cJSON_AddNumberToObject(s, "uretprobe_samples", unwinder_uretprobe_samples(st->uw));
		if (with)
			cJSON_AddNumberToObject(s, "unwound_complete_percent", 100.0 * st->unwind[UNWIND_COMPLETE] / with);
		else
			cJSON_AddNullToObject(s, "unwound_complete_percent");
		if (with && failed * 20 > with)
			profile_warn(doc, "stacks",
				     "%llu of %llu samples' native stacks could not be unwound to their root (%.1f%%; "
				     "most: %s, %llu): their root-most frames are missing (stacks.unwind_failures)",
				     (unsigned long long)failed, (unsigned long long)with, 100.0 * failed / with, worst,
				     (unsigned long long)wn);
	}
	py = cJSON_AddObjectToObject(s, "python");
	walked = cJSON_AddArrayToObject(py, "walked_versions");
	procs = cJSON_AddArrayToObject(py, "processes");
	for (size_t i = 0; i < st->procs.cap; i++) {
		struct stk_proc *p = st->procs.e[i].ptr;
		cJSON *o;
		bool dup = false;
		const cJSON *w;

		if (!st->procs.e[i].key || !p)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "pid", p->pid);
		cJSON_AddStringToObject(o, "name", p->comm);
		if (p->minor)
			cJSON_AddStringToObject(o, "runtime_version", p->version);
		else
			cJSON_AddNullToObject(o, "runtime_version");
		cJSON_AddBoolToObject(o, "python_frames", p->settled && !p->reason[0]);
		if (p->reason[0])
			cJSON_AddStringToObject(o, "reason", p->reason);
		cJSON_AddItemToArray(procs, o);
		cJSON_ArrayForEach(w, walked)
			dup |= !strcmp(w->valuestring, p->version);
		if (p->settled && !p->reason[0] && !dup)
			cJSON_AddItemToArray(walked, cJSON_CreateString(p->version));
	}
	cJSON_AddNumberToObject(py, "samples_with_python_frames", st->py_samples);
	cJSON_AddNumberToObject(py, "truncated", st->py_truncated);
	cJSON_AddNumberToObject(py, "max_frames", MAX_PY_FRAMES);
	cJSON_AddNumberToObject(py, "truncated_root_lost", st->py_root_lost);
	if (st->py_truncated)
		profile_warn(doc, "stacks",
			     "%llu samples had more than %d Python frames (up to %u): their %d leaf-most and %d "
			     "root-most frames are kept and the %llu frames between are replaced by one \"%s\" "
			     "frame",
			     (unsigned long long)st->py_truncated, MAX_PY_FRAMES, st->py_max_depth, PY_LEAF_KEEP,
			     MAX_PY_FRAMES - PY_LEAF_KEEP, (unsigned long long)st->py_dropped_frames,
			     PY_TRUNCATED_FRAME);
	if (st->py_root_lost)
		profile_warn(doc, "stacks",
			     "%llu samples had more than %d frames (the walk's limit): their root-most frames "
			     "are missing, \"%s\" marks where", (unsigned long long)st->py_root_lost,
			     PY_WALK_STEPS, PY_TRUNCATED_FRAME);
	if (st->o.gil_wait) {
		g = cJSON_AddObjectToObject(s, "gil_wait");
		cJSON_AddStringToObject(g, "method", "the gil probe's tp_btf/sched_switch program: the stack of a target "
						     "thread blocking on its GIL, at most one per process per 1/HZ, weighted "
						     "(microseconds) by its wait plus the waits without a stack since the "
						     "thread's last one; a thread's waits that no later stack counted "
						     "(it or the run ended) weigh <process>;[no stack]");
		cJSON_AddNumberToObject(g, "stacks", st->gil_stacks);
		cJSON_AddNumberToObject(g, "weighted", st->gil_weighted);
		cJSON_AddNumberToObject(g, "wait_ms", st->gil_wait_ns / 1e6);
		cJSON_AddNumberToObject(g, "no_stack_ms", st->gil_nostack_ns / 1e6);
		cJSON_AddNumberToObject(g, "lost", counts[STK_GIL_LOST]);
		if (st->o.folded) {
			char *gp = sibling_path(st->o.folded, "gil-wait");

			e = gp ? folded_write(&st->gil, gp) : 0;
			written_path(doc, g, "folded_path", gp, e);
			free(gp);
			gp = sibling_path(st->o.folded, "gil-wait.labels");
			e = gp ? write_labelled(st, &st->lgil, gp) : 0;
			written_path(doc, g, "labelled_path", gp, e);
			free(gp);
		} else {
			cJSON_AddNullToObject(g, "folded_path");
		}
		if (st->o.svg) {
			char *gp = sibling_path(st->o.svg, "gil-wait");

			e = gp ? flamegraph_write_svg(&st->gil, gp, "bindprof: GIL-wait stacks", "us") : 0;
			written_path(doc, g, "svg_path", gp, e);
			free(gp);
		}
		top_frames(&st->gil, "wait_us", cJSON_AddArrayToObject(g, "top_self"), cJSON_AddArrayToObject(g, "top_total"));
	} else {
		cJSON_AddNullToObject(s, "gil_wait");
	}
	if (bpf_ms >= 0)
		cJSON_AddNumberToObject(s, "bpf_cpu_ms", bpf_ms);
	else
		cJSON_AddNullToObject(s, "bpf_cpu_ms");
	cJSON_AddNumberToObject(s, "own_cpu_ms", st->own_cpu_ms);
	if (counts[STK_LOST])
		profile_warn(doc, "stacks", "%llu stack samples were lost (ring buffer full)",
			     (unsigned long long)counts[STK_LOST]);
	cJSON_AddItemToObject(prof, "stacks", s);
}
