/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <capstone/capstone.h>
#include "inspect/elffile.h"
#include "inspect/ffisyms.h"

#define R_X86_64_RELATIVE_ 8

struct reloc {
	uint64_t at, val;
};

static int by_at(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

static int by_vaddr(const void *a, const void *b)
{
	const struct ffi_fn *x = a, *y = b;

	return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

static const struct reloc *reloc_at(const struct reloc *r, size_t n, uint64_t at)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r[mid].at == at)
			return &r[mid];
		if (r[mid].at < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct seg {
	uint64_t vaddr, memsz, offset, filesz;
	bool exec;
};

static int segments(Elf *e, struct seg *s, int max)
{
	size_t n;
	int k = 0;

	if (elf_getphdrnum(e, &n))
		return 0;
	for (size_t i = 0; i < n && k < max; i++) {
		GElf_Phdr p;

		if (!gelf_getphdr(e, i, &p) || p.p_type != PT_LOAD)
			continue;
		s[k++] = (struct seg){ p.p_vaddr, p.p_memsz, p.p_offset, p.p_filesz, !!(p.p_flags & PF_X) };
	}
	return k;
}

static const struct seg *seg_of(const struct seg *s, int n, uint64_t vaddr)
{
	for (int i = 0; i < n; i++)
		if (vaddr >= s[i].vaddr && vaddr < s[i].vaddr + s[i].memsz)
			return &s[i];
	return NULL;
}

/* A C string at vaddr that looks like a Python identifier (dots allowed), copied to buf. */
static bool ident_at(struct elf_file *f, uint64_t vaddr, char *buf, size_t len)
{
	const char *p = elf_file__data_at(f, vaddr, 1);
	size_t i;

	if (!p)
		return false;
	for (i = 0; i + 1 < len; i++) {
		const char *c = elf_file__data_at(f, vaddr + i, 1);

		if (!c)
			return false;
		if (!*c)
			break;
		if (!(*c == '_' || *c == '.' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (i && *c >= '0' && *c <= '9')))
			return false;
		buf[i] = *c;
	}
	buf[i] = '\0';
	return i > 0 && i + 1 < len;
}

const char *ffi_fn_name(const struct ffi_fn *f)
{
	return f->pyname[0] ? f->pyname : f->symbol;
}

#define MAX_NAMES 8

/* A function while the file is read: every name found at its address, best first. */
struct cand {
	struct ffi_fn fn;
	struct {
		char s[128];
		int rank; /* 0 global, 1 weak, 2 local; +4 an older (hidden) symbol version */
	} names[MAX_NAMES];
	int nnames;
};

static int underscores(const char *s)
{
	int n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* The canonical order of a function's names: rank, fewer leading underscores, shorter, then
 * alphabetical. < 0 when a comes first. */
static int name_cmp(const char *a, int ra, const char *b, int rb)
{
	size_t la = strlen(a), lb = strlen(b);

	if (ra != rb)
		return ra - rb;
	if (underscores(a) != underscores(b))
		return underscores(a) - underscores(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static void add_name(struct cand *c, const char *name, int rank)
{
	int i, at;

	for (i = 0; i < c->nnames; i++)
		if (!strcmp(c->names[i].s, name)) {
			if (rank >= c->names[i].rank)
				return;
			/* a better rank for a known name: take it out, put it back in order */
			memmove(&c->names[i], &c->names[i + 1], (c->nnames - i - 1) * sizeof(c->names[0]));
			c->nnames--;
			break;
		}
	for (at = 0; at < c->nnames; at++)
		if (name_cmp(name, rank, c->names[at].s, c->names[at].rank) < 0)
			break;
	if (at == MAX_NAMES)
		return;
	if (c->nnames == MAX_NAMES)
		c->nnames--;
	memmove(&c->names[at + 1], &c->names[at], (c->nnames - at) * sizeof(c->names[0]));
	snprintf(c->names[at].s, sizeof(c->names[at].s), "%s", name);
	c->names[at].rank = rank;
	c->nnames++;
}

/* Whether glob matches name: the name as reported ("name@VERSION" for an older version) or its
 * bare part. */
static bool glob_name(const char *glob, const char *name)
{
	char bare[128];

	if (!fnmatch(glob, name, 0))
		return true;
	snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(name, "@"), name);
	return strcmp(bare, name) && !fnmatch(glob, bare, 0);
}

/* Whether glob selects the function; the name it is reported under goes to c->fn.symbol. */
static bool matches(const char *glob, struct cand *c)
{
	const char *py = c->fn.pyname, *dot = strrchr(py, '.');
	int hit = -1;

	if (!glob) {
		if (!c->fn.exported && !py[0])
			return false;
	} else {
		for (int i = 0; i < c->nnames && hit < 0; i++)
			if (glob_name(glob, c->names[i].s))
				hit = i;
		if (hit < 0 && !(py[0] && (!fnmatch(glob, py, 0) || (dot && !fnmatch(glob, dot + 1, 0)))))
			return false;
	}
	if (hit < 0)
		hit = 0;
	c->fn.symbol[0] = c->fn.aliases[0] = '\0';
	if (c->nnames)
		memcpy(c->fn.symbol, c->names[hit].s, sizeof(c->fn.symbol));
	for (int i = 0; i < c->nnames; i++) {
		size_t n = strlen(c->fn.aliases);

		if (i == hit || n + strlen(c->names[i].s) + 3 >= sizeof(c->fn.aliases))
			continue;
		snprintf(c->fn.aliases + n, sizeof(c->fn.aliases) - n, "%s%s", n ? ", " : "", c->names[i].s);
	}
	return true;
}

/* Add or merge (by address) a function. */
static struct cand *add(struct cand **v, int *n, int *cap, uint64_t vaddr)
{
	for (int i = 0; i < *n; i++)
		if ((*v)[i].fn.vaddr == vaddr)
			return &(*v)[i];
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 256;
		struct cand *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].fn.vaddr = vaddr;
	return &(*v)[(*n)++];
}

/* The version names of a file's definitions (SHT_GNU_verdef), by index; NULL if none. */
static const char *verdef_name(Elf *e, Elf_Scn *vd_scn, unsigned ndx)
{
	GElf_Shdr sh;
	Elf_Data *d;
	size_t off = 0;

	if (!vd_scn || !gelf_getshdr(vd_scn, &sh) || !(d = elf_getdata(vd_scn, NULL)))
		return NULL;
	for (int i = 0; i < 4096; i++) {
		GElf_Verdef vd;
		GElf_Verdaux va;

		if (!gelf_getverdef(d, off, &vd))
			return NULL;
		if (vd.vd_ndx == ndx && gelf_getverdaux(d, off + vd.vd_aux, &va))
			return elf_strptr(e, sh.sh_link, va.vda_name);
		if (!vd.vd_next)
			return NULL;
		off += vd.vd_next;
	}
	return NULL;
}

/* The bytes of the executable section holding vaddr, from vaddr to at most want bytes on, read
 * from the file (pread, through the page cache): not through libelf's mapping of it, where the
 * kernel has put an int3 at every uprobe on the file (a read-only private mapping of a file is a
 * mapping uprobes install into). Returns a malloc'ed buffer (*len bytes) or NULL. */
static uint8_t *code_at(Elf *e, int fd, uint64_t vaddr, size_t want, size_t *len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		uint8_t *buf;
		ssize_t got;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) ||
		    vaddr < sh.sh_addr || vaddr >= sh.sh_addr + sh.sh_size)
			continue;
		*len = sh.sh_addr + sh.sh_size - vaddr;
		if (*len > want)
			*len = want;
		if (!(buf = malloc(*len)))
			return NULL;
		got = pread(fd, buf, *len, (off_t)(sh.sh_offset + (vaddr - sh.sh_addr)));
		if (got <= 0) {
			free(buf);
			return NULL;
		}
		*len = (size_t)got;
		return buf;
	}
	return NULL;
}

