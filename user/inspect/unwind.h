/* SPDX-License-Identifier: GPL-2.0-only */
/* User stacks of sampled threads: unwound in user space from a copy of the top of the stack and
 * the registers (.eh_frame / DWARF CFI through libdw, which falls back to frame pointers), and
 * symbolized through the ELF symbols of the executable and each mapped library (PIE, vdso);
 * kernel frames through /proc/kallsyms. One Dwfl per process, kept while the process lives and
 * refreshed when a pc falls outside every known module (a library loaded later). */
#ifndef BINDPROF_UNWIND_H
#define BINDPROF_UNWIND_H

#include <stddef.h>
#include <stdint.h>

struct unwinder;

struct unwinder *unwinder_new(void);
void unwinder_free(struct unwinder *u);
/* Unwind one sample of tid in pid. regs: the 17 x86_64 DWARF registers (rax..r15, rip); stack:
 * len bytes copied from regs[7] (rsp) up. Fills pcs leaf first (call sites, minus one, for all
 * but the first). Returns how many (0 when the process is gone). */
int unwinder_unwind(struct unwinder *u, int pid, int tid, const uint64_t *regs, const uint8_t *stack,
		    size_t len, uint64_t *pcs, int max);
/* The function at pc (NULL: none) and its file (full path; NULL: no module). Strings live as
 * long as the unwinder. */
void unwinder_symbolize(struct unwinder *u, int pid, uint64_t pc, const char **func, const char **module);
/* Forget a process (it exited). */
void unwinder_forget(struct unwinder *u, int pid);

/* Kernel symbols (/proc/kallsyms, needs root for real addresses). NULL: unknown. */
struct ksyms;
struct ksyms *ksyms_load(void);
void ksyms_free(struct ksyms *k);
const char *ksyms_lookup(const struct ksyms *k, uint64_t addr);

#endif
