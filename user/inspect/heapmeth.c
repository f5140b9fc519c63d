/* SPDX-License-Identifier: GPL-2.0-only */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "inspect/elffile.h"
#include "inspect/heapmeth.h"

#define CHUNK (1u << 20)
#define MAX_RANGES 64
#define MAX_REGIONS 4096

struct range {
	uint64_t lo, hi;
};

static long read_remote(int pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };

	return process_vm_readv(pid, &l, 1, &r, 1, 0);
}

/* An identifier (a Python name) at addr in pid. */
static bool ident_at(int pid, uint64_t addr, char *out, size_t len)
{
	char buf[96];
	long n;

	if (!addr || (n = read_remote(pid, addr, buf, sizeof(buf))) <= 0) {
		/* the string may end near a mapping's end: a shorter read */
		if (!addr || (n = read_remote(pid, addr, buf, 16)) <= 0)
			return false;
	}
	if (!(isalpha((unsigned char)buf[0]) || buf[0] == '_'))
		return false;
	for (long i = 1; i < n; i++) {
		if (!buf[i]) {
			snprintf(out, len, "%s", buf);
			return true;
		}
		if (!(isalnum((unsigned char)buf[i]) || buf[i] == '_'))
			return false;
	}
	return false;
}

int heapmeth_module(const char *path, char *name, size_t len)
{
	struct elf_file *ef = elf_file__open(path);
	char sym[160];
	GElf_Sym s;
	int e;

	if (!ef)
		return -errno;
	e = elf_file__symbol_prefix(ef, "PyInit_", &s, sym, sizeof(sym));
	elf_file__close(ef);
	if (e || s.st_shndx == SHN_UNDEF || !sym[7])
		return -ENOENT;
	snprintf(name, len, "%s", sym + 7);
	return 0;
}

int heapmeth_scan(int pid, const char *path, struct heap_method *out, int max, uint64_t *scanned)
{
	struct range exec[MAX_RANGES], *reg = calloc(MAX_REGIONS, sizeof(*reg));
	int nexec = 0, nreg = 0, nheap = 0, found = 0;
	uint64_t base = 0, base_vaddr = 0, span_lo = 0, span_hi = 0, span_len;
	bool have_base = false;
	char mpath[64], line[4352];
	uint8_t *buf = malloc(CHUNK + 32);
	FILE *m;

	*scanned = 0;
	if (!reg || !buf) {
		free(reg);
		free(buf);
		return -ENOMEM;
	}
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", pid);
	if (!(m = fopen(mpath, "re"))) {
		free(reg);
		free(buf);
		return -errno;
	}
	while (fgets(line, sizeof(line), m)) {
		unsigned long long lo, hi, off;
		char perms[8], *file;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms, &off, &pos) < 4)
			continue;
		file = pos ? line + pos : (char *)"";
		file[strcspn(file, "\n")] = '\0';
		if (!strcmp(file, path)) {
			if (!off && !have_base) {
				base = lo;
				have_base = true;
			}
			if (perms[2] == 'x' && nexec < MAX_RANGES)
				exec[nexec++] = (struct range){ lo, hi };
		} else if (perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p' && nreg < MAX_REGIONS &&
			   (!*file || !strcmp(file, "[heap]"))) {
			/* [heap] (malloc's main arena: where small allocations go) first, then the
			 * anonymous mappings in address order */
			if (!strcmp(file, "[heap]")) {
				memmove(reg + nheap + 1, reg + nheap, (nreg - nheap) * sizeof(*reg));
				reg[nheap++] = (struct range){ lo, hi };
				nreg++;
			} else {
				reg[nreg++] = (struct range){ lo, hi };
			}
		}
	}
	fclose(m);
	if (!nexec || !have_base) {
		free(reg);
		free(buf);
		return -ENOENT;
	}
	{
		struct elf_file *ef = elf_file__open(path);

		if (!ef || elf_file__base_vaddr(ef, &base_vaddr))
			base_vaddr = 0;
		elf_file__close(ef);
	}
	for (int k = 0; k < nexec; k++) {
		span_lo = k && span_lo < exec[k].lo ? span_lo : exec[k].lo;
		span_hi = exec[k].hi > span_hi ? exec[k].hi : span_hi;
	}
	span_len = span_hi - span_lo;
	for (int r = 0; r < nreg && found < max; r++) {
		for (uint64_t at = reg[r].lo; at < reg[r].hi && found < max && *scanned < HEAPMETH_MAX_BYTES; at += CHUNK) {
			size_t want = reg[r].hi - at < CHUNK + 32 ? reg[r].hi - at : CHUNK + 32;
			long n = read_remote(pid, at, buf, want);

			if (n < 32)
				continue; /* unmapped since, or unreadable */
			*scanned += n;
			/* entries that start in this chunk (the 32 bytes beyond it are the next one's) */
			for (long i = 0; i + 32 <= n && i < (long)CHUNK && found < max; i += 8) {
				uint64_t name, meth;
				int32_t flags;
				bool in = false;
				char nm[96];

				memcpy(&meth, buf + i + 8, 8);
				if (meth - span_lo >= span_len) /* outside every executable mapping: most words */
					continue;
				for (int k = 0; k < nexec && !in; k++)
					in = meth >= exec[k].lo && meth < exec[k].hi;
				if (!in)
					continue;
				memcpy(&flags, buf + i + 16, 4);
				memcpy(&name, buf + i, 8);
				/* METH_VARARGS 1, KEYWORDS 2, NOARGS 4, O 8, CLASS 16, STATIC 32, COEXIST 64,
				 * FASTCALL 128, METHOD 512 */
				if (!flags || (flags & ~0x2ff) || !ident_at(pid, name, nm, sizeof(nm)))
					continue;
				{
					uint64_t va = meth - base + base_vaddr;
					bool dup = false;

					for (int k = 0; k < found && !dup; k++)
						dup = out[k].vaddr == va;
					if (dup)
						continue;
					out[found].vaddr = va;
					snprintf(out[found].name, sizeof(out[found].name), "%s", nm);
					found++;
				}
			}
		}
	}
	free(reg);
	free(buf);
	return found;
}
