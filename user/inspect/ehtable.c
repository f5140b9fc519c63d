/* SPDX-License-Identifier: GPL-2.0-only */
/* Compact x86-64 unwind tables from .eh_frame (see ehtable.h). */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "inspect/ehtable.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

/* One DW_EH_PE-encoded value of .eh_frame_hdr at *p (vaddr: its address). Only the encodings
 * linkers write there: udata4/sdata4/udata8/sdata8, absolute, pc- or datarel-relative. */
static int read_enc(uint8_t enc, const uint8_t **p, const uint8_t *end, uint64_t vaddr, uint64_t hdr_vaddr,
		    uint64_t *out)
{
	uint64_t v;
	size_t len;

	if (enc == 0xff) /* DW_EH_PE_omit */
		return -ENOTSUP;
	switch (enc & 0x0f) {
	case 0x03: len = 4; { uint32_t x; if (*p + 4 > end) return -ENOTSUP; memcpy(&x, *p, 4); v = x; } break;
	case 0x0b: len = 4; { int32_t x; if (*p + 4 > end) return -ENOTSUP; memcpy(&x, *p, 4); v = (uint64_t)(int64_t)x; } break;
	case 0x04: case 0x0c: case 0x00:
		len = 8;
		if (*p + 8 > end)
			return -ENOTSUP;
		memcpy(&v, *p, 8);
		break;
	default:
		return -ENOTSUP;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += vaddr; break;     /* pcrel */
	case 0x30: v += hdr_vaddr; break; /* datarel: from .eh_frame_hdr's start */
	default: return -ENOTSUP;
	}
	*p += len;
	*out = v;
	return 0;
}

static int push(struct ehtable *t, size_t *cap, struct eh_row r)
{
	if (t->n) {
		struct eh_row *l = &t->rows[t->n - 1];

		if (l->cfa == r.cfa && l->cfa_off == r.cfa_off && l->rbp == r.rbp && l->rbp_off == r.rbp_off)
			return 0; /* the same rule goes on */
		if (l->pc == r.pc) { /* an empty range before: the later rule wins */
			*l = r;
			return 0;
		}
	}
	if (t->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct eh_row *nr = realloc(t->rows, nc * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		t->rows = nr;
		*cap = nc;
	}
	t->rows[t->n++] = r;
	return 0;
}

/* The offset of a "register + n" expression (DW_OP_bregN n, or DW_OP_bregx reg n); -1 if not. */
static int breg(const Dwarf_Op *op, int *reg, int64_t *off)
{
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*reg = op->atom - DW_OP_breg0;
		*off = (int64_t)op->number;
		return 0;
	}
	if (op->atom == DW_OP_bregx) {
		*reg = (int)op->number;
		*off = (int64_t)op->number2;
		return 0;
	}
	return -1;
}

/* glibc/binutils' PLT rule: CFA = rsp + n + ((rip & 15) >= k) << 3. k in *k. */
static bool plt_expr(const Dwarf_Op *o, size_t n, int64_t *off, int *k)
{
	int reg;

	if (n != 9 || breg(&o[0], &reg, off) || reg != REG_RSP || o[1].atom != DW_OP_breg16 || o[1].number ||
	    o[2].atom != DW_OP_lit15 || o[3].atom != DW_OP_and || o[4].atom < DW_OP_lit0 || o[4].atom > DW_OP_lit31 ||
	    o[5].atom != DW_OP_ge || o[6].atom != DW_OP_lit3 || o[7].atom != DW_OP_shl || o[8].atom != DW_OP_plus)
		return false;
	*k = o[4].atom - DW_OP_lit0;
	return true;
}

/* One frame state to a row (its pc set by the caller). */
static struct eh_row classify(Dwarf_Frame *fr, bool signal)
{
	struct eh_row r = { .cfa = EH_CFA_EXPR };
	Dwarf_Op *ops, mem[3];
	size_t nops;
	int64_t off;
	int reg, k;

