/* SPDX-License-Identifier: GPL-2.0-only */
/* Compact unwind tables from an ELF file's .eh_frame, for unwinding native stacks in BPF
 * (--unwind kernel): one row per change of the x86-64 frame rule, sorted by pc, as struct eh_row
 * (bpf/stacks.h). The method is the OpenTelemetry eBPF profiler's and the Parca agent's: every
 * FDE listed in .eh_frame_hdr is evaluated row by row through libdw (dwarf_cfi_addrframe,
 * dwarf_frame_info) and each row reduced to "CFA = rsp|rbp + n, return address at CFA - 8, rbp
 * unchanged or saved at CFA + n"; any other rule becomes a row that makes BPF fall back to the
 * stack copy (EH_CFA_EXPR, EH_CFA_REG, ...), except glibc/binutils' PLT expression (EH_CFA_PLT). */
#ifndef BINDPROF_EHTABLE_H
#define BINDPROF_EHTABLE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "bpf/stacks.h"

struct ehtable {
	struct eh_row *rows; /* sorted by pc, adjacent equal rules merged */
	size_t n;
	size_t fdes;         /* FDEs in .eh_frame_hdr */
	size_t unsupported;  /* rows whose rule BPF does not follow (cfa >= EH_CFA_EXPR) */
	uint64_t load_vaddr, load_offset; /* the executable PT_LOAD's p_vaddr and p_offset */
};

/* Build the table of an open ELF (a file, or an image in memory through elf_memory). 0, or
 * -ENOENT (no .eh_frame_hdr or no CFI), -ENOTSUP (a table encoding or address beyond 4 GiB this
 * builder does not read), -ENOMEM. */
int ehtable_build_elf(Elf *elf, struct ehtable *t);
/* The same from a path. 0 or -errno as above (-ENOEXEC: not ELF). */
int ehtable_build_file(const char *path, struct ehtable *t);
void ehtable_free(struct ehtable *t);
/* The on-disk cache of built tables, by GNU build-id: DIR/ID.ehrows (DIR: $BINDPROF_CACHE_DIR,
 * else $XDG_CACHE_HOME/bindprof/ehtables, else ~/.cache/bindprof/ehtables). Load: 0 or -ENOENT
 * (none, or not a table of this format). Save: 0 or -errno (written to a temporary file and
 * renamed: readers never see half a table). */
int ehtable_cache_load(const char *build_id, struct ehtable *t);
int ehtable_cache_save(const char *build_id, const struct ehtable *t);
/* Whether the cache holds a file for build_id (not read: ehtable_cache_load checks it). */
bool ehtable_cached(const char *build_id);
/* The row that applies at vaddr (the last one at or below it), or NULL below the first. */
const struct eh_row *ehtable_find(const struct ehtable *t, uint64_t vaddr);
/* The load bias of a mapping of the file (start, file offset pgoff): pc - bias = the file's
 * virtual address. Uses the PT_LOAD that holds pgoff ((p_vaddr - p_offset) of that segment). */
uint64_t ehtable_bias(Elf *elf, uint64_t start, uint64_t pgoff);

#endif