/* Whether the x86_64 kernel emulates this instruction at a uprobe (arch/x86/kernel/uprobes.c:
 * push of a register, nop, jmp/call rel, jcc rel) rather than single-stepping it. */
static bool kernel_emulates(const uint8_t *b, size_t n)
{
	if (n >= 1 && ((b[0] >= 0x50 && b[0] <= 0x57) || b[0] == 0x90 || b[0] == 0xe8 || b[0] == 0xe9 || b[0] == 0xeb ||
		       (b[0] >= 0x70 && b[0] <= 0x7f)))
		return true;
	if (n >= 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true;
	if (n >= 2 && b[0] == 0x0f && (b[1] == 0x1f || (b[1] >= 0x80 && b[1] <= 0x8f)))
		return true;
	return false;
}

/* Whether the x86_64 kernel refuses a uprobe on this instruction (arch/x86/kernel/uprobes.c:
 * a lock prefix, or a cs/ds/es/ss segment prefix, makes it fail with ENOTSUPP, 524). */
static bool kernel_refuses(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	for (int i = 0; i < 4; i++)
		if (x->prefix[i] == X86_PREFIX_LOCK || x->prefix[i] == X86_PREFIX_CS || x->prefix[i] == X86_PREFIX_DS ||
		    x->prefix[i] == X86_PREFIX_ES || x->prefix[i] == X86_PREFIX_SS)
			return true;
	return false;
}

static bool is_branch(csh h, const cs_insn *in)
{
	return cs_insn_group(h, in, X86_GRP_JUMP) || cs_insn_group(h, in, X86_GRP_CALL) ||
	       cs_insn_group(h, in, X86_GRP_RET) || cs_insn_group(h, in, X86_GRP_INT) ||
	       cs_insn_group(h, in, X86_GRP_IRET) || in->id == X86_INS_SYSCALL || in->id == X86_INS_UD2 ||
	       in->id == X86_INS_HLT;
}

static bool writes_sp(csh h, const cs_insn *in)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr;

	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr))
		return true; /* unknown: assume it does */
	for (int i = 0; i < nwr; i++)
		if (wr[i] == X86_REG_RSP || wr[i] == X86_REG_ESP || wr[i] == X86_REG_SP)
			return true;
	return false;
}

