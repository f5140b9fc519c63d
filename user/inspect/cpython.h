/* SPDX-License-Identifier: GPL-2.0-only */
/* A CPython target: where its interpreter lives, which probe methods fit it, and where its GIL is.
 * GIL layouts were read off the pyenv builds' DWARF, frame layouts come from each interpreter's own headers
 * (tests/pyoffsets.c); both are checked against the live process before use. */
#ifndef BINDPROF_CPYTHON_H
#define BINDPROF_CPYTHON_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define GIL_STRUCT_SIZE 208 /* struct _gil_runtime_state, 3.8 to 3.13 on x86_64 */
#define GIL_OFF_INTERVAL 0
#define GIL_OFF_LAST_HOLDER 8
#define GIL_OFF_LOCKED 16
#define GIL_OFF_SWITCH_NUMBER 24

struct cpython_target {
	int pid;
	int minor;                  /* 3.minor; 0 when not CPython */
	char version[32];
	char elf[PATH_MAX];         /* the file defining _PyRuntime: the exe or libpython */
	uint64_t bias;              /* load bias of elf in the process */
	uint64_t runtime_addr;      /* &_PyRuntime in the process; 0 if not found */
	uint64_t code_type_addr;    /* &PyCode_Type in the process; 0 if not found */
	bool usdt_gc;               /* python:gc__start/gc__done notes */
	struct gc_func {
		char name[64];      /* the collector function (or one of GCC's clones of it) */
		int gen_arg;        /* which argument register holds the generation: 1 or 2; 0: none, */
		long gen_const;     /* the clone collects this generation only (-1: not such a clone) */
	} gc_funcs[4];              /* for uprobes; none when gc_nfuncs is 0 */
	int gc_nfuncs;
	bool has_take_gil;          /* take_gil/drop_gil symbols (full-symbol builds) */
	uint64_t gil_addr;          /* the GIL struct; 0 until the interpreter has one */
};

/* Offsets for walking a thread's Python frames (see cpython.c's table). -1: no such field. */
struct frames_layout {
	int minor;
	long runtime_main, interp_head;          /* _PyRuntime.interpreters.main; interp's thread list */
	long ts_next, ts_thread_id, ts_frame;     /* PyThreadState */
	long cframe_current;                      /* _PyCFrame.current_frame (3.11, 3.12) */
	long fr_code, fr_back, fr_is_entry, fr_owner; /* the frame: code, caller, entry marks */
	long co_name, co_filename, co_firstlineno; /* PyCodeObject */
	long ascii_size;                          /* sizeof(PyASCIIObject): a compact ASCII str's data */
};
const struct frames_layout *cpython_frames_layout(int minor);
/* The address of the main interpreter's thread-list head in the live process. -EAGAIN while
 * the interpreter has none yet. */
int cpython_thread_list(const struct cpython_target *t, uint64_t *head_addr);
int cpython_read_mem(int pid, uint64_t addr, void *buf, size_t len);

/* Find the interpreter of pid. 0 (t->minor is 0 for a non-CPython process) or negative errno. */
int cpython_inspect(const char *proc_root, int pid, struct cpython_target *t);
/* Inspect an ELF file before the process runs it (for -- CMD). 0 when it is CPython. */
int cpython_inspect_file(const char *path, struct cpython_target *t);
/* The interpreter an executable (a path) will run: itself when static, else the libpython3.X.so
 * it links against. 0 when it is CPython. */
int cpython_inspect_exe(const char *exe, struct cpython_target *t);
/* Locate and check the GIL in the live process (interval read back as 1 us..10 s, locked 0/1).
 * 0 when t->gil_addr is set; -EAGAIN while the interpreter is not initialized yet. */
int cpython_resolve_gil(struct cpython_target *t);
/* Read the GIL's switch_number (holder changes so far). */
int cpython_read_switch_number(const struct cpython_target *t, uint64_t *n);
/* Whether minor version has a layout table. */
bool cpython_supported(int minor);
/* The gc probe's uprobe symbol for this build, by version ("gc_collect_main", "collect", ...). */
const char *cpython_gc_symbol_hint(int minor);
/* Which argument register (1 = rdi, 2 = rsi, ...) holds parameter `param` at the entry of the
 * function at vaddr, from the file's DWARF. 0 when there is no DWARF or no answer. */
int dwarf_param_arg(const char *path, uint64_t vaddr, const char *param);
/* The constant value of parameter `param` in the function at vaddr (a GCC clone that was
 * specialised for one value, DW_AT_const_value), from the file's DWARF. -1 when it has none. */
long dwarf_param_const(const char *path, uint64_t vaddr, const char *param);

#endif
