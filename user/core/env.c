/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "core/env.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

void env_read_caps(struct env_caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = {};

	memset(c, 0, sizeof(*c));
	c->root = geteuid() == 0;
	if (syscall(SYS_capget, &h, d))
		return;
	c->cap_sys_admin = has_cap(d, CAP_SYS_ADMIN);
	c->cap_bpf = has_cap(d, CAP_BPF);
	c->cap_perfmon = has_cap(d, CAP_PERFMON);
}

int env_check_privileges(char *msg, size_t len)
{
	struct env_caps c;

	env_read_caps(&c);
	if (c.cap_sys_admin || (c.cap_bpf && c.cap_perfmon))
		return 0;
	snprintf(msg, len,
		 "missing privileges: loading tracing BPF programs needs CAP_BPF and CAP_PERFMON (or "
		 "CAP_SYS_ADMIN)%s; run with sudo, or grant them: sudo setcap cap_bpf,cap_perfmon+ep "
		 "build/bindprof",
		 c.cap_bpf ? " (CAP_PERFMON is missing)" : c.cap_perfmon ? " (CAP_BPF is missing)" : "");
	return -EPERM;
}

bool env_has_btf(void)
{
	return access(BTF_PATH, R_OK) == 0;
}

long env_raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return -errno;
	if (r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	return (long)r.rlim_cur;
}