/* The direct branch targets of code[0..len) that fall in (vaddr, vaddr + upto]: the lowest, or 0. */
static uint64_t first_target_into(csh h, const uint8_t *code, size_t len, uint64_t vaddr, uint64_t upto)
{
	cs_insn *in = cs_malloc(h);
	const uint8_t *p = code;
	size_t left = len;
	uint64_t a = vaddr, low = 0;

	if (!in)
		return vaddr + 1; /* cannot tell: as if the first boundary were a target */
	while (left) {
		if (!cs_disasm_iter(h, &p, &left, &a, in)) {
			p++; /* data or padding: step over a byte */
			left--;
			a++;
			continue;
		}
		if (cs_insn_group(h, in, X86_GRP_JUMP) || cs_insn_group(h, in, X86_GRP_CALL)) {
			const cs_x86 *x = &in->detail->x86;

			if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
				uint64_t t = (uint64_t)x->operands[0].imm;

				if (t > vaddr && t <= vaddr + upto && (!low || t < low))
					low = t;
			}
		}
	}
	cs_free(in, 1);
	return low;
}

static void insn_text(char *buf, size_t len, const cs_insn *in)
{
	int n = snprintf(buf, len, "%.15s", in->mnemonic);

	if (in->op_str[0] && n > 0 && (size_t)n + 1 < len)
		snprintf(buf + n, len - n, " %.*s", (int)(len - n - 2), in->op_str);
}

