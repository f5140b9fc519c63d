/* SPDX-License-Identifier: GPL-2.0-only */
/* What the kernel and the process's privileges offer. */
#ifndef BINDPROF_ENV_H
#define BINDPROF_ENV_H

#include <stdbool.h>
#include <stddef.h>

#define BTF_PATH "/sys/kernel/btf/vmlinux"

struct env_caps {
	bool root;
	bool cap_sys_admin, cap_bpf, cap_perfmon;
};

void env_read_caps(struct env_caps *c);
/* 0 when BPF tracing is allowed; -EPERM with a one-line message naming what is missing. */
int env_check_privileges(char *msg, size_t len);
bool env_has_btf(void);
/* Raise RLIMIT_NOFILE to its hard limit (every uprobe takes an fd). Returns the new soft limit. */
long env_raise_nofile(void);

#endif