	if (signal) {
		r.cfa = EH_CFA_SIGNAL;
		return r;
	}
	/* the return address first: undefined marks the outermost frame */
	if (dwarf_frame_register(fr, REG_RA, mem, &ops, &nops))
		return r;
	if (nops == 0 && ops == mem) {
		r.cfa = EH_CFA_END;
		return r;
	}
	if (!(nops == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst &&
	      (int64_t)ops[1].number == -8)) {
		r.cfa = EH_CFA_RA;
		return r;
	}
	if (dwarf_frame_cfa(fr, &ops, &nops) || !nops)
		return r;
	if (nops == 1 && !breg(&ops[0], &reg, &off)) {
		if (reg != REG_RSP && reg != REG_RBP) {
			r.cfa = EH_CFA_REG;
			return r;
		}
		if (off < INT32_MIN || off > INT32_MAX)
			return r;
		r.cfa = reg == REG_RSP ? EH_CFA_RSP : EH_CFA_RBP;
		r.cfa_off = (int32_t)off;
	} else if (plt_expr(ops, nops, &off, &k) && off >= 0 && off < (1 << 20)) {
		r.cfa = EH_CFA_PLT;
		r.cfa_off = (int32_t)off;
		r.rbp_off = (int16_t)k;
		return r; /* rbp is untouched in a PLT entry */
	} else {
		return r;
	}
	if (dwarf_frame_register(fr, REG_RBP, mem, &ops, &nops)) {
		r.cfa = EH_CFA_RBP_RULE;
		return r;
	}
	if (nops == 0 && !ops) {
		r.rbp = EH_RBP_SAME;
	} else if (nops == 1 && ops[0].atom == DW_OP_call_frame_cfa) {
		r.rbp = EH_RBP_AT;
		r.rbp_off = 0;
	} else if (nops == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst &&
		   (int64_t)ops[1].number >= INT16_MIN && (int64_t)ops[1].number <= INT16_MAX) {
		r.rbp = EH_RBP_AT;
		r.rbp_off = (int16_t)(int64_t)ops[1].number;
	} else if (nops == 0 && ops == mem) {
		r.rbp = EH_RBP_SAME; /* undefined: the caller's rbp is not known; a frame needing it fails
				      * its read or its CFA check */
	} else {
		r.cfa = EH_CFA_RBP_RULE;
		r.rbp = 0;
		r.rbp_off = 0;
	}
	return r;
}

static int by_loc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ehtable_build_elf(Elf *elf, struct ehtable *t)
{
	GElf_Ehdr eh;
	size_t nph, cap = 0, nloc = 0;
	uint64_t hdr_vaddr = 0, hdr_off = 0, hdr_size = 0, *locs = NULL, v, count;
	const uint8_t *p, *end;
	Elf_Data *d;
	Dwarf_CFI *cfi = NULL;
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nph))
		return -ENOEXEC;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			continue;
		if (ph.p_type == PT_GNU_EH_FRAME) {
			hdr_vaddr = ph.p_vaddr;
			hdr_off = ph.p_offset;
			hdr_size = ph.p_filesz;
		} else if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && !t->load_vaddr) {
			t->load_vaddr = ph.p_vaddr;
			t->load_offset = ph.p_offset;
		}
	}
	if (!hdr_size || hdr_size < 12)
		return -ENOENT;
	d = elf_getdata_rawchunk(elf, hdr_off, hdr_size, ELF_T_BYTE);
	if (!d || !d->d_buf)
		return -ENOENT;
	p = d->d_buf;
	end = p + d->d_size;
	if (p[0] != 1)
		return -ENOTSUP;
	{
		uint8_t ptr_enc = p[1], cnt_enc = p[2], tab_enc = p[3];

		p += 4;
		if (read_enc(ptr_enc, &p, end, hdr_vaddr + 4, hdr_vaddr, &v) ||
		    read_enc(cnt_enc, &p, end, hdr_vaddr + (p - (const uint8_t *)d->d_buf), hdr_vaddr, &count))
			return -ENOTSUP;
		if (count > (uint64_t)(end - p) / 8)
			return -ENOTSUP;
		locs = malloc((count ? count : 1) * sizeof(*locs));
		if (!locs)
			return -ENOMEM;
		for (uint64_t i = 0; i < count; i++) {
			uint64_t fde;

			if (read_enc(tab_enc, &p, end, hdr_vaddr + (p - (const uint8_t *)d->d_buf), hdr_vaddr, &locs[nloc]) ||
			    read_enc(tab_enc, &p, end, hdr_vaddr + (p - (const uint8_t *)d->d_buf), hdr_vaddr, &fde)) {
				free(locs);
				return -ENOTSUP;
			}
			nloc++;
		}
	}
	qsort(locs, nloc, sizeof(*locs), by_loc);
	t->fdes = nloc;
	cfi = dwarf_getcfi_elf(elf);
	if (!cfi) {
		free(locs);
		return -ENOENT;
	}
	for (size_t i = 0; i < nloc && !err; i++) {
		uint64_t pc = locs[i], limit = i + 1 < nloc ? locs[i + 1] : UINT64_MAX;

		if (i + 1 < nloc && locs[i + 1] == locs[i])
			continue; /* a duplicate entry */
		if (pc > UINT32_MAX) {
			err = -ENOTSUP;
			break;
		}
		while (pc < limit) {
			Dwarf_Frame *fr = NULL;
			Dwarf_Addr s, e;
			bool sig = false;
			struct eh_row r;

			if (dwarf_cfi_addrframe(cfi, pc, &fr))
				break; /* past the FDE's end */
			if (dwarf_frame_info(fr, &s, &e, &sig) < 0 || e <= pc) {
				free(fr);
				break;
			}
			r = classify(fr, sig);
			free(fr);
			r.pc = (uint32_t)pc;
			if ((err = push(t, &cap, r)))
				break;
			t->unsupported += r.cfa >= EH_CFA_EXPR;
			pc = e;
			if (pc > UINT32_MAX) {
				err = -ENOTSUP;
				break;
			}
		}
		/* a gap until the next FDE (or the end): no rule there */
		if (!err && pc < limit && pc <= UINT32_MAX)
			err = push(t, &cap, (struct eh_row){ .pc = (uint32_t)pc, .cfa = EH_CFA_NONE });
	}
	dwarf_cfi_end(cfi);
	free(locs);
	if (err) {
		ehtable_free(t);
		return err;
	}
	return t->n ? 0 : -ENOENT;
}

