/* SPDX-License-Identifier: GPL-2.0-only */
/* The functions --ffi LIB[:GLOB] selects in one ELF file: exported functions (.dynsym), local
 * ones (.symtab) when a GLOB is given, and a CPython extension's Python-visible entry points,
 * read from its static PyMethodDef tables (a stripped module included: the tables are found
 * through the file's R_X86_64_RELATIVE relocations, not its symbols).
 *
 * Aliases: every name at one address is kept (strtol, strtoll, strtoq and strtoimax are one
 * function in libc); a GLOB matches any of them, and the function is reported under the name
 * the GLOB matched, else under its canonical exported name (a global before a weak one, the
 * default version before an older one, fewer leading underscores, then the shorter name).
 *
 * Probe places: where the entry uprobe can go, decoded with Capstone. The x86_64 kernel emulates
 * a few instructions (push of a register, nop, jmp/call/jcc with a relative target: ~1 us per
 * hit) and single-steps the others out of line (mov, sub, endbr64...: a second trap, ~10 us on a
 * VM, with several us of variance), and refuses some (any lock-prefixed instruction: error 524).
 * An entry probe may move past leading instructions that are not branches, do not write the
 * stack pointer (the return probe reads the return address at the stack top) and that no branch
 * of the function targets past the entry: every call still passes it exactly once, and the
 * return probe still sees the caller's return address. Pure: unit-tested. */
#ifndef BINDPROF_FFISYMS_H
#define BINDPROF_FFISYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FFI_MAX_PLACES 4

enum ffi_probe_kind {
	FFI_PROBE_STEPPED = 0,  /* single-stepped out of line */
	FFI_PROBE_EMULATED = 1, /* emulated by the kernel */
	FFI_PROBE_REFUSED = 2,  /* refused by the kernel (a lock or cs/ds/es/ss prefix): error 524.
				 * Known in advance: the kernel checks an instruction only where the
				 * file is mapped, and a probe attached while it is not is accepted,
				 * then never fires */
};

struct ffi_place {
	uint64_t offset;   /* file offset where a uprobe goes */
	uint32_t delta;    /* bytes past the function's entry (0: the entry itself) */
	uint8_t kind;      /* enum ffi_probe_kind: what the kernel is expected to do with it */
	char insn[64];     /* the instruction there, as Capstone prints it */
};

struct ffi_fn {
	char symbol[128];  /* the name reported: the alias the GLOB matched, else the canonical one;
			    * "" for a stripped extension's method. An older symbol version reads
			    * "name@VERSION" */
	char aliases[256]; /* the function's other names, comma-separated ("" if none) */
	char pyname[160];  /* "module.name" from a method table, or "" */
	uint64_t vaddr;
	uint64_t size;     /* from the symbol; 0 if unknown */
	uint64_t offset;   /* file offset of the entry */
	bool exported;
	bool ifunc;        /* an STT_GNU_IFUNC: vaddr is the resolver; the implementation is chosen
			    * at load time (ffi_elf_at, given the address it resolves to) */
	/* where the entry probe can go, best first (an emulated instruction before any branch,
	 * then the entry, then the next instruction boundaries the kernel may accept when it
	 * refuses the entry); nplaces 0 if the code could not be decoded (the entry only) */
	struct ffi_place places[FFI_MAX_PLACES];
	int nplaces;
	char entry_insn[64]; /* the first instruction, for messages ("" if not decoded) */
	char place_note[128]; /* why the probe could not move further, if it is not at the best place */
};

/* Select from path with glob (NULL: every exported function and method-table entry). Returns how
 * many (at most max; *total gets the number that matched), or a negative errno with err set. */
int ffi_elf_functions(const char *path, const char *glob, struct ffi_fn *out, int max, int *total, char *err,
		      size_t errlen);
/* The function at vaddr in path (an IFUNC's implementation, resolved elsewhere): its offset, size
 * and probe places, its symbol if one starts there ("" if none). 0 or a negative errno. */
int ffi_elf_at(const char *path, uint64_t vaddr, struct ffi_fn *fn);
/* The tp_call of the type named tp_name ("_ctypes.CFuncPtr", "_cffi_backend._CDataBase") in a
 * CPython extension, symbols or not: a static PyTypeObject whose tp_name (+24) points at the name
 * (its tp_call at +128), or a PyType_Spec whose name (+0) does, with a Py_tp_call (50) slot
 * (3.13's heap types), found through the file's R_X86_64_RELATIVE relocations. fn gets the
 * function (symbol "" if stripped) with its probe places. 0, or -ENOENT. */
int ffi_type_call(const char *path, const char *tp_name, struct ffi_fn *fn);
/* The display name: "pyname" when known, else the symbol. */
const char *ffi_fn_name(const struct ffi_fn *f);
/* Probe places for code (len bytes of a function at vaddr; the bytes beyond the function's end
 * may be cut) whose entry is at file offset off: fills fn->places, nplaces, entry_insn and
 * place_note. Exposed for the unit tests. */
void ffi_plan_places(struct ffi_fn *fn, const uint8_t *code, size_t len, uint64_t vaddr, uint64_t off);

#endif
