/* SPDX-License-Identifier: GPL-2.0-only */
/* The functions --ffi LIB[:GLOB] selects in one ELF file: exported functions (.dynsym), local
 * ones (.symtab) when a GLOB is given, and a CPython extension's Python-visible entry points,
 * read from its static PyMethodDef tables (a stripped module included: the tables are found
 * through the file's R_X86_64_RELATIVE relocations, not its symbols). Pure: unit-tested. */
#ifndef BINDPROF_FFISYMS_H
#define BINDPROF_FFISYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ffi_fn {
	char symbol[128];  /* the ELF symbol, or "" (a stripped extension's method) */
	char pyname[160];  /* "module.name" from a method table, or "" */
	uint64_t vaddr;
	uint64_t offset;   /* file offset: where a uprobe goes */
	bool exported;
};

/* Select from path with glob (NULL: every exported function and method-table entry). Returns how
 * many (at most max; *total gets the number that matched), or a negative errno with err set. */
int ffi_elf_functions(const char *path, const char *glob, struct ffi_fn *out, int max, int *total, char *err,
		      size_t errlen);
/* The display name: "pyname" when known, else the symbol. */
const char *ffi_fn_name(const struct ffi_fn *f);

#endif
