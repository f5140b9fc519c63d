/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
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

static bool matches(const char *glob, const struct ffi_fn *f)
{
	const char *dot = strrchr(f->pyname, '.');

	if (!glob)
		return f->exported || f->pyname[0];
	return (f->symbol[0] && !fnmatch(glob, f->symbol, 0)) || (f->pyname[0] && !fnmatch(glob, f->pyname, 0)) ||
	       (dot && !fnmatch(glob, dot + 1, 0));
}

/* Add or merge (by address) a function. */
static struct ffi_fn *add(struct ffi_fn **v, int *n, int *cap, uint64_t vaddr)
{
	for (int i = 0; i < *n; i++)
		if ((*v)[i].vaddr == vaddr)
			return &(*v)[i];
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 256;
		struct ffi_fn *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].vaddr = vaddr;
	return &(*v)[(*n)++];
}

int ffi_elf_functions(const char *path, const char *glob, struct ffi_fn *out, int max, int *total, char *err,
		      size_t errlen)
{
	struct elf_file *f = elf_file__open(path);
	struct reloc *rel = NULL;
	size_t nrel = 0, caprel = 0;
	struct ffi_fn *all = NULL;
	int nall = 0, capall = 0, k = 0, nseg;
	struct seg seg[16];
	Elf_Scn *scn = NULL;
	Elf *e;

	*total = 0;
	if (!f) {
		snprintf(err, errlen, "%s: not a readable ELF file", path);
		return -errno ? -errno : -EINVAL;
	}
	e = elf_file__elf(f);
	nseg = segments(e, seg, 16);
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
				struct ffi_fn *fn;
				int type, bind, vis;

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
				if (!fn->symbol[0] || sh.sh_type == SHT_DYNSYM)
					snprintf(fn->symbol, sizeof(fn->symbol), "%.*s", (int)strcspn(name, "@"), name);
				if (sh.sh_type == SHT_DYNSYM && (bind == STB_GLOBAL || bind == STB_WEAK) && vis == STV_DEFAULT)
					fn->exported = true;
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
		struct ffi_fn *fn;

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
		snprintf(fn->pyname, sizeof(fn->pyname), "%s%s%s", mod, mod[0] ? "." : "", name);
	}
	for (int i = 0; i < nall; i++) {
		const struct seg *s = seg_of(seg, nseg, all[i].vaddr);

		if (!s || !matches(glob, &all[i]))
			continue;
		all[i].offset = all[i].vaddr - s->vaddr + s->offset;
		if (k < max)
			out[k++] = all[i];
		(*total)++;
	}
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
