/* SPDX-License-Identifier: GPL-2.0-only */
/* A CPython extension's methods whose PyMethodDef tables are built at run time (recent PyO3 leaks
 * a boxed PyMethodDef per function at import; any module may malloc its table and hand it to
 * PyModule_AddFunctions or PyCFunction_NewEx): found in the target's memory, since the file holds
 * no table (ffisyms.h finds the static ones).
 *
 * Method: the process's private writable anonymous memory ([heap] first, then the anonymous rw-p
 * mappings in address order: where malloc and Python's allocators put objects) is read
 * (process_vm_readv, at most HEAPMETH_MAX_BYTES) and searched, at
 * every 8-byte boundary, for a PyMethodDef {ml_name, ml_meth, ml_flags, ml_doc} whose ml_meth
 * points into an executable mapping of the library, whose ml_flags has METH_* bits only (and at
 * least one), and whose ml_name points at a NUL-terminated identifier. */
#ifndef BINDPROF_HEAPMETH_H
#define BINDPROF_HEAPMETH_H

#include <stddef.h>
#include <stdint.h>

struct heap_method {
	uint64_t vaddr;  /* ml_meth in the file's virtual addresses */
	char name[96];   /* ml_name */
};

/* Methods of the library at path (as /proc/PID/maps names it) mapped in pid, each once (by
 * function), at most max. scanned gets the bytes read. Returns how many were found, or -ENOENT
 * (the library is not mapped), -errno (maps unreadable). At most HEAPMETH_MAX_BYTES are read. */
#define HEAPMETH_MAX_BYTES (512u << 20)
int heapmeth_scan(int pid, const char *path, struct heap_method *out, int max, uint64_t *scanned);

/* The module name of an extension (the NAME of its exported PyInit_NAME), into name; -ENOENT when
 * the file exports no PyInit_ function (not a CPython extension). */
int heapmeth_module(const char *path, char *name, size_t len);

#endif
