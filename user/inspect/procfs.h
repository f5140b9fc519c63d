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
/* 1 if pid exists and is not a zombie, 0 if not. */
int procfs_alive(const char *root, int pid);

#endif
