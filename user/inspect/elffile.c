/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "inspect/elffile.h"

struct elf_file {
	int fd;
	Elf *elf;
	size_t shstrndx;
};

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	elf_version(EV_CURRENT);
	/* O_NONBLOCK and a regular file only: a FIFO given as a library never blocks the open, a
	 * device is never mapped */
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (f->fd < 0) {
		free(f);
		return NULL;
	}
	{
		struct stat st;

		if (fstat(f->fd, &st) || !S_ISREG(st.st_mode)) {
			close(f->fd);
			free(f);
			errno = ENOEXEC;
			return NULL;
		}
	}
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || elf_getshdrstrndx(f->elf, &f->shstrndx)) {
		elf_file__close(f);
		errno = ENOEXEC;
		return NULL;
	}
	return f;
}

void elf_file__close(struct elf_file *f)
{
	if (!f)
		return;
	elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

/* One note buffer: the build-id's hex into hex when it holds one. */
static int build_id_in(Elf_Data *d, char *hex, size_t len)
{
	size_t off = 0, noff, doff;
	GElf_Nhdr nh;

	while (d && off < d->d_size && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		const char *name = (const char *)d->d_buf + noff;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || memcmp(name, "GNU", 4) || !nh.n_descsz)
			continue;
		if (2 * nh.n_descsz + 1 > len)
			return -ENOSPC;
		for (size_t i = 0; i < nh.n_descsz; i++)
			snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)d->d_buf)[doff + i]);
		return 0;
	}
	return -ENOENT;
}

int elf_file__build_id(struct elf_file *f, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t nph = 0;
	int e;

	if (!f)
		return -ENOEXEC;
	while ((scn = elf_nextscn(f->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE && (e = build_id_in(elf_getdata(scn, NULL), hex, len)) != -ENOENT)
			return e;
	if (elf_getphdrnum(f->elf, &nph))
		return -ENOENT;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, i, &ph) || ph.p_type != PT_NOTE)
			continue;
		if ((e = build_id_in(elf_getdata_rawchunk(f->elf, ph.p_offset, ph.p_filesz, ELF_T_NHDR), hex, len)) != -ENOENT)
			return e;
	}
	return -ENOENT;
}

Elf *elf_file__elf(struct elf_file *f)
{
	return f->elf;
}

/* Walk .symtab then .dynsym; stop at the first defined symbol (undefined: an undefined one, an
 * import) whose name is want (or starts with it). */
static int find_sym(struct elf_file *f, const char *want, bool prefix, bool undefined, GElf_Sym *out,
		    char *name, size_t namelen)
{
	static const Elf64_Word types[] = { SHT_SYMTAB, SHT_DYNSYM };
	size_t wlen = strlen(want);

	for (size_t t = 0; t < 2; t++) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(f->elf, scn))) {
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != types[t] || !sh.sh_entsize)
				continue;
			d = elf_getdata(scn, NULL);
			if (!d)
				continue;
			for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym sym;
				const char *n;

				if (!gelf_getsym(d, i, &sym) ||
				    (undefined ? sym.st_shndx != SHN_UNDEF
					       : sym.st_shndx == SHN_UNDEF || !sym.st_value))
					continue;
				n = elf_strptr(f->elf, sh.sh_link, sym.st_name);
				if (!n || (prefix ? strncmp(n, want, wlen) : strcmp(n, want)))
					continue;
				*out = sym;
				if (name)
					snprintf(name, namelen, "%s", n);
				return 0;
			}
		}
	}
	return -ENOENT;
}

int elf_file__symbol(struct elf_file *f, const char *name, GElf_Sym *out)
{
	return find_sym(f, name, false, false, out, NULL, 0);
}

bool elf_file__imports(struct elf_file *f, const char *name)
{
	GElf_Sym sym;

	return !find_sym(f, name, false, true, &sym, NULL, 0);
}

int elf_file__symbol_prefix(struct elf_file *f, const char *prefix, GElf_Sym *out, char *name,
			    size_t namelen)
{
	return find_sym(f, prefix, true, false, out, name, namelen);
}

int elf_file__base_vaddr(struct elf_file *f, uint64_t *vaddr)
{
	size_t n;
	bool found = false;

	if (elf_getphdrnum(f->elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (!found || ph.p_vaddr < *vaddr)
			*vaddr = ph.p_vaddr;
		found = true;
	}
	if (!found)
		return -ENOENT;
	*vaddr &= ~0xfffull;
	return 0;
}

bool elf_file__is_exec(struct elf_file *f)
{
	GElf_Ehdr eh;

	return gelf_getehdr(f->elf, &eh) && eh.e_type == ET_EXEC;
}

static Elf_Scn *section_by_name(struct elf_file *f, const char *want)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(f->elf, f->shstrndx, sh.sh_name)) &&
		    !strcmp(n, want))
			return scn;
	}
	return NULL;
}

bool elf_file__has_section(struct elf_file *f, const char *name)
{
	return section_by_name(f, name) != NULL;
}

bool elf_file__has_usdt(struct elf_file *f, const char *provider, const char *name)
{
	Elf_Scn *scn = section_by_name(f, ".note.stapsdt");
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t off = 0, noff, doff;
	GElf_Nhdr nh;

	if (!d)
		return false;
	while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		const char *desc = (const char *)d->d_buf + doff, *p, *n;
		size_t addrs = 3 * (gelf_getclass(f->elf) == ELFCLASS64 ? 8 : 4);

		if (nh.n_type != 3 || nh.n_descsz <= addrs ||
		    strncmp((const char *)d->d_buf + noff, "stapsdt", nh.n_namesz))
			continue;
		p = desc + addrs;                       /* provider\0name\0args\0 */
		n = p + strnlen(p, nh.n_descsz - addrs) + 1;
		if (n < desc + nh.n_descsz && !strcmp(p, provider) && !strcmp(n, name))
			return true;
	}
	return false;
}

const void *elf_file__data_at(struct elf_file *f, uint64_t vaddr, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || vaddr < sh.sh_addr ||
		    vaddr + len > sh.sh_addr + sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || vaddr + len > sh.sh_addr + d->d_size)
			return NULL;
		return (const char *)d->d_buf + (vaddr - sh.sh_addr);
	}
	return NULL;
}

int elf_dyn_strings(Elf *elf, int (*fn)(void *ctx, int64_t tag, const char *value), void *ctx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *v;
			int r;

			if (!gelf_getdyn(d, i, &dyn) || (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_SONAME &&
							  dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH))
				continue;
			if ((v = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val)) && (r = fn(ctx, dyn.d_tag, v)))
				return r;
		}
	}
	return 0;
}
