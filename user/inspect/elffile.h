/* SPDX-License-Identifier: GPL-2.0-only */
/* ELF files: symbols (.dynsym and .symtab), load address and USDT notes, through libelf. */
#ifndef BINDPROF_ELFFILE_H
#define BINDPROF_ELFFILE_H

#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

struct elf_file;

/* NULL with errno set when the file cannot be opened or is not ELF. */
struct elf_file *elf_file__open(const char *path);
void elf_file__close(struct elf_file *f); /* accepts NULL */
Elf *elf_file__elf(struct elf_file *f);
/* The GNU build-id (the NT_GNU_BUILD_ID note, "GNU" owner, in any SHT_NOTE section, else any
 * PT_NOTE segment) as lowercase hex, what `readelf -n` prints. 0; -ENOENT when the file has
 * none; -ENOSPC when hex (len bytes) is too small; -ENOEXEC/-errno when it cannot be read. */
int elf_file__build_id(struct elf_file *f, char *hex, size_t len);
/* fn(ctx, tag, value) for every string entry of the dynamic section (DT_NEEDED, DT_SONAME,
 * DT_RPATH, DT_RUNPATH), in order; fn returns nonzero to stop. Returns what fn returned last
 * (0 when it went through them all, or the file has no dynamic section). */
int elf_dyn_strings(Elf *elf, int (*fn)(void *ctx, int64_t tag, const char *value), void *ctx);
/* A defined symbol by name, from .symtab or .dynsym. 0 or -ENOENT. */
int elf_file__symbol(struct elf_file *f, const char *name, GElf_Sym *out);
/* Whether the file imports name: an undefined symbol it needs from another object. */
bool elf_file__imports(struct elf_file *f, const char *name);
/* The first defined symbol whose name starts with prefix (e.g. "collect.constprop."). */
int elf_file__symbol_prefix(struct elf_file *f, const char *prefix, GElf_Sym *out, char *name,
			    size_t namelen);
/* The lowest PT_LOAD virtual address, page aligned down: subtract it from a mapping's start
 * (the mapping of file offset 0) to get the load bias. */
int elf_file__base_vaddr(struct elf_file *f, uint64_t *vaddr);
bool elf_file__is_exec(struct elf_file *f); /* ET_EXEC: not relocated */
/* Whether a USDT note provider:name (SystemTap .note.stapsdt) is present. */
bool elf_file__has_usdt(struct elf_file *f, const char *provider, const char *name);
/* The bytes of the section holding vaddr (file-backed data), or NULL. */
const void *elf_file__data_at(struct elf_file *f, uint64_t vaddr, size_t len);
/* Whether a section of that name exists. */
bool elf_file__has_section(struct elf_file *f, const char *name);

#endif