void ffi_plan_places(struct ffi_fn *fn, const uint8_t *code, size_t len, uint64_t vaddr, uint64_t off)
{
	struct ffi_place steps[8];
	int nsteps = 0, best = -1;
	size_t scan = fn->size ? (fn->size < len ? fn->size : len) : len;
	uint64_t target;
	csh h;
	cs_insn *in = NULL;
	size_t n;

	fn->nplaces = 0;
	fn->entry_insn[0] = fn->place_note[0] = '\0';
	if (!code || !len || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(h, code, len < 96 ? len : 96, vaddr, 8, &in);
	if (n)
		insn_text(fn->entry_insn, sizeof(fn->entry_insn), &in[0]);
	/* the leading instructions a probe may pass: no branch, no write to the stack pointer */
	for (size_t i = 0; i < n && nsteps < (int)(sizeof(steps) / sizeof(steps[0])); i++) {
		struct ffi_place *p = &steps[nsteps++];

		p->delta = (uint32_t)(in[i].address - vaddr);
		p->offset = off + p->delta;
		p->kind = kernel_refuses(&in[i])                      ? FFI_PROBE_REFUSED
			  : kernel_emulates(in[i].bytes, in[i].size) ? FFI_PROBE_EMULATED
								     : FFI_PROBE_STEPPED;
		insn_text(p->insn, sizeof(p->insn), &in[i]);
		if (p->kind == FFI_PROBE_EMULATED && best < 0)
			best = nsteps - 1;
		if (best >= 0 || is_branch(h, &in[i]) || writes_sp(h, &in[i]))
			break;
	}
	/* no branch of the function may land after the entry and at or before a place */
	target = nsteps > 1 ? first_target_into(h, code, scan, vaddr, steps[nsteps - 1].delta) : 0;
	if (target) {
		while (nsteps > 1 && vaddr + steps[nsteps - 1].delta >= target)
			nsteps--;
		if (best >= nsteps) {
			best = -1;
			snprintf(fn->place_note, sizeof(fn->place_note), "a branch of the function lands at +%llu",
				 (unsigned long long)(target - vaddr));
		}
	} else if (best < 0 && nsteps > 0 && n > (size_t)nsteps - 1) {
		const cs_insn *last = &in[nsteps - 1];
		char t[64];

		insn_text(t, sizeof(t), last);
		if (!kernel_emulates(last->bytes, last->size))
			snprintf(fn->place_note, sizeof(fn->place_note), "no emulated instruction before '%s'", t);
	}
	if (!nsteps && !n)
		snprintf(fn->place_note, sizeof(fn->place_note), "the entry could not be decoded");
	/* best first, then the entry, then the others in order */
	if (best > 0)
		fn->places[fn->nplaces++] = steps[best];
	for (int i = 0; i < nsteps && fn->nplaces < FFI_MAX_PLACES; i++)
		if (i != best || best <= 0)
			fn->places[fn->nplaces++] = steps[i];
	cs_free(in, n);
	cs_close(&h);
}

int ffi_elf_functions(const char *path, const char *glob, struct ffi_fn *out, int max, int *total, char *err,
		      size_t errlen)
{
	struct elf_file *f = elf_file__open(path);
	struct reloc *rel = NULL;
	size_t nrel = 0, caprel = 0;
	struct cand *all = NULL;
	int nall = 0, capall = 0, k = 0, nseg, fd = -1;
	struct seg seg[16];
	Elf_Scn *scn = NULL, *vd_scn = NULL;
	Elf_Data *versym = NULL;
	Elf *e;

	*total = 0;
	if (!f) {
		snprintf(err, errlen, "%s: not a readable ELF file", path);
		return -errno ? -errno : -EINVAL;
	}
	e = elf_file__elf(f);
	nseg = segments(e, seg, 16);
	/* the symbol versions of .dynsym: an older, hidden version is named "name@VERSION" */
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_GNU_versym)
			versym = elf_getdata(scn, NULL);
		else if (sh.sh_type == SHT_GNU_verdef)
			vd_scn = scn;
	}
	scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(d = elf_getdata(scn, NULL)))
			continue;
		if (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB) {
			size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;

			for (size_t i = 1; i < n; i++) {
				GElf_Sym s;
				const char *name;
				struct cand *fn;
				char full[128];
				int type, bind, vis, rank;
				size_t at;

				if (!gelf_getsym(d, i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value)
					continue;
				type = GELF_ST_TYPE(s.st_info);
				bind = GELF_ST_BIND(s.st_info);
				vis = GELF_ST_VISIBILITY(s.st_other);
				name = elf_strptr(e, sh.sh_link, s.st_name);
				if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !name || !*name)
					continue;
				if (!(fn = add(&all, &nall, &capall, s.st_value)))
					goto nomem;
				if (s.st_size > fn->fn.size)
					fn->fn.size = s.st_size;
				if (type == STT_GNU_IFUNC)
					fn->fn.ifunc = true;
				rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
				/* .symtab: "name@VER" is an older version, "name@@VER" the default one */
				at = strcspn(name, "@");
				if (name[at] && name[at + 1] != '@') {
					snprintf(full, sizeof(full), "%s", name);
					rank += 4;
				} else {
					snprintf(full, sizeof(full), "%.*s", (int)at, name);
				}
				if (sh.sh_type == SHT_DYNSYM && versym) {
					GElf_Versym v;
					const char *vn;

					if (gelf_getversym(versym, (int)i, &v) && (v & 0x8000) &&
					    (vn = verdef_name(e, vd_scn, v & 0x7fff))) {
						snprintf(full, sizeof(full), "%.*s@%s", (int)at, name, vn);
						rank += 4;
					}
				}
				add_name(fn, full, rank);
				if (sh.sh_type == SHT_DYNSYM && (bind == STB_GLOBAL || bind == STB_WEAK) && vis == STV_DEFAULT)
					fn->fn.exported = true;
			}
		} else if (sh.sh_type == SHT_RELA) {
			size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;

			for (size_t i = 0; i < n; i++) {
				GElf_Rela r;

				if (!gelf_getrela(d, i, &r) || GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE_)
					continue;
				if (nrel == caprel) {
					struct reloc *nr = realloc(rel, (caprel = caprel ? caprel * 2 : 1024) * sizeof(*nr));

					if (!nr)
						goto nomem;
					rel = nr;
				}
				rel[nrel++] = (struct reloc){ r.r_offset, (uint64_t)r.r_addend };
			}
		}
	}
	qsort(rel, nrel, sizeof(*rel), by_at);
	/* PyMethodDef {ml_name, ml_meth, ml_flags, ml_doc}: a name string, a function in an executable
	 * segment, and flags of METH_* bits only. The module's name from the PyModuleDef whose
	 * m_methods (at +64) points at the table's first entry (m_name at +40). */
	for (size_t i = 0; i < nrel; i++) {
		const struct seg *fs = seg_of(seg, nseg, rel[i].val);
		const struct reloc *nm = reloc_at(rel, nrel, rel[i].at - 8);
		const int32_t *flags = elf_file__data_at(f, rel[i].at + 8, 4);
		char name[96], mod[64] = "";
		uint64_t first;
		struct cand *fn;

		if (!fs || !fs->exec || !nm || !flags || !*flags || (*flags & ~0x2ff) || !ident_at(f, nm->val, name, sizeof(name)))
			continue;
		first = rel[i].at - 8;
		for (;;) { /* back to the table's first entry */
			const struct reloc *pn = reloc_at(rel, nrel, first - 32), *pm = reloc_at(rel, nrel, first - 24);
			const struct seg *ps = pm ? seg_of(seg, nseg, pm->val) : NULL;
			char tmp[96];

			if (!pn || !pm || !ps || !ps->exec || !ident_at(f, pn->val, tmp, sizeof(tmp)))
				break;
			first -= 32;
		}
		for (size_t j = 0; j < nrel; j++) {
			const struct reloc *mn;

			if (rel[j].val != first || !(mn = reloc_at(rel, nrel, rel[j].at - 24)))
				continue;
			if (ident_at(f, mn->val, mod, sizeof(mod)))
				break;
			mod[0] = '\0';
		}
		if (!(fn = add(&all, &nall, &capall, rel[i].val)))
			goto nomem;
		snprintf(fn->fn.pyname, sizeof(fn->fn.pyname), "%s%s%s", mod, mod[0] ? "." : "", name);
	}
	qsort(all, nall, sizeof(*all), by_vaddr);
	for (int i = 0; i < nall; i++) {
		const struct seg *s = seg_of(seg, nseg, all[i].fn.vaddr);
		struct ffi_fn *o;
		uint8_t *code;
		size_t len = 0, want;

		if (!s || !matches(glob, &all[i]))
			continue;
		all[i].fn.offset = all[i].fn.vaddr - s->vaddr + s->offset;
		(*total)++;
		if (k == max)
			continue;
		o = &out[k++];
		*o = all[i].fn;
		/* the code to the function's end, else to the next function known (a stripped method) */
		want = o->size ? o->size : i + 1 < nall ? all[i + 1].fn.vaddr - o->vaddr : 4096;
		if (want > 65536)
			want = 65536;
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		code = fd < 0 ? NULL : code_at(e, fd, o->vaddr, want, &len);
		ffi_plan_places(o, code, len, o->vaddr, o->offset);
		free(code);
	}
	if (fd >= 0)
		close(fd);
	free(all);
	free(rel);
	elf_file__close(f);
	return k;
