/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc parsing. Every reader takes the proc root ("/proc", or a fixture directory in tests), and
 * every parser works on a buffer, so both are unit-tested on fixture files. */
#ifndef BINDPROF_PROCFS_H
#define BINDPROF_PROCFS_H

#include <stddef.h>
#include <stdint.h>

struct proc_stat {
	char comm[64];
	char state;
	int ppid;
	uint64_t utime; /* clock ticks */
	uint64_t stime;
	uint64_t cutime; /* clock ticks of its waited-for children (and theirs), proc(5) fields 16-17 */
	uint64_t cstime;
	uint64_t starttime;
};

int procfs_parse_stat(const char *buf, struct proc_stat *st);
int procfs_parse_status_kb(const char *buf, const char *field, uint64_t *kb);
/* USS: Private_Clean + Private_Dirty + Private_Hugetlb of smaps_rollup, in kB. */
int procfs_parse_uss_kb(const char *buf, uint64_t *kb);

int procfs_read_stat(const char *root, int pid, struct proc_stat *st);
int procfs_read_rss_kb(const char *root, int pid, uint64_t *kb);
int procfs_read_uss_kb(const char *root, int pid, uint64_t *kb);
/* The command line with NULs turned into spaces. */
int procfs_read_cmdline(const char *root, int pid, char *buf, size_t size);
int procfs_read_comm(const char *root, int pid, int tid, char *buf, size_t size);
int procfs_read_exe(const char *root, int pid, char *buf, size_t size);
/* Does a mapped file's base name stand for the library name ("libffi.so", "libz.so.1")? It does
 * when it is name itself, name and a version ("libffi.so.8.1.2"), or a bundled copy: name's stem
 * (up to its first '.'), a '-' and a tag, then the rest of name ("libffi-9c61262e.so.8", as
 * auditwheel names the copies that wheels bundle). */
int procfs_lib_name_matches(const char *base, const char *name);
/* The first file mapped in a maps buffer (proc(5)'s /proc/PID/maps) whose base name matches name
 * (procfs_lib_name_matches); deleted files are skipped. 0 with the path in path, -ENOENT when none,
 * -ENAMETOOLONG when path is too small. */
int procfs_parse_mapped_lib(const char *maps, const char *name, char *path, size_t len);
/* The same, read from ROOT/PID/maps: where the target has a library (a distribution's path, a
 * virtualenv's or a wheel's bundled copy), instead of a hard-coded path. 0, -ENOENT when not
 * mapped, or the negative errno of reading the maps. */
int procfs_find_mapped_lib(const char *root, int pid, const char *name, char *path, size_t len);
/* 1 if pid exists and is not a zombie, 0 if not. When ROOT/PID/stat cannot be opened for want of
 * descriptors or memory (ours, not the process's), the answer is kill(pid, 0)'s under /proc. */
int procfs_alive(const char *root, int pid);

#endif
