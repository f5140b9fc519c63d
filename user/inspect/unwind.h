/* SPDX-License-Identifier: GPL-2.0-only */
/* User stacks of sampled threads: unwound in user space from a copy of the top of the stack and
 * the registers (.eh_frame / DWARF CFI through libdw, which falls back to frame pointers), and
 * symbolized through the ELF symbols of the executable and each mapped library (PIE, vdso);
 * kernel frames through /proc/kallsyms. One Dwfl per process, kept while the process lives and
 * reported again from its maps (the whole list: modules gone are dropped) when a pc falls outside
 * every known module (a library loaded later, or the process exec'd). */
#ifndef BINDPROF_UNWIND_H
#define BINDPROF_UNWIND_H

#include <stddef.h>
#include <stdint.h>

struct unwinder;

/* How one sample's unwind ended: complete, or why not (its frames up to there are kept). */
enum unwind_result {
	UNWIND_COMPLETE,         /* to the outermost frame (its CFI marks no return address), or max frames */
	UNWIND_NO_STACK_COPY,    /* no copy of the stack came with the sample: the leaf only */
	UNWIND_NO_PROCESS,       /* its maps could not be read (it exited before the sample was read) */
	UNWIND_NOT_ATTACHED,     /* libdw would not take the process (seen in the middle of its exec) */
	UNWIND_LEAF_UNMAPPED,    /* the pc is in no file mapping (the image before an exec, JIT code) */
	UNWIND_RETURN_UNMAPPED,  /* a return address in no file mapping (a trampoline; garbage) */
	UNWIND_STACK_COPY_END,   /* the next frame is above the copied bytes (16 KiB from the stack pointer) */
	UNWIND_NO_CFI,           /* no CFI for a pc and frame pointers did not lead on */
	UNWIND_RESULT_MAX
};

/* The result's name in the profile ("stack_copy_end"...). */
const char *unwind_result_name(int r);

struct unwinder *unwinder_new(void);
void unwinder_free(struct unwinder *u);
/* Unwind one sample of tid in pid. regs: the 17 x86_64 DWARF registers (rax..r15, rip); stack:
 * len bytes copied from regs[7] (rsp) up. Fills pcs leaf first (call sites, minus one, for all
 * but the first). Returns how many (0 when the process is gone); *result (may be NULL): how
 * the unwind ended (enum unwind_result). BINDPROF_UNWIND_DEBUG=1 logs each incomplete one on
 * stderr with libdw's reason and the pcs. */
int unwinder_unwind(struct unwinder *u, int pid, int tid, const uint64_t *regs, const uint8_t *stack,
		    size_t len, uint64_t *pcs, int max, int *result);
/* The next unwinder_unwind's sample had n pending uretprobes (bpf/stacks.h: stack_event.uret_*,
 * most recent first): its stack holds the uprobes trampoline's address tramp where slot[i] held
 * orig[i]. The unwind reads orig[i] there (and a leaf in the trampoline as orig[0]), as the
 * kernel's own user callchains do. n 0: none. */
void unwinder_set_uretprobes(struct unwinder *u, uint64_t tramp, const uint64_t *slot, const uint64_t *orig, int n);
/* Samples so far whose unwind went through a pending uretprobe's return address (restored). */
uint64_t unwinder_uretprobe_samples(const struct unwinder *u);
/* The function at pc (NULL: none) and its file (full path; NULL: no module). Strings live as
 * long as the unwinder. */
void unwinder_symbolize(struct unwinder *u, int pid, uint64_t pc, const char **func, const char **module);
/* Forget a process (it exited). */
void unwinder_forget(struct unwinder *u, int pid);
/* Process pid was seen running exe (/proc/PID/exe) after an exec: its modules are forgotten
 * unless they were read while it ran exe already (samples read after it exits would lose every
 * native frame otherwise: its maps can no longer be read). */
void unwinder_exec(struct unwinder *u, int pid, const char *exe);
/* Read a live process's modules now, if not yet (the poll of followed processes calls it): its
 * samples read after it exits keep their frames (a lagging consumer met short-lived children
 * only after their end). */
void unwinder_prepare(struct unwinder *u, int pid);

/* Kernel symbols (/proc/kallsyms, needs root for real addresses). NULL: unknown. */
struct ksyms;
struct ksyms *ksyms_load(void);
void ksyms_free(struct ksyms *k);
const char *ksyms_lookup(const struct ksyms *k, uint64_t addr);

#endif
