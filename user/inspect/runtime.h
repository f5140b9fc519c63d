/* SPDX-License-Identifier: GPL-2.0-only */
/* What a target runs: a CPython interpreter (and which version) or native code, from its ELF files. */
#ifndef BINDPROF_RUNTIME_H
#define BINDPROF_RUNTIME_H

#include <limits.h>
#include <stddef.h>

struct runtime_info {
	char name[16];     /* "cpython" or "native" */
	char version[32];  /* "3.11.2"; empty when unknown */
	char elf[PATH_MAX]; /* the ELF file the runtime was found in (exe or libpython) */
};

/* Examine one ELF file. 0 (ri filled; "native" when not an interpreter) or negative errno. */
int runtime_detect_elf(const char *path, struct runtime_info *ri);
/* Examine a live process: its exe and, for a shared-libpython build, the mapped libpython. */
int runtime_detect_pid(const char *proc_root, int pid, struct runtime_info *ri);
/* Pick the CPython version string for major.minor hint (may be NULL) out of a NUL-separated
 * string table. Pure; unit-tested. 0 or -ENOENT. */
int runtime_find_version(const char *data, size_t len, const char *hint, char *out, size_t outlen);



/* "3.12.1" or "3.13.0rc1" from a PY_VERSION_HEX value such as 0x030C01F0. */
void runtime_version_from_hex(unsigned int hex, char *out, size_t size);

/* Whether an ELF file has a section of that name (e.g. ".note.stapsdt": USDT probes). */
int elf_has_section(const char *path, const char *name);
#endif