nomem:
	free(all);
	free(rel);
	elf_file__close(f);
	snprintf(err, errlen, "%s: out of memory", path);
	return -ENOMEM;
}

int ffi_elf_at(const char *path, uint64_t vaddr, struct ffi_fn *fn)
{
	struct elf_file *f = elf_file__open(path);
	struct seg seg[16];
	const struct seg *sg;
	uint8_t *code;
	Elf_Scn *scn = NULL;
	size_t len = 0;
	int nseg, fd;
	Elf *e;

	if (!f)
		return -errno ? -errno : -EINVAL;
	e = elf_file__elf(f);
	nseg = segments(e, seg, 16);
	if (!(sg = seg_of(seg, nseg, vaddr)) || !sg->exec) {
		elf_file__close(f);
		return -ENOENT;
	}
	memset(fn, 0, sizeof(*fn));
	fn->vaddr = vaddr;
	fn->offset = vaddr - sg->vaddr + sg->offset;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !(d = elf_getdata(scn, NULL)) || !sh.sh_entsize)
			continue;
		for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, i, &sym) || sym.st_value != vaddr || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)) || !*name)
				continue;
			if (!fn->symbol[0])
				snprintf(fn->symbol, sizeof(fn->symbol), "%.*s", (int)strcspn(name, "@"), name);
			if (sym.st_size > fn->size)
				fn->size = sym.st_size;
		}
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	code = fd < 0 ? NULL : code_at(e, fd, vaddr, fn->size ? fn->size : 4096, &len);
	ffi_plan_places(fn, code, len, vaddr, fn->offset);
	free(code);
	if (fd >= 0)
		close(fd);
	elf_file__close(f);
	return 0;
}