int ehtable_build_file(const char *path, struct ehtable *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	Elf *elf;

	memset(t, 0, sizeof(*t));
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	err = ehtable_build_elf(elf, t);
	elf_end(elf);
	close(fd);
	return err;
}

#define CACHE_MAGIC 0x31574f5248454250ull /* "BPEHROW1" */

struct cache_hdr {
	uint64_t magic;
	uint64_t n, fdes, unsupported, load_vaddr, load_offset;
	uint32_t row_size, pad;
};

static int cache_path(const char *id, char *out, size_t len, bool mk)
{
	const char *dir = getenv("BINDPROF_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char base[512];

	for (const char *c = id; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return -EINVAL; /* a build-id is hex */
	if (!*id)
		return -EINVAL;
	if (dir && *dir)
		snprintf(base, sizeof(base), "%s", dir);
	else if (xdg && *xdg)
		snprintf(base, sizeof(base), "%s/bindprof/ehtables", xdg);
	else if (home && *home)
		snprintf(base, sizeof(base), "%s/.cache/bindprof/ehtables", home);
	else
		return -ENOENT;
	if (mk) { /* each level: the cache's parents may not exist yet */
		for (char *s = base + 1; *s; s++)
			if (*s == '/') {
				*s = '\0';
				mkdir(base, 0755);
				*s = '/';
			}
		mkdir(base, 0755);
	}
	if ((size_t)snprintf(out, len, "%s/%s.ehrows", base, id) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int ehtable_cache_load(const char *build_id, struct ehtable *t)
{
	char path[700];
	struct cache_hdr h;
	int fd;

	memset(t, 0, sizeof(*t));
	if (cache_path(build_id, path, sizeof(path), false) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -ENOENT;
	if (read(fd, &h, sizeof(h)) != sizeof(h) || h.magic != CACHE_MAGIC || h.row_size != sizeof(struct eh_row) ||
	    !h.n || h.n > (1u << 24) || !(t->rows = malloc(h.n * sizeof(*t->rows))) ||
	    read(fd, t->rows, h.n * sizeof(*t->rows)) != (ssize_t)(h.n * sizeof(*t->rows))) {
		free(t->rows);
		memset(t, 0, sizeof(*t));
		close(fd);
		return -ENOENT;
	}
	close(fd);
	t->n = h.n;
	t->fdes = h.fdes;
	t->unsupported = h.unsupported;
	t->load_vaddr = h.load_vaddr;
	t->load_offset = h.load_offset;
	return 0;
}

bool ehtable_cached(const char *build_id)
{
	char path[700];

	return !cache_path(build_id, path, sizeof(path), false) && !access(path, R_OK);
}

int ehtable_cache_save(const char *build_id, const struct ehtable *t)
{
	char path[700], tmp[720];
	struct cache_hdr h = { .magic = CACHE_MAGIC, .n = t->n, .fdes = t->fdes, .unsupported = t->unsupported,
			       .load_vaddr = t->load_vaddr, .load_offset = t->load_offset,
			       .row_size = sizeof(struct eh_row) };
	int fd, err = 0;

	if ((err = cache_path(build_id, path, sizeof(path), true)))
		return err;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	if (write(fd, &h, sizeof(h)) != sizeof(h) ||
	    write(fd, t->rows, t->n * sizeof(*t->rows)) != (ssize_t)(t->n * sizeof(*t->rows)))
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void ehtable_free(struct ehtable *t)
{
	if (!t)
		return;
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

const struct eh_row *ehtable_find(const struct ehtable *t, uint64_t vaddr)
{
	size_t lo = 0, hi = t->n;

	if (!t->n || vaddr < t->rows[0].pc)
		return NULL;
	while (hi - lo > 1) { /* rows[lo].pc <= vaddr < rows[hi].pc */
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[lo];
}

uint64_t ehtable_bias(Elf *elf, uint64_t start, uint64_t pgoff)
{
	size_t nph;

	if (elf && !elf_getphdrnum(elf, &nph))
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_offset & ~0xfffull) <= pgoff && pgoff < ph.p_offset + ph.p_filesz)
				return start - pgoff + ph.p_offset - ph.p_vaddr;
		}
	return start - pgoff;
}