int ffi_type_call(const char *path, const char *tp_name, struct ffi_fn *fn)
{
	struct elf_file *f = elf_file__open(path);
	struct reloc *rel = NULL;
	size_t nrel = 0, cap = 0;
	Elf_Scn *scn = NULL;
	uint64_t call = 0;
	int e = -ENOENT, nseg;
	struct seg seg[16];
	Elf *el;

	if (!f)
		return -ENOENT;
	el = elf_file__elf(f);
	nseg = segments(el, seg, 16);
	while ((scn = elf_nextscn(el, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !(d = elf_getdata(scn, NULL)) || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;

			if (!gelf_getrela(d, i, &r) || GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE_)
				continue;
			if (nrel == cap) {
				struct reloc *nr = realloc(rel, (cap = cap ? cap * 2 : 1024) * sizeof(*nr));

				if (!nr)
					goto out;
				rel = nr;
			}
			rel[nrel++] = (struct reloc){ r.r_offset, (uint64_t)r.r_addend };
		}
	}
	qsort(rel, nrel, sizeof(*rel), by_at);
	for (size_t i = 0; i < nrel && !call; i++) {
		const char *str = elf_file__data_at(f, rel[i].val, strlen(tp_name) + 1);
		const struct reloc *c, *n24;
		const struct seg *s24;

		if (!str || memcmp(str, tp_name, strlen(tp_name) + 1))
			continue;
		/* 24 bytes on: a static type's tp_dealloc (code), or a spec's slots (data) */
		if (!(n24 = reloc_at(rel, nrel, rel[i].at + 24)) || !(s24 = seg_of(seg, nseg, n24->val)))
			continue;
		if (s24->exec) { /* a static type: tp_name at +24, tp_call at +128 */
			if ((c = reloc_at(rel, nrel, rel[i].at - 24 + 128)))
				call = c->val;
			continue;
		}
		for (int k = 0; k < 96; k++) { /* a spec: {int slot; void *pfunc} entries, to {0} */
			const int32_t *slot = elf_file__data_at(f, n24->val + 16 * k, 4);
			const struct reloc *fp = reloc_at(rel, nrel, n24->val + 16 * k + 8);

			if (!slot || !*slot)
				break;
			if (*slot == 50 && fp) {
				call = fp->val;
				break;
			}
		}
	}
	if (call)
		e = ffi_elf_at(path, call, fn);
out:
	free(rel);
	elf_file__close(f);
	return e;
}
